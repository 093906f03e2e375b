/**
 * Attacks on the worker from behind Slack: jobs published to the jobs topic (or changes written to the table)
 * by someone who is not Slack. Each runs against the real worker handler — IAM on moto_server, the store on
 * dynalite, Slack on the local server, CloudTrail `LookupEvents` through aws-sdk-client-mock (moto lacks it) —
 * and asserts the job is refused, audited as an unverified job (never under the user it claims), and that IAM
 * is unchanged.
 */

import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  DetachRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../src/app/jobs';
import type { CloudTrailRecord } from '../../src/domain/input';
import { documentKeyOf } from '../../src/domain/resources';
import { handler } from '../../src/handlers/worker';
import { handlerEnv, jobsEvent as snsJobsEvent } from '../support/lambda-env';
import {
  ALICE,
  type Components,
  type Harness,
  MALLORY,
  recordOf,
  responderHarness,
  startComponents,
  unique,
} from '../support/responder-harness';
import { signedOrigin, signJob, slackBodyOf, TEST_SIGNING_SECRET } from '../support/signed-jobs';

const ADMINISTRATOR_ACCESS = 'arn:aws:iam::aws:policy/AdministratorAccess';
const READ_ONLY_ACCESS = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
const context = {} as Context;
const trail = mockClient(CloudTrailClient);
/** The SNS event carrying `job` (a new message id unless given). */
function jobsEvent(job: Job, messageId?: string) {
  return snsJobsEvent(JSON.stringify(job), messageId);
}

let components: Components;
let h: Harness;
const saved = { ...process.env };

beforeAll(async () => {
  components = await startComponents();
  h = await responderHarness(components);
  Object.assign(
    process.env,
    handlerEnv(components, h.tableName, {
      SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
      SLACK_RESPONDERS: ALICE,
    }),
  );
});

afterEach(() => {
  trail.reset();
});

afterAll(async () => {
  trail.restore();
  process.env = saved;
  await components?.stop();
});

/** A role on moto with `attached` managed policies, and the names of what is attached to it now. */
async function role(attached: string[] = []): Promise<string> {
  const name = unique('victim');
  await components.iamClient.send(
    new CreateRoleCommand({
      RoleName: name,
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
        ],
      }),
    }),
  );
  for (const arn of attached) {
    await components.iamClient.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: arn }));
  }
  return name;
}

async function attachedTo(roleName: string): Promise<string[]> {
  const out = await components.iamClient.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName }));
  return (out.AttachedPolicies ?? []).map((policy) => policy.PolicyArn ?? '');
}

/** A forged "someone detached AdministratorAccess from the role" change in the store (the role has none). */
async function forgedDetach(roleName: string) {
  return h.storeChange(recordOf('DetachRolePolicy', { roleName, policyArn: ADMINISTRATOR_ACCESS }));
}

function revertJob(eventId: string, by = { slackUserId: ALICE, name: 'alice' }): Job & { kind: 'revert' } {
  return { kind: 'revert', eventId, by, reason: 'undo it' };
}

async function auditOf(eventId: string) {
  return (await h.auditEntries()).filter((entry) => entry.eventId === eventId);
}

/** LookupEvents answers with `records` (CloudTrail's event history, as `aws-sdk-client-mock` serves it). */
function cloudTrailHas(records: CloudTrailRecord[]) {
  trail.on(LookupEventsCommand).resolves({
    Events: records.map((record) => ({
      EventId: String(record.eventID),
      EventName: String(record.eventName),
      EventTime: new Date(String(record.eventTime)),
      CloudTrailEvent: JSON.stringify(record),
    })),
  });
}

