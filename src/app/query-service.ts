/**
 * The `/iam-changes` use case: answers a parsed {@link Query} from the change store's indexes and the daily
 * counters, and — when the range reaches back before what the store holds — from CloudTrail event history,
 * page by page with progress, for the worker to run (it can take minutes at 2 requests a second).
 */

import { assessChange } from '../domain/assess-change';
import { normaliseRecord } from '../domain/change';
import { InputError } from '../domain/input';
import { actorMatches, actorNamesOfKey, hasWildcard, matchesQuery, type Query } from '../domain/query';
import type { RiskContext } from '../domain/risk/rule';
import type { AssessedChange, RiskLevel } from '../domain/types';
import { type AccountDirectory, NO_ACCOUNT_DIRECTORY } from './account-directory';
import type { ChangeContent } from './change-content';
import { PolicyReadMemo } from './policy-documents';
import type { Clock, StoredChange } from './ports';
import type {
  ArchiveHistory,
  ArchiveSearchSummary,
  ChangeQueries,
  DailyStats,
  HistoryAttribute,
  HistoryLookup,
  StatsStore,
} from './query-port';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** Changes read from the store for one answer at most (before filtering); beyond it the count is a lower bound. */
const DEFAULT_SCAN_LIMIT = 1000;
/** CloudTrail `LookupEvents` keeps 90 days of management events. */
const DEFAULT_HISTORY_DAYS = 90;
/** `LookupEvents` pages one search reads at most: 600 pages at 2 a second is 5 minutes, 30,000 events. */
const DEFAULT_HISTORY_MAX_PAGES = 600;
/** Pages per slice of a history search: progress is reported after each slice (about every 5 s). */
const DEFAULT_PAGES_PER_SLICE = 10;
const EVENTS_PER_PAGE = 50;
const FIRST_SLICE_MS = 6 * HOUR_MS;
const MIN_SLICE_MS = 5 * 60_000;
/** Actor index partitions one answer reads at most; a name matching more is answered from the time index. */
const MAX_ACTOR_KEYS = 25;
/**
 * Account index partitions one answer reads at most: `in <OU>` naming more accounts is answered from the time
 * index (one query per account beats one scan of the range only while the accounts are few).
 */
const MAX_ACCOUNT_KEYS = 50;
const IAM_EVENT_SOURCE = 'iam.amazonaws.com';
/** CloudTrail writes a log file to S3 within minutes: the last hour is asked of `LookupEvents` as well. */
const ARCHIVE_DELIVERY_LAG_MS = HOUR_MS;

/** What the query use case is built from. */
export interface QueryServiceDependencies {
  /** The change store's indexes by time, actor and resource. */
  changes: ChangeQueries;
  stats: StatsStore;
  /** CloudTrail `LookupEvents` (a shared, paced `CloudTrailHistory`). */
  history: HistoryLookup;
  clock: Clock;
  /** How long the store keeps changes (its TTL): older ranges can only come from CloudTrail. */
  retentionDays: number;
  /** How changes found only in CloudTrail are judged (the notify path's settings). */
  risk: RiskContext;
  /**
   * What judging needs beyond the record (an attached policy's document, the action catalogue), as notify
   * resolves it; without it an attach found only in CloudTrail is judged without its policy's document.
   */
  content?: Pick<ChangeContent, 'prepare'>;
  /** Resolves `in <account or OU>`; without it, only a 12-digit account id is understood there. */
  accounts?: AccountDirectory;
  /** Changes read from the store for one answer at most (default 1,000). */
  scanLimit?: number;
  /** How far back CloudTrail history reaches (default 90 days). */
  historyDays?: number;
  /** `LookupEvents` pages one history search reads at most (default 600: 5 minutes). */
  historyMaxPages?: number;
  /** About how many pages are read between two progress reports (default 10). */
  historyPagesPerSlice?: number;
  /**
   * The organisation trail's S3 log archive (`HISTORY_BUCKET`): searched for the part of a range older than the
   * store, whatever its age, before CloudTrail `LookupEvents` (90 days, one account). Without it, only the latter.
   */
  archive?: ArchiveHistory;
}

