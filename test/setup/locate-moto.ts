/**
 * Where the test run's moto_server comes from, decided once before any test file runs: the one `MOTO_SERVER`
 * names, else one on PATH (or already in the project's `.venv-moto`), else one installed into `.venv-moto` with
 * pip when Python can make a virtual environment. When none can be had the run stops with one line saying how to
 * get it — never a failure in every file that needs it.
 *
 * The finder and the installer are passed in, so the decision is tested without Python or a network.
 */
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { findMotoServer, PROJECT_MOTO_VENV } from '../../src/local/moto';

/** How a moto_server was found. */
export type MotoSource = 'found' | 'installed';

/** The decision: a moto_server to use, or the one line that stops the run. */
export type MotoLocation = { ok: true; executable: string; source: MotoSource } | { ok: false; line: string };

/** What the decision needs from the machine. */
export interface MotoLocatorDeps {
  /** `MOTO_SERVER`, PATH, then the project's `.venv-moto`; undefined when none. Throws on a bad `MOTO_SERVER`. */
  find(): Promise<string | undefined>;
  /**
   * Installs moto[server] into the project's virtual environment and returns its moto_server, or a short reason
   * why it could not (no python3, no venv module, no package index).
   */
  install(): Promise<{ ok: true; executable: string } | { ok: false; reason: string }>;
}

const HOW =
  "pip install 'moto[server]' (or python3 -m venv .venv-moto && .venv-moto/bin/pip install 'moto[server]', or set MOTO_SERVER to its path)";

/** Finds moto_server, else installs it, else says in one line how to get it. */
export async function locateMotoServer(deps: MotoLocatorDeps): Promise<MotoLocation> {
  let found: string | undefined;
  try {
    found = await deps.find();
  } catch (error: unknown) {
    return { ok: false, line: `moto_server: ${firstLine(error)}; unset it or ${HOW}` };
  }
  if (found) return { ok: true, executable: found, source: 'found' };
  const installed = await deps.install();
  if (installed.ok) return { ok: true, executable: installed.executable, source: 'installed' };
  return {
    ok: false,
    line: `The tests need moto_server: it is not on PATH and could not be installed (${installed.reason}). Run: ${HOW}`,
  };
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}

/** Runs a command; resolves with its exit code and the tail of its output. Never throws. */
function run(
  command: string,
  args: string[],
  cwd: string,
): Promise<{ code: number | null; output: string; error?: string }> {
  return new Promise((resolve) => {
    let output = '';
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-4_000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', (error) => resolve({ code: null, output, error: error.message }));
    child.once('close', (code) => resolve({ code, output }));
  });
}

/** The last line of pip's or venv's output that says what went wrong. */
function reasonFrom(output: string, fallback: string): string {
  const lines = output
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  return lines.findLast((line) => line.startsWith('ERROR')) ?? lines.at(-1) ?? fallback;
}

/**
 * The machine's finder and installer, for `root` (the project folder). The install is `python3 -m venv
 * .venv-moto` then `.venv-moto/bin/pip install 'moto[server]'`, with no retries and a short network timeout so
 * that a machine without a package index fails in seconds; a venv left without moto is removed again.
 */
export function machineMotoDeps(root: string, env: NodeJS.ProcessEnv = process.env): MotoLocatorDeps {
  const venv = join(root, PROJECT_MOTO_VENV);
  return {
    find: () => findMotoServer(env, root),
    install: async () => {
      const created = await run('python3', ['-m', 'venv', PROJECT_MOTO_VENV], root);
      if (created.code !== 0) {
        await rm(venv, { recursive: true, force: true });
        return {
          ok: false,
          reason: created.error
            ? `python3: ${created.error}`
            : `python3 -m venv failed: ${reasonFrom(created.output, 'no output')}`,
        };
      }
      const pip = join(venv, 'bin', 'pip');
      const installed = await run(
        pip,
        [
          'install',
          '--quiet',
          '--disable-pip-version-check',
          '--retries',
          '0',
          '--timeout',
          '15',
          'moto[server]',
        ],
        root,
      );
      const executable = join(venv, 'bin', 'moto_server');
      if (installed.code !== 0) {
        await rm(venv, { recursive: true, force: true });
        return { ok: false, reason: `pip install failed: ${reasonFrom(installed.output, 'no output')}` };
      }
      return { ok: true, executable };
    },
  };
}
