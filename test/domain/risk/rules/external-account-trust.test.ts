import { describe, expect, it } from 'vitest';
import { parsePolicyDocument } from '../../../../src/domain/policy';
import type { RiskContext } from '../../../../src/domain/risk/rule';
import { externalAccountTrust } from '../../../../src/domain/risk/rules/external-account-trust';
import { changeOf } from '../../../support/cloudtrail';
import { NO_CONTEXT, policyText } from '../support';

const trustOf = (principal: unknown, extra: Record<string, unknown> = {}) =>
  policyText({ Effect: 'Allow', Principal: principal, Action: 'sts:AssumeRole', ...extra });
const updateTrust = (principal: unknown, extra: Record<string, unknown> = {}) =>
  changeOf('UpdateAssumeRolePolicy', { roleName: 'app', policyDocument: trustOf(principal, extra) });

describe('external-account-trust', () => {
  it.each([
    {
      behaviour: 'flags an account root ARN from another account as critical, naming it',
      change: updateTrust({ AWS: 'arn:aws:iam::444455556666:root' }),
      context: NO_CONTEXT,
      level: 'critical',
      reason: 'trust policy of role app lets external account 444455556666 assume it',
    },
    {
      behaviour: 'flags a bare account id and a role in another account together',
      change: updateTrust({ AWS: ['777788889999', 'arn:aws:iam::444455556666:role/ci'] }),
      context: NO_CONTEXT,
      level: 'critical',
      reason: 'external accounts 777788889999, 444455556666',
    },
    {
      behaviour: 'flags a new role created with an external trust',
      change: changeOf('CreateRole', {
        roleName: 'vendor',
        assumeRolePolicyDocument: trustOf({ AWS: 'arn:aws:iam::444455556666:root' }),
      }),
      context: NO_CONTEXT,
      level: 'critical',
      reason: 'trust policy of role vendor lets external account 444455556666',
    },
    {
      behaviour: 'mentions an sts:ExternalId condition but stays critical',
      change: updateTrust(
        { AWS: 'arn:aws:iam::444455556666:root' },
        { Condition: { StringEquals: { 'sts:ExternalId': 'abc' } } },
      ),
      context: NO_CONTEXT,
      level: 'critical',
      reason: '(with an sts:ExternalId condition)',
    },
    {
      behaviour: 'is high when the previous trust policy already trusted the account',
      change: updateTrust({ AWS: ['arn:aws:iam::444455556666:root', 'arn:aws:iam::111122223333:root'] }),
      context: {
        ...NO_CONTEXT,
        previousDocument: parsePolicyDocument(trustOf({ AWS: 'arn:aws:iam::444455556666:root' })),
      },
      level: 'high',
      reason: 'still lets external account 444455556666 assume it',
    },
    {
      behaviour: 'is critical for the one account that is new when others were trusted before',
      change: updateTrust({ AWS: ['arn:aws:iam::444455556666:root', 'arn:aws:iam::777788889999:root'] }),
      context: {
        ...NO_CONTEXT,
        previousDocument: parsePolicyDocument(trustOf({ AWS: 'arn:aws:iam::444455556666:root' })),
      },
      level: 'critical',
      reason: 'lets external account 777788889999 assume it',
    },
  ])('$behaviour', ({ change, context, level, reason }) => {
    const finding = externalAccountTrust.evaluate(change, context as RiskContext);
    expect(finding?.level).toBe(level);
    expect(finding?.reason).toContain(reason);
  });

  it.each([
    {
      behaviour: 'ignores the account the change was made in',
      change: updateTrust({ AWS: 'arn:aws:iam::111122223333:root' }),
      context: NO_CONTEXT,
    },
    {
      behaviour: 'ignores a configured trusted account',
      change: updateTrust({ AWS: 'arn:aws:iam::444455556666:root' }),
      context: { ...NO_CONTEXT, trustedAccounts: ['444455556666'] },
    },
    {
      behaviour: 'ignores "*" (public-trust reports it)',
      change: updateTrust({ AWS: '*' }),
      context: NO_CONTEXT,
    },
    {
      behaviour: 'ignores service principals',
      change: updateTrust({ Service: 'ec2.amazonaws.com' }),
      context: NO_CONTEXT,
    },
    {
      behaviour: 'ignores a Deny naming another account',
      change: changeOf('UpdateAssumeRolePolicy', {
        roleName: 'app',
        policyDocument: policyText({
          Effect: 'Deny',
          Principal: { AWS: 'arn:aws:iam::444455556666:root' },
          Action: 'sts:AssumeRole',
        }),
      }),
      context: NO_CONTEXT,
    },
    {
      behaviour: 'does not throw on a request without documents',
      change: changeOf('UpdateAssumeRolePolicy', null),
      context: NO_CONTEXT,
    },
  ])('$behaviour', ({ change, context }) => {
    expect(externalAccountTrust.evaluate(change, context)).toBeNull();
  });
});
