/**
 * The notice that a member account's forwarding was stopped, attacked the ways it can be made noisy or hidden: SNS
 * delivering the same call again, a loop of refused calls, a stop that succeeds after refused attempts. Real
 * components: the notify path on dynalite and the local Slack server, several services on one table standing for
 * several Lambda containers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ForwardingNotices, noticeGroupOf, noticeKindOf } from '../../src/app/forwarding-notices';
import { forwardingStopOf } from '../../src/domain/forwarding';
import type { CloudTrailRecord } from '../../src/domain/input';
import { SlackAlertChannel } from '../../src/slack/slack-alert-channel';
import { createSlackClient, WebApiSlackGateway } from '../../src/slack/web-api-gateway';
import { DynamoForwardingNoticeStore } from '../../src/store/dynamo-forwarding-notices';
import { cloudTrailRecord } from '../support/cloudtrail';
import {
  type Components,
  eventBridgeNotification,
  notifyServiceOn,
  startComponents,
} from '../support/notify-harness';
import type { StoredMessage } from '../support/slack-server';

const CRITICAL = '#fwd-critical';

let components: Components;

beforeAll(async () => {
  components = await startComponents();
});

afterAll(async () => {
  await components?.stop();
});

let accounts = 0;
/** A fresh member account id, so each test reads only its own notices in the shared channel. */
function newAccount(): string {
  accounts += 1;
  return `9000000${String(accounts).padStart(5, '0')}`;
}

/** A `DeleteRule` (or another call) on the forwarding rule of `account`, refused when `errorCode` is given. */
function stopCall(
  account: string,
  options: { errorCode?: string; caller?: string; eventName?: string; second?: number } = {},
): CloudTrailRecord {
  const caller = options.caller ?? 'mallory';
  const second = options.second ?? 0;
  return cloudTrailRecord(
    options.eventName ?? 'DeleteRule',
    { name: 'iam-changes-forward' },
    {
      eventSource: 'events.amazonaws.com',
      recipientAccountId: account,
      eventTime: new Date(Date.UTC(2026, 10, 20, 14, 0, 0) + second * 1000).toISOString(),
      userIdentity: {
        type: 'AssumedRole',
        principalId: `AROAEXAMPLE:${caller}`,
        arn: `arn:aws:sts::${account}:assumed-role/Admin/${caller}`,
        accountId: account,
      },
      ...(options.errorCode ? { errorCode: options.errorCode, errorMessage: 'not authorized' } : {}),
    },
  );
}

/** The top-level messages in the notices' channel about `account`. */
function noticesAbout(account: string): StoredMessage[] {
  return components.slack.topLevel(CRITICAL).filter((message) => message.text.includes(account));
}

/**
 * What an invocation `owner` wrote before dying holding the group's lease of `record`'s call: the call claimed,
 * counted in its group, the group's lease taken.
 */
async function diedHoldingTheGroup(
  store: DynamoForwardingNoticeStore | undefined,
  record: CloudTrailRecord,
  owner: string,
): Promise<void> {
  const stop = forwardingStopOf(record);
  if (!store || !stop) throw new Error('no store, or not a forwarding stop');
  const now = new Date();
  const until = new Date(now.getTime() + 120_000);
  await store.claimCall(stop.eventId, owner, until, now);
  const { group } = await store.joinGroup(
    stop,
    noticeKindOf(stop),
    noticeGroupOf(stop),
    now,
    new Date(now.getTime() + 3_600_000),
  );
  await store.markCounted(stop.eventId, owner, group.groupId);
  expect(await store.acquireGroupLease(stop.accountId, noticeGroupOf(stop), owner, now, until)).toBe(true);
}

async function services(count: number) {
  const tableName = await components.dynalite.createTable();
  return Promise.all(
    Array.from({ length: count }, () =>
      notifyServiceOn(components, { tableName, settings: { channelByLevel: { critical: CRITICAL } } }),
    ),
  );
}

