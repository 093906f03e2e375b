/**
 * Packages the service with the Serverless Framework (offline: no AWS account is needed to package) with and
 * without parameters, reads the generated CloudFormation, and runs the packaged functions themselves: each zip
 * extracted outside the repository (no node_modules to fall back on) and its handler invoked in a fresh `node`
 * process, as Lambda does, against dynalite, moto_server and a local Slack.
 *
 * This is the only test that runs `serverless package`: two packagings in the repository at once collide.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import AdmZip from 'adm-zip';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CIS44_EVENT_NAMES } from '../../src/domain/events';
import { CIS44_FILTER_PATTERN, evaluateCis44Coverage } from '../../src/domain/filter-pattern';
import { TABLE_INDEXES, TABLE_KEY_SCHEMA, TTL_ATTRIBUTE } from '../../src/store/table';
import { cloudTrailRecord } from '../support/cloudtrail';
import { awsTestEnv } from '../support/moto';
import {
  CHANNEL,
  type Components,
  eventBridgeNotification,
  snsEvent,
  startComponents,
} from '../support/notify-harness';
import { signJob, TEST_SIGNING_SECRET } from '../support/signed-jobs';
import { signedSlackRequest } from '../support/slack-requests';

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

/** Evaluates the template's `Fn::Equals` / `Fn::Not` / `Fn::Or` conditions (all this template uses). */
function conditionHolds(template: Template, name: string | undefined): boolean {
  if (!name) return true;
  const evaluate = (node: unknown): boolean => {
    const value = node as Json;
    if ('Fn::Not' in value) return !evaluate((value['Fn::Not'] as unknown[])[0]);
    if ('Fn::Or' in value) return (value['Fn::Or'] as unknown[]).some(evaluate);
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
  Sid?: string;
  Effect: string;
  Principal?: unknown;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, unknown>;
}

function roleOf(template: Template, name: string): { Properties?: Json } {
  const role = template.Resources[name];
  if (!role) throw new Error(`no ${name} in the template`);
  return role;
}

function functionOf(template: Template, name: string): { Properties?: Json } {
  const found = active(template, 'AWS::Lambda::Function').find(([, fn]) =>
    String(fn.Properties?.FunctionName).endsWith(`-${name}`),
  );
  if (!found) throw new Error(`no ${name} function in the template`);
  return found[1];
}

/** The statements of the topic policy on `topic`. */
function topicPolicyOf(template: Template, topic: string): PolicyStatement[] {
  const found = active(template, 'AWS::SNS::TopicPolicy').find(
    ([, policy]) => JSON.stringify(policy.Properties?.Topics) === JSON.stringify([{ Ref: topic }]),
  );
  const document = found?.[1].Properties?.PolicyDocument as { Statement: PolicyStatement[] } | undefined;
  if (!document) throw new Error(`no topic policy on ${topic}`);
  return document.Statement;
}

/**
 * A role's statements, with `Fn::If` resolved as the template's conditions hold (a statement whose branch is
 * `AWS::NoValue` is left out).
 */
function statementsOf(role: { Properties?: Json }, template: Template = plain): PolicyStatement[] {
  const policies = (role.Properties?.Policies ?? []) as Array<{
    PolicyDocument: { Statement: unknown[] };
  }>;
  return policies
    .flatMap((policy) => policy.PolicyDocument.Statement)
    .map((statement) => resolveIf(template, statement))
    .filter((statement): statement is PolicyStatement => statement !== undefined);
}

/** `node` with every `Fn::If` chosen by its condition; `undefined` for `AWS::NoValue`. */
function resolveIf(template: Template, node: unknown): unknown {
  if (Array.isArray(node))
    return node.map((item) => resolveIf(template, item)).filter((item) => item !== undefined);
  if (node === null || typeof node !== 'object') return node;
  const value = node as Json;
  if ('Fn::If' in value) {
    const [condition, yes, no] = value['Fn::If'] as [string, unknown, unknown];
    return resolveIf(template, conditionHolds(template, condition) ? yes : no);
  }
  if (JSON.stringify(value) === JSON.stringify({ Ref: 'AWS::NoValue' })) return undefined;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, resolveIf(template, item)]));
}

