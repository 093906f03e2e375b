/** SnsJobQueue on moto_server: a published job arrives on a subscribed SQS queue exactly as parseJob reads it. */
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Job, parseJob } from '../../src/app/jobs';
import { JobPublishError, SnsJobQueue } from '../../src/aws/sns-job-queue';
import { awsTestEnv, type MotoServer, startMoto } from '../support/moto';

let moto: MotoServer;
let sns: SNSClient;
let sqs: SQSClient;

beforeAll(async () => {
  moto = await startMoto();
  sns = new SNSClient(awsTestEnv(moto.endpoint));
  sqs = new SQSClient(awsTestEnv(moto.endpoint));
});

afterAll(async () => {
  sns?.destroy();
  sqs?.destroy();
  await moto?.stop();
});

describe('SnsJobQueue', () => {
  it('publishes the job as JSON with its kind as a message attribute', async () => {
    const topic = await sns.send(new CreateTopicCommand({ Name: 'jobs' }));
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'jobs-tap' }))).QueueUrl ?? '';
    const queueArn = (
      await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))
    ).Attributes?.QueueArn;
    await sns.send(new SubscribeCommand({ TopicArn: topic.TopicArn, Protocol: 'sqs', Endpoint: queueArn }));
    const job: Job = {
      kind: 'revert',
      eventId: 'e-1',
      by: { slackUserId: 'U0ALICE', name: 'alice' },
      reason: 'not approved',
      alert: { channel: 'C1', ts: '1.1' },
    };

    await new SnsJobQueue(sns, topic.TopicArn ?? '').publish(job);

    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1 }));
    const envelope = JSON.parse(received.Messages?.[0]?.Body ?? '{}') as {
      Message: string;
      MessageAttributes: Record<string, { Value: string }>;
    };
    expect(parseJob(envelope.Message)).toEqual(job);
    expect(envelope.MessageAttributes.kind?.Value).toBe('revert');
  });

  it('says which topic it could not publish to', async () => {
    const queue = new SnsJobQueue(sns, 'arn:aws:sns:us-east-1:123456789012:no-such-topic');
    const failure = await queue
      .publish({ kind: 'status', responseUrl: 'u', by: { slackUserId: 'U1', name: 'x' }, channelId: 'C1' })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(JobPublishError);
    expect((failure as Error).message).toContain(
      'could not queue the status job on arn:aws:sns:us-east-1:123456789012:no-such-topic',
    );
  });
});
