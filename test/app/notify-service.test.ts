import {
  AccessAnalyzerClient,
  AccessDeniedException,
  ThrottlingException,
  ValidatePolicyCommand,
} from '@aws-sdk/client-accessanalyzer';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeadLetterError, DeliveryIncompleteError } from '../../src/app/notify-service';
import { redrive } from '../../src/app/redrive';
import { AccessAnalyzerPolicyValidator } from '../../src/aws/access-analyzer-validator';
import { SqsDeadLetterQueue, SqsDeadLetterSink } from '../../src/aws/sqs-dead-letter-queue';
import { readAlarm } from '../../src/domain/alarm';
import { InputError, readInput } from '../../src/domain/input';
import { SlackDeliveryError } from '../../src/slack/web-api-gateway';
import { assertBlockKitLimits } from '../support/block-kit-limits';
import { cloudTrailRecord } from '../support/cloudtrail';
import { awsTestEnv } from '../support/moto';
import {
  alarmNotification,
  CHANNEL,
  type Components,
  cloudTrailLogGroup,
  eventBridgeNotification,
  notifyServiceOn,
  snsEvent,
  startComponents,
} from '../support/notify-harness';
import { PERMALINK_ORIGIN } from '../support/slack-server';

const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';

/**
 * Alarms no metric filter feeds in these tests: CIS 4.4 alarms only because they are configured as such
 * (`CIS_ALARM_NAMES`), as an alarm on a filter in another account or region must be.
 */
const CONFIGURED = {
  cisAlarmNames: ['NoFilterHere', 'Empty', 'DiedHolding', 'RetriedHolder', 'SlackDown'].map(
    (metric) => `CIS-4.4-${metric}`,
  ),
};

let components: Components;

beforeAll(async () => {
  components = await startComponents();
});

afterAll(async () => {
  await components?.stop();
});

/** The start of a five-minute period a little in the past (moto refuses log events older than 14 days). */
function recentPeriod(): Date {
  const fiveMinutes = 5 * 60_000;
  return new Date(Math.floor((Date.now() - 20 * 60_000) / fiveMinutes) * fiveMinutes);
}

function at(start: Date, seconds: number): string {
  return new Date(start.getTime() + seconds * 1000).toISOString().replace('.000Z', 'Z');
}

function terraformRecord(eventName: string, params: Record<string, unknown>, eventTime: string) {
  return cloudTrailRecord(eventName, params, {
    eventTime,
    userIdentity: {
      type: 'AssumedRole',
      principalId: 'AROAEXAMPLETF:terraform-apply',
      arn: 'arn:aws:sts::111122223333:assumed-role/terraform-ci/terraform-apply',
      accountId: '111122223333',
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          arn: 'arn:aws:iam::111122223333:role/terraform-ci',
          accountId: '111122223333',
          userName: 'terraform-ci',
        },
        attributes: { creationDate: eventTime, mfaAuthenticated: 'false' },
      },
    },
    userAgent:
      'APN/1.0 HashiCorp/1.0 Terraform/1.9.5 (+https://www.terraform.io) terraform-provider-aws/5.70.0',
  });
}

function inlineDocument(action: string, resource: string): string {
  return JSON.stringify(
    { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: action, Resource: resource }] },
    null,
    2,
  );
}

