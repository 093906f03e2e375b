/**
 * Packages the service with the Serverless Framework (offline: no AWS account is needed to package) with and
 * without parameters, and reads the generated CloudFormation.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CIS44_EVENT_NAMES } from '../../src/domain/events';
import { CIS44_FILTER_PATTERN, evaluateCis44Coverage } from '../../src/domain/filter-pattern';
import { TABLE_INDEXES, TABLE_KEY_SCHEMA, TTL_ATTRIBUTE } from '../../src/store/table';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const SERVERLESS = path.join(ROOT, 'node_modules', 'serverless', 'bin', 'serverless.js');

type Json = Record<string, unknown>;
interface Template {
  Conditions?: Record<string, unknown>;
  Resources: Record<string, { Type: string; Condition?: string; Properties?: Json }>;
  Outputs?: Json;
}

async function packageWith(dir: string, params: string[]): Promise<Template> {
  const child = spawn(
    process.execPath,
    [
      SERVERLESS,
      'package',
      '--stage',
      'test',
      '--package',
      dir,
      ...params.map((param) => `--param=${param}`),
    ],
    {
      cwd: ROOT,
      // No terminal and no stdin: the framework must not wait for an answer.
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        AWS_ACCESS_KEY_ID: 'offline',
        AWS_SECRET_ACCESS_KEY: 'offline',
        SLS_TELEMETRY_DISABLED: '1',
        SLS_NOTIFICATIONS_MODE: 'off',
      },
    },
  );
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`serverless package failed (${code}):\n${output.slice(-4000)}`);
  return JSON.parse(
    await readFile(path.join(dir, 'cloudformation-template-update-stack.json'), 'utf8'),
  ) as Template;
}

/** Evaluates the template's `Fn::Equals` / `Fn::Not` conditions (all this template uses). */
function conditionHolds(template: Template, name: string | undefined): boolean {
  if (!name) return true;
  const evaluate = (node: unknown): boolean => {
    const value = node as Json;
    if ('Fn::Not' in value) return !evaluate((value['Fn::Not'] as unknown[])[0]);
    if ('Fn::Equals' in value) {
      const [left, right] = value['Fn::Equals'] as unknown[];
      return JSON.stringify(left) === JSON.stringify(right);
    }
    if ('Condition' in value) return conditionHolds(template, String(value.Condition));
    throw new Error(`condition form not handled: ${JSON.stringify(value)}`);
  };
  return evaluate(template.Conditions?.[name]);
}

function active(template: Template, type: string) {
  return Object.entries(template.Resources).filter(
    ([, resource]) => resource.Type === type && conditionHolds(template, resource.Condition),
  );
}

interface PolicyStatement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

function statementsOf(role: { Properties?: Json }): PolicyStatement[] {
  const policies = (role.Properties?.Policies ?? []) as Array<{
    PolicyDocument: { Statement: PolicyStatement[] };
  }>;
  return policies.flatMap((policy) => policy.PolicyDocument.Statement);
}

