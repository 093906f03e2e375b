import { type EscalationMethod, SOURCES } from '../method';

/**
 * `iam:PutRolePolicy`: writes an inline policy granting anything on a role it is or can assume.
 *
 * Public sources:
 * - Rhino Security Labs, "AWS IAM Privilege Escalation – Methods and Mitigation", method 12.
 * - Bishop Fox, iam-vulnerable.
 * - pathfinding.cloud.
 */
export const putRolePolicy: EscalationMethod = {
  id: 'put-role-policy',
  actions: ['iam:PutRolePolicy'],
  alsoFor: { user: ['sts:AssumeRole'], group: ['sts:AssumeRole'] },
  how: 'writes an inline policy granting anything on a role it is or can assume',
  sources: [SOURCES.rhino, SOURCES.iamVulnerable, SOURCES.pathfinding],
};
