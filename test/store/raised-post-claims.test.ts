/**
 * The claim that lets one judge-change job only post a change's raised alert (DynamoChangeStore on dynalite): a
 * conditional write per level, given back when the post fails, never taken again once the alert is posted.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AssessedChange } from '../../src/domain/types';
import { DynamoChangeStore, StoreItemNotFoundError } from '../../src/store/dynamo-change-store';
import { changeOf } from '../support/cloudtrail';
import { type DynaliteServer, startDynalite } from '../support/dynalite';

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
  store = new DynamoChangeStore(db.documentClient, { tableName: await db.createTable() });
  const change: AssessedChange = {
    ...changeOf('AttachRolePolicy', {
      roleName: 'ci',
      policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess',
    }),
    risk: { level: 'medium', reasons: ['x'], rules: ['r'] },
    revert: { supported: true, steps: [], cli: [] },
  };
  eventId = change.eventId;
  await store.claimChange(change, NOW, NOW);
});

describe('DynamoChangeStore raised-alert claims', () => {
  it('gives the right to post to one job; the other is refused while the lease runs', async () => {
    expect(await store.claimRaisedPost(eventId, 'critical', NOW, LATER)).toBe(true);
    expect(await store.claimRaisedPost(eventId, 'critical', NOW, LATER)).toBe(false);
    // Another level is another alert.
    expect(await store.claimRaisedPost(eventId, 'high', NOW, LATER)).toBe(true);
  });

  it('is taken again after a failed post gives it back, or after a lease with nothing posted ran out', async () => {
    expect(await store.claimRaisedPost(eventId, 'critical', NOW, LATER)).toBe(true);
    await store.releaseRaisedPost(eventId, 'critical');
    expect(await store.claimRaisedPost(eventId, 'critical', NOW, LATER)).toBe(true);
    expect(await store.claimRaisedPost(eventId, 'critical', MUCH_LATER, MUCH_LATER)).toBe(true);
  });

  it('is never taken again once the alert is posted, and a late release keeps it', async () => {
    expect(await store.claimRaisedPost(eventId, 'critical', NOW, LATER)).toBe(true);
    await store.recordRaisedPost(eventId, 'critical', REF, NOW);
    await store.releaseRaisedPost(eventId, 'critical');
    expect(await store.claimRaisedPost(eventId, 'critical', MUCH_LATER, MUCH_LATER)).toBe(false);
  });

  it('throws for a change that is not stored', async () => {
    await expect(store.claimRaisedPost('no-such-event', 'critical', NOW, LATER)).rejects.toBeInstanceOf(
      StoreItemNotFoundError,
    );
  });
});
