/**
 * Representative CloudTrail records of the 16 calls the CIS AWS Foundations Benchmark 4.4 metric filter
 * counts: for each call a successful call by an IAM user through the AWS CLI in us-east-1, with the request
 * parameters and response elements IAM logs for that call, and {@link cis44SampleVariants} — the same call
 * made by a role, the root user, an IAM Identity Center (SSO) session, in the console, and refused. The
 * audit's live `TestMetricFilter` step sends all of them (serialised as CloudTrail delivers them to
 * CloudWatch Logs: one compact JSON object per log event); the local judgement of a pattern is symbolic
 * (src/domain/cis44-coverage.ts) and uses them only as witnesses for text patterns.
 */

import type { Cis44EventName } from './events';
import type { CloudTrailRecord } from './input';

const ACCOUNT = '111122223333';

/** A policy document as IAM echoes it back in `requestParameters.policyDocument`: the text that was sent. */
const ARTIFACTS_POLICY = JSON.stringify(
  {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ReadWriteArtifacts',
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:PutObject', 's3:ListBucket'],
        Resource: [
          'arn:aws:s3:::build-artifacts-111122223333',
          'arn:aws:s3:::build-artifacts-111122223333/*',
        ],
      },
    ],
  },
  null,
  4,
);

const QUEUE_POLICY = JSON.stringify(
  {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['sqs:SendMessage', 'sqs:ReceiveMessage', 'sqs:DeleteMessage'],
        Resource: 'arn:aws:sqs:us-east-1:111122223333:orders-*',
      },
    ],
  },
  null,
  2,
);

/** `AttachRolePolicy` → `attach-role-policy`, the CLI command the user agent names. */
function cliCommand(eventName: string): string {
  return eventName.replace(/(?<=[a-z])(?=[A-Z])/g, '-').toLowerCase();
}

interface Call {
  eventName: Cis44EventName;
  eventTime: string;
  requestParameters: Record<string, unknown>;
  responseElements?: Record<string, unknown> | null;
  requestID: string;
  eventID: string;
}

function record(call: Call): CloudTrailRecord {
  return {
    eventVersion: '1.09',
    userIdentity: {
      type: 'IAMUser',
      principalId: 'AIDAXIF6QT5R3KXAMPLE',
      arn: `arn:aws:iam::${ACCOUNT}:user/alice`,
      accountId: ACCOUNT,
      accessKeyId: 'AKIAXIF6QT5RWEXAMPLE',
      userName: 'alice',
    },
    eventTime: call.eventTime,
    eventSource: 'iam.amazonaws.com',
    eventName: call.eventName,
    awsRegion: 'us-east-1',
    sourceIPAddress: '203.0.113.24',
    userAgent: `aws-cli/2.18.5 md/awscrt#0.22.0 ua/2.0 os/linux#6.8.0-1016-aws md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off md/command#iam.${cliCommand(call.eventName)}`,
    requestParameters: call.requestParameters,
    responseElements: call.responseElements ?? null,
    requestID: call.requestID,
    eventID: call.eventID,
    readOnly: false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management',
    tlsDetails: {
      tlsVersion: 'TLSv1.3',
      cipherSuite: 'TLS_AES_128_GCM_SHA256',
      clientProvidedHostHeader: 'iam.amazonaws.com',
    },
  };
}

const ARTIFACTS_POLICY_ARN = `arn:aws:iam::${ACCOUNT}:policy/ci/DeployArtifacts`;
const READ_ONLY_ARN = 'arn:aws:iam::aws:policy/ReadOnlyAccess';

