import { describe, expect, it } from 'vitest';
import { callDifference, canonicalJson, planAddsAccess, stepAddsAccess } from '../../src/domain/confirmation';
import type { Change, RevertStep } from '../../src/domain/types';
import { changeOf } from '../support/cloudtrail';

const ROLE = { RoleName: 'ci-runner' };
const ARN = 'arn:aws:iam::111122223333:policy/deploy';

describe('stepAddsAccess', () => {
  const steps: Array<[RevertStep['action'], Record<string, string | boolean>, boolean]> = [
    ['iam:AttachRolePolicy', { ...ROLE, PolicyArn: ARN }, true],
    ['iam:AttachUserPolicy', { UserName: 'alice', PolicyArn: ARN }, true],
    ['iam:AttachGroupPolicy', { GroupName: 'devs', PolicyArn: ARN }, true],
    ['iam:DetachRolePolicy', { ...ROLE, PolicyArn: ARN }, false],
    ['iam:DetachUserPolicy', { UserName: 'alice', PolicyArn: ARN }, false],
    ['iam:DetachGroupPolicy', { GroupName: 'devs', PolicyArn: ARN }, false],
    ['iam:PutRolePolicy', { ...ROLE, PolicyName: 'inline', PolicyDocument: '{}' }, true],
    ['iam:PutUserPolicy', { UserName: 'alice', PolicyName: 'inline', PolicyDocument: '{}' }, true],
    ['iam:PutGroupPolicy', { GroupName: 'devs', PolicyName: 'inline', PolicyDocument: '{}' }, true],
    ['iam:DeleteRolePolicy', { ...ROLE, PolicyName: 'inline' }, false],
    ['iam:DeleteUserPolicy', { UserName: 'alice', PolicyName: 'inline' }, false],
    ['iam:DeleteGroupPolicy', { GroupName: 'devs', PolicyName: 'inline' }, false],
    ['iam:CreatePolicy', { PolicyName: 'deploy', PolicyDocument: '{}', Path: '/' }, true],
    ['iam:DeletePolicy', { PolicyArn: ARN }, false],
    ['iam:CreatePolicyVersion', { PolicyArn: ARN, PolicyDocument: '{}', SetAsDefault: true }, true],
    ['iam:DeletePolicyVersion', { PolicyArn: ARN, VersionId: 'v2' }, false],
    ['iam:SetDefaultPolicyVersion', { PolicyArn: ARN, VersionId: 'v1' }, true],
    ['iam:UpdateAssumeRolePolicy', { ...ROLE, PolicyDocument: '{}' }, true],
    // Anything the list does not know is assumed to grant: waiting for CloudTrail is the safe side.
    ['iam:SomeFutureCall', {}, true],
    ['iam:detachrolepolicy', {}, true],
  ];

  it.each(steps)('says %s adds access: %s', (action, params, expected) => {
    expect(stepAddsAccess({ action, params })).toBe(expected);
  });
});

describe('planAddsAccess', () => {
  const detach: RevertStep = { action: 'iam:DetachRolePolicy', params: { ...ROLE, PolicyArn: ARN } };
  const deleteVersion: RevertStep = {
    action: 'iam:DeletePolicyVersion',
    params: { PolicyArn: ARN, VersionId: 'v2' },
  };
  const setDefault: RevertStep = {
    action: 'iam:SetDefaultPolicyVersion',
    params: { PolicyArn: ARN, VersionId: 'v1' },
  };
  const attach: RevertStep = { action: 'iam:AttachRolePolicy', params: { ...ROLE, PolicyArn: ARN } };

  it.each([
    ['no steps', [], false],
    ['only a detach', [detach], false],
    ['only removals', [detach, deleteVersion], false],
    ['only an attach', [attach], true],
    ['a removal then a grant', [deleteVersion, setDefault], true],
    ['a grant then a removal', [setDefault, deleteVersion], true],
  ] as Array<[string, RevertStep[], boolean]>)('for a plan of %s says %s', (_name, steps, expected) => {
    expect(planAddsAccess({ steps })).toBe(expected);
  });
});

describe('canonicalJson', () => {
  it.each([
    ['flat keys in another order', { b: 1, a: 2 }, { a: 2, b: 1 }],
    [
      'nested keys in another order',
      { x: { d: [1, { z: 1, y: 2 }], c: null } },
      { x: { c: null, d: [1, { y: 2, z: 1 }] } },
    ],
    ['objects inside arrays', [{ b: 1, a: 1 }], [{ a: 1, b: 1 }]],
    ['an undefined member and its absence (JSON drops it)', { a: 1, b: undefined }, { a: 1 }],
  ])('gives one text for %s', (_name, left, right) => {
    expect(canonicalJson(left)).toBe(canonicalJson(right));
  });

  it.each([
    ['arrays in another order', [1, 2], [2, 1]],
    ['arrays of objects in another order', [{ a: 1 }, { a: 2 }], [{ a: 2 }, { a: 1 }]],
    ['a nested value changed', { a: { b: 'x' } }, { a: { b: 'y' } }],
    ['a number and its string', { a: 1 }, { a: '1' }],
    ['null and an empty object', null, {}],
    ['an empty object and an empty array', {}, []],
    ['a key renamed', { a: 1 }, { A: 1 }],
  ])('gives different texts for %s', (_name, left, right) => {
    expect(canonicalJson(left)).not.toBe(canonicalJson(right));
  });

  it('sorts keys at every depth', () => {
    expect(canonicalJson({ z: { b: 1, a: [{ d: 1, c: 2 }] }, a: 0 })).toBe(
      '{"a":0,"z":{"a":[{"c":2,"d":1}],"b":1}}',
    );
  });

  it('leaves scalars as JSON does', () => {
    expect(canonicalJson('x')).toBe('"x"');
    expect(canonicalJson(3)).toBe('3');
    expect(canonicalJson(null)).toBe('null');
    expect(canonicalJson(true)).toBe('true');
  });
});

