import { type EscalationMethod, SOURCES } from '../method';

/**
 * `iam:PassRole` + `datapipeline:CreatePipeline` + `datapipeline:PutPipelineDefinition` + `datapipeline:ActivatePipeline`: creates a Data Pipeline whose activities run commands with a more powerful role.
 *
 * Public sources:
 * - Rhino Security Labs, "AWS IAM Privilege Escalation – Methods and Mitigation", method 21.
 * - Bishop Fox, iam-vulnerable.
 */
export const passRoleDataPipeline: EscalationMethod = {
  id: 'pass-role-data-pipeline',
  actions: [
    'iam:PassRole',
    'datapipeline:CreatePipeline',
    'datapipeline:PutPipelineDefinition',
    'datapipeline:ActivatePipeline',
  ],
  how: 'creates a Data Pipeline whose activities run commands with a more powerful role',
  sources: [SOURCES.rhino, SOURCES.iamVulnerable],
};
