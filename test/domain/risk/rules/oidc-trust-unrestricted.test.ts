import { describe, expect, it } from 'vitest';
import { oidcTrustUnrestricted } from '../../../../src/domain/risk/rules/oidc-trust-unrestricted';
import { changeOf } from '../../../support/cloudtrail';
import { NO_CONTEXT, policyText } from '../support';

const GITHUB = 'arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com';
const EKS = 'arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC';

const webIdentityTrust = (federated: string, condition?: Record<string, unknown>) =>
  changeOf('UpdateAssumeRolePolicy', {
    roleName: 'gha-deploy',
    policyDocument: policyText({
      Effect: 'Allow',
      Principal: { Federated: federated },
      Action: 'sts:AssumeRoleWithWebIdentity',
      ...(condition ? { Condition: condition } : {}),
    }),
  });

describe('oidc-trust-unrestricted', () => {
  it.each([
    {
      behaviour: 'flags GitHub Actions trust without a sub condition as critical',
      change: webIdentityTrust(GITHUB, {
        StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' },
      }),
      level: 'critical',
      reason:
        'lets any GitHub Actions workflow, in any repository, assume it (no condition on token.actions.githubusercontent.com:sub)',
    },
    {
      behaviour: 'flags a sub condition that matches every repository as critical',
      change: webIdentityTrust(GITHUB, {
        StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:*' },
      }),
      level: 'critical',
      reason: 'sub condition "repo:*" matches every repository',
    },
    {
      behaviour: 'flags another OIDC provider without a sub condition as high',
      change: webIdentityTrust(EKS),
      level: 'high',
      reason: 'lets any identity of OIDC provider oidc.eks.us-east-1.amazonaws.com/id/ABC assume it',
    },
    {
      behaviour: 'flags Cognito without an aud condition as high',
      change: webIdentityTrust('cognito-identity.amazonaws.com'),
      level: 'high',
      reason: 'lets users of any Cognito identity pool assume it',
    },
  ])('$behaviour', ({ change, level, reason }) => {
    const finding = oidcTrustUnrestricted.evaluate(change, NO_CONTEXT);
    expect(finding?.level).toBe(level);
    expect(finding?.reason).toContain(reason);
  });

  it.each([
    {
      behaviour: 'accepts GitHub Actions trust pinned to one repository',
      change: webIdentityTrust(GITHUB, {
        StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:acme/app:ref:refs/heads/main' },
      }),
    },
    {
      behaviour: 'accepts an EKS service account pinned by sub',
      change: webIdentityTrust(EKS, {
        StringEquals: { 'oidc.eks.us-east-1.amazonaws.com/id/ABC:sub': 'system:serviceaccount:app:web' },
      }),
    },
    {
      behaviour: 'accepts Cognito pinned to one identity pool',
      change: webIdentityTrust('cognito-identity.amazonaws.com', {
        StringEquals: { 'cognito-identity.amazonaws.com:aud': 'us-east-1:pool' },
      }),
    },
    {
      behaviour: 'ignores SAML federation',
      change: webIdentityTrust('arn:aws:iam::111122223333:saml-provider/Okta'),
    },
    {
      behaviour: 'ignores a failed update',
      change: changeOf(
        'UpdateAssumeRolePolicy',
        {
          roleName: 'gha-deploy',
          policyDocument: policyText({ Effect: 'Allow', Principal: { Federated: GITHUB }, Action: '*' }),
        },
        { errorCode: 'AccessDenied' },
      ),
    },
  ])('$behaviour', ({ change }) => {
    expect(oidcTrustUnrestricted.evaluate(change, NO_CONTEXT)).toBeNull();
  });
});
