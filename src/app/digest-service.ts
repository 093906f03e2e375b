/**
 * The daily digest: changes of the levels configured as `digest` are not posted one by one (the notify path
 * stores them as `digest`); once a day, each channel gets one message listing them grouped by account and caller,
 * with counts. A scheduled invocation runs it; each channel's digest of a day is claimed with a conditional write
 * before it is posted, so a retried or doubled invocation posts it once.
 */
import { buildDigest, type Digest } from '../domain/digest';
import { routeChange } from '../domain/routing';
import type { RiskLevel } from '../domain/types';
import type { AccountDirectoryRefresher, AccountRefreshResult } from './account-directory';
import type { Clock, SlackGateway, SlackRef, StoredChange } from './ports';
import type { RoutingTableSource } from './routing-port';

/**
 * How old the account directory's copy may be when the daily run starts before it is read again: half a day, so a
 * daily schedule refreshes it every day unless notify just did.
 */
const DAILY_REFRESH_AGE_SECONDS = 12 * 3600;

/** Where the day's changes are read from (the store's `byTime` index). */
export interface DigestSource {
  changesBetween(start: string, end: string, limit: number): Promise<StoredChange[]>;
}

/** The claim on one channel's digest of one day. */
export interface DigestStore {
  /**
   * Takes the right to post `channel`'s digest of `day` until `until`: `claimed` when new, or not yet posted and
   * its claim expired (an invocation that died); `posted` when it was posted; `busy` while another holds it.
   */
  claimDigest(
    channel: string,
    day: string,
    owner: string,
    until: Date,
    now: Date,
  ): Promise<'claimed' | 'posted' | 'busy'>;
  /** Records the digest as posted (where), so no later claim posts it again. */
  finishDigest(channel: string, day: string, owner: string, ref: SlackRef, now: Date): Promise<void>;
  /** Gives a claim up after a failed post, so the retry posts at once. */
  releaseDigest(channel: string, day: string, owner: string): Promise<void>;
}

/** How a digest looks in Slack: `src/slack/render-digest.ts`. The first message is the top-level one. */
export type DigestRenderer = (
  digest: Digest,
  level: readonly RiskLevel[],
) => Array<{ text: string; blocks: unknown[] }>;

/** Settings of the digest. */
export interface DigestSettings {
  /** Levels posted in the digest only. Empty: no digest. */
  levels: readonly RiskLevel[];
  defaultChannel: string;
  channelByLevel: Partial<Record<RiskLevel, string>>;
  /** How long one invocation may hold a digest's claim (seconds, 900 unless set). */
  claimSeconds?: number;
  /** Changes read for one day at most (20,000 unless set). */
  maxChanges?: number;
}

/** What the digest needs. */
export interface DigestDependencies {
  changes: DigestSource;
  claims: DigestStore;
  /** Posts paced per channel, as every post of the notify path. */
  slack: Pick<SlackGateway, 'postMessage'>;
  render: DigestRenderer;
  clock: Clock;
  settings: DigestSettings;
  /** The routing table the notify path uses: each change's digest goes to the channel it routes the change to. */
  routes?: RoutingTableSource;
  /** The account directory, refreshed by this daily run before the digest (names in every message stay current). */
  accounts?: AccountDirectoryRefresher;
  log?: (message: string, details?: Record<string, unknown>) => void;
}

/** What one run did, per channel. */
export interface DigestResult {
  day: string;
  /** What the account directory's daily refresh did, when there is a directory. */
  accounts?: AccountRefreshResult;
  channels: Array<{
    channel: string;
    changes: number;
    outcome: 'posted' | 'already-posted' | 'busy' | 'empty';
  }>;
}

/** Posts each channel's digest of a day once. */
export class DigestService {
  private readonly log: NonNullable<DigestDependencies['log']>;

  constructor(private readonly deps: DigestDependencies) {
    this.log = deps.log ?? (() => {});
  }

  /**
   * The daily run: the account directory refreshed first (its failure is the result's, never the digest's), then
   * the digest of `day` (`yyyy-mm-dd`, UTC) posted in every channel that has digest changes that day — the channel
   * the routing table gives each change, else its level's, as the notify path routes. A channel without any posts
   * nothing. Throws when a post fails (after giving its claim up), so the schedule retries.
   */
  async run(day: string, owner: string): Promise<DigestResult> {
    const { settings, clock } = this.deps;
    const result: DigestResult = { day, channels: [] };
    if (this.deps.accounts) {
      result.accounts = await this.deps.accounts.refreshOlderThan(DAILY_REFRESH_AGE_SECONDS);
      if (result.accounts.outcome === 'failed') {
        this.log('account directory: the daily refresh failed; the kept copy is used', {
          ...result.accounts,
        });
      }
    }
    if (settings.levels.length === 0) return result;
    const table = (await this.deps.routes?.table()) ?? [];
    const start = `${day}T00:00:00.000Z`;
    const end = new Date(Date.parse(start) + 86_400_000).toISOString();
    const stored = await this.deps.changes.changesBetween(start, end, settings.maxChanges ?? 20_000);
    const byChannel = new Map<string, StoredChange[]>();
    for (const entry of stored) {
      if (entry.delivery !== 'digest') continue;
      const channel = routeChange(table, entry.change, settings).channel;
      byChannel.set(channel, [...(byChannel.get(channel) ?? []), entry]);
    }
    for (const [channel, entries] of byChannel) {
      const now = clock.now();
      const until = new Date(now.getTime() + (settings.claimSeconds ?? 900) * 1000);
      const claim = await this.deps.claims.claimDigest(channel, day, owner, until, now);
      if (claim !== 'claimed') {
        result.channels.push({
          channel,
          changes: entries.length,
          outcome: claim === 'posted' ? 'already-posted' : 'busy',
        });
        continue;
      }
      let ref: SlackRef | undefined;
      try {
        const digest = buildDigest(
          day,
          entries.map((entry) => entry.change),
        );
        const [head, ...rest] = this.deps.render(digest, settings.levels);
        if (!head) throw new Error('the digest rendered to nothing');
        ref = await this.deps.slack.postMessage({ channel, ...head });
        await this.deps.claims.finishDigest(channel, day, owner, ref, clock.now());
        result.channels.push({ channel, changes: entries.length, outcome: 'posted' });
        // What does not fit the message continues in its thread; a failure there never posts the digest twice.
        for (const more of rest) {
          await this.deps.slack
            .postMessage({ channel, threadTs: ref.ts, ...more })
            .catch((error: unknown) =>
              this.log('digest continuation not posted', { channel, day, error: String(error) }),
            );
        }
      } catch (error: unknown) {
        if (!ref) await this.deps.claims.releaseDigest(channel, day, owner).catch(() => undefined);
        throw error;
      }
    }
    return result;
  }
}
