/**
 * The {@link IamGateway} on the AWS SDK's `IAMClient`: the only code that reads or writes IAM. The client is
 * built once (see `clients.ts`, us-east-1 because IAM is global) and passed in; `AWS_ENDPOINT_URL` points it at
 * `moto_server` in tests and local runs.
 */
import {
  AttachGroupPolicyCommand,
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  DeleteGroupPolicyCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DeleteRolePolicyCommand,
  DeleteUserPolicyCommand,
  DetachGroupPolicyCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListEntitiesForPolicyCommand,
  ListPolicyVersionsCommand,
  type Policy,
  PutGroupPolicyCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  SetDefaultPolicyVersionCommand,
  UpdateAccessKeyCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import {
  type AccessKey,
  type AccessKeyStatus,
  type AttachedPolicy,
  IamCallError,
  type IamEntity,
  type IamGateway,
  isIamError,
  type ManagedPolicy,
  type NewManagedPolicy,
  type PolicyAttachments,
  type PolicyVersion,
  RevertStepError,
} from '../app/iam-port';
import { parsePolicyDocument } from '../domain/policy';
import { PLACEHOLDERS } from '../domain/revert';
import type { PolicyDocument, RevertStep } from '../domain/types';
import { type AwsClientOptions, awsClientConfig, IAM_REGION } from './client-config';
import { toIamError } from './iam-gateway-errors';
import { AwsPrincipalDirectory } from './principal-directory';

export { toIamError };

/** Pages read from one IAM list call before giving up (IAM pages hold up to 1000 items). */
const MAX_PAGES = 50;
const PLACEHOLDER_VALUES = new Set<string>(Object.values(PLACEHOLDERS));

function toManagedPolicy(policy: Policy | undefined, arn: string): ManagedPolicy {
  const out: ManagedPolicy = {
    arn: policy?.Arn ?? arn,
    name: policy?.PolicyName ?? arn.slice(arn.lastIndexOf('/') + 1),
    path: policy?.Path ?? '/',
    defaultVersionId: policy?.DefaultVersionId ?? '',
    attachmentCount: policy?.AttachmentCount ?? 0,
  };
  if (policy?.PolicyId) out.policyId = policy.PolicyId;
  if (policy?.Description) out.description = policy.Description;
  return out;
}

function isoDate(value: Date | undefined): string | undefined {
  return value instanceof Date && !Number.isNaN(value.getTime()) ? value.toISOString() : undefined;
}

/** A required string parameter of a step; refuses placeholders and missing values before IAM sees them. */
function param(step: RevertStep, name: string): string {
  const value = step.params[name];
  if (typeof value !== 'string' || value === '') {
    throw new RevertStepError(`${step.action} needs the parameter ${name}`);
  }
  if (PLACEHOLDER_VALUES.has(value)) {
    throw new RevertStepError(
      `${step.action} still holds ${value} for ${name}: the before-state is unknown, the step can't run`,
    );
  }
  return value;
}

/** An optional boolean parameter (`SetAsDefault`), `false` when absent. */
function flag(step: RevertStep, name: string): boolean {
  const value = step.params[name];
  return value === true || value === 'true';
}

/** An IAM client of its own (signed in us-east-1: IAM is global), for a process that needs no other client. */
export function createIamClient(options: AwsClientOptions = {}): IAMClient {
  return new IAMClient(awsClientConfig(IAM_REGION, options));
}

/** {@link IamGateway} on an `IAMClient`. */
export class AwsIamGateway implements IamGateway {
  /** The read-only calls it shares with notify's escalation check. */
  private readonly reader: AwsPrincipalDirectory;

  constructor(private readonly client: IAMClient) {
    this.reader = new AwsPrincipalDirectory(client);
  }

  async getInlinePolicy(entity: IamEntity, policyName: string): Promise<PolicyDocument | null> {
    return this.reader.getInlinePolicy(entity, policyName);
  }

  async listAttachedPolicies(entity: IamEntity): Promise<AttachedPolicy[]> {
    return this.reader.listAttachedPolicies(entity);
  }

  async getManagedPolicy(policyArn: string): Promise<ManagedPolicy | null> {
    try {
      const output = await this.call('iam:GetPolicy', () =>
        this.client.send(new GetPolicyCommand({ PolicyArn: policyArn })),
      );
      return toManagedPolicy(output.Policy, policyArn);
    } catch (error: unknown) {
      if (isIamError(error, 'NoSuchEntity')) return null;
      throw error;
    }
  }

  async getPolicyVersion(policyArn: string, versionId: string): Promise<PolicyVersion | null> {
    try {
      const output = await this.call('iam:GetPolicyVersion', () =>
        this.client.send(new GetPolicyVersionCommand({ PolicyArn: policyArn, VersionId: versionId })),
      );
      const version = output.PolicyVersion;
      const out: PolicyVersion = {
        versionId: version?.VersionId ?? versionId,
        isDefault: version?.IsDefaultVersion === true,
        document: parsePolicyDocument(version?.Document ?? ''),
      };
      const created = isoDate(version?.CreateDate);
      if (created) out.createDate = created;
      return out;
    } catch (error: unknown) {
      if (isIamError(error, 'NoSuchEntity')) return null;
      throw error;
    }
  }

  async listPolicyVersions(policyArn: string): Promise<PolicyVersion[] | null> {
    const versions: PolicyVersion[] = [];
    let marker: string | undefined;
    try {
      for (let page = 0; page < MAX_PAGES; page += 1) {
        const output = await this.call('iam:ListPolicyVersions', () =>
          this.client.send(new ListPolicyVersionsCommand({ PolicyArn: policyArn, Marker: marker })),
        );
        for (const version of output.Versions ?? []) {
          if (!version.VersionId) continue;
          const out: PolicyVersion = {
            versionId: version.VersionId,
            isDefault: version.IsDefaultVersion === true,
          };
          const created = isoDate(version.CreateDate);
          if (created) out.createDate = created;
          versions.push(out);
        }
        if (!output.IsTruncated || !output.Marker) break;
        marker = output.Marker;
      }
    } catch (error: unknown) {
      if (isIamError(error, 'NoSuchEntity')) return null;
      throw error;
    }
    return versions;
  }

  async listPolicyAttachments(policyArn: string): Promise<PolicyAttachments> {
    const attachments: PolicyAttachments = { roles: [], users: [], groups: [] };
    let marker: string | undefined;
    try {
      for (let page = 0; page < MAX_PAGES; page += 1) {
        const output = await this.call('iam:ListEntitiesForPolicy', () =>
          this.client.send(new ListEntitiesForPolicyCommand({ PolicyArn: policyArn, Marker: marker })),
        );
        for (const role of output.PolicyRoles ?? []) if (role.RoleName) attachments.roles.push(role.RoleName);
        for (const user of output.PolicyUsers ?? []) if (user.UserName) attachments.users.push(user.UserName);
        for (const group of output.PolicyGroups ?? [])
          if (group.GroupName) attachments.groups.push(group.GroupName);
        if (!output.IsTruncated || !output.Marker) break;
        marker = output.Marker;
      }
    } catch (error: unknown) {
      if (isIamError(error, 'NoSuchEntity')) return attachments;
      throw error;
    }
    return attachments;
  }

  async getRoleTrustPolicy(roleName: string): Promise<PolicyDocument | null> {
    try {
      const output = await this.call('iam:GetRole', () =>
        this.client.send(new GetRoleCommand({ RoleName: roleName })),
      );
      return parsePolicyDocument(output.Role?.AssumeRolePolicyDocument ?? '');
    } catch (error: unknown) {
      if (isIamError(error, 'NoSuchEntity')) return null;
      throw error;
    }
  }

  async execute(step: RevertStep): Promise<void> {
    const send = this.commandFor(step);
    await this.call(step.action, send);
  }

  async createManagedPolicy(policy: NewManagedPolicy): Promise<ManagedPolicy> {
    const output = await this.call('iam:CreatePolicy', () =>
      this.client.send(
        new CreatePolicyCommand({
          PolicyName: policy.name,
          Path: policy.path ?? '/',
          PolicyDocument: JSON.stringify(policy.document),
          ...(policy.description ? { Description: policy.description } : {}),
        }),
      ),
    );
    return toManagedPolicy(output.Policy, output.Policy?.Arn ?? '');
  }

  async attachManagedPolicy(entity: IamEntity, policyArn: string): Promise<void> {
    await this.execute({
      action: `iam:Attach${kindName(entity)}Policy`,
      params: { [`${kindName(entity)}Name`]: entity.name, PolicyArn: policyArn },
    });
  }

  async detachManagedPolicy(entity: IamEntity, policyArn: string): Promise<void> {
    await this.execute({
      action: `iam:Detach${kindName(entity)}Policy`,
      params: { [`${kindName(entity)}Name`]: entity.name, PolicyArn: policyArn },
    });
  }

  async listAccessKeys(userName: string): Promise<AccessKey[]> {
    const keys: AccessKey[] = [];
    let marker: string | undefined;
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const output = await this.call('iam:ListAccessKeys', () =>
        this.client.send(new ListAccessKeysCommand({ UserName: userName, Marker: marker })),
      );
      for (const key of output.AccessKeyMetadata ?? []) {
        if (!key.AccessKeyId) continue;
        const entry: AccessKey = {
          id: key.AccessKeyId,
          status: key.Status === 'Active' ? 'Active' : 'Inactive',
        };
        const created = isoDate(key.CreateDate);
        if (created) entry.createDate = created;
        keys.push(entry);
      }
      if (!output.IsTruncated || !output.Marker) break;
      marker = output.Marker;
    }
    return keys;
  }

  async setAccessKeyStatus(userName: string, accessKeyId: string, status: AccessKeyStatus): Promise<void> {
    await this.call('iam:UpdateAccessKey', () =>
      this.client.send(
        new UpdateAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId, Status: status }),
      ),
    );
  }

  /** Runs one SDK call, turning any failure into an {@link IamCallError} named after the IAM action. */
  private async call<T>(action: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error: unknown) {
      throw toIamError(action, error);
    }
  }

  /** The SDK call of a step, its parameters checked first (nothing is sent for a bad step). */
  private commandFor(step: RevertStep): () => Promise<unknown> {
    const client = this.client;
    const policyArn = () => param(step, 'PolicyArn');
    switch (step.action) {
      case 'iam:AttachRolePolicy': {
        const input = { RoleName: param(step, 'RoleName'), PolicyArn: policyArn() };
        return () => client.send(new AttachRolePolicyCommand(input));
      }
      case 'iam:AttachUserPolicy': {
        const input = { UserName: param(step, 'UserName'), PolicyArn: policyArn() };
        return () => client.send(new AttachUserPolicyCommand(input));
      }
      case 'iam:AttachGroupPolicy': {
        const input = { GroupName: param(step, 'GroupName'), PolicyArn: policyArn() };
        return () => client.send(new AttachGroupPolicyCommand(input));
      }
      case 'iam:DetachRolePolicy': {
        const input = { RoleName: param(step, 'RoleName'), PolicyArn: policyArn() };
        return () => client.send(new DetachRolePolicyCommand(input));
      }
      case 'iam:DetachUserPolicy': {
        const input = { UserName: param(step, 'UserName'), PolicyArn: policyArn() };
        return () => client.send(new DetachUserPolicyCommand(input));
      }
      case 'iam:DetachGroupPolicy': {
        const input = { GroupName: param(step, 'GroupName'), PolicyArn: policyArn() };
        return () => client.send(new DetachGroupPolicyCommand(input));
      }
      case 'iam:PutRolePolicy': {
        const input = {
          RoleName: param(step, 'RoleName'),
          PolicyName: param(step, 'PolicyName'),
          PolicyDocument: param(step, 'PolicyDocument'),
        };
        return () => client.send(new PutRolePolicyCommand(input));
      }
      case 'iam:PutUserPolicy': {
        const input = {
          UserName: param(step, 'UserName'),
          PolicyName: param(step, 'PolicyName'),
          PolicyDocument: param(step, 'PolicyDocument'),
        };
        return () => client.send(new PutUserPolicyCommand(input));
      }
      case 'iam:PutGroupPolicy': {
        const input = {
          GroupName: param(step, 'GroupName'),
          PolicyName: param(step, 'PolicyName'),
          PolicyDocument: param(step, 'PolicyDocument'),
        };
        return () => client.send(new PutGroupPolicyCommand(input));
      }
      case 'iam:DeleteRolePolicy': {
        const input = { RoleName: param(step, 'RoleName'), PolicyName: param(step, 'PolicyName') };
        return () => client.send(new DeleteRolePolicyCommand(input));
      }
      case 'iam:DeleteUserPolicy': {
        const input = { UserName: param(step, 'UserName'), PolicyName: param(step, 'PolicyName') };
        return () => client.send(new DeleteUserPolicyCommand(input));
      }
      case 'iam:DeleteGroupPolicy': {
        const input = { GroupName: param(step, 'GroupName'), PolicyName: param(step, 'PolicyName') };
        return () => client.send(new DeleteGroupPolicyCommand(input));
      }
      case 'iam:CreatePolicy': {
        const path = step.params.Path;
        const input = {
          PolicyName: param(step, 'PolicyName'),
          PolicyDocument: param(step, 'PolicyDocument'),
          Path: typeof path === 'string' && path !== '' ? param(step, 'Path') : '/',
        };
        return () => client.send(new CreatePolicyCommand(input));
      }
      case 'iam:DeletePolicy': {
        const input = { PolicyArn: policyArn() };
        return () => client.send(new DeletePolicyCommand(input));
      }
      case 'iam:CreatePolicyVersion': {
        const input = {
          PolicyArn: policyArn(),
          PolicyDocument: param(step, 'PolicyDocument'),
          SetAsDefault: flag(step, 'SetAsDefault'),
        };
        return () => client.send(new CreatePolicyVersionCommand(input));
      }
      case 'iam:DeletePolicyVersion': {
        const input = { PolicyArn: policyArn(), VersionId: param(step, 'VersionId') };
        return () => client.send(new DeletePolicyVersionCommand(input));
      }
      case 'iam:SetDefaultPolicyVersion': {
        const input = { PolicyArn: policyArn(), VersionId: param(step, 'VersionId') };
        return () => client.send(new SetDefaultPolicyVersionCommand(input));
      }
      case 'iam:UpdateAssumeRolePolicy': {
        const input = { RoleName: param(step, 'RoleName'), PolicyDocument: param(step, 'PolicyDocument') };
        return () => client.send(new UpdateAssumeRolePolicyCommand(input));
      }
      default:
        throw new RevertStepError(`${step.action} is not an action a revert sends`);
    }
  }
}

/** `role` → `Role`, as IAM action and parameter names spell it. */
function kindName(entity: IamEntity): 'Role' | 'User' | 'Group' {
  return entity.kind === 'role' ? 'Role' : entity.kind === 'user' ? 'User' : 'Group';
}
