/**
 * Throughput of the pure path every notification takes: readInputParts + explainItems + renderChange (renderAlarm for
 * an alarm), one input at a time, on the main thread (no workers), with the managed policy catalogue and the
 * action catalogue loaded. The inputs cycle through the project's CloudTrail fixtures and the real-world corpus
 * (`../shared/fixtures/real-world`, read in place when present), envelopes and all, and each one is made a
 * different record (ids, times, names, addresses, resource ARNs inside its documents): nothing is the same
 * record twice, so a cache only helps where real streams repeat themselves (the same managed policy attached,
 * the same action list). A second figure makes every action list unique too, so no content cache can answer.
 * Warms up, then times several runs and reports the median, with the peak RSS and heap sampled along the way.
 * Writes its figures into its own section of bench/RESULTS.md.
 *
 *   node bin/run-ts.mjs bench/explain-render.ts [--records N] [--runs N] [--no-write]
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
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
  readInputParts: typeof Input.readInputParts;
  renderAlarm: typeof Render.renderAlarm;
  renderChange: typeof Render.renderChange;
}> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'iam-changes-bench-'));
  const root = path.resolve(import.meta.dirname, '..');
  await build({
    stdin: {
      contents: [
        "export { explainItems } from './src/domain/explain';",
        "export { readInputParts } from './src/domain/input';",
        "export { renderAlarm, renderChange } from './src/slack/render';",
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

const { explainItems, readInputParts, renderAlarm, renderChange } = await loadBundled();

const TARGET_RECORDS_PER_SECOND = 20_000;
const FIXTURES = new URL('../test/fixtures/cloudtrail/', import.meta.url);

/** How often (in inputs) memory is sampled: often enough to see peaks, rarely enough not to cost time. */
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
const inputCount = Math.max(10_000, Number(values.records));
const runCount = Math.max(3, Number(values.runs));

interface Peak {
  rss: number;
  heapUsed: number;
}

/**
 * The attached AWS managed policies of the inputs, resolved once from the generated catalogue as `explain` does
 * offline: each attach is then judged on the policy's document.
 */
async function offlinePrepare(inputs: unknown[]): Promise<PrepareChange> {
  const prepare = await loadOfflineContent(inputs.flatMap((input) => readInputParts(input).items));
  return (change) => ({ ...prepare(change), actions: CATALOGUE });
}

/** The real-world CloudTrail corpus, read in place when the shared fixtures are checked out beside the project. */
const CORPUS = path.resolve(import.meta.dirname, '..', '..', 'shared', 'fixtures', 'real-world', 'cases');

/** Every input the bench draws from: the project's CloudTrail fixtures, then the real-world corpus when present. */
function baseInputs(): { name: string; value: unknown }[] {
  const read = (dir: string) =>
    readdirSync(dir)
      .filter((name) => name.endsWith('.json'))
      .sort()
      .map((name) => ({ name, value: JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as unknown }));
  return [...read(fileURLToPath(FIXTURES)), ...(existsSync(CORPUS) ? read(CORPUS) : [])];
}

/** Keys whose value names the changed entity or the caller's credentials: made unique per record. */
const NAME_KEYS = new Set([
  'roleName',
  'userName',
  'groupName',
  'policyName',
  'newUserName',
  'newGroupName',
  'instanceProfileName',
  'accessKeyId',
  'principalId',
  'Sid',
]);
const ID_KEYS = new Set(['eventID', 'EventId', 'requestID', 'id']);
const TIME_KEYS = new Set(['eventTime', 'EventTime', 'time']);

/**
 * One input made into record number `index` of a stream: new ids, a later time, its own entity names, source
 * address and customer policy ARN, and its own resource ARNs and statement ids inside policy documents (JSON
 * strings are parsed, varied and written back). Actions and AWS managed policy ARNs are kept: real streams
 * attach the same managed policies and reuse the same action lists. With `uniqueActions`, every action list also
 * gains a pattern of its own, so no cache keyed on a document's content can answer.
 */
