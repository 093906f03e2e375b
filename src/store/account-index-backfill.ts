/**
 * The `byAccount` index backfill: changes stored before the index existed lack its key attributes (`gsi4pk`,
 * `gsi4sk`), so `/iam-changes … in <account>` does not find them. This adds them to each such change, with the
 * same values the change store writes today, one conditional update per item.
 *
 * Safe beside the running bot and safe to run twice, or twice at once: an update only adds the two attributes to
 * an item that still exists, still lacks them and still names the account and the sort key it was read with; it
 * touches no other attribute, so a write made meanwhile (a revert, a mute, a newer copy of the item) is never undone.
 * An item whose account or sort key changed meanwhile is read again and indexed from what it holds now. What is
 * indexed is exactly what the change store indexes ({@link accountIndexKeys}).
 */

import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, ScanCommand, type ScanCommandInput, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { accountIndexKeys } from './table';

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
  /**
   * Changes whose account or time was written again between the scan and the update: read again and updated
   * from what they hold now (and so also counted as indexed, already indexed, without account or gone).
   */
  changedMeanwhile: number;
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
/** Times one change is read again because it kept changing under the update, before it is left to a next run. */
const MAX_REREADS = 3;
/** What the backfill reads of a change: the key, the index keys and the account. */
const PROJECTION = 'pk, sk, gsi1sk, gsi4pk, #change.accountId';

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
    changedMeanwhile: 0,
    withoutAccount: 0,
    gone: 0,
  };
  let startKey = options.from;
  for (;;) {
    const input: ScanCommandInput = {
      TableName: tableName,
      Limit: options.pageSize ?? DEFAULT_PAGE_SIZE,
      FilterExpression: 'begins_with(pk, :change) AND attribute_not_exists(gsi4pk)',
      ProjectionExpression: PROJECTION,
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
  scanned: ScannedChange,
  tally: BackfillTally,
): Promise<void> {
  let item = scanned;
  for (let reread = 0; ; reread += 1) {
    // The keys the change store writes for this change (`gsi1sk` is the `<time>#<eventId>` every index sorts by).
    const sortKey = item.gsi1sk;
    const keys = typeof sortKey === 'string' ? accountIndexKeys(item.change?.accountId, sortKey) : undefined;
    if (!keys) {
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
          ExpressionAttributeValues: {
            ':pk': keys.gsi4pk,
            ':sk': keys.gsi4sk,
            ':account': item.change?.accountId,
          },
        }),
      );
      tally.indexed += 1;
      return;
    } catch (error: unknown) {
      if (!isConditionFailed(error)) throw error;
    }
    // Which condition failed: the item is gone, was given its keys meanwhile, or names another account or time now.
    const now = await client.send(
      new GetCommand({
        TableName: tableName,
        Key: { pk: item.pk, sk: item.sk },
        ProjectionExpression: PROJECTION,
        ExpressionAttributeNames: { '#change': 'change' },
        ConsistentRead: true,
      }),
    );
    const current = now.Item as ScannedChange | undefined;
    if (!current) {
      tally.gone += 1;
      return;
    }
    if (current.gsi4pk !== undefined) {
      tally.alreadyIndexed += 1;
      return;
    }
    if (reread === 0) tally.changedMeanwhile += 1;
    if (reread >= MAX_REREADS) {
      throw new BackfillContentionError(`change ${item.pk} kept changing while it was indexed; run again`);
    }
    item = current;
  }
}

/** A change kept being written under the backfill's update: the run stops (resume from its last position). */
export class BackfillContentionError extends Error {
  override name = 'BackfillContentionError';
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
