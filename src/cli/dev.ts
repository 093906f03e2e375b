import { parseArgs } from 'node:util';
import { startLocalRuntime } from '../local/runtime';
import { isScenarioName, SCENARIO_NAMES, type ScenarioName } from '../local/scenarios';
import { type CliCommand, type CliIo, UsageError } from './command';

const USAGE = `usage: iam-changes dev [--port N] [--data DIR] [--no-moto] [--scenario NAME]…

Runs the whole bot on this machine until Ctrl-C: the store on an embedded dynalite kept in DIR (default
.data), moto_server as AWS when it is on PATH, and a local Slack sandbox — a page that shows the channel,
sends real signed button clicks, modal submissions and /iam-changes commands to the bot's own HTTP endpoint,
and runs demo scenarios.

With SLACK_BOT_TOKEN and SLACK_APP_TOKEN set it connects to a real workspace through Socket Mode instead of
the sandbox. With AWS credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID, …) or AWS_ENDPOINT_URL it talks to that
AWS instead of moto_server, and polls CloudTrail for IAM changes every minute. Without moto_server or AWS,
IAM is simulated in memory and reverts are a dry run.

options:
  --port N          the page's port (default 3000, or a free one when 3000 is busy)
  --data DIR        where the store and the sandbox's messages are kept (default .data)
  --no-moto         do not start moto_server (simulated IAM, dry-run reverts)
  --scenario NAME   run a demo scenario once started (repeatable): ${SCENARIO_NAMES.join(', ')}

exit codes: 0 stopped by Ctrl-C, 1 could not start, 2 bad usage`;

function parse(args: string[]) {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      port: { type: 'string' },
      data: { type: 'string' },
      'no-moto': { type: 'boolean', default: false },
      scenario: { type: 'string', multiple: true },
    },
  });
  if (positionals.length > 0) throw new UsageError(`dev takes no arguments (got ${positionals.join(' ')})`);
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65_535) {
      throw new UsageError(`--port: expected a port number, got ${values.port}`);
    }
  }
  const scenarios: ScenarioName[] = [];
  for (const name of values.scenario ?? []) {
    if (!isScenarioName(name)) {
      throw new UsageError(`--scenario: no scenario ${name} (try: ${SCENARIO_NAMES.join(', ')})`);
    }
    scenarios.push(name);
  }
  return { port, dataDir: values.data, moto: !values['no-moto'], scenarios };
}

/** Resolves on the first SIGINT or SIGTERM. */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/**
 * `iam-changes dev`: starts the local runtime (see `src/local/runtime.ts`), prints where to open the page and
 * what it connected to, runs the `--scenario`s, and stops everything cleanly on SIGINT / SIGTERM.
 */
export const devCommand: CliCommand = {
  name: 'dev',
  usage: USAGE,
  async run(args: string[], io: CliIo): Promise<number> {
    const options = parse(args);
    const env = io.env ?? process.env;
    const print = (line: string) => io.stdout.write(`${line}\n`);
    // Ctrl-C while starting stops what was started, once the start has got that far.
    const signal = untilSignal();
    let runtime: Awaited<ReturnType<typeof startLocalRuntime>>;
    try {
      runtime = await startLocalRuntime({
        ...(options.port === undefined ? {} : { port: options.port }),
        ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
        moto: options.moto,
        env,
        log: (line) => io.stderr.write(`${line}\n`),
      });
    } catch (error: unknown) {
      io.stderr.write(
        `iam-changes dev: could not start: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}\n`,
      );
      return 1;
    }
    print('');
    print(`iam-changes is running locally.`);
    print(`  Open ${runtime.urls.page}`);
    for (const line of runtime.status) print(`  ${`${line.label}:`.padEnd(12)}${line.value}`);
    print('  Press Ctrl-C to stop.');
    print('');
    for (const name of options.scenarios) {
      try {
        await runtime.runScenario(name);
        print(`scenario ${name}: done`);
      } catch (error: unknown) {
        io.stderr.write(
          `scenario ${name} failed: ${error instanceof Error ? error.message : String(error)}\n`,
        );
      }
    }
    const received = await signal;
    print(`\n${received}: stopping…`);
    try {
      await runtime.stop();
    } catch (error: unknown) {
      io.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      return 1;
    }
    print('stopped.');
    return 0;
  },
};
