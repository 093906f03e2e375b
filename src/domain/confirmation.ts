/**
 * A stored change against CloudTrail's own record of the same event: what a revert that adds access back relies
 * on (DESIGN §9). The store is only as honest as whoever could write it, so before re-granting anything the
 * worker reads the event from CloudTrail and acts only when the two agree on every field a revert is planned
 * from.
 */
import type { Change, RevertPlan, RevertStep } from './types';

/** IAM actions of a revert that take access away, and so may run before CloudTrail confirms the change. */
const REMOVING = new Set<string>([
  'iam:DetachRolePolicy',
  'iam:DetachUserPolicy',
  'iam:DetachGroupPolicy',
  'iam:DeleteRolePolicy',
  'iam:DeleteUserPolicy',
  'iam:DeleteGroupPolicy',
  'iam:DeletePolicy',
  'iam:DeletePolicyVersion',
]);

/**
 * True when a revert step can grant access: re-attaching, restoring a document or a trust policy, recreating a
 * policy or a version, setting a default version back. Detaching and deleting only take access away.
 */
export function stepAddsAccess(step: RevertStep): boolean {
  return !REMOVING.has(step.action);
}

/** True when any step of the plan can grant access (the revert must wait for CloudTrail to confirm). */
export function planAddsAccess(plan: Pick<RevertPlan, 'steps'>): boolean {
  return plan.steps.some(stepAddsAccess);
}

/** JSON with object keys sorted at every depth, so two equal values give one text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort())
    sorted[key] = sortKeys((value as Record<string, unknown>)[key]);
  return sorted;
}

/** Every field of a change that comes from its CloudTrail record, and so must agree with CloudTrail's own. */
const CALL_FIELDS = [
  'eventId',
  'eventName',
  'eventSource',
  'eventTime',
  'accountId',
  'recipientAccountId',
  'region',
  'outcome',
  'errorCode',
  'actor',
  'target',
  'documents',
  'requestParameters',
  'responseElements',
] as const satisfies ReadonlyArray<keyof Change>;

const FIELD_WORDS: Partial<Record<(typeof CALL_FIELDS)[number], string>> = {
  eventId: 'event id',
  eventName: 'event name',
  eventSource: 'event source',
  eventTime: 'event time',
  accountId: 'account',
  recipientAccountId: 'account acted in',
  actor: 'caller',
  target: 'target',
  documents: 'policy documents',
  requestParameters: 'request parameters',
  responseElements: 'response',
};

/**
 * How the stored change differs from CloudTrail's record of it (both normalised the same way), naming the first
 * field that differs; `undefined` when they agree on everything taken from the record — the call, its caller,
 * what it acted on (the revert is planned from that), its documents and parameters.
 */
export function callDifference(stored: Change, trail: Change): string | undefined {
  for (const field of CALL_FIELDS) {
    if (canonicalJson(stored[field]) === canonicalJson(trail[field])) continue;
    const words = FIELD_WORDS[field] ?? field;
    const mine = field === 'actor' ? stored.actor.arn || stored.actor.name : stored[field];
    const theirs = field === 'actor' ? trail.actor.arn || trail.actor.name : trail[field];
    return typeof mine === 'string' && typeof theirs === 'string'
      ? `the ${words} differs (stored ${mine}, CloudTrail ${theirs})`
      : `the ${words} differ${words.endsWith('s') ? '' : 's'}`;
  }
  return undefined;
}
