/**
 * Bundles each function the way `serverless package` does (esbuild, ESM, node22, minified, with the same
 * require banner), then measures the bundle's size and its module initialisation time: the median over many
 * cold `node` processes of importing the bundle. The baseline is a minimal Bolt `AwsLambdaReceiver` handler
 * built in the same run.
 *
 * Targets: notify and worker at most half the baseline's init time (they must not load Bolt), slack at most 1.2×.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
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

/** The bundle's size and its largest packages (bytes in the output). */
async function bundle(entry: string, outfile: string): Promise<{ size: number; largest: string }> {
  const result = await build({
    metafile: true,
    entryPoints: [entry],
    outfile,
    bundle: true,
    minify: true,
    sourcemap: false,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
    logLevel: 'silent',
  });
  const bytes = new Map<string, number>();
  for (const output of Object.values(result.metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const name = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? 'iam-changes';
      bytes.set(name, (bytes.get(name) ?? 0) + bytesInOutput);
    }
  }
  const largest = [...bytes]
    .sort((left, right) => right[1] - left[1])
    .slice(0, 4)
    .map(([name, size]) => `${name} ${(size / 1024).toFixed(0)} KiB`)
    .join(', ');
  return { size: statSync(outfile).size, largest };
}

/** Milliseconds a fresh `node` takes to import the bundle, measured inside that process. */
function initTime(file: string): number {
  const script = `const t=performance.now(); await import(${JSON.stringify(`file://${file}`)}); process.stdout.write(String(performance.now()-t));`;
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
    const bundles: Record<string, { file: string; size: number; largest: string }> = {};
    for (const [name, entry] of [
      ['baseline', baselineEntry],
      ['notify', path.join(ROOT, 'src/handlers/notify.ts')],
      ['worker', path.join(ROOT, 'src/handlers/worker.ts')],
      ['slack', path.join(ROOT, 'src/handlers/slack.ts')],
    ] as const) {
      const file = path.join(dir, `${name}.mjs`);
      bundles[name] = { file, ...(await bundle(entry, file)) };
    }
    rmSync(baselineEntry, { force: true });

    const times: Record<string, number[]> = {};
    // Interleaved, so load on the machine falls on every bundle alike.
    for (let run = 0; run < RUNS; run++) {
      for (const [name, { file }] of Object.entries(bundles)) {
        const list = times[name] ?? [];
        list.push(initTime(file));
        times[name] = list;
      }
    }
    const baseline = median(times.baseline ?? []);
    const rows = Object.entries(bundles).map(([name, { size, largest }]) => {
      const init = median(times[name] ?? []);
      const ratio = init / baseline;
      const target = TARGETS[name];
      const verdict =
        target === undefined ? 'baseline' : `≤ ${target} (${ratio <= target ? 'met' : 'missed'})`;
      return { name, size, largest, init, ratio, target, verdict };
    });
    const table = [
      '| bundle | size | init (median) | ratio to baseline | target | largest packages |',
      '| --- | --- | --- | --- | --- | --- |',
      ...rows.map(
        (row) =>
          `| ${row.name} | ${(row.size / 1024).toFixed(0)} KiB | ${row.init.toFixed(1)} ms | ${row.ratio.toFixed(2)} | ${row.verdict} | ${row.largest} |`,
      ),
    ].join('\n');
    const body = `Each function bundled as \`serverless package\` does (esbuild, ESM, node22, minified); init = importing the bundle in a fresh \`node\`, median of ${RUNS} processes each, interleaved. Baseline: a minimal Bolt \`AwsLambdaReceiver\` handler.\n\n${table}`;
    console.log(body);
    writeSection('cold-start', 'bundle size and cold start', body);
    if (rows.some((row) => row.target !== undefined && row.ratio > row.target)) process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
