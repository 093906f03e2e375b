import { actionsFor, ESCALATION_METHODS, findEscalationPaths, type PrincipalKind } from '../../escalation';
import { statementCoversAction } from '../../policy';
import type { Change, Statement } from '../../types';
import type { RiskRule } from '../rule';
import {
  adminGrant,
  allowStatements,
  attachedPrefix,
  formatList,
  succeeded,
  wideResourceScope,
} from '../statements';

/** Every action some known escalation method needs, in the methods' table order. */
export const PRIVILEGE_ESCALATION_ACTIONS: readonly string[] = [
  ...new Set(
    ESCALATION_METHODS.flatMap((method) => [
      ...method.actions,
      ...Object.values(method.alsoFor ?? {}).flat(),
    ]),
  ),
];

/** The escalation-method actions a statement grants on (nearly) every resource, in the table's order. */
export function escalationActionsOf(statement: Statement): readonly string[] {
  if (statement.Effect !== 'Allow' || !wideResourceScope(statement)) return [];
  // Which actions a list covers depends on the list alone: kept per list (weakly; see internActionList).
  const list = statement.Action ?? statement.NotAction;
  if (!list) return [];
  const cache = statement.Action ? coveredByAction : coveredByNotAction;
  let covered = cache.get(list);
  if (!covered) {
    covered = PRIVILEGE_ESCALATION_ACTIONS.filter((action) => statementCoversAction(statement, action));
    cache.set(list, covered);
  }
  return covered;
}

const coveredByAction = new WeakMap<readonly string[], readonly string[]>();
const coveredByNotAction = new WeakMap<readonly string[], readonly string[]>();

function principalKind(change: Change): PrincipalKind {
  const kind = change.target.kind;
  return kind === 'user' || kind === 'group' ? kind : 'role';
}

/**
 * A permissions document that by itself opens known privilege-escalation paths on every resource (high), or
 * grants part of a combination on every resource — `iam:PassRole` without a service to pass the role to (high
 * too: the rest is often held elsewhere; whether this principal holds it is the escalation check's question,
 * asked of all its policies). Statements granting
 * all of IAM are full-admin-statement's (critical) finding and are left out here.
 */
export const privilegeEscalationActions: RiskRule = {
  id: 'privilege-escalation-actions',
  level: 'high',
  description:
    'A permissions document granting, on every resource, the actions of a known privilege-escalation method (iam:CreatePolicyVersion; iam:PassRole + ec2:RunInstances; iam:PassRole + lambda:CreateFunction + lambda:InvokeFunction …), or part of one.',
  evaluate(change) {
    if (!succeeded(change)) return null;
    const statements = allowStatements(change, 'permissions').filter(
      (statement) => !adminGrant(statement) && wideResourceScope(statement),
    );
    if (statements.length === 0) return null;
    // Every method needs actions of the table: a document granting none of them opens no path and holds no part.
    const granted = new Set(statements.flatMap(escalationActionsOf));
    if (granted.size === 0) return null;
    const scopes = [...new Set(statements.map((statement) => wideResourceScope(statement) ?? 'on *'))];
    const kind = principalKind(change);
    const first = statements[0];
    const prefix = first ? attachedPrefix(change, first) : '';
    const document = { Statement: statements.map(({ Condition: _condition, ...rest }) => rest) };
    const paths = findEscalationPaths({
      kind,
      name: change.target.name,
      identity: [{ name: 'this document', document }],
    });
    const used = new Set(paths.flatMap((path) => path.actions));
    const held = PRIVILEGE_ESCALATION_ACTIONS.filter((action) => granted.has(action) && !used.has(action));
    const partial = ESCALATION_METHODS.filter((method) =>
      actionsFor(method, kind).some((action) => held.includes(action)),
    );
    const scope = scopes.join(' and ');
    const parts: string[] = [];
    if (paths.length > 0) {
      parts.push(
        `grants privilege-escalation paths ${formatList(
          paths.map((path) => path.actions.join(' + ')),
          4,
        )} ${scope}`,
      );
    }
    if (held.length > 0 && partial.length > 0) {
      const such = formatList(
        partial.slice(0, 2).map((method) => actionsFor(method, kind).join(' + ')),
        2,
      );
      parts.push(
        `${paths.length > 0 ? 'and ' : 'grants '}${formatList(held, 3)}${paths.length > 0 ? '' : ` ${scope}`}, part of privilege-escalation paths such as ${such}`,
      );
    }
    if (parts.length === 0) return null;
    return { level: 'high', reason: `${prefix}${parts.join(', ')}` };
  },
};
