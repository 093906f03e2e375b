/**
 * Following a CIS 4.4 alarm while it stays in ALARM: the alarm's summary names the calls of the window that made
 * it fire; every call after that is found here, by searching the log group on from where the last search stopped
 * on a schedule (and once more when the alarm is OK again), and handed to the notify path, which posts each call
 * once whichever path saw it first.
 */
import {
  type AlarmCursor,
  advanceCursor,
  closeCursor,
  type FollowSource,
  type FollowWindow,
  followWindow,
  openCursor,
  type SeenCall,
  settleCursor,
  splitWindow,
} from '../domain/alarm-cursor';
import { FilterPatternError, matchesFilterPattern, parseFilterPattern } from '../domain/filter-pattern';
import type { CloudTrailRecord } from '../domain/input';
import type { AlarmEvent } from '../domain/types';
import type { Clock } from './ports';

/**
 * Where the cursors are kept: one per alarm, each write conditional on the version read, so a scheduled run and
 * an ALARM or OK notification at the same time never undo each other's progress.
 */
export interface AlarmCursorStore {
  /** Every cursor not yet closed, in one read: what a scheduled run does when no alarm is in ALARM. */
  activeCursors(): Promise<AlarmCursor[]>;
  getCursor(alarmName: string): Promise<AlarmCursor | undefined>;
  /**
   * Writes `cursor` if the stored one is still at `expectedVersion` (absent when undefined); false when another
   * writer got there first (the caller reads again).
   */
  saveCursor(cursor: AlarmCursor, expectedVersion: number | undefined): Promise<boolean>;
}

/**
 * Hands found calls to the notify path, which claims each by event id before posting it. Resolves to the event
 * ids it took as IAM changes (posted, grouped, muted, kept for the digest, the bot's own, or already delivered by
 * the other path): the records it sets aside (not an IAM write, such as an Organizations `CreatePolicy` the CIS
 * 4.4 pattern also matches; unreadable) are not the alarm's later calls.
 */
export type CallSink = (records: CloudTrailRecord[], deadline: number) => Promise<readonly string[]>;

/**
 * The log group search the follow-up reads: every record the pattern matches in `[start, end]` (inclusive, as
 * `FilterLogEvents` takes it), page by page as the service returns them, with no limit on how many — the caller
 * decides when a window holds too many to keep at once. Throws when the search fails.
 */
export interface FollowLogSearch {
  pages(
    logGroupName: string,
    filterPattern: string,
    start: Date,
    end: Date,
  ): AsyncIterable<readonly CloudTrailRecord[]>;
}

/**
 * The calls found after an alarm's summary was posted, recorded with the alarm, and their count shown on its
 * summary. The alarm is named by its name and the time it went into ALARM (`openedAt`). Each method throws when
 * the store (or, for {@link LaterCallsPort.showLaterCalls}, Slack) fails; each is idempotent, so a call after any
 * interruption completes what the last one left undone.
 */
export interface LaterCallsPort {
  /**
   * Records the calls of `eventIds` (taken as IAM changes by the notify path) as the alarm's later calls: each
   * call once however often it is recorded again, and none its summary already lists. Returns how many were new.
   */
  recordLaterCalls(alarmName: string, openedAt: string, eventIds: readonly string[]): Promise<number>;
  /** Derives the count from the calls recorded and keeps it with the alarm (raised, never lowered). Store only. */
  keepLaterCallsCount(alarmName: string, openedAt: string): Promise<void>;
  /** Updates the alarm's summary in place while it shows fewer later calls than the count kept. */
  showLaterCalls(alarmName: string, openedAt: string): Promise<void>;
}

/** What the notify path tells the follow-up: an alarm fired (with what its summary searched), or left ALARM. */
export interface AlarmFollowPort {
  /** Starts following an ALARM state change from the end of the window its summary searched. Idempotent. */
  opened(alarm: AlarmEvent, sources: FollowSource[], found: readonly CloudTrailRecord[]): Promise<void>;
  /** The alarm left ALARM: the calls up to then are searched now (and once more after the delivery lag). */
  closed(alarm: AlarmEvent, deadline: number): Promise<void>;
}

/** What one run did for one alarm. */
export interface FollowOutcome {
  alarmName: string;
  searches: number;
  /** Calls found that the cursor had not seen, handed to the notify path. */
  handedOver: number;
  state: AlarmCursor['state'];
}

