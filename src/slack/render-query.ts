/**
 * Pure Block Kit builders for `/iam-changes`: a list of changes, daily statistics with a bar chart, the help,
 * a query error pointing at what was not understood, and the "searching CloudTrail…" progress notes. Answers
 * are slash-command responses (`response_type` + `text` + `blocks`): ephemeral unless the query says `share`.
 * Every value that comes from an event is escaped, lists say how much they left out, and Slack's limits hold.
 */
import type { HeaderBlock, KnownBlock } from '@slack/types';
import type { StoredChange } from '../app/ports';
import type { ListAnswer, QueryAnswer, QueryEntry, StatsAnswer, Tally } from '../app/query-service';
import { clientLabel } from '../domain/actor';
import { cleanCommandText, MAX_LIMIT, QUERY_HELP, type Query, type QueryError } from '../domain/query';
import { type Client, RISK_LEVELS } from '../domain/types';
import { context, section } from './blocks';
import { escapeText, inlineCode, truncate } from './escape';
import { describeChange, LEVELS, slackDate } from './render';
import { changeAccountInline } from './render-account';

/** A slash-command response: shown only to the person who asked (`ephemeral`) or to the channel. */
export interface QueryMessage {
  response_type: 'ephemeral' | 'in_channel';
  /** The fallback text: notifications, screen readers. Always present, escaped. */
  text: string;
  blocks: KnownBlock[];
}

/** How answers link to the alerts they list. */
export interface QueryRenderOptions {
  /**
   * The workspace's archive URL (`https://acme.slack.com/archives`): each stored change's line links to its
   * alert. Without it lines are plain (the bot cannot know the workspace's domain by itself).
   */
  permalinkBase?: string;
}

const LIMIT = { header: 150, section: 3000, text: 40_000 } as const;
/** Room kept in a section for the line that says what was left out. */
const MORE_ROOM = 200;
/** Blocks the change list may take: the rest of the message needs a few. */
const MAX_LIST_SECTIONS = 40;
const TOP_TOTALS = 10;
const BAR_WIDTH = 30;
const SPARKS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
/** Up to this many days the chart has a bar per day; beyond, a bar per week. */
const MAX_DAILY_BARS = 31;
const COMMAND = '/iam-changes';

// --- small builders -------------------------------------------------------------------------------------------

