/**
 * How fast the `iam-changes` CLI starts, next to a bare `node -e 0` on the same machine in the same run: wall time
 * of a whole process (spawn to exit) for `help` and for `explain` of one CloudTrail record, run from the bundle
 * that `npm ci` builds (`node esbuild.config.cjs cli`, rebuilt here first) and, for comparison, from source
 * through tsx (what the bin falls back to when the bundle is missing or older than a source file).
 *
 * Every command runs once per round, rounds interleaved, so load on the machine falls on each alike; figures are
 * medians. Targets: `help` at most 2× and `explain` at most 3× the bare `node -e 0`.
 *
 * Then how long `npm start` takes to stop: started with moto_server on free ports and a fresh data folder, sent
 * SIGINT or SIGTERM (to npm, or to node), timed until every process is gone and every port free. Target: 3 s.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { buildCli } from '../esbuild.config.cjs';
import { writeSection } from './results';

const ROOT = path.resolve(import.meta.dirname, '..');
const RUNS = Number(process.env.CLI_BENCH_RUNS ?? 31);
const SOURCE_RUNS = Number(process.env.CLI_BENCH_SOURCE_RUNS ?? 7);
const RECORD = 'test/fixtures/cloudtrail/attach-role-policy.json';
const BIN = 'bin/iam-changes.mjs';

interface Case {
  name: string;
  args: string[];
  env?: Record<string, string>;
  target?: number;
  runs: number;
}

/** An empty ES module: what any `.mjs` bin costs before it runs a line (Node's ES module loader starting). */
const EMPTY_MODULE = path.join(mkdtempSync(path.join(os.tmpdir(), 'iam-changes-bench-cli-')), 'empty.mjs');
writeFileSync(EMPTY_MODULE, '');

const CASES: Case[] = [
  { name: 'node -e 0', args: ['-e', '0'], runs: RUNS },
  { name: 'node empty.mjs (the floor of an ESM bin)', args: [EMPTY_MODULE], runs: RUNS },
  { name: 'iam-changes help', args: [BIN, 'help'], target: 2, runs: RUNS },
  { name: 'iam-changes explain (1 record)', args: [BIN, 'explain', RECORD], target: 3, runs: RUNS },
  {
    name: 'iam-changes help, from source (tsx)',
    args: [BIN, 'help'],
    env: { IAM_CHANGES_CLI: 'source' },
    runs: SOURCE_RUNS,
  },
  {
    name: 'iam-changes explain, from source (tsx)',
    args: [BIN, 'explain', RECORD],
    env: { IAM_CHANGES_CLI: 'source' },
    runs: SOURCE_RUNS,
  },
];

