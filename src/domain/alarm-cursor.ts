/**
 * Following a CIS 4.4 alarm while it stays in ALARM: where the search of its log group stopped, what comes next,
 * and when to stop. The alarm fires once; the calls that keep coming while it stays in ALARM are found by searching
 * on from that point on a schedule, until the alarm is OK again and the calls up to that moment are searched.
 *
 * CloudTrail reaches CloudWatch Logs minutes after a call, so each search reaches back {@link FOLLOW_OVERLAP_MS}
 * before where the last one stopped; the calls already seen in that overlap are kept on the cursor (`boundary`)
 * and skipped. Pure: no I/O, no clock.
 */
import { DELIVERY_MARGIN_SECONDS } from './alarm';

/** How far each search reaches back before where the last one stopped: CloudTrail's delivery lag. */
export const FOLLOW_OVERLAP_MS = DELIVERY_MARGIN_SECONDS * 1000;

/** Calls kept on a cursor's boundary at most (the newest); the store's claim still posts each call once. */
export const MAX_BOUNDARY = 2000;

/** A log group and the metric filter pattern the alarm counts in it. */
export interface FollowSource {
  logGroupName: string;
  filterPattern: string;
}

/** A call already seen near where the search stopped. */
export interface SeenCall {
  eventId: string;
  /** The call's event time (ISO). */
  time: string;
}

/**
 * Where the search behind one alarm is. `open` while in ALARM; `closing` once OK arrived (`closeAt`) and until
 * the calls up to then have had time to reach the log group; `closed` after that.
 */
export interface AlarmCursor {
  alarmName: string;
  /** The ALARM state change it follows (ISO); empty for a cursor made by an OK that came first. */
  openedAt: string;
  sources: FollowSource[];
  /** Searched up to here (ISO). */
  searchedUntil: string;
  boundary: SeenCall[];
  /** The OK (or other non-ALARM) state change that ends it (ISO). */
  closeAt?: string;
  state: 'open' | 'closing' | 'closed';
  /** Bumped by every write: each write is conditional on the version it read. */
  version: number;
}

/**
 * The most one search covers after where the last one stopped: a cursor left behind (runs that failed for hours)
 * catches up in several bounded searches, each under the log search's own record limit.
 */
export const MAX_FOLLOW_SPAN_MS = 30 * 60_000;

/**
 * A search to make: `[start, end]`, inclusive, as `FilterLogEvents` takes it. `behind` when it stops short of now
 * (or of the OK time) because of {@link MAX_FOLLOW_SPAN_MS}: another search should follow at once.
 */
export interface FollowWindow {
  start: Date;
  end: Date;
  behind?: boolean;
}

function ms(time: string): number {
  return Date.parse(time);
}

/**
 * The next search of a cursor: from {@link FOLLOW_OVERLAP_MS} before where it stopped, to now — or to the OK time
 * once closing — but at most {@link MAX_FOLLOW_SPAN_MS} past where it stopped. Undefined for a closed cursor, or
 * when there is nothing after where it stopped.
 */
export function followWindow(
  cursor: AlarmCursor,
  now: Date,
  overlapMs: number = FOLLOW_OVERLAP_MS,
  maxSpanMs: number = MAX_FOLLOW_SPAN_MS,
): FollowWindow | undefined {
  if (cursor.state === 'closed') return undefined;
  const until = ms(cursor.searchedUntil);
  const target = Math.min(
    now.getTime(),
    cursor.closeAt === undefined ? Number.POSITIVE_INFINITY : ms(cursor.closeAt),
  );
  const start = until - overlapMs;
  if (!(target > start)) return undefined;
  const end = Math.min(target, until + maxSpanMs);
  return end < target
    ? { start: new Date(start), end: new Date(end), behind: true }
    : { start: new Date(start), end: new Date(end) };
}

/** Below this span past where the cursor stopped, a window is not split further: its records are paged on. */
export const MIN_SPLIT_MS = 1000;

/**
 * The first half of a window whose search returned more records than one pass keeps: from the same start to
 * halfway between where the cursor stopped and the window's end, `behind` so the second half follows at once.
 * Undefined when that part is already under {@link MIN_SPLIT_MS} (the calls of one instant, or the overlap alone,
 * exceed the limit): the caller then pages on through every record instead.
 */
export function splitWindow(cursor: AlarmCursor, window: FollowWindow): FollowWindow | undefined {
  const until = ms(cursor.searchedUntil);
  const past = window.end.getTime() - until;
  if (!(past > MIN_SPLIT_MS)) return undefined;
  return { start: window.start, end: new Date(until + Math.floor(past / 2)), behind: true };
}

/** The calls of `found` the cursor has not seen yet (by event id), each once. */
export function unseenCalls<T extends { eventId: string }>(cursor: AlarmCursor, found: readonly T[]): T[] {
  const seen = new Set(cursor.boundary.map((call) => call.eventId));
  return found.filter((call) => {
    if (seen.has(call.eventId)) return false;
    seen.add(call.eventId);
    return true;
  });
}

