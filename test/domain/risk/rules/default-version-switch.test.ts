import { describe, expect, it } from 'vitest';
import { defaultVersionSwitch } from '../../../../src/domain/risk/rules/default-version-switch';
import { changeOf } from '../../../support/cloudtrail';
import { NO_CONTEXT, policyText } from '../support';

const POLICY = 'arn:aws:iam::111122223333:policy/Deploy';
const DOCUMENT = policyText({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' });

describe('default-version-switch', () => {
  it.each([
    {
      behaviour: 'flags SetDefaultPolicyVersion, naming the version and policy',
      change: changeOf('SetDefaultPolicyVersion', { policyArn: POLICY, versionId: 'v3' }),
      reason:
        'makes version v3 the default of policy Deploy: changes what every holder of the policy is granted',
    },
    {
      behaviour: 'flags CreatePolicyVersion with setAsDefault',
      change: changeOf('CreatePolicyVersion', {
        policyArn: POLICY,
        policyDocument: DOCUMENT,
        setAsDefault: true,
      }),
      reason:
        'creates a new default version of policy Deploy: changes what every holder of the policy is granted',
    },
  ])('$behaviour', ({ change, reason }) => {
    expect(defaultVersionSwitch.evaluate(change, NO_CONTEXT)).toEqual({ level: 'medium', reason });
  });

  it.each([
    {
      behaviour: 'ignores CreatePolicyVersion without setAsDefault',
      change: changeOf('CreatePolicyVersion', {
        policyArn: POLICY,
        policyDocument: DOCUMENT,
        setAsDefault: false,
      }),
    },
    {
      behaviour: 'ignores a failed SetDefaultPolicyVersion',
      change: changeOf(
        'SetDefaultPolicyVersion',
        { policyArn: POLICY, versionId: 'v3' },
        { errorCode: 'NoSuchEntity' },
      ),
    },
    {
      behaviour: 'ignores DeletePolicyVersion',
      change: changeOf('DeletePolicyVersion', { policyArn: POLICY, versionId: 'v1' }),
    },
    { behaviour: 'does not throw on a null request', change: changeOf('CreatePolicyVersion', null) },
  ])('$behaviour', ({ change }) => {
    expect(defaultVersionSwitch.evaluate(change, NO_CONTEXT)).toBeNull();
  });
});
