/**
 * Actions on a fleet group (one change made in many accounts), through the real worker Lambda handler with real
 * Slack-signed jobs: IAM of several accounts on moto_server (the worker assumes the responder role in each), the
 * store on dynalite, Slack on the local server. The group is made by the real notify use case.
 *
 * The attacks come first: a job naming another group than the signed click, a job carrying an account of its own,
 * a group id that is no fleet group, a replayed job, a protected principal — none of them changes IAM anywhere.
 */
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../src/app/jobs';
import type { CloudTrailRecord } from '../../src/domain/input';
import { handler } from '../../src/handlers/worker';
import { ACTION_IDS, VIEW_IDS } from '../../src/slack/action-ids';
import { cloudTrailRecord } from '../support/cloudtrail';
import { jobsEvent as snsJobsEvent } from '../support/lambda-env';
import { awsTestEnv } from '../support/moto';
import { eventBridgeNotification } from '../support/notify-harness';
import { notifyOn } from '../support/notify-on-harness';
import {
  ACCOUNT,
  ALICE,
  CHANNEL,
  type Components,
  type Harness,
  responderHarness,
  startComponents,
  textOf,
} from '../support/responder-harness';
import { signJob, TEST_SIGNING_SECRET } from '../support/signed-jobs';

const context = {} as Context;
const HOME = ACCOUNT;
const MEMBERS = ['111111111111', '222222222222', '333333333333'];
/** An account of the organisation where the same role got the same policy by someone else: not in the group. */
const OUTSIDER = '444444444444';
const RESPONDER_ROLE = 'iam-changes-responder';
const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const TRUST_EC2 = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: ['ec2.amazonaws.com'] }, Action: ['sts:AssumeRole'] }],
});
const by = { slackUserId: ALICE, name: 'alice' };

let components: Components;
let h: Harness;
const iamIn = new Map<string, IAMClient>();
const saved = { ...process.env };

function clientFor(account: string): IAMClient {
  if (account === HOME) return components.iamClient;
  let client = iamIn.get(account);
  if (!client) {
    client = new IAMClient({
      ...awsTestEnv(components.moto.endpoint),
      credentials: fromTemporaryCredentials({
        params: {
          RoleArn: `arn:aws:iam::${account}:role/OrganizationAccountAccessRole`,
          RoleSessionName: 'setup',
        },
        masterCredentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
        clientConfig: { region: 'us-east-1', endpoint: components.moto.endpoint },
      }),
    });
    iamIn.set(account, client);
  }
  return client;
}

beforeAll(async () => {
  components = await startComponents();
  h = await responderHarness(components);
  for (const account of [...MEMBERS, OUTSIDER]) {
    await clientFor(account).send(
      new CreateRoleCommand({ RoleName: RESPONDER_ROLE, AssumeRolePolicyDocument: TRUST_EC2 }),
    );
  }
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_ENDPOINT_URL: components.moto.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: components.dynalite.endpoint,
    TABLE_NAME: h.tableName,
    SLACK_BOT_TOKEN: 'xoxb-test-token',
    SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
    SLACK_RESPONDERS: ALICE,
    SLACK_API_URL: components.slack.url,
    HOME_ACCOUNT_ID: HOME,
    RESPONDER_EXTERNAL_ID: 'external-id-0123456789',
    PROTECTED_PRINCIPALS: 'arn:aws:iam::*:role/protected-*',
  });
});

afterAll(async () => {
  process.env = saved;
  for (const client of iamIn.values()) client.destroy();
  await components?.stop();
});

function jobsEvent(job: Job, messageId?: string) {
  return snsJobsEvent(JSON.stringify(job), messageId);
}

let counter = 0;
function unique(prefix: string): string {
  counter += 1;
  return `${prefix}-${Date.now()}-${counter}`;
}

async function attachedTo(account: string, roleName: string): Promise<string[]> {
  const listed = await clientFor(account).send(new ListAttachedRolePoliciesCommand({ RoleName: roleName }));
  return (listed.AttachedPolicies ?? []).map((policy) => policy.PolicyArn ?? '');
}

