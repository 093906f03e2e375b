import { type EscalationMethod, SOURCES } from '../method';

/**
 * `glue:UpdateDevEndpoint`: adds its own SSH key to a Glue development endpoint that has a more powerful role.
 *
 * Public sources:
 * - Rhino Security Labs, "AWS IAM Privilege Escalation – Methods and Mitigation", method 19.
 * - Bishop Fox, iam-vulnerable.
 * - pathfinding.cloud.
 */
export const updateGlueDevEndpoint: EscalationMethod = {
  id: 'update-glue-dev-endpoint',
  actions: ['glue:UpdateDevEndpoint'],
  how: 'adds its own SSH key to a Glue development endpoint that has a more powerful role',
  sources: [SOURCES.rhino, SOURCES.iamVulnerable, SOURCES.pathfinding],
};
