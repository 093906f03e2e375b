import { type EscalationMethod, SOURCES } from '../method';

/**
 * `iam:AddUserToGroup`: adds a user it controls to a more powerful group.
 *
 * Public sources:
 * - Rhino Security Labs, "AWS IAM Privilege Escalation – Methods and Mitigation", method 13.
 * - Bishop Fox, iam-vulnerable.
 * - pathfinding.cloud.
 */
export const addUserToGroup: EscalationMethod = {
  id: 'add-user-to-group',
  actions: ['iam:AddUserToGroup'],
  how: 'adds a user it controls to a more powerful group',
  sources: [SOURCES.rhino, SOURCES.iamVulnerable, SOURCES.pathfinding],
};
