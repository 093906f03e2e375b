/**
 * A read handed in is a hint, never the deciding fact: the fleet runner reads every member before its loop, so a
 * member's quarantine seen as claimed then may have failed by the time its turn comes; a lift that read an active
 * quarantine may find a newer one recorded by the time it writes. The store (dynalite) decides, through its
 * conditional writes; IAM on moto_server.
 */
import { CreateUserCommand, type IAMClient, ListAttachedUserPoliciesCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AccountUseCases } from '../../src/app/fleet-actions';
import { FleetActionRunner } from '../../src/app/fleet-actions';
import { QuarantineService } from '../../src/app/quarantine-service';
import type { QuarantineRecord } from '../../src/app/revert-port';
import type { AwsIamGateway } from '../../src/aws/iam-gateway';
import { normaliseRecord } from '../../src/domain/change';
import { assessChange } from '../../src/domain/explain';
import { isQuarantinePolicyArn, QUARANTINE_POLICY_NAME } from '../../src/domain/quarantine';
import { SLACK_FLEET_PRESENTER } from '../../src/slack/render-fleet';
import { DynamoAuditLog } from '../../src/store/dynamo-audit-log';
import { DynamoChangeStore } from '../../src/store/dynamo-change-store';
import { cloudTrailRecord } from '../support/cloudtrail';
import type { DynaliteServer } from '../support/dynalite';
import { type IamStoreEmulators, startIamStoreEmulators } from '../support/iam-store-emulators';

/** moto's account. */
const ACCOUNT = '123456789012';
const ALICE = { slackUserId: 'U0ALICE', name: 'alice' };
const BOB = { slackUserId: 'U0BOB', name: 'bob' };

let db: DynaliteServer;
let iamClient: IAMClient;
let gateway: AwsIamGateway;
let store: DynamoChangeStore;
let audit: DynamoAuditLog;
let counter = 0;

let emulators: IamStoreEmulators | undefined;

beforeAll(async () => {
  emulators = await startIamStoreEmulators();
  ({ db, iamClient, gateway } = emulators);
});

afterAll(async () => {
  await emulators?.stop();
});

beforeEach(async () => {
  const tableName = await db.createTable();
  store = new DynamoChangeStore(db.documentClient, { tableName });
  audit = new DynamoAuditLog(db.documentClient, { tableName });
});

function quarantines(): QuarantineService {
  return new QuarantineService({
    store,
    iam: gateway,
    clock: { now: () => new Date() },
    audit,
    settings: {
      bot: { workerRoleArn: `arn:aws:iam::${ACCOUNT}:role/iam-changes-worker`, memberAccounts: [] },
      protectedPrincipals: [],
      accountId: ACCOUNT,
    },
  });
}

async function iamUser(): Promise<string> {
  counter += 1;
  const name = `mallory-${counter}`;
  await iamClient.send(new CreateUserCommand({ UserName: name }));
  return name;
}

