import { Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function collector(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      callback();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

async function run(args: string[], stdin: string): Promise<Run> {
  const stdout = collector();
  const stderr = collector();
  const code = await main(['check-routing', ...args], {
    stdin: Readable.from([Buffer.from(stdin)]),
    stdout: stdout.stream,
    stderr: stderr.stream,
  });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

describe('iam-changes check-routing', () => {
  it('prints the rules as notify reads them and exits 0', async () => {
    const result = await run(
      ['-', '--compact'],
      '[{"ou":"Root/Sandbox","level":"high+","channel":"#sandbox"}]',
    );
    expect(result).toEqual({
      code: 0,
      stdout: '{"valid":true,"rules":[{"channel":"#sandbox","ou":["Root/Sandbox"],"level":["high+"]}]}\n',
      stderr: '',
    });
  });

  it('names the bad rule in one line on stderr and exits 2', async () => {
    const result = await run(
      ['-'],
      '[{"ou":"Root/Sandbox","channel":"#sandbox"},{"name":"typo","levl":"high","channel":"#x"}]',
    );
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'iam-changes: routing rule 2 (typo): unknown field levl (fields: name, account, ou, level, event, actor, channel)\n',
    );
  });

  it('refuses a missing table as bad usage', async () => {
    const result = await run([], '');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/give the routing table FILE/);
  });
});
