import { type EscalationMethod, SOURCES } from '../method';

/**
 * `iam:CreateLoginProfile`: sets a console password for a user that has none and signs in as them.
 *
 * Public sources:
 * - Rhino Security Labs, "AWS IAM Privilege Escalation – Methods and Mitigation", method 5.
 * - Bishop Fox, iam-vulnerable.
 * - pathfinding.cloud.
 */
export const createLoginProfile: EscalationMethod = {
  id: 'create-login-profile',
  actions: ['iam:CreateLoginProfile'],
  how: 'sets a console password for a user that has none and signs in as them',
  sources: [SOURCES.rhino, SOURCES.iamVulnerable, SOURCES.pathfinding],
};
