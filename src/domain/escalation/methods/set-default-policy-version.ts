import { type EscalationMethod, SOURCES } from '../method';

/**
 * `iam:SetDefaultPolicyVersion`: makes an older, more permissive version of a policy it holds the default.
 *
 * Public sources:
 * - Rhino Security Labs, "AWS IAM Privilege Escalation – Methods and Mitigation", method 2: non-default versions keep their documents, so rolling back can bring old permissions back.
 * - Bishop Fox, iam-vulnerable.
 * - pathfinding.cloud.
 */
export const setDefaultPolicyVersion: EscalationMethod = {
  id: 'set-default-policy-version',
  actions: ['iam:SetDefaultPolicyVersion'],
  how: 'makes an older, more permissive version of a policy it holds the default',
  sources: [SOURCES.rhino, SOURCES.iamVulnerable, SOURCES.pathfinding],
};
