/**
 * CloudWatchLogsSearch against a real moto_server (moto 5.2.1).
 *
 * What moto does with filter patterns in FilterLogEvents (moto/logs/utils.py, EventMessageFilter), checked
 * by the tests below: it looks only at the pattern's first character.
 * - a letter: a term pattern; every space-separated word must occur in the message (substring match);
 * - `"`: a quoted phrase; the text between the quotes must occur in the message;
 * - anything else — so every JSON pattern `{ $.eventName = … }`, and space-delimited `[…]` patterns — and
 *   the empty pattern: "unsupported", and EVERY event in the time window is returned. It does not fail.
 * So against moto the CIS 4.4 pattern selects nothing: a read-only GetRole and an S3 call in the window come
 * back too. Real CloudWatch Logs evaluates the pattern; code that relies on it must still re-check
 * eventName/eventSource on the records (the use case does; the adapter returns what the service matched).
 * The window is applied (startTime/endTime, both inclusive), and paging follows `limit`/`nextToken`
 * (moto's default page is 10,000 events, so the paging tests set a small `pageSize`).
 */
import { readFileSync } from 'node:fs';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
  PutMetricFilterCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AWS_CLIENT_DEFAULTS, createAwsClients } from '../../src/aws/clients';
import { CloudWatchLogsSearch, type LogSearchSummary } from '../../src/aws/cloudwatch-logs-search';
import type { CloudTrailRecord } from '../../src/domain/input';
import { awsTestEnv, type MotoServer, startMoto } from '../support/moto';

const CIS44_PATTERN =
  '{($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)||($.eventName=DeleteUserPolicy)||($.eventName=PutGroupPolicy)||($.eventName=PutRolePolicy)||($.eventName=PutUserPolicy)||($.eventName=CreatePolicy)||($.eventName=DeletePolicy)||($.eventName=CreatePolicyVersion)||($.eventName=DeletePolicyVersion)||($.eventName=AttachRolePolicy)||($.eventName=DetachRolePolicy)||($.eventName=AttachUserPolicy)||($.eventName=DetachUserPolicy)||($.eventName=AttachGroupPolicy)||($.eventName=DetachGroupPolicy)}';
const NAMESPACE = 'CISBenchmark';
const METRIC = 'IAMPolicyChanges';
const TRAIL_GROUP = '/aws/cloudtrail/management-events';
const MINUTE = 60_000;

