/**
 * The {@link AuditLog} on the bot's one DynamoDB table: one item per entry, `AUDIT#<yyyy-mm-dd>` /
 * `<at>#<random>`, with `expiresAt` for TTL like every other item. A day per partition keeps a day's entries
 * together and lets {@link DynamoAuditLog.list} walk back from today without a scan.
 */
import { randomUUID } from 'node:crypto';
import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditEntry, AuditLog } from '../app/audit-port';
import { sortableTime } from './dynamo-change-store';
import { retentionSeconds, TTL_ATTRIBUTE } from './table';

const DAY_SECONDS = 86_400;
const DAY_MS = DAY_SECONDS * 1000;

/** How the audit log is kept. */
export interface DynamoAuditLogOptions {
  tableName: string;
  /** How long entries live (DynamoDB TTL on `expiresAt`); 400 days unless set. */
  retentionDays?: number;
  /** The time `list` walks back from; the system clock unless set (tests pass a fixed one). */
  now?: () => Date;
}

/** A deep copy without `undefined` (which the document client rejects unless told to drop it). */
function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function toEntry(item: Record<string, unknown>): AuditEntry {
  const entry: AuditEntry = {
    at: String(item.at),
    actor: item.actor as AuditEntry['actor'],
    action: item.action as AuditEntry['action'],
    result: String(item.result),
  };
  if (typeof item.eventId === 'string') entry.eventId = item.eventId;
  if (typeof item.target === 'string') entry.target = item.target;
  if (typeof item.reason === 'string') entry.reason = item.reason;
  if (item.details && typeof item.details === 'object') {
    entry.details = item.details as Record<string, unknown>;
  }
  return entry;
}

/** {@link AuditLog} on DynamoDB (dynalite in tests and the local runtime). */
export class DynamoAuditLog implements AuditLog {
  private readonly tableName: string;
  private readonly retentionSeconds: number;
  private readonly now: () => Date;

  constructor(
    private readonly documentClient: DynamoDBDocumentClient,
    options: DynamoAuditLogOptions,
  ) {
    this.tableName = options.tableName;
    this.retentionSeconds = retentionSeconds(options.retentionDays);
    this.now = options.now ?? (() => new Date());
  }

  /** Writes the entry under its day; a random suffix keeps two entries of one millisecond apart. */
  async append(entry: AuditEntry): Promise<void> {
    const at = sortableTime(entry.at);
    await this.documentClient.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: `AUDIT#${at.slice(0, 10)}`,
          sk: `${at}#${randomUUID()}`,
          ...plain(entry),
          [TTL_ATTRIBUTE]: Math.floor(Date.parse(at) / 1000) + this.retentionSeconds,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  /**
   * Entries at or after `since`, newest first, at most `limit`: one query per day from today back to the day of
   * `since` (never further back than the retention).
   */
  async list(since: Date, limit: number): Promise<AuditEntry[]> {
    const found: AuditEntry[] = [];
    if (limit <= 0) return found;
    const from = since.toISOString();
    const today = Date.parse(this.now().toISOString().slice(0, 10));
    const oldest = Math.max(
      Date.parse(from.slice(0, 10)),
      today - (Math.ceil(this.retentionSeconds / DAY_SECONDS) + 1) * DAY_MS,
    );
    for (let day = today; day >= oldest && found.length < limit; day -= DAY_MS) {
      let startKey: Record<string, unknown> | undefined;
      do {
        const output = await this.documentClient.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: 'pk = :pk AND sk >= :from',
            ExpressionAttributeValues: {
              ':pk': `AUDIT#${new Date(day).toISOString().slice(0, 10)}`,
              ':from': from,
            },
            ScanIndexForward: false,
            Limit: limit - found.length,
            ...(startKey ? { ExclusiveStartKey: startKey } : {}),
          }),
        );
        found.push(...(output.Items ?? []).map(toEntry));
        startKey = output.LastEvaluatedKey;
      } while (startKey && found.length < limit);
    }
    return found.slice(0, limit);
  }
}
