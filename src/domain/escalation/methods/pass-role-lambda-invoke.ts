import { type EscalationMethod, SOURCES } from '../method';

/**
 * `iam:PassRole` + `lambda:CreateFunction` + `lambda:InvokeFunction`: creates a Lambda function with a more powerful role and invokes it.
 *
 * Public sources:
 * - Rhino Security Labs, "AWS IAM Privilege Escalation – Methods and Mitigation", method 15.
 * - Bishop Fox, iam-vulnerable.
 * - pathfinding.cloud.
 */
export const passRoleLambdaInvoke: EscalationMethod = {
  id: 'pass-role-lambda-invoke',
  actions: ['iam:PassRole', 'lambda:CreateFunction', 'lambda:InvokeFunction'],
  how: 'creates a Lambda function with a more powerful role and invokes it',
  sources: [SOURCES.rhino, SOURCES.iamVulnerable, SOURCES.pathfinding],
};
