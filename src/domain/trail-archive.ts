/**
 * CloudTrail's S3 log archive, as data: which folders of the `AWSLogs/…` layout can hold the calls a scan asks
 * for, and which records of a decompressed log file are IAM calls — found by bytes before any JSON is parsed.
 *
 * Layouts (both are read):
 * - organisation trail: `AWSLogs/<o-org-id>/<account>/CloudTrail/<region>/YYYY/MM/DD/<file>.json.gz`
 * - account trail:      `AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<file>.json.gz`
 *
 * Pure: no I/O, no clock.
 */
import { type CloudTrailRecord, describeValue, InputError } from './input';

const DAY_MS = 86_400_000;
const ORG_ID = /^o-[a-z0-9]{10,32}$/;
const ACCOUNT_ID = /^\d{12}$/;

/**
 * CloudTrail files a record under the day it delivers the file, minutes after the call (a call at 23:58 lands in
 * the next day's folder): folders are kept for a day either side of the range, and records then by their time.
 */
export const DELIVERY_MARGIN_MS = DAY_MS;

/** What a scan keeps: calls in `[since, until)` made in one of `accounts` (every account when empty). */
export interface ArchiveFilter {
  since?: Date;
  until?: Date;
  accounts?: readonly string[];
}

/** Where a path of the archive is, as far as its folders say. */
export interface ArchiveLocation {
  orgId?: string;
  account?: string;
  /** `CloudTrail`, or `CloudTrail-Digest` / `CloudTrail-Insight` (which hold no calls). */
  kind?: string;
  region?: string;
  year?: number;
  month?: number;
  day?: number;
}

/**
 * Reads the `AWSLogs` part of a path's folder names (`segments` are the path split on `/`, without the file
 * name). Undefined while the path has not reached an `AWSLogs` folder, or when it does not follow the layout:
 * nothing can be pruned there.
 */
export function locateArchivePath(segments: readonly string[]): ArchiveLocation | undefined {
  const root = segments.lastIndexOf('AWSLogs');
  if (root < 0) return undefined;
  const rest = segments.slice(root + 1).filter((segment) => segment !== '');
  const location: ArchiveLocation = {};
  let at = 0;
  if (rest[0] !== undefined && ORG_ID.test(rest[0])) {
    location.orgId = rest[0];
    at = 1;
  }
  const [account, kind, region, year, month, day] = rest.slice(at);
  if (account === undefined) return location;
  if (!ACCOUNT_ID.test(account)) return undefined;
  location.account = account;
  if (kind === undefined) return location;
  location.kind = kind;
  if (region === undefined) return location;
  location.region = region;
  for (const [field, text, width] of [
    ['year', year, 4],
    ['month', month, 2],
    ['day', day, 2],
  ] as const) {
    if (text === undefined) return location;
    if (text.length !== width || !/^\d+$/.test(text)) return undefined;
    location[field] = Number(text);
  }
  return location;
}

/** The time span `[start, end)` a dated folder covers, or undefined when the location names no year. */
export function folderSpan(location: ArchiveLocation): { start: number; end: number } | undefined {
  const { year, month, day } = location;
  if (year === undefined) return undefined;
  if (month === undefined) return { start: Date.UTC(year, 0, 1), end: Date.UTC(year + 1, 0, 1) };
  if (day === undefined) return { start: Date.UTC(year, month - 1, 1), end: Date.UTC(year, month, 1) };
  return { start: Date.UTC(year, month - 1, day), end: Date.UTC(year, month - 1, day + 1) };
}

/**
 * True when a folder (its path `segments`) may hold calls the filter keeps, so a scan lists it; false prunes it
 * before anything under it is listed: another account, a digest or Insights folder, a day outside the range
 * (with {@link DELIVERY_MARGIN_MS}). A folder outside the layout is kept: nothing is known about it.
 */
export function mayHoldCalls(segments: readonly string[], filter: ArchiveFilter): boolean {
  const location = locateArchivePath(segments);
  if (!location) return true;
  if (location.account !== undefined && filter.accounts && filter.accounts.length > 0) {
    if (!filter.accounts.includes(location.account)) return false;
  }
  if (location.kind !== undefined && location.kind !== 'CloudTrail') return false;
  const span = folderSpan(location);
  if (!span) return true;
  if (filter.since && span.end + DELIVERY_MARGIN_MS <= filter.since.getTime()) return false;
  if (filter.until && span.start - DELIVERY_MARGIN_MS >= filter.until.getTime()) return false;
  return true;
}

/** True for a CloudTrail log file's name: `….json.gz`, or an uncompressed `….json`. */
export function isLogFileName(name: string): boolean {
  return name.endsWith('.json.gz') || name.endsWith('.json');
}

/** True for a file the scan reads: a log file's name in a folder {@link mayHoldCalls}. */
export function keepsLogFile(path: string, filter: ArchiveFilter): boolean {
  const segments = path.split('/');
  const name = segments.pop() ?? '';
  return isLogFileName(name) && mayHoldCalls(segments, filter);
}

