import { type EscalationMethod, SOURCES } from '../method';

/**
 * `iam:UpdateLoginProfile`: changes another user's console password and signs in as them.
 *
 * Public sources:
 * - Rhino Security Labs, "AWS IAM Privilege Escalation – Methods and Mitigation", method 6.
 * - Bishop Fox, iam-vulnerable.
 * - pathfinding.cloud.
 */
export const updateLoginProfile: EscalationMethod = {
  id: 'update-login-profile',
  actions: ['iam:UpdateLoginProfile'],
  how: "changes another user's console password and signs in as them",
  sources: [SOURCES.rhino, SOURCES.iamVulnerable, SOURCES.pathfinding],
};
