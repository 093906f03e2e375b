import { principalEntries } from '../../policy';
import type { Change, Statement } from '../../types';
import type { RiskFinding, RiskRule } from '../rule';
import { allowStatements, formatList, succeeded } from '../statements';

function roleOf(change: Change): string {
  return change.target.name ? `role ${change.target.name}` : 'the role';
}

/** The condition keys of a statement (`aws:PrincipalOrgID`, `sts:ExternalId`), for the reason. */
function conditionKeys(statement: Statement): string[] {
  return [...new Set(Object.values(statement.Condition ?? {}).flatMap((block) => Object.keys(block)))];
}

function finding(change: Change, statement: Statement, who: string): RiskFinding {
  const keys = conditionKeys(statement);
  if (keys.length === 0) {
    return { level: 'critical', reason: `trust policy of ${roleOf(change)} lets ${who} assume it` };
  }
  return {
    level: 'high',
    reason: `trust policy of ${roleOf(change)} lets ${who} assume it, limited only by a Condition on ${formatList(keys, 3)}`,
  };
}

/** A trust policy anyone can use: `Principal: "*"`, `{"AWS": "*"}`, or `Allow` with `NotPrincipal`. */
export const publicTrust: RiskRule = {
  id: 'public-trust',
  level: 'critical',
  description:
    'A role trust policy whose Allow statement has Principal "*" (or {"AWS": "*"}, or NotPrincipal): anyone can assume the role. High instead of critical when a Condition restricts it.',
  evaluate(change) {
    if (!succeeded(change)) return null;
    const statements = allowStatements(change, 'trust');
    for (const statement of statements) {
      const star = principalEntries(statement.Principal).find((entry) => entry.value === '*');
      if (star) {
        const who = star.kind === '*' ? 'anyone ("*")' : `any ${star.kind} principal ("*")`;
        return finding(change, statement, who);
      }
    }
    for (const statement of statements) {
      if (statement.NotPrincipal) {
        const excluded = principalEntries(statement.NotPrincipal).map((entry) => entry.value);
        return finding(change, statement, `everyone except ${formatList(excluded, 2)} (NotPrincipal)`);
      }
    }
    return null;
  },
};
