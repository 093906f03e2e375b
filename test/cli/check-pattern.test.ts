import { Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { checkPatternCommand } from '../../src/cli/check-pattern';
import { UsageError } from '../../src/cli/command';
import { CIS44_EVENT_NAMES } from '../../src/domain/events';
import { CIS44_FILTER_PATTERN } from '../../src/domain/filter-pattern';

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

async function run(args: string[], stdin = ''): Promise<Run> {
  const stdout = collector();
  const stderr = collector();
  const code = await checkPatternCommand.run(args, {
    stdin: Readable.from(stdin === '' ? [] : [Buffer.from(stdin)]),
    stdout: stdout.stream,
    stderr: stderr.stream,
  });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

function json(result: Run): Record<string, unknown> {
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

const WITHOUT_TWO = CIS44_FILTER_PATTERN.replace('||($.eventName=PutUserPolicy)', '').replace(
  '||($.eventName=AttachGroupPolicy)',
  '',
);

describe('iam-changes check-pattern', () => {
  it('exits 0 with all 16 covered for the exact CIS pattern', async () => {
    const result = await run([CIS44_FILTER_PATTERN]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(json(result)).toEqual({
      valid: true,
      covered: [...CIS44_EVENT_NAMES],
      partial: [],
      missing: [],
    });
  });

  it('exits 1 and names the two events a pattern misses', async () => {
    const result = await run([WITHOUT_TWO]);
    expect(result.code).toBe(1);
    const output = json(result);
    expect(output.valid).toBe(true);
    expect(output.missing).toEqual(['PutUserPolicy', 'AttachGroupPolicy']);
    expect(output.covered).toHaveLength(14);
    expect(output).not.toHaveProperty('error');
  });

  it('exits 2 for an invalid pattern, with the position in the error', async () => {
    const pattern = '{ ($.eventName = PutRolePolicy) || }';
    const result = await run([pattern]);
    expect(result.code).toBe(2);
    const output = json(result);
    expect(output.valid).toBe(false);
    expect(output.position).toBe(pattern.indexOf('}', 5));
    expect(output.error).toMatch(new RegExp(`at position ${output.position}`));
    expect(output.covered).toEqual([]);
    expect(output.missing).toEqual([...CIS44_EVENT_NAMES]);
    expect(result.stderr).toBe(`iam-changes: invalid filter pattern: ${output.error as string}\n`);
  });

  it('reads the pattern from standard input with -, dropping the trailing newline', async () => {
    const result = await run(['-'], `${CIS44_FILTER_PATTERN}\n`);
    expect(result.code).toBe(0);
    expect(json(result).missing).toEqual([]);
  });

  it('reads a multi-line pattern from standard input', async () => {
    const pattern = `{\n${CIS44_EVENT_NAMES.map((name) => `  $.eventName = "${name}"`).join(' ||\n')}\n}\n`;
    const result = await run(['-'], pattern);
    expect(result.code).toBe(0);
  });

  it('exits 1 for a pattern from standard input that misses events', async () => {
    const result = await run(['-', '--compact'], `${WITHOUT_TWO}\r\n`);
    expect(result.code).toBe(1);
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
    expect(json(result).missing).toEqual(['PutUserPolicy', 'AttachGroupPolicy']);
  });

  it('exits 2 for an invalid pattern from standard input', async () => {
    const result = await run(['-'], '{ $.eventName == PutRolePolicy }\n');
    expect(result.code).toBe(2);
    expect(json(result).position).toBe(15);
  });

  it('takes a pattern starting with - after --, and reports what an excluded term restricts', async () => {
    const result = await run(['--', '-DEBUG']);
    // A role or policy whose name holds "DEBUG" would go uncounted.
    expect(result.code).toBe(1);
    expect(json(result).partial).toContainEqual({
      eventName: 'PutRolePolicy',
      condition: 'only when the record\'s text does not contain "DEBUG"',
    });
  });

  const ALL_CALLS = CIS44_FILTER_PATTERN.slice(1, -1);

  it.each([
    ['the caller type', '$.userIdentity.type = IAMUser', 'only when userIdentity.type is IAMUser'],
    ['the user agent', '$.userAgent = "aws-cli*"', 'only when userAgent matches aws-cli*'],
    [
      'the source address',
      '$.sourceIPAddress = "203.0.113.*"',
      'only when sourceIPAddress matches 203.0.113.*',
    ],
    ['the outcome', '$.errorCode NOT EXISTS', 'only when errorCode is absent'],
    ['not root', '$.userIdentity.type != "Root"', 'only when userIdentity.type is not Root'],
  ])('exits 1 with all 16 partial for a filter restricted by %s', async (_, restriction, condition) => {
    const result = await run([`{ (${ALL_CALLS}) && (${restriction}) }`]);
    expect(result.code).toBe(1);
    const output = json(result);
    expect(output.covered).toEqual([]);
    expect(output.missing).toEqual([...CIS44_EVENT_NAMES]);
    expect(output.partial).toEqual(CIS44_EVENT_NAMES.map((eventName) => ({ eventName, condition })));
  });

  it('refuses a missing or a split pattern as bad usage (exit 2 through main)', async () => {
    await expect(run([])).rejects.toBeInstanceOf(UsageError);
    await expect(run(['$.eventName', '=', 'PutRolePolicy'])).rejects.toThrow(/give one PATTERN \(got 3\)/);
  });

  it('describes itself', () => {
    expect(checkPatternCommand.name).toBe('check-pattern');
    expect(checkPatternCommand.usage).toContain(
      'exit codes: 0 all 16 calls fully covered, 1 some missing or partial, 2 the pattern',
    );
  });
});
