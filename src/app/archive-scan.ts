/**
 * Scanning CloudTrail's S3 log archive for IAM writes (`iam-changes scan`, and the worker's history search beyond
 * the store): every file the filter may need, a few at a time, each decompressed, searched by bytes for IAM
 * records, and its IAM writes normalised and judged. A file that cannot be read is reported by name and skipped;
 * the rest are scanned.
 */

import { assessChange } from '../domain/assess-change';
import { normaliseRecord } from '../domain/change';
import { InputError } from '../domain/input';
import type { RiskContext } from '../domain/risk/rule';
import { type ArchiveFilter, iamRecordsOf, keepsRecord } from '../domain/trail-archive';
import type { AssessedChange } from '../domain/types';
import { type ArchiveFile, ArchiveFileError, type TrailArchive } from './archive-port';
import type { ChangeContent } from './change-content';
import { PolicyReadMemo } from './policy-documents';
import type { Clock } from './ports';
import type { StatsStore } from './query-port';

/** How far a scan has got. */
export interface ScanProgress {
  filesDone: number;
  filesTotal: number;
  /** Compressed bytes of the files done, of all files. */
  bytesDone: number;
  bytesTotal: number;
  changes: number;
  skippedFiles: number;
}

/** A file the scan could not read, and why. */
export interface SkippedFile {
  name: string;
  reason: string;
}

/** What a scan read and found. */
export interface ScanReport {
  location: string;
  files: number;
  /** Compressed bytes read. */
  bytes: number;
  /** Files with no IAM bytes at all: never parsed as JSON. */
  filesWithoutIam: number;
  /** IAM records read (reads and writes) in the range. */
  iamRecords: number;
  /** IAM writes found (each once). */
  changes: number;
  skippedFiles: SkippedFile[];
  /** IAM records that could not be normalised. */
  unreadableRecords: number;
  /** True when `maxFiles` or `deadline` stopped the scan before every file was read. */
  truncated: boolean;
}

/** How a scan runs. */
export interface ScanOptions {
  /** How changes are judged. */
  risk: RiskContext;
  /** What judging needs beyond the record (an attached policy's document, the action catalogue); none when absent. */
  content?: Pick<ChangeContent, 'prepare'>;
  /**
   * The policy reads `content` shares across the scan's records: each policy read once per scan (or per query,
   * when the query hands in its own). One for this scan alone when not given.
   */
  reads?: PolicyReadMemo;
  /** Files read at once (default 4): decompression runs on the thread pool, so a few overlap well. */
  concurrency?: number;
  /** Files read at most, the first in name order (oldest days first within a folder); default all. */
  maxFiles?: number;
  /** Epoch milliseconds after which no new file is started (the worker's time); the report says it stopped. */
  deadline?: number;
  /** The time, for `deadline` (default the system clock). */
  now?: () => number;
  /** Told about each IAM write once, as it is found (in file order within a file, files in completion order). */
  onChange?: (change: AssessedChange) => void | Promise<void>;
  /** Told after each file. */
  onProgress?: (progress: ScanProgress) => void;
  /** Told about each file that is skipped, as it is. */
  onSkippedFile?: (skipped: SkippedFile) => void;
}

const DEFAULT_CONCURRENCY = 4;

/**
 * Scans the archive. Never throws for a file: an unreadable one is reported in `skippedFiles` (and to
 * `onSkippedFile`); it throws only when the archive cannot be listed, or `onChange` throws.
 */
