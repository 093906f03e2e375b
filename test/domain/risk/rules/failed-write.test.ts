import { describe, expect, it } from 'vitest';
import { failedWrite } from '../../../../src/domain/risk/rules/failed-write';
import { changeOf } from '../../../support/cloudtrail';
import { NO_CONTEXT } from '../support';

const attach = { roleName: 'app', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' };

describe('failed-write', () => {
  it.each([
    ['AccessDenied', 'high'],
    ['AccessDeniedException', 'high'],
    ['Client.UnauthorizedOperation', 'high'],
    ['UnauthorizedAccess', 'high'],
    ['NotAuthorizedException', 'high'],
    ['Client.NotAuthorized', 'high'],
    ['EntityAlreadyExists', 'low'],
    ['EntityAlreadyExistsException', 'low'],
    ['MalformedPolicyDocument', 'low'],
    ['MalformedPolicyDocumentException', 'low'],
    ['NoSuchEntity', 'low'],
    ['NoSuchEntityException', 'low'],
    ['LimitExceeded', 'low'],
    ['DeleteConflict', 'low'],
    ['InvalidInput', 'low'],
    ['ServiceFailure', 'low'],
  ] as const)('rates a call failing with %s as %s', (errorCode, level) => {
    const finding = failedWrite.evaluate(
      changeOf('AttachRolePolicy', attach, { errorCode, errorMessage: 'message', responseElements: null }),
      NO_CONTEXT,
    );
    expect(finding).toEqual({
      level,
      reason:
        level === 'high'
          ? `AttachRolePolicy failed with ${errorCode}: someone may be probing for permissions`
          : `AttachRolePolicy failed with ${errorCode}: the call was attempted but changed nothing`,
    });
  });

  it('works on a failed call whose request parameters CloudTrail left null', () => {
    const finding = failedWrite.evaluate(
      changeOf('PutUserPolicy', null, { errorCode: 'AccessDenied' }),
      NO_CONTEXT,
    );
    expect(finding?.reason).toBe(
      'PutUserPolicy failed with AccessDenied: someone may be probing for permissions',
    );
  });

  it.each([
    { behaviour: 'ignores a successful call', event: 'AttachRolePolicy' },
    { behaviour: 'ignores a successful non-CIS write', event: 'CreateUser' },
  ])('$behaviour', ({ event }) => {
    expect(failedWrite.evaluate(changeOf(event, attach), NO_CONTEXT)).toBeNull();
  });
});
