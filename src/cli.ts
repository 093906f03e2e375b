import { auditCommand } from './cli/audit';
import { checkPatternCommand } from './cli/check-pattern';
import { type CliCommand, type CliIo, UsageError } from './cli/command';
import { devCommand } from './cli/dev';
import { explainCommand, renderCommand } from './cli/explain';
import { redriveCommand } from './cli/redrive';
import { revertCommand } from './cli/revert';
import { scanCommand } from './cli/scan';
import { ConfigError } from './config';
import { InputError } from './domain/input';

export type { CliIo } from './cli/command';
export { UsageError } from './cli/command';

/** Every subcommand, in the order `help` lists them. */
const COMMANDS: CliCommand[] = [
  devCommand,
  explainCommand,
  renderCommand,
  checkPatternCommand,
  auditCommand,
  revertCommand,
  redriveCommand,
  scanCommand,
];

function usage(): string {
  return `usage: iam-changes <command> [options]

commands:
${COMMANDS.map((command) => `  ${command.summary}`).join('\n')}
  help               show this text ("iam-changes <command> --help" for a command's own)

exit codes: 0 done, 1 refused or failed (see the command), 2 bad input or usage`;
}

function isParseArgsError(error: unknown): error is Error {
  return (
    error instanceof TypeError &&
    String((error as { code?: unknown }).code ?? '').startsWith('ERR_PARSE_ARGS')
  );
}

/**
 * Runs the `iam-changes` command. Returns the exit code; never throws, and bad input gets one line on stderr,
 * never a stack trace.
 */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...args] = argv;
  try {
    if (name === undefined) {
      io.stderr.write(`${usage()}\n`);
      return 2;
    }
    if (name === 'help' || name === '--help' || name === '-h') {
      io.stdout.write(`${usage()}\n`);
      return 0;
    }
    const command = COMMANDS.find((candidate) => candidate.name === name);
    if (!command) throw new UsageError(`unknown command "${name}" (try: iam-changes help)`);
    if (args.includes('--help') || args.includes('-h')) {
      io.stdout.write(`${command.usage}\n`);
      return 0;
    }
    return await command.run(args, io);
  } catch (error: unknown) {
    if (
      error instanceof InputError ||
      error instanceof UsageError ||
      error instanceof ConfigError ||
      isParseArgsError(error)
    ) {
      io.stderr.write(`iam-changes: ${error.message.split('\n')[0]}\n`);
      return 2;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`iam-changes: unexpected error: ${message.split('\n')[0]}\n`);
    return 1;
  }
}