function actions(statement: PolicyStatement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

const IAM_WRITE = /^iam:(Attach|Detach|Put|Delete|Create|Update|Set|Add|Remove|Tag|Untag)/;

let dir: string;
let plain: Template;
let withParams: Template;
let inOrganization: Template;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'iam-changes-package-'));
  // One after the other: serverless-esbuild builds in the service's own .esbuild folder.
  plain = await packageWith(path.join(dir, 'plain'), []);
  withParams = await packageWith(path.join(dir, 'params'), [
    'cloudTrailLogGroup=aws-cloudtrail-logs-org',
    'allWrites=true',
  ]);
  inOrganization = await packageWith(path.join(dir, 'organization'), [
    'organizationId=o-a1b2c3d4e5',
    'protectedPrincipals=arn:aws:iam::*:role/break-glass,arn:aws:iam::111122223333:user/root-admin',
    'extraAlarmArns=arn:aws:cloudwatch:us-east-1:111122223333:alarm:existing-cis-4.4',
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

  it('lets the worker assume the responder role only in the organisation, and knows its own account', () => {
    const assumeIn = (template: Template) =>
      statementsOf(roleOf(template, 'WorkerRole'), template).filter(
        (statement) => statement.Effect === 'Allow' && actions(statement).includes('sts:AssumeRole'),
      );
    // No organisation and no member accounts: the worker acts in its own account only.
    expect(assumeIn(plain)).toEqual([]);
    const [assume] = assumeIn(inOrganization);
    expect(JSON.stringify(assume?.Resource)).toContain(':iam::*:role/iam-changes-responder');
    expect(assume?.Condition).toEqual({ StringEquals: { 'aws:ResourceOrgID': 'o-a1b2c3d4e5' } });
    const environment = JSON.stringify(functionOf(plain, 'worker').Properties?.Environment);
    expect(environment).toContain('HOME_ACCOUNT_ID');
    expect(environment).toContain('AWS::AccountId');
    expect(environment).toContain('/iam-changes/test/responder-external-id');
    // The bot's own calls are exactly the worker's role (and the responder role in the organisation's accounts).
    expect(environment).toContain('"BOT_WORKER_ROLE_ARN":{"Fn::GetAtt":["WorkerRole","Arn"]}');
    expect(environment).not.toContain('arn:aws:iam::*:role/iam-changes-responder');
    expect(JSON.stringify(functionOf(inOrganization, 'notify').Properties?.Environment)).toContain(
      '"ORGANIZATION_ID":"o-a1b2c3d4e5"',
    );
  });

  it('lets only the Slack function publish jobs: an explicit deny for everyone else', () => {
    const policy = topicPolicyOf(plain, 'JobsTopic');
    const allow = policy.filter((statement) => statement.Effect === 'Allow');
    expect(allow).toHaveLength(1);
    expect(allow[0]?.Principal).toEqual({ AWS: { 'Fn::GetAtt': ['SlackRole', 'Arn'] } });
    expect(policy).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Principal: '*',
        Action: 'sns:Publish',
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': { 'Fn::GetAtt': ['SlackRole', 'Arn'] } } },
      }),
    );
  });

  it("takes alerts only from the stack's EventBridge rules and CloudWatch alarm: everyone else is denied", () => {
    const policy = topicPolicyOf(inOrganization, 'AlertsTopic');
    const byService = (service: string) =>
      policy.find(
        (statement) => JSON.stringify(statement.Principal) === JSON.stringify({ Service: service }),
      );
    const events = JSON.stringify(byService('events.amazonaws.com')?.Condition);
    expect(events).toContain('rule/iam-changes-cis44-test');
    expect(events).toContain('rule/iam-changes-all-writes-test');
    expect(events).toContain('aws:SourceAccount');
    const alarms = JSON.stringify(byService('cloudwatch.amazonaws.com')?.Condition);
    expect(alarms).toContain('alarm:CIS-4.4-IAMPolicyChanges');
    expect(alarms).toContain('alarm:existing-cis-4.4');
    const deny = policy.find((statement) => statement.Effect === 'Deny');
    expect(deny).toMatchObject({ Principal: '*', Action: 'sns:Publish' });
    const denied = JSON.stringify(deny?.Condition);
    expect(Object.keys((deny?.Condition ?? {}) as Json)).toEqual(['ArnNotEquals']);
    for (const source of [
      'rule/iam-changes-cis44-test',
      'alarm:CIS-4.4-IAMPolicyChanges',
      'alarm:existing-cis-4.4',
    ]) {
      expect(denied).toContain(source);
    }
  });

  it('scopes each role to the table items it owns: the Slack function cannot write a change, nor the worker create one', () => {
    const writes = (role: string) =>
      statementsOf(roleOf(plain, role)).filter(
        (statement) =>
          statement.Effect === 'Allow' &&
          actions(statement).some((action) => /^dynamodb:(Put|Update|BatchWrite|Delete)/.test(action)),
      );
    const leading = (statement: PolicyStatement) =>
      (statement.Condition?.['ForAllValues:StringLike'] as Json | undefined)?.['dynamodb:LeadingKeys'];
    const attributes = (statement: PolicyStatement) =>
      (statement.Condition?.['ForAllValues:StringEquals'] as Json | undefined)?.['dynamodb:Attributes'];
    for (const role of ['NotifyRole', 'SlackRole', 'WorkerRole']) {
      for (const statement of writes(role)) expect(leading(statement), role).toBeDefined();
    }
    const slack = writes('SlackRole');
    expect(slack.map((statement) => [actions(statement), leading(statement), attributes(statement)])).toEqual(
      [
        [['dynamodb:UpdateItem'], ['CHANGE#*'], ['pk', 'sk', 'acknowledgement', 'updatedAt']],
        [['dynamodb:PutItem'], ['AUDIT#*'], undefined],
      ],
    );
    const worker = writes('WorkerRole');
    const onChanges = worker.filter((statement) => JSON.stringify(leading(statement)).includes('CHANGE#'));
    expect(onChanges.map((statement) => actions(statement))).toEqual([['dynamodb:UpdateItem']]);
    expect(attributes(onChanges[0] as PolicyStatement)).toEqual([
      'pk',
      'sk',
      'revert',
      'quarantine',
      'updatedAt',
    ]);
    expect(worker.flatMap((statement) => leading(statement) as string[])).toEqual(
      expect.arrayContaining(['AUDIT#*', 'JOBPROOF#*', 'BOTSTEP#*']),
    );
    expect(JSON.stringify(writes('NotifyRole').map(leading))).not.toContain('AUDIT#');
  });

  it('lets each function read only its own SSM parameters, and notify only the configured log group', () => {
    const parameters = (template: Template, role: string) =>
      statementsOf(roleOf(template, role), template)
        .filter((statement) => actions(statement).includes('ssm:GetParameter'))
        .flatMap((statement) => [statement.Resource].flat())
        .map((resource) =>
          JSON.stringify(resource)
            .replace(/^.*parameter\/iam-changes\/test\//, '')
            .replace(/"}$/, ''),
        );
    expect(parameters(plain, 'NotifyRole')).toEqual(['slack-bot-token']);
    expect(parameters(plain, 'SlackRole').sort()).toEqual(['slack-bot-token', 'slack-signing-secret']);
    expect(parameters(plain, 'WorkerRole').sort()).toEqual([
      'responder-external-id',
      'slack-bot-token',
      'slack-signing-secret',
    ]);
    const reads = (template: Template) =>
      statementsOf(roleOf(template, 'NotifyRole'), template).filter((statement) =>
        actions(statement).includes('logs:FilterLogEvents'),
      );
    expect(reads(plain)).toEqual([]);
    expect(JSON.stringify(reads(withParams).map((statement) => statement.Resource))).toContain(
      'log-group:aws-cloudtrail-logs-org:*',
    );
    expect(JSON.stringify(reads(withParams).map((statement) => statement.Resource))).not.toContain(
      'log-group:*',
    );
  });

  it("denies the worker's IAM writes on the bot's own roles and on protected principals, for reverts too", () => {
    const worker = statementsOf(roleOf(inOrganization, 'WorkerRole'), inOrganization);
    const allowedWrites = worker
      .filter((statement) => statement.Effect === 'Allow')
      .flatMap(actions)
      .filter((action) => IAM_WRITE.test(action));
    const denies = worker.filter((statement) => statement.Effect === 'Deny');
    const onBot = denies.find((statement) =>
      JSON.stringify(statement.Resource).includes('role/iam-changes-*'),
    );
    expect([...actions(onBot as PolicyStatement)].sort()).toEqual([...allowedWrites].sort());
    const onProtected = denies.find((statement) =>
      JSON.stringify(statement.Resource).includes('break-glass'),
    );
    expect([...actions(onProtected as PolicyStatement)].sort()).toEqual([...allowedWrites].sort());
    expect(JSON.stringify(onProtected?.Resource)).toContain('user/root-admin');
  });

  it('throttles the Slack endpoint and lets a job wait no longer than the worker accepts its signature', () => {
    const stage = active(plain, 'AWS::ApiGatewayV2::Stage')[0]?.[1].Properties;
    expect(stage?.DefaultRouteSettings).toEqual({ ThrottlingRateLimit: 20, ThrottlingBurstLimit: 50 });
    const config = active(plain, 'AWS::Lambda::EventInvokeConfig').find(([id]) =>
      id.startsWith('Worker'),
    )?.[1];
    expect(config?.Properties).toMatchObject({ MaximumEventAgeInSeconds: 600, MaximumRetryAttempts: 2 });
  });

  it('reads Slack secrets from SSM and never carries them in the template', () => {
    const text = JSON.stringify(plain);
    expect(text).toContain('/iam-changes/test/slack-bot-token');
    expect(text).toContain('/iam-changes/test/slack-signing-secret');
    expect(text).not.toMatch(/xox[bpa]-/);
  });
});

