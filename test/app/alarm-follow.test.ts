/**
 * The alarm follow-up on real components: CloudWatch Logs on moto_server (records put as CloudTrail writes them,
 * searched with FilterLogEvents), the store and the cursors on dynalite, and the local Slack server. The clock is
 * the test's, moved between the scheduled runs; the log events are put when CloudTrail would deliver them.
 */
import { CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type AlarmFollowPort, AlarmFollowService, FollowUpError } from '../../src/app/alarm-follow';
import type { NotifyService } from '../../src/app/notify-service';
import { CloudWatchLogsSearch } from '../../src/aws/cloudwatch-logs-search';
import { CIS44_FILTER_PATTERN } from '../../src/domain/filter-pattern';
import type { CloudTrailRecord } from '../../src/domain/input';
import { SlackAlertChannel } from '../../src/slack/slack-alert-channel';
import { DynamoAlarmCursorStore } from '../../src/store/dynamo-alarm-cursors';
import type { DynamoChangeStore } from '../../src/store/dynamo-change-store';
import { cloudTrailRecord } from '../support/cloudtrail';
import {
  alarmNotification,
  CHANNEL,
  type Components,
  cloudTrailLogGroup,
  eventBridgeNotification,
  notifyServiceOn,
  startComponents,
} from '../support/notify-harness';

const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const TRAIL_ACCOUNT = '111122223333';
const MEMBER = '444455556666';
const MINUTE = 60_000;

let components: Components;

beforeAll(async () => {
  components = await startComponents();
}, 60_000);

afterAll(async () => {
  await components?.stop();
});

/** A five-minute period that started 90 minutes ago, so every call of a test is in CloudWatch Logs' past. */
function basePeriod(): Date {
  return new Date(Math.floor((Date.now() - 90 * MINUTE) / (5 * MINUTE)) * 5 * MINUTE);
}

/** A critical call (its own message) by a user named `name`, at `minutes` after `base`. */
function call(name: string, base: Date, minutes: number, overrides: Partial<CloudTrailRecord> = {}) {
  return cloudTrailRecord(
    'AttachUserPolicy',
    { userName: name, policyArn: ADMIN },
    {
      eventTime: new Date(base.getTime() + minutes * MINUTE).toISOString().replace('.000Z', 'Z'),
      ...overrides,
    },
  );
}

/** An organisation trail's record of a call in a member account: the change is that account's. */
function memberCall(name: string, base: Date, minutes: number) {
  return call(name, base, minutes, {
    recipientAccountId: MEMBER,
    userIdentity: {
      type: 'AssumedRole',
      principalId: 'AROAMEMBER:deployer',
      arn: `arn:aws:sts::${MEMBER}:assumed-role/deployer/ci`,
      accountId: MEMBER,
      sessionContext: {
        sessionIssuer: { type: 'Role', arn: `arn:aws:iam::${MEMBER}:role/deployer`, userName: 'deployer' },
      },
    },
  });
}

let streams = 0;

/** Delivers records to the log group, as CloudTrail does minutes after the calls (a new stream each time). */
async function deliver(logGroupName: string, records: CloudTrailRecord[]) {
  streams += 1;
  const logStreamName = `${TRAIL_ACCOUNT}_CloudTrail_us-east-1_${streams}`;
  await components.logs.send(new CreateLogStreamCommand({ logGroupName, logStreamName }));
  await components.logs.send(
    new PutLogEventsCommand({
      logGroupName,
      logStreamName,
      logEvents: records
        .map((record) => ({
          timestamp: Date.parse(String(record.eventTime)),
          message: JSON.stringify(record),
        }))
        .sort((left, right) => left.timestamp - right.timestamp),
    }),
  );
}

