import { DeleteCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Burst, BurstItem, StoredChange } from '../../src/app/ports';
import type { QuarantineModesAdding, QuarantineRecord } from '../../src/app/revert-port';
import type { AlarmEvent, AssessedChange, PolicyDocument } from '../../src/domain/types';
import {
  DynamoChangeStore,
  QUARANTINED_PARTITION,
  resourceOf,
  StoreItemNotFoundError,
} from '../../src/store/dynamo-change-store';
import { TTL_ATTRIBUTE } from '../../src/store/table';
import { changeOf } from '../support/cloudtrail';
import { type DynaliteServer, startDynalite } from '../support/dynalite';

const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const NOW = new Date('2026-11-20T15:00:00.000Z');
/** The delivery lease a claim takes: two minutes. */
const LEASE = new Date(NOW.getTime() + 120_000);
const NOW_SECONDS = Math.floor(NOW.getTime() / 1000);
/** An alarm summary claim held by one invocation for fifteen minutes. */
const CLAIM = { owner: 'invocation-1', until: new Date(NOW.getTime() + 900_000) };
const HELD = { summary: 'claimed', claimOwner: 'invocation-1', claimUntil: CLAIM.until.toISOString() };
const SLACK = { channel: 'C0SECURITY', ts: '1763650800.000100' };

let db: DynaliteServer;
let tableName: string;
let store: DynamoChangeStore;

beforeAll(async () => {
  db = await startDynalite();
});

afterAll(async () => {
  await db?.stop();
});

beforeEach(async () => {
  tableName = await db.createTable();
  store = new DynamoChangeStore(db.documentClient, { tableName });
});

function assessed(
  eventName: string,
  requestParameters: Record<string, unknown>,
  overrides: Parameters<typeof changeOf>[2] = {},
): AssessedChange {
  return {
    ...changeOf(eventName, requestParameters, overrides),
    risk: { level: 'critical', reasons: ['x'], rules: ['r'] },
    revert: { supported: true, steps: [], cli: [] },
  };
}

function attachAdmin(roleName: string, eventTime = '2026-11-20T14:00:00Z'): AssessedChange {
  return assessed('AttachRolePolicy', { roleName, policyArn: ADMIN }, { eventTime });
}

function alarmAt(
  stateChangeTime: string,
  state: AlarmEvent['state'],
  name = 'iam-policy-changes',
): AlarmEvent {
  return {
    name,
    state,
    reason: 'Threshold Crossed',
    accountId: '111122223333',
    stateChangeTime,
    windowStart: '2026-11-20T13:40:00.000Z',
    windowEnd: stateChangeTime,
    windowSource: 'periods',
  };
}

function burstOf(key: string, burstId: string, overrides: Partial<Burst> = {}): Burst {
  return {
    key,
    burstId,
    channel: 'C0SECURITY',
    parentEventId: 'event-0',
    startedAt: '2026-11-20T14:00:00.000Z',
    lastEventTime: '2026-11-20T14:00:00Z',
    count: 1,
    shownCount: 1,
    ...overrides,
  };
}

function eventIdsOf(records: StoredChange[]): string[] {
  return records.map((record) => record.change.eventId);
}

async function rawItems(): Promise<Record<string, unknown>[]> {
  const output = await db.documentClient.send(
    new ScanCommand({ TableName: tableName, ConsistentRead: true }),
  );
  return output.Items ?? [];
}

/** Claims the change and records it as delivered with its own message. */
async function delivered(
  change: AssessedChange,
  delivery: 'delivered' | 'grouped' = 'delivered',
): Promise<void> {
  await store.claimChange(change, NOW, LEASE);
  await store.markDelivery(change.eventId, { delivery, slack: SLACK }, NOW);
}