describe('callDifference', () => {
  const params = { roleName: 'ci-runner', policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' };
  const stored = changeOf('DetachRolePolicy', params, { eventID: 'evt-1' });

  /** `stored` as CloudTrail would say it, with `edit` applied. */
  function trail(edit: (change: Change) => void = () => {}): Change {
    const copy = structuredClone(stored);
    edit(copy);
    return copy;
  }

  it('finds no difference between a change and itself', () => {
    expect(callDifference(stored, trail())).toBeUndefined();
  });

  it('finds no difference between two normalisations of one record', () => {
    const again = changeOf(
      'DetachRolePolicy',
      { policyArn: params.policyArn, roleName: params.roleName },
      {
        eventID: 'evt-1',
      },
    );
    expect(callDifference(stored, again)).toBeUndefined();
  });

  const differences: Array<[string, (change: Change) => void, string]> = [
    [
      'event id',
      (c) => {
        c.eventId = 'evt-2';
      },
      'the event id differs (stored evt-1, CloudTrail evt-2)',
    ],
    [
      'event name',
      (c) => {
        c.eventName = 'AttachRolePolicy';
      },
      'the event name differs (stored DetachRolePolicy, CloudTrail AttachRolePolicy)',
    ],
    [
      'event source',
      (c) => {
        c.eventSource = 'organizations.amazonaws.com';
      },
      'the event source differs (stored iam.amazonaws.com, CloudTrail organizations.amazonaws.com)',
    ],
    [
      'account',
      (c) => {
        c.accountId = '444455556666';
      },
      'the account differs (stored 111122223333, CloudTrail 444455556666)',
    ],
    [
      'event time',
      (c) => {
        c.eventTime = '2026-11-20T14:00:01Z';
      },
      'the event time differs',
    ],
    [
      'caller',
      (c) => {
        c.actor.arn = 'arn:aws:iam::111122223333:user/mallory';
      },
      'the caller differs (stored arn:aws:iam::111122223333:user/alice, CloudTrail arn:aws:iam::111122223333:user/mallory)',
    ],
    [
      'outcome',
      (c) => {
        c.outcome = 'failed';
      },
      'the outcome differs (stored success, CloudTrail failed)',
    ],
    [
      'request parameters',
      (c) => {
        c.requestParameters = { ...params, roleName: 'admin' };
      },
      'the request parameters differ',
    ],
    [
      'request parameters (one added)',
      (c) => {
        c.requestParameters = { ...params, extra: 1 };
      },
      'the request parameters differ',
    ],
    [
      'request parameters (one removed)',
      (c) => {
        c.requestParameters = { roleName: 'ci-runner' };
      },
      'the request parameters differ',
    ],
    [
      'request parameters (null)',
      (c) => {
        c.requestParameters = null;
      },
      'the request parameters differ',
    ],
  ];

  it.each(differences)('names the %s when it differs', (name, edit, expected) => {
    const difference = callDifference(stored, trail(edit));
    expect(difference, name).toContain(expected);
  });

  it('names the first field that differs when several do', () => {
    const difference = callDifference(
      stored,
      trail((c) => {
        c.eventName = 'AttachRolePolicy';
        c.outcome = 'failed';
      }),
    );
    expect(difference).toMatch(/^the event name differs/);
  });

  it('finds no difference in request parameters that differ only in key order, at every depth', () => {
    const document = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }],
    };
    const put = changeOf('PutRolePolicy', {
      roleName: 'ci',
      policyName: 'p',
      policyDocument: document,
      tags: { b: 1, a: 2 },
    });
    const reordered: Change = {
      ...structuredClone(put),
      requestParameters: {
        tags: { a: 2, b: 1 },
        policyDocument: {
          Statement: [{ Resource: '*', Action: 's3:*', Effect: 'Allow' }],
          Version: '2012-10-17',
        },
        policyName: 'p',
        roleName: 'ci',
      },
    };
    expect(canonicalJson(reordered.requestParameters)).toBe(canonicalJson(put.requestParameters));
    expect(JSON.stringify(reordered.requestParameters)).not.toBe(JSON.stringify(put.requestParameters));
    expect(callDifference(put, reordered)).toBeUndefined();
  });

  it('finds a difference in a nested value of the request parameters', () => {
    const document = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
    };
    const put = changeOf('PutRolePolicy', { roleName: 'ci', policyName: 'p', policyDocument: document });
    const wider = structuredClone(put);
    wider.requestParameters = {
      roleName: 'ci',
      policyName: 'p',
      policyDocument: { ...document, Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
    };
    expect(callDifference(put, wider)).toBe('the request parameters differ');
  });

  it('finds a difference in the order of a list in the request parameters', () => {
    const withList = trail((c) => {
      c.requestParameters = { ...params, list: [1, 2] };
    });
    expect(
      callDifference(
        withList,
        trail((c) => {
          c.requestParameters = { ...params, list: [2, 1] };
        }),
      ),
    ).toBe('the request parameters differ');
  });
});
