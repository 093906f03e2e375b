/**
 * The escalation check joins a change's judgement after the fact (the worker reads the principal's policies
 * once the alert is out): its finding is merged into the stored risk the way `assessRisk` would have placed it.
 */
import { compareLevels, lowerLevel } from '../risk/levels';
import { escalationPath } from '../risk/rules/escalation-path';
import type { AssessedChange, Change, EscalationCheck, OpenedPath } from '../types';
import { type EscalationPath, findEscalationPaths, openedPaths } from './paths';
import type { PrincipalKind, PrincipalPolicies } from './reach';

/** The principal a change's escalation is judged for: the role, user or group whose policies it changed. */
export function changedPrincipal(change: Change): { kind: PrincipalKind; name: string } | undefined {
  if (change.outcome !== 'success') return undefined;
  const { kind, name } = change.target;
  if ((kind !== 'role' && kind !== 'user' && kind !== 'group') || !name) return undefined;
  if (
    !/^(Attach|Detach|Put|Delete)(Role|User|Group)Policy$|^(Put|Delete)(Role|User)PermissionsBoundary$|^(AddUserToGroup|RemoveUserFromGroup)$/.test(
      change.eventName,
    )
  ) {
    return undefined;
  }
  // Group membership changes name the group and the user: what changed is the user's access.
  if (/UserToGroup|UserFromGroup/.test(change.eventName)) {
    const user = change.requestParameters?.userName;
    return typeof user === 'string' && user !== '' ? { kind: 'user', name: user } : undefined;
  }
  return { kind, name };
}

function stored(path: EscalationPath): OpenedPath {
  return {
    id: path.method.id,
    actions: [...path.actions],
    how: path.method.how,
    reach: path.reach,
    why: path.why.slice(0, 3),
  };
}

/**
 * The check's result: the paths open with the principal's policies after the change that were not open with
 * those before it. `before` undefined means unknown: every path found is reported.
 */
export function checkEscalation(after: PrincipalPolicies, before?: PrincipalPolicies): EscalationCheck {
  const found = findEscalationPaths(after);
  const earlier = before ? findEscalationPaths(before) : undefined;
  const opened = openedPaths(found, earlier);
  const incomplete = [...(after.incomplete ?? []), ...(before?.incomplete ?? [])];
  return {
    state: 'done',
    principal: `${after.kind} ${after.name}`,
    opened: opened.map(stored),
    alreadyOpen: found.length - opened.length,
    ...(incomplete.length > 0 ? { incomplete: [...new Set(incomplete)] } : {}),
  };
}

/**
 * The change with its escalation check recorded and, when the check found an opened path, the finding merged into
 * its risk: the level rises to the finding's (lowered one step for an expected actor, like every finding), and
 * the reason leads its level's reasons. A second check replaces the first's finding.
 */
export function withEscalation(change: AssessedChange, check: EscalationCheck): AssessedChange {
  const reasons = [...change.risk.reasons];
  const rules = [...change.risk.rules];
  const previous = rules.indexOf(escalationPath.id);
  if (previous !== -1) {
    rules.splice(previous, 1);
    reasons.splice(previous, 1);
  }
  const out: AssessedChange = { ...change, escalation: check, risk: { ...change.risk, reasons, rules } };
  const finding = escalationPath.evaluate(change, {
    expectedActors: [],
    trustedAccounts: [],
    escalation: check,
  });
  if (!finding) return out;
  const level = change.risk.expectedActor ? lowerLevel(finding.level) : finding.level;
  reasons.unshift(finding.reason);
  rules.unshift(escalationPath.id);
  if (compareLevels(level, out.risk.level) < 0) out.risk.level = level;
  if (rules.length === 1 && !change.risk.expectedActor) {
    // Only the baseline ("changes IAM policy") was there: the finding replaces it.
    out.risk.reasons = [finding.reason];
  }
  return out;
}
