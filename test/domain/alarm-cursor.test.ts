import { describe, expect, it } from 'vitest';
import {
  type AlarmCursor,
  advanceCursor,
  closeCursor,
  FOLLOW_OVERLAP_MS,
  followWindow,
  MAX_BOUNDARY,
  openCursor,
  settleCursor,
  splitWindow,
  unseenCalls,
} from '../../src/domain/alarm-cursor';

const T = (minutes: number) => new Date(Date.UTC(2026, 10, 20, 14, 0) + minutes * 60_000);
const iso = (minutes: number) => T(minutes).toISOString();
const SOURCES = [{ logGroupName: 'trail', filterPattern: '{ $.eventSource = "iam.amazonaws.com" }' }];

function cursor(overrides: Partial<AlarmCursor> = {}): AlarmCursor {
  return {
    alarmName: 'CIS-4.4',
    openedAt: iso(7),
    sources: SOURCES,
    searchedUntil: iso(5),
    boundary: [],
    state: 'open',
    version: 1,
    ...overrides,
  };
}

describe('followWindow', () => {
  it.each([
    ['open: from the overlap before where it stopped to now', cursor(), 20, { start: -10, end: 20 }],
    [
      'closing: up to the OK time only',
      cursor({ state: 'closing', closeAt: iso(12) }),
      20,
      { start: -10, end: 12 },
    ],
    [
      'closing long ago: nothing after where it stopped',
      cursor({ state: 'closing', closeAt: iso(-30) }),
      20,
      undefined,
    ],
    ['closed: nothing', cursor({ state: 'closed', closeAt: iso(12) }), 20, undefined],
    ['now before the overlap start (a clock behind): nothing', cursor(), -20, undefined],
    [
      'two hours behind: 30 minutes past where it stopped, and more to come',
      cursor(),
      125,
      { start: -10, end: 35, behind: true },
    ],
    [
      'closing two hours behind: bounded too',
      cursor({ state: 'closing', closeAt: iso(100) }),
      125,
      { start: -10, end: 35, behind: true },
    ],
  ])('%s', (_what, given, now, expected) => {
    const window = followWindow(given, T(now), FOLLOW_OVERLAP_MS);
    expect(
      window && {
        start: (window.start.getTime() - T(0).getTime()) / 60_000,
        end: (window.end.getTime() - T(0).getTime()) / 60_000,
        ...(window.behind ? { behind: true } : {}),
      },
    ).toEqual(expected);
  });
});

describe('advanceCursor', () => {
  const window = { start: T(-10), end: T(20) };

  it('moves to the end of the window and keeps only the calls of the overlap before it', () => {
    const next = advanceCursor(
      cursor({
        boundary: [
          { eventId: 'old', time: iso(1) },
          { eventId: 'edge', time: iso(5) },
        ],
      }),
      window,
      [
        { eventId: 'new-early', time: iso(4) },
        { eventId: 'new-late', time: iso(18) },
        { eventId: 'edge', time: iso(5) },
      ],
      T(20),
    );
    expect(next.searchedUntil).toBe(iso(20));
    expect(next.boundary.map((call) => call.eventId)).toEqual(['edge', 'new-late']);
    expect(next.version).toBe(2);
    expect(next.state).toBe('open');
  });

  it('never moves back', () => {
    const next = advanceCursor(cursor({ searchedUntil: iso(30) }), window, [], T(31));
    expect(next.searchedUntil).toBe(iso(30));
  });

  it.each([
    ['closing, searched to the OK, lag over: closed', iso(12), T(12 + 15), 'closed'],
    ['closing, searched to the OK, lag not over: still closing', iso(12), T(12 + 14), 'closing'],
  ])('%s', (_what, closeAt, now, state) => {
    const next = advanceCursor(cursor({ state: 'closing', closeAt }), { start: T(-10), end: T(12) }, [], now);
    expect(next.state).toBe(state);
  });

  it(`keeps at most ${MAX_BOUNDARY} calls, the newest`, () => {
    const found = Array.from({ length: MAX_BOUNDARY + 5 }, (_, index) => ({
      eventId: `e${String(index).padStart(5, '0')}`,
      time: new Date(T(19).getTime() + index).toISOString(),
    }));
    const next = advanceCursor(cursor(), window, found, T(20));
    expect(next.boundary).toHaveLength(MAX_BOUNDARY);
    expect(next.boundary[0]?.eventId).toBe('e00005');
  });
});

