import { describe, expect, it } from 'vitest';
import { failedWrite } from '../../../../src/domain/risk/rules/failed-write';
import { changeOf } from '../../../support/cloudtrail';
import { NO_CONTEXT } from '../support';

const attach = { roleName: 'app', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' };

describe('failed-write', () => {
  it.each([
    {
      behaviour: 'reads AccessDenied as probing',
      errorCode: 'AccessDenied',
      reason: 'AttachRolePolicy failed with AccessDenied: someone may be probing for permissions',
    },
    {
      behaviour: 'reads UnauthorizedOperation as probing',
      errorCode: 'Client.UnauthorizedOperation',
      reason:
        'AttachRolePolicy failed with Client.UnauthorizedOperation: someone may be probing for permissions',
    },
    {
      behaviour: 'names the call and code of any other error',
      errorCode: 'NoSuchEntity',
      reason: 'AttachRolePolicy failed with NoSuchEntity: the call was attempted but changed nothing',
    },
  ])('$behaviour', ({ errorCode, reason }) => {
    const finding = failedWrite.evaluate(
      changeOf('AttachRolePolicy', attach, { errorCode, errorMessage: 'message', responseElements: null }),
      NO_CONTEXT,
    );
    expect(finding).toEqual({ level: 'high', reason });
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