/** Milliseconds from spawning `node args…` to its exit; throws unless it exits 0. */
function wallTime(entry: Case): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, entry.args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...entry.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${entry.name} exited ${result.status}: ${result.stderr}`);
  return elapsed;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

const STOP_RUNS = Number(process.env.CLI_BENCH_STOP_RUNS ?? 3);
const STOP_TARGET_MS = 3_000;

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

/** Starts `npm start`, signals it once ready, and returns the milliseconds until everything is gone. */
async function stopTime(signal: NodeJS.Signals, target: 'npm' | 'node'): Promise<number> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'iam-changes-bench-stop-'));
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^(AWS_|SLACK_|TABLE_NAME$)/.test(key)),
  );
  const npm = spawn('npm', ['start', '--', '--port', '0', '--data', dataDir], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  npm.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    text += chunk;
  });
  npm.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    text += chunk;
  });
  try {
    const ready = Date.now() + 120_000;
    while (!/Press Ctrl-C/.test(text)) {
      if (npm.exitCode !== null || Date.now() > ready) throw new Error(`npm start did not start:\n${text}`);
      await new Promise((done) => setTimeout(done, 50));
    }
    const nodePid = Number(/or: kill (\d+)/.exec(text)?.[1]);
    const motoPid = Number(/\(pid (\d+)\)/.exec(text)?.[1]);
    const ports = [...new Set([...text.matchAll(/127\.0\.0\.1:(\d+)/g)].map((match) => Number(match[1])))];
    const pids = [npm.pid as number, nodePid, motoPid];
    const start = process.hrtime.bigint();
    process.kill(target === 'npm' ? (npm.pid as number) : nodePid, signal);
    for (;;) {
      const free = await Promise.all(ports.map(portFree));
      if (pids.every((pid) => !alive(pid)) && free.every(Boolean)) break;
      if (Number(process.hrtime.bigint() - start) / 1e6 > 30_000)
        throw new Error(`npm start did not stop:\n${text}`);
      await new Promise((done) => setTimeout(done, 10));
    }
    return Number(process.hrtime.bigint() - start) / 1e6;
  } finally {
    if (npm.exitCode === null) npm.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const manifest = await buildCli(ROOT);
  const load = os.loadavg()[0]?.toFixed(2) ?? '?';
  const times = new Map<Case, number[]>(CASES.map((entry) => [entry, []]));
  // One warm-up round (the file system cache), then interleaved rounds.
  for (const entry of CASES) wallTime(entry);
  for (let round = 0; round < RUNS; round++) {
    for (const entry of CASES) if (round < entry.runs) times.get(entry)?.push(wallTime(entry));
  }
  const baseline = median(times.get(CASES[0] as Case) ?? []);
  let missed = false;
  const rows = CASES.map((entry) => {
    const value = median(times.get(entry) ?? []);
    const ratio = value / baseline;
    let verdict = entry === CASES[0] ? 'baseline' : '';
    if (entry.target !== undefined) {
      const met = ratio <= entry.target;
      missed ||= !met;
      verdict = `≤ ${entry.target}× (${met ? 'met' : 'missed'})`;
    }
    return `| ${entry.name} | ${value.toFixed(0)} ms | ${ratio.toFixed(2)}× | ${verdict} | ${entry.runs} |`;
  });
  const body = `Wall time of a whole \`node\` process, spawn to exit, median of interleaved rounds; the bundle built by \`node esbuild.config.cjs cli\` (${manifest.sources.length} source files) just before. 1-minute load average ${load} when it started. Run with \`node bin/run-ts.mjs bench/cli.ts\` (\`CLI_BENCH_RUNS\`, \`CLI_BENCH_SOURCE_RUNS\`).

| command | median | ratio to \`node -e 0\` | target | runs |
| --- | --- | --- | --- | --- |
${rows.join('\n')}`;
  const stopRows: string[] = [];
  for (const [signal, target] of [
    ['SIGINT', 'npm'],
    ['SIGTERM', 'npm'],
    ['SIGINT', 'node'],
    ['SIGTERM', 'node'],
  ] as const) {
    const samples: number[] = [];
    for (let run = 0; run < STOP_RUNS; run++) samples.push(await stopTime(signal, target));
    const value = median(samples);
    const met = value <= STOP_TARGET_MS;
    missed ||= !met;
    stopRows.push(
      `| ${signal} to ${target} | ${value.toFixed(0)} ms | ${Math.max(...samples).toFixed(0)} ms | ≤ 3 s (${met ? 'met' : 'missed'}) | ${STOP_RUNS} |`,
    );
  }
  const stopBody = `\`npm start\` with moto_server, stopped: from the signal until npm, node and moto_server are gone and every port it listened on (page, bot endpoint, moto_server, dynalite) can be bound again (\`CLI_BENCH_STOP_RUNS\`).

| signal | median | slowest | target | runs |
| --- | --- | --- | --- | --- |
${stopRows.join('\n')}`;
  const all = `${body}\n\n${stopBody}`;
  console.log(all);
  writeSection('cli', 'CLI start and npm start stop', all);
  rmSync(path.dirname(EMPTY_MODULE), { recursive: true, force: true });
  if (missed) process.exitCode = 1;
}

await main();
