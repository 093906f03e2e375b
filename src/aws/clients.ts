/**
 * The AWS SDK clients, built once per cold start and handed to the adapters through their constructors.
 *
 * Every client shares one configuration — explicit connection and request timeouts and a bounded retry
 * count — so a slow or unreachable endpoint fails the invocation in seconds instead of hanging until the
 * Lambda timeout. The endpoint is never set here: the SDK reads `AWS_ENDPOINT_URL` (and the per-service
 * `AWS_ENDPOINT_URL_<SERVICE>`) itself, which is how the bot and its tests run against `moto_server`.
 */
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { IAMClient } from '@aws-sdk/client-iam';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

import {
  AWS_CLIENT_DEFAULTS,
  type AwsClientOptions,
  awsClientConfig,
  IAM_EVENTS_REGION,
  IAM_REGION,
} from './client-config';
import { createDocumentClient } from './dynamo-client';

export { AWS_CLIENT_DEFAULTS, type AwsClientOptions, awsClientConfig, IAM_EVENTS_REGION, IAM_REGION };

/** The clients the adapters need. One instance per process; adapters receive the client they use. */
export interface AwsClients {
  /** CloudWatch Logs in the bot's region: metric filters and `FilterLogEvents` on the CloudTrail log group. */
  cloudWatchLogs: CloudWatchLogsClient;
  /** CloudTrail in {@link AwsClientOptions.cloudTrailRegion} (us-east-1): `LookupEvents` for IAM events. */
  cloudTrail: CloudTrailClient;
  /** DynamoDB through the document client, for the store; `undefined` attributes are dropped on write. */
  dynamo: DynamoDBDocumentClient;
  /** SSM Parameter Store, for the Slack secrets. */
  ssm: SSMClient;
  /** CloudWatch in the bot's region: the CIS 4.4 alarms (`DescribeAlarmsForMetric`). */
  cloudWatch: CloudWatchClient;
  /** SNS in the bot's region: the topics and subscriptions the CIS 4.4 alarm notifies. */
  sns: SNSClient;
  /** SQS, to read the dead-letter queues back (`iam-changes redrive`). */
  sqs: SQSClient;
  /** IAM (global, signed in us-east-1): reverts, drift checks, quarantine and diffs. */
  iam: IAMClient;
}

/**
 * Builds every AWS client once. Call it at module scope of a handler (once per cold start) and pass the
 * clients to the adapters' constructors; never build a client inside a request path.
 */
export function createAwsClients(options: AwsClientOptions = {}): AwsClients {
  return {
    cloudWatchLogs: new CloudWatchLogsClient(awsClientConfig(options.region, options)),
    cloudTrail: new CloudTrailClient(awsClientConfig(options.cloudTrailRegion ?? IAM_EVENTS_REGION, options)),
    dynamo: createDocumentClient(options),
    ssm: new SSMClient(awsClientConfig(options.region, options)),
    cloudWatch: new CloudWatchClient(awsClientConfig(options.region, options)),
    sns: new SNSClient(awsClientConfig(options.region, options)),
    sqs: new SQSClient(awsClientConfig(options.region, options)),
    iam: new IAMClient(awsClientConfig(IAM_REGION, options)),
  };
}