/** One change in an answer; `stored` is set when the bot has it (and so its Slack message and state). */
export interface QueryEntry {
  change: AssessedChange;
  stored?: StoredChange;
}

/** A count under a name, in an answer's totals. */
export interface Tally {
  name: string;
  count: number;
}

/** What a CloudTrail history search read. */
export interface HistorySearchSummary {
  /** The window searched, ISO 8601 (`searchedFrom` is where it stopped when truncated). */
  start: string;
  end: string;
  searchedFrom: string;
  pages: number;
  events: number;
  /** True when the page bound stopped the search before `start`, or a slice was cut short. */
  truncated: boolean;
}

/** The answer to a list query. */
export interface ListAnswer {
  kind: 'list';
  /**
   * The most severe matching changes, newest first within a level, at most `query.limit`: a critical change is
   * never pushed out of the list by newer low ones.
   */
  entries: QueryEntry[];
  /** Matching changes counted (a lower bound when `complete` is false). */
  matched: number;
  /** Matching changes by risk level (only the levels seen), over every matched change. */
  byLevel: Partial<Record<RiskLevel, number>>;
  /** False when reading stopped at the scan limit: there may be more than `matched`. */
  complete: boolean;
  /** Totals over every matched change, most first. */
  byEvent: Tally[];
  byActor: Tally[];
  /** Set when CloudTrail history was searched. */
  history?: HistorySearchSummary;
  /** Set when the trail's S3 log archive was searched. */
  archive?: ArchiveSearchSummary;
}

/** The answer to `stats`: the days and their totals. */
export interface StatsAnswer {
  kind: 'stats';
  days: DailyStats[];
  total: number;
  failed: number;
  byLevel: Partial<Record<RiskLevel, number>>;
  /** Most first. */
  byActor: Tally[];
  byClient: Tally[];
  byEvent: Tally[];
  uncounted: number;
}

/** Everything {@link QueryService.answer} gives; `status` is answered by the CIS 4.4 audit, not here. */
export type QueryAnswer = ListAnswer | StatsAnswer | { kind: 'help' } | { kind: 'status' };

/** How far a history search has got: reported after every slice of a few pages. */
export interface SearchProgress {
  pages: number;
  events: number;
  /** Matching changes found so far. */
  matched: number;
  /** The search has read everything after this time (ISO 8601). */
  searchedFrom: string;
}

/** Counts by name, most first (then by name), from a map or a list of names. */
export function tally(counts: Iterable<[string, number]>): Tally[] {
  const merged = new Map<string, number>();
  for (const [name, count] of counts) merged.set(name, (merged.get(name) ?? 0) + count);
  return [...merged.entries()]
    .map(([name, count]) => ({ name, count }))
    .sort((left, right) => right.count - left.count || left.name.localeCompare(right.name));
}

/** The totals of some days of counters. */
export function summariseStats(days: DailyStats[]): StatsAnswer {
  const byLevel: Partial<Record<RiskLevel, number>> = {};
  for (const day of days) {
    for (const [level, count] of Object.entries(day.byLevel) as Array<[RiskLevel, number]>) {
      byLevel[level] = (byLevel[level] ?? 0) + count;
    }
  }
  return {
    kind: 'stats',
    days,
    total: days.reduce((sum, day) => sum + day.total, 0),
    failed: days.reduce((sum, day) => sum + day.failed, 0),
    byLevel,
    byActor: tally(days.flatMap((day) => Object.entries(day.byActor))),
    byClient: tally(days.flatMap((day) => Object.entries(day.byClient))),
    byEvent: tally(days.flatMap((day) => Object.entries(day.byEvent))),
    uncounted: days.reduce((sum, day) => sum + day.uncounted, 0),
  };
}

const SEVERITY: Record<RiskLevel, number> = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };

