/**
 * The notice that a member account's forwarding of IAM changes was stopped, rewritten, or tried to be: posted once
 * per call however often SNS delivers it, and once per group within a window however often the call is repeated.
 * Refused attempts are grouped per account: a loop of 200 refused `DeleteRule` calls is one notice whose running
 * count and last caller are updated in place. Stops and rewrites that succeeded are grouped per account, kind and
 * caller: a StackSet redeploy's `PutTargets` and someone else's within the hour are two notices, never one count.
 * A call of another kind (a refused attempt, a rewrite, a stop are three kinds) or in another account gets its
 * own, so a stop that succeeded is never folded into the notice of attempts that failed.
 *
 * Every call is claimed by its event id with a conditional write before anything else; the group it joins is one
 * store item per account and group ({@link noticeGroupOf}), started (and its notice posted) by the first call of a window and counted by
 * the rest; its message is written only by the invocation holding the group's lease, which looks again after
 * letting go, so the last count is always shown.
 */
import { createHash } from 'node:crypto';
import type { AccountFacts } from '../domain/accounts';
import type { ForwardingStop } from '../domain/forwarding';
import type { SlackRef } from './ports';

/** The three kinds of call a notice groups: refused attempts, rewrites, stops. Never mixed in one notice. */
export type ForwardingNoticeKind = 'attempt' | 'rewrite' | 'stop';

/** The kind of notice a call belongs to. */
export function noticeKindOf(stop: ForwardingStop): ForwardingNoticeKind {
  if (stop.errorCode !== undefined) return 'attempt';
  return stop.rewrite ? 'rewrite' : 'stop';
}

/**
 * The group a call's notice belongs to within its account: its kind, and for a call that succeeded (a stop, a
 * rewrite) its caller too, so one principal's calls never hide another's.
 */
export function noticeGroupOf(stop: ForwardingStop): string {
  const kind = noticeKindOf(stop);
  if (kind === 'attempt') return kind;
  // A digest, not the ARN: a sort key is bounded, a caller's ARN not quite.
  return `${kind}#${createHash('sha256').update(stop.caller).digest('hex').slice(0, 32)}`;
}

/** The calls of one group in one account within one window, as their notice shows them. */
export interface ForwardingNotice {
  kind: ForwardingNoticeKind;
  /** The call that opened the window (its notice's headline). */
  first: ForwardingStop;
  /** The latest call counted (by event time), the first one while it is alone. */
  last: ForwardingStop;
  /** Calls counted in the window, the first included. */
  count: number;
  /** The account as the directory names it, when known. */
  account?: AccountFacts;
  /** Call the channel's attention to it (`@here`) when it is first posted: a stop or rewrite, mentions on. */
  mention: boolean;
}

/** One account's group ({@link noticeGroupOf}), as the store keeps it. */
export interface ForwardingNoticeGroup {
  accountId: string;
  kind: ForwardingNoticeKind;
  /** Its name within the account ({@link noticeGroupOf}). */
  group: string;
  /** The event id of the call that started it: a new window is a new group. */
  groupId: string;
  first: ForwardingStop;
  last: ForwardingStop;
  count: number;
  /** The count its message shows (0 before it is posted). */
  shownCount: number;
  /**
   * When (ISO) its message was last posted or updated, by any invocation: the next update waits for the count
   * interval from there, however many invocations the calls come in.
   */
  shownAt?: string;
  /** Until when (ISO) later calls join it rather than start a new notice. */
  windowEnds: string;
  /** Its message, once posted. */
  ref?: SlackRef;
}

/** What claiming a call's event id found. */
export type NoticeClaim =
  /** This invocation holds it now; `countedIn` is the group a failed earlier try already counted it in. */
  | { claimed: true; countedIn?: string }
  /** It was fully handled before (a redelivery). */
  | { claimed: false; reason: 'done' }
  /** Another invocation holds it now: that one's retries finish it. */
  | { claimed: false; reason: 'busy' };

/**
 * The notices' store: one claim item per call, one group item per account and kind. Every write is conditional;
 * every method throws on a store failure.
 */
