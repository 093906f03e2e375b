/**
 * {@link TrailArchive} on a folder: a copy of the trail's bucket (`aws s3 sync`), or a single log file.
 */
import { createReadStream } from 'node:fs';
import { opendir, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { type ArchiveFile, ArchiveFileError, type TrailArchive } from '../app/archive-port';
import { type ArchiveFilter, keepsLogFile, mayHoldCalls } from '../domain/trail-archive';
import { DEFAULT_MAX_FILE_BYTES, readLogFile } from './log-file-reader';

/** A folder (or one file) of CloudTrail log files in the `AWSLogs/…` layout, or any layout below it. */
export class FolderTrailArchive implements TrailArchive {
  readonly location: string;

  constructor(
    folder: string,
    private readonly maxFileBytes: number = DEFAULT_MAX_FILE_BYTES,
  ) {
    this.location = resolve(folder);
  }

  /** Walks the folder in name order, not entering folders the filter prunes. */
  async listFiles(filter: ArchiveFilter): Promise<ArchiveFile[]> {
    const root = await stat(this.location).catch((error: unknown) => {
      throw new ArchiveFileError(
        `${this.location}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`,
        {
          cause: error,
        },
      );
    });
    if (root.isFile()) return [{ name: this.location, size: root.size }];
    const files: ArchiveFile[] = [];
    const walk = async (folder: string): Promise<void> => {
      const entries: Array<{ name: string; folder: boolean }> = [];
      for await (const entry of await opendir(folder)) {
        if (entry.isDirectory()) entries.push({ name: entry.name, folder: true });
        else if (entry.isFile()) entries.push({ name: entry.name, folder: false });
      }
      entries.sort((left, right) => (left.name < right.name ? -1 : left.name > right.name ? 1 : 0));
      for (const entry of entries) {
        const path = join(folder, entry.name);
        const segments = path.split(sep);
        if (entry.folder) {
          if (mayHoldCalls(segments, filter)) await walk(path);
        } else if (keepsLogFile(segments.join('/'), filter)) {
          files.push({ name: path, size: (await stat(path)).size });
        }
      }
    };
    await walk(this.location);
    return files;
  }

  readFile(file: ArchiveFile): Promise<Buffer> {
    return readLogFile(createReadStream(file.name), file.name, file.name.endsWith('.gz'), this.maxFileBytes);
  }
}