/** A realistic CloudTrail record of each CIS 4.4 call, keyed by event name. */
export const CIS44_SAMPLE_RECORDS: Record<Cis44EventName, CloudTrailRecord> = {
  DeleteGroupPolicy: record({
    eventName: 'DeleteGroupPolicy',
    eventTime: '2026-11-20T14:01:07Z',
    requestParameters: { groupName: 'developers', policyName: 'developers-artifacts' },
    requestID: 'b39cfd4b-8abe-4d78-8520-10116895cea8',
    eventID: '612b6cd5-2d39-45ab-9ddd-2106dcae6e9f',
  }),
  DeleteRolePolicy: record({
    eventName: 'DeleteRolePolicy',
    eventTime: '2026-11-20T14:02:11Z',
    requestParameters: { roleName: 'ci-runner', policyName: 'ci-runner-artifacts' },
    requestID: '39850d17-0772-4aea-8a21-229039a40dfe',
    eventID: '19a56746-0241-45e4-9195-9d9d1ddccf2d',
  }),
  DeleteUserPolicy: record({
    eventName: 'DeleteUserPolicy',
    eventTime: '2026-11-20T14:03:42Z',
    requestParameters: { userName: 'deploy-bot', policyName: 'deploy-bot-queues' },
    requestID: 'b0567812-8382-456e-8642-35eb281cdb93',
    eventID: 'a24eb80d-b189-4370-8d90-437bfd4f6854',
  }),
  PutGroupPolicy: record({
    eventName: 'PutGroupPolicy',
    eventTime: '2026-11-20T14:04:05Z',
    requestParameters: {
      groupName: 'developers',
      policyName: 'developers-artifacts',
      policyDocument: ARTIFACTS_POLICY,
    },
    requestID: 'c41edca6-67b1-4551-974b-975360e09044',
    eventID: '5bb88633-537c-4792-ab87-55c5b0f9aafc',
  }),
  PutRolePolicy: record({
    eventName: 'PutRolePolicy',
    eventTime: '2026-11-20T14:05:48Z',
    requestParameters: {
      roleName: 'ci-runner',
      policyName: 'ci-runner-artifacts',
      policyDocument: ARTIFACTS_POLICY,
    },
    requestID: '4860f7d0-d76e-4b6f-96bc-f77c12d465da',
    eventID: '82d1d170-1cac-4d0b-a8b7-65989e022098',
  }),
  PutUserPolicy: record({
    eventName: 'PutUserPolicy',
    eventTime: '2026-11-20T14:06:30Z',
    requestParameters: {
      userName: 'deploy-bot',
      policyName: 'deploy-bot-queues',
      policyDocument: QUEUE_POLICY,
    },
    requestID: '451ed237-1839-42d2-96af-b86411efe3fd',
    eventID: 'f1702cde-1b93-4513-90bf-eb96f57bfe7b',
  }),
  CreatePolicy: record({
    eventName: 'CreatePolicy',
    eventTime: '2026-11-20T14:07:02Z',
    requestParameters: {
      policyName: 'DeployArtifacts',
      path: '/ci/',
      description: 'Read and write build artifacts',
      policyDocument: ARTIFACTS_POLICY,
    },
    responseElements: {
      policy: {
        policyName: 'DeployArtifacts',
        policyId: 'ANPAXIF6QT5RZEXAMPLE',
        arn: ARTIFACTS_POLICY_ARN,
        path: '/ci/',
        defaultVersionId: 'v1',
        attachmentCount: 0,
        permissionsBoundaryUsageCount: 0,
        isAttachable: true,
        createDate: 'Nov 20, 2026, 2:07:02 PM',
        updateDate: 'Nov 20, 2026, 2:07:02 PM',
      },
    },
    requestID: '4a2a3e41-f835-4314-9263-3d6da014c5d4',
    eventID: '18873255-62c8-44c1-9834-7f9608f5fa74',
  }),
  DeletePolicy: record({
    eventName: 'DeletePolicy',
    eventTime: '2026-11-20T14:08:19Z',
    requestParameters: { policyArn: `arn:aws:iam::${ACCOUNT}:policy/ci/LegacyDeploy` },
    requestID: '30c9e507-eab9-4480-b9e2-1d297a2f15f0',
    eventID: 'bf4302b2-4223-453b-a14a-79023047a452',
  }),
  CreatePolicyVersion: record({
    eventName: 'CreatePolicyVersion',
    eventTime: '2026-11-20T14:09:53Z',
    requestParameters: {
      policyArn: ARTIFACTS_POLICY_ARN,
      policyDocument: ARTIFACTS_POLICY,
      setAsDefault: true,
    },
    responseElements: {
      policyVersion: { versionId: 'v2', isDefaultVersion: true, createDate: 'Nov 20, 2026, 2:09:53 PM' },
    },
    requestID: '0b1f331b-0c98-4e86-86cc-ac693f7a9c53',
    eventID: 'ae0b60fd-d113-4b9a-b5e8-04cfac78b489',
  }),
  DeletePolicyVersion: record({
    eventName: 'DeletePolicyVersion',
    eventTime: '2026-11-20T14:10:26Z',
    requestParameters: { policyArn: ARTIFACTS_POLICY_ARN, versionId: 'v1' },
    requestID: 'bd15349c-09af-4530-b5b9-80156fb59ea3',
    eventID: 'd82e3ed6-bcaf-4c20-b1d8-fbc7b6ad2d73',
  }),
  AttachRolePolicy: record({
    eventName: 'AttachRolePolicy',
    eventTime: '2026-11-20T14:11:14Z',
    requestParameters: { roleName: 'ci-runner', policyArn: ARTIFACTS_POLICY_ARN },
    requestID: '5e9879ff-5422-47bb-8fbe-5628a7483d73',
    eventID: '74211244-a16c-4327-b88b-78bdd49a72b4',
  }),
  DetachRolePolicy: record({
    eventName: 'DetachRolePolicy',
    eventTime: '2026-11-20T14:12:38Z',
    requestParameters: { roleName: 'ci-runner', policyArn: READ_ONLY_ARN },
    requestID: '268cdc62-8a60-4252-8d4d-6762970882be',
    eventID: 'fe56b1e5-74a0-4625-bbc3-6d973bb70669',
  }),
  AttachUserPolicy: record({
    eventName: 'AttachUserPolicy',
    eventTime: '2026-11-20T14:13:09Z',
    requestParameters: { userName: 'deploy-bot', policyArn: READ_ONLY_ARN },
    requestID: 'feb9a31c-af0a-46c8-bc93-5110cb477e85',
    eventID: 'f92d470b-d1d2-484c-9dc2-b5d1588d6282',
  }),
  DetachUserPolicy: record({
    eventName: 'DetachUserPolicy',
    eventTime: '2026-11-20T14:14:51Z',
    requestParameters: { userName: 'deploy-bot', policyArn: ARTIFACTS_POLICY_ARN },
    requestID: '47290348-0b2a-43a0-bcd4-48ced6e3facf',
    eventID: 'e2164371-3920-4108-8260-d2cc2842cc58',
  }),
  AttachGroupPolicy: record({
    eventName: 'AttachGroupPolicy',
    eventTime: '2026-11-20T14:15:33Z',
    requestParameters: { groupName: 'auditors', policyArn: 'arn:aws:iam::aws:policy/SecurityAudit' },
    requestID: '9a949347-c0e2-4124-947d-605303bc1158',
    eventID: '481ffa49-8b0f-441e-8e55-e385a5940e13',
  }),
  DetachGroupPolicy: record({
    eventName: 'DetachGroupPolicy',
    eventTime: '2026-11-20T14:16:04Z',
    requestParameters: { groupName: 'developers', policyArn: READ_ONLY_ARN },
    requestID: '90401dcc-5b4f-4f2c-b1c4-1106fea2658c',
    eventID: '5c66c458-1c8c-457b-a78f-5a8532f4bdb0',
  }),
};

