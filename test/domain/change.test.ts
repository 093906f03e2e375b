import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type NormaliseResult, normaliseEventTime, normaliseRecord } from '../../src/domain/change';
import { CIS44_EVENT_NAMES } from '../../src/domain/events';
import { type CloudTrailRecord, InputError } from '../../src/domain/input';
import type { Change, Target } from '../../src/domain/types';
import { changeOf, cloudTrailRecord } from '../support/cloudtrail';

const CLOUDTRAIL_DIR = new URL('../fixtures/cloudtrail/', import.meta.url);
const FIXTURES = readdirSync(CLOUDTRAIL_DIR)
  .filter((file) => file.endsWith('.json'))
  .map((file) => file.replace(/\.json$/, ''))
  .sort();

function record(name: string): CloudTrailRecord {
  return JSON.parse(readFileSync(new URL(`${name}.json`, CLOUDTRAIL_DIR), 'utf8')) as CloudTrailRecord;
}

function normalised(name: string): NormaliseResult {
  return normaliseRecord(record(name));
}

function change(name: string): Change {
  const result = normalised(name);
  if (!('change' in result)) throw new Error(`${name} was skipped: ${result.skipped.reason}`);
  return result.change;
}

const ACCOUNT = '111122223333';
const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const DEPLOY_ARTIFACTS = `arn:aws:iam::${ACCOUNT}:policy/ci/DeployArtifacts`;

/** The 16 CIS 4.4 events, one fixture each, named by the event in kebab case. */
const CIS44_FIXTURES: Record<string, string> = {
  'attach-role-policy': 'AttachRolePolicy',
  'attach-user-policy': 'AttachUserPolicy',
  'attach-group-policy': 'AttachGroupPolicy',
  'detach-role-policy': 'DetachRolePolicy',
  'detach-user-policy': 'DetachUserPolicy',
  'detach-group-policy': 'DetachGroupPolicy',
  'put-role-policy': 'PutRolePolicy',
  'put-user-policy': 'PutUserPolicy',
  'put-group-policy': 'PutGroupPolicy',
  'delete-role-policy': 'DeleteRolePolicy',
  'delete-user-policy': 'DeleteUserPolicy',
  'delete-group-policy': 'DeleteGroupPolicy',
  'create-policy': 'CreatePolicy',
  'delete-policy': 'DeletePolicy',
  'create-policy-version': 'CreatePolicyVersion',
  'delete-policy-version': 'DeletePolicyVersion',
};

/** What each fixture is: a CIS 4.4 change, another IAM write, or a record set aside. */
const EXPECTED: Record<string, 'cis44' | 'other-write' | 'skipped'> = {
  ...Object.fromEntries(Object.keys(CIS44_FIXTURES).map((name) => [name, 'cis44' as const])),
  'set-default-policy-version': 'other-write',
  'update-assume-role-policy': 'other-write',
  'create-role': 'other-write',
  'boto3-create-access-key': 'other-write',
  'failed-attach-access-denied': 'cis44',
  'failed-put-policy-null-request': 'cis44',
  'root-attach-user-policy': 'cis44',
  'iam-user-mfa-console': 'cis44',
  'sso-session-put-role-policy': 'cis44',
  'terraform-attach-role-policy': 'cis44',
  'cloudformation-invoked-create-policy': 'cis44',
  'sdk-js-put-user-policy': 'cis44',
  'sdk-java-put-group-policy': 'cis44',
  'sdk-go-detach-role-policy': 'cis44',
  'cdk-put-role-policy': 'cis44',
  'organizations-create-policy': 'skipped',
  'read-only-get-role-policy': 'skipped',
};

