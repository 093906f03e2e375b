import { principalAccount, principalEntries } from '../../policy';
import type { PolicyDocument, Statement } from '../../types';
import type { RiskRule } from '../rule';
import { allowStatements, formatList, succeeded } from '../statements';

/** The accounts an `Allow` statement's AWS principals belong to (`*` is public-trust's business). */
function trustedAccountsOf(statements: readonly Statement[]): string[] {
  const accounts = statements
    .filter((statement) => statement.Effect === 'Allow')
    .flatMap((statement) => principalEntries(statement.Principal))
    .filter((entry) => entry.kind === 'AWS')
    .flatMap((entry) => {
      const account = principalAccount(entry.value);
      return account ? [account] : [];
    });
  return [...new Set(accounts)];
}

function previousAccounts(previous: PolicyDocument | null | undefined): Set<string> {
  return new Set(previous ? trustedAccountsOf(previous.Statement) : []);
}

/**
 * A trust policy that lets another AWS account assume the role. Critical when the account is new to the role
 * (or nothing is known of the previous policy); high when the previous policy already trusted it.
 */
export const externalAccountTrust: RiskRule = {
  id: 'external-account-trust',
  level: 'critical',
  description:
    'A role trust policy naming an AWS principal in an account that is neither this one nor a configured trusted account.',
  evaluate(change, context) {
    if (!succeeded(change)) return null;
    const statements = allowStatements(change, 'trust');
    const own = new Set([change.accountId, ...context.trustedAccounts]);
    const external = trustedAccountsOf(statements).filter((account) => !own.has(account));
    if (external.length === 0) return null;
    const role = change.target.name ? `role ${change.target.name}` : 'the role';
    const before = previousAccounts(context.previousDocument);
    const added = external.filter((account) => !before.has(account));
    const externalId = statements.some((statement) =>
      Object.values(statement.Condition ?? {}).some((block) =>
        Object.keys(block).some((key) => key.toLowerCase() === 'sts:externalid'),
      ),
    );
    const note = externalId ? ' (with an sts:ExternalId condition)' : '';
    const noun = (list: string[]) => `${list.length === 1 ? 'account' : 'accounts'} ${formatList(list, 3)}`;
    if (added.length > 0) {
      return {
        level: 'critical',
        reason: `trust policy of ${role} lets external ${noun(added)} assume it${note}`,
      };
    }
    return {
      level: 'high',
      reason: `trust policy of ${role} still lets external ${noun(external)} assume it${note}, as before this change`,
    };
  },
};
