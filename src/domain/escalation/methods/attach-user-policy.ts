import { type EscalationMethod, SOURCES } from '../method';

/**
 * `iam:AttachUserPolicy`: attaches any managed policy, AdministratorAccess included, to a user it controls.
 *
 * Public sources:
 * - Rhino Security Labs, "AWS IAM Privilege Escalation – Methods and Mitigation", method 7.
 * - Bishop Fox, iam-vulnerable.
 * - pathfinding.cloud.
 */
export const attachUserPolicy: EscalationMethod = {
  id: 'attach-user-policy',
  actions: ['iam:AttachUserPolicy'],
  how: 'attaches any managed policy, AdministratorAccess included, to a user it controls',
  sources: [SOURCES.rhino, SOURCES.iamVulnerable, SOURCES.pathfinding],
};
