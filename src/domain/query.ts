/**
 * The `/iam-changes` query grammar: text in, a {@link Query} (or an error that points at what it did not
 * understand) out. Pure: `now` is passed in, and times are UTC.
 *
 * ```
 * /iam-changes [24h | 7d | 30m | last 7 days | since 2026-11-01 | between A and B | today | yesterday]
 *              [by <user, role or session>] [on role/<name> | user/<name> | group/<name> | policy/<name or arn>]
 *              [event <Name or Prefix*>] [in <account name | id | OU path>] [failed] [risk high+ | risk critical]
 *              [limit N] [share]
 * /iam-changes stats [30d]      /iam-changes status      /iam-changes help
 * ```
 *
 * Small and forgiving: clauses come in any order, keywords ignore case, extra spaces do not matter, `@alice` and
 * `alice` are the same, names may be quoted (straight or curly quotes, backticks), `by:alice` and `limit=50`
 * work, and a bare `role/x`, `@alice`, `Put*` or `critical` is understood without its keyword.
 */
import { isIamWrite } from './events';
import { atLeast } from './risk/levels';
import type { Actor, Change, Risk, RiskLevel } from './types';

/** What a query asks for: a list of changes, daily statistics, the CIS 4.4 status, or the help. */
export type QueryKind = 'list' | 'stats' | 'status' | 'help';

/** A parsed `/iam-changes` query. Ranges are `[start, end)`, ISO 8601 UTC. */
export interface Query {
  kind: QueryKind;
  start: string;
  end: string;
  /** A user, role or session name, or an ARN, as typed (without `@`); `*` is a wildcard. */
  actor?: string;
  /** `role/<name>`, `user/<name>`, `group/<name>` or `policy/<name or ARN>`; `*` in the name is a wildcard. */
  resource?: string;
  /** An event name or a glob (`Put*`, `*RolePolicy`), matched without regard to case. */
  eventPattern?: string;
  /** `in <term>`: an account name, a 12-digit id or an OU path (or OU name), as typed. */
  account?: string;
  /**
   * The accounts {@link Query.account} names, resolved through the account directory by the query use case
   * before the query runs: only changes in these accounts match. Absent: every account.
   */
  accountIds?: string[];
  /** Only calls that failed (denied attempts and other errors). */
  failedOnly: boolean;
  /** Only changes at this level or more severe. */
  minLevel?: RiskLevel;
  /** Changes listed at most (default {@link DEFAULT_LIMIT}, at most {@link MAX_LIMIT}). */
  limit: number;
  /** Post the answer in the channel for everyone instead of only to the person who asked. */
  share: boolean;
}

/** Where a query stopped making sense: `position` indexes the cleaned text (see {@link cleanCommandText}). */
export interface QueryError {
  message: string;
  position: number;
  /** The part of the text not understood (empty when something is missing at the end). */
  fragment: string;
}

/** The outcome of {@link parseQuery}. */
export type ParseResult = { ok: true; query: Query } | { ok: false; error: QueryError };

/** A query that could not be read, as an exception; {@link parseQuery} returns its {@link QueryError} instead. */
export class QueryParseError extends Error {
  override readonly name = 'QueryParseError';

  constructor(
    message: string,
    readonly position: number,
    readonly fragment: string,
  ) {
    super(message);
  }

  /** The plain-data form the renderers take. */
  toQueryError(): QueryError {
    return { message: this.message, position: this.position, fragment: this.fragment };
  }
}

