import { describe, expect, it } from 'vitest';
import { noMfaHuman } from '../../../../src/domain/risk/rules/no-mfa-human';
import { changeOf } from '../../../support/cloudtrail';
import { assumedRoleIdentity, iamUserIdentity, NO_CONTEXT, ROOT_IDENTITY } from '../support';

const params = { roleName: 'app', policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' };

describe('no-mfa-human', () => {
  it.each([
    {
      behaviour: 'flags an IAM user without MFA',
      userIdentity: iamUserIdentity('carol', false),
      reason: 'made by IAM user carol without MFA',
    },
    {
      behaviour: 'flags the root user without MFA',
      userIdentity: ROOT_IDENTITY,
      reason: 'made by the root user without MFA',
    },
  ])('$behaviour', ({ userIdentity, reason }) => {
    const finding = noMfaHuman.evaluate(changeOf('AttachRolePolicy', params, { userIdentity }), NO_CONTEXT);
    expect(finding).toEqual({ level: 'medium', reason });
  });

  it.each([
    {
      behaviour: 'ignores an IAM user with MFA',
      change: changeOf('AttachRolePolicy', params, { userIdentity: iamUserIdentity('carol', true) }),
    },
    {
      behaviour: 'ignores an assumed role without MFA (a machine or SSO session)',
      change: changeOf('AttachRolePolicy', params, { userIdentity: assumedRoleIdentity('ci') }),
    },
    {
      behaviour: 'ignores an IAM write outside CIS 4.4',
      change: changeOf('CreateUser', { userName: 'dave' }, { userIdentity: iamUserIdentity('carol', false) }),
    },
    {
      behaviour: 'ignores a failed call',
      change: changeOf('AttachRolePolicy', params, {
        userIdentity: iamUserIdentity('carol', false),
        errorCode: 'AccessDenied',
      }),
    },
  ])('$behaviour', ({ change }) => {
    expect(noMfaHuman.evaluate(change, NO_CONTEXT)).toBeNull();
  });
});
