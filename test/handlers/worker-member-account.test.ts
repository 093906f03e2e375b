/**
 * The worker Lambda handler in an AWS Organization, end to end: with `HOME_ACCOUNT_ID` set, a job about a change
 * made in a member account acts in that account, through the responder role the worker assumes there; a change
 * in the home account is still acted on with the worker's own credentials. IAM on moto_server (whose STS
 * AssumeRole into another account's role gives credentials acting in that account), the store on dynalite,
 * Slack on the local server.
 */

import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  GetPolicyCommand,
  GetRoleCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
} from '@aws-sdk/client-iam';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../src/app/jobs';
import type { CloudTrailRecord } from '../../src/domain/input';
import type { PolicyDocument } from '../../src/domain/types';
import { handler } from '../../src/handlers/worker';
import { VIEW_IDS } from '../../src/slack/action-ids';
import { cloudTrailRecord } from '../support/cloudtrail';
import { jobsEvent as snsJobsEvent } from '../support/lambda-env';
import { awsTestEnv } from '../support/moto';
import {
  ACCOUNT,
  ALICE,
  attachedPolicy,
  CHANNEL,
  type Components,
  type Harness,
  responderHarness,
  startComponents,
  textOf,
} from '../support/responder-harness';
import { signJob, TEST_SIGNING_SECRET } from '../support/signed-jobs';

const context = {} as Context;
/** moto's default account: the bot's own (`HOME_ACCOUNT_ID`). */
const HOME = ACCOUNT;
/** A member account of the organisation. */
const MEMBER = '111111111111';
const RESPONDER_ROLE = 'iam-changes-responder';
const ADMINISTRATOR_ACCESS = 'arn:aws:iam::aws:policy/AdministratorAccess';
const TRUST_EC2 = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: ['ec2.amazonaws.com'] }, Action: ['sts:AssumeRole'] }],
});
const by = { slackUserId: ALICE, name: 'alice' };

let components: Components;
let h: Harness;
/** IAM in the member account: credentials from STS AssumeRole of a role there, as an administrator would. */
let memberIam: IAMClient;
/** IAM in the home account, with moto's default credentials. */
let homeIam: IAMClient;
const saved = { ...process.env };

beforeAll(async () => {
  components = await startComponents();
  h = await responderHarness(components);
  homeIam = components.iamClient;
  memberIam = new IAMClient({
    ...awsTestEnv(components.moto.endpoint),
    credentials: fromTemporaryCredentials({
      params: {
        RoleArn: `arn:aws:iam::${MEMBER}:role/OrganizationAccountAccessRole`,
        RoleSessionName: 'setup',
      },
      masterCredentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      clientConfig: { region: 'us-east-1', endpoint: components.moto.endpoint },
    }),
  });
  // The role the StackSet creates in every member account, so moto can say when it was last used.
  await memberIam.send(
    new CreateRoleCommand({ RoleName: RESPONDER_ROLE, AssumeRolePolicyDocument: TRUST_EC2 }),
  );
  // Built once: the handler keeps the service it builds from the environment for the process.
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
  });
});

afterAll(async () => {
  process.env = saved;
  memberIam?.destroy();
  await components?.stop();
});

/** The Lambda SNS event of one job on the jobs topic. */
/** The jobs-topic event of `job`, signed as the Slack function publishes it. */
function jobsEvent(job: Job) {
  return snsJobsEvent(JSON.stringify(signJob(job)));
}

let counter = 0;
function unique(prefix: string): string {
  counter += 1;
  return `${prefix}-${Date.now()}-${counter}`;
}

/** A role in the account `iam` acts in, with `policyArns` attached. */
async function roleWith(iam: IAMClient, roleName: string, policyArns: string[]): Promise<void> {
  await iam.send(new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: TRUST_EC2 }));
  for (const policyArn of policyArns) {
    await iam.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: policyArn }));
  }
}

