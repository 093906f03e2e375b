import { type EscalationMethod, SOURCES } from '../method';

/**
 * `iam:CreatePolicyVersion`: writes a new default version of a managed policy it holds, granting itself anything.
 *
 * Public sources:
 * - Rhino Security Labs, "AWS IAM Privilege Escalation – Methods and Mitigation", method 1: a new policy version with `setAsDefault` replaces the policy's document without SetDefaultPolicyVersion.
 * - Bishop Fox, iam-vulnerable.
 * - pathfinding.cloud.
 */
export const createPolicyVersion: EscalationMethod = {
  id: 'create-policy-version',
  actions: ['iam:CreatePolicyVersion'],
  how: 'writes a new default version of a managed policy it holds, granting itself anything',
  sources: [SOURCES.rhino, SOURCES.iamVulnerable, SOURCES.pathfinding],
};