const FUNCTIONS = ['notify', 'slack', 'worker'] as const;
type FunctionName = (typeof FUNCTIONS)[number];

/** A function as deployed: its zip, and its handler (`src/handlers/notify/index.handler`), from the template. */
function deployed(name: FunctionName): { zip: string; handler: string } {
  const found = active(plain, 'AWS::Lambda::Function').find(
    ([, resource]) => resource.Properties?.FunctionName === `iam-changes-test-${name}`,
  );
  const properties = found?.[1].Properties as { Handler: string; Code: { S3Key: string } } | undefined;
  if (!properties) throw new Error(`no ${name} function in the template`);
  return {
    zip: path.join(dir, 'plain', path.posix.basename(properties.Code.S3Key)),
    handler: properties.Handler,
  };
}

/** The files (not directories) a zip holds. */
function filesIn(zip: string): string[] {
  return new AdmZip(zip)
    .getEntries()
    .filter((entry) => !entry.isDirectory)
    .map((entry) => entry.entryName);
}

const RESULT_MARK = '@@handler-result ';

/**
 * What the Lambda Node.js runtime does, in small: imports the handler's module, calls it with the event (read
 * from stdin) and a context, and prints the result — on a line of its own after the function's logs — or the
 * error's message with a non-zero exit.
 */
