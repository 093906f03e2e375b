import { describe, expect, it } from 'vitest';
import { credentialsForAnotherUser } from '../../../../src/domain/risk/rules/credentials-for-another-user';
import { changeOf } from '../../../support/cloudtrail';
import { assumedRoleIdentity, NO_CONTEXT, ROOT_IDENTITY } from '../support';

describe('credentials-for-another-user', () => {
  it.each([
    {
      behaviour: 'flags an access key for another user',
      change: changeOf('CreateAccessKey', { userName: 'bob' }),
      reason: 'creates an access key for another user (bob), made by user alice: a common way to keep access',
    },
    {
      behaviour: 'flags a console password for another user',
      change: changeOf('CreateLoginProfile', { userName: 'bob', passwordResetRequired: false }),
      reason: 'creates a console password for another user (bob)',
    },
    {
      behaviour: "flags resetting another user's console password",
      change: changeOf('UpdateLoginProfile', { userName: 'bob' }),
      reason: 'resets the console password for another user (bob)',
    },
    {
      behaviour: 'flags an assumed role making keys for a user',
      change: changeOf(
        'CreateAccessKey',
        { userName: 'bob' },
        { userIdentity: assumedRoleIdentity('admin', 'eve') },
      ),
      reason: 'creates an access key for another user (bob), made by admin/eve',
    },
    {
      behaviour: 'flags the root user creating an access key for itself',
      change: changeOf('CreateAccessKey', {}, { userIdentity: ROOT_IDENTITY }),
      reason: 'creates an access key for the root user: root should have none',
    },
  ])('$behaviour', ({ change, reason }) => {
    const finding = credentialsForAnotherUser.evaluate(change, NO_CONTEXT);
    expect(finding?.level).toBe('high');
    expect(finding?.reason).toContain(reason);
  });

  it.each([
    {
      behaviour: 'ignores a user rotating its own key by name',
      change: changeOf('CreateAccessKey', { userName: 'alice' }),
    },
    {
      behaviour: 'ignores a user rotating its own key without a name',
      change: changeOf('CreateAccessKey', {}),
    },
    { behaviour: 'ignores a null request', change: changeOf('CreateAccessKey', null) },
    {
      behaviour: 'ignores a failed attempt (failed-write reports it)',
      change: changeOf('CreateAccessKey', { userName: 'bob' }, { errorCode: 'AccessDenied' }),
    },
    {
      behaviour: 'ignores other calls naming a user',
      change: changeOf('DeleteAccessKey', { userName: 'bob' }),
    },
  ])('$behaviour', ({ change }) => {
    expect(credentialsForAnotherUser.evaluate(change, NO_CONTEXT)).toBeNull();
  });
});
