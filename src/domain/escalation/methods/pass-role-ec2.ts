import { type EscalationMethod, SOURCES } from '../method';

/**
 * `iam:PassRole` + `ec2:RunInstances`: launches an instance with a more powerful role and uses the role's credentials from it.
 *
 * Public sources:
 * - Rhino Security Labs, "AWS IAM Privilege Escalation – Methods and Mitigation", method 3: the instance profile's credentials are readable from the instance metadata service.
 * - Bishop Fox, iam-vulnerable.
 * - pathfinding.cloud.
 */
export const passRoleEc2: EscalationMethod = {
  id: 'pass-role-ec2',
  actions: ['iam:PassRole', 'ec2:RunInstances'],
  how: "launches an instance with a more powerful role and uses the role's credentials from it",
  sources: [SOURCES.rhino, SOURCES.iamVulnerable, SOURCES.pathfinding],
};
