import { policyNameOf } from '../../managed-policy';
import type { RiskRule } from '../rule';
import { succeeded, targetPhrase } from '../statements';

/**
 * An attach (or a permissions boundary) whose policy document could not be found anywhere — not in the store,
 * not in IAM, not in the catalogue of AWS managed policies. What it grants is unknown and said so: a person has
 * to look, since no rule could judge it and none guesses from its name.
 */
export const managedPolicyUnknown: RiskRule = {
  id: 'managed-policy-unknown',
  level: 'medium',
  description:
    'An attached managed policy (or permissions boundary) whose document could not be read from the store, IAM or the AWS managed policy catalogue.',
  evaluate(change) {
    const attached = change.managedPolicy;
    if (!succeeded(change) || !attached || attached.source !== 'unknown' || attached.use === 'detached') {
      return null;
    }
    const name = policyNameOf(attached.policyArn);
    const what =
      attached.use === 'attached' ? `attaches ${name} to` : `sets ${name} as the permissions boundary of`;
    return {
      level: 'medium',
      reason: `${what} ${targetPhrase(change)}; its document is unknown (${attached.unknownReason ?? 'not found'}): what it grants was not judged`,
    };
  },
};
