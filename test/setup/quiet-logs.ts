/**
 * Vitest setup file (runs in every test worker before each file): the functions' structured log lines — JSON
 * lines the Powertools loggers write straight to stdout and stderr, past Vitest's console capture — are held
 * per test and printed only when that test fails. A passing test prints nothing; a test that reads the lines
 * (by spying on `process.stdout.write`) still sees them, since its spy sits in front of this filter.
 */
import { beforeEach } from 'vitest';

/** A Powertools log record: one JSON object per line, opening with its level. */
const STRUCTURED_LOG = /^\{"level":"(?:TRACE|DEBUG|INFO|WARN|ERROR|CRITICAL)"/;

let held: Array<{ stream: NodeJS.WriteStream; text: string }> = [];

function holdStructuredLines(stream: NodeJS.WriteStream): (text: string) => void {
  const write = stream.write.bind(stream) as (chunk: string | Uint8Array, ...rest: unknown[]) => boolean;
  stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    if (!STRUCTURED_LOG.test(text)) return write(chunk, ...rest);
    held.push({ stream, text });
    const callback = rest.find((item): item is () => void => typeof item === 'function');
    callback?.();
    return true;
  }) as typeof stream.write;
  return (text) => {
    write(text);
  };
}

const print = new Map<NodeJS.WriteStream, (text: string) => void>([
  [process.stdout, holdStructuredLines(process.stdout)],
  [process.stderr, holdStructuredLines(process.stderr)],
]);

beforeEach(({ onTestFailed }) => {
  held = [];
  onTestFailed(() => {
    for (const { stream, text } of held) print.get(stream)?.(text);
  });
});
