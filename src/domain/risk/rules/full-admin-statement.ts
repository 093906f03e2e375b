import type { RiskRule } from '../rule';
import {
  adminGrant,
  allowStatements,
  attachedPrefix,
  formatList,
  succeeded,
  wideResourceScope,
} from '../statements';

/** A permissions document that grants every action, or every IAM action, on every resource. */
export const fullAdminStatement: RiskRule = {
  id: 'full-admin-statement',
  level: 'critical',
  description:
    'A permissions document with an Allow statement granting "*" or "iam:*" (or a wildcard or NotAction equivalent) on every resource.',
  evaluate(change, context) {
    if (!succeeded(change)) return null;
    for (const statement of allowStatements(change, 'permissions')) {
      const scope = wideResourceScope(statement);
      if (!scope) continue;
      const grant = adminGrant(statement, context.actions);
      if (!grant) continue;
      const from = attachedPrefix(change, statement);
      switch (grant.kind) {
        case 'everything':
          return {
            level: 'critical',
            reason: `${from}allows every action ("${grant.pattern}") ${scope}: full administrator access`,
          };
        case 'all-iam':
          return {
            level: 'critical',
            reason: `${from}allows every IAM action ("${grant.pattern}") ${scope}: can grant itself anything`,
          };
        case 'not-action':
          return {
            level: 'critical',
            reason: `${from}allows every action except ${formatList(grant.excluded, 3)} (NotAction) ${scope}, including all of IAM`,
          };
      }
    }
    return null;
  },
};
