/**
 * Bundles each function the way `serverless package` does (the options of `esbuild.config.cjs`: ESM, node22,
 * code splitting), then measures its size and its module initialisation time: the median over many cold `node`
 * processes of importing the bundle's entry. The baseline is a minimal Bolt `AwsLambdaReceiver` handler built
 * with the same options in the same run.
 *
 * A function leaves to chunks what only some invocations need (SSM at cold start, CloudTrail, the jobs topic, the
 * audit; notify's digest and alarm path; each worker job kind's use case and builders); the "everything loaded"
 * column is the entry plus every chunk, the most a process of it can ever load. The files read at start count as
 * much as their size: each is resolved, read and compiled on its own, and a loaded machine makes every one slower.
 *
 * What the entry imports statically is kept in the entry file (`plugins/start-in-one-file.cjs`); notify and the
 * worker are also measured as esbuild alone splits them ("split only"), in the same run, to show what that saves.
 *
 * Targets: notify and worker at most half the baseline's init time (they must not load Bolt), slack at most 1.2×.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { esbuildOptions, staticClosure } from '../esbuild.config.cjs';
import { writeSection } from './results';

const ROOT = path.resolve(import.meta.dirname, '..');
const RUNS = Number(process.env.COLD_START_RUNS ?? 25);
const TARGETS: Record<string, number> = { notify: 0.5, worker: 0.5, slack: 1.2 };

const BASELINE_SOURCE = `
import bolt from '@slack/bolt';
const receiver = new bolt.AwsLambdaReceiver({ signingSecret: 'baseline-secret' });
const app = new bolt.App({ token: 'xoxb-baseline', receiver, tokenVerificationEnabled: false });
app.action('ack', async ({ ack }) => { await ack(); });
export const handler = async (event, context) => (await receiver.start())(event, context);
`;

/** A bundle as deployed: the entry file, its chunks, and its largest packages (bytes in the output). */
interface Bundle {
  /** The entry module Lambda imports. */
  entry: string;
  /** Every chunk the entry may import later, on some path (dynamic `import()`). */
  chunks: string[];
  /** Bytes of the entry and the chunks it imports statically: what every cold start reads. */
  startSize: number;
  /** How many files that is: each one costs a resolution, a read and a compile, apart from its size. */
  startFiles: number;
  /** Bytes of every file of the bundle. */
  totalSize: number;
  largest: string;
}

/** Builds one function exactly as `serverless package` does (the options of `esbuild.config.cjs`). */
async function bundle(entry: string, outdir: string, plugins = esbuildOptions().plugins): Promise<Bundle> {
  const result = await build({
    ...esbuildOptions(),
    plugins,
    entryPoints: [entry],
    outdir,
    metafile: true,
    logLevel: 'silent',
  });
  const outputs = result.metafile.outputs;
  const entryOutput = Object.keys(outputs).find(
    (file) => outputs[file]?.entryPoint !== undefined && !file.includes('/chunks/'),
  );
  if (!entryOutput) throw new Error(`no entry output for ${entry}`);
  // What the entry reads before its handler runs: itself and its static imports, transitively.
  const atStart = staticClosure(outputs, entryOutput);
  const bytes = new Map<string, number>();
  for (const file of atStart) {
    for (const [input, { bytesInOutput }] of Object.entries(outputs[file]?.inputs ?? {})) {
      const name = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? 'iam-changes';
      bytes.set(name, (bytes.get(name) ?? 0) + bytesInOutput);
    }
  }
  const largest = [...bytes]
    .sort((left, right) => right[1] - left[1])
    .slice(0, 4)
    .map(([name, size]) => `${name} ${(size / 1024).toFixed(0)} KiB`)
    .join(', ');
  const sizeOf = (files: Iterable<string>) => [...files].reduce((sum, file) => sum + statSync(file).size, 0);
  return {
    entry: path.resolve(entryOutput),
    chunks: Object.keys(outputs)
      .filter((file) => file !== entryOutput && file.endsWith('.mjs'))
      .map((file) => path.resolve(file)),
    startSize: sizeOf(atStart),
    startFiles: atStart.size,
    totalSize: sizeOf(Object.keys(outputs)),
    largest,
  };
}

/**
 * Milliseconds a fresh `node` takes to import the bundle's entry — and then `later` (chunks), when given — measured
 * inside that process.
 */
