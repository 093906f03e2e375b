/**
 * CloudWatch Logs adapter of {@link LogSearch}: finds the metric filters behind the CIS 4.4 alarm's metric
 * and the CloudTrail records they counted, so an alarm (which carries no event data) can name its calls.
 */
import {
  type CloudWatchLogsClient,
  DescribeMetricFiltersCommand,
  FilterLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import type { FollowLogSearch } from '../app/alarm-follow';
import type { LogSearch, MetricFilterSource } from '../app/ports';
import type { CloudTrailRecord } from '../domain/input';
import { parseCloudTrailRecordText } from '../domain/input';

/** Limits of {@link CloudWatchLogsSearch}. */
export interface CloudWatchLogsSearchOptions {
  /** `FilterLogEvents` pages read per search before stopping (default 1000). */
  maxPages?: number;
  /** Records kept per search before stopping (default 10,000). */
  maxRecords?: number;
  /** Events asked for per `FilterLogEvents` page (`limit`); the service default (10,000 / 1 MB) when unset. */
  pageSize?: number;
  /** `DescribeMetricFilters` pages read per lookup before stopping (default 100). */
  maxFilterPages?: number;
  /** Told about every search once it ends: wire it to the logger to see truncation and skipped lines. */
  onSearch?: (summary: LogSearchSummary) => void;
}

/** What one search read, besides the records. */
export interface LogSearchSummary {
  logGroupName: string;
  pages: number;
  /** Log events read, records or not. */
  events: number;
  /** Messages that were not a JSON object with `eventName` and `eventSource` (digests, other log lines). */
  skipped: number;
  /** Records dropped because their `eventID` was already seen. */
  duplicates: number;
  /** True when a limit stopped the search before the last page: there may be more records. */
  truncated: boolean;
}

/** The records of one search and what it read. */
export interface LogSearchResult extends LogSearchSummary {
  records: CloudTrailRecord[];
}

const DEFAULT_MAX_PAGES = 1000;
const DEFAULT_MAX_RECORDS = 10_000;
const DEFAULT_MAX_FILTER_PAGES = 100;

/**
 * {@link LogSearch} on CloudWatch Logs.
 *
 * Searches are bounded: at most `maxPages` pages (default 1000) and `maxRecords` records (default 10,000)
 * per search, so a pathological window cannot run the Lambda out of time or memory. A bounded search is
 * reported as `truncated` through {@link CloudWatchLogsSearch.search} and `onSearch`.
 *
 * The filter pattern is evaluated by CloudWatch Logs, not here. Emulators do not all evaluate JSON patterns
 * (moto_server returns every event in the window for a `{ … }` pattern), so callers that depend on the
 * pattern must re-check `eventName`/`eventSource` on the records they get back.
 */
export class CloudWatchLogsSearch implements LogSearch, FollowLogSearch {
  readonly #client: CloudWatchLogsClient;
  readonly #options: CloudWatchLogsSearchOptions;

  constructor(client: CloudWatchLogsClient, options: CloudWatchLogsSearchOptions = {}) {
    this.#client = client;
    this.#options = options;
  }

  /**
   * Metric filters whose transformation feeds `namespace`/`metricName`, across every log group (all pages).
   * Filters without a log group or name are left out: there is nothing to search for them.
   */
  async metricFilters(namespace: string, metricName: string): Promise<MetricFilterSource[]> {
    const maxPages = this.#options.maxFilterPages ?? DEFAULT_MAX_FILTER_PAGES;
    const sources: MetricFilterSource[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < maxPages; page += 1) {
      const response = await this.#client.send(
        new DescribeMetricFiltersCommand({ metricName, metricNamespace: namespace, nextToken }),
      );
      for (const filter of response.metricFilters ?? []) {
        if (!filter.logGroupName || !filter.filterName) continue;
        sources.push({
          logGroupName: filter.logGroupName,
          filterName: filter.filterName,
          filterPattern: filter.filterPattern ?? '',
        });
      }
      if (!response.nextToken || response.nextToken === nextToken) break;
      nextToken = response.nextToken;
    }
    return sources;
  }

  /** Every CloudTrail record the pattern matches in `[start, end]`, deduplicated by `eventID` (bounded, see class). */
  async searchRecords(
    logGroupName: string,
    filterPattern: string,
    start: Date,
    end: Date,
  ): Promise<CloudTrailRecord[]> {
    return (await this.search(logGroupName, filterPattern, start, end)).records;
  }

  /** One `FilterLogEvents` page of the search (times inclusive, in milliseconds). */
  #page(logGroupName: string, filterPattern: string, start: Date, end: Date, nextToken: string | undefined) {
    return this.#client.send(
      new FilterLogEventsCommand({
        logGroupName,
        filterPattern,
        startTime: start.getTime(),
        endTime: end.getTime(),
        limit: this.#options.pageSize,
        nextToken,
      }),
    );
  }

  /**
   * Every CloudTrail record the pattern matches in `[start, end]`, one `FilterLogEvents` page at a time, with no
   * limit on pages or records (the caller bounds the window): the alarm follow-up pages on through a window that
   * holds more than one search keeps. Duplicates by `eventID` within the search are dropped.
   */
  async *pages(
    logGroupName: string,
    filterPattern: string,
    start: Date,
    end: Date,
  ): AsyncGenerator<CloudTrailRecord[]> {
    const seen = new Set<string>();
    let nextToken: string | undefined;
    do {
      const response = await this.#page(logGroupName, filterPattern, start, end, nextToken);
      const records: CloudTrailRecord[] = [];
      for (const event of response.events ?? []) {
        const record = parseCloudTrailRecordText(event.message);
        if (!record) continue;
        if (record.eventID !== undefined) {
          if (seen.has(record.eventID)) continue;
          seen.add(record.eventID);
        }
        records.push(record);
      }
      yield records;
      // FilterLogEvents may return an empty page with a token while it is still searching: follow it.
      nextToken = response.nextToken === nextToken ? undefined : response.nextToken;
    } while (nextToken);
  }

  /**
   * {@link searchRecords} with what the search read: pages, events, skipped lines, duplicates, truncation.
   * Times are inclusive, in milliseconds, as `FilterLogEvents` takes them.
   */
  async search(
    logGroupName: string,
    filterPattern: string,
    start: Date,
    end: Date,
  ): Promise<LogSearchResult> {
    const maxPages = this.#options.maxPages ?? DEFAULT_MAX_PAGES;
    const maxRecords = this.#options.maxRecords ?? DEFAULT_MAX_RECORDS;
    const records: CloudTrailRecord[] = [];
    const seen = new Set<string>();
    const result: LogSearchResult = {
      logGroupName,
      records,
      pages: 0,
      events: 0,
      skipped: 0,
      duplicates: 0,
      truncated: false,
    };

    let nextToken: string | undefined;
    search: while (true) {
      if (result.pages >= maxPages) {
        result.truncated = true;
        break;
      }
      const response = await this.#page(logGroupName, filterPattern, start, end, nextToken);
      result.pages += 1;
      const events = response.events ?? [];
      for (const [index, event] of events.entries()) {
        result.events += 1;
        const record = parseCloudTrailRecordText(event.message);
        if (!record) {
          result.skipped += 1;
          continue;
        }
        if (record.eventID !== undefined) {
          if (seen.has(record.eventID)) {
            result.duplicates += 1;
            continue;
          }
          seen.add(record.eventID);
        }
        records.push(record);
        if (records.length >= maxRecords) {
          result.truncated = index < events.length - 1 || Boolean(response.nextToken);
          break search;
        }
      }
      // FilterLogEvents may return an empty page with a token while it is still searching: follow it.
      if (!response.nextToken || response.nextToken === nextToken) break;
      nextToken = response.nextToken;
    }

    this.#options.onSearch?.({
      logGroupName: result.logGroupName,
      pages: result.pages,
      events: result.events,
      skipped: result.skipped,
      duplicates: result.duplicates,
      truncated: result.truncated,
    });
    return result;
  }
}
