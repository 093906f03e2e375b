import { principalEntries } from '../../policy';
import type { Change, Statement } from '../../types';
import type { RiskFinding, RiskRule } from '../rule';
import { allowStatements, succeeded } from '../statements';

const GITHUB = 'token.actions.githubusercontent.com';
const COGNITO = 'cognito-identity.amazonaws.com';

/** The values a statement's Condition requires for a key, whatever the operator; undefined when unconditioned. */
function conditionValues(statement: Statement, key: string): string[] | undefined {
  const wanted = key.toLowerCase();
  let values: string[] | undefined;
  for (const block of Object.values(statement.Condition ?? {})) {
    for (const [name, list] of Object.entries(block)) {
      if (name.toLowerCase() === wanted) values = [...(values ?? []), ...list];
    }
  }
  return values;
}

/** A `sub` pattern that any repository matches: `*`, `repo:*`, or `repo:` followed by any wildcard. */
function matchesAnyRepository(value: string): boolean {
  return /^(?:repo:)?[*?]/.test(value);
}

function roleOf(change: Change): string {
  return change.target.name ? `role ${change.target.name}` : 'the role';
}

function judge(change: Change, statement: Statement, provider: string): RiskFinding | null {
  const role = roleOf(change);
  if (provider === COGNITO) {
    if (conditionValues(statement, `${COGNITO}:aud`)) return null;
    return {
      level: 'high',
      reason: `trust policy of ${role} lets users of any Cognito identity pool assume it (no condition on ${COGNITO}:aud)`,
    };
  }
  const sub = conditionValues(statement, `${provider}:sub`);
  if (provider === GITHUB) {
    if (!sub) {
      return {
        level: 'critical',
        reason: `trust policy of ${role} lets any GitHub Actions workflow, in any repository, assume it (no condition on ${GITHUB}:sub)`,
      };
    }
    const open = sub.find(matchesAnyRepository);
    if (!open) return null;
    return {
      level: 'critical',
      reason: `trust policy of ${role} lets any GitHub Actions workflow assume it (sub condition "${open}" matches every repository)`,
    };
  }
  if (sub) return null;
  return {
    level: 'high',
    reason: `trust policy of ${role} lets any identity of OIDC provider ${provider} assume it (no condition on ${provider}:sub)`,
  };
}

/** The host of a web identity provider principal (`arn:…:oidc-provider/token.actions.githubusercontent.com`). */
function providerOf(value: string): string | undefined {
  if (value === COGNITO) return COGNITO;
  return /:oidc-provider\/(.+)$/.exec(value)?.[1];
}

/**
 * A web identity trust that does not pin who may use it: GitHub Actions without a `sub` condition lets any
 * repository on GitHub assume the role; other OIDC providers without `sub`, and Cognito without `aud`, let
 * any of their identities in.
 */
export const oidcTrustUnrestricted: RiskRule = {
  id: 'oidc-trust-unrestricted',
  level: 'critical',
  description:
    'A role trust policy for a web identity (OIDC) provider that does not restrict the subject: GitHub Actions without a sub condition (critical), other providers (high).',
  evaluate(change) {
    if (!succeeded(change)) return null;
    let worst: RiskFinding | null = null;
    for (const statement of allowStatements(change, 'trust')) {
      for (const entry of principalEntries(statement.Principal)) {
        if (entry.kind !== 'Federated') continue;
        const provider = providerOf(entry.value);
        const found = provider ? judge(change, statement, provider) : null;
        if (found?.level === 'critical') return found;
        worst ??= found;
      }
    }
    return worst;
  },
};
