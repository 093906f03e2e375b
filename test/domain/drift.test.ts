import { describe, expect, it } from 'vitest';
import {
  compareAllLive,
  compareLive,
  describeProbe,
  expectedAfter,
  expectedAfterRevert,
  type Probe,
} from '../../src/domain/drift';
import { canonicalDocument } from '../../src/domain/policy';
import type { BeforeState } from '../../src/domain/revert';
import type { PolicyDocument } from '../../src/domain/types';
import { changeOf } from '../support/cloudtrail';

const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const DEPLOY = 'arn:aws:iam::111122223333:policy/team/Deploy';
const NEW_TEXT = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}';
const NEW: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['*'], Resource: ['*'] }],
};
const OLD: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:ListBucket'], Resource: ['*'] }],
};
const TRUST_TEXT =
  '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}';
const TRUST: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { AWS: ['*'] }, Action: ['sts:AssumeRole'] }],
};

const role = { kind: 'role', name: 'ci-runner' } as const;

describe('expectedAfter', () => {
  it.each<[string, ReturnType<typeof changeOf>, Probe | undefined]>([
    [
      'AttachRolePolicy: the policy attached',
      changeOf('AttachRolePolicy', { roleName: 'ci-runner', policyArn: ADMIN }),
      { kind: 'attached', entity: role, policyArn: ADMIN, present: true },
    ],
    [
      'DetachUserPolicy: the policy not attached',
      changeOf('DetachUserPolicy', { userName: 'bob', policyArn: ADMIN }),
      { kind: 'attached', entity: { kind: 'user', name: 'bob' }, policyArn: ADMIN, present: false },
    ],
    [
      'PutGroupPolicy: the inline policy with the new document',
      changeOf('PutGroupPolicy', { groupName: 'devs', policyName: 'p', policyDocument: NEW_TEXT }),
      { kind: 'inline', entity: { kind: 'group', name: 'devs' }, name: 'p', present: true, document: NEW },
    ],
    [
      'PutRolePolicy with an unreadable document: present, document not known',
      changeOf('PutRolePolicy', { roleName: 'ci-runner', policyName: 'p', policyDocument: '{not json' }),
      { kind: 'inline', entity: role, name: 'p', present: true },
    ],
    [
      'DeleteRolePolicy: no inline policy',
      changeOf('DeleteRolePolicy', { roleName: 'ci-runner', policyName: 'p' }),
      { kind: 'inline', entity: role, name: 'p', present: false },
    ],
    [
      'CreatePolicy: the policy exists with its document',
      changeOf(
        'CreatePolicy',
        { policyName: 'Deploy', path: '/team/', policyDocument: NEW_TEXT },
        { responseElements: { policy: { arn: DEPLOY, defaultVersionId: 'v1' } } },
      ),
      { kind: 'policy-exists', policyArn: DEPLOY, present: true, document: NEW },
    ],
    [
      'DeletePolicy: the policy does not exist',
      changeOf('DeletePolicy', { policyArn: DEPLOY }),
      { kind: 'policy-exists', policyArn: DEPLOY, present: false },
    ],
    [
      'CreatePolicyVersion as default: that version, the default',
      changeOf(
        'CreatePolicyVersion',
        { policyArn: DEPLOY, policyDocument: NEW_TEXT, setAsDefault: true },
        { responseElements: { policyVersion: { versionId: 'v3', isDefaultVersion: true } } },
      ),
      { kind: 'version', policyArn: DEPLOY, versionId: 'v3', present: true, isDefault: true, document: NEW },
    ],
    [
      'CreatePolicyVersion not default: that version, not the default',
      changeOf(
        'CreatePolicyVersion',
        { policyArn: DEPLOY, policyDocument: NEW_TEXT },
        { responseElements: { policyVersion: { versionId: 'v3', isDefaultVersion: false } } },
      ),
      { kind: 'version', policyArn: DEPLOY, versionId: 'v3', present: true, isDefault: false, document: NEW },
    ],
    [
      'DeletePolicyVersion: the version does not exist',
      changeOf('DeletePolicyVersion', { policyArn: DEPLOY, versionId: 'v1' }),
      { kind: 'version', policyArn: DEPLOY, versionId: 'v1', present: false },
    ],
    [
      'SetDefaultPolicyVersion: that version is the default',
      changeOf('SetDefaultPolicyVersion', { policyArn: DEPLOY, versionId: 'v2' }),
      { kind: 'default-version', policyArn: DEPLOY, present: true, versionId: 'v2' },
    ],
    [
      'UpdateAssumeRolePolicy: the new trust policy',
      changeOf('UpdateAssumeRolePolicy', { roleName: 'ci-runner', policyDocument: TRUST_TEXT }),
      { kind: 'trust', role: 'ci-runner', present: true, document: TRUST },
    ],
    [
      'a failed call: nothing',
      changeOf(
        'AttachRolePolicy',
        { roleName: 'ci-runner', policyArn: ADMIN },
        { errorCode: 'AccessDenied' },
      ),
      undefined,
    ],
    ['a call with no revert: nothing', changeOf('CreateAccessKey', { userName: 'bob' }), undefined],
    [
      'a record missing the policy ARN: nothing',
      changeOf('AttachRolePolicy', { roleName: 'ci-runner' }),
      undefined,
    ],
  ])('%s', (_name, change, expected) => {
    expect(expectedAfter(change)).toEqual(expected);
  });
});

