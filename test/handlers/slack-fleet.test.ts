/**
 * "In every account" end to end through the real handlers: a signed click on a fleet group's message into the
 * Slack handler (Bolt), the job it publishes on the jobs topic (moto SNS → SQS) run by the worker handler, the
 * signed submission of the modal it filled, and the revert in each member account (moto, multi-account through
 * the responder role). The store on dynalite (with the account directory's copy: members are shown by name), Slack
 * on the local server.
 */
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import { ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CachedAccountDirectory } from '../../src/app/account-directory';
import { type Job, parseJob } from '../../src/app/jobs';
import { handler as slackHandler } from '../../src/handlers/slack';
import { handler as workerHandler } from '../../src/handlers/worker';
import { ACTION_IDS, VIEW_IDS } from '../../src/slack/action-ids';
import { DynamoAccountDirectoryStore } from '../../src/store/dynamo-account-directory';
import { cloudTrailRecord } from '../support/cloudtrail';
import { handlerEnv, jobsEvent } from '../support/lambda-env';
import { awsTestEnv } from '../support/moto';
import { eventBridgeNotification } from '../support/notify-harness';
import { notifyOn } from '../support/notify-on-harness';
import {
  ACCOUNT,
  ALICE,
  CAROL,
  CHANNEL,
  type Components,
  type Harness,
  responderHarness,
  startComponents,
  textOf,
} from '../support/responder-harness';
import { slackFunctionAws } from '../support/slack-function-aws';
import { signedSlackRequest } from '../support/slack-requests';

const SECRET = 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6';
const MEMBERS = ['111111111111', '222222222222'];
/** The account directory's names for the members (escaped in every message). */
const NAMES: Record<string, string> = { '111111111111': 'prod-payments', '222222222222': 'prod-ledger<eu>' };
const SHOWN: Record<string, string> = {
  '111111111111': '*prod-payments* (111111111111)',
  '222222222222': '*prod-ledger&lt;eu&gt;* (222222222222)',
};
/** How the confirmation lists them: the id first. */
const CONFIRMING: Record<string, string> = {
  '111111111111': '`111111111111` (*prod-payments*)',
  '222222222222': '`222222222222` (*prod-ledger&lt;eu&gt;*)',
};
const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const TRUST_EC2 = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: ['ec2.amazonaws.com'] }, Action: ['sts:AssumeRole'] }],
});
const context = { getRemainingTimeInMillis: () => 10_000 } as Context;

let components: Components;
let h: Harness;
let sqs: SQSClient;
let queueUrl: string;
const iamIn = new Map<string, IAMClient>();
const saved = { ...process.env };

function clientFor(account: string): IAMClient {
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
  const jobs = await slackFunctionAws(components.moto.endpoint, {
    stage: 'fleet',
    secret: SECRET,
    queueName: 'jobs-tap-fleet',
  });
  ({ sqs, queueUrl } = jobs);
  for (const account of MEMBERS) {
    await clientFor(account).send(
      new CreateRoleCommand({ RoleName: 'iam-changes-responder', AssumeRolePolicyDocument: TRUST_EC2 }),
    );
  }
  await new DynamoAccountDirectoryStore(components.dynalite.documentClient, { tableName: h.tableName }).write(
    {
      accounts: MEMBERS.map((id) => ({ id, name: NAMES[id] ?? id, ouPath: 'Root/Workloads' })),
      fetchedAt: new Date().toISOString(),
    },
  );
  Object.assign(
    process.env,
    handlerEnv(components, h.tableName, {
      SLACK_SIGNING_SECRET_PARAMETER: '/iam-changes/fleet/slack-signing-secret',
      SLACK_RESPONDERS: ALICE,
      JOBS_TOPIC_ARN: jobs.topicArn,
      HOME_ACCOUNT_ID: ACCOUNT,
      RESPONDER_EXTERNAL_ID: 'external-id-0123456789',
    }),
  );
});

afterAll(async () => {
  process.env = saved;
  sqs?.destroy();
  for (const client of iamIn.values()) client.destroy();
  await components?.stop();
});

async function jobsPublished(): Promise<Job[]> {
  const received = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
  );
  return (received.Messages ?? []).map((message) => parseJob(message.Body ?? ''));
}

function interaction(payload: unknown): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

