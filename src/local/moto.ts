/**
 * The local runtime's AWS: a `moto_server` child process on a free loopback port, when `moto_server` is on PATH.
 * It is started with AWS managed policies loaded (so `AdministratorAccess` exists to attach), in a process group
 * of its own (a Ctrl-C in the terminal reaches the runtime, which stops it in order), and stopped by that group —
 * SIGTERM, then SIGKILL — so no emulator, nor anything it started, outlives the runtime; if the process exits
 * without stopping it (an uncaught error), an exit hook kills the group.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { createServer } from 'node:net';
import { delimiter, join, resolve } from 'node:path';

/** A running moto_server started by the local runtime. */
export interface LocalMoto {
  /** `http://127.0.0.1:PORT`. */
  endpoint: string;
  pid: number;
  /** Stops it by PID and waits until it has exited. Safe to call twice. */
  stop(): Promise<void>;
  /** Kills it (SIGKILL to its process group) at once, without waiting. */
  kill(): void;
}

/** moto_server exited or did not answer in time. */
export class MotoStartError extends Error {
  override name = 'MotoStartError';
}

const READY_TIMEOUT_MS = 30_000;
/** SIGTERM, then SIGKILL after this long: `npm start` stops within 3 s. */
const STOP_GRACE_MS = 1_500;
const STDERR_TAIL_CHARS = 4_000;

/** The full path of an executable on PATH, or undefined. */
export async function findOnPath(
  command: string,
  path: string | undefined = process.env.PATH,
): Promise<string | undefined> {
  for (const directory of (path ?? '').split(delimiter)) {
    if (directory === '') continue;
    const candidate = join(directory, command);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory.
    }
  }
  return undefined;
}

/** The environment variable that names the moto_server executable to use, ahead of PATH. */
export const MOTO_SERVER_ENV = 'MOTO_SERVER';

/** The project-local virtual environment the test setup installs moto into when it is nowhere else (gitignored). */
export const PROJECT_MOTO_VENV = '.venv-moto';

/**
 * The moto_server to run: `MOTO_SERVER` when set (it must be executable: a wrong path is an error, not a fallback
 * to some other moto), else the first on PATH, else the project's own `.venv-moto/bin/moto_server` under `cwd`.
 * Undefined when there is none.
 */
export async function findMotoServer(
  env: Record<string, string | undefined> = process.env,
  cwd: string = process.cwd(),
): Promise<string | undefined> {
  const named = env[MOTO_SERVER_ENV]?.trim();
  if (named) {
    const path = resolve(cwd, named);
    if (await isExecutable(path)) return path;
    throw new MotoStartError(`${MOTO_SERVER_ENV}=${named} is not an executable file`);
  }
  const onPath = await findOnPath('moto_server', env.PATH);
  if (onPath) return onPath;
  const inVenv = join(resolve(cwd, PROJECT_MOTO_VENV), 'bin', 'moto_server');
  return (await isExecutable(inVenv)) ? inVenv : undefined;
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** A free TCP port on 127.0.0.1: bind port 0, read what the kernel chose, release it. */
export function freePort(): Promise<number> {
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

/** Signals the process group `pid` leads (the child was spawned detached, as its leader). */
function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(-pid, name);
  } catch (error: unknown) {
    // ESRCH: it is already gone.
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

async function stopByPid(child: ChildProcess, pid: number): Promise<void> {
  if (exited(child)) return;
  signal(pid, 'SIGTERM');
  if (await waitForExit(child, STOP_GRACE_MS)) return;
  signal(pid, 'SIGKILL');
  await waitForExit(child, STOP_GRACE_MS);
}

/**
 * Starts `moto_server` from `executable` on a free loopback port and resolves once it answers. Throws
 * {@link MotoStartError} when it exits early or does not answer within 30 s (it is stopped first).
 */
export async function startLocalMoto(
  executable: string,
  env: Record<string, string> = {},
): Promise<LocalMoto> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(executable, ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, MOTO_IAM_LOAD_MANAGED_POLICIES: 'true', ...env },
    detached: true,
  });
  // moto logs every request on stderr: drain it (a full pipe would block it) and keep a tail for errors.
  let stderrTail = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
  });
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });
  const pid = child.pid;
  // Should this process end without stop() (an uncaught error), the emulator must not outlive it.
  const onExit = () => {
    if (pid !== undefined && !exited(child)) signal(pid, 'SIGKILL');
  };
  process.once('exit', onExit);
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (pid === undefined ? Promise.resolve() : stopByPid(child, pid)).finally(() => {
      process.off('exit', onExit);
    });
    return stopping;
  };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (spawnError)
      throw new MotoStartError(`could not start moto_server: ${spawnError.message}`, { cause: spawnError });
    if (exited(child)) {
      throw new MotoStartError(
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
      await stop();
      throw new MotoStartError(
        `moto_server did not answer on ${endpoint} within ${READY_TIMEOUT_MS} ms:\n${stderrTail}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (pid === undefined) throw new MotoStartError('moto_server started without a process id');
  return { endpoint, pid, stop, kill: onExit };
}