describe('expectedAfterRevert', () => {
  const known: BeforeState = { previousDocument: OLD, previousDefaultVersionId: 'v2' };
  it.each<[string, ReturnType<typeof changeOf>, BeforeState, Probe[]]>([
    [
      'Attach → detached',
      changeOf('AttachRolePolicy', { roleName: 'ci-runner', policyArn: ADMIN }),
      {},
      [{ kind: 'attached', entity: role, policyArn: ADMIN, present: false }],
    ],
    [
      'Detach → attached again',
      changeOf('DetachRolePolicy', { roleName: 'ci-runner', policyArn: ADMIN }),
      {},
      [{ kind: 'attached', entity: role, policyArn: ADMIN, present: true }],
    ],
    [
      'Put over a previous document → the previous document',
      changeOf('PutRolePolicy', { roleName: 'ci-runner', policyName: 'p', policyDocument: NEW_TEXT }),
      known,
      [{ kind: 'inline', entity: role, name: 'p', present: true, document: OLD }],
    ],
    [
      'Put of a new inline policy → gone',
      changeOf('PutRolePolicy', { roleName: 'ci-runner', policyName: 'p', policyDocument: NEW_TEXT }),
      { previousDocument: null },
      [{ kind: 'inline', entity: role, name: 'p', present: false }],
    ],
    [
      'Put with an unknown before-state → nothing to check',
      changeOf('PutRolePolicy', { roleName: 'ci-runner', policyName: 'p', policyDocument: NEW_TEXT }),
      {},
      [],
    ],
    [
      'Delete → the previous document back',
      changeOf('DeleteRolePolicy', { roleName: 'ci-runner', policyName: 'p' }),
      known,
      [{ kind: 'inline', entity: role, name: 'p', present: true, document: OLD }],
    ],
    [
      'CreatePolicy → the policy gone',
      changeOf(
        'CreatePolicy',
        { policyName: 'Deploy', path: '/team/', policyDocument: NEW_TEXT },
        { responseElements: { policy: { arn: DEPLOY } } },
      ),
      { previousDocument: null },
      [{ kind: 'policy-exists', policyArn: DEPLOY, present: false }],
    ],
    [
      'DeletePolicy → the policy back with the previous default document',
      changeOf('DeletePolicy', { policyArn: DEPLOY }),
      known,
      [{ kind: 'policy-exists', policyArn: DEPLOY, present: true, document: OLD }],
    ],
    [
      'CreatePolicyVersion as default → the version gone and the previous default back',
      changeOf(
        'CreatePolicyVersion',
        { policyArn: DEPLOY, policyDocument: NEW_TEXT, setAsDefault: true },
        { responseElements: { policyVersion: { versionId: 'v3', isDefaultVersion: true } } },
      ),
      known,
      [
        { kind: 'version', policyArn: DEPLOY, versionId: 'v3', present: false },
        { kind: 'default-version', policyArn: DEPLOY, present: true, versionId: 'v2' },
      ],
    ],
    [
      'DeletePolicyVersion → a non-default version with the deleted document',
      changeOf('DeletePolicyVersion', { policyArn: DEPLOY, versionId: 'v1' }),
      known,
      [{ kind: 'version', policyArn: DEPLOY, present: true, isDefault: false, document: OLD }],
    ],
    [
      'SetDefaultPolicyVersion → the previous default',
      changeOf('SetDefaultPolicyVersion', { policyArn: DEPLOY, versionId: 'v3' }),
      known,
      [{ kind: 'default-version', policyArn: DEPLOY, present: true, versionId: 'v2' }],
    ],
    [
      'UpdateAssumeRolePolicy → the previous trust policy',
      changeOf('UpdateAssumeRolePolicy', { roleName: 'ci-runner', policyDocument: TRUST_TEXT }),
      known,
      [{ kind: 'trust', role: 'ci-runner', present: true, document: OLD }],
    ],
  ])('%s', (_name, change, before, probes) => {
    expect(expectedAfterRevert(change, before)).toEqual(probes);
  });
});

