/**
 * CloudTrail `LookupEvents` adapter of {@link TrailHistory}: the fallback that finds the IAM calls behind
 * an alarm when the CloudTrail log group cannot be searched, and the 90-day history of one resource that
 * the before-state resolver reads.
 */
import { CloudTrailClient, type LookupAttribute, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import type { TrailHistory } from '../app/ports';
import { IAM_EVENT_SOURCE } from '../domain/events';
import type { CloudTrailRecord } from '../domain/input';
import { parseCloudTrailRecordText } from '../domain/input';
import { type AwsClientOptions, awsClientConfig, IAM_EVENTS_REGION } from './client-config';
import { createPacer, type Pacer } from './pacer';

/** How {@link CloudTrailHistory} paces and bounds its lookups. */
export interface CloudTrailHistoryOptions {
  /** Requests per second across every lookup of this instance (default 2, the `LookupEvents` quota). */
  requestsPerSecond?: number;
  /** Sleep used by the pacer; a fake in tests. */
  sleep?: (ms: number) => Promise<void>;
  /** Clock used by the pacer; a fake in tests. */
  now?: () => number;
  /** Pages (of 50 events) read per lookup before stopping (default 100: 5,000 events, about 50 s at 2/s). */
  maxPages?: number;
  /**
   * A pacer to share with other `LookupEvents` callers in the process; when set, `requestsPerSecond`,
   * `sleep` and `now` are not used.
   */
  pacer?: Pacer;
  /** Told about every lookup once it ends: wire it to the logger to see truncation and skipped events. */
  onLookup?: (summary: TrailLookupSummary) => void;
}

/** What one lookup read, besides the records. */
export interface TrailLookupSummary {
  attribute: LookupAttribute;
  pages: number;
  /** Events returned by CloudTrail. */
  events: number;
  /** Events whose `CloudTrailEvent` was missing or not a JSON CloudTrail record. */
  skipped: number;
  /** Records dropped because their `eventID` was already seen. */
  duplicates: number;
  /** True when `maxPages` stopped the lookup before the last page: there may be more events. */
  truncated: boolean;
}

/** The records of one lookup and what it read. */
export interface TrailLookupResult extends TrailLookupSummary {
  records: CloudTrailRecord[];
}

/** `LookupEvents` returns at most 50 events a page. */
export const LOOKUP_EVENTS_PAGE_SIZE = 50;
const DEFAULT_REQUESTS_PER_SECOND = 2;
const DEFAULT_MAX_PAGES = 100;

/**
 * {@link TrailHistory} on CloudTrail `LookupEvents`.
 *
 * Every request of every lookup of one instance waits its turn on one pacer (2 requests per second by
 * default), because the quota is per account and region, not per call: build the instance once per process
 * (its client must be in us-east-1, where IAM events are) and share it. Throttling that still happens is
 * retried by the SDK's standard retry. Lookups are bounded by `maxPages`; see {@link CloudTrailHistory.lookup}.
 */
export class CloudTrailHistory implements TrailHistory {
  readonly #client: CloudTrailClient;
  readonly #pacer: Pacer;
  readonly #maxPages: number;
  readonly #onLookup: ((summary: TrailLookupSummary) => void) | undefined;

  constructor(client: CloudTrailClient, options: CloudTrailHistoryOptions = {}) {
    this.#client = client;
    this.#pacer =
      options.pacer ??
      createPacer(options.requestsPerSecond ?? DEFAULT_REQUESTS_PER_SECOND, {
        sleep: options.sleep,
        now: options.now,
      });
    this.#maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
    this.#onLookup = options.onLookup;
  }

  /**
   * IAM events in `[start, end]` whose name is one of `eventNames`, deduplicated by `eventID`. Looked up by
   * `EventSource = iam.amazonaws.com`, and the source is checked again on each record, because AWS
   * Organizations emits `CreatePolicy` and friends too.
   */
  async iamEvents(start: Date, end: Date, eventNames: readonly string[]): Promise<CloudTrailRecord[]> {
    const wanted = new Set(eventNames);
    const { records } = await this.lookup(
      { AttributeKey: 'EventSource', AttributeValue: IAM_EVENT_SOURCE },
      start,
      end,
    );
    return records.filter(
      (record) => record.eventSource === IAM_EVENT_SOURCE && wanted.has(record.eventName),
    );
  }

  /**
   * Every event in `[start, end]` that names `resourceName` (a role, user or group name, or a policy ARN),
   * deduplicated by `eventID`: the history the before-state resolver reads a previous document from.
   */
  async resourceEvents(resourceName: string, start: Date, end: Date): Promise<CloudTrailRecord[]> {
    const { records } = await this.lookup(
      { AttributeKey: 'ResourceName', AttributeValue: resourceName },
      start,
      end,
    );
    return records;
  }

  /**
   * The record of one event by its id (`LookupEvents` with `EventId`) between `start` and `end`, or `undefined`
   * when this account's event history does not hold it (yet: CloudTrail can lag minutes behind EventBridge).
   */
  async eventById(eventId: string, start: Date, end: Date): Promise<CloudTrailRecord | undefined> {
    const { records } = await this.lookup({ AttributeKey: 'EventId', AttributeValue: eventId }, start, end);
    return records.find((record) => record.eventID === eventId);
  }

  /**
   * One paced `LookupEvents` walk: 50 events a page, all pages by `NextToken` up to `maxPages`, each
   * `CloudTrailEvent` parsed into a record, duplicates (by `eventID`) dropped. CloudTrail returns newest
   * first; the order is kept.
   */
  async lookup(attribute: LookupAttribute, start: Date, end: Date): Promise<TrailLookupResult> {
    const records: CloudTrailRecord[] = [];
    const seen = new Set<string>();
    const result: TrailLookupResult = {
      attribute,
      records,
      pages: 0,
      events: 0,
      skipped: 0,
      duplicates: 0,
      truncated: false,
    };

    let nextToken: string | undefined;
    while (true) {
      if (result.pages >= this.#maxPages) {
        result.truncated = true;
        break;
      }
      await this.#pacer.acquire();
      const response = await this.#client.send(
        new LookupEventsCommand({
          LookupAttributes: [attribute],
          StartTime: start,
          EndTime: end,
          MaxResults: LOOKUP_EVENTS_PAGE_SIZE,
          NextToken: nextToken,
        }),
      );
      result.pages += 1;
      for (const event of response.Events ?? []) {
        result.events += 1;
        const record = parseCloudTrailRecordText(event.CloudTrailEvent);
        if (!record) {
          result.skipped += 1;
          continue;
        }
        const id = record.eventID ?? event.EventId;
        if (id !== undefined) {
          if (seen.has(id)) {
            result.duplicates += 1;
            continue;
          }
          seen.add(id);
        }
        records.push(record);
      }
      if (!response.NextToken || response.NextToken === nextToken) break;
      nextToken = response.NextToken;
    }

    this.#onLookup?.({
      attribute: result.attribute,
      pages: result.pages,
      events: result.events,
      skipped: result.skipped,
      duplicates: result.duplicates,
      truncated: result.truncated,
    });
    return result;
  }
}

/**
 * A {@link CloudTrailHistory} on a client of its own in {@link AwsClientOptions.cloudTrailRegion} (us-east-1
 * unless set: where IAM events are), for a process that builds it once and shares it.
 */
export function createCloudTrailHistory(options: AwsClientOptions = {}): CloudTrailHistory {
  return new CloudTrailHistory(
    new CloudTrailClient(awsClientConfig(options.cloudTrailRegion ?? IAM_EVENTS_REGION, options)),
  );
}
