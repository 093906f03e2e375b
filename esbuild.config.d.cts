import type { BuildOptions, Metafile } from 'esbuild';

/** The options `serverless-esbuild` takes (see `esbuild.config.cjs`). */
declare function pluginOptions(): BuildOptions & { outputFileExtension: string; exclude: string[] };
declare namespace pluginOptions {
  /** The same options as esbuild itself takes them. */
  function esbuildOptions(): BuildOptions;
  /** The options of the CLI bundle (`dist/cli/`). */
  function cliOptions(): BuildOptions;
  /** What `dist/cli/build.json` records: when the bundle was built, its entry, and the sources it came from. */
  interface CliManifest {
    builtAt: number;
    entry: string;
    sources: string[];
  }
  /** Builds the CLI into `dist/cli/` under `root` (default: the repository) and returns its manifest. */
  function buildCli(root?: string): Promise<CliManifest>;
  /** `dist/cli`, relative to the repository root. */
  const CLI_OUTDIR: string;
  /** The outputs `start` imports statically, transitively, itself included: what a cold start of it reads. */
  function staticClosure(outputs: Metafile['outputs'], start: string): Set<string>;
}
export = pluginOptions;
