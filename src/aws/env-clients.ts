/**
 * Clients for a command that was handed its environment (the CLI takes one, so tests run it in-process): the
 * endpoint (`AWS_ENDPOINT_URL_<SERVICE>` or `AWS_ENDPOINT_URL`) and the access keys come from that environment
 * and win over what the SDK would find on its own.
 */
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { awsClientConfig, IAM_EVENTS_REGION, IAM_REGION } from './client-config';

type Env = Record<string, string | undefined>;

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** The access keys the environment holds, if it holds a complete pair. */
export function credentialsFrom(env: Env) {
  const accessKeyId = nonEmpty(env.AWS_ACCESS_KEY_ID);
  const secretAccessKey = nonEmpty(env.AWS_SECRET_ACCESS_KEY);
  if (accessKeyId === undefined || secretAccessKey === undefined) return undefined;
  const sessionToken = nonEmpty(env.AWS_SESSION_TOKEN);
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
}

/** A client configuration from the environment the CLI was given (its endpoint and keys win over the SDK's). */
function configFor(env: Env, region: string | undefined, service: string) {
  const endpoint = nonEmpty(env[`AWS_ENDPOINT_URL_${service}`]) ?? nonEmpty(env.AWS_ENDPOINT_URL);
  const credentials = credentialsFrom(env);
  return {
    ...awsClientConfig(region),
    ...(endpoint ? { endpoint } : {}),
    ...(credentials ? { credentials } : {}),
  };
}

/**
 * IAM and CloudTrail (signed in us-east-1, where IAM and its events are) and, when `table` is set, DynamoDB in
 * `region` through the document client.
 */
export function createClientsFromEnv(
  env: Env,
  region: string,
  options: { table: boolean },
): { iam: IAMClient; cloudTrail: CloudTrailClient; dynamo?: DynamoDBDocumentClient } {
  return {
    iam: new IAMClient(configFor(env, IAM_REGION, 'IAM')),
    cloudTrail: new CloudTrailClient(configFor(env, IAM_EVENTS_REGION, 'CLOUDTRAIL')),
    ...(options.table ? { dynamo: createTableClientFromEnv(env, region) } : {}),
  };
}

/** STS (us-east-1 unless the environment names a region), to learn whose credentials these are and to assume roles. */
export function createStsFromEnv(env: Env): STSClient {
  return new STSClient(configFor(env, nonEmpty(env.AWS_REGION) ?? IAM_REGION, 'STS'));
}

/** DynamoDB in `region` through the document client (the bot's table), from the environment. */
export function createTableClientFromEnv(env: Env, region: string): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient(configFor(env, region, 'DYNAMODB')), {
    marshallOptions: { removeUndefinedValues: true },
  });
}
