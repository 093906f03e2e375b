/**
 * The single DynamoDB table the bot keeps everything in, as data: tests and the local runtime create it from
 * {@link createTableInput}, and `serverless.yml` declares the same keys and indexes for AWS.
 */
import {
  type AttributeDefinition,
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
  ResourceNotFoundException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';

/** The attribute holding each item's expiry (epoch seconds) for DynamoDB TTL. */
export const TTL_ATTRIBUTE = 'expiresAt';

/** How long items live unless configured otherwise (`RETENTION_DAYS`). */
export const DEFAULT_RETENTION_DAYS = 400;

/** Retention days (default {@link DEFAULT_RETENTION_DAYS}) as seconds; anything but a positive number is refused. */
export function retentionSeconds(retentionDays: number = DEFAULT_RETENTION_DAYS): number {
  if (!Number.isFinite(retentionDays) || retentionDays <= 0) {
    throw new RangeError(`retentionDays must be a positive number of days, got ${retentionDays}`);
  }
  return Math.round(retentionDays * 86_400);
}

/** The index names, as the store queries them. */
export const INDEX_BY_TIME = 'byTime';
export const INDEX_BY_ACTOR = 'byActor';
export const INDEX_BY_RESOURCE = 'byResource';
export const INDEX_BY_ACCOUNT = 'byAccount';

/**
 * A change's `byAccount` index keys, from its account and its `<time>#<eventId>` sort key; none when it names no
 * account (the index is sparse). The one rule for the change store and the index backfill alike.
 */
export function accountIndexKeys(
  accountId: unknown,
  sortKey: string,
): { gsi4pk: string; gsi4sk: string } | undefined {
  return typeof accountId === 'string' && accountId !== ''
    ? { gsi4pk: `ACCOUNT#${accountId}`, gsi4sk: sortKey }
    : undefined;
}

/** Primary key: `pk` (what the item is: `CHANGE#…`, `DOC#…`, `ALARM#…`, `BURST#…`) and `sk`. */
export const TABLE_KEY_SCHEMA: KeySchemaElement[] = [
  { AttributeName: 'pk', KeyType: 'HASH' },
  { AttributeName: 'sk', KeyType: 'RANGE' },
];

/** Every key attribute of the table and its indexes: all strings. */
export const TABLE_ATTRIBUTES: AttributeDefinition[] = [
  'pk',
  'sk',
  'gsi1pk',
  'gsi1sk',
  'gsi2pk',
  'gsi2sk',
  'gsi3pk',
  'gsi3sk',
  'gsi4pk',
  'gsi4sk',
].map((name) => ({ AttributeName: name, AttributeType: 'S' }));

function index(name: string, partitionKey: string, sortKey: string): GlobalSecondaryIndex {
  return {
    IndexName: name,
    KeySchema: [
      { AttributeName: partitionKey, KeyType: 'HASH' },
      { AttributeName: sortKey, KeyType: 'RANGE' },
    ],
    Projection: { ProjectionType: 'ALL' },
  };
}

/**
 * The global secondary indexes, all on changes only (sparse) with every attribute projected:
 * `byTime` (`DAY#<yyyy-mm-dd>`), `byActor` (`ACTOR#<arn or name>`), `byResource` (`RESOURCE#<kind>/<name>`) and
 * `byAccount` (`ACCOUNT#<12-digit id>`: `in <account>` reads only that account's changes), each sorted by
 * `<eventTime>#<eventId>`.
 */
export const TABLE_INDEXES: GlobalSecondaryIndex[] = [
  index(INDEX_BY_TIME, 'gsi1pk', 'gsi1sk'),
  index(INDEX_BY_ACTOR, 'gsi2pk', 'gsi2sk'),
  index(INDEX_BY_RESOURCE, 'gsi3pk', 'gsi3sk'),
  index(INDEX_BY_ACCOUNT, 'gsi4pk', 'gsi4sk'),
];

/** The `CreateTable` request for the table (on-demand capacity). TTL is enabled separately where supported. */
export function createTableInput(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: TABLE_KEY_SCHEMA.map((element) => ({ ...element })),
    AttributeDefinitions: TABLE_ATTRIBUTES.map((attribute) => ({ ...attribute })),
    GlobalSecondaryIndexes: TABLE_INDEXES.map((gsi) => ({
      ...gsi,
      KeySchema: gsi.KeySchema?.map((element) => ({ ...element })),
      Projection: { ...gsi.Projection },
    })),
  };
}

/**
 * Creates the table when it does not exist (the local runtime's embedded store; in AWS the stack creates it).
 * Returns true when it was created now.
 */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<boolean> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return false;
  } catch (error: unknown) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  await createTable(client, tableName);
  return true;
}

/**
 * Creates the table and resolves once DynamoDB says it is `ACTIVE`: until then every read and write of it is refused
 * (`ResourceNotFoundException`), by DynamoDB as by dynalite. `pollSeconds`: the shortest wait between two looks.
 */
export async function createTable(
  client: DynamoDBClient,
  tableName: string,
  pollSeconds = 0.05,
): Promise<void> {
  await client.send(new CreateTableCommand(createTableInput(tableName)));
  await waitUntilTableExists(
    { client, maxWaitTime: 60, minDelay: pollSeconds, maxDelay: Math.max(pollSeconds, 1) },
    { TableName: tableName },
  );
}
