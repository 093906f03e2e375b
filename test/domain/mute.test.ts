import { describe, expect, it } from 'vitest';
import {
  actorKeyOf,
  type Mute,
  MuteRequestError,
  type MuteScope,
  matchesChange,
  muteFor,
  planMute,
} from '../../src/domain/mute';
import type { Change, RiskLevel } from '../../src/domain/types';
import { changeOf } from '../support/cloudtrail';

const NOW = new Date('2026-11-20T14:00:00Z');
const BY = { slackUserId: 'U0ALICE', name: 'alice' };

function assumed(role: string, session: string, sso = false) {
  const roleName = sso ? `AWSReservedSSO_${role}_0123456789abcdef` : role;
  return {
    userIdentity: {
      type: 'AssumedRole',
      principalId: `AROAEXAMPLE:${session}`,
      arn: `arn:aws:sts::111122223333:assumed-role/${roleName}/${session}`,
      accountId: '111122223333',
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: 'AROAEXAMPLE',
          arn: `arn:aws:iam::111122223333:role/${sso ? 'aws-reserved/sso.amazonaws.com/' : ''}${roleName}`,
          accountId: '111122223333',
          userName: roleName,
        },
        attributes: { creationDate: '2026-11-20T13:00:00Z', mfaAuthenticated: 'false' },
      },
    },
  };
}

const attach = (role: string, overrides = {}) =>
  changeOf(
    'AttachRolePolicy',
    { roleName: role, policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' },
    overrides,
  );
const detach = (role: string, overrides = {}) =>
  changeOf(
    'DetachRolePolicy',
    { roleName: role, policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' },
    overrides,
  );

function assessed(change: Change, level: RiskLevel = 'medium') {
  return { ...change, risk: { level } };
}

function mute(from: Change, scope: MuteScope, level: RiskLevel = 'medium', includesCritical = false): Mute {
  return planMute(
    assessed(from, level),
    { scope, duration: '1h', reason: 'known work', includesCritical },
    { id: 'm-1', by: BY, now: NOW },
  );
}

describe('actorKeyOf', () => {
  it('keys a role session by its role, an Identity Center session by the person, a user by its ARN', () => {
    expect(actorKeyOf(attach('a', assumed('ci-runner', 'run-1')).actor)).toBe(
      'arn:aws:iam::111122223333:role/ci-runner',
    );
    expect(actorKeyOf(attach('a', assumed('Admin', 'jane@example.com', true)).actor)).toContain(
      'jane@example.com',
    );
    expect(actorKeyOf(attach('a').actor)).toBe('arn:aws:iam::111122223333:user/alice');
  });
});

describe('matchesChange', () => {
  const from = attach('ci-target', assumed('ci-runner', 'run-1'));
  it.each([
    [
      'actor: another session of the same role',
      'actor',
      attach('other', assumed('ci-runner', 'run-2')),
      true,
    ],
    ['actor: another role', 'actor', attach('ci-target', assumed('deployer', 'run-1')), false],
    ['actor-event: same actor, same event', 'actor-event', attach('x', assumed('ci-runner', 'run-3')), true],
    [
      'actor-event: same actor, other event',
      'actor-event',
      detach('x', assumed('ci-runner', 'run-3')),
      false,
    ],
    ['resource: same role, anyone', 'resource', detach('ci-target'), true],
    ['resource: another role', 'resource', attach('ci-target-2', assumed('ci-runner', 'run-1')), false],
    [
      'another account',
      'actor',
      attach('other', { ...assumed('ci-runner', 'run-2'), recipientAccountId: '444455556666' }),
      false,
    ],
  ] as const)('%s', (_name, scope, change, expected) => {
    expect(matchesChange(mute(from, scope), change)).toBe(expected);
  });
});

describe('muteFor', () => {
  const from = attach('r');
  it('applies until its expiry, not after', () => {
    const m = mute(from, 'actor');
    expect(muteFor([m], attach('s'), 'medium', new Date(NOW.getTime() + 59 * 60_000))).toBe(m);
    expect(muteFor([m], attach('s'), 'medium', new Date(NOW.getTime() + 60 * 60_000))).toBeUndefined();
  });

  it('never mutes a critical change unless the mute includes critical changes', () => {
    expect(muteFor([mute(from, 'actor', 'high')], attach('s'), 'critical', NOW)).toBeUndefined();
    const loud = mute(from, 'actor', 'critical', true);
    expect(muteFor([loud], attach('s'), 'critical', NOW)).toBe(loud);
  });
});

describe('planMute', () => {
  const from = attach('r');
  it.each([
    [
      'an unknown scope',
      { scope: 'everything', duration: '1h', reason: 'x', includesCritical: false },
      'medium',
    ],
    [
      'an unknown duration',
      { scope: 'actor', duration: '30d', reason: 'x', includesCritical: false },
      'medium',
    ],
    ['a blank reason', { scope: 'actor', duration: '1h', reason: '   ', includesCritical: false }, 'medium'],
    [
      'critical from a high alert',
      { scope: 'actor', duration: '1h', reason: 'x', includesCritical: true },
      'high',
    ],
  ] as const)('refuses %s', (_name, request, level) => {
    expect(() => planMute(assessed(from, level), request, { id: 'm', by: BY, now: NOW })).toThrow(
      MuteRequestError,
    );
  });

  it('lasts as long as asked', () => {
    const m = planMute(
      assessed(from),
      { scope: 'resource', duration: '7d', reason: 'migration', includesCritical: false },
      { id: 'm', by: BY, now: NOW },
    );
    expect(m).toMatchObject({ resource: 'role/r', expiresAt: '2026-11-27T14:00:00.000Z', createdBy: BY });
  });
});
