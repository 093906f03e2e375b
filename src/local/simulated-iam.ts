/**
 * The IAM of a local run without any AWS (no moto_server, no credentials): an in-memory account that follows the
 * CloudTrail records the demo scenarios feed, so the drift check sees the state right after each change, and that
 * applies revert and quarantine calls to itself instead of to AWS. Every write is a dry run: it is logged and
 * changes nothing outside this process. It starts empty on each run.
 */

import { randomUUID } from 'node:crypto';
import type { PrincipalDirectory } from '../app/escalation-check';
import type {
  AccessKey,
  AccessKeyStatus,
  AttachedPolicy,
  IamGateway,
  ManagedPolicy,
  NewManagedPolicy,
  PolicyAttachments,
  PolicyVersion,
} from '../app/iam-port';
import { IamCallError, RevertStepError } from '../app/iam-port';
import { normaliseRecord } from '../domain/change';
import type { IamEntity, IamEntityKind } from '../domain/drift';
import type { CloudTrailRecord } from '../domain/input';
import { parsePolicyDocument } from '../domain/policy';
import type { Change, PolicyDocument, RevertStep } from '../domain/types';

interface SimulatedEntity {
  attached: Set<string>;
  inline: Map<string, PolicyDocument>;
  trust?: PolicyDocument;
  /** A user's groups. */
  groups?: Set<string>;
  /** A role's or user's permissions boundary (a policy ARN). */
  boundary?: string;
}

interface SimulatedPolicy {
  name: string;
  path: string;
  description?: string;
  /** The id IAM would give it (`ANPA…`), new for each policy made under a name. */
  policyId?: string;
  versions: Map<string, { document: PolicyDocument; createDate: string }>;
  defaultVersionId: string;
  nextVersion: number;
}

const ALL: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['*'], Resource: ['*'] }],
};

/** The AWS managed policies the scenarios attach, with their documents as AWS publishes them (abridged). */
const AWS_MANAGED: Record<string, PolicyDocument> = {
  'arn:aws:iam::aws:policy/AdministratorAccess': ALL,
  'arn:aws:iam::aws:policy/IAMFullAccess': {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['iam:*', 'organizations:DescribeAccount', 'organizations:ListRoots'],
        Resource: ['*'],
      },
    ],
  },
  'arn:aws:iam::aws:policy/ReadOnlyAccess': {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['*:Describe*', '*:Get*', '*:List*'], Resource: ['*'] }],
  },
};

function key(entity: IamEntity): string {
  return `${entity.kind}/${entity.name}`;
}

function text(value: string | boolean | undefined): string {
  return typeof value === 'string' ? value : '';
}

function noSuchEntity(action: string, what: string): IamCallError {
  return new IamCallError(action, 'NoSuchEntity', `${what} cannot be found (simulated IAM)`);
}

/**
 * {@link IamGateway} on an in-memory account: the local runtime's dry run. It is also the escalation check's
 * {@link PrincipalDirectory} there, from the calls it has followed.
 */
export class SimulatedIamGateway implements IamGateway, PrincipalDirectory {
  /** Every write here is simulated. */
  readonly dryRun = true;
  private readonly entities = new Map<string, SimulatedEntity>();
  private readonly policies = new Map<string, SimulatedPolicy>();
  private readonly accessKeys = new Map<string, AccessKey[]>();

  constructor(
    private readonly accountId: string,
    /** Told about every simulated write, in words. */
    private readonly onWrite: (line: string) => void = () => undefined,
  ) {
    for (const [arn, document] of Object.entries(AWS_MANAGED)) {
      this.policies.set(arn, {
        name: arn.slice(arn.lastIndexOf('/') + 1),
        path: '/',
        versions: new Map([['v1', { document, createDate: '2015-02-06T18:39:46Z' }]]),
        defaultVersionId: 'v1',
        nextVersion: 2,
      });
    }
  }

  /** Brings the account to the state a CloudTrail record says a call left it in. */
  follow(record: CloudTrailRecord): void {
    const normalised = normaliseRecord(record);
    if (!('change' in normalised) || normalised.change.outcome !== 'success') return;
    this.apply(normalised.change);
  }

