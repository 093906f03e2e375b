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
  /**
   * Its state in Organizations (`ACTIVE`, `SUSPENDED`, `PENDING_CLOSURE`, …); absent in copies kept before it was
   * read, taken as active.
   */
  status?: string;
}

/** Every account the directory knows, as one snapshot, and when it was read from Organizations. */
export interface AccountDirectorySnapshot {
  accounts: AccountFacts[];
  /** ISO 8601: when the snapshot was read. */
  fetchedAt: string;
}

/** How long a directory snapshot is trusted before it is read again from Organizations. */
export const ACCOUNT_DIRECTORY_MAX_AGE_SECONDS = 86_400;

/** True when the snapshot was read more than `maxAgeSeconds` before `now` (or its time cannot be read). */
export function isSnapshotStale(
  snapshot: Pick<AccountDirectorySnapshot, 'fetchedAt'>,
  now: Date,
  maxAgeSeconds: number = ACCOUNT_DIRECTORY_MAX_AGE_SECONDS,
): boolean {
  const fetched = Date.parse(snapshot.fetchedAt);
  return Number.isNaN(fetched) || now.getTime() - fetched > maxAgeSeconds * 1000;
}

const ACCOUNT_ID = /^\d{12}$/;

function segments(path: string): string[] {
  return path
    .split('/')
    .map((part) => part.trim().toLowerCase())
    .filter(Boolean);
}

/** True when `prefix`'s segments begin `path`'s (`Workloads/Prod` begins `Root/Workloads/Prod/Payments`). */
function pathStartsWith(path: string[], prefix: string[]): boolean {
  return prefix.length > 0 && prefix.length <= path.length && prefix.every((part, i) => path[i] === part);
}

/**
 * The accounts a term names, the way `/iam-changes … in <term>` reads it: a 12-digit id (known or not); an
 * account name, without regard to case; an OU path from the root (`Root/Workloads/Prod`, `Root/` may be left out),
 * which names every account under that OU, however deep; or the name of one OU (`Prod`), which names every
 * account under each OU so named. Accounts are returned once each, in the directory's order.
 */
export function matchAccounts(term: string, accounts: readonly AccountFacts[]): AccountFacts[] {
  const wanted = term.trim();
  if (!wanted) return [];
  if (ACCOUNT_ID.test(wanted)) return [accounts.find((account) => account.id === wanted) ?? { id: wanted }];
  const lower = wanted.toLowerCase();
  const byName = accounts.filter((account) => account.name?.toLowerCase() === lower);
  if (byName.length > 0) return byName;
  const prefix = segments(wanted);
  return accounts.filter((account) => {
    if (!account.ouPath) return false;
    const path = segments(account.ouPath);
    if (pathStartsWith(path, prefix) || pathStartsWith(path.slice(1), prefix)) return true;
    // One OU's name: any OU on the path below the root.
    return prefix.length === 1 && path.slice(1).includes(lower);
  });
}

/** `prod-payments` or the id when the name is unknown: how an account is named in one line of text. */
export function accountName(facts: AccountFacts): string {
  return facts.name ?? facts.id;
}