describe('DynamoChangeStore', () => {
  it('wins a claim once and shows the first claim to a second one', async () => {
    const change = attachAdmin('ci-runner');

    const first = await store.claimChange(change, NOW, LEASE);
    const second = await store.claimChange(
      { ...change, risk: { level: 'low', reasons: [], rules: [] } },
      NOW,
      LEASE,
    );

    expect(first.claimed).toBe(true);
    expect(first.record).toMatchObject({ delivery: 'pending', attempts: 0, firstSeenAt: NOW.toISOString() });
    expect(second.claimed).toBe(false);
    expect(second.record).toEqual(first.record);
    expect(second.record.change.risk.level).toBe('critical');
    expect(await store.getChange(change.eventId)).toEqual(first.record);
  });

  it('lets exactly one of five concurrent claims win', async () => {
    const change = attachAdmin('ci-runner');

    const results = await Promise.all(Array.from({ length: 5 }, () => store.claimChange(change, NOW, LEASE)));

    expect(results.filter((result) => result.claimed)).toHaveLength(1);
    for (const result of results) expect(result.record.change).toEqual(JSON.parse(JSON.stringify(change)));
  });

  it('gives the delivery lease to the claimer and to nobody else until it is freed or expires', async () => {
    const change = attachAdmin('ci-runner');
    await store.claimChange(change, NOW, LEASE);

    expect(await store.acquireDeliveryLease(change.eventId, NOW, LEASE)).toBe(false);
    expect(await store.acquireDeliveryLease(change.eventId, new Date(LEASE.getTime() + 1), LEASE)).toBe(true);
    await store.markFailed(change.eventId, 'Slack down', NOW);
    expect((await store.getChange(change.eventId))?.leaseUntil).toBeUndefined();
    expect(await store.acquireDeliveryLease(change.eventId, NOW, LEASE)).toBe(true);
    await store.markDelivery(change.eventId, { delivery: 'delivered', slack: SLACK }, NOW);
    expect(await store.acquireDeliveryLease(change.eventId, new Date(LEASE.getTime() + 1), LEASE)).toBe(
      false,
    );
  });

  it('imports a change once, indexed but never delivered, and lets the live delivery of the same call post it once', async () => {
    const change = attachAdmin('imported-role');
    expect(await store.importChange(change, NOW)).toBe(true);
    expect(await store.importChange(change, NOW)).toBe(false);
    expect((await store.getChange(change.eventId))?.delivery).toBe('imported');
    expect(
      (
        await store.changesOnResource(
          'role/imported-role',
          '2026-11-20T00:00:00Z',
          '2026-11-21T00:00:00Z',
          10,
        )
      ).map((stored) => stored.change.eventId),
    ).toEqual([change.eventId]);

    // The call arrives live after the import: the claim finds it, and one delivery takes it over.
    expect((await store.claimChange(change, NOW, LEASE)).claimed).toBe(false);
    expect(await store.acquireDeliveryLease(change.eventId, NOW, LEASE)).toBe(true);
    expect(await store.acquireDeliveryLease(change.eventId, NOW, LEASE)).toBe(false);
    await store.markDelivery(change.eventId, { delivery: 'delivered', slack: SLACK }, NOW);
    expect(await store.acquireDeliveryLease(change.eventId, new Date(LEASE.getTime() + 1), LEASE)).toBe(
      false,
    );
    // An import after the live delivery changes nothing.
    expect(await store.importChange(change, NOW)).toBe(false);
    expect((await store.getChange(change.eventId))?.delivery).toBe('delivered');
  });

  it('stores a change that has undefined fields without them', async () => {
    const change = { ...attachAdmin('ci-runner'), errorCode: undefined, recipientAccountId: undefined };

    const { record } = await store.claimChange(change, NOW, LEASE);

    const stored = await store.getChange(change.eventId);
    expect(stored).toEqual(record);
    expect(Object.hasOwn(stored?.change ?? {}, 'errorCode')).toBe(false);
  });

  it('returns undefined for a change it never stored', async () => {
    expect(await store.getChange('no-such-event')).toBeUndefined();
  });

  it('counts failed attempts and records the delivery', async () => {
    const change = attachAdmin('ci-runner');
    await store.claimChange(change, NOW, LEASE);

    await store.markFailed(change.eventId, 'ratelimited', new Date('2026-11-20T15:00:01Z'));
    await store.markFailed(change.eventId, 'channel_not_found', new Date('2026-11-20T15:00:02Z'));
    const failed = await store.getChange(change.eventId);
    await store.markDelivery(
      change.eventId,
      { delivery: 'grouped', slack: SLACK, burstId: 'burst-1' },
      new Date('2026-11-20T15:00:03Z'),
    );
    const done = await store.getChange(change.eventId);

    expect(failed).toMatchObject({
      delivery: 'failed',
      attempts: 2,
      lastError: 'channel_not_found',
      updatedAt: '2026-11-20T15:00:02.000Z',
    });
    expect(done).toMatchObject({
      delivery: 'grouped',
      slack: SLACK,
      burstId: 'burst-1',
      attempts: 2,
      updatedAt: '2026-11-20T15:00:03.000Z',
      firstSeenAt: NOW.toISOString(),
    });
  });

  it('keeps a delivered change delivered when a late failure is reported', async () => {
    const change = attachAdmin('ci-runner');
    await delivered(change);

    await store.markFailed(change.eventId, 'timeout', NOW);

    expect(await store.getChange(change.eventId)).toMatchObject({
      delivery: 'delivered',
      attempts: 1,
      lastError: 'timeout',
    });
  });

  it('refuses to mark a change it never claimed instead of creating it', async () => {
    await expect(store.markDelivery('no-such-event', { delivery: 'delivered' }, NOW)).rejects.toBeInstanceOf(
      StoreItemNotFoundError,
    );
    await expect(store.markFailed('no-such-event', 'x', NOW)).rejects.toBeInstanceOf(StoreItemNotFoundError);
    expect(await rawItems()).toEqual([]);
  });

  it('sets expiresAt on every kind of item', async () => {
    const retentionDays = 30;
    store = new DynamoChangeStore(db.documentClient, { tableName, retentionDays });
    const change = attachAdmin('ci-runner');
    await store.claimChange(change, NOW, LEASE);
    await store.putDocument(
      { resourceKey: 'role/ci-runner', eventTime: change.eventTime, eventId: 'e1', document: null },
      NOW,
    );
    await store.claimAlarm(alarmAt('2026-11-20T14:05:00.000Z', 'ALARM'), CLAIM, NOW);
    await store.startBurst(burstOf('alice@C0SECURITY', 'burst-1'), undefined, NOW);
    await store.addToBurst(
      'alice@C0SECURITY',
      { burstId: 'burst-1', eventId: 'e2', eventTime: change.eventTime },
      NOW,
    );

    const items = await rawItems();

    expect(items.map((item) => String(item.pk).split('#')[0]).sort()).toEqual([
      'ALARM',
      'BURST',
      'BURSTITEM',
      'BURSTMEMBER',
      'BURSTMEMBER',
      'CHANGE',
      'DOC',
    ]);
    for (const item of items) expect(item[TTL_ATTRIBUTE]).toBe(NOW_SECONDS + retentionDays * 86_400);
  });

  it('keeps items 400 days unless told otherwise', async () => {
    await store.claimChange(attachAdmin('ci-runner'), NOW, LEASE);

    const [item] = await rawItems();

    expect(item?.[TTL_ATTRIBUTE]).toBe(NOW_SECONDS + 400 * 86_400);
  });

  it('finds the document before an event and neither that event nor later ones', async () => {
    const key = 'role/ci-runner/inline/deploy';
    const v1: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['*'] }],
    };
    const v3: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['*'], Resource: ['*'] }],
    };
    await store.putDocument(
      { resourceKey: key, eventTime: '2026-11-20T14:00:00Z', eventId: 'e1', document: v1 },
      NOW,
    );
    await store.putDocument(
      { resourceKey: key, eventTime: '2026-11-20T14:10:00Z', eventId: 'e2', document: null },
      NOW,
    );
    await store.putDocument(
      { resourceKey: key, eventTime: '2026-11-20T14:20:00Z', eventId: 'e3', document: v3 },
      NOW,
    );
    await store.putDocument(
      { resourceKey: `${key}x`, eventTime: '2026-11-20T14:15:00Z', eventId: 'o1', document: v3 },
      NOW,
    );

    expect(await store.documentBefore(key, '2026-11-20T14:20:00Z', 'e3')).toEqual({
      resourceKey: key,
      eventTime: '2026-11-20T14:10:00Z',
      eventId: 'e2',
      document: null,
    });
    expect((await store.documentBefore(key, '2026-11-20T14:10:00Z', 'e2'))?.document).toEqual(v1);
    expect(await store.documentBefore(key, '2026-11-20T14:00:00Z', 'e1')).toBeUndefined();
    expect((await store.documentBefore(key, '2026-11-20T14:15:00.500Z', 'e9'))?.eventId).toBe('e2');
  });

  it('orders snapshots by time, not by how the time is written', async () => {
    const key = 'user/bob/inline/ops';
    await store.putDocument(
      { resourceKey: key, eventTime: '2026-11-20T14:00:00Z', eventId: 'b', document: null },
      NOW,
    );
    await store.putDocument(
      { resourceKey: key, eventTime: '2026-11-20T14:00:00.500Z', eventId: 'a', document: null },
      NOW,
    );

    expect((await store.documentBefore(key, '2026-11-20T14:00:01Z', 'c'))?.eventId).toBe('a');
    expect((await store.documentBefore(key, '2026-11-20T14:00:00.500Z', 'a'))?.eventId).toBe('b');
  });

  it('finds the latest delivered change on a resource before a time', async () => {
    const first = attachAdmin('ci-runner', '2026-11-20T14:00:00Z');
    const second = attachAdmin('ci-runner', '2026-11-20T14:05:00Z');
    const otherRole = attachAdmin('deploy', '2026-11-20T14:07:00Z');
    const failed = attachAdmin('ci-runner', '2026-11-20T14:08:00Z');
    await delivered(first);
    await delivered(second, 'grouped');
    await delivered(otherRole);
    await store.claimChange(failed, NOW, LEASE);
    await store.markFailed(failed.eventId, 'ratelimited', NOW);
    // More undelivered changes than one page, so the search has to read on.
    for (let minute = 10; minute < 40; minute += 1) {
      await store.claimChange(attachAdmin('ci-runner', `2026-11-20T14:${minute}:00Z`), NOW, LEASE);
    }

    const latest = await store.latestChangeOnResource('role/ci-runner', '2026-11-20T15:00:00Z');

    expect(latest?.change.eventId).toBe(second.eventId);
    expect(latest?.slack).toEqual(SLACK);
    expect(
      (await store.latestChangeOnResource('role/ci-runner', '2026-11-20T14:04:59Z'))?.change.eventId,
    ).toBe(first.eventId);
    expect(await store.latestChangeOnResource('role/ci-runner', '2026-11-20T13:59:59Z')).toBeUndefined();
    expect(await store.latestChangeOnResource('role/nobody', '2026-11-20T15:00:00Z')).toBeUndefined();
  });

  it('names resources by kind and name, and policies by ARN', () => {
    const policyArn = 'arn:aws:iam::111122223333:policy/deploy';
    expect(resourceOf(attachAdmin('ci-runner'))).toBe('role/ci-runner');
    expect(resourceOf(assessed('AttachUserPolicy', { userName: 'bob', policyArn: ADMIN }))).toBe('user/bob');
    expect(resourceOf(assessed('PutGroupPolicy', { groupName: 'devs', policyName: 'p' }))).toBe('group/devs');
    expect(resourceOf(assessed('CreatePolicyVersion', { policyArn, setAsDefault: true }))).toBe(
      `policy/${policyArn}`,
    );
  });

  it('claims an alarm state change once, updates it and finds its latest ALARM occurrence', async () => {
    const fired = alarmAt('2026-11-20T14:05:00.000Z', 'ALARM');
    const ok = alarmAt('2026-11-20T14:20:00.000Z', 'OK');
    const firedAgain = alarmAt('2026-11-20T14:30:00.000Z', 'ALARM');
    const otherAlarm = alarmAt('2026-11-20T14:10:00.000Z', 'ALARM', 'root-usage');

    const first = await store.claimAlarm(fired, CLAIM, NOW);
    await store.updateAlarm(
      fired,
      { slack: SLACK, calls: ['e1', 'e2'], source: 'cloudwatch-logs', summary: 'posted' },
      NOW,
    );
    const second = await store.claimAlarm(fired, { ...CLAIM, owner: 'invocation-2' }, NOW);
    await store.claimAlarm(ok, CLAIM, NOW);
    await store.claimAlarm(firedAgain, CLAIM, NOW);
    await store.claimAlarm(otherAlarm, CLAIM, NOW);
    await store.updateAlarm(fired, { resolvedAt: ok.stateChangeTime }, NOW);

    expect(first).toEqual({ claimed: true, record: { alarm: fired, calls: [], ...HELD } });
    const posted = {
      alarm: fired,
      calls: ['e1', 'e2'],
      slack: SLACK,
      source: 'cloudwatch-logs',
      ...HELD,
      summary: 'posted',
    };
    expect(second).toEqual({ claimed: false, record: posted });
    expect(await store.latestAlarmOccurrence(fired.name, ok.stateChangeTime)).toEqual({
      ...posted,
      resolvedAt: ok.stateChangeTime,
    });
    expect((await store.latestAlarmOccurrence(fired.name, '2026-11-20T15:00:00Z'))?.alarm).toEqual(
      firedAgain,
    );
    expect(await store.latestAlarmOccurrence(fired.name, fired.stateChangeTime)).toBeUndefined();
    await expect(
      store.updateAlarm(alarmAt('2026-11-20T09:00:00.000Z', 'ALARM'), {}, NOW),
    ).rejects.toBeInstanceOf(StoreItemNotFoundError);
  });

  it("records an alarm occurrence's later calls once each, counts them afresh and only ever raises its counts", async () => {
    const fired = alarmAt('2026-11-20T14:05:00.000Z', 'ALARM');
    const firedAgain = alarmAt('2026-11-20T14:30:00.000Z', 'ALARM');
    await store.claimAlarm(fired, CLAIM, NOW);

    expect(await store.recordLaterCalls(fired, ['e1', 'e2', 'e2'], NOW)).toBe(2);
    expect(await store.recordLaterCalls(fired, ['e2', 'e3'], NOW)).toBe(1);
    expect(await store.recordLaterCalls(firedAgain, ['e1'], NOW)).toBe(1);
    expect(await store.countLaterCalls(fired)).toBe(3);
    expect(await store.countLaterCalls(firedAgain)).toBe(1);
    // Later-call records sit outside the alarm's partition: its occurrences are read as before.
    expect((await store.latestAlarmOccurrence(fired.name, '2026-11-20T15:00:00Z'))?.alarm).toEqual(fired);

    expect(await store.raiseAlarmCount(fired, 'laterCalls', 3, NOW)).toBe(true);
    expect(await store.raiseAlarmCount(fired, 'laterCalls', 2, NOW)).toBe(false);
    expect(await store.raiseAlarmCount(fired, 'laterCalls', 3, NOW)).toBe(false);
    expect(await store.raiseAlarmCount(fired, 'shownLaterCalls', 1, NOW)).toBe(true);
    const record = await store.latestAlarmOccurrence(fired.name, '2026-11-20T15:00:00Z');
    expect(record).toMatchObject({ laterCalls: 3, shownLaterCalls: 1 });
    expect(
      await store.raiseAlarmCount(alarmAt('2026-11-20T09:00:00.000Z', 'ALARM'), 'laterCalls', 1, NOW),
    ).toBe(false);
  });

  it('gives an alarm summary claim to one caller until it expires, is given up or is posted', async () => {
    const fired = alarmAt('2026-11-20T14:05:00.000Z', 'ALARM');
    const expired = new Date(CLAIM.until.getTime() + 1);
    const other = { owner: 'invocation-2', until: new Date(expired.getTime() + 900_000) };

    const both = await Promise.all([
      store.claimAlarm(fired, CLAIM, NOW),
      store.claimAlarm(fired, { ...CLAIM, owner: 'invocation-2' }, NOW),
    ]);
    expect(both.map((claim) => claim.claimed).sort()).toEqual([false, true]);
    // From here on invocation-1 holds it, whichever won the race.
    if (!both[0]?.claimed) await store.releaseAlarm(fired, 'invocation-2');
    const held = await store.claimAlarm(fired, CLAIM, NOW);
    const whileHeld = await store.claimAlarm(fired, other, NOW);
    const retryOfHolder = await store.claimAlarm(fired, CLAIM, NOW);
    const afterExpiry = await store.claimAlarm(fired, other, expired);
    const formerHolder = await store.claimAlarm(fired, CLAIM, expired);
    await store.releaseAlarm(fired, 'invocation-1');
    const stillHeld = await store.claimAlarm(fired, CLAIM, expired);
    await store.releaseAlarm(fired, 'invocation-2');
    const afterRelease = await store.claimAlarm(fired, CLAIM, expired);
    await store.updateAlarm(fired, { slack: SLACK, summary: 'posted' }, expired);
    const afterPost = await store.claimAlarm(fired, other, new Date(expired.getTime() + 3_600_000));

    expect([held.claimed, whileHeld.claimed, retryOfHolder.claimed]).toEqual([true, false, true]);
    expect(whileHeld.record).toMatchObject({ summary: 'claimed', claimOwner: 'invocation-1' });
    expect(afterExpiry).toMatchObject({ claimed: true, record: { claimOwner: 'invocation-2' } });
    expect(formerHolder).toMatchObject({ claimed: false, record: { claimOwner: 'invocation-2' } });
    expect(stillHeld.claimed).toBe(false);
    expect(afterRelease).toMatchObject({ claimed: true, record: { claimOwner: 'invocation-1' } });
    expect(afterPost).toMatchObject({ claimed: false, record: { summary: 'posted', slack: SLACK } });
  });

  it('starts a burst once and replaces it only for the caller that expected the old one', async () => {
    const key = 'alice@C0SECURITY';

    const started = await Promise.all([
      store.startBurst(burstOf(key, 'burst-a'), undefined, NOW),
      store.startBurst(burstOf(key, 'burst-b'), undefined, NOW),
    ]);
    const winner = started[0] ? 'burst-a' : 'burst-b';
    const stale = await store.startBurst(burstOf(key, 'burst-c'), 'burst-x', NOW);
    const replaced = await store.startBurst(burstOf(key, 'burst-d'), winner, NOW);
    const again = await store.startBurst(burstOf(key, 'burst-e'), winner, NOW);

    expect(started.filter(Boolean)).toHaveLength(1);
    expect([stale, replaced, again]).toEqual([false, true, false]);
    expect(await store.getBurst(key)).toEqual(burstOf(key, 'burst-d'));
    expect(await store.getBurst('nobody@C0SECURITY')).toBeUndefined();
  });

  it('counts changes added to a burst once each and keeps the latest event time', async () => {
    const key = 'alice@C0SECURITY';
    await store.startBurst(burstOf(key, 'burst-1'), undefined, NOW);
    const item = (eventId: string, eventTime: string): BurstItem => ({
      burstId: 'burst-1',
      eventId,
      eventTime,
    });

    const afterFirst = await store.addToBurst(key, item('e1', '2026-11-20T14:01:00Z'), NOW);
    const afterLate = await store.addToBurst(key, item('e2', '2026-11-20T14:03:00Z'), NOW);
    const afterEarly = await store.addToBurst(key, item('e3', '2026-11-20T14:02:00Z'), NOW);
    const afterRetry = await store.addToBurst(key, item('e3', '2026-11-20T14:02:00Z'), NOW);
    await Promise.all(
      ['e4', 'e5', 'e6'].map((id) => store.addToBurst(key, item(id, '2026-11-20T14:00:30Z'), NOW)),
    );

    expect(afterFirst).toMatchObject({ count: 2, lastEventTime: '2026-11-20T14:01:00Z' });
    expect(afterLate).toMatchObject({ count: 3, lastEventTime: '2026-11-20T14:03:00Z' });
    expect(afterEarly).toMatchObject({ count: 4, lastEventTime: '2026-11-20T14:03:00Z' });
    expect(afterRetry).toEqual(afterEarly);
    expect(await store.getBurst(key)).toMatchObject({ count: 7, lastEventTime: '2026-11-20T14:03:00Z' });
    expect(await store.pendingBurstItems('burst-1', 10)).toHaveLength(6);
    await expect(
      store.addToBurst(key, { ...item('e7', '2026-11-20T14:04:00Z'), burstId: 'gone' }, NOW),
    ).rejects.toBeInstanceOf(StoreItemNotFoundError);
  });

  it('holds the burst lease for one invocation until it expires or is released', async () => {
    const key = 'alice@C0SECURITY';
    const at = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);
    await store.startBurst(burstOf(key, 'burst-1'), undefined, NOW);

    const first = await store.acquireBurstLease(key, at(0), at(30));
    const whileHeld = await store.acquireBurstLease(key, at(10), at(40));
    const afterExpiry = await store.acquireBurstLease(key, at(31), at(61));
    await store.releaseBurstLease(key, { count: 5, at: at(32).toISOString() });
    const afterRelease = await store.acquireBurstLease(key, at(33), at(63));
    await store.releaseBurstLease(key);
    await store.setBurstParent(key, SLACK, NOW);

    expect([first, whileHeld, afterExpiry, afterRelease]).toEqual([true, false, true, true]);
    expect(await store.acquireBurstLease('nobody@C0SECURITY', at(0), at(30))).toBe(false);
    const burst = await store.getBurst(key);
    expect(burst).toMatchObject({ shownCount: 5, shownAt: at(32).toISOString(), parent: SLACK });
    expect(burst?.leaseUntil).toBeUndefined();
  });

  it("keeps the highest running count shown on a burst's parent", async () => {
    const change = assessed('AttachRolePolicy', {
      roleName: 'parent',
      policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
    });
    await store.claimChange(change, NOW, LEASE);

    await store.recordBurstNote(change.eventId, { more: 5, startedAt: NOW.toISOString() });
    await store.recordBurstNote(change.eventId, { more: 3, startedAt: NOW.toISOString() });
    expect((await store.getChange(change.eventId))?.burstNote).toEqual({
      more: 5,
      startedAt: NOW.toISOString(),
    });
    await store.recordBurstNote(change.eventId, { more: 9, startedAt: NOW.toISOString() });
    expect((await store.getChange(change.eventId))?.burstNote?.more).toBe(9);
  });

  it('reads a burst note written with text where its counts belong as numbers only, never as Slack formatting', async () => {
    // The attack: whoever may write the attribute (the worker's role may) stores mentions for the message to show.
    const change = assessed('AttachRolePolicy', {
      roleName: 'noted',
      policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
    });
    await store.claimChange(change, NOW, LEASE);
    const write = (burstNote: unknown) =>
      db.documentClient.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { pk: `CHANGE#${change.eventId}`, sk: 'CHANGE' },
          UpdateExpression: 'SET burstNote = :note',
          ExpressionAttributeValues: { ':note': burstNote },
        }),
      );

    await write({
      more: 4,
      startedAt: NOW.toISOString(),
      accounts: '<!channel>',
      fleetActed: { action: '<!here>', done: 1, total: 2, accounts: 2, by: 'alice', at: NOW.toISOString() },
    });
    expect((await store.getChange(change.eventId))?.burstNote).toEqual({
      more: 4,
      startedAt: NOW.toISOString(),
    });

    await write({ more: '<!channel>', startedAt: NOW.toISOString() });
    expect((await store.getChange(change.eventId))?.burstNote).toBeUndefined();

    const acted = { action: 'revert', done: 2, total: 3, accounts: 3, by: 'alice', at: NOW.toISOString() };
    await write({ more: 1, startedAt: NOW.toISOString(), accounts: 3, groupId: 'g-1', fleetActed: acted });
    expect((await store.getChange(change.eventId))?.burstNote).toEqual({
      more: 1,
      startedAt: NOW.toISOString(),
      accounts: 3,
      groupId: 'g-1',
      fleetActed: acted,
    });
  });

  it('lists pending burst items oldest first and removes them in batches', async () => {
    const key = 'alice@C0SECURITY';
    await store.startBurst(burstOf(key, 'burst-1'), undefined, NOW);
    const items: BurstItem[] = Array.from({ length: 60 }, (_, index) => ({
      burstId: 'burst-1',
      eventId: `e${String(index).padStart(2, '0')}`,
      eventTime: new Date(Date.parse('2026-11-20T14:00:00Z') + index * 1000).toISOString(),
    }));
    for (const item of [...items].reverse()) await store.addToBurst(key, item, NOW);
    await store.startBurst(burstOf('bob@C0SECURITY', 'burst-2'), undefined, NOW);
    await store.addToBurst(
      'bob@C0SECURITY',
      { burstId: 'burst-2', eventId: 'x', eventTime: NOW.toISOString() },
      NOW,
    );

    const firstTen = await store.pendingBurstItems('burst-1', 10);
    const all = await store.pendingBurstItems('burst-1', 100);
    await store.removeBurstItems('burst-1', [...items.slice(0, 55), items[0] as BurstItem]);
    const rest = await store.pendingBurstItems('burst-1', 100);

    expect(firstTen).toEqual(items.slice(0, 10));
    expect(all).toEqual(items);
    expect(rest).toEqual(items.slice(55));
    expect(await store.pendingBurstItems('burst-2', 10)).toHaveLength(1);
    expect(await store.pendingBurstItems('burst-1', 0)).toEqual([]);
  });

  it('counts the distinct accounts of a burst and keeps its members after the thread is posted', async () => {
    const key = 'fleet@C0SECURITY';
    await store.startBurst(
      burstOf(key, 'burst-f', { kind: 'fleet', parentEventId: 'f0', accountIds: ['111111111111'] }),
      undefined,
      NOW,
    );
    const items: BurstItem[] = ['222222222222', '333333333333', '222222222222'].map((accountId, index) => ({
      burstId: 'burst-f',
      eventId: `f${index + 1}`,
      eventTime: NOW.toISOString(),
      accountId,
    }));
    for (const item of items) await store.addToBurst(key, item, NOW);
    // A retried call counts nothing twice.
    await store.addToBurst(key, items[0] as BurstItem, NOW);
    await store.removeBurstItems('burst-f', items);

    const burst = await store.getBurst(key);
    expect(burst?.kind).toBe('fleet');
    expect(burst?.count).toBe(4);
    expect(burst?.accountIds).toEqual(['111111111111', '222222222222', '333333333333']);
    expect(await store.pendingBurstItems('burst-f', 10)).toEqual([]);
    expect(await store.burstMembers('burst-f', 100)).toEqual(['f0', 'f1', 'f2', 'f3']);
    expect(await store.burstMembers('burst-f', 2)).toHaveLength(2);
  });

  it('never takes a change back to pending once its burst line is posted', async () => {
    const change = attachAdmin('pending-race', '2026-11-20T14:00:00Z');
    await store.claimChange(change, NOW, LEASE);
    await store.markDelivery(change.eventId, { delivery: 'grouped', burstId: 'b' }, NOW);

    await store.markDelivery(change.eventId, { delivery: 'pending', burstId: 'b' }, NOW);

    expect((await store.getChange(change.eventId))?.delivery).toBe('grouped');
    await expect(
      store.markDelivery('never-claimed', { delivery: 'pending', burstId: 'b' }, NOW),
    ).rejects.toThrow(/never-claimed/);
  });

  it('answers queries by time, actor and resource newest first within [start, end)', async () => {
    const bob = {
      userIdentity: {
        type: 'IAMUser',
        principalId: 'AIDAEXAMPLEBOB',
        arn: 'arn:aws:iam::111122223333:user/bob',
        accountId: '111122223333',
        userName: 'bob',
      },
    };
    const dayOne = attachAdmin('ci-runner', '2026-11-19T23:59:00Z');
    const byBob = assessed(
      'AttachRolePolicy',
      { roleName: 'deploy', policyArn: ADMIN },
      { ...bob, eventTime: '2026-11-20T00:00:00Z' },
    );
    const midday = attachAdmin('deploy', '2026-11-20T12:00:00Z');
    const latest = attachAdmin('ci-runner', '2026-11-20T14:00:00Z');
    const outside = attachAdmin('ci-runner', '2026-11-21T00:00:00Z');
    for (const change of [midday, outside, dayOne, latest, byBob])
      await store.claimChange(change, NOW, LEASE);

    const start = '2026-11-19T00:00:00Z';
    const end = '2026-11-21T00:00:00Z';
    expect(eventIdsOf(await store.changesBetween(start, end, 10))).toEqual(
      [latest, midday, byBob, dayOne].map((change) => change.eventId),
    );
    expect(eventIdsOf(await store.changesBetween(start, end, 3))).toEqual([
      latest.eventId,
      midday.eventId,
      byBob.eventId,
    ]);
    expect(
      eventIdsOf(await store.changesBetween('2026-11-20T00:00:00Z', '2026-11-20T12:00:00Z', 10)),
    ).toEqual([byBob.eventId]);
    expect(
      eventIdsOf(await store.changesByActor('arn:aws:iam::111122223333:user/bob', start, end, 10)),
    ).toEqual([byBob.eventId]);
    expect(
      eventIdsOf(await store.changesByActor('arn:aws:iam::111122223333:user/alice', start, end, 10)),
    ).toEqual([latest.eventId, midday.eventId, dayOne.eventId]);
    expect(eventIdsOf(await store.changesOnResource('role/ci-runner', start, end, 10))).toEqual([
      latest.eventId,
      dayOne.eventId,
    ]);
    expect(eventIdsOf(await store.changesOnResource('role/deploy', start, end, 1))).toEqual([midday.eventId]);
    expect(await store.changesBetween(end, start, 10)).toEqual([]);
  });
});

