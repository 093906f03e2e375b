import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { handler } from '../../src/handlers/notify';
import { cloudTrailRecord } from '../support/cloudtrail';
import { awsTestEnv } from '../support/moto';
import {
  alarmNotification,
  CHANNEL,
  type Components,
  cloudTrailLogGroup,
  eventBridgeNotification,
  snsEvent,
  startComponents,
} from '../support/notify-harness';

const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const context = { getRemainingTimeInMillis: () => 60_000, awsRequestId: 'request-0' } as Context;

let components: Components;
let deadLetterQueueUrl: string;
const saved = { ...process.env };

beforeAll(async () => {
  components = await startComponents();
  const tableName = await components.dynalite.createTable();
  const ssm = new SSMClient(awsTestEnv(components.moto.endpoint));
  await ssm.send(
    new PutParameterCommand({
      Name: '/iam-changes/test/slack-bot-token',
      Type: 'SecureString',
      Value: 'xoxb-from-ssm',
    }),
  );
  ssm.destroy();
  const sqs = new SQSClient(awsTestEnv(components.moto.endpoint));
  deadLetterQueueUrl = String(
    (await sqs.send(new CreateQueueCommand({ QueueName: 'notify-handler-dlq' }))).QueueUrl,
  );
  sqs.destroy();
  Object.assign(process.env, {
    NOTIFY_DEAD_LETTER_QUEUE_URL: deadLetterQueueUrl,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_ENDPOINT_URL: components.moto.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: components.dynalite.endpoint,
    TABLE_NAME: tableName,
    SLACK_BOT_TOKEN_PARAMETER: '/iam-changes/test/slack-bot-token',
    SLACK_API_URL: components.slack.url,
    SLACK_CHANNEL: CHANNEL,
  });
});

afterAll(async () => {
  process.env = saved;
  await components?.stop();
});

describe('notify handler', () => {
  it('reads the Slack token from SSM and posts a change once however often SNS delivers it', async () => {
    const record = cloudTrailRecord('AttachRolePolicy', { roleName: 'handler-role', policyArn: ADMIN });
    const event = eventBridgeNotification(record);

    const results = [
      await handler(event, context),
      await handler(event, context),
      await handler(event, context),
    ];

    expect(results.map((result) => result.posted.length)).toEqual([1, 0, 0]);
    const posted = components.slack
      .topLevel(CHANNEL)
      .filter((message) => message.text.includes('handler-role'));
    expect(posted).toHaveLength(1);
    const auth = components.slack.callsTo('chat.postMessage').at(-1);
    expect(auth?.status).toBe(200);
  });

  it('keeps a notification it cannot read in the dead-letter queue, with one log line and no stack', async () => {
    const written: string[] = [];
    const capture = (chunk: unknown) => {
      written.push(String(chunk));
      return true;
    };
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(capture);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(capture);
    let result: Awaited<ReturnType<typeof handler>>;
    try {
      result = await handler(snsEvent('{"AlarmName": 1}'), context);
    } finally {
      out.mockRestore();
      err.mockRestore();
    }

    expect(result.unreadable).toEqual([
      {
        reason: expect.stringMatching(/^unrecognised input: an object with keys "AlarmName"/),
        keptAs: expect.any(String),
      },
    ]);
    const lines = written.join('').trim().split('\n');
    const kept = lines.filter((line) => line.includes('unreadable input kept in the dead-letter queue'));
    expect(kept).toHaveLength(1);
    expect(JSON.parse(kept[0] ?? '{}')).toMatchObject({
      level: 'WARN',
      reason: result.unreadable[0]?.reason,
      keptAs: result.unreadable[0]?.keptAs,
    });
    expect(written.join('')).not.toMatch(/"stack"|\bat .*:\d+:\d+/);
    const sqs = new SQSClient(awsTestEnv(components.moto.endpoint));
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: deadLetterQueueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 0,
      }),
    );
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: deadLetterQueueUrl,
        AttributeNames: ['ApproximateNumberOfMessages'],
      }),
    );
    sqs.destroy();
    expect(Attributes?.ApproximateNumberOfMessages).toBe('1');
    expect(JSON.parse(Messages?.[0]?.Body ?? '{}')).toMatchObject({
      requestPayload: { Records: [{ Sns: { Message: '{"AlarmName": 1}' } }] },
      responsePayload: { errorType: 'InputError', errorMessage: result.unreadable[0]?.reason },
    });
  });

  it('posts one summary when two invocations get the same alarm notification at once', async () => {
    const period = new Date(Math.floor((Date.now() - 20 * 60_000) / 300_000) * 300_000);
    const call = cloudTrailRecord(
      'DeleteRolePolicy',
      { roleName: 'handler-twice', policyName: 'p' },
      { eventTime: new Date(period.getTime() + 30_000).toISOString().replace('.000Z', 'Z') },
    );
    await cloudTrailLogGroup(components, [call], 'HandlerTwice');
    const event = alarmNotification({ metricName: 'HandlerTwice', periodStart: period });

    const results = await Promise.all([
      handler(event, { ...context, awsRequestId: 'request-a' }),
      handler(event, { ...context, awsRequestId: 'request-b' }),
    ]);

    const summaries = components.slack
      .topLevel(CHANNEL)
      .filter((message) => message.text.includes('CIS-4.4-HandlerTwice'));
    expect(summaries).toHaveLength(1);
    expect(results.map((result) => result.alarms[0]?.source).sort()).toEqual([
      'claimed-elsewhere',
      'cloudwatch-logs',
    ]);
  });
});
