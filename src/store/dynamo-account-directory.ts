/**
 * The account directory's cached copy on the bot's one table, under the partition `ACCOUNTS#`: the accounts in
 * parts of at most {@link ACCOUNTS_PER_PART} (`PART#0000`, …; an item holds at most 400 KB, an organisation may
 * have thousands of accounts), and `META` naming the snapshot's time and how many parts it has. The parts are
 * written before `META`, so a reader never takes a half-written snapshot's parts for a whole one; parts past the
 * count are left from a larger snapshot and ignored.
 */
import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { AccountDirectoryStore } from '../app/account-directory';
import type { AccountDirectorySnapshot, AccountFacts } from '../domain/accounts';

/** The partition key of every item of the cached directory. */
export const ACCOUNTS_PARTITION = 'ACCOUNTS#';
/** Accounts in one item: about 150 bytes each, far below DynamoDB's 400 KB. */
export const ACCOUNTS_PER_PART = 1000;

const partKey = (index: number) => `PART#${String(index).padStart(4, '0')}`;

/** {@link AccountDirectoryStore} on DynamoDB (dynalite in tests and the local runtime). */
export class DynamoAccountDirectoryStore implements AccountDirectoryStore {
  constructor(
    private readonly documentClient: DynamoDBDocumentClient,
    private readonly options: { tableName: string },
  ) {}

  async read(): Promise<AccountDirectorySnapshot | undefined> {
    const items: Array<Record<string, unknown>> = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.documentClient.send(
        new QueryCommand({
          TableName: this.options.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': ACCOUNTS_PARTITION },
          ExclusiveStartKey: startKey,
          ConsistentRead: true,
        }),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    const meta = items.find((item) => item.sk === 'META');
    if (!meta || typeof meta.fetchedAt !== 'string' || typeof meta.parts !== 'number') return undefined;
    const wanted = new Set(Array.from({ length: meta.parts }, (_, index) => partKey(index)));
    const accounts = items
      .filter((item) => typeof item.sk === 'string' && wanted.has(item.sk))
      .sort((a, b) => String(a.sk).localeCompare(String(b.sk)))
      .flatMap((item) => (Array.isArray(item.accounts) ? (item.accounts as AccountFacts[]) : []));
    return { accounts, fetchedAt: meta.fetchedAt };
  }

  async write(snapshot: AccountDirectorySnapshot): Promise<void> {
    const parts: AccountFacts[][] = [];
    for (let start = 0; start < snapshot.accounts.length; start += ACCOUNTS_PER_PART) {
      parts.push(snapshot.accounts.slice(start, start + ACCOUNTS_PER_PART));
    }
    for (const [index, accounts] of parts.entries()) {
      await this.put({ sk: partKey(index), accounts, fetchedAt: snapshot.fetchedAt });
    }
    await this.put({ sk: 'META', parts: parts.length, fetchedAt: snapshot.fetchedAt });
  }

  private async put(item: Record<string, unknown>): Promise<void> {
    await this.documentClient.send(
      new PutCommand({ TableName: this.options.tableName, Item: { pk: ACCOUNTS_PARTITION, ...item } }),
    );
  }
}