/** True when a record is a call the filter keeps: its time in the range, its account one of the accounts. */
export function keepsRecord(record: CloudTrailRecord, filter: ArchiveFilter): boolean {
  if (filter.since || filter.until) {
    const time = typeof record.eventTime === 'string' ? Date.parse(record.eventTime) : Number.NaN;
    if (Number.isNaN(time)) return false;
    if (filter.since && time < filter.since.getTime()) return false;
    if (filter.until && time >= filter.until.getTime()) return false;
  }
  if (filter.accounts && filter.accounts.length > 0) {
    // An organisation trail's record names the account the call changed in `recipientAccountId`.
    const identity = record.userIdentity as { accountId?: unknown } | undefined;
    const account =
      typeof record.recipientAccountId === 'string'
        ? record.recipientAccountId
        : typeof identity?.accountId === 'string'
          ? identity.accountId
          : undefined;
    if (account === undefined || !filter.accounts.includes(account)) return false;
  }
  return true;
}

/** A log file whose content is not a CloudTrail log file (`{"Records": [...]}`). */
export class LogFileFormatError extends InputError {
  override name = 'LogFileFormatError';
}

/** The IAM records of one log file and how they were found. */
export interface IamRecords {
  records: CloudTrailRecord[];
  /** True when the file held no IAM bytes at all and no JSON was parsed. */
  skippedByBytes: boolean;
  /** True when the record-by-record reading did not fit the file and the whole file was parsed instead. */
  parsedWhole: boolean;
}

const IAM_SOURCE = 'iam.amazonaws.com';
const IAM_SOURCE_BYTES = Buffer.from(`"${IAM_SOURCE}"`);
/** CloudTrail writes each record compactly, `eventVersion` first: where a record begins. */
const RECORD_START = Buffer.from('{"eventVersion"');

function isWhitespace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/** The end of a record's bytes: before the separator `,`, or, for the last one, before the closing `]}`. */
function recordEnd(buffer: Buffer, next: number, last: boolean): number {
  let end = next;
  while (end > 0 && isWhitespace(buffer[end - 1])) end -= 1;
  if (!last) return buffer[end - 1] === 0x2c ? end - 1 : -1;
  for (const closing of [0x7d, 0x5d]) {
    if (buffer[end - 1] !== closing) return -1;
    end -= 1;
    while (end > 0 && isWhitespace(buffer[end - 1])) end -= 1;
  }
  return end;
}

/** The records of a whole log file, parsed as JSON. */
function parseWhole(buffer: Buffer): CloudTrailRecord[] {
  let value: unknown;
  try {
    value = JSON.parse(buffer.toString('utf8'));
  } catch (error: unknown) {
    throw new LogFileFormatError(`not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const records = (value as { Records?: unknown } | null)?.Records;
  if (!Array.isArray(records)) {
    throw new LogFileFormatError(`not a CloudTrail log file: ${describeValue(value)}`);
  }
  return records.filter(
    (record): record is CloudTrailRecord =>
      typeof record === 'object' && record !== null && record.eventSource === IAM_SOURCE,
  );
}

/**
 * The IAM records (`eventSource` `iam.amazonaws.com`) of one decompressed CloudTrail log file.
 *
 * Most of an organisation's calls are not IAM, so JSON is parsed only where it has to be: a file without the
 * bytes `"iam.amazonaws.com"` is not parsed at all; in a file with them, only the records around each match
 * are (from the `{"eventVersion"` before it to the one after it). When the file does not have that compact
 * shape, or a slice does not parse as one record, the whole file is parsed instead, so the result is always what
 * parsing the file would give. Hand-written: no JSON library searches bytes before parsing, or parses one
 * element of an array it has not parsed.
 *
 * Throws {@link LogFileFormatError} when the file had to be parsed and is not a CloudTrail log file.
 */
export function iamRecordsOf(buffer: Buffer): IamRecords {
  let hit = buffer.indexOf(IAM_SOURCE_BYTES);
  if (hit < 0) return { records: [], skippedByBytes: true, parsedWhole: false };
  const records: CloudTrailRecord[] = [];
  while (hit >= 0) {
    const start = buffer.lastIndexOf(RECORD_START, hit);
    const following = buffer.indexOf(RECORD_START, hit);
    const last = following < 0;
    const end = start < 0 ? -1 : recordEnd(buffer, last ? buffer.length : following, last);
    let record: unknown;
    if (end > start && start >= 0) {
      try {
        record = JSON.parse(buffer.toString('utf8', start, end));
      } catch {
        record = undefined;
      }
    }
    if (
      typeof record !== 'object' ||
      record === null ||
      typeof (record as CloudTrailRecord).eventSource !== 'string'
    ) {
      return { records: parseWhole(buffer), skippedByBytes: false, parsedWhole: true };
    }
    if ((record as CloudTrailRecord).eventSource === IAM_SOURCE) records.push(record as CloudTrailRecord);
    if (last) break;
    hit = buffer.indexOf(IAM_SOURCE_BYTES, following);
  }
  return { records, skippedByBytes: false, parsedWhole: false };
}
