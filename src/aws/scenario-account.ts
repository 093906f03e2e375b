/**
 * The IAM and CloudWatch Logs calls the local demo scenarios make on the local runtime's own `moto_server`, so
 * that what a scenario's CloudTrail records say happened really happened there — and Revert really undoes it.
 * Never used against a real account: the local runtime builds it only for the emulator it started itself.
 */
import {
  type CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
  PutMetricFilterCommand,
  ResourceAlreadyExistsException,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  GetRoleCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  type IAMClient,
  NoSuchEntityException,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
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

/** What the demo scenarios do to the emulated account before they describe it in CloudTrail records. */
export interface ScenarioAccount {
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

/** {@link ScenarioAccount} on an IAM client and a CloudWatch Logs client pointed at moto_server. */
export class EmulatorScenarioAccount implements ScenarioAccount {
  constructor(
    private readonly iam: IAMClient,
    private readonly logs: CloudWatchLogsClient,
  ) {}

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