/** Who made a sample call, and how it went: the variations a CIS 4.4 filter must count alike. */
export const CIS44_SAMPLE_VARIANTS = ['user', 'role', 'root', 'sso', 'console', 'failed'] as const;

export type Cis44SampleVariant = (typeof CIS44_SAMPLE_VARIANTS)[number];

/** One sample record of a call, labelled by its variant. */
export interface Cis44Sample {
  eventName: Cis44EventName;
  variant: Cis44SampleVariant;
  record: CloudTrailRecord;
}

const ROLE_SESSION_ISSUER = {
  type: 'Role',
  principalId: 'AROAXIF6QT5RYEXAMPLE',
  arn: `arn:aws:iam::${ACCOUNT}:role/deploy-pipeline`,
  accountId: ACCOUNT,
  userName: 'deploy-pipeline',
};

const SSO_SESSION_ISSUER = {
  type: 'Role',
  principalId: 'AROAXIF6QT5RSSOEXAMPLE',
  arn: `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_0123456789abcdef`,
  accountId: ACCOUNT,
  userName: 'AWSReservedSSO_AdministratorAccess_0123456789abcdef',
};

function withChanges(
  base: CloudTrailRecord,
  changes: Record<string, unknown>,
  drop: readonly string[] = [],
): CloudTrailRecord {
  const copy: Record<string, unknown> = { ...base, ...changes };
  for (const key of drop) delete copy[key];
  return copy as CloudTrailRecord;
}

