/**
 * The bot's {@link AwsClients} pinned to given endpoints and credentials, for the local runtime: every service on
 * its own `moto_server` (or a port nothing listens on, when there is no AWS), DynamoDB on its embedded dynalite.
 * Same timeouts and retries as `createAwsClients`; the deployed bot never uses this (it leaves endpoints to
 * the SDK, which honours `AWS_ENDPOINT_URL`).
 */
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IAMClient } from '@aws-sdk/client-iam';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  type AwsClientOptions,
  type AwsClients,
  awsClientConfig,
  IAM_EVENTS_REGION,
  IAM_REGION,
} from './clients';

/** Static credentials (emulators check that a request is signed, not by whom). */
export interface StaticCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Where the clients go, and as whom. */
export interface PinnedClientOptions extends AwsClientOptions {
  /** Every service but DynamoDB; unset, the SDK resolves it (and honours `AWS_ENDPOINT_URL`). */
  endpoint?: string;
  /** Credentials for every service but DynamoDB; unset, the SDK's provider chain. */
  credentials?: StaticCredentials;
  /** CloudTrail's endpoint instead of `endpoint` (the local runtime's event history: moto has no `LookupEvents`). */
  cloudTrailEndpoint?: string;
  /** DynamoDB's endpoint and credentials: the embedded store. */
  dynamo: { endpoint: string; credentials: StaticCredentials };
}

/** Builds every client once, pinned as {@link PinnedClientOptions} says. */
export function createPinnedAwsClients(options: PinnedClientOptions): AwsClients {
  // Each client gets its own credentials object: the SDK writes where credentials came from onto it.
  const config = (region: string | undefined) => ({
    ...awsClientConfig(region, options),
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.credentials === undefined ? {} : { credentials: { ...options.credentials } }),
  });
  return {
    cloudWatchLogs: new CloudWatchLogsClient(config(options.region)),
    cloudTrail: new CloudTrailClient({
      ...config(options.cloudTrailRegion ?? IAM_EVENTS_REGION),
      ...(options.cloudTrailEndpoint === undefined ? {} : { endpoint: options.cloudTrailEndpoint }),
    }),
    dynamo: DynamoDBDocumentClient.from(
      new DynamoDBClient({
        ...awsClientConfig(options.region, options),
        endpoint: options.dynamo.endpoint,
        credentials: { ...options.dynamo.credentials },
      }),
      { marshallOptions: { removeUndefinedValues: true } },
    ),
    ssm: new SSMClient(config(options.region)),
    cloudWatch: new CloudWatchClient(config(options.region)),
    sns: new SNSClient(config(options.region)),
    sqs: new SQSClient(config(options.region)),
    iam: new IAMClient(config(IAM_REGION)),
  };
}
