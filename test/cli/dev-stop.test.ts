/**
 * `npm start` (`iam-changes dev`) stops cleanly however it is asked to: SIGINT or SIGTERM, sent to the npm
 * process (what an IDE's stop button or a process manager does) or to the node process itself. Each case starts
 * the real thing — npm, the bot's node process, moto_server — on free ports with a fresh data folder, signals it,
 * and then checks that every process is gone and every port can be bound again. The deadlines are generous:
 * they check that it stops at all; how fast it stops is measured in `bench/cli.ts`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const START_DEADLINE_MS = 90_000;
const STOP_DEADLINE_MS = 30_000;

interface Started {
  npm: ChildProcess;
  output: () => string;
  nodePid: number;
  motoPid: number;
  ports: number[];
  dataDir: string;
}

/** The environment of a fresh user: no AWS account, no Slack workspace, so moto_server and the sandbox. */
function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || /^(AWS_|SLACK_|TABLE_NAME$|VITEST|NODE_OPTIONS$)/.test(key)) continue;
    env[key] = value;
  }
  return env;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const probe = createServer();
    probe.once('error', () => done(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => done(true)));
  });
}

async function poll(
  what: string,
  check: () => Promise<boolean> | boolean,
  deadlineMs: number,
  log: () => string,
) {
  const until = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`${what} (waited ${deadlineMs} ms); output:\n${log()}`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

const running: Started[] = [];

async function startNpm(): Promise<Started> {
  const dataDir = mkdtempSync(join(tmpdir(), 'iam-changes-dev-stop-'));
  const npm = spawn('npm', ['start', '--', '--port', '0', '--data', dataDir], {
    cwd: ROOT,
    env: cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  npm.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    text += chunk;
  });
  npm.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    text += chunk;
  });
  const output = () => text;
  await poll(
    'npm start did not get ready',
    () => {
      if (npm.exitCode !== null) throw new Error(`npm start exited ${npm.exitCode}:\n${text}`);
      return /Press Ctrl-C/.test(text);
    },
    START_DEADLINE_MS,
    output,
  );
  const nodePid = Number(/or: kill (\d+)/.exec(text)?.[1]);
  const motoPid = Number(/moto_server \S+ \(pid (\d+)\)/.exec(text)?.[1]);
  const ports = [...text.matchAll(/127\.0\.0\.1:(\d+)/g)].map((match) => Number(match[1]));
  const started = { npm, output, nodePid, motoPid, ports: [...new Set(ports)], dataDir };
  running.push(started);
  return started;
}

afterEach(async () => {
  // Whatever a failed case left running is killed by PID.
  for (const started of running.splice(0)) {
    for (const pid of [started.npm.pid, started.nodePid, started.motoPid]) {
      if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
    }
    rmSync(started.dataDir, { recursive: true, force: true });
  }
});

describe('npm start', () => {
  it.each([
    ['SIGINT', 'npm'],
    ['SIGTERM', 'npm'],
    ['SIGINT', 'node'],
    ['SIGTERM', 'node'],
  ] as const)(
    'stops on %s to the %s process: every process gone, every port free',
    async (signal, target) => {
      const started = await startNpm();
      expect(started.nodePid).toBeGreaterThan(0);
      expect(started.motoPid).toBeGreaterThan(0);
      // The page, the Web API, the bot endpoint, moto_server and dynalite.
      expect(started.ports.length).toBeGreaterThanOrEqual(4);
      for (const port of started.ports) expect(await portFree(port)).toBe(false);

      process.kill(target === 'npm' ? (started.npm.pid as number) : started.nodePid, signal);

      const pids = [started.npm.pid as number, started.nodePid, started.motoPid];
      await poll(
        'a process is still running',
        () => pids.every((pid) => !alive(pid)),
        STOP_DEADLINE_MS,
        started.output,
      );
      for (const port of started.ports) {
        await poll(`port ${port} is still taken`, () => portFree(port), STOP_DEADLINE_MS, started.output);
      }
      expect(started.output()).toMatch(/stopped\.\n/);
    },
    START_DEADLINE_MS + 2 * STOP_DEADLINE_MS,
  );

  it(
    'stops when npm itself is killed outright (SIGKILL): node sees its parent gone',
    async () => {
      const started = await startNpm();

      process.kill(started.npm.pid as number, 'SIGKILL');

      const pids = [started.nodePid, started.motoPid];
      await poll(
        'a process is still running',
        () => pids.every((pid) => !alive(pid)),
        STOP_DEADLINE_MS,
        started.output,
      );
      for (const port of started.ports) {
        await poll(`port ${port} is still taken`, () => portFree(port), STOP_DEADLINE_MS, started.output);
      }
    },
    START_DEADLINE_MS + 2 * STOP_DEADLINE_MS,
  );
});
