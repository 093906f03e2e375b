/**
 * `/iam-changes … in <account or OU>`: the query use case resolves the term through the account directory (its
 * copy on dynalite) and answers only the changes of those accounts, from the real change store.
 */
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CachedAccountDirectory } from '../../src/app/account-directory';
import { QueryService, UnknownAccountError } from '../../src/app/query-service';
import { CloudTrailHistory } from '../../src/aws/cloudtrail-history';
import { assessChange } from '../../src/domain/explain';
import { parseQuery, type Query } from '../../src/domain/query';
import { DynamoAccountDirectoryStore } from '../../src/store/dynamo-account-directory';
import { DynamoChangeStore } from '../../src/store/dynamo-change-store';
import { DynamoStatsStore } from '../../src/store/dynamo-stats';
import { changeOf } from '../support/cloudtrail';
import { type DynaliteServer, startDynalite } from '../support/dynalite';

const NOW = new Date('2026-11-20T15:00:00.000Z');
const RISK = { expectedActors: [], trustedAccounts: [] };
const ACCOUNTS = {
  payments: { id: '111111111111', name: 'prod-payments', ouPath: 'Root/Workloads/Prod' },
  ledger: { id: '222222222222', name: 'prod-ledger', ouPath: 'Root/Workloads/Prod' },
  sandbox: { id: '333333333333', name: 'sandbox-7', ouPath: 'Root/Sandbox' },
};

let db: DynaliteServer;
let service: QueryService;
const cloudTrail = new CloudTrailClient({
  region: 'us-east-1',
  credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
});

function query(text: string): Query {
  const result = parseQuery(text, NOW);
  if (!result.ok) throw new Error(result.error.message);
  return result.query;
}

beforeAll(async () => {
  db = await startDynalite();
  const tableName = await db.createTable();
  const store = new DynamoChangeStore(db.documentClient, { tableName, retentionDays: 400 });
  const stats = new DynamoStatsStore(db.documentClient, { tableName, retentionDays: 400 });
  const directoryStore = new DynamoAccountDirectoryStore(db.documentClient, { tableName });
  await directoryStore.write({ accounts: Object.values(ACCOUNTS), fetchedAt: NOW.toISOString() });
  for (const [index, account] of Object.values(ACCOUNTS).entries()) {
    const change = assessChange(
      changeOf(
        'AttachRolePolicy',
        { roleName: `app-${index}`, policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' },
        { recipientAccountId: account.id, eventTime: `2026-11-20T1${index}:00:00Z` },
      ),
      RISK,
    );
    await store.claimChange(change, NOW, NOW);
    await stats.record(change, NOW);
  }
  service = new QueryService({
    changes: store,
    stats,
    history: new CloudTrailHistory(cloudTrail),
    clock: { now: () => NOW },
    retentionDays: 400,
    risk: RISK,
    accounts: new CachedAccountDirectory({ store: directoryStore, clock: { now: () => NOW } }),
  });
});

afterAll(async () => {
  cloudTrail.destroy();
  await db?.stop();
});

describe('QueryService: in <account or OU>', () => {
  it.each([
    ['7d in prod-payments', [ACCOUNTS.payments.id]],
    ['7d in 222222222222', [ACCOUNTS.ledger.id]],
    ['7d in Root/Workloads/Prod', [ACCOUNTS.ledger.id, ACCOUNTS.payments.id]],
    ['7d in sandbox', [ACCOUNTS.sandbox.id]],
    ['7d', [ACCOUNTS.sandbox.id, ACCOUNTS.ledger.id, ACCOUNTS.payments.id]],
  ])('%s lists the changes of those accounts only', async (text, expected) => {
    const answer = await service.answer(query(text));
    if (answer.kind !== 'list') throw new Error(answer.kind);
    expect(answer.entries.map((entry) => entry.change.accountId)).toEqual(expected);
  });

  it('refuses a term that names no account, in one line', async () => {
    await expect(service.answer(query('7d in staging'))).rejects.toThrow(UnknownAccountError);
    await expect(service.answer(query('7d in staging'))).rejects.toThrow(
      'no account or OU is named "staging": use an account name, a 12-digit account id, or an OU path such as Root/Workloads',
    );
  });
});

describe('QueryService: in <account> reads that account alone', () => {
  const OTHER = '444444444444';
  let crowded: QueryService;

  beforeAll(async () => {
    const tableName = await db.createTable();
    const store = new DynamoChangeStore(db.documentClient, { tableName, retentionDays: 400 });
    const stats = new DynamoStatsStore(db.documentClient, { tableName, retentionDays: 400 });
    const directoryStore = new DynamoAccountDirectoryStore(db.documentClient, { tableName });
    await directoryStore.write({
      accounts: [...Object.values(ACCOUNTS), { id: OTHER, name: 'shared-ci', ouPath: 'Root/Tooling' }],
      fetchedAt: NOW.toISOString(),
    });
    // Two changes in prod-payments, the oldest of the range, then 1,100 newer ones elsewhere: a scan of the time
    // index stops at its 1,000-change limit before reaching them.
    const claim = async (account: string, minute: number, role: string) => {
      const at = new Date(Date.parse('2026-11-19T00:00:00Z') + minute * 60_000).toISOString();
      const change = assessChange(
        changeOf(
          'AttachRolePolicy',
          { roleName: role, policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' },
          { recipientAccountId: account, eventTime: at },
        ),
        RISK,
      );
      await store.claimChange(change, NOW, NOW);
    };
    await claim(ACCOUNTS.payments.id, 0, 'payments-a');
    await claim(ACCOUNTS.payments.id, 1, 'payments-b');
    for (let batch = 0; batch < 1100; batch += 50) {
      await Promise.all(
        Array.from({ length: 50 }, (_, i) => claim(OTHER, 10 + batch + i, `ci-${batch + i}`)),
      );
    }
    crowded = new QueryService({
      changes: store,
      stats,
      history: new CloudTrailHistory(cloudTrail),
      clock: { now: () => NOW },
      retentionDays: 400,
      risk: RISK,
      accounts: new CachedAccountDirectory({ store: directoryStore, clock: { now: () => NOW } }),
    });
  }, 120_000);

  it('finds every change of the account however many other accounts made after them', async () => {
    const answer = await crowded.answer(query('7d in prod-payments'));
    if (answer.kind !== 'list') throw new Error(answer.kind);
    expect(answer.entries.map((entry) => entry.change.target.name).sort()).toEqual([
      'payments-a',
      'payments-b',
    ]);
    expect(answer.matched).toBe(2);
    expect(answer.complete).toBe(true);
  });

  it('without `in`, the same range is a scan that says it stopped at its limit', async () => {
    const answer = await crowded.answer(query('7d'));
    if (answer.kind !== 'list') throw new Error(answer.kind);
    expect(answer.complete).toBe(false);
    expect(answer.entries.some((entry) => entry.change.accountId === ACCOUNTS.payments.id)).toBe(false);
  });
});
