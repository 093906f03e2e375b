/**
 * The last CIS 4.4 audit's result, one item in the bot's table (`CIS#STATUS` / `LATEST`), so the Home tab shows
 * it without running an audit. A later audit replaces it; an older one never does (the write is conditional on
 * the time it ran).
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { CachedCisStatus, CisStatusCache } from '../app/home-service';
import { isConditionFailed } from './dynamo-change-store';
import { retentionSeconds, TTL_ATTRIBUTE } from './table';

const KEY = { pk: 'CIS#STATUS', sk: 'LATEST' } as const;

/** Where the item lives and how long it is kept. */
export interface DynamoCisStatusStoreOptions {
  tableName: string;
  /** How long the item lives after its last write (DynamoDB TTL); 400 days unless set. */
  retentionDays?: number;
}

/** {@link CisStatusCache} on the bot's DynamoDB table. */
export class DynamoCisStatusStore implements CisStatusCache {
  private readonly tableName: string;
  private readonly ttlSeconds: number;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    options: DynamoCisStatusStoreOptions,
  ) {
    this.tableName = options.tableName;
    this.ttlSeconds = retentionSeconds(options.retentionDays);
  }

  async latest(): Promise<CachedCisStatus | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: KEY }));
    if (!Item || typeof Item.checkedAt !== 'string' || typeof Item.report !== 'object') return undefined;
    return { checkedAt: Item.checkedAt, report: Item.report as CachedCisStatus['report'] };
  }

  async save(status: CachedCisStatus): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...KEY,
            checkedAt: status.checkedAt,
            // Plain JSON: the document client rejects `undefined` inside the report.
            report: JSON.parse(JSON.stringify(status.report)),
            [TTL_ATTRIBUTE]: Math.floor(Date.parse(status.checkedAt) / 1000) + this.ttlSeconds,
          },
          ConditionExpression: 'attribute_not_exists(pk) OR checkedAt <= :at',
          ExpressionAttributeValues: { ':at': status.checkedAt },
        }),
      );
    } catch (error: unknown) {
      // A newer audit is already kept: this one has nothing to add.
      if (!isConditionFailed(error)) throw error;
    }
  }
}
