/**
 * The `byAccount` index backfill: changes stored before the index existed lack its key attributes (`gsi4pk`,
 * `gsi4sk`), so `/iam-changes … in <account>` does not find them. This adds them to each such change, with the
 * same values the change store writes today, one conditional update per item.
 *
 * Safe beside the running bot and safe to run twice, or twice at once: an update only adds the two attributes to
 * an item that still exists, still lacks them and still names the account and the sort key it was read with; it
 * touches no other attribute, so a write made meanwhile (a revert, a mute, a newer copy of the item) is never undone.
 */

import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, ScanCommand, type ScanCommandInput, UpdateCommand } from '@aws-sdk/lib-dynamodb';

/** Where a backfill stopped: DynamoDB's `LastEvaluatedKey`, opaque to the caller. */
export type BackfillPosition = Record<string, unknown>;

/** What a backfill did so far. */
export interface BackfillTally {
  /** Scan pages read. */
  pages: number;
  /** Items the scan read (every kind of item, each counted once per run). */
  scanned: number;
  /** Changes given their `byAccount` keys by this run. */
  indexed: number;
  /** Changes that had their keys by the time of the update (another run, or the bot, wrote them meanwhile). */
  alreadyIndexed: number;
  /** Changes naming no account: outside the index by design (it is sparse), left as they are. */
  withoutAccount: number;
  /** Changes deleted (expired) between the scan and the update: nothing is recreated. */
  gone: number;
}

/** One page done: the tally so far and where to resume (absent when the scan is over). */
export interface BackfillProgress extends BackfillTally {
  resumeFrom?: BackfillPosition;
}

/** How the backfill reads the table. */
export interface BackfillOptions {
  /** Where a previous run stopped (its last printed position); from the start when absent. */
  from?: BackfillPosition;
  /** Items each scan page evaluates (default 500). */
  pageSize?: number;
  /** Called after every page, once its updates are done: the position it gives is safe to resume from. */
  onPage?: (progress: BackfillProgress) => void;
}

const DEFAULT_PAGE_SIZE = 500;
const CHANGE_PREFIX = 'CHANGE#';
const ACCOUNT_ID = /^\d{12}$/;

/** A change item as the scan projects it. */
interface ScannedChange {
  pk: string;
  sk: string;
  gsi1sk?: unknown;
  gsi4pk?: unknown;
  change?: { accountId?: unknown };
}

function isConditionFailed(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/**
 * Adds the `byAccount` index keys to the changes of `tableName` that lack them. Reads the whole table with a
 * paged `Scan` (only change items without the keys come back, projected to what the update needs) and updates
 * each. Throws what DynamoDB throws (the last position passed to `onPage` is where to resume).
 */
export async function backfillAccountIndex(
  client: DynamoDBDocumentClient,
  tableName: string,
  options: BackfillOptions = {},
): Promise<BackfillProgress> {
  const tally: BackfillTally = {
    pages: 0,
    scanned: 0,
    indexed: 0,
    alreadyIndexed: 0,
    withoutAccount: 0,
    gone: 0,
  };
  let startKey = options.from;
  for (;;) {
    const input: ScanCommandInput = {
      TableName: tableName,
      Limit: options.pageSize ?? DEFAULT_PAGE_SIZE,
      FilterExpression: 'begins_with(pk, :change) AND attribute_not_exists(gsi4pk)',
      ProjectionExpression: 'pk, sk, gsi1sk, gsi4pk, #change.accountId',
      ExpressionAttributeNames: { '#change': 'change' },
      ExpressionAttributeValues: { ':change': CHANGE_PREFIX },
      ConsistentRead: true,
      ...(startKey ? { ExclusiveStartKey: startKey } : {}),
    };
    const page = await client.send(new ScanCommand(input));
    tally.pages += 1;
    tally.scanned += page.ScannedCount ?? 0;
    for (const item of (page.Items ?? []) as ScannedChange[]) {
      await backfillItem(client, tableName, item, tally);
    }
    startKey = page.LastEvaluatedKey;
    options.onPage?.({ ...tally, ...(startKey ? { resumeFrom: startKey } : {}) });
    if (!startKey) return { ...tally };
  }
}

async function backfillItem(
  client: DynamoDBDocumentClient,
  tableName: string,
  item: ScannedChange,
  tally: BackfillTally,
): Promise<void> {
  const accountId = item.change?.accountId;
  const sortKey = item.gsi1sk;
  // The store indexes only a 12-digit account and sorts every index by the same `<time>#<eventId>` key.
  if (typeof accountId !== 'string' || !ACCOUNT_ID.test(accountId) || typeof sortKey !== 'string') {
    tally.withoutAccount += 1;
    return;
  }
  try {
    await client.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { pk: item.pk, sk: item.sk },
        UpdateExpression: 'SET gsi4pk = :pk, gsi4sk = :sk',
        ConditionExpression:
          'attribute_exists(pk) AND attribute_not_exists(gsi4pk) AND #change.accountId = :account AND gsi1sk = :sk',
        ExpressionAttributeNames: { '#change': 'change' },
        ExpressionAttributeValues: { ':pk': `ACCOUNT#${accountId}`, ':sk': sortKey, ':account': accountId },
      }),
    );
    tally.indexed += 1;
  } catch (error: unknown) {
    if (!isConditionFailed(error)) throw error;
    // Which condition failed: the item is gone, or it was written again (with its keys) since the scan read it.
    const now = await client.send(
      new GetCommand({
        TableName: tableName,
        Key: { pk: item.pk, sk: item.sk },
        ProjectionExpression: 'pk',
        ConsistentRead: true,
      }),
    );
    if (now.Item) tally.alreadyIndexed += 1;
    else tally.gone += 1;
  }
}

/** A position as one printable word (base64url JSON), so a run can be resumed from what the last one printed. */
export function encodePosition(position: BackfillPosition): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
}

/** The position {@link encodePosition} printed; throws {@link BackfillPositionError} for anything else. */
export function decodePosition(text: string): BackfillPosition {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch (error: unknown) {
    throw new BackfillPositionError(`not a position this command printed: ${text.slice(0, 40)}`, {
      cause: error,
    });
  }
  if (
    typeof value !== 'object' ||
    value === null ||
    Array.isArray(value) ||
    typeof (value as { pk?: unknown }).pk !== 'string' ||
    typeof (value as { sk?: unknown }).sk !== 'string'
  ) {
    throw new BackfillPositionError(`not a position this command printed: ${text.slice(0, 40)}`);
  }
  return value as BackfillPosition;
}

/** A `--resume` value that is not a position the backfill printed. */
export class BackfillPositionError extends Error {
  override name = 'BackfillPositionError';
}