export interface ForwardingNoticeStore {
  /** Claims the call for `owner` until `until`, unless it is done or another owner holds it unexpired. */
  claimCall(eventId: string, owner: string, until: Date, now: Date): Promise<NoticeClaim>;
  /** Notes that the call is counted in `groupId`, so a retry does not count it twice. */
  markCounted(eventId: string, owner: string, groupId: string): Promise<void>;
  /** The call is handled: a redelivery finds it done. */
  finishCall(eventId: string, owner: string, now: Date): Promise<void>;
  /** Gives the claim up (a failure), so a retry may take it at once. */
  releaseCall(eventId: string, owner: string): Promise<void>;
  /**
   * Counts the call in its account's group of its kind: joins the group whose window is open at `now`, else starts
   * a new one ending at `windowEnds` (`started: true`: this call's notice is the one to post).
   */
  joinGroup(
    stop: ForwardingStop,
    kind: ForwardingNoticeKind,
    group: string,
    now: Date,
    windowEnds: Date,
  ): Promise<{ group: ForwardingNoticeGroup; started: boolean }>;
  /** An account's group, as it is now. */
  getGroup(accountId: string, group: string): Promise<ForwardingNoticeGroup | undefined>;
  /**
   * Takes the right to write the group's message for `owner` until `until`: free, expired, or already `owner`'s (a
   * retry of an invocation that died holding it takes it back at once). False when another owner holds it.
   */
  acquireGroupLease(
    accountId: string,
    group: string,
    owner: string,
    now: Date,
    until: Date,
  ): Promise<boolean>;
  /**
   * Lets `owner`'s lease go, recording what its message now shows (and where it is, once posted); nothing when the
   * lease is no longer `owner`'s.
   */
  releaseGroupLease(
    accountId: string,
    group: string,
    groupId: string,
    owner: string,
    shown?: { count: number; ref: SlackRef; at: Date },
  ): Promise<void>;
}

/** The Slack side of the notices, in facts: the adapter words them. Both throw when Slack refuses. */
export interface ForwardingNoticeChannel {
  postForwardingNotice(channel: string, notice: ForwardingNotice): Promise<SlackRef>;
  /** Updates a posted notice in place (never calling anyone's attention again). */
  updateForwardingNotice(ref: SlackRef, notice: ForwardingNotice): Promise<void>;
}

/** What posting notices needs. */
export interface ForwardingNoticeDependencies {
  store: ForwardingNoticeStore;
  slack: ForwardingNoticeChannel;
  clock: { now(): Date };
  /** The account directory's facts of an account (its name), when there is a directory. */
  describeAccount?: (accountId: string) => Promise<AccountFacts>;
  /** Waits before an update (a timer by default; tests pass one that moves their clock). */
  sleep?: (ms: number) => Promise<void>;
  settings: {
    /** Where notices go: the critical channel, else the default one. */
    channel: string;
    mentionOnCritical: boolean;
    /** How long after a notice is posted the same kind of call in the same account updates it (default 3600). */
    windowSeconds?: number;
    /** How long one invocation may hold a call's claim or a group's lease (default 120). */
    leaseSeconds?: number;
    /** The least time between two updates of a notice's count (default 2; 0 in tests). */
    countIntervalSeconds?: number;
  };
  log?: (message: string, details?: Record<string, unknown>) => void;
}

/** What became of one call. */
export type ForwardingNoticeOutcome = 'posted' | 'counted' | 'duplicate';

/** A notice's group could not be shown before the deadline: failing makes SNS deliver the call again. */
export class ForwardingNoticeIncompleteError extends Error {
  override name = 'ForwardingNoticeIncompleteError';
}

/** Posts and updates the forwarding notices (see the module's comment). */
export class ForwardingNotices {
  private readonly log: NonNullable<ForwardingNoticeDependencies['log']>;

  constructor(private readonly deps: ForwardingNoticeDependencies) {
    this.log = deps.log ?? (() => {});
  }

  /**
   * Handles one call: a redelivery of a handled call does nothing (`duplicate`); otherwise the call is counted in
   * its group and the group's notice posted or brought up to date. Throws when Slack or the store fails, after
   * giving the claim up, so SNS delivers the call again and nothing is counted twice.
   */
  async report(
    stop: ForwardingStop,
    owner: string,
    deadline: number = Number.POSITIVE_INFINITY,
  ): Promise<ForwardingNoticeOutcome> {
    const { store, clock, settings } = this.deps;
    const leaseMs = (settings.leaseSeconds ?? 120) * 1000;
    const now = clock.now();
    const claim = await store.claimCall(stop.eventId, owner, new Date(now.getTime() + leaseMs), now);
    if (!claim.claimed) return 'duplicate';
    const kind = noticeKindOf(stop);
    try {
      let started = false;
      if (claim.countedIn === undefined) {
        const windowEnds = new Date(now.getTime() + (settings.windowSeconds ?? 3600) * 1000);
        const joined = await store.joinGroup(stop, kind, noticeGroupOf(stop), now, windowEnds);
        started = joined.started;
        await store.markCounted(stop.eventId, owner, joined.group.groupId);
      }
      await this.show(stop.accountId, noticeGroupOf(stop), owner, deadline);
      await store.finishCall(stop.eventId, owner, clock.now());
      this.log('forwarding of IAM changes stopped or changed in a member account', {
        accountId: stop.accountId,
        eventName: stop.eventName,
        rule: stop.ruleName,
        caller: stop.caller,
        kind,
        ...(stop.errorCode ? { errorCode: stop.errorCode } : {}),
      });
      return started ? 'posted' : 'counted';
    } catch (error: unknown) {
      await store.releaseCall(stop.eventId, owner).catch((release: unknown) => {
        this.log('forwarding notice: the claim could not be given up', {
          eventId: stop.eventId,
          error: release instanceof Error ? release.message : String(release),
        });
      });
      throw error;
    }
  }

