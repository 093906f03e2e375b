/**
 * The account directory end to end: AWS Organizations on moto_server (an organisation with nested OUs), the
 * cached copy on dynalite, a clock the test moves. A failing Organizations is a client aimed at a port nothing
 * listens on: the SDK's own error, not a stand-in.
 */
import { createServer } from 'node:net';
import {
  CreateAccountCommand,
  CreateOrganizationalUnitCommand,
  CreateOrganizationCommand,
  ListRootsCommand,
  MoveAccountCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type AccountSource,
  CachedAccountDirectory,
  NO_ACCOUNT_DIRECTORY,
} from '../../src/app/account-directory';
import { createOrganizationsClient, OrganizationsAccountSource } from '../../src/aws/organizations-accounts';
import type { AccountFacts } from '../../src/domain/accounts';
import { ACCOUNTS_PER_PART, DynamoAccountDirectoryStore } from '../../src/store/dynamo-account-directory';
import { type DynaliteServer, startDynalite } from '../support/dynalite';
import { awsTestEnv, type MotoServer, startMoto } from '../support/moto';

let moto: MotoServer;
let db: DynaliteServer;
let organizations: OrganizationsClient;
let unreachable: OrganizationsClient;
const ids: Record<string, string> = {};
let managementId = '';

/** A loopback port that was free a moment ago and has nothing listening now. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  [moto, db] = await Promise.all([startMoto(), startDynalite()]);
  organizations = new OrganizationsClient(awsTestEnv(moto.endpoint));
  const organization = await organizations.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
  managementId = organization.Organization?.MasterAccountId ?? '';
  const rootId = (await organizations.send(new ListRootsCommand({}))).Roots?.[0]?.Id ?? '';
  const ou = async (name: string, parentId: string) =>
    (await organizations.send(new CreateOrganizationalUnitCommand({ Name: name, ParentId: parentId })))
      .OrganizationalUnit?.Id ?? '';
  const workloads = await ou('Workloads', rootId);
  const prod = await ou('Prod', workloads);
  const sandbox = await ou('Sandbox', rootId);
  for (const [name, parent] of [
    ['prod-payments', prod],
    ['prod-ledger', prod],
    ['sandbox-7', sandbox],
  ] as const) {
    const id =
      (
        await organizations.send(
          new CreateAccountCommand({ AccountName: name, Email: `${name}@example.com` }),
        )
      ).CreateAccountStatus?.AccountId ?? '';
    await organizations.send(
      new MoveAccountCommand({ AccountId: id, SourceParentId: rootId, DestinationParentId: parent }),
    );
    ids[name] = id;
  }
  unreachable = new OrganizationsClient({
    ...awsTestEnv(`http://127.0.0.1:${await closedPort()}`),
    maxAttempts: 1,
  });
}, 60_000);

afterAll(async () => {
  organizations?.destroy();
  unreachable?.destroy();
  await Promise.all([moto?.stop(), db?.stop()]);
});

describe('OrganizationsAccountSource', () => {
  it('lists every account with its name and the OU path from the root', async () => {
    const accounts = await new OrganizationsAccountSource(organizations).listAccounts();
    const byName = Object.fromEntries(accounts.map((account) => [account.name, account]));
    expect(byName['prod-payments']).toMatchObject({
      id: ids['prod-payments'],
      ouPath: 'Root/Workloads/Prod',
    });
    expect(byName['prod-ledger']).toMatchObject({ ouPath: 'Root/Workloads/Prod' });
    expect(byName['sandbox-7']).toMatchObject({ id: ids['sandbox-7'], ouPath: 'Root/Sandbox' });
    expect(accounts.find((account) => account.id === managementId)?.ouPath).toBe('Root');
    expect(accounts).toHaveLength(4);
  });

  it('reads through a role in the management account when one is configured', async () => {
    // As in Lambda: the function's credentials and the endpoint come from the environment, for STS as well.
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_REGION: 'us-east-1',
    });
    const viaRole = createOrganizationsClient(`arn:aws:iam::${managementId}:role/iam-changes-directory`);
    // The same role in an account of no organisation: Organizations there has nothing to list.
    const outsider = createOrganizationsClient('arn:aws:iam::999999999999:role/iam-changes-directory', {
      maxAttempts: 1,
    });
    try {
      const accounts = await new OrganizationsAccountSource(viaRole).listAccounts();
      expect(accounts.map((account) => account.name)).toContain('prod-payments');
      await expect(new OrganizationsAccountSource(outsider).listAccounts()).rejects.toMatchObject({
        name: 'AWSOrganizationsNotInUseException',
      });
    } finally {
      process.env = saved;
      viaRole.destroy();
      outsider.destroy();
    }
  });
});

describe('CachedAccountDirectory', () => {
  let tableName: string;
  let store: DynamoAccountDirectoryStore;
  let now: Date;
  const clock = { now: () => now };
  let lines: string[];
  const log = (message: string) => lines.push(message);

  /** The real source, counting its reads. */
  function counted(source: AccountSource) {
    const counter = { reads: 0 };
    return {
      counter,
      source: {
        listAccounts: () => {
          counter.reads += 1;
          return source.listAccounts();
        },
      },
    };
  }

  beforeEach(async () => {
    tableName = await db.createTable();
    store = new DynamoAccountDirectoryStore(db.documentClient, { tableName });
    now = new Date('2026-11-20T12:00:00.000Z');
    lines = [];
  });

  it('names an account and its OU path, reads Organizations once, and keeps the copy in the store', async () => {
    const { source, counter } = counted(new OrganizationsAccountSource(organizations));
    const directory = new CachedAccountDirectory({ store, source, clock, log });
    expect(await directory.describe(ids['prod-payments'] ?? '')).toMatchObject({
      name: 'prod-payments',
      ouPath: 'Root/Workloads/Prod',
    });
    expect(await directory.describe(ids['sandbox-7'] ?? '')).toMatchObject({ name: 'sandbox-7' });
    expect(counter.reads).toBe(1);
    expect((await store.read())?.fetchedAt).toBe(now.toISOString());
  });

  it('answers from the kept copy, even a stale one, when Organizations cannot be read, and says so', async () => {
    await new CachedAccountDirectory({
      store,
      source: new OrganizationsAccountSource(organizations),
      clock,
    }).describe(ids['prod-ledger'] ?? '');
    now = new Date(now.getTime() + 25 * 3_600_000);
    const directory = new CachedAccountDirectory({
      store,
      source: new OrganizationsAccountSource(unreachable),
      clock,
      log,
    });
    expect(await directory.describe(ids['prod-ledger'] ?? '')).toMatchObject({ name: 'prod-ledger' });
    expect(lines).toContain('account directory: Organizations could not be read; using the cached copy');
    expect(await directory.resolve('Workloads/Prod')).toHaveLength(2);
  });

  it('refreshes a copy older than a day', async () => {
    await store.write({
      accounts: [{ id: ids['prod-payments'] ?? '', name: 'old-name' }],
      fetchedAt: now.toISOString(),
    });
    const { source, counter } = counted(new OrganizationsAccountSource(organizations));
    now = new Date(now.getTime() + 3_600_000);
    const fresh = new CachedAccountDirectory({ store, source, clock });
    expect((await fresh.describe(ids['prod-payments'] ?? '')).name).toBe('old-name');
    expect(counter.reads).toBe(0);
    now = new Date(now.getTime() + 24 * 3_600_000);
    const later = new CachedAccountDirectory({ store, source, clock });
    expect((await later.describe(ids['prod-payments'] ?? '')).name).toBe('prod-payments');
    expect(counter.reads).toBe(1);
  });

  it('gives the id alone when nothing is known, and asks Organizations at most once per retry period', async () => {
    const { source, counter } = counted(new OrganizationsAccountSource(unreachable));
    const directory = new CachedAccountDirectory({ store, source, clock, log, memorySeconds: 0 });
    expect(await directory.describe('999999999999')).toEqual({ id: '999999999999' });
    expect(await directory.describe('999999999998')).toEqual({ id: '999999999998' });
    expect(counter.reads).toBe(1);
    now = new Date(now.getTime() + 16 * 60_000);
    await directory.describe('999999999999');
    expect(counter.reads).toBe(2);
  });

  it('reads Organizations again for an account the copy does not know (a new account)', async () => {
    await store.write({ accounts: [], fetchedAt: now.toISOString() });
    const { source, counter } = counted(new OrganizationsAccountSource(organizations));
    const directory = new CachedAccountDirectory({ store, source, clock });
    expect((await directory.describe(ids['sandbox-7'] ?? '')).name).toBe('sandbox-7');
    expect(counter.reads).toBe(1);
  });

  it('without a source (a function that may not call Organizations) uses the kept copy however old', async () => {
    await store.write({
      accounts: [{ id: '111122223333', name: 'kept' }],
      fetchedAt: '2020-01-01T00:00:00.000Z',
    });
    const directory = new CachedAccountDirectory({ store, clock });
    expect((await directory.describe('111122223333')).name).toBe('kept');
    expect(await directory.resolve('KEPT')).toEqual([{ id: '111122223333', name: 'kept' }]);
  });

  it('keeps thousands of accounts in parts and ignores the parts a larger snapshot left', async () => {
    const many: AccountFacts[] = Array.from({ length: ACCOUNTS_PER_PART * 2 + 10 }, (_, i) => ({
      id: String(100_000_000_000 + i),
      name: `account-${i}`,
      ouPath: 'Root/Workloads',
    }));
    await store.write({ accounts: many, fetchedAt: now.toISOString() });
    expect((await store.read())?.accounts).toEqual(many);
    await store.write({ accounts: many.slice(0, 3), fetchedAt: now.toISOString() });
    expect((await store.read())?.accounts).toEqual(many.slice(0, 3));
  });
});

describe('NO_ACCOUNT_DIRECTORY', () => {
  it('knows ids only', async () => {
    expect(await NO_ACCOUNT_DIRECTORY.describe('111122223333')).toEqual({ id: '111122223333' });
    expect(await NO_ACCOUNT_DIRECTORY.resolve('111122223333')).toEqual([{ id: '111122223333' }]);
    expect(await NO_ACCOUNT_DIRECTORY.resolve('prod-payments')).toEqual([]);
  });
});
