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

exit codes: 0 stopped by Ctrl-C or SIGTERM, 1 could not start or stop cleanly, 2 bad usage`;

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

/** How long stopping may take before what is left is killed: `npm start` stops within 3 s. */
const STOP_DEADLINE_MS = 2_500;
/** How often the parent process is checked (see {@link untilStopAsked}). */
const PARENT_CHECK_MS = 500;

/**
 * Resolves with the reason to stop: the first SIGINT or SIGTERM, or the parent process gone. Later signals are
 * taken and ignored while stopping: Ctrl-C in a terminal reaches both npm and this process, and npm forwards its
 * copy, so one key press arrives twice and must not kill the process half-way through stopping.
 *
 * The parent check is for an `npm start` whose npm was killed outright (SIGKILL, a closed terminal): this process
 * would otherwise run on, orphaned, with moto_server and the ports.
 */
function untilStopAsked(): { asked: Promise<string>; dispose(): void } {
  const parent = process.ppid;
  let timer: NodeJS.Timeout | undefined;
  let onSignal: ((signal: NodeJS.Signals) => void) | undefined;
  const asked = new Promise<string>((resolve) => {
    let done = false;
    const finish = (reason: string) => {
      if (done) return;
      done = true;
      if (timer) clearInterval(timer);
      resolve(reason);
    };
    onSignal = (signal) => finish(signal);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    timer = setInterval(() => {
      if (process.ppid !== parent) finish('parent process gone');
    }, PARENT_CHECK_MS);
    timer.unref();
  });
  return {
    asked,
    dispose() {
      if (timer) clearInterval(timer);
      if (onSignal) {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    },
  };
}

/** Resolves true when `work` settled within `ms`, false otherwise (then it runs on, unawaited). */
async function within(work: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), ms);
      }),
    ]);
  } finally {
    if (timer) clearTimeout(timer);
  }
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
    const stopAsked = untilStopAsked();
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
      stopAsked.dispose();
      io.stderr.write(
        `iam-changes dev: could not start: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}\n`,
      );
      return 1;
    }
    print('');
    print(`iam-changes is running locally.`);
    print(`  Open ${runtime.urls.page}`);
    for (const line of runtime.status) print(`  ${`${line.label}:`.padEnd(12)}${line.value}`);
    print(`  Press Ctrl-C to stop (or: kill ${process.pid}).`);
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
    const reason = await stopAsked.asked;
    print(`\n${reason}: stopping…`);
    try {
      const stopped = await within(runtime.stop(), STOP_DEADLINE_MS);
      if (!stopped) {
        runtime.kill();
        io.stderr.write(`iam-changes dev: not stopped after ${STOP_DEADLINE_MS} ms: killed what was left\n`);
        return 1;
      }
    } catch (error: unknown) {
      io.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      return 1;
    } finally {
      // Still taken (and ignored) until here, so a repeated Ctrl-C never cuts the stop short.
      stopAsked.dispose();
    }
    print('stopped.');
    return 0;
  },
};