  private apply(change: Change): void {
    const { target, eventName } = change;
    const document = (role: 'permissions' | 'trust') =>
      change.documents.find((entry) => entry.role === role)?.document ?? undefined;
    const entityCall = /^(Attach|Detach|Put|Delete)(Role|User|Group)Policy$/.exec(eventName);
    if (entityCall && target.name) {
      const entity = this.entity({ kind: entityCall[2]?.toLowerCase() as IamEntityKind, name: target.name });
      if (entityCall[1] === 'Attach' && target.policyArn) entity.attached.add(target.policyArn);
      if (entityCall[1] === 'Detach' && target.policyArn) entity.attached.delete(target.policyArn);
      const written = document('permissions');
      if (entityCall[1] === 'Put' && target.policyName && written)
        entity.inline.set(target.policyName, written);
      if (entityCall[1] === 'Delete' && target.policyName) entity.inline.delete(target.policyName);
      return;
    }
    switch (eventName) {
      case 'CreateRole':
      case 'UpdateAssumeRolePolicy': {
        const trust = document('trust');
        const role = this.entity({ kind: 'role', name: target.name });
        if (trust) role.trust = trust;
        return;
      }
      case 'CreateUser':
        this.entity({ kind: 'user', name: target.name });
        return;
      case 'CreateGroup':
        this.entity({ kind: 'group', name: target.name });
        return;
      case 'CreatePolicy': {
        const written = document('permissions');
        if (target.policyArn && written) {
          this.policies.set(target.policyArn, {
            name: target.policyName ?? target.name,
            path: target.path ?? '/',
            versions: new Map([['v1', { document: written, createDate: change.eventTime }]]),
            defaultVersionId: 'v1',
            nextVersion: 2,
          });
        }
        return;
      }
      case 'DeletePolicy':
        if (target.policyArn) this.policies.delete(target.policyArn);
        return;
      case 'CreatePolicyVersion': {
        const policy = target.policyArn ? this.policies.get(target.policyArn) : undefined;
        const written = document('permissions');
        if (policy && written) {
          const versionId = target.versionId ?? `v${policy.nextVersion}`;
          policy.nextVersion += 1;
          policy.versions.set(versionId, { document: written, createDate: change.eventTime });
          const setAsDefault = change.requestParameters?.setAsDefault;
          if (setAsDefault === true || setAsDefault === 'true') policy.defaultVersionId = versionId;
        }
        return;
      }
      case 'DeletePolicyVersion':
        if (target.policyArn && target.versionId)
          this.policies.get(target.policyArn)?.versions.delete(target.versionId);
        return;
      case 'SetDefaultPolicyVersion': {
        const policy = target.policyArn ? this.policies.get(target.policyArn) : undefined;
        if (policy && target.versionId) policy.defaultVersionId = target.versionId;
        return;
      }
      case 'AddUserToGroup':
      case 'RemoveUserFromGroup': {
        const userName = text(change.requestParameters?.userName as string | undefined);
        const groupName = text(change.requestParameters?.groupName as string | undefined);
        if (!userName || !groupName) return;
        const user = this.entity({ kind: 'user', name: userName });
        this.entity({ kind: 'group', name: groupName });
        user.groups ??= new Set();
        if (eventName === 'AddUserToGroup') user.groups.add(groupName);
        else user.groups.delete(groupName);
        return;
      }
      case 'PutRolePermissionsBoundary':
      case 'PutUserPermissionsBoundary':
      case 'DeleteRolePermissionsBoundary':
      case 'DeleteUserPermissionsBoundary': {
        const entity = this.entity({ kind: eventName.includes('Role') ? 'role' : 'user', name: target.name });
        const arn = text(change.requestParameters?.permissionsBoundary as string | undefined);
        if (eventName.startsWith('Put') && arn) entity.boundary = arn;
        else delete entity.boundary;
        return;
      }
      default:
        return;
    }
  }

  private entity(entity: IamEntity): SimulatedEntity {
    let found = this.entities.get(key(entity));
    if (found === undefined) {
      found = { attached: new Set(), inline: new Map() };
      this.entities.set(key(entity), found);
    }
    return found;
  }

  private existing(entity: IamEntity, action: string): SimulatedEntity {
    const found = this.entities.get(key(entity));
    if (found === undefined) throw noSuchEntity(action, `The ${entity.kind} ${entity.name}`);
    return found;
  }

  async getInlinePolicy(entity: IamEntity, policyName: string): Promise<PolicyDocument | null> {
    return this.entities.get(key(entity))?.inline.get(policyName) ?? null;
  }

  /** The names of an entity's inline policies, for the escalation check. */
  async inlinePolicyNames(entity: IamEntity): Promise<string[]> {
    return [...this.existing(entity, `iam:List${entity.kind}Policies`).inline.keys()];
  }

