/**
 * The escalation check: after a change to a role's, user's or group's policies, what can that principal reach
 * now? Its attached and inline policies (and, for a user, its groups'), its permissions boundary, every Deny, are
 * read from IAM and judged against the known escalation methods (`src/domain/escalation`); the paths the change
 * opened join the change's reasons ("role X can now reach administrator through …").
 *
 * It needs IAM reads notify does not have, so notify marks the change "checking escalation paths…" and queues a
 * job; the worker runs the check and updates the alert. The job names only a stored change: the worker reads
 * everything else from the store and IAM, writes nothing to IAM, and updates only that change's own message — so
 * a job from notify (not Slack-signed) is honoured without letting its sender cause any IAM write (DESIGN §9).
 * Where the documents are at hand without a job (the local runtime), the check runs before the alert is posted.
 */

import type { NamedDocument, PrincipalKind, PrincipalPolicies } from '../domain/escalation';
import { changedPrincipal, checkEscalation, withEscalation } from '../domain/escalation';
import { policyNameOf } from '../domain/managed-policy';
import { documentKeyOf } from '../domain/resources';
import type { AssessedChange, EscalationCheck, PolicyDocument } from '../domain/types';
import type { IamEntity, IamGateway } from './iam-port';
import { isIamError } from './iam-port';
import { type JobQueue, SYSTEM_REQUESTER } from './jobs';
import type { PolicyDocumentResolver } from './policy-documents';
import type { ChangeStore, StoredChange } from './ports';

/** The IAM reads about a principal that the {@link IamGateway} does not make. */
export interface PrincipalDirectory {
  /** The names of an entity's inline policies (all pages). Throws `NoSuchEntity` when it is gone. */
  inlinePolicyNames(entity: IamEntity): Promise<string[]>;
  /** The groups a user is in (all pages). Throws `NoSuchEntity` when the user is gone. */
  groupsOf(userName: string): Promise<string[]>;
  /** The ARN of a role's or user's permissions boundary, `null` when none is set. */
  permissionsBoundary(entity: { kind: 'role' | 'user'; name: string }): Promise<string | null>;
}

/** Where checked changes are kept: read the change, record its check and merged risk. */
export interface EscalationStore {
  getChange(eventId: string): Promise<StoredChange | undefined>;
  /** Replaces the stored change's judgement (`risk`, `escalation`) with the checked one. */
  recordEscalation(eventId: string, change: AssessedChange, now: Date): Promise<void>;
  documentBefore: ChangeStore['documentBefore'];
}

/** Brings a change's Slack message up to date with its stored judgement (its own alert, or its burst thread). */
export interface AlertRefresher {
  refresh(stored: StoredChange): Promise<void>;
}

/** What the check is built from. */
export interface EscalationCheckDependencies {
  iam: Pick<IamGateway, 'listAttachedPolicies' | 'getInlinePolicy'>;
  directory: PrincipalDirectory;
  policies: Pick<PolicyDocumentResolver, 'lookup'>;
  store: Pick<EscalationStore, 'documentBefore'>;
  now: () => Date;
}

function message(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}

/** Reads what decides a principal's access and judges the change's escalation paths. */
export class EscalationChecker {
  constructor(private readonly deps: EscalationCheckDependencies) {}

  /** The check of one change; `undefined` for changes that touch no principal's policies. */
  async check(change: AssessedChange): Promise<EscalationCheck | undefined> {
    const principal = changedPrincipal(change);
    if (!principal) return undefined;
    let after: PrincipalPolicies;
    try {
      after = await this.read(principal.kind, principal.name, change);
    } catch (error: unknown) {
      if (isIamError(error, 'NoSuchEntity')) {
        return { state: 'unavailable', reason: `${principal.kind} ${principal.name} no longer exists` };
      }
      return { state: 'unavailable', reason: `its policies could not be read: ${message(error)}` };
    }
    const before = await this.before(change, after);
    const check = checkEscalation(after, before.policies);
    if (check.state === 'done' && before.unknown) {
      // Without the state before, a path cannot be said to be new: list none as opened.
      return {
        ...check,
        opened: [],
        alreadyOpen: check.alreadyOpen + check.opened.length,
        incomplete: [...(check.incomplete ?? []), before.unknown],
      };
    }
    return check;
  }

  /** Everything that decides what the principal can do now. */
  private async read(kind: PrincipalKind, name: string, change: AssessedChange): Promise<PrincipalPolicies> {
    const incomplete: string[] = [];
    const identity = await this.documentsOf({ kind, name }, '', change, incomplete);
    if (kind === 'user') {
      for (const group of await this.deps.directory.groupsOf(name)) {
        identity.push(
          ...(await this.documentsOf({ kind: 'group', name: group }, `group ${group}: `, change, incomplete)),
        );
      }
    }
    const out: PrincipalPolicies = { kind, name, identity };
    if (kind !== 'group') {
      const arn = await this.deps.directory.permissionsBoundary({ kind, name });
      if (arn) {
        const found = await this.deps.policies.lookup(arn, change);
        if (found.source === 'unknown')
          incomplete.push(`permissions boundary ${policyNameOf(arn)}: ${found.reason}`);
        else out.boundary = { name: `permissions boundary ${policyNameOf(arn)}`, document: found.document };
      }
    }
    if (incomplete.length > 0) out.incomplete = incomplete;
    return out;
  }

