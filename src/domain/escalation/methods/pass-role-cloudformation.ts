import { type EscalationMethod, SOURCES } from '../method';

/**
 * `iam:PassRole` + `cloudformation:CreateStack`: creates a CloudFormation stack that acts with a more powerful role.
 *
 * Public sources:
 * - Rhino Security Labs, "AWS IAM Privilege Escalation – Methods and Mitigation", method 20: the stack's resources are created by the passed role, not by the caller.
 * - Bishop Fox, iam-vulnerable.
 * - pathfinding.cloud.
 */
export const passRoleCloudFormation: EscalationMethod = {
  id: 'pass-role-cloudformation',
  actions: ['iam:PassRole', 'cloudformation:CreateStack'],
  how: 'creates a CloudFormation stack that acts with a more powerful role',
  sources: [SOURCES.rhino, SOURCES.iamVulnerable, SOURCES.pathfinding],
};
