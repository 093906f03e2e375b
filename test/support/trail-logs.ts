/**
 * CloudTrail log files as CloudTrail writes them to S3: `{"Records":[…]}`, compact, each record `eventVersion`
 * first, gzipped, under `AWSLogs/[<org>/]<account>/CloudTrail/<region>/YYYY/MM/DD/`. For the `scan` tests and
 * `bench/scan.ts`.
 */
import { gzipSync } from 'node:zlib';
import type { CloudTrailRecord } from '../../src/domain/input';
import { cloudTrailRecord } from './cloudtrail';

export const ORG_ID = 'o-a1b2c3d4e5';

/** The S3 key (or relative path) of a log file, in CloudTrail's naming. */
export function logKey(options: {
  account: string;
  time: string;
  region?: string;
  org?: string | undefined;
  suffix?: string;
}): string {
  const region = options.region ?? 'us-east-1';
  const date = new Date(options.time);
  const day = date.toISOString().slice(0, 10).replaceAll('-', '/');
  const stamp = date.toISOString().slice(0, 16).replaceAll('-', '').replace(':', '');
  const org = options.org === undefined ? `${ORG_ID}/` : options.org ? `${options.org}/` : '';
  return `AWSLogs/${org}${options.account}/CloudTrail/${region}/${day}/${options.account}_CloudTrail_${region}_${stamp}Z_${options.suffix ?? 'a1b2c3d4e5f6g7h8'}.json.gz`;
}

/** A log file's gzipped bytes holding `records`, compact as CloudTrail writes it. */
export function logFile(records: readonly unknown[]): Buffer {
  return gzipSync(Buffer.from(JSON.stringify({ Records: records })));
}

/** An IAM write in `account` (as an organisation trail records it: `recipientAccountId` is that account). */
export function iamWrite(
  account: string,
  time: string,
  overrides: Partial<CloudTrailRecord> = {},
): CloudTrailRecord {
  return cloudTrailRecord(
    'AttachRolePolicy',
    { roleName: 'deploy', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' },
    {
      eventTime: time,
      recipientAccountId: account,
      userIdentity: {
        type: 'AssumedRole',
        principalId: 'AROAEXAMPLE:ops',
        arn: `arn:aws:sts::${account}:assumed-role/ops/alice`,
        accountId: account,
        sessionContext: {
          sessionIssuer: { type: 'Role', arn: `arn:aws:iam::${account}:role/ops`, userName: 'ops' },
          attributes: { creationDate: time, mfaAuthenticated: 'true' },
        },
      },
      ...overrides,
    },
  );
}

/** An IAM read (`GetRole`): IAM bytes, but not a change. */
export function iamRead(account: string, time: string): CloudTrailRecord {
  return cloudTrailRecord(
    'GetRole',
    { roleName: 'deploy' },
    {
      eventTime: time,
      recipientAccountId: account,
      readOnly: true,
    },
  );
}

/** Another service's call, the bulk of a real trail. */
export function otherCall(account: string, time: string, index = 0): CloudTrailRecord {
  return cloudTrailRecord(
    index % 2 === 0 ? 'GetObject' : 'DescribeInstances',
    index % 2 === 0
      ? { bucketName: 'app-data', key: `reports/${index}.csv` }
      : { instancesSet: { items: [] } },
    {
      eventSource: index % 2 === 0 ? 's3.amazonaws.com' : 'ec2.amazonaws.com',
      eventTime: time,
      recipientAccountId: account,
      readOnly: true,
    },
  );
}
