import { describe, expect, it } from 'vitest';
import {
  actorMatches,
  actorNamesOfKey,
  cleanCommandText,
  DEFAULT_LIMIT,
  eventMatches,
  type MatchableChange,
  matchesQuery,
  parseQuery,
  QUERY_HELP,
  type Query,
  resourceMatches,
} from '../../src/domain/query';
import { changeOf } from '../support/cloudtrail';

const NOW = new Date('2026-11-20T15:00:00.000Z');
const END = NOW.toISOString();
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function ago(ms: number): string {
  return new Date(NOW.getTime() - ms).toISOString();
}

function parsed(text: string): Query {
  const result = parseQuery(text, NOW);
  if (!result.ok) throw new Error(`${text}: ${result.error.message} at ${result.error.position}`);
  return result.query;
}

const LIST_DEFAULTS: Query = {
  kind: 'list',
  start: ago(7 * DAY),
  end: END,
  failedOnly: false,
  limit: DEFAULT_LIMIT,
  share: false,
};

describe('parseQuery', () => {
  const cases: Array<[text: string, expected: Partial<Query>]> = [
    ['', {}],
    ['   ', {}],
    ['24h', { start: ago(DAY) }],
    ['7d', { start: ago(7 * DAY) }],
    ['30m', { start: ago(30 * 60_000) }],
    ['2w', { start: ago(14 * DAY) }],
    ['last 7d', { start: ago(7 * DAY) }],
    ['past 24h', { start: ago(DAY) }],
    ['7 days', { start: ago(7 * DAY) }],
    ['last 3 hours', { start: ago(3 * HOUR) }],
    ['last week', { start: ago(7 * DAY) }],
    ['LAST 90 DAYS', { start: ago(90 * DAY) }],
    ['since 2026-11-01', { start: '2026-11-01T00:00:00.000Z' }],
    ['since 2026/11/01', { start: '2026-11-01T00:00:00.000Z' }],
    // Years 0–99 are those years, not 1900–1999 (what Date.UTC makes of them); year 0000 is a leap year.
    [
      'between 0050-03-01 and 0050-03-02',
      { start: '0050-03-01T00:00:00.000Z', end: '0050-03-03T00:00:00.000Z' },
    ],
    [
      'between 0000-02-28 and 0000-02-29',
      { start: '0000-02-28T00:00:00.000Z', end: '0000-03-01T00:00:00.000Z' },
    ],
    ['since 2026-11-01 10:30', { start: '2026-11-01T10:30:00.000Z' }],
    ['since 2026-11-01T10:30:00+02:00', { start: '2026-11-01T08:30:00.000Z' }],
    ['since 3d', { start: ago(3 * DAY) }],
    [
      'between 2026-11-01 and 2026-11-05',
      { start: '2026-11-01T00:00:00.000Z', end: '2026-11-06T00:00:00.000Z' },
    ],
    [
      'between 2026-11-01T09:00 and 2026-11-01T17:00',
      { start: '2026-11-01T09:00:00.000Z', end: '2026-11-01T17:00:00.000Z' },
    ],
    ['from 2026-11-19 to 2026-12-31', { start: '2026-11-19T00:00:00.000Z', end: END }],
    ['today', { start: '2026-11-20T00:00:00.000Z' }],
    ['yesterday', { start: '2026-11-19T00:00:00.000Z', end: '2026-11-20T00:00:00.000Z' }],
    ['by alice', { actor: 'alice' }],
    ['@alice', { actor: 'alice' }],
    ['by @alice', { actor: 'alice' }],
    ['by "jane doe"', { actor: 'jane doe' }],
    ["by 'jane doe'", { actor: 'jane doe' }],
    ['by “jane doe”', { actor: 'jane doe' }],
    ['by `ci-runner`', { actor: 'ci-runner' }],
    ['by:alice', { actor: 'alice' }],
    ['by <@U0123ABC|alice>', { actor: 'alice' }],
    ['by <mailto:jane@example.com|jane@example.com>', { actor: 'jane@example.com' }],
    ['by arn:aws:iam::111122223333:user/alice', { actor: 'arn:aws:iam::111122223333:user/alice' }],
    ['on role/ci-runner', { resource: 'role/ci-runner' }],
    ['on ROLE/ci-runner', { resource: 'role/ci-runner' }],
    ['on role ci-runner', { resource: 'role/ci-runner' }],
    ['role/ci-runner', { resource: 'role/ci-runner' }],
    ['user/bob', { resource: 'user/bob' }],
    ['on group/devs', { resource: 'group/devs' }],
    ['on policy/AdministratorAccess', { resource: 'policy/AdministratorAccess' }],
    [
      'on policy/arn:aws:iam::aws:policy/AdministratorAccess',
      { resource: 'policy/arn:aws:iam::aws:policy/AdministratorAccess' },
    ],
    [
      'on arn:aws:iam::aws:policy/AdministratorAccess',
      { resource: 'policy/arn:aws:iam::aws:policy/AdministratorAccess' },
    ],
    ['on arn:aws:iam::111122223333:role/service/ci-runner', { resource: 'role/ci-runner' }],
    ['on "role/my role"', { resource: 'role/my role' }],
    ['event AttachRolePolicy', { eventPattern: 'AttachRolePolicy' }],
    ['event Put*', { eventPattern: 'Put*' }],
    ['EVENT put*', { eventPattern: 'put*' }],
    ['Put*', { eventPattern: 'Put*' }],
    ['AttachRolePolicy', { eventPattern: 'AttachRolePolicy' }],
    ['failed', { failedOnly: true }],
    ['FAILED', { failedOnly: true }],
    ['denied', { failedOnly: true }],
    ['risk high+', { minLevel: 'high' }],
    ['risk critical', { minLevel: 'critical' }],
    ['Risk HIGH', { minLevel: 'high' }],
    ['level medium+', { minLevel: 'medium' }],
    ['risk=high+', { minLevel: 'high' }],
    ['critical', { minLevel: 'critical' }],
    ['high+', { minLevel: 'high' }],
    ['limit 50', { limit: 50 }],
    ['limit=200', { limit: 200 }],
    ['top 5', { limit: 5 }],
    ['share', { share: true }],
    ['list 24h', { start: ago(DAY) }],
    [
      '7d by alice on role/ci-runner event Put* failed risk high+ limit 50 share',
      {
        actor: 'alice',
        resource: 'role/ci-runner',
        eventPattern: 'Put*',
        failedOnly: true,
        minLevel: 'high',
        limit: 50,
        share: true,
      },
    ],
    [
      '  share   LIMIT 5  failed   @alice    24h  ',
      { share: true, limit: 5, failedOnly: true, actor: 'alice', start: ago(DAY) },
    ],
    ['stats', { kind: 'stats', start: ago(30 * DAY) }],
    ['stats 30d', { kind: 'stats', start: ago(30 * DAY) }],
    ['7d stats', { kind: 'stats', start: ago(7 * DAY) }],
    ['STATS since 2026-11-01 share', { kind: 'stats', start: '2026-11-01T00:00:00.000Z', share: true }],
    ['status', { kind: 'status' }],
    ['7d in prod-payments', { start: ago(7 * DAY), account: 'prod-payments' }],
    ['in 111122223333', { account: '111122223333' }],
    ['in Root/Workloads/Prod by alice', { account: 'Root/Workloads/Prod', actor: 'alice' }],
    ['in "Prod Accounts" 24h', { account: 'Prod Accounts', start: ago(DAY) }],
    ['in:sandbox-7', { account: 'sandbox-7' }],
    ['account prod-payments', { account: 'prod-payments' }],
    // `in` before a range is a word, as it always was.
    ['changes in 24h', { start: ago(DAY) }],
    ['in the last 3 hours', { start: ago(3 * HOUR) }],
    ['in 7 days', { start: ago(7 * DAY) }],
    ['in last week in prod-payments', { start: ago(7 * DAY), account: 'prod-payments' }],
    ['help', { kind: 'help' }],
    ['?', { kind: 'help' }],
    ['help me please', { kind: 'help' }],
    ['7d by alice help', { kind: 'help' }],
  ];

  it.each(cases)('reads %j', (text, expected) => {
    expect(parsed(text)).toEqual({ ...LIST_DEFAULTS, ...expected });
  });

  const errors: Array<[text: string, position: number, fragment: string, message: RegExp]> = [
    ['bogus', 0, 'bogus', /didn't understand "bogus"/],
    ['7d bogus', 3, 'bogus', /didn't understand/],
    ['by', 0, 'by', /`by` needs a user, role or session name/],
    ['by on role/x', 3, 'on', /`by` needs/],
    ['on ci-runner', 3, 'ci-runner', /role\/ci-runner/],
    ['on', 0, 'on', /needs a resource/],
    ['on role', 3, 'role', /name/],
    ['7d 24h', 3, '24h', /two time ranges/],
    ['since 2026-11-01 7d', 17, '7d', /two time ranges/],
    ['limit 500', 6, '500', /between 1 and 200/],
    ['limit 0', 6, '0', /between 1 and 200/],
    ['limit lots', 6, 'lots', /whole number/],
    ['risk extreme', 5, 'extreme', /expected a level/],
    ['since 2026-13-01', 6, '2026-13-01', /not a date/],
    ['since 2026-02-30', 6, '2026-02-30', /not a date/],
    ['since 0100-02-29', 6, '0100-02-29', /not a date/],
    ['since tomorrow', 6, 'tomorrow', /expected a date/],
    ['since 2027-01-01', 6, '2027-01-01', /future/],
    ['between 2026-11-05 and 2026-11-01', 23, '2026-11-01', /ends before it starts/],
    ['between 2026-11-01 2026-11-05', 19, '2026-11-05', /`and`/],
    ['2026-11-01', 0, '2026-11-01', /since 2026-11-01/],
    ['7', 0, '7', /`7d` for days/],
    ['0d', 0, '0d', /at least a minute/],
    ['by alice by bob', 12, 'bob', /given twice/],
    ['event Put-Policy', 6, 'Put-Policy', /an event is a name/],
    ['by "alice', 3, '"alice', /never closed/],
    ['by <@U0123ABC>', 3, '<@U0123ABC>', /Slack mention/],
    ['stats by alice', 9, 'alice', /`stats` counts every change per day/],
    ['stats failed', 6, 'failed', /takes only a range/],
    ['status 7d', 7, '7d', /`status` takes nothing else/],
    ['stats status', 6, 'status', /can't be asked together/],
    ['last', 0, 'last', /needs a duration/],
    ['last forever', 5, 'forever', /expected a duration/],
    ['4000d', 0, '4000d', /longer than/],
    ['in', 0, 'in', /`in` needs an account name, id or OU path/],
    ['in prod in dev', 11, 'dev', /the account is given twice/],
    ['stats in prod-payments', 9, 'prod-payments', /`stats` counts every change per day/],
    ['in by alice', 3, 'by', /`in` needs/],
  ];

  it.each(errors)('points at the part of %j it did not understand', (text, position, fragment, message) => {
    const result = parseQuery(text, NOW);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.message).toMatch(message);
    expect(result.error.position).toBe(position);
    expect(result.error.fragment).toBe(fragment);
    expect(cleanCommandText(text).slice(position, position + fragment.length)).toBe(fragment);
  });

  it('positions errors in the text as the person typed it when Slack escaped it', () => {
    const result = parseQuery('by &lt;x&gt; bogus', NOW);
    expect(result).toEqual({
      ok: false,
      error: { message: expect.stringMatching(/didn't understand/), position: 7, fragment: 'bogus' },
    });
  });

  it('keeps the same answer for any order of the clauses', () => {
    const clauses = ['24h', 'by alice', 'failed', 'risk high+', 'limit 5', 'event Put*', 'on role/x'];
    const expected = parsed(clauses.join(' '));
    for (let shift = 1; shift < clauses.length; shift += 1) {
      const rotated = [...clauses.slice(shift), ...clauses.slice(0, shift)].join(' ');
      expect(parsed(rotated)).toEqual(expected);
    }
  });
});

describe('cleanCommandText', () => {
  it('turns Slack escapes, mentions and auto-links back into what was typed', () => {
    expect(
      cleanCommandText('by <@U1|alice> on role/a&amp;b &lt;x&gt; <mailto:j@e.com|j@e.com> <!here>'),
    ).toBe('by @alice on role/a&b <x> j@e.com @here');
  });
});

describe('QUERY_HELP', () => {
  it('names every form of the grammar', () => {
    for (const form of [
      '24h',
      'since',
      'between',
      'by',
      'on',
      'event',
      'failed',
      'risk',
      'limit',
      'share',
      'stats',
      'status',
    ]) {
      expect(QUERY_HELP).toContain(form);
    }
  });
});

function assessed(
  change: ReturnType<typeof changeOf>,
  level: 'critical' | 'high' | 'low' = 'high',
): MatchableChange {
  return { ...change, risk: { level } };
}

const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const SESSION_IDENTITY = {
  type: 'AssumedRole',
  principalId: 'AROAEXAMPLE:jane@example.com',
  arn: 'arn:aws:sts::111122223333:assumed-role/ci-runner/jane@example.com',
  accountId: '111122223333',
  sessionContext: {
    sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::111122223333:role/ci-runner', userName: 'ci-runner' },
  },
};

describe('matchesQuery', () => {
  const byAlice = assessed(
    changeOf(
      'AttachRolePolicy',
      { roleName: 'ci-runner', policyArn: ADMIN },
      { eventTime: '2026-11-20T14:00:00Z' },
    ),
  );
  const bySession = assessed(
    changeOf(
      'PutRolePolicy',
      { roleName: 'deploy', policyName: 'logs', policyDocument: '{"Statement":[]}' },
      { eventTime: '2026-11-20T13:00:00Z', userIdentity: SESSION_IDENTITY },
    ),
    'low',
  );
  const denied = assessed(
    changeOf(
      'AttachUserPolicy',
      { userName: 'bob', policyArn: ADMIN },
      {
        eventTime: '2026-11-19T13:00:00Z',
        errorCode: 'AccessDenied',
        errorMessage: 'no',
        userIdentity: {
          type: 'IAMUser',
          principalId: 'AIDAEXAMPLEMALLORY',
          arn: 'arn:aws:iam::111122223333:user/mallory',
          accountId: '111122223333',
          userName: 'mallory',
        },
      },
    ),
    'critical',
  );
  const all = { byAlice, bySession, denied };

  const cases: Array<[text: string, expected: Array<keyof typeof all>]> = [
    ['7d', ['byAlice', 'bySession', 'denied']],
    ['90m', ['byAlice']],
    ['by mallory', ['denied']],
    ['by alice', ['byAlice']],
    ['by ALICE', ['byAlice']],
    ['by arn:aws:iam::111122223333:user/alice', ['byAlice']],
    ['by ci-runner', ['bySession']],
    ['by jane@example.com', ['bySession']],
    ['by ci-runner/jane@example.com', ['bySession']],
    ['by arn:aws:iam::111122223333:role/ci-runner', ['bySession']],
    ['by ci-*', ['bySession']],
    ['on role/ci-runner', ['byAlice']],
    ['on role/CI-RUNNER', ['byAlice']],
    ['on role/deploy', ['bySession']],
    ['on user/bob', ['denied']],
    ['on policy/AdministratorAccess', ['byAlice', 'denied']],
    [`on policy/${ADMIN}`, ['byAlice', 'denied']],
    ['on policy/logs', ['bySession']],
    ['on role/*', ['byAlice', 'bySession']],
    ['event Put*', ['bySession']],
    ['event attach*', ['byAlice', 'denied']],
    ['event *UserPolicy', ['denied']],
    ['event attachrolepolicy', ['byAlice']],
    ['failed', ['denied']],
    ['risk high+', ['byAlice', 'denied']],
    ['risk critical', ['denied']],
    ['by alice failed', []],
  ];

  it.each(cases)('%j matches %j', (text, expected) => {
    const query = parsed(text);
    const matched = Object.entries(all)
      .filter(([, change]) => matchesQuery(change, query))
      .map(([name]) => name);
    expect(matched).toEqual(expected);
  });

  it('keeps only the changes in the accounts `in` was resolved to', () => {
    const query = parsed('7d in prod-payments');
    // Not resolved yet (no directory): every account.
    expect(matchesQuery(byAlice, query)).toBe(true);
    expect(matchesQuery(byAlice, { ...query, accountIds: [byAlice.accountId] })).toBe(true);
    expect(matchesQuery(byAlice, { ...query, accountIds: ['999999999999'] })).toBe(false);
    expect(matchesQuery(byAlice, { ...query, accountIds: [] })).toBe(false);
  });

  it('needs the risk level to answer a risk filter', () => {
    const { risk: _risk, ...unjudged } = byAlice;
    expect(matchesQuery(unjudged, parsed('risk info+'))).toBe(false);
    expect(matchesQuery(unjudged, parsed('7d'))).toBe(true);
  });
});

describe('actorNamesOfKey', () => {
  it.each([
    [
      'arn:aws:sts::111122223333:assumed-role/ci-runner/s1',
      {
        arn: 'arn:aws:sts::111122223333:assumed-role/ci-runner/s1',
        name: 'ci-runner/s1',
        sessionName: 's1',
        sessionIssuerName: 'ci-runner',
        sessionIssuerArn: 'arn:aws:iam::111122223333:role/ci-runner',
      },
    ],
    [
      'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/jane@example.com',
      expect.objectContaining({ name: 'jane@example.com', sessionName: 'jane@example.com' }),
    ],
    [
      'arn:aws:iam::111122223333:user/team/alice',
      { arn: 'arn:aws:iam::111122223333:user/team/alice', name: 'alice' },
    ],
    ['arn:aws:iam::111122223333:root', { arn: 'arn:aws:iam::111122223333:root', name: 'root' }],
    ['cloudformation.amazonaws.com', { arn: '', name: 'cloudformation.amazonaws.com' }],
  ])('reads the names in %s', (key, names) => {
    expect(actorNamesOfKey(key)).toEqual(names);
  });

  it('gives names that actorMatches finds by user, role and session', () => {
    const names = actorNamesOfKey('arn:aws:sts::111122223333:assumed-role/ci-runner/s1');
    expect(['ci-runner', 's1', 'CI-RUNNER/S1'].map((pattern) => actorMatches(names, pattern))).toEqual([
      true,
      true,
      true,
    ]);
    expect(actorMatches(names, 'runner')).toBe(false);
  });
});

describe('resourceMatches and eventMatches', () => {
  it('tells a role from a user of the same name', () => {
    const change = changeOf('AttachRolePolicy', { roleName: 'bob', policyArn: ADMIN });
    expect(resourceMatches(change, 'role/bob')).toBe(true);
    expect(resourceMatches(change, 'user/bob')).toBe(false);
  });

  it('reads a glob as a glob and nothing else as one', () => {
    expect(eventMatches('Put*', 'PutRolePolicy')).toBe(true);
    expect(eventMatches('Put', 'PutRolePolicy')).toBe(false);
    expect(eventMatches('Put.*', 'PutRolePolicy')).toBe(false);
  });
});
