import type { RiskRule } from '../rule';
import { requestString, succeeded } from '../statements';

/**
 * Turning off a user's MFA device. For another user it is how an attacker with IAM rights takes over a
 * console login (high); for one's own user it is usually a device swap (medium).
 */
export const mfaDeactivated: RiskRule = {
  id: 'mfa-deactivated',
  level: 'high',
  description: "DeactivateMFADevice: high for another user's device, medium for the caller's own.",
  evaluate(change) {
    if (change.eventName !== 'DeactivateMFADevice' || !succeeded(change)) return null;
    const user = requestString(change, 'userName');
    const { actor } = change;
    if (!user || (actor.type === 'iam-user' && actor.name === user)) {
      const who = actor.name ? ` (${actor.name})` : '';
      return {
        level: 'medium',
        reason: `turns off the caller's own MFA device${who}: usually a device swap`,
      };
    }
    return {
      level: 'high',
      reason: `turns off the MFA device of user ${user}: their sign-in no longer needs a second factor`,
    };
  },
};