/** Most severe first; newest first within a level; the event id breaks ties, so the order is stable. */
function severeThenNewest(left: QueryEntry, right: QueryEntry): number {
  const bySeverity = SEVERITY[left.change.risk.level] - SEVERITY[right.change.risk.level];
  if (bySeverity !== 0) return bySeverity;
  const byTime = Date.parse(right.change.eventTime) - Date.parse(left.change.eventTime);
  return byTime !== 0 ? byTime : right.change.eventId.localeCompare(left.change.eventId);
}

function listAnswer(matches: QueryEntry[], query: Query, complete: boolean): ListAnswer {
  const unique = new Map<string, QueryEntry>();
  for (const entry of matches) {
    const seen = unique.get(entry.change.eventId);
    // The store's copy wins over CloudTrail's: it knows the Slack message and the state.
    if (!seen || (!seen.stored && entry.stored)) unique.set(entry.change.eventId, entry);
  }
  const sorted = [...unique.values()].sort(severeThenNewest);
  const byLevel: Partial<Record<RiskLevel, number>> = {};
  for (const entry of sorted) byLevel[entry.change.risk.level] = (byLevel[entry.change.risk.level] ?? 0) + 1;
  return {
    kind: 'list',
    entries: sorted.slice(0, query.limit),
    matched: sorted.length,
    byLevel,
    complete,
    byEvent: tally(sorted.map((entry) => [entry.change.eventName, 1])),
    byActor: tally(sorted.map((entry) => [entry.change.actor.name || 'unknown', 1])),
  };
}

/**
 * How long the next (older) slice of a history search should be to hold about `targetEvents`: the density of
 * events at the old end of the slice just read (its oldest 50 events, from the slice's start) is the best
 * guess for what comes next. An empty slice quadruples the span; no slice grows more than fourfold.
 */
export function nextSliceSpan(
  records: ReadonlyArray<{ eventTime?: unknown }>,
  sliceStart: number,
  span: number,
  targetEvents: number,
): number {
  const times = records
    .map((record) => (typeof record.eventTime === 'string' ? Date.parse(record.eventTime) : Number.NaN))
    .filter((time) => Number.isFinite(time))
    .sort((left, right) => left - right);
  if (times.length === 0) return span * 4;
  const sample = Math.min(times.length, EVENTS_PER_PAGE);
  const covered = Math.max(1000, (times[sample - 1] ?? sliceStart) - sliceStart);
  const estimate = (covered * targetEvents) / sample;
  return Math.round(Math.min(span * 4, Math.max(MIN_SLICE_MS, estimate)));
}

/**
 * The `LookupEvents` attribute that narrows a history search most: the resource's name, else an exact event
 * name, else every IAM event. (The API takes one attribute, so `by alice` can never narrow it.)
 */
export function historyAttribute(query: Query): HistoryAttribute {
  if (query.resource && !hasWildcard(query.resource)) {
    const slash = query.resource.indexOf('/');
    const kind = query.resource.slice(0, slash);
    const name = query.resource.slice(slash + 1);
    if (kind !== 'policy' || name.startsWith('arn:')) {
      return { AttributeKey: 'ResourceName', AttributeValue: name };
    }
  }
  if (query.eventPattern && !hasWildcard(query.eventPattern)) {
    // CloudTrail compares event names exactly; IAM's are PascalCase.
    const name = query.eventPattern;
    return { AttributeKey: 'EventName', AttributeValue: name.charAt(0).toUpperCase() + name.slice(1) };
  }
  return { AttributeKey: 'EventSource', AttributeValue: IAM_EVENT_SOURCE };
}

/** `in <term>` names no account the bot knows of. The message is one line for the person who asked. */
export class UnknownAccountError extends Error {
  override readonly name = 'UnknownAccountError';
}

/**
 * Answers `/iam-changes` queries. List queries read one store index — by resource for `on role/x`, by actor
 * for `by alice` (the actor's index keys are found in the daily counters), else by time — and filter the rest
 * with {@link matchesQuery}; `stats` reads the daily counters. When {@link historyNeeded} says the store
 * cannot cover the range, {@link searchHistory} adds what CloudTrail still has.
 */