describe('DynamoChangeStore: renames in the by-resource index', () => {
  it.each([
    ['UpdateUser', { userName: 'bob', newUserName: 'robert' }, 'user/robert', 'user/bob'],
    ['UpdateGroup', { groupName: 'devs', newGroupName: 'engineers' }, 'group/engineers', 'group/devs'],
  ])(
    'lists a successful %s under the new name, the one the entity has from then on',
    async (eventName, params, now, old) => {
      const rename = assessed(eventName, params, { eventTime: '2026-11-20T14:00:00Z' });
      const next = assessed(
        eventName === 'UpdateUser' ? 'AttachUserPolicy' : 'AttachGroupPolicy',
        eventName === 'UpdateUser'
          ? { userName: 'robert', policyArn: ADMIN }
          : { groupName: 'engineers', policyArn: ADMIN },
        { eventTime: '2026-11-20T14:05:00Z' },
      );
      await store.claimChange(rename, NOW, LEASE);
      await store.claimChange(next, NOW, LEASE);

      const start = '2026-11-20T00:00:00Z';
      const end = '2026-11-21T00:00:00Z';
      expect(eventIdsOf(await store.changesOnResource(now, start, end, 10))).toEqual([
        next.eventId,
        rename.eventId,
      ]);
      expect(await store.changesOnResource(old, start, end, 10)).toEqual([]);
    },
  );

  it('keeps a failed rename under the name that still exists', async () => {
    const failed = assessed(
      'UpdateUser',
      { userName: 'bob', newUserName: 'robert' },
      { eventTime: '2026-11-20T14:00:00Z', errorCode: 'AccessDenied', errorMessage: 'denied' },
    );
    await store.claimChange(failed, NOW, LEASE);

    const found = await store.changesOnResource(
      'user/bob',
      '2026-11-20T00:00:00Z',
      '2026-11-21T00:00:00Z',
      10,
    );
    expect(eventIdsOf(found)).toEqual([failed.eventId]);
  });
});

