/**
 * The member accounts' forwarding of IAM changes to the central bus (`templates/member-account.yml`), watched: a
 * call that stops or bends it — deleting or disabling the rule `iam-changes-forward`, removing its target, or
 * rewriting its pattern, state or target (`PutRule`, `PutTargets`) — is recorded by CloudTrail like any other and
 * forwarded, before the rule goes, by the rule itself and by its watch rule `iam-changes-forward-watch`. Pure: a
 * CloudTrail record in, the fact out.
 */
import { CIS44_EVENT_NAMES } from './events';
import type { CloudTrailRecord } from './input';

/** The forwarding rule's name in every member account, and the rule that watches it. */
export const FORWARDING_RULE = 'iam-changes-forward';
export const FORWARDING_WATCH_RULE = 'iam-changes-forward-watch';

/**
 * The EventBridge calls that stop a rule from forwarding, or rewrite it: `PutRule` can disable it or narrow its
 * pattern (hiding one caller's changes only), `PutTargets` can aim its target elsewhere.
 */
export const FORWARDING_STOP_EVENTS = [
  'DeleteRule',
  'DisableRule',
  'RemoveTargets',
  'PutRule',
  'PutTargets',
] as const;

/** A call that stopped (or, when it failed, tried to stop) a member account's forwarding. */
export interface ForwardingStop {
  eventId: string;
  eventName: (typeof FORWARDING_STOP_EVENTS)[number];
  /** The rule it acted on: the forwarding rule or its watch rule. */
  ruleName: string;
  /** The account whose forwarding it is (CloudTrail's `recipientAccountId`). */
  accountId: string;
  /** Who called: the ARN, else the principal id, else `unknown`. */
  caller: string;
  eventTime: string;
  /** Set when the call failed (`AccessDenied`): an attempt, forwarding goes on. */
  errorCode?: string;
  /**
   * True when the call rewrote the rule rather than stopped it (`PutRule` leaving it enabled, `PutTargets`):
   * forwarding may go on, narrowed or elsewhere. A redeploy of the member template does this too.
   */
  rewrite?: boolean;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * The stop a record is, or `undefined` for any other record: an `events.amazonaws.com` call among
 * {@link FORWARDING_STOP_EVENTS} naming {@link FORWARDING_RULE} or {@link FORWARDING_WATCH_RULE} (DeleteRule,
 * DisableRule and PutRule name the rule `name`, RemoveTargets and PutTargets `rule`) on the account's default bus.
 */
export function forwardingStopOf(record: CloudTrailRecord): ForwardingStop | undefined {
  if (record.eventSource !== 'events.amazonaws.com') return undefined;
  const eventName = FORWARDING_STOP_EVENTS.find((name) => name === record.eventName);
  if (!eventName) return undefined;
  const request = (record.requestParameters ?? {}) as Record<string, unknown>;
  const ruleName = text(request.name) ?? text(request.rule);
  if (ruleName !== FORWARDING_RULE && ruleName !== FORWARDING_WATCH_RULE) return undefined;
  const bus = text(request.eventBusName);
  if (bus !== undefined && bus !== 'default' && !bus.endsWith(':event-bus/default')) return undefined;
  const identity = (record.userIdentity ?? {}) as Record<string, unknown>;
  const accountId = text(record.recipientAccountId) ?? text(identity.accountId) ?? 'unknown';
  // A bus named by ARN must be the account's own: a call on another account's bus says nothing of this one.
  if (bus?.startsWith('arn:') && bus.split(':')[4] !== accountId) return undefined;
  const stop: ForwardingStop = {
    eventId: text(record.eventID) ?? `${eventName}:${accountId}:${String(record.eventTime)}`,
    eventName,
    ruleName,
    accountId,
    caller: text(identity.arn) ?? text(identity.principalId) ?? 'unknown',
    eventTime: text(record.eventTime) ?? '',
  };
  const errorCode = text(record.errorCode);
  if (errorCode) stop.errorCode = errorCode;
  const disables = eventName === 'PutRule' && text(request.state)?.toUpperCase() === 'DISABLED';
  if ((eventName === 'PutRule' && !disables) || eventName === 'PutTargets') stop.rewrite = true;
  return stop;
}

/**
 * The IAM events a member account's forwarding rule matches, as `templates/member-account.yml` writes them: the 16
 * CIS 4.4 calls with `SetDefaultPolicyVersion` and `UpdateAssumeRolePolicy`, or (`AllWrites`) every IAM write. The
 * same patterns as the stack's `custom.iamEventPatterns` (a test keeps them equal).
 */
export const FORWARDED_EVENT_PATTERNS = {
  cis44: {
    source: ['aws.iam'],
    'detail-type': ['AWS API Call via CloudTrail'],
    detail: {
      eventSource: ['iam.amazonaws.com'],
      eventName: [...CIS44_EVENT_NAMES, 'SetDefaultPolicyVersion', 'UpdateAssumeRolePolicy'],
    },
  },
  allWrites: {
    source: ['aws.iam'],
    'detail-type': ['AWS API Call via CloudTrail'],
    detail: { eventSource: ['iam.amazonaws.com'], readOnly: [false] },
  },
} as const;

/**
 * The calls a member account's watch rule ({@link FORWARDING_WATCH_RULE}) forwards, as `templates/member-account.yml`
 * writes them: the stack's `custom.forwardingStopPattern` (a test keeps the three equal).
 */
export const FORWARDING_STOP_PATTERN = {
  source: ['aws.events'],
  'detail-type': ['AWS API Call via CloudTrail'],
  detail: {
    eventSource: ['events.amazonaws.com'],
    eventName: [...FORWARDING_STOP_EVENTS],
    $or: [
      { requestParameters: { name: [FORWARDING_RULE, FORWARDING_WATCH_RULE] } },
      { requestParameters: { rule: [FORWARDING_RULE, FORWARDING_WATCH_RULE] } },
    ],
  },
} as const;

/** The role the member template's forwarding rule puts events on the central bus with. */
export const FORWARDER_ROLE = 'iam-changes-forwarder';

/** What a member account's forwarding rule is, as `DescribeRule` and `ListTargetsByRule` tell it. */
export interface ForwardingRuleFacts {
  /** False when the account has no rule of that name on its default bus. */
  exists: boolean;
  /** `ENABLED`, `DISABLED`, `ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS`. */
  state?: string;
  /** The rule's event pattern, as JSON text. */
  eventPattern?: string;
  targets: Array<{
    arn?: string;
    roleArn?: string;
    /** The target sends something else than the event: `Input`, `InputPath` or an input transformer. */
    transformsInput: boolean;
  }>;
}

/** What a member account's two rules are: the forwarding rule and the watch rule that forwards the calls on it. */
export interface MemberForwardingFacts {
  forward: ForwardingRuleFacts;
  watch: ForwardingRuleFacts;
}

/** What can be wrong with one rule (see {@link ForwardingProblem}). */
export type RuleProblem = 'missing' | 'disabled' | 'pattern' | 'retargeted' | 'target-role' | 'input';

/**
 * What can be wrong with a member account's forwarding: of the forwarding rule, gone; not enabled; matching other
 * events than the template's; no target on the central bus; that target put with another role than the template's
 * (one that may not put events there); that target sending something else than the event. The same of the watch
 * rule, prefixed `watch-`: IAM changes may still arrive, but a call that stops their forwarding is no longer seen.
 */
export type ForwardingProblem = RuleProblem | `watch-${RuleProblem}`;

/** What the rule should be in `accountId`. */
export interface ForwardingExpectation {
  accountId: string;
  /** The central bus's ARN (the stack's `CentralEventBusArn`). */
  centralBusArn: string;
  /**
   * The stack forwards every IAM write (`allWrites`): only that pattern is whole. Otherwise the CIS 4.4 pattern and
   * the every-write one (which holds more) are both whole.
   */
  allWrites: boolean;
}

/** One account's forwarding as last checked: whole, with problems, or not checkable (and why, in one line). */
export type ForwardingHealth =
  | { status: 'healthy' }
  | { status: 'broken'; problems: ForwardingProblem[] }
  | { status: 'unchecked'; reason: string };

/** An equality key of a health: the same key, the same state (a changed reason alone is no new state). */
export function healthKey(health: ForwardingHealth): string {
  if (health.status === 'broken') return `broken:${[...health.problems].sort().join(',')}`;
  return health.status;
}

/** A JSON value with its object keys sorted and its arrays as sorted sets: patterns compared by meaning. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value))
    return value
      .map(canonical)
      .map((item) => JSON.stringify(item))
      .sort()
      .map((text) => JSON.parse(text) as unknown);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, item]) => [key, canonical(item)]),
    );
  return value;
}

function samePattern(text: string | undefined, pattern: unknown): boolean {
  if (text === undefined) return false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return false;
  }
  return JSON.stringify(canonical(parsed)) === JSON.stringify(canonical(pattern));
}

const ENABLED_STATES = new Set(['ENABLED', 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS']);

function ruleProblems(
  facts: ForwardingRuleFacts,
  whole: readonly unknown[],
  expected: ForwardingExpectation,
): RuleProblem[] {
  if (!facts.exists) return ['missing'];
  const problems: RuleProblem[] = [];
  if (!ENABLED_STATES.has(facts.state ?? '')) problems.push('disabled');
  if (!whole.some((pattern) => samePattern(facts.eventPattern, pattern))) problems.push('pattern');
  const central = facts.targets.filter((target) => target.arn === expected.centralBusArn);
  if (central.length === 0) problems.push('retargeted');
  else {
    const role = new RegExp(`^arn:aws[\\w-]*:iam::${expected.accountId}:role/${FORWARDER_ROLE}$`);
    const withRole = central.filter((target) => role.test(target.roleArn ?? ''));
    if (withRole.length === 0) problems.push('target-role');
    else if (withRole.every((target) => target.transformsInput)) problems.push('input');
  }
  return problems;
}

function healthOf(problems: ForwardingProblem[]): ForwardingHealth {
  return problems.length === 0 ? { status: 'healthy' } : { status: 'broken', problems };
}

/**
 * Judges a member account's forwarding rule against the template: every problem found, none when it forwards as
 * the template does. A target on another bus beside the central one is not a problem (the events still arrive).
 */
export function judgeForwarding(
  facts: ForwardingRuleFacts,
  expected: ForwardingExpectation,
): ForwardingHealth {
  const whole = expected.allWrites
    ? [FORWARDED_EVENT_PATTERNS.allWrites]
    : [FORWARDED_EVENT_PATTERNS.cis44, FORWARDED_EVENT_PATTERNS.allWrites];
  return healthOf(ruleProblems(facts, whole, expected));
}

/**
 * Judges both of a member account's rules: the forwarding rule as {@link judgeForwarding} does, and the watch rule
 * against {@link FORWARDING_STOP_PATTERN} with the same target (its problems prefixed `watch-`). Whoever deletes or
 * narrows the watch rule first, then acts on the forwarding rule, is seen here even when no call was.
 */
export function judgeMemberForwarding(
  facts: MemberForwardingFacts,
  expected: ForwardingExpectation,
): ForwardingHealth {
  const forward = judgeForwarding(facts.forward, expected);
  const watch = ruleProblems(facts.watch, [FORWARDING_STOP_PATTERN], expected).map(
    (problem) => `watch-${problem}` as const,
  );
  return healthOf([...(forward.status === 'broken' ? forward.problems : []), ...watch]);
}
