/**
 * The scheduled follow-up function as Lambda runs it (its module reads the environment at import): the alarm
 * follow-up and the sweep of unanswered "was this you?" asks are independent duties, so one failing must not
 * skip the other. The store is dynalite, CloudWatch Logs is moto_server; nothing is mocked.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CIS44_FILTER_PATTERN } from '../../src/domain/filter-pattern';
import { DynamoAlarmCursorStore } from '../../src/store/dynamo-alarm-cursors';
import { DynamoPendingAsks, PENDING_ASK_PARTITION } from '../../src/store/dynamo-pending-asks';
import { CHANNEL, type Components, startComponents } from '../support/notify-harness';

const context = { getRemainingTimeInMillis: () => 60_000, awsRequestId: 'follow-0' } as Context;
const saved = { ...process.env };

let components: Components;
let tableName: string;
let handler: typeof import('../../src/handlers/follow').handler;

beforeAll(async () => {
  components = await startComponents();
  tableName = await components.dynalite.createTable();
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_ENDPOINT_URL: components.moto.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: components.dynalite.endpoint,
    TABLE_NAME: tableName,
    SLACK_BOT_TOKEN: 'xoxb-follow-test',
    SLACK_API_URL: components.slack.url,
    SLACK_CHANNEL: CHANNEL,
    ASK_ACTOR: 'true',
    ASK_ACTOR_TIMEOUT_MINUTES: '30',
  });
  // The module builds its clients from the environment when it is loaded, as in Lambda.
  ({ handler } = await import('../../src/handlers/follow'));
});

afterAll(async () => {
  process.env = saved;
  await components?.stop();
});

const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();

/** An alarm in ALARM whose log group does not exist: every follow-up of it fails. */
async function brokenAlarm(name: string): Promise<void> {
  const cursors = new DynamoAlarmCursorStore(components.dynalite.documentClient, { tableName });
  const saved = await cursors.saveCursor(
    {
      alarmName: name,
      openedAt: minutesAgo(20),
      sources: [{ logGroupName: `/no/such/group/${name}`, filterPattern: CIS44_FILTER_PATTERN }],
      searchedUntil: minutesAgo(10),
      boundary: [],
      state: 'open',
      version: 0,
    },
    undefined,
  );
  expect(saved).toBe(true);
}

/** The event ids of the asks still waiting, read straight from the table. */
async function waitingAsks(): Promise<string[]> {
  const page = await components.dynalite.documentClient.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': PENDING_ASK_PARTITION },
      ConsistentRead: true,
    }),
  );
  return (page.Items ?? []).map((item) => String(item.eventId));
}

describe('follow handler', () => {
  it('an alarm follow-up that throws does not skip the ask sweep, and the run still fails', async () => {
    await brokenAlarm('cis-4.4-broken');
    const asks = new DynamoPendingAsks(components.dynalite.documentClient, { tableName });
    // Overdue (asked two hours ago, the timeout is 30 minutes), about a change the store no longer holds: the
    // sweep has nothing to note and forgets it.
    await asks.add({ eventId: 'overdue-ask-1', at: minutesAgo(120) });
    expect(await waitingAsks()).toEqual(['overdue-ask-1']);

    await expect(handler({}, context)).rejects.toThrow(/cis-4\.4-broken/);

    // The sweep ran although the follow-up failed first.
    expect(await waitingAsks()).toEqual([]);
  });

  it('an ask not yet due stays waiting, and a run with nothing failing returns what it did', async () => {
    const cursors = new DynamoAlarmCursorStore(components.dynalite.documentClient, { tableName });
    // The broken alarm closes (an OK far in the past, nothing left to search): the next run has no failure.
    const open = await cursors.getCursor('cis-4.4-broken');
    expect(open).toBeDefined();
    if (!open) return;
    expect(
      await cursors.saveCursor({ ...open, state: 'closed', version: open.version + 1 }, open.version),
    ).toBe(true);
    const asks = new DynamoPendingAsks(components.dynalite.documentClient, { tableName });
    await asks.add({ eventId: 'recent-ask-1', at: minutesAgo(5) });

    await expect(handler({}, context)).resolves.toEqual({ alarms: [], unanswered: [] });

    expect(await waitingAsks()).toEqual(['recent-ask-1']);
  });
});
