/**
 * The {@link AlarmCursorStore} on the bot's one table: `ALARMCURSOR` / `<alarm name>`, one item per alarm, the
 * cursor as attributes and `version` bumped by every write (each conditional on the version read). All cursors
 * share one partition, so a scheduled run reads every open one with a single query.
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { AlarmCursorStore } from '../app/alarm-follow';
import type { AlarmCursor } from '../domain/alarm-cursor';
import { isConditionFailed } from './dynamo-change-store';
import { retentionSeconds, TTL_ATTRIBUTE } from './table';

/** The partition of every alarm cursor. */
export const ALARM_CURSOR_PARTITION = 'ALARMCURSOR';

/** Pages of cursors one run reads at most (a page holds hundreds: there is one cursor per alarm). */
const MAX_PAGES = 10;

function toCursor(item: Record<string, unknown>): AlarmCursor {
  const stored = item as unknown as AlarmCursor;
  const cursor: AlarmCursor = {
    alarmName: stored.alarmName,
    openedAt: stored.openedAt,
    sources: stored.sources ?? [],
    searchedUntil: stored.searchedUntil,
    boundary: stored.boundary ?? [],
    state: stored.state,
    version: Number(stored.version),
  };
  if (stored.closeAt !== undefined) cursor.closeAt = stored.closeAt;
  return cursor;
}

/** {@link AlarmCursorStore} on DynamoDB (dynalite in tests and the local runtime). */
export class DynamoAlarmCursorStore implements AlarmCursorStore {
  private readonly retentionSeconds: number;

  constructor(
    private readonly documentClient: DynamoDBDocumentClient,
    private readonly options: { tableName: string; retentionDays?: number },
  ) {
    this.retentionSeconds = retentionSeconds(options.retentionDays);
  }

  async activeCursors(): Promise<AlarmCursor[]> {
    const cursors: AlarmCursor[] = [];
    let startKey: Record<string, unknown> | undefined;
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const output = await this.documentClient.send(
        new QueryCommand({
          TableName: this.options.tableName,
          KeyConditionExpression: 'pk = :pk',
          FilterExpression: '#state <> :closed',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':pk': ALARM_CURSOR_PARTITION, ':closed': 'closed' },
          ConsistentRead: true,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      cursors.push(...(output.Items ?? []).map(toCursor));
      startKey = output.LastEvaluatedKey;
      if (!startKey) break;
    }
    return cursors;
  }

  async getCursor(alarmName: string): Promise<AlarmCursor | undefined> {
    const output = await this.documentClient.send(
      new GetCommand({
        TableName: this.options.tableName,
        Key: { pk: ALARM_CURSOR_PARTITION, sk: alarmName },
        ConsistentRead: true,
      }),
    );
    return output.Item ? toCursor(output.Item) : undefined;
  }

  async saveCursor(cursor: AlarmCursor, expectedVersion: number | undefined): Promise<boolean> {
    const item: Record<string, unknown> = {
      pk: ALARM_CURSOR_PARTITION,
      sk: cursor.alarmName,
      ...JSON.parse(JSON.stringify(cursor)),
      [TTL_ATTRIBUTE]: Math.floor(Date.parse(cursor.searchedUntil) / 1000) + this.retentionSeconds,
    };
    try {
      await this.documentClient.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: item,
          ...(expectedVersion === undefined
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: '#version = :expected',
                ExpressionAttributeNames: { '#version': 'version' },
                ExpressionAttributeValues: { ':expected': expectedVersion },
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