/** What the follow-up needs. */
export interface AlarmFollowDependencies {
  cursors: AlarmCursorStore;
  logs: FollowLogSearch;
  deliver: CallSink;
  /** The count of calls found after the alarm's summary, kept and shown on it; not counted when absent. */
  summaries?: LaterCallsPort;
  /**
   * Records one pass over a window keeps before it splits the window in two (default 10,000, CloudWatch Logs'
   * own page size): a window that cannot be split further is paged on, handing over this many at a time.
   */
  recordsPerPass?: number;
  clock: Clock;
  /** How far each search reaches back before where the last one stopped (default 15 minutes). */
  overlapMs?: number;
  log?: (message: string, details?: Record<string, unknown>) => void;
}

/** Conditional writes lost in a row before a run gives the alarm up to the next run. */
const MAX_ATTEMPTS = 5;

function seen(records: readonly CloudTrailRecord[]): SeenCall[] {
  return records.flatMap((record) =>
    typeof record.eventID === 'string' && typeof record.eventTime === 'string'
      ? [{ eventId: record.eventID, time: record.eventTime }]
      : [],
  );
}

/**
 * The follow-up use case. Its guarantees: a cursor only moves past a window that was searched and whose calls were
 * handed over and recorded as the alarm's later calls, with a conditional write, so nothing is missed when two
 * runs overlap; the notify path claims each call before posting it, so nothing is posted twice. The count of later
 * calls is derived from those records at the end of every run (and before a cursor closes), so a run cut short at
 * any step leaves the count short only until the next run. A run whose store steps failed (recording, counting)
 * fails with {@link FollowUpError} once it has done what it could; showing the count on the summary is best effort
 * (logged): Slack refusing it for good (the message deleted, the channel archived) never keeps a cursor open.
 */
export class AlarmFollowService implements AlarmFollowPort {
  private readonly log: NonNullable<AlarmFollowDependencies['log']>;

  constructor(private readonly deps: AlarmFollowDependencies) {
    this.log = deps.log ?? (() => {});
  }

