import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { explainItems } from './domain/explain';
import { InputError, readInputText } from './domain/input';
import type { RiskContext } from './domain/risk/rule';
import { renderAlarm, renderChange } from './slack/render';

/** The streams the CLI talks through, so tests run it in-process. */
export interface CliIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** A mistake in how the CLI was called: exit code 2 with one line. */
export class UsageError extends Error {
  override name = 'UsageError';
}

const USAGE = `usage: iam-changes <command> [options]

commands:
  explain [FILE|-]   normalise a notification and print its changes, alarms and skipped records as JSON
  render [FILE|-]    print the Slack messages (text + Block Kit) the bot would post for it
  help               show this text

FILE is any input the bot accepts: a Lambda SNS event, an SNS notification, an EventBridge event,
a CloudTrail record, a CloudTrail log file ({"Records": [...]}), an array of records, or a
CloudWatch alarm message. Without FILE (or with -) the input is read from standard input.

options:
  --expected-actor GLOB   an ARN glob whose changes are lowered one level (repeatable)
  --trusted-account ID    an account id trust policies may name without alarm (repeatable)
  --no-here               do not mention @here on critical changes (render)
  --compact               print JSON on one line

exit codes: 0 done, 2 bad input or usage`;

async function readStream(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

async function readSource(file: string | undefined, io: CliIo): Promise<string> {
  if (file === undefined || file === '-') {
    if (file === undefined && io.stdin.isTTY)
      throw new UsageError('give a FILE, or pipe JSON on standard input');
    return readStream(io.stdin);
  }
  try {
    return await readFile(file, 'utf8');
  } catch (error: unknown) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new UsageError(`cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : code}`);
  }
}

/**
 * Runs the `iam-changes` command. Returns the exit code; never throws for bad input (one line on stderr).
 */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const writeJson = (value: unknown, compact: boolean) =>
    io.stdout.write(`${compact ? JSON.stringify(value) : JSON.stringify(value, null, 2)}\n`);
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'expected-actor': { type: 'string', multiple: true, default: [] },
        'trusted-account': { type: 'string', multiple: true, default: [] },
        'no-here': { type: 'boolean', default: false },
        compact: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    const [command, ...rest] = positionals;
    if (values.help || command === undefined || command === 'help') {
      io.stdout.write(`${USAGE}\n`);
      return command === undefined && !values.help ? 2 : 0;
    }
    const context: RiskContext = {
      expectedActors: values['expected-actor'] ?? [],
      trustedAccounts: values['trusted-account'] ?? [],
    };
    switch (command) {
      case 'explain': {
        const explanation = explainItems(readInputText(await readSource(rest[0], io)), context);
        writeJson(explanation, values.compact ?? false);
        return 0;
      }
      case 'render': {
        const explanation = explainItems(readInputText(await readSource(rest[0], io)), context);
        const options = { mentionOnCritical: !values['no-here'] };
        const messages = [
          ...explanation.alarms.map((alarm) => renderAlarm(alarm)),
          ...explanation.changes.map((change) => renderChange(change, options)),
        ];
        writeJson({ messages }, values.compact ?? false);
        return 0;
      }
      default:
        throw new UsageError(`unknown command "${command}" (try: iam-changes help)`);
    }
  } catch (error: unknown) {
    if (error instanceof InputError || error instanceof UsageError) {
      io.stderr.write(`iam-changes: ${error.message}\n`);
      return 2;
    }
    if (error instanceof TypeError && (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr.write(`iam-changes: ${error.message}\n`);
      return 2;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`iam-changes: unexpected error: ${message.split('\n')[0]}\n`);
    return 1;
  }
}
