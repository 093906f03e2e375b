import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { type AwsClientOptions, awsClientConfig } from './client-config';

/** A secret that could not be read from SSM Parameter Store. */
export class SecretUnavailableError extends Error {
  override name = 'SecretUnavailableError';
}

/**
 * Reads a SecureString from SSM Parameter Store, decrypted. Called once per cold start: the Slack token never
 * appears in the CloudFormation template or the function's environment.
 */
export async function readSecret(client: SSMClient, name: string): Promise<string> {
  try {
    const output = await client.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
    const value = output.Parameter?.Value;
    if (!value) throw new SecretUnavailableError(`SSM parameter ${name} is empty`);
    return value;
  } catch (error: unknown) {
    if (error instanceof SecretUnavailableError) throw error;
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new SecretUnavailableError(`cannot read SSM parameter ${name} (${reason})`, { cause: error });
  }
}

/** An SSM client of its own, for a process that reads its secrets once at cold start and needs nothing else of SSM. */
export function createSsmClient(options: AwsClientOptions = {}): SSMClient {
  return new SSMClient(awsClientConfig(options.region, options));
}