export class QueryService {
  private readonly scanLimit: number;
  private readonly historyDays: number;
  private readonly historyMaxPages: number;
  private readonly pagesPerSlice: number;

  constructor(private readonly deps: QueryServiceDependencies) {
    this.scanLimit = deps.scanLimit ?? DEFAULT_SCAN_LIMIT;
    this.historyDays = deps.historyDays ?? DEFAULT_HISTORY_DAYS;
    this.historyMaxPages = deps.historyMaxPages ?? DEFAULT_HISTORY_MAX_PAGES;
    this.pagesPerSlice = deps.historyPagesPerSlice ?? DEFAULT_PAGES_PER_SLICE;
  }

  /**
   * The query with `in <term>` resolved to account ids through the account directory. Throws
   * {@link UnknownAccountError} when the term names no account.
   */
  async resolveAccounts(query: Query): Promise<Query> {
    if (query.account === undefined || query.accountIds) return query;
    const accounts = await (this.deps.accounts ?? NO_ACCOUNT_DIRECTORY).resolve(query.account);
    if (accounts.length === 0) {
      throw new UnknownAccountError(
        `no account or OU is named "${query.account}": use an account name, a 12-digit account id, or an OU path such as Root/Workloads`,
      );
    }
    return { ...query, accountIds: accounts.map((account) => account.id) };
  }

  /** Answers from the store alone: fast (a few index queries), whatever the range. */
  async answer(given: Query): Promise<QueryAnswer> {
    const query = await this.resolveAccounts(given);
    switch (query.kind) {
      case 'help':
        return { kind: 'help' };
      case 'status':
        return { kind: 'status' };
      case 'stats':
        return summariseStats(await this.deps.stats.read(statsStart(query), query.end));
      case 'list': {
        const { entries, complete } = await this.fromStore(query);
        return listAnswer(entries, query, complete);
      }
    }
  }

  /**
   * The time before which the store cannot answer: the later of its retention horizon and the first change it
   * ever counted (nothing counted yet: now).
   */
  async coverageStart(): Promise<Date> {
    const now = this.deps.clock.now().getTime();
    const first = await this.deps.stats.firstEventTime();
    const firstMs = first === undefined ? now : Date.parse(first);
    return new Date(Math.max(now - this.deps.retentionDays * DAY_MS, firstMs));
  }

  /**
   * True when a list query starts before what the store holds and CloudTrail history (90 days) still has some
   * of that gap: the caller should then answer with {@link searchHistory}, off the Slack request path.
   */
  async historyNeeded(query: Query): Promise<boolean> {
    if (query.kind !== 'list') return false;
    await this.resolveAccounts(query);
    if (this.deps.archive && (await this.archiveWindow(query))) return true;
    const window = await this.historyWindow(query);
    return window !== undefined;
  }

