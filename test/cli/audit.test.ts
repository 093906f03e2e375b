/**
 * `iam-changes audit` against a real moto_server, reached through AWS_ENDPOINT_URL in the environment the
 * command is given (CliIo.env) — the way a user points it at moto. What moto does and does not emulate is
 * listed in test/app/cis-audit-service.test.ts; the one thing that matters here: moto has no
 * TestMetricFilter, and the command does not ask for it when AWS_ENDPOINT_URL is set.
 */
import { Readable, Writable } from 'node:stream';
import { CloudTrailClient, CreateTrailCommand, StartLoggingCommand } from '@aws-sdk/client-cloudtrail';
import { CloudWatchClient, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  PutMetricFilterCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { auditCommand } from '../../src/cli/audit';
import { UsageError } from '../../src/cli/command';
import { CIS_AUDIT_CHECK_IDS } from '../../src/domain/cis-audit';
import { CIS44_FILTER_PATTERN } from '../../src/domain/filter-pattern';
import { awsTestEnv, type MotoServer, startMoto } from '../support/moto';

const LOG_GROUP = '/aws/cloudtrail/management';
const ACCOUNT = '123456789012';

let moto: MotoServer;

beforeAll(async () => {
  // The audit reads no IAM: without AWS managed policies to load, each reset below takes milliseconds, not seconds.
  moto = await startMoto({ MOTO_IAM_LOAD_MANAGED_POLICIES: 'false' });
});

afterAll(async () => {
  await moto?.stop();
});

beforeEach(async () => {
  expect((await fetch(`${moto.endpoint}/moto-api/reset`, { method: 'POST' })).ok).toBe(true);
});

afterEach(() => {
  vi.unstubAllEnvs();
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function collector(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      callback();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

function motoEnv(): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
  };
}

async function run(args: string[], env: Record<string, string | undefined> = motoEnv()): Promise<Run> {
  const stdout = collector();
  const stderr = collector();
  const code = await auditCommand.run(args, {
    stdin: Readable.from([]),
    stdout: stdout.stream,
    stderr: stderr.stream,
    env,
  });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

/** Trail → log group → CIS filter → alarm → topic → subscriber; `alarm: false` stops after the filter. */
async function setUp(options: { alarm: boolean }): Promise<void> {
  const config = awsTestEnv(moto.endpoint);
  const bucket = await fetch(`${moto.endpoint}/cloudtrail-logs-${ACCOUNT}`, {
    method: 'PUT',
    headers: {
      Authorization:
        'AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0',
    },
  });
  expect(bucket.status).toBe(200);
  const trails = new CloudTrailClient(config);
  await trails.send(
    new CreateTrailCommand({
      Name: 'management',
      S3BucketName: `cloudtrail-logs-${ACCOUNT}`,
      IsMultiRegionTrail: true,
      CloudWatchLogsLogGroupArn: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:${LOG_GROUP}:*`,
      CloudWatchLogsRoleArn: `arn:aws:iam::${ACCOUNT}:role/CloudTrailToCloudWatchLogs`,
    }),
  );
  await trails.send(new StartLoggingCommand({ Name: 'management' }));
  const logs = new CloudWatchLogsClient(config);
  await logs.send(new CreateLogGroupCommand({ logGroupName: LOG_GROUP }));
  await logs.send(
    new PutMetricFilterCommand({
      logGroupName: LOG_GROUP,
      filterName: 'CIS-4.4-IAMPolicyChanges',
      filterPattern: CIS44_FILTER_PATTERN,
      metricTransformations: [
        { metricNamespace: 'CISBenchmark', metricName: 'IAMPolicyChanges', metricValue: '1' },
      ],
    }),
  );
  if (!options.alarm) return;
  const sns = new SNSClient(config);
  const topic = await sns.send(new CreateTopicCommand({ Name: 'security-alerts' }));
  await sns.send(
    new SubscribeCommand({ TopicArn: topic.TopicArn, Protocol: 'email', Endpoint: 'sec@example.com' }),
  );
  await new CloudWatchClient(config).send(
    new PutMetricAlarmCommand({
      AlarmName: 'CIS-4.4-IAMPolicyChanges',
      Namespace: 'CISBenchmark',
      MetricName: 'IAMPolicyChanges',
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [topic.TopicArn as string],
    }),
  );
}

describe('iam-changes audit', () => {
  it('exits 0 and prints the JSON report with --json when CIS 4.4 is in place', async () => {
    await setUp({ alarm: true });
    const result = await run(['--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(Object.keys(report)).toEqual(['pass', 'checks', 'missingEvents', 'chain', 'candidates', 'region']);
    expect(report.pass).toBe(true);
    expect(report.missingEvents).toEqual([]);
    expect(report.region).toBe('us-east-1');
    const checks = report.checks as { id: string; pass: boolean; detail: string; fix?: string }[];
    expect(checks.map((check) => check.id)).toEqual([...CIS_AUDIT_CHECK_IDS]);
    expect(
      checks.every((check) => check.pass && typeof check.detail === 'string' && check.fix === undefined),
    ).toBe(true);
    expect(checks.find((check) => check.id === 'metric-filter-covers-16')?.detail).toContain(
      'TestMetricFilter: not asked for',
    );
    expect(report.chain).toMatchObject({ trail: 'management', alarm: 'CIS-4.4-IAMPolicyChanges' });
  });

  it('exits 0 with a table of ✓ by default', async () => {
    await setUp({ alarm: true });
    const result = await run([]);
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe('CIS AWS Foundations Benchmark 4.4 (IAM policy changes) in us-east-1: PASS');
    expect(lines[1]).toMatch(
      /^chain: trail "management" \(us-east-1\) → log group "\/aws\/cloudtrail\/management" → /,
    );
    for (const id of CIS_AUDIT_CHECK_IDS) expect(result.stdout).toMatch(new RegExp(`^✓ ${id} +\\S`, 'm'));
    expect(result.stdout).toContain('missing events: none\n8 of 8 checks pass.');
  });

  it('exits 1 and prints the fix commands when the alarm is missing', async () => {
    await setUp({ alarm: false });
    const result = await run([]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('');
    expect(result.stdout.split('\n')[0]).toContain(': FAIL');
    expect(result.stdout).toMatch(/^✗ alarm-on-metric +no alarm on CISBenchmark\/IAMPolicyChanges$/m);
    expect(result.stdout).toMatch(
      /^ {6}aws cloudwatch put-metric-alarm --region us-east-1 --alarm-name CIS-4.4-IAMPolicyChanges --namespace CISBenchmark --metric-name IAMPolicyChanges --statistic Sum --period 300 --evaluation-periods 1 --datapoints-to-alarm 1 --threshold 1 --comparison-operator GreaterThanOrEqualToThreshold --treat-missing-data notBreaching --actions-enabled --alarm-actions arn:aws:sns:us-east-1:123456789012:iam-changes-alerts$/m,
    );
    expect(result.stdout).toMatch(/^ {6}aws sns create-topic --region us-east-1 --name iam-changes-alerts$/m);
    expect(result.stdout).toContain('4 of 8 checks pass.');
  });

  it('exits 1 with --json listing the failed checks and their fixes', async () => {
    await setUp({ alarm: false });
    const result = await run(['--json']);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as {
      pass: boolean;
      checks: { id: string; pass: boolean; fix?: string }[];
    };
    expect(report.pass).toBe(false);
    const failed = report.checks.filter((check) => !check.pass);
    expect(failed.map((check) => check.id)).toEqual([
      'alarm-on-metric',
      'alarm-fires-on-one-event',
      'alarm-has-sns-action',
      'sns-confirmed-subscription',
    ]);
    expect(failed.every((check) => check.fix?.startsWith('aws '))).toBe(true);
  });

  it('exits 1 with one line naming the call when AWS cannot be reached', async () => {
    const result = await run([], { ...motoEnv(), AWS_ENDPOINT_URL: 'http://127.0.0.1:9' });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^iam-changes: audit failed: cloudtrail:DescribeTrails failed: .+\n$/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 1 with one line naming the call when there are no credentials', async () => {
    // Leave the SDK's chain nothing to find, quickly: no keys, no profile files, no instance metadata.
    vi.stubEnv('AWS_ACCESS_KEY_ID', '');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', '');
    vi.stubEnv('AWS_SESSION_TOKEN', '');
    vi.stubEnv('AWS_PROFILE', '');
    vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', '/nonexistent/credentials');
    vi.stubEnv('AWS_CONFIG_FILE', '/nonexistent/config');
    vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
    vi.stubEnv('AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', '');
    vi.stubEnv('AWS_CONTAINER_CREDENTIALS_FULL_URI', '');
    vi.stubEnv('AWS_WEB_IDENTITY_TOKEN_FILE', '');
    const result = await run([], { AWS_ENDPOINT_URL: moto.endpoint, AWS_REGION: 'us-east-1' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^iam-changes: audit failed: cloudtrail:DescribeTrails failed: .*credentials.*\n$/i,
    );
  });

  it('audits the region given with --region', async () => {
    await setUp({ alarm: true });
    const result = await run(['--json', '--region', 'eu-west-1']);
    const report = JSON.parse(result.stdout) as { region: string; checks: { id: string; detail: string }[] };
    expect(report.region).toBe('eu-west-1');
    // The us-east-1 trail is multi-region: eu-west-1 sees its shadow, whose log group is in us-east-1.
    expect(report.checks.find((check) => check.id === 'trail-cloudwatch-logs')?.detail).toContain(
      'its metric filters and alarms live there, not in eu-west-1',
    );
    expect(result.code).toBe(1);
  });

  it('refuses bad usage (exit 2 through main)', async () => {
    await expect(run(['--region', 'the-moon'])).rejects.toBeInstanceOf(UsageError);
    await expect(run(['now'])).rejects.toThrow(/audit takes no arguments/);
  });
});
