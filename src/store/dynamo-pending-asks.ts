/**
 * The "was this you?" asks still waiting for an answer, on the bot's one table (`ASKWAIT` / `<asked at>#<event id>`):
 * the scheduled sweep finds the ones asked before a cut-off in one query, oldest first, so a run with nothing due
 * reads nothing else. Written by the worker when it asks; removed by the sweep once the ask is answered, noted as
 * unanswered, or its change is gone. The TTL attribute keeps a forgotten entry from living on.
 */
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { PendingAsk, PendingAsks } from '../app/ask-actor-service';
import { TTL_ATTRIBUTE } from './table';

/** The partition every waiting ask is kept under. */
export const PENDING_ASK_PARTITION = 'ASKWAIT';

/** Longer than the longest configurable wait (7 days) plus a day: then the table's TTL may remove the entry. */
const KEEP_SECONDS = 8 * 86_400;

/** '$' sorts right after '#': `<cut-off>$` is above every key asked at the cut-off itself. */
const AFTER_SEPARATOR = '$';

/** {@link PendingAsks} on DynamoDB (dynalite in tests and the local runtime). */
export class DynamoPendingAsks implements PendingAsks {
  constructor(
    private readonly documentClient: DynamoDBDocumentClient,
    private readonly options: { tableName: string },
  ) {}

  async add(ask: PendingAsk): Promise<void> {
    await this.documentClient.send(
      new PutCommand({
        TableName: this.options.tableName,
        Item: {
          pk: PENDING_ASK_PARTITION,
          sk: sortKey(ask),
          eventId: ask.eventId,
          at: ask.at,
          [TTL_ATTRIBUTE]: Math.ceil(Date.parse(ask.at) / 1000) + KEEP_SECONDS,
        },
      }),
    );
  }

  async askedBefore(cutoff: Date, limit: number): Promise<PendingAsk[]> {
    const page = await this.documentClient.send(
      new QueryCommand({
        TableName: this.options.tableName,
        KeyConditionExpression: 'pk = :pk AND sk < :cutoff',
        ExpressionAttributeValues: {
          ':pk': PENDING_ASK_PARTITION,
          ':cutoff': `${cutoff.toISOString()}${AFTER_SEPARATOR}`,
        },
        Limit: limit,
      }),
    );
    return (page.Items ?? []).map((item) => ({ eventId: String(item.eventId), at: String(item.at) }));
  }

  async remove(ask: PendingAsk): Promise<void> {
    await this.documentClient.send(
      new DeleteCommand({
        TableName: this.options.tableName,
        Key: { pk: PENDING_ASK_PARTITION, sk: sortKey(ask) },
      }),
    );
  }
}

function sortKey(ask: PendingAsk): string {
  return `${ask.at}#${ask.eventId}`;
}
