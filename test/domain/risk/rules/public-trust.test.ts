import { describe, expect, it } from 'vitest';
import { publicTrust } from '../../../../src/domain/risk/rules/public-trust';
import { changeOf } from '../../../support/cloudtrail';
import { NO_CONTEXT, policyText } from '../support';

const updateTrust = (...statements: Array<Record<string, unknown>>) =>
  changeOf('UpdateAssumeRolePolicy', { roleName: 'app', policyDocument: policyText(...statements) });

describe('public-trust', () => {
  it.each([
    {
      behaviour: 'flags Principal "*" as critical',
      change: updateTrust({ Effect: 'Allow', Principal: '*', Action: 'sts:AssumeRole' }),
      level: 'critical',
      reason: 'trust policy of role app lets anyone ("*") assume it',
    },
    {
      behaviour: 'flags {"AWS": "*"} as critical',
      change: updateTrust({ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' }),
      level: 'critical',
      reason: 'trust policy of role app lets any AWS principal ("*") assume it',
    },
    {
      behaviour: 'flags "*" among other AWS principals',
      change: updateTrust({
        Effect: 'Allow',
        Principal: { AWS: ['arn:aws:iam::111122223333:root', '*'] },
        Action: 'sts:AssumeRole',
      }),
      level: 'critical',
      reason: 'any AWS principal ("*")',
    },
    {
      behaviour: 'flags a public trust in a new role',
      change: changeOf('CreateRole', {
        roleName: 'open',
        assumeRolePolicyDocument: policyText({
          Effect: 'Allow',
          Principal: { AWS: '*' },
          Action: 'sts:AssumeRole',
        }),
      }),
      level: 'critical',
      reason: 'trust policy of role open lets any AWS principal ("*") assume it',
    },
    {
      behaviour: 'lowers to high and names the keys when a Condition restricts it',
      change: updateTrust({
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abc123' } },
      }),
      level: 'high',
      reason: 'limited only by a Condition on aws:PrincipalOrgID',
    },
    {
      behaviour: 'flags Allow with NotPrincipal as everyone except the listed principals',
      change: updateTrust({
        Effect: 'Allow',
        NotPrincipal: { AWS: 'arn:aws:iam::444455556666:root' },
        Action: 'sts:AssumeRole',
      }),
      level: 'critical',
      reason: 'lets everyone except arn:aws:iam::444455556666:root (NotPrincipal) assume it',
    },
  ])('$behaviour', ({ change, level, reason }) => {
    const finding = publicTrust.evaluate(change, NO_CONTEXT);
    expect(finding?.level).toBe(level);
    expect(finding?.reason).toContain(reason);
  });

  it.each([
    {
      behaviour: 'ignores a trust policy naming one account',
      change: updateTrust({
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws:iam::111122223333:root' },
        Action: 'sts:AssumeRole',
      }),
    },
    {
      behaviour: 'ignores a service principal',
      change: updateTrust({
        Effect: 'Allow',
        Principal: { Service: 'lambda.amazonaws.com' },
        Action: 'sts:AssumeRole',
      }),
    },
    {
      behaviour: 'ignores a Deny for everyone',
      change: updateTrust({ Effect: 'Deny', Principal: '*', Action: 'sts:AssumeRole' }),
    },
    {
      behaviour: 'ignores a permissions document that mentions Principal "*"',
      change: changeOf('PutRolePolicy', {
        roleName: 'app',
        policyName: 'x',
        policyDocument: policyText({
          Effect: 'Allow',
          Principal: '*',
          Action: 's3:GetObject',
          Resource: '*',
        }),
      }),
    },
    {
      behaviour: 'does not throw on a trust policy that could not be read',
      change: changeOf('UpdateAssumeRolePolicy', { roleName: 'app', policyDocument: '"just a string"' }),
    },
  ])('$behaviour', ({ change }) => {
    expect(publicTrust.evaluate(change, NO_CONTEXT)).toBeNull();
  });
});