function variantRecord(eventName: Cis44EventName, variant: Cis44SampleVariant): CloudTrailRecord {
  const base = CIS44_SAMPLE_RECORDS[eventName];
  switch (variant) {
    case 'user':
      return base;
    case 'role':
      return withChanges(base, {
        userIdentity: {
          type: 'AssumedRole',
          principalId: `${ROLE_SESSION_ISSUER.principalId}:GitHubActions`,
          arn: `arn:aws:sts::${ACCOUNT}:assumed-role/deploy-pipeline/GitHubActions`,
          accountId: ACCOUNT,
          accessKeyId: 'ASIAXIF6QT5RREXAMPLE',
          sessionContext: {
            sessionIssuer: ROLE_SESSION_ISSUER,
            attributes: { creationDate: base.eventTime, mfaAuthenticated: 'false' },
          },
        },
        sourceIPAddress: '198.51.100.7',
        userAgent:
          'APN/1.0 HashiCorp/1.0 Terraform/1.9.6 (+https://www.terraform.io) terraform-provider-aws/5.73.0 m/C aws-sdk-go-v2/1.32.2 os/linux lang/go#1.23.2 api/iam#1.37.2',
      });
    case 'root':
      return withChanges(base, {
        userIdentity: {
          type: 'Root',
          principalId: ACCOUNT,
          arn: `arn:aws:iam::${ACCOUNT}:root`,
          accountId: ACCOUNT,
          accessKeyId: 'ASIAXIF6QT5RROOTEXAM',
          sessionContext: { attributes: { creationDate: base.eventTime, mfaAuthenticated: 'true' } },
        },
        sourceIPAddress: '192.0.2.44',
        userAgent: 'AWS Internal',
        sessionCredentialFromConsole: 'true',
      });
    case 'sso':
      return withChanges(base, {
        userIdentity: {
          type: 'AssumedRole',
          principalId: `${SSO_SESSION_ISSUER.principalId}:maria@example.com`,
          arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${SSO_SESSION_ISSUER.userName}/maria@example.com`,
          accountId: ACCOUNT,
          accessKeyId: 'ASIAXIF6QT5RSSOEXAMP',
          sessionContext: {
            sessionIssuer: SSO_SESSION_ISSUER,
            attributes: { creationDate: base.eventTime, mfaAuthenticated: 'false' },
          },
        },
        sourceIPAddress: '2001:db8::17',
        userAgent:
          'Boto3/1.35.40 md/Botocore#1.35.40 ua/2.0 os/macos#24.1.0 md/arch#arm64 lang/python#3.12.7',
      });
    case 'console':
      return withChanges(base, {
        userIdentity: {
          ...(base.userIdentity as Record<string, unknown>),
          accessKeyId: 'ASIAXIF6QT5RCONSOLE1',
        },
        sourceIPAddress: '203.0.113.80',
        userAgent: 'AWS Internal',
        sessionCredentialFromConsole: 'true',
      });
    case 'failed':
      return withChanges(
        base,
        {
          errorCode: 'AccessDenied',
          errorMessage: `User: arn:aws:iam::${ACCOUNT}:user/alice is not authorized to perform: iam:${eventName} because no identity-based policy allows the iam:${eventName} action`,
          responseElements: null,
        },
        [],
      );
  }
}

/** Every variant of a call's sample, in {@link CIS44_SAMPLE_VARIANTS} order. */
export function cis44SampleVariants(eventName: Cis44EventName): Cis44Sample[] {
  return CIS44_SAMPLE_VARIANTS.map((variant) => ({
    eventName,
    variant,
    record: variantRecord(eventName, variant),
  }));
}
