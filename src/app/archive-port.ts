/**
 * The port of CloudTrail's S3 log archive: the files of the `AWSLogs/…` layout a scan may need and their content.
 * Implementations: `src/archive/folder-trail-archive.ts` (a folder on disk) and `src/aws/s3-trail-archive.ts`
 * (`s3://bucket/prefix`), both decompressing through `src/archive/log-file-reader.ts`.
 */
import type { ArchiveFilter } from '../domain/trail-archive';

/** One log file of the archive. */
export interface ArchiveFile {
  /** Its full name, as reported to the user: a path, or `s3://bucket/key`. */
  name: string;
  /** Its size as stored (compressed), in bytes. */
  size: number;
}

/** A log file that cannot be read: corrupt, truncated, too large, or gone. The message says which, in words. */
export class ArchiveFileError extends Error {
  override name = 'ArchiveFileError';
}

/** A CloudTrail log archive. */
export interface TrailArchive {
  /** Where it is, for messages: a folder or `s3://bucket/prefix`. */
  readonly location: string;
  /**
   * Every log file that may hold calls the filter keeps. Folders the filter rules out (another account, a day
   * outside the range, digests) are pruned before anything under them is listed.
   */
  listFiles(filter: ArchiveFilter): Promise<ArchiveFile[]>;
  /** The file's decompressed content. Throws {@link ArchiveFileError} for a file that cannot be read. */
  readFile(file: ArchiveFile): Promise<Buffer>;
}
