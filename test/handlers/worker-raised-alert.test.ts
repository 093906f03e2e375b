/**
 * A raised alert's claim names the job that holds it by the job's delivery id (the SNS message id, the same on
 * every Lambda retry of that job). The worker is built as the Lambda builds it — verification, account router,
 * worker, escalation check, gate — on dynalite, IAM on moto_server and Slack on the local server, so the id a job
 * is delivered with is the one its claim is taken and taken over under.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRunner } from '../../src/app/account-router';
import { type Job, SYSTEM_REQUESTER } from '../../src/app/jobs';
import { RAISED_POST_LEASE_MS, RaisedPostPendingError } from '../../src/app/raised-alert';
import type { AwsClients } from '../../src/aws/clients';
import { parseConfig } from '../../src/config';
import { buildWorkerService } from '../../src/runtime/worker';
import { handlerEnv } from '../support/lambda-env';
import {
  ACCOUNT,
  ALICE,
  attachedPolicy,
  CHANNEL,
  type Components,
  type Harness,
  iamUser,
  recordOf,
  responderHarness,
  startComponents,
} from '../support/responder-harness';
import { TEST_SIGNING_SECRET } from '../support/signed-jobs';

const CRITICAL = 'C0CRITICAL';

let components: Components;
let h: Harness;
let worker: JobRunner;

beforeAll(async () => {
  components = await startComponents();
  h = await responderHarness(components);
  const env = handlerEnv(components, h.tableName, {
    SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
    SLACK_RESPONDERS: ALICE,
    HOME_ACCOUNT_ID: ACCOUNT,
    SLACK_CHANNEL_CRITICAL: CRITICAL,
  });
  worker = await buildWorkerService({
    config: parseConfig(env),
    aws: {
      dynamo: components.dynalite.documentClient,
      iam: components.iamClient,
    } as unknown as AwsClients,
    askActor: false,
    log: () => undefined,
    auditLine: () => undefined,
  });
}, 60_000);

afterAll(async () => {
  await components?.stop();
});

describe("a judge-change job's claim on posting the alert it raised", () => {
  it('is taken over by the retry of the job that died holding it, and by no other job inside the lease', async () => {
    // A customer policy that allows everything: notify could not read it (medium, in the alerts channel); the
    // worker reads it and raises the change to critical, whose alerts go to their own channel.
    const { role, policyArn } = await attachedPolicy(components);
    const caller = await iamUser(components);
    const change = await h.storeChange(
      recordOf('AttachRolePolicy', { roleName: role, policyArn }, { user: caller }),
    );
    expect(change.risk.level).not.toBe('critical');
    const job: Job = { kind: 'judge-change', eventId: change.eventId, by: { ...SYSTEM_REQUESTER } };
    // What the delivery `sns-crashed` left when its Lambda stopped right after claiming: no post, no release.
    const now = new Date();
    expect(
      await h.store.claimRaisedPost(
        change.eventId,
        'critical',
        'sns-crashed',
        now,
        new Date(now.getTime() + RAISED_POST_LEASE_MS),
      ),
    ).toBe('claimed');
    const before = components.slack.topLevel(CRITICAL).length;

    await expect(worker.run(job, { id: 'sns-another' })).rejects.toBeInstanceOf(RaisedPostPendingError);
    expect((await h.stored(change.eventId)).change.risk.level).toBe(change.risk.level);

    expect(await worker.run(job, { id: 'sns-crashed' })).toEqual({
      kind: 'judge-change',
      outcome: 'checked',
    });
    expect((await h.stored(change.eventId)).change.risk.level).toBe('critical');
    const posted = components.slack.topLevel(CRITICAL).slice(before);
    expect(posted).toHaveLength(1);
    expect(JSON.stringify(posted[0]?.blocks)).toContain(role);

    // The other delivery's retry finds the change judged: nothing more is posted.
    await worker.run(job, { id: 'sns-another' });
    expect(components.slack.topLevel(CRITICAL).slice(before)).toHaveLength(1);
    expect(components.slack.topLevel(CHANNEL).length).toBeGreaterThan(0);
  });
});
