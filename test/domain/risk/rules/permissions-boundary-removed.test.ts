import { describe, expect, it } from 'vitest';
import { permissionsBoundaryRemoved } from '../../../../src/domain/risk/rules/permissions-boundary-removed';
import { changeOf } from '../../../support/cloudtrail';
import { NO_CONTEXT } from '../support';

describe('permissions-boundary-removed', () => {
  it.each([
    {
      behaviour: "flags removing a role's boundary",
      change: changeOf('DeleteRolePermissionsBoundary', { roleName: 'app' }),
      reason: 'removes the permissions boundary of role app: its own policies now apply without a ceiling',
    },
    {
      behaviour: "flags removing a user's boundary",
      change: changeOf('DeleteUserPermissionsBoundary', { userName: 'bob' }),
      reason: 'removes the permissions boundary of user bob: its own policies now apply without a ceiling',
    },
  ])('$behaviour', ({ change, reason }) => {
    expect(permissionsBoundaryRemoved.evaluate(change, NO_CONTEXT)).toEqual({ level: 'high', reason });
  });

  it.each([
    {
      behaviour: 'ignores setting a boundary',
      change: changeOf('PutRolePermissionsBoundary', {
        roleName: 'app',
        permissionsBoundary: 'arn:aws:iam::111122223333:policy/Boundary',
      }),
    },
    {
      behaviour: 'ignores a failed removal',
      change: changeOf('DeleteRolePermissionsBoundary', { roleName: 'app' }, { errorCode: 'AccessDenied' }),
    },
  ])('$behaviour', ({ change }) => {
    expect(permissionsBoundaryRemoved.evaluate(change, NO_CONTEXT)).toBeNull();
  });
});
