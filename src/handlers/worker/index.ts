import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SNSEvent } from 'aws-lambda';
import type { ForwardingCheckResult } from '../../app/forwarding-check';
import { JobFormatError, parseJob } from '../../app/jobs';
import type { JobResult } from '../../app/worker-service';
import { parseConfig } from '../../config';
import { lazily } from '../../runtime/on-demand';
import { buildWorkerService } from '../../runtime/worker';

const logger = new Logger({ serviceName: 'iam-changes' });
/** Audit lines at a level of their own: a quieter `POWERTOOLS_LOG_LEVEL` must not drop them. */
const auditLogger = new Logger({ serviceName: 'iam-changes', logLevel: 'INFO' });
/** Built on the first invocation and kept for the process; a build that failed is tried again. */
const service = lazily(async () =>
  buildWorkerService({
    config: parseConfig(process.env),
    log: (message, details) => logger.warn(message, details),
    auditLine: (message, line) => auditLogger.info(message, { ...line }),
  }),
);

const forwardingCheck = lazily(async () =>
  (await import('../../runtime/forwarding-check')).buildForwardingCheck({
    config: parseConfig(process.env),
    log: (message, details) => logger.warn(message, details ?? {}),
  }),
);

/**
 * Time kept back from the Lambda timeout by the forwarding check: it starts no account after the first, and
 * posts what it found until the second (a finding not posted by then is told by the next run).
 */
const READ_MARGIN_MS = 60_000;
const TELL_MARGIN_MS = 15_000;

/** The forwarding check's schedule input (`serverless.yml`): every member account's forwarding rule checked. */
export interface ForwardingCheckEvent {
  kind: 'iam-changes.forwarding-check';
}

function isForwardingCheckEvent(event: unknown): event is ForwardingCheckEvent {
  return (
    typeof event === 'object' &&
    event !== null &&
    (event as { kind?: unknown }).kind === 'iam-changes.forwarding-check'
  );
}

/**
 * The schedule's {@link ForwardingCheckEvent} → the forwarding check of every member account (nothing without a
 * central bus); a finding that could not be told fails the invocation, so Lambda tries again.
 */
export async function checkForwarding(
  context: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<ForwardingCheckResult> {
  const check = await forwardingCheck();
  if (!check) {
    const skipped = parseConfig(process.env).forwarding?.checkOff
      ? 'the forwarding check is switched off (forwardingCheck=false)'
      : 'no central event bus (not an organisation deploy)';
    logger.info('forwarding check not run', { skipped });
    return { ...NOTHING_CHECKED, skipped };
  }
  const end = Date.now() + context.getRemainingTimeInMillis();
  // Accounts are read until a minute before the timeout; what they showed is told until 15 s before it (one post
  // takes about 10 s at most, its retries included).
  const result = await check.run(end - READ_MARGIN_MS, end - TELL_MARGIN_MS);
  logger.info('forwarding check run', { ...result });
  return result;
}

const NOTHING_CHECKED: ForwardingCheckResult = {
  checked: 0,
  healthy: 0,
  broken: 0,
  unchecked: 0,
  posted: 0,
  notReached: 0,
};

/**
 * SNS jobs topic → the worker use case, one job per record. A job that can't be read is logged in one line and
 * rethrown, so SNS's retries and then the dead-letter queue keep it; so is a job whose outcome could be told to
 * nobody.
 */
export function handler(event: ForwardingCheckEvent, context: Context): Promise<ForwardingCheckResult>;
export function handler(event: SNSEvent, context: Context): Promise<JobResult[]>;
export async function handler(
  event: SNSEvent | ForwardingCheckEvent,
  context: Context,
): Promise<JobResult[] | ForwardingCheckResult> {
  if (isForwardingCheckEvent(event)) return checkForwarding(context);
  const worker = await service();
  const results: JobResult[] = [];
  for (const record of event.Records ?? []) {
    let job: ReturnType<typeof parseJob>;
    try {
      job = parseJob(record.Sns.Message);
    } catch (error: unknown) {
      if (error instanceof JobFormatError) {
        logger.error(`bad job ${record.Sns.MessageId}: ${error.message}`);
      }
      throw error;
    }
    try {
      const result = await worker.run(job, { id: record.Sns.MessageId });
      logger.info('job done', { ...result });
      results.push(result);
    } catch (error: unknown) {
      logger.error(`${job.kind} job failed; SNS will retry it`, error as Error);
      throw error;
    }
  }
  return results;
}
