import { type EscalationMethod, SOURCES } from '../method';

/**
 * `iam:AttachRolePolicy`: attaches any managed policy to a role it is or can assume.
 *
 * Public sources:
 * - Rhino Security Labs, "AWS IAM Privilege Escalation – Methods and Mitigation", method 9: a user or group member needs sts:AssumeRole to use the role; a role can change itself.
 * - Bishop Fox, iam-vulnerable.
 * - pathfinding.cloud.
 */
export const attachRolePolicy: EscalationMethod = {
  id: 'attach-role-policy',
  actions: ['iam:AttachRolePolicy'],
  alsoFor: { user: ['sts:AssumeRole'], group: ['sts:AssumeRole'] },
  how: 'attaches any managed policy to a role it is or can assume',
  sources: [SOURCES.rhino, SOURCES.iamVulnerable, SOURCES.pathfinding],
};
