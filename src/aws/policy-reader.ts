/**
 * The two IAM reads notify makes — a managed policy's default version and that version's document — on their own,
 * so the notify bundle holds no IAM call it is not allowed to make (the IAM gateway holds every revert write).
 */
import { GetPolicyCommand, GetPolicyVersionCommand, type IAMClient } from '@aws-sdk/client-iam';
import { type IamGateway, isIamError, type ManagedPolicy, type PolicyVersion } from '../app/iam-port';
import { parsePolicyDocument } from '../domain/policy';
import { toIamError } from './iam-gateway-errors';

/** `GetPolicy` and `GetPolicyVersion` on an `IAMClient`; `null` when the policy or version does not exist. */
export class AwsPolicyReader implements Pick<IamGateway, 'getManagedPolicy' | 'getPolicyVersion'> {
  constructor(private readonly client: IAMClient) {}

  async getManagedPolicy(policyArn: string): Promise<ManagedPolicy | null> {
    try {
      const policy = (await this.client.send(new GetPolicyCommand({ PolicyArn: policyArn }))).Policy;
      return {
        arn: policy?.Arn ?? policyArn,
        name: policy?.PolicyName ?? policyArn.slice(policyArn.lastIndexOf('/') + 1),
        path: policy?.Path ?? '/',
        defaultVersionId: policy?.DefaultVersionId ?? '',
        attachmentCount: policy?.AttachmentCount ?? 0,
      };
    } catch (error: unknown) {
      const failure = toIamError('iam:GetPolicy', error);
      if (isIamError(failure, 'NoSuchEntity')) return null;
      throw failure;
    }
  }

  async getPolicyVersion(policyArn: string, versionId: string): Promise<PolicyVersion | null> {
    try {
      const version = (
        await this.client.send(new GetPolicyVersionCommand({ PolicyArn: policyArn, VersionId: versionId }))
      ).PolicyVersion;
      return {
        versionId: version?.VersionId ?? versionId,
        isDefault: version?.IsDefaultVersion === true,
        ...(version?.CreateDate ? { createDate: new Date(version.CreateDate).toISOString() } : {}),
        document: parsePolicyDocument(version?.Document ?? ''),
      };
    } catch (error: unknown) {
      const failure = toIamError('iam:GetPolicyVersion', error);
      if (isIamError(failure, 'NoSuchEntity')) return null;
      throw failure;
    }
  }
}