/** The ARNs of the managed policies attached to a role, as `iam`'s account has them. */
async function attachedTo(iam: IAMClient, roleName: string): Promise<string[]> {
  const listed = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName }));
  return (listed.AttachedPolicies ?? []).map((policy) => policy.PolicyArn ?? '');
}

/** A CloudTrail record of `eventName` made now in the member account by one of its IAM users. */
function memberRecord(
  eventName: string,
  params: Record<string, unknown>,
  userName = 'member-admin',
): CloudTrailRecord {
  return cloudTrailRecord(eventName, params, {
    eventTime: new Date().toISOString(),
    recipientAccountId: MEMBER,
    userIdentity: {
      type: 'IAMUser',
      principalId: 'AIDAEXAMPLEMEMBER',
      arn: `arn:aws:iam::${MEMBER}:user/${userName}`,
      accountId: MEMBER,
      accessKeyId: 'AKIAEXAMPLEMEMBER',
      userName,
      sessionContext: { attributes: { creationDate: new Date().toISOString(), mfaAuthenticated: 'true' } },
    },
  });
}

/** A modal open in Slack in its loading state, as a listener leaves it for the worker. */
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

/** The alert of a stored change as the channel now shows it, and its thread. */
async function slackOf(eventId: string) {
  const ts = (await h.stored(eventId)).slack?.ts ?? '';
  return {
    ts,
    alert: textOf(components.slack.messages.find((message) => message.ts === ts)?.blocks),
    thread: textOf(components.slack.thread(ts).map((message) => message.blocks)),
  };
}

