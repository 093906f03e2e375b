/**
 * The {@link ForwardingStateStore} on the bot's one table: one item per member account under the partition
 * `FWDSTATE` (`sk` the account id), read in one query by each run of the check and written only when an account's
 * state changes, with a condition on the state it replaces (`stateKey`). Items expire with the retention period
 * after their last change; an account whose item expired is looked at afresh (a healthy one silently).
 */
import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { ForwardingStateStore, StoredForwardingState } from '../app/forwarding-check';
import type { SlackRef } from '../app/ports';
import { type ForwardingHealth, healthKey } from '../domain/forwarding';
import { isConditionFailed } from './dynamo-change-store';
import { retentionSeconds, TTL_ATTRIBUTE } from './table';

/** The partition key of every state item. */
export const FORWARDING_STATE_PARTITION = 'FWDSTATE';

/** {@link ForwardingStateStore} on DynamoDB (dynalite in tests and the local runtime). */
export class DynamoForwardingStateStore implements ForwardingStateStore {
  private readonly retentionSeconds: number;
  private readonly tableName: string;

  constructor(
    private readonly documentClient: DynamoDBDocumentClient,
    options: { tableName: string; retentionDays?: number },
  ) {
    this.tableName = options.tableName;
    this.retentionSeconds = retentionSeconds(options.retentionDays);
  }

  async all(): Promise<StoredForwardingState[]> {
    const states: StoredForwardingState[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.documentClient.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': FORWARDING_STATE_PARTITION },
          ExclusiveStartKey: startKey,
          ConsistentRead: true,
        }),
      );
      for (const item of page.Items ?? []) {
        if (typeof item.sk !== 'string' || typeof item.health !== 'object' || item.health === null) continue;
        states.push({
          accountId: item.sk,
          health: item.health as ForwardingHealth,
          since: String(item.since ?? ''),
          ...(item.ref ? { ref: item.ref as SlackRef } : {}),
          ...(item.untold === true ? { untold: true } : {}),
        });
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return states;
  }

  async replace(state: StoredForwardingState, previousKey: string | undefined, now: Date): Promise<boolean> {
    try {
      await this.documentClient.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: FORWARDING_STATE_PARTITION,
            sk: state.accountId,
            stateKey: healthKey(state.health),
            // Plain JSON: the document client refuses `undefined` inside a value.
            health: JSON.parse(JSON.stringify(state.health)) as ForwardingHealth,
            since: state.since,
            ...(state.ref ? { ref: JSON.parse(JSON.stringify(state.ref)) as SlackRef } : {}),
            ...(state.untold ? { untold: true } : {}),
            updatedAt: now.toISOString(),
            [TTL_ATTRIBUTE]: Math.floor(now.getTime() / 1000) + this.retentionSeconds,
          },
          ...(previousKey === undefined
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: 'stateKey = :previous',
                ExpressionAttributeValues: { ':previous': previousKey },
              }),
        }),
      );
      return true;
    } catch (error: unknown) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }
}
