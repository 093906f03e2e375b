import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type AwsClientOptions, awsClientConfig } from './client-config';

/** DynamoDB through the document client, for the store; `undefined` attributes are dropped on write. */
export function createDocumentClient(options: AwsClientOptions = {}): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient(awsClientConfig(options.region, options)), {
    marshallOptions: { removeUndefinedValues: true },
  });
}
