import { type EscalationMethod, SOURCES } from '../method';

/**
 * `iam:PassRole` + `lambda:CreateFunction` + `lambda:CreateEventSourceMapping`: creates a Lambda function with a more powerful role and has an event source run it.
 *
 * Public sources:
 * - Rhino Security Labs, "AWS IAM Privilege Escalation – Methods and Mitigation", method 16: without lambda:InvokeFunction, a DynamoDB stream or queue can trigger the function.
 * - Bishop Fox, iam-vulnerable.
 * - pathfinding.cloud.
 */
export const passRoleLambdaEventSource: EscalationMethod = {
  id: 'pass-role-lambda-event-source',
  actions: ['iam:PassRole', 'lambda:CreateFunction', 'lambda:CreateEventSourceMapping'],
  how: 'creates a Lambda function with a more powerful role and has an event source run it',
  sources: [SOURCES.rhino, SOURCES.iamVulnerable, SOURCES.pathfinding],
};