describe('normaliseRecord over the CloudTrail fixtures', () => {
  it('knows what every fixture is (a new fixture needs a line in this table)', () => {
    expect(FIXTURES).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(FIXTURES)('classifies %s', (name) => {
    const result = normalised(name);
    const expected = EXPECTED[name];

    if (expected === 'skipped') {
      expect(result).toHaveProperty('skipped');
    } else {
      expect(result).toHaveProperty('change');
      if ('change' in result) expect(result.change.cis44).toBe(expected === 'cis44');
    }
  });

  it('flags exactly the 16 CIS 4.4 event names, one fixture each', () => {
    const flagged = FIXTURES.map((name) => normalised(name))
      .flatMap((result) => ('change' in result && result.change.cis44 ? [result.change.eventName] : []))
      .filter((eventName, index, all) => all.indexOf(eventName) === index)
      .sort();

    expect(flagged).toEqual(Object.values(CIS44_FIXTURES).sort());
    expect(flagged).toEqual([...CIS44_EVENT_NAMES].sort());
    for (const [name, eventName] of Object.entries(CIS44_FIXTURES)) {
      expect(change(name).eventName).toBe(eventName);
    }
  });

  it.each(FIXTURES.filter((name) => EXPECTED[name] !== 'skipped'))(
    'keeps the identity, time and place of %s as CloudTrail recorded them',
    (name) => {
      const raw = record(name);
      const normalisedChange = change(name);

      expect(normalisedChange.eventId).toBe(raw.eventID);
      expect(normalisedChange.eventTime).toBe(raw.eventTime);
      expect(normalisedChange.eventSource).toBe('iam.amazonaws.com');
      expect(normalisedChange.accountId).toBe(ACCOUNT);
      expect(normalisedChange.region).toBe('us-east-1');
      expect(normalisedChange.recipientAccountId).toBeUndefined();
    },
  );
});

describe('normaliseRecord targets', () => {
  it.each<[fixture: string, target: Target]>([
    [
      'attach-role-policy',
      { kind: 'role', name: 'ci-runner', policyArn: ADMIN, policyName: 'AdministratorAccess' },
    ],
    [
      'attach-user-policy',
      {
        kind: 'user',
        name: 'deploy-bot',
        policyArn: 'arn:aws:iam::aws:policy/IAMFullAccess',
        policyName: 'IAMFullAccess',
      },
    ],
    [
      'attach-group-policy',
      {
        kind: 'group',
        name: 'auditors',
        policyArn: 'arn:aws:iam::aws:policy/SecurityAudit',
        policyName: 'SecurityAudit',
      },
    ],
    [
      'detach-role-policy',
      {
        kind: 'role',
        name: 'ci-runner',
        policyArn: `arn:aws:iam::${ACCOUNT}:policy/ci/ArtifactBucketWrite`,
        policyName: 'ArtifactBucketWrite',
      },
    ],
    [
      'detach-user-policy',
      {
        kind: 'user',
        name: 'mallory',
        policyArn: 'arn:aws:iam::aws:policy/PowerUserAccess',
        policyName: 'PowerUserAccess',
      },
    ],
    [
      'detach-group-policy',
      {
        kind: 'group',
        name: 'developers',
        policyArn: `arn:aws:iam::${ACCOUNT}:policy/guardrails/DenyOutsideApprovedRegions`,
        policyName: 'DenyOutsideApprovedRegions',
      },
    ],
    ['put-role-policy', { kind: 'role', name: 'ci-runner', policyName: 'ci-runner-artifacts' }],
    ['put-user-policy', { kind: 'user', name: 'deploy-bot', policyName: 'deploy-bot-lambda' }],
    ['put-group-policy', { kind: 'group', name: 'developers', policyName: 'developers-self-service' }],
    ['delete-role-policy', { kind: 'role', name: 'ci-runner', policyName: 'ci-runner-deny-iam' }],
    ['delete-user-policy', { kind: 'user', name: 'alice', policyName: 'force-mfa' }],
    ['delete-group-policy', { kind: 'group', name: 'developers', policyName: 'deny-billing' }],
    [
      'create-policy',
      {
        kind: 'policy',
        name: 'EKSNodeExtras',
        path: '/platform/',
        policyArn: `arn:aws:iam::${ACCOUNT}:policy/platform/EKSNodeExtras`,
        policyName: 'EKSNodeExtras',
        arn: `arn:aws:iam::${ACCOUNT}:policy/platform/EKSNodeExtras`,
      },
    ],
    [
      'delete-policy',
      {
        kind: 'policy',
        name: 'OldDeployPolicy',
        path: '/legacy/',
        policyArn: `arn:aws:iam::${ACCOUNT}:policy/legacy/OldDeployPolicy`,
        policyName: 'OldDeployPolicy',
        arn: `arn:aws:iam::${ACCOUNT}:policy/legacy/OldDeployPolicy`,
      },
    ],
    [
      'create-policy-version',
      {
        kind: 'policy',
        name: 'DeployArtifacts',
        path: '/ci/',
        policyArn: DEPLOY_ARTIFACTS,
        policyName: 'DeployArtifacts',
        versionId: 'v3',
        arn: DEPLOY_ARTIFACTS,
      },
    ],
    [
      'delete-policy-version',
      {
        kind: 'policy',
        name: 'DeployArtifacts',
        path: '/ci/',
        policyArn: DEPLOY_ARTIFACTS,
        policyName: 'DeployArtifacts',
        versionId: 'v1',
        arn: DEPLOY_ARTIFACTS,
      },
    ],
    [
      'set-default-policy-version',
      {
        kind: 'policy',
        name: 'DeployArtifacts',
        path: '/ci/',
        policyArn: DEPLOY_ARTIFACTS,
        policyName: 'DeployArtifacts',
        versionId: 'v2',
        arn: DEPLOY_ARTIFACTS,
      },
    ],
    ['update-assume-role-policy', { kind: 'role', name: 'ci-runner' }],
    [
      'create-role',
      { kind: 'role', name: 'vendor-readonly', arn: `arn:aws:iam::${ACCOUNT}:role/vendor-readonly` },
    ],
    ['boto3-create-access-key', { kind: 'user', name: 'svc-reporting' }],
  ])('reads the target of %s', (fixture, target) => {
    expect(change(fixture).target).toEqual(target);
  });

  it('takes the new version id of CreatePolicyVersion from the response', () => {
    const raw = record('create-policy-version');

    expect(raw.requestParameters).not.toHaveProperty('versionId');
    expect(change('create-policy-version').target.versionId).toBe('v3');
  });

  it('builds the ARN of a policy that CreatePolicy failed to create from the account, path and name', () => {
    const failed = changeOf(
      'CreatePolicy',
      { policyName: 'Escalate', path: '/team/', policyDocument: '{"Statement":[]}' },
      { errorCode: 'AccessDenied', errorMessage: 'not authorized' },
    );

    expect(failed.target).toMatchObject({
      kind: 'policy',
      name: 'Escalate',
      path: '/team/',
      policyArn: `arn:aws:iam::${ACCOUNT}:policy/team/Escalate`,
    });
  });

  it('takes the caller as the target when an IAM user creates their own access key', () => {
    const own = changeOf('CreateAccessKey', null);

    expect(own.target).toEqual({ kind: 'user', name: 'alice' });
  });
});

describe('normaliseRecord documents', () => {
  it('parses the pretty-printed policy text of PutRolePolicy', () => {
    const raw = record('put-role-policy');
    const text = raw.requestParameters?.policyDocument;

    expect(text).toEqual(expect.stringContaining('\n    "Statement": [\n'));
    expect(change('put-role-policy').documents).toEqual([
      {
        role: 'permissions',
        field: 'policyDocument',
        document: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'ReadWriteArtifacts',
              Effect: 'Allow',
              Action: ['s3:GetObject', 's3:PutObject', 's3:ListBucket'],
              Resource: ['arn:aws:s3:::acme-ci-artifacts', 'arn:aws:s3:::acme-ci-artifacts/*'],
            },
            { Sid: 'PushImages', Effect: 'Allow', Action: ['ecr:*'], Resource: ['*'] },
          ],
        },
      },
    ]);
  });

  it('keeps NotAction statements of a group policy', () => {
    const [entry] = change('put-group-policy').documents;

    expect(entry?.document?.Statement[1]).toEqual({
      Sid: 'EverythingButIam',
      Effect: 'Allow',
      NotAction: ['iam:*', 'organizations:*', 'account:*'],
      Resource: ['*'],
    });
  });

  it('keeps the conditions of a created policy', () => {
    const [entry] = change('create-policy').documents;

    expect(entry?.document?.Statement[1]?.Condition).toEqual({
      StringEquals: { 'aws:ResourceTag/k8s.io/cluster-autoscaler/enabled': ['true'] },
    });
  });

  it('reads the document of UpdateAssumeRolePolicy as a trust policy', () => {
    expect(change('update-assume-role-policy').documents).toEqual([
      {
        role: 'trust',
        field: 'policyDocument',
        document: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { AWS: ['*'] }, Action: ['sts:AssumeRole'] }],
        },
      },
    ]);
  });

  it('reads the assumeRolePolicyDocument of CreateRole as a trust policy naming the external account', () => {
    const [entry] = change('create-role').documents;

    expect(entry?.role).toBe('trust');
    expect(entry?.field).toBe('assumeRolePolicyDocument');
    expect(entry?.document?.Statement[0]?.Principal).toEqual({ AWS: ['arn:aws:iam::444455556666:root'] });
  });

  it('has no documents for calls that carry none', () => {
    expect(change('attach-role-policy').documents).toEqual([]);
    expect(change('delete-role-policy').documents).toEqual([]);
  });

  it('parses a URL-encoded document, as IAM Get* APIs return them', () => {
    const encoded =
      '%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22iam%3APassRole%22%2C%22Resource%22%3A%22*%22%7D%5D%7D';
    const putRole = changeOf('PutRolePolicy', {
      roleName: 'ci-runner',
      policyName: 'pass',
      policyDocument: encoded,
    });

    expect(putRole.documents[0]?.document).toEqual({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['iam:PassRole'], Resource: ['*'] }],
    });
  });

  it('keeps a document it cannot read as an error, and still normalises the change', () => {
    const putRole = changeOf('PutRolePolicy', {
      roleName: 'ci-runner',
      policyName: 'broken',
      policyDocument: '{"Version": "2012-10-17", "Statement": [',
    });

    expect(putRole.documents).toHaveLength(1);
    expect(putRole.documents[0]?.document).toBeUndefined();
    expect(putRole.documents[0]?.error).toMatch(/not valid JSON|neither JSON nor URL-encoded/);
  });
});