describe('NotifyService', () => {
  it('posts one message for a change delivered three times, and counts it once', async () => {
    const { service, store, stats } = await notifyServiceOn(components);
    const record = cloudTrailRecord('AttachRolePolicy', { roleName: 'redelivered', policyArn: ADMIN });
    const before = components.slack.topLevel(CHANNEL).length;

    const results = [];
    for (let attempt = 0; attempt < 3; attempt++)
      results.push(await service.process(eventBridgeNotification(record)));

    expect(results.map((result) => result.posted.length)).toEqual([1, 0, 0]);
    expect(results.map((result) => result.duplicates.length)).toEqual([0, 1, 1]);
    const posted = components.slack.topLevel(CHANNEL).slice(before);
    expect(posted).toHaveLength(1);
    expect(posted[0]?.text).toContain('AdministratorAccess');
    expect((await store.getChange(String(record.eventID)))?.delivery).toBe('delivered');
    const day = String(record.eventTime).slice(0, 10);
    const [counted] = await stats.read(`${day}T00:00:00Z`, `${day}T23:59:59Z`);
    expect(counted?.total).toBe(1);
    expect(counted?.byEvent.AttachRolePolicy).toBe(1);
  });

  it('posts one message when the same change is delivered concurrently', async () => {
    const { service } = await notifyServiceOn(components);
    const record = cloudTrailRecord('AttachUserPolicy', { userName: 'racer', policyArn: ADMIN });
    const before = components.slack.topLevel(CHANNEL).length;

    await Promise.all([1, 2, 3, 4].map(() => service.process(eventBridgeNotification(record))));

    expect(components.slack.topLevel(CHANNEL).slice(before)).toHaveLength(1);
  });

  it('names the three calls behind a CIS 4.4 alarm and posts each once', async () => {
    const period = recentPeriod();
    const calls = [
      cloudTrailRecord(
        'AttachRolePolicy',
        { roleName: 'alarm-a', policyArn: ADMIN },
        { eventTime: at(period, 30) },
      ),
      cloudTrailRecord(
        'PutUserPolicy',
        {
          userName: 'alarm-b',
          policyName: 'inline',
          policyDocument: inlineDocument('s3:GetObject', 'arn:aws:s3:::bucket/*'),
        },
        { eventTime: at(period, 90) },
      ),
      cloudTrailRecord(
        'CreatePolicyVersion',
        {
          policyArn: 'arn:aws:iam::111122223333:policy/alarm-c',
          policyDocument: inlineDocument('iam:PassRole', '*'),
          setAsDefault: true,
        },
        {
          eventTime: at(period, 150),
          responseElements: { policyVersion: { versionId: 'v2', isDefaultVersion: true } },
        },
      ),
    ];
    // Outside the breaching period: must not be listed.
    const earlier = cloudTrailRecord(
      'AttachRolePolicy',
      { roleName: 'alarm-old', policyArn: ADMIN },
      { eventTime: at(period, -600) },
    );
    // In the window but not one of the 16: moto returns it (it ignores JSON filter patterns); the bot must not list it.
    const notCis = cloudTrailRecord(
      'CreateUser',
      { userName: 'alarm-not-cis' },
      { eventTime: at(period, 100) },
    );
    await cloudTrailLogGroup(components, [earlier, notCis, ...calls], 'ThreeCalls');
    const { service, store } = await notifyServiceOn(components);
    const before = components.slack.topLevel(CHANNEL).length;

    const result = await service.process(
      alarmNotification({ metricName: 'ThreeCalls', periodStart: period }),
    );

    expect(result.alarms).toEqual([
      { name: 'CIS-4.4-ThreeCalls', state: 'ALARM', calls: 3, source: 'cloudwatch-logs' },
    ]);
    const posted = components.slack.topLevel(CHANNEL).slice(before);
    const summary = posted.at(-1);
    expect(summary?.text).toContain('CIS-4.4-ThreeCalls');
    const summaryJson = JSON.stringify(summary?.blocks);
    for (const name of ['alarm-a', 'alarm-b', 'alarm-c']) expect(summaryJson).toContain(name);
    expect(summaryJson).not.toContain('alarm-old');
    expect(summaryJson).not.toContain('alarm-not-cis');
    expect(summaryJson).toMatch(/CloudWatch Logs/i);
    // Every call has its own alert too, and the summary links to them.
    for (const call of calls) expect((await store.getChange(String(call.eventID)))?.slack).toBeDefined();
    expect(summaryJson).toContain(`${PERMALINK_ORIGIN}/archives/`);
    assertBlockKitLimits({ text: summary?.text ?? '', blocks: (summary?.blocks ?? []) as never });
  });

  it('gives one alert for a change that arrives by EventBridge and by the alarm, linked from the summary', async () => {
    const period = recentPeriod();
    const record = cloudTrailRecord(
      'AttachGroupPolicy',
      { groupName: 'both-paths', policyArn: ADMIN },
      { eventTime: at(period, 45) },
    );
    await cloudTrailLogGroup(components, [record], 'BothPaths');
    const { service } = await notifyServiceOn(components);
    const before = components.slack.topLevel(CHANNEL).length;

    await service.process(eventBridgeNotification(record));
    const alarm = await service.process(alarmNotification({ metricName: 'BothPaths', periodStart: period }));

    const posted = components.slack.topLevel(CHANNEL).slice(before);
    const alerts = posted.filter(
      (message) => message.text.includes('both-paths') && !message.text.includes('CIS-4.4'),
    );
    expect(alerts).toHaveLength(1);
    expect(alarm.duplicates).toEqual([record.eventID]);
    const summary = posted.find((message) => message.text.includes('CIS-4.4-BothPaths'));
    expect(JSON.stringify(summary?.blocks)).toContain(alerts[0]?.ts.replace('.', ''));
  });

  it('falls back to CloudTrail LookupEvents when no metric filter feeds the alarm, and says so', async () => {
    const period = recentPeriod();
    const record = cloudTrailRecord(
      'DetachRolePolicy',
      { roleName: 'fallback', policyArn: ADMIN },
      { eventTime: at(period, 60) },
    );
    const { service, trailMock } = await notifyServiceOn(components, {
      lookupEvents: [record],
      settings: CONFIGURED,
    });
    const before = components.slack.topLevel(CHANNEL).length;

    const result = await service.process(
      alarmNotification({ metricName: 'NoFilterHere', periodStart: period }),
    );

    expect(result.alarms[0]).toMatchObject({ calls: 1, source: 'cloudtrail' });
    expect(trailMock.calls().length).toBeGreaterThan(0);
    const summary = components.slack.topLevel(CHANNEL).slice(before).at(-1);
    expect(JSON.stringify(summary?.blocks)).toMatch(/LookupEvents|CloudTrail event history/);
  });

  it('posts an alarm no IAM-change filter feeds plainly, naming its metric, without looking for IAM calls', async () => {
    const period = recentPeriod();
    const { service, trailMock } = await notifyServiceOn(components, { lookupEvents: [] });
    const before = components.slack.topLevel(CHANNEL).length;

    const result = await service.process(alarmNotification({ metricName: 'Unrelated', periodStart: period }));

    expect(result.alarms).toEqual([
      { name: 'CIS-4.4-Unrelated', state: 'ALARM', calls: 0, source: 'not-cis44' },
    ]);
    expect(trailMock.calls()).toHaveLength(0);
    const posted = components.slack.topLevel(CHANNEL).slice(before);
    expect(posted).toHaveLength(1);
    const blocks = JSON.stringify(posted[0]?.blocks);
    expect(blocks).not.toContain('IAM policy changes were counted');
    expect(blocks).toContain("`CISBenchmark/Unrelated` crossed the alarm's threshold");
    expect(blocks).toContain(
      'Not a CIS 4.4 alarm: no metric filter on IAM changes feeds CISBenchmark/Unrelated',
    );
  });

  it('skips an alarm that is not a CIS 4.4 alarm when so configured, and says why', async () => {
    const period = recentPeriod();
    const { service, trailMock } = await notifyServiceOn(components, { settings: { otherAlarms: 'skip' } });
    const before = components.slack.messages.length;

    const result = await service.process(alarmNotification({ metricName: 'SkipMe', periodStart: period }));

    expect(components.slack.messages).toHaveLength(before);
    expect(trailMock.calls()).toHaveLength(0);
    expect(result.alarms).toEqual([{ name: 'CIS-4.4-SkipMe', state: 'ALARM', calls: 0, source: 'skipped' }]);
    expect(result.skipped).toEqual([
      {
        eventName: 'CIS-4.4-SkipMe',
        eventSource: 'cloudwatch',
        reason:
          'alarm CIS-4.4-SkipMe (ALARM) skipped: not a CIS 4.4 alarm, no metric filter on IAM changes feeds CISBenchmark/SkipMe',
      },
    ]);
  });

  it('says when nothing was found behind an alarm', async () => {
    const period = recentPeriod();
    const { service } = await notifyServiceOn(components, { lookupEvents: [], settings: CONFIGURED });
    const before = components.slack.topLevel(CHANNEL).length;

    await service.process(alarmNotification({ metricName: 'Empty', periodStart: period }));

    const summary = components.slack.topLevel(CHANNEL).slice(before).at(-1);
    expect(JSON.stringify(summary?.blocks)).toMatch(/no calls found/i);
  });

  it('marks the alarm summary resolved when the alarm returns to OK', async () => {
    const period = recentPeriod();
    const { service } = await notifyServiceOn(components);
    await service.process(alarmNotification({ metricName: 'Resolves', periodStart: period }));
    const summary = components.slack.topLevel(CHANNEL).at(-1);

    await service.process(
      alarmNotification({
        metricName: 'Resolves',
        periodStart: new Date(period.getTime() + 300_000),
        state: 'OK',
        stateChangeTime: new Date(period.getTime() + 12 * 60_000),
      }),
    );

    const updated = components.slack.messages.find((message) => message.ts === summary?.ts);
    expect(updated?.updates).toBe(1);
    expect(updated?.text).toMatch(/^\[resolved\]/);
    expect(components.slack.thread(summary?.ts ?? '')).toHaveLength(1);
  });

  it('posts once when Slack answers 500 and then OK', async () => {
    const { service } = await notifyServiceOn(components);
    const record = cloudTrailRecord('AttachRolePolicy', { roleName: 'flaky-slack', policyArn: ADMIN });
    const before = components.slack.topLevel(CHANNEL).length;
    components.slack.failNext('chat.postMessage', { status: 500 });

    const result = await service.process(eventBridgeNotification(record));

    expect(result.posted).toEqual([record.eventID]);
    expect(components.slack.topLevel(CHANNEL).slice(before)).toHaveLength(1);
  });

  it('fails the invocation and keeps the change undelivered while Slack is down, then posts it on the retry', async () => {
    const { service, store } = await notifyServiceOn(components);
    const record = cloudTrailRecord('AttachRolePolicy', { roleName: 'slack-down', policyArn: ADMIN });
    const before = components.slack.topLevel(CHANNEL).length;
    components.slack.down();
    try {
      await expect(service.process(eventBridgeNotification(record))).rejects.toBeInstanceOf(
        SlackDeliveryError,
      );
    } finally {
      components.slack.up();
    }
    const stored = await store.getChange(String(record.eventID));
    expect(stored?.delivery).toBe('failed');
    expect(stored?.attempts).toBe(1);
    expect(components.slack.topLevel(CHANNEL).slice(before)).toHaveLength(0);

    await service.process(eventBridgeNotification(record));

    expect(components.slack.topLevel(CHANNEL).slice(before)).toHaveLength(1);
    expect((await store.getChange(String(record.eventID)))?.delivery).toBe('delivered');
  });

  it('groups a burst from one Terraform session under one parent with the rest in its thread', async () => {
    const { service, store } = await notifyServiceOn(components, {
      settings: {
        risk: { expectedActors: ['arn:aws:iam::111122223333:role/terraform-ci'], trustedAccounts: [] },
      },
    });
    const start = new Date(Date.now() - 60_000);
    const records = Array.from({ length: 12 }, (_, index) =>
      terraformRecord(
        'PutRolePolicy',
        {
          roleName: `app-${index}`,
          policyName: 'logs',
          policyDocument: inlineDocument('logs:PutLogEvents', 'arn:aws:logs:*:*:log-group:/app/*'),
        },
        at(start, index),
      ),
    );
    const before = components.slack.topLevel(CHANNEL).length;

    await service.process(eventBridgeNotification(records[0] as never));
    await Promise.all(records.slice(1).map((record) => service.process(eventBridgeNotification(record))));

    const parents = components.slack.topLevel(CHANNEL).slice(before);
    expect(parents).toHaveLength(1);
    const parent = parents[0];
    const thread = components.slack.thread(parent?.ts ?? '');
    const listed = JSON.stringify(thread.map((message) => message.blocks));
    for (let index = 1; index < 12; index++) expect(listed).toContain(`role app-${index} `);
    expect(thread.length).toBeLessThan(11);
    expect(parent?.text).toContain('+11 more');
    for (const record of records) {
      expect(['delivered', 'grouped']).toContain((await store.getChange(String(record.eventID)))?.delivery);
    }
  });

  it("keeps a burst parent's acknowledgement when its running count is updated", async () => {
    const { service, store } = await notifyServiceOn(components, {
      settings: {
        risk: { expectedActors: ['arn:aws:iam::111122223333:role/terraform-ci'], trustedAccounts: [] },
      },
    });
    const start = new Date(Date.now() - 30_000);
    const records = Array.from({ length: 3 }, (_, index) =>
      terraformRecord(
        'PutRolePolicy',
        { roleName: `acked-${index}`, policyName: 'logs', policyDocument: inlineDocument('logs:*', '*') },
        at(start, index),
      ),
    );
    await service.process(eventBridgeNotification(records[0] as never));
    const parentId = String(records[0]?.eventID);
    const ack = { by: { slackUserId: 'U0CAROL', name: 'carol' }, at: new Date().toISOString() };
    await store.recordAcknowledgement(parentId, ack, new Date());

    for (const record of records.slice(1)) await service.process(eventBridgeNotification(record));

    const parentTs = (await store.getChange(parentId))?.slack?.ts;
    const parent = components.slack.messages.find((message) => message.ts === parentTs);
    expect(parent?.text).toContain('+2 more');
    expect(JSON.stringify(parent?.blocks)).toContain('Acknowledged* by <@U0CAROL>');
    // Kept on the parent, so the next re-render by a listener or the worker keeps the count too.
    expect((await store.getChange(parentId))?.burstNote?.more).toBe(2);
    expect(JSON.stringify(parent?.blocks)).not.toContain('change.acknowledge');
    assertBlockKitLimits(parent ?? {});
  });

  it('gives critical changes their own message even inside a burst', async () => {
    const { service } = await notifyServiceOn(components);
    const start = new Date(Date.now() - 30_000);
    const low = terraformRecord(
      'PutRolePolicy',
      {
        roleName: 'quiet',
        policyName: 'logs',
        policyDocument: inlineDocument('logs:PutLogEvents', 'arn:aws:logs:*:*:log-group:/q/*'),
      },
      at(start, 0),
    );
    const critical = terraformRecord(
      'AttachRolePolicy',
      { roleName: 'loud', policyArn: ADMIN },
      at(start, 1),
    );
    const before = components.slack.topLevel(CHANNEL).length;

    await service.process(eventBridgeNotification(low));
    await service.process(eventBridgeNotification(critical));

    expect(components.slack.topLevel(CHANNEL).slice(before)).toHaveLength(2);
  });

  it("threads the bot's own IAM calls under the change they revert, without buttons", async () => {
    const botRole = 'arn:aws:iam::111122223333:role/iam-changes-worker-test';
    const { service, botSteps } = await notifyServiceOn(components, {
      settings: { bot: { workerRoleArn: botRole, memberAccounts: [] } },
    });
    // The worker recorded the detach before making it.
    await botSteps.record(
      {
        accountId: '111122223333',
        key: `DetachRolePolicy|roleName=reverted|policyArn=${ADMIN}`,
        at: '2026-11-20T14:04:59.500Z',
      },
      new Date(Date.now() + 3_600_000),
    );
    const change = cloudTrailRecord('AttachRolePolicy', { roleName: 'reverted', policyArn: ADMIN });
    const revert = cloudTrailRecord(
      'DetachRolePolicy',
      { roleName: 'reverted', policyArn: ADMIN },
      {
        eventTime: '2026-11-20T14:05:00Z',
        userIdentity: {
          type: 'AssumedRole',
          arn: 'arn:aws:sts::111122223333:assumed-role/iam-changes-worker-test/revert-1',
          accountId: '111122223333',
          sessionContext: {
            sessionIssuer: { type: 'Role', arn: botRole, userName: 'iam-changes-worker-test' },
          },
        },
      },
    );
    const before = components.slack.topLevel(CHANNEL).length;

    await service.process(eventBridgeNotification(change));
    const result = await service.process(eventBridgeNotification(revert));

    expect(result.ownCalls).toEqual([revert.eventID]);
    const top = components.slack.topLevel(CHANNEL).slice(before);
    expect(top).toHaveLength(1);
    const thread = components.slack.thread(top[0]?.ts ?? '');
    expect(thread).toHaveLength(1);
    expect(thread[0]?.text).toContain('iam-changes');
    expect(JSON.stringify(thread[0]?.blocks ?? [])).not.toContain('"type":"button"');
  });

  it('rejects a notification it cannot read with a one-line input error', async () => {
    const { service } = await notifyServiceOn(components);

    await expect(service.process(snsEvent('not json at all'))).rejects.toThrow(InputError);
    await expect(service.process({ hello: 'world' })).rejects.toThrow(
      /unrecognised input: an object with keys "hello"/,
    );
  });

  it('skips read-only and non-IAM records with the reason', async () => {
    const { service } = await notifyServiceOn(components);
    const read = cloudTrailRecord('GetRolePolicy', { roleName: 'x', policyName: 'y' }, { readOnly: true });
    const organizations = cloudTrailRecord(
      'CreatePolicy',
      { name: 'scp' },
      { eventSource: 'organizations.amazonaws.com' },
    );

    const result = await service.process({ Records: [read, organizations] });

    expect(result.skipped.map((entry) => entry.reason)).toEqual([
      'read-only IAM call',
      'AWS Organizations call (organizations.amazonaws.com), not IAM',
    ]);
    expect(result.posted).toEqual([]);
  });

  it('stops at the deadline with changes still queued and fails so SNS retries', async () => {
    const { service } = await notifyServiceOn(components);
    const start = new Date(Date.now() - 10_000);
    const first = terraformRecord(
      'PutRolePolicy',
      {
        roleName: 'late-0',
        policyName: 'p',
        policyDocument: inlineDocument('logs:PutLogEvents', 'arn:aws:logs:*:*:*'),
      },
      at(start, 0),
    );
    const second = terraformRecord(
      'PutRolePolicy',
      {
        roleName: 'late-1',
        policyName: 'p',
        policyDocument: inlineDocument('logs:PutLogEvents', 'arn:aws:logs:*:*:*'),
      },
      at(start, 1),
    );
    await service.process(eventBridgeNotification(first));

    await expect(service.process(eventBridgeNotification(second), Date.now() - 1)).rejects.toBeInstanceOf(
      DeliveryIncompleteError,
    );
    // The retry, with time to spare, lists it in the thread.
    const retry = await service.process(eventBridgeNotification(second));
    expect(retry.grouped).toEqual([second.eventID]);
  });
});

