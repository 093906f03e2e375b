/**
 * The routing table: which Slack channel a change goes to. Rules are tried in order and the first whose every
 * given field matches wins; a change no rule matches goes to its level's channel, or the default channel. Pure:
 * the table is parsed and validated here (JSON text in, rules or one clear line out), and matched against a change
 * and what the account directory knows of its account.
 *
 * ```json
 * [
 *   { "account": ["prod-payments", "111122223333"], "level": "high+", "channel": "#payments-security" },
 *   { "ou": "Root/Sandbox", "channel": "#sandbox-noise" },
 *   { "event": "*AssumeRolePolicy", "actor": "arn:aws:sts::*:assumed-role/terraform-*", "channel": "C0INFRA" }
 * ]
 * ```
 */
import * as z from 'zod/mini';
import type { AccountFacts } from './accounts';
import { wildcardMatch } from './policy';
import { atLeast } from './risk/levels';
import { type AssessedChange, RISK_LEVELS, type RiskLevel } from './types';

/** A Slack channel id (`C0…`) or `#name`, as the per-level channels are configured. */
const CHANNEL = /^[#@]?[\w.-]+$/;
/** A level, or a level and everything more severe (`high+`). */
const LEVEL = new RegExp(`^(${RISK_LEVELS.join('|')})\\+?$`);

/** One or more strings: a single value or a list of them. */
const oneOrMore = (what: string) =>
  z.optional(
    z.union([
      z.string().check(z.minLength(1, `expected ${what}`)),
      z.array(z.string().check(z.minLength(1, `expected ${what}`))).check(z.minLength(1, `expected ${what}`)),
    ]),
  );

/**
 * The schema of one rule, built on the first table read: most deployments configure no routing table, and their
 * functions never pay for building it at start.
 */
function buildRuleSchema() {
  return z.strictObject({
    /** A rule's name, shown in logs; optional. */
    name: z.optional(z.string()),
    /** Account ids or names (case-insensitive); `*` is a wildcard. */
    account: oneOrMore('an account id or name'),
    /** OU paths (`Root/Workloads/Prod`, `Root/` optional): the account is under one of them. */
    ou: oneOrMore('an OU path'),
    /** Levels: `critical`, or `high+` for high and more severe. */
    level: z.optional(
      z.union([
        z
          .string()
          .check(z.regex(LEVEL, `expected a risk level (${RISK_LEVELS.join(', ')}), optionally with +`)),
        z
          .array(
            z
              .string()
              .check(z.regex(LEVEL, `expected a risk level (${RISK_LEVELS.join(', ')}), optionally with +`)),
          )
          .check(z.minLength(1, 'expected a risk level')),
      ]),
    ),
    /** Event name globs (`Put*`, `*RolePolicy`), without regard to case. */
    event: oneOrMore('an event name or glob'),
    /** Actor globs matched against the caller's ARN, the role or user that issued its session, and its name. */
    actor: oneOrMore('an actor ARN, name or glob'),
    channel: z.string().check(z.regex(CHANNEL, 'expected a Slack channel id or #name')),
  });
}

let ruleSchema: ReturnType<typeof buildRuleSchema> | undefined;

/** One rule of the table, with every field that takes a list as a list. */
export interface RoutingRule {
  name?: string;
  account?: string[];
  ou?: string[];
  level?: string[];
  event?: string[];
  actor?: string[];
  channel: string;
}

/** The rules, in the order they are tried. */
export type RoutingTable = readonly RoutingRule[];

/** A routing table that cannot be used. The message is one line naming the rule and what is wrong with it. */
export class RoutingTableError extends Error {
  override readonly name = 'RoutingTableError';
}

const asList = (value: string | string[] | undefined) =>
  value === undefined ? undefined : Array.isArray(value) ? value : [value];

/**
 * Reads a routing table from its JSON text: an array of rules (an empty text is an empty table). Throws
 * {@link RoutingTableError} with one line naming the first bad rule (its position and name) and the field.
 */
export function parseRoutingTable(text: string): RoutingRule[] {
  if (!text.trim()) return [];
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error: unknown) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new RoutingTableError(`routing table is not JSON: ${reason}`);
  }
  if (!Array.isArray(json)) throw new RoutingTableError('routing table must be a JSON array of rules');
  return json.map((entry: unknown, index) => {
    const label = `routing rule ${index + 1}${
      entry && typeof entry === 'object' && typeof (entry as { name?: unknown }).name === 'string'
        ? ` (${(entry as { name: string }).name})`
        : ''
    }`;
    ruleSchema ??= buildRuleSchema();
    const result = ruleSchema.safeParse(entry);
    if (!result.success) {
      const issue = result.error.issues[0];
      const field = issue?.path.length ? `${issue.path.join('.')}: ` : '';
      const message =
        issue?.code === 'unrecognized_keys'
          ? `unknown field ${issue.keys.join(', ')} (fields: name, account, ou, level, event, actor, channel)`
          : (issue?.message ?? 'invalid');
      throw new RoutingTableError(`${label}: ${field}${message}`);
    }
    const rule = result.data;
    if (!rule.account && !rule.ou && !rule.level && !rule.event && !rule.actor) {
      throw new RoutingTableError(
        `${label}: matches every change; give at least one of account, ou, level, event, actor`,
      );
    }
    const routed: RoutingRule = { channel: rule.channel };
    if (rule.name !== undefined) routed.name = rule.name;
    for (const key of ['account', 'ou', 'level', 'event', 'actor'] as const) {
      const list = asList(rule[key]);
      if (list) routed[key] = list;
    }
    return routed;
  });
}