describe('a job the worker cannot verify', () => {
  it('a forged revert job without a signed Slack request: refused, audited as "unverified job", IAM untouched', async () => {
    const victim = await role();
    const change = await forgedDetach(victim);

    const [result] = await handler(jobsEvent(revertJob(change.eventId)), context);

    expect(result).toEqual({ kind: 'revert', outcome: 'unverified' });
    expect(await attachedTo(victim)).toEqual([]);
    const entries = await auditOf(change.eventId);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      action: 'unverified-job',
      actor: { name: 'unverified job' },
      result: expect.stringContaining('no signed Slack request'),
    });
    expect(entries[0]?.actor.slackUserId).toBeUndefined();
    expect((await h.stored(change.eventId)).revert).toBeUndefined();
  });

  it('a forged table item and a job signed with another secret: refused', async () => {
    const victim = await role();
    const change = await forgedDetach(victim);

    const job = signJob(revertJob(change.eventId), { secret: 'not-the-signing-secret' });
    const [result] = await handler(jobsEvent(job), context);

    expect(result?.outcome).toBe('unverified');
    expect(await attachedTo(victim)).toEqual([]);
    expect((await auditOf(change.eventId))[0]?.result).toContain('signature mismatch');
  });

  it("a responder's genuine submission for one change, reused on a job about another: refused", async () => {
    const harmless = await role([READ_ONLY_ACCESS]);
    const genuine = await h.storeChange(
      recordOf('AttachRolePolicy', { roleName: harmless, policyArn: READ_ONLY_ACCESS }),
    );
    const victim = await role();
    const forged = await forgedDetach(victim);

    const { origin } = signJob(revertJob(genuine.eventId));
    const [result] = await handler(jobsEvent({ ...revertJob(forged.eventId), origin }), context);

    expect(result?.outcome).toBe('unverified');
    expect(await attachedTo(victim)).toEqual([]);
    expect(await attachedTo(harmless)).toEqual([READ_ONLY_ACCESS]);
    expect((await auditOf(forged.eventId))[0]?.result).toContain('names another change');
  });

  it('a genuine submission whose job posts to another thread than the modal was opened for: refused', async () => {
    const attached = await role([READ_ONLY_ACCESS]);
    const change = await h.storeChange(
      recordOf('AttachRolePolicy', { roleName: attached, policyArn: READ_ONLY_ACCESS }),
    );
    const signed = signJob({ ...revertJob(change.eventId), alert: { channel: 'C0ALERTS', ts: '1.000100' } });

    const [result] = await handler(
      jobsEvent({ ...signed, alert: { channel: 'C0ELSEWHERE', ts: '2.000200' } }),
      context,
    );

    expect(result?.outcome).toBe('unverified');
    expect(await attachedTo(attached)).toEqual([READ_ONLY_ACCESS]);
    expect((await auditOf(change.eventId))[0]?.result).toContain('alert thread differs');
  });

  it('a job that names another user than the one Slack signed for: refused, never audited under the claimed user', async () => {
    const victim = await role();
    const change = await forgedDetach(victim);
    // Mallory (no responder) submitted; the job claims Alice did.
    const origin = signedOrigin(
      slackBodyOf(revertJob(change.eventId, { slackUserId: MALLORY, name: 'mallory' })),
    );

    const [result] = await handler(jobsEvent({ ...revertJob(change.eventId), origin }), context);

    expect(result?.outcome).toBe('unverified');
    const entries = await auditOf(change.eventId);
    expect(entries.map((entry) => entry.actor.slackUserId)).not.toContain(ALICE);
    expect(entries[0]?.result).toContain('another user');
  });

  it('a replayed job in a new message is refused; SNS redelivering the same message is not a replay', async () => {
    const attached = await role([READ_ONLY_ACCESS]);
    const change = await h.storeChange(
      recordOf('AttachRolePolicy', { roleName: attached, policyArn: READ_ONLY_ACCESS }),
    );
    const job = signJob(revertJob(change.eventId));

    const [first] = await handler(jobsEvent(job, 'delivery-1'), context);
    const [redelivered] = await handler(jobsEvent(job, 'delivery-1'), context);
    // The revert ran once; put the policy back so a replay would have something to do.
    await components.iamClient.send(
      new AttachRolePolicyCommand({ RoleName: attached, PolicyArn: READ_ONLY_ACCESS }),
    );
    const [replayed] = await handler(jobsEvent(job, 'delivery-2'), context);

    expect(first?.outcome).toBe('done');
    expect(redelivered?.outcome).toBe('already-claimed');
    expect(replayed?.outcome).toBe('unverified');
    expect(await attachedTo(attached)).toEqual([READ_ONLY_ACCESS]);
    const refusal = (await auditOf(change.eventId)).find((entry) => entry.action === 'unverified-job');
    expect(refusal?.result).toContain('replay');
  });

  it.each([
    ['signed twenty minutes ago', -20 * 60, 'timestamp too old'],
    ['signed ten minutes in the future', 10 * 60, 'timestamp in the future'],
  ])('a job whose Slack request was %s: refused', async (_name, offsetSeconds, problem) => {
    const attached = await role([READ_ONLY_ACCESS]);
    const change = await h.storeChange(
      recordOf('AttachRolePolicy', { roleName: attached, policyArn: READ_ONLY_ACCESS }),
    );
    const at = Math.floor(Date.now() / 1000) + offsetSeconds;

    const [result] = await handler(jobsEvent(signJob(revertJob(change.eventId), { at })), context);

    expect(result?.outcome).toBe('unverified');
    expect(await attachedTo(attached)).toEqual([READ_ONLY_ACCESS]);
    expect((await auditOf(change.eventId))[0]?.result).toContain(problem);
  });

  it('a genuine submission by someone who is not a responder (any more): refused and audited under them', async () => {
    const attached = await role([READ_ONLY_ACCESS]);
    const change = await h.storeChange(
      recordOf('AttachRolePolicy', { roleName: attached, policyArn: READ_ONLY_ACCESS }),
    );

    const job = signJob(revertJob(change.eventId, { slackUserId: MALLORY, name: 'mallory' }));
    const [result] = await handler(jobsEvent(job), context);

    expect(result?.outcome).toBe('unverified');
    expect(await attachedTo(attached)).toEqual([READ_ONLY_ACCESS]);
    const actions = (await auditOf(change.eventId)).map((entry) => [entry.action, entry.actor.slackUserId]);
    expect(actions).toContainEqual(['unauthorised', MALLORY]);
    expect(actions).toContainEqual(['unverified-job', undefined]);
  });

  it('a stored item that holds another change than its key: refused as tampered', async () => {
    const attached = await role([READ_ONLY_ACCESS]);
    const genuine = await h.storeChange(
      recordOf('AttachRolePolicy', { roleName: attached, policyArn: READ_ONLY_ACCESS }),
    );
    await components.dynalite.documentClient.send(
      new PutCommand({
        TableName: h.tableName,
        Item: { ...(await rawItem(genuine.eventId)), pk: 'CHANGE#forged-key' },
      }),
    );

    const [result] = await handler(jobsEvent(signJob(revertJob('forged-key'))), context);

    expect(result).toEqual({ kind: 'revert', outcome: 'refused' });
    expect(await attachedTo(attached)).toEqual([READ_ONLY_ACCESS]);
    expect((await auditOf('forged-key'))[0]).toMatchObject({
      action: 'job-refused',
      result: expect.stringContaining('another change'),
    });
  });
});