/** Changes listed when the query gives no `limit`. */
export const DEFAULT_LIMIT = 20;
/** The largest `limit`: more would not fit one Slack message anyway. */
export const MAX_LIMIT = 200;
/** The range of a list query that names none. */
export const DEFAULT_LIST_DAYS = 7;
/** The range of `stats` when it names none. */
export const DEFAULT_STATS_DAYS = 30;
/** The longest range a query may name: DynamoDB keeps changes 400 days by default; ten years is plainly a typo. */
export const MAX_RANGE_DAYS = 3650;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The help text, with Slack mrkdwn emphasis and code spans; escape `<` and `>` before it goes into a message. */
export const QUERY_HELP = [
  '*`/iam-changes` — IAM policy changes the bot has seen*',
  '`/iam-changes [range] [by <who>] [on <resource>] [event <Name or Prefix*>] [in <account or OU>] [failed] [risk high+] [limit N] [share]`',
  '',
  '*Range* (default: last 7 days, UTC): `24h`, `7d`, `30m`, `2w`, `last 7 days`, `since 2026-11-01`, `between 2026-11-01 and 2026-11-05`, `today`, `yesterday`',
  '*by* a user, role or session: `by alice`, `@alice`, `by ci-runner`, `by "jane@example.com"`, or an ARN',
  '*on* a resource: `on role/ci-runner`, `user/bob`, `group/devs`, `policy/AdministratorAccess` or a policy ARN',
  '*event*: `event AttachRolePolicy`, `event Put*` (a prefix), names in any case',
  '*in* an account or OU: `in prod-payments` (its name), `in 111122223333`, `in Root/Workloads/Prod` (every account under that OU), `in Sandbox`',
  '*failed*: only calls that failed (denied attempts) · *risk* `high+` or `critical`: only that severe or worse',
  '*limit* `N`: list up to N changes (default 20, at most 200) · *share*: post the answer in the channel',
  '',
  '`/iam-changes stats [30d]` — changes per day, by level, actor and client · `/iam-changes status` — the CIS 4.4 checks · `/iam-changes help`',
  '`/iam-changes mutes` — active mutes, with Unmute · `/iam-changes expect role/ci-runner 2h deploy #812` (or `by <actor>`, an event glob) — announce planned work · `/iam-changes expectations`',
  'Examples: `/iam-changes 7d by alice` · `/iam-changes on role/ci-runner` · `/iam-changes failed risk high+ 24h`',
].join('\n');

// --- cleaning and tokens --------------------------------------------------------------------------------------

/**
 * The text of a slash command as a person typed it. Slack escapes `&`, `<` and `>` and, when the command asks
 * it to, turns `@alice` into `<@U123|alice>`, `#chan` into `<#C123|chan>` and e-mail addresses into
 * `<mailto:…|…>`: those become `@alice`, `#chan` and the address again. A mention without a label
 * (`<@U123>`) is kept as it is, and the parser says it cannot use it.
 */
