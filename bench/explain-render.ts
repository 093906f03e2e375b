/**
 * Throughput of the pure path every notification takes: readInput + explainItems + renderChange, one record
 * at a time, on the main thread (no workers). Builds ≥ 10,000 records by cycling the CloudTrail fixtures
 * with unique eventIDs, warms up, then times several runs and reports the median, with the peak RSS and heap
 * sampled along the way. Writes its figures into its own section of bench/RESULTS.md.
 *
 *   node bin/run-ts.mjs bench/explain-render.ts [--records N] [--runs N] [--no-write]
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { esbuildOptions } from '../esbuild.config.cjs';
import { IamDataActionCatalogue } from '../src/catalogue/action-catalogue';
import { loadOfflineContent } from '../src/cli/offline-content';
import type * as Explain from '../src/domain/explain';
import type { PrepareChange } from '../src/domain/explain';
import type * as Input from '../src/domain/input';
import type { RiskContext } from '../src/domain/risk/rule';
import type * as Render from '../src/slack/render';
import { writeSection } from './results';

/**
 * The code under test is bundled the way `serverless package` bundles a function (the options of
 * `esbuild.config.cjs`), so the figures are those of the deployed code, not of the TypeScript loader running the
 * bench.
 */
async function loadBundled(): Promise<{
  explainItems: typeof Explain.explainItems;
  readInput: typeof Input.readInput;
  renderChange: typeof Render.renderChange;
}> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'iam-changes-bench-'));
  const root = path.resolve(import.meta.dirname, '..');
  await build({
    stdin: {
      contents: [
        "export { explainItems } from './src/domain/explain';",
        "export { readInput } from './src/domain/input';",
        "export { renderChange } from './src/slack/render';",
      ].join('\n'),
      resolveDir: root,
      loader: 'ts',
    },
    ...esbuildOptions(),
    outdir: dir,
    logLevel: 'silent',
  });
  try {
    return await import(pathToFileURL(path.join(dir, 'stdin.mjs')).href);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const { explainItems, readInput, renderChange } = await loadBundled();

const TARGET_RECORDS_PER_SECOND = 20_000;
const FIXTURES = new URL('../test/fixtures/cloudtrail/', import.meta.url);

/** How often (in records) memory is sampled: often enough to see peaks, rarely enough not to cost time. */
const SAMPLE_EVERY = 250;

/**
 * The action catalogue loaded as notify loads it for a NotAction statement (the services that matter to access),
 * so every wildcard is expanded in real actions: the figures are with the catalogue, not without it.
 */
const CATALOGUE = await new IamDataActionCatalogue().forStatements([
  { Effect: 'Allow', NotAction: ['s3:*'], Resource: ['*'] },
]);
const CONTEXT: RiskContext = {
  expectedActors: ['arn:aws:iam::*:role/terraform-ci'],
  trustedAccounts: [],
  actions: CATALOGUE,
};

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '10000' },
    runs: { type: 'string', default: '7' },
    'no-write': { type: 'boolean', default: false },
  },
});
const recordCount = Math.max(10_000, Number(values.records));
const runCount = Math.max(3, Number(values.runs));

interface Peak {
  rss: number;
  heapUsed: number;
}

/**
 * The attached AWS managed policies of the fixtures, resolved once from the generated catalogue as `explain` does
 * offline: each attach is then judged on the policy's document.
 */
async function offlinePrepare(records: Record<string, unknown>[]): Promise<PrepareChange> {
  const prepare = await loadOfflineContent(records.flatMap((record) => readInput(record)));
  return (change) => ({ ...prepare(change), actions: CATALOGUE });
}

function buildRecords(count: number): Record<string, unknown>[] {
  const fixtures = readdirSync(FIXTURES)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')) as Record<string, unknown>);
  return Array.from({ length: count }, (_, index) => {
    const record = structuredClone(fixtures[index % fixtures.length] as Record<string, unknown>);
    record.eventID = `bench-${String(index).padStart(8, '0')}`;
    return record;
  });
}

