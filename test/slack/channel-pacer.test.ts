import { describe, expect, it } from 'vitest';
import { ChannelPacer } from '../../src/slack/channel-pacer';

/** A fake clock: `sleep` records the wait and moves time forward by it. */
function fakeClock(start = 10_000) {
  let now = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('ChannelPacer', () => {
  it('lets the first post to a channel go at once', async () => {
    const clock = fakeClock();
    const pacer = new ChannelPacer({ now: clock.now, sleep: clock.sleep });

    await pacer.waitTurn('C1');

    expect(clock.sleeps).toEqual([]);
  });

  it('holds a second post to the same channel until the interval has passed', async () => {
    const clock = fakeClock();
    const pacer = new ChannelPacer({ now: clock.now, sleep: clock.sleep });

    await pacer.waitTurn('C1');
    clock.advance(300);
    await pacer.waitTurn('C1');

    expect(clock.sleeps).toEqual([700]);
  });

  it('does not wait once the interval has already passed', async () => {
    const clock = fakeClock();
    const pacer = new ChannelPacer({ now: clock.now, sleep: clock.sleep });

    await pacer.waitTurn('C1');
    clock.advance(1500);
    await pacer.waitTurn('C1');

    expect(clock.sleeps).toEqual([]);
  });

  it('never makes one channel wait for another', async () => {
    const clock = fakeClock();
    const pacer = new ChannelPacer({ now: clock.now, sleep: clock.sleep });

    await pacer.waitTurn('C1');
    await pacer.waitTurn('C2');
    await pacer.waitTurn('C3');

    expect(clock.sleeps).toEqual([]);
  });

  it('gives concurrent posts to one channel successive slots in call order', async () => {
    let now = 0;
    const sleeps: number[] = [];
    // Time stands still while the three callers reserve their slots, as it does within one tick.
    const pacer = new ChannelPacer({
      now: () => now,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });

    await Promise.all([pacer.waitTurn('C1'), pacer.waitTurn('C1'), pacer.waitTurn('C1')]);
    now = 500;

    expect(sleeps).toEqual([1000, 2000]);
    expect(pacer.delayFor('C1')).toBe(2500);
    expect(pacer.delayFor('C2')).toBe(0);
  });

  it('uses the interval it is given', async () => {
    const clock = fakeClock();
    const pacer = new ChannelPacer({ intervalMs: 250, now: clock.now, sleep: clock.sleep });

    await pacer.waitTurn('C1');
    await pacer.waitTurn('C1');
    await pacer.waitTurn('C1');

    expect(clock.sleeps).toEqual([250, 250]);
  });

  it('keeps pacing channels correctly after forgetting expired ones', async () => {
    const clock = fakeClock();
    const pacer = new ChannelPacer({ now: clock.now, sleep: clock.sleep });
    for (let i = 0; i < 100; i += 1) await pacer.waitTurn(`C${i}`);
    clock.advance(2000);

    await pacer.waitTurn('C0');
    await pacer.waitTurn('C0');

    expect(clock.sleeps).toEqual([1000]);
  });

  it('rejects an interval that is negative or not a number', () => {
    expect(() => new ChannelPacer({ intervalMs: -1 })).toThrow(RangeError);
    expect(() => new ChannelPacer({ intervalMs: Number.NaN })).toThrow(RangeError);
  });

  it('waits on the real clock by default', async () => {
    const pacer = new ChannelPacer({ intervalMs: 50 });
    const started = performance.now();

    await pacer.waitTurn('C1');
    await pacer.waitTurn('C1');

    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
  });
});
