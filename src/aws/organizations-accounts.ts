/**
 * The organisation's accounts, names and OU paths, read from AWS Organizations. Run where Organizations answers:
 * the management account, or a delegated administrator account; from any other account (the security-tooling
 * account that is not a delegated administrator) through a role in the management account, assumed with
 * `ORGANIZATIONS_ROLE_ARN`.
 *
 * The tree is walked from the root (`ListRoots`, then `ListOrganizationalUnitsForParent` and
 * `ListAccountsForParent` for each OU): one call per OU and page, where `ListAccounts` and one `ListParents` per
 * account, then `DescribeOrganizationalUnit` per OU up the path, would cost one call or more per account — 500
 * accounts in a few OUs is a few dozen calls, well inside Organizations' low request rate.
 */
import {
  OrganizationsClient,
  paginateListAccountsForParent,
  paginateListOrganizationalUnitsForParent,
  paginateListRoots,
} from '@aws-sdk/client-organizations';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { AccountSource } from '../app/account-directory';
import type { AccountFacts } from '../domain/accounts';
import { type AwsClientOptions, awsClientConfig } from './client-config';

/** Organizations' one endpoint signs in us-east-1. */
const ORGANIZATIONS_REGION = 'us-east-1';

/**
 * An Organizations client, built once per cold start: with `roleArn`, acting as that role (assumed when first
 * used, renewed by the SDK), else with the function's own credentials. The STS code loads only with a role.
 */
export function createOrganizationsClient(
  roleArn?: string,
  options: AwsClientOptions = {},
): OrganizationsClient {
  const config = awsClientConfig(ORGANIZATIONS_REGION, options);
  if (!roleArn) return new OrganizationsClient(config);
  return new OrganizationsClient({
    ...config,
    credentials: async () => {
      return fromTemporaryCredentials({
        params: { RoleArn: roleArn, RoleSessionName: 'iam-changes-directory', DurationSeconds: 900 },
        clientConfig: awsClientConfig(ORGANIZATIONS_REGION, options),
      })();
    },
  });
}

/** {@link AccountSource} on AWS Organizations. Throws what Organizations throws (the directory keeps its cache). */
export class OrganizationsAccountSource implements AccountSource {
  constructor(private readonly client: OrganizationsClient) {}

  async listAccounts(): Promise<AccountFacts[]> {
    const accounts: AccountFacts[] = [];
    const queue: Array<{ id: string; path: string }> = [];
    for await (const page of paginateListRoots({ client: this.client }, {})) {
      for (const root of page.Roots ?? []) {
        if (root.Id) queue.push({ id: root.Id, path: root.Name || 'Root' });
      }
    }
    // Breadth first: accounts nearer the root come first.
    for (let next = queue.shift(); next; next = queue.shift()) {
      const parent = next;
      for await (const page of paginateListAccountsForParent(
        { client: this.client },
        { ParentId: parent.id },
      )) {
        for (const account of page.Accounts ?? []) {
          if (!account.Id) continue;
          accounts.push({
            id: account.Id,
            ...(account.Name ? { name: account.Name } : {}),
            ouPath: parent.path,
            parentId: parent.id,
            // `State` replaces the older `Status`; either names a suspended or closing account.
            ...((account.State ?? account.Status) ? { status: account.State ?? account.Status } : {}),
          });
        }
      }
      for await (const page of paginateListOrganizationalUnitsForParent(
        { client: this.client },
        { ParentId: parent.id },
      )) {
        for (const unit of page.OrganizationalUnits ?? []) {
          if (unit.Id) queue.push({ id: unit.Id, path: `${parent.path}/${unit.Name ?? unit.Id}` });
        }
      }
    }
    return accounts;
  }
}
