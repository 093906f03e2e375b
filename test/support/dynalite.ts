/**
 * An in-process dynalite (DynamoDB on LevelDB, in memory) for tests of the store: one server per test file on
 * a free loopback port, closed in `afterAll`, with a fresh table per test from {@link DynaliteServer.createTable}.
 */
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import { createTable } from '../../src/store/table';

/** A running dynalite and clients for it. */
export interface DynaliteServer {
  /** `http://127.0.0.1:PORT`, to pass as a client's `endpoint` (or `AWS_ENDPOINT_URL`). */
  endpoint: string;
  client: DynamoDBClient;
  /**
   * A document client with the SDK's default marshalling, so `undefined` in an item is an error: the store
   * must never write one.
   */
  documentClient: DynamoDBDocumentClient;
  /** Creates the bot's table (a new unique name unless given) and returns its name. */
  createTable(name?: string): Promise<string>;
  /** Destroys the clients and closes the server. */
  stop(): Promise<void>;
}

let tables = 0;

/** Starts dynalite in this process (in memory, tables ACTIVE at once) and builds clients for it. */
export async function startDynalite(): Promise<DynaliteServer> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' },
    maxAttempts: 2,
  });
  const documentClient = DynamoDBDocumentClient.from(client);

  return {
    endpoint,
    client,
    documentClient,
    async createTable(name?: string) {
      tables += 1;
      const tableName = name ?? `iam-changes-test-${process.pid}-${tables}`;
      // Once ACTIVE: dynalite answers CreateTable before it marks the table so, and refuses its use until then.
      await createTable(client, tableName, 0.002);
      return tableName;
    },
    async stop() {
      client.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}
