/**
 * WorkerService on real parts (IAM on moto_server, the store on dynalite, the local Slack server), job by job:
 * what each fills in or answers, and what happens when the outcome can be told to nobody.
 */
import { CreatePolicyCommand, CreatePolicyVersionCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuditCallError } from '../../src/app/cis-audit-service';
import type { Job } from '../../src/app/jobs';
import { attemptClaimId } from '../../src/app/quarantine-service';
import { WorkerService } from '../../src/app/worker-service';
import { VIEW_IDS } from '../../src/slack/action-ids';
import { DynamoCisStatusStore } from '../../src/store/dynamo-cis-status';
import { assertBlockKitLimits } from '../support/block-kit-limits';
import { cloudTrailRecord } from '../support/cloudtrail';
import { assertModalLimits } from '../support/modal-limits';
import {
  ACCOUNT,
  ADMIN_LIKE,
  ALICE,
  attachedPolicy,
  CHANNEL,
  type Components,
  type Harness,
  iamUser,
  READ_ONLY,
  recordOf,
  responderHarness,
  startComponents,
  textOf,
} from '../support/responder-harness';

let components: Components;
let h: Harness;
const by = { slackUserId: ALICE, name: 'alice' };

beforeAll(async () => {
  components = await startComponents();
});

afterAll(async () => {
  await components?.stop();
});

beforeEach(async () => {
  h = await responderHarness(components);
});

/** A modal open in Slack, in a loading state, as a listener leaves it for the worker. */
async function loadingView(callbackId: string = VIEW_IDS.REVERT_CONFIRM): Promise<string> {
  const view = await h.slack.openView(`trigger-${Date.now()}`, {
    type: 'modal',
    callback_id: callbackId,
    title: { type: 'plain_text', text: 'Loading' },
    close: { type: 'plain_text', text: 'Close' },
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'loading' } }],
  });
  return view.viewId;
}

function viewOf(viewId: string) {
  const view = components.slack.views.find((candidate) => candidate.id === viewId);
  if (!view) throw new Error(`no view ${viewId}`);
  return view.view;
}