describe('NotifyService with what it cannot read', () => {
  let sqs: SQSClient;

  beforeAll(() => {
    sqs = new SQSClient(awsTestEnv(components.moto.endpoint));
  });

  afterAll(() => {
    sqs?.destroy();
  });

  async function deadLetterQueue() {
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: `notify-dlq-${crypto.randomUUID()}` }),
    );
    return String(QueueUrl);
  }

  async function messagesIn(queueUrl: string): Promise<number> {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return (
      Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
      Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
    );
  }

  function logLines() {
    const lines: Array<{ message: string; details: Record<string, unknown> }> = [];
    return {
      lines,
      log: (message: string, details?: Record<string, unknown>) => {
        lines.push({ message, details: details ?? {} });
      },
    };
  }

  it('keeps each unreadable record of a batch in the dead-letter queue with its reason and delivers the rest', async () => {
    const queueUrl = await deadLetterQueue();
    const { lines, log } = logLines();
    const { service, tableName } = await notifyServiceOn(components, {
      deadLetters: new SqsDeadLetterSink(sqs, queueUrl),
      log,
    });
    const first = cloudTrailRecord('AttachRolePolicy', { roleName: 'batch-first', policyArn: ADMIN });
    const undated = cloudTrailRecord(
      'AttachRolePolicy',
      { roleName: 'batch-undated', policyArn: ADMIN },
      { eventTime: 'yesterday' },
    );
    const last = cloudTrailRecord('AttachUserPolicy', { userName: 'batch-last', policyArn: ADMIN });
    const before = components.slack.topLevel(CHANNEL).length;

    const result = await service.process(snsEvent({ Records: [first, undated, 'junk', last] }));

    expect(result.posted).toEqual([first.eventID, last.eventID]);
    const reasons = [
      'unreadable record: the CloudTrail eventTime "yesterday" is not a date',
      'Records[2] is not a CloudTrail record (found a string of 4 characters, expected eventName and eventSource)',
    ];
    expect(result.unreadable.map((entry) => entry.reason).sort()).toEqual([...reasons].sort());
    expect(result.unreadable.every((entry) => Boolean(entry.keptAs))).toBe(true);
    const kept = lines.filter((line) => line.message === 'unreadable input kept in the dead-letter queue');
    expect(kept.map((line) => line.details.reason).sort()).toEqual([...reasons].sort());
    expect(kept.map((line) => line.details.keptAs).sort()).toEqual(
      result.unreadable.map((entry) => entry.keptAs).sort(),
    );
    expect(components.slack.topLevel(CHANNEL).length - before).toBe(2);
    expect(await messagesIn(queueUrl)).toBe(2);

    // Read back by a redrive, each is read as the same part again: reported and left in the queue.
    const { service: redriving } = await notifyServiceOn(components, { tableName });
    const redriven = await redrive(new SqsDeadLetterQueue(sqs, queueUrl, 0), redriving, { max: 10 });
    expect(redriven.delivered).toBe(0);
    expect(redriven.failed.map((entry) => entry.error).sort()).toEqual([
      // Alone in its message, the element is the first of its batch.
      'Records[0] is not a CloudTrail record (found a string of 4 characters, expected eventName and eventSource)',
      `still unreadable: ${reasons[0]}`,
    ]);
    expect(await messagesIn(queueUrl)).toBe(2);
  });

  it('keeps a notification that is not JSON, or of no known shape, with one line each and no stack', async () => {
    const queueUrl = await deadLetterQueue();
    const { lines, log } = logLines();
    const { service } = await notifyServiceOn(components, {
      deadLetters: new SqsDeadLetterSink(sqs, queueUrl),
      log,
    });

    const notJson = await service.process(snsEvent('not json at all'));
    const unknown = await service.process({ hello: 'world' });

    expect(notJson.unreadable).toEqual([
      {
        reason: expect.stringMatching(/^the SNS record Message is not JSON: /),
        keptAs: expect.any(String),
      },
    ]);
    expect(unknown.unreadable).toEqual([
      {
        reason: expect.stringMatching(/^unrecognised input: an object with keys "hello"/),
        keptAs: expect.any(String),
      },
    ]);
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(JSON.stringify(line)).not.toMatch(/\\n|\bat .*\.ts:\d+/);
      expect(Object.keys(line.details).sort()).toEqual(['keptAs', 'reason']);
    }
    expect(await messagesIn(queueUrl)).toBe(2);
  });

  it('delivers through redrive what the dead-letter queue keeps once it can be read', async () => {
    const queueUrl = await deadLetterQueue();
    const { service } = await notifyServiceOn(components);
    const record = cloudTrailRecord('AttachRolePolicy', { roleName: 'kept-then-read', policyArn: ADMIN });
    await new SqsDeadLetterSink(sqs, queueUrl).keep(
      eventBridgeNotification(record),
      'an older bot could not read it',
    );
    const before = components.slack.topLevel(CHANNEL).length;

    const result = await redrive(new SqsDeadLetterQueue(sqs, queueUrl, 0), service, { max: 10 });

    expect(result).toEqual({ delivered: 1, failed: [] });
    const posted = components.slack.topLevel(CHANNEL).slice(before);
    expect(posted).toHaveLength(1);
    expect(posted[0]?.text).toContain('kept-then-read');
    expect(await messagesIn(queueUrl)).toBe(0);
  });

  it('fails the whole notification when the dead-letter queue cannot take an unreadable part', async () => {
    const missing = `${await deadLetterQueue()}-deleted`;
    const { service } = await notifyServiceOn(components, {
      deadLetters: new SqsDeadLetterSink(sqs, missing),
    });
    const record = cloudTrailRecord('AttachRolePolicy', { roleName: 'dlq-down', policyArn: ADMIN });

    const processing = service.process(snsEvent({ Records: [record, 'junk'] }));

    await expect(processing).rejects.toBeInstanceOf(DeadLetterError);
    await expect(processing).rejects.toThrow(/Records\[1\] is not a CloudTrail record/);
  });

  it('without a dead-letter queue, logs each unreadable part and delivers the rest', async () => {
    const { lines, log } = logLines();
    const { service } = await notifyServiceOn(components, { log });
    const record = cloudTrailRecord('AttachRolePolicy', { roleName: 'no-dlq', policyArn: ADMIN });

    const result = await service.process(snsEvent({ Records: [record, 'junk'] }));

    expect(result.posted).toEqual([record.eventID]);
    expect(result.unreadable).toEqual([{ reason: expect.stringMatching(/^Records\[1\] is not/) }]);
    expect(lines).toEqual([
      {
        message: 'unreadable input not kept: no dead-letter queue configured',
        details: { reason: result.unreadable[0]?.reason },
      },
    ]);
  });
});

