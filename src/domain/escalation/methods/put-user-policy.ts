import { type EscalationMethod, SOURCES } from '../method';

/**
 * `iam:PutUserPolicy`: writes an inline policy granting anything on a user it controls.
 *
 * Public sources:
 * - Rhino Security Labs, "AWS IAM Privilege Escalation – Methods and Mitigation", method 10.
 * - Bishop Fox, iam-vulnerable.
 * - pathfinding.cloud.
 */
export const putUserPolicy: EscalationMethod = {
  id: 'put-user-policy',
  actions: ['iam:PutUserPolicy'],
  how: 'writes an inline policy granting anything on a user it controls',
  sources: [SOURCES.rhino, SOURCES.iamVulnerable, SOURCES.pathfinding],
};
