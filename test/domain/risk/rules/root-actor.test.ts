import { describe, expect, it } from 'vitest';
import { rootActor } from '../../../../src/domain/risk/rules/root-actor';
import { changeOf } from '../../../support/cloudtrail';
import { assumedRoleIdentity, iamUserIdentity, NO_CONTEXT, ROOT_IDENTITY } from '../support';

const params = { roleName: 'app', policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' };

describe('root-actor', () => {
  it.each([
    { behaviour: 'flags a policy change by root', overrides: { userIdentity: ROOT_IDENTITY } },
    {
      behaviour: 'flags a failed call by root too',
      overrides: { userIdentity: ROOT_IDENTITY, errorCode: 'NoSuchEntity' },
    },
  ])('$behaviour', ({ overrides }) => {
    const finding = rootActor.evaluate(changeOf('AttachRolePolicy', params, overrides), NO_CONTEXT);
    expect(finding?.level).toBe('critical');
    expect(finding?.reason).toBe(
      'made by the root user of account 111122223333: root should not be used for IAM changes',
    );
  });

  it.each([
    { behaviour: 'ignores an IAM user', overrides: { userIdentity: iamUserIdentity('alice') } },
    { behaviour: 'ignores an assumed role', overrides: { userIdentity: assumedRoleIdentity('admin') } },
    { behaviour: 'ignores a record without userIdentity', overrides: { userIdentity: undefined } },
  ])('$behaviour', ({ overrides }) => {
    expect(rootActor.evaluate(changeOf('AttachRolePolicy', params, overrides), NO_CONTEXT)).toBeNull();
  });
});
