/**
 * The alarm half of the notify use case: a CloudWatch alarm's state change on the alerts topic becomes one summary
 * naming the calls behind it (found in the metric filters' log groups, else in CloudTrail), posted once however many
 * deliveries of it run at the same time, and followed while the alarm stays in ALARM. {@link NotifyService} loads
 * this module with the first alarm of a process: an IAM event never loads how alarms are read, classified and
 * searched, nor the filter-pattern evaluator.
 */
import { readAlarm } from '../domain/alarm';
import { classifyAlarm } from '../domain/alarm-kind';
import { selectsCis44Calls } from '../domain/cis44-coverage';
import { CIS44_EVENT_NAMES } from '../domain/events';
import {
  type FilterPattern,
  FilterPatternError,
  matchesFilterPattern,
  parseFilterPattern,
} from '../domain/filter-pattern';
import {
  type CloudTrailRecord,
  type CloudWatchAlarmMessage,
  InputError,
  type UnreadablePart,
} from '../domain/input';
import type { AlarmEvent } from '../domain/types';
import type { AccountFacts } from './account-directory';
import { type AlarmCall, type AlarmSummary, SlackMessageGoneError } from './alert-port';
import type { NotifyDependencies, NotifyGates, NotifyResult } from './notify-service';
import type { StoredAlarm, StoredChange } from './ports';

/** Updates of an alarm's summary one {@link AlarmNotifier.showLaterCalls} makes before leaving it to the next run. */
const MAX_SUMMARY_UPDATES = 5;

/** The summary's count of later calls could not be brought up to the count kept (it kept rising). */
export class SummaryUpdateError extends Error {
  override name = 'SummaryUpdateError';
}

/**
 * Delivers one CloudTrail record found behind an alarm through the notify path (claimed by event id first), handing
 * one that cannot be read to `unreadable`; resolves to the stored change when there is one.
 */
export type RecordDelivery = (
  record: CloudTrailRecord,
  result: NotifyResult,
  deadline: number,
  unreadable: (reason: string) => void,
  gates: NotifyGates,
) => Promise<StoredChange | undefined>;

/** Posts, updates and follows alarm summaries for the notify use case, on the same dependencies. */
export class AlarmNotifier {
  private readonly deps: NotifyDependencies;
  private readonly log: NonNullable<NotifyDependencies['log']>;
  private readonly deliverRecord: RecordDelivery;

  constructor(options: {
    deps: NotifyDependencies;
    log: NonNullable<NotifyDependencies['log']>;
    deliverRecord: RecordDelivery;
  }) {
    this.deps = options.deps;
    this.log = options.log;
    this.deliverRecord = options.deliverRecord;
  }

  /**
   * One alarm message of a notification: read (one that cannot be read is handed to `setAside` with the reason),
   * then its summary posted once, claimed under `owner` (the invocation).
   */
  async receive(
    message: CloudWatchAlarmMessage,
    result: NotifyResult,
    deadline: number,
    owner: string,
    setAside: UnreadablePart[],
    gates: NotifyGates,
  ): Promise<void> {
    let alarm: AlarmEvent;
    try {
      alarm = readAlarm(message);
    } catch (error: unknown) {
      if (!(error instanceof InputError)) throw error;
      setAside.push({ reason: error.message, input: message });
      return;
    }
    await this.processAlarm(alarm, result, deadline, owner, gates);
  }

  /** The alarm's account as the directory names it, to spread into its summary (nothing when unknown). */
  private async alarmAccount(alarm: AlarmEvent): Promise<{ account?: AccountFacts }> {
    const directory = this.deps.accounts;
    if (!directory || !alarm.accountId) return {};
    const account = await directory.describe(alarm.accountId);
    return account.name || account.ouPath ? { account } : {};
  }

