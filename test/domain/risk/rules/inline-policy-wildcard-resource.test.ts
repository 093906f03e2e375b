import { describe, expect, it } from 'vitest';
import {
  inlinePolicyWildcardResource,
  looksLikeWrite,
  writePatternsOf,
} from '../../../../src/domain/risk/rules/inline-policy-wildcard-resource';
import { changeOf } from '../../../support/cloudtrail';
import { NO_CONTEXT, policyText } from '../support';

const put = (...statements: Array<Record<string, unknown>>) =>
  changeOf('PutGroupPolicy', {
    groupName: 'devs',
    policyName: 'inline',
    policyDocument: policyText(...statements),
  });

describe('inline-policy-wildcard-resource', () => {
  it.each([
    {
      behaviour: 'flags write actions on *, naming them',
      change: put({
        Effect: 'Allow',
        Action: ['s3:PutObject', 's3:GetObject', 'ec2:TerminateInstances'],
        Resource: '*',
      }),
      reason: 'allows write actions s3:PutObject, ec2:TerminateInstances on *',
    },
    {
      behaviour: 'flags a service wildcard',
      change: put({ Effect: 'Allow', Action: 's3:*', Resource: '*' }),
      reason: 'allows write actions s3:* on *',
    },
    {
      behaviour: 'flags a verb wildcard such as dynamodb:Delete*',
      change: put({ Effect: 'Allow', Action: 'dynamodb:Delete*', Resource: '*' }),
      reason: 'allows write actions dynamodb:Delete* on *',
    },
    {
      behaviour: 'flags a new managed policy too',
      change: changeOf('CreatePolicy', {
        policyName: 'Wide',
        policyDocument: policyText({ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*' }),
      }),
      reason: 'allows write actions sqs:SendMessage on *',
    },
  ])('$behaviour', ({ change, reason }) => {
    expect(inlinePolicyWildcardResource.evaluate(change, NO_CONTEXT)).toEqual({ level: 'medium', reason });
  });

  it.each([
    {
      behaviour: 'ignores read actions on *',
      change: put({ Effect: 'Allow', Action: ['s3:GetObject', 'ec2:Describe*', 'iam:List*'], Resource: '*' }),
    },
    {
      behaviour: 'ignores writes on a named resource',
      change: put({ Effect: 'Allow', Action: 's3:PutObject', Resource: 'arn:aws:s3:::bucket/*' }),
    },
    {
      behaviour: 'leaves full admin to full-admin-statement',
      change: put({ Effect: 'Allow', Action: '*', Resource: '*' }),
    },
    {
      behaviour: 'leaves privilege escalation to privilege-escalation-actions',
      change: put({ Effect: 'Allow', Action: ['iam:PassRole', 'ec2:RunInstances'], Resource: '*' }),
    },
    {
      behaviour: 'leaves NotAction to allow-not-action',
      change: put({ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' }),
    },
    {
      behaviour: 'ignores a Deny of writes',
      change: put({ Effect: 'Deny', Action: 's3:Delete*', Resource: '*' }),
    },
  ])('$behaviour', ({ change }) => {
    expect(inlinePolicyWildcardResource.evaluate(change, NO_CONTEXT)).toBeNull();
  });

  it.each([
    ['s3:PutObject', true],
    ['ec2:*', true],
    ['dynamodb:*Item', true],
    ['s3:De*', true],
    ['kms:Decrypt', false],
    ['s3:Get*', false],
    ['ec2:Describe*', false],
    ['IAM:putRolePolicy', true],
    ['iam:Pu?RolePolicy', true],
    ['iam:Pu*', true],
    ['iam:P*', true],
    ['iam:*', true],
    ['iam:?', true],
    ['*', true],
    ['iam:Pa*', false],
    ['iam:Pux*', false],
    ['iam:PassRole', false],
    ['PutObject', true],
    ['s3:Putter', true],
    ['s3:', false],
    ['', false],
  ])('reads %s as a write: %s', (pattern, expected) => {
    expect(looksLikeWrite(pattern)).toBe(expected);
  });

  it.each([
    { list: ['s3:GetObject', 's3:PutObject', 'ec2:Delete*'], writes: ['s3:PutObject', 'ec2:Delete*'] },
    { list: ['s3:GetObject', 'ec2:Describe*'], writes: [] },
    { list: [], writes: [] },
  ])('finds the writes of $list the same when asked again', ({ list, writes }) => {
    expect(writePatternsOf(list)).toEqual(writes);
    expect(writePatternsOf(list)).toEqual(writes);
    // A list with the same content is answered for itself, never from another list's entry.
    expect(writePatternsOf([...list, 'iam:CreateUser'])).toEqual([...writes, 'iam:CreateUser']);
  });
});