describe('WorkerService', () => {
  describe('prepare-confirmation', () => {
    it('fills the modal with an error saying the change is no longer stored', async () => {
      const viewId = await loadingView();

      const result = await h.worker.run({
        kind: 'prepare-confirmation',
        action: 'revert',
        eventId: 'gone',
        viewId,
        by,
      });

      expect(result).toEqual({ kind: 'prepare-confirmation', outcome: 'not-found' });
      expect(viewOf(viewId).submit).toBeUndefined();
      expect(textOf(viewOf(viewId))).toContain('no longer stored');
      assertModalLimits(viewOf(viewId));
    });

    it('shows why the root user cannot be quarantined, with no submit button', async () => {
      const record = cloudTrailRecord(
        'AttachUserPolicy',
        { userName: 'x', policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' },
        {
          userIdentity: {
            type: 'Root',
            principalId: ACCOUNT,
            arn: `arn:aws:iam::${ACCOUNT}:root`,
            accountId: ACCOUNT,
          },
        },
      );
      const change = await h.storeChange(record);
      const viewId = await loadingView(VIEW_IDS.QUARANTINE_CONFIRM);

      await h.worker.run({
        kind: 'prepare-confirmation',
        action: 'quarantine',
        eventId: change.eventId,
        viewId,
        by,
      });

      expect(viewOf(viewId).callback_id).toBe(VIEW_IDS.QUARANTINE_CONFIRM);
      expect(viewOf(viewId).submit).toBeUndefined();
      expect(textOf(viewOf(viewId))).toContain('root user');
    });

    it('refuses to lift a quarantine that was never applied', async () => {
      const change = await h.storeChange(
        recordOf('DetachRolePolicy', { roleName: 'r', policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }),
      );
      const viewId = await loadingView(VIEW_IDS.LIFT_QUARANTINE_CONFIRM);

      await h.worker.run({
        kind: 'prepare-confirmation',
        action: 'lift-quarantine',
        eventId: change.eventId,
        viewId,
        by,
      });

      expect(viewOf(viewId).submit).toBeUndefined();
      expect(textOf(viewOf(viewId))).toContain('No quarantine is recorded on this change');
    });

    it('keeps the alert thread in the modal metadata for the submission', async () => {
      const { record } = await attachedPolicy(components);
      const change = await h.storeChange(record);
      const viewId = await loadingView();

      await h.worker.run({
        kind: 'prepare-confirmation',
        action: 'revert',
        eventId: change.eventId,
        viewId,
        by,
        alert: { channel: CHANNEL, ts: '1.000100' },
      });

      expect(JSON.parse(String(viewOf(viewId).private_metadata))).toEqual({
        eventId: change.eventId,
        channel: CHANNEL,
        ts: '1.000100',
      });
    });
  });

  describe('diff', () => {
    it("shows an attached managed policy's default version from IAM", async () => {
      const { record } = await attachedPolicy(components, ADMIN_LIKE);
      const change = await h.storeChange(record);
      const viewId = await loadingView('change.diff_view');

      const result = await h.worker.run({ kind: 'diff', eventId: change.eventId, viewId, by });

      expect(result.outcome).toBe('view-updated');
      const text = textOf(viewOf(viewId));
      expect(text).toContain('IAM policy version `v1`');
      expect(text).toContain('*Added*');
      expect(text).toMatch(/CRITICAL/);
      assertModalLimits(viewOf(viewId));
    });

    it('compares a version that did not become the default with the current default in IAM', async () => {
      const policy = await components.iamClient.send(
        new CreatePolicyCommand({
          PolicyName: `versions-${Date.now()}`,
          PolicyDocument: JSON.stringify(READ_ONLY),
        }),
      );
      const policyArn = policy.Policy?.Arn ?? '';
      await components.iamClient.send(
        new CreatePolicyVersionCommand({
          PolicyArn: policyArn,
          PolicyDocument: JSON.stringify(ADMIN_LIKE),
          SetAsDefault: false,
        }),
      );
      const record = recordOf('CreatePolicyVersion', {
        policyArn,
        policyDocument: JSON.stringify(ADMIN_LIKE),
        setAsDefault: false,
      });
      record.responseElements = { policyVersion: { versionId: 'v2', isDefaultVersion: false } };
      const change = await h.storeChange(record);
      const viewId = await loadingView('change.diff_view');

      await h.worker.run({ kind: 'diff', eventId: change.eventId, viewId, by });

      const text = textOf(viewOf(viewId));
      expect(text).toContain('the current default version v1');
      expect(text).toContain('`s3:GetObject`');
      expect(text).toContain('*Unified diff*');
    });

    it('says so in the modal when the change is no longer stored', async () => {
      const viewId = await loadingView('change.diff_view');
      await h.worker.run({ kind: 'diff', eventId: 'gone', viewId, by });
      expect(textOf(viewOf(viewId))).toContain('no longer stored');
    });
  });

  describe('revert, quarantine, lift', () => {
    it('tells the requester when the change is no longer stored', async () => {
      const result = await h.worker.run({
        kind: 'revert',
        eventId: 'gone',
        by,
        reason: 'r',
        alert: { channel: CHANNEL, ts: '1.000100' },
      });

      expect(result.outcome).toBe('not-found');
      expect(textOf(components.slack.ephemerals.at(-1)?.blocks)).toContain('no longer stored');
    });

    it('hands the delivery id to the quarantine and the lift: a retry of the same message takes its own claim', async () => {
      const user = await iamUser(components);
      const change = await h.storeChange(
        recordOf('PutRolePolicy', { roleName: 'v', policyName: 'x', policyDocument: '{}' }, { user }),
      );
      const delivery = { id: 'sns-message-1' };

      const quarantined = await h.worker.run(
        { kind: 'quarantine', eventId: change.eventId, by, reason: 'x' },
        delivery,
      );
      expect(quarantined.outcome).toBe('done');
      const record = (await h.stored(change.eventId)).quarantine;
      expect(record?.claimId).toBe(attemptClaimId(delivery.id, change.eventId));

      // An earlier try of the lift job died holding its claim: the retry (same delivery) takes it over.
      if (!record) throw new Error('no quarantine recorded');
      const now = new Date();
      const until = new Date(now.getTime() + 60_000).toISOString();
      expect(await h.store.claimLift(change.eventId, record, { id: delivery.id, until }, now)).toBe(true);
      const lifted = await h.worker.run(
        { kind: 'lift-quarantine', eventId: change.eventId, by, reason: 'y' },
        delivery,
      );
      expect(lifted.outcome).toBe('lifted');
      expect((await h.stored(change.eventId)).quarantine?.status).toBe('lifted');
    });

    it('adds modes to the quarantine another change of the same caller holds: the confirmation offers them, both alerts show them', async () => {
      const user = await iamUser(components);
      const first = await h.storeChange(
        recordOf('PutRolePolicy', { roleName: 'v', policyName: 'x', policyDocument: '{}' }, { user }),
      );
      await h.worker.run({ kind: 'quarantine', eventId: first.eventId, by, reason: 'first look' });
      const second = await h.storeChange(
        recordOf('PutRolePolicy', { roleName: 'w', policyName: 'y', policyDocument: '{}' }, { user }),
      );

      const viewId = await loadingView(VIEW_IDS.QUARANTINE_CONFIRM);
      await h.worker.run({
        kind: 'prepare-confirmation',
        action: 'quarantine',
        eventId: second.eventId,
        viewId,
        by,
      });
      const view = viewOf(viewId);
      expect(view.submit).toBeDefined();
      expect(textOf(view.blocks)).toContain('is already quarantined');
      expect(textOf(view.blocks)).toContain('Modes in force:');
      expect(JSON.stringify(view.blocks)).not.toContain('"value":"deny-iam"');
      assertModalLimits(view);

      const result = await h.worker.run({
        kind: 'quarantine',
        eventId: second.eventId,
        by,
        reason: 'keys leaked',
        modes: ['deny-iam', 'deactivate-keys'],
      });

      expect(result.outcome).toBe('modes-added');
      const secondTs = (await h.stored(second.eventId)).slack?.ts ?? '';
      const note = components.slack.thread(secondTs).at(-1);
      expect(textOf(note?.blocks)).toContain('Quarantine strengthened');
      expect(textOf(note?.blocks)).toContain('deny-iam, deactivate-keys');
      assertBlockKitLimits(note ?? {});
      const holder = await h.stored(first.eventId);
      const alert = components.slack.messages.find((message) => message.ts === holder.slack?.ts);
      expect(textOf(alert?.blocks)).toContain('deny-iam, deactivate-keys');
      expect(textOf(alert?.blocks)).toContain('added by');
    });

    it('reports a refused quarantine in the thread and to the requester', async () => {
      const record = recordOf(
        'PutRolePolicy',
        { roleName: 'v', policyName: 'x', policyDocument: JSON.stringify(READ_ONLY) },
        { role: 'iam-changes-worker' },
      );
      const change = await h.storeChange(record);
      const ts = (await h.stored(change.eventId)).slack?.ts ?? '';

      const result = await h.worker.run({ kind: 'quarantine', eventId: change.eventId, by, reason: 'no' });

      expect(result.outcome).toBe('refused');
      const note = components.slack.thread(ts).at(-1);
      expect(textOf(note?.blocks)).toContain('Quarantine refused');
      assertBlockKitLimits(note ?? {});
      expect(components.slack.ephemerals.at(-1)?.user).toBe(ALICE);
    });

    it('rejects a job whose failure can be told to nobody, so the queue keeps it', async () => {
      const worker = new WorkerService({
        ...h.workerDeps,
        revert: {
          prepare: () => Promise.reject(new Error('unused')),
          execute: () => Promise.reject(new Error('ResourceNotFoundException: table gone')),
        },
      });
      components.slack.down();
      try {
        await expect(
          worker.run({
            kind: 'revert',
            eventId: 'e',
            by,
            reason: 'r',
            alert: { channel: CHANNEL, ts: '1.1' },
          }),
        ).rejects.toThrow('table gone');
      } finally {
        components.slack.up();
      }
    });

    it('tells the requester what failed when Slack can still be reached', async () => {
      const worker = new WorkerService({
        ...h.workerDeps,
        revert: {
          prepare: () => Promise.reject(new Error('unused')),
          execute: () => Promise.reject(new Error('ResourceNotFoundException: table gone')),
        },
      });

      const result = await worker.run({
        kind: 'revert',
        eventId: 'e',
        by,
        reason: 'r',
        alert: { channel: CHANNEL, ts: '1.1' },
      });

      expect(result.outcome).toBe('failed');
      expect(textOf(components.slack.ephemerals.at(-1)?.blocks)).toContain('table gone');
    });
  });

  describe('history and status', () => {
    it('posts no progress faster than the interval: the searching note, then only the answer', async () => {
      const quiet = await responderHarness(components, { worker: { progressIntervalSeconds: 3600 } });
      const url = components.slack.responseUrl('history-quiet');
      const job: Job = { kind: 'history', text: '30d', responseUrl: url, by, channelId: CHANNEL };

      const result = await quiet.worker.run(job);

      expect(result.outcome).toBe('answered');
      const posts = components.slack.responsesTo('history-quiet');
      expect(posts).toHaveLength(1);
      expect(posts[0]?.replace_original).toBe(true);
    });

    it('answers a query it cannot parse with the error, in place', async () => {
      const url = components.slack.responseUrl('history-bad');
      await h.worker.run({
        kind: 'history',
        text: 'since yesterdayish',
        responseUrl: url,
        by,
        channelId: CHANNEL,
      });
      expect(String(components.slack.responsesTo('history-bad')[0]?.text)).toMatch(/didn't understand/);
    });

    it('answers status with what failed when the audit cannot read AWS', async () => {
      const worker = new WorkerService({
        ...h.workerDeps,
        cisAudit: {
          gatherFacts: () => Promise.reject(new AuditCallError('cloudtrail:DescribeTrails', 'AccessDenied')),
        },
      });
      const url = components.slack.responseUrl('status-denied');

      const result = await worker.run({ kind: 'status', responseUrl: url, by, channelId: CHANNEL });

      expect(result.outcome).toBe('failed');
      const [post] = components.slack.responsesTo('status-denied');
      expect(textOf(post?.blocks)).toContain('cloudtrail:DescribeTrails failed: AccessDenied');
    });

    it('keeps each CIS 4.4 audit for the Home tab, with when it ran', async () => {
      const cisStatus = new DynamoCisStatusStore(components.dynalite.documentClient, {
        tableName: h.tableName,
      });
      const worker = new WorkerService({ ...h.workerDeps, cisStatus });
      const url = components.slack.responseUrl('status-kept');
      expect(await cisStatus.latest()).toBeUndefined();

      await worker.run({ kind: 'status', responseUrl: url, by, channelId: CHANNEL });

      const kept = await cisStatus.latest();
      expect(kept?.report.pass).toBe(false);
      expect(kept?.report.checks.length).toBeGreaterThan(0);
      expect(Date.parse(kept?.checkedAt ?? '')).not.toBeNaN();
    });

    it('shares the status report in the channel when asked', async () => {
      const url = components.slack.responseUrl('status-shared');
      await h.worker.run({ kind: 'status', responseUrl: url, by, channelId: CHANNEL, share: true });
      // The private "checking" note goes first: the channel sees the report alone.
      const [removal, post] = components.slack.responsesTo('status-shared');
      expect(removal).toMatchObject({ delete_original: true });
      expect(post?.response_type).toBe('in_channel');
      expect(post?.replace_original).toBe(false);
    });
  });
});