describe('worker handler with HOME_ACCOUNT_ID, a change in a member account', () => {
  it('reverts in the member account through the responder role, leaving the home account alone', async () => {
    const role = unique('app-role');
    await roleWith(memberIam, role, [ADMINISTRATOR_ACCESS]);
    // The same role name in the home account, with the same policy: a revert there would detach it.
    await roleWith(homeIam, role, [ADMINISTRATOR_ACCESS]);
    const change = await h.storeChange(
      memberRecord('AttachRolePolicy', { roleName: role, policyArn: ADMINISTRATOR_ACCESS }),
    );
    expect(change.accountId).toBe(MEMBER);
    const { ts } = await slackOf(change.eventId);

    const results = await handler(
      jobsEvent({
        kind: 'revert',
        eventId: change.eventId,
        by,
        reason: 'not approved in the member account',
        alert: { channel: CHANNEL, ts },
      }),
      context,
    );

    expect(results).toEqual([{ kind: 'revert', outcome: 'done' }]);
    expect(await attachedTo(memberIam, role)).toEqual([]);
    expect(await attachedTo(homeIam, role)).toEqual([ADMINISTRATOR_ACCESS]);
    const slack = await slackOf(change.eventId);
    expect(slack.alert).toContain(`Reverted* by <@${ALICE}>`);
    expect(slack.thread).toContain('not approved in the member account');
    expect((await h.stored(change.eventId)).revert?.status).toBe('done');
    // The calls were made as the responder role of the member account.
    const responder = await memberIam.send(new GetRoleCommand({ RoleName: RESPONDER_ROLE }));
    expect(responder.Role?.RoleLastUsed?.LastUsedDate).toBeInstanceOf(Date);
  });

  it("fills the revert confirmation with the member account's live state", async () => {
    const role = unique('confirm-role');
    await roleWith(memberIam, role, [ADMINISTRATOR_ACCESS]);
    // In the home account the role has nothing attached: read there, the change would look drifted.
    await roleWith(homeIam, role, []);
    const change = await h.storeChange(
      memberRecord('AttachRolePolicy', { roleName: role, policyArn: ADMINISTRATOR_ACCESS }),
    );
    const viewId = await loadingView(VIEW_IDS.REVERT_CONFIRM);

    const [result] = await handler(
      jobsEvent({ kind: 'prepare-confirmation', action: 'revert', eventId: change.eventId, viewId, by }),
      context,
    );

    expect(result).toEqual({ kind: 'prepare-confirmation', outcome: 'view-updated' });
    const view = viewOf(viewId);
    expect(view.callback_id).toBe(VIEW_IDS.REVERT_CONFIRM);
    expect(view.submit).toBeDefined();
    const text = textOf(view);
    expect(text).toContain('the live state matches the state right after the change');
    expect(text).not.toContain('drifted');
    expect(text).toContain(role);
    expect(await attachedTo(memberIam, role)).toEqual([ADMINISTRATOR_ACCESS]);
  });

  it("shows the diff of a member account's own managed policy, read from that account", async () => {
    const document: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: ['*'] }],
    };
    const policy = await memberIam.send(
      new CreatePolicyCommand({
        PolicyName: unique('member-secrets'),
        PolicyDocument: JSON.stringify(document),
      }),
    );
    const policyArn = policy.Policy?.Arn ?? '';
    expect(policyArn).toContain(`:${MEMBER}:policy/`);
    const role = unique('diff-role');
    await roleWith(memberIam, role, [policyArn]);
    const change = await h.storeChange(memberRecord('AttachRolePolicy', { roleName: role, policyArn }));
    const viewId = await loadingView('change.diff_view');

    const [result] = await handler(jobsEvent({ kind: 'diff', eventId: change.eventId, viewId, by }), context);

    expect(result).toEqual({ kind: 'diff', outcome: 'view-updated' });
    const text = textOf(viewOf(viewId));
    expect(text).toContain('IAM policy version `v1`');
    expect(text).toContain('*Added*');
    expect(text).toContain('secretsmanager:GetSecretValue');
  });

  it("reads a member account's customer policy through the responder role: the attach judged by it, its paths checked", async () => {
    // Named to look harmless; it allows everything. Only the member account holds it.
    const policy = await memberIam.send(
      new CreatePolicyCommand({
        PolicyName: unique('ReadOnlyHelper'),
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
        }),
      }),
    );
    const policyArn = policy.Policy?.Arn ?? '';
    const role = unique('helper-role');
    await roleWith(memberIam, role, [policyArn]);
    // Stored as notify leaves it: the document unknown (notify reads no other account), the rest to the worker.
    const change = await h.storeChange(memberRecord('AttachRolePolicy', { roleName: role, policyArn }));
    expect(change.managedPolicy?.source).toBe('unknown');
    expect(change.risk.level).not.toBe('critical');

    const [result] = await handler(
      snsJobsEvent(
        JSON.stringify({
          kind: 'judge-change',
          eventId: change.eventId,
          by: { slackUserId: 'iam-changes', name: 'iam-changes' },
        }),
      ),
      context,
    );

    expect(result).toEqual({ kind: 'judge-change', outcome: 'checked' });
    const stored = (await h.stored(change.eventId)).change;
    expect(stored.managedPolicy).toMatchObject({ source: 'iam', versionId: 'v1' });
    expect(stored.risk.level).toBe('critical');
    expect(stored.escalation).toMatchObject({ state: 'done', principal: `role ${role}` });
    expect(stored.escalation?.state === 'done' && stored.escalation.opened.length).toBeGreaterThan(0);
    expect(stored.risk.reasons[0]).toContain(`role ${role} can now reach administrator through`);
    const { alert } = await slackOf(change.eventId);
    expect(alert).toContain('can now reach administrator through');
    // Asked of the home account, the policy does not exist: it was read where it lives.
    await expect(homeIam.send(new GetPolicyCommand({ PolicyArn: policyArn }))).rejects.toThrow(
      /not found|NoSuchEntity/i,
    );
  });

  it('quarantines a member account user in the member account', async () => {
    const userName = unique('intruder');
    await memberIam.send(new CreateUserCommand({ UserName: userName }));
    const role = unique('escalated-role');
    await roleWith(memberIam, role, [ADMINISTRATOR_ACCESS]);
    const change = await h.storeChange(
      memberRecord('AttachRolePolicy', { roleName: role, policyArn: ADMINISTRATOR_ACCESS }, userName),
    );
    const { ts } = await slackOf(change.eventId);

    const [result] = await handler(
      jobsEvent({
        kind: 'quarantine',
        eventId: change.eventId,
        by,
        reason: 'stolen keys',
        alert: { channel: CHANNEL, ts },
      }),
      context,
    );

    expect(result).toEqual({ kind: 'quarantine', outcome: 'done' });
    const attached = await memberIam.send(new ListAttachedUserPoliciesCommand({ UserName: userName }));
    expect((attached.AttachedPolicies ?? []).map((p) => p.PolicyArn)).toEqual([
      expect.stringMatching(
        new RegExp(`^arn:aws:iam::${MEMBER}:policy/iam-changes/iam-changes-quarantine-[A-Za-z0-9]{8}$`),
      ),
    ]);
    const slack = await slackOf(change.eventId);
    expect(slack.thread).toContain(`*Quarantined*`);
    expect(slack.thread).toContain('stolen keys');
  });

  // The call acted in the home account; its caller is a member account's user: quarantined where the user is.
  it('quarantines a member account user who acted in another account, in their own account', async () => {
    const userName = unique('cross-account');
    await memberIam.send(new CreateUserCommand({ UserName: userName }));
    const record = memberRecord(
      'AttachRolePolicy',
      { roleName: 'some-role', policyArn: ADMINISTRATOR_ACCESS },
      userName,
    );
    record.recipientAccountId = HOME;
    const change = await h.storeChange(record);
    expect([change.accountId, change.actor.accountId]).toEqual([HOME, MEMBER]);
    const { ts } = await slackOf(change.eventId);

    const [result] = await handler(
      jobsEvent({
        kind: 'quarantine',
        eventId: change.eventId,
        by,
        reason: 'cross-account',
        alert: { channel: CHANNEL, ts },
      }),
      context,
    );

    expect(result).toEqual({ kind: 'quarantine', outcome: 'done' });
    const attached = await memberIam.send(new ListAttachedUserPoliciesCommand({ UserName: userName }));
    expect((attached.AttachedPolicies ?? []).map((p) => p.PolicyArn)).toEqual([
      expect.stringMatching(
        new RegExp(`^arn:aws:iam::${MEMBER}:policy/iam-changes/iam-changes-quarantine-[A-Za-z0-9]{8}$`),
      ),
    ]);
  });
});

describe('worker handler with HOME_ACCOUNT_ID, a change in the home account', () => {
  it("reverts with the worker's own credentials, leaving the member account alone", async () => {
    const { role, policyArn, record } = await attachedPolicy(components);
    // The same role name in the member account, with a policy attached: a revert there would not touch it.
    await roleWith(memberIam, role, [ADMINISTRATOR_ACCESS]);
    const change = await h.storeChange(record);
    expect(change.accountId).toBe(HOME);
    const { ts } = await slackOf(change.eventId);
    expect(await attachedTo(homeIam, role)).toEqual([policyArn]);

    const results = await handler(
      jobsEvent({
        kind: 'revert',
        eventId: change.eventId,
        by,
        reason: 'home account revert',
        alert: { channel: CHANNEL, ts },
      }),
      context,
    );

    expect(results).toEqual([{ kind: 'revert', outcome: 'done' }]);
    expect(await attachedTo(homeIam, role)).toEqual([]);
    expect(await attachedTo(memberIam, role)).toEqual([ADMINISTRATOR_ACCESS]);
    const slack = await slackOf(change.eventId);
    expect(slack.alert).toContain(`Reverted* by <@${ALICE}>`);
    expect(slack.thread).toContain('home account revert');
  });
});
