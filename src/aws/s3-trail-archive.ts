/**
 * {@link TrailArchive} on the trail's S3 bucket: `s3://bucket/prefix`. Listing goes folder by folder
 * (`ListObjectsV2` with the `/` delimiter), so an account or day the filter rules out is never listed; objects
 * are streamed through gunzip as they download.
 */

import type { Readable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { type ArchiveFile, ArchiveFileError, type TrailArchive } from '../app/archive-port';
import { readLogFile } from '../archive/log-file-reader';
import { type ArchiveFilter, keepsLogFile, mayHoldCalls } from '../domain/trail-archive';
import { awsClientConfig } from './client-config';
import { configFor } from './env-clients';

/** `s3://bucket/prefix` → bucket and prefix (the prefix as a folder: ending in `/`, or empty). */
export function parseS3Location(location: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(location);
  if (!match?.[1]) throw new ArchiveFileError(`${location}: expected s3://BUCKET or s3://BUCKET/PREFIX`);
  const prefix = match[2] ?? '';
  return { bucket: match[1], prefix: prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/` };
}

/** Limits of {@link S3TrailArchive}. */
export interface S3TrailArchiveOptions {
  /** Folders listed at once (default 8). */
  listConcurrency?: number;
  /** The most a file may hold once decompressed (default 512 MiB). */
  maxFileBytes?: number;
}

/** A CloudTrail log archive in S3. Needs `s3:ListBucket` on the bucket and `s3:GetObject` on its objects. */
export class S3TrailArchive implements TrailArchive {
  readonly location: string;
  readonly #bucket: string;
  readonly #prefix: string;

  constructor(
    private readonly client: S3Client,
    location: string,
    private readonly options: S3TrailArchiveOptions = {},
  ) {
    const { bucket, prefix } = parseS3Location(location);
    this.#bucket = bucket;
    this.#prefix = prefix;
    this.location = `s3://${bucket}/${prefix}`;
  }

  async listFiles(filter: ArchiveFilter): Promise<ArchiveFile[]> {
    const files: ArchiveFile[] = [];
    const queue: string[] = [this.#prefix];
    let active = 0;
    const workers = Math.max(1, this.options.listConcurrency ?? 8);
    await new Promise<void>((done, fail) => {
      const next = () => {
        if (queue.length === 0 && active === 0) {
          done();
          return;
        }
        while (active < workers && queue.length > 0) {
          const prefix = queue.shift() as string;
          active += 1;
          this.listFolder(prefix, filter, queue, files).then(
            () => {
              active -= 1;
              next();
            },
            (error: unknown) => {
              queue.length = 0;
              fail(error);
            },
          );
        }
      };
      next();
    });
    return files.sort((left, right) => (left.name < right.name ? -1 : left.name > right.name ? 1 : 0));
  }

  /** One folder: its log files into `files`, its sub-folders the filter keeps into `queue`. */
  private async listFolder(
    prefix: string,
    filter: ArchiveFilter,
    queue: string[],
    files: ArchiveFile[],
  ): Promise<void> {
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.#bucket,
          Prefix: prefix,
          Delimiter: '/',
          ContinuationToken: token,
        }),
      );
      for (const common of page.CommonPrefixes ?? []) {
        const folder = common.Prefix;
        if (folder && mayHoldCalls(folder.split('/'), filter)) queue.push(folder);
      }
      for (const object of page.Contents ?? []) {
        if (object.Key && keepsLogFile(object.Key, filter)) {
          files.push({ name: `s3://${this.#bucket}/${object.Key}`, size: object.Size ?? 0 });
        }
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async readFile(file: ArchiveFile): Promise<Buffer> {
    const key = file.name.slice(`s3://${this.#bucket}/`.length);
    let body: Readable;
    try {
      const output = await this.client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key }));
      body = output.Body as Readable;
    } catch (error: unknown) {
      throw new ArchiveFileError(`${file.name}: ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
      });
    }
    return readLogFile(body, file.name, key.endsWith('.gz'), this.options.maxFileBytes);
  }
}

/**
 * S3 in `region` from the environment the CLI was given (its endpoint and keys win over the SDK's). Path-style
 * addressing when an endpoint is set: an emulator on `127.0.0.1` has no per-bucket host names.
 */
export function createS3ClientFromEnv(env: Record<string, string | undefined>, region: string): S3Client {
  const config = configFor(env, region, 'S3');
  return new S3Client({ ...config, ...('endpoint' in config ? { forcePathStyle: true } : {}) });
}

/** S3 for the worker (clients built once per cold start); path-style when `AWS_ENDPOINT_URL` points elsewhere. */
export function createS3Client(region: string | undefined, pathStyle: boolean): S3Client {
  return new S3Client({ ...awsClientConfig(region), ...(pathStyle ? { forcePathStyle: true } : {}) });
}
