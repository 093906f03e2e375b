/**
 * The {@link MuteStore} on the bot's one table: every mute under `MUTE` / `<expires at>#<id>`, so the active ones
 * are one query from now on, soonest to expire first. Expiry is checked when read (the sort key); the TTL
 * attribute is set too, so a deployed table with TTL enabled removes expired mutes on its own.
 */
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { MuteStore } from '../app/mute-port';
import type { Mute } from '../domain/mute';
import { TTL_ATTRIBUTE } from './table';

const PARTITION = 'MUTE';

/** Kept a day past its expiry, so `/iam-changes mutes` right after could still say what ended. */
const KEEP_AFTER_EXPIRY_SECONDS = 86_400;

function toMute(item: Record<string, unknown>): Mute {
  return JSON.parse(String(item.mute)) as Mute;
}

/** {@link MuteStore} on DynamoDB (dynalite in tests and the local runtime). */
export class DynamoMuteStore implements MuteStore {
  constructor(
    private readonly documentClient: DynamoDBDocumentClient,
    private readonly options: { tableName: string },
  ) {}

  async put(mute: Mute): Promise<void> {
    await this.documentClient.send(
      new PutCommand({
        TableName: this.options.tableName,
        Item: {
          pk: PARTITION,
          sk: `${mute.expiresAt}#${mute.id}`,
          id: mute.id,
          mute: JSON.stringify(mute),
          [TTL_ATTRIBUTE]: Math.ceil(Date.parse(mute.expiresAt) / 1000) + KEEP_AFTER_EXPIRY_SECONDS,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async active(now: Date): Promise<Mute[]> {
    const mutes: Mute[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.documentClient.send(
        new QueryCommand({
          TableName: this.options.tableName,
          KeyConditionExpression: 'pk = :pk AND sk > :now',
          ExpressionAttributeValues: { ':pk': PARTITION, ':now': now.toISOString() },
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      mutes.push(...(page.Items ?? []).map(toMute));
      start = page.LastEvaluatedKey;
    } while (start);
    return mutes;
  }

  async get(id: string): Promise<Mute | undefined> {
    const all = await this.query();
    return all.find((mute) => mute.id === id);
  }

  async remove(id: string): Promise<Mute | undefined> {
    const found = await this.get(id);
    if (!found) return undefined;
    const { Attributes } = await this.documentClient.send(
      new DeleteCommand({
        TableName: this.options.tableName,
        Key: { pk: PARTITION, sk: `${found.expiresAt}#${found.id}` },
        ReturnValues: 'ALL_OLD',
      }),
    );
    return Attributes ? toMute(Attributes) : undefined;
  }

  /** Every mute still in the table, expired or not (few: one team's mutes, each gone a day after it ends). */
  private async query(): Promise<Mute[]> {
    return this.active(new Date(0));
  }
}