/** `AttachRolePolicy AdministratorAccess` on `roleName` by the rollout role `actor` in `account`. */
function rolloutRecord(account: string, actor: string, roleName: string): CloudTrailRecord {
  const session = `stackset-${Date.now()}${counter}`;
  return cloudTrailRecord(
    'AttachRolePolicy',
    { roleName, policyArn: ADMIN },
    {
      eventTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      recipientAccountId: account,
      userIdentity: {
        type: 'AssumedRole',
        principalId: `AROA${account}:${session}`,
        arn: `arn:aws:sts::${account}:assumed-role/${actor}/${session}`,
        accountId: account,
        sessionContext: {
          sessionIssuer: { type: 'Role', arn: `arn:aws:iam::${account}:role/${actor}`, userName: actor },
          attributes: { creationDate: new Date().toISOString(), mfaAuthenticated: 'false' },
        },
      },
    },
  );
}

/**
 * The same role made administrator in every member account by one rollout role (and, outside the group, in the
 * outsider account and the home account by other callers): delivered by the real notify use case. Returns the
 * group id the message's buttons carry and its alert.
 */
async function fleetGroup(rolePrefix = 'break-glass') {
  const role = unique(rolePrefix);
  const actor = unique('org-rollout');
  for (const account of [...MEMBERS, OUTSIDER, HOME]) {
    await clientFor(account).send(
      new CreateRoleCommand({ RoleName: role, AssumeRolePolicyDocument: TRUST_EC2 }),
    );
    await clientFor(account).send(new AttachRolePolicyCommand({ RoleName: role, PolicyArn: ADMIN }));
    // The rollout role itself, in each account: what a quarantine denies.
    await clientFor(account).send(
      new CreateRoleCommand({ RoleName: actor, AssumeRolePolicyDocument: TRUST_EC2 }),
    );
  }
  const notify = notifyOn(components, h);
  const records = MEMBERS.map((account) => rolloutRecord(account, actor, role));
  const outsider = rolloutRecord(OUTSIDER, unique('someone-else'), role);
  for (const record of [...records, outsider]) await notify.process(eventBridgeNotification(record));
  const groupId = String(records[0]?.eventID);
  const parent = await h.stored(groupId);
  const alert = { channel: CHANNEL, ts: parent.slack?.ts ?? '' };
  return { role, actor, groupId, alert, records, outsider: String(outsider.eventID) };
}

async function loadingView(callbackId: string): Promise<string> {
  const view = await h.slack.openView(unique('trigger'), {
    type: 'modal',
    callback_id: callbackId,
    title: { type: 'plain_text', text: 'Loading' },
    close: { type: 'plain_text', text: 'Close' },
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'loading' } }],
  });
  return view.viewId;
}

function viewOf(viewId: string): Record<string, unknown> {
  const view = components.slack.views.find((candidate) => candidate.id === viewId);
  if (!view) throw new Error(`no view ${viewId}`);
  return view.view;
}

function asOfNow(): string {
  return new Date().toISOString();
}