async function rawItem(eventId: string): Promise<Record<string, unknown>> {
  const { GetCommand } = await import('@aws-sdk/lib-dynamodb');
  const out = await components.dynalite.documentClient.send(
    new GetCommand({ TableName: h.tableName, Key: { pk: `CHANGE#${eventId}`, sk: 'CHANGE' } }),
  );
  if (!out.Item) throw new Error(`no item for ${eventId}`);
  return out.Item;
}

describe('a forged alert and a responder who reverts it', () => {
  it('a revert that would attach AdministratorAccess waits for CloudTrail and grants nothing while it has no such event', async () => {
    const victim = await role();
    const change = await forgedDetach(victim);
    cloudTrailHas([]);

    const [result] = await handler(jobsEvent(signJob(revertJob(change.eventId))), context);

    expect(result?.outcome).toBe('refused');
    expect(await attachedTo(victim)).toEqual([]);
    expect(trail.commandCalls(LookupEventsCommand)[0]?.args[0].input.LookupAttributes).toEqual([
      { AttributeKey: 'EventId', AttributeValue: change.eventId },
    ]);
    const refusal = (await auditOf(change.eventId)).find((entry) => entry.action === 'revert-refused');
    expect(refusal?.actor.slackUserId).toBe(ALICE);
    expect(refusal?.result).toContain('CloudTrail does not show this event yet');
    // Refused, not claimed for good: once CloudTrail confirms, the same change may be reverted.
    expect((await h.stored(change.eventId)).revert?.status).toBe('refused');
  });

  it('the confirmation modal says it waits for CloudTrail and offers to check again', async () => {
    const victim = await role();
    const change = await forgedDetach(victim);
    cloudTrailHas([]);
    const view = await h.slack.openView(unique('trigger'), {
      type: 'modal',
      title: { type: 'plain_text', text: 'Loading' },
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'loading' } }],
    });

    const job = signJob({
      kind: 'prepare-confirmation' as const,
      action: 'revert' as const,
      eventId: change.eventId,
      viewId: view.viewId,
      by: { slackUserId: ALICE, name: 'alice' },
    });
    const [result] = await handler(jobsEvent(job), context);

    expect(result?.outcome).toBe('view-updated');
    const shown = JSON.stringify(
      components.slack.views.find((candidate) => candidate.id === view.viewId)?.view,
    );
    expect(shown).toContain('Waiting for CloudTrail');
    expect(shown).toContain('change.confirm_retry');
    expect(shown).not.toContain('"submit"');
  });

  it('a stored change that is not the call CloudTrail recorded: refused, nothing attached', async () => {
    const victim = await role();
    const change = await forgedDetach(victim);
    // CloudTrail's event of that id detached ReadOnlyAccess, not AdministratorAccess.
    const real = recordOf('DetachRolePolicy', { roleName: victim, policyArn: READ_ONLY_ACCESS });
    cloudTrailHas([{ ...real, eventID: change.eventId, eventTime: change.eventTime }]);

    const [result] = await handler(jobsEvent(signJob(revertJob(change.eventId))), context);

    expect(result?.outcome).toBe('refused');
    expect(await attachedTo(victim)).toEqual([]);
    const refusal = (await auditOf(change.eventId)).find((entry) => entry.action === 'revert-refused');
    expect(refusal?.result).toContain('is not the call CloudTrail recorded');
  });

  it('once CloudTrail has the event and it is the stored call, the revert runs', async () => {
    const victim = await role([ADMINISTRATOR_ACCESS]);
    const record = recordOf('DetachRolePolicy', { roleName: victim, policyArn: ADMINISTRATOR_ACCESS });
    await components.iamClient.send(
      new DetachRolePolicyCommand({ RoleName: victim, PolicyArn: ADMINISTRATOR_ACCESS }),
    );
    const change = await h.storeChange(record);
    cloudTrailHas([record]);

    const [result] = await handler(jobsEvent(signJob(revertJob(change.eventId))), context);

    expect(result?.outcome).toBe('done');
    expect(await attachedTo(victim)).toEqual([ADMINISTRATOR_ACCESS]);
  });

  it('a revert that only takes access away runs at once, without asking CloudTrail', async () => {
    const attached = await role([READ_ONLY_ACCESS]);
    const change = await h.storeChange(
      recordOf('AttachRolePolicy', { roleName: attached, policyArn: READ_ONLY_ACCESS }),
    );

    const [result] = await handler(jobsEvent(signJob(revertJob(change.eventId))), context);

    expect(result?.outcome).toBe('done');
    expect(await attachedTo(attached)).toEqual([]);
    expect(trail.commandCalls(LookupEventsCommand)).toHaveLength(0);
  });

  it('a forged earlier document in the store is never what a revert grants back: only CloudTrail or IAM say it', async () => {
    const victim = await role();
    // A real deletion of an inline policy, confirmed by CloudTrail…
    const record = recordOf('DeleteRolePolicy', { roleName: victim, policyName: 'app-reads' });
    const change = await h.storeChange(record);
    cloudTrailHas([record]);
    // …and a forged "document before it" written straight into the table, granting everything.
    const resourceKey = documentKeyOf(change);
    if (!resourceKey) throw new Error('no document key');
    await h.store.putDocument(
      {
        resourceKey,
        eventTime: new Date(Date.parse(change.eventTime) - 60_000).toISOString(),
        eventId: 'forged-earlier-event',
        document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['*'], Resource: ['*'] }] },
      },
      new Date(),
    );

    const [result] = await handler(jobsEvent(signJob(revertJob(change.eventId))), context);

    expect(result?.outcome).toBe('refused');
    const inline = await components.iamClient.send(new ListRolePoliciesCommand({ RoleName: victim }));
    expect(inline.PolicyNames).toEqual([]);
    const refusal = (await auditOf(change.eventId)).find((entry) => entry.action === 'revert-refused');
    expect(refusal?.result).toContain('previous document is unknown');
  });

  it('a forged "attached a Deny" is not detached unconfirmed: taking a Deny away grants access', async () => {
    const guarded = await role();
    const deny = await components.iamClient.send(
      new CreatePolicyCommand({
        PolicyName: unique('guardrail'),
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Deny', Action: 's3:*', Resource: '*' }],
        }),
      }),
    );
    const denyArn = deny.Policy?.Arn ?? '';
    await components.iamClient.send(new AttachRolePolicyCommand({ RoleName: guarded, PolicyArn: denyArn }));
    const change = await h.storeChange(
      recordOf('AttachRolePolicy', { roleName: guarded, policyArn: denyArn }),
    );
    cloudTrailHas([]);

    const [result] = await handler(jobsEvent(signJob(revertJob(change.eventId))), context);

    expect(result?.outcome).toBe('refused');
    expect(await attachedTo(guarded)).toEqual([denyArn]);
    const refusal = (await auditOf(change.eventId)).find((entry) => entry.action === 'revert-refused');
    expect(refusal?.result).toContain('CloudTrail does not show this event yet');
  });
});

