/**
 * The {@link PrincipalDirectory} on the AWS SDK's `IAMClient`: the reads the escalation check needs beyond the IAM
 * gateway's — inline policy names, a user's groups, a permissions boundary. Read-only, every list paged.
 */
import {
  GetRoleCommand,
  GetUserCommand,
  type IAMClient,
  ListGroupPoliciesCommand,
  ListGroupsForUserCommand,
  ListRolePoliciesCommand,
  ListUserPoliciesCommand,
} from '@aws-sdk/client-iam';
import type { PrincipalDirectory } from '../app/escalation-check';
import type { IamEntity } from '../app/iam-port';
import { toIamError } from './iam-gateway-errors';

/** Pages read from one list call before giving up (IAM pages hold up to 1000 items). */
const MAX_PAGES = 50;

/** {@link PrincipalDirectory} on an `IAMClient` (the worker's own, or a member account's responder role). */
export class AwsPrincipalDirectory implements PrincipalDirectory {
  constructor(private readonly client: IAMClient) {}

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
