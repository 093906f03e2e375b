import type { RiskRule } from '../rule';
import { succeeded } from '../statements';

/** Changing the default version of a managed policy changes the permissions of everyone it is attached to. */
export const defaultVersionSwitch: RiskRule = {
  id: 'default-version-switch',
  level: 'medium',
  description: 'SetDefaultPolicyVersion, or CreatePolicyVersion with setAsDefault.',
  evaluate(change) {
    if (!succeeded(change)) return null;
    const policy = change.target.name ? `policy ${change.target.name}` : 'a managed policy';
    if (change.eventName === 'SetDefaultPolicyVersion') {
      const version = change.target.versionId ? `version ${change.target.versionId}` : 'another version';
      return {
        level: 'medium',
        reason: `makes ${version} the default of ${policy}: changes what every holder of the policy is granted`,
      };
    }
    const setAsDefault = change.requestParameters?.setAsDefault;
    if (change.eventName === 'CreatePolicyVersion' && (setAsDefault === true || setAsDefault === 'true')) {
      return {
        level: 'medium',
        reason: `creates a new default version of ${policy}: changes what every holder of the policy is granted`,
      };
    }
    return null;
  },
};
