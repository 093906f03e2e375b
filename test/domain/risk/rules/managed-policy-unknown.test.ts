import { describe, expect, it } from 'vitest';
import { withManagedPolicy } from '../../../../src/domain/managed-policy';
import { managedPolicyUnknown } from '../../../../src/domain/risk/rules/managed-policy-unknown';
import { changeOf } from '../../../support/cloudtrail';
import { NO_CONTEXT } from '../support';

const ARN = 'arn:aws:iam::111122223333:policy/ReadOnlyHelper';
const unknown = { source: 'unknown' as const, reason: 'IAM: AccessDenied' };

describe('managed-policy-unknown', () => {
  it.each([
    {
      behaviour: 'says an attached policy whose document was found nowhere is unknown, with why',
      change: withManagedPolicy(changeOf('AttachRolePolicy', { roleName: 'app', policyArn: ARN }), unknown),
      reason:
        'attaches ReadOnlyHelper to role app; its document is unknown (IAM: AccessDenied): what it grants was not judged',
    },
    {
      behaviour: 'says so for a permissions boundary too',
      change: withManagedPolicy(
        changeOf('PutUserPermissionsBoundary', { userName: 'bob', permissionsBoundary: ARN }),
        unknown,
      ),
      reason: 'sets ReadOnlyHelper as the permissions boundary of user bob; its document is unknown',
    },
  ])('$behaviour', ({ change, reason }) => {
    const finding = managedPolicyUnknown.evaluate(change, NO_CONTEXT);
    expect(finding?.level).toBe('medium');
    expect(finding?.reason).toContain(reason);
  });

  it.each([
    {
      behaviour: 'ignores a detach (taking an unknown policy away grants nothing)',
      change: withManagedPolicy(changeOf('DetachRolePolicy', { roleName: 'app', policyArn: ARN }), unknown),
    },
    {
      behaviour: 'ignores a policy whose document was found',
      change: withManagedPolicy(changeOf('AttachRolePolicy', { roleName: 'app', policyArn: ARN }), {
        source: 'iam',
        document: { Statement: [] },
      }),
    },
    {
      behaviour: 'ignores an attach not yet resolved (nothing was looked up)',
      change: changeOf('AttachRolePolicy', { roleName: 'app', policyArn: ARN }),
    },
  ])('$behaviour', ({ change }) => {
    expect(managedPolicyUnknown.evaluate(change, NO_CONTEXT)).toBeNull();
  });
});
