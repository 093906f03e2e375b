import { describe, expect, it } from 'vitest';
import { adminManagedPolicy } from '../../../../src/domain/risk/rules/admin-managed-policy';
import { changeOf } from '../../../support/cloudtrail';
import { NO_CONTEXT } from '../support';

const AWS_POLICY = 'arn:aws:iam::aws:policy';

describe('admin-managed-policy', () => {
  it.each([
    {
      behaviour: 'flags attaching AdministratorAccess to a role as critical',
      event: 'AttachRolePolicy',
      params: { roleName: 'deploy', policyArn: `${AWS_POLICY}/AdministratorAccess` },
      level: 'critical',
      reason: 'attaches AdministratorAccess (full access to every service) to role deploy',
    },
    {
      behaviour: 'flags attaching IAMFullAccess to a user as critical',
      event: 'AttachUserPolicy',
      params: { userName: 'bob', policyArn: `${AWS_POLICY}/IAMFullAccess` },
      level: 'critical',
      reason: 'attaches IAMFullAccess (full IAM access: can grant itself anything) to user bob',
    },
    {
      behaviour: 'flags attaching PowerUserAccess to a group as high',
      event: 'AttachGroupPolicy',
      params: { groupName: 'devs', policyArn: `${AWS_POLICY}/PowerUserAccess` },
      level: 'high',
      reason:
        'attaches PowerUserAccess (full access to every service except most of IAM and Organizations) to group devs',
    },
    {
      behaviour: 'flags attaching AWSOrganizationsFullAccess as high',
      event: 'AttachRolePolicy',
      params: { roleName: 'ops', policyArn: `${AWS_POLICY}/AWSOrganizationsFullAccess` },
      level: 'high',
      reason: 'attaches AWSOrganizationsFullAccess (can manage the organization',
    },
    {
      behaviour: 'recognises AdministratorAccess in the GovCloud partition',
      event: 'AttachRolePolicy',
      params: { roleName: 'deploy', policyArn: 'arn:aws-us-gov:iam::aws:policy/AdministratorAccess' },
      level: 'critical',
      reason: 'attaches AdministratorAccess',
    },
  ])('$behaviour', ({ event, params, level, reason }) => {
    const finding = adminManagedPolicy.evaluate(changeOf(event, params), NO_CONTEXT);
    expect(finding?.level).toBe(level);
    expect(finding?.reason).toContain(reason);
  });

  it.each([
    {
      behaviour: 'ignores a harmless AWS managed policy',
      event: 'AttachRolePolicy',
      params: { roleName: 'deploy', policyArn: `${AWS_POLICY}/ReadOnlyAccess` },
      overrides: {},
    },
    {
      behaviour: 'ignores a customer managed policy that borrows the name AdministratorAccess',
      event: 'AttachRolePolicy',
      params: { roleName: 'deploy', policyArn: 'arn:aws:iam::111122223333:policy/AdministratorAccess' },
      overrides: {},
    },
    {
      behaviour: 'ignores detaching AdministratorAccess',
      event: 'DetachRolePolicy',
      params: { roleName: 'deploy', policyArn: `${AWS_POLICY}/AdministratorAccess` },
      overrides: {},
    },
    {
      behaviour: 'ignores a failed attach (failed-write reports it)',
      event: 'AttachRolePolicy',
      params: { roleName: 'deploy', policyArn: `${AWS_POLICY}/AdministratorAccess` },
      overrides: { errorCode: 'AccessDenied', errorMessage: 'not authorized' },
    },
    {
      behaviour: 'does not throw on null request parameters',
      event: 'AttachRolePolicy',
      params: null,
      overrides: {},
    },
  ])('$behaviour', ({ event, params, overrides }) => {
    expect(adminManagedPolicy.evaluate(changeOf(event, params, overrides), NO_CONTEXT)).toBeNull();
  });
});
