/**
 * What the escalation check reads of a principal on the AWS SDK's `IAMClient`: its attached policies, its inline
 * policies (names and documents), a user's groups, a permissions boundary. Read-only, every list paged: notify
 * runs the check with it and nothing else of IAM's, and the IAM gateway shares its reads.
 */
import {
  GetGroupPolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  type IAMClient,
  ListAttachedGroupPoliciesCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupPoliciesCommand,
  ListGroupsForUserCommand,
  ListRolePoliciesCommand,
  ListUserPoliciesCommand,
} from '@aws-sdk/client-iam';
import type { PrincipalDirectory } from '../app/escalation-check';
import { type AttachedPolicy, type IamEntity, type IamGateway, isIamError } from '../app/iam-port';
import { parsePolicyDocument } from '../domain/policy';
import type { PolicyDocument } from '../domain/types';
import { toIamError } from './iam-gateway-errors';

/** Pages read from one list call before giving up (IAM pages hold up to 1000 items). */
const MAX_PAGES = 50;

/**
 * {@link PrincipalDirectory}, and the gateway's principal reads, on an `IAMClient` (notify's or the worker's own,
 * or a member account's responder role).
 */
export class AwsPrincipalDirectory
  implements PrincipalDirectory, Pick<IamGateway, 'getInlinePolicy' | 'listAttachedPolicies'>
{
  constructor(private readonly client: IAMClient) {}

  async getInlinePolicy(entity: IamEntity, policyName: string): Promise<PolicyDocument | null> {
    const action = `iam:Get${kindName(entity)}Policy`;
    try {
      const text = await this.call(action, async () => {
        switch (entity.kind) {
          case 'role':
            return (
              await this.client.send(
                new GetRolePolicyCommand({ RoleName: entity.name, PolicyName: policyName }),
              )
            ).PolicyDocument;
          case 'user':
            return (
              await this.client.send(
                new GetUserPolicyCommand({ UserName: entity.name, PolicyName: policyName }),
              )
            ).PolicyDocument;
          case 'group':
            return (
              await this.client.send(
                new GetGroupPolicyCommand({ GroupName: entity.name, PolicyName: policyName }),
              )
            ).PolicyDocument;
        }
      });
      return parsePolicyDocument(text ?? '');
    } catch (error: unknown) {
      if (isIamError(error, 'NoSuchEntity')) return null;
      throw error;
    }
  }

  async listAttachedPolicies(entity: IamEntity): Promise<AttachedPolicy[]> {
    const action = `iam:ListAttached${kindName(entity)}Policies`;
    const found: AttachedPolicy[] = [];
    let marker: string | undefined;
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const output = await this.call(action, () => {
        switch (entity.kind) {
          case 'role':
            return this.client.send(
              new ListAttachedRolePoliciesCommand({ RoleName: entity.name, Marker: marker }),
            );
          case 'user':
            return this.client.send(
              new ListAttachedUserPoliciesCommand({ UserName: entity.name, Marker: marker }),
            );
          case 'group':
            return this.client.send(
              new ListAttachedGroupPoliciesCommand({ GroupName: entity.name, Marker: marker }),
            );
        }
      });
      for (const policy of output.AttachedPolicies ?? []) {
        if (policy.PolicyArn) found.push({ arn: policy.PolicyArn, name: policy.PolicyName ?? '' });
      }
      if (!output.IsTruncated || !output.Marker) break;
      marker = output.Marker;
    }
    return found;
  }

  async inlinePolicyNames(entity: IamEntity): Promise<string[]> {
    const names: string[] = [];
    let marker: string | undefined;
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const output = await this.call(`iam:List${kindName(entity)}Policies`, () => {
        switch (entity.kind) {
          case 'role':
            return this.client.send(new ListRolePoliciesCommand({ RoleName: entity.name, Marker: marker }));
          case 'user':
            return this.client.send(new ListUserPoliciesCommand({ UserName: entity.name, Marker: marker }));
          case 'group':
            return this.client.send(new ListGroupPoliciesCommand({ GroupName: entity.name, Marker: marker }));
        }
      });
      names.push(...(output.PolicyNames ?? []));
      if (!output.IsTruncated || !output.Marker) break;
      marker = output.Marker;
    }
    return names;
  }

  async groupsOf(userName: string): Promise<string[]> {
    const groups: string[] = [];
    let marker: string | undefined;
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const output = await this.call('iam:ListGroupsForUser', () =>
        this.client.send(new ListGroupsForUserCommand({ UserName: userName, Marker: marker })),
      );
      for (const group of output.Groups ?? []) if (group.GroupName) groups.push(group.GroupName);
      if (!output.IsTruncated || !output.Marker) break;
      marker = output.Marker;
    }
    return groups;
  }

  async permissionsBoundary(entity: { kind: 'role' | 'user'; name: string }): Promise<string | null> {
    if (entity.kind === 'role') {
      const output = await this.call('iam:GetRole', () =>
        this.client.send(new GetRoleCommand({ RoleName: entity.name })),
      );
      return output.Role?.PermissionsBoundary?.PermissionsBoundaryArn ?? null;
    }
    const output = await this.call('iam:GetUser', () =>
      this.client.send(new GetUserCommand({ UserName: entity.name })),
    );
    return output.User?.PermissionsBoundary?.PermissionsBoundaryArn ?? null;
  }

  private async call<T>(action: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error: unknown) {
      throw toIamError(action, error);
    }
  }
}

function kindName(entity: IamEntity): 'Role' | 'User' | 'Group' {
  return entity.kind === 'role' ? 'Role' : entity.kind === 'user' ? 'User' : 'Group';
}
