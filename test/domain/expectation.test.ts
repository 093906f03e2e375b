import { describe, expect, it } from 'vitest';
import {
  applyVerdict,
  EXPECTATION_GRACE_MS,
  type Expectation,
  endExpectation,
  globMatches,
  judgeExpected,
  lowerOneLevel,
  parseExpectation,
} from '../../src/domain/expectation';
import type { AssessedChange } from '../../src/domain/types';
import { changeOf } from '../support/cloudtrail';

const EXPECTATION: Expectation = {
  id: 'x-1',
  resource: 'role/ci-runner',
  note: 'deploy #812',
  startsAt: '2026-11-20T13:00:00Z',
  endsAt: '2026-11-20T15:00:00Z',
  createdBy: { slackUserId: 'U0ALICE', name: 'alice' },
  message: { channel: 'C1', ts: '1.1' },
};

const attach = (role: string, at = '2026-11-20T14:00:00Z', user = 'alice') =>
  changeOf(
    'AttachRolePolicy',
    { roleName: role, policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' },
    {
      eventTime: at,
      userIdentity: {
        type: 'IAMUser',
        principalId: 'AIDA',
        arn: `arn:aws:iam::111122223333:user/${user}`,
        accountId: '111122223333',
        userName: user,
      },
    },
  );

describe('parseExpectation', () => {
  it.each([
    [
      'role/ci-runner 2h deploy #812',
      { resource: 'role/ci-runner', durationMs: 7_200_000, note: 'deploy #812' },
    ],
    ['by ci-runner 30m', { actor: 'ci-runner', durationMs: 1_800_000, note: '' }],
    [
      'Put*Policy role/app 1d',
      { eventGlob: 'Put*Policy', resource: 'role/app', durationMs: 86_400_000, note: '' },
    ],
  ])('reads %s', (text, request) => {
    expect(parseExpectation(text)).toEqual({ ok: true, request });
  });

  it.each([
    ['2h', /say what to expect/],
    ['role/x', /give a window/],
    ['role/x 8d', /7 days/],
    ['by', /needs an actor/],
    ['rm -rf 2h', /is not a target/],
  ])('refuses %s', (text, error) => {
    const parsed = parseExpectation(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(error);
  });
});

describe('globMatches', () => {
  it.each([
    ['Put*Policy', 'PutRolePolicy', true],
    ['Put*Policy', 'AttachRolePolicy', false],
    ['ci-?', 'ci-1', true],
    ['*', '', true],
  ] as const)('%s ~ %s is %s', (glob, value, expected) => {
    expect(globMatches(glob, value)).toBe(expected);
  });
});

describe('judgeExpected', () => {
  it('expects a change on the target within the window, and calls one outside it unexpected', () => {
    expect(judgeExpected([EXPECTATION], attach('ci-runner')).kind).toBe('expected');
    expect(judgeExpected([EXPECTATION], attach('ci-runner', '2026-11-20T16:00:00Z'))).toMatchObject({
      kind: 'unexpected',
      why: 'outside the announced window',
    });
    expect(judgeExpected([EXPECTATION], attach('other-role')).kind).toBe('none');
  });

  it('calls a change by someone other than the announced actor unexpected', () => {
    const byCi = { ...EXPECTATION, actor: 'ci-*' };
    expect(judgeExpected([byCi], attach('ci-runner', undefined, 'ci-bot')).kind).toBe('expected');
    expect(judgeExpected([byCi], attach('ci-runner', undefined, 'mallory'))).toMatchObject({
      kind: 'unexpected',
      why: 'not by the announced actor ci-*',
    });
  });
});

describe('applyVerdict', () => {
  it('lowers an expected change one level and keeps where to thread it', () => {
    const change = { ...attach('ci-runner'), risk: { level: 'critical', reasons: ['admin'], rules: [] } };
    const applied = applyVerdict(change as unknown as AssessedChange, {
      kind: 'expected',
      expectation: EXPECTATION,
    });
    expect(applied.risk.level).toBe('high');
    expect(applied.expected).toEqual({ id: 'x-1', message: { channel: 'C1', ts: '1.1' } });
    expect(lowerOneLevel('info')).toBe('info');
  });
});

describe('expectations limited to an account, with a grace before the announcement, ended early', () => {
  it.each([
    [
      'role/ci-runner in 111122223333 2h deploy',
      { resource: 'role/ci-runner', accountId: '111122223333', durationMs: 7_200_000, note: 'deploy' },
    ],
    [
      'in 444455556666 by ci-runner 30m',
      { accountId: '444455556666', actor: 'ci-runner', durationMs: 1_800_000, note: '' },
    ],
  ])('reads %s', (text, request) => {
    expect(parseExpectation(text)).toEqual({ ok: true, request });
  });

  it.each([
    ['role/ci-runner in prod 2h', /12-digit account id/],
    ['role/ci-runner in 2h', /12-digit account id/],
    ['role/ci-runner in', /12-digit account id/],
  ])('refuses %s in one line', (text, error) => {
    const parsed = parseExpectation(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(error);
  });

  it('expects only changes in its account, and calls none elsewhere unexpected', () => {
    const inProd: Expectation = { ...EXPECTATION, accountId: '111122223333' };
    expect(judgeExpected([inProd], attach('ci-runner')).kind).toBe('expected');
    const elsewhere = { ...attach('ci-runner'), accountId: '999988887777' };
    expect(judgeExpected([inProd], elsewhere).kind).toBe('none');
    const lateElsewhere = { ...attach('ci-runner', '2026-11-20T16:00:00Z'), accountId: '999988887777' };
    expect(judgeExpected([inProd], lateElsewhere).kind).toBe('none');
  });

  it.each([
    ['2026-11-20T12:55:00Z', 'expected'],
    ['2026-11-20T12:57:30Z', 'expected'],
    ['2026-11-20T12:54:59Z', 'unexpected'],
    ['2026-11-20T12:00:00Z', 'unexpected'],
  ] as const)('a matching change at %s, before the 13:00 announcement, is %s', (at, kind) => {
    expect(EXPECTATION_GRACE_MS).toBe(5 * 60_000);
    expect(judgeExpected([EXPECTATION], attach('ci-runner', at)).kind).toBe(kind);
  });

  it('ends early: the window closes then, and later changes on the target are unexpected', () => {
    const by = { slackUserId: 'U0BOB', name: 'bob' };
    const now = new Date('2026-11-20T14:00:00Z');
    const ended = endExpectation(EXPECTATION, by, now);
    expect(ended).toMatchObject({ endsAt: now.toISOString(), endedEarly: { by, at: now.toISOString() } });
    if (!ended) throw new Error('not ended');
    expect(judgeExpected([ended], attach('ci-runner', '2026-11-20T13:30:00Z')).kind).toBe('expected');
    expect(judgeExpected([ended], attach('ci-runner', '2026-11-20T14:10:00Z'))).toMatchObject({
      kind: 'unexpected',
      why: 'outside the announced window',
    });
    // Over already: nothing to end.
    expect(endExpectation(EXPECTATION, by, new Date('2026-11-20T15:00:01Z'))).toBeUndefined();
  });
});
