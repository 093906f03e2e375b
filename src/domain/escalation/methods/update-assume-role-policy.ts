import { type EscalationMethod, SOURCES } from '../method';

/**
 * `iam:UpdateAssumeRolePolicy` + `sts:AssumeRole`: rewrites a powerful role's trust policy to let itself in, then assumes the role.
 *
 * Public sources:
 * - Rhino Security Labs, "AWS IAM Privilege Escalation – Methods and Mitigation", method 14.
 * - Bishop Fox, iam-vulnerable.
 * - pathfinding.cloud.
 */
export const updateAssumeRolePolicy: EscalationMethod = {
  id: 'update-assume-role-policy',
  actions: ['iam:UpdateAssumeRolePolicy', 'sts:AssumeRole'],
  how: "rewrites a powerful role's trust policy to let itself in, then assumes the role",
  sources: [SOURCES.rhino, SOURCES.iamVulnerable, SOURCES.pathfinding],
};
