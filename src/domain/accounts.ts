/**
 * Accounts of an AWS Organization as people know them: a name and the path of organisational units above the
 * account, beside the 12-digit id. Pure: the directory's entries come in as data, matching and wording go out.
 */

/** What is known about one account. Only `id` is certain: a name or OU path is absent when nothing is known. */
export interface AccountFacts {
  /** The 12-digit account id. */
  id: string;
  /** The account's name in AWS Organizations (`prod-payments`). */
  name?: string;
  /**
   * The organisational units from the root down to the account's parent, by name, joined with `/`
   * (`Root/Workloads/Prod`); `Root` alone for an account directly under the root.
   */
  ouPath?: string;
  /** The id of the account's parent (`ou-…` or `r-…`). */
  parentId?: string;
}

/** Every account the directory knows, as one snapshot, and when it was read from Organizations. */
export interface AccountDirectorySnapshot {
  accounts: AccountFacts[];
  /** ISO 8601: when the snapshot was read. */
  fetchedAt: string;
}