describe('normaliseRecord outcomes', () => {
  it('marks a denied call as failed, with the error code and message', () => {
    const failed = change('failed-attach-access-denied');

    expect(failed.outcome).toBe('failed');
    expect(failed.errorCode).toBe('AccessDenied');
    expect(failed.errorMessage).toMatch(
      /^User: arn:aws:sts::111122223333:assumed-role\/DeveloperSandbox\/bob is not authorized to perform: iam:AttachRolePolicy /,
    );
    expect(failed.responseElements).toBeNull();
    expect(failed.target).toMatchObject({ kind: 'role', name: 'ci-runner', policyArn: ADMIN });
  });

  it('normalises a failed call whose requestParameters are null', () => {
    const failed = change('failed-put-policy-null-request');

    expect(failed.outcome).toBe('failed');
    expect(failed.errorCode).toBe('AccessDenied');
    expect(failed.requestParameters).toBeNull();
    expect(failed.documents).toEqual([]);
    expect(failed.target).toEqual({ kind: 'user', name: '' });
  });

  it('marks calls without an error code as successful', () => {
    const success = change('attach-role-policy');

    expect(success.outcome).toBe('success');
    expect(success).not.toHaveProperty('errorCode');
    expect(success).not.toHaveProperty('errorMessage');
  });
});