/** The channels a change goes to when no rule matches: per level, then the default. */
export interface DefaultChannels {
  defaultChannel: string;
  channelByLevel: Partial<Record<RiskLevel, string>>;
}

/** Where a change goes, and which rule sent it there (`undefined`: the per-level default). */
export interface Route {
  channel: string;
  rule?: { index: number; name?: string };
}

function segments(path: string): string[] {
  return path
    .split('/')
    .map((part) => part.trim().toLowerCase())
    .filter(Boolean);
}

function underOu(ouPath: string | undefined, prefix: string): boolean {
  if (!ouPath) return false;
  const path = segments(ouPath);
  const wanted = segments(prefix);
  if (wanted.length === 0) return false;
  const starts = (from: string[]) =>
    wanted.length <= from.length && wanted.every((part, i) => wildcardMatch(part, from[i] ?? ''));
  return starts(path) || starts(path.slice(1));
}

function levelMatches(patterns: readonly string[], level: RiskLevel): boolean {
  return patterns.some((pattern) =>
    pattern.endsWith('+') ? atLeast(level, pattern.slice(0, -1) as RiskLevel) : pattern === level,
  );
}

/** True when every field the rule gives matches the change (and its account's facts). */
export function ruleMatches(
  rule: RoutingRule,
  change: Pick<AssessedChange, 'accountId' | 'eventName' | 'actor' | 'risk'>,
  account: AccountFacts | undefined,
): boolean {
  if (rule.account) {
    const names = [change.accountId, account?.name].filter((name): name is string => Boolean(name));
    if (!rule.account.some((pattern) => names.some((name) => wildcardMatch(pattern, name)))) return false;
  }
  if (rule.ou && !rule.ou.some((prefix) => underOu(account?.ouPath, prefix))) return false;
  if (rule.level && !levelMatches(rule.level, change.risk.level)) return false;
  if (rule.event && !rule.event.some((pattern) => wildcardMatch(pattern, change.eventName))) return false;
  if (rule.actor) {
    const { actor } = change;
    const names = [actor.arn, actor.sessionIssuerArn, actor.name].filter((name): name is string =>
      Boolean(name),
    );
    if (!rule.actor.some((pattern) => names.some((name) => wildcardMatch(pattern, name)))) return false;
  }
  return true;
}

/**
 * The channel for a change: the first rule that matches, else its level's channel, else the default. The
 * account's facts come from the change itself (`change.account`) unless given.
 */
export function routeChange(
  table: RoutingTable,
  change: Pick<AssessedChange, 'accountId' | 'eventName' | 'actor' | 'risk' | 'account'>,
  defaults: DefaultChannels,
  account: AccountFacts | undefined = change.account,
): Route {
  for (const [index, rule] of table.entries()) {
    if (ruleMatches(rule, change, account)) {
      return { channel: rule.channel, rule: { index, ...(rule.name ? { name: rule.name } : {}) } };
    }
  }
  return { channel: defaults.channelByLevel[change.risk.level] ?? defaults.defaultChannel };
}