  private async documentsOf(
    entity: IamEntity,
    prefix: string,
    change: AssessedChange,
    incomplete: string[],
  ): Promise<NamedDocument[]> {
    const out: NamedDocument[] = [];
    for (const attached of await this.deps.iam.listAttachedPolicies(entity)) {
      const found = await this.deps.policies.lookup(attached.arn, change);
      if (found.source === 'unknown')
        incomplete.push(`${prefix}managed policy ${attached.name}: ${found.reason}`);
      else out.push({ name: `${prefix}managed policy ${attached.name}`, document: found.document });
    }
    for (const policyName of await this.deps.directory.inlinePolicyNames(entity)) {
      const document = await this.deps.iam.getInlinePolicy(entity, policyName);
      if (document) out.push({ name: `${prefix}inline policy ${policyName}`, document });
    }
    return out;
  }

  /**
   * The principal's policies as they were just before the change: the current ones with the change undone — an
   * attached policy taken away, a detached one put back, an inline document replaced by the one before.
   */
  private async before(
    change: AssessedChange,
    after: PrincipalPolicies,
  ): Promise<{ policies?: PrincipalPolicies; unknown?: string }> {
    const without = (name: string) => after.identity.filter((entry) => entry.name !== name);
    const { eventName, target } = change;
    const managedName = target.policyArn ? `managed policy ${policyNameOf(target.policyArn)}` : '';
    if (/^Attach/.test(eventName)) return { policies: { ...after, identity: without(managedName) } };
    if (/^Detach/.test(eventName)) {
      const document = change.managedPolicy?.document;
      if (!document) return { unknown: `the document of the detached ${managedName} is unknown` };
      return { policies: { ...after, identity: [...without(managedName), { name: managedName, document }] } };
    }
    if (/^(Put|Delete)(Role|User|Group)Policy$/.test(eventName) && target.policyName) {
      const inlineName = `inline policy ${target.policyName}`;
      const key = documentKeyOf(change);
      const previous = key
        ? await this.deps.store.documentBefore(key, change.eventTime, change.eventId)
        : undefined;
      const document: PolicyDocument | null | undefined = previous
        ? previous.document
        : eventName.startsWith('Put')
          ? null
          : undefined;
      if (document === undefined) return { unknown: `the ${inlineName} before the change is unknown` };
      return {
        policies: {
          ...after,
          identity: [...without(inlineName), ...(document ? [{ name: inlineName, document }] : [])],
        },
      };
    }
    if (/^Put(Role|User)PermissionsBoundary$/.test(eventName)) {
      const { boundary: _set, ...rest } = after;
      return { policies: rest };
    }
    if (eventName === 'AddUserToGroup') {
      const group = `group ${String(change.requestParameters?.groupName ?? '')}: `;
      return {
        policies: { ...after, identity: after.identity.filter((entry) => !entry.name.startsWith(group)) },
      };
    }
    return { unknown: `what ${eventName} removed is not known` };
  }
}

/** How a job ended, in one word for the log. */
export interface EscalationJobResult {
  outcome: 'checked' | 'not-applicable' | 'unknown-change';
}

/** The worker's half: check a stored change, record the result, bring its message up to date. */
export class EscalationCheckService {
  constructor(
    private readonly deps: {
      checker: Pick<EscalationChecker, 'check'>;
      store: Pick<EscalationStore, 'getChange' | 'recordEscalation'>;
      alerts: AlertRefresher;
      now: () => Date;
      log?: (message: string, details: Record<string, unknown>) => void;
    },
  ) {}

  async run(eventId: string): Promise<EscalationJobResult> {
    const stored = await this.deps.store.getChange(eventId);
    if (!stored) return { outcome: 'unknown-change' };
    const check = await this.deps.checker.check(stored.change);
    if (!check) return { outcome: 'not-applicable' };
    const change = withEscalation(stored.change, check);
    await this.deps.store.recordEscalation(eventId, change, this.deps.now());
    try {
      await this.deps.alerts.refresh({ ...stored, change });
    } catch (error: unknown) {
      // Recorded: the next re-render of the alert (an acknowledgement, a revert) shows it.
      this.deps.log?.('the alert could not be updated with the escalation check', {
        eventId,
        error: message(error),
      });
    }
    return { outcome: 'checked' };
  }
}

/**
 * How notify takes part: `prepare` before the change is stored and posted, `delivered` once it is. Inline, the
 * check runs in `prepare`; deferred, `prepare` marks the change as checking and `delivered` queues the job.
 */
export interface EscalationStep {
  prepare(change: AssessedChange): Promise<AssessedChange>;
  delivered(change: AssessedChange): Promise<void>;
}

/** The check run by notify itself, before posting (where IAM reads are at hand: the local runtime). */
export class InlineEscalation implements EscalationStep {
  constructor(private readonly checker: Pick<EscalationChecker, 'check'>) {}

  async prepare(change: AssessedChange): Promise<AssessedChange> {
    const check = await this.checker.check(change);
    return check ? withEscalation(change, check) : change;
  }

  async delivered(): Promise<void> {}
}

/** The check left to the worker: the alert says "checking escalation paths…" until the job updates it. */
export class DeferredEscalation implements EscalationStep {
  constructor(
    private readonly queue: JobQueue,
    private readonly log: (message: string, details: Record<string, unknown>) => void = () => {},
  ) {}

  async prepare(change: AssessedChange): Promise<AssessedChange> {
    return changedPrincipal(change) && !change.bot
      ? { ...change, escalation: { state: 'checking' } }
      : change;
  }

  async delivered(change: AssessedChange): Promise<void> {
    if (change.escalation?.state !== 'checking') return;
    try {
      await this.queue.publish({
        kind: 'escalation-check',
        eventId: change.eventId,
        by: { ...SYSTEM_REQUESTER },
      });
    } catch (error: unknown) {
      // The alert is out and stays "checking"; the log says the check was lost (`iam-changes explain` can run it).
      this.log('escalation check not queued', { eventId: change.eventId, error: message(error) });
    }
  }
}