describe('normaliseRecord skipping', () => {
  it('sets aside AWS Organizations CreatePolicy, saying it is Organizations', () => {
    const result = normalised('organizations-create-policy');

    expect(result).toEqual({
      skipped: {
        eventId: record('organizations-create-policy').eventID,
        eventName: 'CreatePolicy',
        eventSource: 'organizations.amazonaws.com',
        reason: expect.stringContaining('Organizations'),
      },
    });
  });

  it('sets aside read-only IAM calls', () => {
    const result = normalised('read-only-get-role-policy');

    expect(result).toEqual({
      skipped: {
        eventId: record('read-only-get-role-policy').eventID,
        eventName: 'GetRolePolicy',
        eventSource: 'iam.amazonaws.com',
        reason: 'read-only IAM call',
      },
    });
  });

  it('sets aside a read call even when readOnly is missing, by its verb', () => {
    const raw = cloudTrailRecord('ListRolePolicies', { roleName: 'ci-runner' });
    delete raw.readOnly;

    expect(normaliseRecord(raw)).toMatchObject({ skipped: { reason: 'read-only IAM call' } });
  });

  it.each([
    ['DisableOrganizationsRootCredentialsManagement', {}],
    ['DisableOrganizationsRootSessions', {}],
    ['SetSecurityTokenServicePreferences', { globalEndpointTokenVersion: 'v2Token' }],
  ])(
    'takes %s, a write CloudTrail marks readOnly false, whatever verb its name starts with',
    (name, request) => {
      const raw = cloudTrailRecord(name, request, { readOnly: false });

      expect(normaliseRecord(raw)).toMatchObject({ change: { eventName: name } });
    },
  );

  it("trusts CloudTrail's readOnly over the verb: a record marked read-only is set aside", () => {
    const raw = cloudTrailRecord('UpdateRole', { roleName: 'ci-runner' }, { readOnly: true });

    expect(normaliseRecord(raw)).toMatchObject({ skipped: { reason: 'read-only IAM call' } });
  });

  it('sets aside calls of other services, naming the event source', () => {
    const raw = cloudTrailRecord(
      'AssumeRole',
      { roleArn: 'arn:aws:iam::111122223333:role/x' },
      {
        eventSource: 'sts.amazonaws.com',
      },
    );

    expect(normaliseRecord(raw)).toMatchObject({
      skipped: { reason: expect.stringContaining('sts.amazonaws.com') },
    });
  });
});

