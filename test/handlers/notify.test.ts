import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler } from '../../src/handlers/notify';
import { cloudTrailRecord } from '../support/cloudtrail';
import { awsTestEnv } from '../support/moto';
import {
  CHANNEL,
  type Components,
  eventBridgeNotification,
  snsEvent,
  startComponents,
} from '../support/notify-harness';

const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const context = { getRemainingTimeInMillis: () => 60_000 } as Context;

let components: Components;
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
  Object.assign(process.env, {
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

  it('fails on a notification it cannot read, so the on-failure destination keeps it', async () => {
    await expect(handler(snsEvent('{"AlarmName": 1}'), context)).rejects.toThrow(/unrecognised input/);
  });
});