export function cleanCommandText(text: string): string {
  return text
    .replace(/<([@#!]?)([^<>|]*)\|([^<>]*)>/g, (_whole, sigil: string, _id: string, label: string) =>
      sigil === '@' || sigil === '#' ? `${sigil}${label}` : label,
    )
    .replace(/<((?:mailto:|https?:\/\/)[^<>|]*)>/g, (_whole, target: string) =>
      target.replace(/^mailto:/, ''),
    )
    .replace(/<!(channel|here|everyone)>/g, '@$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

interface Token {
  /** The value, without quotes. */
  value: string;
  lower: string;
  /** Offsets in the cleaned text, quotes included. */
  start: number;
  end: number;
  quoted: boolean;
}

const QUOTES: Record<string, string> = {
  '"': '"',
  "'": "'",
  '`': '`',
  '“': '”',
  '”': '”',
  '‘': '’',
  '’': '’',
};

/** Keywords that may be glued to their value with `:` or `=` (`by:alice`, `limit=50`). */
const GLUED = /^(by|on|in|event|events|risk|level|severity|limit|top|since)[:=](.+)$/i;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < text.length) {
    const char = text.charAt(index);
    if (/\s/.test(char)) {
      index += 1;
      continue;
    }
    const closer = QUOTES[char];
    if (closer !== undefined) {
      const close = text.indexOf(closer, index + 1);
      // Some keyboards close “ with “ again.
      const alternative = char === '“' ? text.indexOf('“', index + 1) : -1;
      const end = close === -1 ? alternative : alternative === -1 ? close : Math.min(close, alternative);
      if (end === -1) {
        throw new QueryParseError(`the quote ${char} is never closed`, index, text.slice(index));
      }
      const value = text.slice(index + 1, end).trim();
      tokens.push({ value, lower: value.toLowerCase(), start: index, end: end + 1, quoted: true });
      index = end + 1;
      continue;
    }
    let end = index;
    while (end < text.length && !/\s/.test(text.charAt(end))) end += 1;
    const value = text.slice(index, end);
    const glued = GLUED.exec(value);
    if (glued?.[1] && glued[2]) {
      const keyword = glued[1];
      const rest = glued[2].replace(/^["'`“”‘’]|["'`“”‘’]$/g, '');
      tokens.push({
        value: keyword,
        lower: keyword.toLowerCase(),
        start: index,
        end: index + keyword.length,
        quoted: false,
      });
      tokens.push({
        value: rest,
        lower: rest.toLowerCase(),
        start: index + keyword.length + 1,
        end,
        quoted: true,
      });
    } else {
      tokens.push({ value, lower: value.toLowerCase(), start: index, end, quoted: false });
    }
    index = end;
  }
  return tokens;
}

// --- times ----------------------------------------------------------------------------------------------------

const UNITS: Array<[RegExp, number]> = [
  [/^(m|min|mins|minute|minutes)$/, MINUTE],
  [/^(h|hr|hrs|hour|hours)$/, HOUR],
  [/^(d|day|days)$/, DAY],
  [/^(w|wk|wks|week|weeks)$/, 7 * DAY],
  [/^(mo|month|months)$/, 30 * DAY],
];

function unitMs(unit: string): number | undefined {
  return UNITS.find(([pattern]) => pattern.test(unit))?.[1];
}

/** A date (`2026-11-01`, `2026/11/01`) with an optional time (`T10:00`, `10:00:30Z`): epoch ms, UTC. */
function parseDate(text: string): { ms: number; hasTime: boolean } | undefined {
  const match =
    /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?(z|[+-]\d{2}:?\d{2})?$/i.exec(
      text,
    );
  if (!match) return undefined;
  const [, year, month, day, hours, minutes, seconds, zone] = match;
  // Not Date.UTC: it reads years 0–99 as 1900–1999.
  const check = new Date(0);
  check.setUTCFullYear(Number(year), Number(month) - 1, Number(day));
  check.setUTCHours(Number(hours ?? 0), Number(minutes ?? 0), Number(seconds ?? 0), 0);
  const ms = check.getTime();
  if (
    check.getUTCMonth() !== Number(month) - 1 ||
    check.getUTCDate() !== Number(day) ||
    Number(hours ?? 0) > 23 ||
    Number(minutes ?? 0) > 59 ||
    Number(seconds ?? 0) > 59
  ) {
    return undefined;
  }
  let offset = 0;
  if (zone && zone.toLowerCase() !== 'z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    offset = sign * (Number(digits.slice(0, 2)) * HOUR + Number(digits.slice(2)) * MINUTE);
  }
  return { ms: ms - offset, hasTime: hours !== undefined };
}

const DATE_LIKE = /^\d{4}[-/]\d{1,2}[-/]\d{1,2}/;
const TIME_OF_DAY = /^(\d{1,2}):(\d{2})(?::(\d{2}))?(z)?$/i;

function startOfDay(ms: number): number {
  return ms - (((ms % DAY) + DAY) % DAY);
}

// --- the parser -----------------------------------------------------------------------------------------------

interface Range {
  start: number;
  end: number;
  /** The token that set it, for "two ranges" errors. */
  token: Token;
}

interface Draft {
  kind?: Exclude<QueryKind, 'list'>;
  range?: Range;
  actor?: string;
  actorToken?: Token;
  resource?: string;
  resourceToken?: Token;
  eventPattern?: string;
  eventToken?: Token;
  account?: string;
  accountToken?: Token;
  failedOnly: boolean;
  failedToken?: Token;
  minLevel?: RiskLevel;
  levelToken?: Token;
  limit?: number;
  limitToken?: Token;
  share: boolean;
}

const LEVEL_WORD = /^(critical|high|medium|low|info)(\+)?$/;
const RESOURCE = /^(role|user|group|policy)\/(.+)$/i;
const RESOURCE_ARN = /^arn:aws[\w-]*:iam::(\d{12}|aws):(role|user|group|policy)\/(.+)$/i;
const EVENT_PATTERN = /^[A-Za-z*]+$/;
const HELP_WORDS = new Set(['help', '?', '-h', '--help', 'usage']);
const NOISE = new Set(['list', 'show', 'changes', 'for']);
/** Words that start a clause: never taken as the value of the keyword before them unless quoted. */
const KEYWORDS = new Set([
  'by',
  'on',
  'event',
  'events',
  'failed',
  'risk',
  'level',
  'limit',
  'share',
  'since',
  'between',
  'last',
  'past',
  'stats',
  'status',
  'help',
]);

class Parser {
  private index = 0;
  private readonly draft: Draft = { failedOnly: false, share: false };

  constructor(
    private readonly text: string,
    private readonly tokens: Token[],
    private readonly now: number,
  ) {}

  parse(): Query {
    // `help` anywhere wins: whoever typed it wants the help, whatever else they wrote.
    if (this.tokens.some((token) => !token.quoted && HELP_WORDS.has(token.lower))) {
      this.draft.kind = 'help';
      return this.finish();
    }
    while (this.index < this.tokens.length) {
      const token = this.next();
      if (token) this.clause(token);
    }
    return this.finish();
  }

  private next(): Token | undefined {
    const token = this.tokens[this.index];
    this.index += 1;
    return token;
  }

  private peek(offset = 0): Token | undefined {
    return this.tokens[this.index + offset];
  }

  private fail(message: string, token: Token | undefined): never {
    if (!token) throw new QueryParseError(message, this.text.length, '');
    throw new QueryParseError(message, token.start, this.text.slice(token.start, token.end));
  }

  /** The value after a keyword: quoted or not, it is taken as it is. */
  private valueAfter(keyword: Token, what: string): Token {
    const value = this.next();
    if (!value || value.value === '' || (!value.quoted && KEYWORDS.has(value.lower))) {
      this.fail(`\`${keyword.lower}\` needs ${what}`, value ?? keyword);
    }
    return value;
  }

  private once<
    K extends 'actorToken' | 'resourceToken' | 'eventToken' | 'accountToken' | 'levelToken' | 'limitToken',
  >(key: K, token: Token, what: string): void {
    if (this.draft[key]) this.fail(`${what} is given twice: keep one`, token);
    this.draft[key] = token;
  }

  private clause(token: Token): void {
    const word = token.quoted ? '' : token.lower;
    switch (word) {
      case 'stats':
      case 'stat':
      case 'statistics':
        this.setKind('stats', token);
        return;
      case 'status':
        this.setKind('status', token);
        return;
      case 'last':
      case 'past':
        this.setRange(this.durationAfter(token), token);
        return;
      case 'since':
        this.since(token);
        return;
      case 'between':
      case 'from':
        this.between(token);
        return;
      case 'today':
        this.setRange({ start: startOfDay(this.now), end: this.now, token }, token);
        return;
      case 'yesterday': {
        const today = startOfDay(this.now);
        this.setRange({ start: today - DAY, end: today, token }, token);
        return;
      }
      case 'by':
      case 'actor':
      case 'who':
        this.actor(this.valueAfter(token, 'a user, role or session name, e.g. `by alice`'));
        return;
      case 'on':
      case 'resource':
        this.resource(token);
        return;
      case 'event':
      case 'events':
      case 'eventname':
        this.event(this.valueAfter(token, 'an event name or prefix, e.g. `event Put*`'));
        return;
      case 'failed':
      case 'failures':
      case 'failure':
      case 'fails':
      case 'denied':
      case 'errors':
        if (this.draft.failedToken) this.fail('`failed` is given twice', token);
        this.draft.failedToken = token;
        this.draft.failedOnly = true;
        return;
      case 'in':
      case 'account':
        this.account(token);
        return;
      case 'risk':
      case 'level':
      case 'severity':
        this.level(this.valueAfter(token, 'a level, e.g. `risk high+` or `risk critical`'), token);
        return;
      case 'limit':
      case 'top':
      case 'max':
        this.limit(this.valueAfter(token, 'a number, e.g. `limit 50`'));
        return;
      case 'share':
      case 'shared':
      case 'public':
        this.draft.share = true;
        return;
      default:
        this.bare(token);
    }
  }

  /** A token without a keyword: a duration, `@who`, `role/x`, a level, an event name, or a mistake. */
  private bare(token: Token): void {
    const { value, lower } = token;
    if (!token.quoted) {
      if (NOISE.has(lower)) return;
      const duration = this.durationAt(token);
      if (duration !== undefined) {
        this.setRange({ start: this.now - duration, end: this.now, token }, token);
        return;
      }
      if (value.startsWith('@') && value.length > 1) {
        this.actor(token);
        return;
      }
      if (value.startsWith('<@')) {
        this.fail('a Slack mention cannot be matched to AWS: type the IAM user, role or session name', token);
      }
      if (RESOURCE.test(value) || RESOURCE_ARN.test(value)) {
        this.resourceValue(token, token);
        return;
      }
      if (LEVEL_WORD.test(lower)) {
        this.level(token, token);
        return;
      }
      if (EVENT_PATTERN.test(value) && (value.includes('*') || isIamWrite(value))) {
        this.event(token);
        return;
      }
      if (DATE_LIKE.test(value)) {
        this.fail(`a date needs \`since\` or \`between\`: \`since ${value}\``, token);
      }
      if (/^\d+$/.test(value)) {
        this.fail(
          `a number alone means nothing here: \`${value}d\` for days, \`limit ${value}\` for a count`,
          token,
        );
      }
    }
    this.fail(`I didn't understand ${JSON.stringify(value)}`, token);
  }

  private setKind(kind: 'stats' | 'status', token: Token): void {
    if (this.draft.kind && this.draft.kind !== kind) {
      this.fail(`\`${this.draft.kind}\` and \`${kind}\` can't be asked together`, token);
    }
    this.draft.kind = kind;
  }

  private setRange(range: Range, token: Token): void {
    if (this.draft.range) this.fail('two time ranges: keep one', token);
    if (range.end - range.start <= 0) this.fail('the range is empty: it must last at least a minute', token);
    if (range.end - range.start > MAX_RANGE_DAYS * DAY) {
      this.fail(`the range is longer than ${MAX_RANGE_DAYS} days`, token);
    }
    this.draft.range = range;
  }

  /** `7d`, `24h`, `30m`, `2w` in one token, or `7 days` in two; ms, or undefined when it is not one. */
  private durationAt(token: Token): number | undefined {
    const glued = /^(\d+(?:\.\d+)?)([a-z]+)$/.exec(token.lower);
    if (glued?.[1] && glued[2]) {
      const unit = unitMs(glued[2]);
      if (unit === undefined) return undefined;
      return this.amount(Number(glued[1]), unit, token);
    }
    if (/^\d+(?:\.\d+)?$/.test(token.lower)) {
      const following = this.peek();
      const unit = following && !following.quoted ? unitMs(following.lower) : undefined;
      if (unit === undefined) return undefined;
      this.index += 1;
      return this.amount(Number(token.lower), unit, token);
    }
    return undefined;
  }

  private amount(count: number, unit: number, token: Token): number {
    const ms = Math.round(count * unit);
    if (ms < MINUTE) this.fail('the range is empty: it must last at least a minute', token);
    return ms;
  }

  /** After `last`/`past`: `7d`, `7 days`, or a unit alone (`last week`). */
  private durationAfter(keyword: Token): Range {
    const token = this.next();
    if (!token) this.fail(`\`${keyword.lower}\` needs a duration, e.g. \`${keyword.lower} 7d\``, keyword);
    const single = token.quoted ? undefined : unitMs(token.lower);
    const ms = single ?? this.durationAt(token);
    if (ms === undefined) this.fail('expected a duration such as `7d`, `24h`, `30m` or `2 weeks`', token);
    return { start: this.now - ms, end: this.now, token: keyword };
  }

  /** A date token, with the time of day in the next token when it is one (`2026-11-01 10:00`). */
  private dateAt(token: Token): { ms: number; hasTime: boolean } {
    let text = token.value;
    const following = this.peek();
    if (!/[T ]\d/i.test(text) && following && !following.quoted && TIME_OF_DAY.test(following.value)) {
      text = `${text}T${following.value}`;
      this.index += 1;
    }
    const date = parseDate(text);
    if (!date) {
      this.fail(
        DATE_LIKE.test(token.value)
          ? `${JSON.stringify(token.value)} is not a date`
          : 'expected a date such as `2026-11-01` or `2026-11-01T10:00`',
        token,
      );
    }
    return date;
  }

  private since(keyword: Token): void {
    const token = this.next();
    if (!token) this.fail('`since` needs a date, e.g. `since 2026-11-01`', keyword);
    const ms = token.quoted ? undefined : this.durationAt(token);
    if (ms !== undefined) {
      this.setRange({ start: this.now - ms, end: this.now, token: keyword }, keyword);
      return;
    }
    const date = this.dateAt(token);
    if (date.ms >= this.now) this.fail('that is in the future: nothing has happened since then yet', token);
    this.setRange({ start: date.ms, end: this.now, token: keyword }, keyword);
  }

  private between(keyword: Token): void {
    const first = this.next();
    if (!first)
      this.fail(`\`${keyword.lower}\` needs two dates: \`between 2026-11-01 and 2026-11-05\``, keyword);
    const from = this.dateAt(first);
    const joiner = this.next();
    if (!joiner || joiner.quoted || !['and', 'to', 'until', '-', '..'].includes(joiner.lower)) {
      this.fail(`expected \`and\` and a second date: \`between ${first.value} and …\``, joiner);
    }
    const second = this.next();
    if (!second) this.fail('expected a second date after `and`', joiner);
    const to = this.dateAt(second);
    // A date without a time names the whole day: `between 11-01 and 11-05` includes the 5th.
    const end = Math.min(to.hasTime ? to.ms : to.ms + DAY, this.now);
    if (from.ms >= this.now) this.fail('that is in the future: nothing has happened then yet', first);
    if (end <= from.ms) this.fail('the range ends before it starts', second);
    this.setRange({ start: from.ms, end, token: keyword }, keyword);
  }

  private actor(token: Token): void {
    this.once('actorToken', token, 'who made the change');
    const value = token.value.replace(/^@/, '').trim();
    if (value === '') this.fail('expected a user, role or session name after `@`', token);
    if (value.startsWith('<@')) {
      this.fail('a Slack mention cannot be matched to AWS: type the IAM user, role or session name', token);
    }
    this.draft.actor = value;
  }

  private resource(keyword: Token): void {
    const token = this.valueAfter(keyword, 'a resource, e.g. `on role/ci-runner`');
    // `on role ci-runner`: the kind and the name as two words.
    const kind = /^(role|user|group|policy)s?$/.exec(token.lower)?.[1];
    if (!token.quoted && kind) {
      const name = this.next();
      if (!name) this.fail(`expected the ${kind}'s name: \`on ${kind}/<name>\``, token);
      this.setResource(`${kind}/${name.value}`, token);
      return;
    }
    this.resourceValue(token, token);
  }

  private resourceValue(token: Token, at: Token): void {
    const value = token.value.trim();
    const arn = RESOURCE_ARN.exec(value);
    if (arn?.[2] && arn[3]) {
      const kind = arn[2].toLowerCase();
      // Role, user and group names are the last part of their ARN (after any path); policies keep the ARN.
      const name = kind === 'policy' ? value : arn[3].slice(arn[3].lastIndexOf('/') + 1);
      this.setResource(`${kind}/${name}`, at);
      return;
    }
    const match = RESOURCE.exec(value);
    if (!match?.[1] || !match[2]) {
      this.fail(
        `say what kind of resource ${JSON.stringify(value)} is: \`role/${value}\`, \`user/${value}\`, \`group/${value}\` or \`policy/${value}\``,
        token,
      );
    }
    this.setResource(`${match[1].toLowerCase()}/${match[2]}`, at);
  }

  private setResource(resource: string, token: Token): void {
    this.once('resourceToken', token, 'the resource');
    this.draft.resource = resource;
  }

  private event(token: Token): void {
    this.once('eventToken', token, 'the event');
    if (!EVENT_PATTERN.test(token.value)) {
      this.fail('an event is a name such as `AttachRolePolicy`, or a prefix such as `Put*`', token);
    }
    this.draft.eventPattern = token.value;
  }

  /**
   * `in <account or OU>`. `in` before a range (`in 7d`, `in the last 7 days`) is only a word, as it always was;
   * anything else after it names accounts.
   */
  private account(keyword: Token): void {
    const following = this.peek();
    if (keyword.lower === 'in' && following && !following.quoted) {
      const unitFollows = !this.peek(1)?.quoted && unitMs(this.peek(1)?.lower ?? '') !== undefined;
      const rangeWord = ['the', 'last', 'past', 'since', 'between', 'today', 'yesterday'].includes(
        following.lower,
      );
      const duration =
        /^\d+(?:\.\d+)?[a-z]+$/.test(following.lower) &&
        unitMs(following.lower.replace(/^[\d.]+/, '')) !== undefined;
      if (rangeWord || duration || (/^\d+(?:\.\d+)?$/.test(following.lower) && unitFollows)) {
        if (following.lower === 'the') this.index += 1;
        return;
      }
    }
    const token = this.valueAfter(keyword, 'an account name, id or OU path, e.g. `in prod-payments`');
    this.once('accountToken', token, 'the account');
    this.draft.account = token.value.trim();
  }

  private level(token: Token, at: Token): void {
    const match = LEVEL_WORD.exec(token.lower.replace(/^>=?/, ''));
    if (!match?.[1]) this.fail('expected a level: `critical`, `high+`, `medium+`, `low+` or `info+`', token);
    this.once('levelToken', at, 'the risk level');
    this.draft.minLevel = match[1] as RiskLevel;
  }

  private limit(token: Token): void {
    this.once('limitToken', token, 'the limit');
    if (!/^\d+$/.test(token.value)) this.fail('`limit` needs a whole number, e.g. `limit 50`', token);
    const limit = Number(token.value);
    if (limit < 1 || limit > MAX_LIMIT) this.fail(`\`limit\` is between 1 and ${MAX_LIMIT}`, token);
    this.draft.limit = limit;
  }

  private finish(): Query {
    const draft = this.draft;
    const kind: QueryKind = draft.kind ?? 'list';
    if (kind === 'stats' || kind === 'status') {
      const extra = [
        draft.actorToken,
        draft.resourceToken,
        draft.eventToken,
        draft.accountToken,
        draft.failedToken,
        draft.levelToken,
        draft.limitToken,
      ].find((token): token is Token => token !== undefined);
      if (extra) {
        this.fail(
          kind === 'stats'
            ? '`stats` counts every change per day and takes only a range (`stats 30d`): drop this filter, or leave out `stats` to list the changes'
            : '`status` takes nothing else',
          extra,
        );
      }
      if (kind === 'status' && draft.range) this.fail('`status` takes nothing else', draft.range.token);
    }
    const days = kind === 'stats' ? DEFAULT_STATS_DAYS : DEFAULT_LIST_DAYS;
    const range = draft.range ?? { start: this.now - days * DAY, end: this.now };
    const query: Query = {
      kind,
      start: new Date(range.start).toISOString(),
      end: new Date(range.end).toISOString(),
      failedOnly: draft.failedOnly,
      limit: draft.limit ?? DEFAULT_LIMIT,
      share: draft.share,
    };
    if (draft.actor !== undefined) query.actor = draft.actor;
    if (draft.resource !== undefined) query.resource = draft.resource;
    if (draft.eventPattern !== undefined) query.eventPattern = draft.eventPattern;
    if (draft.account !== undefined) query.account = draft.account;
    if (draft.minLevel !== undefined) query.minLevel = draft.minLevel;
    return query;
  }
}

/**
 * Reads the text of `/iam-changes` (as Slack sends it: it is cleaned with {@link cleanCommandText} first, and
 * error positions index the cleaned text). An empty text lists the last 7 days. Never throws for bad input:
 * the error says what was not understood and where.
 */
export function parseQuery(text: string, now: Date): ParseResult {
  const cleaned = cleanCommandText(text);
  try {
    const query = new Parser(cleaned, tokenize(cleaned), now.getTime()).parse();
    return { ok: true, query };
  } catch (error: unknown) {
    if (error instanceof QueryParseError) return { ok: false, error: error.toQueryError() };
    throw error;
  }
}

// --- matching -------------------------------------------------------------------------------------------------

/** True when a name or pattern holds a `*` wildcard. */
export function hasWildcard(pattern: string): boolean {
  return pattern.includes('*');
}

/** Case-insensitive equality, or a glob match when the pattern holds `*`. */
export function textMatches(pattern: string, value: string | undefined): boolean {
  if (value === undefined || value === '') return false;
  if (!hasWildcard(pattern)) return pattern.toLowerCase() === value.toLowerCase();
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`, 'is').test(value);
}

/** True when the event name is the pattern (any case) or matches it as a glob (`Put*`). */
export function eventMatches(pattern: string, eventName: string): boolean {
  return textMatches(pattern, eventName);
}

/** The parts of an actor a person may call it by. */
export type ActorNames = Pick<Actor, 'name' | 'arn'> &
  Partial<Pick<Actor, 'sessionName' | 'sessionIssuerName' | 'sessionIssuerArn' | 'principalId'>>;

/**
 * True when `pattern` names the actor: its display name (`alice`, `ci-runner/session`), ARN, session name
 * (`jane@example.com`), the role that issued the session (`ci-runner`) or that role's ARN. Case-insensitive.
 */
export function actorMatches(actor: ActorNames, pattern: string): boolean {
  const wanted = pattern.replace(/^@/, '');
  return [actor.name, actor.arn, actor.sessionName, actor.sessionIssuerName, actor.sessionIssuerArn].some(
    (candidate) => textMatches(wanted, candidate),
  );
}

/**
 * The names an indexed actor key (an ARN, or a name when CloudTrail gave no ARN) stands for, read from the ARN
 * itself: `arn:aws:sts::1:assumed-role/ci-runner/s1` is `ci-runner/s1`, session `s1`, issued by `ci-runner`.
 * Lets a caller find which index keys `by ci-runner` may mean without reading the changes.
 */
export function actorNamesOfKey(key: string): ActorNames {
  const assumed = /^arn:aws[\w-]*:sts::(\d+):assumed-role\/([^/]+)(?:\/(.+))?$/.exec(key);
  if (assumed?.[2]) {
    const names: ActorNames = {
      arn: key,
      name: [assumed[2], assumed[3]].filter(Boolean).join('/'),
      sessionIssuerName: assumed[2],
      sessionIssuerArn: `arn:aws:iam::${assumed[1]}:role/${assumed[2]}`,
    };
    if (assumed[3]) {
      names.sessionName = assumed[3];
      // SSO sessions are shown by their session name.
      if (/^AWSReservedSSO_/.test(assumed[2])) names.name = assumed[3];
    }
    return names;
  }
  if (/^arn:aws[\w-]*:iam::\d+:root$/.test(key)) return { arn: key, name: 'root' };
  if (key.startsWith('arn:')) return { arn: key, name: key.slice(key.lastIndexOf('/') + 1) };
  return { arn: '', name: key };
}

/**
 * True when the change acts on the resource: `role/`, `user/` and `group/` name the entity; `policy/` names a
 * managed policy by ARN or name (changes to it and its attachments) or an inline policy by name.
 */
export function resourceMatches(change: Pick<Change, 'target'>, resource: string): boolean {
  const slash = resource.indexOf('/');
  const kind = resource.slice(0, slash).toLowerCase();
  const name = resource.slice(slash + 1);
  const { target } = change;
  if (kind !== 'policy') return target.kind === kind && textMatches(name, target.name);
  if (name.toLowerCase().startsWith('arn:')) return textMatches(name, target.policyArn);
  const arnName = target.policyArn?.slice(target.policyArn.lastIndexOf('/') + 1);
  return (
    textMatches(name, target.policyName) ||
    textMatches(name, arnName) ||
    (target.kind === 'policy' && textMatches(name, target.name))
  );
}

/** A change as {@link matchesQuery} reads it: its risk is needed for `risk high+`. */
export type MatchableChange = Change & { risk?: Pick<Risk, 'level'> };

/** True when the change answers every filter of the query, its time included. */
export function matchesQuery(change: MatchableChange, query: Query): boolean {
  const time = Date.parse(change.eventTime);
  if (!(time >= Date.parse(query.start) && time < Date.parse(query.end))) return false;
  if (query.failedOnly && change.outcome !== 'failed') return false;
  if (query.accountIds && !query.accountIds.includes(change.accountId)) return false;
  if (query.minLevel && !(change.risk && atLeast(change.risk.level, query.minLevel))) return false;
  if (query.eventPattern && !eventMatches(query.eventPattern, change.eventName)) return false;
  if (query.actor && !actorMatches(change.actor, query.actor)) return false;
  if (query.resource && !resourceMatches(change, query.resource)) return false;
  return true;
}