/** Stores a change made by IAM user `user` (in moto's account); returns its event id. */
async function changeBy(user: string): Promise<string> {
  const record = cloudTrailRecord(
    'AttachRolePolicy',
    { roleName: 'victim', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' },
    {
      userIdentity: {
        accountId: ACCOUNT,
        type: 'IAMUser',
        principalId: 'AIDAEXAMPLE',
        arn: `arn:aws:iam::${ACCOUNT}:user/${user}`,
        userName: user,
      },
      recipientAccountId: ACCOUNT,
      eventTime: new Date(Date.now() - 60_000).toISOString(),
    },
  );
  const result = normaliseRecord(record);
  if (!('change' in result)) throw new Error(result.skipped.reason);
  const now = new Date(Date.now() - 60_000);
  await store.claimChange(assessChange(result.change, { expectedActors: [], trustedAccounts: [] }), now, now);
  return result.change.eventId;
}

/** Groups the stored changes as one fleet group whose id is the first one's, as notify records it. */
async function fleetGroup(eventIds: string[]): Promise<string> {
  const [groupId, ...rest] = eventIds;
  if (!groupId) throw new Error('no change');
  const now = new Date(Date.now() - 60_000);
  const at = now.toISOString();
  await store.startBurst(
    {
      key: `fleet-${groupId}`,
      burstId: groupId,
      channel: 'C0ALERTS',
      parentEventId: groupId,
      startedAt: at,
      lastEventTime: at,
      count: 1,
      shownCount: 1,
    },
    undefined,
    now,
  );
  for (const eventId of rest) {
    await store.addToBurst(`fleet-${groupId}`, { burstId: groupId, eventId, eventTime: at }, now);
    await store.markDelivery(eventId, { delivery: 'grouped', burstId: groupId }, now);
  }
  await store.recordBurstNote(groupId, { more: rest.length, startedAt: at, groupId });
  return groupId;
}

async function attachedTo(user: string): Promise<string[]> {
  const out = await iamClient.send(new ListAttachedUserPoliciesCommand({ UserName: user }));
  return (out.AttachedPolicies ?? []).map((policy) => policy.PolicyArn ?? '');
}

function claimOf(user: string, claimId: string): QuarantineRecord {
  return {
    status: 'claimed',
    claimId,
    target: { kind: 'user', name: user },
    policyArn: `arn:aws:iam::${ACCOUNT}:policy/iam-changes/${QUARANTINE_POLICY_NAME}-${claimId.slice(0, 8)}`,
    modes: ['deny-iam'],
    by: BOB,
    reason: 'in progress elsewhere',
    at: new Date().toISOString(),
  };
}

describe('fleet quarantine on reads taken before the loop', () => {
  it("quarantines an account whose quarantine was claimed at list time and failed while another account's ran", async () => {
    const [userA, userB] = [await iamUser(), await iamUser()];
    const [eventA, eventB] = [await changeBy(userA), await changeBy(userB)];
    const groupId = await fleetGroup([eventA, eventB]);
    // B's quarantine is being applied by someone else when the fleet job lists the group...
    const bobs = claimOf(userB, 'b0b0b0b0-0000-4000-8000-000000000000');
    expect((await store.claimQuarantine(eventB, bobs, new Date())).claimed).toBe(true);
    const real = quarantines();
    let handled = 0;
    const useCases: AccountUseCases = {
      revert: {
        prepare: () => Promise.reject(new Error('a quarantine job reverts nothing')),
        execute: () => Promise.reject(new Error('a quarantine job reverts nothing')),
      },
      quarantine: {
        prepare: (...args) => real.prepare(...args),
        quarantine: async (...args) => {
          handled += 1;
          // ...and it fails while the first account is handled: by B's turn, nothing holds B.
          if (handled === 1) {
            await store.recordQuarantine(
              args[0] === eventA ? eventB : eventA,
              { ...bobs, status: 'failed', error: 'throttled' },
              new Date(),
            );
          }
          return real.quarantine(...args);
        },
      },
    };
    const runner = new FleetActionRunner({
      store,
      useCasesIn: () => useCases,
      slack: {
        updateView: async () => undefined,
        postMessage: async () => ({ channel: 'C0ALERTS', ts: '1.1' }),
        postEphemeral: async () => undefined,
      } as never,
      presenter: SLACK_FLEET_PRESENTER,
      audit,
      clock: { now: () => new Date() },
      next: { run: async () => ({ kind: 'status', outcome: 'not-mine' }) } as never,
      log: () => undefined,
    });
    // The claim on B was taken before the list: members() reads it as claimed.
    const result = await runner.run({
      kind: 'fleet-quarantine',
      groupId,
      asOf: new Date().toISOString(),
      by: ALICE,
      reason: 'fleet-wide incident',
    });
    expect(result.outcome).toBe('done:2');
    for (const user of [userA, userB]) {
      expect((await attachedTo(user)).some((arn) => isQuarantinePolicyArn(arn, QUARANTINE_POLICY_NAME))).toBe(
        true,
      );
    }
    expect((await store.getChange(eventB))?.quarantine?.status).toBe('active');
  });

  it('still refuses an account whose quarantine holds when its turn comes, from the conditional claim', async () => {
    const user = await iamUser();
    const eventId = await changeBy(user);
    const stale = await store.getChange(eventId);
    if (!stale) throw new Error('not stored');
    // Someone else's quarantine is claimed after the read was taken: the read says nothing holds it.
    const bobs = claimOf(user, 'b1b1b1b1-0000-4000-8000-000000000000');
    expect((await store.claimQuarantine(eventId, bobs, new Date())).claimed).toBe(true);
    const outcome = await quarantines().quarantine(eventId, ALICE, 'again', undefined, stale);
    expect(outcome.status).toBe('already-claimed');
    expect(await attachedTo(user)).toEqual([]);
  });
});

describe('lifting a quarantine while a newer one is recorded', () => {
  it('a lift that read the older quarantine leaves the newer one attached and recorded', async () => {
    const user = await iamUser();
    const eventId = await changeBy(user);
    const first = await quarantines().quarantine(eventId, ALICE, 'first');
    if (first.status !== 'done') throw new Error(`not quarantined: ${first.status}`);
    // The second lift's job read the change here, while the first quarantine held...
    const stale = await store.getChange(eventId);
    if (!stale) throw new Error('not stored');
    // ...the first lift ran, and someone quarantined the caller again...
    expect((await quarantines().lift({ eventId }, BOB, 'done with it')).status).toBe('lifted');
    const second = await quarantines().quarantine(eventId, BOB, 'again');
    if (second.status !== 'done') throw new Error(`not quarantined again: ${second.status}`);
    // ...before the second lift went on with what it had read.
    const late = await quarantines().lift({ eventId }, ALICE, 'lift it', stale);
    expect(late).toMatchObject({
      status: 'refused',
      reason: expect.stringMatching(/no longer the one this lift read/),
    });
    expect(await attachedTo(user)).toEqual([second.policyArn]);
    const record = (await store.getChange(eventId))?.quarantine;
    expect(record).toMatchObject({ status: 'active', policyArn: second.policyArn });
    const listed = await store.activeQuarantines(10);
    expect(listed.map((item) => item.change.eventId)).toContain(eventId);
  });

  it('runs one of two lifts of the same quarantine; the other touches nothing', async () => {
    const user = await iamUser();
    const eventId = await changeBy(user);
    const outcome = await quarantines().quarantine(eventId, BOB, 'stop them');
    if (outcome.status !== 'done') throw new Error('not quarantined');
    const read = await store.getChange(eventId);

    const lifts = await Promise.all([
      quarantines().lift({ eventId }, ALICE, 'first', read),
      quarantines().lift({ eventId }, BOB, 'second', read),
    ]);

    expect(lifts.map((lift) => lift.status).sort()).toEqual(['lifted', 'refused']);
    expect(await attachedTo(user)).toEqual([]);
    expect((await store.getChange(eventId))?.quarantine).toMatchObject({ status: 'lifted' });
    expect((await store.getChange(eventId))?.quarantine?.lifting).toBeUndefined();
  });

  it('a lift is not refused on a read that saw the quarantine still being applied', async () => {
    const user = await iamUser();
    const eventId = await changeBy(user);
    // The lift's job read the change while the quarantine was claimed; it is active by the lift's turn.
    const claimedRead = await store.getChange(eventId);
    const outcome = await quarantines().quarantine(eventId, BOB, 'stop them');
    if (outcome.status !== 'done' || !claimedRead) throw new Error('not quarantined');
    const stale = {
      ...claimedRead,
      quarantine: { ...claimOf(user, 'd0d0d0d0-0000-4000-8000-000000000000'), by: BOB },
    };

    expect((await quarantines().lift({ eventId }, ALICE, 'cleared', stale)).status).toBe('lifted');
    expect(await attachedTo(user)).toEqual([]);
    expect((await store.getChange(eventId))?.quarantine?.status).toBe('lifted');
  });

  it('the lift is recorded only over the active quarantine it lifted (a conditional write)', async () => {
    const user = await iamUser();
    const eventId = await changeBy(user);
    const older = { ...claimOf(user, 'a0a0a0a0-0000-4000-8000-000000000000'), status: 'active' as const };
    const newer = { ...claimOf(user, 'c0c0c0c0-0000-4000-8000-000000000000'), status: 'active' as const };
    await store.recordQuarantine(eventId, older, new Date());
    const lifted = { ...older, status: 'lifted' as const, lifted: { by: ALICE, reason: 'x', at: '' } };
    // A newer quarantine was recorded between the older one's detach and the write of its lift.
    await store.recordQuarantine(eventId, { ...older, status: 'lifted' }, new Date());
    await store.recordQuarantine(eventId, newer, new Date());
    expect(await store.recordLift(eventId, lifted, new Date())).toBe(false);
    expect((await store.getChange(eventId))?.quarantine).toMatchObject({
      status: 'active',
      claimId: newer.claimId,
    });
    const listed = await store.activeQuarantines(10);
    expect(listed.map((item) => item.change.eventId)).toContain(eventId);
    // The lift of the quarantine that holds is recorded.
    expect(await store.recordLift(eventId, { ...lifted, claimId: newer.claimId }, new Date())).toBe(true);
    expect((await store.getChange(eventId))?.quarantine?.status).toBe('lifted');
    expect(await store.recordLift(eventId, { ...lifted, claimId: newer.claimId }, new Date())).toBe(false);
  });
});
