/**
 * How a message names an account: its name and OU path beside the id when the account directory knew them
 * (`change.account`), the id alone otherwise. Every renderer names accounts through these, escaped.
 */
import type { AccountFacts } from '../domain/accounts';
import type { AssessedChange, Change } from '../domain/types';
import { escapeText, inlineCode, truncate } from './escape';

/** The facts of `accountId` carried by the change, when they are about that account. */
function factsOf(change: Change & { account?: AccountFacts }, accountId: string): AccountFacts | undefined {
  return change.account?.id === accountId ? change.account : undefined;
}

/** mrkdwn: `*prod-payments* `111122223333` · Root/Workloads/Prod`, or `` `111122223333` `` when unknown. */
export function accountMrkdwn(accountId: string, facts?: AccountFacts): string {
  const id = inlineCode(accountId || 'unknown', 40);
  if (!facts?.name && !facts?.ouPath) return id;
  const name = facts.name ? `*${truncate(facts.name, 60)}* ` : '';
  const path = facts.ouPath ? ` · ${truncate(facts.ouPath, 120)}` : '';
  return `${name}${id}${path}`;
}

/**
 * mrkdwn for an account named inside a sentence (a fleet line, a mute, a revert's result): `*prod-payments*
 * (111122223333)`, or `` `111122223333` `` when no name is known.
 */
export function accountInline(accountId: string, facts?: Pick<AccountFacts, 'name'>): string {
  const id = accountId || 'unknown account';
  return facts?.name ? `*${truncate(facts.name, 60)}* (${escapeText(id)})` : inlineCode(id, 40);
}

/**
 * Plain text for a notification's fallback text: `prod-payments (111122223333)`, or the id when unknown. Raw, not
 * escaped: the caller escapes the whole text it is part of.
 */
export function accountPlain(accountId: string, facts?: AccountFacts): string {
  return facts?.name ? `${facts.name.slice(0, 60)} (${accountId})` : accountId;
}

/** The account a change acted in, as mrkdwn. */
export function changeAccountMrkdwn(change: Change & Pick<Partial<AssessedChange>, 'account'>): string {
  return accountMrkdwn(change.accountId, factsOf(change, change.accountId));
}

/** The account a change acted in, as raw plain text (the caller escapes). */
export function changeAccountPlain(change: Change & Pick<Partial<AssessedChange>, 'account'>): string {
  return accountPlain(change.accountId, factsOf(change, change.accountId));
}
