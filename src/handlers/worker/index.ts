import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SNSEvent } from 'aws-lambda';
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

/**
 * SNS jobs topic → the worker use case, one job per record. A job that can't be read is logged in one line and
 * rethrown, so SNS's retries and then the dead-letter queue keep it; so is a job whose outcome could be told to
 * nobody.
 */
export async function handler(event: SNSEvent, _context: Context): Promise<JobResult[]> {
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
