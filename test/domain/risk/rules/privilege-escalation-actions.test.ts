import { describe, expect, it } from 'vitest';
import { withManagedPolicy } from '../../../../src/domain/managed-policy';
import { internActionList } from '../../../../src/domain/policy';
import {
  escalationActionsOf,
  privilegeEscalationActions,
} from '../../../../src/domain/risk/rules/privilege-escalation-actions';
import type { Statement } from '../../../../src/domain/types';
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
      behaviour: 'names a complete path and the part of another it grants',
      change: put({ Effect: 'Allow', Action: ['iam:PassRole', 'iam:CreatePolicyVersion'], Resource: '*' }),
      reason:
        'grants privilege-escalation paths iam:CreatePolicyVersion on *, and iam:PassRole, part of privilege-escalation paths such as iam:PassRole + ec2:RunInstances',
    },
    {
      behaviour: 'names a combination granted in one document as one path',
      change: put({ Effect: 'Allow', Action: ['iam:PassRole', 'ec2:RunInstances'], Resource: '*' }),
      reason: 'grants privilege-escalation paths iam:PassRole + ec2:RunInstances on *',
    },
    {
      behaviour: 'names the three actions of the Lambda path',
      change: put({
        Effect: 'Allow',
        Action: ['iam:PassRole', 'lambda:CreateFunction', 'lambda:InvokeFunction'],
        Resource: '*',
      }),
      reason: 'iam:PassRole + lambda:CreateFunction + lambda:InvokeFunction',
    },
    {
      behaviour: 'expands iam:Put* to the Put*Policy paths a user can use',
      change: put({ Effect: 'Allow', Action: 'iam:Put*', Resource: '*' }),
      reason:
        'grants privilege-escalation paths iam:PutUserPolicy, iam:PutGroupPolicy on *, and iam:PutRolePolicy, part of',
    },
    {
      behaviour: 'caps a long list and says how many more',
      change: put({ Effect: 'Allow', Action: ['iam:Attach*', 'iam:Put*', 'sts:AssumeRole'], Resource: '*' }),
      reason:
        'grants privilege-escalation paths iam:AttachUserPolicy, iam:AttachGroupPolicy, iam:AttachRolePolicy + sts:AssumeRole, iam:PutUserPolicy and 2 more on *',
    },
    {
      behaviour: 'flags sts:AssumeRole on * as part of paths',
      change: put({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }),
      reason: 'grants sts:AssumeRole on *, part of privilege-escalation paths such as',
    },
    {
      behaviour: 'flags lambda:UpdateFunctionCode through a service wildcard',
      change: put({ Effect: 'Allow', Action: 'lambda:*', Resource: '*' }),
      reason: 'lambda:UpdateFunctionCode',
    },
    {
      behaviour: 'flags what NotAction leaves granted when it only spares IAM',
      change: put({ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' }),
      reason: 'lambda:UpdateFunctionCode',
    },
    {
      behaviour: 'collects actions across several statements',
      change: put(
        { Effect: 'Allow', Action: 'iam:PassRole', Resource: '*' },
        { Effect: 'Allow', Action: 'iam:CreateAccessKey', Resource: '*' },
      ),
      reason: 'grants privilege-escalation paths iam:CreateAccessKey on *, and iam:PassRole',
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
    {
      behaviour: 'says the path comes from an attached policy, judged by its document',
      change: withManagedPolicy(
        changeOf('AttachRolePolicy', {
          roleName: 'app',
          policyArn: 'arn:aws:iam::111122223333:policy/ReadOnlyHelper',
        }),
        {
          source: 'iam',
          document: {
            Statement: [{ Effect: 'Allow', Action: ['iam:PassRole', 'ec2:RunInstances'], Resource: ['*'] }],
          },
        },
      ),
      reason:
        'attaches ReadOnlyHelper to role app, which grants privilege-escalation paths iam:PassRole + ec2:RunInstances on *',
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
      behaviour: 'ignores a detached policy whatever it grants',
      change: withManagedPolicy(
        changeOf('DetachRolePolicy', { roleName: 'app', policyArn: 'arn:aws:iam::111122223333:policy/Ops' }),
        {
          source: 'store',
          document: { Statement: [{ Effect: 'Allow', Action: ['iam:*'], Resource: ['*'] }] },
        },
      ),
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

describe('escalationActionsOf, kept per action list', () => {
  const list = internActionList(['iam:PassRole', 'ec2:RunInstances']);
  const statement = (fields: Partial<Statement>): Statement => ({
    Effect: 'Allow',
    Resource: ['*'],
    ...fields,
  });

  it.each([
    {
      behaviour: 'an Action list',
      of: statement({ Action: list }),
      expected: ['iam:PassRole', 'ec2:RunInstances'],
    },
    {
      behaviour: 'the same list on one role only',
      of: statement({ Action: list, Resource: ['arn:aws:iam::111122223333:role/a'] }),
      expected: [],
    },
    { behaviour: 'the same list as a Deny', of: statement({ Effect: 'Deny', Action: list }), expected: [] },
    {
      behaviour: 'the same list as NotAction',
      of: statement({ NotAction: list }),
      excludes: ['iam:PassRole', 'ec2:RunInstances'],
    },
  ])('$behaviour: the same kept and worked out afresh', ({ of, expected, excludes }) => {
    const first = escalationActionsOf(of);
    expect(escalationActionsOf(of)).toEqual(first);
    expect(escalationActionsOf(JSON.parse(JSON.stringify(of)) as Statement)).toEqual(first);
    if (expected) expect(first).toEqual(expected);
    for (const action of excludes ?? []) expect(first).not.toContain(action);
    if (excludes) expect(first).toContain('iam:CreatePolicyVersion');
  });

  it('says nothing of a document granting no action of the table', () => {
    expect(
      privilegeEscalationActions.evaluate(
        put({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }),
        NO_CONTEXT,
      ),
    ).toBeNull();
  });
});
