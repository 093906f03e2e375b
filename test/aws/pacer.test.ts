import { describe, expect, it } from 'vitest';
import { createPacer } from '../../src/aws/pacer';

/** A fake clock whose sleep advances it and records each wait. */
function fakeTime(start = 1_000_000) {
  let clock = start;
  const sleeps: number[] = [];
  return {
    now: () => clock,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      clock += ms;
    },
    advance: (ms: number) => {
      clock += ms;
    },
    sleeps,
  };
}

describe('createPacer', () => {
  it('lets the first request go at once', async () => {
    const time = fakeTime();
    const pacer = createPacer(2, time);

    await pacer.acquire();

    expect(time.sleeps).toEqual([]);
    expect(pacer.intervalMs).toBe(500);
  });

  it('spaces consecutive requests by 1000 / requestsPerSecond ms', async () => {
    const time = fakeTime();
    const pacer = createPacer(2, time);
    const turns: number[] = [];

    for (let index = 0; index < 4; index += 1) {
      await pacer.acquire();
      turns.push(time.now());
    }

    expect(time.sleeps).toEqual([500, 500, 500]);
    expect(turns.slice(1).map((turn, index) => turn - (turns[index] ?? 0))).toEqual([500, 500, 500]);
  });

  it('waits only for what is left of the interval when time has already passed', async () => {
    const time = fakeTime();
    const pacer = createPacer(2, time);

    await pacer.acquire();
    time.advance(300);
    await pacer.acquire();
    time.advance(800);
    await pacer.acquire();

    expect(time.sleeps).toEqual([200]);
  });

  it('shares one budget between concurrent callers, served in the order they asked', async () => {
    const time = fakeTime();
    const pacer = createPacer(4, time);
    const order: string[] = [];
    const turns: number[] = [];

    await Promise.all(
      ['a', 'b', 'c', 'd', 'e'].map(async (name) => {
        await pacer.acquire();
        order.push(name);
        turns.push(time.now());
      }),
    );

    expect(order).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(turns.map((turn) => turn - (turns[0] ?? 0))).toEqual([0, 250, 500, 750, 1000]);
  });

  it('sleeps again when a timer fires early', async () => {
    let clock = 0;
    const sleeps: number[] = [];
    const pacer = createPacer(2, {
      now: () => clock,
      sleep: async (ms) => {
        sleeps.push(ms);
        clock += sleeps.length === 1 ? ms - 2 : ms;
      },
    });

    await pacer.acquire();
    await pacer.acquire();

    expect(sleeps).toEqual([500, 2]);
    expect(clock).toBe(500);
  });

  it('fails only the caller whose sleep failed', async () => {
    let clock = 0;
    let calls = 0;
    const pacer = createPacer(2, {
      now: () => clock,
      sleep: async (ms) => {
        calls += 1;
        if (calls === 1) throw new Error('timer failed');
        clock += ms;
      },
    });

    await pacer.acquire();
    const failed = pacer.acquire();
    const next = pacer.acquire();

    await expect(failed).rejects.toThrow('timer failed');
    await expect(next).resolves.toBeUndefined();
  });

  it('keeps real time between turns with the default clock and sleep', async () => {
    const pacer = createPacer(50);
    const started = Date.now();

    await pacer.acquire();
    await pacer.acquire();
    await pacer.acquire();

    expect(Date.now() - started).toBeGreaterThanOrEqual(40);
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])('refuses %s requests per second', (rps) => {
    expect(() => createPacer(rps)).toThrow(RangeError);
  });
});