describe('compareLive', () => {
  const attached: Probe = { kind: 'attached', entity: role, policyArn: ADMIN, present: true };
  const inline: Probe = { kind: 'inline', entity: role, name: 'p', present: true, document: NEW };
  const reordered: PolicyDocument = {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['s3:ListBucket', 's3:GetObject'], Resource: ['*'] }],
  };
  it.each<[string, Probe, Probe, boolean]>([
    ['the same attachment: no drift', attached, { ...attached }, false],
    ['an attachment removed since: drift', attached, { ...attached, present: false }, true],
    ['the entity deleted since: drift', attached, { ...attached, present: false, entityMissing: true }, true],
    ['the same inline document: no drift', inline, { ...inline }, false],
    [
      'the same document with lists in another order: no drift',
      { ...inline, document: OLD },
      { ...inline, document: reordered },
      false,
    ],
    ['another inline document: drift', inline, { ...inline, document: OLD }, true],
    [
      'an inline policy deleted since: drift',
      inline,
      { kind: 'inline', entity: role, name: 'p', present: false },
      true,
    ],
    [
      'an expected document not known: presence only',
      { kind: 'inline', entity: role, name: 'p', present: true },
      { ...inline, document: OLD },
      false,
    ],
    [
      'a deleted inline policy re-created since: drift',
      { kind: 'inline', entity: role, name: 'p', present: false },
      inline,
      true,
    ],
    [
      'a default version changed since: drift',
      { kind: 'default-version', policyArn: DEPLOY, present: true, versionId: 'v2' },
      { kind: 'default-version', policyArn: DEPLOY, present: true, versionId: 'v3' },
      true,
    ],
    [
      'a created version no longer the default: drift',
      { kind: 'version', policyArn: DEPLOY, versionId: 'v3', present: true, isDefault: true, document: NEW },
      { kind: 'version', policyArn: DEPLOY, versionId: 'v3', present: true, isDefault: false, document: NEW },
      true,
    ],
    [
      'a deleted policy re-created since: drift',
      { kind: 'policy-exists', policyArn: DEPLOY, present: false },
      { kind: 'policy-exists', policyArn: DEPLOY, present: true, document: OLD },
      true,
    ],
    [
      'a created policy whose default document changed since: drift',
      { kind: 'policy-exists', policyArn: DEPLOY, present: true, document: NEW },
      { kind: 'policy-exists', policyArn: DEPLOY, present: true, document: OLD },
      true,
    ],
    [
      'the trust policy replaced since: drift',
      { kind: 'trust', role: 'ci-runner', present: true, document: TRUST },
      { kind: 'trust', role: 'ci-runner', present: true, document: OLD },
      true,
    ],
  ])('%s', (_name, expected, live, drifted) => {
    expect(compareLive(expected, live).drifted).toBe(drifted);
  });

  it('describes both states in words, with the documents as canonical JSON', () => {
    const report = compareLive(inline, { ...inline, document: OLD });
    expect(report.expected).toBe(
      `inline policy p on role ci-runner: ${JSON.stringify(canonicalDocument(NEW))}`,
    );
    expect(report.current).toContain('"Action":["s3:GetObject","s3:ListBucket"]');
    expect(compareLive(attached, { ...attached, present: false })).toEqual({
      drifted: true,
      expected: `AdministratorAccess (${ADMIN}) attached to role ci-runner`,
      current: `AdministratorAccess (${ADMIN}) not attached to role ci-runner`,
    });
    expect(describeProbe({ ...attached, entityMissing: true, present: false })).toBe(
      'role ci-runner does not exist',
    );
  });

  it('compares several probes at once and counts a missing reading as drift', () => {
    const ok = compareAllLive([attached, inline], [{ ...attached }, { ...inline }]);
    expect(ok.drifted).toBe(false);
    expect(ok.expected.split('; ')).toHaveLength(2);
    expect(compareAllLive([attached, inline], [{ ...attached }]).drifted).toBe(true);
  });
});
