/**
 * The notice that a member account's forwarding was stopped, attacked the ways it can be made noisy or hidden: SNS
 * delivering the same call again, a loop of refused calls, a stop that succeeds after refused attempts. Real
 * components: the notify path on dynalite and the local Slack server, several services on one table standing for
 * several Lambda containers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CloudTrailRecord } from '../../src/domain/input';
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
});
