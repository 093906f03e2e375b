import type { RiskRule } from '../rule';
import { succeeded } from '../statements';

/** A person's long-lived identity changing IAM policy without MFA (CIS asks for MFA on both). */
export const noMfaHuman: RiskRule = {
  id: 'no-mfa-human',
  level: 'medium',
  description: 'A CIS 4.4 change by an IAM user or the root user whose session was not MFA-authenticated.',
  evaluate(change) {
    const { actor } = change;
    if (!change.cis44 || !succeeded(change) || actor.mfa !== false) return null;
    if (actor.type === 'iam-user') {
      return { level: 'medium', reason: `made by IAM user ${actor.name} without MFA` };
    }
    if (actor.type === 'root') return { level: 'medium', reason: 'made by the root user without MFA' };
    return null;
  },
};
