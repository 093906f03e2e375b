/**
 * What the Slack function needs on moto before its handler runs: its signing secret in SSM, and a jobs topic whose
 * publishes a test reads back through a subscribed SQS queue (raw delivery: each message is the job's JSON).
 */

import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { awsTestEnv } from './moto';

/** The jobs topic and the queue tapping it; `sqs` is the test's to destroy. */
export interface TappedJobsTopic {
  topicArn: string;
  sqs: SQSClient;
  queueUrl: string;
}

/**
 * Stores `secret` as `/iam-changes/<stage>/slack-signing-secret` and creates `iam-changes-jobs-<stage>` tapped by
 * the queue `queueName`.
 */
export async function slackFunctionAws(
  endpoint: string,
  options: { stage: string; secret: string; queueName: string },
): Promise<TappedJobsTopic> {
  const aws = awsTestEnv(endpoint);
  const ssm = new SSMClient(aws);
  await ssm.send(
    new PutParameterCommand({
      Name: `/iam-changes/${options.stage}/slack-signing-secret`,
      Type: 'SecureString',
      Value: options.secret,
    }),
  );
  ssm.destroy();
  const sns = new SNSClient(aws);
  const topic = await sns.send(new CreateTopicCommand({ Name: `iam-changes-jobs-${options.stage}` }));
  const sqs = new SQSClient(aws);
  const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: options.queueName }))).QueueUrl ?? '';
  const attributes = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  await sns.send(
    new SubscribeCommand({
      TopicArn: topic.TopicArn,
      Protocol: 'sqs',
      Endpoint: attributes.Attributes?.QueueArn,
      Attributes: { RawMessageDelivery: 'true' },
    }),
  );
  sns.destroy();
  return { topicArn: topic.TopicArn ?? '', sqs, queueUrl };
}
