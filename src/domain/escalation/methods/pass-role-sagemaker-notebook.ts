import { type EscalationMethod, SOURCES } from '../method';

/**
 * `iam:PassRole` + `sagemaker:CreateNotebookInstance` + `sagemaker:CreatePresignedNotebookInstanceUrl`: creates a SageMaker notebook with a more powerful role and opens it.
 *
 * Public sources:
 * - Bishop Fox, iam-vulnerable: the SageMaker notebook scenario: the notebook's terminal runs with the passed role.
 * - pathfinding.cloud.
 */
export const passRoleSageMakerNotebook: EscalationMethod = {
  id: 'pass-role-sagemaker-notebook',
  actions: [
    'iam:PassRole',
    'sagemaker:CreateNotebookInstance',
    'sagemaker:CreatePresignedNotebookInstanceUrl',
  ],
  how: 'creates a SageMaker notebook with a more powerful role and opens it',
  sources: [SOURCES.iamVulnerable, SOURCES.pathfinding],
};
