import { parseArgs } from 'node:util';
import { type CliCommand, UsageError } from './command';

/**
 * `iam-changes backfill-index --table T`: gives the changes stored before the `byAccount` index existed their
 * index keys, so `/iam-changes 7d in <account>` finds them. Prints where it is after every page (a position to
 * resume from) and a summary at the end.
 */
export const backfillIndexCommand: CliCommand = {
  name: 'backfill-index',
  usage: `usage: iam-changes backfill-index [--table NAME] [--region REGION] [--resume POSITION] [--page-size N]

Adds the byAccount index keys to the changes stored before that index existed (an upgrade step), so that
"/iam-changes 7d in prod-payments" finds them too. Reads the whole table page by page; each change is updated
only if it still lacks the keys, and nothing else about it is touched: safe to run while the bot runs, and to
run again. After every page it prints a progress line to stderr with the position to resume from.

  --table NAME        the bot's table (default: TABLE_NAME from the environment)
  --region REGION     its region (default: AWS_REGION, then us-east-1)
  --resume POSITION   go on from the position a progress line printed
  --page-size N       items each scan page reads (default 500)

AWS credentials from the environment; AWS_ENDPOINT_URL (or AWS_ENDPOINT_URL_DYNAMODB) is honoured.
Exit 0 when the whole table was read, 1 when it failed part way (resume from the last position printed),
2 for bad input (a --resume position DynamoDB refuses included).`,
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: {
        table: { type: 'string' },
        region: { type: 'string' },
        resume: { type: 'string' },
        'page-size': { type: 'string', default: '500' },
      },
    });
    const env = io.env ?? process.env;
    const tableName = values.table ?? env.TABLE_NAME;
    if (!tableName) throw new UsageError('give --table NAME (or TABLE_NAME in the environment)');
    const pageSize = Number(values['page-size']);
    if (!Number.isInteger(pageSize) || pageSize <= 0 || pageSize > 10_000) {
      throw new UsageError('--page-size takes a whole number from 1 to 10000');
    }
    const [
      { backfillAccountIndex, decodePosition, encodePosition, BackfillPositionError },
      { createTableClientFromEnv },
    ] = await Promise.all([import('../store/account-index-backfill'), import('../aws/env-clients')]);
    let from: Record<string, unknown> | undefined;
    if (values.resume !== undefined) {
      try {
        from = decodePosition(values.resume);
      } catch (error: unknown) {
        if (error instanceof BackfillPositionError) throw new UsageError(`--resume: ${error.message}`);
        throw error;
      }
    }
    const region = values.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
    const client = createTableClientFromEnv(env, region);
    let last = values.resume;
    let pages = 0;
    try {
      const done = await backfillAccountIndex(client, tableName, {
        ...(from ? { from } : {}),
        pageSize,
        onPage(progress) {
          pages = progress.pages;
          last = progress.resumeFrom ? encodePosition(progress.resumeFrom) : undefined;
          io.stderr.write(
            `page ${progress.pages}: ${progress.scanned} items read, ${progress.indexed} indexed` +
              (last ? ` (resume: --resume ${last})` : ' (end of table)') +
              '\n',
          );
        },
      });
      io.stdout.write(
        `backfill-index ${tableName}: ${done.scanned} items read in ${done.pages} pages; ` +
          `${done.indexed} changes indexed, ${done.alreadyIndexed} already indexed meanwhile, ` +
          `${done.changedMeanwhile} written again meanwhile (read again), ` +
          `${done.withoutAccount} naming no account (left out of the index), ${done.gone} expired meanwhile\n`,
      );
      return 0;
    } catch (error: unknown) {
      const message = error instanceof Error ? error.message : String(error);
      if (from && pages === 0 && error instanceof Error && error.name === 'ValidationException') {
        // DynamoDB refused the start key itself: resuming from it again would fail the same way.
        io.stderr.write(
          `iam-changes: --resume: DynamoDB refused this position (${message.split('\n')[0]}); give one a progress line printed for this table, or none to start over\n`,
        );
        return 2;
      }
      io.stderr.write(
        `iam-changes: backfill-index stopped: ${message.split('\n')[0]}` +
          (last ? `; resume with --resume ${last}\n` : '; run it again to start over\n'),
      );
      return 1;
    } finally {
      client.destroy();
    }
  },
};