describe('DynamoChangeStore: the conditions on adding modes to a quarantine and lifting it', () => {
  const ALICE = { slackUserId: 'U0ALICE', name: 'alice' };
  const POLICY = 'arn:aws:iam::111122223333:policy/iam-changes/iam-changes-quarantine-aaaa1111';
  const NEWER = 'arn:aws:iam::111122223333:policy/iam-changes/iam-changes-quarantine-bbbb2222';
  const LATER = new Date(NOW.getTime() + 60_000).toISOString();
  const EARLIER = new Date(NOW.getTime() - 60_000).toISOString();
  let counter = 0;

  const active: QuarantineRecord = {
    status: 'active',
    claimId: 'claim-1',
    target: { kind: 'user', name: 'mallory' },
    policyArn: POLICY,
    modes: ['deny-iam'],
    by: ALICE,
    reason: 'r',
    at: NOW.toISOString(),
  };

  function adding(id: string, until = LATER, policyArn = NEWER): QuarantineModesAdding {
    return { id, until, policyArn, modes: ['deactivate-keys'], by: ALICE, at: NOW.toISOString() };
  }

  /** A stored change whose quarantine is `record` as written (lifting, addingModes and all). */
  async function quarantined(record: QuarantineRecord): Promise<string> {
    counter += 1;
    const change = attachAdmin(`role-${counter}`);
    await store.claimChange(change, NOW, LEASE);
    await store.recordQuarantine(change.eventId, record, NOW);
    return change.eventId;
  }

  async function recordOf(eventId: string): Promise<QuarantineRecord | undefined> {
    return (await store.getChange(eventId))?.quarantine;
  }

  describe('claimModesAdding', () => {
    it('is taken over the active quarantine read, and lists its policy', async () => {
      const eventId = await quarantined(active);
      await expect(store.claimModesAdding(eventId, active, adding('a'), NOW)).resolves.toEqual({
        claimed: true,
        claimedPolicies: [{ id: 'a', kind: 'adding', policyArn: NEWER, at: NOW.toISOString() }],
      });
      expect((await recordOf(eventId))?.addingModes).toEqual(adding('a'));
    });

    it.each<[string, Partial<QuarantineRecord>, Partial<QuarantineRecord>]>([
      ['another quarantine claimed since (another claim id)', { claimId: 'claim-2' }, {}],
      ['a record without a claim id read, one with it stored', {}, { claimId: undefined }],
      ['the quarantine failed', { status: 'failed' }, {}],
      ['the quarantine lifted', { status: 'lifted' }, {}],
      ['modes added since (another policy)', { policyArn: NEWER }, {}],
      ['a lift holding it', { lifting: { id: 'lift-1', until: LATER } }, {}],
      ['a lift that did not finish (its lease passed)', { lifting: { id: 'lift-1', until: EARLIER } }, {}],
      ['another live addition', { addingModes: adding('other') }, {}],
    ])('is refused over %s', async (_name, stored, read) => {
      const eventId = await quarantined({ ...active, ...stored });
      const before = await recordOf(eventId);
      const { claimId: _id, ...withoutId } = active;
      const record = 'claimId' in read ? withoutId : { ...active, ...read };
      await expect(store.claimModesAdding(eventId, record, adding('a'), NOW)).resolves.toEqual({
        claimed: false,
      });
      expect(await recordOf(eventId)).toEqual(before);
    });

    it('takes over a dead addition (its lease passed) or its own, returning it and keeping it listed', async () => {
      const eventId = await quarantined(active);
      await store.claimModesAdding(
        eventId,
        active,
        adding('dead', EARLIER, POLICY.replace('aaaa', 'dddd')),
        NOW,
      );
      const taken = await store.claimModesAdding(eventId, active, adding('b'), NOW);
      expect(taken).toMatchObject({ claimed: true, replaced: { id: 'dead' } });
      const again = await store.claimModesAdding(eventId, active, adding('b', LATER, `${NEWER}x`), NOW);
      expect(again).toMatchObject({ claimed: true, replaced: { id: 'b' } });
      // Appended, never replaced: every policy claimed stays named.
      expect(again.claimed && again.claimedPolicies.map((entry) => entry.policyArn)).toEqual([
        POLICY.replace('aaaa', 'dddd'),
        NEWER,
        `${NEWER}x`,
      ]);
      expect((await recordOf(eventId))?.claimedPolicies?.map((entry) => entry.id)).toEqual([
        'dead',
        'b',
        'b',
      ]);
    });

    it('throws for a change that is not stored', async () => {
      await expect(store.claimModesAdding('no-such-event', active, adding('a'), NOW)).rejects.toBeInstanceOf(
        StoreItemNotFoundError,
      );
    });
  });

  describe('recordModesAdded', () => {
    const updated: QuarantineRecord = {
      ...active,
      policyArn: NEWER,
      modes: ['deny-iam', 'deactivate-keys'],
      deactivatedKeys: ['AKIAKEY1'],
    };

    it('writes the record while the addition holds it, over the policy it replaced, and keeps the claimed list', async () => {
      const eventId = await quarantined(active);
      await store.claimModesAdding(eventId, active, adding('a'), NOW);
      await expect(store.recordModesAdded(eventId, updated, 'a', POLICY, NOW)).resolves.toBe(true);
      const record = await recordOf(eventId);
      expect(record).toMatchObject({ policyArn: NEWER, deactivatedKeys: ['AKIAKEY1'] });
      expect(record?.addingModes).toBeUndefined();
      expect(record?.claimedPolicies?.map((entry) => entry.policyArn)).toEqual([NEWER]);
      // The Home tab's list carries it, with the policies claimed.
      expect((await store.activeQuarantines(10))[0]?.quarantine).toMatchObject({
        policyArn: NEWER,
        claimedPolicies: [{ policyArn: NEWER }],
      });
    });

    it.each<[string, Partial<QuarantineRecord>, string, string]>([
      ['another addition holds it', { addingModes: adding('other') }, 'a', POLICY],
      ['no addition holds it', {}, 'a', POLICY],
      ['a lift holds it', { addingModes: adding('a'), lifting: { id: 'lift-1', until: LATER } }, 'a', POLICY],
      ['it was lifted', { addingModes: adding('a'), status: 'lifted' }, 'a', POLICY],
      ['it names another policy than the one replaced', { addingModes: adding('a') }, 'a', NEWER],
    ])('writes nothing when %s', async (_name, stored, id, replaced) => {
      const eventId = await quarantined({ ...active, ...stored });
      const before = await recordOf(eventId);
      await expect(store.recordModesAdded(eventId, updated, id, replaced, NOW)).resolves.toBe(false);
      expect(await recordOf(eventId)).toEqual(before);
    });

    it('does not put back the list entry of a quarantine no longer listed', async () => {
      const eventId = await quarantined(active);
      await store.claimModesAdding(eventId, active, adding('a'), NOW);
      // Its list entry went (a lift recorded by hand meanwhile, say).
      await db.documentClient.send(
        new DeleteCommand({ TableName: tableName, Key: { pk: QUARANTINED_PARTITION, sk: eventId } }),
      );
      await expect(store.recordModesAdded(eventId, updated, 'a', POLICY, NOW)).resolves.toBe(true);
      expect((await rawItems()).filter((item) => item.pk === QUARANTINED_PARTITION)).toEqual([]);
    });

    it('throws for a change that is not stored', async () => {
      await expect(store.recordModesAdded('no-such-event', updated, 'a', POLICY, NOW)).rejects.toBeInstanceOf(
        StoreItemNotFoundError,
      );
    });
  });

  describe('releaseModesAdding', () => {
    it("gives back only its own addition, and never another's", async () => {
      const eventId = await quarantined({ ...active, addingModes: adding('other') });
      await store.releaseModesAdding(eventId, 'a');
      expect((await recordOf(eventId))?.addingModes).toEqual(adding('other'));
      await store.releaseModesAdding(eventId, 'other');
      expect((await recordOf(eventId))?.addingModes).toBeUndefined();
      expect((await recordOf(eventId))?.status).toBe('active');
    });
  });

  describe('claimQuarantine', () => {
    const claim = (claimId: string, policyArn: string): QuarantineRecord => ({
      ...active,
      status: 'claimed',
      claimId,
      policyArn,
      until: LATER,
    });
    const entry = (id: string, policyArn: string) => ({
      id,
      kind: 'quarantine',
      policyArn,
      at: NOW.toISOString(),
    });

    it('starts a fresh list over a lifted quarantine', async () => {
      counter += 1;
      const change = attachAdmin(`role-claims-${counter}`);
      await store.claimChange(change, NOW, LEASE);
      const eventId = change.eventId;
      await store.claimQuarantine(eventId, claim('claim-0', POLICY), NOW);
      expect((await recordOf(eventId))?.claimedPolicies).toEqual([entry('claim-0', POLICY)]);
      await store.recordQuarantine(eventId, { ...claim('claim-0', POLICY), status: 'lifted' }, NOW);

      const taken = await store.claimQuarantine(eventId, claim('claim-1', NEWER), NOW);

      expect(taken).toEqual({ claimed: true, claimedPolicies: [entry('claim-1', NEWER)] });
      expect((await recordOf(eventId))?.claimedPolicies).toEqual([entry('claim-1', NEWER)]);
    });

    it.each<[string, Partial<QuarantineRecord>]>([
      ['a failed quarantine', { status: 'failed' }],
      ['a claim whose job died', { until: EARLIER }],
    ])('continues the list over %s', async (_name, stored) => {
      counter += 1;
      const change = attachAdmin(`role-claims-${counter}`);
      await store.claimChange(change, NOW, LEASE);
      const eventId = change.eventId;
      await store.claimQuarantine(eventId, claim('claim-0', POLICY), NOW);
      await store.recordQuarantine(eventId, { ...claim('claim-0', POLICY), ...stored }, NOW);

      const taken = await store.claimQuarantine(eventId, claim('claim-1', NEWER), NOW);

      const both = [entry('claim-0', POLICY), entry('claim-1', NEWER)];
      expect(taken).toMatchObject({ claimed: true, claimedPolicies: both });
      expect((await recordOf(eventId))?.claimedPolicies).toEqual(both);
    });

    it.each<[string, Partial<QuarantineRecord>]>([
      ['a failed quarantine a lift holds', { status: 'failed', lifting: { id: 'lift-0', until: LATER } }],
      ['a dead claim a lift holds', { until: EARLIER, lifting: { id: 'lift-0', until: LATER } }],
    ])('is refused over %s, the record and its hold untouched', async (_name, stored) => {
      counter += 1;
      const change = attachAdmin(`role-claims-${counter}`);
      await store.claimChange(change, NOW, LEASE);
      const eventId = change.eventId;
      await store.claimQuarantine(eventId, claim('claim-0', POLICY), NOW);
      await store.recordQuarantine(eventId, { ...claim('claim-0', POLICY), ...stored }, NOW);

      await expect(store.claimQuarantine(eventId, claim('claim-1', NEWER), NOW)).resolves.toMatchObject({
        claimed: false,
      });
      const after = await recordOf(eventId);
      expect(after?.lifting).toEqual({ id: 'lift-0', until: LATER });
      expect(after?.claimedPolicies).toEqual([entry('claim-0', POLICY)]);
    });

    it('takes over a failed quarantine whose lift died (its lease passed)', async () => {
      counter += 1;
      const change = attachAdmin(`role-claims-${counter}`);
      await store.claimChange(change, NOW, LEASE);
      const eventId = change.eventId;
      await store.claimQuarantine(eventId, claim('claim-0', POLICY), NOW);
      const stored = { status: 'failed' as const, lifting: { id: 'lift-0', until: EARLIER } };
      await store.recordQuarantine(eventId, { ...claim('claim-0', POLICY), ...stored }, NOW);

      await expect(store.claimQuarantine(eventId, claim('claim-1', NEWER), NOW)).resolves.toMatchObject({
        claimed: true,
      });
    });

    it('is refused over a live claim and an active quarantine, the list untouched', async () => {
      const eventId = await quarantined(claim('claim-0', POLICY));
      await expect(store.claimQuarantine(eventId, claim('claim-1', NEWER), NOW)).resolves.toMatchObject({
        claimed: false,
      });
      await store.recordQuarantine(eventId, active, NOW);
      await expect(store.claimQuarantine(eventId, claim('claim-2', NEWER), NOW)).resolves.toMatchObject({
        claimed: false,
      });
      expect((await recordOf(eventId))?.claimedPolicies).toBeUndefined();
    });
  });

  describe('recordKeyTurnedOff and recordPolicyCreated', () => {
    const made = { policyArn: NEWER, policyId: 'ANPAEXAMPLE1' };

    it.each<[string, Partial<QuarantineRecord>, { kind: 'quarantine' | 'adding'; id: string }]>([
      [
        'a quarantine claim it holds',
        { status: 'claimed', until: LATER },
        { kind: 'quarantine', id: 'claim-1' },
      ],
      ['an addition it holds', { addingModes: adding('a') }, { kind: 'adding', id: 'a' }],
    ])('append under %s', async (_name, stored, job) => {
      const eventId = await quarantined({ ...active, ...stored });
      await expect(store.recordPolicyCreated(eventId, job, made, NOW)).resolves.toBe(true);
      await expect(store.recordKeyTurnedOff(eventId, job, 'AKIAONE', NOW)).resolves.toBe(true);
      await expect(store.recordKeyTurnedOff(eventId, job, 'AKIATWO', NOW)).resolves.toBe(true);
      await expect(store.recordKeyFoundOn(eventId, job, 'AKIAONE', NOW)).resolves.toBe(true);
      // Each entry names the job that wrote it, in the order written.
      const entries = [
        { keyId: 'AKIAONE', job: job.id },
        { keyId: 'AKIATWO', job: job.id },
        { keyId: 'AKIAONE', job: job.id, on: true },
      ];
      const record = await recordOf(eventId);
      expect(record?.keysTurnedOff).toEqual(entries);
      expect(record?.createdPolicies).toEqual([{ ...made, job: job.id }]);
      // Beside the record: a write of the record keeps them.
      await store.recordQuarantine(eventId, { ...active, ...stored }, NOW);
      expect((await recordOf(eventId))?.keysTurnedOff).toEqual(entries);
    });

    it.each<[string, Partial<QuarantineRecord>, { kind: 'quarantine' | 'adding'; id: string }]>([
      [
        'a quarantine claim taken over',
        { status: 'claimed', claimId: 'claim-2' },
        { kind: 'quarantine', id: 'claim-1' },
      ],
      ['a quarantine recorded active (no claim held)', {}, { kind: 'quarantine', id: 'claim-1' }],
      ['an addition taken over', { addingModes: adding('b') }, { kind: 'adding', id: 'a' }],
      ['an addition given back', {}, { kind: 'adding', id: 'a' }],
      [
        'an addition under a lift',
        { addingModes: adding('a'), lifting: { id: 'l', until: LATER } },
        { kind: 'adding', id: 'a' },
      ],
      [
        'a quarantine claim under a lift (the lift of a claim whose job seemed dead)',
        { status: 'claimed', until: LATER, lifting: { id: 'l', until: LATER } },
        { kind: 'quarantine', id: 'claim-1' },
      ],
    ])('write nothing over %s', async (_name, stored, job) => {
      const eventId = await quarantined({ ...active, ...stored });
      await expect(store.recordKeyTurnedOff(eventId, job, 'AKIAONE', NOW)).resolves.toBe(false);
      await expect(store.recordKeyFoundOn(eventId, job, 'AKIAONE', NOW)).resolves.toBe(false);
      await expect(store.recordPolicyCreated(eventId, job, made, NOW)).resolves.toBe(false);
      const record = await recordOf(eventId);
      expect(record?.keysTurnedOff).toBeUndefined();
      expect(record?.createdPolicies).toBeUndefined();
    });

    it('are kept by a claim over a failed quarantine and started afresh by one over a lifted quarantine', async () => {
      const job = { kind: 'quarantine' as const, id: 'claim-1' };
      const eventId = await quarantined({ ...active, status: 'claimed', until: LATER });
      await store.recordKeyTurnedOff(eventId, job, 'AKIAONE', NOW);
      await store.recordQuarantine(eventId, { ...active, status: 'failed' }, NOW);
      const again = { ...active, status: 'claimed' as const, claimId: 'claim-2', until: LATER };
      await expect(store.claimQuarantine(eventId, again, NOW)).resolves.toMatchObject({ claimed: true });
      expect((await recordOf(eventId))?.keysTurnedOff).toEqual([{ keyId: 'AKIAONE', job: 'claim-1' }]);
      await store.recordQuarantine(eventId, { ...again, status: 'lifted' }, NOW);
      const fresh = { ...active, status: 'claimed' as const, claimId: 'claim-3', until: LATER };
      await expect(store.claimQuarantine(eventId, fresh, NOW)).resolves.toMatchObject({ claimed: true });
      expect((await recordOf(eventId))?.keysTurnedOff).toBeUndefined();
    });

    it('throw for a change that is not stored', async () => {
      await expect(
        store.recordKeyTurnedOff('no-such-event', { kind: 'adding', id: 'a' }, 'AKIAONE', NOW),
      ).rejects.toBeInstanceOf(StoreItemNotFoundError);
    });
  });

  describe('claimLift', () => {
    const lift = { id: 'lift-1', until: LATER };

    it.each<[string, Partial<QuarantineRecord>]>([
      ['an active quarantine', {}],
      ['a failed one', { status: 'failed' }],
      ['a claim whose job died', { status: 'claimed', until: EARLIER }],
      ['one whose lift died (its lease passed)', { lifting: { id: 'lift-0', until: EARLIER } }],
      ['one this lift holds already (a retry)', { lifting: { id: 'lift-1', until: LATER } }],
      ['one whose addition died (its lease passed)', { addingModes: adding('a', EARLIER) }],
    ])('is taken over %s', async (_name, stored) => {
      const eventId = await quarantined({ ...active, ...stored });
      await expect(store.claimLift(eventId, { ...active, ...stored }, lift, NOW)).resolves.toBe(true);
      expect((await recordOf(eventId))?.lifting).toEqual(lift);
    });

    it.each<[string, Partial<QuarantineRecord>, Partial<QuarantineRecord>]>([
      ['another quarantine claimed since', { claimId: 'claim-2' }, {}],
      ['one lifted already', { status: 'lifted' }, {}],
      ['a claim still being applied', { status: 'claimed', until: LATER }, {}],
      ['modes added since (another policy)', { policyArn: NEWER }, {}],
      ['another live lift', { lifting: { id: 'lift-0', until: LATER } }, {}],
      ['a live addition', { addingModes: adding('a') }, {}],
    ])('is refused over %s', async (_name, stored, read) => {
      const eventId = await quarantined({ ...active, ...stored });
      const before = await recordOf(eventId);
      await expect(store.claimLift(eventId, { ...active, ...read }, lift, NOW)).resolves.toBe(false);
      expect(await recordOf(eventId)).toEqual(before);
    });

    it('is refused when a policy was claimed for the quarantine since the lift read it, taken over the list it read', async () => {
      const eventId = await quarantined({ ...active, status: 'claimed', until: LATER });
      await store.recordQuarantine(eventId, active, NOW);
      // The lift read the record with no claimed policy listed; an addition claimed one since (and gave it back).
      const read = await recordOf(eventId);
      expect(read?.claimedPolicies).toBeUndefined();
      await store.claimModesAdding(eventId, active, adding('a'), NOW);
      await store.releaseModesAdding(eventId, 'a');
      const before = await recordOf(eventId);
      expect(before?.claimedPolicies).toHaveLength(1);
      await expect(store.claimLift(eventId, read ?? active, lift, NOW)).resolves.toBe(false);
      expect(await recordOf(eventId)).toEqual(before);
      // A lift that read the list as it is now is taken.
      await expect(store.claimLift(eventId, before ?? active, lift, NOW)).resolves.toBe(true);
      expect((await recordOf(eventId))?.lifting).toEqual(lift);
    });

    it('compares the claimed list with its length as stored, an entry of another shape included', async () => {
      const eventId = await quarantined(active);
      await store.claimModesAdding(eventId, active, adding('a', EARLIER), NOW);
      await store.releaseModesAdding(eventId, 'a');
      // An entry the reader drops (not a claimed policy's shape), beside the one it keeps.
      await db.documentClient.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { pk: `CHANGE#${eventId}`, sk: 'CHANGE' },
          UpdateExpression: 'SET quarantinePolicies = list_append(quarantinePolicies, :odd)',
          ExpressionAttributeValues: { ':odd': ['not-an-entry'] },
        }),
      );
      const read = await recordOf(eventId);
      expect(read?.claimedPolicies).toHaveLength(1);
      await expect(store.claimLift(eventId, read ?? active, lift, NOW)).resolves.toBe(true);
      expect((await recordOf(eventId))?.lifting).toEqual(lift);
    });

    it('throws for a change that is not stored', async () => {
      await expect(store.claimLift('no-such-event', active, lift, NOW)).rejects.toBeInstanceOf(
        StoreItemNotFoundError,
      );
    });
  });
});
