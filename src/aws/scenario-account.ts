/**
 * The IAM and CloudWatch Logs calls the local demo scenarios make on the local runtime's own `moto_server`, so
 * that what a scenario's CloudTrail records say happened really happened there — and Revert really undoes it.
 * Never used against a real account: the local runtime builds it only for the emulator it started itself.
 */
import {
  type CloudTrailClient,
  CreateTrailCommand,
  DescribeTrailsCommand,
  PutEventSelectorsCommand,
  StartLoggingCommand,
} from '@aws-sdk/client-cloudtrail';
import {
  type CloudWatchClient,
  PutMetricAlarmCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import {
  type CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DeleteMetricFilterCommand,
  DescribeMetricFiltersCommand,
  FilterLogEventsCommand,
  PutLogEventsCommand,
  PutMetricFilterCommand,
  ResourceAlreadyExistsException,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  GetRoleCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  type IAMClient,
  ListAccessKeysCommand,
  NoSuchEntityException,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, type SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import type { CloudTrailRecord } from '../domain/input';
import { parsePolicyDocument } from '../domain/policy';
import type { PolicyDocument } from '../domain/types';

/** A managed policy the scenario created. */
export interface CreatedPolicy {
  arn: string;
  policyId: string;
  versionId: string;
  createDate: string;
}

/** The CIS 4.4 chain the CIS scenario builds: names of each link. */
export interface Cis44ChainOptions {
  /** The emulated account (in the log group's ARN). */
  accountId: string;
  trailName: string;
  bucketName: string;
  /** The role CloudTrail delivers to CloudWatch Logs with. */
  deliveryRoleName: string;
  logGroupName: string;
  metricNamespace: string;
  metricName: string;
  alarmName: string;
  topicName: string;
  /** The address the topic's (confirmed) email subscription goes to. */
  subscriberEmail: string;
  /** The alarm's period, in seconds. */
  period: number;
}

/** What the demo scenarios do to the emulated account before they describe it in CloudTrail records. */
export interface ScenarioAccount {
  /** Gives the user an access key unless it has one, so quarantine has a key to deactivate. */
  ensureAccessKey(userName: string): Promise<void>;
  /** The messages of a log group's events from `start` to `end` (inclusive), every page. */
  logMessages(logGroupName: string, start: Date, end: Date): Promise<string[]>;
  /**
   * Builds (or completes) the whole CIS 4.4 chain around an existing metric filter's metric: the trail's bucket
   * and delivery role, a logging multi-region trail recording management write events into the log group, the
   * alarm on the metric (one call in one period) and its SNS topic with an email subscription.
   */
  ensureCis44Chain(options: Cis44ChainOptions): Promise<void>;
  /** Puts the alarm in ALARM with `reason`, as the notification the scenario sends says it is. */
  raiseAlarm(alarmName: string, reason: string): Promise<void>;
  /** Creates the role unless it exists; returns whether it did, and its trust policy as it is now. */
  ensureRole(
    name: string,
    trustPolicy: string,
  ): Promise<{ created: boolean; trust: PolicyDocument | undefined }>;
  /** Creates the user unless it exists; true when it did. */
  ensureUser(name: string): Promise<boolean>;
  /** An inline policy of a user, or undefined when there is none. */
  userPolicy(userName: string, policyName: string): Promise<PolicyDocument | undefined>;
  attachRolePolicy(roleName: string, policyArn: string): Promise<void>;
  attachUserPolicy(userName: string, policyArn: string): Promise<void>;
  putRolePolicy(roleName: string, policyName: string, document: string): Promise<void>;
  putUserPolicy(userName: string, policyName: string, document: string): Promise<void>;
  updateAssumeRolePolicy(roleName: string, document: string): Promise<void>;
  createPolicy(name: string, path: string, document: string): Promise<CreatedPolicy>;
  createRole(
    name: string,
    trustPolicy: string,
    path?: string,
  ): Promise<{ roleId: string; arn: string; createDate: string }>;
  /** Writes records to a log group as CloudTrail delivers them (one JSON object per event), creating it if needed. */
  writeTrailLogs(logGroupName: string, records: CloudTrailRecord[]): Promise<void>;
  /** Puts a metric filter on a log group (replacing one of the same name). */
  putMetricFilter(options: {
    logGroupName: string;
    filterName: string;
    filterPattern: string;
    metricNamespace: string;
    metricName: string;
  }): Promise<void>;
}

const LOG_STREAM = 'local_CloudTrail_us-east-1';

function iso(date: Date | undefined): string {
  return (date ?? new Date()).toISOString();
}

/** The clients the CIS 4.4 chain is built with, besides IAM and CloudWatch Logs. */
export interface ChainClients {
  s3: S3Client;
  cloudTrail: CloudTrailClient;
  cloudWatch: CloudWatchClient;
  sns: SNSClient;
}

/** {@link ScenarioAccount} on clients pointed at moto_server. */
export class EmulatorScenarioAccount implements ScenarioAccount {
  constructor(
    private readonly iam: IAMClient,
    private readonly logs: CloudWatchLogsClient,
    private readonly chain?: ChainClients,
  ) {}

  async ensureAccessKey(userName: string): Promise<void> {
    const keys = await this.iam.send(new ListAccessKeysCommand({ UserName: userName }));
    if ((keys.AccessKeyMetadata ?? []).length > 0) return;
    await this.iam.send(new CreateAccessKeyCommand({ UserName: userName }));
  }

  async logMessages(logGroupName: string, start: Date, end: Date): Promise<string[]> {
    const messages: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.logs.send(
        new FilterLogEventsCommand({
          logGroupName,
          startTime: start.getTime(),
          endTime: end.getTime(),
          ...(nextToken ? { nextToken } : {}),
        }),
      );
      for (const event of page.events ?? []) if (event.message !== undefined) messages.push(event.message);
      nextToken = page.nextToken;
    } while (nextToken);
    return messages;
  }

  async ensureCis44Chain(options: Cis44ChainOptions): Promise<void> {
    const chain = this.chain;
    if (!chain) throw new Error('the scenario account was built without the CIS 4.4 chain clients');
    const trails = await chain.cloudTrail.send(new DescribeTrailsCommand({}));
    const existing = (trails.trailList ?? []).find((trail) => trail.Name === options.trailName);
    if (!existing) {
      await chain.s3.send(new CreateBucketCommand({ Bucket: options.bucketName }));
      const trust = JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 'sts:AssumeRole' },
        ],
      });
      await this.ensureRole(options.deliveryRoleName, trust);
      const roleArn = (await this.iam.send(new GetRoleCommand({ RoleName: options.deliveryRoleName }))).Role
        ?.Arn;
      const groupArn = await this.logGroupArn(options.logGroupName, options.accountId);
      await chain.cloudTrail.send(
        new CreateTrailCommand({
          Name: options.trailName,
          S3BucketName: options.bucketName,
          IsMultiRegionTrail: true,
          IncludeGlobalServiceEvents: true,
          CloudWatchLogsLogGroupArn: groupArn,
          ...(roleArn ? { CloudWatchLogsRoleArn: roleArn } : {}),
        }),
      );
    }
    // By name: moto answers StartLogging by ARN with an error.
    const trail = options.trailName;
    await chain.cloudTrail.send(
      new PutEventSelectorsCommand({
        TrailName: trail,
        EventSelectors: [{ ReadWriteType: 'All', IncludeManagementEvents: true }],
      }),
    );
    await chain.cloudTrail.send(new StartLoggingCommand({ Name: trail }));
    const topic = await chain.sns.send(new CreateTopicCommand({ Name: options.topicName }));
    const topicArn = topic.TopicArn ?? '';
    await chain.sns.send(
      new SubscribeCommand({ TopicArn: topicArn, Protocol: 'email', Endpoint: options.subscriberEmail }),
    );
    await chain.cloudWatch.send(
      new PutMetricAlarmCommand({
        AlarmName: options.alarmName,
        AlarmDescription: 'CIS 4.4: IAM policy changes (the local demo)',
        Namespace: options.metricNamespace,
        MetricName: options.metricName,
        Statistic: 'Sum',
        Period: options.period,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        ActionsEnabled: true,
        AlarmActions: [topicArn],
      }),
    );
  }

  async raiseAlarm(alarmName: string, reason: string): Promise<void> {
    const chain = this.chain;
    if (!chain) throw new Error('the scenario account was built without the CIS 4.4 chain clients');
    await chain.cloudWatch.send(
      new SetAlarmStateCommand({ AlarmName: alarmName, StateValue: 'ALARM', StateReason: reason }),
    );
  }

  /** The log group's ARN as a trail takes it (`…:log-group:NAME:*`), creating the group if needed. */
  private async logGroupArn(logGroupName: string, accountId: string): Promise<string> {
    try {
      await this.logs.send(new CreateLogGroupCommand({ logGroupName }));
    } catch (error: unknown) {
      if (!(error instanceof ResourceAlreadyExistsException)) throw error;
    }
    const region = await this.logs.config.region();
    return `arn:aws:logs:${region}:${accountId}:log-group:${logGroupName}:*`;
  }

  async ensureRole(name: string, trustPolicy: string) {
    try {
      const role = await this.iam.send(new GetRoleCommand({ RoleName: name }));
      const text = role.Role?.AssumeRolePolicyDocument;
      return { created: false, trust: text ? parsePolicyDocument(decodeURIComponent(text)) : undefined };
    } catch (error: unknown) {
      if (!(error instanceof NoSuchEntityException)) throw error;
    }
    await this.createRole(name, trustPolicy);
    return { created: true, trust: parsePolicyDocument(trustPolicy) };
  }

  async ensureUser(name: string): Promise<boolean> {
    try {
      await this.iam.send(new GetUserCommand({ UserName: name }));
      return false;
    } catch (error: unknown) {
      if (!(error instanceof NoSuchEntityException)) throw error;
    }
    await this.iam.send(new CreateUserCommand({ UserName: name }));
    return true;
  }

  async userPolicy(userName: string, policyName: string): Promise<PolicyDocument | undefined> {
    try {
      const output = await this.iam.send(
        new GetUserPolicyCommand({ UserName: userName, PolicyName: policyName }),
      );
      return output.PolicyDocument
        ? parsePolicyDocument(decodeURIComponent(output.PolicyDocument))
        : undefined;
    } catch (error: unknown) {
      if (error instanceof NoSuchEntityException) return undefined;
      throw error;
    }
  }

  async attachRolePolicy(roleName: string, policyArn: string): Promise<void> {
    await this.iam.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: policyArn }));
  }

  async attachUserPolicy(userName: string, policyArn: string): Promise<void> {
    await this.iam.send(new AttachUserPolicyCommand({ UserName: userName, PolicyArn: policyArn }));
  }

  async putRolePolicy(roleName: string, policyName: string, document: string): Promise<void> {
    await this.iam.send(
      new PutRolePolicyCommand({ RoleName: roleName, PolicyName: policyName, PolicyDocument: document }),
    );
  }

  async putUserPolicy(userName: string, policyName: string, document: string): Promise<void> {
    await this.iam.send(
      new PutUserPolicyCommand({ UserName: userName, PolicyName: policyName, PolicyDocument: document }),
    );
  }

  async updateAssumeRolePolicy(roleName: string, document: string): Promise<void> {
    await this.iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: roleName, PolicyDocument: document }));
  }

  async createPolicy(name: string, path: string, document: string): Promise<CreatedPolicy> {
    const output = await this.iam.send(
      new CreatePolicyCommand({ PolicyName: name, Path: path, PolicyDocument: document }),
    );
    const policy = output.Policy;
    return {
      arn: policy?.Arn ?? '',
      policyId: policy?.PolicyId ?? '',
      versionId: policy?.DefaultVersionId ?? 'v1',
      createDate: iso(policy?.CreateDate),
    };
  }

  async createRole(name: string, trustPolicy: string, path = '/') {
    const output = await this.iam.send(
      new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trustPolicy, Path: path }),
    );
    return {
      roleId: output.Role?.RoleId ?? '',
      arn: output.Role?.Arn ?? '',
      createDate: iso(output.Role?.CreateDate),
    };
  }

  async writeTrailLogs(logGroupName: string, records: CloudTrailRecord[]): Promise<void> {
    try {
      await this.logs.send(new CreateLogGroupCommand({ logGroupName }));
    } catch (error: unknown) {
      if (!(error instanceof ResourceAlreadyExistsException)) throw error;
    }
    try {
      await this.logs.send(new CreateLogStreamCommand({ logGroupName, logStreamName: LOG_STREAM }));
    } catch (error: unknown) {
      if (!(error instanceof ResourceAlreadyExistsException)) throw error;
    }
    await this.logs.send(
      new PutLogEventsCommand({
        logGroupName,
        logStreamName: LOG_STREAM,
        logEvents: records
          .map((record) => ({
            timestamp: Date.parse(String(record.eventTime)),
            message: JSON.stringify(record),
          }))
          .sort((a, b) => a.timestamp - b.timestamp),
      }),
    );
  }

  async putMetricFilter(options: {
    logGroupName: string;
    filterName: string;
    filterPattern: string;
    metricNamespace: string;
    metricName: string;
  }): Promise<void> {
    // Replaced by deleting first: moto keeps a second filter of the same name rather than replacing it, which
    // would make every call count (and be found) twice.
    const existing = await this.logs.send(
      new DescribeMetricFiltersCommand({
        logGroupName: options.logGroupName,
        filterNamePrefix: options.filterName,
      }),
    );
    for (const filter of existing.metricFilters ?? []) {
      if (filter.filterName !== options.filterName) continue;
      await this.logs.send(
        new DeleteMetricFilterCommand({ logGroupName: options.logGroupName, filterName: options.filterName }),
      );
    }
    await this.logs.send(
      new PutMetricFilterCommand({
        logGroupName: options.logGroupName,
        filterName: options.filterName,
        filterPattern: options.filterPattern,
        metricTransformations: [
          { metricNamespace: options.metricNamespace, metricName: options.metricName, metricValue: '1' },
        ],
      }),
    );
  }
}
