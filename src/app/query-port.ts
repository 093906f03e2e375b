/**
 * The ports `/iam-changes` queries need besides {@link ChangeQueries} (the change store's indexes): daily
 * statistics and CloudTrail history read page by page. Implementations: `src/store/dynamo-stats.ts` and
 * `src/aws/cloudtrail-history.ts` (`CloudTrailHistory` fits {@link HistoryLookup} as it is).
 */
import type { CloudTrailRecord } from '../domain/input';
import type { AssessedChange, RiskLevel } from '../domain/types';
import type { PolicyReadMemo } from './policy-documents';
import type { RespondedChange } from './revert-port';

/**
 * Read-only questions `/iam-changes` and the Home tab ask of the change store's indexes (`DynamoChangeStore` implements them):
 * times are ISO 8601, ranges are `[start, end)`, at most `limit` changes, newest first. Throws on storage failure.
 */
export interface ChangeQueries {
  /** Changes whose event time is in the range, across day partitions of the `byTime` index. */
  changesBetween(start: string, end: string, limit: number): Promise<RespondedChange[]>;
  /** Changes by one actor: its ARN, or its name when CloudTrail gave no ARN (the store's `actorOf`). */
  changesByActor(actor: string, start: string, end: string, limit: number): Promise<RespondedChange[]>;
  /** Changes on one resource, named as the domain's `resourceOf` names it (`role/ci-runner`). */
  changesOnResource(resource: string, start: string, end: string, limit: number): Promise<RespondedChange[]>;
  /**
   * Changes made in one account (its 12-digit id), from the `byAccount` index: `in <account>` reads these alone,
   * however many changes other accounts made in the range.
   */
  changesInAccount(accountId: string, start: string, end: string, limit: number): Promise<RespondedChange[]>;
}

/** The counters of one UTC day. Every map holds only the keys that were counted. */
export interface DailyStats {
  /** `yyyy-mm-dd`, UTC. */
  day: string;
  total: number;
  /** Calls that failed (denied attempts and other errors). */
  failed: number;
  byLevel: Partial<Record<RiskLevel, number>>;
  /** By the actor's display name (`alice`, `ci-runner/session`). */
  byActor: Record<string, number>;
  /** By the client (`console`, `terraform`, …). */
  byClient: Record<string, number>;
  byEvent: Record<string, number>;
  /**
   * By the key the change store indexes actors under (ARN, or name without one): how `by alice` finds the
   * `byActor` index partitions to read without scanning the range.
   */
  byPrincipal: Record<string, number>;
  /** Changes counted in `total` whose actor, principal and event could not be counted (the day's item is full). */
  uncounted: number;
}

/**
 * Pre-aggregated daily counters, so `/iam-changes stats 30d` reads 30 small items instead of every change.
 *
 * Counting is not idempotent: {@link StatsStore.record} adds one to each counter every time it is called.
 * The contract is that it is called exactly once per change, right after the change store's `claimChange`
 * returned `claimed: true` (the one moment only one invocation ever sees), and never for duplicates or
 * retries of a delivery.
 */
export interface StatsStore {
  /** Counts one newly claimed change in the day of its event time. Throws on storage failure. */
  record(change: AssessedChange, now: Date): Promise<void>;
  /**
   * One entry per UTC day from the day of `start` to the day of the last instant before `end`, oldest first;
   * days nothing was counted on have zero counters.
   */
  read(start: string, end: string): Promise<DailyStats[]>;
  /** The earliest event time ever counted (ISO 8601), or undefined when nothing was: where the store's memory begins. */
  firstEventTime(): Promise<string | undefined>;
}

/** The `LookupEvents` attributes the query search uses (one per lookup: the API takes only one). */
export interface HistoryAttribute {
  AttributeKey: 'EventSource' | 'EventName' | 'ResourceName';
  AttributeValue: string;
}

/** What one paced lookup read. */
export interface HistoryLookupResult {
  records: CloudTrailRecord[];
  /** `LookupEvents` requests made (pages of up to 50 events). */
  pages: number;
  /** Events returned, before parsing and de-duplication. */
  events: number;
  /** True when the lookup stopped at its page bound with more events left. */
  truncated: boolean;
}

/**
 * CloudTrail event history by one attribute over a window, every page, paced to the account's `LookupEvents`
 * quota (2 requests a second, 50 events a page, 90 days). `CloudTrailHistory.lookup` is this.
 */
export interface HistoryLookup {
  lookup(attribute: HistoryAttribute, start: Date, end: Date): Promise<HistoryLookupResult>;
}

/** What a search of the trail's S3 log archive read. */
export interface ArchiveSearchSummary {
  /** The window searched, ISO 8601. */
  start: string;
  end: string;
  /** `s3://bucket/prefix`. */
  location: string;
  files: number;
  /** Compressed bytes read. */
  bytes: number;
  /** Files that could not be read (corrupt, truncated, gone). */
  skippedFiles: number;
  /** True when the file bound stopped the search before every file was read. */
  truncated: boolean;
  /** Set when the archive could not be searched at all. */
  error?: string;
}

/**
 * The organisation trail's S3 log archive as a history source: the IAM writes, judged, of `[start, end)`, every
 * account. `runtime/archive-history.ts` implements it with the `scan` use case on `S3TrailArchive`.
 */
export interface ArchiveHistory {
  readonly location: string;
  /** `reads`: the query's policy reads, shared with the rest of its search ({@link PolicyReadMemo}). */
  search(
    window: { start: Date; end: Date },
    options?: { reads?: PolicyReadMemo },
  ): Promise<{
    changes: AssessedChange[];
    summary: Omit<ArchiveSearchSummary, 'start' | 'end'>;
  }>;
}
