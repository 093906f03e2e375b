/**
 * What each Lambda bundles: Bolt belongs to the Slack function only. The notify and worker functions must not
 * load it (a cold start pays for every module), so their import graphs — as esbuild resolves them for
 * `serverless-esbuild` — are checked here.
 */
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

async function bundledPackages(entry: string): Promise<string[]> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    logLevel: 'silent',
  });
  const packages = Object.keys(result.metafile.inputs).flatMap(
    (input) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1] ?? [],
  );
  return [...new Set(packages)];
}

describe('handler bundles', () => {
  it.each(['notify', 'worker'])('the %s handler does not bundle Bolt', async (name) => {
    const packages = await bundledPackages(`src/handlers/${name}.ts`);
    expect(packages).toContain('@slack/web-api');
    expect(packages).not.toContain('@slack/bolt');
  });

  it('the slack handler bundles Bolt', async () => {
    expect(await bundledPackages('src/handlers/slack.ts')).toContain('@slack/bolt');
  });
});
