/**
 * CloudTrail records for the local demo scenarios, shaped as CloudTrail writes them (and as EventBridge and SNS
 * deliver them to the bot): the callers — an SSO user, an IAM user without MFA, a contractor in the console, the
 * Terraform role, an IAM user with MFA — and the envelopes around a record.
 */
import { randomUUID } from 'node:crypto';
import type { CloudTrailRecord } from '../domain/input';

/** Who made a call: the `userIdentity`, and where from. */
export interface TrailActor {
  userIdentity: Record<string, unknown>;
  sourceIPAddress: string;
  userAgent: string;
}

const CLI_AGENT = (command: string) =>
  `aws-cli/2.17.20 md/awscrt#0.20.11 ua/2.0 os/macos#23.5.0 md/arch#arm64 lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off md/command#iam.${command}`;

const TERRAFORM_AGENT =
  'APN/1.0 HashiCorp/1.0 Terraform/1.9.5 (+https://www.terraform.io) terraform-provider-aws/5.70.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.32.2 ua/2.1 os/linux lang/go#1.23.1 md/GOOS#linux md/GOARCH#amd64 api/iam#1.37.2';

function sessionContext(mfa: boolean, issuer?: Record<string, unknown>): Record<string, unknown> {
  return {
    ...(issuer ? { sessionIssuer: issuer } : {}),
    attributes: {
      creationDate: new Date(Date.now() - 40 * 60_000).toISOString(),
      mfaAuthenticated: String(mfa),
    },
  };
}

/**
 * The callers of the scenarios, in one account. `terraformSession` names the Terraform role's session: each
 * `terraform apply` is a session of its own, and the bot groups a session's changes.
 */
export function scenarioActors(accountId: string, terraformSession = 'terraform-apply') {
  const sso = 'AWSReservedSSO_PowerUser_0123456789abcdef';
  return {
    /** An engineer signed in through IAM Identity Center, on the CLI, without MFA on the session. */
    jane: {
      userIdentity: {
        type: 'AssumedRole',
        principalId: 'AROAEXAMPLESSOPOWER:jane@example.com',
        arn: `arn:aws:sts::${accountId}:assumed-role/${sso}/jane@example.com`,
        accountId,
        accessKeyId: 'ASIAEXAMPLEJANE',
        sessionContext: sessionContext(false, {
          type: 'Role',
          principalId: 'AROAEXAMPLESSOPOWER',
          arn: `arn:aws:iam::${accountId}:role/aws-reserved/sso.amazonaws.com/${sso}`,
          accountId,
          userName: sso,
        }),
      },
      sourceIPAddress: '198.51.100.23',
      userAgent: CLI_AGENT('attach-role-policy'),
    },
    /** An IAM user with long-lived keys, no MFA, calling from an unfamiliar address with a script. */
    mallory: {
      userIdentity: {
        type: 'IAMUser',
        principalId: 'AIDAEXAMPLEMALLORY',
        arn: `arn:aws:iam::${accountId}:user/mallory`,
        accountId,
        accessKeyId: 'AKIAEXAMPLEMALLORY',
        userName: 'mallory',
      },
      sourceIPAddress: '203.0.113.66',
      userAgent:
        'Boto3/1.34.144 md/Botocore#1.34.144 ua/2.0 os/linux#6.8.0 md/arch#x86_64 lang/python#3.12.4',
    },
    /** A contractor in the AWS console, without MFA. */
    bob: {
      userIdentity: {
        type: 'IAMUser',
        principalId: 'AIDAEXAMPLECONTRACTOR',
        arn: `arn:aws:iam::${accountId}:user/contractor-bob`,
        accountId,
        accessKeyId: 'ASIAEXAMPLECONSOLE',
        userName: 'contractor-bob',
        sessionContext: sessionContext(false),
      },
      sourceIPAddress: '192.0.2.140',
      userAgent:
        'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
    },
    /** The Terraform pipeline's role. */
    terraform: {
      userIdentity: {
        type: 'AssumedRole',
        principalId: `AROAEXAMPLETF:${terraformSession}`,
        arn: `arn:aws:sts::${accountId}:assumed-role/terraform-ci/${terraformSession}`,
        accountId,
        accessKeyId: 'ASIAEXAMPLETF',
        sessionContext: sessionContext(false, {
          type: 'Role',
          principalId: 'AROAEXAMPLETF',
          arn: `arn:aws:iam::${accountId}:role/terraform-ci`,
          accountId,
          userName: 'terraform-ci',
        }),
      },
      sourceIPAddress: '192.0.2.10',
      userAgent: TERRAFORM_AGENT,
    },
    /** An IAM user with MFA, on the CLI. */
    alice: {
      userIdentity: {
        type: 'IAMUser',
        principalId: 'AIDAEXAMPLEALICE',
        arn: `arn:aws:iam::${accountId}:user/alice`,
        accountId,
        accessKeyId: 'AKIAEXAMPLEALICE',
        userName: 'alice',
        sessionContext: sessionContext(true),
      },
      sourceIPAddress: '198.51.100.7',
      userAgent: CLI_AGENT('create-policy'),
    },
  } satisfies Record<string, TrailActor>;
}

