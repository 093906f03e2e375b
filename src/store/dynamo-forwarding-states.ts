/**
 * The {@link ForwardingStateStore} on the bot's one table: one item per member account under the partition
 * `FWDSTATE` (`sk` the account id), read in one query by each run of the check and written only when an account's
 * state changes (twice: untold, then told), with a condition on the version it replaces (`version`, a random
 * token per write). Beside them, `#cursor`: the first account a run cut short did not reach. Items expire with the retention period
 * after their last change; an account whose item expired is looked at afresh (a healthy one silently).
 */
import { randomUUID } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type {
  ForwardingStateStore,
  StoredForwardingState,
  ToldForwardingState,
} from '../app/forwarding-check';
import type { SlackRef } from '../app/ports';
import { type ForwardingHealth, healthKey } from '../domain/forwarding';
import { isConditionFailed } from './dynamo-change-store';
import { plainJson } from './plain-json';
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
          ...(typeof item.claimedAt === 'string' ? { claimedAt: item.claimedAt } : {}),
          ...(item.previous && typeof item.previous === 'object'
            ? { previous: item.previous as ToldForwardingState }
            : {}),
          ...(typeof item.version === 'string' ? { version: item.version } : {}),
        });
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return states;
  }

  async readCursor(): Promise<string | undefined> {
    const { Item } = await this.documentClient.send(
      new GetCommand({ TableName: this.tableName, Key: CURSOR_KEY, ConsistentRead: true }),
    );
    return typeof Item?.accountId === 'string' ? Item.accountId : undefined;
  }

  async writeCursor(accountId: string | undefined, now: Date): Promise<void> {
    await this.documentClient.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...CURSOR_KEY,
          ...(accountId === undefined ? {} : { accountId }),
          updatedAt: now.toISOString(),
          [TTL_ATTRIBUTE]: Math.floor(now.getTime() / 1000) + this.retentionSeconds,
        },
      }),
    );
  }

  async replace(
    state: StoredForwardingState,
    previous: StoredForwardingState | undefined,
    now: Date,
  ): Promise<StoredForwardingState | undefined> {
    const version = randomUUID();
    try {
      await this.documentClient.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: FORWARDING_STATE_PARTITION,
            sk: state.accountId,
            stateKey: healthKey(state.health),
            version,
            // Plain JSON: the document client refuses `undefined` inside a value.
            health: plainJson(state.health),
            since: state.since,
            ...(state.ref ? { ref: plainJson(state.ref) } : {}),
            ...(state.untold ? { untold: true } : {}),
            ...(state.untold && state.claimedAt ? { claimedAt: state.claimedAt } : {}),
            ...(state.untold && state.previous ? { previous: plainJson(state.previous) } : {}),
            updatedAt: now.toISOString(),
            [TTL_ATTRIBUTE]: Math.floor(now.getTime() / 1000) + this.retentionSeconds,
          },
          ...condition(previous),
        }),
      );
      const { version: _, ...rest } = state;
      return { ...rest, version };
    } catch (error: unknown) {
      if (isConditionFailed(error)) return undefined;
      throw error;
    }
  }
}

/**
 * The item holding where the next run starts, in the states' partition (the only one the worker may put items in
 * besides its own): no `health`, so `all()` passes it by.
 */
const CURSOR_KEY = { pk: FORWARDING_STATE_PARTITION, sk: '#cursor' };

/** Only while the item still is `previous`: its version, or (an item written before versions) its state. */
function condition(previous: StoredForwardingState | undefined) {
  if (previous === undefined) return { ConditionExpression: 'attribute_not_exists(pk)' };
  if (previous.version !== undefined)
    return {
      ConditionExpression: 'version = :version',
      ExpressionAttributeValues: { ':version': previous.version },
    };
  return {
    ConditionExpression: 'stateKey = :previous AND attribute_not_exists(version)',
    ExpressionAttributeValues: { ':previous': healthKey(previous.health) },
  };
}
