/**
 * The bot is recognised exactly: attacks on "a role named like the bot's is the bot", through the real notify
 * handler built from the environment (dynalite, the local Slack server) and the worker's recording IAM on
 * moto_server. A call by the bot's roles is a quiet thread note only when it matches a step the worker recorded;
 * any other call by them is a critical alert that keeps its buttons, and a look-alike role is not the bot.
 */
import { AttachRolePolicyCommand, CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingIamGateway } from '../../src/app/bot-steps';
import type { NotifyResult } from '../../src/app/notify-service';
import { AwsIamGateway } from '../../src/aws/iam-gateway';
import type { CloudTrailRecord } from '../../src/domain/input';
import { handler } from '../../src/handlers/notify';
import { ACTION_IDS } from '../../src/slack/action-ids';
import { DynamoBotStepStore } from '../../src/store/dynamo-bot-steps';
import { cloudTrailRecord } from '../support/cloudtrail';
import { awsTestEnv } from '../support/moto';
import {
  CHANNEL,
  type Components,
  eventBridgeNotification,
  startComponents,
} from '../support/notify-harness';
import type { StoredMessage } from '../support/slack-server';

const context = { getRemainingTimeInMillis: () => 60_000 } as Context;
const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const READ_ONLY = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
/** moto's account: the bot's home account, where the worker role lives (with a path). */
const HOME = '123456789012';
const WORKER_ROLE = 'iam-changes-worker';
const WORKER_ROLE_ARN = `arn:aws:iam::${HOME}:role/service-role/${WORKER_ROLE}`;
const RESPONDER = 'iam-changes-responder';
const MEMBER = '444455556666';
const OUTSIDER = '999999999999';
const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});
const NOT_RECORDED = "the bot's role made a change it did not record";

let components: Components;
let iamClient: IAMClient;
let steps: DynamoBotStepStore;
let roles = 0;
const saved = { ...process.env };

beforeAll(async () => {
  components = await startComponents();
  const tableName = await components.dynalite.createTable();
  iamClient = new IAMClient(awsTestEnv(components.moto.endpoint));
  steps = new DynamoBotStepStore(components.dynalite.documentClient, { tableName });
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_ENDPOINT_URL: components.moto.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: components.dynalite.endpoint,
    TABLE_NAME: tableName,
    SLACK_BOT_TOKEN: 'xoxb-test-token',
    SLACK_API_URL: components.slack.url,
    SLACK_CHANNEL: CHANNEL,
    HOME_ACCOUNT_ID: HOME,
    BOT_WORKER_ROLE_ARN: WORKER_ROLE_ARN,
    RESPONDER_ROLE_NAME: RESPONDER,
    MEMBER_ACCOUNTS: MEMBER,
  });
});

afterAll(async () => {
  process.env = saved;
  iamClient?.destroy();
  await components?.stop();
});

/** The worker's IAM in `accountId`: moto's IAM with every write recorded first, as the worker wires it. */
function workerIam(accountId: string) {
  return new RecordingIamGateway(new AwsIamGateway(iamClient), steps, accountId, { now: () => new Date() });
}

/** A role on moto with a policy attached, as an intruder left it. */
async function roleWith(policyArn: string): Promise<string> {
  roles += 1;
  const name = `app-${roles}`;
  await iamClient.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: TRUST }));
  await iamClient.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: policyArn }));
  return name;
}

/** A session of `roleName` in `account`, as CloudTrail writes it; `path` is the role's IAM path. */
function roleSession(account: string, roleName: string, path = '/') {
  return {
    type: 'AssumedRole',
    principalId: `AROAEXAMPLE${roles}:iam-changes-worker`,
    arn: `arn:aws:sts::${account}:assumed-role/${roleName}/iam-changes-worker`,
    accountId: account,
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: `AROAEXAMPLE${roles}`,
        arn: `arn:aws:iam::${account}:role${path}${roleName}`,
        accountId: account,
        userName: roleName,
      },
      attributes: { creationDate: new Date().toISOString(), mfaAuthenticated: 'false' },
    },
  };
}

/** A record of a call made just now by `identity` in `account`. */
function callBy(
  identity: Record<string, unknown>,
  account: string,
  eventName: string,
  params: Record<string, unknown>,
): CloudTrailRecord {
  return cloudTrailRecord(eventName, params, {
    userIdentity: identity,
    recipientAccountId: account,
    eventTime: new Date().toISOString(),
    userAgent: 'aws-sdk-js/3.0.0 ua/2.1 os/linux lang/js md/nodejs#20',
  });
}

async function deliver(record: CloudTrailRecord): Promise<NotifyResult> {
  return handler(eventBridgeNotification(record), context);
}

function postedFor(record: CloudTrailRecord): StoredMessage | undefined {
  return components.slack
    .topLevel(CHANNEL)
    .find((message) => JSON.stringify(message.blocks ?? []).includes(String(record.eventID)));
}

function actionIds(message: StoredMessage | undefined): string[] {
  return [...JSON.stringify(message?.blocks ?? []).matchAll(/"action_id":"([^"]+)"/g)].map(
    (match) => match[1] ?? '',
  );
}

