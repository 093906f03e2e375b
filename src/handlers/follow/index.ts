import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import type { FollowOutcome } from '../../app/alarm-follow';
import { overdueCutoff } from '../../app/ask-actor-service';
import { readAskActorConfig } from '../../ask-actor-config';
import { createDocumentClient } from '../../aws/dynamo-client';
import { parseConfig } from '../../config';
import { lazily } from '../../runtime/on-demand';
import { DynamoAlarmCursorStore } from '../../store/dynamo-alarm-cursors';
import { DynamoPendingAsks } from '../../store/dynamo-pending-asks';

const logger = new Logger({ serviceName: 'iam-changes' });

/** Time kept back from the Lambda timeout to save the cursors before being cut off. */
const SAFETY_MARGIN_MS = 10_000;

const config = parseConfig(process.env);
const ask = readAskActorConfig(process.env);
const dynamo = createDocumentClient({ cloudTrailRegion: config.cloudTrailRegion });
const tableOptions = { tableName: config.tableName, retentionDays: config.retentionDays };
// The one read every run makes: everything else loads only while an alarm is in ALARM.
const cursors = new DynamoAlarmCursorStore(dynamo, tableOptions);
// With "was this you?" on, one more: the asks made longer ago than ASK_ACTOR_TIMEOUT_MINUTES.
const pendingAsks = ask ? new DynamoPendingAsks(dynamo, tableOptions) : undefined;
const runtime = lazily(async () =>
  (await import('../../runtime/notify')).buildNotifyRuntime({
    config,
    log: (message, details) => logger.warn(message, details ?? {}),
  }),
);
const askSweep = lazily(async () => {
  const [{ buildAskSweep }, { pacedSlack }] = await Promise.all([
    import('../../runtime/ask-sweep'),
    import('../../runtime/notify'),
  ]);
  if (!ask) throw new Error('"was this you?" is not configured');
  return buildAskSweep({
    config,
    ask,
    dynamo,
    // The same paced gateway as the alarm follow-up's posts, its token from SSM.
    slack: () => pacedSlack(config, undefined),
    // This function's role appends no audit items: each entry is the audit log line (as notify's are).
    log: (message, details) => logger.warn(message, details),
  });
});

/** What one scheduled run did. */
export interface FollowRun {
  alarms: FollowOutcome[];
  /** The changes whose actor's unanswered ask was noted on the alert in this run. */
  unanswered: string[];
}

/**
 * Scheduled (every 5 minutes): searches on the log group of each alarm that is in ALARM, or just left it, from
 * where the last search stopped; and, with "was this you?" on, notes on their alerts the asks left unanswered past
 * the configured time. With no alarm in ALARM and nothing overdue it makes one DynamoDB query per duty and returns.
 */
export async function handler(_event: unknown, context: Context): Promise<FollowRun> {
  const run: FollowRun = { alarms: [], unanswered: [] };
  const active = await cursors.activeCursors();
  if (active.length > 0) {
    run.alarms = await (await runtime()).follow.run(
      Date.now() + context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS,
      active,
    );
    logger.info('alarms followed', { outcomes: run.alarms });
  }
  if (ask && pendingAsks) {
    const overdue = await pendingAsks.askedBefore(overdueCutoff(new Date(), ask.timeoutMinutes), 1);
    if (overdue.length > 0) {
      run.unanswered = await (await askSweep()).sweep();
      if (run.unanswered.length > 0) logger.info('unanswered asks noted', { eventIds: run.unanswered });
    }
  }
  return run;
}
