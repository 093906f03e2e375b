/**
 * The notify Lambda handler and the escalation check, as deployed: IAM and the jobs topic on moto_server, the
 * store on dynalite, Slack on the local server. Notify checks a change in its own account itself when every
 * document is at hand; a member account's change goes to the worker through the jobs topic — and when that topic
 * cannot take the job, the alert says so and the invocation fails, so SNS delivers the notification again.
 */
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  IAMClient,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config';
import { handler } from '../../src/handlers/notify';
import { readsAccount } from '../../src/runtime/notify';
import { DynamoChangeStore } from '../../src/store/dynamo-change-store';
import { cloudTrailRecord } from '../support/cloudtrail';
import { awsTestEnv } from '../support/moto';
import {
  CHANNEL,
  type Components,
  eventBridgeNotification,
  startComponents,
} from '../support/notify-harness';

const context = { getRemainingTimeInMillis: () => 60_000, awsRequestId: 'request-0' } as Context;
/** moto's default account: notify's own. */
const HOME = '123456789012';
const MEMBER = '111111111111';
const TOPIC = 'iam-changes-jobs-escalation';
const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});
const allow = (actions: string[]) =>
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] });

let components: Components;
let iam: IAMClient;
let store: DynamoChangeStore;
const saved = { ...process.env };

beforeAll(async () => {
  components = await startComponents();
  const tableName = await components.dynalite.createTable();
  store = new DynamoChangeStore(components.dynalite.documentClient, { tableName });
  iam = new IAMClient(awsTestEnv(components.moto.endpoint));
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
    POLICY_VALIDATION: 'false',
    // Not created yet: the first publish fails as a missing or denied topic does.
    JOBS_TOPIC_ARN: `arn:aws:sns:us-east-1:${HOME}:${TOPIC}`,
    // Generous: moto's first answers can be slow on a busy machine, and this test is about where the check runs.
    ESCALATION_INLINE_MS: '20000',
  });
});

afterAll(async () => {
  process.env = saved;
  iam?.destroy();
  await components?.stop();
});

function blocksOf(ts: string | undefined): string {
  return JSON.stringify(components.slack.messages.find((message) => message.ts === ts)?.blocks ?? []);
}

describe('notify handler: the escalation check', () => {
  it('checks a change in its own account itself and posts the paths with the alert', async () => {
    await iam.send(new CreateRoleCommand({ RoleName: 'inline-checked', AssumeRolePolicyDocument: TRUST }));
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'inline-checked',
        PolicyName: 'pass',
        PolicyDocument: allow(['iam:PassRole']),
      }),
    );
    const policyArn =
      (
        await iam.send(
          new CreatePolicyCommand({ PolicyName: 'Compute', PolicyDocument: allow(['ec2:RunInstances']) }),
        )
      ).Policy?.Arn ?? '';
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'inline-checked', PolicyArn: policyArn }));
    const record = cloudTrailRecord(
      'AttachRolePolicy',
      { roleName: 'inline-checked', policyArn },
      { recipientAccountId: HOME },
    );

    const result = await handler(eventBridgeNotification(record), context);

    expect(result.posted).toEqual([record.eventID]);
    const stored = await store.getChange(String(record.eventID));
    expect(stored?.change.escalation).toMatchObject({ state: 'done', opened: [{ id: 'pass-role-ec2' }] });
    expect(stored?.change.followUp).toBeUndefined();
    const shown = blocksOf(stored?.slack?.ts);
    expect(shown).toContain('role inline-checked can now reach administrator through');
    expect(shown).not.toContain('Checking escalation paths');
  });

  it("says a member account's check could not be queued, fails the invocation, and queues it when SNS retries", async () => {
    const record = cloudTrailRecord(
      'AttachRolePolicy',
      { roleName: 'member-app', policyArn: `arn:aws:iam::${MEMBER}:policy/Helper` },
      {
        recipientAccountId: MEMBER,
        userIdentity: {
          type: 'IAMUser',
          principalId: 'AIDAEXAMPLEMEMBER',
          arn: `arn:aws:iam::${MEMBER}:user/member-admin`,
          accountId: MEMBER,
          userName: 'member-admin',
        },
      },
    );
    const event = eventBridgeNotification(record);

    await expect(handler(event, context)).rejects.toThrow(/could not be queued/);

    const failed = await store.getChange(String(record.eventID));
    expect(failed?.delivery).toBe('delivered');
    expect(failed?.change.followUp).toMatchObject({ state: 'not-queued' });
    expect(blocksOf(failed?.slack?.ts)).toContain(
      'Escalation paths not checked: the check could not be queued for the worker',
    );

    // The topic is there now (permissions fixed, the outage over): SNS's retry of the same notification.
    const sns = new SNSClient(awsTestEnv(components.moto.endpoint));
    const sqs = new SQSClient(awsTestEnv(components.moto.endpoint));
    const topicArn = (await sns.send(new CreateTopicCommand({ Name: TOPIC }))).TopicArn;
    const queueUrl = String((await sqs.send(new CreateQueueCommand({ QueueName: 'jobs-seen' }))).QueueUrl);
    const queueArn = (
      await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))
    ).Attributes?.QueueArn;
    await sns.send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: 'sqs',
        Endpoint: queueArn,
        Attributes: { RawMessageDelivery: 'true' },
      }),
    );

    const again = await handler(event, context);

    expect(again.duplicates).toEqual([record.eventID]);
    const queued = await store.getChange(String(record.eventID));
    expect(queued?.change.escalation).toEqual({ state: 'checking' });
    expect(queued?.change.followUp).toEqual({ state: 'queued' });
    expect(blocksOf(queued?.slack?.ts)).toContain('Checking escalation paths…');
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }),
    );
    expect(Messages?.map((message) => JSON.parse(message.Body ?? '{}'))).toEqual([
      {
        kind: 'judge-change',
        eventId: record.eventID,
        by: { slackUserId: 'iam-changes', name: 'iam-changes' },
      },
    ]);
    expect(
      components.slack.topLevel(CHANNEL).filter((message) => message.text.includes('member-app')),
    ).toHaveLength(1);
    sns.destroy();
    sqs.destroy();
  });
});

describe('the accounts notify checks escalation in itself', () => {
  const OWN = '111122223333';
  const MEMBER = '444455556666';
  it.each([
    ['HOME_ACCOUNT_ID', { homeAccountId: OWN }, {}, [true, false]],
    [
      "the worker role's account",
      {},
      { workerRoleArn: `arn:aws:iam::${OWN}:role/iam-changes-worker` },
      [true, false],
    ],
    // Not knowing its own account, it would read a member account's role by name in its own: it reads none.
    ['neither', {}, {}, [false, false]],
  ] as const)('with %s: its own account %s, a member account not', (_what, responder, bot, [own, member]) => {
    const reads = readsAccount({
      responder: responder as Config['responder'],
      bot: bot as Config['bot'],
    });

    expect([reads(OWN), reads(MEMBER)]).toEqual([own, member]);
  });
});
