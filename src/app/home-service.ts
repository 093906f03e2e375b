/**
 * The bot's Home tab as a use case: what a responder needs at a glance when they open the app — the open
 * alerts, most severe first; the last seven days' counts; the CIS 4.4 status as last checked (never a fresh
 * audit: that takes a dozen AWS calls); the active quarantines; the last reverts; the active mutes and
 * expectations. It gathers facts and hands them to a {@link HomeSurface}; the Slack adapter draws the tab.
 */
import type { AuditReport } from '../domain/cis-audit';
import type { RiskLevel } from '../domain/types';
import { alertStateOf } from './alert-state';
import type { AuditActor } from './audit-port';
import type { Clock } from './ports';
import type { ChangeQueries, StatsStore } from './query-port';
import type { QuarantineRecord, RespondedChange } from './revert-port';

/** The CIS 4.4 status as the last audit found it. */
export interface CachedCisStatus {
  /** ISO time the audit ran. */
  checkedAt: string;
  report: AuditReport;
}

/**
 * The last CIS 4.4 audit's result, kept so the Home tab can show it without running one. The worker saves every
 * `/iam-changes status` answer here. Throws on storage failure.
 */
export interface CisStatusCache {
  latest(): Promise<CachedCisStatus | undefined>;
  save(status: CachedCisStatus): Promise<void>;
}

/** A mute in force (made from an alert; see the mutes feature). */
export interface HomeMute {
  id: string;
  /** What it matches, in words (`same actor alice`, `role/ci-runner`). */
  scope: string;
  /** ISO time it ends. */
  until: string;
  by: AuditActor;
  reason: string;
}

/** A planned change announced with `/iam-changes expect` that is still in its window. */
export interface HomeExpectation {
  id: string;
  /** What it expects, in words (`role/ci-runner by ci-runner`). */
  target: string;
  /** ISO time the window ends. */
  until: string;
  by: AuditActor;
  note: string;
}

/** Where the active mutes and expectations come from, once those features exist: each is optional. */
export interface HomeSources {
  mutes?: { active(now: Date): Promise<HomeMute[]> };
  /**
   * Every active quarantine whatever its age (up to `limit`); without it only those of the last
   * {@link HOME_HISTORY_DAYS} days' changes are found.
   */
  quarantines?: { active(limit: number): Promise<HomeQuarantine[]> };
  expectations?: { active(now: Date): Promise<HomeExpectation[]> };
}

/**
 * An active quarantine as the Home tab shows it: the change's id and the quarantine record — kept on the store's
 * own list, so a quarantine still shows after its change's item expired (a stored change is one of these too).
 */
export interface HomeQuarantine {
  change: { eventId: string };
  quarantine?: QuarantineRecord;
  /**
   * True when the change's item expired (the table's TTL) and `quarantine` is the copy the list kept when it was
   * last written: the bot can no longer vouch for it (it may have been lifted by hand since) nor lift it by its
   * change, which is gone.
   */
  expired?: boolean;
}

/** Everything the Home tab shows, for one viewer. */
export interface HomeFacts {
  viewer: { userId: string; responder: boolean };
  /** ISO time the facts were read. */
  now: string;
  /** Open alerts of the last {@link HOME_WINDOW_DAYS} days, most severe first, newest first within a level. */
  open: RespondedChange[];
  /** How many open alerts there are in all (`open` lists at most {@link HOME_LIST_LIMIT}). */
  openCount: number;
  /** The last seven days' counts from the daily counters. */
  week: { total: number; failed: number; byLevel: Partial<Record<RiskLevel, number>> };
  /** The CIS 4.4 status as last checked; absent when it never was. */
  cis?: CachedCisStatus;
  /** Callers quarantined now (every active one the store lists, and those of the last days' changes). */
  quarantines: HomeQuarantine[];
  /** The last reverts (done, failed or in progress), newest first. */
  reverts: RespondedChange[];
  mutes: HomeMute[];
  expectations: HomeExpectation[];
  /** Parts that could not be read, in words: the tab still shows the rest. */
  problems: string[];
}

/** Publishes a viewer's Home tab. Throws when Slack refuses. */
export interface HomeSurface {
  publishHome(facts: HomeFacts): Promise<void>;
}

/** Days of alerts the open list covers (the counters' week as well). */
export const HOME_WINDOW_DAYS = 7;
/** Days of changes read for quarantines and reverts. */
export const HOME_HISTORY_DAYS = 30;
/** Items a Home list shows at most. */
export const HOME_LIST_LIMIT = 10;
/** Changes read from the store for one Home at most. */
const HOME_READ_LIMIT = 1000;

