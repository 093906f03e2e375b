/**
 * The local runtime's demo scenarios: IAM changes worth an alert, delivered to the notify use case the way they
 * arrive in AWS — a CloudTrail record in an EventBridge event in an SNS notification, or, for the CIS 4.4 alarm,
 * records in a CloudTrail log group behind the CIS metric filter and then the alarm's notification.
 *
 * With the runtime's own moto_server (`account`), every call a record describes is first really made there —
 * the role is created, the policy attached — so Revert really undoes it, and every principal a button acts on
 * exists (Quarantine has a user, a key, a role to act on). Without one, only the records are fed.
 *
 * What a scenario sets up before its change (Terraform creating the role the change then opens) is recorded in
 * the CloudTrail history — so Revert knows what to restore — but never posted: the demo's own setup is not an
 * alert. Scenarios never touch an AWS account the runtime did not start itself.
 */

import type { ScenarioAccount } from '../aws/scenario-account';
import { CIS44_FIX_DEFAULTS } from '../domain/cis-audit';
import { CIS44_FILTER_PATTERN, matchesFilterPattern, parseFilterPattern } from '../domain/filter-pattern';
import type { CloudTrailRecord } from '../domain/input';
import {
  alarmMessage,
  eventBridgeEvent,
  scenarioActors,
  snsEvent,
  type TrailActor,
  trailRecord,
} from './scenario-records';

/** A scenario as the page and `iam-changes dev --scenario` list it. */
export interface ScenarioDefinition {
  name: ScenarioName;
  title: string;
  description: string;
}

/** The scenario names. */
export const SCENARIO_NAMES = [
  'admin-policy',
  'trust-policy',
  'inline-policy',
  'terraform-burst',
  'cis-alarm',
] as const;

/** One of {@link SCENARIO_NAMES}. */
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

/** Every scenario, in the order the page shows them. */
export const SCENARIOS: readonly ScenarioDefinition[] = Object.freeze([
  {
    name: 'admin-policy',
    title: 'Admin policy attached',
    description: 'AttachRolePolicy AdministratorAccess to role ci-runner, by an SSO user without MFA.',
  },
  {
    name: 'trust-policy',
    title: 'Trust policy opened',
    description: 'UpdateAssumeRolePolicy lets anyone ({"AWS":"*"}) assume role deploy-bot.',
  },
  {
    name: 'inline-policy',
    title: 'Inline policy written',
    description: 'PutUserPolicy: contractor-bob gives himself iam:* and s3:* on * in the console.',
  },
  {
    name: 'terraform-burst',
    title: 'Terraform burst',
    description: '30 changes from one Terraform session: grouped in one thread, not 30 alerts.',
  },
  {
    name: 'cis-alarm',
    title: 'CIS 4.4 alarm',
    description: 'The CIS 4.4 alarm fires; the bot finds the calls behind it in the CloudTrail log group.',
  },
]);

/** True when `name` is a scenario. */
export function isScenarioName(name: string): name is ScenarioName {
  return (SCENARIO_NAMES as readonly string[]).includes(name);
}

/** What a scenario runs against. */
export interface ScenarioContext {
  /** The notify use case (`NotifyService.process`): one SNS notification in. */
  notify: (notification: unknown) => Promise<unknown>;
  /** The runtime's own moto_server: make the calls for real first. Absent: records only. */
  account?: ScenarioAccount;
  /** The account the records name (moto's default account). */
  accountId: string;
  /**
   * Told about every record a scenario feeds or sets up with (the CloudTrail event history holds them, and the
   * simulated IAM of a run without moto follows them).
   */
  observe?: (record: CloudTrailRecord) => void;
  /**
   * The records of the CloudTrail event history from `start` to `end` (inclusive): where the bot looks for the
   * calls behind an alarm when there is no log group to search (no moto).
   */
  history?: (start: Date, end: Date) => CloudTrailRecord[];
  now?: () => Date;
}

/** Where the CIS 4.4 scenario keeps its CloudTrail log group on moto. */
export const SCENARIO_LOG_GROUP = 'aws-cloudtrail-logs-iam-changes-local';

/** The trail the CIS 4.4 scenario builds on moto, delivering to {@link SCENARIO_LOG_GROUP}. */
export const SCENARIO_TRAIL = 'iam-changes-local-trail';

/** The SNS topic the CIS 4.4 scenario's alarm notifies on moto. */
export const SCENARIO_TOPIC = 'iam-changes-local-cis-alarms';

/** The CIS 4.4 alarm's period in the demo, as CIS 4.4 examples set it. */
const PERIOD_SECONDS = 300;

const ADMIN_POLICY_ARN = 'arn:aws:iam::aws:policy/AdministratorAccess';

function document(statements: Array<Record<string, unknown>>): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statements }, null, 4);
}