  /**
   * Posts an alarm state change's summary once, however many deliveries of it run at the same time: only the
   * invocation holding its claim posts. Another delivery meanwhile leaves it be — the holder's own retries keep
   * the notification — and a claim left by an invocation that died is taken over once it expires. A holder that
   * fails gives the claim up, so the retry of any delivery may post at once.
   */
  private async processAlarm(
    received: AlarmEvent,
    result: NotifyResult,
    deadline: number,
    owner: string,
    gates: NotifyGates = {},
  ): Promise<void> {
    const { store, clock, settings } = this.deps;
    const kind = await this.classifyAlarm(received);
    if (!kind.cis44 && settings.otherAlarms === 'skip') {
      const reason = `alarm ${received.name} (${received.state}) skipped: not a CIS 4.4 alarm, ${kind.reason}`;
      result.skipped.push({ eventName: received.name, eventSource: 'cloudwatch', reason });
      result.alarms.push({ name: received.name, state: received.state, calls: 0, source: 'skipped' });
      this.log('alarm skipped', { alarm: received.name, reason: kind.reason });
      return;
    }
    const alarm = kind.cis44 ? received : { ...received, notCis44: kind.reason };
    const now = clock.now();
    const until = new Date(now.getTime() + (settings.alarmClaimSeconds ?? 900) * 1000);
    const claim = await store.claimAlarm(alarm, { owner, until }, now);
    if (!claim.claimed) {
      const posted = claim.record.summary === 'posted' || claim.record.slack !== undefined;
      result.alarms.push({
        name: alarm.name,
        state: alarm.state,
        calls: claim.record.calls.length,
        source: posted ? 'duplicate' : 'claimed-elsewhere',
      });
      return;
    }
    try {
      await this.postAlarm(alarm, result, deadline, gates);
    } catch (error: unknown) {
      await store.releaseAlarm(alarm, owner).catch((release: unknown) => {
        this.log('alarm claim not released; it is taken over once it expires', {
          alarm: alarm.name,
          error: release instanceof Error ? release.message : String(release),
        });
      });
      throw error;
    }
  }

  private async postAlarm(
    alarm: AlarmEvent,
    result: NotifyResult,
    deadline: number,
    gates: NotifyGates = {},
  ): Promise<void> {
    const { store, clock, slack, settings } = this.deps;
    if (alarm.state !== 'ALARM') {
      // The calls up to this state change are searched before it is marked done: a failure retries the whole.
      await this.deps.followUp?.closed(alarm, deadline);
      const earlier = await store.latestAlarmOccurrence(alarm.name, alarm.stateChangeTime);
      if (earlier?.slack && !earlier.resolvedAt) {
        try {
          await slack.updateAlarm(earlier.slack, { ...(await this.summaryOf(earlier)), resolvedBy: alarm });
          await slack.postThreadNote(
            { channel: earlier.slack.channel, threadTs: earlier.slack.ts },
            { kind: 'alarm-state', alarmName: alarm.name, state: alarm.state },
          );
        } catch (error: unknown) {
          // Deleted or archived: no redelivery of this notification could mark it, so it is resolved in the store.
          if (!(error instanceof SlackMessageGoneError)) throw error;
          this.log('the alarm summary is no longer in Slack; marked resolved in the store only', {
            alarm: alarm.name,
            error: error.message,
          });
        }
        await store.updateAlarm(
          earlier.alarm,
          { resolvedAt: alarm.stateChangeTime, resolvedState: alarm.state },
          clock.now(),
        );
      }
      await store.updateAlarm(
        alarm,
        { source: 'none', slack: earlier?.slack, summary: 'posted' },
        clock.now(),
      );
      result.alarms.push({ name: alarm.name, state: alarm.state, calls: 0, source: 'none' });
      return;
    }

    if (alarm.notCis44 !== undefined) {
      // Not IAM changes: no calls to look for. The message names the alarm's metric and says why.
      const ref = await slack.postAlarm(settings.defaultChannel, {
        alarm,
        ...(await this.alarmAccount(alarm)),
        calls: [],
        source: 'none',
      });
      await store.updateAlarm(alarm, { slack: ref, source: 'none', summary: 'posted' }, clock.now());
      result.alarms.push({ name: alarm.name, state: alarm.state, calls: 0, source: 'not-cis44' });
      return;
    }
    const { records, source, sources } = await this.findAlarmCalls(alarm);
    // Followed from the end of this window before the summary is posted: a failure here retries the whole.
    if (sources.length > 0) await this.deps.followUp?.opened(alarm, sources, records);
    const calls: AlarmCall[] = [];
    for (const record of records) {
      const stored = await this.deliverRecord(
        record,
        result,
        deadline,
        (reason) => {
          // Found in CloudTrail's own logs, which keep it: noted, not kept again.
          result.skipped.push({ eventName: record.eventName, eventSource: record.eventSource, reason });
          this.log('record behind the alarm not readable', { alarm: alarm.name, reason });
        },
        gates,
      );
      if (stored) calls.push({ change: stored.change });
    }
    const linked = await Promise.all(
      calls.slice(0, 20).map(async (call) => {
        const stored = await store.getChange(call.change.eventId);
        const permalink = stored?.slack ? await slack.permalink(stored.slack) : undefined;
        return permalink ? { change: call.change, permalink } : { change: call.change };
      }),
    );
    const listed = [...linked, ...calls.slice(20).map((call) => ({ change: call.change }))];
    const ref = await slack.postAlarm(settings.defaultChannel, {
      alarm,
      ...(await this.alarmAccount(alarm)),
      calls: listed,
      source,
    });
    await store.updateAlarm(
      alarm,
      { slack: ref, calls: calls.map((call) => call.change.eventId), source, summary: 'posted' },
      clock.now(),
    );
    result.alarms.push({ name: alarm.name, state: alarm.state, calls: calls.length, source });
  }