describe("a job that claims to be the bot's own judge-change", () => {
  const system = { slackUserId: 'iam-changes', name: 'iam-changes' };

  it('a judge-change of a forged change only reads: IAM untouched, no revert, nobody audited as acting', async () => {
    const victim = await role();
    const change = await forgedDetach(victim);

    const [result] = await handler(
      jobsEvent({ kind: 'judge-change', eventId: change.eventId, by: system }),
      context,
    );

    expect(result).toEqual({ kind: 'judge-change', outcome: 'checked' });
    expect(await attachedTo(victim)).toEqual([]);
    const stored = await h.stored(change.eventId);
    expect(stored.revert).toBeUndefined();
    expect(stored.quarantine).toBeUndefined();
    expect(stored.change.escalation).toMatchObject({
      state: 'done',
      principal: `role ${victim}`,
      opened: [],
    });
    expect((await auditOf(change.eventId)).filter((entry) => entry.action !== 'unverified-job')).toEqual([]);
  });

  it('a judge-change about a change the store does not hold does nothing', async () => {
    const [result] = await handler(
      jobsEvent({ kind: 'judge-change', eventId: 'never-stored', by: system }),
      context,
    );

    expect(result).toEqual({ kind: 'judge-change', outcome: 'unknown-change' });
  });

  it("a revert job dressed as the bot's own (its requester, no Slack request): refused, IAM untouched", async () => {
    const victim = await role();
    const change = await forgedDetach(victim);

    const [result] = await handler(jobsEvent(revertJob(change.eventId, system)), context);

    expect(result).toEqual({ kind: 'revert', outcome: 'unverified' });
    expect(await attachedTo(victim)).toEqual([]);
  });

  it('a judge-change that carries a Slack request or names a person is not read as a job at all', async () => {
    const victim = await role();
    const change = await forgedDetach(victim);
    const signed = signJob(revertJob(change.eventId));

    await expect(
      handler(
        jobsEvent({ kind: 'judge-change', eventId: change.eventId, by: system, origin: signed.origin }),
        context,
      ),
    ).rejects.toThrow(/carries a Slack request it cannot have|names a user/);
    await expect(
      handler(
        jobsEvent({
          kind: 'judge-change',
          eventId: change.eventId,
          by: { slackUserId: ALICE, name: 'alice' },
        }),
        context,
      ),
    ).rejects.toThrow(/names a user or carries a Slack request/);
    expect(await attachedTo(victim)).toEqual([]);
  });
});

