/**
 * The account directory port: names and OU paths of the organisation's accounts, so messages and queries speak
 * of `prod-payments (Root/Workloads/Prod)` rather than `123456789012`. The implementation reads AWS Organizations
 * and keeps a cached copy in the store; a single-account deploy uses {@link NO_ACCOUNT_DIRECTORY}.
 */
import type { AccountFacts } from '../domain/accounts';

export type { AccountFacts } from '../domain/accounts';

/**
 * Who an account is. The contract: neither method throws for an unreachable Organizations API or store — the
 * implementation answers from its (possibly stale) cache, and with the id alone when it knows nothing, so no
 * message is ever held back for want of a name.
 */
export interface AccountDirectory {
  /** Name and OU path of `accountId`; `{ id: accountId }` alone when unknown. */
  describe(accountId: string): Promise<AccountFacts>;
  /**
   * The accounts a query's `in <term>` names: a 12-digit id, an account name (any case), an OU path
   * (`Root/Workloads/Prod`, or without `Root/`, matched as a prefix at a `/`) or an OU name. Empty when nothing
   * matches.
   */
  resolve(term: string): Promise<AccountFacts[]>;
}

/** The directory of a bot that knows no organisation: ids only, and `in` resolves a 12-digit id to itself. */
export const NO_ACCOUNT_DIRECTORY: AccountDirectory = {
  async describe(accountId) {
    return { id: accountId };
  },
  async resolve(term) {
    return /^\d{12}$/.test(term.trim()) ? [{ id: term.trim() }] : [];
  },
};
