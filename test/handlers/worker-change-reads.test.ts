/**
 * Each worker job reads its change from the store once: the verification's read is handed to the router, the
 * worker and the use case it calls. The one read more is after a revert, a quarantine, a lift or a judgement,
 * which has just written the item: the alert is rendered from it as written, never from the read the job began
 * with. The worker is built as the Lambda builds it, in an organisation (`HOME_ACCOUNT_ID`, so the account router
 * is in the path), on dynalite through a client whose reads of change items are counted as they leave it; IAM on
 * moto_server, Slack on the local server.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { TagUserCommand } from '@aws-sdk/client-iam';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRunner } from '../../src/app/account-router';
import { type Job, parseJob, SYSTEM_REQUESTER } from '../../src/app/jobs';
import type { AwsClients } from '../../src/aws/clients';
import { parseConfig } from '../../src/config';
import { buildWorkerService } from '../../src/runtime/worker';
import { handlerEnv } from '../support/lambda-env';
import {
  ACCOUNT,
  ALICE,
  attachedPolicy,
  CAROL,
  CHANNEL,
  type Components,
  type Harness,
  iamUser,
  recordOf,
  responderHarness,
  startComponents,
} from '../support/responder-harness';
import { signJob, TEST_SIGNING_SECRET } from '../support/signed-jobs';

let components: Components;
let h: Harness;
let worker: JobRunner;
/** The same worker with "was this you?" on. */
let asking: JobRunner;
let counted: DynamoDBClient;
/** The change items read (`GetItem`), by key, as the worker's client sent them. */
const reads: string[] = [];

beforeAll(async () => {
  components = await startComponents();
  h = await responderHarness(components);
  counted = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: components.dynalite.endpoint,
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' },
  });
  counted.middlewareStack.add(
    (next, context) => async (args) => {
      // The document client's key, before it is marshalled.
      const key = (args.input as { Key?: { pk?: unknown } }).Key?.pk;
      if (context.commandName === 'GetItemCommand' && typeof key === 'string' && key.startsWith('CHANGE#'))
        reads.push(key);
      return next(args);
    },
    { step: 'initialize', name: 'countChangeReads' },
  );
  const env = handlerEnv(components, h.tableName, {
    SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
    SLACK_RESPONDERS: ALICE,
    HOME_ACCOUNT_ID: ACCOUNT,
    RESPONDER_EXTERNAL_ID: 'external-id-0123456789',
  });
  worker = await buildWorkerService({
    config: parseConfig(env),
    aws: { dynamo: DynamoDBDocumentClient.from(counted), iam: components.iamClient } as unknown as AwsClients,
    askActor: false,
    log: () => undefined,
    auditLine: () => undefined,
  });
  asking = await buildWorkerService({
    config: parseConfig(env),
    aws: { dynamo: DynamoDBDocumentClient.from(counted), iam: components.iamClient } as unknown as AwsClients,
    askActor: { rules: [], timeoutMinutes: 30 },
    askActorIam: components.iamClient,
    log: () => undefined,
    auditLine: () => undefined,
  });
}, 60_000);

afterAll(async () => {
  counted?.destroy();
  await components?.stop();
});

const alice = { slackUserId: ALICE, name: 'alice' };
let messages = 0;

/** A stored, posted change (an attach on moto, by an IAM user there), and where its alert is. */
async function postedChange() {
  const { role, policyArn } = await attachedPolicy(components);
  const caller = await iamUser(components);
  const change = await h.storeChange(
    recordOf('AttachRolePolicy', { roleName: role, policyArn }, { user: caller }),
  );
  const ts = (await h.stored(change.eventId)).slack?.ts ?? '';
  return { eventId: change.eventId, alert: { channel: CHANNEL, ts } };
}

/** Runs `job` as the jobs topic delivers it and returns its outcome and the reads of its change. */
async function run(job: Job, on: JobRunner = worker) {
  reads.length = 0;
  messages += 1;
  const result = await on.run(parseJob(JSON.stringify(job)), { id: `reads-${messages}` });
  return { result, reads: reads.filter((key) => key === `CHANGE#${'eventId' in job ? job.eventId : ''}`) };
}

