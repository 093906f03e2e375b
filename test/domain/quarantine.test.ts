import { describe, expect, it } from 'vitest';
import { readActor } from '../../src/domain/actor';
import { parsePolicyDocument, statementCoversAction } from '../../src/domain/policy';
import {
  QUARANTINE_POLICY_NAME,
  QUARANTINE_POLICY_PATH,
  type QuarantineSettings,
  type QuarantineTarget,
  quarantineDocument,
  quarantinePolicyArn,
  quarantineTarget,
} from '../../src/domain/quarantine';
import type { Actor } from '../../src/domain/types';
import { cloudTrailRecord } from '../support/cloudtrail';

const ACCOUNT = '111122223333';
const SETTINGS: QuarantineSettings = {
  bot: {
    workerRoleArn: 'arn:aws:iam::111122223333:role/iam-changes-worker-prod',
    responderRoleName: 'iam-changes-responder',
    memberAccounts: ['444455556666'],
  },
  protectedPrincipals: ['arn:aws:iam::111122223333:role/break-glass*', 'arn:aws:iam::*:user/admin'],
  accountId: ACCOUNT,
};

function actorOf(userIdentity: Record<string, unknown>, overrides: Record<string, unknown> = {}): Actor {
  return readActor(cloudTrailRecord('AttachRolePolicy', {}, { userIdentity, ...overrides }));
}

function assumedRole(roleName: string, session = 'session', path = '', account = ACCOUNT): Actor {
  return actorOf({
    type: 'AssumedRole',
    principalId: `AROAEXAMPLE:${session}`,
    arn: `arn:aws:sts::${account}:assumed-role/${roleName}/${session}`,
    accountId: account,
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: 'AROAEXAMPLE',
        arn: `arn:aws:iam::${account}:role${path}/${roleName}`,
        accountId: account,
        userName: roleName,
      },
    },
  });
}

const IAM_USER = actorOf({
  type: 'IAMUser',
  principalId: 'AIDAEXAMPLE',
  arn: 'arn:aws:iam::111122223333:user/mallory',
  accountId: ACCOUNT,
  userName: 'mallory',
});

describe('quarantineDocument', () => {
  it('denies every IAM action and sts:AssumeRole on every resource, and nothing else', () => {
    const document = quarantineDocument();
    expect(parsePolicyDocument(JSON.stringify(document))).toEqual(document);
    expect(document.Statement).toHaveLength(1);
    const [statement] = document.Statement;
    expect(statement?.Effect).toBe('Deny');
    expect(statement?.Resource).toEqual(['*']);
    for (const action of ['iam:AttachRolePolicy', 'iam:CreateAccessKey', 'iam:ListRoles', 'sts:AssumeRole']) {
      expect(statement && statementCoversAction(statement, action)).toBe(true);
    }
    for (const action of ['s3:GetObject', 'ec2:RunInstances', 'sts:GetCallerIdentity']) {
      expect(statement && statementCoversAction(statement, action)).toBe(false);
    }
  });

  it('lives at /iam-changes/iam-changes-quarantine in the account', () => {
    expect(quarantinePolicyArn(ACCOUNT)).toBe(
      `arn:aws:iam::${ACCOUNT}:policy${QUARANTINE_POLICY_PATH}${QUARANTINE_POLICY_NAME}`,
    );
    expect(quarantinePolicyArn(ACCOUNT)).toBe(
      'arn:aws:iam::111122223333:policy/iam-changes/iam-changes-quarantine',
    );
  });
});

describe('quarantineTarget', () => {
  it.each<[string, Actor, QuarantineTarget]>([
    ['an IAM user is quarantined itself', IAM_USER, { kind: 'user', name: 'mallory', arn: IAM_USER.arn }],
    [
      'an assumed-role session is quarantined through the role that issued it',
      assumedRole('ci-runner', 'gha-123', '/ci'),
      { kind: 'role', name: 'ci-runner', arn: 'arn:aws:iam::111122223333:role/ci/ci-runner' },
    ],
    [
      'a federated user is quarantined through the IAM user that issued its session',
      actorOf({
        type: 'FederatedUser',
        principalId: `${ACCOUNT}:contractor`,
        arn: 'arn:aws:sts::111122223333:federated-user/contractor',
        accountId: ACCOUNT,
        sessionContext: {
          sessionIssuer: {
            type: 'IAMUser',
            principalId: 'AIDAEXAMPLE',
            arn: 'arn:aws:iam::111122223333:user/broker',
            accountId: ACCOUNT,
            userName: 'broker',
          },
        },
      }),
      { kind: 'user', name: 'broker', arn: 'arn:aws:iam::111122223333:user/broker' },
    ],
  ])('%s', (_name, actor, target) => {
    expect(quarantineTarget(actor, SETTINGS)).toEqual(target);
  });

  it.each<[string, Actor, RegExp]>([
    [
      'the root user',
      actorOf({
        type: 'Root',
        principalId: ACCOUNT,
        arn: 'arn:aws:iam::111122223333:root',
        accountId: ACCOUNT,
      }),
      /^the root user can't be quarantined by policy: secure the root credentials$/,
    ],
    [
      'an IAM Identity Center (SSO) session',
      assumedRole(
        'AWSReservedSSO_AdministratorAccess_0123456789abcdef',
        'jane@example.com',
        '/aws-reserved/sso.amazonaws.com/eu-west-1',
      ),
      /revoke the permission set in IAM Identity Center instead/,
    ],
    [
      'an SSO-looking role that is not a well-formed permission set role',
      assumedRole('AWSReservedSSO_Odd', 'jane'),
      /revoke the permission set in IAM Identity Center instead/,
    ],
    [
      'an AWS service',
      actorOf({ type: 'AWSService', invokedBy: 'config.amazonaws.com' }),
      /config\.amazonaws\.com is an AWS service/,
    ],
    [
      'a federated user with no user or role behind it',
      actorOf({
        type: 'FederatedUser',
        principalId: `${ACCOUNT}:someone`,
        arn: 'arn:aws:sts::111122223333:federated-user/someone',
        accountId: ACCOUNT,
      }),
      /federated user with no IAM user or role behind it/,
    ],
    ["the bot's own role", assumedRole('iam-changes-worker-prod'), /the bot's own role/],
    [
      'a protected role',
      assumedRole('break-glass-admin'),
      /protected principal \(arn:aws:iam::111122223333:role\/break-glass\*\)/,
    ],
    [
      'a protected user',
      actorOf({
        type: 'IAMUser',
        principalId: 'AIDAADMIN',
        arn: 'arn:aws:iam::111122223333:user/admin',
        accountId: ACCOUNT,
        userName: 'admin',
      }),
      /user admin is a protected principal/,
    ],
    [
      'a role of another account',
      assumedRole('deployer', 'session', '', '444455556666'),
      /in account 444455556666, not 111122223333: quarantine it from that account/,
    ],
    [
      'a web identity caller',
      actorOf({ type: 'WebIdentityUser', principalId: 'accounts.google.com:123', userName: '123' }),
      /no IAM user or role/,
    ],
  ])('refuses %s, saying why', (_name, actor, reason) => {
    const target = quarantineTarget(actor, SETTINGS);
    expect(target).toHaveProperty('refused');
    expect('refused' in target && target.refused).toMatch(reason);
  });
});
