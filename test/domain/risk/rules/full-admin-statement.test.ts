import { describe, expect, it } from 'vitest';
import { fullAdminStatement } from '../../../../src/domain/risk/rules/full-admin-statement';
import { changeOf } from '../../../support/cloudtrail';
import { NO_CONTEXT, policyText } from '../support';

const put = (...statements: Array<Record<string, unknown>>) =>
  changeOf('PutRolePolicy', {
    roleName: 'app',
    policyName: 'inline',
    policyDocument: policyText(...statements),
  });

describe('full-admin-statement', () => {
  it.each([
    {
      behaviour: 'flags Action "*" on Resource "*"',
      change: put({ Effect: 'Allow', Action: '*', Resource: '*' }),
      reason: 'allows every action ("*") on *: full administrator access',
    },
    {
      behaviour: 'flags "*:*" in an action list',
      change: put({ Effect: 'Allow', Action: ['s3:GetObject', '*:*'], Resource: ['*'] }),
      reason: 'allows every action ("*:*") on *',
    },
    {
      behaviour: 'flags iam:* on every resource',
      change: put({ Effect: 'Allow', Action: ['ec2:Describe*', 'iam:*'], Resource: '*' }),
      reason: 'allows every IAM action ("iam:*") on *: can grant itself anything',
    },
    {
      behaviour: 'flags a wildcard that covers all of IAM, such as "ia*"',
      change: put({ Effect: 'Allow', Action: 'ia*', Resource: '*' }),
      reason: 'allows every IAM action ("ia*")',
    },
    {
      behaviour: 'flags an ARN wildcard that names every resource',
      change: put({ Effect: 'Allow', Action: 'iam:*', Resource: 'arn:aws:*:*:*:*' }),
      reason: 'on arn:aws:*:*:*:*',
    },
    {
      behaviour: 'finds the admin statement among several',
      change: put(
        { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket/*' },
        { Effect: 'Allow', Action: '*', Resource: '*' },
      ),
      reason: 'allows every action ("*")',
    },
    {
      behaviour: 'flags Allow NotAction that leaves all of IAM granted',
      change: put({ Effect: 'Allow', NotAction: ['s3:*', 'ec2:*'], Resource: '*' }),
      reason: 'allows every action except s3:*, ec2:* (NotAction) on *, including all of IAM',
    },
    {
      behaviour: 'flags a new managed policy version that is full admin',
      change: changeOf('CreatePolicyVersion', {
        policyArn: 'arn:aws:iam::111122223333:policy/Deploy',
        policyDocument: policyText({ Effect: 'Allow', Action: '*', Resource: '*' }),
        setAsDefault: true,
      }),
      reason: 'allows every action ("*")',
    },
  ])('$behaviour', ({ change, reason }) => {
    const finding = fullAdminStatement.evaluate(change, NO_CONTEXT);
    expect(finding?.level).toBe('critical');
    expect(finding?.reason).toContain(reason);
  });

  it.each([
    {
      behaviour: 'ignores a Deny of everything',
      change: put({ Effect: 'Deny', Action: '*', Resource: '*' }),
    },
    {
      behaviour: 'ignores "*" limited to one bucket',
      change: put({ Effect: 'Allow', Action: '*', Resource: 'arn:aws:s3:::bucket/*' }),
    },
    {
      behaviour: 'ignores a partial IAM wildcard such as iam:Get*',
      change: put({ Effect: 'Allow', Action: ['iam:Get*', 'iam:List*'], Resource: '*' }),
    },
    {
      behaviour: 'ignores a "?" pattern that only looks like it covers iam:*',
      change: put({ Effect: 'Allow', Action: 'iam:?', Resource: '*' }),
    },
    {
      behaviour: 'ignores NotAction that excludes IAM (allow-not-action reports it)',
      change: put({ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' }),
    },
    {
      behaviour: 'ignores a trust policy, whose statements have no Resource',
      change: changeOf('UpdateAssumeRolePolicy', {
        roleName: 'app',
        policyDocument: policyText({ Effect: 'Allow', Principal: { AWS: '*' }, Action: '*' }),
      }),
    },
    {
      behaviour: 'ignores a failed put',
      change: changeOf(
        'PutRolePolicy',
        {
          roleName: 'app',
          policyName: 'x',
          policyDocument: policyText({ Effect: 'Allow', Action: '*', Resource: '*' }),
        },
        { errorCode: 'AccessDenied' },
      ),
    },
    {
      behaviour: 'does not throw on an unreadable document',
      change: changeOf('PutRolePolicy', { roleName: 'app', policyName: 'x', policyDocument: '{not json' }),
    },
  ])('$behaviour', ({ change }) => {
    expect(fullAdminStatement.evaluate(change, NO_CONTEXT)).toBeNull();
  });
});
