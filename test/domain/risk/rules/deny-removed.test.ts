import { describe, expect, it } from 'vitest';
import { parsePolicyDocument } from '../../../../src/domain/policy';
import type { RiskContext } from '../../../../src/domain/risk/rule';
import { denyRemoved } from '../../../../src/domain/risk/rules/deny-removed';
import { changeOf } from '../../../support/cloudtrail';
import { NO_CONTEXT, policyText } from '../support';

const ALLOW_READ = { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' };
const DENY_DELETE = {
  Sid: 'DenyDelete',
  Effect: 'Deny',
  Action: ['s3:DeleteObject', 's3:DeleteBucket'],
  Resource: '*',
};
const DENY_LEAVE = {
  Sid: 'DenyLeaveOrg',
  Effect: 'Deny',
  Action: 'organizations:LeaveOrganization',
  Resource: '*',
};

const previous = (...statements: Array<Record<string, unknown>>): RiskContext => ({
  ...NO_CONTEXT,
  previousDocument: parsePolicyDocument(policyText(...statements)),
});
const putRolePolicy = (...statements: Array<Record<string, unknown>>) =>
  changeOf('PutRolePolicy', {
    roleName: 'app',
    policyName: 'guard',
    policyDocument: policyText(...statements),
  });

describe('deny-removed', () => {
  it.each([
    {
      behaviour: 'flags a replaced inline policy that drops a Deny, naming its Sid',
      change: putRolePolicy(ALLOW_READ, DENY_LEAVE),
      context: previous(ALLOW_READ, DENY_DELETE, DENY_LEAVE),
      reason: 'removes a Deny statement (DenyDelete) that the previous document of role app had',
    },
    {
      behaviour: 'counts every dropped Deny',
      change: putRolePolicy(ALLOW_READ),
      context: previous(ALLOW_READ, DENY_DELETE, DENY_LEAVE),
      reason: 'removes 2 Deny statements (DenyDelete, DenyLeaveOrg)',
    },
    {
      behaviour: 'treats a Deny whose actions were narrowed as removed',
      change: putRolePolicy({ ...DENY_DELETE, Action: 's3:DeleteBucket' }),
      context: previous(DENY_DELETE),
      reason: 'removes a Deny statement (DenyDelete)',
    },
    {
      behaviour: 'flags a new managed policy version without the old Deny',
      change: changeOf('CreatePolicyVersion', {
        policyArn: 'arn:aws:iam::111122223333:policy/Guard',
        policyDocument: policyText(ALLOW_READ),
        setAsDefault: true,
      }),
      context: previous(ALLOW_READ, DENY_DELETE),
      reason: 'that the previous document of policy Guard had',
    },
    {
      behaviour: 'flags deleting an inline policy that held a Deny',
      change: changeOf('DeleteUserPolicy', { userName: 'bob', policyName: 'guard' }),
      context: previous(DENY_DELETE),
      reason: 'deletes inline policy guard of user bob, which had a Deny statement (DenyDelete)',
    },
    {
      behaviour: 'flags detaching a managed policy that held a Deny',
      change: changeOf('DetachGroupPolicy', {
        groupName: 'devs',
        policyArn: 'arn:aws:iam::111122223333:policy/Guardrails',
      }),
      context: previous(DENY_DELETE, DENY_LEAVE),
      reason: 'detaches Guardrails from group devs, which had 2 Deny statements',
    },
    {
      behaviour: "flags detaching AWS's compromised-key quarantine without knowing its document",
      change: changeOf('DetachUserPolicy', {
        userName: 'leaky',
        policyArn: 'arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV2',
      }),
      context: NO_CONTEXT,
      reason:
        "detaches AWSCompromisedKeyQuarantineV2 (AWS's quarantine for an exposed access key) from user leaky",
    },
    {
      behaviour: 'flags detaching AWSDenyAll',
      change: changeOf('DetachRolePolicy', {
        roleName: 'app',
        policyArn: 'arn:aws:iam::aws:policy/AWSDenyAll',
      }),
      context: NO_CONTEXT,
      reason: 'detaches AWSDenyAll (denies every action) from role app',
    },
    {
      behaviour: 'flags detaching a customer policy named like a deny',
      change: changeOf('DetachRolePolicy', {
        roleName: 'app',
        policyArn: 'arn:aws:iam::111122223333:policy/DenyProdDelete',
      }),
      context: NO_CONTEXT,
      reason: 'detaches DenyProdDelete from role app: its name marks it as a deny or quarantine policy',
    },
  ])('$behaviour', ({ change, context, reason }) => {
    const finding = denyRemoved.evaluate(change, context);
    expect(finding?.level).toBe('high');
    expect(finding?.reason).toContain(reason);
  });

  it.each([
    {
      behaviour: 'ignores a replacement that keeps every Deny, whatever its order and Sid',
      change: putRolePolicy(
        { ...DENY_LEAVE, Sid: 'Renamed' },
        { ...DENY_DELETE, Action: ['s3:DeleteBucket', 's3:DeleteObject'] },
        ALLOW_READ,
      ),
      context: previous(ALLOW_READ, DENY_DELETE, DENY_LEAVE),
    },
    {
      behaviour: 'ignores a replacement when the previous document had no Deny',
      change: putRolePolicy(ALLOW_READ),
      context: previous(ALLOW_READ, { Effect: 'Allow', Action: 's3:PutObject', Resource: '*' }),
    },
    {
      behaviour: 'ignores a replacement when the previous document is unknown',
      change: putRolePolicy(ALLOW_READ),
      context: NO_CONTEXT,
    },
    {
      behaviour: 'ignores a replacement of a document that did not exist',
      change: putRolePolicy(ALLOW_READ),
      context: { ...NO_CONTEXT, previousDocument: null },
    },
    {
      behaviour: 'ignores deleting an inline policy with only Allows',
      change: changeOf('DeleteRolePolicy', { roleName: 'app', policyName: 'read' }),
      context: previous(ALLOW_READ),
    },
    {
      behaviour: 'ignores detaching an ordinary AWS managed policy',
      change: changeOf('DetachRolePolicy', {
        roleName: 'app',
        policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
      }),
      context: NO_CONTEXT,
    },
    {
      behaviour: 'ignores a failed detach of the quarantine policy (failed-write reports it)',
      change: changeOf(
        'DetachUserPolicy',
        { userName: 'leaky', policyArn: 'arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV2' },
        { errorCode: 'AccessDenied' },
      ),
      context: NO_CONTEXT,
    },
  ])('$behaviour', ({ change, context }) => {
    expect(denyRemoved.evaluate(change, context)).toBeNull();
  });

  it('still reads a detach with null request parameters in words', () => {
    const finding = denyRemoved.evaluate(changeOf('DetachRolePolicy', null), previous(DENY_DELETE));
    expect(finding?.reason).toBe(
      'detaches a policy from an unnamed role, which had a Deny statement (DenyDelete)',
    );
  });
});