function click(actionId: string, value: string, user: string, messageTs: string): string {
  return interaction({
    type: 'block_actions',
    team: { id: 'T0LOCAL', domain: 'local-slack' },
    user: { id: user, username: user.toLowerCase(), team_id: 'T0LOCAL' },
    api_app_id: 'A0BOT',
    token: 'legacy',
    trigger_id: `trigger-${Date.now()}`,
    container: { type: 'message', message_ts: messageTs, channel_id: CHANNEL, is_ephemeral: false },
    channel: { id: CHANNEL, name: 'iam-changes' },
    message: { type: 'message', ts: messageTs, text: 'alert' },
    actions: [{ type: 'button', action_id: actionId, block_id: 'fleet_actions', value, action_ts: '1' }],
  });
}

function submission(
  view: Record<string, unknown>,
  viewId: string,
  reason: string,
  choice: Record<string, unknown> = {},
): string {
  return interaction({
    type: 'view_submission',
    team: { id: 'T0LOCAL', domain: 'local-slack' },
    user: { id: ALICE, username: 'alice', team_id: 'T0LOCAL' },
    api_app_id: 'A0BOT',
    token: 'legacy',
    trigger_id: 't',
    view: {
      id: viewId,
      type: 'modal',
      callback_id: view.callback_id,
      private_metadata: view.private_metadata,
      state: {
        values: { reason: { 'change.reason': { type: 'plain_text_input', value: reason } }, ...choice },
      },
      hash: 'h',
    },
  });
}

async function attachedTo(account: string, roleName: string): Promise<string[]> {
  const listed = await clientFor(account).send(new ListAttachedRolePoliciesCommand({ RoleName: roleName }));
  return (listed.AttachedPolicies ?? []).map((policy) => policy.PolicyArn ?? '');
}

/** The same role made administrator in both member accounts by one rollout role, through the real notify. */
async function fleetGroup() {
  const stamp = Date.now();
  const role = `break-glass-${stamp}`;
  const actor = `org-rollout-${stamp}`;
  for (const account of MEMBERS) {
    await clientFor(account).send(
      new CreateRoleCommand({ RoleName: role, AssumeRolePolicyDocument: TRUST_EC2 }),
    );
    await clientFor(account).send(new AttachRolePolicyCommand({ RoleName: role, PolicyArn: ADMIN }));
  }
  const notify = notifyOn(components, h, {
    accounts: new CachedAccountDirectory({
      store: new DynamoAccountDirectoryStore(components.dynalite.documentClient, { tableName: h.tableName }),
      clock: { now: () => new Date() },
    }),
  });
  const records = MEMBERS.map((account, index) =>
    cloudTrailRecord(
      'AttachRolePolicy',
      { roleName: role, policyArn: ADMIN },
      {
        eventTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        recipientAccountId: account,
        userIdentity: {
          type: 'AssumedRole',
          principalId: `AROA${account}:s${index}`,
          arn: `arn:aws:sts::${account}:assumed-role/${actor}/stackset-${stamp}${index}`,
          accountId: account,
          sessionContext: {
            sessionIssuer: { type: 'Role', arn: `arn:aws:iam::${account}:role/${actor}`, userName: actor },
            attributes: { creationDate: new Date().toISOString(), mfaAuthenticated: 'false' },
          },
        },
      },
    ),
  );
  for (const record of records) await notify.process(eventBridgeNotification(record));
  const groupId = String(records[0]?.eventID);
  const ts = (await h.stored(groupId)).slack?.ts ?? '';
  return { role, groupId, ts };
}

