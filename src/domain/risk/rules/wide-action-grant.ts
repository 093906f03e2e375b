import { describeServiceGrant, expandStatement, serviceOf } from '../../actions';
import type { RiskRule } from '../rule';
import { allowStatements, attachedPrefix, formatList, succeeded } from '../statements';

/** Wildcards and `NotAction` are what hide how much a statement grants; plain action names say it themselves. */
function hidesActions(patterns: readonly string[]): boolean {
  return patterns.some((pattern) => /[*?]/.test(pattern));
}

/** How a person names a service prefix in a reason. */
function label(service: string): string {
  return ['iam', 'sts', 'ec2', 's3', 'kms', 'sso'].includes(service) ? service.toUpperCase() : service;
}

/**
 * A wildcard or `NotAction` that grants permissions-management actions (the ones that change who may do what),
 * said in real actions: "`iam:*Policy*` grants 31 IAM actions, 12 of them permissions management". Needs the
 * action catalogue; without it the rule says nothing rather than guess a count.
 */
export const wideActionGrant: RiskRule = {
  id: 'wide-action-grant',
  level: 'medium',
  description:
    'A permissions document whose wildcards or NotAction grant permissions-management actions, counted with the action catalogue.',
  evaluate(change, context) {
    const catalogue = context.actions;
    if (!catalogue || !succeeded(change)) return null;
    const parts: string[] = [];
    for (const statement of allowStatements(change, 'permissions')) {
      const patterns = statement.Action ?? statement.NotAction ?? [];
      if (!statement.NotAction && !hidesActions(patterns)) continue;
      // Every action of everything is full-admin-statement's finding; its count says nothing more.
      if (statement.Action?.some((pattern) => serviceOf(pattern) === '*')) continue;
      const grant = expandStatement(statement, catalogue);
      const managing = grant.services.filter((entry) => (entry.byLevel['Permissions management'] ?? 0) > 0);
      if (managing.length === 0) continue;
      const shown = statement.NotAction
        ? `NotAction ${formatList(
            statement.NotAction.map((pattern) => `\`${pattern}\``),
            2,
          )}`
        : formatList(
            patterns.map((pattern) => `\`${pattern}\``),
            2,
          );
      const counts = managing.slice(0, 3).map((entry) => describeServiceGrant(entry, label(entry.service)));
      const more = managing.length > 3 ? ` and ${managing.length - 3} more services` : '';
      parts.push(`${attachedPrefix(change, statement)}${shown} grants ${counts.join('; ')}${more}`);
    }
    if (parts.length === 0) return null;
    return { level: 'medium', reason: formatList(parts, 2) };
  },
};
