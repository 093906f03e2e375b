#!/usr/bin/env node
// Runs a TypeScript file straight from source through tsx: `node bin/run-ts.mjs bench/explain-render.ts [args…]`.
// The script sees its own path as process.argv[1] and its arguments from process.argv[2] on, as if run directly.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node bin/run-ts.mjs FILE.ts [args…]\n');
  process.exit(2);
}
register();
const path = resolve(process.cwd(), file);
process.argv.splice(1, 2, path);
await import(pathToFileURL(path).href);
