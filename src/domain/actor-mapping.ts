/**
 * Who to ask "was this you?" about a change: the Slack user behind the AWS caller. Pure — the configured mapping,
 * the IAM user's tags (read by the caller of these functions) and the caller itself in, a Slack user id or an
 * e-mail address to look up out.
 *
 * The order decides: a configured mapping first (the operator said so), then an IAM user's `slack` or `email` tag,
 * then what the session itself says — an IAM Identity Center user name or session name that is an e-mail address.
 *
 * Who is asked must not be the caller's choice, or a caller picks an accomplice to say "Yes". So mapping rules match
 * only parts of the identity AWS sets — an IAM user's ARN and name, the role (or IAM user) that issued a session, an
 * IAM Identity Center session (whose session name AWS sets to the user) — never a role session name or a federated
 * user's name, which whoever calls `AssumeRole` / `GetFederationToken` picks. A role session name that reads as an
 * e-mail is used only for Identity Center sessions, or when the operator turns on `trustSessionNames`. An IAM user's
 * own tags are used (the `TagUser` permission is the operator's to guard), and every target says how it was found,
 * so the alert can say how much a "Yes" is worth.
 */
import type { Actor } from './types';

/**
 * One configured rule: callers whose identity matches `match` (a glob, `*` any run) are `slack` — an IAM user's ARN or
 * name, a session's issuing role (or IAM user) ARN, an IAM Identity Center session's ARN or user name; never a role
 * session name or federated user name the caller picked.
 */
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

/**
 * How each source of a target is told on the alert and in the DM's record, so responders weigh a "Yes": whether the
 * caller could have picked the person asked.
 */
export const ACTOR_SOURCE_EXPLAINED: Record<ActorSource, string> = {
  mapping: 'found by the configured mapping',
  'iam-tag': "found by the IAM user's own tag",
  'identity-center': 'found by IAM Identity Center',
  'session-name': 'found by the session name, which the caller chooses',
};

/** What the resolver may trust beyond what AWS sets. */
export interface AskTargetOptions {
  /**
   * Use a role session name that is an e-mail address even outside IAM Identity Center. Off by default: whoever
   * calls `AssumeRole` chooses the session name, so they choose who is asked.
   */
  trustSessionNames?: boolean;
}

/**
 * True for a session of an IAM Identity Center permission set: the `AWSReservedSSO_…` role under the
 * `/aws-reserved/sso.amazonaws.com/` path, which only IAM Identity Center can create (a role of the same name
 * anyone makes elsewhere does not count). Its session name is the user's sign-in name, set by AWS.
 */
export function isIdentityCenterSession(actor: Actor): boolean {
  return (
    Boolean(actor.ssoPermissionSet) &&
    /:role\/aws-reserved\/sso\.amazonaws\.com\//.test(actor.sessionIssuerArn ?? '')
  );
}

/**
 * The parts of the caller's identity a mapping rule may match: the ones the caller cannot choose. An IAM user's ARN
 * and name; a session's issuer (the role, or the IAM user behind a federation token); an IAM Identity Center
 * session's own ARN and name too (AWS sets them to the user). Never a role session name or a federated user's name.
 */
function mappableNames(actor: Actor): string[] {
  const names: Array<string | undefined> = [actor.sessionIssuerArn];
  if (actor.type === 'iam-user' || actor.type === 'identity-center-user' || isIdentityCenterSession(actor)) {
    names.push(actor.arn, actor.name);
  }
  return names.filter((name): name is string => Boolean(name));
}

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
  options: AskTargetOptions = {},
): AskTarget | undefined {
  const names = mappableNames(actor);
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
  // An IAM Identity Center session's name is the user's sign-in name, usually their e-mail, set by AWS. Any other
  // session's name is the caller's choice: used only when the operator said so.
  if (actor.sessionName && isEmail(actor.sessionName)) {
    if (isIdentityCenterSession(actor))
      return { kind: 'email', email: actor.sessionName, source: 'identity-center' };
    if (options.trustSessionNames) return { kind: 'email', email: actor.sessionName, source: 'session-name' };
  }
  return undefined;
}
