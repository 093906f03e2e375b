/**
 * The {@link ExpectationStore} on the bot's one table: every expectation under `EXPECT` / `<ends at>#<id>`, so
 * the ones still relevant are one query. The TTL attribute is set a day past the window's end.
 */
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type ExpectationStore, UNEXPECTED_HORIZON_MS } from '../app/expectation-port';
import type { Expectation } from '../domain/expectation';
import { TTL_ATTRIBUTE } from './table';

const PARTITION = 'EXPECT';

/** {@link ExpectationStore} on DynamoDB (dynalite in tests and the local runtime). */
export class DynamoExpectationStore implements ExpectationStore {
  constructor(
    private readonly documentClient: DynamoDBDocumentClient,
    private readonly options: { tableName: string },
  ) {}

  async put(expectation: Expectation): Promise<void> {
    await this.documentClient.send(
      new PutCommand({
        TableName: this.options.tableName,
        Item: itemOf(expectation),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async replace(previous: Expectation, next: Expectation): Promise<void> {
    if (next.id !== previous.id) throw new Error('an expectation is replaced only by itself');
    if (sortKey(next) === sortKey(previous)) {
      await this.documentClient.send(
        new PutCommand({ TableName: this.options.tableName, Item: itemOf(next) }),
      );
      return;
    }
    await this.put(next);
    await this.documentClient.send(
      new DeleteCommand({
        TableName: this.options.tableName,
        Key: { pk: PARTITION, sk: sortKey(previous) },
      }),
    );
  }

  async endingAfter(since: Date): Promise<Expectation[]> {
    const found: Expectation[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.documentClient.send(
        new QueryCommand({
          TableName: this.options.tableName,
          KeyConditionExpression: 'pk = :pk AND sk > :since',
          ExpressionAttributeValues: { ':pk': PARTITION, ':since': since.toISOString() },
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      found.push(...(page.Items ?? []).map((item) => JSON.parse(String(item.expectation)) as Expectation));
      start = page.LastEvaluatedKey;
    } while (start);
    return found;
  }
}

function sortKey(expectation: Expectation): string {
  return `${expectation.endsAt}#${expectation.id}`;
}

function itemOf(expectation: Expectation): Record<string, unknown> {
  return {
    pk: PARTITION,
    sk: sortKey(expectation),
    expectation: JSON.stringify(expectation),
    [TTL_ATTRIBUTE]: Math.ceil((Date.parse(expectation.endsAt) + UNEXPECTED_HORIZON_MS) / 1000),
  };
}
