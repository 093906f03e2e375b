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

/**
 * How the stored change differs from CloudTrail's record of it (both normalised), in words naming the first
 * field that differs; `undefined` when they agree on the call — its name, source, account, time, caller, outcome
 * and every request parameter.
 */
export function callDifference(stored: Change, trail: Change): string | undefined {
  const fields: Array<[string, unknown, unknown]> = [
    ['event id', stored.eventId, trail.eventId],
    ['event name', stored.eventName, trail.eventName],
    ['event source', stored.eventSource, trail.eventSource],
    ['account', stored.accountId, trail.accountId],
    ['event time', stored.eventTime, trail.eventTime],
    ['caller', stored.actor.arn ?? stored.actor.name, trail.actor.arn ?? trail.actor.name],
    ['outcome', stored.outcome, trail.outcome],
  ];
  for (const [name, mine, theirs] of fields) {
    if (mine !== theirs) return `the ${name} differs (stored ${String(mine)}, CloudTrail ${String(theirs)})`;
  }
  if (canonicalJson(stored.requestParameters) !== canonicalJson(trail.requestParameters)) {
    return 'the request parameters differ';
  }
  return undefined;
}
