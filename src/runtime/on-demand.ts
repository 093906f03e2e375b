/**
 * Adapters a function builds on first use, so its cold start loads only the AWS SDK clients every invocation
 * needs. Each adapter comes from a dynamic `import()`; `serverless-esbuild` (with `splitting`) puts each such
 * module, with its SDK client, in a chunk of its own that is neither parsed nor run until that first use — the
 * SSM read at cold start, a CloudTrail history search, a publish to the jobs topic, a CIS 4.4 audit.
 *
 * This module imports no SDK package and no adapter at run time: only types.
 */
import type { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { TrailEventLookup } from '../app/event-confirmation';
import type { IamGateway } from '../app/iam-port';
import type { JobQueue } from '../app/jobs';
import type { PolicyValidator } from '../app/policy-validation-port';
import type { DeadLetterSink, TrailHistory } from '../app/ports';
import type { HistoryLookup } from '../app/query-port';
import type { AwsClientOptions } from '../aws/client-config';

/** A value built on first use and kept; a build that failed is tried again on the next use. */
export function lazily<T>(build: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => {
    value ??= build().catch((error: unknown) => {
      value = undefined;
      throw error;
    });
    return value;
  };
}

/** Reads a SecureString from SSM Parameter Store; SSM is loaded on the first read. */
export type SecretReader = (name: string) => Promise<string>;

/** SSM Parameter Store on `given`, or on a client of its own built on the first read. */
export function onDemandSecrets(options: AwsClientOptions, given?: SSMClient): SecretReader {
  const load = lazily(async () => {
    const { createSsmClient, readSecret } = await import('../aws/ssm-secrets');
    const client = given ?? createSsmClient(options);
    return (name: string) => readSecret(client, name);
  });
  return async (name) => (await load())(name);
}

/**
 * CloudTrail event history (`LookupEvents`, paced to its quota: one instance per process, shared by every
 * reader) on `given`, or on a client of its own in {@link AwsClientOptions.cloudTrailRegion}, built on first use.
 */
export function onDemandTrailHistory(
  options: AwsClientOptions,
  given?: CloudTrailClient | (() => Promise<CloudTrailClient>),
): TrailHistory & HistoryLookup & TrailEventLookup {
  const load = lazily(async () => {
    const { CloudTrailHistory, createCloudTrailHistory } = await import('../aws/cloudtrail-history');
    if (typeof given === 'function') return new CloudTrailHistory(await given());
    return given ? new CloudTrailHistory(given) : createCloudTrailHistory(options);
  });
  return {
    iamEvents: async (start, end, names) => (await load()).iamEvents(start, end, names),
    resourceEvents: async (name, start, end) => (await load()).resourceEvents(name, start, end),
    lookup: async (attribute, start, end) => (await load()).lookup(attribute, start, end),
    eventById: async (eventId, start, end) => (await load()).eventById(eventId, start, end),
  };
}

/**
 * The IAM port on a gateway built by `build` on the first IAM call, so a worker started for a query or the CIS
 * 4.4 status never loads the IAM client. Every method of the port is forwarded as it is.
 */
export function onDemandIam(build: () => Promise<IamGateway>): IamGateway {
  const load = lazily(build);
  return new Proxy({} as IamGateway, {
    get(_target, name) {
      // Not a promise: `await` on the port must not mistake it for one.
      if (name === 'then') return undefined;
      // A property, not a call: the AWS gateway this loads always writes for real.
      if (name === 'dryRun') return false;
      return async (...args: unknown[]) => {
        const iam = (await load()) as unknown as Record<PropertyKey, (...values: unknown[]) => unknown>;
        const method = iam[name];
        if (typeof method !== 'function') throw new TypeError(`the IAM port has no ${String(name)}`);
        return method.apply(iam, args);
      };
    },
  });
}

/** The SNS jobs topic on `given`, or on a client of its own built on the first publish. */
export function onDemandJobQueue(options: AwsClientOptions, topicArn: string, given?: SNSClient): JobQueue {
  const load = lazily(async () => {
    const { SnsJobQueue, createSnsClient } = await import('../aws/sns-job-queue');
    return new SnsJobQueue(given ?? createSnsClient(options), topicArn);
  });
  return { publish: async (job) => (await load()).publish(job) };
}

/** The notify dead-letter queue on `given`, or on a client of its own built the first time something is kept. */
export function onDemandDeadLetters(
  options: AwsClientOptions,
  queueUrl: string,
  given?: SQSClient,
): DeadLetterSink {
  const load = lazily(async () => {
    const { SqsDeadLetterSink, createSqsClient } = await import('../aws/sqs-dead-letter-queue');
    return new SqsDeadLetterSink(given ?? createSqsClient(options), queueUrl);
  });
  return { keep: async (input, reason) => (await load()).keep(input, reason) };
}

/**
 * AWS's policy validator (IAM Access Analyzer `ValidatePolicy`), its SDK loaded with the first document to
 * validate — most notifications carry none (attach, detach, delete) and never load it. A failure to load is an
 * unavailable validator, never a failed notification.
 */
export function onDemandPolicyValidator(
  options: AwsClientOptions,
  given?: () => Promise<PolicyValidator>,
): PolicyValidator {
  const load = lazily(
    given ?? (async () => (await import('../aws/access-analyzer-validator')).createPolicyValidator(options)),
  );
  return {
    validate: async (document) => {
      let validator: PolicyValidator;
      try {
        validator = await load();
      } catch (error: unknown) {
        return { unavailable: error instanceof Error ? error.name : String(error) };
      }
      return validator.validate(document);
    },
  };
}
