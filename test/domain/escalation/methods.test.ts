import { describe, expect, it } from 'vitest';
import {
  actionsFor,
  ESCALATION_METHODS,
  type EscalationMethod,
  findEscalationPaths,
  type PrincipalKind,
  type PrincipalPolicies,
} from '../../../src/domain/escalation';
import type { PolicyDocument } from '../../../src/domain/types';

const doc = (...Statement: PolicyDocument['Statement']): PolicyDocument => ({
  Version: '2012-10-17',
  Statement,
});

function principal(
  kind: PrincipalKind,
  identity: PolicyDocument[],
  boundary?: PolicyDocument,
): PrincipalPolicies {
  return {
    kind,
    name: 'subject',
    identity: identity.map((document, index) => ({ name: `policy ${index}`, document })),
    ...(boundary ? { boundary: { name: 'boundary', document: boundary } } : {}),
  };
}

const ids = (policies: PrincipalPolicies) => findEscalationPaths(policies).map((path) => path.method.id);

/** Every method, for each kind of principal it applies to: the four cases the issue asks for. */
const cases = ESCALATION_METHODS.flatMap((method: EscalationMethod) =>
  (['role', 'user', 'group'] as const)
    .filter((kind) => !method.appliesTo || method.appliesTo.includes(kind))
    .map((kind) => ({ id: method.id, kind, actions: [...actionsFor(method, kind)] })),
);

describe('escalation methods', () => {
  it('each method names its public sources and how it works', () => {
    for (const method of ESCALATION_METHODS) {
      expect(method.sources.length, method.id).toBeGreaterThan(0);
      expect(method.how.length, method.id).toBeGreaterThan(10);
      for (const action of method.actions) expect(action, method.id).toMatch(/^[a-z0-9-]+:[A-Za-z]+$/);
    }
    expect(new Set(ESCALATION_METHODS.map((method) => method.id)).size).toBe(ESCALATION_METHODS.length);
  });

  it('covers the combinations the issue names', () => {
    const combos = ESCALATION_METHODS.map((method) => method.actions.join(' + '));
    for (const expected of [
      'iam:PassRole + lambda:CreateFunction + lambda:InvokeFunction',
      'iam:PassRole + ec2:RunInstances',
      'iam:PassRole + cloudformation:CreateStack',
      'iam:CreatePolicyVersion',
      'iam:SetDefaultPolicyVersion',
      'iam:CreateAccessKey',
      'iam:CreateLoginProfile',
      'iam:UpdateLoginProfile',
      'iam:UpdateAssumeRolePolicy + sts:AssumeRole',
      'iam:PassRole + glue:CreateDevEndpoint',
      'iam:AttachUserPolicy',
      'iam:AttachRolePolicy',
      'iam:PutUserPolicy',
    ]) {
      expect(combos).toContain(expected);
    }
  });

  describe.each(cases)('$id for a $kind', ({ id, kind, actions }) => {
    const grant = doc({ Effect: 'Allow', Action: actions, Resource: ['*'] });

    it('is reachable when its actions are allowed on every resource', () => {
      const path = findEscalationPaths(principal(kind, [grant])).find((found) => found.method.id === id);
      expect(path?.reach).toBe('yes');
    });

    it('is reachable when the actions are spread over several policies', () => {
      const spread = actions.map((action) => doc({ Effect: 'Allow', Action: [action], Resource: ['*'] }));
      expect(ids(principal(kind, spread))).toContain(id);
    });

    it('is not reachable when one of its actions is missing', () => {
      const missing = actions.slice(1);
      const policies = principal(
        kind,
        missing.length > 0 ? [doc({ Effect: 'Allow', Action: missing, Resource: ['*'] })] : [],
      );
      expect(ids(policies)).not.toContain(id);
    });

    it('is not reachable when a Deny on every resource covers one of its actions', () => {
      const denied = doc({ Effect: 'Deny', Action: [actions[actions.length - 1] ?? ''], Resource: ['*'] });
      expect(ids(principal(kind, [grant, denied]))).not.toContain(id);
    });

    it('is not reachable when the permissions boundary leaves one of its actions out', () => {
      const boundary = doc({
        Effect: 'Allow',
        Action: actions.slice(0, -1).concat('s3:GetObject'),
        Resource: ['*'],
      });
      expect(ids(principal(kind, [grant], boundary))).not.toContain(id);
    });

    it('is reachable when the permissions boundary allows all of its actions', () => {
      const boundary = doc({ Effect: 'Allow', Action: ['*'], Resource: ['*'] });
      expect(ids(principal(kind, [grant], boundary))).toContain(id);
    });
  });
});

