import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DeadLetter, DeadLetterQueue } from '../app/redrive';

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
