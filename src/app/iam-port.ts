/**
 * The IAM port: the reads and writes reverts, drift checks, quarantine and diffs need. The implementation is
 * `src/aws/iam-gateway.ts` (the only code that talks to IAM); tests run it against `moto_server`.
 *
 * Contract for every method: documents come back parsed (IAM returns them URL-encoded); a thing that does not
 * exist is `null` where the method says so, and every other failure is an {@link IamCallError} carrying the
 * AWS error name (`NoSuchEntity`, `LimitExceeded`, `DeleteConflict`, `MalformedPolicyDocument`, …), or a
 * {@link RevertStepError} for a step the gateway refuses to send.
 */
import type { IamEntity } from '../domain/drift';
import type { PolicyDocument, RevertStep } from '../domain/types';

export type { IamEntity, IamEntityKind } from '../domain/drift';

/** An IAM call failed. `code` is the AWS error name without the SDK's `Exception` suffix (`NoSuchEntity`). */
export class IamCallError extends Error {
  override readonly name = 'IamCallError';

  constructor(
    /** The IAM action, as `iam:GetRolePolicy`. */
    readonly action: string,
    /** The AWS error name (`NoSuchEntity`, `LimitExceeded`, `DeleteConflict`), or the network error's code. */
    readonly code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${action} failed: ${code}: ${message}`, options);
  }
}

/**
 * A revert step the gateway will not send: an action it does not know, a missing parameter, or a value that is
 * still a placeholder (`<previous-document>`) — a plan with an unknown before-state must never reach IAM.
 */
export class RevertStepError extends Error {
  override readonly name = 'RevertStepError';
}

/** True when an error is an {@link IamCallError} with this AWS error name. */
export function isIamError(error: unknown, code: string): error is IamCallError {
  return error instanceof IamCallError && error.code === code;
}

/** A customer or AWS managed policy, as `GetPolicy` describes it. */
export interface ManagedPolicy {
  arn: string;
  name: string;
  path: string;
  policyId?: string;
  defaultVersionId: string;
  /** Roles, users and groups it is attached to (IAM's count). */
  attachmentCount: number;
  /** The description IAM keeps on it (set at creation, never changed after). */
  description?: string;
}

/** One version of a managed policy (`ListPolicyVersions`), with its document when it was read. */
export interface PolicyVersion {
  versionId: string;
  isDefault: boolean;
  /** ISO 8601, when IAM gave it. */
  createDate?: string;
  document?: PolicyDocument;
}

/** A managed policy attached to an entity. */
export interface AttachedPolicy {
  arn: string;
  name: string;
}

/** The entities a managed policy is attached to, by name (`ListEntitiesForPolicy`). */
export interface PolicyAttachments {
  roles: string[];
  users: string[];
  groups: string[];
}

/** What {@link IamGateway.createManagedPolicy} creates. */
export interface NewManagedPolicy {
  name: string;
  /** IAM path, `/` unless set (`/iam-changes/`). */
  path?: string;
  document: PolicyDocument;
  description?: string;
}

/** Whether an access key may sign requests. */
export type AccessKeyStatus = 'Active' | 'Inactive';

/** An IAM user's access key, as `ListAccessKeys` describes it (never its secret). */
export interface AccessKey {
  id: string;
  status: AccessKeyStatus;
  /** ISO 8601, when IAM gave it. */
  createDate?: string;
}

/** The IAM reads and writes of reverts, drift checks, quarantine and diffs. */
export interface IamGateway {
  /**
   * True when writes are simulated (the local runtime without AWS): they change an in-memory account and nothing
   * in AWS. Every surface that shows a write says "dry run" then.
   */
  readonly dryRun?: boolean;
  /** An inline policy's document, or `null` when the policy (or the entity) does not exist. */
  getInlinePolicy(entity: IamEntity, policyName: string): Promise<PolicyDocument | null>;
  /** The managed policies attached to an entity (all pages). Throws `NoSuchEntity` when the entity is gone. */
  listAttachedPolicies(entity: IamEntity): Promise<AttachedPolicy[]>;
  /** A managed policy, or `null` when it does not exist. */
  getManagedPolicy(policyArn: string): Promise<ManagedPolicy | null>;
  /** One version with its document, or `null` when the version (or the policy) does not exist. */
  getPolicyVersion(policyArn: string, versionId: string): Promise<PolicyVersion | null>;
  /** The versions of a policy without their documents, or `null` when the policy does not exist. */
  listPolicyVersions(policyArn: string): Promise<PolicyVersion[] | null>;
  /** The roles, users and groups a policy is attached to (all pages); empty lists when it does not exist. */
  listPolicyAttachments(policyArn: string): Promise<PolicyAttachments>;
  /** A role's trust policy, or `null` when the role does not exist. */
  getRoleTrustPolicy(roleName: string): Promise<PolicyDocument | null>;
  /**
   * Sends one revert step: every action `planRevert` emits (`iam:Attach*Policy`, `iam:Detach*Policy`,
   * `iam:Put*Policy`, `iam:Delete*Policy`, `iam:CreatePolicy`, `iam:DeletePolicy`, `iam:CreatePolicyVersion`,
   * `iam:DeletePolicyVersion`, `iam:SetDefaultPolicyVersion`, `iam:UpdateAssumeRolePolicy`). Throws
   * {@link RevertStepError} before calling IAM when the step is unknown, incomplete or holds a placeholder.
   */
  execute(step: RevertStep): Promise<void>;
  /** Creates a customer managed policy (quarantine) and returns it. */
  createManagedPolicy(policy: NewManagedPolicy): Promise<ManagedPolicy>;
  /** Attaches a managed policy to a user, role or group. */
  attachManagedPolicy(entity: IamEntity, policyArn: string): Promise<void>;
  /** Detaches a managed policy from a user, role or group. */
  detachManagedPolicy(entity: IamEntity, policyArn: string): Promise<void>;
  /** An IAM user's access keys (all pages). Throws `NoSuchEntity` when the user is gone. */
  listAccessKeys(userName: string): Promise<AccessKey[]>;
  /** Sets an access key Active or Inactive (`UpdateAccessKey`); `NoSuchEntity` when the key or user is gone. */
  setAccessKeyStatus(userName: string, accessKeyId: string, status: AccessKeyStatus): Promise<void>;
}