describe('the bot, recognised exactly', () => {
  it('(a) takes a role named like the responder in an account outside the organisation for what it is: a normal critical alert with Revert and Quarantine', async () => {
    const record = callBy(roleSession(OUTSIDER, RESPONDER), OUTSIDER, 'AttachRolePolicy', {
      roleName: 'backdoor',
      policyArn: ADMIN,
    });

    const result = await deliver(record);

    expect(result.ownCalls).toEqual([]);
    expect(result.posted).toEqual([record.eventID]);
    const alert = postedFor(record);
    expect(alert?.text).toMatch(/critical/i);
    expect(alert?.text).not.toContain(NOT_RECORDED);
    expect(actionIds(alert)).toEqual(expect.arrayContaining([ACTION_IDS.REVERT, ACTION_IDS.QUARANTINE]));
  });

  it('(b) raises a critical alert, with its buttons, when the exact worker role makes a call it never recorded', async () => {
    const record = callBy(roleSession(HOME, WORKER_ROLE, '/service-role/'), HOME, 'AttachRolePolicy', {
      roleName: 'quiet',
      policyArn: READ_ONLY,
    });

    const result = await deliver(record);

    expect(result.ownCalls).toEqual([]);
    expect(result.posted).toEqual([record.eventID]);
    const alert = postedFor(record);
    expect(JSON.stringify(alert?.blocks)).toContain(NOT_RECORDED);
    expect(alert?.text).toMatch(/critical/i);
    expect(actionIds(alert)).toEqual(expect.arrayContaining([ACTION_IDS.REVERT, ACTION_IDS.QUARANTINE]));
  });

  it('(c) threads a recorded revert quietly under its alert, and alerts on the same call delivered as another event', async () => {
    const role = await roleWith(ADMIN);
    const intruder = callBy(
      {
        type: 'IAMUser',
        principalId: 'AIDAMALLORY',
        arn: `arn:aws:iam::${HOME}:user/mallory`,
        accountId: HOME,
        userName: 'mallory',
      },
      HOME,
      'AttachRolePolicy',
      { roleName: role, policyArn: ADMIN },
    );
    await deliver(intruder);
    const alert = postedFor(intruder);
    expect(alert).toBeDefined();

    await workerIam(HOME).detachManagedPolicy({ kind: 'role', name: role }, ADMIN);
    const revert = callBy(roleSession(HOME, WORKER_ROLE, '/service-role/'), HOME, 'DetachRolePolicy', {
      roleName: role,
      policyArn: ADMIN,
    });
    const before = components.slack.topLevel(CHANNEL).length;

    const first = await deliver(revert);
    const again = await deliver(revert);

    expect(first.ownCalls).toEqual([revert.eventID]);
    expect(again.duplicates).toEqual([revert.eventID]);
    expect(components.slack.topLevel(CHANNEL)).toHaveLength(before);
    const thread = components.slack.thread(alert?.ts ?? '');
    expect(thread).toHaveLength(1);
    expect(thread[0]?.text).toContain(`DetachRolePolicy on role/${role} by iam-changes`);
    expect(actionIds(thread[0])).toEqual([]);

    const replay = { ...revert, eventID: crypto.randomUUID(), requestID: crypto.randomUUID() };
    const replayed = await deliver(replay);

    expect(replayed.ownCalls).toEqual([]);
    expect(replayed.posted).toEqual([replay.eventID]);
    const replayAlert = postedFor(replay);
    expect(JSON.stringify(replayAlert?.blocks)).toContain(NOT_RECORDED);
    expect(actionIds(replayAlert)).toEqual(expect.arrayContaining([ACTION_IDS.REVERT]));
  });

  it('(d) takes the responder role in a member account for the bot when the call matches a recorded step', async () => {
    const role = await roleWith(READ_ONLY);
    await workerIam(MEMBER).detachManagedPolicy({ kind: 'role', name: role }, READ_ONLY);
    const revert = callBy(roleSession(MEMBER, RESPONDER), MEMBER, 'DetachRolePolicy', {
      roleName: role,
      policyArn: READ_ONLY,
    });

    const result = await deliver(revert);

    expect(result.ownCalls).toEqual([revert.eventID]);
    expect(result.posted).toEqual([]);
    expect(postedFor(revert)).toBeUndefined();
  });

  it('does not let a recorded step in one account cover the same call in another', async () => {
    const role = await roleWith(READ_ONLY);
    await workerIam(MEMBER).detachManagedPolicy({ kind: 'role', name: role }, READ_ONLY);
    const elsewhere = callBy(roleSession(HOME, WORKER_ROLE, '/service-role/'), HOME, 'DetachRolePolicy', {
      roleName: role,
      policyArn: READ_ONLY,
    });

    const result = await deliver(elsewhere);

    expect(result.ownCalls).toEqual([]);
    expect(JSON.stringify(postedFor(elsewhere)?.blocks)).toContain(NOT_RECORDED);
  });
});
