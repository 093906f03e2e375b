import { type EscalationMethod, SOURCES } from '../method';

/**
 * `iam:PutGroupPolicy`: writes an inline policy granting anything on a group it is in.
 *
 * Public sources:
 * - Rhino Security Labs, "AWS IAM Privilege Escalation – Methods and Mitigation", method 11.
 * - Bishop Fox, iam-vulnerable.
 * - pathfinding.cloud.
 */
export const putGroupPolicy: EscalationMethod = {
  id: 'put-group-policy',
  actions: ['iam:PutGroupPolicy'],
  how: 'writes an inline policy granting anything on a group it is in',
  sources: [SOURCES.rhino, SOURCES.iamVulnerable, SOURCES.pathfinding],
};