const RUNNER = `
import { pathToFileURL } from 'node:url';
const [file, exportName] = process.argv.slice(1);
const finish = (stream, text, code) => stream.write(text + '\\n', () => process.exit(code));
try {
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  const context = {
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    awsRequestId: 'packaged-function-test',
    getRemainingTimeInMillis: () => 60000,
  };
  const bundle = await import(pathToFileURL(file).href);
  const result = await bundle[exportName](JSON.parse(input), context);
  finish(process.stdout, '${RESULT_MARK}' + JSON.stringify(result ?? null), 0);
} catch (error) {
  finish(process.stderr, error instanceof Error ? error.message : String(error), 1);
}
`;

describe('the packaged functions', () => {
  const SIGNING_SECRET = 'f0e1d2c3b4a5968778695a4b3c2d1e0f';
  const BOT_TOKEN_PARAMETER = '/iam-changes/test/slack-bot-token';
  let extracted: string;
  let components: Components;
  let tableName: string;

  beforeAll(async () => {
    // Outside the repository: a bare import the bundle left out finds no node_modules and fails, as on Lambda.
    extracted = path.join(dir, 'extracted');
    for (const name of FUNCTIONS) {
      new AdmZip(deployed(name).zip).extractAllTo(path.join(extracted, name), true);
    }
    components = await startComponents();
    tableName = await components.dynalite.createTable();
    const ssm = new SSMClient(awsTestEnv(components.moto.endpoint));
    await ssm.send(
      new PutParameterCommand({ Name: BOT_TOKEN_PARAMETER, Type: 'SecureString', Value: 'xoxb-from-ssm' }),
    );
    ssm.destroy();
  });

  afterAll(async () => {
    await components?.stop();
  });

  /** The environment Lambda would give the function, built from nothing: no variable of this process leaks in. */
  function lambdaEnv(name: FunctionName, settings: Record<string, string>): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      LANG: 'en_US.UTF-8',
      TZ: ':UTC',
      LAMBDA_TASK_ROOT: path.join(extracted, name),
      AWS_LAMBDA_FUNCTION_NAME: `iam-changes-test-${name}`,
      AWS_REGION: 'us-east-1',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      // No shared AWS config or credentials of whoever runs the tests.
      AWS_CONFIG_FILE: path.join(extracted, 'no-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(extracted, 'no-aws-credentials'),
      AWS_ENDPOINT_URL: components.moto.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: components.dynalite.endpoint,
      STAGE: 'test',
      TABLE_NAME: tableName,
      SLACK_API_URL: components.slack.url,
      SLACK_CHANNEL: CHANNEL,
      POWERTOOLS_SERVICE_NAME: 'iam-changes',
      ...settings,
    };
  }

  /** Invokes a packaged function's handler once, in a fresh `node` process (a cold start); resolves its result. */
  async function invoke(
    name: FunctionName,
    event: unknown,
    settings: Record<string, string>,
  ): Promise<unknown> {
    const root = path.join(extracted, name);
    const { handler } = deployed(name);
    const exportName = handler.slice(handler.lastIndexOf('.') + 1);
    const modulePath = handler.slice(0, handler.lastIndexOf('.'));
    // The runtime's lookup order for a handler module.
    const file = ['.js', '.mjs', '.cjs']
      .map((extension) => path.join(root, `${modulePath}${extension}`))
      .find((candidate) => existsSync(candidate));
    if (!file)
      throw new Error(`${name}: the handler ${handler} is not in ${path.basename(deployed(name).zip)}`);
    const child = spawn(process.execPath, ['--input-type=module', '-e', RUNNER, file, exportName], {
      cwd: root,
      env: lambdaEnv(name, settings),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdin.end(JSON.stringify(event));
    const [code] = (await once(child, 'close')) as [number | null];
    clearTimeout(timer);
    const line = stdout
      .split('\n')
      .filter((text) => text.startsWith(RESULT_MARK))
      .at(-1);
    if (code !== 0 || line === undefined) {
      throw new Error(`${name} failed (exit ${code}): ${stderr.trim()}\n${stdout.slice(-3000)}`);
    }
    return JSON.parse(line.slice(RESULT_MARK.length));
  }

  it.each(FUNCTIONS)(
    'packs %s alone: its handler and its chunks, no source maps, no node_modules',
    (name) => {
      const files = filesIn(deployed(name).zip);
      const own = new RegExp(`^src/handlers/${name}/(index\\.mjs|chunks/[^/]+\\.mjs)$`);

      expect(files).toContain(`src/handlers/${name}/index.mjs`);
      expect(files.filter((file) => file.endsWith('.map'))).toEqual([]);
      expect(files.filter((file) => file.includes('node_modules'))).toEqual([]);
      expect(files.filter((file) => !own.test(file))).toEqual([]);
    },
  );

  it('notify: reads the bot token from SSM and posts the change to Slack', async () => {
    const event = eventBridgeNotification(
      cloudTrailRecord('AttachRolePolicy', {
        roleName: 'packaged-notify-role',
        policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess',
      }),
    );

    const result = (await invoke('notify', event, { SLACK_BOT_TOKEN_PARAMETER: BOT_TOKEN_PARAMETER })) as {
      posted: unknown[];
    };

    expect(result.posted).toHaveLength(1);
    const posted = components.slack
      .topLevel(CHANNEL)
      .filter((message) => message.text.includes('packaged-notify-role'));
    expect(posted).toHaveLength(1);
  });

  describe('slack', () => {
    const settings = {
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      JOBS_TOPIC_ARN: 'arn:aws:sns:us-east-1:111122223333:iam-changes-jobs-test',
    };
    const helpCommand = () =>
      new URLSearchParams({
        token: 'legacy',
        team_id: 'T0LOCAL',
        team_domain: 'local-slack',
        channel_id: 'C0IAMCHANGES',
        channel_name: 'iam-changes',
        user_id: 'U0CAROL',
        user_name: 'carol',
        command: '/iam-changes',
        text: 'help',
        api_app_id: 'A0BOT',
        response_url: components.slack.responseUrl('packaged-help'),
        trigger_id: 'trigger-packaged',
      }).toString();

    it('answers a signed /iam-changes help with 200 and the help text', async () => {
      const response = (await invoke(
        'slack',
        signedSlackRequest(helpCommand(), SIGNING_SECRET),
        settings,
      )) as {
        statusCode: number;
        body: string;
      };

      expect(response.statusCode).toBe(200);
      const answer = JSON.parse(response.body) as { text: string; blocks: unknown[] };
      expect(answer.text).toContain('How to use /iam-changes');
      expect(JSON.stringify(answer.blocks)).toContain('/iam-changes');
    });

    it('refuses the same request with a forged signature: 401', async () => {
      const response = (await invoke(
        'slack',
        signedSlackRequest(helpCommand(), 'not-the-signing-secret-0000000000'),
        settings,
      )) as { statusCode: number };

      expect(response.statusCode).toBe(401);
    });
  });

  it('worker: runs a status job (the CIS 4.4 audit on moto) and answers through response_url', async () => {
    // As the Slack function publishes it: with the signed command, which the packaged worker verifies itself.
    const job = signJob({
      kind: 'status' as const,
      responseUrl: components.slack.responseUrl('packaged-status'),
      by: { slackUserId: 'U0ALICE', name: 'alice' },
      channelId: 'C0IAMCHANGES',
    });

    const results = (await invoke('worker', snsEvent(JSON.stringify(job)), {
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
    })) as Array<{ kind: string; outcome: string }>;

    expect(results).toEqual([{ kind: 'status', outcome: expect.not.stringMatching(/unverified/) }]);
    const answers = components.slack.responsesTo('packaged-status');
    expect(answers).toHaveLength(1);
    expect(String(answers[0]?.text)).toMatch(/^CIS 4.4 audit: (PASS|FAIL)/);
  });
});
