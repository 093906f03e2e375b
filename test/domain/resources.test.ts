import { describe, expect, it } from 'vitest';
import {
  defaultSwitchOf,
  documentKeyOf,
  policyVersionKey,
  versionSnapshotOf,
} from '../../src/domain/resources';
import { changeOf } from '../support/cloudtrail';

const ARN = 'arn:aws:iam::111122223333:policy/team/Deploy';
const DOCUMENT = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }],
});
const FAILED = { errorCode: 'AccessDenied', errorMessage: 'no' };

describe('versionSnapshotOf', () => {
  it.each([
    [
      'CreatePolicy makes v1',
      changeOf(
        'CreatePolicy',
        { policyName: 'Deploy', path: '/team/', policyDocument: DOCUMENT },
        {
          responseElements: { policy: { arn: ARN, defaultVersionId: 'v1' } },
        },
      ),
      `policy/${ARN}/version/v1`,
    ],
    [
      'CreatePolicyVersion makes the version its response names',
      changeOf(
        'CreatePolicyVersion',
        { policyArn: ARN, policyDocument: DOCUMENT, setAsDefault: false },
        {
          responseElements: { policyVersion: { versionId: 'v4', isDefaultVersion: false } },
        },
      ),
      `policy/${ARN}/version/v4`,
    ],
    [
      'a failed CreatePolicyVersion makes nothing',
      changeOf('CreatePolicyVersion', { policyArn: ARN, policyDocument: DOCUMENT }, FAILED),
      undefined,
    ],
    [
      'a CreatePolicyVersion whose response names no version is not guessed',
      changeOf('CreatePolicyVersion', { policyArn: ARN, policyDocument: DOCUMENT }),
      undefined,
    ],
    [
      'an inline policy has no versions',
      changeOf('PutRolePolicy', { roleName: 'r', policyName: 'p', policyDocument: DOCUMENT }),
      undefined,
    ],
  ])('%s', (_name, change, key) => {
    const snapshot = versionSnapshotOf(change);
    expect(snapshot?.key).toBe(key);
    if (key) expect(JSON.stringify(snapshot?.document)).toContain('s3:*');
  });
});

describe('defaultSwitchOf', () => {
  it.each([
    [
      'a SetDefaultPolicyVersion makes the default that version',
      changeOf('SetDefaultPolicyVersion', { policyArn: ARN, versionId: 'v2' }),
      { defaultKey: `policy/${ARN}/default`, versionKey: policyVersionKey(ARN, 'v2') },
    ],
    [
      'a failed one changes nothing',
      changeOf('SetDefaultPolicyVersion', { policyArn: ARN, versionId: 'v2' }, FAILED),
      undefined,
    ],
    [
      'one without a version is not guessed',
      changeOf('SetDefaultPolicyVersion', { policyArn: ARN }),
      undefined,
    ],
    [
      'other calls are not switches',
      changeOf('DeletePolicyVersion', { policyArn: ARN, versionId: 'v2' }),
      undefined,
    ],
  ])('%s', (_name, change, expected) => {
    expect(defaultSwitchOf(change)).toEqual(expected);
  });

  it('switches the same key the default document is kept under', () => {
    const created = changeOf(
      'CreatePolicy',
      { policyName: 'Deploy', path: '/team/', policyDocument: DOCUMENT },
      {
        responseElements: { policy: { arn: ARN } },
      },
    );
    const switched = changeOf('SetDefaultPolicyVersion', { policyArn: ARN, versionId: 'v2' });
    expect(defaultSwitchOf(switched)?.defaultKey).toBe(documentKeyOf(created));
  });
});

describe('documentKeyOf', () => {
  it.each([
    [
      'an inline policy, in the account the call acted in',
      changeOf('PutRolePolicy', { roleName: 'ci', policyName: 'deploy', policyDocument: DOCUMENT }),
      '111122223333/role/ci/inline/deploy',
    ],
    [
      'the same inline policy in another account is another document',
      changeOf(
        'PutRolePolicy',
        { roleName: 'ci', policyName: 'deploy', policyDocument: DOCUMENT },
        { recipientAccountId: '444455556666' },
      ),
      '444455556666/role/ci/inline/deploy',
    ],
    [
      'a trust policy',
      changeOf('UpdateAssumeRolePolicy', { roleName: 'ci', policyDocument: DOCUMENT }),
      '111122223333/role/ci/trust',
    ],
    [
      'a managed policy (its ARN names the account)',
      changeOf('DeletePolicy', { policyArn: ARN }),
      `policy/${ARN}/default`,
    ],
    [
      'attach carries no document',
      changeOf('AttachRolePolicy', { roleName: 'ci', policyArn: ARN }),
      undefined,
    ],
  ])('%s', (_name, change, key) => {
    expect(documentKeyOf(change)).toBe(key);
  });
});