describe('each worker job reads its change once', () => {
  it.each<{
    job: string;
    make: (eventId: string, alert: { channel: string; ts: string }) => Job;
    outcome: string;
  }>([
    {
      job: 'diff',
      make: (eventId) => signJob({ kind: 'diff', eventId, viewId: 'V-diff', by: alice }),
      outcome: 'view-updated',
    },
    {
      job: 'prepare-confirmation (revert)',
      make: (eventId, alert) =>
        signJob({ kind: 'prepare-confirmation', action: 'revert', eventId, viewId: 'V-r', by: alice, alert }),
      outcome: 'view-updated',
    },
    {
      job: 'prepare-confirmation (quarantine)',
      make: (eventId, alert) =>
        signJob({
          kind: 'prepare-confirmation',
          action: 'quarantine',
          eventId,
          viewId: 'V-q',
          by: alice,
          alert,
        }),
      outcome: 'view-updated',
    },
  ])('$job: one read', async ({ make, outcome }) => {
    const { eventId, alert } = await postedChange();

    const { result, reads: made } = await run(make(eventId, alert));

    expect(result.outcome).toBe(outcome);
    expect(made).toHaveLength(1);
  });

  it.each<{ job: string; make: (eventId: string, alert: { channel: string; ts: string }) => Job }>([
    {
      job: 'revert',
      make: (eventId, alert) => signJob({ kind: 'revert', eventId, by: alice, reason: 'undo it', alert }),
    },
    {
      job: 'quarantine',
      make: (eventId, alert) =>
        signJob({ kind: 'quarantine', eventId, by: alice, reason: 'stop them', alert }),
    },
  ])('$job: one read before, and one after it wrote the item, for the alert as written', async ({ make }) => {
    const { eventId, alert } = await postedChange();

    const { result, reads: made } = await run(make(eventId, alert));

    expect(result.outcome).toBe('done');
    expect(made).toHaveLength(2);
  });

  it('judge-change: one read before, and one after it recorded the judgement, for the alert as written', async () => {
    const { eventId } = await postedChange();

    const { result, reads: made } = await run({ kind: 'judge-change', eventId, by: { ...SYSTEM_REQUESTER } });

    expect(result.outcome).toBe('checked');
    expect(made).toHaveLength(2);
  });

  it('ask-actor: one read before, and one after it recorded the DM, for the alert as written', async () => {
    const { role, policyArn } = await attachedPolicy(components);
    const caller = await iamUser(components);
    await components.iamClient.send(
      new TagUserCommand({ UserName: caller, Tags: [{ Key: 'slack', Value: CAROL }] }),
    );
    const change = await h.storeChange(
      recordOf('AttachRolePolicy', { roleName: role, policyArn }, { user: caller }),
    );

    const { result, reads: made } = await run(
      { kind: 'ask-actor', eventId: change.eventId, by: { ...SYSTEM_REQUESTER } },
      asking,
    );

    expect(result.outcome).toBe('asked');
    expect(made).toHaveLength(2);
  });

  it('lift-quarantine: one read before, and one after it wrote the item, for the alert as written', async () => {
    const { eventId, alert } = await postedChange();
    const quarantined = await run(
      signJob({ kind: 'quarantine', eventId, by: alice, reason: 'stop them', alert }),
    );
    expect(quarantined.result.outcome).toBe('done');

    const { result, reads: made } = await run(
      signJob({ kind: 'lift-quarantine', eventId, by: alice, reason: 'cleared', alert }),
    );

    expect(result.outcome).toBe('lifted');
    expect(made).toHaveLength(2);
  });

  it("fleet-quarantine: each member once for the list, and the group's message once after its note is written", async () => {
    const changes = [];
    for (let i = 0; i < 2; i += 1) {
      const { role, policyArn } = await attachedPolicy(components);
      const caller = await iamUser(components);
      changes.push(
        await h.storeChange(recordOf('AttachRolePolicy', { roleName: role, policyArn }, { user: caller })),
      );
    }
    const [parent, member] = changes;
    if (!parent || !member) throw new Error('not stored');
    // Grouped as notify groups one change made in many accounts: the parent's id is the group's.
    const groupId = parent.eventId;
    const now = new Date(Date.now() - 60_000);
    const at = now.toISOString();
    const key = `fleet-${groupId}`;
    await h.store.startBurst(
      {
        key,
        burstId: groupId,
        channel: CHANNEL,
        parentEventId: groupId,
        startedAt: at,
        lastEventTime: at,
        count: 1,
        shownCount: 1,
      },
      undefined,
      now,
    );
    await h.store.addToBurst(key, { burstId: groupId, eventId: member.eventId, eventTime: at }, now);
    await h.store.markDelivery(member.eventId, { delivery: 'grouped', burstId: groupId }, now);
    await h.store.recordBurstNote(groupId, { more: 1, startedAt: at, groupId });
    const alert = { channel: CHANNEL, ts: (await h.stored(groupId)).slack?.ts ?? '' };

    reads.length = 0;
    messages += 1;
    const result = await worker.run(
      parseJob(
        JSON.stringify(
          signJob({
            kind: 'fleet-quarantine',
            groupId,
            asOf: new Date().toISOString(),
            by: alice,
            reason: 'stop them all',
            alert,
          }),
        ),
      ),
      { id: `reads-${messages}` },
    );

    expect(result.outcome).toBe('done:2');
    expect(reads.filter((read) => read === `CHANGE#${member.eventId}`)).toHaveLength(1);
    expect(reads.filter((read) => read === `CHANGE#${groupId}`)).toHaveLength(2);
  });

  it('a change the store does not hold is read once, and the person is told it is gone', async () => {
    const { result, reads: made } = await run(
      signJob({ kind: 'diff', eventId: 'never-stored', viewId: 'V-gone', by: alice }),
    );

    expect(result.outcome).toBe('not-found');
    expect(made).toHaveLength(1);
  });
});