function actions(statement: PolicyStatement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

const IAM_WRITE = /^iam:(Attach|Detach|Put|Delete|Create|Update|Set|Add|Remove|Tag|Untag)/;

let dir: string;
let plain: Template;
let withParams: Template;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'iam-changes-package-'));
  // One after the other: serverless-esbuild builds in the service's own .esbuild folder.
  plain = await packageWith(path.join(dir, 'plain'), []);
  withParams = await packageWith(path.join(dir, 'params'), [
    'cloudTrailLogGroup=aws-cloudtrail-logs-org',
    'allWrites=true',
  ]);
}, 240_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('serverless.yml', () => {
  it('declares both topics, letting EventBridge and CloudWatch publish alerts', () => {
    const policy = active(plain, 'AWS::SNS::TopicPolicy')[0]?.[1];
    const principals = JSON.stringify(policy?.Properties);
    expect(principals).toContain('events.amazonaws.com');
    expect(principals).toContain('cloudwatch.amazonaws.com');
    expect(
      active(plain, 'AWS::SNS::Topic')
        .map(([id]) => id)
        .sort(),
    ).toEqual(['AlertsTopic', 'JobsTopic']);
  });

  it('routes the 16 CIS 4.4 calls from aws.iam to the alerts topic by default', () => {
    const rules = active(plain, 'AWS::Events::Rule');
    expect(rules).toHaveLength(1);
    const pattern = rules[0]?.[1].Properties?.EventPattern as {
      source: string[];
      detail: { eventSource: string[]; eventName: string[] };
    };
    expect(pattern.source).toEqual(['aws.iam']);
    expect(pattern.detail.eventSource).toEqual(['iam.amazonaws.com']);
    for (const name of CIS44_EVENT_NAMES) expect(pattern.detail.eventName).toContain(name);
    expect(JSON.stringify(rules[0]?.[1].Properties?.Targets)).toContain('AlertsTopic');
  });

  it('routes every IAM write by name prefix with allWrites=true', () => {
    const rules = active(withParams, 'AWS::Events::Rule');
    expect(rules).toHaveLength(1);
    const names =
      (
        rules[0]?.[1].Properties?.EventPattern as
          | { detail: { eventName: Array<{ prefix: string }> } }
          | undefined
      )?.detail.eventName ?? [];
    expect(names.map((entry) => entry.prefix)).toEqual(
      expect.arrayContaining(['Attach', 'Put', 'Create', 'Delete', 'Update']),
    );
  });

  it('creates no metric filter or alarm without a CloudTrail log group', () => {
    expect(active(plain, 'AWS::Logs::MetricFilter')).toHaveLength(0);
    expect(active(plain, 'AWS::CloudWatch::Alarm')).toHaveLength(0);
  });

  it("creates the CIS 4.4 metric filter with the benchmark's exact pattern and an alarm that fires on one call", () => {
    const filter = active(withParams, 'AWS::Logs::MetricFilter')[0]?.[1].Properties;
    expect(filter?.LogGroupName).toBe('aws-cloudtrail-logs-org');
    expect(filter?.FilterPattern).toBe(CIS44_FILTER_PATTERN);
    const coverage = evaluateCis44Coverage(String(filter?.FilterPattern));
    expect(coverage.missing).toEqual([]);
    expect(coverage.covered).toHaveLength(16);
    expect(filter?.MetricTransformations).toEqual([
      { MetricNamespace: 'CISBenchmark', MetricName: 'IAMPolicyChanges', MetricValue: '1' },
    ]);
    const alarm = active(withParams, 'AWS::CloudWatch::Alarm')[0]?.[1].Properties;
    expect(alarm).toMatchObject({
      Namespace: 'CISBenchmark',
      MetricName: 'IAMPolicyChanges',
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    expect(JSON.stringify(alarm?.AlarmActions)).toContain('AlertsTopic');
  });

  it('declares the table the store expects: on demand, point-in-time recovery, TTL, the same keys and indexes', () => {
    const table = active(plain, 'AWS::DynamoDB::Table')[0]?.[1].Properties;
    expect(table?.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table?.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(table?.TimeToLiveSpecification).toEqual({ AttributeName: TTL_ATTRIBUTE, Enabled: true });
    expect(table?.KeySchema).toEqual(TABLE_KEY_SCHEMA);
    const indexes = (
      (table?.GlobalSecondaryIndexes ?? []) as Array<{ IndexName: string; KeySchema: unknown }>
    ).map((index) => ({
      IndexName: index.IndexName,
      KeySchema: index.KeySchema,
    }));
    expect(indexes).toEqual(
      TABLE_INDEXES.map((index) => ({ IndexName: index.IndexName, KeySchema: index.KeySchema })),
    );
  });

  it('exposes POST /slack/events and outputs the Slack request URL', () => {
    const routes = active(plain, 'AWS::ApiGatewayV2::Route').map(([, route]) => route.Properties?.RouteKey);
    expect(routes).toEqual(['POST /slack/events']);
    expect(JSON.stringify(plain.Outputs?.SlackRequestUrl)).toContain('/slack/events');
  });

  it('keeps failed notifications and jobs in dead-letter queues', () => {
    const queues = active(plain, 'AWS::SQS::Queue').map(([id]) => id);
    expect(queues).toEqual(expect.arrayContaining(['NotifyDeadLetterQueue', 'WorkerDeadLetterQueue']));
    const destinations = active(plain, 'AWS::Lambda::EventInvokeConfig').map(([, config]) =>
      JSON.stringify(config.Properties),
    );
    expect(destinations.some((text) => text.includes('NotifyDeadLetterQueue'))).toBe(true);
    expect(destinations.some((text) => text.includes('WorkerDeadLetterQueue'))).toBe(true);
  });

  it('gives each function its own role, lets only the worker write IAM, and grants no wildcard action', () => {
    const roles = Object.fromEntries(active(plain, 'AWS::IAM::Role'));
    expect(Object.keys(roles).sort()).toEqual(['NotifyRole', 'SlackRole', 'WorkerRole']);
    for (const [name, role] of Object.entries(roles)) {
      const allowed = statementsOf(role)
        .filter((statement) => statement.Effect === 'Allow')
        .flatMap(actions);
      expect(
        allowed.filter((action) => action.includes('*')),
        name,
      ).toEqual([]);
      const writesIam = allowed.some((action) => IAM_WRITE.test(action));
      expect(writesIam, name).toBe(name === 'WorkerRole');
    }
  });

  it('reads Slack secrets from SSM and never carries them in the template', () => {
    const text = JSON.stringify(plain);
    expect(text).toContain('/iam-changes/test/slack-bot-token');
    expect(text).toContain('/iam-changes/test/slack-signing-secret');
    expect(text).not.toMatch(/xox[bpa]-/);
  });
});