function serviceTrust(service: string): string {
  return document([{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }]);
}

function seconds(base: Date, offset: number): Date {
  return new Date(base.getTime() + offset * 1000);
}

/** A short id that keeps names made by different runs apart (IAM names must be unique). */
function runId(now: Date): string {
  return now.getTime().toString(36).slice(-5);
}

/** Records a setup call in the CloudTrail history, without an alert: the demo's own doing. */
function setUp(context: ScenarioContext, record: CloudTrailRecord): void {
  context.observe?.(record);
}

async function feed(context: ScenarioContext, record: CloudTrailRecord): Promise<void> {
  context.observe?.(record);
  await context.notify(snsEvent(eventBridgeEvent(record, context.accountId), context.accountId));
}

/** Runs `tasks` with at most `limit` at a time, as concurrent Lambda invocations would take them. */
async function concurrently(tasks: Array<() => Promise<void>>, limit: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const task = tasks[next];
      next += 1;
      await task?.();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
}

async function adminPolicy(context: ScenarioContext, now: Date): Promise<void> {
  const actors = scenarioActors(context.accountId);
  await context.account?.ensureRole('ci-runner', serviceTrust('codebuild.amazonaws.com'));
  await context.account?.attachRolePolicy('ci-runner', ADMIN_POLICY_ARN);
  await feed(
    context,
    trailRecord({
      eventName: 'AttachRolePolicy',
      actor: actors.jane,
      time: now,
      accountId: context.accountId,
      requestParameters: { roleName: 'ci-runner', policyArn: ADMIN_POLICY_ARN },
    }),
  );
}

