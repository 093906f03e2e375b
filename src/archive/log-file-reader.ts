/**
 * Reads one CloudTrail log file from a stream: gunzipped as it arrives (zlib's stream, on the thread pool), kept
 * whole in memory (CloudTrail writes files of a few MB), bounded so a hostile archive cannot run the process
 * out of memory. Shared by the folder and S3 archives.
 */
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { ArchiveFileError } from '../app/archive-port';

/** The most a log file may hold once decompressed unless told otherwise: 512 MiB (CloudTrail's are a few MB). */
export const DEFAULT_MAX_FILE_BYTES = 512 * 1024 * 1024;

/** A zlib failure in words: truncated or corrupt. */
function describeZlibError(error: NodeJS.ErrnoException): string {
  if (error.code === 'Z_BUF_ERROR') return 'truncated: the gzip stream ends early';
  return `corrupt gzip data (${error.message})`;
}

/**
 * The content of a log file read from `source`: gunzipped when `compressed`. Throws {@link ArchiveFileError}
 * naming `name` when the data is corrupt or truncated, larger than `maxBytes` decompressed, or cannot be read.
 */
export async function readLogFile(
  source: Readable,
  name: string,
  compressed: boolean,
  maxBytes: number = DEFAULT_MAX_FILE_BYTES,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  const collect = async (stream: AsyncIterable<Buffer>) => {
    for await (const chunk of stream) {
      total += chunk.length;
      if (total > maxBytes) throw new ArchiveFileError(`${name}: larger than ${maxBytes} bytes decompressed`);
      chunks.push(chunk);
    }
  };
  try {
    // Larger output chunks than the default 16 KiB: fewer round trips to the thread pool per file.
    if (compressed) await pipeline(source, createGunzip({ chunkSize: 256 * 1024 }), collect);
    else await pipeline(source, collect);
  } catch (error: unknown) {
    if (error instanceof ArchiveFileError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      typeof code === 'string' && code.startsWith('Z_')
        ? describeZlibError(error as NodeJS.ErrnoException)
        : `unreadable (${error instanceof Error ? error.message : String(error)})`;
    throw new ArchiveFileError(`${name}: ${reason}`, { cause: error });
  }
  return chunks.length === 1 && chunks[0] ? chunks[0] : Buffer.concat(chunks, total);
}
