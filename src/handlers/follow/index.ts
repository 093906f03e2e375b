import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import type { FollowOutcome } from '../../app/alarm-follow';
import { createDocumentClient } from '../../aws/dynamo-client';
import { parseConfig } from '../../config';
import { lazily } from '../../runtime/on-demand';
import { DynamoAlarmCursorStore } from '../../store/dynamo-alarm-cursors';

const logger = new Logger({ serviceName: 'iam-changes' });

/** Time kept back from the Lambda timeout to save the cursors before being cut off. */
const SAFETY_MARGIN_MS = 10_000;

const config = parseConfig(process.env);
// The one read every run makes: everything else loads only while an alarm is in ALARM.
const cursors = new DynamoAlarmCursorStore(
  createDocumentClient({ cloudTrailRegion: config.cloudTrailRegion }),
  {
    tableName: config.tableName,
    retentionDays: config.retentionDays,
  },
);
const runtime = lazily(async () =>
  (await import('../../runtime/notify')).buildNotifyRuntime({
    config,
    log: (message, details) => logger.warn(message, details ?? {}),
  }),
);

/**
 * Scheduled (every 5 minutes): searches on the log group of each alarm that is in ALARM, or just left it, from
 * where the last search stopped. With no alarm in ALARM it makes one DynamoDB query and returns.
 */
export async function handler(_event: unknown, context: Context): Promise<FollowOutcome[]> {
  const active = await cursors.activeCursors();
  if (active.length === 0) return [];
  const outcomes = await (await runtime()).follow.run(
    Date.now() + context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS,
    active,
  );
  logger.info('alarms followed', { outcomes });
  return outcomes;
}