/** One successful IAM call as CloudTrail records it. */
export function trailRecord(options: {
  eventName: string;
  actor: TrailActor;
  time: Date;
  accountId: string;
  requestParameters: Record<string, unknown> | null;
  responseElements?: Record<string, unknown> | null;
}): CloudTrailRecord {
  return {
    eventVersion: '1.09',
    userIdentity: options.actor.userIdentity,
    eventTime: options.time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    eventSource: 'iam.amazonaws.com',
    eventName: options.eventName,
    awsRegion: 'us-east-1',
    sourceIPAddress: options.actor.sourceIPAddress,
    userAgent: options.actor.userAgent,
    requestParameters: options.requestParameters,
    responseElements: options.responseElements ?? null,
    requestID: randomUUID(),
    eventID: randomUUID(),
    readOnly: false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: options.accountId,
    eventCategory: 'Management',
    tlsDetails: {
      tlsVersion: 'TLSv1.3',
      cipherSuite: 'TLS_AES_128_GCM_SHA256',
      clientProvidedHostHeader: 'iam.amazonaws.com',
    },
  };
}

/** The EventBridge "AWS API Call via CloudTrail" event for a record. */
export function eventBridgeEvent(record: CloudTrailRecord, accountId: string): Record<string, unknown> {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.iam',
    account: accountId,
    time: record.eventTime,
    region: 'us-east-1',
    resources: [],
    detail: record,
  };
}

/** A Lambda SNS event carrying one message from the alerts topic (objects are JSON-encoded, as SNS does). */
export function snsEvent(message: unknown, accountId: string, subject?: string): Record<string, unknown> {
  const topic = `arn:aws:sns:us-east-1:${accountId}:iam-changes-alerts-local`;
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: `${topic}:${randomUUID()}`,
        Sns: {
          Type: 'Notification',
          MessageId: randomUUID(),
          TopicArn: topic,
          Subject: subject ?? null,
          Message: typeof message === 'string' ? message : JSON.stringify(message),
          Timestamp: new Date().toISOString(),
          SignatureVersion: '1',
          Signature: 'LOCAL',
          SigningCertUrl: 'LOCAL',
          UnsubscribeUrl: 'LOCAL',
          MessageAttributes: {},
        },
      },
    ],
  };
}

/**
 * The CIS 4.4 alarm's SNS message for a breaching datapoint of the five minutes starting at `periodStart` (the
 * alarm carries no event: the bot finds the calls through the metric filter behind it).
 */
export function alarmMessage(options: {
  accountId: string;
  alarmName: string;
  metricNamespace: string;
  metricName: string;
  periodStart: Date;
  count: number;
  stateChangeTime: Date;
}): Record<string, unknown> {
  const start = options.periodStart;
  const two = (n: number) => String(n).padStart(2, '0');
  const datapoint = `${two(start.getUTCDate())}/${two(start.getUTCMonth() + 1)}/${two(start.getUTCFullYear() % 100)} ${two(start.getUTCHours())}:${two(start.getUTCMinutes())}:00`;
  return {
    AlarmName: options.alarmName,
    AlarmDescription: 'CIS AWS Foundations Benchmark 4.4: IAM policy changes',
    AWSAccountId: options.accountId,
    NewStateValue: 'ALARM',
    NewStateReason: `Threshold Crossed: 1 out of the last 1 datapoints [${options.count.toFixed(1)} (${datapoint})] was greater than or equal to the threshold (1.0) (minimum 1 datapoint for OK -> ALARM transition).`,
    StateChangeTime: options.stateChangeTime.toISOString().replace('Z', '+0000'),
    Region: 'US East (N. Virginia)',
    AlarmArn: `arn:aws:cloudwatch:us-east-1:${options.accountId}:alarm:${options.alarmName}`,
    OldStateValue: 'OK',
    AlarmActions: [`arn:aws:sns:us-east-1:${options.accountId}:iam-changes-alerts-local`],
    Trigger: {
      MetricName: options.metricName,
      Namespace: options.metricNamespace,
      StatisticType: 'Statistic',
      Statistic: 'SUM',
      Unit: null,
      Dimensions: [],
      Period: 300,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1.0,
      TreatMissingData: 'missing',
    },
  };
}