describe('a fleet group: attacks on its jobs', () => {
  it('refuses a job naming another group than the signed click, and changes nothing', async () => {
    const group = await fleetGroup();
    const other = await fleetGroup();
    const signed = signJob<Job>({
      kind: 'fleet-revert',
      groupId: group.groupId,
      asOf: asOfNow(),
      by,
      reason: 'rollback',
      alert: group.alert,
    });
    const forged = { ...signed, groupId: other.groupId } as Job;

    const results = await handler(jobsEvent(forged), context);

    expect(results).toEqual([{ kind: 'fleet-revert', outcome: 'unverified' }]);
    for (const account of MEMBERS) {
      expect(await attachedTo(account, group.role)).toEqual([ADMIN]);
      expect(await attachedTo(account, other.role)).toEqual([ADMIN]);
    }
  });

  it('acts only on the group the store holds: an account added to the job is ignored', async () => {
    const group = await fleetGroup();
    const signed = signJob<Job>({
      kind: 'fleet-revert',
      groupId: group.groupId,
      asOf: asOfNow(),
      by,
      reason: 'rollback',
      alert: group.alert,
    });
    // Whatever is added to the job, the signed request names only the group.
    const padded = { ...signed, eventIds: [group.outsider], accounts: [OUTSIDER, HOME] } as unknown as Job;

    const [result] = await handler(jobsEvent(padded), context);

    expect(result?.outcome).toBe('done:3');
    for (const account of MEMBERS) expect(await attachedTo(account, group.role)).toEqual([]);
    expect(await attachedTo(OUTSIDER, group.role)).toEqual([ADMIN]);
    expect(await attachedTo(HOME, group.role)).toEqual([ADMIN]);
  });

  it('acts only in the accounts the responder chose: a job adding one to the signed choice is refused', async () => {
    const group = await fleetGroup();
    const [first, second, third] = group.records.map((record) => String(record.eventID));
    if (!first || !second || !third) throw new Error('no members');
    const signed = signJob<Job>({
      kind: 'fleet-revert',
      groupId: group.groupId,
      asOf: asOfNow(),
      members: [first],
      by,
      reason: 'only the first',
      alert: group.alert,
    });

    // The signed submission chose one account: a job naming two, or all of them, is not what was signed.
    const widened = { ...signed, members: [first, second] } as Job;
    const [refused] = await handler(jobsEvent(widened, unique('message')), context);
    const all = { ...(signed as unknown as Record<string, unknown>) };
    delete all.members;
    const [everywhere] = await handler(jobsEvent(all as unknown as Job, unique('message')), context);

    expect(refused).toEqual({ kind: 'fleet-revert', outcome: 'unverified' });
    expect(everywhere).toEqual({ kind: 'fleet-revert', outcome: 'unverified' });
    for (const account of MEMBERS) expect(await attachedTo(account, group.role)).toEqual([ADMIN]);

    const [done] = await handler(jobsEvent(signed, unique('message')), context);

    expect(done?.outcome).toBe('done:1');
    expect(await attachedTo(MEMBERS[0] ?? '', group.role)).toEqual([]);
    for (const account of MEMBERS.slice(1)) expect(await attachedTo(account, group.role)).toEqual([ADMIN]);
  });

  it('refuses a signed choice naming a change outside the group, in every account', async () => {
    const group = await fleetGroup();
    const [first] = group.records.map((record) => String(record.eventID));
    const [result] = await handler(
      jobsEvent(
        signJob<Job>({
          kind: 'fleet-revert',
          groupId: group.groupId,
          asOf: asOfNow(),
          members: [first ?? '', group.outsider],
          by,
          reason: 'crafted options',
          alert: group.alert,
        }),
      ),
      context,
    );

    expect(result?.outcome).toBe('not-found');
    for (const account of [...MEMBERS, OUTSIDER])
      expect(await attachedTo(account, group.role)).toEqual([ADMIN]);
  });

  it('refuses a group id that is no fleet group (a single change), and changes nothing', async () => {
    const group = await fleetGroup();
    const [result] = await handler(
      jobsEvent(
        signJob<Job>({
          kind: 'fleet-revert',
          groupId: group.outsider,
          asOf: asOfNow(),
          by,
          reason: 'rollback',
          alert: group.alert,
        }),
      ),
      context,
    );

    expect(result?.outcome).toBe('not-found');
    expect(await attachedTo(OUTSIDER, group.role)).toEqual([ADMIN]);
    const audit = await h.auditEntries();
    expect(
      audit.some((entry) => entry.eventId === group.outsider && entry.result.startsWith('refused')),
    ).toBe(true);
  });

  it('refuses a replayed job: the same signed request in another message', async () => {
    const group = await fleetGroup();
    const job = signJob<Job>({
      kind: 'fleet-quarantine',
      groupId: group.groupId,
      asOf: asOfNow(),
      by,
      reason: 'stop the rollout',
      alert: group.alert,
    });
    const [first] = await handler(jobsEvent(job, unique('message')), context);
    const [replay] = await handler(jobsEvent(job, unique('message')), context);

    expect(first?.outcome).toMatch(/^done:3/);
    expect(replay).toEqual({ kind: 'fleet-quarantine', outcome: 'unverified' });
    // Each account's rollout role got the deny policy there; no other account's did.
    for (const account of MEMBERS) expect(await attachedTo(account, group.actor)).toHaveLength(1);
    expect(await attachedTo(HOME, group.actor)).toEqual([]);
    expect(await attachedTo(OUTSIDER, group.actor)).toEqual([]);
  });

  it('does not act on members first seen after the list the responder confirmed', async () => {
    const group = await fleetGroup();
    const [result] = await handler(
      jobsEvent(
        signJob<Job>({
          kind: 'fleet-revert',
          groupId: group.groupId,
          asOf: new Date(Date.now() - 3_600_000).toISOString(),
          by,
          reason: 'an old list',
          alert: group.alert,
        }),
      ),
      context,
    );

    expect(result?.outcome).toBe('empty');
    for (const account of MEMBERS) expect(await attachedTo(account, group.role)).toEqual([ADMIN]);
  });

  it('refuses, in every account, to revert on a protected principal', async () => {
    const group = await fleetGroup('protected-admin');
    const [result] = await handler(
      jobsEvent(
        signJob<Job>({
          kind: 'fleet-revert',
          groupId: group.groupId,
          asOf: asOfNow(),
          by,
          reason: 'rollback',
          alert: group.alert,
        }),
      ),
      context,
    );

    expect(result?.outcome).toBe('refused:3');
    for (const account of MEMBERS) expect(await attachedTo(account, group.role)).toEqual([ADMIN]);
    const thread = textOf(components.slack.thread(group.alert.ts).map((message) => message.blocks));
    for (const account of MEMBERS) expect(thread).toContain(account);
    expect(thread).toContain('refused');
  });
});

