/**
 * The {@link BotStepStore} on the bot's one table: `BOTSTEP#<account>#<call key>` / `<recorded at>#<random>`, each
 * step matched by at most one CloudTrail event (a conditional update sets `matchedBy`), and gone by TTL after.
 */
import { randomUUID } from 'node:crypto';
import { type DynamoDBDocumentClient, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { BotStep, BotStepStore } from '../app/bot-steps';
import { isConditionFailed } from './dynamo-change-store';
import { TTL_ATTRIBUTE } from './table';

/** {@link BotStepStore} on DynamoDB (dynalite in tests and the local runtime). */
export class DynamoBotStepStore implements BotStepStore {
  constructor(
    private readonly documentClient: DynamoDBDocumentClient,
    private readonly options: { tableName: string },
  ) {}

  async record(step: BotStep, expiresAt: Date): Promise<void> {
    await this.documentClient.send(
      new PutCommand({
        TableName: this.options.tableName,
        Item: {
          pk: `BOTSTEP#${step.accountId}#${step.key}`,
          sk: `${step.at}#${randomUUID()}`,
          at: step.at,
          [TTL_ATTRIBUTE]: Math.ceil(expiresAt.getTime() / 1000),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async consume(
    accountId: string,
    key: string,
    window: { after: Date; before: Date },
    eventId: string,
  ): Promise<boolean> {
    const pk = `BOTSTEP#${accountId}#${key}`;
    const nowSeconds = Math.floor(Date.now() / 1000);
    const { Items = [] } = await this.documentClient.send(
      new QueryCommand({
        TableName: this.options.tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :after AND :before',
        ExpressionAttributeValues: {
          ':pk': pk,
          ':after': window.after.toISOString(),
          ':before': `${window.before.toISOString()}#~`,
        },
        ConsistentRead: true,
      }),
    );
    for (const item of Items) {
      if (item.matchedBy === eventId) return true;
      // TTL deletes lazily: an expired step no longer speaks for the bot.
      if (item.matchedBy !== undefined || Number(item[TTL_ATTRIBUTE]) <= nowSeconds) continue;
      try {
        await this.documentClient.send(
          new UpdateCommand({
            TableName: this.options.tableName,
            Key: { pk, sk: item.sk },
            UpdateExpression: 'SET matchedBy = :eventId',
            ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(matchedBy)',
            ExpressionAttributeValues: { ':eventId': eventId },
          }),
        );
        return true;
      } catch (error: unknown) {
        if (!isConditionFailed(error)) throw error;
      }
    }
    return false;
  }
}