/**
 * The cursor after a search of `window` that found `found`: it has searched up to the window's end, keeps the
 * calls seen in the overlap before it, and closes once it is closing and the delivery lag after the OK is over.
 */
export function advanceCursor(
  cursor: AlarmCursor,
  window: FollowWindow,
  found: readonly SeenCall[],
  now: Date,
  overlapMs: number = FOLLOW_OVERLAP_MS,
): AlarmCursor {
  const searchedUntil = Math.max(ms(cursor.searchedUntil), window.end.getTime());
  const keepFrom = searchedUntil - overlapMs;
  const byId = new Map<string, SeenCall>();
  for (const call of [...cursor.boundary, ...found]) {
    if (ms(call.time) >= keepFrom || Number.isNaN(ms(call.time))) byId.set(call.eventId, call);
  }
  const boundary = [...byId.values()]
    .sort((left, right) => ms(left.time) - ms(right.time) || left.eventId.localeCompare(right.eventId))
    .slice(-MAX_BOUNDARY);
  const next: AlarmCursor = {
    ...cursor,
    searchedUntil: new Date(searchedUntil).toISOString(),
    boundary,
    version: cursor.version + 1,
  };
  return settleCursor(next, now, overlapMs) ?? next;
}

/**
 * The cursor closed, when it is closing, has searched up to the OK time, and the delivery lag after the OK is
 * over (calls made before the OK can no longer arrive); undefined otherwise.
 */
export function settleCursor(
  cursor: AlarmCursor,
  now: Date,
  overlapMs: number = FOLLOW_OVERLAP_MS,
): AlarmCursor | undefined {
  if (cursor.state !== 'closing' || cursor.closeAt === undefined) return undefined;
  const closeAt = ms(cursor.closeAt);
  if (ms(cursor.searchedUntil) < closeAt || now.getTime() < closeAt + overlapMs) return undefined;
  return { ...cursor, state: 'closed' };
}

/** An ALARM state change to follow: its name, time, the window its summary searched and what that found. */
export interface AlarmOpening {
  alarmName: string;
  stateChangeTime: string;
  /** The end of the window the alarm summary searched (ISO). */
  searchedUntil: string;
  sources: FollowSource[];
  found: readonly SeenCall[];
}

/**
 * The cursor to write for an ALARM state change, given the one stored (if any); undefined when the stored one
 * already follows this or a later ALARM. An OK that was processed before this ALARM (its cursor has no ALARM, or an
 * earlier one, and an OK after this ALARM) makes the new cursor closing at once: the calls up to that OK are
 * still searched.
 */
export function openCursor(
  existing: AlarmCursor | undefined,
  opening: AlarmOpening,
): AlarmCursor | undefined {
  const opened = ms(opening.stateChangeTime);
  if (existing && existing.openedAt !== '' && ms(existing.openedAt) >= opened) return undefined;
  const cursor: AlarmCursor = {
    alarmName: opening.alarmName,
    openedAt: new Date(opened).toISOString(),
    sources: opening.sources.map((source) => ({ ...source })),
    searchedUntil: new Date(ms(opening.searchedUntil)).toISOString(),
    boundary: [...opening.found].slice(-MAX_BOUNDARY),
    state: 'open',
    version: (existing?.version ?? 0) + 1,
  };
  if (existing?.closeAt !== undefined && ms(existing.closeAt) > opened) {
    cursor.closeAt = existing.closeAt;
    cursor.state = 'closing';
  }
  return cursor;
}

/**
 * The cursor after the alarm left ALARM at `closeTime`; undefined when there is nothing to change (it was already
 * closing at that time or earlier, or the stored cursor follows a later ALARM). With no cursor stored, a closed
 * one that only remembers the OK, so an ALARM delivered after it knows it has already ended.
 */
export function closeCursor(
  existing: AlarmCursor | undefined,
  alarmName: string,
  closeTime: string,
): AlarmCursor | undefined {
  const closing = new Date(ms(closeTime)).toISOString();
  if (!existing) {
    return {
      alarmName,
      openedAt: '',
      sources: [],
      searchedUntil: closing,
      boundary: [],
      closeAt: closing,
      state: 'closed',
      version: 1,
    };
  }
  if (existing.openedAt !== '' && ms(existing.openedAt) > ms(closing)) return undefined;
  if (existing.closeAt !== undefined && ms(existing.closeAt) <= ms(closing) && existing.openedAt !== '') {
    return undefined;
  }
  if (existing.openedAt === '') {
    // Only an earlier OK is remembered: remember the latest.
    if (existing.closeAt !== undefined && ms(existing.closeAt) >= ms(closing)) return undefined;
    return { ...existing, closeAt: closing, searchedUntil: closing, version: existing.version + 1 };
  }
  return { ...existing, closeAt: closing, state: 'closing', version: existing.version + 1 };
}
