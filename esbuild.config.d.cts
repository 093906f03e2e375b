import type { BuildOptions } from 'esbuild';

/** The options `serverless-esbuild` takes (see `esbuild.config.cjs`). */
declare function pluginOptions(): BuildOptions & { outputFileExtension: string; exclude: string[] };
declare namespace pluginOptions {
  /** The same options as esbuild itself takes them. */
  function esbuildOptions(): BuildOptions;
}
export = pluginOptions;