  /** The groups the calls seen so far put a user in. */
  async groupsOf(userName: string): Promise<string[]> {
    return [...(this.existing({ kind: 'user', name: userName }, 'iam:ListGroupsForUser').groups ?? [])];
  }

  /** The permissions boundary the calls seen so far set, `null` when none. */
  async permissionsBoundary(entity: { kind: 'role' | 'user'; name: string }): Promise<string | null> {
    return this.existing(entity, `iam:Get${entity.kind}`).boundary ?? null;
  }

  async listAttachedPolicies(entity: IamEntity): Promise<AttachedPolicy[]> {
    const found = this.existing(entity, `iam:ListAttached${entity.kind}Policies`);
    return [...found.attached].map((arn) => ({ arn, name: arn.slice(arn.lastIndexOf('/') + 1) }));
  }

  async getManagedPolicy(policyArn: string): Promise<ManagedPolicy | null> {
    const policy = this.policies.get(policyArn);
    if (policy === undefined) return null;
    const attachments = await this.listPolicyAttachments(policyArn);
    return {
      arn: policyArn,
      name: policy.name,
      path: policy.path,
      ...(policy.policyId ? { policyId: policy.policyId } : {}),
      defaultVersionId: policy.defaultVersionId,
      attachmentCount: attachments.roles.length + attachments.users.length + attachments.groups.length,
      ...(policy.description ? { description: policy.description } : {}),
    };
  }

  async getPolicyVersion(policyArn: string, versionId: string): Promise<PolicyVersion | null> {
    const policy = this.policies.get(policyArn);
    const version = policy?.versions.get(versionId);
    if (policy === undefined || version === undefined) return null;
    return {
      versionId,
      isDefault: policy.defaultVersionId === versionId,
      createDate: version.createDate,
      document: version.document,
    };
  }

  async listPolicyVersions(policyArn: string): Promise<PolicyVersion[] | null> {
    const policy = this.policies.get(policyArn);
    if (policy === undefined) return null;
    return [...policy.versions.entries()].map(([versionId, version]) => ({
      versionId,
      isDefault: policy.defaultVersionId === versionId,
      createDate: version.createDate,
    }));
  }

  async listPolicyAttachments(policyArn: string): Promise<PolicyAttachments> {
    const out: PolicyAttachments = { roles: [], users: [], groups: [] };
    for (const [name, entity] of this.entities) {
      if (!entity.attached.has(policyArn)) continue;
      const [kind, ...rest] = name.split('/');
      const list = kind === 'role' ? out.roles : kind === 'user' ? out.users : out.groups;
      list.push(rest.join('/'));
    }
    return out;
  }

  async getRoleTrustPolicy(roleName: string): Promise<PolicyDocument | null> {
    return this.entities.get(key({ kind: 'role', name: roleName }))?.trust ?? null;
  }

