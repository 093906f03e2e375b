import { describe, expect, it } from 'vitest';
import { privilegeEscalationActions } from '../../../../src/domain/risk/rules/privilege-escalation-actions';
import { changeOf } from '../../../support/cloudtrail';
import { NO_CONTEXT, policyText } from '../support';

const put = (...statements: Array<Record<string, unknown>>) =>
  changeOf('PutUserPolicy', {
    userName: 'bob',
    policyName: 'inline',
    policyDocument: policyText(...statements),
  });

describe('privilege-escalation-actions', () => {
  it.each([
    {
      behaviour: 'names iam:PassRole and iam:CreatePolicyVersion on *',
      change: put({ Effect: 'Allow', Action: ['iam:PassRole', 'iam:CreatePolicyVersion'], Resource: '*' }),
      reason: 'grants privilege-escalation actions iam:CreatePolicyVersion, iam:PassRole on *',
    },
    {
      behaviour: 'expands iam:Put* to the three Put*Policy actions',
      change: put({ Effect: 'Allow', Action: 'iam:Put*', Resource: '*' }),
      reason:
        'grants privilege-escalation actions iam:PutUserPolicy, iam:PutRolePolicy, iam:PutGroupPolicy on *',
    },
    {
      behaviour: 'caps a long list and says how many more',
      change: put({ Effect: 'Allow', Action: ['iam:Attach*', 'iam:Put*', 'sts:AssumeRole'], Resource: '*' }),
      reason:
        'grants privilege-escalation actions iam:AttachUserPolicy, iam:AttachRolePolicy, iam:AttachGroupPolicy, iam:PutUserPolicy and 3 more on *',
    },
    {
      behaviour: 'flags sts:AssumeRole on *',
      change: put({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }),
      reason: 'grants privilege-escalation actions sts:AssumeRole on *',
    },
    {
      behaviour: 'flags lambda:UpdateFunctionCode through a service wildcard',
      change: put({ Effect: 'Allow', Action: 'lambda:*', Resource: '*' }),
      reason: 'lambda:UpdateFunctionCode',
    },
    {
      behaviour: 'flags what NotAction leaves granted when it only spares IAM',
      change: put({ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' }),
      reason: 'sts:AssumeRole',
    },
    {
      behaviour: 'collects actions across several statements',
      change: put(
        { Effect: 'Allow', Action: 'iam:PassRole', Resource: '*' },
        { Effect: 'Allow', Action: 'iam:CreateAccessKey', Resource: '*' },
      ),
      reason: 'iam:PassRole, iam:CreateAccessKey on *',
    },
    {
      behaviour: 'says so when NotResource leaves nearly every resource',
      change: put({
        Effect: 'Allow',
        Action: 'iam:PassRole',
        NotResource: 'arn:aws:iam::111122223333:role/admin',
      }),
      reason: 'iam:PassRole on every resource except arn:aws:iam::111122223333:role/admin',
    },
  ])('$behaviour', ({ change, reason }) => {
    const finding = privilegeEscalationActions.evaluate(change, NO_CONTEXT);
    expect(finding?.level).toBe('high');
    expect(finding?.reason).toContain(reason);
  });

  it.each([
    {
      behaviour: 'ignores iam:PassRole on one role',
      change: put({
        Effect: 'Allow',
        Action: 'iam:PassRole',
        Resource: 'arn:aws:iam::111122223333:role/app',
      }),
    },
    {
      behaviour: 'ignores a Deny of escalation actions',
      change: put({ Effect: 'Deny', Action: ['iam:PassRole', 'iam:Put*'], Resource: '*' }),
    },
    {
      behaviour: 'ignores read-only IAM actions on *',
      change: put({ Effect: 'Allow', Action: ['iam:Get*', 'iam:List*'], Resource: '*' }),
    },
    {
      behaviour: 'leaves full admin statements to full-admin-statement',
      change: put({ Effect: 'Allow', Action: '*', Resource: '*' }),
    },
    {
      behaviour: 'ignores a trust policy allowing sts:AssumeRole',
      change: changeOf('UpdateAssumeRolePolicy', {
        roleName: 'app',
        policyDocument: policyText({
          Effect: 'Allow',
          Principal: { Service: 'ec2.amazonaws.com' },
          Action: 'sts:AssumeRole',
        }),
      }),
    },
  ])('$behaviour', ({ change }) => {
    expect(privilegeEscalationActions.evaluate(change, NO_CONTEXT)).toBeNull();
  });
});