function header(text: string): HeaderBlock {
  return { type: 'header', text: { type: 'plain_text', text: truncate(text, LIMIT.header), emoji: true } };
}

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count.toLocaleString('en-US')} ${count === 1 ? one : many}`;
}

function message(query: Pick<Query, 'share'> | undefined, text: string, blocks: KnownBlock[]): QueryMessage {
  return {
    response_type: query?.share ? 'in_channel' : 'ephemeral',
    text: truncate(text, LIMIT.text),
    blocks,
  };
}

/** Packs lines into sections of at most `budget` characters; what does not fit is counted by `more(n)`. */
function packLines(lines: string[], maxSections: number, more: (hidden: number) => string): string[] {
  const room = LIMIT.section - MORE_ROOM;
  const sections: string[] = [];
  let current = '';
  let shown = 0;
  for (const line of lines) {
    if (current === '' || `${current}\n${line}`.length <= room) {
      current = current === '' ? line : `${current}\n${line}`;
    } else {
      if (sections.length + 1 >= maxSections) break;
      sections.push(current);
      current = line;
    }
    shown += 1;
  }
  const hidden = lines.length - shown;
  if (hidden > 0) current = `${current}\n${more(hidden)}`;
  if (current !== '') sections.push(current);
  return sections;
}

// --- describing a query ---------------------------------------------------------------------------------------

function humanDuration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 120) return plural(minutes, 'minute');
  const hours = Math.round(minutes / 60);
  if (hours <= 48 || minutes % (24 * 60) !== 0) return plural(hours, 'hour');
  return plural(Math.round(hours / 24), 'day');
}

/** "last 7 days", "since <date>", "between <date> and <date>": escaped mrkdwn. */
export function describeRange(query: Pick<Query, 'start' | 'end'>, now: Date): string {
  const start = Date.parse(query.start);
  const end = Date.parse(query.end);
  if (Math.abs(now.getTime() - end) < 60_000) {
    const exact = end - start;
    const round = [60_000, 3_600_000, 86_400_000].some((unit) => exact % unit === 0);
    return round ? `last ${humanDuration(exact)}` : `since ${slackDate(query.start)}`;
  }
  return `between ${slackDate(query.start)} and ${slackDate(query.end)}`;
}

/** The filters of a query in words: "by *alice* on `role/ci-runner` · failed only · risk high+". */
function describeFilters(query: Query): string[] {
  const parts: string[] = [];
  if (query.actor) parts.push(`by *${truncate(query.actor, 100)}*`);
  if (query.resource) parts.push(`on ${inlineCode(query.resource, 200)}`);
  if (query.eventPattern) parts.push(`event ${inlineCode(query.eventPattern, 100)}`);
  if (query.account) parts.push(`in *${truncate(query.account, 100)}*`);
  if (query.failedOnly) parts.push('failed calls only');
  if (query.minLevel) parts.push(`risk ${query.minLevel}${query.minLevel === 'critical' ? '' : '+'}`);
  return parts;
}

function describeQuery(query: Query, now: Date): string {
  return [...describeFilters(query), describeRange(query, now)].join(' · ');
}

// --- the list -------------------------------------------------------------------------------------------------

/** Slack's permalink form: `<base>/<channel>/p<ts without the dot>`, with the thread for replies. */
function permalink(stored: StoredChange | undefined, base: string | undefined): string | undefined {
  const ref = stored?.slack;
  if (!ref || !base || !/^https:\/\/[^\s<>|]+$/.test(base)) return undefined;
  if (!/^[A-Z0-9]+$/.test(ref.channel) || !/^\d+\.\d+$/.test(ref.ts)) return undefined;
  const url = `${base.replace(/\/+$/, '')}/${ref.channel}/p${ref.ts.replace('.', '')}`;
  const thread = ref.threadTs && /^\d+\.\d+$/.test(ref.threadTs) ? ref.threadTs : undefined;
  return thread ? `${url}?thread_ts=${thread}&cid=${ref.channel}` : url;
}

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/**
 * Acknowledged / reverted / failed delivery, read defensively: `acknowledgement` and `revert` may not be on a
 * stored change (older records, or a store that does not keep them yet), and their shapes are not ours.
 */
function stateOf(entry: QueryEntry): string[] {
  const stored = entry.stored;
  if (!stored) return ['_from CloudTrail history_'];
  const states: string[] = [];
  const extra = stored as StoredChange & { acknowledgement?: unknown; revert?: unknown };
  if (extra.acknowledgement) {
    const by =
      text(field(extra.acknowledgement, 'userName')) ??
      text(field(extra.acknowledgement, 'name')) ??
      text(field(extra.acknowledgement, 'byName'));
    states.push(by ? `:eyes: acknowledged by ${truncate(by, 60)}` : ':eyes: acknowledged');
  }
  if (extra.revert) {
    const status =
      text(field(extra.revert, 'status')) ??
      text(field(extra.revert, 'state')) ??
      text(field(extra.revert, 'result'));
    if (!status || /^(done|reverted|succeeded|success|completed?)$/i.test(status)) {
      states.push(':leftwards_arrow_with_hook: reverted');
    } else {
      states.push(`:leftwards_arrow_with_hook: revert ${truncate(status, 40)}`);
    }
  }
  if (stored.delivery === 'failed') states.push(':warning: failed delivery');
  else if (stored.delivery === 'pending') states.push('not posted yet');
  else if (stored.delivery === 'digest') states.push('in the daily digest');
  return states;
}

function entryLine(entry: QueryEntry, options: QueryRenderOptions): string {
  const change = entry.change;
  const level = LEVELS[change.risk.level];
  const what = truncate(describeChange(change), 300);
  const url = permalink(entry.stored, options.permalinkBase);
  const linked = url ? `<${url}|${what}>` : what;
  const states = stateOf(entry);
  return (
    `• ${slackDate(change.eventTime)} · ${level.emoji} ${level.label} · ` +
    `*${truncate(change.actor.name || 'unknown caller', 80)}* ${linked}` +
    (change.account?.name ? ` in ${changeAccountInline(change)}` : '') +
    (states.length > 0 ? ` · ${states.join(' · ')}` : '')
  );
}

function totalsLine(title: string, tallies: Tally[], unit: string): string {
  const shown = tallies
    .slice(0, TOP_TOTALS)
    .map((entry) => `${truncate(entry.name, 80)} ${entry.count.toLocaleString('en-US')}`);
  const rest = tallies.length - shown.length;
  return `*${title}:* ${shown.join(' · ')}${rest > 0 ? ` · +${plural(rest, `more ${unit}`)}` : ''}`;
}

/** `🚨 *2 critical* · 🔴 *5 high* · …`: the matched changes per level, most severe first, levels seen only. */
function levelCounts(byLevel: ListAnswer['byLevel']): string {
  return RISK_LEVELS.filter((level) => (byLevel[level] ?? 0) > 0)
    .map((level) => `${LEVELS[level].emoji} *${(byLevel[level] ?? 0).toLocaleString('en-US')} ${level}*`)
    .join(' · ');
}

function renderList(query: Query, answer: ListAnswer, now: Date, options: QueryRenderOptions): QueryMessage {
  const described = describeQuery(query, now);
  const count = answer.complete
    ? plural(answer.matched, 'change')
    : `At least ${plural(answer.matched, 'change')}`;
  const blocks: KnownBlock[] = [];
  if (answer.matched === 0) {
    blocks.push(
      section(
        `No IAM changes ${described}.\nTry a longer range (\`30d\`, \`since 2026-01-01\`) or fewer filters; \`${COMMAND} help\` lists them.`,
      ),
    );
  } else {
    blocks.push(
      section(
        `*${count}* ${described}.\n${levelCounts(answer.byLevel)}\n_Most severe first, newest first within a level._`,
      ),
    );
    const lines = answer.entries.map((entry) => entryLine(entry, options));
    blocks.push(
      ...packLines(
        lines,
        MAX_LIST_SECTIONS,
        (hidden) => `… ${plural(hidden, 'more line')} did not fit in this message`,
      ).map(section),
    );
    const more = answer.matched - answer.entries.length;
    if (more > 0 || !answer.complete) {
      const larger = Math.min(MAX_LIMIT, Math.max(50, query.limit * 2));
      const howMany = answer.complete ? `${more.toLocaleString('en-US')} more` : 'More';
      const wider = query.limit < MAX_LIMIT ? `\`limit ${larger}\` or ` : '';
      blocks.push(
        section(
          `${howMany} — refine with ${wider}a narrower range (\`24h\`, \`by &lt;who&gt;\`, \`on role/&lt;name&gt;\`)`,
        ),
      );
    }
    blocks.push(
      context([
        totalsLine('By event', answer.byEvent, 'event'),
        totalsLine('By actor', answer.byActor, 'actor'),
      ]),
    );
  }
  const archive = answer.archive;
  if (archive) blocks.push(context([archiveNote(archive)]));
  const history = answer.history;
  if (history) {
    const stopped = history.truncated
      ? ` Stopped at ${slackDate(history.searchedFrom)} (the search reads at most a few minutes of history): narrow the range for the rest.`
      : '';
    blocks.push(
      context([
        `:mag: Also searched CloudTrail event history ${slackDate(history.start)} – ${slackDate(history.end)}: ` +
          `${plural(history.pages, 'page')}, ${plural(history.events, 'event')} read.${stopped}`,
      ]),
    );
  }
  const fallback =
    answer.matched === 0
      ? `No IAM changes ${plainQuery(query)}`
      : `${answer.complete ? '' : 'At least '}${answer.matched} IAM changes ${plainQuery(query)}`;
  return message(query, fallback, blocks);
}

