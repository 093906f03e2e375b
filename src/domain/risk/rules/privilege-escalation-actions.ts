import { statementCoversAction } from '../../policy';
import type { Statement } from '../../types';
import type { RiskRule } from '../rule';
import { adminGrant, allowStatements, formatList, succeeded, wideResourceScope } from '../statements';

/**
 * Actions that let their holder gain more than they were given when granted on every resource: rewrite or
 * attach policies, mint credentials for others, take over roles, or run code as another role. IAM first, so
 * the most telling names lead a capped list.
 */
export const PRIVILEGE_ESCALATION_ACTIONS = [
  'iam:CreatePolicyVersion',
  'iam:SetDefaultPolicyVersion',
  'iam:PassRole',
  'iam:AttachUserPolicy',
  'iam:AttachRolePolicy',
  'iam:AttachGroupPolicy',
  'iam:PutUserPolicy',
  'iam:PutRolePolicy',
  'iam:PutGroupPolicy',
  'iam:CreateAccessKey',
  'iam:CreateLoginProfile',
  'iam:UpdateLoginProfile',
  'iam:UpdateAssumeRolePolicy',
  'iam:AddUserToGroup',
  'iam:DeleteRolePermissionsBoundary',
  'iam:DeleteUserPermissionsBoundary',
  'sts:AssumeRole',
  'lambda:UpdateFunctionCode',
  'glue:UpdateDevEndpoint',
  'ssm:SendCommand',
] as const;

/** The escalation actions a statement grants on (nearly) every resource, in the table's order. */
export function escalationActionsOf(statement: Statement): string[] {
  if (statement.Effect !== 'Allow' || !wideResourceScope(statement)) return [];
  return PRIVILEGE_ESCALATION_ACTIONS.filter((action) => statementCoversAction(statement, action));
}

/** A permissions document granting privilege-escalation actions on every resource. */
export const privilegeEscalationActions: RiskRule = {
  id: 'privilege-escalation-actions',
  level: 'high',
  description:
    'A permissions document granting privilege-escalation actions (iam:PassRole, iam:CreatePolicyVersion, iam:Put*Policy, sts:AssumeRole …) on every resource.',
  evaluate(change) {
    if (!succeeded(change)) return null;
    const found = new Set<string>();
    const scopes = new Set<string>();
    for (const statement of allowStatements(change, 'permissions')) {
      // Statements granting all of IAM are full-admin-statement's (critical) finding; listing them again is noise.
      if (adminGrant(statement)) continue;
      const actions = escalationActionsOf(statement);
      const scope = wideResourceScope(statement);
      if (actions.length === 0 || !scope) continue;
      for (const action of actions) found.add(action);
      scopes.add(scope);
    }
    if (found.size === 0) return null;
    const ordered = PRIVILEGE_ESCALATION_ACTIONS.filter((action) => found.has(action));
    return {
      level: 'high',
      reason: `grants privilege-escalation actions ${formatList(ordered, 4)} ${[...scopes].join(' and ')}`,
    };
  },
};
