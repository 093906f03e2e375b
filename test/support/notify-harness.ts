/**
 * The notify path wired to real components: dynalite for the store, moto_server for CloudWatch Logs, a local
 * Slack Web API server, and `aws-sdk-client-mock` only for CloudTrail `LookupEvents` (which moto lacks).
 */
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
  PutMetricFilterCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import type { SNSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import type { AlarmFollowPort } from '../../src/app/alarm-follow';
import { type NotifyDependencies, NotifyService, type NotifySettings } from '../../src/app/notify-service';
import type { DeadLetterSink } from '../../src/app/ports';
import { CloudTrailHistory } from '../../src/aws/cloudtrail-history';
import { CloudWatchLogsSearch } from '../../src/aws/cloudwatch-logs-search';
import type { CloudTrailRecord } from '../../src/domain/input';
import { SlackAlertChannel } from '../../src/slack/slack-alert-channel';
import { createSlackClient, WebApiSlackGateway } from '../../src/slack/web-api-gateway';
import { DynamoBotStepStore } from '../../src/store/dynamo-bot-steps';
import { DynamoChangeStore } from '../../src/store/dynamo-change-store';
import { DynamoForwardingNoticeStore } from '../../src/store/dynamo-forwarding-notices';
import { DynamoStatsStore } from '../../src/store/dynamo-stats';
import { type DynaliteServer, startDynalite } from './dynalite';
import { awsTestEnv, type MotoServer, startMoto } from './moto';
import { catalogueContent } from './policy-content';
import { type LocalSlack, startSlackServer } from './slack-server';

export const CHANNEL = '#iam-changes';

/** The CIS 4.4 filter pattern, exactly as the benchmark gives it. */
export const CIS44_PATTERN =
  '{($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)||($.eventName=DeleteUserPolicy)||($.eventName=PutGroupPolicy)||($.eventName=PutRolePolicy)||($.eventName=PutUserPolicy)||($.eventName=CreatePolicy)||($.eventName=DeletePolicy)||($.eventName=CreatePolicyVersion)||($.eventName=DeletePolicyVersion)||($.eventName=AttachRolePolicy)||($.eventName=DetachRolePolicy)||($.eventName=AttachUserPolicy)||($.eventName=DetachUserPolicy)||($.eventName=AttachGroupPolicy)||($.eventName=DetachGroupPolicy)}';

export interface Components {
  dynalite: DynaliteServer;
  moto: MotoServer;
  slack: LocalSlack;
  logs: CloudWatchLogsClient;
  stop(): Promise<void>;
}

/** Starts dynalite, moto_server and the local Slack server on free loopback ports. */
export async function startComponents(): Promise<Components> {
  const [dynalite, moto, slack] = await Promise.all([startDynalite(), startMoto(), startSlackServer()]);
  const logs = new CloudWatchLogsClient(awsTestEnv(moto.endpoint));
  return {
    dynalite,
    moto,
    slack,
    logs,
    async stop() {
      logs.destroy();
      await Promise.all([dynalite.stop(), moto.stop(), slack.close()]);
    },
  };
}

/** Notify's settings in tests: everything posted in `channel`, no expected actor or trusted account; `overrides` on top. */
export function testNotifySettings(channel: string, overrides: Partial<NotifySettings> = {}): NotifySettings {
  return {
    defaultChannel: channel,
    channelByLevel: {},
    mentionOnCritical: true,
    risk: { expectedActors: [], trustedAccounts: [] },
    bot: { memberAccounts: [] },
    burstWindowSeconds: 300,
    burstCountIntervalSeconds: 0,
    ...overrides,
  };
}

/**
 * A notify service on a fresh table (or on `tableName`, to run several as separate Lambda containers would);
 * `lookupEvents` answers CloudTrail `LookupEvents` (default: nothing).
 */
export async function notifyServiceOn(
  components: Components,
  options: {
    settings?: Partial<NotifySettings>;
    lookupEvents?: CloudTrailRecord[];
    now?: () => Date;
    tableName?: string;
    deadLetters?: DeadLetterSink;
    log?: NotifyDependencies['log'];
    /** What prepares a change for judging; by default the store, then the catalogue of AWS managed policies. */
    content?: NotifyDependencies['content'];
    escalation?: NotifyDependencies['escalation'];
    accounts?: NotifyDependencies['accounts'];
    routes?: NotifyDependencies['routes'];
    validator?: NotifyDependencies['validator'];
    followUp?: AlarmFollowPort;
  } = {},
) {
  const tableName = options.tableName ?? (await components.dynalite.createTable());
  const cloudTrail = new CloudTrailClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const trailMock = mockClient(cloudTrail);
  trailMock.on(LookupEventsCommand).resolves({
    Events: (options.lookupEvents ?? []).map((record) => ({
      EventId: String(record.eventID),
      EventName: record.eventName,
      CloudTrailEvent: JSON.stringify(record),
    })),
  });
  const store = new DynamoChangeStore(components.dynalite.documentClient, { tableName });
  const stats = new DynamoStatsStore(components.dynalite.documentClient, { tableName });
  const botSteps = new DynamoBotStepStore(components.dynalite.documentClient, { tableName });
  const slackClient = createSlackClient({
    token: 'xoxb-test-token',
    slackApiUrl: components.slack.url,
    retries: 2,
    minRetryDelayMs: 10,
    maxRetryDelayMs: 50,
  });
  const forwardingNotices = new DynamoForwardingNoticeStore(components.dynalite.documentClient, {
    tableName,
  });
  const service = new NotifyService({
    store,
    forwardingNotices,
    stats,
    botSteps,
    slack: new SlackAlertChannel(new WebApiSlackGateway(slackClient)),
    logs: new CloudWatchLogsSearch(components.logs),
    trail: new CloudTrailHistory(cloudTrail, { requestsPerSecond: 1000 }),
    clock: { now: options.now ?? (() => new Date()) },
    settings: testNotifySettings(CHANNEL, options.settings),
    content: options.content ?? catalogueContent(store),
    ...(options.escalation ? { escalation: options.escalation } : {}),
    ...(options.deadLetters ? { deadLetters: options.deadLetters } : {}),
    ...(options.log ? { log: options.log } : {}),
    ...(options.accounts ? { accounts: options.accounts } : {}),
    ...(options.routes ? { routes: options.routes } : {}),
    ...(options.validator ? { validator: options.validator } : {}),
    ...(options.followUp ? { followUp: options.followUp } : {}),
  });
  return { service, store, stats, botSteps, forwardingNotices, trailMock, tableName };
}

let groups = 0;

/**
 * A CloudTrail log group on moto holding these records (as CloudTrail writes them to CloudWatch Logs), with the
 * CIS 4.4 metric filter feeding `CISBenchmark/<metricName>`.
 */
export async function cloudTrailLogGroup(
  components: Components,
  records: CloudTrailRecord[],
  metricName: string,
) {
  groups += 1;
  const logGroupName = `aws-cloudtrail-logs-${groups}`;
  await components.logs.send(new CreateLogGroupCommand({ logGroupName }));
  await components.logs.send(
    new CreateLogStreamCommand({ logGroupName, logStreamName: '111122223333_CloudTrail_us-east-1' }),
  );
  await components.logs.send(
    new PutLogEventsCommand({
      logGroupName,
      logStreamName: '111122223333_CloudTrail_us-east-1',
      logEvents: records
        .map((record) => ({
          timestamp: Date.parse(String(record.eventTime)),
          message: JSON.stringify(record),
        }))
        .sort((a, b) => a.timestamp - b.timestamp),
    }),
  );
  await components.logs.send(
    new PutMetricFilterCommand({
      logGroupName,
      filterName: 'CIS-4.4-IAMPolicyChanges',
      filterPattern: CIS44_PATTERN,
      metricTransformations: [{ metricNamespace: 'CISBenchmark', metricName, metricValue: '1' }],
    }),
  );
  return logGroupName;
}

/** A CIS 4.4 alarm notification whose breaching datapoint is the five minutes starting at `periodStart`. */
export function alarmNotification(options: {
  metricName: string;
  periodStart: Date;
  state?: 'ALARM' | 'OK';
  stateChangeTime?: Date;
}) {
  const start = options.periodStart;
  const two = (n: number) => String(n).padStart(2, '0');
  const datapoint = `${two(start.getUTCDate())}/${two(start.getUTCMonth() + 1)}/${two(start.getUTCFullYear() % 100)} ${two(start.getUTCHours())}:${two(start.getUTCMinutes())}:00`;
  const changed = options.stateChangeTime ?? new Date(start.getTime() + 7 * 60_000);
  const message = {
    AlarmName: `CIS-4.4-${options.metricName}`,
    AlarmDescription: 'CIS 4.4 IAM policy changes',
    AWSAccountId: '111122223333',
    NewStateValue: options.state ?? 'ALARM',
    NewStateReason:
      (options.state ?? 'ALARM') === 'ALARM'
        ? `Threshold Crossed: 1 out of the last 1 datapoints [3.0 (${datapoint})] was greater than or equal to the threshold (1.0) (minimum 1 datapoint for OK -> ALARM transition).`
        : `Threshold Crossed: 1 out of the last 1 datapoints [0.0 (${datapoint})] was not greater than or equal to the threshold (1.0) (minimum 1 datapoint for ALARM -> OK transition).`,
    StateChangeTime: changed.toISOString().replace('Z', '+0000'),
    Region: 'US East (N. Virginia)',
    AlarmArn: `arn:aws:cloudwatch:us-east-1:111122223333:alarm:CIS-4.4-${options.metricName}`,
    OldStateValue: (options.state ?? 'ALARM') === 'ALARM' ? 'OK' : 'ALARM',
    Trigger: {
      MetricName: options.metricName,
      Namespace: 'CISBenchmark',
      StatisticType: 'Statistic',
      Statistic: 'SUM',
      Unit: null,
      Dimensions: [],
      Period: 300,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1.0,
      TreatMissingData: 'missing',
    },
  };
  return snsEvent(message);
}

/** A Lambda SNS event carrying one message (an object is JSON-encoded, as SNS delivers it). */
export function snsEvent(message: unknown): SNSEvent {
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: 'arn:aws:sns:us-east-1:111122223333:iam-changes-alerts-test:0b7d1b1e',
        Sns: {
          Type: 'Notification',
          MessageId: crypto.randomUUID(),
          TopicArn: 'arn:aws:sns:us-east-1:111122223333:iam-changes-alerts-test',
          Message: typeof message === 'string' ? message : JSON.stringify(message),
          Timestamp: new Date().toISOString(),
          SignatureVersion: '1',
          Signature: 'EXAMPLE',
          SigningCertUrl: 'EXAMPLE',
          UnsubscribeUrl: 'EXAMPLE',
          MessageAttributes: {},
        },
      },
    ],
  };
}

/** An SNS-delivered EventBridge "AWS API Call via CloudTrail" event for one record. */
export function eventBridgeNotification(record: CloudTrailRecord) {
  return snsEvent({
    version: '0',
    id: crypto.randomUUID(),
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.iam',
    account: '111122223333',
    time: record.eventTime,
    region: 'us-east-1',
    resources: [],
    detail: record,
  });
}