function fixture(name: string, overrides: Partial<CloudTrailRecord>): CloudTrailRecord {
  const text = readFileSync(new URL(`../fixtures/cloudtrail/${name}.json`, import.meta.url), 'utf8');
  return { ...(JSON.parse(text) as CloudTrailRecord), ...overrides };
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function getRole(at: number): CloudTrailRecord {
  return {
    eventVersion: '1.08',
    userIdentity: {
      type: 'AssumedRole',
      principalId: 'AROAEXAMPLEREADER:bob',
      arn: 'arn:aws:sts::111122223333:assumed-role/ReadOnly/bob',
      accountId: '111122223333',
    },
    eventTime: iso(at),
    eventSource: 'iam.amazonaws.com',
    eventName: 'GetRole',
    awsRegion: 'us-east-1',
    sourceIPAddress: '198.51.100.44',
    userAgent: 'aws-cli/2.18.5 md/command#iam.get-role',
    requestParameters: { roleName: 'ci-runner' },
    responseElements: null,
    requestID: '0f6a3c55-3f3e-4c61-9d1a-3c2f5d8a9e10',
    eventID: '5b7f7f0e-2a55-4c8b-9f0c-9d6f7e6a1b21',
    readOnly: true,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: '111122223333',
    eventCategory: 'Management',
  };
}

function putBucketPolicy(at: number): CloudTrailRecord {
  return {
    eventVersion: '1.09',
    userIdentity: {
      type: 'IAMUser',
      principalId: 'AIDA63DTK6S5WQFEHS6IK',
      arn: 'arn:aws:iam::111122223333:user/alice',
      accountId: '111122223333',
      userName: 'alice',
    },
    eventTime: iso(at),
    eventSource: 's3.amazonaws.com',
    eventName: 'PutBucketPolicy',
    awsRegion: 'eu-west-1',
    sourceIPAddress: '198.51.100.23',
    userAgent: '[aws-cli/2.18.5 md/command#s3api.put-bucket-policy]',
    requestParameters: {
      bucketName: 'example-logs',
      Host: 'example-logs.s3.eu-west-1.amazonaws.com',
      bucketPolicy: { Version: '2012-10-17', Statement: [] },
      policy: '',
    },
    responseElements: null,
    requestID: 'T7K2QJ9W4X5Z8A1B',
    eventID: '9c1d2e3f-4a5b-4c6d-8e7f-0a1b2c3d4e5f',
    readOnly: false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: '111122223333',
    eventCategory: 'Management',
  };
}

let moto: MotoServer;
let client: CloudWatchLogsClient;

/** Base of the seeded window: moto rejects events older than 14 days, so times are relative to now. */
const base = Date.now() - 30 * MINUTE;
const windowStart = new Date(base);
const windowEnd = new Date(base + 10 * MINUTE);

async function createGroup(logGroupName: string, logStreamName = 'stream-1'): Promise<void> {
  await client.send(new CreateLogGroupCommand({ logGroupName }));
  await client.send(new CreateLogStreamCommand({ logGroupName, logStreamName }));
}

async function putLines(
  logGroupName: string,
  lines: { at: number; message: string }[],
  logStreamName = 'stream-1',
): Promise<void> {
  const logEvents = [...lines]
    .sort((a, b) => a.at - b.at)
    .map(({ at, message }) => ({ timestamp: at, message }));
  const response = await client.send(new PutLogEventsCommand({ logGroupName, logStreamName, logEvents }));
  expect(response.rejectedLogEventsInfo).toBeUndefined();
}

beforeAll(async () => {
  moto = await startMoto();
  client = new CloudWatchLogsClient(awsTestEnv(moto.endpoint));

  await createGroup(TRAIL_GROUP);
  const attach = fixture('attach-role-policy', { eventTime: iso(base + MINUTE) });
  await putLines(TRAIL_GROUP, [
    {
      at: base - 5 * MINUTE,
      message: JSON.stringify(
        fixture('attach-role-policy', {
          eventTime: iso(base - 5 * MINUTE),
          eventID: '11111111-0000-4000-8000-000000000001',
        }),
      ),
    },
    { at: base, message: JSON.stringify(attach) },
    // CloudTrail can deliver a record twice; the second copy must not come back.
    { at: base + MINUTE, message: JSON.stringify(attach) },
    {
      at: base + 2 * MINUTE,
      message: JSON.stringify(fixture('put-user-policy', { eventTime: iso(base + 2 * MINUTE) })),
    },
    {
      at: base + 3 * MINUTE,
      message: JSON.stringify(fixture('create-policy-version', { eventTime: iso(base + 3 * MINUTE) })),
    },
    { at: base + 4 * MINUTE, message: JSON.stringify(getRole(base + 4 * MINUTE)) },
    { at: base + 5 * MINUTE, message: JSON.stringify(putBucketPolicy(base + 5 * MINUTE)) },
    // Lines in a trail's log group that are not records: JSON without eventName, and plain text.
    {
      at: base + 6 * MINUTE,
      message: '{"digestPublicKeyFingerprint":"6f4b2c1e","digestS3Bucket":"trail-bucket"}',
    },
    { at: base + 7 * MINUTE, message: 'CloudTrail validation: log file delivered' },
    {
      at: windowEnd.getTime(),
      message: JSON.stringify(
        fixture('put-user-policy', {
          eventTime: iso(windowEnd.getTime()),
          eventID: '11111111-0000-4000-8000-000000000002',
        }),
      ),
    },
    {
      at: windowEnd.getTime() + 1,
      message: JSON.stringify(
        fixture('create-policy-version', {
          eventTime: iso(windowEnd.getTime() + 1),
          eventID: '11111111-0000-4000-8000-000000000003',
        }),
      ),
    },
  ]);

  await client.send(
    new PutMetricFilterCommand({
      logGroupName: TRAIL_GROUP,
      filterName: 'CIS-4.4-IAMPolicyChanges',
      filterPattern: CIS44_PATTERN,
      metricTransformations: [{ metricNamespace: NAMESPACE, metricName: METRIC, metricValue: '1' }],
    }),
  );
  await client.send(
    new PutMetricFilterCommand({
      logGroupName: TRAIL_GROUP,
      filterName: 'CIS-4.3-RootUsage',
      filterPattern: '{ $.userIdentity.type = "Root" }',
      metricTransformations: [
        { metricNamespace: NAMESPACE, metricName: 'RootAccountUsage', metricValue: '1' },
      ],
    }),
  );
});

afterAll(async () => {
  client?.destroy();
  await moto?.stop();
});

describe('CloudWatchLogsSearch', () => {
  describe('metricFilters', () => {
    it('finds the CIS 4.4 filter feeding CISBenchmark/IAMPolicyChanges, with its log group and pattern', async () => {
      const search = new CloudWatchLogsSearch(client);

      await expect(search.metricFilters(NAMESPACE, METRIC)).resolves.toEqual([
        { logGroupName: TRAIL_GROUP, filterName: 'CIS-4.4-IAMPolicyChanges', filterPattern: CIS44_PATTERN },
      ]);
    });

    it('finds nothing for a metric no filter feeds', async () => {
      const search = new CloudWatchLogsSearch(client);

      await expect(search.metricFilters(NAMESPACE, 'NoSuchMetric')).resolves.toEqual([]);
      await expect(search.metricFilters('OtherNamespace', METRIC)).resolves.toEqual([]);
    });
  });

  describe('searchRecords', () => {
    it('returns the records in the window, inclusive of its end, once each (moto ignores the JSON pattern)', async () => {
      const search = new CloudWatchLogsSearch(client);

      const records = await search.searchRecords(TRAIL_GROUP, CIS44_PATTERN, windowStart, windowEnd);

      // moto: the `{…}` pattern is unsupported, so GetRole and the S3 call in the window come back too.
      expect(records.map((record) => [record.eventName, record.eventSource])).toEqual([
        ['AttachRolePolicy', 'iam.amazonaws.com'],
        ['PutUserPolicy', 'iam.amazonaws.com'],
        ['CreatePolicyVersion', 'iam.amazonaws.com'],
        ['GetRole', 'iam.amazonaws.com'],
        ['PutBucketPolicy', 's3.amazonaws.com'],
        ['PutUserPolicy', 'iam.amazonaws.com'],
      ]);
      expect(records.map((record) => record.eventID)).not.toContain('11111111-0000-4000-8000-000000000001');
      expect(records.map((record) => record.eventID)).not.toContain('11111111-0000-4000-8000-000000000003');
      expect(records[0]?.requestParameters).toEqual({
        roleName: 'ci-runner',
        policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess',
      });
    });

    it('returns every event in the window for a JSON pattern that matches none of them (moto does not evaluate it)', async () => {
      const search = new CloudWatchLogsSearch(client);

      const records = await search.searchRecords(
        TRAIL_GROUP,
        '{ $.eventName = "NoSuchCall" }',
        windowStart,
        windowEnd,
      );

      expect(records).toHaveLength(6);
    });

    it('sends the pattern: moto evaluates plain term and quoted-phrase patterns', async () => {
      const search = new CloudWatchLogsSearch(client);

      const terms = await search.searchRecords(TRAIL_GROUP, 'PutUserPolicy', windowStart, windowEnd);
      const phrase = await search.searchRecords(TRAIL_GROUP, '"ReadOnly/bob"', windowStart, windowEnd);

      expect(terms.map((record) => record.eventName)).toEqual(['PutUserPolicy', 'PutUserPolicy']);
      expect(phrase.map((record) => record.eventName)).toEqual(['GetRole']);
    });

    it('skips and counts lines that are not CloudTrail records, and counts duplicates', async () => {
      const summaries: LogSearchSummary[] = [];
      const search = new CloudWatchLogsSearch(client, { onSearch: (summary) => summaries.push(summary) });

      const result = await search.search(TRAIL_GROUP, CIS44_PATTERN, windowStart, windowEnd);

      expect(result).toMatchObject({ events: 9, skipped: 2, duplicates: 1, truncated: false, pages: 1 });
      expect(result.records).toHaveLength(6);
      expect(summaries).toEqual([
        { logGroupName: TRAIL_GROUP, pages: 1, events: 9, skipped: 2, duplicates: 1, truncated: false },
      ]);
    });

    it('follows nextToken through every page', async () => {
      const group = '/aws/cloudtrail/paged';
      await createGroup(group, 'a');
      await client.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: 'b' }));
      const lines = (stream: string, count: number) =>
        Array.from({ length: count }, (_, index) => {
          const at = base + index * 1_000;
          return {
            at,
            message: JSON.stringify(
              fixture('attach-role-policy', {
                eventTime: iso(at),
                eventID: `${stream}-${String(index).padStart(4, '0')}`,
              }),
            ),
          };
        });
      await putLines(group, lines('a', 130), 'a');
      await putLines(group, lines('b', 120), 'b');
      const search = new CloudWatchLogsSearch(client, { pageSize: 100 });

      const result = await search.search(group, CIS44_PATTERN, windowStart, windowEnd);

      expect(result.pages).toBe(3);
      expect(result.truncated).toBe(false);
      expect(new Set(result.records.map((record) => record.eventID)).size).toBe(250);
    });

    it('stops at maxRecords and at maxPages, and says the result is truncated', async () => {
      const byRecords = await new CloudWatchLogsSearch(client, { maxRecords: 3 }).search(
        TRAIL_GROUP,
        CIS44_PATTERN,
        windowStart,
        windowEnd,
      );
      const byPages = await new CloudWatchLogsSearch(client, { pageSize: 2, maxPages: 2 }).search(
        TRAIL_GROUP,
        CIS44_PATTERN,
        windowStart,
        windowEnd,
      );

      expect(byRecords.records.map((record) => record.eventName)).toEqual([
        'AttachRolePolicy',
        'PutUserPolicy',
        'CreatePolicyVersion',
      ]);
      expect(byRecords.truncated).toBe(true);
      expect(byPages).toMatchObject({ pages: 2, events: 4, truncated: true });
      expect(byPages.records).toHaveLength(3);
    });
  });
});