describe('normaliseEventTime', () => {
  it.each<[input: string, iso: string]>([
    ['2026-11-20T14:01:07Z', '2026-11-20T14:01:07Z'],
    ['2022-09-15 13:45:24', '2022-09-15T13:45:24Z'],
    ['2022-09-15T13:45:24', '2022-09-15T13:45:24Z'],
    ['2022-09-15T13:45:24.123456789Z', '2022-09-15T13:45:24.123Z'],
    ['2022-09-15 13:45:24.123456789', '2022-09-15T13:45:24.123Z'],
    ['2022-09-15T13:45:24.000Z', '2022-09-15T13:45:24Z'],
    ['2022-09-15T15:45:24+02:00', '2022-09-15T13:45:24Z'],
    ['  2022-09-15T13:45:24Z  ', '2022-09-15T13:45:24Z'],
    ['2024-02-29T23:59:59Z', '2024-02-29T23:59:59Z'],
    ['2000-02-29T00:00:00Z', '2000-02-29T00:00:00Z'],
    ['2026-12-31T00:00:00Z', '2026-12-31T00:00:00Z'],
    // Year 0000 is a leap year in the proleptic Gregorian calendar: the same answer whichever form it comes in
    // (Date.UTC reads years 0–99 as 1900–1999, which is not).
    ['0000-02-29T00:00:00Z', '0000-02-29T00:00:00Z'],
    ['0000-02-29 00:00:00', '0000-02-29T00:00:00Z'],
    ['0004-02-29 12:00:00', '0004-02-29T12:00:00Z'],
  ])('reads %j as %s', (input, iso) => {
    expect(normaliseEventTime(input)).toBe(iso);
  });

  it.each<[input: unknown]>([
    ['yesterday'],
    ['2022-09-15'],
    ['2022-13-01T00:00:00Z'],
    ['2022-02-30T10:00:00Z'],
    ['2023-02-29T10:00:00Z'],
    ['1900-02-29T10:00:00Z'],
    ['1900-02-29 10:00:00'],
    ['0100-02-29T10:00:00Z'],
    ['0100-02-29 10:00:00'],
    ['0001-02-29 10:00:00'],
    ['2026-04-31T10:00:00Z'],
    ['2026-11-20T14:60:00Z'],
    ['2026-00-10T10:00:00Z'],
    [''],
    [1663249524000],
    [undefined],
  ])('refuses %j with an InputError', (input) => {
    expect(() => normaliseEventTime(input)).toThrow(InputError);
  });

  it('gives the record its normalised time', () => {
    const putRole = changeOf(
      'DeleteRolePolicy',
      { roleName: 'r', policyName: 'p' },
      {
        eventTime: '2022-09-15 13:45:24',
      },
    );

    expect(putRole.eventTime).toBe('2022-09-15T13:45:24Z');
  });

  it('refuses a write record whose eventTime is not a date', () => {
    const raw = cloudTrailRecord(
      'DeleteRolePolicy',
      { roleName: 'r', policyName: 'p' },
      { eventTime: 'soon' },
    );

    expect(() => normaliseRecord(raw)).toThrow(/eventTime "soon" is not a date/);
  });
});

