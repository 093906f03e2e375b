import { type EscalationMethod, SOURCES } from '../method';

/**
 * `iam:AttachGroupPolicy`: attaches any managed policy to a group it is in.
 *
 * Public sources:
 * - Rhino Security Labs, "AWS IAM Privilege Escalation – Methods and Mitigation", method 8.
 * - Bishop Fox, iam-vulnerable.
 * - pathfinding.cloud.
 */
export const attachGroupPolicy: EscalationMethod = {
  id: 'attach-group-policy',
  actions: ['iam:AttachGroupPolicy'],
  how: 'attaches any managed policy to a group it is in',
  sources: [SOURCES.rhino, SOURCES.iamVulnerable, SOURCES.pathfinding],
};