describe('createAwsClients', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('reaches moto through AWS_ENDPOINT_URL, with CloudTrail pinned to us-east-1 and explicit retries', async () => {
    vi.stubEnv('AWS_ENDPOINT_URL', moto.endpoint);
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'testing');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'testing');
    vi.stubEnv('AWS_REGION', 'eu-west-1');
    const fromEnv = createAwsClients();
    const clients = createAwsClients({ region: 'us-east-1' });

    try {
      await expect(fromEnv.cloudWatchLogs.config.region()).resolves.toBe('eu-west-1');
      await expect(fromEnv.cloudTrail.config.region()).resolves.toBe('us-east-1');
      await expect(fromEnv.cloudWatchLogs.config.maxAttempts()).resolves.toBe(
        AWS_CLIENT_DEFAULTS.maxAttempts,
      );
      const found = await new CloudWatchLogsSearch(clients.cloudWatchLogs).metricFilters(NAMESPACE, METRIC);
      expect(found.map((filter) => filter.filterName)).toEqual(['CIS-4.4-IAMPolicyChanges']);
    } finally {
      fromEnv.cloudWatchLogs.destroy();
      fromEnv.cloudTrail.destroy();
      clients.cloudWatchLogs.destroy();
      clients.cloudTrail.destroy();
    }
  });
});
