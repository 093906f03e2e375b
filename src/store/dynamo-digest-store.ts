/**
 * The {@link DigestStore} on the bot's one table: one item per channel and day, `DIGEST#<channel>` / `<day>`,
 * `claimed` by one invocation (`owner`, until `claimUntil`) and then `posted` with where. Conditional writes
 * only.
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DigestStore } from '../app/digest-service';
import type { SlackRef } from '../app/ports';
import { isConditionFailed } from './dynamo-change-store';
import { retentionSeconds, TTL_ATTRIBUTE } from './table';

function digestKey(channel: string, day: string) {
  return { pk: `DIGEST#${channel}`, sk: day };
}

/** {@link DigestStore} on DynamoDB (dynalite in tests and the local runtime). */
export class DynamoDigestStore implements DigestStore {
  private readonly retentionSeconds: number;

  constructor(
    private readonly documentClient: DynamoDBDocumentClient,
    private readonly options: { tableName: string; retentionDays?: number },
  ) {
    this.retentionSeconds = retentionSeconds(options.retentionDays);
  }

  async claimDigest(
    channel: string,
    day: string,
    owner: string,
    until: Date,
    now: Date,
  ): Promise<'claimed' | 'posted' | 'busy'> {
    try {
      await this.documentClient.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: {
            ...digestKey(channel, day),
            channel,
            day,
            state: 'claimed',
            owner,
            // Date#toISOString text on both sides: sorts as time does.
            claimUntil: until.toISOString(),
            [TTL_ATTRIBUTE]: Math.floor(now.getTime() / 1000) + this.retentionSeconds,
          },
          ConditionExpression:
            'attribute_not_exists(pk) OR (#state = :claimed AND (claimUntil < :now OR #owner = :owner))',
          ExpressionAttributeNames: { '#state': 'state', '#owner': 'owner' },
          ExpressionAttributeValues: { ':claimed': 'claimed', ':now': now.toISOString(), ':owner': owner },
        }),
      );
      return 'claimed';
    } catch (error: unknown) {
      if (!isConditionFailed(error)) throw error;
    }
    const output = await this.documentClient.send(
      new GetCommand({
        TableName: this.options.tableName,
        Key: digestKey(channel, day),
        ConsistentRead: true,
      }),
    );
    return output.Item?.state === 'posted' ? 'posted' : 'busy';
  }

  async finishDigest(channel: string, day: string, owner: string, ref: SlackRef, now: Date): Promise<void> {
    await this.documentClient.send(
      new UpdateCommand({
        TableName: this.options.tableName,
        Key: digestKey(channel, day),
        UpdateExpression: 'SET #state = :posted, slack = :slack, postedAt = :now, postedBy = :owner',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: {
          ':posted': 'posted',
          ':slack': JSON.parse(JSON.stringify(ref)) as SlackRef,
          ':now': now.toISOString(),
          ':owner': owner,
        },
      }),
    );
  }

  /** Expires the claim (an update, not a delete: the notify role writes only with Put and Update). */
  async releaseDigest(channel: string, day: string, owner: string): Promise<void> {
    try {
      await this.documentClient.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: digestKey(channel, day),
          UpdateExpression: 'SET claimUntil = :expired',
          ConditionExpression: '#state = :claimed AND #owner = :owner',
          ExpressionAttributeNames: { '#state': 'state', '#owner': 'owner' },
          ExpressionAttributeValues: {
            ':claimed': 'claimed',
            ':owner': owner,
            ':expired': new Date(0).toISOString(),
          },
        }),
      );
    } catch (error: unknown) {
      if (!isConditionFailed(error)) throw error;
    }
  }
}
