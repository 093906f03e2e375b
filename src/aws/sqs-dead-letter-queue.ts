import {
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { DeadLetterSink } from '../app/ports';
import type { DeadLetter, DeadLetterQueue } from '../app/redrive';
import { type AwsClientOptions, awsClientConfig } from './client-config';

/** An SQS client with the bot's timeouts and retries, in the bot's region. */
export function createSqsClient(options: AwsClientOptions = {}): SQSClient {
  return new SQSClient(awsClientConfig(options.region, options));
}

/** A dead-letter queue on SQS. Messages stay invisible for `visibilitySeconds` while a redrive handles them. */
export class SqsDeadLetterQueue implements DeadLetterQueue {
  private readonly handles = new Map<string, string>();

  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
    private readonly visibilitySeconds = 120,
  ) {}

  async receive(max: number): Promise<DeadLetter[]> {
    const output = await this.client.send(
      new ReceiveMessageCommand({
        QueueUrl: this.queueUrl,
        MaxNumberOfMessages: Math.max(1, Math.min(10, max)),
        VisibilityTimeout: this.visibilitySeconds,
        WaitTimeSeconds: 1,
      }),
    );
    return (output.Messages ?? []).flatMap((message) => {
      if (!message.MessageId || !message.ReceiptHandle || message.Body === undefined) return [];
      this.handles.set(message.MessageId, message.ReceiptHandle);
      return [{ id: message.MessageId, body: message.Body }];
    });
  }

  async delete(message: DeadLetter): Promise<void> {
    const handle = this.handles.get(message.id);
    if (!handle) return;
    await this.client.send(new DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: handle }));
    this.handles.delete(message.id);
  }
}

/**
 * {@link DeadLetterSink} on the notify dead-letter queue. Each part is sent in the shape of the Lambda on-failure
 * destination records that queue already holds (`requestPayload` the part, `responsePayload` the reason), so
 * `iam-changes redrive` reads both alike.
 */
export class SqsDeadLetterSink implements DeadLetterSink {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async keep(input: unknown, reason: string): Promise<string> {
    const body = {
      version: '1.0',
      timestamp: this.now().toISOString(),
      requestContext: { condition: 'UnreadableInput' },
      requestPayload: input,
      responsePayload: { errorType: 'InputError', errorMessage: reason },
    };
    const output = await this.client.send(
      new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(body) }),
    );
    return output.MessageId ?? '';
  }
}