function initTime(entry: string, later: string[] = []): number {
  const url = (file: string) => JSON.stringify(`file://${file}`);
  const script = `const t=performance.now(); await import(${url(entry)}); await Promise.all([${later.map((file) => `import(${url(file)})`).join(',')}]); process.stdout.write(String(performance.now()-t));`;
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'bench',
      AWS_SECRET_ACCESS_KEY: 'bench',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return Number(output.toString());
}

/** The 1, 5 and 15 minute load averages, as `os.loadavg()` gives them. */
function loads(values: number[]): string {
  return values.map((value) => value.toFixed(2)).join(' / ');
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'iam-changes-cold-'));
  try {
    const baselineEntry = path.join(ROOT, 'node_modules', '.iam-changes-bench-baseline.mjs');
    writeFileSync(baselineEntry, BASELINE_SOURCE);
    const bundles: Record<string, Bundle> = {};
    try {
      for (const [name, entry] of [
        ['baseline', baselineEntry],
        ['notify', path.join(ROOT, 'src/handlers/notify/index.ts')],
        ['worker', path.join(ROOT, 'src/handlers/worker/index.ts')],
        ['slack', path.join(ROOT, 'src/handlers/slack/index.ts')],
      ] as const) {
        bundles[name] = await bundle(entry, path.join(dir, name));
      }
      // The same two functions as esbuild alone splits them (no start-in-one-file plugin), measured side by side.
      for (const name of ['notify', 'worker'] as const) {
        const entry = path.join(ROOT, `src/handlers/${name}/index.ts`);
        bundles[`${name}, split only`] = await bundle(entry, path.join(dir, `${name}-split`), []);
      }
    } finally {
      rmSync(baselineEntry, { force: true });
    }

    // Others may share the machine: its load is part of the result (a loaded machine slows the bundles that read
    // many files more than the baseline, which is one file).
    const loadBefore = os.loadavg();
    const times = Object.fromEntries(
      Object.keys(bundles).map((name) => [name, { init: [] as number[], everything: [] as number[] }]),
    );
    // Interleaved, so load on the machine falls on every bundle alike.
    for (let run = 0; run < RUNS; run++) {
      for (const [name, { entry, chunks }] of Object.entries(bundles)) {
        const list = times[name] as { init: number[]; everything: number[] };
        list.init.push(initTime(entry));
        list.everything.push(initTime(entry, chunks));
      }
    }
    const loadAfter = os.loadavg();
    const baseline = median(times.baseline?.init ?? []);
    const rows = Object.entries(bundles).map(([name, bundled]) => {
      const init = median(times[name]?.init ?? []);
      const everything = median(times[name]?.everything ?? []);
      const ratio = init / baseline;
      const target = TARGETS[name];
      const verdict =
        target !== undefined
          ? `≤ ${target} (${ratio <= target ? 'met' : 'missed'})`
          : name === 'baseline'
            ? 'baseline'
            : 'for comparison';
      return { name, ...bundled, init, everything, ratio, target, verdict };
    });
    const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
    const table = [
      '| bundle | read at start (files) / all files | init (median) | ratio to baseline | target | everything loaded | largest packages at start |',
      '| --- | --- | --- | --- | --- | --- | --- |',
      ...rows.map(
        (row) =>
          `| ${row.name} | ${kib(row.startSize)} (${row.startFiles}) / ${kib(row.totalSize)} | ${row.init.toFixed(1)} ms | ${row.ratio.toFixed(2)} | ${row.verdict} | ${row.everything.toFixed(1)} ms | ${row.largest} |`,
      ),
    ].join('\n');
    const body = `Each function bundled as \`serverless package\` does (\`esbuild.config.cjs\`: ESM, node22, code splitting with the entry's static imports kept in the entry file, identifiers kept, no source maps); "split only": the same function as esbuild alone splits it, for comparison; init = importing the entry in a fresh \`node\`, median of ${RUNS} processes each, interleaved; everything loaded = the entry and then every chunk it may load later. Baseline: a minimal Bolt \`AwsLambdaReceiver\` handler, same options. Load average (1, 5, 15 min) ${loads(loadBefore)} before, ${loads(loadAfter)} after.\n\n${table}`;
    console.log(body);
    writeSection('cold-start', 'bundle size and cold start', body);
    if (rows.some((row) => row.target !== undefined && row.ratio > row.target)) process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
