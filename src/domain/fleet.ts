/**
 * Who made a change and what it changed, with the account taken out: the keys that let one change made in many
 * accounts of an organisation (one automation, one SSO user, one Terraform pipeline rolled out everywhere) become
 * one message instead of one per account.
 *
 * - {@link actorIdentity}: the caller regardless of account — the role name and session-name pattern of an assumed
 *   role, the permission set and user of an SSO session, the user name of an IAM user, the service. A root user is
 *   never the same identity in two accounts (each account's root is its own credential), so its key keeps the account.
 * - {@link targetIdentity}: the target with account ids in ARNs replaced by `*` (AWS managed policies have none).
 * - {@link fleetKey}: actor identity, event, outcome and target together — the same change, in whichever account.
 */
import type { Actor, Change } from './types';

/**
 * A session name with its per-run parts replaced by `*`: UUIDs, long hex ids, and digit runs of four or more
 * (epoch times, build numbers, dates), so `terraform-1733300000` and `terraform-1733300042` are one pattern while
 * `jane@example.com` stays itself.
 */
export function sessionPattern(sessionName: string): string {
  return sessionName
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '*')
    .replace(/\b[0-9a-f]{12,}\b/gi, '*')
    .replace(/\d{4,}/g, '*')
    .replace(/\*(?:[-_.:]*\*)+/g, '*');
}

/** An ARN with its account field (the fifth) replaced by `*`; other text unchanged. */
export function withoutAccount(arn: string): string {
  return arn.replace(/^(arn:[\w-]+:[\w-]*:[\w-]*:)\d{12}(:)/, '$1*$2');
}

function roleOfAssumedArn(arn: string): string | undefined {
  return /:assumed-role\/([^/]+)/.exec(arn)?.[1];
}

/**
 * The caller of a change regardless of the account it acted from, as one string. Two changes with the same
 * identity in different accounts were made by the same automation or person.
 */
export function actorIdentity(actor: Actor): string {
  switch (actor.type) {
    case 'root':
      return `root:${actor.accountId ?? (/::(\d{12}):/.exec(actor.arn)?.[1] || 'unknown')}`;
    case 'iam-user':
      return `user:${actor.name}`;
    case 'sso':
      return `sso:${actor.ssoPermissionSet ?? ''}:${actor.sessionName ?? actor.name}`;
    case 'assumed-role': {
      const role = actor.sessionIssuerName ?? roleOfAssumedArn(actor.arn) ?? actor.name;
      return `role:${role}/${sessionPattern(actor.sessionName ?? '')}`;
    }
    case 'aws-service':
      return `service:${actor.invokedBy ?? actor.name}`;
    default:
      return `${actor.type}:${actor.arn ? withoutAccount(actor.arn) : actor.name}`;
  }
}

/** What a change acted on, regardless of account: kind, name, policy and version, account ids as `*`. */
export function targetIdentity(change: Pick<Change, 'target'>): string {
  const { target } = change;
  return [
    target.kind,
    target.name,
    target.policyArn ? withoutAccount(target.policyArn) : '',
    target.policyName ?? '',
    target.versionId ?? '',
  ].join('|');
}

/**
 * The same change in whichever account: caller identity, event source and name, outcome (with the error code of a
 * failed call) and target. Changes with equal keys within the burst window are one message.
 */
export function fleetKey(change: Change): string {
  const outcome = change.outcome === 'failed' ? `failed:${change.errorCode ?? ''}` : 'success';
  return [
    actorIdentity(change.actor),
    change.eventSource,
    change.eventName,
    outcome,
    targetIdentity(change),
  ].join('#');
}

/** The account a change was made in (CloudTrail's `recipientAccountId`: where it is reverted). */
export function accountOf(change: Pick<Change, 'accountId'>): string {
  return change.accountId;
}

/** How changes are grouped into one message: a caller's run of changes, or one change made in many accounts. */
export type GroupKind = 'session' | 'fleet';

/**
 * The group a change joins. A severe change (critical, high) is grouped only with the same change — same caller
 * identity, event, outcome, target and level — in other accounts (`fleet`), so its message stays about one thing
 * and keeps its single `@here`; a fleet group spans channels: its one message goes where the routing table sends
 * the group's first change. Any other change joins its caller's run (`session`), keyed by the caller's identity
 * regardless of account, in `channel` (the change's route): a run never spans channels.
 */
export function groupOf(
  change: Change & { risk: { level: string } },
  channel: string,
  severe: boolean,
): { key: string; kind: GroupKind } {
  return severe
    ? { key: `fleet#${change.risk.level}#${fleetKey(change)}`, kind: 'fleet' }
    : { key: `${channel}#${actorIdentity(change.actor)}`, kind: 'session' };
}
