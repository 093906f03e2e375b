import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type AwsClientOptions, awsClientConfig } from './client-config';

/**
 * DynamoDB through the document client, for the store; `undefined` attributes are dropped on write. `endpoint`
 * and `credentials` pin it (the local runtime's embedded store); otherwise the SDK resolves them.
 */
export function createDocumentClient(
  options: AwsClientOptions & {
    endpoint?: string;
    credentials?: { accessKeyId: string; secretAccessKey: string };
  } = {},
): DynamoDBDocumentClient {
  const pinned = {
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  };
  return DynamoDBDocumentClient.from(
    new DynamoDBClient({ ...awsClientConfig(options.region, options), ...pinned }),
    {
      marshallOptions: { removeUndefinedValues: true },
    },
  );
}
