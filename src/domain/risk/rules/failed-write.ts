import type { RiskRule } from '../rule';

/**
 * Error codes that mean "not allowed": `AccessDenied*`, `Unauthorized*` and `*NotAuthorized*` (EC2-style
 * codes carry a `Client.` prefix). Only these suggest someone probing for permissions; `EntityAlreadyExists`,
 * `MalformedPolicyDocument`, `NoSuchEntity`, `LimitExceeded` … are ordinary mistakes.
 */
export function isAccessDeniedCode(code: string): boolean {
  const bare = code.replace(/^(Client|Server)\./, '');
  return /^AccessDenied/i.test(bare) || /^Unauthorized/i.test(bare) || /NotAuthorized/i.test(bare);
}

/**
 * A failed IAM write: nothing changed, but someone tried. Denied access is how permission probing looks
 * (high); any other failure — the entity already exists, the document is malformed, the entity is gone — is
 * an ordinary mistake, still shown (low).
 */
export const failedWrite: RiskRule = {
  id: 'failed-write',
  level: 'high',
  description:
    'An IAM write that failed. Access-denied errors (AccessDenied*, Unauthorized*, *NotAuthorized*) suggest someone probing for permissions; other errors are ordinary mistakes.',
  evaluate(change) {
    if (change.outcome !== 'failed') return null;
    const code = change.errorCode;
    if (code && isAccessDeniedCode(code)) {
      return {
        level: 'high',
        reason: `${change.eventName} failed with ${code}: someone may be probing for permissions`,
      };
    }
    return {
      level: 'low',
      reason: code
        ? `${change.eventName} failed with ${code}: the call was attempted but changed nothing`
        : `${change.eventName} failed: the call was attempted but changed nothing`,
    };
  },
};