  async opened(
    alarm: AlarmEvent,
    sources: FollowSource[],
    found: readonly CloudTrailRecord[],
  ): Promise<void> {
    if (sources.length === 0) return;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const existing = await this.deps.cursors.getCursor(alarm.name);
      const next = openCursor(existing, {
        alarmName: alarm.name,
        stateChangeTime: alarm.stateChangeTime,
        searchedUntil: alarm.windowEnd,
        sources,
        found: seen(found),
      });
      if (!next) return;
      if (await this.deps.cursors.saveCursor(next, existing?.version)) return;
    }
    throw new CursorContentionError(`alarm ${alarm.name}: its cursor kept changing while it was opened`);
  }

  async closed(alarm: AlarmEvent, deadline: number): Promise<void> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const existing = await this.deps.cursors.getCursor(alarm.name);
      const next = closeCursor(existing, alarm.name, alarm.stateChangeTime);
      if (!next) break;
      if (await this.deps.cursors.saveCursor(next, existing?.version)) break;
      if (attempt === MAX_ATTEMPTS - 1) {
        throw new CursorContentionError(`alarm ${alarm.name}: its cursor kept changing while it was closed`);
      }
    }
    const cursor = await this.deps.cursors.getCursor(alarm.name);
    if (cursor && cursor.state !== 'closed') await this.follow(cursor, deadline);
  }

  /**
   * The scheduled run: one read when no alarm is in ALARM; otherwise each open or closing alarm searched on from
   * where it stopped. `active` is the cursors the caller already read (to spare a second read).
   */
  async run(deadline: number, active?: AlarmCursor[]): Promise<FollowOutcome[]> {
    const cursors = active ?? (await this.deps.cursors.activeCursors());
    const outcomes: FollowOutcome[] = [];
    const failures: string[] = [];
    for (const cursor of cursors) {
      if (this.deps.clock.now().getTime() > deadline) break;
      try {
        outcomes.push(await this.follow(cursor, deadline));
      } catch (error: unknown) {
        // Its cursor did not move: the next run searches the same calls again. The other alarms go on.
        const message = error instanceof Error ? error.message : String(error);
        this.log('alarm follow-up failed; the next run tries again', {
          alarm: cursor.alarmName,
          error: message,
        });
        failures.push(`${cursor.alarmName}: ${message}`);
      }
    }
    if (failures.length > 0) throw new FollowUpError(`follow-up failed for ${failures.join('; ')}`);
    return outcomes;
  }

  /** Searches on from where the cursor stopped until it is caught up (or out of time), then saves it. */
  private async follow(start: AlarmCursor, deadline: number): Promise<FollowOutcome> {
    const outcome: FollowOutcome = {
      alarmName: start.alarmName,
      searches: 0,
      handedOver: 0,
      state: start.state,
    };
    let cursor: AlarmCursor | undefined = start;
    // Calls handed over in this run: a later window's overlap does not hand them over again.
    const handed = new Set<string>();
    // The occurrences (by `openedAt`) whose count this run already tried to complete, and every one it followed.
    const shown = new Set<string>();
    const followed = new Map<string, AlarmCursor>();
    // What the store could not do this run: the run fails once the rest is done (the next run completes it).
    const failures: string[] = [];
    for (let lost = 0; cursor && lost < MAX_ATTEMPTS; ) {
      followed.set(cursor.openedAt, cursor);
      const now = this.deps.clock.now();
      let window = followWindow(cursor, now, this.deps.overlapMs);
      if (!window) {
        // Nothing left to search: a closing cursor may be due to close.
        const settled = settleCursor(cursor, now, this.deps.overlapMs);
        if (settled) {
          // Its count is kept first: once closed, no run comes back to it. When that fails it stays closing.
          shown.add(cursor.openedAt);
          if (
            (await this.completeCount(cursor, failures)) &&
            (await this.deps.cursors.saveCursor({ ...settled, version: cursor.version + 1 }, cursor.version))
          ) {
            outcome.state = 'closed';
          }
        }
        break;
      }
      let swept: Sweep | undefined;
      for (;;) {
        swept = await this.sweep(cursor, window, deadline, handed);
        outcome.searches += 1;
        if (!('split' in swept)) break;
        // More records than one pass keeps: the first half now, the rest in the next window.
        window = swept.split;
      }
      if ('cut' in swept) {
        // Out of time while paging on, or calls handed over but not recorded as later calls: the cursor stays,
        // and the next run searches the window again (the notify path posts nothing twice; records are kept once).
        outcome.handedOver += swept.handedOver;
        if (swept.cut === 'unrecorded')
          failures.push('calls handed over could not be recorded as later calls');
        break;
      }
      let next = advanceCursor(cursor, window, swept.found, now, this.deps.overlapMs);
      if (next.state === 'closed') {
        // Its count is kept first: once closed, no run comes back to it. When that fails it stays closing.
        shown.add(cursor.openedAt);
        if (!(await this.completeCount(cursor, failures))) next = { ...next, state: cursor.state };
      }
      if (await this.deps.cursors.saveCursor(next, cursor.version)) {
        outcome.handedOver += swept.handedOver;
        outcome.state = next.state;
        // Caught up with now (or the OK time): the next scheduled run goes on from here.
        if (!window.behind || this.deps.clock.now().getTime() > deadline) break;
        // Left behind (runs that failed, a window split): search on at once, one bounded window after another.
        cursor = next;
        continue;
      }
      // Another run or notification moved it meanwhile: read it again and search on from where it now is. The
      // calls just handed over are claimed by event id, so searching them again posts nothing twice.
      lost += 1;
      cursor = await this.deps.cursors.getCursor(start.alarmName);
      if (cursor) outcome.state = cursor.state;
    }
    // Every run completes the count from what is recorded, whether or not it found anything: an earlier run may
    // have been cut after recording calls and before counting or showing them.
    for (const [openedAt, followedCursor] of followed) {
      if (!shown.has(openedAt)) await this.completeCount(followedCursor, failures);
    }
    if (outcome.handedOver > 0) this.log('calls found while the alarm stays in ALARM', { ...outcome });
    if (failures.length > 0) {
      throw new FollowUpError(`alarm ${start.alarmName}: ${[...new Set(failures)].join('; ')}`);
    }
    return outcome;
  }

  /**
   * The alarm's count of later calls kept from what is recorded, then shown on its summary. True when the count is
   * kept (or there is nothing to count): only that store step decides whether a cursor may close. A store failure
   * is added to `failures` (the run fails; the next one completes the count); a Slack failure is only logged, as
   * the summary may be gone for good (deleted, its channel archived) and every later run tries it again while the
   * alarm is followed.
   */
  private async completeCount(cursor: AlarmCursor, failures: string[]): Promise<boolean> {
    const summaries = this.deps.summaries;
    if (!summaries || cursor.openedAt === '') return true;
    try {
      await summaries.keepLaterCallsCount(cursor.alarmName, cursor.openedAt);
    } catch (error: unknown) {
      const message = error instanceof Error ? error.message : String(error);
      this.log("the alarm's later calls could not be counted; the next run tries again", {
        alarm: cursor.alarmName,
        error: message,
      });
      failures.push(`the later calls could not be counted: ${message}`);
      return false;
    }
    try {
      await summaries.showLaterCalls(cursor.alarmName, cursor.openedAt);
    } catch (error: unknown) {
      this.log("the alarm's summary could not show the later calls", {
        alarm: cursor.alarmName,
        error: error instanceof Error ? error.message : String(error),
      });
    }
    return true;
  }

  /**
   * Records the calls the notify path took as IAM changes as the alarm's later calls. False (logged) when that
   * fails: the calls are posted anyway, and the cursor stays so the next run records them.
   */
  private async recordLaterCalls(cursor: AlarmCursor, ids: readonly string[]): Promise<boolean> {
    const summaries = this.deps.summaries;
    if (!summaries || cursor.openedAt === '') return true;
    if (ids.length === 0) return true;
    try {
      await summaries.recordLaterCalls(cursor.alarmName, cursor.openedAt, ids);
      return true;
    } catch (error: unknown) {
      this.log("the alarm's later calls could not be recorded; the next run searches them again", {
        alarm: cursor.alarmName,
        error: error instanceof Error ? error.message : String(error),
      });
      return false;
    }
  }

  /**
   * One pass over `window`: the records each source's pattern really matches (emulators apply JSON patterns
   * loosely), those neither on the cursor's boundary nor handed over earlier in this run (`handed`) handed over,
   * `recordsPerPass` at a time. Once more than `recordsPerPass` of them are past where the cursor stopped, the pass
   * stops and asks for the window to be split (the overlap before that point is read by every window however it
   * is split, so it is not counted); a window that cannot be split (the calls of one second) is paged on to its
   * end instead. Either way no record is skipped.
   */
  private async sweep(
    cursor: AlarmCursor,
    window: FollowWindow,
    deadline: number,
    handed: Set<string>,
  ): Promise<Sweep> {
    const limit = this.deps.recordsPerPass ?? DEFAULT_RECORDS_PER_PASS;
    const split = splitWindow(cursor, window);
    const until = Date.parse(cursor.searchedUntil);
    const onBoundary = new Set(cursor.boundary.map((call) => call.eventId));
    const found: SeenCall[] = [];
    let pending: CloudTrailRecord[] = [];
    let past = 0;
    let handedOver = 0;
    let unrecorded = false;
    const handOver = async () => {
      if (pending.length === 0) return;
      const changes = await this.deps.deliver(pending, deadline);
      handedOver += pending.length;
      if (!(await this.recordLaterCalls(cursor, changes))) unrecorded = true;
      for (const record of pending) if (typeof record.eventID === 'string') handed.add(record.eventID);
      pending = [];
    };
    for (const source of cursor.sources) {
      const parsed = parsedPattern(source.filterPattern);
      for await (const page of this.deps.logs.pages(
        source.logGroupName,
        source.filterPattern,
        window.start,
        window.end,
      )) {
        const matching = parsed ? page.filter((record) => matches(parsed, record)) : page;
        for (const record of matching) {
          const time = typeof record.eventTime === 'string' ? Date.parse(record.eventTime) : Number.NaN;
          if (!(time <= until)) past += 1;
        }
        if (split && past > limit) return { split };
        found.push(...seen(matching));
        for (const record of matching) {
          // Records without an event id cannot be told apart: the notify path names them by content.
          if (typeof record.eventID === 'string') {
            if (onBoundary.has(record.eventID) || handed.has(record.eventID)) continue;
            onBoundary.add(record.eventID);
          }
          pending.push(record);
        }
        if (pending.length >= limit) {
          await handOver();
          if (this.deps.clock.now().getTime() > deadline) return { cut: 'deadline', handedOver };
        }
      }
    }
    await handOver();
    return unrecorded ? { cut: 'unrecorded', handedOver } : { found, handedOver };
  }
}

