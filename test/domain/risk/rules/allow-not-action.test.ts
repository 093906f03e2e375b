import { describe, expect, it } from 'vitest';
import { allowNotAction } from '../../../../src/domain/risk/rules/allow-not-action';
import { changeOf } from '../../../support/cloudtrail';
import { NO_CONTEXT, policyText } from '../support';

const createPolicy = (...statements: Array<Record<string, unknown>>) =>
  changeOf('CreatePolicy', { policyName: 'Broad', policyDocument: policyText(...statements) });

describe('allow-not-action', () => {
  it.each([
    {
      behaviour: 'flags Allow with NotAction on *',
      change: createPolicy({ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' }),
      reason: 'allows every action except iam:* (Allow with NotAction) on *',
    },
    {
      behaviour: 'flags Allow with NotAction on specific resources and names them',
      change: createPolicy({
        Effect: 'Allow',
        NotAction: ['s3:DeleteBucket'],
        Resource: 'arn:aws:s3:::data',
      }),
      reason: 'allows every action except s3:DeleteBucket (Allow with NotAction) on arn:aws:s3:::data',
    },
  ])('$behaviour', ({ change, reason }) => {
    const finding = allowNotAction.evaluate(change, NO_CONTEXT);
    expect(finding?.level).toBe('high');
    expect(finding?.reason).toBe(reason);
  });

  it.each([
    {
      behaviour: 'ignores Deny with NotAction (the usual guardrail shape)',
      change: createPolicy({ Effect: 'Deny', NotAction: ['iam:ChangePassword'], Resource: '*' }),
    },
    {
      behaviour: 'ignores Allow with Action',
      change: createPolicy({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }),
    },
    {
      behaviour: 'does not throw without request parameters',
      change: changeOf('CreatePolicy', null),
    },
  ])('$behaviour', ({ change }) => {
    expect(allowNotAction.evaluate(change, NO_CONTEXT)).toBeNull();
  });
});
