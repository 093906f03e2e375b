/**
 * Who to ask "was this you?" about a change: the Slack user behind the AWS caller. Pure — the configured mapping,
 * the IAM user's tags (read by the caller of these functions) and the caller itself in, a Slack user id or an
 * e-mail address to look up out.
 *
 * The order decides: a configured mapping first (the operator said so), then an IAM user's `slack` or `email` tag,
 * then what the session itself says — an IAM Identity Center user name or session name that is an e-mail address.
 */
import type { Actor } from './types';

/** One configured rule: callers whose ARN or name matches `match` (a glob, `*` any run) are `slack`. */
export interface ActorMappingRule {
  match: string;
  /** A Slack user id (`U…`, `W…`) or an e-mail address `users.lookupByEmail` knows. */
  slack: string;
}

/** Where a Slack user for the caller came from, said on the alert and in the audit log. */
export type ActorSource = 'mapping' | 'iam-tag' | 'identity-center' | 'session-name';

/** The Slack user to ask: by id, or by e-mail (to look up), and how it was found. */
export type AskTarget =
  | { kind: 'user'; userId: string; source: ActorSource }
  | { kind: 'email'; email: string; source: ActorSource };

/** A Slack user id as Slack writes it: `U…`, or `W…` on Enterprise Grid. */
export const SLACK_USER_ID = /^[UW][A-Z0-9]{2,}$/;

/** A plain e-mail address (one `@`, a dot in the domain, no spaces or angle brackets). */
const EMAIL = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;

/** True when `value` reads as an e-mail address. */
export function isEmail(value: string): boolean {
  return value.length <= 254 && EMAIL.test(value);
}

/** Glob match: `*` is any run of characters, everything else literal; case-sensitive like ARNs. */
export function globMatches(pattern: string, text: string): boolean {
  // Written by hand: a two-pointer wildcard match, linear in practice and with no regular expression built from
  // configuration.
  let p = 0;
  let t = 0;
  let star = -1;
  let mark = 0;
  while (t < text.length) {
    if (p < pattern.length && pattern[p] !== '*' && pattern[p] === text[t]) {
      p += 1;
      t += 1;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p;
      mark = t;
      p += 1;
    } else if (star !== -1) {
      p = star + 1;
      mark += 1;
      t = mark;
    } else return false;
  }
  while (p < pattern.length && pattern[p] === '*') p += 1;
  return p === pattern.length;
}

/**
 * Reads the configured mapping: a JSON object `{ "<glob>": "<Slack user id or e-mail>" }` or a list of
 * `{ "match": …, "slack": … }`. Throws an `Error` with one line saying what is wrong.
 */
export function parseActorMapping(text: string): ActorMappingRule[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error('the actor mapping is not JSON');
  }
  const entries: Array<[unknown, unknown]> = Array.isArray(value)
    ? value.map((rule) => [
        (rule as Record<string, unknown> | null)?.match,
        (rule as Record<string, unknown> | null)?.slack,
      ])
    : typeof value === 'object' && value !== null
      ? Object.entries(value)
      : [];
  if (!Array.isArray(value) && (typeof value !== 'object' || value === null)) {
    throw new Error('the actor mapping must be a JSON object of glob → Slack user id or e-mail');
  }
  return entries.map(([match, slack], index) => {
    if (typeof match !== 'string' || match.trim() === '')
      throw new Error(`actor mapping rule ${index + 1} has no glob to match`);
    if (typeof slack !== 'string' || !(SLACK_USER_ID.test(slack) || isEmail(slack)))
      throw new Error(
        `actor mapping rule ${JSON.stringify(match)} maps to neither a Slack user id (U…, W…) nor an e-mail`,
      );
    return { match: match.trim(), slack };
  });
}

function targetOf(value: string, source: ActorSource): AskTarget | undefined {
  const trimmed = value.trim();
  if (SLACK_USER_ID.test(trimmed)) return { kind: 'user', userId: trimmed, source };
  if (isEmail(trimmed)) return { kind: 'email', email: trimmed, source };
  return undefined;
}

/**
 * The Slack user to ask about a change by `actor`, or undefined when nobody can be named (a service, root, a role
 * session with no e-mail and no rule). `tags` are the IAM user's tags when the caller is an IAM user (keys compared
 * without case: `slack`, `email`).
 */
export function askTargetOf(
  actor: Actor,
  rules: readonly ActorMappingRule[],
  tags: Readonly<Record<string, string>> = {},
): AskTarget | undefined {
  const names = [actor.arn, actor.name, actor.sessionIssuerArn].filter((n): n is string => Boolean(n));
  for (const rule of rules) {
    if (names.some((name) => globMatches(rule.match, name))) return targetOf(rule.slack, 'mapping');
  }
  if (actor.type === 'root' || actor.type === 'aws-service' || actor.type === 'aws-account') return undefined;
  if (actor.type === 'iam-user') {
    const lower = new Map(Object.entries(tags).map(([key, value]) => [key.toLowerCase(), value]));
    for (const key of ['slack', 'email']) {
      const value = lower.get(key);
      const target = value === undefined ? undefined : targetOf(value, 'iam-tag');
      if (target) return target;
    }
    return undefined;
  }
  if (actor.type === 'identity-center-user' && isEmail(actor.name)) {
    return { kind: 'email', email: actor.name, source: 'identity-center' };
  }
  // An IAM Identity Center session's name is the user's sign-in name, usually their e-mail.
  if (actor.sessionName && isEmail(actor.sessionName)) {
    return {
      kind: 'email',
      email: actor.sessionName,
      source: actor.ssoPermissionSet ? 'identity-center' : 'session-name',
    };
  }
  return undefined;
}
