import { type EscalationMethod, SOURCES } from '../method';

/**
 * `iam:PassRole` + `codebuild:CreateProject` + `codebuild:StartBuild`: creates a CodeBuild project with a more powerful role and runs a build.
 *
 * Public sources:
 * - Bishop Fox, iam-vulnerable: the CodeBuild scenario: the build's commands run with the project's service role.
 * - pathfinding.cloud.
 */
export const passRoleCodeBuild: EscalationMethod = {
  id: 'pass-role-codebuild',
  actions: ['iam:PassRole', 'codebuild:CreateProject', 'codebuild:StartBuild'],
  how: 'creates a CodeBuild project with a more powerful role and runs a build',
  sources: [SOURCES.iamVulnerable, SOURCES.pathfinding],
};
