/**
 * `iam-changes backfill-index` on dynalite: changes stored the old way (before the `byAccount` index, so without
 * its keys) become visible to `in <account>` queries; a run cut part way resumes from the position it printed; a
 * second run changes nothing; writes the bot makes during the backfill are never undone.
 */
import { PassThrough } from 'node:stream';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli';
import { assessChange } from '../../src/domain/explain';
import type { AssessedChange } from '../../src/domain/types';
import {
  type BackfillPosition,
  backfillAccountIndex,
  encodePosition,
} from '../../src/store/account-index-backfill';
import { DynamoChangeStore } from '../../src/store/dynamo-change-store';
import { changeOf } from '../support/cloudtrail';
import { type DynaliteServer, startDynalite } from '../support/dynalite';

const NOW = new Date('2026-11-20T15:00:00.000Z');
const RISK = { expectedActors: [], trustedAccounts: [] };
const PAYMENTS = '111111111111';
const LEDGER = '222222222222';
const RANGE = ['2026-11-01T00:00:00.000Z', '2026-11-21T00:00:00.000Z'] as const;

let db: DynaliteServer;

beforeAll(async () => {
  db = await startDynalite();
});

afterAll(async () => {
  await db?.stop();
});

function changeIn(account: string, index: number): AssessedChange {
  return assessChange(
    changeOf(
      'AttachRolePolicy',
      { roleName: `app-${index}`, policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' },
      {
        recipientAccountId: account,
        eventTime: new Date(Date.parse('2026-11-10T00:00:00Z') + index * 60_000).toISOString(),
        eventID: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
      },
    ),
    RISK,
  );
}

/** A table holding `count` changes (alternating accounts) stored as the bot stored them before the index. */
async function oldTable(
  count: number,
): Promise<{ tableName: string; store: DynamoChangeStore; ids: string[] }> {
  const tableName = await db.createTable();
  const store = new DynamoChangeStore(db.documentClient, { tableName, retentionDays: 400 });
  const ids: string[] = [];
  for (let index = 0; index < count; index += 1) {
    const change = changeIn(index % 2 === 0 ? PAYMENTS : LEDGER, index);
    await store.claimChange(change, NOW, NOW);
    await db.documentClient.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { pk: `CHANGE#${change.eventId}`, sk: 'CHANGE' },
        UpdateExpression: 'REMOVE gsi4pk, gsi4sk',
        ConditionExpression: 'attribute_exists(pk)',
      }),
    );
    ids.push(change.eventId);
  }
  return { tableName, store, ids };
}

async function inAccount(store: DynamoChangeStore, account: string): Promise<string[]> {
  const found = await store.changesInAccount(account, RANGE[0], RANGE[1], 1000);
  return found.map((entry) => entry.change.eventId).sort();
}

function cliIo(env: Record<string, string>) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk) => {
    out += String(chunk);
  });
  stderr.on('data', (chunk) => {
    err += String(chunk);
  });
  return {
    io: { stdin: new PassThrough(), stdout, stderr, env },
    out: () => out,
    err: () => err,
  };
}

function dynaliteEnv(): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: db.endpoint,
    AWS_ACCESS_KEY_ID: 'AKIDTEST',
    AWS_SECRET_ACCESS_KEY: 'test-secret',
    AWS_REGION: 'us-east-1',
  };
}