const SEVERITY: Record<RiskLevel, number> = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };

/** What the Home use case is built from. */
export interface HomeDependencies {
  changes: Pick<ChangeQueries, 'changesBetween'>;
  stats: Pick<StatsStore, 'read'>;
  cisStatus?: Pick<CisStatusCache, 'latest'>;
  sources?: HomeSources;
  /** Whether a Slack user may revert and quarantine (only they see action buttons). */
  isResponder(userId: string): Promise<boolean>;
  clock: Clock;
}

function message(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}

/** Gathers a viewer's Home facts; each part that fails is named in `problems` rather than failing the tab. */
export class HomeService {
  constructor(private readonly deps: HomeDependencies) {}

  async factsFor(userId: string): Promise<HomeFacts> {
    const now = this.deps.clock.now();
    const problems: string[] = [];
    const attempt = async <T>(what: string, read: () => Promise<T>, fallback: T): Promise<T> => {
      try {
        return await read();
      } catch (error: unknown) {
        problems.push(`${what} could not be read: ${message(error)}`);
        return fallback;
      }
    };
    const since = (days: number) => new Date(now.getTime() - days * 86_400_000).toISOString();
    const [responder, recent, days, cis, mutes, expectations, quarantined] = await Promise.all([
      this.deps.isResponder(userId).catch(() => false),
      attempt(
        'recent changes',
        () => this.deps.changes.changesBetween(since(HOME_HISTORY_DAYS), now.toISOString(), HOME_READ_LIMIT),
        [] as RespondedChange[],
      ),
      attempt(
        'the daily counters',
        () => this.deps.stats.read(since(HOME_WINDOW_DAYS - 1), now.toISOString()),
        [],
      ),
      attempt('the CIS 4.4 status', async () => this.deps.cisStatus?.latest(), undefined),
      attempt('the mutes', async () => (await this.deps.sources?.mutes?.active(now)) ?? [], []),
      attempt('the expectations', async () => (await this.deps.sources?.expectations?.active(now)) ?? [], []),
      attempt(
        'the quarantines',
        async () => (await this.deps.sources?.quarantines?.active(HOME_LIST_LIMIT)) ?? [],
        [] as HomeQuarantine[],
      ),
    ]);
    // Active quarantines of any age, then any of the recent changes' the list did not name (kept before it existed).
    const quarantines = [...quarantined];
    for (const stored of recent) {
      if (stored.quarantine?.status !== 'active') continue;
      if (!quarantines.some((known) => known.change.eventId === stored.change.eventId))
        quarantines.push(stored);
    }
    const weekStart = since(HOME_WINDOW_DAYS);
    const open = recent
      .filter((stored) => stored.change.eventTime >= weekStart && stored.slack !== undefined)
      // The actor's own "Yes" keeps an alert here until a responder acknowledges or reverts it.
      .filter((stored) => {
        const state = alertStateOf(stored);
        return state.handling === 'open' || state.status === 'confirmed';
      })
      .sort(
        (left, right) =>
          SEVERITY[left.change.risk.level] - SEVERITY[right.change.risk.level] ||
          right.change.eventTime.localeCompare(left.change.eventTime),
      );
    const reverts = recent
      .filter((stored) => stored.revert !== undefined && stored.revert.status !== 'refused')
      .sort((left, right) =>
        (right.revert?.finishedAt ?? right.revert?.at ?? '').localeCompare(
          left.revert?.finishedAt ?? left.revert?.at ?? '',
        ),
      );
    const byLevel: Partial<Record<RiskLevel, number>> = {};
    for (const day of days) {
      for (const [level, count] of Object.entries(day.byLevel) as Array<[RiskLevel, number]>) {
        byLevel[level] = (byLevel[level] ?? 0) + count;
      }
    }
    const facts: HomeFacts = {
      viewer: { userId, responder },
      now: now.toISOString(),
      open: open.slice(0, HOME_LIST_LIMIT),
      openCount: open.length,
      week: {
        total: days.reduce((sum, day) => sum + day.total, 0),
        failed: days.reduce((sum, day) => sum + day.failed, 0),
        byLevel,
      },
      quarantines: quarantines.slice(0, HOME_LIST_LIMIT),
      reverts: reverts.slice(0, 5),
      mutes: mutes.slice(0, HOME_LIST_LIMIT),
      expectations: expectations.slice(0, HOME_LIST_LIMIT),
      problems,
    };
    if (cis) facts.cis = cis;
    return facts;
  }
}
