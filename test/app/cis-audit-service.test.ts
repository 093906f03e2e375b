/**
 * runCisAudit through the real AwsCisAuditGateway against a real moto_server (5.2.1), one per file, reset
 * (`POST /moto-api/reset`) before each test.
 *
 * What moto does, checked by these tests:
 * - CloudTrail: CreateTrail (needs the S3 bucket to exist; moto checks nothing else — no role, no log group),
 *   DescribeTrails (lists multi-region trails of other regions as shadows, with HomeRegion), GetTrailStatus
 *   (by name or ARN, from any region), StartLogging (by name only), PutEventSelectors / GetEventSelectors
 *   (basic and advanced). A new trail reports NO event selectors, where CloudTrail reports its default
 *   (all management events): the audit reads "none" as that default. GetEventSelectors for a shadow trail,
 *   asked outside its home region, fails with TrailNotFoundException.
 * - CloudWatch Logs: PutMetricFilter / DescribeMetricFilters (no paging; an unknown log group gives an empty
 *   list, not ResourceNotFoundException). TestMetricFilter is NOT implemented (moto answers with an HTML 404
 *   page), so the gateway skips it against an explicit endpoint and records the failure when asked anyway;
 *   where a test needs its answer, aws-sdk-client-mock gives it and every other call goes to moto.
 * - CloudWatch: PutMetricAlarm / DescribeAlarmsForMetric (matched on namespace and metric name only).
 * - SNS: CreateTopic, GetTopicAttributes and ListSubscriptionsByTopic (NotFoundException for a deleted topic;
 *   pages of 100). Every subscription is confirmed at once — email, https, even an unreachable http endpoint —
 *   so moto cannot express a subscription stuck in PendingConfirmation: that case is in
 *   test/domain/cis-audit.test.ts.
 */