describe('backfill-index', () => {
  it('the table is checked: the store does not find the old changes by account before the backfill', async () => {
    const { store } = await oldTable(4);
    expect(await inAccount(store, PAYMENTS)).toEqual([]);
  });

  it('gives every old change its byAccount keys, prints progress and a summary, and a second run does nothing', async () => {
    const { tableName, store, ids } = await oldTable(7);
    // A change naming no account: outside the (sparse) index by design, left as it is.
    const anonymous = changeIn(PAYMENTS, 99);
    await db.documentClient.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          pk: `CHANGE#${anonymous.eventId}`,
          sk: 'CHANGE',
          change: { ...anonymous, accountId: '' },
          gsi1sk: `2026-11-10T01:39:00.000Z#${anonymous.eventId}`,
        },
      }),
    );
    const first = cliIo(dynaliteEnv());
    expect(await main(['backfill-index', '--table', tableName, '--page-size', '3'], first.io)).toBe(0);
    expect(await inAccount(store, PAYMENTS)).toEqual(ids.filter((_, index) => index % 2 === 0).sort());
    expect(await inAccount(store, LEDGER)).toEqual(ids.filter((_, index) => index % 2 === 1).sort());
    expect(first.err()).toMatch(/^page 1: 3 items read, \d+ indexed \(resume: --resume [\w-]+\)$/m);
    expect(first.err()).toMatch(/\(end of table\)\n$/);
    expect(first.out()).toContain(`backfill-index ${tableName}: 8 items read in`);
    expect(first.out()).toContain(
      '7 changes indexed, 0 already indexed meanwhile, 0 written again meanwhile (read again), 1 naming no account',
    );

    const anonymousItem = await db.documentClient.send(
      new GetCommand({ TableName: tableName, Key: { pk: `CHANGE#${anonymous.eventId}`, sk: 'CHANGE' } }),
    );
    expect(anonymousItem.Item?.gsi4pk).toBeUndefined();

    const second = cliIo(dynaliteEnv());
    expect(await main(['backfill-index', '--table', tableName], second.io)).toBe(0);
    expect(second.out()).toContain('0 changes indexed');
    expect(await inAccount(store, PAYMENTS)).toHaveLength(4);
  });

  it('writes the same keys the store writes for a new change', async () => {
    const tableName = await db.createTable();
    const store = new DynamoChangeStore(db.documentClient, { tableName, retentionDays: 400 });
    const change = changeIn(LEDGER, 3);
    await store.claimChange(change, NOW, NOW);
    const key = { pk: `CHANGE#${change.eventId}`, sk: 'CHANGE' };
    const fresh = await db.documentClient.send(new GetCommand({ TableName: tableName, Key: key }));
    await db.documentClient.send(
      new UpdateCommand({ TableName: tableName, Key: key, UpdateExpression: 'REMOVE gsi4pk, gsi4sk' }),
    );
    await backfillAccountIndex(db.documentClient, tableName);
    const filled = await db.documentClient.send(new GetCommand({ TableName: tableName, Key: key }));
    expect(filled.Item).toEqual(fresh.Item);
  });

  it('a run cut part way resumes from the position it printed and indexes the rest', async () => {
    const { tableName, store, ids } = await oldTable(9);
    let position: BackfillPosition | undefined;
    await expect(
      backfillAccountIndex(db.documentClient, tableName, {
        pageSize: 4,
        onPage(progress) {
          position = progress.resumeFrom;
          throw new Error('cut');
        },
      }),
    ).rejects.toThrow('cut');
    if (!position) throw new Error('no position printed');
    const indexedBefore = [...(await inAccount(store, PAYMENTS)), ...(await inAccount(store, LEDGER))];
    expect(indexedBefore.length).toBeGreaterThan(0);
    expect(indexedBefore.length).toBeLessThan(ids.length);

    const resumed = cliIo(dynaliteEnv());
    expect(
      await main(['backfill-index', '--table', tableName, '--resume', encodePosition(position)], resumed.io),
    ).toBe(0);
    const all = [...(await inAccount(store, PAYMENTS)), ...(await inAccount(store, LEDGER))].sort();
    expect(all).toEqual([...ids].sort());
    expect(resumed.out()).toContain(`${ids.length - indexedBefore.length} changes indexed`);
  });

  it("never undoes the bot's writes made during the backfill, and recreates nothing deleted meanwhile", async () => {
    const { tableName, store, ids } = await oldTable(3);
    const [acknowledged, rewritten, expired] = ids as [string, string, string];
    let raced = false;
    // The bot's writes land between the scan that read the items and the backfill's first update.
    const racing = {
      send: async (command: unknown) => {
        if (command instanceof UpdateCommand && !raced) {
          raced = true;
          await store.recordAcknowledgement(
            acknowledged,
            { by: { name: 'alice' }, at: NOW.toISOString() },
            NOW,
          );
          // Expired and stored again by the current code (with its keys and a newer delivery state).
          await db.documentClient.send(
            new DeleteCommand({ TableName: tableName, Key: { pk: `CHANGE#${rewritten}`, sk: 'CHANGE' } }),
          );
          await store.claimChange(changeIn(LEDGER, 1), new Date(NOW.getTime() + 60_000), NOW);
          await db.documentClient.send(
            new DeleteCommand({ TableName: tableName, Key: { pk: `CHANGE#${expired}`, sk: 'CHANGE' } }),
          );
        }
        return db.documentClient.send(command as never);
      },
    } as unknown as DynamoDBDocumentClient;

    const done = await backfillAccountIndex(racing, tableName);
    expect(raced).toBe(true);
    expect(done).toMatchObject({ indexed: 1, alreadyIndexed: 1, gone: 1, withoutAccount: 0 });
    const ack = await store.getChange(acknowledged);
    expect(ack?.acknowledgement).toEqual({ by: { name: 'alice' }, at: NOW.toISOString() });
    const again = await store.getChange(rewritten);
    expect(again?.firstSeenAt).toBe(new Date(NOW.getTime() + 60_000).toISOString());
    expect(await store.getChange(expired)).toBeUndefined();
    expect(await inAccount(store, PAYMENTS)).toEqual([acknowledged]);
    expect(await inAccount(store, LEDGER)).toEqual([rewritten]);
  });

  it('indexes exactly what the store indexes: an account named by something other than 12 digits too', async () => {
    const { tableName, store, ids } = await oldTable(2);
    const [odd] = ids as [string];
    await db.documentClient.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { pk: `CHANGE#${odd}`, sk: 'CHANGE' },
        UpdateExpression: 'SET #change.accountId = :account',
        ExpressionAttributeNames: { '#change': 'change' },
        ExpressionAttributeValues: { ':account': 'legacy-7' },
      }),
    );
    const done = await backfillAccountIndex(db.documentClient, tableName);
    expect(done).toMatchObject({ indexed: 2, withoutAccount: 0 });
    expect(await inAccount(store, 'legacy-7')).toEqual([odd]);
  });

  it('a change whose account was written again between the scan and the update is read again and indexed by it', async () => {
    const { tableName, store, ids } = await oldTable(1);
    const [moved] = ids as [string];
    let raced = false;
    const racing = {
      send: async (command: unknown) => {
        if (command instanceof UpdateCommand && !raced) {
          raced = true;
          await db.documentClient.send(
            new UpdateCommand({
              TableName: tableName,
              Key: { pk: `CHANGE#${moved}`, sk: 'CHANGE' },
              UpdateExpression: 'SET #change.accountId = :account',
              ExpressionAttributeNames: { '#change': 'change' },
              ExpressionAttributeValues: { ':account': LEDGER },
            }),
          );
        }
        return db.documentClient.send(command as never);
      },
    } as unknown as DynamoDBDocumentClient;

    const done = await backfillAccountIndex(racing, tableName);
    expect(done).toMatchObject({ indexed: 1, changedMeanwhile: 1, alreadyIndexed: 0, gone: 0 });
    expect(await inAccount(store, PAYMENTS)).toEqual([]);
    expect(await inAccount(store, LEDGER)).toEqual([moved]);
  });

  it('a --resume position DynamoDB refuses is bad input, not a position to resume from again', async () => {
    const { tableName } = await oldTable(1);
    const position = encodePosition({ pk: 'CHANGE#x', sk: 'CHANGE', gsi9pk: 'not a key' });
    const refused = cliIo(dynaliteEnv());
    expect(await main(['backfill-index', '--table', tableName, '--resume', position], refused.io)).toBe(2);
    expect(refused.err()).toMatch(/^iam-changes: --resume: DynamoDB refused this position \(.+\); give one/);
    expect(refused.err()).not.toContain(`resume with --resume ${position}`);
  });

  it('two runs at once index every change once between them', async () => {
    const { tableName, store, ids } = await oldTable(12);
    const [one, two] = await Promise.all([
      backfillAccountIndex(db.documentClient, tableName, { pageSize: 3 }),
      backfillAccountIndex(db.documentClient, tableName, { pageSize: 5 }),
    ]);
    expect(one.indexed + two.indexed).toBe(ids.length);
    expect(one.gone + two.gone).toBe(0);
    const all = [...(await inAccount(store, PAYMENTS)), ...(await inAccount(store, LEDGER))].sort();
    expect(all).toEqual([...ids].sort());
  });

  it('refuses bad input in one line', async () => {
    const missing = cliIo({});
    expect(await main(['backfill-index'], missing.io)).toBe(2);
    expect(missing.err()).toBe('iam-changes: give --table NAME (or TABLE_NAME in the environment)\n');
    const badResume = cliIo(dynaliteEnv());
    expect(await main(['backfill-index', '--table', 't', '--resume', 'not-a-position'], badResume.io)).toBe(
      2,
    );
    expect(badResume.err()).toMatch(/^iam-changes: --resume: not a position this command printed: .*\n$/);
    const badPage = cliIo(dynaliteEnv());
    expect(await main(['backfill-index', '--table', 't', '--page-size', '0'], badPage.io)).toBe(2);
    expect(badPage.err()).toBe('iam-changes: --page-size takes a whole number from 1 to 10000\n');
  });

  it('a table that cannot be read fails in one line with exit 1', async () => {
    const failed = cliIo(dynaliteEnv());
    expect(await main(['backfill-index', '--table', 'no-such-table'], failed.io)).toBe(1);
    expect(failed.err()).toMatch(/^iam-changes: backfill-index stopped: .+; run it again to start over\n$/);
  });
});
