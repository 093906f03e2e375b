/** The AWS SDK's IAM errors as the IAM port's {@link IamCallError}, shared by the IAM adapters. */
import { IamCallError } from '../app/iam-port';

/** The AWS error name without the SDK's `Exception` suffix, or a network error's code. */
function errorCode(error: unknown): string {
  if (typeof error !== 'object' || error === null) return 'Unknown';
  const fields = error as { name?: unknown; code?: unknown; Code?: unknown; $metadata?: unknown };
  const raw =
    typeof fields.Code === 'string'
      ? fields.Code
      : typeof fields.code === 'string' && fields.$metadata === undefined
        ? fields.code
        : typeof fields.name === 'string'
          ? fields.name
          : 'Unknown';
  return raw.endsWith('Exception') && raw !== 'Exception' ? raw.slice(0, -'Exception'.length) : raw;
}

/** An SDK error as the port's {@link IamCallError}, for the adapters beside this one. */
export function toIamError(action: string, error: unknown): IamCallError {
  if (error instanceof IamCallError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new IamCallError(action, errorCode(error), message.split('\n')[0] ?? message, { cause: error });
}