function vary(value: unknown, index: number, uniqueActions: boolean, key = '', inList = false): unknown {
  if (Array.isArray(value)) {
    const items = value.map((item) => vary(item, index, uniqueActions, key, true));
    return uniqueActions && (key === 'Action' || key === 'NotAction')
      ? [...items, `bench:Unique${index}*`]
      : items;
  }
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([name, item]) => [name, vary(item, index, uniqueActions, name)]),
    );
  }
  if (typeof value !== 'string') return value;
  if (value.startsWith('{')) {
    try {
      return JSON.stringify(vary(JSON.parse(value), index, uniqueActions));
    } catch {
      return value;
    }
  }
  if (ID_KEYS.has(key)) return `${value}-${index}`;
  if (TIME_KEYS.has(key)) {
    const time = Date.parse(value);
    if (Number.isNaN(time)) return value;
    const later = new Date(time + (index % 86_400) * 1000).toISOString();
    // Kept in the form the record used: CloudTrail writes whole seconds.
    return value.includes('.') ? later : later.replace('.000Z', 'Z');
  }
  if (NAME_KEYS.has(key) && value !== '') return `${value}${index}`;
  if (key === 'sourceIPAddress' && /^\d+\.\d+\.\d+\.\d+$/.test(value))
    return value.replace(/\d+$/, String((index % 250) + 1));
  if (key === 'policyArn' && !value.includes(':aws:policy/')) return `${value}${index}`;
  if (
    (key === 'Resource' || key === 'NotResource') &&
    value.startsWith('arn:') &&
    !value.endsWith('*') &&
    !value.includes('$')
  )
    return `${value}${index}`;
  if (uniqueActions && !inList && (key === 'Action' || key === 'NotAction'))
    return [value, `bench:Unique${index}*`];
  return value;
}

/** `count` inputs cycling through the fixtures and the corpus, each one a different record (see {@link vary}). */
function buildInputs(base: { value: unknown }[], count: number, uniqueActions: boolean): unknown[] {
  return Array.from({ length: count }, (_, index) =>
    vary(base[index % base.length]?.value, index, uniqueActions),
  );
}

function sample(peak: Peak): void {
  const usage = process.memoryUsage();
  if (usage.rss > peak.rss) peak.rss = usage.rss;
  if (usage.heapUsed > peak.heapUsed) peak.heapUsed = usage.heapUsed;
}

interface Counts {
  /** CloudTrail records and alarm messages read from the inputs: what "records" counts. */
  records: number;
  changes: number;
  /** Changes whose attached AWS managed policy was judged on its document from the generated catalogue. */
  catalogued: number;
  alarms: number;
  skipped: number;
  blocks: number;
}