describe('forwarding-stop notices', () => {
  it('posts nothing new when SNS delivers the same call again, one after the other or at once', async () => {
    const [first, second] = await services(2);
    const account = newAccount();
    const notification = eventBridgeNotification(stopCall(account));

    const results = await Promise.all([
      first?.service.process(notification),
      second?.service.process(notification),
    ]);
    const again = await first?.service.process(notification);

    expect(noticesAbout(account)).toHaveLength(1);
    expect(results.flatMap((result) => result?.posted ?? [])).toHaveLength(1);
    expect(again?.posted).toEqual([]);
    expect(again?.duplicates).toHaveLength(1);
    // Nothing counted twice: the notice still speaks of one call.
    expect(JSON.stringify(noticesAbout(account)[0]?.blocks)).not.toContain('calls that stop it');
  });

  it('turns a loop of 200 refused DeleteRule calls into one notice with the running count and the last caller', async () => {
    const containers = await services(4);
    const account = newAccount();
    const calls = Array.from({ length: 200 }, (_, i) =>
      stopCall(account, {
        errorCode: 'AccessDenied',
        caller: i === 199 ? 'last-caller' : 'mallory',
        second: i,
      }),
    );

    // Four containers at once, each taking every fourth call.
    await Promise.all(
      containers.map(async ({ service }, index) => {
        for (const call of calls.filter((_, i) => i % containers.length === index)) {
          await service.process(eventBridgeNotification(call));
        }
      }),
    );

    const notices = noticesAbout(account);
    expect(notices).toHaveLength(1);
    const [notice] = notices as [StoredMessage];
    expect(notice.text).toContain('Attempt to stop: IAM change forwarding');
    expect(notice.text).toContain('200 refused attempts');
    expect(notice.text).not.toContain('<!here>');
    const blocks = JSON.stringify(notice.blocks);
    expect(blocks).toContain('*200 refused attempts* in this account');
    expect(blocks).toContain(`arn:aws:sts::${account}:assumed-role/Admin/last-caller`);
    expect(notice.updates).toBeGreaterThan(0);
    // Nothing in its thread either: updated in place.
    expect(components.slack.thread(notice.ts)).toEqual([]);
  }, 120_000);

  it('gives a stop that succeeded after refused attempts a notice of its own, with @here', async () => {
    const [notify] = await services(1);
    const account = newAccount();
    for (let i = 0; i < 3; i += 1) {
      await notify?.service.process(
        eventBridgeNotification(stopCall(account, { errorCode: 'AccessDenied', second: i })),
      );
    }
    const success = stopCall(account, { caller: 'admin-with-rights', second: 10 });

    const result = await notify?.service.process(eventBridgeNotification(success));

    expect(result?.posted).toEqual([success.eventID]);
    const notices = noticesAbout(account);
    expect(notices).toHaveLength(2);
    const [attempts, stopped] = notices as [StoredMessage, StoredMessage];
    expect(attempts.text).toContain('Attempt to stop');
    expect(attempts.text).toContain('3 refused attempts');
    expect(stopped.text).toContain(`<!here> Stopped: IAM change forwarding from account ${account}`);
    expect(JSON.stringify(stopped.blocks)).toContain('admin-with-rights');

    // A refused attempt after the stop is counted with the attempts, never folded into the stop's notice.
    await notify?.service.process(
      eventBridgeNotification(stopCall(account, { errorCode: 'AccessDenied', second: 20 })),
    );
    expect(noticesAbout(account)).toHaveLength(2);
    expect(noticesAbout(account)[0]?.text).toContain('4 refused attempts');
    expect(noticesAbout(account)[1]?.text).not.toContain('calls that stop it');
  });

  it('gives another account its own notice, and a rewrite its own beside a stop', async () => {
    const [notify] = await services(1);
    const one = newAccount();
    const other = newAccount();
    await notify?.service.process(eventBridgeNotification(stopCall(one, { errorCode: 'AccessDenied' })));
    await notify?.service.process(eventBridgeNotification(stopCall(other, { errorCode: 'AccessDenied' })));
    await notify?.service.process(eventBridgeNotification(stopCall(one, { eventName: 'PutTargets' })));
    await notify?.service.process(eventBridgeNotification(stopCall(one, { eventName: 'DisableRule' })));

    expect(noticesAbout(other)).toHaveLength(1);
    expect(noticesAbout(one).map((message) => message.text.split(':')[0])).toEqual([
      'Attempt to stop',
      '<!here> Rewritten',
      '<!here> Stopped',
    ]);
  });

  it('posts the notice once when Slack fails at first, and counts the call once when SNS delivers it again', async () => {
    const [notify] = await services(1);
    const account = newAccount();
    const notification = eventBridgeNotification(stopCall(account, { errorCode: 'AccessDenied' }));
    components.slack.failNext('chat.postMessage', { ok: false, error: 'channel_not_found' });

    await expect(notify?.service.process(notification, Number.POSITIVE_INFINITY, 'try-1')).rejects.toThrow();
    expect(noticesAbout(account)).toHaveLength(0);

    await notify?.service.process(notification, Number.POSITIVE_INFINITY, 'try-2');
    await notify?.service.process(notification, Number.POSITIVE_INFINITY, 'try-3');

    expect(noticesAbout(account)).toHaveLength(1);
    expect(noticesAbout(account)[0]?.text).not.toContain('refused attempts');
  });

  it('posts the notice on the retry of an invocation that died holding the group, which takes it back', async () => {
    const [notify] = await services(1);
    const account = newAccount();
    const record = stopCall(account);
    // The invocation `req-1` claimed the call, counted it and took the group's lease, then died before posting
    // (a Lambda timeout): its store writes, as it made them.
    await diedHoldingTheGroup(notify?.forwardingNotices, record, 'req-1');

    // Lambda retries it with the same request id.
    const retry = await notify?.service.process(
      eventBridgeNotification(record),
      Number.POSITIVE_INFINITY,
      'req-1',
    );

    expect(retry?.duplicates).toEqual([]);
    expect(noticesAbout(account)).toHaveLength(1);
    expect(noticesAbout(account)[0]?.text).toContain(
      `<!here> Stopped: IAM change forwarding from account ${account}`,
    );
    // Handled now: another delivery posts nothing more.
    await notify?.service.process(eventBridgeNotification(record), Number.POSITIVE_INFINITY, 'req-9');
    expect(noticesAbout(account)).toHaveLength(1);
  });

  it('never takes a notice another invocation died before posting as told: the call fails and its retry posts it', async () => {
    const tableName = await components.dynalite.createTable();
    const settings = { channelByLevel: { critical: CRITICAL } };
    const notify = await notifyServiceOn(components, { tableName, settings });
    const account = newAccount();
    const first = stopCall(account, { second: 0 });
    const second = stopCall(account, { second: 5 });
    await diedHoldingTheGroup(notify.forwardingNotices, first, 'dead-invocation');

    // The next call of the same kind finds the group held and its notice unposted: it waits, then fails at its
    // deadline rather than finishing a call whose notice nobody posted.
    await expect(
      notify.service.process(eventBridgeNotification(second), Date.now() + 1_000, 'req-2'),
    ).rejects.toThrow(/not posted by the deadline/);
    expect(noticesAbout(account)).toEqual([]);

    // Its retry, once the dead invocation's lease is over: the notice, counting both calls.
    const later = await notifyServiceOn(components, {
      tableName,
      settings,
      now: () => new Date(Date.now() + 10 * 60_000),
    });
    await later.service.process(eventBridgeNotification(second), Number.POSITIVE_INFINITY, 'req-2');
    expect(noticesAbout(account)).toHaveLength(1);
    expect(noticesAbout(account)[0]?.text).toContain('2 calls that stop it');
    // The dead invocation's own retry finds it shown.
    await later.service.process(eventBridgeNotification(first), Number.POSITIVE_INFINITY, 'dead-invocation');
    expect(noticesAbout(account)).toHaveLength(1);
  });

  it('spaces the updates of a notice by the count interval across invocations, each refused call being one', async () => {
    const tableName = await components.dynalite.createTable();
    const store = new DynamoForwardingNoticeStore(components.dynalite.documentClient, { tableName });
    const slack = new SlackAlertChannel(
      new WebApiSlackGateway(
        createSlackClient({ token: 'xoxb-test-token', slackApiUrl: components.slack.url, retries: 0 }),
      ),
    );
    let time = Date.UTC(2026, 10, 20, 14, 0, 0);
    const waits: number[] = [];
    // Each refused call is its own Lambda invocation: nothing of the one before is kept in memory.
    const invocation = () =>
      new ForwardingNotices({
        store,
        slack,
        clock: { now: () => new Date(time) },
        sleep: async (ms) => {
          waits.push(ms);
          time += ms;
        },
        settings: { channel: CRITICAL, mentionOnCritical: true, countIntervalSeconds: 30 },
      });
    const account = newAccount();
    for (let i = 0; i < 4; i += 1) {
      const stop = forwardingStopOf(stopCall(account, { errorCode: 'AccessDenied', second: i }));
      if (!stop) throw new Error('not a forwarding stop');
      await invocation().report(stop, `req-${i}`);
      time += 1_000;
    }

    const [notice] = noticesAbout(account) as [StoredMessage];
    expect(notice.text).toContain('4 refused attempts');
    // Three updates after the post, each 30 s (on the clock) after the one before, whoever made it.
    expect(notice.updates).toBe(3);
    expect(waits).toEqual([29_000, 29_000, 29_000]);
  });

  it("never counts one caller's rewrite or stop in another's notice: a StackSet redeploy, then an attacker", async () => {
    const [notify] = await services(1);
    const account = newAccount();
    const stackSet = 'stacksets-exec-0123456789abcdef';
    // The StackSet redeploys the member template: a rewrite notice (as it should, it says so).
    await notify?.service.process(
      eventBridgeNotification(stopCall(account, { eventName: 'PutTargets', caller: stackSet })),
    );
    // Within the hour, someone else aims the forwarding elsewhere, twice.
    await notify?.service.process(
      eventBridgeNotification(stopCall(account, { eventName: 'PutTargets', caller: 'mallory', second: 60 })),
    );
    await notify?.service.process(
      eventBridgeNotification(stopCall(account, { eventName: 'PutTargets', caller: 'mallory', second: 61 })),
    );

    const notices = noticesAbout(account);
    expect(notices).toHaveLength(2);
    const [redeploy, attack] = notices as [StoredMessage, StoredMessage];
    expect(redeploy.text).toContain('<!here> Rewritten');
    expect(JSON.stringify(redeploy.blocks)).toContain(stackSet);
    expect(JSON.stringify(redeploy.blocks)).not.toContain('mallory');
    expect(attack.text).toContain('<!here> Rewritten');
    expect(attack.text).toContain('2 rewrites');
    expect(JSON.stringify(attack.blocks)).toContain('mallory');
  });
});
