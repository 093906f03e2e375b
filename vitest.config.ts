import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Before any test file, each in a file of its own: a moto_server for the run (or one line saying how to get
    // one), and the CLI bundle the tests that spawn the CLI run.
    globalSetup: ['test/setup/moto.ts', 'test/setup/build-cli.ts'],
    // The functions' structured log lines of a passing test are not printed (see the file).
    setupFiles: ['test/setup/quiet-logs.ts'],
    // What a passing test writes to the console is not printed either; a failing test's is.
    silent: 'passed-only',
    env: {
      // The AWS SDK's notice that its later releases will need Node 22, which every test process would print: the
      // project supports Node 20 on purpose (package.json engines), so the notice is switched off by the SDK's own flag.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    // Most files wait on other processes (moto_server, dynalite, spawned CLIs and bundles) more than they compute, so
    // one file more than the cores keeps them busy; vitest's default (cores - 1) runs one file at a time on 2 cores.
    maxWorkers: availableParallelism() + 1,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default', 'json'],
    outputFile: { json: '.build/test-report.json' },
  },
});
