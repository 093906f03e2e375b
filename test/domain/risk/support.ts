import type { RiskContext } from '../../../src/domain/risk/rule';

/** A policy document as CloudTrail records it in `requestParameters`: pretty-printed JSON text. */
export function policyText(...statements: Array<Record<string, unknown>>): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statements }, null, 2);
}

/** No expected actors, no trusted accounts, nothing known of the previous document. */
export const NO_CONTEXT: RiskContext = { expectedActors: [], trustedAccounts: [] };

/** `userIdentity` of the root user signed in without MFA. */
export const ROOT_IDENTITY = {
  type: 'Root',
  principalId: '111122223333',
  arn: 'arn:aws:iam::111122223333:root',
  accountId: '111122223333',
  accessKeyId: 'ASIAEXAMPLEROOT',
  sessionContext: { attributes: { creationDate: '2026-11-20T13:00:00Z', mfaAuthenticated: 'false' } },
};

/** `userIdentity` of an IAM user calling with long-term access keys (no MFA). */
export function iamUserIdentity(userName: string, mfa = false) {
  return {
    type: 'IAMUser',
    principalId: `AIDAEXAMPLE${userName.toUpperCase()}`,
    arn: `arn:aws:iam::111122223333:user/${userName}`,
    accountId: '111122223333',
    accessKeyId: 'AKIAEXAMPLEKEY',
    userName,
    sessionContext: { attributes: { creationDate: '2026-11-20T13:00:00Z', mfaAuthenticated: String(mfa) } },
  };
}

/** `userIdentity` of a session of role `roleName` (the CI role, an SSO role …). */
export function assumedRoleIdentity(roleName: string, sessionName = 'session') {
  return {
    type: 'AssumedRole',
    principalId: `AROAEXAMPLE:${sessionName}`,
    arn: `arn:aws:sts::111122223333:assumed-role/${roleName}/${sessionName}`,
    accountId: '111122223333',
    accessKeyId: 'ASIAEXAMPLEROLE',
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: 'AROAEXAMPLE',
        arn: `arn:aws:iam::111122223333:role/${roleName}`,
        accountId: '111122223333',
        userName: roleName,
      },
      attributes: { creationDate: '2026-11-20T13:00:00Z', mfaAuthenticated: 'false' },
    },
  };
}
