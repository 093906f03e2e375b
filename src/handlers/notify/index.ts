import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SNSEvent } from 'aws-lambda';
import type { DigestResult } from '../../app/digest-service';
import type { NotifyResult } from '../../app/notify-service';
import { parseConfig } from '../../config';
import { InputError } from '../../domain/input';
import { buildNotifyService } from '../../runtime/notify';
import { lazily } from '../../runtime/on-demand';

const logger = new Logger({ serviceName: 'iam-changes' });

/** Time kept back from the Lambda timeout to record state and answer before being cut off. */
const SAFETY_MARGIN_MS = 10_000;

/** Built on the first invocation and kept for the process; a build that failed is tried again. */
const service = lazily(async () =>
  buildNotifyService({
    config: parseConfig(process.env),
    log: (message, details) => logger.warn(message, details ?? {}),
  }),
);

/** The daily digest's wiring, loaded (and built) by the schedule's first run: an IAM event never loads it. */
const digestRuntime = lazily(async () => import('../../runtime/digest'));
const digest = lazily(async () =>
  (await digestRuntime()).buildDigestService({
    config: parseConfig(process.env),
    log: (message, details) => logger.warn(message, details ?? {}),
  }),
);

/**
 * The daily scheduled rule's input (`serverless.yml`): refresh the account names from Organizations, then post the
 * daily digest of `day` (yesterday, UTC, unless given).
 */
export interface DigestEvent {
  kind: 'iam-changes.digest';
  day?: string;
}

function isDigestEvent(event: unknown): event is DigestEvent {
  return (
    typeof event === 'object' && event !== null && (event as { kind?: unknown }).kind === 'iam-changes.digest'
  );
}

/**
 * SNS alerts topic → Slack; the daily schedule's {@link DigestEvent} → the account names refreshed, then the digest
 * of each channel, posted once.
 * Parses nothing itself: the use case reads the event, and keeps what it cannot read in the dead-letter queue (`NOTIFY_DEAD_LETTER_QUEUE_URL`). Any failure is rethrown so SNS retries the notification
 * and, after its retries, the function's on-failure destination keeps it. The request id names this invocation's
 * claims: Lambda keeps it across its retries of the event.
 */
export function handler(event: DigestEvent, context: Context): Promise<DigestResult>;
export function handler(event: SNSEvent, context: Context): Promise<NotifyResult>;
export async function handler(
  event: SNSEvent | DigestEvent,
  context: Context,
): Promise<NotifyResult | DigestResult> {
  if (isDigestEvent(event)) {
    const day =
      typeof event.day === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(event.day)
        ? event.day
        : (await digestRuntime()).previousDay(new Date());
    const result = await (await digest()).run(day, context.awsRequestId);
    logger.info('digest run', { ...result });
    return result;
  }
  try {
    const result = await (await service()).process(
      event,
      Date.now() + context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS,
      context.awsRequestId,
    );
    logger.info('notification processed', {
      ...result,
      skipped: result.skipped.length,
      unreadable: result.unreadable.length,
    });
    return result;
  } catch (error: unknown) {
    if (error instanceof InputError) logger.error(`bad notification: ${error.message}`);
    else logger.error('notification not delivered; SNS will retry', error as Error);
    throw error;
  }
}
