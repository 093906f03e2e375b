/**
 * The {@link JobProofStore} on the bot's one table: one item per verified Slack request, `JOBPROOF#<digest of its
 * signature>` / `CLAIM`, holding the delivery (SNS message id) that claimed it and an expiry past which the
 * signature is too old to verify anyway.
 */
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { JobProofStore } from '../app/job-verification';
import { isConditionFailed } from './dynamo-change-store';
import { TTL_ATTRIBUTE } from './table';

/** {@link JobProofStore} on DynamoDB (dynalite in tests and the local runtime). */
export class DynamoJobProofStore implements JobProofStore {
  constructor(
    private readonly documentClient: DynamoDBDocumentClient,
    private readonly options: { tableName: string },
  ) {}

  async claim(requestId: string, deliveryId: string, expiresAt: Date): Promise<boolean> {
    try {
      await this.documentClient.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: {
            pk: `JOBPROOF#${requestId}`,
            sk: 'CLAIM',
            deliveryId,
            [TTL_ATTRIBUTE]: Math.ceil(expiresAt.getTime() / 1000),
          },
          // TTL deletes lazily: an expired claim still blocks, which is what a replay window wants.
          ConditionExpression: 'attribute_not_exists(pk) OR deliveryId = :delivery',
          ExpressionAttributeValues: { ':delivery': deliveryId },
        }),
      );
      return true;
    } catch (error: unknown) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }
}