  async execute(step: RevertStep): Promise<void> {
    const params = step.params;
    for (const value of Object.values(params)) {
      if (typeof value === 'string' && /^<[\w-]+>$/.test(value)) {
        throw new RevertStepError(`${step.action}: ${value} is still a placeholder`);
      }
    }
    const call = /^iam:(Attach|Detach|Put|Delete)(Role|User|Group)Policy$/.exec(step.action);
    if (call) {
      const kind = call[2]?.toLowerCase() as IamEntityKind;
      const name = text(params[`${call[2]}Name`]);
      const entity = this.existing({ kind, name }, step.action);
      const policyArn = text(params.PolicyArn);
      const policyName = text(params.PolicyName);
      if (call[1] === 'Attach') entity.attached.add(policyArn);
      if (call[1] === 'Detach') {
        if (!entity.attached.delete(policyArn))
          throw noSuchEntity(step.action, `Policy ${policyArn} on ${kind} ${name}`);
      }
      if (call[1] === 'Put') entity.inline.set(policyName, parsePolicyDocument(text(params.PolicyDocument)));
      if (call[1] === 'Delete') {
        if (!entity.inline.delete(policyName)) throw noSuchEntity(step.action, `Inline policy ${policyName}`);
      }
      this.onWrite(
        `${step.action} ${name}${policyArn ? ` ${policyArn}` : ''}${policyName ? ` ${policyName}` : ''}`,
      );
      return;
    }
    switch (step.action) {
      case 'iam:UpdateAssumeRolePolicy': {
        const role = this.existing({ kind: 'role', name: text(params.RoleName) }, step.action);
        role.trust = parsePolicyDocument(text(params.PolicyDocument));
        break;
      }
      case 'iam:CreatePolicy': {
        const created = await this.createManagedPolicy({
          name: text(params.PolicyName),
          path: text(params.Path) || '/',
          document: parsePolicyDocument(text(params.PolicyDocument)),
        });
        this.onWrite(`iam:CreatePolicy ${created.arn}`);
        return;
      }
      case 'iam:DeletePolicy':
        if (!this.policies.delete(text(params.PolicyArn)))
          throw noSuchEntity(step.action, text(params.PolicyArn));
        break;
      case 'iam:CreatePolicyVersion': {
        const policy = this.policies.get(text(params.PolicyArn));
        if (policy === undefined) throw noSuchEntity(step.action, text(params.PolicyArn));
        const versionId = `v${policy.nextVersion}`;
        policy.nextVersion += 1;
        policy.versions.set(versionId, {
          document: parsePolicyDocument(text(params.PolicyDocument)),
          createDate: new Date().toISOString(),
        });
        if (params.SetAsDefault === true || params.SetAsDefault === 'true')
          policy.defaultVersionId = versionId;
        break;
      }
      case 'iam:DeletePolicyVersion': {
        const policy = this.policies.get(text(params.PolicyArn));
        if (!policy?.versions.delete(text(params.VersionId)))
          throw noSuchEntity(step.action, text(params.VersionId));
        break;
      }
      case 'iam:SetDefaultPolicyVersion': {
        const policy = this.policies.get(text(params.PolicyArn));
        if (!policy?.versions.has(text(params.VersionId)))
          throw noSuchEntity(step.action, text(params.VersionId));
        policy.defaultVersionId = text(params.VersionId);
        break;
      }
      default:
        throw new RevertStepError(`${step.action} is not a call the revert plans make`);
    }
    this.onWrite(`${step.action} ${JSON.stringify(params).slice(0, 200)}`);
  }

  async createManagedPolicy(policy: NewManagedPolicy): Promise<ManagedPolicy> {
    const path = policy.path ?? '/';
    const arn = `arn:aws:iam::${this.accountId}:policy${path}${policy.name}`;
    if (this.policies.has(arn)) {
      throw new IamCallError(
        'iam:CreatePolicy',
        'EntityAlreadyExists',
        `A policy called ${policy.name} already exists`,
      );
    }
    const policyId = `ANPA${randomUUID().replaceAll('-', '').slice(0, 17).toUpperCase()}`;
    this.policies.set(arn, {
      name: policy.name,
      path,
      policyId,
      ...(policy.description ? { description: policy.description } : {}),
      versions: new Map([['v1', { document: policy.document, createDate: new Date().toISOString() }]]),
      defaultVersionId: 'v1',
      nextVersion: 2,
    });
    this.onWrite(`iam:CreatePolicy ${arn}`);
    return { arn, name: policy.name, path, policyId, defaultVersionId: 'v1', attachmentCount: 0 };
  }

  /** A quarantine fences in the caller, whom no scenario record created: the simulation takes them to exist. */
  async attachManagedPolicy(entity: IamEntity, policyArn: string): Promise<void> {
    this.entity(entity).attached.add(policyArn);
    this.onWrite(`iam:Attach${entity.kind}Policy ${entity.name} ${policyArn}`);
  }

  async detachManagedPolicy(entity: IamEntity, policyArn: string): Promise<void> {
    this.entity(entity).attached.delete(policyArn);
    this.onWrite(`iam:Detach${entity.kind}Policy ${entity.name} ${policyArn}`);
  }

  /** A user the simulation has not seen keys for is taken to have one active key, so a quarantine has one to stop. */
  async listAccessKeys(userName: string): Promise<AccessKey[]> {
    return this.keysOf(userName).map((key) => ({ ...key }));
  }

  async setAccessKeyStatus(userName: string, accessKeyId: string, status: AccessKeyStatus): Promise<void> {
    const key = this.keysOf(userName).find((item) => item.id === accessKeyId);
    if (!key) throw noSuchEntity('iam:UpdateAccessKey', `Access key ${accessKeyId} of user ${userName}`);
    key.status = status;
    this.onWrite(`iam:UpdateAccessKey ${userName} ${accessKeyId} ${status}`);
  }

  private keysOf(userName: string): AccessKey[] {
    let keys = this.accessKeys.get(userName);
    if (!keys) {
      const id = `AKIASIMULATED${(this.accessKeys.size + 1).toString().padStart(7, '0')}`;
      keys = [{ id, status: 'Active' }];
      this.accessKeys.set(userName, keys);
    }
    return keys;
  }
}
