/**
 * The {@link StatsStore} on the bot's one DynamoDB table: a counter item per UTC day, so `/iam-changes stats 30d`
 * reads 30 small items whatever the number of changes.
 *
 * Items:
 * - day `STATS#<yyyy-mm-dd>` / `DAY`: flat number attributes `total`, `failed`, `level:<level>`,
 *   `actor:<name>`, `client:<client>`, `event:<eventName>`, `principal:<indexed actor key>` (and `uncounted`),
 *   each raised by one `UpdateItem … ADD` per change; attribute names always go through
 *   `ExpressionAttributeNames`, since they hold anything a name can;
 * - coverage `STATS#COVERAGE` / `META`: `firstEventTime`, the earliest event time ever counted.
 *
 * Both carry `expiresAt` (DynamoDB TTL), `retentionDays` after their last update, like every other item.
 */
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  type DynamoDBDocumentClient,
  GetCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { DailyStats, StatsStore } from '../app/query-port';
import { type AssessedChange, RISK_LEVELS, type RiskLevel } from '../domain/types';
import { actorOf, sortableTime } from './dynamo-change-store';
import { retentionSeconds, TTL_ATTRIBUTE } from './table';

const DAY_SECONDS = 86_400;
const DAY_MS = DAY_SECONDS * 1000;
/** BatchGetItem takes at most 100 keys. */
const BATCH_GET_SIZE = 100;
const BATCH_GET_ATTEMPTS = 5;
const BATCH_GET_BACKOFF_MS = 50;
/** The most days one read may cover: a little over the longest retention anyone sets. */
const MAX_READ_DAYS = 4000;
/** Names longer than this are cut in attribute names: a counter name is not the place for a 64 KB name. */
const MAX_NAME_LENGTH = 256;

const COVERAGE_KEY = { pk: 'STATS#COVERAGE', sk: 'META' };

type Item = Record<string, unknown>;

/** A read asked for more days than a stats read may cover. */
export class StatsRangeError extends RangeError {
  override readonly name = 'StatsRangeError';
}

/** BatchGetItem kept returning unprocessed keys (throttling) after every retry. */
export class StatsReadIncompleteError extends Error {
  override readonly name = 'StatsReadIncompleteError';

  constructor(readonly unprocessed: number) {
    super(`${unprocessed} stats day(s) were still unprocessed after ${BATCH_GET_ATTEMPTS} attempts`);
  }
}

/** Where the counters live and how long they are kept. */
export interface DynamoStatsStoreOptions {
  tableName: string;
  /** How long counter items live after their last update (DynamoDB TTL on `expiresAt`); 400 days unless set. */
  retentionDays?: number;
}

function dayKey(day: string): Item {
  return { pk: `STATS#${day}`, sk: 'DAY' };
}

function counterName(prefix: string, name: string): string {
  return `${prefix}:${name.slice(0, MAX_NAME_LENGTH)}`;
}

/** `yyyy-mm-dd` days (UTC) from the day of `start` to the day of the last instant before `end`, oldest first. */
export function statsDays(start: string, end: string): string[] {
  const from = Date.parse(sortableTime(start).slice(0, 10));
  const last = Date.parse(sortableTime(end)) - 1;
  const days: string[] = [];
  for (let day = from; day <= last; day += DAY_MS) {
    if (days.length >= MAX_READ_DAYS) {
      throw new StatsRangeError(`a stats read covers at most ${MAX_READ_DAYS} days`);
    }
    days.push(new Date(day).toISOString().slice(0, 10));
  }
  return days;
}

function emptyDay(day: string): DailyStats {
  return {
    day,
    total: 0,
    failed: 0,
    byLevel: {},
    byActor: {},
    byClient: {},
    byEvent: {},
    byPrincipal: {},
    uncounted: 0,
  };
}

const LEVELS = new Set<string>(RISK_LEVELS);

function toDailyStats(day: string, item: Item | undefined): DailyStats {
  const stats = emptyDay(day);
  if (!item) return stats;
  for (const [name, value] of Object.entries(item)) {
    if (typeof value !== 'number') continue;
    const colon = name.indexOf(':');
    if (colon === -1) {
      if (name === 'total') stats.total = value;
      else if (name === 'failed') stats.failed = value;
      else if (name === 'uncounted') stats.uncounted = value;
      continue;
    }
    const prefix = name.slice(0, colon);
    const key = name.slice(colon + 1);
    switch (prefix) {
      case 'level':
        if (LEVELS.has(key)) stats.byLevel[key as RiskLevel] = value;
        break;
      case 'actor':
        stats.byActor[key] = value;
        break;
      case 'client':
        stats.byClient[key] = value;
        break;
      case 'event':
        stats.byEvent[key] = value;
        break;
      case 'principal':
        stats.byPrincipal[key] = value;
        break;
    }
  }
  return stats;
}

/** True for DynamoDB's refusal of an update that would make the item larger than 400 KB. */
function isItemTooLarge(error: unknown): boolean {
  return error instanceof Error && error.name === 'ValidationException' && /size/i.test(error.message);
}