/** What the search of the trail's S3 log archive read, or why it could not. */
function archiveNote(archive: NonNullable<ListAnswer['archive']>): string {
  const where = `the trail's S3 logs (${inlineCode(archive.location)}) ${slackDate(archive.start)} – ${slackDate(archive.end)}`;
  if (archive.error) {
    return `:warning: Could not search ${where}: ${truncate(archive.error, 300)}`;
  }
  const megabytes = (archive.bytes / 1_048_576).toFixed(1);
  const skipped =
    archive.skippedFiles > 0 ? ` ${plural(archive.skippedFiles, 'file')} could not be read.` : '';
  const stopped = archive.truncated ? ' Stopped at the file limit: narrow the range for the rest.' : '';
  return `:mag: Also searched ${where}: ${plural(archive.files, 'file')}, ${megabytes} MB read.${skipped}${stopped}`;
}

/** The query in plain words for the fallback text (escaped, no date tokens). */
function plainQuery(query: Query): string {
  const parts = describeFilters(query).map((part) => part.replace(/[*`]/g, ''));
  parts.push(
    `from ${query.start.slice(0, 16).replace('T', ' ')} to ${query.end.slice(0, 16).replace('T', ' ')} UTC`,
  );
  return parts.join(', ');
}

// --- stats ----------------------------------------------------------------------------------------------------

function bar(count: number, max: number): string {
  if (max === 0 || count === 0) return '';
  const eighths = Math.max(1, Math.round((count / max) * BAR_WIDTH * 8));
  return '█'.repeat(Math.floor(eighths / 8)) + (EIGHTHS[eighths % 8] ?? '');
}

function sparkline(counts: number[]): string {
  const max = Math.max(0, ...counts);
  return counts
    .map((count) =>
      max === 0 || count === 0 ? ' ' : (SPARKS[Math.min(7, Math.floor((count / max) * 7.999))] ?? '█'),
    )
    .join('');
}

interface Bucket {
  label: string;
  count: number;
}

function buckets(stats: StatsAnswer): Bucket[] {
  const days = stats.days;
  if (days.length <= MAX_DAILY_BARS) {
    return days.map((day) => {
      const weekday = new Date(`${day.day}T00:00:00Z`).toLocaleDateString('en-US', {
        weekday: 'short',
        timeZone: 'UTC',
      });
      return { label: `${day.day.slice(5)} ${weekday}`, count: day.total };
    });
  }
  const weeks: Bucket[] = [];
  for (let index = 0; index < days.length; index += 7) {
    const week = days.slice(index, index + 7);
    weeks.push({
      label: `${week[0]?.day.slice(5) ?? ''} +${week.length}d`,
      count: week.reduce((sum, day) => sum + day.total, 0),
    });
  }
  return weeks;
}

function chart(stats: StatsAnswer): string {
  const rows = buckets(stats);
  const max = Math.max(0, ...rows.map((row) => row.count));
  const width = Math.max(...rows.map((row) => row.count.toLocaleString('en-US').length), 1);
  const lines = rows.map(
    (row) =>
      `${row.label.padEnd(9)} ${row.count.toLocaleString('en-US').padStart(width)} ${bar(row.count, max)}`,
  );
  const per = stats.days.length <= MAX_DAILY_BARS ? 'per day' : 'per week';
  return `*Changes ${per}* (UTC)  ${sparkline(stats.days.map((day) => day.total))}\n\`\`\`\n${lines.join('\n')}\n\`\`\``;
}

function clientName(client: string): string {
  const known: readonly string[] = [
    'console',
    'aws-cli',
    'terraform',
    'cloudformation',
    'cdk',
    'sdk-js',
    'boto3',
    'sdk-go',
    'sdk-java',
    'aws-internal',
    'other',
  ];
  return known.includes(client) ? clientLabel(client as Client) : client;
}

/**
 * The `stats` answer: totals, a bar chart of changes per day (per week beyond a month), and the counts by
 * level, by actor (top 10), by client and by event, with failed attempts.
 */
export function renderStats(stats: StatsAnswer, query: Query, now: Date = new Date(query.end)): QueryMessage {
  const first = stats.days[0]?.day;
  const last = stats.days[stats.days.length - 1]?.day;
  const span = first && last ? (first === last ? first : `${first} – ${last}`) : 'no days';
  const blocks: KnownBlock[] = [header(`IAM changes: stats, ${plural(stats.days.length, 'day')} (${span})`)];
  if (stats.total === 0) {
    blocks.push(section(`No IAM changes were counted ${describeRange(query, now)}.`));
    return message(query, `No IAM changes counted ${span}`, blocks);
  }
  const levels = RISK_LEVELS.filter((level) => (stats.byLevel[level] ?? 0) > 0).map(
    (level) => `${LEVELS[level].emoji} ${level} ${(stats.byLevel[level] ?? 0).toLocaleString('en-US')}`,
  );
  blocks.push(
    section(
      `*${plural(stats.total, 'change')}* · ${plural(stats.failed, 'failed attempt')}\n*By level:* ${levels.join(' · ')}`,
    ),
    section(chart(stats)),
  );
  const actors = stats.byActor
    .slice(0, TOP_TOTALS)
    .map(
      (entry, index) => `${index + 1}. ${truncate(entry.name, 100)} — ${entry.count.toLocaleString('en-US')}`,
    );
  const moreActors = stats.byActor.length - actors.length;
  if (actors.length > 0) {
    blocks.push(
      section(
        `*By actor* (top ${actors.length} of ${stats.byActor.length})\n${actors.join('\n')}${
          moreActors > 0 ? `\n… ${plural(moreActors, 'more actor')}` : ''
        }`,
      ),
    );
  }
  blocks.push(
    section(
      [
        totalsLine(
          'By client',
          stats.byClient.map((entry) => ({ name: clientName(entry.name), count: entry.count })),
          'client',
        ),
        totalsLine('By event', stats.byEvent, 'event'),
      ].join('\n'),
    ),
  );
  const notes = [`Counted as changes arrive · ${describeRange(query, now)} · days in UTC`];
  if (stats.uncounted > 0) {
    notes.push(
      `${plural(stats.uncounted, 'change')} could not be counted by actor and event (a day's counters were full)`,
    );
  }
  blocks.push(context(notes));
  return message(query, `${stats.total} IAM changes, ${stats.failed} failed, ${span}`, blocks);
}

// --- help, errors, progress -----------------------------------------------------------------------------------

/** The help, for `/iam-changes help` (only to the person who asked). */
export function renderHelp(): QueryMessage {
  return message(undefined, 'How to use /iam-changes', [section(escapeText(QUERY_HELP))]);
}

/** Characters of the query shown around the error in the marker line. */
const ERROR_WINDOW = 80;

/**
 * What was not understood, with the text in a code block and a `^` marker under the part at fault, then the
 * help. `text` is the command text as received; the error's position indexes its cleaned form.
 */
export function renderQueryError(error: QueryError, text: string): QueryMessage {
  // Same length for every character, so the marker stays under its place: whitespace as spaces, no backticks.
  const shown = cleanCommandText(text).replace(/\s/g, ' ').replace(/`/g, "'");
  const position = Math.max(0, Math.min(error.position, shown.length));
  let from = 0;
  if (shown.length > ERROR_WINDOW && position > ERROR_WINDOW / 2) {
    from = Math.min(position - ERROR_WINDOW / 2, Math.max(0, shown.length - ERROR_WINDOW));
  }
  const prefix = from > 0 ? '…' : '';
  const window = shown.slice(from, from + ERROR_WINDOW);
  const suffix = from + ERROR_WINDOW < shown.length ? '…' : '';
  const column = `${COMMAND} ${prefix}`.length + (position - from);
  const width = Math.max(1, Math.min(error.fragment.length, window.length - (position - from)));
  const marker = `${' '.repeat(column)}${'^'.repeat(width)}`;
  const block = `\`\`\`\n${escapeText(`${COMMAND} ${prefix}${window}${suffix}`)}\n${marker}\n\`\`\``;
  return message(undefined, `I didn't understand that query: ${truncate(error.message, 500)}`, [
    section(`:warning: ${truncate(error.message, 600)}\n${block}`),
    section(escapeText(QUERY_HELP)),
  ]);
}

/**
 * The first answer to a query that needs CloudTrail history: the results replace it when the search ends. Only
 * the asker sees it, even for `share`: the channel sees the answer alone.
 */
export function renderSearching(query: Query, now: Date = new Date(query.end)): QueryMessage {
  const note =
    `:mag: Searching CloudTrail event history for IAM changes ${describeQuery(query, now)}…\n` +
    'The bot keeps only what it has seen since it was installed; older changes are read from CloudTrail at 50 ' +
    `events a page and 2 pages a second, so this can take a few minutes. ${query.share ? 'The answer will be posted in the channel, and this note removed.' : 'The answer will replace this note.'}`;
  return message(undefined, 'Searching CloudTrail event history…', [section(note)]);
}

/**
 * A progress note while CloudTrail history is read (to replace the "searching" note). Slack accepts five posts
 * to one `response_url` within 30 minutes: the searching note, at most three of these, and the answer.
 */
export function renderSearchProgress(pages: number, events: number, searchedFrom?: string): QueryMessage {
  const reached = searchedFrom ? `, back to ${slackDate(searchedFrom)}` : '';
  return message(undefined, `Still searching CloudTrail: ${pages} pages, ${events} events read`, [
    section(
      `:hourglass_flowing_sand: Still searching CloudTrail event history: ${plural(pages, 'page')}, ${plural(events, 'event')} read${reached}…`,
    ),
  ]);
}

/**
 * The answer to any query: the change list, the stats, the help, or (for `status`, which the CIS 4.4 audit
 * answers) a pointer to it. In the channel only when the query says `share`.
 */
export function renderQueryAnswer(
  query: Query,
  answer: QueryAnswer,
  now: Date,
  options: QueryRenderOptions = {},
): QueryMessage {
  switch (answer.kind) {
    case 'list':
      return renderList(query, answer, now, options);
    case 'stats':
      return renderStats(answer, query, now);
    case 'help':
      return renderHelp();
    case 'status':
      return message(query, 'CIS 4.4 status', [
        section(`\`${COMMAND} status\` is answered by the CIS 4.4 audit (\`npx iam-changes audit\`).`),
      ]);
  }
}
