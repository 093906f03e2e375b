import { PassThrough } from 'node:stream';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli';
import { cloudTrailRecord } from '../support/cloudtrail';
import { awsTestEnv } from '../support/moto';
import {
  CHANNEL,
  type Components,
  eventBridgeNotification,
  notifyServiceOn,
  startComponents,
} from '../support/notify-harness';

const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';

let components: Components;
let sqs: SQSClient;
const saved = { ...process.env };

beforeAll(async () => {
  components = await startComponents();
  sqs = new SQSClient(awsTestEnv(components.moto.endpoint));
});

afterAll(async () => {
  process.env = saved;
  sqs?.destroy();
  await components?.stop();
});

async function run(args: string[], env: Record<string, string>) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk) => {
    out += chunk;
  });
  stderr.on('data', (chunk) => {
    err += chunk;
  });
  Object.assign(process.env, env);
  const code = await main(args, { stdin: new PassThrough(), stdout, stderr, env: process.env });
  return { code, out, err };
}

/** A Lambda on-failure destination record, as the notify dead-letter queue holds it. */
function destinationRecord(payload: unknown) {
  return {
    version: '1.0',
    timestamp: new Date().toISOString(),
    requestContext: {
      requestId: crypto.randomUUID(),
      functionArn: 'arn:aws:lambda:us-east-1:111122223333:function:iam-changes-test-notify:$LATEST',
      condition: 'RetriesExhausted',
      approximateInvokeCount: 3,
    },
    requestPayload: payload,
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    responsePayload: { errorType: 'SlackDeliveryError', errorMessage: 'chat.postMessage failed' },
  };
}

describe('iam-changes redrive', () => {
  it('posts only what is missing, deletes what went through and keeps what fails again', async () => {
    const { service, tableName } = await notifyServiceOn(components);
    const alreadyPosted = cloudTrailRecord('AttachRolePolicy', {
      roleName: 'redrive-posted',
      policyArn: ADMIN,
    });
    const missing = cloudTrailRecord('AttachUserPolicy', { userName: 'redrive-missing', policyArn: ADMIN });
    await service.process(eventBridgeNotification(alreadyPosted));
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `notify-dlq-${Date.now()}` }));
    const queueUrl = String(QueueUrl);
    for (const body of [
      JSON.stringify(destinationRecord(eventBridgeNotification(alreadyPosted))),
      JSON.stringify(destinationRecord(eventBridgeNotification(missing))),
      'not a notification',
    ]) {
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
    }
    const before = components.slack.topLevel(CHANNEL).length;

    const result = await run(['redrive', '--queue', queueUrl], {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_ENDPOINT_URL: components.moto.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: components.dynalite.endpoint,
      TABLE_NAME: tableName,
      SLACK_BOT_TOKEN: 'xoxb-redrive',
      SLACK_API_URL: components.slack.url,
      SLACK_CHANNEL: CHANNEL,
    });

    expect(result.code).toBe(1);
    const summary = JSON.parse(result.out) as { delivered: number; failed: Array<{ error: string }> };
    expect(summary.delivered).toBe(2);
    expect(summary.failed).toHaveLength(1);
    expect(summary.failed[0]?.error).toMatch(/not JSON/);
    const posted = components.slack.topLevel(CHANNEL).slice(before);
    expect(posted.map((message) => message.text).join('\n')).toContain('redrive-missing');
    expect(posted).toHaveLength(1);
    const attributes = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    const left =
      Number(attributes.Attributes?.ApproximateNumberOfMessages ?? 0) +
      Number(attributes.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
    expect(left).toBe(1);
  });

  it("delivers the IAM events the EventBridge rule's dead-letter queue kept: bare events, as EventBridge sends them", async () => {
    const { tableName } = await notifyServiceOn(components);
    const undelivered = cloudTrailRecord('PutRolePolicy', {
      roleName: 'rule-dlq-role',
      policyName: 'wide',
      policyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
      }),
    });
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `rule-dlq-${Date.now()}` }));
    const queueUrl = String(QueueUrl);
    // What EventBridge keeps when it cannot publish to the alerts topic: the matched event itself.
    const event = {
      version: '0',
      id: crypto.randomUUID(),
      'detail-type': 'AWS API Call via CloudTrail',
      source: 'aws.iam',
      account: '111122223333',
      time: undelivered.eventTime,
      region: 'us-east-1',
      resources: [],
      detail: undelivered,
    };
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(event) }));
    const before = components.slack.topLevel(CHANNEL).length;

    const result = await run(['redrive', '--queue', queueUrl], {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_ENDPOINT_URL: components.moto.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: components.dynalite.endpoint,
      TABLE_NAME: tableName,
      SLACK_BOT_TOKEN: 'xoxb-redrive',
      SLACK_API_URL: components.slack.url,
      SLACK_CHANNEL: CHANNEL,
    });

    expect(result.code).toBe(0);
    expect(JSON.parse(result.out)).toMatchObject({ delivered: 1, failed: [] });
    const posted = components.slack.topLevel(CHANNEL).slice(before);
    expect(posted.map((message) => message.text).join('\n')).toContain('rule-dlq-role');
  });

  it('needs a queue', async () => {
    const result = await run(['redrive'], {});
    expect(result.code).toBe(2);
    expect(result.err).toBe('iam-changes: --queue URL is required\n');
  });
});
