import { parseArgs } from 'node:util';
import { redrive } from '../app/redrive';
import { createAwsClients } from '../aws/clients';
import { SqsDeadLetterQueue } from '../aws/sqs-dead-letter-queue';
import { parseConfig } from '../config';
import { buildNotifyService } from '../runtime/notify';
import { type CliCommand, UsageError, writeJson } from './command';

/**
 * `iam-changes redrive --queue URL`: delivers what the notify dead-letter queue kept, with the bot's own
 * configuration (the same environment as the notify function).
 */
export const redriveCommand: CliCommand = {
  name: 'redrive',
  usage: `usage: iam-changes redrive --queue URL [--max N]

Reads the notify dead-letter queue (stack output NotifyDeadLetterQueueUrl) and runs each notification through
the notify path with the bot's configuration from the environment (TABLE_NAME, SLACK_BOT_TOKEN or
SLACK_BOT_TOKEN_PARAMETER, SLACK_CHANNEL …). Changes already posted are not posted again. A message is deleted
only once delivered. Exit 0 when everything went through, 1 when some failed again (they stay in the queue).`,
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: { queue: { type: 'string' }, max: { type: 'string', default: '1000' } },
    });
    if (!values.queue) throw new UsageError('--queue URL is required');
    const max = Number(values.max);
    if (!Number.isInteger(max) || max <= 0) throw new UsageError('--max takes a positive whole number');
    const config = parseConfig(io.env ?? process.env);
    const clients = createAwsClients({ cloudTrailRegion: config.cloudTrailRegion });
    // What still cannot be read stays in the queue it is read from, not queued again.
    const notify = await buildNotifyService({
      config: { ...config, notifyDeadLetterQueueUrl: undefined },
      aws: clients,
    });
    const result = await redrive(new SqsDeadLetterQueue(clients.sqs, values.queue), notify, { max });
    writeJson(io, result);
    return result.failed.length === 0 ? 0 : 1;
  },
};