/** Records one pass over a window keeps before splitting it: the most `FilterLogEvents` returns in one page. */
const DEFAULT_RECORDS_PER_PASS = 10_000;

/**
 * What one pass over a window came to: done, split in two, or cut short (by the deadline while paging on, or
 * because calls handed over could not be recorded as later calls).
 */
type Sweep =
  | { found: SeenCall[]; handedOver: number }
  | { split: FollowWindow }
  | { cut: 'deadline' | 'unrecorded'; handedOver: number };

/** The pattern as this module evaluates it; undefined when it cannot be read here (every record is kept). */
function parsedPattern(pattern: string): ReturnType<typeof parseFilterPattern> | undefined {
  try {
    return parseFilterPattern(pattern);
  } catch (error: unknown) {
    if (error instanceof FilterPatternError) return undefined;
    throw error;
  }
}

function matches(parsed: ReturnType<typeof parseFilterPattern>, record: CloudTrailRecord): boolean {
  return matchesFilterPattern(parsed, { message: JSON.stringify(record), json: record });
}

/** A cursor changed under every one of a run's conditional writes. */
export class CursorContentionError extends Error {
  override name = 'CursorContentionError';
}

/** Some alarms could not be followed this run (their cursors did not move; the next run tries again). */
export class FollowUpError extends Error {
  override name = 'FollowUpError';
}
