import { describe, expect, it } from 'vitest';
import { type AccountFacts, isSnapshotStale, matchAccounts } from '../../src/domain/accounts';

const ACCOUNTS: AccountFacts[] = [
  { id: '111111111111', name: 'management', ouPath: 'Root' },
  { id: '222222222222', name: 'prod-payments', ouPath: 'Root/Workloads/Prod' },
  { id: '333333333333', name: 'prod-ledger', ouPath: 'Root/Workloads/Prod/Finance' },
  { id: '444444444444', name: 'dev-payments', ouPath: 'Root/Workloads/Dev' },
  { id: '555555555555', name: 'Prod', ouPath: 'Root/Sandbox' },
  { id: '666666666666', ouPath: 'Root/Sandbox/Prod' },
];

const ids = (accounts: AccountFacts[]) => accounts.map((account) => account.id);

describe('matchAccounts', () => {
  it.each([
    ['an id it knows', '222222222222', ['222222222222']],
    ['an id it does not know: still that id', '999999999999', ['999999999999']],
    ['a name, without regard to case', 'PROD-Payments', ['222222222222']],
    [
      'an OU path from the root, and everything below it',
      'Root/Workloads/Prod',
      ['222222222222', '333333333333'],
    ],
    ['an OU path without Root/', 'workloads', ['222222222222', '333333333333', '444444444444']],
    ['an OU path with a trailing slash', 'Workloads/Dev/', ['444444444444']],
    ['an OU path only at whole segments', 'Root/Work', []],
    ['an account name before an OU of the same name', 'prod', ['555555555555']],
    ['the root: every account', 'Root', ids(ACCOUNTS)],
    ['nothing', 'staging', []],
    ['an empty term', '  ', []],
  ])('%s', (_, term, expected) => {
    expect(ids(matchAccounts(term, ACCOUNTS))).toEqual(expected);
  });

  it('names every account under any OU of that name when no account has it', () => {
    expect(ids(matchAccounts('Finance', ACCOUNTS))).toEqual(['333333333333']);
    const withoutProdAccount = ACCOUNTS.filter((account) => account.name !== 'Prod');
    expect(ids(matchAccounts('Prod', withoutProdAccount))).toEqual([
      '222222222222',
      '333333333333',
      '666666666666',
    ]);
  });
});

describe('isSnapshotStale', () => {
  const now = new Date('2026-11-20T12:00:00.000Z');
  it.each([
    ['read an hour ago', '2026-11-20T11:00:00.000Z', false],
    ['read exactly a day ago', '2026-11-19T12:00:00.000Z', false],
    ['read a day and a second ago', '2026-11-19T11:59:59.000Z', true],
    ['with a time that cannot be read', 'yesterday', true],
  ])('%s', (_, fetchedAt, stale) => {
    expect(isSnapshotStale({ fetchedAt }, now)).toBe(stale);
  });
});