describe('NotifyService with one alarm delivered more than once', () => {
  function noCallsAlarm(metricName: string) {
    // No metric filter feeds it and LookupEvents finds nothing: the summary is its only message.
    return alarmNotification({ metricName, periodStart: recentPeriod() });
  }

  function summariesOf(metricName: string) {
    return components.slack
      .topLevel(CHANNEL)
      .filter((message) => message.text.includes(`CIS-4.4-${metricName}`));
  }

  it('posts one summary for two deliveries of an alarm processed at the same time', async () => {
    const period = recentPeriod();
    const call = cloudTrailRecord(
      'PutUserPolicy',
      { userName: 'twice', policyName: 'p', policyDocument: inlineDocument('s3:*', '*') },
      { eventTime: at(period, 30) },
    );
    await cloudTrailLogGroup(components, [call], 'Twice');
    const one = await notifyServiceOn(components);
    const other = await notifyServiceOn(components, { tableName: one.tableName });
    const message = alarmNotification({ metricName: 'Twice', periodStart: period });

    const results = await Promise.all([one.service.process(message), other.service.process(message)]);

    expect(summariesOf('Twice')).toHaveLength(1);
    expect(results.map((result) => result.alarms[0]?.source).sort()).toEqual(
      ['claimed-elsewhere', 'cloudwatch-logs'].sort(),
    );
    const alerts = components.slack.topLevel(CHANNEL).filter((posted) => posted.text.includes('twice'));
    expect(alerts).toHaveLength(1);
  });

  it('lets a redelivery post the summary once the claim of an invocation that died has expired', async () => {
    const message = noCallsAlarm('DiedHolding');
    const now = new Date();
    const later = new Date(now.getTime() + 901_000);
    const { service, store, tableName } = await notifyServiceOn(components, {
      now: () => now,
      settings: CONFIGURED,
    });
    const [item] = readInput(message);
    if (item?.kind !== 'alarm') throw new Error('expected an alarm');
    const alarm = readAlarm(item.message);
    await store.claimAlarm(alarm, { owner: 'died', until: new Date(now.getTime() + 900_000) }, now);

    const meanwhile = await service.process(message, Number.POSITIVE_INFINITY, 'redelivery-1');
    const { service: afterwards } = await notifyServiceOn(components, {
      tableName,
      now: () => later,
      settings: CONFIGURED,
    });
    const expired = await afterwards.process(message, Number.POSITIVE_INFINITY, 'redelivery-2');
    const again = await afterwards.process(message, Number.POSITIVE_INFINITY, 'redelivery-3');

    expect(meanwhile.alarms[0]?.source).toBe('claimed-elsewhere');
    expect(expired.alarms[0]?.source).toBe('cloudtrail');
    expect(again.alarms[0]?.source).toBe('duplicate');
    expect(summariesOf('DiedHolding')).toHaveLength(1);
  });

  it('lets the retry of the invocation holding the claim post at once', async () => {
    const message = noCallsAlarm('RetriedHolder');
    const { service, store } = await notifyServiceOn(components, { settings: CONFIGURED });
    const [item] = readInput(message);
    if (item?.kind !== 'alarm') throw new Error('expected an alarm');
    const now = new Date();
    await store.claimAlarm(
      readAlarm(item.message),
      { owner: 'request-1', until: new Date(now.getTime() + 900_000) },
      now,
    );

    const retry = await service.process(message, Number.POSITIVE_INFINITY, 'request-1');

    expect(retry.alarms[0]?.source).toBe('cloudtrail');
    expect(summariesOf('RetriedHolder')).toHaveLength(1);
  });

  it('gives the claim up when posting fails, so the next delivery posts', async () => {
    const message = noCallsAlarm('SlackDown');
    const { service } = await notifyServiceOn(components, { settings: CONFIGURED });
    components.slack.failNext('chat.postMessage', { status: 503 }, 3);

    await expect(service.process(message, Number.POSITIVE_INFINITY, 'first')).rejects.toBeInstanceOf(
      SlackDeliveryError,
    );
    const next = await service.process(message, Number.POSITIVE_INFINITY, 'second');

    expect(next.alarms[0]?.source).toBe('cloudtrail');
    expect(summariesOf('SlackDown')).toHaveLength(1);
  });
});

