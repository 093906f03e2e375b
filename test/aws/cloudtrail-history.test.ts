/**
 * CloudTrailHistory with a mocked CloudTrail client: moto_server does not implement LookupEvents, so this
 * is the one adapter tested against `aws-sdk-client-mock`.
 */
import { CloudTrailClient, type Event, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { mockClient } from 'aws-sdk-client-mock';
import { allCustomMatcher, type BaseMatcher } from 'aws-sdk-client-mock-vitest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CloudTrailHistory, type TrailLookupSummary } from '../../src/aws/cloudtrail-history';
import { CIS44_EVENT_NAMES } from '../../src/domain/events';
import type { CloudTrailRecord } from '../../src/domain/input';

expect.extend(allCustomMatcher);

declare module 'vitest' {
  // biome-ignore lint/suspicious/noExplicitAny: must match vitest's own declaration to merge with it.
  interface Matchers<T = any> extends BaseMatcher<T> {}
}

const START = new Date('2026-11-20T14:00:00Z');
const END = new Date('2026-11-20T14:05:00Z');
const IAM_SOURCE = { AttributeKey: 'EventSource', AttributeValue: 'iam.amazonaws.com' } as const;

function record(
  eventName: string,
  eventID: string,
  overrides: Partial<CloudTrailRecord> = {},
): CloudTrailRecord {
  return {
    eventVersion: '1.08',
    userIdentity: {
      type: 'IAMUser',
      principalId: 'AIDAEXAMPLEALICE',
      arn: 'arn:aws:iam::111122223333:user/alice',
      accountId: '111122223333',
      userName: 'alice',
    },
    eventTime: '2026-11-20T14:01:00Z',
    eventSource: 'iam.amazonaws.com',
    eventName,
    awsRegion: 'us-east-1',
    sourceIPAddress: '198.51.100.7',
    userAgent: 'aws-cli/2.18.5',
    requestParameters: { roleName: 'ci-runner', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' },
    responseElements: null,
    requestID: `req-${eventID}`,
    eventID,
    readOnly: eventName.startsWith('Get') || eventName.startsWith('List'),
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: '111122223333',
    ...overrides,
  };
}

/** An event as LookupEvents returns it: the record as JSON text in `CloudTrailEvent`. */
function lookupEvent(value: CloudTrailRecord): Event {
  return {
    EventId: value.eventID,
    EventName: value.eventName,
    EventSource: value.eventSource,
    EventTime: new Date('2026-11-20T14:01:00Z'),
    Username: 'alice',
    ReadOnly: String(value.readOnly),
    CloudTrailEvent: JSON.stringify(value),
  };
}

/** A fake clock whose sleep advances it and records each wait. */
function fakeTime() {
  let clock = 0;
  const sleeps: number[] = [];
  return {
    now: () => clock,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      clock += ms;
    },
    advance: (ms: number) => {
      clock += ms;
    },
    sleeps,
  };
}

const cloudTrail = mockClient(CloudTrailClient);
let client: CloudTrailClient;

beforeEach(() => {
  cloudTrail.reset();
  client = new CloudTrailClient({ region: 'us-east-1' });
});

afterEach(() => {
  client.destroy();
});

/** Serves `pages` in order by NextToken (`page-2`, `page-3`, …) and notes the fake time of each request. */
function servePages(pages: Event[][], time?: ReturnType<typeof fakeTime>, latencyMs = 0): number[] {
  const requestTimes: number[] = [];
  cloudTrail.on(LookupEventsCommand).callsFake(async (input: { NextToken?: string }) => {
    requestTimes.push(time?.now() ?? 0);
    time?.advance(latencyMs);
    const index = input.NextToken ? Number(input.NextToken.replace('page-', '')) - 1 : 0;
    return {
      Events: pages[index] ?? [],
      NextToken: index + 1 < pages.length ? `page-${index + 2}` : undefined,
    };
  });
  return requestTimes;
}

describe('CloudTrailHistory', () => {
  describe('iamEvents', () => {
    it('asks for IAM events in the window, 50 a page, and follows NextToken through every page', async () => {
      servePages([
        [lookupEvent(record('AttachRolePolicy', 'e1'))],
        [lookupEvent(record('PutUserPolicy', 'e2'))],
        [lookupEvent(record('CreatePolicyVersion', 'e3'))],
      ]);
      const history = new CloudTrailHistory(client, fakeTime());

      const records = await history.iamEvents(START, END, CIS44_EVENT_NAMES);

      expect(records.map((found) => found.eventID)).toEqual(['e1', 'e2', 'e3']);
      expect(cloudTrail).toHaveReceivedCommandTimes(LookupEventsCommand, 3);
      expect(cloudTrail).toHaveReceivedNthCommandWith(LookupEventsCommand, 1, {
        LookupAttributes: [IAM_SOURCE],
        StartTime: START,
        EndTime: END,
        MaxResults: 50,
        NextToken: undefined,
      });
      expect(cloudTrail).toHaveReceivedNthCommandWith(LookupEventsCommand, 2, { NextToken: 'page-2' });
      expect(cloudTrail).toHaveReceivedNthCommandWith(LookupEventsCommand, 3, {
        LookupAttributes: [IAM_SOURCE],
        MaxResults: 50,
        NextToken: 'page-3',
      });
    });

    it('keeps only the asked-for event names, from iam.amazonaws.com, once each', async () => {
      const attach = record('AttachRolePolicy', 'e1');
      servePages([
        [
          lookupEvent(attach),
          lookupEvent(record('GetRole', 'e2')),
          lookupEvent(record('CreateRole', 'e3')),
          lookupEvent(record('CreatePolicy', 'e4', { eventSource: 'organizations.amazonaws.com' })),
        ],
        [
          lookupEvent(attach),
          { EventId: 'e5', EventName: 'PutRolePolicy', CloudTrailEvent: '{"truncated": ' },
          { EventId: 'e6', EventName: 'PutRolePolicy' },
          lookupEvent(record('DeleteRolePolicy', 'e7')),
        ],
      ]);
      const summaries: TrailLookupSummary[] = [];
      const history = new CloudTrailHistory(client, {
        ...fakeTime(),
        onLookup: (summary) => summaries.push(summary),
      });

      const records = await history.iamEvents(START, END, CIS44_EVENT_NAMES);

      expect(records.map((found) => [found.eventName, found.eventID])).toEqual([
        ['AttachRolePolicy', 'e1'],
        ['DeleteRolePolicy', 'e7'],
      ]);
      expect(summaries).toEqual([
        { attribute: IAM_SOURCE, pages: 2, events: 8, skipped: 2, duplicates: 1, truncated: false },
      ]);
    });

    it('returns nothing when no name is asked for', async () => {
      servePages([[lookupEvent(record('AttachRolePolicy', 'e1'))]]);
      const history = new CloudTrailHistory(client, fakeTime());

      await expect(history.iamEvents(START, END, [])).resolves.toEqual([]);
    });

    it('paces 5 pages at 2 requests per second: at least 500 ms between requests', async () => {
      const time = fakeTime();
      const requestTimes = servePages(
        Array.from({ length: 5 }, (_, page) => [lookupEvent(record('PutRolePolicy', `p${page}`))]),
        time,
        120,
      );
      const history = new CloudTrailHistory(client, {
        requestsPerSecond: 2,
        sleep: time.sleep,
        now: time.now,
      });

      const records = await history.iamEvents(START, END, CIS44_EVENT_NAMES);

      expect(records).toHaveLength(5);
      expect(requestTimes).toEqual([0, 500, 1000, 1500, 2000]);
      // Each response took 120 ms of the interval, so the pacer slept only the rest.
      expect(time.sleeps).toEqual([380, 380, 380, 380]);
    });

    it('shares the pace between lookups running at the same time', async () => {
      const time = fakeTime();
      const requestTimes = servePages(
        [[lookupEvent(record('PutRolePolicy', 'a'))], [lookupEvent(record('PutRolePolicy', 'b'))]],
        time,
      );
      const history = new CloudTrailHistory(client, {
        requestsPerSecond: 2,
        sleep: time.sleep,
        now: time.now,
      });

      await Promise.all([
        history.iamEvents(START, END, CIS44_EVENT_NAMES),
        history.iamEvents(START, END, CIS44_EVENT_NAMES),
        history.resourceEvents('ci-runner', START, END),
      ]);

      const sorted = [...requestTimes].sort((a, b) => a - b);
      expect(sorted).toHaveLength(6);
      for (const [index, at] of sorted.entries()) {
        if (index > 0) expect(at - (sorted[index - 1] ?? 0)).toBeGreaterThanOrEqual(500);
      }
    });

    it('stops after maxPages and reports the lookup as truncated', async () => {
      servePages(Array.from({ length: 10 }, (_, page) => [lookupEvent(record('PutRolePolicy', `p${page}`))]));
      const summaries: TrailLookupSummary[] = [];
      const history = new CloudTrailHistory(client, {
        ...fakeTime(),
        maxPages: 3,
        onLookup: (summary) => summaries.push(summary),
      });

      const records = await history.iamEvents(START, END, CIS44_EVENT_NAMES);

      expect(records).toHaveLength(3);
      expect(cloudTrail).toHaveReceivedCommandTimes(LookupEventsCommand, 3);
      expect(summaries[0]).toMatchObject({ pages: 3, truncated: true });
    });
  });

  describe('resourceEvents', () => {
    it('looks up by ResourceName and returns every event naming the resource', async () => {
      servePages([
        [
          lookupEvent(record('CreateRole', 'r1')),
          lookupEvent(record('PutRolePolicy', 'r2')),
          lookupEvent(record('AssumeRole', 'r3', { eventSource: 'sts.amazonaws.com' })),
        ],
        [lookupEvent(record('PutRolePolicy', 'r2')), lookupEvent(record('GetRole', 'r4'))],
      ]);
      const history = new CloudTrailHistory(client, fakeTime());

      const records = await history.resourceEvents('ci-runner', START, END);

      expect(records.map((found) => found.eventID)).toEqual(['r1', 'r2', 'r3', 'r4']);
      expect(cloudTrail).toHaveReceivedNthCommandWith(LookupEventsCommand, 1, {
        LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: 'ci-runner' }],
        StartTime: START,
        EndTime: END,
        MaxResults: 50,
      });
      expect(cloudTrail).toHaveReceivedNthCommandWith(LookupEventsCommand, 2, { NextToken: 'page-2' });
    });
  });
});