function sample(peak: Peak): void {
  const usage = process.memoryUsage();
  if (usage.rss > peak.rss) peak.rss = usage.rss;
  if (usage.heapUsed > peak.heapUsed) peak.heapUsed = usage.heapUsed;
}

/** One pass over every record; returns the seconds it took and a checksum so nothing is optimised away. */
function pass(records: Record<string, unknown>[], peak: Peak): { seconds: number; counts: Counts } {
  const counts: Counts = { changes: 0, skipped: 0, blocks: 0 };
  const start = process.hrtime.bigint();
  for (let index = 0; index < records.length; index++) {
    const explanation = explainItems(readInput(records[index]), CONTEXT, { prepare });
    counts.skipped += explanation.skipped.length;
    for (const change of explanation.changes) {
      counts.changes += 1;
      counts.blocks += renderChange(change).blocks.length;
    }
    if (index % SAMPLE_EVERY === 0) sample(peak);
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  sample(peak);
  return { seconds, counts };
}

interface Counts {
  changes: number;
  skipped: number;
  blocks: number;
}

function median(numbers: number[]): number {
  const sorted = [...numbers].sort((left, right) => left - right);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const rate = (perSecond: number) => Math.round(perSecond).toLocaleString('en-US');

/** Other work on the machine slows every figure down: the load when the bench started is printed with them. */
const loadAtStart = os.loadavg()[0] ?? 0;
const records = buildRecords(recordCount);
const prepare = await offlinePrepare(records.slice(0, 200));
const peak: Peak = { rss: 0, heapUsed: 0 };
sample(peak);
const baseline = { ...peak };

for (let warmup = 0; warmup < 2; warmup++) pass(records, peak);
const runs = Array.from({ length: runCount }, () => pass(records, peak));
const perSecond = runs.map((run) => recordCount / run.seconds);
const typical = median(perSecond);
const ratio = typical / TARGET_RECORDS_PER_SECOND;
const counts = runs[0]?.counts as Counts;

const cpus = os.cpus();
const machine = `${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${cpus.length} cores (one used), ${os.platform()} ${os.arch()}`;
const lines = [
  `records per run:   ${recordCount.toLocaleString('en-US')} (${counts.changes.toLocaleString('en-US')} changes rendered, ${counts.skipped.toLocaleString('en-US')} skipped; cycling ${readdirSync(FIXTURES).filter((name) => name.endsWith('.json')).length} fixtures)`,
  `runs:              ${runCount} after 2 warm-up passes`,
  `throughput:        median ${rate(typical)} records/s (min ${rate(Math.min(...perSecond))}, max ${rate(Math.max(...perSecond))})`,
  `per record:        ${((1e6 / typical) | 0).toLocaleString('en-US')} µs median`,
  `peak RSS:          ${mib(peak.rss)} (${mib(baseline.rss)} before the records were explained)`,
  `peak heap used:    ${mib(peak.heapUsed)}`,
  `target ≥ ${TARGET_RECORDS_PER_SECOND.toLocaleString('en-US')} records/s: ratio ${ratio.toFixed(2)}${ratio >= 1 ? '' : ' (below target)'}`,
];
process.stdout.write(`explain + render throughput\n${lines.map((line) => `  ${line}`).join('\n')}\n`);

const body = [
  '`readInput` + `explainItems` + `renderChange` on one record at a time, main thread only, on the code bundled as `serverless package` bundles it.',
  '',
  `- ${machine}; 1-minute load average ${loadAtStart.toFixed(2)} when it started (other work slows every figure)`,
  '- run with `npm run bench` (`node bin/run-ts.mjs bench/explain-render.ts [--records N] [--runs N]`)',
  '',
  '```text',
  ...lines,
  '```',
].join('\n');

if (!values['no-write']) {
  writeSection('explain-render', 'explain + render throughput', body);
  process.stdout.write('wrote bench/RESULTS.md\n');
}
