/**
 * IAM in a member account of an AWS Organization, through the responder role `templates/member-account.yml`
 * creates there (deployed with a StackSet): `sts:AssumeRole` with the shared external id, credentials kept by the
 * client and renewed by the SDK before they expire. The STS code is loaded on the first member-account call, so
 * a worker that only ever acts in its own account never loads it.
 */

import { IAMClient } from '@aws-sdk/client-iam';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { type AwsClientOptions, awsClientConfig, IAM_REGION } from './client-config';

/** The role the worker assumes in a member account. */
export interface ResponderRole {
  /** Its name in every member account (default `iam-changes-responder`). */
  roleName: string;
  /** The external id its trust policy requires, read when first needed (SSM at run time). */
  externalId: () => Promise<string>;
  /** The AWS partition (`aws`, `aws-cn`, `aws-us-gov`); `aws` unless given. */
  partition?: string;
}

/** How long the assumed credentials last; the SDK renews them before then. */
const SESSION_SECONDS = 3600;

/** The responder role's ARN in `accountId`. */
export function responderRoleArn(
  accountId: string,
  role: Pick<ResponderRole, 'roleName' | 'partition'>,
): string {
  return `arn:${role.partition ?? 'aws'}:iam::${accountId}:role/${role.roleName}`;
}

/**
 * Credentials of the responder role in `accountId`, for any client: `sts:AssumeRole` with the external id, the
 * session named `iam-changes-worker` so the member account's CloudTrail names the bot. The client memoises what
 * this returns and asks again shortly before `expiration`.
 */
export function memberCredentials(accountId: string, role: ResponderRole, options: AwsClientOptions = {}) {
  const roleArn = responderRoleArn(accountId, role);
  return async () => {
    const provide = fromTemporaryCredentials({
      params: {
        RoleArn: roleArn,
        ExternalId: await role.externalId(),
        RoleSessionName: 'iam-changes-worker',
        DurationSeconds: SESSION_SECONDS,
      },
      clientConfig: awsClientConfig(options.region, options),
    });
    return provide();
  };
}

/** An IAM client acting in `accountId` as the responder role. */
export function createMemberIamClient(
  accountId: string,
  role: ResponderRole,
  options: AwsClientOptions = {},
): IAMClient {
  return new IAMClient({
    ...awsClientConfig(IAM_REGION, options),
    credentials: memberCredentials(accountId, role, options),
  });
}