/** One pass over every input; returns the seconds it took and counts, so nothing is optimised away. */
function pass(
  inputs: unknown[],
  prepare: PrepareChange,
  peak: Peak,
): { seconds: number; cpuSeconds: number; counts: Counts } {
  const counts: Counts = { records: 0, changes: 0, catalogued: 0, alarms: 0, skipped: 0, blocks: 0 };
  const cpuStart = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let index = 0; index < inputs.length; index++) {
    const { items, unreadable } = readInputParts(inputs[index]);
    counts.records += items.length + unreadable.length;
    counts.skipped += unreadable.length;
    const explanation = explainItems(items, CONTEXT, { prepare });
    counts.skipped += explanation.skipped.length;
    for (const change of explanation.changes) {
      counts.changes += 1;
      if (change.managedPolicy?.source === 'catalogue' && change.managedPolicy.document)
        counts.catalogued += 1;
      counts.blocks += renderChange(change).blocks.length;
    }
    for (const alarm of explanation.alarms) {
      counts.alarms += 1;
      counts.blocks += renderAlarm(alarm).blocks.length;
    }
    if (index % SAMPLE_EVERY === 0) sample(peak);
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(cpuStart);
  sample(peak);
  return { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, counts };
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
const count = (value: number) => value.toLocaleString('en-US');

/**
 * Warm-up passes, then `runCount` timed passes over `inputs`: records per second of each timed pass, by the clock
 * and by this process's CPU time (which other work on the machine disturbs less).
 */
function measure(
  inputs: unknown[],
  prepare: PrepareChange,
  peak: Peak,
): { perSecond: number[]; perCpuSecond: number[]; counts: Counts } {
  for (let warmup = 0; warmup < 2; warmup++) pass(inputs, prepare, peak);
  const runs = Array.from({ length: runCount }, () => pass(inputs, prepare, peak));
  return {
    perSecond: runs.map((run) => run.counts.records / run.seconds),
    perCpuSecond: runs.map((run) => run.counts.records / run.cpuSeconds),
    counts: runs[0]?.counts as Counts,
  };
}

/** Other work on the machine slows every figure down: the load when the bench started is printed with them. */
const loadAtStart = os.loadavg()[0] ?? 0;
const base = baseInputs();
const corpusCount = existsSync(CORPUS)
  ? readdirSync(CORPUS).filter((name) => name.endsWith('.json')).length
  : 0;
const inputs = buildInputs(base, inputCount, false);
const prepare = await offlinePrepare(base.map((entry) => entry.value));
const peak: Peak = { rss: 0, heapUsed: 0 };
sample(peak);
const baseline = { ...peak };

const main = measure(inputs, prepare, peak);
const typical = median(main.perSecond);
const ratio = typical / TARGET_RECORDS_PER_SECOND;
const counts = main.counts;
const unique = measure(buildInputs(base, inputCount, true), prepare, peak);
const uniqueTypical = median(unique.perSecond);

const catalogueActions = (CATALOGUE.serviceKeys ?? []).reduce(
  (sum, service) => sum + (CATALOGUE.actionsOf(service)?.length ?? 0),
  0,
);
const cpus = os.cpus();
const machine = `${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${cpus.length} cores (one used), ${os.platform()} ${os.arch()}`;
const sources = `${base.length - corpusCount} fixtures${corpusCount > 0 ? ` and ${corpusCount} real-world corpus files` : '; real-world corpus absent'}`;
const lines = [
  `inputs per run:    ${count(inputCount)}, cycling ${sources}, each a different record`,
  `records per run:   ${count(counts.records)} (${count(counts.changes)} changes and ${count(counts.alarms)} alarms rendered, ${count(counts.skipped)} skipped)`,
  `catalogues:        ${count(CATALOGUE.serviceKeys?.length ?? 0)} services of actions loaded (${count(catalogueActions)} actions); ${count(counts.catalogued)} changes judged on an AWS managed policy's document from the generated catalogue`,
  `runs:              ${runCount} after 2 warm-up passes`,
  `throughput:        median ${rate(typical)} records/s (min ${rate(Math.min(...main.perSecond))}, max ${rate(Math.max(...main.perSecond))})`,
  `per record:        ${((1e6 / typical) | 0).toLocaleString('en-US')} µs median`,
  `by CPU time:       median ${rate(median(main.perCpuSecond))} records per CPU-second (the process's own user + system time)`,
  `every action list unique (no content cache answers): median ${rate(uniqueTypical)} records/s, ${rate(median(unique.perCpuSecond))} per CPU-second`,
  `peak RSS:          ${mib(peak.rss)} (${mib(baseline.rss)} before the records were explained)`,
  `peak heap used:    ${mib(peak.heapUsed)}`,
  `target ≥ ${TARGET_RECORDS_PER_SECOND.toLocaleString('en-US')} records/s: ratio ${ratio.toFixed(2)}${ratio >= 1 ? '' : ' (below target)'}`,
];
process.stdout.write(`explain + render throughput\n${lines.map((line) => `  ${line}`).join('\n')}\n`);

const body = [
  '`readInputParts` + `explainItems` + `renderChange` (`renderAlarm` for an alarm) on one input at a time, main thread only, on the code bundled as `serverless package` bundles it, with the managed policy and action catalogues loaded. Every input is a different record: ids, times, names, addresses and the resource ARNs inside its documents vary; action lists and AWS managed policies repeat as they do in real streams. The second figure makes every action list unique as well.',
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
