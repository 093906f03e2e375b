/**
 * The functions as `serverless package` bundles them (`esbuild.config.cjs`, with `plugins/start-in-one-file.cjs`):
 * each entry is one file holding everything its cold start needs, and its lazily loaded chunks get the entry's own
 * module instances, never a second copy. (`test/infra/serverless-template.test.ts` runs the packaged handlers end
 * to end.)
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { build, context as esbuildContext, type Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { esbuildOptions, staticClosure } from '../../esbuild.config.cjs';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const FUNCTIONS = ['notify', 'worker', 'slack', 'follow'] as const;

/** One function's bundle on disk, and the project's sources its cold start reads. */
interface Built {
  dir: string;
  entry: string;
  metafile: Metafile;
  /** `src/…` inputs of the entry file. */
  startSources: string[];
}

/** The `src/…` inputs of what `entry` (a metafile key) imports statically, transitively, itself included. */
function startSourcesOf(metafile: Metafile, entry: string): string[] {
  return [...staticClosure(metafile.outputs, entry)]
    .flatMap((file) => Object.keys(metafile.outputs[file]?.inputs ?? {}))
    .filter((input) => input.startsWith('src/'))
    .sort();
}

// Inside the project, so the package left outside the bundle (the action catalogue) resolves as in the zip.
const work = path.join(ROOT, 'node_modules', '.cache');
let dir: string;
const built = new Map<string, Built>();
/** The project's sources each function's entry reached statically when esbuild alone split it. */
const splitStart = new Map<string, string[]>();

beforeAll(async () => {
  mkdirSync(work, { recursive: true });
  dir = mkdtempSync(path.join(work, 'iam-changes-bundled-'));
  await Promise.all(
    FUNCTIONS.map(async (name) => {
      const outdir = path.join(dir, name);
      const options = {
        entryPoints: [`src/handlers/${name}/index.ts`],
        metafile: true as const,
        logLevel: 'silent' as const,
      };
      const result = await build({ ...esbuildOptions(), ...options, absWorkingDir: ROOT, outdir });
      const entry =
        Object.keys(result.metafile.outputs).find((file) => file.endsWith(`${name}/index.mjs`)) ?? '';
      built.set(name, {
        dir: outdir,
        entry: path.join(ROOT, entry),
        metafile: result.metafile,
        startSources: startSourcesOf(result.metafile, entry),
      });
      const split = await build({
        ...esbuildOptions(),
        ...options,
        plugins: [],
        absWorkingDir: ROOT,
        outdir: `/virtual/${name}`,
        write: false,
      });
      const splitEntry =
        Object.keys(split.metafile.outputs).find((file) => file.endsWith(`${name}/index.mjs`)) ?? '';
      splitStart.set(name, startSourcesOf(split.metafile, splitEntry));
    }),
  );
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs `script` (an ES module taking the bundle's entry as its first argument) in a fresh `node`. */
async function inNode(script: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const file = path.join(dir, `run-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(file, script);
  const { stdout } = await run(process.execPath, [file, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', POWERTOOLS_LOG_LEVEL: 'ERROR', ...env },
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

/**
 * Imports the bundle's entry in a fresh `node`, then every chunk beside it: how many loaded, how many are re-exports
 * of the entry, and which of those re-exported a value that is not the entry's own.
 */
async function loadEverything(
  entry: string,
): Promise<{ loaded: number; reexports: number; foreign: string[] }> {
  const script = `
        import { readdirSync } from 'node:fs';
        import path from 'node:path';
        import { pathToFileURL } from 'node:url';
        const [entry] = process.argv.slice(2);
        const main = await import(pathToFileURL(entry).href);
        const shared = new Set(Object.values(main));
        const chunks = path.join(path.dirname(entry), 'chunks');
        let loaded = 0, reexports = 0, foreign = [];
        for (const file of readdirSync(chunks).filter((file) => file.endsWith('.mjs'))) {
          const chunk = await import(pathToFileURL(path.join(chunks, file)).href);
          loaded += 1;
          const source = (await import('node:fs')).readFileSync(path.join(chunks, file), 'utf8');
          if (!/^export \\{[^}]*\\} from "\\.\\.\\/index\\.mjs";\\n$/.test(source)) continue;
          reexports += 1;
          for (const [exported, value] of Object.entries(chunk)) {
            if (!shared.has(value)) foreign.push(file + ':' + exported);
          }
        }
        process.stdout.write(JSON.stringify({ loaded, reexports, foreign }));
      `;
  return JSON.parse(
    await inNode(script, [entry], {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'bundled',
      AWS_SECRET_ACCESS_KEY: 'bundled',
    }),
  );
}

describe('bundled functions', () => {
  it.each(FUNCTIONS)('%s: the entry is the only file of the bundle its cold start reads', (name) => {
    const bundle = built.get(name) as Built;
    const entryKey = path.relative(ROOT, bundle.entry);
    const staticImports = bundle.metafile.outputs[entryKey]?.imports.filter(
      (entry) => entry.kind === 'import-statement',
    );
    expect(staticImports?.filter((entry) => !entry.external)).toEqual([]);
    // Read from the file itself, not only the metafile: no `import … from "./…"` of a file of the bundle.
    const text = readFileSync(bundle.entry, 'utf8');
    expect(text).not.toMatch(/\bfrom\s*["']\.\.?\//);
    expect(text).not.toMatch(/\bimport\s*["']\.\.?\//);
  });

  it.each(FUNCTIONS)('%s: the entry holds every module esbuild alone put in the start files', (name) => {
    const merged = built.get(name)?.startSources ?? [];
    expect(merged.length).toBeGreaterThan(10);
    expect(merged).toEqual(splitStart.get(name));
  });

  it.each(FUNCTIONS)(
    '%s: every chunk loads after the entry, and what it shares with the entry is the entry’s own instance',
    async (name) => {
      const report = await loadEverything(built.get(name)?.entry ?? '');
      expect(report.loaded).toBeGreaterThan(5);
      expect(report.reexports).toBeGreaterThan(0);
      expect(report.foreign).toEqual([]);
    },
  );

  it('rebuilds as `serverless offline` does (one context, rebuilt twice) to the same one-file entry', async () => {
    const outdir = path.join(dir, 'notify-rebuilt');
    const context = await esbuildContext({
      ...esbuildOptions(),
      entryPoints: ['src/handlers/notify/index.ts'],
      logLevel: 'silent',
      absWorkingDir: ROOT,
      outdir,
    });
    try {
      await context.rebuild();
      await context.rebuild();
    } finally {
      await context.dispose();
    }
    const entry = path.join(outdir, 'index.mjs');

    expect(readFileSync(entry, 'utf8')).not.toMatch(/\b(from|import)\s*["']\.\.?\//);
    const report = await loadEverything(entry);
    expect(report.reexports).toBeGreaterThan(0);
    expect(report.foreign).toEqual([]);
  });
});