import {
  CloudTrailClient,
  CreateTrailCommand,
  PutEventSelectorsCommand,
  StartLoggingCommand,
} from '@aws-sdk/client-cloudtrail';
import { CloudWatchClient, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  DescribeMetricFiltersCommand,
  type DescribeMetricFiltersCommandInput,
  PutMetricFilterCommand,
  TestMetricFilterCommand,
  type TestMetricFilterCommandInput,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateTopicCommand,
  DeleteTopicCommand,
  ListSubscriptionsByTopicCommand,
  SNSClient,
  SubscribeCommand,
} from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuditCallError, runCisAudit } from '../../src/app/cis-audit-service';
import { AwsCisAuditGateway, createCisAuditClients } from '../../src/aws/cis-audit-gateway';
import type { AuditReport, CisAuditCheckId } from '../../src/domain/cis-audit';
import { CIS44_EVENT_NAMES } from '../../src/domain/events';
import { CIS44_FILTER_PATTERN } from '../../src/domain/filter-pattern';
import { awsTestEnv, type MotoServer, startMoto } from '../support/moto';

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const BUCKET = 'cloudtrail-logs-123456789012';
const LOG_GROUP = '/aws/cloudtrail/management';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/CloudTrailToCloudWatchLogs`;

let moto: MotoServer;

beforeAll(async () => {
  // The audit reads no IAM: without AWS managed policies to load, each reset below takes milliseconds, not seconds.
  moto = await startMoto({ MOTO_IAM_LOAD_MANAGED_POLICIES: 'false' });
});

afterAll(async () => {
  await moto?.stop();
});

beforeEach(async () => {
  const response = await fetch(`${moto.endpoint}/moto-api/reset`, { method: 'POST' });
  expect(response.ok).toBe(true);
  await createBucket(BUCKET);
});

function config(region = REGION) {
  return { ...awsTestEnv(moto.endpoint), region };
}

/**
 * S3 CreateBucket by hand: moto routes an unsigned request by the service in its credential scope, and the
 * project has no S3 client of its own.
 */
async function createBucket(name: string): Promise<void> {
  const response = await fetch(`${moto.endpoint}/${name}`, {
    method: 'PUT',
    headers: {
      Authorization: `AWS4-HMAC-SHA256 Credential=testing/20260101/${REGION}/s3/aws4_request, SignedHeaders=host, Signature=0`,
    },
  });
  expect(response.status).toBe(200);
}

function logGroupArn(name: string, region = REGION): string {
  return `arn:aws:logs:${region}:${ACCOUNT}:log-group:${name}:*`;
}

interface TrailSetup {
  name?: string;
  region?: string;
  multiRegion?: boolean;
  logGroup?: string | null;
  logging?: boolean;
}

async function createTrail(setup: TrailSetup = {}): Promise<string> {
  const region = setup.region ?? REGION;
  const name = setup.name ?? 'management';
  const client = new CloudTrailClient(config(region));
  const logGroup = setup.logGroup === undefined ? LOG_GROUP : setup.logGroup;
  await client.send(
    new CreateTrailCommand({
      Name: name,
      S3BucketName: BUCKET,
      IsMultiRegionTrail: setup.multiRegion ?? true,
      ...(logGroup === null
        ? {}
        : { CloudWatchLogsLogGroupArn: logGroupArn(logGroup, region), CloudWatchLogsRoleArn: ROLE }),
    }),
  );
  if (setup.logging ?? true) await client.send(new StartLoggingCommand({ Name: name }));
  if (logGroup !== null) {
    await new CloudWatchLogsClient(config(region)).send(
      new CreateLogGroupCommand({ logGroupName: logGroup }),
    );
  }
  return name;
}

async function createFilter(
  pattern = CIS44_FILTER_PATTERN,
  name = 'CIS-4.4-IAMPolicyChanges',
): Promise<void> {
  await new CloudWatchLogsClient(config()).send(
    new PutMetricFilterCommand({
      logGroupName: LOG_GROUP,
      filterName: name,
      filterPattern: pattern,
      metricTransformations: [
        { metricNamespace: 'CISBenchmark', metricName: 'IAMPolicyChanges', metricValue: '1' },
      ],
    }),
  );
}

async function createTopic(name = 'security-alerts'): Promise<string> {
  const response = await new SNSClient(config()).send(new CreateTopicCommand({ Name: name }));
  return response.TopicArn as string;
}

async function subscribe(topicArn: string, endpoint = 'security@example.com'): Promise<void> {
  await new SNSClient(config()).send(
    new SubscribeCommand({ TopicArn: topicArn, Protocol: 'email', Endpoint: endpoint }),
  );
}

async function createAlarm(actions: string[], name = 'CIS-4.4-IAMPolicyChanges'): Promise<void> {
  await new CloudWatchClient(config()).send(
    new PutMetricAlarmCommand({
      AlarmName: name,
      Namespace: 'CISBenchmark',
      MetricName: 'IAMPolicyChanges',
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: actions,
    }),
  );
}

/** Trail → log group → filter → alarm → topic → confirmed subscriber. */
async function completeSetup(pattern = CIS44_FILTER_PATTERN): Promise<string> {
  await createTrail();
  await createFilter(pattern);
  const topicArn = await createTopic();
  await subscribe(topicArn);
  await createAlarm([topicArn]);
  return topicArn;
}

/** Every message is a compact CloudTrail record, as CloudTrail writes it to CloudWatch Logs. */
function isCompactIamRecord(message: string): boolean {
  const record = JSON.parse(message) as { eventSource?: string };
  return JSON.stringify(record) === message && record.eventSource === 'iam.amazonaws.com';
}

function gateway(region = REGION, options: { testMetricFilter?: boolean } = {}) {
  return new AwsCisAuditGateway(createCisAuditClients(config(region)), options);
}

async function audit(region = REGION): Promise<AuditReport> {
  return runCisAudit(gateway(region));
}

function failing(report: AuditReport): CisAuditCheckId[] {
  return report.checks.filter((check) => !check.pass).map((check) => check.id);
}

function detail(report: AuditReport, id: CisAuditCheckId): string {
  return report.checks.find((check) => check.id === id)?.detail ?? '';
}

function fix(report: AuditReport, id: CisAuditCheckId): string {
  return report.checks.find((check) => check.id === id)?.fix ?? '';
}

const FROM_LOGS: CisAuditCheckId[] = [
  'trail-cloudwatch-logs',
  'metric-filter-covers-16',
  'alarm-on-metric',
  'alarm-fires-on-one-event',
  'alarm-has-sns-action',
  'sns-confirmed-subscription',
];

describe('runCisAudit on moto_server', () => {
  it('fails every check when there is no trail', async () => {
    const report = await audit();
    expect(report.pass).toBe(false);
    expect(failing(report)).toHaveLength(8);
    expect(detail(report, 'trail-multi-region-logging')).toContain('no CloudTrail trail in us-east-1');
    expect(report.missingEvents).toEqual([...CIS44_EVENT_NAMES]);
  });

  it('fails from the log group on for a trail without a log group', async () => {
    await createTrail({ logGroup: null });
    const report = await audit();
    expect(failing(report)).toEqual(FROM_LOGS);
    expect(detail(report, 'trail-cloudwatch-logs')).toBe(
      'trail "management" does not deliver to CloudWatch Logs',
    );
    expect(fix(report, 'trail-cloudwatch-logs')).toContain(
      `aws cloudtrail update-trail --region us-east-1 --name management --cloud-watch-logs-log-group-arn 'arn:aws:logs:us-east-1:${ACCOUNT}:log-group:aws-cloudtrail-logs-management:*'`,
    );
  });

  it('fails from the alarm on for a log group with the filter but no alarm', async () => {
    await createTrail();
    await createFilter();
    const report = await audit();
    expect(failing(report)).toEqual(FROM_LOGS.slice(2));
    expect(detail(report, 'metric-filter-covers-16')).toContain(
      `filter "CIS-4.4-IAMPolicyChanges" on "${LOG_GROUP}" counts all 16 calls into CISBenchmark/IAMPolicyChanges`,
    );
    expect(fix(report, 'alarm-on-metric')).toContain(
      'aws cloudwatch put-metric-alarm --region us-east-1 --alarm-name CIS-4.4-IAMPolicyChanges --namespace CISBenchmark --metric-name IAMPolicyChanges',
    );
  });

  it('fails the SNS checks for an alarm with no action', async () => {
    await createTrail();
    await createFilter();
    await createAlarm([]);
    const report = await audit();
    expect(failing(report)).toEqual(['alarm-has-sns-action', 'sns-confirmed-subscription']);
    expect(detail(report, 'alarm-has-sns-action')).toBe(
      'alarm "CIS-4.4-IAMPolicyChanges" has no SNS alarm action',
    );
    expect(report.chain.alarm).toBe('CIS-4.4-IAMPolicyChanges');
  });

  it('fails the subscription check for a topic without subscriptions', async () => {
    await createTrail();
    await createFilter();
    const topicArn = await createTopic();
    await createAlarm([topicArn]);
    const report = await audit();
    expect(failing(report)).toEqual(['sns-confirmed-subscription']);
    expect(detail(report, 'sns-confirmed-subscription')).toBe(`topic ${topicArn} has no subscriptions`);
    expect(fix(report, 'sns-confirmed-subscription')).toContain(
      `aws sns subscribe --region us-east-1 --topic-arn ${topicArn}`,
    );
  });

  it('cannot express a pending subscription: moto confirms every subscription at once', async () => {
    const topicArn = await createTopic();
    const sns = new SNSClient(config());
    await sns.send(
      new SubscribeCommand({ TopicArn: topicArn, Protocol: 'http', Endpoint: 'http://127.0.0.1:9/hook' }),
    );
    const listed = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn }));
    expect(listed.Subscriptions?.map((subscription) => subscription.SubscriptionArn)).not.toContain(
      'PendingConfirmation',
    );
  });

  it('fails both SNS checks for an alarm notifying a deleted topic', async () => {
    const topicArn = await completeSetup();
    await new SNSClient(config()).send(new DeleteTopicCommand({ TopicArn: topicArn }));
    const report = await audit();
    expect(failing(report)).toEqual(['alarm-has-sns-action', 'sns-confirmed-subscription']);
    expect(detail(report, 'sns-confirmed-subscription')).toBe(`topic ${topicArn} does not exist`);
    expect(fix(report, 'alarm-has-sns-action')).toBe(
      'aws sns create-topic --region us-east-1 --name security-alerts',
    );
  });

  it('passes a complete set-up and names the chain', async () => {
    const topicArn = await completeSetup();
    const report = await audit();
    expect(failing(report)).toEqual([]);
    expect(report.pass).toBe(true);
    expect(report.missingEvents).toEqual([]);
    expect(report.chain).toEqual({
      trail: 'management',
      trailRegion: REGION,
      logGroup: LOG_GROUP,
      filter: 'CIS-4.4-IAMPolicyChanges',
      metric: 'CISBenchmark/IAMPolicyChanges',
      alarm: 'CIS-4.4-IAMPolicyChanges',
      topic: topicArn,
    });
    // moto's new trail has no selectors: read as CloudTrail's default, all management events.
    expect(detail(report, 'trail-write-management-events')).toContain("CloudTrail's default applies");
    expect(detail(report, 'metric-filter-covers-16')).toContain('TestMetricFilter: not asked for');
  });

  it('fails a filter missing events and names them; its fix, applied twice, extends it and passes', async () => {
    const narrowed = CIS44_FILTER_PATTERN.replace('||($.eventName=CreatePolicyVersion)', '').replace(
      '||($.eventName=DeletePolicyVersion)',
      '',
    );
    await completeSetup(narrowed);
    const report = await audit();
    expect(failing(report)).toEqual(['metric-filter-covers-16']);
    expect(report.missingEvents).toEqual(['CreatePolicyVersion', 'DeletePolicyVersion']);
    const extended = `{(${narrowed.slice(1, -1)})||($.eventName=CreatePolicyVersion)||($.eventName=DeletePolicyVersion)}`;
    expect(fix(report, 'metric-filter-covers-16').split('\n')).toEqual([
      '# keeps what filter "CIS-4.4-IAMPolicyChanges" counts and adds the 2 calls it does not count for every record',
      `aws logs put-metric-filter --region us-east-1 --log-group-name ${LOG_GROUP} --filter-name CIS-4.4-IAMPolicyChanges --filter-pattern '${extended}' --metric-transformations metricName=IAMPolicyChanges,metricNamespace=CISBenchmark,metricValue=1`,
    ]);
    for (let run = 0; run < 2; run++) {
      await createFilter(extended);
      const after = await audit();
      expect(failing(after)).toEqual([]);
      expect(after.missingEvents).toEqual([]);
    }
  });

  it('passes a filter written with quotes, spaces, newlines and in reverse order', async () => {
    const pattern = `{\n  ${[...CIS44_EVENT_NAMES]
      .reverse()
      .map((name) => `( $.eventName = "${name}" )`)
      .join(' ||\n  ')}\n}`;
    await completeSetup(pattern);
    const report = await audit();
    expect(failing(report)).toEqual([]);
  });

  it('fails a single-region trail', async () => {
    await createTrail({ multiRegion: false });
    await createFilter();
    const topicArn = await createTopic();
    await subscribe(topicArn);
    await createAlarm([topicArn]);
    const report = await audit();
    expect(failing(report)).toEqual(['trail-multi-region-logging']);
    expect(fix(report, 'trail-multi-region-logging')).toBe(
      'aws cloudtrail update-trail --region us-east-1 --name management --is-multi-region-trail --include-global-service-events',
    );
  });

  it('fails a trail that is not logging', async () => {
    await createTrail({ logging: false });
    await createFilter();
    const topicArn = await createTopic();
    await subscribe(topicArn);
    await createAlarm([topicArn]);
    const report = await audit();
    expect(failing(report)).toEqual(['trail-multi-region-logging']);
    expect(detail(report, 'trail-multi-region-logging')).toContain('is not logging');
  });

  it('fails a trail recording read-only management events', async () => {
    await completeSetup();
    await new CloudTrailClient(config()).send(
      new PutEventSelectorsCommand({
        TrailName: 'management',
        EventSelectors: [{ ReadWriteType: 'ReadOnly', IncludeManagementEvents: true }],
      }),
    );
    const report = await audit();
    expect(failing(report)).toEqual(['trail-write-management-events']);
  });

  it('passes a trail with advanced selectors for write management events', async () => {
    await completeSetup();
    await new CloudTrailClient(config()).send(
      new PutEventSelectorsCommand({
        TrailName: 'management',
        AdvancedEventSelectors: [
          {
            Name: 'Write management events',
            FieldSelectors: [
              { Field: 'eventCategory', Equals: ['Management'] },
              { Field: 'readOnly', Equals: ['false'] },
            ],
          },
        ],
      }),
    );
    const report = await audit();
    expect(failing(report)).toEqual([]);
    expect(detail(report, 'trail-write-management-events')).toContain('advanced event selectors');
  });

  it('picks the complete chain when a root-login filter and a partial CIS filter share the log group', async () => {
    const topicArn = await completeSetup();
    await createFilter('{ $.eventName = "PutRolePolicy" }', 'only-put-role-policy');
    await new CloudWatchLogsClient(config()).send(
      new PutMetricFilterCommand({
        logGroupName: LOG_GROUP,
        filterName: 'CIS-4.3-RootUsage',
        filterPattern: '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS }',
        metricTransformations: [
          { metricNamespace: 'CISBenchmark', metricName: 'RootUsage', metricValue: '1' },
        ],
      }),
    );
    const report = await audit();
    expect(report.pass).toBe(true);
    expect(report.chain.filter).toBe('CIS-4.4-IAMPolicyChanges');
    expect(report.chain.topic).toBe(topicArn);
    // The two CIS candidates publish the same metric; the root-login filter is no candidate.
    expect(report.candidates).toBe(2);
  });

  it('sends an audit of another region to the region of the log group', async () => {
    await createTrail({ region: 'eu-west-1' });
    const report = await audit(REGION);
    expect(report.chain.trail).toBe('management');
    expect(report.chain.trailRegion).toBe('eu-west-1');
    expect(detail(report, 'trail-cloudwatch-logs')).toContain(
      'in eu-west-1; its metric filters and alarms live there',
    );
    expect(fix(report, 'trail-cloudwatch-logs')).toContain('npx iam-changes audit --region eu-west-1');
    // moto refuses GetEventSelectors for a shadow trail outside its home region: recorded, not fatal.
    expect(detail(report, 'trail-write-management-events')).toContain('TrailNotFoundException');
  });
});

describe('AwsCisAuditGateway on moto_server', () => {
  it('reads every page of subscriptions', async () => {
    const topicArn = await completeSetup();
    for (let index = 1; index <= 100; index += 1) await subscribe(topicArn, `oncall-${index}@example.com`);
    const facts = await gateway().gatherFacts();
    expect(facts.topics).toHaveLength(1);
    expect(facts.topics[0]?.subscriptions).toHaveLength(101);
  });

  it('skips TestMetricFilter against an explicit endpoint', async () => {
    await completeSetup();
    const facts = await gateway().gatherFacts();
    expect(facts.testMetricFilter).toBe(false);
    expect(facts.metricFilters[0]?.awsTest).toBeUndefined();
  });

  it('sends TestMetricFilter every varied sample of the 16 calls, in batches of 50, and judges each call by all of them', async () => {
    const pattern = `{ (${CIS44_FILTER_PATTERN.slice(1, -1)}) && ($.userIdentity.type = IAMUser) }`;
    await completeSetup(pattern);
    const clients = createCisAuditClients(config());
    const passThrough = new CloudWatchLogsClient(config());
    const batches: string[][] = [];
    const logs = mockClient(clients.cloudWatchLogs);
    logs
      .on(DescribeMetricFiltersCommand)
      .callsFake((input: DescribeMetricFiltersCommandInput) =>
        passThrough.send(new DescribeMetricFiltersCommand(input)),
      );
    // What CloudWatch Logs answers for this pattern: the records of IAM users match, the others do not.
    logs.on(TestMetricFilterCommand).callsFake((input: TestMetricFilterCommandInput) => {
      const messages = input.logEventMessages ?? [];
      batches.push(messages);
      return {
        matches: messages.flatMap((eventMessage, index) =>
          (JSON.parse(eventMessage) as { userIdentity: { type: string } }).userIdentity.type === 'IAMUser'
            ? [{ eventNumber: index + 1, eventMessage }]
            : [],
        ),
      };
    });
    const facts = await new AwsCisAuditGateway(clients, { testMetricFilter: true }).gatherFacts();
    expect(batches.map((batch) => batch.length)).toEqual([50, 46]);
    expect(batches.every((batch) => batch.every(isCompactIamRecord))).toBe(true);
    const types = new Set(
      batches
        .flat()
        .map((message) => (JSON.parse(message) as { userIdentity: { type: string } }).userIdentity.type),
    );
    expect(types).toEqual(new Set(['IAMUser', 'AssumedRole', 'Root']));
    expect(batches.flat().some((message) => message.includes('"errorCode":"AccessDenied"'))).toBe(true);
    const test = facts.metricFilters[0]?.awsTest;
    expect(test).toEqual({
      covered: [],
      missing: [...CIS44_EVENT_NAMES],
      partial: CIS44_EVENT_NAMES.map((eventName) => ({ eventName, matched: ['user', 'console', 'failed'] })),
    });
    logs.restore();
  });

  it('judges a partial filter on moto: the detail names the condition and the fix extends the filter', async () => {
    const pattern = `{ ($.eventName = PutRolePolicy) && ($.errorCode NOT EXISTS) }`;
    await completeSetup(pattern);
    const report = await audit();
    expect(failing(report)).toEqual(['metric-filter-covers-16']);
    expect(detail(report, 'metric-filter-covers-16')).toContain(
      'it counts PutRolePolicy only when errorCode is absent',
    );
    expect(fix(report, 'metric-filter-covers-16')).toContain(
      `--filter-name CIS-4.4-IAMPolicyChanges --filter-pattern '{(($.eventName = PutRolePolicy) && ($.errorCode NOT EXISTS))||($.eventName=DeleteGroupPolicy)`,
    );
  });

  it("records moto's missing TestMetricFilter when asked for it, and goes on", async () => {
    await completeSetup();
    const report = await runCisAudit(gateway(REGION, { testMetricFilter: true }));
    expect(report.pass).toBe(true);
    expect(detail(report, 'metric-filter-covers-16')).toContain(
      'TestMetricFilter could not run: logs:TestMetricFilter:',
    );
  });

  it('looks up alarms only for filters counting a CIS 4.4 call', async () => {
    await completeSetup();
    await new CloudWatchLogsClient(config()).send(
      new PutMetricFilterCommand({
        logGroupName: LOG_GROUP,
        filterName: 'console-logins',
        filterPattern: '{ $.eventName = "ConsoleLogin" }',
        metricTransformations: [
          { metricNamespace: 'Security', metricName: 'ConsoleLogins', metricValue: '1' },
        ],
      }),
    );
    await new CloudWatchClient(config()).send(
      new PutMetricAlarmCommand({
        AlarmName: 'console-logins',
        Namespace: 'Security',
        MetricName: 'ConsoleLogins',
        Statistic: 'Sum',
        Period: 300,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      }),
    );
    const facts = await gateway().gatherFacts();
    expect(facts.metricFilters.map((filter) => filter.filterName).sort()).toEqual([
      'CIS-4.4-IAMPolicyChanges',
      'console-logins',
    ]);
    expect(facts.alarms.map((alarm) => alarm.alarmName)).toEqual(['CIS-4.4-IAMPolicyChanges']);
  });

  it('rejects with an AuditCallError naming the call when AWS cannot be reached', async () => {
    const clients = createCisAuditClients({
      ...awsTestEnv('http://127.0.0.1:9'),
      maxAttempts: 1,
      connectionTimeoutMs: 500,
    });
    const error = await runCisAudit(new AwsCisAuditGateway(clients)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuditCallError);
    expect((error as AuditCallError).call).toBe('cloudtrail:DescribeTrails');
    expect((error as Error).message).toMatch(/^cloudtrail:DescribeTrails failed: .*ECONNREFUSED/);
  });
});
