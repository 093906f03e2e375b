/**
 * A real `moto_server` for tests that talk to AWS APIs moto emulates (CloudWatch Logs, IAM, SNS, …):
 * one process per test file, on a free loopback port, stopped in `afterAll`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';

/** A running moto_server. */
export interface MotoServer {
  /** `http://127.0.0.1:PORT`, to pass as a client's `endpoint` (or `AWS_ENDPOINT_URL`). */
  endpoint: string;
  port: number;
  /** Stops the server (SIGTERM, then SIGKILL after a grace period) and waits until it has exited. */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 5_000;
const STDERR_TAIL_CHARS = 4_000;
const INSTALL_HINT = "install it with pip install 'moto[server]'";

/** A free TCP port on 127.0.0.1: bind port 0, read what the kernel chose, release it. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('could not read the port of a free-port probe'));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, timeoutMs);
    function onExit(): void {
      clearTimeout(timer);
      resolve(true);
    }
    child.once('exit', onExit);
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (exited(child)) return;
  child.kill('SIGTERM');
  if (await waitForExit(child, STOP_GRACE_MS)) return;
  child.kill('SIGKILL');
  await waitForExit(child, STOP_GRACE_MS);
}

/**
 * Starts `moto_server -H 127.0.0.1 -p PORT` and resolves once `GET /moto-api/` answers (up to 20 s).
 * `MOTO_IAM_LOAD_MANAGED_POLICIES=true` is set unless `env` overrides it, so AWS managed policies exist.
 *
 * Throws when moto_server is not installed — in CI and locally alike, so tests never skip silently.
 */
export async function startMoto(env: Record<string, string> = {}): Promise<MotoServer> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    detached: false,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, MOTO_IAM_LOAD_MANAGED_POLICIES: 'true', ...env },
  });

  // Drain stderr (moto logs every request there; a full pipe would block it) and keep a tail for errors.
  let stderrTail = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
  });

  let spawnError: NodeJS.ErrnoException | undefined;
  child.once('error', (error: NodeJS.ErrnoException) => {
    spawnError = error;
  });

  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (true) {
    if (spawnError) {
      if (spawnError.code === 'ENOENT') {
        const message = process.env.CI
          ? `moto_server is required in CI and was not found on PATH: ${INSTALL_HINT}`
          : `moto_server is required by these tests (they never skip) and was not found on PATH: ${INSTALL_HINT}`;
        throw new Error(message, { cause: spawnError });
      }
      throw new Error(`could not start moto_server: ${spawnError.message}`, { cause: spawnError });
    }
    if (exited(child)) {
      throw new Error(
        `moto_server exited (code ${child.exitCode}, signal ${child.signalCode}) before answering:\n${stderrTail}`,
      );
    }
    try {
      const response = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1_000) });
      await response.arrayBuffer();
      if (response.ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await stopChild(child);
      throw new Error(
        `moto_server did not answer on ${endpoint} within ${READY_TIMEOUT_MS} ms:\n${stderrTail}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  return { endpoint, port, stop: () => stopChild(child) };
}

/** Client configuration for a moto endpoint: us-east-1 and moto's dummy credentials. */
export function awsTestEnv(endpoint: string) {
  return {
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  };
}
