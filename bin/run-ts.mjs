#!/usr/bin/env node
// Runs a TypeScript file (a benchmark) from source through tsx: node bin/run-ts.mjs bench/<name>.ts
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';

const file = process.argv[2];
if (!file) {
  console.error('usage: node bin/run-ts.mjs FILE.ts [args…]');
  process.exit(2);
}
register();
await import(pathToFileURL(path.resolve(process.cwd(), file)).href);
