/**
 * The local runtime's store: an embedded dynalite (DynamoDB on LevelDB) in this process, persisted in a data
 * folder, serving the same table `serverless.yml` creates in AWS — so the one `DynamoChangeStore` adapter runs
 * unchanged. The table is created from `createTableInput` when the folder does not hold it yet.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../aws/dynamo-client';
import { ensureTable } from '../store/table';

/**
 * Credentials dynalite and moto_server accept (they check that requests are signed, not by whom). Not frozen: the
 * SDK marks where credentials came from on the object it is given, so each client gets its own copy.
 */
export function localCredentials(): { accessKeyId: string; secretAccessKey: string } {
  return { accessKeyId: 'local', secretAccessKey: 'local' };
}

/** A running embedded store. */
export interface EmbeddedStore {
  /** `http://127.0.0.1:PORT`, the DynamoDB endpoint. */
  endpoint: string;
  /** The LevelDB folder. */
  path: string;
  tableName: string;
  /** A document client for the store (`undefined` attributes dropped on write, like the bot's own). */
  documentClient: DynamoDBDocumentClient;
  /** True when the table was created by this start (a fresh data folder). */
  created: boolean;
  /** Destroys the client, closes the server and LevelDB. */
  stop(): Promise<void>;
}

/** The data folder is in use by another running local runtime. */
export class DataFolderInUseError extends Error {
  override name = 'DataFolderInUseError';
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error: unknown) {
    // EPERM: it exists but is someone else's.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the data folder for this process. LevelDB allows one opener, and dynalite reports a second one by throwing
 * where nothing can catch it: the folder is claimed with a PID file first, and a stale one (its process gone) is
 * taken over. Returns the function that gives it back.
 */
async function claimDataFolder(dataDir: string): Promise<() => Promise<void>> {
  const lock = join(dataDir, 'iam-changes-dev.pid');
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      await writeFile(lock, String(process.pid), { flag: 'wx' });
      return () => rm(lock, { force: true });
    } catch (error: unknown) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
      throw new DataFolderInUseError(
        `${dataDir} is in use by another iam-changes dev (pid ${owner}): stop it, or give this one --data DIR`,
      );
    }
    if (owner === process.pid) {
      throw new DataFolderInUseError(`${dataDir} is already in use by a local runtime of this process`);
    }
    await rm(lock, { force: true });
  }
  throw new DataFolderInUseError(`could not claim ${dataDir}`);
}

/** dynalite is a development dependency: say how to get it rather than fail with a module error. */
async function loadDynalite(): Promise<typeof import('dynalite')['default']> {
  try {
    return (await import('dynalite')).default;
  } catch (error: unknown) {
    throw new Error('the local runtime needs dynalite: run `npm ci` in the iam-changes checkout', {
      cause: error,
    });
  }
}

/**
 * Starts dynalite on a free loopback port (or `port`), keeping its data in `<dataDir>/dynamodb`, and makes sure
 * the bot's table exists.
 */
export async function startEmbeddedStore(options: {
  dataDir: string;
  tableName: string;
  port?: number;
}): Promise<EmbeddedStore> {
  const path = join(options.dataDir, 'dynamodb');
  await mkdir(path, { recursive: true });
  const release = await claimDataFolder(options.dataDir);
  let dynalite: Awaited<ReturnType<typeof loadDynalite>>;
  try {
    dynalite = await loadDynalite();
  } catch (error: unknown) {
    await release();
    throw error;
  }
  const server: Server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error: unknown) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await release();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const documentClient = createDocumentClient({
    region: 'us-east-1',
    endpoint,
    credentials: localCredentials(),
  });
  const stop = async () => {
    documentClient.destroy();
    server.closeAllConnections();
    try {
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    } finally {
      await release();
    }
  };
  let created: boolean;
  try {
    created = await ensureTable(documentClient, options.tableName);
  } catch (error: unknown) {
    await stop();
    throw error;
  }
  return {
    endpoint,
    path,
    tableName: options.tableName,
    documentClient,
    created,
    stop,
  };
}