async function trustPolicy(context: ScenarioContext, now: Date): Promise<void> {
  const actors = scenarioActors(context.accountId, `terraform-apply-${runId(now)}`);
  const role = 'deploy-bot';
  const original = document([
    {
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${context.accountId}:root` },
      Action: 'sts:AssumeRole',
      Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } },
    },
  ]);
  const open = document([{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' }]);
  // The trust policy before the change must be on record, or Revert could not know what to restore: the role's
  // creation the first time, Terraform setting it back on later runs.
  const created = context.account ? (await context.account.ensureRole(role, original)).created : false;
  // Quarantine acts on the caller: mallory and her access key exist.
  await context.account?.ensureUser('mallory');
  await context.account?.ensureAccessKey('mallory');
  if (created) {
    setUp(
      context,
      trailRecord({
        eventName: 'CreateRole',
        actor: actors.terraform,
        time: seconds(now, -120),
        accountId: context.accountId,
        requestParameters: { roleName: role, assumeRolePolicyDocument: original },
        responseElements: {
          role: {
            path: '/',
            roleName: role,
            roleId: 'AROAEXAMPLEDEPLOYBOT',
            arn: `arn:aws:iam::${context.accountId}:role/${role}`,
            createDate: seconds(now, -120).toISOString(),
            assumeRolePolicyDocument: encodeURIComponent(original),
          },
        },
      }),
    );
  } else {
    await context.account?.updateAssumeRolePolicy(role, original);
    setUp(
      context,
      trailRecord({
        eventName: 'UpdateAssumeRolePolicy',
        actor: actors.terraform,
        time: seconds(now, -120),
        accountId: context.accountId,
        requestParameters: { roleName: role, policyDocument: original },
      }),
    );
  }
  await context.account?.updateAssumeRolePolicy(role, open);
  await feed(
    context,
    trailRecord({
      eventName: 'UpdateAssumeRolePolicy',
      actor: actors.mallory,
      time: now,
      accountId: context.accountId,
      requestParameters: { roleName: role, policyDocument: open },
    }),
  );
}

async function inlinePolicy(context: ScenarioContext, now: Date): Promise<void> {
  const actors = scenarioActors(context.accountId, `terraform-apply-${runId(now)}`);
  const user = 'contractor-bob';
  const policyName = 'deploy-access';
  const baseline = document([
    {
      Sid: 'ReadDeployArtifacts',
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:ListBucket'],
      Resource: [
        `arn:aws:s3:::deploy-artifacts-${context.accountId}`,
        `arn:aws:s3:::deploy-artifacts-${context.accountId}/*`,
      ],
    },
  ]);
  const escalated = document([
    { Sid: 'ReadDeployArtifacts', Effect: 'Allow', Action: ['s3:*', 'iam:*'], Resource: '*' },
  ]);
  await context.account?.ensureUser(user);
  // Terraform's version first: the document before the contractor's edit, which Revert puts back.
  await context.account?.putUserPolicy(user, policyName, baseline);
  setUp(
    context,
    trailRecord({
      eventName: 'PutUserPolicy',
      actor: actors.terraform,
      time: seconds(now, -300),
      accountId: context.accountId,
      requestParameters: { userName: user, policyName, policyDocument: baseline },
    }),
  );
  await context.account?.putUserPolicy(user, policyName, escalated);
  await feed(
    context,
    trailRecord({
      eventName: 'PutUserPolicy',
      actor: actors.bob,
      time: now,
      accountId: context.accountId,
      requestParameters: { userName: user, policyName, policyDocument: escalated },
    }),
  );
}

/** Thirty calls from one Terraform session: ten services, each a policy, a role and the attachment. */
async function terraformBurst(context: ScenarioContext, now: Date): Promise<void> {
  const run = runId(now);
  const actors = scenarioActors(context.accountId, `terraform-apply-${run}`);
  const records: CloudTrailRecord[] = [];
  const start = seconds(now, -40);
  // Quarantine acts on the session's role.
  await context.account?.ensureRole(
    'terraform-ci',
    document([
      {
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${context.accountId}:root` },
        Action: 'sts:AssumeRole',
      },
    ]),
  );
  for (let index = 1; index <= 10; index += 1) {
    const service = `svc${String(index).padStart(2, '0')}-${run}`;
    const policyName = `${service}-read`;
    const roleName = `${service}-task`;
    const policyDocument = document([
      {
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:ListBucket'],
        Resource: [`arn:aws:s3:::app-data-${service}`, `arn:aws:s3:::app-data-${service}/*`],
      },
    ]);
    const trust = serviceTrust('ecs-tasks.amazonaws.com');
    const at = (step: number) => seconds(start, (index - 1) * 3 + step);
    const policy = context.account
      ? await context.account.createPolicy(policyName, '/app/', policyDocument)
      : {
          arn: `arn:aws:iam::${context.accountId}:policy/app/${policyName}`,
          policyId: `ANPA${service.toUpperCase().replace(/[^A-Z0-9]/g, '')}`,
          versionId: 'v1',
          createDate: at(0).toISOString(),
        };
    const role = context.account
      ? await context.account.createRole(roleName, trust)
      : {
          roleId: `AROA${service.toUpperCase().replace(/[^A-Z0-9]/g, '')}`,
          arn: `arn:aws:iam::${context.accountId}:role/${roleName}`,
          createDate: at(1).toISOString(),
        };
    await context.account?.attachRolePolicy(roleName, policy.arn);
    const tf = (
      eventName: string,
      step: number,
      requestParameters: Record<string, unknown>,
      responseElements?: Record<string, unknown>,
    ) =>
      trailRecord({
        eventName,
        actor: actors.terraform,
        time: at(step),
        accountId: context.accountId,
        requestParameters,
        ...(responseElements ? { responseElements } : {}),
      });
    records.push(
      tf(
        'CreatePolicy',
        0,
        { policyName, path: '/app/', policyDocument },
        {
          policy: {
            policyName,
            policyId: policy.policyId,
            arn: policy.arn,
            path: '/app/',
            defaultVersionId: policy.versionId,
            attachmentCount: 0,
            isAttachable: true,
            createDate: policy.createDate,
          },
        },
      ),
      tf(
        'CreateRole',
        1,
        { roleName, assumeRolePolicyDocument: trust },
        {
          role: { path: '/', roleName, roleId: role.roleId, arn: role.arn, createDate: role.createDate },
        },
      ),
      tf('AttachRolePolicy', 2, { roleName, policyArn: policy.arn }),
    );
  }
  // SNS fans each event out to its own invocation: several run at once, as in AWS.
  await concurrently(
    records.map((record) => () => feed(context, record)),
    6,
  );
}

/** Three CIS 4.4 calls that reach the bot only through the alarm: the log group, the metric filter, the alarm. */
async function cisAlarm(context: ScenarioContext, now: Date): Promise<void> {
  const actors = scenarioActors(context.accountId);
  const run = runId(now);
  const periodMs = PERIOD_SECONDS * 1000;
  // The three calls go 20 s back, 2 s apart, all in one alarm period: the period of the latest possible call
  // (now − 16 s), starting later than 20 s back when that period began since. A run never straddles two periods,
  // so each period counts every run in it whole.
  const first = seconds(now, -20);
  const periodStart = new Date(Math.floor(seconds(now, -16).getTime() / periodMs) * periodMs);
  const base = first.getTime() < periodStart.getTime() ? periodStart : first;
  const policyName = `billing-export-${run}`;
  const policyDocument = document([{ Effect: 'Allow', Action: ['ce:Get*', 'cur:Describe*'], Resource: '*' }]);
  const assumeAnything = document([{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }]);
  const alice: TrailActor = actors.alice;

  await context.account?.ensureUser('alice');
  await context.account?.ensureRole('ci-runner', serviceTrust('codebuild.amazonaws.com'));
  const policy = context.account
    ? await context.account.createPolicy(policyName, '/', policyDocument)
    : {
        arn: `arn:aws:iam::${context.accountId}:policy/${policyName}`,
        policyId: 'ANPAEXAMPLEBILLING',
        versionId: 'v1',
        createDate: base.toISOString(),
      };
  await context.account?.attachUserPolicy('alice', policy.arn);
  await context.account?.putRolePolicy('ci-runner', 'assume-anything', assumeAnything);
  const record = (
    eventName: string,
    offset: number,
    requestParameters: Record<string, unknown>,
    responseElements?: Record<string, unknown>,
  ) =>
    trailRecord({
      eventName,
      actor: alice,
      time: seconds(base, offset),
      accountId: context.accountId,
      requestParameters,
      ...(responseElements ? { responseElements } : {}),
    });
  const records = [
    record(
      'CreatePolicy',
      0,
      { policyName, path: '/', policyDocument },
      {
        policy: {
          policyName,
          policyId: policy.policyId,
          arn: policy.arn,
          path: '/',
          defaultVersionId: policy.versionId,
          attachmentCount: 0,
          isAttachable: true,
          createDate: policy.createDate,
        },
      },
    ),
    record('AttachUserPolicy', 2, { userName: 'alice', policyArn: policy.arn }),
    record('PutRolePolicy', 4, {
      roleName: 'ci-runner',
      policyName: 'assume-anything',
      policyDocument: assumeAnything,
    }),
  ];
  const { filterName, metricNamespace, metricName, alarmName } = CIS44_FIX_DEFAULTS;
  if (context.account) {
    await context.account.writeTrailLogs(SCENARIO_LOG_GROUP, records);
    await context.account.putMetricFilter({
      logGroupName: SCENARIO_LOG_GROUP,
      filterName,
      filterPattern: CIS44_FILTER_PATTERN,
      metricNamespace,
      metricName,
    });
    // The rest of the chain, so `/iam-changes status` passes: the alarm below is one this account really has.
    await context.account.ensureCis44Chain({
      accountId: context.accountId,
      trailName: SCENARIO_TRAIL,
      bucketName: `aws-cloudtrail-logs-${context.accountId}-iam-changes-local`,
      deliveryRoleName: 'CloudTrail_CloudWatchLogs_Role',
      logGroupName: SCENARIO_LOG_GROUP,
      metricNamespace,
      metricName,
      alarmName,
      topicName: SCENARIO_TOPIC,
      subscriberEmail: 'security@example.com',
      period: PERIOD_SECONDS,
    });
    for (const entry of records) context.observe?.(entry);
  } else {
    // No log group to search without moto: the records come by EventBridge, and the alarm says what it found.
    for (const entry of records) await feed(context, entry);
  }
  const stateChangeTime = seconds(now, 1);
  // The datapoint is what the bot will find in the period, as a metric counts everything the filter matched in
  // it — this run's three calls, and any other scenario's calls in the same five minutes.
  const periodEnd = new Date(Math.min(periodStart.getTime() + periodMs, stateChangeTime.getTime()));
  const count = await cis44CallsBetween(context, periodStart, periodEnd);
  const alarm = alarmMessage({
    accountId: context.accountId,
    alarmName,
    metricNamespace,
    metricName,
    periodStart,
    count,
    stateChangeTime,
  });
  await context.account?.raiseAlarm(alarmName, String(alarm.NewStateReason ?? ''));
  await context.notify(snsEvent(alarm, context.accountId, `ALARM: "${alarmName}" in US East (N. Virginia)`));
}

/**
 * How many CIS 4.4 calls the bot finds behind an alarm for the period: in the log group on moto (what the metric
 * filter counts), otherwise in the CloudTrail history.
 */
async function cis44CallsBetween(context: ScenarioContext, start: Date, end: Date): Promise<number> {
  const messages = context.account
    ? await context.account.logMessages(SCENARIO_LOG_GROUP, start, end)
    : (context.history?.(start, end) ?? []).map((record) => JSON.stringify(record));
  const pattern = parseFilterPattern(CIS44_FILTER_PATTERN);
  return messages.filter((message) => matchesFilterPattern(pattern, { message })).length;
}

const RUNNERS: Record<ScenarioName, (context: ScenarioContext, now: Date) => Promise<void>> = {
  'admin-policy': adminPolicy,
  'trust-policy': trustPolicy,
  'inline-policy': inlinePolicy,
  'terraform-burst': terraformBurst,
  'cis-alarm': cisAlarm,
};

/** Runs one scenario; resolves once notify has processed every notification it sent. */
export async function runScenario(name: ScenarioName, context: ScenarioContext): Promise<void> {
  await RUNNERS[name](context, context.now?.() ?? new Date());
}
