import type { RiskRule } from '../rule';
import { allowStatements, formatList, succeeded, wideResourceScope } from '../statements';

/**
 * `Allow` with `NotAction` grants every action not listed, including services and actions that do not exist
 * yet: almost always far more than meant.
 */
export const allowNotAction: RiskRule = {
  id: 'allow-not-action',
  level: 'high',
  description: 'A permissions document with an Allow statement that uses NotAction.',
  evaluate(change) {
    if (!succeeded(change)) return null;
    const statement = allowStatements(change, 'permissions').find((candidate) => candidate.NotAction);
    if (!statement?.NotAction) return null;
    const resources = statement.Resource ?? [];
    const scope =
      wideResourceScope(statement) ??
      (resources.length > 0 ? `on ${formatList(resources, 2)}` : 'on no resource');
    const except =
      statement.NotAction.length > 0 ? ` except ${formatList(statement.NotAction, 3)}` : ' (empty NotAction)';
    return {
      level: 'high',
      reason: `allows every action${except} (Allow with NotAction) ${scope}`,
    };
  },
};
