/**
 * A change the worker judged more severe than notify did goes through notify's gates again. Notify muted,
 * digested or grouped it (or posted it in a lower level's channel) by the level it had then; when the worker's
 * second look raises it — an escalation path found, an attached document read at last — what held it back may
 * no longer apply, and the change is posted as a new top-level alert in the channel its new level routes to,
 * with the critical mention. A mute made without "includes critical" never hides a critical change.
 */
import { muteFor } from '../domain/mute';
import { compareLevels } from '../domain/risk/levels';
import type { AssessedChange, RiskLevel } from '../domain/types';
import type { AlertChannel } from './alert-port';
import type { MuteStore } from './mute-port';
import type { SlackRef, StoredChange } from './ports';

/**
 * How long one job holds the right to post a raised alert before another may (its post not recorded): the
 * worker's timeout (300 s), so a claim is never taken from a job still running.
 */
export const RAISED_POST_LEASE_MS = 5 * 60_000;

/** What became of a claim on posting a raised alert. */
export type RaisedPostClaim =
  /** This job may post it: the claim was free, its lease ran out, or it was already this job's own. */
  | 'claimed'
  /** Another job holds it and has not posted yet: it may still fail. */
  | 'held'
  /** The alert at that level is posted: never again. */
  | 'posted';

/**
 * Who posts a raised alert: two judge-change jobs of one change (a redelivery, a retry while the first still runs)
 * both see the lower level they read, and only one may post. The claim is a conditional write on the change that
 * names its holder — the job's delivery id, the same on every retry of that job — so a job that died after claiming
 * takes its own claim over when it is retried, rather than waiting for a lease it holds itself.
 */
export interface RaisedPostClaims {
  /**
   * Takes the right to post the change's raised alert at `level` for `holder` until `until`. Throws when the change
   * is not stored.
   */
  claimRaisedPost(
    eventId: string,
    level: RiskLevel,
    holder: string,
    now: Date,
    until: Date,
  ): Promise<RaisedPostClaim>;
  /**
   * Records the raised alert at `level` as posted (at `ref`): it is never posted again. False, with nothing
   * written, when the claim is no longer `holder`'s (its lease ran out and another job took it) or is posted.
   */
  recordRaisedPost(
    eventId: string,
    level: RiskLevel,
    holder: string,
    ref: SlackRef,
    now: Date,
  ): Promise<boolean>;
  /** Gives `holder`'s claim back after its post failed, so a retry posts it; another job's claim stays. */
  releaseRaisedPost(eventId: string, level: RiskLevel, holder: string): Promise<void>;
}

/**
 * Another job holds the claim on posting this raised alert and has not posted it: this job must not record the
 * raise (the other's post may still fail, and nothing would post it again). Failing makes the job come again.
 */
export class RaisedPostPendingError extends Error {
  override readonly name = 'RaisedPostPendingError';
}

/** What the gate is built from: notify's settings, read again. */
export interface RaisedAlertDependencies {
  /** The claim that lets one job only post a change's raised alert. */
  claims: RaisedPostClaims;
  /** Posts the alert for one change. */
  alerts: Pick<AlertChannel, 'postChange'>;
  /** The channel the routing gives a change at its level now (a routing rule's, else its level's). */
  channelFor(change: AssessedChange): Promise<string>;
  /** The mutes, to see whether the one that held the change back still covers it at its new level. */
  mutes: Pick<MuteStore, 'active'>;
  /** The levels notify puts in the daily digest instead of posting. */
  digestLevels: readonly RiskLevel[];
  /** Whether a critical alert calls the channel's attention. */
  mentionOnCritical: boolean;
  now: () => Date;
  /** Where a post made after its claim passed to another job is said. */
  log?: (message: string, details: Record<string, unknown>) => void;
}

/** Why a raised change is posted again, for the log. */
export type RaisedReason = 'mute-no-longer-covers' | 'out-of-digest' | 'grouped-critical' | 'other-channel';

/** Posts a change again when the level it was raised to would not have been held back where it is. */
export class RaisedAlertGate {
  constructor(private readonly deps: RaisedAlertDependencies) {}

  /**
   * `stored` is the change as notify delivered it, `change` its judgement now, `holder` the job's delivery id (the
   * same on its retries). Returns where the new alert went and why, or `undefined` when the level did not rise,
   * nothing held it back, or the alert is already posted (the claim: posted once whatever the number of jobs).
   * Throws — so the job is retried and the raise not recorded — when the post fails (the claim given back) and
   * when another job holds the claim without having posted ({@link RaisedPostPendingError}).
   */
  async regate(
    stored: StoredChange,
    change: AssessedChange,
    holder: string,
  ): Promise<{ ref: SlackRef; reason: RaisedReason } | undefined> {
    if (compareLevels(change.risk.level, stored.change.risk.level) >= 0) return undefined;
    const channel = await this.deps.channelFor(change);
    const reason = await this.heldBack(stored, change, channel);
    if (!reason) return undefined;
    const level = change.risk.level;
    const { claims } = this.deps;
    const now = this.deps.now();
    const until = new Date(now.getTime() + RAISED_POST_LEASE_MS);
    const claim = await claims.claimRaisedPost(change.eventId, level, holder, now, until);
    if (claim === 'posted') return undefined;
    if (claim === 'held') {
      throw new RaisedPostPendingError(
        `the ${level} alert of ${change.eventId} is being posted by another job; this one comes again`,
      );
    }
    const mention = this.deps.mentionOnCritical && level === 'critical';
    let ref: SlackRef;
    try {
      ref = await this.deps.alerts.postChange(channel, change, { mention });
    } catch (error: unknown) {
      await claims.releaseRaisedPost(change.eventId, level, holder);
      throw error;
    }
    if (!(await claims.recordRaisedPost(change.eventId, level, holder, ref, this.deps.now()))) {
      // Posted after its lease ran out: the job that took the claim over may post it too. Said, not undone.
      this.deps.log?.('raised alert posted after its claim passed to another job', {
        eventId: change.eventId,
        level,
      });
    }
    return { ref, reason };
  }

  /** What kept the change from being seen at its new level, if anything still does not let it be. */
  private async heldBack(
    stored: StoredChange,
    change: AssessedChange,
    channel: string,
  ): Promise<RaisedReason | undefined> {
    const level = change.risk.level;
    switch (stored.delivery) {
      case 'muted': {
        const now = this.deps.now();
        const mutes = (await this.deps.mutes.active(now)).filter((mute) => mute.id === stored.mutedBy);
        return muteFor(mutes, change, level, now) ? undefined : 'mute-no-longer-covers';
      }
      case 'digest':
        return this.deps.digestLevels.includes(level) ? undefined : 'out-of-digest';
      case 'grouped':
        // A line in a burst's thread: a critical change gets its own alert.
        return level === 'critical' ? 'grouped-critical' : undefined;
      case 'delivered':
        // Planned work stays in its announcement's thread; a top-level alert elsewhere than its level's channel
        // is posted there too.
        if (!stored.slack || stored.slack.threadTs || change.expected) return undefined;
        return stored.slack.channel === channel ? undefined : 'other-channel';
      default:
        return undefined;
    }
  }
}
