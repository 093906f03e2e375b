/**
 * Vitest global setup: builds the CLI bundle (`dist/cli/`) once before any test runs, as `npm ci` does, so the
 * tests that spawn `bin/iam-changes.mjs` run a bundle built from the sources under test — never one left over
 * from an earlier run. (The bin would run the sources through tsx if it were stale; building makes the choice
 * deterministic and the spawned commands fast.)
 */
import path from 'node:path';
import { buildCli } from '../../esbuild.config.cjs';

export default async function setup(): Promise<void> {
  await buildCli(path.resolve(import.meta.dirname, '../..'));
}
