import { type EscalationMethod, SOURCES } from '../method';

/**
 * `iam:PassRole` + `glue:CreateDevEndpoint`: creates a Glue development endpoint with a more powerful role and logs in to it.
 *
 * Public sources:
 * - Rhino Security Labs, "AWS IAM Privilege Escalation – Methods and Mitigation", method 18.
 * - Bishop Fox, iam-vulnerable.
 * - pathfinding.cloud.
 */
export const passRoleGlueDevEndpoint: EscalationMethod = {
  id: 'pass-role-glue-dev-endpoint',
  actions: ['iam:PassRole', 'glue:CreateDevEndpoint'],
  how: 'creates a Glue development endpoint with a more powerful role and logs in to it',
  sources: [SOURCES.rhino, SOURCES.iamVulnerable, SOURCES.pathfinding],
};
