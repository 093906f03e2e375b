/**
 * CloudTrail `LookupEvents` in a member account, as the responder role: where the worker confirms a change made
 * there before a revert that adds access back. Loaded with the first such confirmation.
 */
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { type AwsClientOptions, awsClientConfig, IAM_EVENTS_REGION } from './client-config';
import { memberCredentials, type ResponderRole } from './member-accounts';

/** A CloudTrail client in `accountId` (in the IAM events' region unless set), as the responder role. */
export function createMemberCloudTrailClient(
  accountId: string,
  role: ResponderRole,
  options: AwsClientOptions = {},
): CloudTrailClient {
  return new CloudTrailClient({
    ...awsClientConfig(options.cloudTrailRegion ?? IAM_EVENTS_REGION, options),
    credentials: memberCredentials(accountId, role, options),
  });
}
