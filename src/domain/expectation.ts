/**
 * Expected changes: a responder announces planned work (`/iam-changes expect role/ci-runner 2h deploy #812`, or
 * `by <actor>`, or an event glob such as `Put*Policy`). A change that matches within the window is lowered one
 * level and threaded under the announcement; a change on the announced target outside the window, or by someone
 * other than the announced actor, is called out as unexpected. Pure: the caller passes `now`.
 *
 * `in <account id>` limits an expectation to one account: changes in other accounts are neither expected nor
 * called unexpected by it. A change made up to {@link EXPECTATION_GRACE_MS} before the announcement is expected,
 * not unexpected, only when the expectation names its actor (`by <actor>`) and the change's caller matches: work is
 * often started just before it is announced, but without a named actor the grace would let anyone's change made
 * just before an announcement pass as planned. A responder may end an expectation early; from then on it is over like any other.
 */
import { type AssessedChange, type Change, RISK_LEVELS, type RiskLevel } from './types';

/** An announced piece of planned work, as stored. */
export interface Expectation {
  id: string;
  /** `role/ci-runner`: the target kind and name. */
  resource?: string;
  /** A glob on the actor's name, ARN or session issuer (`ci-runner`, `terraform-*`). */
  actor?: string;
  /** A glob on the event name (`Put*Policy`). */
  eventGlob?: string;
  /** The one account it is about (`in 111122223333`); any account when absent. */
  accountId?: string;
  /** That account's name in the organisation when it was announced (for people; never matched on). */
  accountName?: string;
  note: string;
  startsAt: string;
  endsAt: string;
  createdBy: { slackUserId: string; name: string };
  /** The announcement's message: matching changes are threaded under it. */
  message?: { channel: string; ts: string };
  /** Set when a responder ended it before its window was over (`endsAt` is then when). */
  endedEarly?: { by: { slackUserId: string; name: string }; at: string };
}

/** How long before its announcement a matching change still counts as expected. */
export const EXPECTATION_GRACE_MS = 5 * 60_000;

/** What `/iam-changes expect …` asked for, before it is stored. */
export interface ExpectationRequest {
  resource?: string;
  actor?: string;
  eventGlob?: string;
  accountId?: string;
  durationMs: number;
  note: string;
}

/** The longest window an expectation may announce. */
export const MAX_EXPECTATION_MS = 7 * 86_400_000;

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Reads `<subject…> <duration> [note]` (the words after `expect`): a target `role/…`, `user/…`, `group/…` or
 * `policy/…`, `by <actor>`, an event glob, in any combination (at least one), optionally `in <12-digit account
 * id>`, then a duration (`30m`, `2h`, `1d`; at most 7 days), then an optional note. Returns one line saying what is
 * wrong otherwise.
 */
export function parseExpectation(
  text: string,
): { ok: true; request: ExpectationRequest } | { ok: false; error: string } {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const request: Partial<ExpectationRequest> = {};
  let index = 0;
  for (; index < words.length; index += 1) {
    const word = words[index] ?? '';
    const duration = /^(\d{1,4})([mhd])$/.exec(word);
    if (duration) {
      request.durationMs = Number(duration[1]) * (UNITS[duration[2] ?? 'h'] ?? 0);
      index += 1;
      break;
    }
    if (word === 'by') {
      const actor = words[index + 1];
      if (!actor) return { ok: false, error: '`by` needs an actor: `by ci-runner`' };
      request.actor = actor.slice(0, 200);
      index += 1;
    } else if (word === 'in') {
      const account = words[index + 1];
      if (!account || !/^\d{12}$/.test(account)) {
        return { ok: false, error: '`in` needs a 12-digit account id: `in 111122223333`' };
      }
      request.accountId = account;
      index += 1;
    } else if (/^(role|user|group|policy)\/\S+$/.test(word)) {
      request.resource = word.slice(0, 300);
    } else if (/^[A-Z][A-Za-z*?]*$/.test(word)) {
      request.eventGlob = word.slice(0, 100);
    } else {
      return {
        ok: false,
        error: `"${word.slice(0, 60)}" is not a target (role/…, user/…, group/…, policy/…), \`by <actor>\`, an event glob or a duration`,
      };
    }
  }
  if (!request.resource && !request.actor && !request.eventGlob) {
    return { ok: false, error: 'say what to expect: `expect role/ci-runner 2h deploy #812`' };
  }
  if (request.durationMs === undefined) return { ok: false, error: 'give a window: `2h`, `30m` or `1d`' };
  if (request.durationMs <= 0 || request.durationMs > MAX_EXPECTATION_MS) {
    return { ok: false, error: 'a window lasts from 1 minute to 7 days' };
  }
  return {
    ok: true,
    request: { ...request, durationMs: request.durationMs, note: words.slice(index).join(' ').slice(0, 300) },
  };
}