  /**
   * The store's answer plus the changes CloudTrail history holds for the part of the range the store does not
   * cover, read newest first in slices of about `historyPagesPerSlice` pages; `onProgress` is told after each.
   * Stops at `historyMaxPages` (the summary says so). Changes found in both keep the store's record.
   */
  async searchHistory(
    given: Query,
    onProgress?: (progress: SearchProgress) => void | Promise<void>,
  ): Promise<ListAnswer> {
    const query = await this.resolveAccounts(given);
    const stored = await this.fromStore(query);
    // One query, one read of each policy its records attach or detach (archive and CloudTrail alike).
    const reads = new PolicyReadMemo();
    const archived = await this.searchArchive(query, reads);
    let window = await this.historyWindow(query);
    // What the archive answered is not asked again: LookupEvents only for what S3 may not have yet.
    if (window && archived && !archived.summary.error) {
      const start = Math.max(
        window.start.getTime(),
        this.deps.clock.now().getTime() - ARCHIVE_DELIVERY_LAG_MS,
      );
      window = start < window.end.getTime() ? { start: new Date(start), end: window.end } : undefined;
    }
    if (!window) {
      const answer = listAnswer([...stored.entries, ...(archived?.entries ?? [])], query, stored.complete);
      return archived ? { ...answer, archive: archived.summary } : answer;
    }

    const attribute = historyAttribute(query);
    const found: QueryEntry[] = [];
    const summary: HistorySearchSummary = {
      start: window.start.toISOString(),
      end: window.end.toISOString(),
      searchedFrom: window.end.toISOString(),
      pages: 0,
      events: 0,
      truncated: false,
    };
    const targetEvents = this.pagesPerSlice * EVENTS_PER_PAGE;
    let cursor = window.end.getTime();
    let span = FIRST_SLICE_MS;
    while (cursor > window.start.getTime()) {
      if (summary.pages >= this.historyMaxPages) {
        summary.truncated = true;
        break;
      }
      const sliceStart = Math.max(window.start.getTime(), cursor - span);
      // LookupEvents' times are inclusive: after the first slice, end just before the previous one began.
      const sliceEnd = cursor === window.end.getTime() ? cursor : cursor - 1;
      const result = await this.deps.history.lookup(attribute, new Date(sliceStart), new Date(sliceEnd));
      summary.pages += result.pages;
      summary.events += result.events;
      if (result.truncated) summary.truncated = true;
      for (const record of result.records) {
        const change = await this.judge(record, reads);
        if (change && matchesQuery(change, query)) found.push({ change });
      }
      cursor = sliceStart;
      summary.searchedFrom = new Date(cursor).toISOString();
      span = nextSliceSpan(result.records, sliceStart, span, targetEvents);
      await onProgress?.({
        pages: summary.pages,
        events: summary.events,
        matched: found.length,
        searchedFrom: summary.searchedFrom,
      });
    }
    const answer = listAnswer(
      [...stored.entries, ...(archived?.entries ?? []), ...found],
      query,
      stored.complete,
    );
    return { ...answer, history: summary, ...(archived ? { archive: archived.summary } : {}) };
  }

  /**
   * The changes the S3 log archive holds for the part of the range the store does not cover; undefined when there
   * is no archive or no such part. A failed search is reported in the summary (`error`), and CloudTrail
   * `LookupEvents` then answers what it can, as without an archive.
   */
  private async searchArchive(
    query: Query,
    reads: PolicyReadMemo,
  ): Promise<{ entries: QueryEntry[]; summary: ArchiveSearchSummary } | undefined> {
    const archive = this.deps.archive;
    const window = archive ? await this.archiveWindow(query) : undefined;
    if (!archive || !window) return undefined;
    const base = { start: window.start.toISOString(), end: window.end.toISOString() };
    try {
      const result = await archive.search(window, { reads });
      const entries = result.changes
        .filter((change) => matchesQuery(change, query))
        .map((change) => ({ change }));
      return { entries, summary: { ...base, ...result.summary } };
    } catch (error: unknown) {
      const message = error instanceof Error ? error.message : String(error);
      return {
        entries: [],
        summary: {
          ...base,
          location: archive.location,
          files: 0,
          bytes: 0,
          skippedFiles: 0,
          truncated: false,
          error: message,
        },
      };
    }
  }

  /** The part of the query's range older than what the store holds, whatever its age. */
  private async archiveWindow(query: Query): Promise<{ start: Date; end: Date } | undefined> {
    if (query.kind !== 'list') return undefined;
    const coverage = (await this.coverageStart()).getTime();
    const start = Date.parse(query.start);
    const end = Math.min(Date.parse(query.end), coverage);
    return start < end ? { start: new Date(start), end: new Date(end) } : undefined;
  }

  /** The part of the query's range only CloudTrail can answer, or undefined when there is none. */
  private async historyWindow(query: Query): Promise<{ start: Date; end: Date } | undefined> {
    const now = this.deps.clock.now().getTime();
    const coverage = (await this.coverageStart()).getTime();
    const start = Math.max(Date.parse(query.start), now - this.historyDays * DAY_MS);
    const end = Math.min(Date.parse(query.end), coverage);
    return start < end ? { start: new Date(start), end: new Date(end) } : undefined;
  }