describe('unseenCalls', () => {
  it('drops the calls on the boundary and repeats within the batch', () => {
    const given = cursor({ boundary: [{ eventId: 'a', time: iso(4) }] });
    expect(
      unseenCalls(given, [{ eventId: 'a' }, { eventId: 'b' }, { eventId: 'b' }, { eventId: 'c' }]),
    ).toEqual([{ eventId: 'b' }, { eventId: 'c' }]);
  });
});

describe('openCursor', () => {
  const opening = {
    alarmName: 'CIS-4.4',
    stateChangeTime: iso(7),
    searchedUntil: iso(5),
    sources: SOURCES,
    found: [{ eventId: 'first', time: iso(1) }],
  };

  it.each([
    ['nothing stored: opens', undefined, { state: 'open', version: 1, searchedUntil: iso(5) }],
    [
      'an earlier, closed one: replaces it',
      cursor({ openedAt: iso(-60), state: 'closed', version: 4 }),
      { state: 'open', version: 5 },
    ],
    ['the same ALARM (a redelivery): nothing', cursor({ openedAt: iso(7) }), undefined],
    ['a later ALARM: nothing', cursor({ openedAt: iso(30) }), undefined],
    [
      'the OK after it came first: opens closing, to search up to that OK',
      cursor({ openedAt: '', state: 'closed', closeAt: iso(20), version: 1 }),
      { state: 'closing', closeAt: iso(20), version: 2 },
    ],
    [
      'an OK before it: opens',
      cursor({ openedAt: '', state: 'closed', closeAt: iso(2), version: 1 }),
      { state: 'open', version: 2 },
    ],
  ])('%s', (_what, existing, expected) => {
    const next = openCursor(existing, opening);
    if (expected === undefined) expect(next).toBeUndefined();
    else expect(next).toMatchObject({ ...expected, boundary: opening.found, openedAt: iso(7) });
  });
});

describe('closeCursor', () => {
  it.each([
    [
      'nothing stored: remembers the OK, closed',
      undefined,
      { state: 'closed', openedAt: '', closeAt: iso(20) },
    ],
    ['open: closing at the OK', cursor(), { state: 'closing', closeAt: iso(20), version: 2 }],
    [
      'already closing at that OK (a redelivery): nothing',
      cursor({ state: 'closing', closeAt: iso(20) }),
      undefined,
    ],
    ['following a later ALARM: nothing', cursor({ openedAt: iso(25) }), undefined],
    [
      'only an earlier OK remembered: the later one',
      cursor({ openedAt: '', state: 'closed', closeAt: iso(2) }),
      { state: 'closed', closeAt: iso(20), version: 2 },
    ],
  ])('%s', (_what, existing, expected) => {
    const next = closeCursor(existing, 'CIS-4.4', iso(20));
    if (expected === undefined) expect(next).toBeUndefined();
    else expect(next).toMatchObject(expected);
  });
});

describe('settleCursor', () => {
  it.each([
    ['open', cursor(), T(60), undefined],
    [
      'closing, not searched to the OK',
      cursor({ state: 'closing', closeAt: iso(20), searchedUntil: iso(10) }),
      T(60),
      undefined,
    ],
    [
      'closing, searched to the OK, lag over',
      cursor({ state: 'closing', closeAt: iso(20), searchedUntil: iso(20) }),
      T(35),
      'closed',
    ],
    [
      'closing, searched past the OK, lag not over',
      cursor({ state: 'closing', closeAt: iso(20), searchedUntil: iso(25) }),
      T(34),
      undefined,
    ],
  ])('%s', (_what, given, now, state) => {
    expect(settleCursor(given, now)?.state).toBe(state);
  });
});

describe('splitWindow', () => {
  const S = 1000;
  it.each([
    // [case, where the cursor stopped (minutes), window end (ms after it), expected end (ms after it) or none]
    ['halves the part past where the cursor stopped', 5, 20 * 60_000, 10 * 60_000],
    ['halves a two-second part to one second', 5, 2 * S, S],
    ['leaves a part of one second as it is: paged on instead', 5, S, undefined],
    ['leaves a window that ends where the cursor stopped', 5, 0, undefined],
  ])('%s', (_, stopped, past, expected) => {
    const start = new Date(T(stopped).getTime() - FOLLOW_OVERLAP_MS);
    const end = new Date(T(stopped).getTime() + past);
    const split = splitWindow(cursor({ searchedUntil: iso(stopped) }), { start, end });
    if (expected === undefined) {
      expect(split).toBeUndefined();
      return;
    }
    expect(split).toEqual({ start, end: new Date(T(stopped).getTime() + expected), behind: true });
  });
});
