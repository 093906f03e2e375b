import { describe, expect, it } from 'vitest';
import { readActor } from '../../src/domain/actor';
import { parsePolicyDocument, statementCoversAction, wildcardMatch } from '../../src/domain/policy';
import {
  effectiveModes,
  isQuarantinePolicyArn,
  MANAGED_POLICY_MAX_CHARS,
  modeAvailability,
  modesToAdd,
  policyNameOf,
  policySize,
  QUARANTINE_POLICY_NAME,
  QUARANTINE_POLICY_PATH,
  type QuarantineMode,
  type QuarantineSettings,
  type QuarantineTarget,
  quarantineDocument,
  quarantineEventOf,
  quarantinePolicyArn,
  quarantinePolicyDescription,
  quarantinePolicyName,
  quarantineTarget,
  sessionsDenyDocument,
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

describe('quarantine modes and the bot surface', () => {
  const surface = {
    topicArns: [
      'arn:aws:sns:eu-central-1:111122223333:iam-changes-production-alerts-with-a-long-name',
      'arn:aws:sns:eu-central-1:111122223333:iam-changes-production-jobs-with-a-long-name',
    ],
    parameterArnPrefix: 'arn:aws:ssm:eu-central-1:111122223333:parameter/iam-changes/production/',
    tableArn: 'arn:aws:dynamodb:eu-central-1:111122223333:table/iam-changes-production-table',
    functionArnPrefix: 'arn:aws:lambda:eu-central-1:111122223333:function:iam-changes-production-',
    arnParts: { partition: 'aws', region: 'eu-central-1', account: '111122223333' },
  };
  const at = new Date('2026-11-20T14:06:00.000Z');

  it('always applies deny-iam, in order, and drops deactivate-keys for a role', () => {
    expect(effectiveModes(undefined, 'user')).toEqual(['deny-iam']);
    expect(effectiveModes(['deactivate-keys', 'revoke-sessions'], 'user')).toEqual([
      'deny-iam',
      'revoke-sessions',
      'deactivate-keys',
    ]);
    expect(effectiveModes(['deactivate-keys'], 'role')).toEqual(['deny-iam']);
    expect(modeAvailability('deactivate-keys', 'role')).toMatchObject({ available: false });
  });

  it('revokes sessions issued before the quarantine with aws:TokenIssueTime', () => {
    const document = quarantineDocument({ modes: ['deny-iam', 'revoke-sessions'], at });
    expect(document.Statement[1]).toEqual({
      Sid: 'IamChangesQuarantineRevokeSessions',
      Effect: 'Deny',
      Action: ['*'],
      Resource: ['*'],
      Condition: { DateLessThan: { 'aws:TokenIssueTime': ['2026-11-20T14:06:00.000Z'] } },
    });
    expect(() => quarantineDocument({ modes: ['revoke-sessions'] })).toThrow(RangeError);
  });

  it('denies the bot surface in every mode, with Deny statements only', () => {
    for (const modes of [['deny-iam'], ['deny-iam', 'revoke-sessions', 'deactivate-keys']] as const) {
      const document = quarantineDocument({ modes, at, surface });
      expect(document.Statement.every((statement) => statement.Effect === 'Deny')).toBe(true);
      const covers = (action: string, resource: string) =>
        document.Statement.some(
          (statement) =>
            statement.Condition === undefined &&
            statementCoversAction(statement, action) &&
            (statement.Resource ?? []).some((glob) => glob === '*' || wildcardMatch(glob, resource)),
        );
      expect(covers('sns:Publish', surface.topicArns[1] ?? '')).toBe(true);
      expect(covers('ssm:GetParameter', `${surface.parameterArnPrefix}slack/signing-secret`)).toBe(true);
      expect(covers('dynamodb:PutItem', surface.tableArn)).toBe(true);
      expect(covers('lambda:UpdateFunctionCode', `${surface.functionArnPrefix}worker`)).toBe(true);
      expect(covers('iam:DetachUserPolicy', 'arn:aws:iam::111122223333:user/mallory')).toBe(true);
      expect(covers('sns:Publish', 'arn:aws:sns:eu-central-1:111122223333:someone-else')).toBe(false);
      // Nor may it blind the bot: its rules, the queues holding signed requests, the trail itself.
      expect(
        covers(
          'events:DisableRule',
          'arn:aws:events:eu-central-1:111122223333:rule/iam-changes-cis44-production',
        ),
      ).toBe(true);
      expect(
        covers(
          'sqs:ReceiveMessage',
          'arn:aws:sqs:eu-central-1:111122223333:iam-changes-worker-dlq-production',
        ),
      ).toBe(true);
      expect(covers('cloudtrail:StopLogging', 'arn:aws:cloudtrail:eu-central-1:111122223333:trail/org')).toBe(
        true,
      );
    }
  });

  it('stays under the managed policy size limit with every mode and a long surface', () => {
    const document = quarantineDocument({
      modes: ['deny-iam', 'revoke-sessions', 'deactivate-keys'],
      at,
      surface,
    });
    expect(policySize(document)).toBeLessThanOrEqual(MANAGED_POLICY_MAX_CHARS);
    expect(MANAGED_POLICY_MAX_CHARS).toBe(6144);
  });

  it('names each quarantine its own policy and recognises the bot policies by name', () => {
    const name = quarantinePolicyName(QUARANTINE_POLICY_NAME, '3f9a1c2b-0000-4000-8000-000000000000');
    expect(name).toBe('iam-changes-quarantine-3f9a1c2b');
    expect(quarantinePolicyName('x'.repeat(128), 'abcdefgh12')).toHaveLength(128);
    expect(isQuarantinePolicyArn(quarantinePolicyArn(ACCOUNT, name))).toBe(true);
    expect(isQuarantinePolicyArn(quarantinePolicyArn(ACCOUNT))).toBe(true);
    expect(
      isQuarantinePolicyArn(`arn:aws:iam::${ACCOUNT}:policy/iam-changes/iam-changes-quarantine-x/y`),
    ).toBe(false);
    expect(isQuarantinePolicyArn(`arn:aws:iam::${ACCOUNT}:policy/iam-changes-quarantine-3f9a1c2b`)).toBe(
      false,
    );
  });
});

describe('quarantineEventOf', () => {
  const EVENT = '0a1b2c3d-0000-4000-8000-000000000001';
  it.each([
    ["the bot's description", quarantinePolicyDescription('user/mallory', EVENT), 'user/mallory', EVENT],
    [
      'with keys',
      quarantinePolicyDescription('user/mallory', EVENT, ['AKIAEXAMPLE1']),
      'user/mallory',
      EVENT,
    ],
    ['for another principal', quarantinePolicyDescription('user/eve', EVENT), 'user/mallory', undefined],
    [
      'for a role of the same name',
      quarantinePolicyDescription('role/mallory', EVENT),
      'user/mallory',
      undefined,
    ],
    ['no description', undefined, 'user/mallory', undefined],
    ["someone else's words", 'quarantine for mallory', 'user/mallory', undefined],
    [
      'an empty event id',
      'Attached by iam-changes to user/mallory for CloudTrail event ; x',
      'user/mallory',
      undefined,
    ],
  ])('%s', (_name, description, target, expected) => {
    expect(quarantineEventOf(description, target)).toBe(expected);
  });
});

describe('modesToAdd', () => {
  it.each<
    [string, QuarantineMode[], QuarantineMode[] | undefined, 'user' | 'role', ReturnType<typeof modesToAdd>]
  >([
    [
      'deny-only, asking for keys',
      ['deny-iam'],
      ['deactivate-keys'],
      'user',
      {
        modes: ['deny-iam', 'deactivate-keys'],
        adds: ['deactivate-keys'],
        addable: ['revoke-sessions', 'deactivate-keys'],
      },
    ],
    [
      'deny-only, asking for everything',
      ['deny-iam'],
      ['revoke-sessions', 'deactivate-keys'],
      'user',
      {
        modes: ['deny-iam', 'revoke-sessions', 'deactivate-keys'],
        adds: ['revoke-sessions', 'deactivate-keys'],
        addable: ['revoke-sessions', 'deactivate-keys'],
      },
    ],
    [
      'the same modes',
      ['deny-iam', 'deactivate-keys'],
      ['deactivate-keys'],
      'user',
      { modes: ['deny-iam', 'deactivate-keys'], adds: [], addable: ['revoke-sessions'] },
    ],
    [
      'weaker modes: nothing is taken away',
      ['deny-iam', 'revoke-sessions', 'deactivate-keys'],
      ['deny-iam'],
      'user',
      { modes: ['deny-iam', 'revoke-sessions', 'deactivate-keys'], adds: [], addable: [] },
    ],
    [
      'no modes asked (the confirmation before a choice)',
      ['deny-iam'],
      undefined,
      'role',
      { modes: ['deny-iam'], adds: [], addable: ['revoke-sessions'] },
    ],
    [
      'keys for a role: not a mode it can have',
      ['deny-iam'],
      ['deactivate-keys'],
      'role',
      { modes: ['deny-iam'], adds: [], addable: ['revoke-sessions'] },
    ],
  ])('%s', (_name, inForce, requested, kind, expected) => {
    expect(modesToAdd(inForce, requested, kind)).toEqual(expected);
    // No key left active changes nothing.
    expect(modesToAdd(inForce, requested, kind, { keysLeftActive: false })).toEqual(expected);
  });

  it.each<
    [string, QuarantineMode[], QuarantineMode[] | undefined, 'user' | 'role', ReturnType<typeof modesToAdd>]
  >([
    [
      'keys in force, a key left active, asking for keys again: the request sweeps it',
      ['deny-iam', 'deactivate-keys'],
      ['deactivate-keys'],
      'user',
      {
        modes: ['deny-iam', 'deactivate-keys'],
        adds: ['deactivate-keys'],
        addable: ['revoke-sessions', 'deactivate-keys'],
      },
    ],
    [
      'every mode in force, a key left active: keys may still be asked for',
      ['deny-iam', 'revoke-sessions', 'deactivate-keys'],
      undefined,
      'user',
      {
        modes: ['deny-iam', 'revoke-sessions', 'deactivate-keys'],
        adds: [],
        addable: ['deactivate-keys'],
      },
    ],
    [
      'keys in force, a key left active, asking for sessions only: keys are not swept unasked',
      ['deny-iam', 'deactivate-keys'],
      ['revoke-sessions'],
      'user',
      {
        modes: ['deny-iam', 'revoke-sessions', 'deactivate-keys'],
        adds: ['revoke-sessions'],
        addable: ['revoke-sessions', 'deactivate-keys'],
      },
    ],
    [
      'a role: no keys to sweep',
      ['deny-iam'],
      ['deactivate-keys'],
      'role',
      { modes: ['deny-iam'], adds: [], addable: ['revoke-sessions'] },
    ],
  ])('with a key left active: %s', (_name, inForce, requested, kind, expected) => {
    expect(modesToAdd(inForce, requested, kind, { keysLeftActive: true })).toEqual(expected);
  });
});

describe('sessionsDenyDocument', () => {
  it('is the revoke-sessions statement alone, as the full document has it', () => {
    const at = new Date('2026-11-20T14:00:00.000Z');
    const full = quarantineDocument({ modes: ['deny-iam', 'revoke-sessions'], at });
    expect(sessionsDenyDocument(at)).toEqual({
      Version: '2012-10-17',
      Statement: full.Statement.filter((statement) => statement.Sid === 'IamChangesQuarantineRevokeSessions'),
    });
    expect(sessionsDenyDocument(at).Statement).toHaveLength(1);
  });

  it('names a policy by its ARN', () => {
    expect(policyNameOf('arn:aws:iam::111122223333:policy/iam-changes/iam-changes-quarantine-ab12cd34')).toBe(
      'iam-changes-quarantine-ab12cd34',
    );
  });
});
