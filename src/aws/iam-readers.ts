/**
 * The read-only IAM adapters on one client: the policy reader (`GetPolicy`, `GetPolicyVersion`) and the principal
 * directory of the escalation check. One module, so a function loads the IAM client and both readers together
 * with its first IAM read (one chunk), and never before.
 */
import { IAMClient } from '@aws-sdk/client-iam';
import { type AwsClientOptions, awsClientConfig, IAM_REGION } from './client-config';
import { AwsPolicyReader } from './policy-reader';
import { AwsPrincipalDirectory } from './principal-directory';

/** Both readers on `given`, or on an IAM client of their own (IAM's region, `AWS_ENDPOINT_URL` honoured). */
export function createIamReaders(
  options: AwsClientOptions,
  given?: IAMClient,
): { policies: AwsPolicyReader; principals: AwsPrincipalDirectory } {
  const client = given ?? new IAMClient(awsClientConfig(IAM_REGION, options));
  return { policies: new AwsPolicyReader(client), principals: new AwsPrincipalDirectory(client) };
}
