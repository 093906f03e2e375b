import type { CliCommand, CliIo } from './cli/command';

export type { CliIo } from './cli/command';

/**
 * The errors that mean bad input or usage (exit 2, one line): `InputError`, `UsageError`, `ConfigError`. Known by
 * name rather than by class, so this entry module imports no other module: every module the bundle's entry
 * loads is time `help` and every command spend before doing anything (see bench/cli.ts).
 */
const BAD_INPUT_ERRORS = new Set(['InputError', 'UsageError', 'ConfigError']);

/**
 * One subcommand as `help` lists it. `load` imports the command's module only when it runs, so `help` and
 * `explain` never parse the AWS SDK, Bolt or the local runtime (in the bundle each is a chunk of its own).
 */
interface CommandEntry {
  name: string;
  /** One line for `iam-changes help`: `explain [FILE|-]   what it does`. */
  summary: string;
  load(): Promise<CliCommand>;
}

/** Every subcommand, in the order `help` lists them. */
const COMMANDS: CommandEntry[] = [
  {
    name: 'dev',
    summary: 'dev [--port N]     run the whole bot locally: Slack sandbox page, moto_server, demo scenarios',
    load: async () => (await import('./cli/dev')).devCommand,
  },
  {
    name: 'explain',
    summary: 'explain [FILE|-]   print the changes, alarms and skipped records of a notification as JSON',
    load: async () => (await import('./cli/explain')).explainCommand,
  },
  {
    name: 'render',
    summary: 'render [FILE|-]    print the Slack messages (text + Block Kit) the bot would post for it',
    load: async () => (await import('./cli/explain')).renderCommand,
  },
  {
    name: 'check-pattern',
    summary:
      'check-pattern PATTERN|-  print which of the 16 CIS 4.4 calls a metric filter pattern counts, fully or partly',
    load: async () => (await import('./cli/check-pattern')).checkPatternCommand,
  },
  {
    name: 'audit',
    summary: 'audit [--json]     check CIS 4.4 in the account: trail → log group → filter → alarm → SNS',
    load: async () => (await import('./cli/audit')).auditCommand,
  },
  {
    name: 'revert',
    summary:
      'revert FILE        dry-run (or --execute) the revert of a change: plan, drift check, aws iam commands',
    load: async () => (await import('./cli/revert')).revertCommand,
  },
  {
    name: 'redrive',
    summary:
      'redrive --queue URL  deliver the notifications a dead-letter queue kept (only what is missing is posted)',
    load: async () => (await import('./cli/redrive')).redriveCommand,
  },
  {
    name: 'check-routing',
    summary:
      'check-routing FILE|-  validate a routing table before deploying it (the bad rule named in one line)',
    load: async () => (await import('./cli/check-routing')).checkRoutingCommand,
  },
  {
    name: 'scan',
    summary:
      "scan SOURCE        the IAM writes in CloudTrail's S3 log files (folder or s3://); --import backfills the store",
    load: async () => (await import('./cli/scan')).scanCommand,
  },
  {
    name: 'backfill-index',
    summary:
      'backfill-index --table T  add the byAccount index keys to changes stored before it (upgrade step; resumable)',
    load: async () => (await import('./cli/backfill-index')).backfillIndexCommand,
  },
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
    const entry = COMMANDS.find((candidate) => candidate.name === name);
    if (!entry) {
      io.stderr.write(`iam-changes: unknown command "${name}" (try: iam-changes help)\n`);
      return 2;
    }
    const command = await entry.load();
    if (args.includes('--help') || args.includes('-h')) {
      io.stdout.write(`${command.usage}\n`);
      return 0;
    }
    return await command.run(args, io);
  } catch (error: unknown) {
    if ((error instanceof Error && BAD_INPUT_ERRORS.has(error.name)) || isParseArgsError(error)) {
      io.stderr.write(`iam-changes: ${error.message.split('\n')[0]}\n`);
      return 2;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`iam-changes: unexpected error: ${message.split('\n')[0]}\n`);
    return 1;
  }
}
