import { type EscalationMethod, SOURCES } from '../method';

/**
 * `iam:CreateAccessKey`: creates access keys for another user and signs in as them.
 *
 * Public sources:
 * - Rhino Security Labs, "AWS IAM Privilege Escalation – Methods and Mitigation", method 4: a user may hold two keys, so a new key works beside the owner's.
 * - Bishop Fox, iam-vulnerable.
 * - pathfinding.cloud.
 */
export const createAccessKey: EscalationMethod = {
  id: 'create-access-key',
  actions: ['iam:CreateAccessKey'],
  how: 'creates access keys for another user and signs in as them',
  sources: [SOURCES.rhino, SOURCES.iamVulnerable, SOURCES.pathfinding],
};
