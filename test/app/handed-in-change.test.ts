/** The one guard for a change read handed in to a use case: used only for the change it names. */
import { describe, expect, it } from 'vitest';
import { handedInOrRead, namesChange } from '../../src/app/handed-in-change';

type Read = { change: { eventId: string }; from: string };

const stored: Read = { change: { eventId: 'e-1' }, from: 'store' };
const store = {
  reads: 0,
  async getChange(eventId: string): Promise<Read | undefined> {
    this.reads += 1;
    return eventId === stored.change.eventId ? stored : undefined;
  },
};

describe('handed-in change', () => {
  it.each<[string, string, Read | undefined, boolean]>([
    ['a read of the change named', 'e-1', { change: { eventId: 'e-1' }, from: 'job' }, true],
    ["another change's read", 'e-1', { change: { eventId: 'e-2' }, from: 'job' }, false],
    ['nothing handed in', 'e-1', undefined, false],
    ['an empty id never matches a read of another', '', { change: { eventId: 'e-1' }, from: 'job' }, false],
  ])('namesChange: %s', (_what, eventId, given, expected) => {
    expect(namesChange(eventId, given)).toBe(expected);
  });

  it.each<[string, string, Read | undefined, string | undefined, number]>([
    [
      'uses the read of the change named, reading nothing',
      'e-1',
      { change: { eventId: 'e-1' }, from: 'job' },
      'job',
      0,
    ],
    [
      "reads the store for another change's read",
      'e-1',
      { change: { eventId: 'e-2' }, from: 'job' },
      'store',
      1,
    ],
    ['reads the store when nothing is handed in', 'e-1', undefined, 'store', 1],
    ['is undefined for a change the store does not hold', 'e-9', undefined, undefined, 1],
  ])('handedInOrRead %s', async (_what, eventId, given, from, reads) => {
    store.reads = 0;
    expect((await handedInOrRead(eventId, given, store))?.from).toBe(from);
    expect(store.reads).toBe(reads);
  });
});
