/**
 * Shared by the benchmarks: the machine they ran on, and `bench/RESULTS.md` kept as one section per benchmark
 * between `<!-- bench:NAME -->` markers, so each script rewrites only its own section.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const RESULTS = path.resolve(import.meta.dirname, 'RESULTS.md');

const INTRO = `# Benchmark results

Each section is written by its script; run them all with \`npm run bench\`, or one with
\`node bin/run-ts.mjs bench/<name>.ts\`. Figures are for the machine and date given in the section.
`;

/** One line naming the machine, Node and the date: every section starts with it. */
export function machineLine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${cpu}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.release()} — ${new Date().toISOString().slice(0, 10)}`;
}

/** Replaces (or appends) the section `name` of RESULTS.md with `body` under `title`. */
export function writeSection(name: string, title: string, body: string): void {
  const text = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : INTRO;
  const start = `<!-- bench:${name} -->`;
  const end = `<!-- /bench:${name} -->`;
  const section = `${start}\n## ${title}\n\n${machineLine()}\n\n${body.trim()}\n${end}`;
  const pattern = new RegExp(`${start}[\\s\\S]*?${end}`);
  const next = pattern.test(text) ? text.replace(pattern, section) : `${text.trimEnd()}\n\n${section}\n`;
  writeFileSync(RESULTS, next);
}

/** Samples peak RSS and heap while `work` runs. */
export async function withPeakMemory<T>(
  work: () => Promise<T>,
): Promise<{ result: T; peakRssMiB: number; peakHeapMiB: number }> {
  let peakRss = 0;
  let peakHeap = 0;
  const sample = () => {
    const usage = process.memoryUsage();
    peakRss = Math.max(peakRss, usage.rss);
    peakHeap = Math.max(peakHeap, usage.heapUsed);
  };
  const timer = setInterval(sample, 20);
  try {
    const result = await work();
    sample();
    return { result, peakRssMiB: peakRss / 2 ** 20, peakHeapMiB: peakHeap / 2 ** 20 };
  } finally {
    clearInterval(timer);
  }
}
