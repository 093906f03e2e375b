import { describe, expect, it } from 'vitest';
import type { PrincipalPolicies } from '../../../src/domain/escalation';
import { changedPrincipal, checkEscalation, withEscalation } from '../../../src/domain/escalation';
import { assessChange } from '../../../src/domain/explain';
import type { EscalationCheck } from '../../../src/domain/types';
import { changeOf } from '../../support/cloudtrail';
import { assumedRoleIdentity } from '../risk/support';

const policies = (actions: string[]): PrincipalPolicies => ({
  kind: 'role',
  name: 'app',
  identity: [
    {
      name: 'inline policy p',
      document: { Statement: [{ Effect: 'Allow', Action: actions, Resource: ['*'] }] },
    },
  ],
});

const PATH = {
  id: 'pass-role-ec2',
  actions: ['iam:PassRole', 'ec2:RunInstances'],
  how: "launches an instance with a more powerful role and uses the role's credentials from it",
  reach: 'yes' as const,
  why: [],
};

const OPENED: EscalationCheck = {
  state: 'done',
  principal: 'role app',
  opened: [
    {
      id: 'pass-role-ec2',
      actions: ['iam:PassRole', 'ec2:RunInstances'],
      how: "launches an instance with a more powerful role and uses the role's credentials from it",
      reach: 'yes',
      why: [],
    },
  ],
  alreadyOpen: 0,
};

describe('changedPrincipal', () => {
  it.each([
    {
      eventName: 'AttachRolePolicy',
      params: { roleName: 'app', policyArn: 'arn:aws:iam::aws:policy/X' },
      expected: { kind: 'role', name: 'app' },
    },
    {
      eventName: 'PutUserPolicy',
      params: { userName: 'bob', policyName: 'p', policyDocument: '{"Statement":[]}' },
      expected: { kind: 'user', name: 'bob' },
    },
    {
      eventName: 'DetachGroupPolicy',
      params: { groupName: 'ops', policyArn: 'arn:aws:iam::aws:policy/X' },
      expected: { kind: 'group', name: 'ops' },
    },
    {
      eventName: 'AddUserToGroup',
      params: { groupName: 'admins', userName: 'bob' },
      expected: { kind: 'user', name: 'bob' },
    },
    {
      eventName: 'DeleteRolePermissionsBoundary',
      params: { roleName: 'app' },
      expected: { kind: 'role', name: 'app' },
    },
    {
      eventName: 'CreatePolicy',
      params: { policyName: 'p', policyDocument: '{"Statement":[]}' },
      expected: undefined,
    },
    { eventName: 'CreateAccessKey', params: { userName: 'bob' }, expected: undefined },
  ])('$eventName → $expected', ({ eventName, params, expected }) => {
    expect(changedPrincipal(changeOf(eventName, params))).toEqual(expected);
  });

  it('has no principal for a failed call', () => {
    const failed = changeOf(
      'AttachRolePolicy',
      { roleName: 'app', policyArn: 'arn:aws:iam::aws:policy/X' },
      { errorCode: 'AccessDenied' },
    );
    expect(changedPrincipal(failed)).toBeUndefined();
  });
});

describe('checkEscalation', () => {
  it('reports the paths open after that were not before', () => {
    const check = checkEscalation(policies(['iam:PassRole', 'ec2:RunInstances']), policies(['iam:PassRole']));
    expect(check).toMatchObject({
      state: 'done',
      principal: 'role app',
      opened: [{ id: 'pass-role-ec2' }],
      alreadyOpen: 0,
    });
  });

  it('reports nothing opened when the path was open already', () => {
    const both = policies(['iam:PassRole', 'ec2:RunInstances']);
    expect(checkEscalation(both, both)).toMatchObject({ opened: [], alreadyOpen: 1 });
  });

  it('says what could not be read', () => {
    const after = { ...policies([]), incomplete: ['managed policy X: IAM: AccessDenied'] };
    expect(checkEscalation(after, policies([]))).toMatchObject({
      incomplete: ['managed policy X: IAM: AccessDenied'],
    });
  });
});

describe('withEscalation', () => {
  const attach = changeOf('AttachRolePolicy', {
    roleName: 'app',
    policyArn: 'arn:aws:iam::111122223333:policy/Compute',
  });

  it('raises a low change to critical with the path as its first reason', () => {
    const assessed = assessChange(attach, { expectedActors: [], trustedAccounts: [] });
    const checked = withEscalation(assessed, OPENED);

    expect(checked.risk.level).toBe('critical');
    expect(checked.risk.reasons).toEqual([
      "role app can now reach administrator through iam:PassRole + ec2:RunInstances (launches an instance with a more powerful role and uses the role's credentials from it)",
    ]);
    expect(checked.risk.rules).toEqual(['escalation-path']);
    expect(checked.escalation).toBe(OPENED);
  });

  it('makes a conditional path high and says what limits it', () => {
    const assessed = assessChange(attach, { expectedActors: [], trustedAccounts: [] });
    const conditional: EscalationCheck = {
      ...OPENED,
      opened: [
        {
          ...PATH,
          reach: 'conditional',
          why: ['iam:PassRole allowed by inline policy p only on arn:aws:iam::111122223333:role/x'],
        },
      ],
    };
    const checked = withEscalation(assessed, conditional);

    expect(checked.risk.level).toBe('high');
    expect(checked.risk.reasons[0]).toContain('where iam:PassRole allowed by inline policy p only on');
  });

  it('lowers the finding one step for an expected actor, like every finding', () => {
    const byCi = changeOf(
      'AttachRolePolicy',
      { roleName: 'app', policyArn: 'arn:aws:iam::111122223333:policy/Compute' },
      { userIdentity: assumedRoleIdentity('terraform-ci') },
    );
    const assessed = assessChange(byCi, {
      expectedActors: ['arn:aws:iam::*:role/terraform-ci'],
      trustedAccounts: [],
    });

    expect(withEscalation(assessed, OPENED).risk.level).toBe('high');
  });

  it('replaces the finding of an earlier check instead of adding a second', () => {
    const assessed = assessChange(attach, { expectedActors: [], trustedAccounts: [] });
    const twice = withEscalation(withEscalation(assessed, OPENED), OPENED);

    expect(twice.risk.rules.filter((rule) => rule === 'escalation-path')).toHaveLength(1);
    expect(twice.risk.reasons).toHaveLength(1);
  });

  it('keeps the level when the check found no new path, and records the check', () => {
    const assessed = assessChange(attach, { expectedActors: [], trustedAccounts: [] });
    const none: EscalationCheck = { state: 'done', principal: 'role app', opened: [], alreadyOpen: 2 };
    const checked = withEscalation(assessed, none);

    expect(checked.risk).toEqual(assessed.risk);
    expect(checked.escalation).toEqual(none);
  });
});