function isConditionFailed(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * {@link StatsStore} on DynamoDB (see the module comment for the items). One `UpdateItem` per change: DynamoDB
 * applies each atomically, so concurrent invocations count correctly without reading first.
 *
 * A day item holds one attribute per distinct actor, principal and event; a day with thousands of distinct
 * actors could outgrow DynamoDB's 400 KB item, and the change is then counted in `total`, `failed`, its level
 * and client and in `uncounted`, rather than not at all.
 */
export class DynamoStatsStore implements StatsStore {
  private readonly tableName: string;
  private readonly retentionSeconds: number;
  /** The earliest event time this instance knows the coverage item holds (or is later than): saves a write per change. */
  private knownFirst: string | undefined;

  constructor(
    private readonly documentClient: DynamoDBDocumentClient,
    options: DynamoStatsStoreOptions,
  ) {
    this.tableName = options.tableName;
    this.retentionSeconds = retentionSeconds(options.retentionDays);
  }

  /**
   * Counts one change in the day of its event time. Call it exactly once per change, right after the change
   * store claimed it (`claimChange` returned `claimed: true`): a second call counts the change twice.
   */
  async record(change: AssessedChange, now: Date): Promise<void> {
    const eventTime = sortableTime(change.eventTime);
    const day = eventTime.slice(0, 10);
    const full: Record<string, string> = {
      '#total': 'total',
      '#level': counterName('level', change.risk.level),
      '#client': counterName('client', change.actor.client),
      '#actor': counterName('actor', change.actor.name || 'unknown'),
      '#principal': counterName('principal', actorOf(change) || 'unknown'),
      '#event': counterName('event', change.eventName),
    };
    if (change.outcome === 'failed') full['#failed'] = 'failed';
    try {
      await this.add(day, full, now);
    } catch (error: unknown) {
      if (!isItemTooLarge(error)) throw error;
      const { '#actor': _actor, '#principal': _principal, '#event': _event, ...reduced } = full;
      await this.add(day, { ...reduced, '#uncounted': 'uncounted' }, now);
    }
    await this.noteFirst(eventTime, now);
  }

  async read(start: string, end: string): Promise<DailyStats[]> {
    const days = statsDays(start, end);
    const chunks: string[][] = [];
    for (let index = 0; index < days.length; index += BATCH_GET_SIZE) {
      chunks.push(days.slice(index, index + BATCH_GET_SIZE));
    }
    const items = new Map<string, Item>();
    await Promise.all(
      chunks.map(async (chunk) => {
        for (const item of await this.batchGet(chunk.map(dayKey))) {
          items.set(String(item.pk).slice('STATS#'.length), item);
        }
      }),
    );
    return days.map((day) => toDailyStats(day, items.get(day)));
  }

  async firstEventTime(): Promise<string | undefined> {
    const output = await this.documentClient.send(
      new GetCommand({ TableName: this.tableName, Key: COVERAGE_KEY, ConsistentRead: true }),
    );
    const first = output.Item?.firstEventTime;
    return typeof first === 'string' ? first : undefined;
  }

  private expiresAt(now: Date): number {
    return Math.floor(now.getTime() / 1000) + this.retentionSeconds;
  }

  private async add(day: string, counters: Record<string, string>, now: Date): Promise<void> {
    const placeholders = Object.keys(counters);
    await this.documentClient.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: dayKey(day),
        UpdateExpression: `ADD ${placeholders.map((name) => `${name} :one`).join(', ')} SET #expiresAt = :expiresAt, #day = :day`,
        ExpressionAttributeNames: { ...counters, '#expiresAt': TTL_ATTRIBUTE, '#day': 'day' },
        ExpressionAttributeValues: { ':one': 1, ':expiresAt': this.expiresAt(now), ':day': day },
      }),
    );
  }

  /** Moves the coverage item's `firstEventTime` back to `eventTime` when it is earlier (never forward). */
  private async noteFirst(eventTime: string, now: Date): Promise<void> {
    if (this.knownFirst !== undefined && this.knownFirst <= eventTime) return;
    try {
      await this.documentClient.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: COVERAGE_KEY,
          UpdateExpression: 'SET firstEventTime = :time, #expiresAt = :expiresAt',
          // Both sides are Date#toISOString text, which sorts as time does.
          ConditionExpression: 'attribute_not_exists(firstEventTime) OR firstEventTime > :time',
          ExpressionAttributeNames: { '#expiresAt': TTL_ATTRIBUTE },
          ExpressionAttributeValues: { ':time': eventTime, ':expiresAt': this.expiresAt(now) },
        }),
      );
    } catch (error: unknown) {
      // Already as early or earlier: nothing to move.
      if (!isConditionFailed(error)) throw error;
    }
    this.knownFirst = eventTime;
  }

  private async batchGet(keys: Item[]): Promise<Item[]> {
    const found: Item[] = [];
    let pending = keys;
    for (let attempt = 0; attempt < BATCH_GET_ATTEMPTS && pending.length > 0; attempt += 1) {
      if (attempt > 0) await sleep(BATCH_GET_BACKOFF_MS * 2 ** (attempt - 1));
      const output: BatchGetCommandOutput = await this.documentClient.send(
        new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: pending } } }),
      );
      found.push(...(output.Responses?.[this.tableName] ?? []));
      pending = output.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
    }
    if (pending.length > 0) throw new StatsReadIncompleteError(pending.length);
    return found;
  }
}