export async function scanArchive(
  archive: TrailArchive,
  filter: ArchiveFilter,
  options: ScanOptions,
): Promise<ScanReport> {
  const listed = await archive.listFiles(filter);
  const files = options.maxFiles === undefined ? listed : listed.slice(0, options.maxFiles);
  const report: ScanReport = {
    location: archive.location,
    files: 0,
    bytes: 0,
    filesWithoutIam: 0,
    iamRecords: 0,
    changes: 0,
    skippedFiles: [],
    unreadableRecords: 0,
    truncated: files.length < listed.length,
  };
  const progress: ScanProgress = {
    filesDone: 0,
    filesTotal: files.length,
    bytesDone: 0,
    bytesTotal: files.reduce((sum, file) => sum + file.size, 0),
    changes: 0,
    skippedFiles: 0,
  };
  const seen = new Set<string>();
  const reads = options.reads ?? new PolicyReadMemo();

  const scanFile = async (file: ArchiveFile): Promise<void> => {
    const found: AssessedChange[] = [];
    try {
      const content = await archive.readFile(file);
      const { records, skippedByBytes } = iamRecordsOf(content);
      if (skippedByBytes) report.filesWithoutIam += 1;
      for (const record of records) {
        if (!keepsRecord(record, filter)) continue;
        report.iamRecords += 1;
        let normalised: ReturnType<typeof normaliseRecord>;
        try {
          normalised = normaliseRecord(record);
        } catch (error: unknown) {
          if (!(error instanceof InputError)) throw error;
          report.unreadableRecords += 1;
          continue;
        }
        if (!('change' in normalised)) continue;
        if (seen.has(normalised.change.eventId)) continue;
        seen.add(normalised.change.eventId);
        const prepared = options.content
          ? await options.content.prepare(normalised.change, reads)
          : { change: normalised.change };
        found.push(
          assessChange(
            prepared.change,
            prepared.actions ? { ...options.risk, actions: prepared.actions } : options.risk,
          ),
        );
      }
    } catch (error: unknown) {
      if (!(error instanceof ArchiveFileError || error instanceof InputError)) throw error;
      const reason = error instanceof ArchiveFileError ? error.message : `${file.name}: ${error.message}`;
      const prefix = `${file.name}: `;
      const skipped = {
        name: file.name,
        reason: reason.startsWith(prefix) ? reason.slice(prefix.length) : reason,
      };
      report.skippedFiles.push(skipped);
      progress.skippedFiles += 1;
      options.onSkippedFile?.(skipped);
    }
    for (const change of found) {
      report.changes += 1;
      progress.changes += 1;
      await options.onChange?.(change);
    }
    report.files += 1;
    report.bytes += file.size;
    progress.filesDone += 1;
    progress.bytesDone += file.size;
    options.onProgress?.({ ...progress });
  };

  let next = 0;
  const now = options.now ?? Date.now;
  const worker = async () => {
    while (next < files.length) {
      if (options.deadline !== undefined && now() > options.deadline) {
        report.truncated = true;
        return;
      }
      const file = files[next] as ArchiveFile;
      next += 1;
      await scanFile(file);
    }
  };
  const workers = Math.max(1, Math.min(options.concurrency ?? DEFAULT_CONCURRENCY, files.length));
  await Promise.all(Array.from({ length: workers }, worker));
  report.skippedFiles.sort((left, right) => (left.name < right.name ? -1 : left.name > right.name ? 1 : 0));
  return report;
}

/**
 * The store's side of an import: writes a change found in the archive when its event id is new (a conditional
 * write), never as something to post. `DynamoChangeStore.importChange` is this.
 */
export interface ChangeImportStore {
  /** True when the change was new and is now stored; false when the store already had it. */
  importChange(change: AssessedChange, now: Date): Promise<boolean>;
}

/** What an import wrote. */
export interface ImportTally {
  imported: number;
  alreadyStored: number;
}

/**
 * Backfills the store with changes from the archive, idempotently by event id: a change the store already has
 * (posted live, or imported before) is left as it is, and only a new one is counted in the daily statistics, so
 * running an import twice changes nothing.
 */
export class ArchiveImporter {
  readonly tally: ImportTally = { imported: 0, alreadyStored: 0 };

  constructor(
    private readonly deps: { store: ChangeImportStore; stats?: Pick<StatsStore, 'record'>; clock: Clock },
  ) {}

  async import(change: AssessedChange): Promise<boolean> {
    const now = this.deps.clock.now();
    const created = await this.deps.store.importChange(change, now);
    if (!created) {
      this.tally.alreadyStored += 1;
      return false;
    }
    this.tally.imported += 1;
    await this.deps.stats?.record(change, now);
    return true;
  }
}