describe('normaliseRecord identity', () => {
  function withoutEventId(overrides: Partial<CloudTrailRecord> = {}): CloudTrailRecord {
    const raw = { ...record('attach-role-policy'), ...overrides };
    delete raw.eventID;
    return raw;
  }

  it('gives a record without an eventID a synthetic id that is the same on every call', () => {
    const first = normaliseRecord(withoutEventId());
    const second = normaliseRecord(structuredClone(withoutEventId()));

    if (!('change' in first) || !('change' in second)) throw new Error('expected changes');
    expect(first.change.eventId).toMatch(/^synthetic-[0-9a-f]{16}$/);
    expect(second.change.eventId).toBe(first.change.eventId);
  });

  it('gives different calls without an eventID different synthetic ids', () => {
    const first = normaliseRecord(withoutEventId());
    const other = normaliseRecord(
      withoutEventId({
        requestParameters: { roleName: 'ci-runner', policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' },
      }),
    );

    if (!('change' in first) || !('change' in other)) throw new Error('expected changes');
    expect(other.change.eventId).not.toBe(first.change.eventId);
  });

  it('records the recipient account when the call acted in another account than the caller’s', () => {
    const crossAccount = changeOf(
      'AttachRolePolicy',
      { roleName: 'r', policyArn: ADMIN },
      {
        recipientAccountId: '444455556666',
      },
    );

    expect(crossAccount.accountId).toBe('444455556666');
    expect(crossAccount.recipientAccountId).toBe('444455556666');
  });

  it('falls back to the caller’s account and to us-east-1 when CloudTrail omits them', () => {
    const raw = cloudTrailRecord('DeleteUserPolicy', { userName: 'u', policyName: 'p' });
    delete raw.recipientAccountId;
    delete raw.awsRegion;
    const result = normaliseRecord(raw);

    expect(result).toMatchObject({ change: { accountId: '111122223333', region: 'us-east-1' } });
  });

  it('reads the caller with the actor reader (an SSO session here)', () => {
    expect(change('sso-session-put-role-policy').actor).toMatchObject({
      type: 'sso',
      name: 'jane@example.com',
      ssoPermissionSet: 'AdministratorAccess',
    });
  });
});

describe('normaliseRecord: created service-linked roles and renames', () => {
  const ROLE_ARN =
    'arn:aws:iam::111122223333:role/aws-service-role/elasticbeanstalk.amazonaws.com/AWSServiceRoleForElasticBeanstalk';

  it.each<[string, Record<string, unknown> | null, Record<string, unknown>, Partial<Target>]>([
    [
      'names the role from the response',
      { AWSServiceName: 'elasticbeanstalk.amazonaws.com' },
      { responseElements: { role: { roleName: 'AWSServiceRoleForElasticBeanstalk', arn: ROLE_ARN } } },
      {
        kind: 'role',
        name: 'AWSServiceRoleForElasticBeanstalk',
        arn: ROLE_ARN,
        service: 'elasticbeanstalk.amazonaws.com',
      },
    ],
    [
      'reads the name from the ARN when the response has no roleName',
      { aWSServiceName: 'elasticbeanstalk.amazonaws.com' },
      { responseElements: { role: { arn: ROLE_ARN } } },
      { kind: 'role', name: 'AWSServiceRoleForElasticBeanstalk', service: 'elasticbeanstalk.amazonaws.com' },
    ],
    [
      'says whose role a failed call did not create, never naming the service as the target',
      { AWSServiceName: 'elasticbeanstalk.amazonaws.com' },
      { errorCode: 'AccessDenied', responseElements: null },
      { kind: 'unknown', name: 'the service-linked role of elasticbeanstalk.amazonaws.com' },
    ],
  ])('CreateServiceLinkedRole %s', (_, request, overrides, target) => {
    expect(changeOf('CreateServiceLinkedRole', request, overrides).target).toMatchObject(target);
  });

  it.each<[string, string, Record<string, unknown>, Record<string, unknown>, Partial<Target>, boolean]>([
    [
      'a user rename',
      'UpdateUser',
      { userName: 'bob', newUserName: 'robert' },
      {},
      { kind: 'user', name: 'bob', newName: 'robert' },
      true,
    ],
    [
      'a group rename',
      'UpdateGroup',
      { groupName: 'dev', newGroupName: 'developers' },
      {},
      { kind: 'group', name: 'dev', newName: 'developers' },
      true,
    ],
    [
      'a path change only',
      'UpdateUser',
      { userName: 'bob', newPath: '/staff/' },
      {},
      { kind: 'user', name: 'bob' },
      false,
    ],
    [
      'a failed rename (the old name still stands)',
      'UpdateGroup',
      { groupName: 'dev', newGroupName: 'developers' },
      { errorCode: 'EntityAlreadyExists' },
      { kind: 'group', name: 'dev' },
      false,
    ],
  ])('%s', (_, eventName, request, overrides, target, renamed) => {
    const change = changeOf(eventName, request, overrides);
    expect(change.target).toMatchObject(target);
    expect('newName' in change.target).toBe(renamed);
  });
});
