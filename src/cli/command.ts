import { readFile } from 'node:fs/promises';

/** The streams the CLI talks through, so tests run it in-process. */
export interface CliIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** The environment (defaults to `process.env`); commands that reach AWS read their settings from it. */
  env?: Record<string, string | undefined>;
}

/** A mistake in how the CLI was called or what it was given: exit code 2 with one line. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * One `iam-changes` subcommand. `run` returns the exit code; it throws {@link UsageError} or `InputError` for
 * bad input (exit 2, one line) and nothing else on purpose.
 */
export interface CliCommand {
  name: string;
  /** The command's own help, printed by `iam-changes <name> --help`. */
  usage: string;
  run(args: string[], io: CliIo): Promise<number>;
}

async function readStream(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads FILE, or standard input for `-` (and when no FILE is given and input is piped). */
export async function readSource(file: string | undefined, io: CliIo): Promise<string> {
  if (file === undefined || file === '-') {
    if (file === undefined && io.stdin.isTTY)
      throw new UsageError('give a FILE, or pipe JSON on standard input');
    return readStream(io.stdin);
  }
  try {
    return await readFile(file, 'utf8');
  } catch (error: unknown) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new UsageError(`cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : code}`);
  }
}

/** Prints JSON, pretty unless `compact`. */
export function writeJson(io: CliIo, value: unknown, compact = false): void {
  io.stdout.write(`${compact ? JSON.stringify(value) : JSON.stringify(value, null, 2)}\n`);
}
