/**
 * How a message names an account: its name (and OU path) beside the id when the account directory knew them
 * (`change.account`), the id alone otherwise. Every renderer names accounts through these.
 *
 * A name is informational, never proof: any member account may rename itself (`account:PutAccountName`), names
 * are not unique, and a name may hold Slack's formatting characters. So the id is always shown beside it, and a
 * name is made inert before it reaches mrkdwn (see {@link accountNameMrkdwn}): a name such as
 * `prod* `111122223333` *` cannot make a line read as another account.
 */
import type { AccountFacts } from '../domain/accounts';
import type { AssessedChange, Change } from '../domain/types';
import { escapeText, inlineCode, truncate } from './escape';

/** The most of a name shown (Organizations allows 50 characters). */
const NAME_MAX = 60;

/**
 * Characters mrkdwn formats with (bold, italic, strike, code): Slack has no escape for them, so a name holding one
 * is shown as a code span, inside which only a backtick could act (shown as `'`).
 */
const FORMATTING = /[*_~`]/;

/** What a change carries about its account: the id and, when the directory knew them, its facts. */
type AccountOfChange = Pick<Change, 'accountId'> & Pick<Partial<AssessedChange>, 'account'>;

/** The facts of the change's account, only when they are about that very account. */
function factsOf(change: AccountOfChange): AccountFacts | undefined {
  return change.account?.id === change.accountId ? change.account : undefined;
}

/**
 * An account name as inert mrkdwn: bold (`*prod-payments*`) when it holds none of mrkdwn's formatting characters,
 * else a code span (`` `prod*payments` ``); on one line, escaped and cut either way, so it can neither format nor
 * close what is around it.
 */
export function accountNameMrkdwn(name: string): string {
  // Organizations allows only printable ASCII; a copy holding line breaks anyway shows them as spaces.
  const oneLine = name.replace(/\s+/g, ' ');
  return FORMATTING.test(oneLine) ? inlineCode(oneLine, NAME_MAX) : `*${truncate(oneLine, NAME_MAX)}*`;
}

/** mrkdwn: `*prod-payments* `111122223333` · Root/Workloads/Prod`, or `` `111122223333` `` when unknown. */
export function accountMrkdwn(accountId: string, facts?: AccountFacts): string {
  const id = inlineCode(accountId || 'unknown', 40);
  if (!facts?.name && !facts?.ouPath) return id;
  const name = facts.name ? `${accountNameMrkdwn(facts.name)} ` : '';
  const path = facts.ouPath ? ` · ${truncate(facts.ouPath, 120)}` : '';
  return `${name}${id}${path}`;
}

/**
 * mrkdwn for an account named inside a sentence (a fleet line, a mute, a revert's result, the digest):
 * `*prod-payments* (111122223333)`, or `` `111122223333` `` when no name is known.
 */
export function accountInline(accountId: string, facts?: Pick<AccountFacts, 'name'>): string {
  const id = accountId || 'unknown account';
  return facts?.name ? `${accountNameMrkdwn(facts.name)} (${escapeText(id)})` : inlineCode(id, 40);
}

/**
 * mrkdwn for where a confirmation acts, the id first so it is what the eye lands on before confirming:
 * `` `111122223333` (*prod-payments* · Root/Workloads/Prod) ``, or the id alone when nothing else is known.
 */
export function accountIdFirst(accountId: string, facts?: Pick<AccountFacts, 'name' | 'ouPath'>): string {
  const id = inlineCode(accountId || 'unknown account', 40);
  const known = [
    ...(facts?.name ? [accountNameMrkdwn(facts.name)] : []),
    ...(facts?.ouPath ? [truncate(facts.ouPath, 120)] : []),
  ];
  return known.length > 0 ? `${id} (${known.join(' · ')})` : id;
}

/**
 * Plain text for a notification's fallback text or a plain_text label: `prod-payments (111122223333)` (or
 * `111122223333 (prod-payments)` with `idFirst`, for what a confirmation offers), the id alone when unknown. Raw,
 * not escaped: the caller escapes the whole text it is part of.
 */
export function accountPlain(accountId: string, facts?: Pick<AccountFacts, 'name'>, idFirst = false): string {
  if (!facts?.name) return accountId;
  const name = facts.name.slice(0, NAME_MAX);
  return idFirst ? `${accountId} (${name})` : `${name} (${accountId})`;
}

/** The account a change acted in, as mrkdwn (with its OU path). */
export function changeAccountMrkdwn(change: AccountOfChange): string {
  return accountMrkdwn(change.accountId, factsOf(change));
}

/** The account a change acted in, inside a sentence (see {@link accountInline}). */
export function changeAccountInline(change: AccountOfChange): string {
  return accountInline(change.accountId, factsOf(change));
}

/**
 * The account a change acted in, id first, for a confirmation (see {@link accountIdFirst}); without its OU path
 * when `withPath` is false (a list of many accounts).
 */
export function changeAccountIdFirst(change: AccountOfChange, withPath = true): string {
  const facts = factsOf(change);
  return accountIdFirst(change.accountId, withPath || !facts?.name ? facts : { name: facts.name });
}

/** The account a change acted in, as raw plain text (the caller escapes); see {@link accountPlain}. */
export function changeAccountPlain(change: AccountOfChange, idFirst = false): string {
  return accountPlain(change.accountId, factsOf(change), idFirst);
}