/** The notify path and the follow-up on one table, sharing a clock the test moves. */
async function followedNotify(clock: { now: Date }, tableName?: string) {
  let follow: AlarmFollowService | undefined;
  const port: AlarmFollowPort = {
    opened: (...args) => (follow as AlarmFollowService).opened(...args),
    closed: (...args) => (follow as AlarmFollowService).closed(...args),
  };
  const notify = await notifyServiceOn(components, {
    now: () => clock.now,
    followUp: port,
    ...(tableName ? { tableName } : {}),
  });
  const cursors = new DynamoAlarmCursorStore(components.dynalite.documentClient, {
    tableName: notify.tableName,
  });
  follow = new AlarmFollowService({
    cursors,
    logs: new CloudWatchLogsSearch(components.logs),
    deliver: async (records, deadline) =>
      (await (notify.service as NotifyService).deliverRecords(records, deadline)).changes,
    summaries: notify.service as NotifyService,
    clock: { now: () => clock.now },
  });
  return { ...notify, follow, cursors };
}

/** The alarm's summary message as the channel holds it now (updated in place). */
function summaryOf(metricName: string) {
  const summaries = components.slack
    .topLevel(CHANNEL)
    .filter(
      (message) => message.text.includes('CIS-4.4-') && JSON.stringify(message.blocks).includes(metricName),
    );
  return summaries.at(-1);
}

/** Top-level alerts naming this user (the alarm summaries, which list calls too, left out). */
function alertsFor(name: string) {
  return components.slack
    .topLevel(CHANNEL)
    .filter((message) => message.text.includes(name) && !message.text.includes('CIS-4.4-'));
}

async function deliveryOf(store: DynamoChangeStore, record: CloudTrailRecord) {
  return (await store.getChange(String(record.eventID)))?.delivery;
}

