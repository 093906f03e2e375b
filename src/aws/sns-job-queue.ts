/**
 * The jobs topic: the Slack listeners publish slow work here and the `worker` Lambda (subscribed, with a
 * dead-letter queue) runs it. One SNS message per job, its JSON as the body and its kind as a message
 * attribute (for subscription filters and for reading the DLQ).
 */
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Job, JobQueue } from '../app/jobs';
import { type AwsClientOptions, awsClientConfig } from './client-config';

/** A job could not be published; the listener tells the person who asked. */
export class JobPublishError extends Error {
  override name = 'JobPublishError';
}

/** {@link JobQueue} on an SNS topic. The client is built once per cold start and passed in. */
export class SnsJobQueue implements JobQueue {
  constructor(
    private readonly sns: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(job: Job): Promise<void> {
    try {
      await this.sns.send(
        new PublishCommand({
          TopicArn: this.topicArn,
          Message: JSON.stringify(job),
          MessageAttributes: { kind: { DataType: 'String', StringValue: job.kind } },
        }),
      );
    } catch (error: unknown) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new JobPublishError(`could not queue the ${job.kind} job on ${this.topicArn} (${reason})`, {
        cause: error,
      });
    }
  }
}

/** An SNS client of its own in the bot's region, for a process that only publishes jobs. */
export function createSnsClient(options: AwsClientOptions = {}): SNSClient {
  return new SNSClient(awsClientConfig(options.region, options));
}
