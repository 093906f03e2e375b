/**
 * How fast the `iam-changes` CLI starts, next to a bare `node -e 0` on the same machine in the same run: wall time
 * of a whole process (spawn to exit) for `help` and for `explain` of one CloudTrail record, run from the bundle
 * that `npm ci` builds (`node esbuild.config.cjs cli`, rebuilt here first) and, for comparison, from source
 * through tsx (what the bin falls back to when the bundle is missing or older than a source file).
 *
 * Every command runs once per round, rounds interleaved, so load on the machine falls on each alike; figures are
 * medians. Targets: `help` at most 2× and `explain` at most 3× the bare `node -e 0`.
 */
import { spawnSync } from 'node:child_process';
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

const CASES: Case[] = [
  { name: 'node -e 0', args: ['-e', '0'], runs: RUNS },
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
  console.log(body);
  writeSection('cli', 'CLI start', body);
  if (missed) process.exitCode = 1;
}

await main();
