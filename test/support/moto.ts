/**
 * A real `moto_server` for tests that talk to AWS APIs moto emulates (CloudWatch Logs, IAM, SNS, SQS, …): one
 * process per test file, on a free loopback port, stopped by PID in `afterAll`. It is the local runtime's own
 * starter (`src/local/moto.ts`), so tests and `npm start` run the emulator the same way. Which executable: the
 * one the global setup (`test/setup/moto.ts`) found or installed, handed down as `MOTO_SERVER`.
 */

import { findMotoServer, MOTO_SERVER_ENV, startLocalMoto } from '../../src/local/moto';
import type { LocalRuntime } from '../../src/local/runtime';

/** A running moto_server. */
export interface MotoServer {
  /** `http://127.0.0.1:PORT`, to pass as a client's `endpoint` (or `AWS_ENDPOINT_URL`). */
  endpoint: string;
  port: number;
  /** Stops the server by PID (SIGTERM, then SIGKILL after a grace period) and waits until it has exited. */
  stop(): Promise<void>;
}

const INSTALL_HINT = "install it with pip install 'moto[server]' (or set MOTO_SERVER to its path)";

/**
 * Starts `moto_server -H 127.0.0.1 -p PORT` and resolves once it answers. `MOTO_IAM_LOAD_MANAGED_POLICIES=true`
 * is set unless `env` overrides it, so AWS managed policies exist.
 *
 * Throws when moto_server is not installed — in CI and locally alike, so tests never skip silently.
 */
export async function startMoto(env: Record<string, string> = {}): Promise<MotoServer> {
  const executable = await findMotoServer(process.env);
  if (!executable) {
    throw new Error(
      process.env.CI
        ? `moto_server is required in CI and was not found on PATH: ${INSTALL_HINT}`
        : `moto_server was not found on PATH: ${INSTALL_HINT}`,
    );
  }
  const moto = await startLocalMoto(executable, env);
  return { endpoint: moto.endpoint, port: Number(new URL(moto.endpoint).port), stop: () => moto.stop() };
}

/** Client configuration for a moto endpoint: us-east-1 and moto's dummy credentials. */
export function awsTestEnv(endpoint: string) {
  return {
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  };
}

/**
 * The environment a test hands the local runtime so that it starts the same moto_server as every other test:
 * PATH and `MOTO_SERVER`, nothing else of this process (no credentials, no `AWS_ENDPOINT_URL`).
 */
export function localRuntimeEnv(): Record<string, string | undefined> {
  return { PATH: process.env.PATH, [MOTO_SERVER_ENV]: process.env[MOTO_SERVER_ENV] };
}

/**
 * The moto endpoint of a local runtime that must be running on moto. Throws otherwise, so a test's own client is
 * never built without an endpoint — which would send its calls to the real AWS.
 */
export function runtimeMotoEndpoint(runtime: LocalRuntime): string {
  if (runtime.mode.aws !== 'moto' || runtime.urls.aws === undefined) {
    throw new Error(`the local runtime is not on moto_server (AWS: ${runtime.mode.aws}): ${INSTALL_HINT}`);
  }
  return runtime.urls.aws;
}
