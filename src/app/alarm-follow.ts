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
  followWindow,
  openCursor,
  type SeenCall,
  settleCursor,
  unseenCalls,
} from '../domain/alarm-cursor';
import { FilterPatternError, matchesFilterPattern, parseFilterPattern } from '../domain/filter-pattern';
import type { CloudTrailRecord } from '../domain/input';
import type { AlarmEvent } from '../domain/types';
import type { Clock, LogSearch } from './ports';

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

/** Hands found calls to the notify path, which claims each by event id before posting it. */
export type CallSink = (records: CloudTrailRecord[], deadline: number) => Promise<void>;

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
  logs: Pick<LogSearch, 'searchRecords'>;
  deliver: CallSink;
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
 * handed over, with a conditional write, so nothing is missed when two runs overlap; the notify path claims each
 * call before posting it, so nothing is posted twice.
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
    for (let lost = 0; cursor && lost < MAX_ATTEMPTS; ) {
      const now = this.deps.clock.now();
      const window = followWindow(cursor, now, this.deps.overlapMs);
      if (!window) {
        // Nothing left to search: a closing cursor may be due to close.
        const settled = settleCursor(cursor, now, this.deps.overlapMs);
        if (
          settled &&
          (await this.deps.cursors.saveCursor({ ...settled, version: cursor.version + 1 }, cursor.version))
        ) {
          outcome.state = 'closed';
        }
        break;
      }
      const records = await this.search(cursor.sources, window);
      outcome.searches += 1;
      const fresh = unseenCalls(
        cursor,
        records.flatMap((record) =>
          typeof record.eventID === 'string' ? [{ eventId: record.eventID, record }] : [],
        ),
      ).map((entry) => entry.record);
      // Records without an event id cannot be told apart: the notify path names them by content.
      const anonymous = records.filter((record) => typeof record.eventID !== 'string');
      if (fresh.length + anonymous.length > 0) await this.deps.deliver([...fresh, ...anonymous], deadline);
      const next = advanceCursor(cursor, window, seen(records), now, this.deps.overlapMs);
      if (await this.deps.cursors.saveCursor(next, cursor.version)) {
        outcome.handedOver += fresh.length + anonymous.length;
        outcome.state = next.state;
        // Caught up with now (or the OK time): the next scheduled run goes on from here.
        if (!window.behind || this.deps.clock.now().getTime() > deadline) break;
        // Left behind (runs that failed): search on at once, one bounded window after another.
        cursor = next;
        continue;
      }
      // Another run or notification moved it meanwhile: read it again and search on from where it now is. The
      // calls just handed over are claimed by event id, so searching them again posts nothing twice.
      lost += 1;
      cursor = await this.deps.cursors.getCursor(start.alarmName);
      if (cursor) outcome.state = cursor.state;
    }
    if (outcome.handedOver > 0) this.log('calls found while the alarm stays in ALARM', { ...outcome });
    return outcome;
  }

  /** The records each source's pattern really matches in the window (emulators apply JSON patterns loosely). */
  private async search(
    sources: FollowSource[],
    window: { start: Date; end: Date },
  ): Promise<CloudTrailRecord[]> {
    const found: CloudTrailRecord[] = [];
    for (const source of sources) {
      const records = await this.deps.logs.searchRecords(
        source.logGroupName,
        source.filterPattern,
        window.start,
        window.end,
      );
      found.push(...keepMatching(records, source.filterPattern));
    }
    return found;
  }
}

/** The records a metric filter pattern counts; all of them when the pattern cannot be read here. */
function keepMatching(records: CloudTrailRecord[], pattern: string): CloudTrailRecord[] {
  let parsed: ReturnType<typeof parseFilterPattern>;
  try {
    parsed = parseFilterPattern(pattern);
  } catch (error: unknown) {
    if (error instanceof FilterPatternError) return records;
    throw error;
  }
  return records.filter((record) =>
    matchesFilterPattern(parsed, { message: JSON.stringify(record), json: record }),
  );
}

/** A cursor changed under every one of a run's conditional writes. */
export class CursorContentionError extends Error {
  override name = 'CursorContentionError';
}

/** Some alarms could not be followed this run (their cursors did not move; the next run tries again). */
export class FollowUpError extends Error {
  override name = 'FollowUpError';
}