describe('NotifyService with AWS policy validation', () => {
  const analyzer = new AccessAnalyzerClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    maxAttempts: 1,
  });
  const analyzerMock = mockClient(analyzer);
  const validator = new AccessAnalyzerPolicyValidator(analyzer);

  function readOnlyPut(roleName: string) {
    return cloudTrailRecord('PutRolePolicy', {
      roleName,
      policyName: 'read-reports',
      policyDocument: inlineDocument('s3:GetObject', 'arn:aws:s3:::reports/*'),
    });
  }

  it('adds the security warnings AWS finds to the alert before posting it', async () => {
    analyzerMock.reset();
    analyzerMock.on(ValidatePolicyCommand).resolves({
      findings: [
        {
          findingType: 'SECURITY_WARNING',
          issueCode: 'PASS_ROLE_WITH_STAR_IN_RESOURCE',
          findingDetails:
            'Using the iam:PassRole action with wildcards (*) in the resource can be overly permissive.',
          learnMoreLink:
            'https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html',
          locations: [],
        },
      ],
    });
    const { service, store } = await notifyServiceOn(components, { validator });
    const record = readOnlyPut('validated-role');

    await service.process(eventBridgeNotification(record));

    const stored = await store.getChange(String(record.eventID));
    expect(stored?.change.risk.reasons).toContain(
      'AWS Access Analyzer security warning (PASS_ROLE_WITH_STAR_IN_RESOURCE): Using the iam:PassRole action with wildcards (*) in the resource can be overly permissive.',
    );
    expect(stored?.change.validation?.status).toBe('validated');
    const alert = components.slack
      .topLevel(CHANNEL)
      .find((message) => message.text.includes('validated-role'));
    expect(JSON.stringify(alert?.blocks)).toContain('PASS_ROLE_WITH_STAR_IN_RESOURCE');
    expect(analyzerMock.commandCalls(ValidatePolicyCommand)[0]?.args[0].input.policyType).toBe(
      'IDENTITY_POLICY',
    );
  });

  it.each([
    ['AccessDenied', new AccessDeniedException({ message: 'not authorized', $metadata: {} })],
    ['Throttling', new ThrottlingException({ message: 'Rate exceeded', $metadata: {} })],
  ])('says validation was unavailable (%s) and changes nothing else', async (reason, error) => {
    analyzerMock.reset();
    analyzerMock.on(ValidatePolicyCommand).rejects(error);
    const { service, store } = await notifyServiceOn(components, { validator });
    const plain = await notifyServiceOn(components);
    const record = readOnlyPut(`unvalidated-${reason}`);
    const twin = { ...readOnlyPut(`unvalidated-${reason}`), eventID: `${String(record.eventID)}-twin` };

    await service.process(eventBridgeNotification(record));
    await plain.service.process(eventBridgeNotification(twin));

    const stored = (await store.getChange(String(record.eventID)))?.change;
    const without = (await plain.store.getChange(twin.eventID))?.change;
    expect(stored?.validation).toEqual({ status: 'unavailable', reason, findings: [] });
    expect(stored?.risk).toEqual(without?.risk);
    const alert = components.slack
      .topLevel(CHANNEL)
      .find((message) => message.text.includes(`unvalidated-${reason}`));
    expect(JSON.stringify(alert?.blocks)).toContain(`AWS policy validation unavailable: ${reason}`);
  });

  it('asks nothing of AWS for a change that sets no document', async () => {
    analyzerMock.reset();
    const { service } = await notifyServiceOn(components, { validator });
    await service.process(
      eventBridgeNotification(
        cloudTrailRecord('AttachRolePolicy', { roleName: 'no-document', policyArn: ADMIN }),
      ),
    );
    expect(analyzerMock.commandCalls(ValidatePolicyCommand)).toHaveLength(0);
  });
});
