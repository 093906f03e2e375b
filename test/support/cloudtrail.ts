import { normaliseRecord } from '../../src/domain/change';
import type { CloudTrailRecord } from '../../src/domain/input';
import type { Change } from '../../src/domain/types';

let counter = 0;

/** A CloudTrail IAM record as CloudTrail writes it: an IAM user with MFA calling from the CLI, unless overridden. */
export function cloudTrailRecord(
  eventName: string,
  requestParameters: Record<string, unknown> | null,
  overrides: Partial<CloudTrailRecord> = {},
): CloudTrailRecord {
  counter += 1;
  return {
    eventVersion: '1.08',
    userIdentity: {
      type: 'IAMUser',
      principalId: 'AIDAEXAMPLEALICE',
      arn: 'arn:aws:iam::111122223333:user/alice',
      accountId: '111122223333',
      accessKeyId: 'AKIAEXAMPLEALICE',
      userName: 'alice',
      sessionContext: { attributes: { creationDate: '2026-11-20T13:00:00Z', mfaAuthenticated: 'true' } },
    },
    eventTime: '2026-11-20T14:00:00Z',
    eventSource: 'iam.amazonaws.com',
    eventName,
    awsRegion: 'us-east-1',
    sourceIPAddress: '198.51.100.7',
    userAgent: 'aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64 command/iam.attach-role-policy',
    requestParameters,
    responseElements: null,
    requestID: `req-${counter}`,
    eventID: `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`,
    readOnly: false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: '111122223333',
    eventCategory: 'Management',
    ...overrides,
  };
}

/** The normalised change of a record built by {@link cloudTrailRecord}; fails the test if it was skipped. */
export function changeOf(
  eventName: string,
  requestParameters: Record<string, unknown> | null,
  overrides: Partial<CloudTrailRecord> = {},
): Change {
  const result = normaliseRecord(cloudTrailRecord(eventName, requestParameters, overrides));
  if (!('change' in result)) throw new Error(`record was skipped: ${result.skipped.reason}`);
  return result.change;
}
