/**
 * The read side of the mutes on the bot's one table (`MUTE` / `<expires at>#<id>`): what the notify function
 * needs, one query for the mutes not yet expired. Kept apart from {@link DynamoMuteStore}'s writes so the notify
 * bundle carries no call its role is not allowed.
 */
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { MuteStore } from '../app/mute-port';
import type { Mute } from '../domain/mute';

/** The partition every mute is kept under. */
export const MUTE_PARTITION = 'MUTE';

/** The sort key of a mute: soonest to expire first, so "active at now" is one key condition. */
export function muteSortKey(mute: Pick<Mute, 'expiresAt' | 'id'>): string {
  return `${mute.expiresAt}#${mute.id}`;
}

/** Reads the mutes not yet expired (dynalite in tests and the local runtime). */
export class DynamoActiveMutes implements Pick<MuteStore, 'active'> {
  constructor(
    protected readonly documentClient: DynamoDBDocumentClient,
    protected readonly options: { tableName: string },
  ) {}

  async active(now: Date): Promise<Mute[]> {
    const mutes: Mute[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.documentClient.send(
        new QueryCommand({
          TableName: this.options.tableName,
          KeyConditionExpression: 'pk = :pk AND sk > :now',
          ExpressionAttributeValues: { ':pk': MUTE_PARTITION, ':now': now.toISOString() },
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      mutes.push(...(page.Items ?? []).map((item) => JSON.parse(String(item.mute)) as Mute));
      start = page.LastEvaluatedKey;
    } while (start);
    return mutes;
  }
}
