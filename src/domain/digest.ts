/**
 * The daily digest's content: the changes of levels configured as `digest` (not posted one by one), grouped by
 * account and, within an account, by caller, with counts per event. Pure: changes in, groups out.
 */
import { actorIdentity } from './fleet';
import type { AssessedChange, RiskLevel } from './types';
import { RISK_LEVELS } from './types';

/** One caller's changes in one account. */
export interface DigestActor {
  /** The caller as people know it (`terraform-ci/terraform-apply`, `alice`). */
  name: string;
  count: number;
  /** Event name → how many, most frequent first. */
  events: Array<{ eventName: string; count: number }>;
  /** The most severe level among them. */
  level: RiskLevel;
}

/** One account's changes. */
export interface DigestAccount {
  accountId: string;
  /** The account's name when the directory knew it. */
  accountName?: string;
  count: number;
  actors: DigestActor[];
}

/** A channel's digest of one day. */
export interface Digest {
  /** `yyyy-mm-dd` (UTC). */
  day: string;
  count: number;
  /** Accounts with the most changes first. */
  accounts: DigestAccount[];
}

/** The UTC day (`yyyy-mm-dd`) before the one `now` is in: what a digest sent in the morning covers. */
export function previousDay(now: Date): string {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - 1))
    .toISOString()
    .slice(0, 10);
}

function moreSevere(a: RiskLevel, b: RiskLevel): RiskLevel {
  return RISK_LEVELS.indexOf(a) <= RISK_LEVELS.indexOf(b) ? a : b;
}

/** Groups a day's changes by account, then by caller (regardless of session run), with counts per event. */
export function buildDigest(day: string, changes: readonly AssessedChange[]): Digest {
  const accounts = new Map<
    string,
    DigestAccount & { byActor: Map<string, DigestActor & { byEvent: Map<string, number> }> }
  >();
  for (const change of changes) {
    const accountId = change.accountId || 'unknown';
    let account = accounts.get(accountId);
    if (!account) {
      account = { accountId, count: 0, actors: [], byActor: new Map() };
      if (change.account?.name) account.accountName = change.account.name;
      accounts.set(accountId, account);
    }
    account.count += 1;
    const key = actorIdentity(change.actor);
    let actor = account.byActor.get(key);
    if (!actor) {
      actor = {
        name: change.actor.name || 'unknown caller',
        count: 0,
        events: [],
        level: change.risk.level,
        byEvent: new Map(),
      };
      account.byActor.set(key, actor);
    }
    actor.count += 1;
    actor.level = moreSevere(actor.level, change.risk.level);
    actor.byEvent.set(change.eventName, (actor.byEvent.get(change.eventName) ?? 0) + 1);
  }
  const byCount = <T extends { count: number }>(a: T, b: T) => b.count - a.count;
  return {
    day,
    count: changes.length,
    accounts: [...accounts.values()]
      .map(({ byActor, ...account }) => ({
        ...account,
        actors: [...byActor.values()]
          .map(({ byEvent, ...actor }) => ({
            ...actor,
            events: [...byEvent].map(([eventName, count]) => ({ eventName, count })).sort(byCount),
          }))
          .sort(byCount),
      }))
      .sort((a, b) => byCount(a, b) || a.accountId.localeCompare(b.accountId)),
  };
}