/** True when `value` matches a glob of `*` and `?` (case-insensitive); written by hand: a few lines, no regex input. */
export function globMatches(glob: string, value: string): boolean {
  const g = glob.toLowerCase();
  const v = value.toLowerCase();
  const match = (gi: number, vi: number): boolean => {
    if (gi === g.length) return vi === v.length;
    const c = g[gi];
    if (c === '*') {
      for (let k = vi; k <= v.length; k += 1) if (match(gi + 1, k)) return true;
      return false;
    }
    return vi < v.length && (c === '?' || c === v[vi]) && match(gi + 1, vi + 1);
  };
  return match(0, 0);
}

function targetOf(change: Change): string {
  return `${change.target.kind}/${change.target.name}`;
}

function actorMatches(glob: string, change: Change): boolean {
  const { actor } = change;
  return [actor.name, actor.arn, actor.sessionIssuerName, actor.sessionIssuerArn]
    .filter((value): value is string => typeof value === 'string' && value !== '')
    .some((value) => globMatches(glob, value));
}

/**
 * Within the window. The grace before the announcement counts only when the expectation names the actor and the
 * change's caller is that actor.
 */
function within(expectation: Expectation, change: Change): boolean {
  const time = Date.parse(change.eventTime);
  const graced = expectation.actor !== undefined && actorMatches(expectation.actor, change);
  const opens = Date.parse(expectation.startsAt) - (graced ? EXPECTATION_GRACE_MS : 0);
  return time >= opens && time <= Date.parse(expectation.endsAt);
}

/** An expectation limited to an account says nothing about changes in any other. */
function inAccount(expectation: Expectation, change: Change): boolean {
  return !expectation.accountId || expectation.accountId === change.accountId;
}

/**
 * The expectation ended early by `by` at `now`: its window closes then. Undefined when it is already over (there
 * is nothing to end).
 */
export function endExpectation(
  expectation: Expectation,
  by: { slackUserId: string; name: string },
  now: Date,
): Expectation | undefined {
  if (Date.parse(expectation.endsAt) <= now.getTime()) return undefined;
  const at = now.toISOString();
  return { ...expectation, endsAt: at, endedEarly: { by, at } };
}

/** How a change stands against the expectations: expected by one, unexpected against one, or neither. */
export type ExpectationVerdict =
  | { kind: 'expected'; expectation: Expectation }
  | { kind: 'unexpected'; expectation: Expectation; why: string }
  | { kind: 'none' };

/**
 * Judges a change against the expectations: the first whose every given part matches within its window makes
 * it expected; otherwise one naming its target makes it unexpected — outside the window, or by someone other
 * than the announced actor.
 */
export function judgeExpected(expectations: readonly Expectation[], change: Change): ExpectationVerdict {
  for (const expectation of expectations) {
    if (!inAccount(expectation, change)) continue;
    if (!within(expectation, change)) continue;
    if (expectation.resource && expectation.resource !== targetOf(change)) continue;
    if (expectation.actor && !actorMatches(expectation.actor, change)) continue;
    if (expectation.eventGlob && !globMatches(expectation.eventGlob, change.eventName)) continue;
    return { kind: 'expected', expectation };
  }
  for (const expectation of expectations) {
    if (!inAccount(expectation, change)) continue;
    if (!expectation.resource || expectation.resource !== targetOf(change)) continue;
    if (!within(expectation, change)) {
      return { kind: 'unexpected', expectation, why: 'outside the announced window' };
    }
    if (expectation.actor && !actorMatches(expectation.actor, change)) {
      return { kind: 'unexpected', expectation, why: `not by the announced actor ${expectation.actor}` };
    }
  }
  return { kind: 'none' };
}

/** The level one below `level` (info stays info). */
export function lowerOneLevel(level: RiskLevel): RiskLevel {
  const index = RISK_LEVELS.indexOf(level);
  return RISK_LEVELS[Math.min(index + 1, RISK_LEVELS.length - 1)] ?? level;
}

/** The change as the verdict leaves it: lowered one level with the reason, or with the unexpected reason added. */
export function applyVerdict(change: AssessedChange, verdict: ExpectationVerdict): AssessedChange {
  if (verdict.kind === 'none') return change;
  const { expectation } = verdict;
  const note = expectation.note ? ` (${expectation.note})` : '';
  if (verdict.kind === 'unexpected') {
    return {
      ...change,
      risk: {
        ...change.risk,
        reasons: [
          ...change.risk.reasons,
          `Unexpected: ${expectation.resource} was announced${note} by ${expectation.createdBy.name}, but this change is ${verdict.why}`,
        ],
      },
    };
  }
  const level = lowerOneLevel(change.risk.level);
  return {
    ...change,
    risk: {
      ...change.risk,
      level,
      reasons: [
        `Expected: announced by ${expectation.createdBy.name}${note}; lowered from ${change.risk.level}`,
        ...change.risk.reasons,
      ],
    },
    expected: { id: expectation.id, ...(expectation.message ? { message: expectation.message } : {}) },
  };
}
