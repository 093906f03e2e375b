/**
 * A request pacer: spaces calls so that no two start closer than `1000 / requestsPerSecond` ms apart.
 *
 * Hand-written rather than taken from a rate-limiting library because the budget it guards is per account
 * and region (CloudTrail `LookupEvents` allows 2 requests per second), so one pacer must be shared by every
 * caller in the process — concurrent lookups, the alarm fallback and the before-state resolver alike — and
 * it must take an injected clock and sleep so tests can check the spacing without waiting.
 */

/** Waits for a turn. Share one instance across every caller that spends the same API budget. */
export interface Pacer {
  /**
   * Resolves when the caller may send its request. Callers are served in the order they asked; each turn
   * starts at least the pacer's interval after the previous one.
   */
  acquire(): Promise<void>;
  /** The minimum time between two turns, in milliseconds. */
  readonly intervalMs: number;
}

/** The clock and sleep a pacer uses; tests pass fakes, production uses `Date.now` and `setTimeout`. */
export interface PacerOptions {
  /** Waits `ms` milliseconds. It must let `now()` advance by about that much. */
  sleep?: (ms: number) => Promise<void>;
  /** Milliseconds since the epoch. */
  now?: () => number;
}

/** The default sleep: a timer. */
export function sleepMs(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Timers can fire a millisecond early; a turn re-checks the clock this many times before going ahead. */
const MAX_SLEEPS_PER_TURN = 3;

/**
 * Creates a pacer allowing at most `requestsPerSecond` turns a second, with no burst: the first turn is
 * immediate, and every later turn starts at least `1000 / requestsPerSecond` ms after the one before.
 *
 * @throws RangeError when `requestsPerSecond` is not a positive finite number.
 */
export function createPacer(requestsPerSecond: number, options: PacerOptions = {}): Pacer {
  if (!Number.isFinite(requestsPerSecond) || requestsPerSecond <= 0) {
    throw new RangeError(`requestsPerSecond must be a positive number (got ${requestsPerSecond})`);
  }
  const intervalMs = 1000 / requestsPerSecond;
  const sleep = options.sleep ?? sleepMs;
  const now = options.now ?? Date.now;
  let nextAt = Number.NEGATIVE_INFINITY;
  let queue: Promise<void> = Promise.resolve();

  async function takeTurn(): Promise<void> {
    for (let attempt = 0; attempt < MAX_SLEEPS_PER_TURN; attempt += 1) {
      const wait = nextAt - now();
      if (wait <= 0) break;
      await sleep(wait);
    }
    nextAt = Math.max(now(), nextAt) + intervalMs;
  }

  return {
    intervalMs,
    acquire(): Promise<void> {
      const turn = queue.then(takeTurn);
      // A failed sleep fails only its own caller; the next caller still gets a turn.
      queue = turn.catch(() => undefined);
      return turn;
    },
  };
}
