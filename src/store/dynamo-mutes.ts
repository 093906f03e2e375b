/**
 * The {@link MuteStore} on the bot's one table: every mute under `MUTE` / `<expires at>#<id>`, so the active ones
 * are one query from now on, soonest to expire first. Expiry is checked when read (the sort key); the TTL
 * attribute is set too, so a deployed table with TTL enabled removes expired mutes on its own. Only the Slack
 * function writes them.
 */
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { MuteStore } from '../app/mute-port';
import type { Mute } from '../domain/mute';
import { DynamoActiveMutes, MUTE_PARTITION, muteSortKey } from './dynamo-active-mutes';
import { TTL_ATTRIBUTE } from './table';

/** Kept a day past its expiry, then the table's TTL may remove it. */
const KEEP_AFTER_EXPIRY_SECONDS = 86_400;

/** {@link MuteStore} on DynamoDB (dynalite in tests and the local runtime). */
export class DynamoMuteStore extends DynamoActiveMutes implements MuteStore {
  async put(mute: Mute): Promise<void> {
    await this.documentClient.send(
      new PutCommand({
        TableName: this.options.tableName,
        Item: {
          pk: MUTE_PARTITION,
          sk: muteSortKey(mute),
          id: mute.id,
          mute: JSON.stringify(mute),
          [TTL_ATTRIBUTE]: Math.ceil(Date.parse(mute.expiresAt) / 1000) + KEEP_AFTER_EXPIRY_SECONDS,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async get(id: string): Promise<Mute | undefined> {
    // Every mute still in the table, expired or not: few (one team's, each gone a day after it ends).
    return (await this.active(new Date(0))).find((mute) => mute.id === id);
  }

  async remove(id: string): Promise<Mute | undefined> {
    const found = await this.get(id);
    if (!found) return undefined;
    const { Attributes } = await this.documentClient.send(
      new DeleteCommand({
        TableName: this.options.tableName,
        Key: { pk: MUTE_PARTITION, sk: muteSortKey(found) },
        ReturnValues: 'ALL_OLD',
      }),
    );
    return Attributes ? (JSON.parse(String(Attributes.mute)) as Mute) : undefined;
  }
}
