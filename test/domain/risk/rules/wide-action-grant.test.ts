import { describe, expect, it } from 'vitest';
import type { ActionCatalogue, CatalogueAction } from '../../../../src/domain/actions';
import { withManagedPolicy } from '../../../../src/domain/managed-policy';
import { wideActionGrant } from '../../../../src/domain/risk/rules/wide-action-grant';
import { changeOf } from '../../../support/cloudtrail';
import { NO_CONTEXT, policyText } from '../support';

const DATA: Record<string, CatalogueAction[]> = {
  iam: [
    { name: 'AttachRolePolicy', accessLevel: 'Permissions management' },
    { name: 'PutRolePolicy', accessLevel: 'Permissions management' },
    { name: 'GetRolePolicy', accessLevel: 'Read' },
    { name: 'PassRole', accessLevel: 'Write' },
  ],
  backup: [
    { name: 'GetBackupVaultAccessPolicy', accessLevel: 'Permissions management' },
    { name: 'ListBackupVaults', accessLevel: 'List' },
  ],
};
const catalogue: ActionCatalogue = { serviceKeys: Object.keys(DATA), actionsOf: (service) => DATA[service] };
const context = { ...NO_CONTEXT, actions: catalogue };
const put = (...statements: Array<Record<string, unknown>>) =>
  changeOf('PutRolePolicy', {
    roleName: 'app',
    policyName: 'inline',
    policyDocument: policyText(...statements),
  });

describe('wide-action-grant', () => {
  it.each([
    {
      behaviour: 'counts what a wildcard grants in real actions and access levels',
      change: put({ Effect: 'Allow', Action: 'iam:*Policy*', Resource: '*' }),
      reason: '`iam:*Policy*` grants 3 IAM actions, 2 of them permissions management',
    },
    {
      behaviour: 'counts what NotAction leaves granted',
      change: put({ Effect: 'Allow', NotAction: 'iam:Get*', Resource: '*' }),
      reason: 'NotAction `iam:Get*` grants 3 IAM actions, 2 of them permissions management',
    },
    {
      behaviour: 'says the grant comes from the attached policy, whatever it is called',
      change: withManagedPolicy(
        changeOf('AttachRolePolicy', {
          roleName: 'app',
          policyArn: 'arn:aws:iam::111122223333:policy/ReadOnlyHelper',
        }),
        {
          source: 'iam',
          document: { Statement: [{ Effect: 'Allow', Action: ['iam:Put*'], Resource: ['*'] }] },
        },
      ),
      reason:
        'attaches ReadOnlyHelper to role app, which `iam:Put*` grants 1 IAM action, all permissions management',
    },
  ])('$behaviour', ({ change, reason }) => {
    const finding = wideActionGrant.evaluate(change, context);
    expect(finding?.level).toBe('medium');
    expect(finding?.reason).toContain(reason);
  });

  it.each([
    {
      behaviour: 'says nothing without the catalogue',
      change: put({ Effect: 'Allow', Action: 'iam:*', Resource: '*' }),
      ctx: NO_CONTEXT,
    },
    {
      behaviour: 'leaves plain action names to the other rules',
      change: put({ Effect: 'Allow', Action: 'iam:PutRolePolicy', Resource: '*' }),
      ctx: context,
    },
    {
      behaviour: 'leaves "*" to full-admin-statement',
      change: put({ Effect: 'Allow', Action: '*', Resource: '*' }),
      ctx: context,
    },
    {
      behaviour: 'ignores wildcards that grant no permissions management',
      change: put({ Effect: 'Allow', Action: 'iam:Get*', Resource: '*' }),
      ctx: context,
    },
    {
      behaviour: 'ignores readers the catalogue files as permissions management',
      change: put({ Effect: 'Allow', Action: 'backup:Get*', Resource: '*' }),
      ctx: context,
    },
    {
      behaviour: 'ignores Deny statements',
      change: put({ Effect: 'Deny', Action: 'iam:*', Resource: '*' }),
      ctx: context,
    },
  ])('$behaviour', ({ change, ctx }) => {
    expect(wideActionGrant.evaluate(change, ctx)).toBeNull();
  });
});
