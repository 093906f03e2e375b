/**
 * The responder ports of DynamoChangeStore (RevertStore, AckStore, QuarantineStore) on dynalite: the conditional
 * writes that make a revert happen once and the first acknowledgement win.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RevertRecord } from '../../src/app/revert-port';
import {
  type DynamoChangeStore,
  RevertClaimLostError,
  StoreItemNotFoundError,
} from '../../src/store/dynamo-change-store';
import { type DynaliteServer, startDynalite } from '../support/dynalite';
import { storeHoldingChange } from '../support/stored-change';

const NOW = new Date('2026-11-20T15:00:00.000Z');
const ALICE = { slackUserId: 'U0ALICE', name: 'alice' };
const BOB = { slackUserId: 'U0BOB', name: 'bob' };

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
  ({ store, eventId } = await storeHoldingChange(db, 'critical', NOW));
});

function claim(by = ALICE, claimId = `claim-${by.name}`): RevertRecord {
  return { status: 'claimed', claimId, by, reason: 'r', at: NOW.toISOString(), steps: [] };
}

describe('DynamoChangeStore revert claims', () => {
  it('lets one of two concurrent claims win; the other sees who holds it', async () => {
    const results = await Promise.all([
      store.claimRevert(eventId, claim(ALICE), NOW),
      store.claimRevert(eventId, claim(BOB), NOW),
    ]);
    expect(results.filter((result) => result.claimed)).toHaveLength(1);
    const lost = results.find((result) => !result.claimed);
    expect(lost && !lost.claimed && lost.existing.status).toBe('claimed');
  });

  it('records the result on the change, and frees the claim again only when refused', async () => {
    await store.claimRevert(eventId, claim(ALICE), NOW);
    await store.finishRevert(eventId, { ...claim(ALICE), status: 'refused', error: 'drift' }, NOW);
    expect((await store.getChange(eventId))?.revert).toMatchObject({ status: 'refused', error: 'drift' });

    await expect(store.claimRevert(eventId, claim(BOB), NOW)).resolves.toEqual({ claimed: true });
    await store.finishRevert(eventId, { ...claim(BOB), status: 'done' }, NOW);
    await expect(store.claimRevert(eventId, claim(ALICE, 'third'), NOW)).resolves.toMatchObject({
      claimed: false,
      existing: { status: 'done', by: BOB },
    });
  });

  it('refuses to finish a claim the caller no longer holds', async () => {
    await store.claimRevert(eventId, claim(ALICE), NOW);
    await expect(store.finishRevert(eventId, { ...claim(BOB), status: 'done' }, NOW)).rejects.toBeInstanceOf(
      RevertClaimLostError,
    );
  });

  it('refuses to claim the revert of a change it does not hold', async () => {
    await expect(store.claimRevert('no-such-event', claim(), NOW)).rejects.toBeInstanceOf(
      StoreItemNotFoundError,
    );
  });
});

describe('DynamoChangeStore acknowledgements', () => {
  it('keeps the first acknowledgement and hands it to later ones', async () => {
    const first = { by: ALICE, at: '2026-11-20T15:00:01.000Z' };
    await expect(store.recordAcknowledgement(eventId, first, NOW)).resolves.toEqual({ recorded: true });
    await expect(
      store.recordAcknowledgement(eventId, { by: BOB, at: '2026-11-20T15:00:02.000Z' }, NOW),
    ).resolves.toEqual({
      recorded: false,
      existing: first,
    });
    expect((await store.getChange(eventId))?.acknowledgement).toEqual(first);
    await expect(store.recordAcknowledgement('no-such-event', first, NOW)).rejects.toBeInstanceOf(
      StoreItemNotFoundError,
    );
  });
});

describe('DynamoChangeStore quarantine records', () => {
  it('sets the latest quarantine state on the change', async () => {
    const record = {
      status: 'active' as const,
      target: { kind: 'user' as const, name: 'mallory' },
      policyArn: 'arn:aws:iam::111122223333:policy/iam-changes/iam-changes-quarantine',
      by: ALICE,
      reason: 'r',
      at: NOW.toISOString(),
    };
    await store.recordQuarantine(eventId, record, NOW);
    await store.recordQuarantine(
      eventId,
      { ...record, status: 'lifted', lifted: { by: BOB, reason: 'ok', at: NOW.toISOString() } },
      NOW,
    );
    expect((await store.getChange(eventId))?.quarantine).toMatchObject({
      status: 'lifted',
      lifted: { by: BOB },
    });
    await expect(store.recordQuarantine('no-such-event', record, NOW)).rejects.toBeInstanceOf(
      StoreItemNotFoundError,
    );
  });
});
