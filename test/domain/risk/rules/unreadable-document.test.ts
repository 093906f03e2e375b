import { describe, expect, it } from 'vitest';
import { unreadableDocument } from '../../../../src/domain/risk/rules/unreadable-document';
import { changeOf } from '../../../support/cloudtrail';
import { NO_CONTEXT, policyText } from '../support';

describe('unreadable-document', () => {
  it.each([
    {
      behaviour: 'flags a permissions document that is not JSON',
      change: changeOf('PutRolePolicy', {
        roleName: 'app',
        policyName: 'x',
        policyDocument: '{"Statement": [',
      }),
      reason: 'the policyDocument could not be read (the policy document is not valid JSON)',
    },
    {
      behaviour: 'flags a trust policy with a bad Effect',
      change: changeOf('CreateRole', {
        roleName: 'app',
        assumeRolePolicyDocument: JSON.stringify({ Statement: [{ Effect: 'Maybe', Principal: '*' }] }),
      }),
      reason:
        'the assumeRolePolicyDocument could not be read (Statement[0].Effect must be "Allow" or "Deny")',
    },
  ])('$behaviour', ({ change, reason }) => {
    const finding = unreadableDocument.evaluate(change, NO_CONTEXT);
    expect(finding?.level).toBe('medium');
    expect(finding?.reason).toContain(reason);
    expect(finding?.reason).toContain('review it by hand');
  });

  it.each([
    {
      behaviour: 'ignores a readable document',
      change: changeOf('PutRolePolicy', {
        roleName: 'app',
        policyName: 'x',
        policyDocument: policyText({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }),
      }),
    },
    { behaviour: 'ignores a call without documents', change: changeOf('CreateUser', { userName: 'bob' }) },
    {
      behaviour: 'ignores a failed call (MalformedPolicyDocument is failed-write’s)',
      change: changeOf(
        'PutRolePolicy',
        { roleName: 'app', policyName: 'x', policyDocument: '{' },
        { errorCode: 'MalformedPolicyDocument' },
      ),
    },
  ])('$behaviour', ({ change }) => {
    expect(unreadableDocument.evaluate(change, NO_CONTEXT)).toBeNull();
  });
});