describe('a fleet group: reverting in every account', () => {
  it('offers the actions on the group message, lists each account in one confirmation, reverts each and reports each', async () => {
    const group = await fleetGroup();
    const parent = components.slack.messages.find((message) => message.ts === group.alert.ts);
    expect(JSON.stringify(parent?.blocks)).toContain(ACTION_IDS.FLEET_REVERT);
    const viewId = await loadingView(VIEW_IDS.FLEET_REVERT_CONFIRM);

    const [prepared] = await handler(
      jobsEvent(
        signJob<Job>({
          kind: 'prepare-fleet-confirmation',
          action: 'revert',
          groupId: group.groupId,
          viewId,
          by,
          alert: group.alert,
        }),
      ),
      context,
    );

    expect(prepared).toEqual({ kind: 'prepare-fleet-confirmation', outcome: 'view-updated' });
    const view = viewOf(viewId);
    const text = textOf(view);
    for (const account of MEMBERS) expect(text).toContain(account);
    expect(text).not.toContain(OUTSIDER);
    expect(text).toContain('detach-role-policy');
    expect(text).toContain('In 3 accounts');
    expect(view.submit).toBeDefined();
    const meta = JSON.parse(String(view.private_metadata)) as { asOf: string };

    const [done] = await handler(
      jobsEvent(
        signJob<Job>({
          kind: 'fleet-revert',
          groupId: group.groupId,
          asOf: meta.asOf,
          by,
          reason: 'not approved',
          alert: group.alert,
        }),
      ),
      context,
    );

    expect(done?.outcome).toBe('done:3');
    for (const account of MEMBERS) expect(await attachedTo(account, group.role)).toEqual([]);
    expect(await attachedTo(HOME, group.role)).toEqual([ADMIN]);
    for (const record of group.records) {
      expect((await h.stored(String(record.eventID))).revert?.status).toBe('done');
    }
    const thread = textOf(components.slack.thread(group.alert.ts).map((message) => message.blocks));
    expect(thread).toContain('3 of 3 accounts done');
    for (const account of MEMBERS) expect(thread).toContain(account);
    // The group's message says what was done, and its buttons are gone.
    const after = components.slack.messages.find((message) => message.ts === group.alert.ts);
    expect(JSON.stringify(after?.blocks)).toContain('Reverted in 3 of 3 accounts');
    expect(JSON.stringify(after?.blocks)).not.toContain(ACTION_IDS.FLEET_REVERT);
    expect(JSON.stringify(after?.blocks)).not.toContain(ACTION_IDS.FLEET_QUARANTINE);
  });
});
