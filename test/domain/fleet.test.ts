import { describe, expect, it } from 'vitest';
import {
  actorIdentity,
  fleetKey,
  sessionPattern,
  targetIdentity,
  withoutAccount,
} from '../../src/domain/fleet';
import type { CloudTrailRecord } from '../../src/domain/input';
import { changeOf } from '../support/cloudtrail';

const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';

function assumedRole(account: string, role: string, session: string): Partial<CloudTrailRecord> {
  return {
    recipientAccountId: account,
    userIdentity: {
      type: 'AssumedRole',
      principalId: `AROA${account}:${session}`,
      arn: `arn:aws:sts::${account}:assumed-role/${role}/${session}`,
      accountId: account,
      sessionContext: {
        sessionIssuer: { type: 'Role', arn: `arn:aws:iam::${account}:role/${role}`, userName: role },
        attributes: { creationDate: '2026-11-20T13:00:00Z', mfaAuthenticated: 'false' },
      },
    },
  };
}

function iamUser(account: string, name: string): Partial<CloudTrailRecord> {
  return {
    recipientAccountId: account,
    userIdentity: {
      type: 'IAMUser',
      principalId: `AIDA${account}`,
      arn: `arn:aws:iam::${account}:user/${name}`,
      accountId: account,
      userName: name,
    },
  };
}

function root(account: string): Partial<CloudTrailRecord> {
  return {
    recipientAccountId: account,
    userIdentity: {
      type: 'Root',
      principalId: account,
      arn: `arn:aws:iam::${account}:root`,
      accountId: account,
    },
  };
}

const SSO = 'AWSReservedSSO_AdministratorAccess_0123456789abcdef';

function attach(role: string, overrides: Partial<CloudTrailRecord>, policyArn = ADMIN) {
  return changeOf('AttachRolePolicy', { roleName: role, policyArn }, overrides);
}

describe('sessionPattern', () => {
  it.each([
    ['terraform-1733300000', 'terraform-*'],
    ['terraform-1733300042', 'terraform-*'],
    ['jane@example.com', 'jane@example.com'],
    ['botocore-session-1733300000', 'botocore-session-*'],
    ['AWSCloudFormation-3f2a1b9c-1d2e-4f5a-8b6c-7d8e9f0a1b2c', 'AWSCloudFormation-*'],
    ['github-actions-1234-5678', 'github-actions-*'],
    ['cdk-hnb659fds-deploy-role', 'cdk-hnb659fds-deploy-role'],
    ['', ''],
  ])('%s becomes %s', (session, pattern) => {
    expect(sessionPattern(session)).toBe(pattern);
  });
});

describe('withoutAccount', () => {
  it.each([
    ['arn:aws:iam::111122223333:policy/team/app', 'arn:aws:iam::*:policy/team/app'],
    ['arn:aws:iam::aws:policy/AdministratorAccess', 'arn:aws:iam::aws:policy/AdministratorAccess'],
    ['arn:aws-us-gov:iam::111122223333:role/x', 'arn:aws-us-gov:iam::*:role/x'],
    ['not an arn', 'not an arn'],
  ])('%s → %s', (arn, expected) => {
    expect(withoutAccount(arn)).toBe(expected);
  });
});

describe('fleetKey', () => {
  const rows: Array<{
    name: string;
    a: ReturnType<typeof changeOf>;
    b: ReturnType<typeof changeOf>;
    same: boolean;
  }> = [
    {
      name: 'one role rolling out the same attach in two accounts',
      a: attach('Admin', assumedRole('111111111111', 'org-rollout', 'stackset-1733300000')),
      b: attach('Admin', assumedRole('222222222222', 'org-rollout', 'stackset-1733300099')),
      same: true,
    },
    {
      name: 'the same SSO user in two accounts',
      a: attach('Admin', assumedRole('111111111111', SSO, 'jane@example.com')),
      b: attach('Admin', assumedRole('222222222222', SSO, 'jane@example.com')),
      same: true,
    },
    {
      name: 'two SSO users with the same permission set',
      a: attach('Admin', assumedRole('111111111111', SSO, 'jane@example.com')),
      b: attach('Admin', assumedRole('222222222222', SSO, 'bob@example.com')),
      same: false,
    },
    {
      name: 'an IAM user of the same name in two accounts',
      a: attach('Admin', iamUser('111111111111', 'deployer')),
      b: attach('Admin', iamUser('222222222222', 'deployer')),
      same: true,
    },
    {
      name: 'the root users of two accounts (never one identity)',
      a: attach('Admin', root('111111111111')),
      b: attach('Admin', root('222222222222')),
      same: false,
    },
    {
      name: 'two roles of different names',
      a: attach('Admin', assumedRole('111111111111', 'org-rollout', 's')),
      b: attach('Admin', assumedRole('222222222222', 'other-rollout', 's')),
      same: false,
    },
    {
      name: 'another target role',
      a: attach('Admin', assumedRole('111111111111', 'org-rollout', 's')),
      b: attach('Break-glass', assumedRole('222222222222', 'org-rollout', 's')),
      same: false,
    },
    {
      name: 'another policy',
      a: attach('Admin', assumedRole('111111111111', 'org-rollout', 's')),
      b: attach(
        'Admin',
        assumedRole('222222222222', 'org-rollout', 's'),
        'arn:aws:iam::aws:policy/ReadOnlyAccess',
      ),
      same: false,
    },
    {
      name: 'a customer managed policy of the same name in each account',
      a: attach('Admin', assumedRole('111111111111', 'r', 's'), 'arn:aws:iam::111111111111:policy/baseline'),
      b: attach('Admin', assumedRole('222222222222', 'r', 's'), 'arn:aws:iam::222222222222:policy/baseline'),
      same: true,
    },
    {
      name: 'another event on the same target',
      a: attach('Admin', assumedRole('111111111111', 'r', 's')),
      b: changeOf(
        'DetachRolePolicy',
        { roleName: 'Admin', policyArn: ADMIN },
        assumedRole('222222222222', 'r', 's'),
      ),
      same: false,
    },
    {
      name: 'a failed call and a successful one',
      a: attach('Admin', assumedRole('111111111111', 'r', 's')),
      b: attach('Admin', {
        ...assumedRole('222222222222', 'r', 's'),
        errorCode: 'AccessDenied',
        errorMessage: 'denied',
      }),
      same: false,
    },
  ];
  it.each(rows)('$name: same key is $same', ({ a, b, same }) => {
    expect(fleetKey(a) === fleetKey(b)).toBe(same);
  });

  it('keeps no account id of either change in the key', () => {
    const change = attach(
      'Admin',
      assumedRole('123456789012', 'org-rollout', 'stackset-1733300000'),
      'arn:aws:iam::123456789012:policy/p',
    );
    expect(fleetKey(change)).not.toContain('123456789012');
    expect(actorIdentity(change.actor)).toBe('role:org-rollout/stackset-*');
    expect(targetIdentity(change)).toContain('arn:aws:iam::*:policy/p');
  });
});
