import { describe, expect, it } from 'vitest';
import { BoundedCache } from '../../src/domain/bounded-cache';

describe('BoundedCache', () => {
  it.each([
    {
      behaviour: 'keeps what fits',
      limit: 3,
      steps: [
        ['set', 'a'],
        ['set', 'b'],
        ['set', 'c'],
      ],
      kept: ['a', 'b', 'c'],
      forgotten: [],
    },
    {
      behaviour: 'forgets the oldest entry when full',
      limit: 2,
      steps: [
        ['set', 'a'],
        ['set', 'b'],
        ['set', 'c'],
      ],
      kept: ['b', 'c'],
      forgotten: ['a'],
    },
    {
      behaviour: 'forgets the oldest even when it was read since',
      limit: 2,
      steps: [
        ['set', 'a'],
        ['set', 'b'],
        ['get', 'a'],
        ['set', 'c'],
      ],
      kept: ['b', 'c'],
      forgotten: ['a'],
    },
    {
      behaviour: 'setting a key again refreshes it without growing',
      limit: 2,
      steps: [
        ['set', 'a'],
        ['set', 'b'],
        ['set', 'a'],
        ['set', 'c'],
      ],
      kept: ['a', 'c'],
      forgotten: ['b'],
    },
    {
      behaviour: 'a miss keeps nothing',
      limit: 1,
      steps: [
        ['set', 'a'],
        ['get', 'z'],
        ['set', 'b'],
      ],
      kept: ['b'],
      forgotten: ['a', 'z'],
    },
  ])('$behaviour', ({ limit, steps, kept, forgotten }) => {
    const cache = new BoundedCache<string, string>(limit);
    for (const [step, key] of steps as Array<['set' | 'get', string]>) {
      if (step === 'set') cache.set(key, key.toUpperCase());
      else cache.get(key);
    }
    expect(cache.size).toBe(kept.length);
    for (const key of kept) expect(cache.get(key)).toBe(key.toUpperCase());
    for (const key of forgotten) expect(cache.get(key)).toBeUndefined();
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses a limit of %s', (limit) => {
    expect(() => new BoundedCache(limit)).toThrow(RangeError);
  });
});
