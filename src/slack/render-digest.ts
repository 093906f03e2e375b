/**
 * The daily digest's messages: one top-level message per channel (the day, the total, each account's callers
 * with counts per event), continued in its thread when it does not fit. Same rules as `render.ts`: escaped
 * values, Slack's limits (50 blocks, 3000 characters a section).
 */
import type { KnownBlock } from '@slack/types';
import type { Digest, DigestAccount } from '../domain/digest';
import type { RiskLevel } from '../domain/types';
import { context, section } from './blocks';
import { escapeText, truncate } from './escape';
import { LEVELS, type SlackMessage } from './render';
import { accountInline } from './render-account';

/** Account sections one message carries (a header block and a context leave room under 50). */
const ACCOUNTS_PER_MESSAGE = 40;
/** Callers listed per account. */
const ACTORS_PER_ACCOUNT = 12;

function accountSection(account: DigestAccount): KnownBlock {
  const name = accountInline(
    account.accountId,
    account.accountName ? { name: account.accountName } : undefined,
  );
  const lines = account.actors.slice(0, ACTORS_PER_ACCOUNT).map((actor) => {
    const events = actor.events
      .slice(0, 6)
      .map((event) => `${escapeText(event.eventName)} ×${event.count}`)
      .join(', ');
    return `${LEVELS[actor.level].emoji} ${truncate(actor.name, 120)} — ${actor.count} change${actor.count === 1 ? '' : 's'} (${events}${actor.events.length > 6 ? ', …' : ''})`;
  });
  if (account.actors.length > ACTORS_PER_ACCOUNT) {
    lines.push(`… and ${account.actors.length - ACTORS_PER_ACCOUNT} more callers`);
  }
  const text = `${name} — ${account.count} change${account.count === 1 ? '' : 's'}\n${lines.join('\n')}`;
  return section(text.length > 2900 ? `${text.slice(0, 2890)}…` : text);
}

/**
 * The digest of one channel and day. The first message is top-level; the rest, when there are more accounts than
 * one message holds, go in its thread.
 */
export function renderDigest(digest: Digest, levels: readonly RiskLevel[]): SlackMessage[] {
  const which = levels.map((level) => LEVELS[level].label.toLowerCase()).join(', ');
  const title = `:newspaper: *Daily digest of ${escapeText(digest.day)}* — ${digest.count} IAM change${digest.count === 1 ? '' : 's'} (${which}) in ${digest.accounts.length} account${digest.accounts.length === 1 ? '' : 's'}`;
  const messages: SlackMessage[] = [];
  for (let start = 0; start < Math.max(digest.accounts.length, 1); start += ACCOUNTS_PER_MESSAGE) {
    const blocks: KnownBlock[] = start === 0 ? [section(title)] : [];
    blocks.push(...digest.accounts.slice(start, start + ACCOUNTS_PER_MESSAGE).map(accountSection));
    if (start === 0) {
      blocks.push(
        context([
          `These levels are posted once a day, not one by one. Every change is stored: \`/iam-changes since ${escapeText(digest.day)}\` lists them.`,
        ]),
      );
    }
    messages.push({
      text: `Daily digest of ${digest.day}: ${digest.count} IAM changes${start > 0 ? ' (continued)' : ''}`,
      blocks,
    });
  }
  return messages;
}
