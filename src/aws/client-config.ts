/**
 * The configuration every AWS SDK client is built with: explicit connection and request timeouts and a bounded
 * retry count, so a slow or unreachable endpoint fails the invocation in seconds instead of hanging until the
 * Lambda timeout. The endpoint is never set here: the SDK reads `AWS_ENDPOINT_URL` (and the per-service
 * `AWS_ENDPOINT_URL_<SERVICE>`) itself, which is how the bot and its tests run against `moto_server`.
 *
 * This module imports no SDK package, so a handler that needs few clients loads only those.
 */
/** IAM is a global service: CloudTrail delivers its events, and `LookupEvents` finds them, only in us-east-1. */
export const IAM_EVENTS_REGION = 'us-east-1';

/** IAM's one endpoint (`iam.amazonaws.com`) signs in us-east-1 whatever the bot's own region is. */
export const IAM_REGION = 'us-east-1';

/** Defaults of {@link AwsClientOptions}. */
export const AWS_CLIENT_DEFAULTS = {
  requestTimeoutMs: 5_000,
  connectionTimeoutMs: 2_000,
  maxAttempts: 3,
} as const;

/** How the clients are built. Everything is optional: the SDK's own resolution fills the gaps. */
export interface AwsClientOptions {
  /** Region of the regional clients (CloudWatch Logs); `AWS_REGION` when omitted. */
  region?: string;
  /** Region of the CloudTrail client; us-east-1 unless set, because that is where IAM events are. */
  cloudTrailRegion?: string;
  /** Milliseconds a request may take once connected (default 5000). */
  requestTimeoutMs?: number;
  /** Milliseconds to establish a connection (default 2000). */
  connectionTimeoutMs?: number;
  /** Attempts per call, first try included, with the SDK's standard backoff (default 3). */
  maxAttempts?: number;
}

/**
 * The configuration every client is built with. Exported so clients added later (IAM, SNS, DynamoDB) get
 * the same timeouts and retries: add a field to {@link AwsClients} and build it with this.
 *
 * `requestHandler` is given as options, not as a `NodeHttpHandler` instance: the SDK builds its own Node
 * handler from them, so the bot does not depend on `@smithy/node-http-handler` directly.
 */
export function awsClientConfig(region: string | undefined, options: AwsClientOptions = {}) {
  return {
    ...(region === undefined ? {} : { region }),
    maxAttempts: options.maxAttempts ?? AWS_CLIENT_DEFAULTS.maxAttempts,
    requestHandler: {
      requestTimeout: options.requestTimeoutMs ?? AWS_CLIENT_DEFAULTS.requestTimeoutMs,
      connectionTimeout: options.connectionTimeoutMs ?? AWS_CLIENT_DEFAULTS.connectionTimeoutMs,
    },
  };
}
