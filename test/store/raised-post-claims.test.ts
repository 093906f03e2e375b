/**
 * The claim that lets one judge-change job only post a change's raised alert (DynamoChangeStore on dynalite): a
 * conditional write per level naming the job that holds it (its own retry takes it over), given back when the post
 * fails, never taken again once the alert is posted.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type DynamoChangeStore, StoreItemNotFoundError } from '../../src/store/dynamo-change-store';
import { type DynaliteServer, startDynalite } from '../support/dynalite';
import { storeHoldingChange } from '../support/stored-change';

const NOW = new Date('2026-11-20T15:00:00.000Z');
const LATER = new Date(NOW.getTime() + 5 * 60_000);
const MUCH_LATER = new Date(NOW.getTime() + 10 * 60_000);
const REF = { channel: 'C-CRITICAL', ts: '1700000000.000100' };

let db: DynaliteServer;
let store: DynamoChangeStore;
let eventId: string;

beforeAll(async () => {
  db = await startDynalite();
});

afterAll(async () => {
  await db?.stop();
});

beforeEach(async () => {
  ({ store, eventId } = await storeHoldingChange(db, 'medium', NOW));
});

describe('DynamoChangeStore raised-alert claims', () => {
  it('gives the right to post to one job; another is refused while the lease runs', async () => {
    expect(await store.claimRaisedPost(eventId, 'critical', 'job-a', NOW, LATER)).toBe('claimed');
    expect(await store.claimRaisedPost(eventId, 'critical', 'job-b', NOW, LATER)).toBe('held');
    // Another level is another alert.
    expect(await store.claimRaisedPost(eventId, 'high', 'job-b', NOW, LATER)).toBe('claimed');
  });

  it("lets the job's own retry take its claim over inside the lease (it died after claiming)", async () => {
    expect(await store.claimRaisedPost(eventId, 'critical', 'job-a', NOW, LATER)).toBe('claimed');
    const retry = new Date(NOW.getTime() + 60_000);
    expect(
      await store.claimRaisedPost(
        eventId,
        'critical',
        'job-a',
        retry,
        new Date(retry.getTime() + 5 * 60_000),
      ),
    ).toBe('claimed');
    expect(await store.claimRaisedPost(eventId, 'critical', 'job-b', retry, retry)).toBe('held');
  });

  it('is taken again after a failed post gives it back, or after a lease with nothing posted ran out', async () => {
    expect(await store.claimRaisedPost(eventId, 'critical', 'job-a', NOW, LATER)).toBe('claimed');
    await store.releaseRaisedPost(eventId, 'critical', 'job-a');
    expect(await store.claimRaisedPost(eventId, 'critical', 'job-b', NOW, LATER)).toBe('claimed');
    expect(await store.claimRaisedPost(eventId, 'critical', 'job-c', MUCH_LATER, MUCH_LATER)).toBe('claimed');
  });

  it('is never taken again once the alert is posted, not even by its own job, and a late release keeps it', async () => {
    expect(await store.claimRaisedPost(eventId, 'critical', 'job-a', NOW, LATER)).toBe('claimed');
    expect(await store.recordRaisedPost(eventId, 'critical', 'job-a', REF, NOW)).toBe(true);
    await store.releaseRaisedPost(eventId, 'critical', 'job-a');
    expect(await store.claimRaisedPost(eventId, 'critical', 'job-a', NOW, LATER)).toBe('posted');
    expect(await store.claimRaisedPost(eventId, 'critical', 'job-b', MUCH_LATER, MUCH_LATER)).toBe('posted');
  });

  it('neither records nor gives back a claim that passed to another job after its lease ran out', async () => {
    expect(await store.claimRaisedPost(eventId, 'critical', 'job-a', NOW, LATER)).toBe('claimed');
    expect(await store.claimRaisedPost(eventId, 'critical', 'job-b', MUCH_LATER, MUCH_LATER)).toBe('claimed');
    // job-a, late: its release leaves job-b's claim, its record does not say job-b's alert is posted.
    await store.releaseRaisedPost(eventId, 'critical', 'job-a');
    expect(await store.claimRaisedPost(eventId, 'critical', 'job-c', MUCH_LATER, MUCH_LATER)).toBe('held');
    expect(await store.recordRaisedPost(eventId, 'critical', 'job-a', REF, MUCH_LATER)).toBe(false);
    expect(await store.claimRaisedPost(eventId, 'critical', 'job-c', MUCH_LATER, MUCH_LATER)).toBe('held');
    expect(await store.recordRaisedPost(eventId, 'critical', 'job-b', REF, MUCH_LATER)).toBe(true);
    expect(await store.claimRaisedPost(eventId, 'critical', 'job-c', MUCH_LATER, MUCH_LATER)).toBe('posted');
  });

  it('throws for a change that is not stored', async () => {
    await expect(
      store.claimRaisedPost('no-such-event', 'critical', 'job-a', NOW, LATER),
    ).rejects.toBeInstanceOf(StoreItemNotFoundError);
  });
});