describe('slack and worker handlers: a change made in many accounts', () => {
  it('refuses the fleet buttons to someone who is not a responder: no modal, no job', async () => {
    const group = await fleetGroup();
    const views = components.slack.views.length;

    const response = await slackHandler(
      signedSlackRequest(click(ACTION_IDS.FLEET_REVERT, group.groupId, CAROL, group.ts), SECRET),
      context,
    );

    expect(response.statusCode).toBe(200);
    expect(components.slack.views).toHaveLength(views);
    expect(await jobsPublished()).toEqual([]);
    for (const account of MEMBERS) expect(await attachedTo(account, group.role)).toEqual([ADMIN]);
  });

  it('click → confirmation listing each account → signed submission → reverted in each account, each reported', async () => {
    const group = await fleetGroup();

    const clicked = await slackHandler(
      signedSlackRequest(click(ACTION_IDS.FLEET_REVERT, group.groupId, ALICE, group.ts), SECRET),
      context,
    );
    expect(clicked.statusCode).toBe(200);
    const [prepare] = await jobsPublished();
    expect(prepare).toMatchObject({
      kind: 'prepare-fleet-confirmation',
      action: 'revert',
      groupId: group.groupId,
    });
    expect(prepare?.origin).toBeDefined();

    const [prepared] = await workerHandler(jobsEvent(JSON.stringify(prepare)), context);
    expect(prepared).toEqual({ kind: 'prepare-fleet-confirmation', outcome: 'view-updated' });
    const viewId = prepare && 'viewId' in prepare ? prepare.viewId : '';
    const view = components.slack.views.find((candidate) => candidate.id === viewId)?.view ?? {};
    expect(view.callback_id).toBe(VIEW_IDS.FLEET_REVERT_CONFIRM);
    for (const account of MEMBERS) expect(textOf(view)).toContain(CONFIRMING[account]);

    const submitted = await slackHandler(
      signedSlackRequest(submission(view, viewId, 'rollout not approved'), SECRET),
      context,
    );
    expect(submitted.statusCode).toBe(200);
    const [revert] = await jobsPublished();
    expect(revert).toMatchObject({
      kind: 'fleet-revert',
      groupId: group.groupId,
      reason: 'rollout not approved',
    });

    const [done] = await workerHandler(jobsEvent(JSON.stringify(revert)), context);
    expect(done).toEqual({ kind: 'fleet-revert', outcome: 'done:2' });
    for (const account of MEMBERS) expect(await attachedTo(account, group.role)).toEqual([]);
    const thread = textOf(components.slack.thread(group.ts).map((message) => message.blocks));
    expect(thread).toContain('2 of 2 accounts done');
    for (const account of MEMBERS) expect(thread).toContain(SHOWN[account]);
  });

  it('reverts only in the account chosen in the confirmation, and asks again when none is chosen', async () => {
    const group = await fleetGroup();
    await slackHandler(
      signedSlackRequest(click(ACTION_IDS.FLEET_REVERT, group.groupId, ALICE, group.ts), SECRET),
      context,
    );
    const [prepare] = await jobsPublished();
    await workerHandler(jobsEvent(JSON.stringify(prepare)), context);
    const viewId = prepare && 'viewId' in prepare ? prepare.viewId : '';
    const view = components.slack.views.find((candidate) => candidate.id === viewId)?.view ?? {};
    // The option the modal offers for the second account.
    const select = (view.blocks as Array<Record<string, unknown>>).find(
      (block) => block.block_id === 'fleet_accounts',
    ) as { element: { options: Array<{ value: string; text: { text: string } }> } };
    const second = select.element.options.find((option) => option.text.text.includes(MEMBERS[1] ?? '-'));
    expect(second).toBeDefined();
    const chosen = (values: string[]) => ({
      fleet_scope: { 'fleet.scope': { type: 'radio_buttons', selected_option: { value: 'chosen' } } },
      fleet_accounts: {
        'fleet.accounts': {
          type: 'multi_static_select',
          selected_options: values.map((value) => ({ value })),
        },
      },
    });

    const none = await slackHandler(
      signedSlackRequest(submission(view, viewId, 'only one', chosen([])), SECRET),
      context,
    );
    expect(JSON.parse(String(none.body))).toEqual({
      response_action: 'errors',
      errors: { fleet_accounts: 'Choose at least one account, or pick all of them.' },
    });
    expect(await jobsPublished()).toEqual([]);

    await slackHandler(
      signedSlackRequest(submission(view, viewId, 'only one', chosen([second?.value ?? ''])), SECRET),
      context,
    );
    const [revert] = await jobsPublished();
    expect(revert).toMatchObject({ kind: 'fleet-revert', members: [second?.value] });

    const [done] = await workerHandler(jobsEvent(JSON.stringify(revert)), context);
    expect(done).toEqual({ kind: 'fleet-revert', outcome: 'done:1' });
    expect(await attachedTo(MEMBERS[0] ?? '', group.role)).toEqual([ADMIN]);
    expect(await attachedTo(MEMBERS[1] ?? '', group.role)).toEqual([]);
  });
});
