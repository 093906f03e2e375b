#!/usr/bin/env node
// Runs the CLI from its bundle (dist/cli/, built by `npm ci` through the `prepare` script) while the bundle is
// fresh: built after every source it came from was last changed. Otherwise (no bundle after
// `npm ci --ignore-scripts`, or a source edited since) it runs the TypeScript straight from src/ through tsx,
// which is slower to start but always current. IAM_CHANGES_CLI=bundle or =source picks one explicitly.
import { readFileSync, statSync } from 'node:fs';
import module from 'node:module';

// Node 22.1 and later keep compiled code between runs (a no-op on Node 20, which lacks it).
module.enableCompileCache?.();
// The AWS SDK's notice that its later releases need Node 22 (on every command that reaches AWS): this CLI supports
// Node 20 on purpose (package.json engines), so the SDK's own switch turns the notice off unless set otherwise.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const root = new URL('../', import.meta.url);

/** The bundle's entry URL when it is there and no source is newer than it, else undefined. */
function freshBundle() {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(new URL('dist/cli/build.json', root), 'utf8'));
  } catch {
    return undefined;
  }
  for (const source of manifest.sources) {
    const stats = statSync(new URL(source, root), { throwIfNoEntry: false });
    if (stats === undefined || stats.mtimeMs > manifest.builtAt) return undefined;
  }
  return new URL(`dist/cli/${manifest.entry}`, root).href;
}

async function loadMain() {
  const mode = process.env.IAM_CHANGES_CLI;
  if (mode === 'bundle') return (await import(new URL('dist/cli/cli.mjs', root).href)).main;
  const bundle = mode === 'source' ? undefined : freshBundle();
  if (bundle) return (await import(bundle)).main;
  const { register } = await import('tsx/esm/api');
  register();
  return (await import('../src/cli.ts')).main;
}

const main = await loadMain();
// Standard input is opened only by a command that reads it (opening it costs every other command time).
process.exitCode = await main(process.argv.slice(2), {
  get stdin() {
    return process.stdin;
  },
  stdout: process.stdout,
  stderr: process.stderr,
});
// A command that has returned is done: should anything still hold the event loop (a socket a library left
// open), the process ends anyway once its output is out.
setTimeout(() => process.exit(), 1_000).unref();