describe('AlarmFollowService', () => {
  it('posts the calls that arrive over three scheduled runs while in ALARM, each once, and stops after OK', async () => {
    const base = basePeriod();
    const at = (minutes: number) => new Date(base.getTime() + minutes * MINUTE);
    const clock = { now: at(7) };
    const first = call('fl-first', base, 1);
    const group = await cloudTrailLogGroup(components, [first], 'Followed');
    const { service, store, follow, cursors } = await followedNotify(clock);

    await service.process(alarmNotification({ metricName: 'Followed', periodStart: base }));
    expect(alertsFor('fl-first')).toHaveLength(1);
    expect((await cursors.activeCursors()).map((cursor) => cursor.state)).toEqual(['open']);

    // Run 1: one call made after the alarm fired.
    const second = call('fl-second', base, 9);
    await deliver(group, [second]);
    clock.now = at(10);
    const [run1] = await follow.run(Number.POSITIVE_INFINITY);
    expect(run1).toMatchObject({ handedOver: 1, state: 'open' });
    expect(summaryOf('Followed')?.text).toContain('1 later call');

    // Run 2: a call in this account and one an organisation trail recorded in a member account.
    const third = call('fl-third', base, 12);
    const member = memberCall('fl-member', base, 14);
    await deliver(group, [third, member]);
    // The EventBridge path delivers one call before the log group has it.
    const viaEventBridge = call('fl-eventbridge', base, 14);
    await service.process(eventBridgeNotification(viaEventBridge));
    clock.now = at(15);
    await follow.run(Number.POSITIVE_INFINITY);

    // Run 3: a call made before run 2 that reached the log group late, and the EventBridge call reaching it too.
    const late = call('fl-late', base, 13);
    await deliver(group, [late, viaEventBridge]);
    clock.now = at(20);
    const [run3] = await follow.run(Number.POSITIVE_INFINITY);
    expect(run3?.state).toBe('open');

    for (const name of ['fl-first', 'fl-second', 'fl-third', 'fl-member', 'fl-eventbridge', 'fl-late']) {
      expect({ name, alerts: alertsFor(name).length }).toEqual({ name, alerts: 1 });
    }
    const stored = await store.getChange(String(member.eventID));
    expect(stored?.change.accountId).toBe(MEMBER);

    // OK at minute 22: the calls up to it are searched at once; one after it is not the alarm's.
    const beforeOk = call('fl-before-ok', base, 21);
    const afterOk = call('fl-after-ok', base, 23);
    await deliver(group, [beforeOk, afterOk]);
    clock.now = at(23);
    await service.process(
      alarmNotification({ metricName: 'Followed', periodStart: base, state: 'OK', stateChangeTime: at(22) }),
    );
    expect(alertsFor('fl-before-ok')).toHaveLength(1);
    expect(await deliveryOf(store, afterOk)).toBeUndefined();
    expect((await cursors.activeCursors()).map((cursor) => cursor.state)).toEqual(['closing']);

    // A call made before the OK that reaches the log group after it is still found, by the last run.
    const straggler = call('fl-straggler', base, 21.5);
    await deliver(group, [straggler]);
    clock.now = at(40);
    await follow.run(Number.POSITIVE_INFINITY);
    expect(alertsFor('fl-straggler')).toHaveLength(1);
    // The summary counts every call found after it once (fl-first is its own): the EventBridge call too.
    const summary = summaryOf('Followed');
    expect(summary?.text).toContain('7 later calls');
    expect(summary?.text).toMatch(/^\[resolved\]/);
    expect(JSON.stringify(summary?.blocks)).toContain('7 more calls found since this summary');
    expect(await cursors.activeCursors()).toEqual([]);
    expect(await deliveryOf(store, afterOk)).toBeUndefined();
    // Nothing is in ALARM: a run finds nothing to do.
    expect(await follow.run(Number.POSITIVE_INFINITY)).toEqual([]);
  });

  it('posts nothing twice and misses nothing when a scheduled run and the OK run at once', async () => {
    const base = basePeriod();
    const at = (minutes: number) => new Date(base.getTime() + minutes * MINUTE);
    const clock = { now: at(7) };
    const group = await cloudTrailLogGroup(components, [call('cc-first', base, 1)], 'Concurrent');
    const one = await followedNotify(clock);
    // Another Lambda container on the same table: the scheduled function.
    const other = await followedNotify(clock, one.tableName);
    await one.service.process(alarmNotification({ metricName: 'Concurrent', periodStart: base }));

    const calls = Array.from({ length: 6 }, (_, index) => call(`cc-call-${index}`, base, 8 + index));
    await deliver(group, calls);
    clock.now = at(20);
    await Promise.all([
      other.follow.run(Number.POSITIVE_INFINITY),
      one.follow.run(Number.POSITIVE_INFINITY),
      one.service.process(
        alarmNotification({
          metricName: 'Concurrent',
          periodStart: base,
          state: 'OK',
          stateChangeTime: at(19),
        }),
      ),
    ]);
    for (const index of calls.keys()) {
      expect({ index, alerts: alertsFor(`cc-call-${index}`).length }).toEqual({ index, alerts: 1 });
    }
    const [cursor] = await one.cursors.activeCursors();
    expect(cursor).toMatchObject({ state: 'closing', closeAt: at(19).toISOString() });
    expect(Date.parse(cursor?.searchedUntil ?? '')).toBeGreaterThanOrEqual(at(19).getTime());
  });

  it('catches up in bounded searches after runs were missed, posting every call', async () => {
    const base = basePeriod();
    const at = (minutes: number) => new Date(base.getTime() + minutes * MINUTE);
    const clock = { now: at(7) };
    const group = await cloudTrailLogGroup(components, [call('cu-first', base, 1)], 'CaughtUp');
    const { service, follow } = await followedNotify(clock);
    await service.process(alarmNotification({ metricName: 'CaughtUp', periodStart: base }));
    await deliver(group, [call('cu-a', base, 20), call('cu-b', base, 50), call('cu-c', base, 80)]);

    clock.now = at(88);
    const [outcome] = await follow.run(Number.POSITIVE_INFINITY);

    expect(outcome?.searches).toBeGreaterThanOrEqual(3);
    expect(outcome?.handedOver).toBe(3);
    for (const name of ['cu-a', 'cu-b', 'cu-c'])
      expect({ name, alerts: alertsFor(name).length }).toEqual({ name, alerts: 1 });
  });

  it('follows nothing for an alarm whose calls were not found in a log group', async () => {
    const base = basePeriod();
    const clock = { now: new Date(base.getTime() + 7 * MINUTE) };
    const { service, cursors } = await followedNotify(clock);
    await service.process(alarmNotification({ metricName: 'NoLogGroup', periodStart: base }));
    expect(await cursors.activeCursors()).toEqual([]);
  });

  describe('a window holding more records than one search keeps', () => {
    /** A log group with `count` calls made at `minuteOf(index)` after `base`, put as CloudTrail would. */
    async function crowdedGroup(base: Date, count: number, minuteOf: (index: number) => number) {
      const group = await cloudTrailLogGroup(components, [], `Crowded${Date.now()}`);
      const records = Array.from({ length: count }, (_, index) =>
        call(`crowd-${index}`, base, minuteOf(index)),
      );
      // PutLogEvents takes at most 1 MB a request.
      for (let start = 0; start < records.length; start += 500) {
        await deliver(group, records.slice(start, start + 500));
      }
      return { group, ids: records.map((record) => String(record.eventID)) };
    }

    /** The follow-up alone on a cursor opened at `base`, its calls handed to a sink that keeps their ids. */
    async function followOn(group: string, base: Date, now: Date, options: { recordsPerPass?: number } = {}) {
      const tableName = await components.dynalite.createTable();
      const cursors = new DynamoAlarmCursorStore(components.dynalite.documentClient, { tableName });
      const alarmName = `crowded-${tableName}`;
      await cursors.saveCursor(
        {
          alarmName,
          openedAt: base.toISOString(),
          sources: [{ logGroupName: group, filterPattern: CIS44_FILTER_PATTERN }],
          searchedUntil: base.toISOString(),
          boundary: [],
          state: 'open',
          version: 1,
        },
        undefined,
      );
      const handed: string[] = [];
      const follow = new AlarmFollowService({
        cursors,
        logs: new CloudWatchLogsSearch(components.logs, { pageSize: 2000 }),
        deliver: async (records) => {
          handed.push(...records.map((record) => String(record.eventID)));
          return [];
        },
        clock: { now: () => now },
        ...options,
      });
      return { follow, handed };
    }

    it('splits a window of 10,050 calls and hands every one over once', async () => {
      const base = basePeriod();
      const { group, ids } = await crowdedGroup(base, 10_050, (index) => 1 + (index % 600) / 60);
      const { follow, handed } = await followOn(group, base, new Date(base.getTime() + 12 * MINUTE));

      const [outcome] = await follow.run(Number.POSITIVE_INFINITY);

      expect(outcome?.searches).toBeGreaterThan(1);
      expect(handed).toHaveLength(ids.length);
      expect(new Set(handed)).toEqual(new Set(ids));
    }, 300_000);

    it('pages on through calls of one second that no split can separate', async () => {
      const base = basePeriod();
      const { group, ids } = await crowdedGroup(base, 1_200, () => 1);
      const { follow, handed } = await followOn(
        group,
        // The cursor stopped just before the calls: the window past it cannot be split below a second.
        new Date(base.getTime() + MINUTE - 500),
        new Date(base.getTime() + MINUTE + 400),
        { recordsPerPass: 250 },
      );

      await follow.run(Number.POSITIVE_INFINITY);

      expect(handed).toHaveLength(ids.length);
      expect(new Set(handed)).toEqual(new Set(ids));
    }, 120_000);
  });

  describe('the count of later calls on the summary is exact, whatever step a run is cut at', () => {
    afterEach(() => {
      vi.restoreAllMocks();
    });

    /** An alarm fired on `fc-first-<tag>`, then two calls made after its summary, in the log group. */
    async function alarmWithTwoLaterCalls(tag: string) {
      const base = basePeriod();
      const at = (minutes: number) => new Date(base.getTime() + minutes * MINUTE);
      const clock = { now: at(7) };
      const metric = `Exact${tag}`;
      const group = await cloudTrailLogGroup(components, [call(`fc-first-${tag}`, base, 1)], metric);
      const followed = await followedNotify(clock);
      await followed.service.process(alarmNotification({ metricName: metric, periodStart: base }));
      await deliver(group, [call(`fc-a-${tag}`, base, 8), call(`fc-b-${tag}`, base, 9)]);
      clock.now = at(10);
      const text = () => summaryOf(metric)?.text ?? '';
      return { ...followed, base, at, clock, group, metric, text };
    }

    it('a run whose recording of the calls fails part way leaves the cursor and fails; the next run counts 2, not 4', async () => {
      const alarm = await alarmWithTwoLaterCalls('Recorded');
      const [before] = await alarm.cursors.activeCursors();
      // The calls are recorded, then the store fails (as if the run were cut right after the write).
      const record = alarm.store.recordLaterCalls.bind(alarm.store);
      vi.spyOn(alarm.store, 'recordLaterCalls').mockImplementationOnce(async (...args) => {
        await record(...args);
        throw new Error('ProvisionedThroughputExceededException');
      });

      await expect(alarm.follow.run(Number.POSITIVE_INFINITY)).rejects.toThrow(FollowUpError);
      expect(alertsFor('fc-a-Recorded')).toHaveLength(1);
      expect(alertsFor('fc-b-Recorded')).toHaveLength(1);
      const [after] = await alarm.cursors.activeCursors();
      expect(after?.searchedUntil).toBe(before?.searchedUntil);

      alarm.clock.now = alarm.at(11);
      await alarm.follow.run(Number.POSITIVE_INFINITY);
      expect(alarm.text()).toContain('2 later calls');
      alarm.clock.now = alarm.at(12);
      await alarm.follow.run(Number.POSITIVE_INFINITY);
      expect(alarm.text()).toContain('2 later calls');
      expect(alertsFor('fc-a-Recorded')).toHaveLength(1);
    });

    it('a run whose recording fails outright posts the calls anyway, fails, and the next run counts them', async () => {
      const alarm = await alarmWithTwoLaterCalls('Unrecorded');
      vi.spyOn(alarm.store, 'recordLaterCalls').mockRejectedValueOnce(new Error('InternalServerError'));

      await expect(alarm.follow.run(Number.POSITIVE_INFINITY)).rejects.toThrow(
        /could not be recorded as later calls/,
      );
      expect(alertsFor('fc-a-Unrecorded')).toHaveLength(1);
      expect(alarm.text()).not.toContain('later call');

      alarm.clock.now = alarm.at(11);
      await alarm.follow.run(Number.POSITIVE_INFINITY);
      expect(alarm.text()).toContain('2 later calls');
      expect(alertsFor('fc-b-Unrecorded')).toHaveLength(1);
    });

    it.each([
      ['counting the records fails', 'countLaterCalls'],
      ['keeping the count fails', 'raiseAlarmCount'],
    ] as const)(
      'when %s, the run fails and the next run that finds nothing new completes the count',
      async (_case, method) => {
        const alarm = await alarmWithTwoLaterCalls(`Step${method}`);
        vi.spyOn(alarm.store, method).mockRejectedValueOnce(new Error('RequestLimitExceeded'));

        await expect(alarm.follow.run(Number.POSITIVE_INFINITY)).rejects.toThrow(/could not be counted/);
        expect(alarm.text()).not.toContain('later call');

        alarm.clock.now = alarm.at(11);
        const [outcome] = await alarm.follow.run(Number.POSITIVE_INFINITY);
        expect(outcome?.handedOver).toBe(0);
        expect(alarm.text()).toContain('2 later calls');
      },
    );

    it('when Slack refuses the summary update, the next run shows the count kept', async () => {
      const alarm = await alarmWithTwoLaterCalls('SlackDown');
      components.slack.failNext('chat.update', { ok: false, error: 'internal_error' });

      await alarm.follow.run(Number.POSITIVE_INFINITY);
      expect(alarm.text()).not.toContain('later call');

      alarm.clock.now = alarm.at(11);
      await alarm.follow.run(Number.POSITIVE_INFINITY);
      expect(alarm.text()).toContain('2 later calls');
    });

    it('a run out of time while paging on is completed by the next run, every call counted once', async () => {
      const alarm = await alarmWithTwoLaterCalls('Deadline');
      await deliver(alarm.group, [call('fc-c-Deadline', alarm.base, 9.5)]);
      // The follow-up alone, one call a pass, on a clock past the deadline after the first hand-over.
      const ticking = { now: alarm.at(10) };
      const follow = new AlarmFollowService({
        cursors: alarm.cursors,
        logs: new CloudWatchLogsSearch(components.logs),
        deliver: async (records, deadline) => {
          const delivered = await (alarm.service as NotifyService).deliverRecords(records, deadline);
          ticking.now = new Date(ticking.now.getTime() + MINUTE);
          return delivered.changes;
        },
        summaries: alarm.service as NotifyService,
        recordsPerPass: 1,
        clock: { now: () => ticking.now },
      });

      const [cut] = await follow.run(alarm.at(10).getTime() + 30_000);
      expect(cut?.handedOver).toBe(1);
      expect(alarm.text()).not.toContain('3 later calls');

      await follow.run(Number.POSITIVE_INFINITY);
      expect(alarm.text()).toContain('3 later calls');
      for (const name of ['fc-a-Deadline', 'fc-b-Deadline', 'fc-c-Deadline'])
        expect({ name, alerts: alertsFor(name).length }).toEqual({ name, alerts: 1 });
    });

    it('a closing cursor whose count cannot be kept stays open, failing, until a run completes it', async () => {
      const alarm = await alarmWithTwoLaterCalls('Closing');
      vi.spyOn(alarm.store, 'countLaterCalls').mockRejectedValue(new Error('ServiceUnavailable'));
      const ok = alarmNotification({
        metricName: alarm.metric,
        periodStart: alarm.base,
        state: 'OK',
        stateChangeTime: alarm.at(11),
      });
      alarm.clock.now = alarm.at(12);
      // The OK notification fails (SNS delivers it again), its cursor closing.
      await expect(alarm.service.process(ok)).rejects.toThrow(FollowUpError);
      alarm.clock.now = alarm.at(40);
      await expect(alarm.follow.run(Number.POSITIVE_INFINITY)).rejects.toThrow(FollowUpError);
      expect((await alarm.cursors.activeCursors()).map((cursor) => cursor.state)).toEqual(['closing']);
      expect(alarm.text()).not.toContain('later call');

      vi.restoreAllMocks();
      alarm.clock.now = alarm.at(41);
      await alarm.follow.run(Number.POSITIVE_INFINITY);
      expect(await alarm.cursors.activeCursors()).toEqual([]);
      expect(alarm.text()).toContain('2 later calls');
      await alarm.service.process(ok);
      expect(alarm.text()).toMatch(/^\[resolved\].*2 later calls/);
    });

    it('a summary Slack no longer has (deleted) neither fails the OK nor keeps the cursor from closing after the overlap', async () => {
      const alarm = await alarmWithTwoLaterCalls('Deleted');
      await alarm.follow.run(Number.POSITIVE_INFINITY);
      expect(alarm.text()).toContain('2 later calls');
      // Someone deletes the summary; a call made before the OK reaches the log group late.
      const summary = summaryOf(alarm.metric);
      components.slack.messages.splice(components.slack.messages.indexOf(summary as never), 1);
      alarm.clock.now = alarm.at(12);
      await alarm.service.process(
        alarmNotification({
          metricName: alarm.metric,
          periodStart: alarm.base,
          state: 'OK',
          stateChangeTime: alarm.at(11),
        }),
      );
      const name = `CIS-4.4-${alarm.metric}`;
      expect((await alarm.store.latestAlarmOccurrence(name, alarm.at(11).toISOString()))?.resolvedAt).toBe(
        alarm.at(11).toISOString(),
      );
      expect((await alarm.cursors.activeCursors()).map((cursor) => cursor.state)).toEqual(['closing']);
      await deliver(alarm.group, [call('fc-late-Deleted', alarm.base, 10.5)]);

      alarm.clock.now = alarm.at(40);
      await alarm.follow.run(Number.POSITIVE_INFINITY);

      expect(await alarm.cursors.activeCursors()).toEqual([]);
      expect(alertsFor('fc-late-Deleted')).toHaveLength(1);
      expect((await alarm.store.latestAlarmOccurrence(name, alarm.at(11).toISOString()))?.laterCalls).toBe(3);
    });

    it('a call the notify path sets aside (an Organizations CreatePolicy the CIS 4.4 pattern matches) is not counted', async () => {
      const alarm = await alarmWithTwoLaterCalls('Organizations');
      const organizations = cloudTrailRecord(
        'CreatePolicy',
        { name: 'deny-leaving', type: 'SERVICE_CONTROL_POLICY', content: '{}' },
        {
          eventSource: 'organizations.amazonaws.com',
          eventTime: new Date(alarm.at(8.5).getTime()).toISOString().replace('.000Z', 'Z'),
        },
      );
      await deliver(alarm.group, [organizations]);

      await alarm.follow.run(Number.POSITIVE_INFINITY);

      expect(alarm.text()).toContain('2 later calls');
      const kept = await alarm.store.latestAlarmOccurrence(
        `CIS-4.4-${alarm.metric}`,
        alarm.at(10).toISOString(),
      );
      expect(kept?.laterCalls).toBe(2);
    });

    it('two runs showing the count at once leave the summary at the higher count, whatever order Slack applies them in', async () => {
      const alarm = await alarmWithTwoLaterCalls('Overlap');
      await alarm.follow.run(Number.POSITIVE_INFINITY);
      expect(alarm.text()).toContain('2 later calls');
      const [cursor] = await alarm.cursors.activeCursors();
      const { alarmName, openedAt } = cursor as { alarmName: string; openedAt: string };
      const more = async (ids: string[]) => {
        await alarm.service.recordLaterCalls(alarmName, openedAt, ids);
        await alarm.service.keepLaterCallsCount(alarmName, openedAt);
      };
      // Run A's update (5) reaches Slack only after run B's (7); A then records what it showed before B does.
      let releaseA = () => {};
      const heldA = new Promise<void>((resolve) => {
        releaseA = resolve;
      });
      let releaseB = () => {};
      const heldB = new Promise<void>((resolve) => {
        releaseB = resolve;
      });
      const update = SlackAlertChannel.prototype.updateAlarm;
      let updates = 0;
      vi.spyOn(SlackAlertChannel.prototype, 'updateAlarm').mockImplementation(async function (
        this: SlackAlertChannel,
        ...args
      ) {
        updates += 1;
        if (updates === 1) await heldA;
        return update.apply(this, args);
      });
      const raise = alarm.store.raiseAlarmCount.bind(alarm.store);
      let bHeld = false;
      vi.spyOn(alarm.store, 'raiseAlarmCount').mockImplementation(async (...args) => {
        if (args[1] === 'shownLaterCalls' && args[2] === 7 && !bHeld) {
          bHeld = true;
          await heldB;
        }
        return raise(...args);
      });

      await more(['x-1', 'x-2', 'x-3']);
      const runA = alarm.service.showLaterCalls(alarmName, openedAt);
      await vi.waitFor(() => expect(updates).toBe(1));
      await more(['x-4', 'x-5']);
      const runB = alarm.service.showLaterCalls(alarmName, openedAt);
      await vi.waitFor(() => expect(bHeld).toBe(true));
      expect(alarm.text()).toContain('7 later calls');
      releaseA();
      await runA;
      releaseB();
      await runB;

      expect(alarm.text()).toContain('7 later calls');
    });
  });
});
