/**
 * An attach is judged by the attached policy's document, never by its name: every rule that reads permissions
 * documents sees the attached statements.
 */
import { describe, expect, it } from 'vitest';
import { withManagedPolicy } from '../../../../src/domain/managed-policy';
import { assessRisk } from '../../../../src/domain/risk/assess';
import type { PolicyDocument } from '../../../../src/domain/types';
import { changeOf } from '../../../support/cloudtrail';
import { NO_CONTEXT } from '../support';

const attach = (policyArn: string, document: PolicyDocument, eventName = 'AttachRolePolicy') =>
  withManagedPolicy(changeOf(eventName, { roleName: 'app', userName: 'bob', groupName: 'ops', policyArn }), {
    source: 'iam',
    versionId: 'v3',
    document,
  });
const EVERYTHING: PolicyDocument = { Statement: [{ Effect: 'Allow', Action: ['*'], Resource: ['*'] }] };
const READ_ONLY: PolicyDocument = {
  Statement: [{ Effect: 'Allow', Action: ['s3:Get*', 's3:List*'], Resource: ['*'] }],
};

describe('attached policies judged by content', () => {
  it.each([
    {
      behaviour: 'a customer policy named ReadOnlyHelper that allows * on * is critical',
      change: attach('arn:aws:iam::111122223333:policy/ReadOnlyHelper', EVERYTHING),
      level: 'critical',
      rule: 'full-admin-statement',
    },
    {
      behaviour: 'a policy named AdministratorAccess that only reads S3 is not',
      change: attach('arn:aws:iam::111122223333:policy/AdministratorAccess', READ_ONLY),
      level: 'low',
      rule: undefined,
    },
    {
      behaviour: 'an AWS managed policy handing out iam:PassRole with compute creation is high',
      change: attach('arn:aws:iam::aws:policy/SomeServiceFullAccess', {
        Statement: [
          {
            Effect: 'Allow',
            Action: ['iam:PassRole', 'lambda:CreateFunction', 'lambda:InvokeFunction'],
            Resource: ['*'],
          },
        ],
      }),
      level: 'high',
      rule: 'privilege-escalation-actions',
    },
    {
      behaviour: 'an attached policy with NotAction is judged like a request document with it',
      change: attach(
        'arn:aws:iam::aws:policy/PowerUserAccess',
        {
          Statement: [{ Effect: 'Allow', NotAction: ['iam:*', 'organizations:*'], Resource: ['*'] }],
        },
        'AttachGroupPolicy',
      ),
      level: 'high',
      rule: 'allow-not-action',
    },
  ])('$behaviour', ({ change, level, rule }) => {
    const risk = assessRisk(change, NO_CONTEXT);
    expect(risk.level).toBe(level);
    if (rule) expect(risk.rules).toContain(rule);
  });

  it('a detached policy grants nothing: its document is not judged as a grant', () => {
    const detach = attach('arn:aws:iam::111122223333:policy/ReadOnlyHelper', EVERYTHING, 'DetachRolePolicy');
    expect(assessRisk(detach, NO_CONTEXT).rules).not.toContain('full-admin-statement');
  });
});
