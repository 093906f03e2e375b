import type { RiskRule } from '../rule';

/** Error codes that mean "not allowed": the caller tried something its permissions do not cover. */
const DENIED = /AccessDenied|Unauthorized|NotAuthorized|Forbidden/i;

/** A failed IAM write: nothing changed, but someone tried, and a denied try is how permission probing looks. */
export const failedWrite: RiskRule = {
  id: 'failed-write',
  level: 'high',
  description:
    'An IAM write that failed. AccessDenied and UnauthorizedOperation suggest someone probing for permissions.',
  evaluate(change) {
    if (change.outcome !== 'failed') return null;
    const code = change.errorCode;
    if (code && DENIED.test(code)) {
      return {
        level: 'high',
        reason: `${change.eventName} failed with ${code}: someone may be probing for permissions`,
      };
    }
    return {
      level: 'high',
      reason: code
        ? `${change.eventName} failed with ${code}: the call was attempted but changed nothing`
        : `${change.eventName} failed: the call was attempted but changed nothing`,
    };
  },
};