describe('a job queued under the former name escalation-check (published by a notify deployed before the rename)', () => {
  const system = { slackUserId: 'iam-changes', name: 'iam-changes' };
  /** The SNS event of a job as the former notify wrote it: the old kind, which the `Job` type no longer has. */
  const legacyEvent = (fields: Record<string, unknown>) =>
    snsJobsEvent(JSON.stringify({ kind: 'escalation-check', ...fields }));

  it('runs exactly as a judge-change: the change judged again, IAM only read', async () => {
    const [oldRole, newRole] = [await role(), await role()];
    const [old, renamed] = [await forgedDetach(oldRole), await forgedDetach(newRole)];

    const [legacy] = await handler(legacyEvent({ eventId: old.eventId, by: system }), context);
    const [current] = await handler(
      jobsEvent({ kind: 'judge-change', eventId: renamed.eventId, by: system }),
      context,
    );

    expect(legacy).toEqual({ kind: 'judge-change', outcome: 'checked' });
    expect(legacy).toEqual(current);
    const [judgedOld, judgedNew] = [await h.stored(old.eventId), await h.stored(renamed.eventId)];
    expect(judgedOld.change.escalation).toMatchObject({
      state: 'done',
      principal: `role ${oldRole}`,
      opened: [],
    });
    expect(judgedOld.change.risk).toEqual(judgedNew.change.risk);
    expect(judgedOld.revert).toBeUndefined();
    expect(judgedOld.quarantine).toBeUndefined();
    expect(await attachedTo(oldRole)).toEqual([]);
  });

  it('about a change the store does not hold: nothing, as before', async () => {
    const [result] = await handler(legacyEvent({ eventId: 'never-stored', by: system }), context);

    expect(result).toEqual({ kind: 'judge-change', outcome: 'unknown-change' });
  });

  it.each([
    ['a genuinely signed Slack request of a responder', () => signJob(revertJob('x')).origin, system],
    [
      'a request signed with another secret',
      () => signJob(revertJob('x'), { secret: 'not-the-secret' }).origin,
      system,
    ],
    [
      'no request but a person named as its requester',
      () => undefined,
      { slackUserId: ALICE, name: 'alice' },
    ],
  ])('carrying %s: not read as a job, IAM untouched', async (_case, originOf, by) => {
    const victim = await role();
    const change = await forgedDetach(victim);
    const origin = originOf();

    await expect(
      handler(legacyEvent({ eventId: change.eventId, by, ...(origin ? { origin } : {}) }), context),
    ).rejects.toThrow(/names a user or carries a Slack request/);
    expect(await attachedTo(victim)).toEqual([]);
    expect((await h.stored(change.eventId)).change.escalation).toBeUndefined();
  });
});