  /** A CloudTrail record as an assessed change, or undefined when it is not an IAM write or can't be read. */
  private async judge(
    record: Parameters<typeof normaliseRecord>[0],
    reads: PolicyReadMemo,
  ): Promise<AssessedChange | undefined> {
    let result: ReturnType<typeof normaliseRecord>;
    try {
      result = normaliseRecord(record);
    } catch (error: unknown) {
      if (error instanceof InputError) return undefined;
      throw error;
    }
    if (!('change' in result)) return undefined;
    const prepared = this.deps.content
      ? await this.deps.content.prepare(result.change, reads)
      : { change: result.change };
    return assessChange(
      prepared.change,
      prepared.actions ? { ...this.deps.risk, actions: prepared.actions } : this.deps.risk,
    );
  }

  /** Candidates from the narrowest index, filtered by the whole query. */
  private async fromStore(query: Query): Promise<{ entries: QueryEntry[]; complete: boolean }> {
    const lists = await this.candidates(query);
    const complete = lists.every((list) => list.length < this.scanLimit);
    const entries = lists
      .flat()
      .filter((stored) => matchesQuery(stored.change, query))
      .map((stored) => ({ change: stored.change, stored }));
    return { entries, complete };
  }

  private async candidates(query: Query): Promise<StoredChange[][]> {
    const { changes } = this.deps;
    const { start, end } = query;
    const resource = query.resource;
    if (resource && !hasWildcard(resource) && !resource.startsWith('policy/')) {
      // Policies are left to the time index: `on policy/X` includes its attachments to roles, users and groups.
      return [await changes.changesOnResource(resource, start, end, this.scanLimit)];
    }
    if (query.actor && !hasWildcard(query.actor)) {
      const keys = await this.actorKeys(query.actor, start, end);
      if (keys) {
        return Promise.all(keys.map((key) => changes.changesByActor(key, start, end, this.scanLimit)));
      }
    }
    const accounts = query.accountIds;
    if (accounts && accounts.length <= MAX_ACCOUNT_KEYS) {
      // Each account's own partition: changes in other accounts never use up the scan limit.
      return Promise.all(
        accounts.map((account) => changes.changesInAccount(account, start, end, this.scanLimit)),
      );
    }
    return [await changes.changesBetween(start, end, this.scanLimit)];
  }

  /**
   * The actor index keys (ARNs) `by <actor>` may mean, from the principals the daily counters saw in the
   * range; undefined when the counters know nothing of the range, or too many keys match, and the time index
   * must be read instead.
   */
  private async actorKeys(actor: string, start: string, end: string): Promise<string[] | undefined> {
    const days = await this.deps.stats.read(start, end);
    // Counters that saw nothing in the range, or could not name every actor, cannot say whom to look for.
    if (!days.some((day) => day.total > 0) || days.some((day) => day.uncounted > 0)) return undefined;
    const keys = new Set<string>();
    for (const day of days) {
      for (const key of Object.keys(day.byPrincipal)) {
        if (key === actor || actorMatches(actorNamesOfKey(key), actor)) keys.add(key);
      }
    }
    return keys.size <= MAX_ACTOR_KEYS ? [...keys] : undefined;
  }
}

/** The first day `stats` counts: `stats 30d` is the 30 UTC days ending today. */
export function statsStart(query: Pick<Query, 'start' | 'end'>): string {
  const start = Date.parse(query.start);
  const end = Date.parse(query.end);
  const lastDay = Math.floor((end - 1) / DAY_MS) * DAY_MS;
  const days = Math.max(1, Math.ceil((end - start) / DAY_MS));
  const first = Math.max(Math.floor(start / DAY_MS) * DAY_MS, lastDay - (days - 1) * DAY_MS);
  return new Date(first).toISOString();
}
