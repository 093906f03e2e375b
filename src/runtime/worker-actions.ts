/**
 * The revert, quarantine and before-state use cases of one account, built by the worker with the first job that
 * needs them (a confirmation, a revert, a quarantine, a diff): a query, status or escalation job never loads them.
 */
import type { AuditLog } from '../app/audit-port';
import { BeforeStateResolver } from '../app/before-state';
import { CloudTrailConfirmer, type TrailEventLookup } from '../app/event-confirmation';
import type { IamGateway } from '../app/iam-port';
import type { Clock, TrailHistory } from '../app/ports';
import { QuarantineService } from '../app/quarantine-service';
import { RevertService } from '../app/revert-service';
import type { Config } from '../config';
import type { BotSurface } from '../domain/quarantine';
import type { DynamoChangeStore } from '../store/dynamo-change-store';

/** What one account's use cases act on. */
export interface AccountActionWiring {
  config: Config;
  store: DynamoChangeStore;
  /** The account's IAM, every write recorded before it is made. */
  iam: IamGateway;
  /** The CloudTrail history of the account the change was made in: before-states and confirmations. */
  events: TrailHistory & TrailEventLookup;
  clock: Clock;
  audit: AuditLog;
  /** Pause between read-backs after a revert (the service's default when not given). */
  verifyDelayMs?: number;
  /** What a quarantine must leave the bot able to do (`botSurfaceOf` of the configuration). */
  botSurface: BotSurface;
  /** The account this worker's IAM acts in: a quarantine's deny policy is made there, for its principals only. */
  accountId?: string;
}

/** The account's before-state resolver, revert and quarantine use cases. */
export function buildAccountActions({
  config,
  store,
  iam,
  events,
  clock,
  audit,
  verifyDelayMs,
  botSurface,
  accountId,
}: AccountActionWiring): {
  resolver: BeforeStateResolver;
  revert: RevertService;
  quarantine: QuarantineService;
} {
  const resolver = new BeforeStateResolver({ store, trail: events, iam, clock });
  const revert = new RevertService({
    store,
    iam,
    resolver,
    clock,
    audit,
    // A revert that grants access back waits for this account's CloudTrail to confirm the change.
    confirmer: new CloudTrailConfirmer(events, clock),
    settings: {
      // Reverts never write to protected principals or the bot's own roles (the IAM policy denies it too).
      guard: {
        protectedPrincipals: config.protectedPrincipals,
        botRoleName: (name) => name.startsWith('iam-changes-') || name === config.responder.roleName,
      },
      ...(verifyDelayMs === undefined ? {} : { verifyDelayMs }),
    },
  });
  const quarantine = new QuarantineService({
    store,
    iam,
    clock,
    audit,
    settings: {
      bot: config.bot,
      protectedPrincipals: config.protectedPrincipals,
      policyName: config.quarantinePolicyName,
      botSurface,
      // The account this worker's IAM acts in: its deny policy is made there, for its principals only.
      ...(accountId === undefined ? {} : { accountId }),
    },
  });
  return { resolver, revert, quarantine };
}
