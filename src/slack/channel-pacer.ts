/**
 * Spacing of posts to one Slack channel. Slack allows about one message per second per channel (bursts are
 * tolerated briefly, then it answers 429). `@slack/web-api` has no per-channel pacing of its own: its request queue
 * only bounds concurrency across all methods, and it reacts to a 429 after the fact by waiting `Retry-After`. This
 * small pacer is hand-written so one process does not cause that 429 in the first place.
 */
import { setTimeout as delay } from 'node:timers/promises';

/** Options for {@link ChannelPacer}. `sleep` and `now` are injectable so tests can use a fake clock. */
export interface ChannelPacerOptions {
  /** Minimum spacing between the starts of two posts to the same channel, in milliseconds. Default 1000. */
  intervalMs?: number;
  /** Waits the given number of milliseconds. Default: a timer. */
  sleep?: (ms: number) => Promise<void>;
  /** A monotonic time in milliseconds. Default: `performance.now()`. */
  now?: () => number;
}

/** Entries kept before expired ones are swept; a bot posts to a handful of channels. */
const SWEEP_THRESHOLD = 64;

/**
 * Hands out posting slots per channel so that, within one process, two posts to the same channel start at least
 * `intervalMs` apart. Slots are reserved synchronously when {@link ChannelPacer.waitTurn} is called, so concurrent
 * callers are served in call order (0, 1 ×, 2 × the interval, …). Different channels never wait for each other.
 * It does not coordinate across processes (concurrent Lambda invocations each have their own); Slack's 429 with
 * `Retry-After`, which the Web API client honours, covers that case.
 */
export class ChannelPacer {
  private readonly intervalMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  /** Per channel, the earliest time the next post may start. */
  private readonly nextSlot = new Map<string, number>();

  constructor(options: ChannelPacerOptions = {}) {
    const intervalMs = options.intervalMs ?? 1000;
    if (!Number.isFinite(intervalMs) || intervalMs < 0) {
      throw new RangeError(`intervalMs must be a finite number ≥ 0, got ${intervalMs}`);
    }
    this.intervalMs = intervalMs;
    this.sleep = options.sleep ?? ((ms) => delay(ms).then(() => undefined));
    this.now = options.now ?? (() => performance.now());
  }

  /** Resolves when the caller may post to `channel`, having reserved that moment for it. */
  async waitTurn(channel: string): Promise<void> {
    const now = this.now();
    const slot = Math.max(now, this.nextSlot.get(channel) ?? now);
    this.nextSlot.set(channel, slot + this.intervalMs);
    this.sweep(now);
    if (slot > now) {
      await this.sleep(slot - now);
    }
  }

  /** Milliseconds a post to `channel` would wait if it asked now (0 when it would go at once). */
  delayFor(channel: string): number {
    const next = this.nextSlot.get(channel);
    return next === undefined ? 0 : Math.max(0, next - this.now());
  }

  private sweep(now: number): void {
    if (this.nextSlot.size <= SWEEP_THRESHOLD) return;
    for (const [channel, next] of this.nextSlot) {
      if (next <= now) this.nextSlot.delete(channel);
    }
  }
}