describe('findEscalationPaths', () => {
  const passAndRun = doc({ Effect: 'Allow', Action: ['iam:PassRole', 'ec2:RunInstances'], Resource: ['*'] });

  it('finds methods through wildcards', () => {
    expect(
      ids(principal('role', [doc({ Effect: 'Allow', Action: ['iam:Create*'], Resource: ['*'] })])),
    ).toEqual(expect.arrayContaining(['create-policy-version', 'create-access-key', 'create-login-profile']));
  });

  it('finds methods through NotAction', () => {
    const found = ids(principal('role', [doc({ Effect: 'Allow', NotAction: ['s3:*'], Resource: ['*'] })]));
    expect(found).toContain('pass-role-ec2');
    expect(found).toContain('create-policy-version');
  });

  it('makes a path on specific resources conditional and says why', () => {
    const scoped = doc({
      Effect: 'Allow',
      Action: ['iam:PassRole'],
      Resource: ['arn:aws:iam::111122223333:role/app'],
    });
    const run = doc({ Effect: 'Allow', Action: ['ec2:RunInstances'], Resource: ['*'] });
    const path = findEscalationPaths(principal('role', [scoped, run])).find(
      (found) => found.method.id === 'pass-role-ec2',
    );
    expect(path?.reach).toBe('conditional');
    expect(path?.why.join(' ')).toContain('only on arn:aws:iam::111122223333:role/app');
  });

  it('makes a path under a condition conditional', () => {
    const conditional = doc({
      Effect: 'Allow',
      Action: ['iam:CreatePolicyVersion'],
      Resource: ['*'],
      Condition: { Bool: { 'aws:MultiFactorAuthPresent': ['true'] } },
    });
    const path = findEscalationPaths(principal('user', [conditional]))[0];
    expect(path?.reach).toBe('conditional');
    expect(path?.why.join(' ')).toContain('under conditions (Bool)');
  });

  it('leaves a path conditional, not blocked, when a Deny covers only some resources', () => {
    const partDeny = doc({
      Effect: 'Deny',
      Action: ['iam:PassRole'],
      Resource: ['arn:aws:iam::111122223333:role/admin'],
    });
    const path = findEscalationPaths(principal('role', [passAndRun, partDeny])).find(
      (found) => found.method.id === 'pass-role-ec2',
    );
    expect(path?.reach).toBe('conditional');
    expect(path?.why.join(' ')).toContain('partly denied');
  });

  it('blocks a path denied in the permissions boundary itself', () => {
    const boundary = doc(
      { Effect: 'Allow', Action: ['*'], Resource: ['*'] },
      { Effect: 'Deny', Action: ['iam:PassRole'], Resource: ['*'] },
    );
    expect(ids(principal('role', [passAndRun], boundary))).not.toContain('pass-role-ec2');
  });

  it('asks a user to assume the role it attaches policies to, but not a role changing itself', () => {
    const attach = doc({ Effect: 'Allow', Action: ['iam:AttachRolePolicy'], Resource: ['*'] });
    expect(ids(principal('role', [attach]))).toContain('attach-role-policy');
    expect(ids(principal('user', [attach]))).not.toContain('attach-role-policy');
  });

  it('finds nothing in a read-only policy', () => {
    const readOnly = doc({
      Effect: 'Allow',
      Action: ['iam:Get*', 'iam:List*', 's3:GetObject'],
      Resource: ['*'],
    });
    expect(ids(principal('role', [readOnly]))).toEqual([]);
  });
});
