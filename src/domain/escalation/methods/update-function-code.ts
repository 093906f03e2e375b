import { type EscalationMethod, SOURCES } from '../method';

/**
 * `lambda:UpdateFunctionCode`: replaces the code of a function that runs with a more powerful role.
 *
 * Public sources:
 * - Rhino Security Labs, "AWS IAM Privilege Escalation – Methods and Mitigation", method 17.
 * - Bishop Fox, iam-vulnerable.
 * - pathfinding.cloud.
 */
export const updateFunctionCode: EscalationMethod = {
  id: 'update-function-code',
  actions: ['lambda:UpdateFunctionCode'],
  how: 'replaces the code of a function that runs with a more powerful role',
  sources: [SOURCES.rhino, SOURCES.iamVulnerable, SOURCES.pathfinding],
};