  /**
   * Brings the group's message up to date while holding its lease: posts it when it has none yet, else updates
   * its count when behind. Whoever counts a call tries the lease after counting, and the holder looks again after
   * letting it go, so no count is left unshown. While another invocation holds the lease of a notice not yet
   * posted, this one waits for it (that one may have died): a notice still unposted at the deadline throws, so the
   * call is not finished and is delivered again.
   */
  private async show(accountId: string, groupName: string, owner: string, deadline: number): Promise<void> {
    const { store, clock, settings } = this.deps;
    const leaseMs = (settings.leaseSeconds ?? 120) * 1000;
    const intervalMs = (settings.countIntervalSeconds ?? 2) * 1000;
    for (;;) {
      const now = clock.now();
      if (
        !(await store.acquireGroupLease(accountId, groupName, owner, now, new Date(now.getTime() + leaseMs)))
      ) {
        // The holder shows the count and looks again after letting go; a notice it has not posted yet is waited
        // for, never taken as told.
        if ((await store.getGroup(accountId, groupName))?.ref) return;
        if (clock.now().getTime() + BUSY_POLL_MS > deadline)
          throw new ForwardingNoticeIncompleteError(
            `forwarding notice for account ${accountId} (${groupName}) not posted by the deadline: another invocation holds it`,
          );
        await sleep(BUSY_POLL_MS);
        continue;
      }
      let group = await store.getGroup(accountId, groupName);
      let shown: { count: number; ref: SlackRef; at: Date } | undefined;
      try {
        if (group && !group.ref) {
          const ref = await this.deps.slack.postForwardingNotice(settings.channel, await this.notice(group));
          shown = { count: group.count, ref, at: clock.now() };
        } else if (group?.ref && group.count !== group.shownCount) {
          // Spaced from the last update by whichever invocation made it: one per call would keep the channel busy.
          const lastShownAt = group.shownAt ? Date.parse(group.shownAt) : Number.NEGATIVE_INFINITY;
          const wait = intervalMs - (clock.now().getTime() - lastShownAt);
          if (wait > 0 && clock.now().getTime() + wait < deadline) await (this.deps.sleep ?? sleep)(wait);
          // The count as it is after the wait, on the message already posted.
          const ref = group.ref;
          const current = await store.getGroup(accountId, groupName);
          if (current?.groupId === group.groupId) group = current;
          await this.deps.slack.updateForwardingNotice(ref, await this.notice(group));
          shown = { count: group.count, ref, at: clock.now() };
        }
      } finally {
        if (group) await store.releaseGroupLease(accountId, groupName, group.groupId, owner, shown);
      }
      const after = await store.getGroup(accountId, groupName);
      if (!after || (after.ref && after.count === after.shownCount)) return;
      if (clock.now().getTime() > deadline) {
        if (!after.ref)
          throw new ForwardingNoticeIncompleteError(
            `forwarding notice for account ${accountId} (${groupName}) not posted by the deadline`,
          );
        return;
      }
    }
  }

  private async notice(group: ForwardingNoticeGroup): Promise<ForwardingNotice> {
    const { settings } = this.deps;
    const account = this.deps.describeAccount ? await this.deps.describeAccount(group.accountId) : undefined;
    const known = account && (account.name || account.ouPath) ? { account } : {};
    return {
      kind: group.kind,
      first: group.first,
      last: group.last,
      count: group.count,
      ...known,
      mention: settings.mentionOnCritical && group.kind !== 'attempt',
    };
  }
}

/** How often an invocation waiting for another's first post of a notice looks again. */
const BUSY_POLL_MS = 250;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