  /**
   * The records a metric filter really counts. CloudWatch Logs already applied the pattern; evaluating it again
   * keeps the summary exact where an endpoint applies it loosely (moto_server ignores JSON patterns).
   */
  private keepMatching(records: CloudTrailRecord[], pattern: string): CloudTrailRecord[] {
    let parsed: FilterPattern;
    try {
      parsed = parseFilterPattern(pattern);
    } catch (error: unknown) {
      if (!(error instanceof FilterPatternError)) throw error;
      this.log('metric filter pattern not understood; listing every record found', {
        pattern,
        error: error.message,
      });
      return records;
    }
    return records.filter((record) =>
      matchesFilterPattern(parsed, { message: JSON.stringify(record), json: record }),
    );
  }

  /** A CIS 4.4 alarm, or another alarm sharing the topic (its metric's filters say which). */
  private async classifyAlarm(alarm: AlarmEvent): Promise<ReturnType<typeof classifyAlarm>> {
    const configured = this.deps.settings.cisAlarmNames ?? [];
    let filters: { filterName: string; countsIamChanges: boolean }[] | undefined;
    if (!configured.includes(alarm.name) && alarm.metricNamespace && alarm.metricName) {
      try {
        const found = await this.deps.logs.metricFilters(alarm.metricNamespace, alarm.metricName);
        filters = found.map((filter) => ({
          filterName: filter.filterName,
          countsIamChanges: selectsCis44Calls(filter.filterPattern),
        }));
      } catch (error: unknown) {
        this.log('metric filters of the alarm not readable; taken as a CIS 4.4 alarm', {
          alarm: alarm.name,
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
    return classifyAlarm(alarm, filters, configured);
  }

  /** A stored alarm summary's facts again, with its calls, to update it in place. */
  private async summaryOf(record: StoredAlarm): Promise<AlarmSummary> {
    const calls = await Promise.all(
      record.calls.slice(0, 100).map((eventId) => this.deps.store.getChange(eventId)),
    );
    const listed = calls
      .filter((entry): entry is StoredChange => entry !== undefined)
      .map((entry) => ({ change: entry.change }));
    return {
      alarm: record.alarm,
      ...(await this.alarmAccount(record.alarm)),
      calls: listed,
      source: record.source ?? 'none',
      ...(record.laterCalls ? { laterCalls: record.laterCalls } : {}),
      ...(record.resolvedAt
        ? {
            resolvedBy: {
              ...record.alarm,
              state: record.resolvedState ?? 'OK',
              stateChangeTime: record.resolvedAt,
            },
          }
        : {}),
    };
  }

  /** The ALARM occurrence that went into ALARM at `openedAt` (the follow-up's cursor's), when stored. */
  private async alarmOpenedAt(alarmName: string, openedAt: string): Promise<StoredAlarm | undefined> {
    const opened = Date.parse(openedAt);
    const record = await this.deps.store.latestAlarmOccurrence(alarmName, new Date(opened + 1).toISOString());
    return record && Date.parse(record.alarm.stateChangeTime) === opened ? record : undefined;
  }

  /**
   * Records calls the follow-up found (and handed to the notify path's `deliverRecords`) as later calls of the
   * alarm that went into ALARM at `openedAt`: one record per call, so a call found again is recorded once; calls its
   * summary lists are not later calls. Returns how many were new. The count is derived from these records by
   * {@link showLaterCalls}, so a run cut short after recording loses nothing.
   */
  async recordLaterCalls(alarmName: string, openedAt: string, eventIds: readonly string[]): Promise<number> {
    const { store, clock } = this.deps;
    const record = await this.alarmOpenedAt(alarmName, openedAt);
    if (!record) return 0;
    const listed = new Set(record.calls);
    const later = eventIds.filter((eventId) => !listed.has(eventId));
    if (later.length === 0) return 0;
    return store.recordLaterCalls(record.alarm, later, clock.now());
  }

  /**
   * Keeps the alarm's count of later calls: counts the recorded later calls afresh and raises the count kept on the
   * alarm to it (never lowers it), so a stale recount changes nothing. Store only; idempotent.
   *
   * An alarm already followed before later calls were recorded one by one keeps its old added-up count when that is
   * higher: calls found again in the follow-up's overlap are recorded now, so adding the two could count a call
   * twice. Such an occurrence may show fewer later calls than were made (README, upgrade); later ones are exact.
   */
  async keepLaterCallsCount(alarmName: string, openedAt: string): Promise<void> {
    const { store, clock } = this.deps;
    const record = await this.alarmOpenedAt(alarmName, openedAt);
    if (!record) return;
    const counted = await store.countLaterCalls(record.alarm);
    if (counted > (record.laterCalls ?? 0)) {
      await store.raiseAlarmCount(record.alarm, 'laterCalls', counted, clock.now());
    }
  }

  /**
   * Updates the alarm's summary in place while it shows fewer later calls than the count kept. Two runs may show
   * at once and Slack may apply their updates in either order, so after each update the alarm is read again and,
   * if its count rose past the one just shown, shown again: the last update to land is followed by a read that
   * sees the latest count. `shownLaterCalls` only spares an update when the summary already shows the count.
   */
  async showLaterCalls(alarmName: string, openedAt: string): Promise<void> {
    const { store, clock } = this.deps;
    let shown: number | undefined;
    for (let attempt = 0; attempt < MAX_SUMMARY_UPDATES; attempt += 1) {
      const record = await this.alarmOpenedAt(alarmName, openedAt);
      const total = record?.laterCalls ?? 0;
      if (!record?.slack || total === 0 || total <= (shown ?? record.shownLaterCalls ?? 0)) return;
      await this.deps.slack.updateAlarm(record.slack, await this.summaryOf(record));
      shown = total;
      await store.raiseAlarmCount(record.alarm, 'shownLaterCalls', total, clock.now());
    }
    throw new SummaryUpdateError(
      `alarm ${alarmName}: its count of later calls kept rising while the summary was updated`,
    );
  }

  /**
   * The calls behind an alarm: the metric filters feeding its metric, searched over the alarm window in their log
   * groups; CloudTrail `LookupEvents` when there is no filter or its log group can't be read.
   */
  private async findAlarmCalls(alarm: AlarmEvent): Promise<{
    records: CloudTrailRecord[];
    source: 'cloudwatch-logs' | 'cloudtrail' | 'none';
    /** The log groups and patterns searched, when the search was theirs. */
    sources: Array<{ logGroupName: string; filterPattern: string }>;
  }> {
    const start = new Date(alarm.windowStart);
    const end = new Date(alarm.windowEnd);
    if (alarm.metricNamespace && alarm.metricName) {
      try {
        const filters = await this.deps.logs.metricFilters(alarm.metricNamespace, alarm.metricName);
        if (filters.length > 0) {
          const found = await Promise.all(
            filters.map(async (filter) =>
              this.keepMatching(
                await this.deps.logs.searchRecords(filter.logGroupName, filter.filterPattern, start, end),
                filter.filterPattern,
              ),
            ),
          );
          return {
            records: found.flat(),
            source: 'cloudwatch-logs',
            sources: filters.map(({ logGroupName, filterPattern }) => ({ logGroupName, filterPattern })),
          };
        }
      } catch (error: unknown) {
        this.log('log group search failed; falling back to CloudTrail LookupEvents', {
          alarm: alarm.name,
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
    try {
      return {
        records: await this.deps.trail.iamEvents(start, end, CIS44_EVENT_NAMES),
        source: 'cloudtrail',
        sources: [],
      };
    } catch (error: unknown) {
      this.log('CloudTrail LookupEvents failed', {
        alarm: alarm.name,
        error: error instanceof Error ? error.message : String(error),
      });
      return { records: [], source: 'none', sources: [] };
    }
  }
}
