import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { parseConfig } from '../../config';
import { lazily } from '../../runtime/on-demand';
import { buildSlackHandler } from '../../runtime/slack';

const logger = new Logger({ serviceName: 'iam-changes' });
/** Audit lines at a level of their own: a quieter `POWERTOOLS_LOG_LEVEL` must not drop them. */
const auditLogger = new Logger({ serviceName: 'iam-changes', logLevel: 'INFO' });
/** Built on the first request and kept for the process; a build that failed is tried again. */
const built = lazily(async () =>
  buildSlackHandler({
    config: parseConfig(process.env),
    log: {
      error: (message, details) => logger.error(message, details ?? {}),
      warn: (message, details) => logger.warn(message, details ?? {}),
    },
    auditLine: (message, line) => auditLogger.info(message, { ...line }),
  }),
);

/**
 * API Gateway HTTP API → Bolt: Slack's button clicks, modal submissions and `/iam-changes`. Built once per cold
 * start (the signing secret and bot token from SSM); a request without a valid, fresh signature is a 401 and
 * reaches no listener. Listeners answer within Slack's 3 seconds and leave slow work to the worker.
 */
export async function handler(
  event: APIGatewayProxyEventV2,
  context: Context,
): Promise<APIGatewayProxyStructuredResultV2> {
  return (await built())(event, context);
}
