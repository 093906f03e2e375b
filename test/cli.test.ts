import { execFile } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli';
import { assertBlockKitLimits } from './support/block-kit-limits';

const REPO_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const FIXTURES = join(REPO_ROOT, 'test', 'fixtures');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function fixtureFiles(folder: string): string[] {
  return readdirSync(join(FIXTURES, folder))
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => join(FIXTURES, folder, name));
}

const RECORD_FILES = fixtureFiles('cloudtrail');
const ENVELOPE_FILES = fixtureFiles('envelopes');
const BAD_FILES = readdirSync(join(FIXTURES, 'bad'))
  .sort()
  .map((name) => join(FIXTURES, 'bad', name));

const TERRAFORM = join(FIXTURES, 'cloudtrail', 'terraform-attach-role-policy.json');
const CRITICAL_ATTACH = join(FIXTURES, 'cloudtrail', 'attach-role-policy.json');

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

/** Runs the CLI in-process with fake streams; `stdin` is what the command reads from standard input. */
async function runCli(argv: string[], stdin = ''): Promise<Run> {
  const stdout = collector();
  const stderr = collector();
  const code = await main(argv, {
    stdin: Readable.from(stdin === '' ? [] : [Buffer.from(stdin)]),
    stdout: stdout.stream,
    stderr: stderr.stream,
  });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

/**
 * Runs the real `bin/iam-changes.mjs` in a child process from the repository root (or `root`): the bundle the
 * global setup built, unless `env` picks otherwise.
 */
function runBin(
  argv: string[],
  stdin?: string,
  env: Record<string, string> = {},
  root = REPO_ROOT,
): Promise<Run> {
  return new Promise((done, fail) => {
    const child = execFile(
      process.execPath,
      ['bin/iam-changes.mjs', ...argv],
      { cwd: root, env: { ...process.env, ...env }, timeout: 20_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          fail(error);
          return;
        }
        done({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
      },
    );
    child.stdin?.end(stdin ?? '');
  });
}

type Json = Record<string, unknown>;

function parseOutput(run: Run): Json {
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const value: unknown = JSON.parse(run.stdout);
  expect(value).toBeTypeOf('object');
  return value as Json;
}

function expectOneErrorLine(run: Run): void {
  expect(run.code).toBe(2);
  expect(run.stdout).toBe('');
  expect(run.stderr).toMatch(/^iam-changes: [^\n]+\n$/);
  expect(run.stderr).not.toMatch(/^ {4}at /m);
}

function expectDocumentedChange(change: Json): void {
  for (const key of ['eventId', 'eventName', 'eventSource', 'eventTime', 'accountId', 'region']) {
    expect(change[key], key).toBeTypeOf('string');
  }
  expect(change.eventId).not.toBe('');
  expect(Number.isNaN(Date.parse(String(change.eventTime)))).toBe(false);
  expect(change.cis44).toBeTypeOf('boolean');
  expect(['success', 'failed']).toContain(change.outcome);

  const actor = change.actor as Json;
  for (const key of ['type', 'arn', 'name', 'sourceIp', 'userAgent', 'client']) {
    expect(actor[key], `actor.${key}`).toBeTypeOf('string');
  }
  const target = change.target as Json;
  expect(target.kind).toBeTypeOf('string');
  expect(target.name).toBeTypeOf('string');
  expect(Array.isArray(change.documents)).toBe(true);

  const risk = change.risk as Json;
  expect(['critical', 'high', 'medium', 'low', 'info']).toContain(risk.level);
  expect(Array.isArray(risk.reasons)).toBe(true);
  expect((risk.reasons as unknown[]).length).toBeGreaterThan(0);

  const revert = change.revert as Json;
  expect(revert.supported).toBeTypeOf('boolean');
  expect(Array.isArray(revert.steps)).toBe(true);
  expect(Array.isArray(revert.cli)).toBe(true);
}

function expectDocumentedAlarm(alarm: Json): void {
  for (const key of [
    'name',
    'state',
    'previousState',
    'accountId',
    'region',
    'metricNamespace',
    'metricName',
    'windowStart',
    'windowEnd',
  ]) {
    expect(alarm[key], key).toBeTypeOf('string');
  }
  expect(['ALARM', 'OK', 'INSUFFICIENT_DATA']).toContain(alarm.state);
  expect(Date.parse(String(alarm.windowStart))).toBeLessThan(Date.parse(String(alarm.windowEnd)));
}

function expectExplanation(output: Json): { changes: Json[]; alarms: Json[]; skipped: Json[] } {
  expect(Object.keys(output).sort()).toEqual(['alarms', 'changes', 'skipped']);
  for (const key of ['changes', 'alarms', 'skipped'] as const) expect(Array.isArray(output[key])).toBe(true);
  const explanation = output as { changes: Json[]; alarms: Json[]; skipped: Json[] };
  explanation.changes.forEach(expectDocumentedChange);
  explanation.alarms.forEach(expectDocumentedAlarm);
  for (const skipped of explanation.skipped) expect(skipped.reason).toBeTypeOf('string');
  expect(explanation.changes.length + explanation.alarms.length + explanation.skipped.length).toBeGreaterThan(
    0,
  );
  return explanation;
}

function levelOf(change: Json | undefined): unknown {
  return (change?.risk as Json | undefined)?.level;
}

function messagesOf(output: Json): Array<{ text: string; blocks: unknown[] }> {
  expect(Object.keys(output)).toEqual(['messages']);
  expect(Array.isArray(output.messages)).toBe(true);
  return output.messages as Array<{ text: string; blocks: unknown[] }>;
}

describe('iam-changes CLI', () => {
  describe('in-process', () => {
    it.each(RECORD_FILES.map((file) => [file.slice(FIXTURES.length + 1), file]))(
      'explains %s with exit 0 and the documented fields',
      async (_name, file) => {
        const explanation = expectExplanation(parseOutput(await runCli(['explain', file])));

        expect(explanation.alarms).toEqual([]);
        expect(explanation.changes.length + explanation.skipped.length).toBe(1);
      },
    );

    it.each(ENVELOPE_FILES.map((file) => [file.slice(FIXTURES.length + 1), file]))(
      'explains %s with exit 0 and the documented fields',
      async (_name, file) => {
        expectExplanation(parseOutput(await runCli(['explain', file])));
      },
    );

    it('finds the alarms and the records inside the envelopes', async () => {
      const alarm = expectExplanation(
        parseOutput(await runCli(['explain', join(FIXTURES, 'envelopes', 'lambda-sns-alarm.json')])),
      );
      const logFile = expectExplanation(
        parseOutput(await runCli(['explain', join(FIXTURES, 'envelopes', 'cloudtrail-log-file.json')])),
      );

      expect(alarm.alarms.map((entry) => entry.name)).toEqual(['CIS-4.4-IAMPolicyChanges']);
      expect(logFile.changes.map((entry) => entry.eventName)).toEqual(['AttachRolePolicy', 'CreateUser']);
      expect(logFile.skipped).toEqual([expect.objectContaining({ reason: 'read-only IAM call' })]);
    });

    it.each([...RECORD_FILES, ...ENVELOPE_FILES].map((file) => [file.slice(FIXTURES.length + 1), file]))(
      'renders %s as messages that keep every Block Kit limit',
      async (_name, file) => {
        const explained = expectExplanation(parseOutput(await runCli(['explain', file])));
        const messages = messagesOf(parseOutput(await runCli(['render', file])));

        expect(messages).toHaveLength(explained.changes.length + explained.alarms.length);
        for (const message of messages) {
          expect(message.text).toBeTypeOf('string');
          assertBlockKitLimits(message);
        }
      },
    );

    it('reads standard input for "explain -" and gives what the file gives', async () => {
      const text = readFileSync(CRITICAL_ATTACH, 'utf8');

      const fromStdin = parseOutput(await runCli(['explain', '-'], text));
      const fromFile = parseOutput(await runCli(['explain', CRITICAL_ATTACH]));

      expect(fromStdin).toEqual(fromFile);
      expect(expectExplanation(fromStdin).changes).toHaveLength(1);
    });

    it('reads standard input when no FILE is given and stdin is not a terminal', async () => {
      const text = readFileSync(join(FIXTURES, 'envelopes', 'alarm-message.json'), 'utf8');

      const messages = messagesOf(parseOutput(await runCli(['render'], text)));

      expect(messages).toHaveLength(1);
      expect(messages[0]?.text).toMatch(/^ALARM: CIS-4\.4-IAMPolicyChanges/);
    });

    it.each(BAD_FILES.map((file) => [file.slice(FIXTURES.length + 1), file]))(
      'rejects %s with exit 2, one line on stderr and nothing on stdout',
      async (_name, file) => {
        expectOneErrorLine(await runCli(['explain', file]));
        expectOneErrorLine(await runCli(['render', file]));
      },
    );

    it.each<[string, RegExp]>([
      ['empty.txt', /is empty/],
      ['not-json.txt', /is not JSON/],
      ['unknown-shape.json', /unrecognised input/],
      ['sns-message-not-json.json', /Message is not JSON/],
      ['eventbridge-non-cloudtrail.json', /EC2 Instance State-change Notification.*no CloudTrail record/],
    ])('says what was wrong with bad/%s', async (name, message) => {
      const run = await runCli(['explain', join(FIXTURES, 'bad', name)]);

      expect(run.stderr).toMatch(message);
    });

    it('rejects empty standard input with exit 2 and one line', async () => {
      const run = await runCli(['explain', '-'], '   \n');

      expectOneErrorLine(run);
      expect(run.stderr).toMatch(/empty/);
    });

    it('rejects a missing file with exit 2 and one line naming it', async () => {
      const missing = join(FIXTURES, 'no-such-fixture.json');

      const run = await runCli(['explain', missing]);

      expectOneErrorLine(run);
      expect(run.stderr).toBe(`iam-changes: cannot read ${missing}: no such file\n`);
    });

    it('rejects an unknown command with exit 2 and one line', async () => {
      const run = await runCli(['frobnicate', CRITICAL_ATTACH]);

      expectOneErrorLine(run);
      expect(run.stderr).toMatch(/unknown command "frobnicate"/);
    });

    it('rejects an unknown option with exit 2 and one line', async () => {
      expectOneErrorLine(await runCli(['explain', '--frobnicate', CRITICAL_ATTACH]));
    });

    it('lowers a change by an expected actor one level and says so', async () => {
      const plain = expectExplanation(parseOutput(await runCli(['explain', TERRAFORM])));
      const lowered = expectExplanation(
        parseOutput(
          await runCli(['explain', TERRAFORM, '--expected-actor', 'arn:aws:iam::*:role/terraform-ci']),
        ),
      );

      const before = plain.changes[0]?.risk as { level: string; reasons: string[] };
      const after = lowered.changes[0]?.risk as {
        level: string;
        reasons: string[];
        expectedActor?: { pattern: string; originalLevel: string };
      };
      expect(before.level).toBe('low');
      expect(after.level).toBe('info');
      expect(after.expectedActor).toEqual({
        pattern: 'arn:aws:iam::*:role/terraform-ci',
        originalLevel: 'low',
      });
      expect(after.reasons.at(-1)).toMatch(/expected actor .*terraform-ci.*lowered from low/);
    });

    it('leaves the level alone when the expected-actor glob does not match', async () => {
      const output = expectExplanation(
        parseOutput(
          await runCli(['explain', TERRAFORM, '--expected-actor', 'arn:aws:iam::*:role/someone-else']),
        ),
      );

      expect(levelOf(output.changes[0])).toBe('low');
    });

    it('mentions @here on a critical change, and not with --no-here', async () => {
      const [withHere] = messagesOf(parseOutput(await runCli(['render', CRITICAL_ATTACH])));
      const [withoutHere] = messagesOf(parseOutput(await runCli(['render', CRITICAL_ATTACH, '--no-here'])));

      expect(withHere?.text).toMatch(/^<!here> CRITICAL/);
      expect(JSON.stringify(withHere)).toContain('<!here>');
      expect(withoutHere?.text).toMatch(/^CRITICAL/);
      expect(JSON.stringify(withoutHere)).not.toContain('<!here>');
      assertBlockKitLimits(withoutHere ?? {});
    });

    it('prints one line of JSON with --compact', async () => {
      const run = await runCli(['explain', CRITICAL_ATTACH, '--compact']);

      expect(run.code).toBe(0);
      expect(run.stdout.trimEnd().split('\n')).toHaveLength(1);
      expect(JSON.parse(run.stdout)).toEqual(JSON.parse((await runCli(['explain', CRITICAL_ATTACH])).stdout));
    });

    it.each([['help'], ['--help'], ['-h']])('prints the usage for %s with exit 0', async (arg) => {
      const run = await runCli([arg]);

      expect(run.code).toBe(0);
      expect(run.stderr).toBe('');
      expect(run.stdout).toMatch(/^usage: iam-changes <command>/);
      expect(run.stdout).toContain('explain [FILE|-]');
    });

    it('shows the usage with exit 2 when no command is given', async () => {
      const run = await runCli([]);

      expect(run.code).toBe(2);
      expect(`${run.stdout}${run.stderr}`).toMatch(/^usage: iam-changes/);
    });
  });

  describe('bin/iam-changes.mjs as a child process', () => {
    it('explains a fixture file with exit 0', async () => {
      const run = await runBin(['explain', 'test/fixtures/cloudtrail/attach-role-policy.json']);

      const explanation = expectExplanation(parseOutput(run));
      expect(explanation.changes.map((change) => change.eventName)).toEqual(['AttachRolePolicy']);
      expect(levelOf(explanation.changes[0])).toBe('critical');
    });

    it('renders standard input ("render -") into messages within the limits', async () => {
      const text = readFileSync(join(FIXTURES, 'envelopes', 'lambda-sns-eventbridge.json'), 'utf8');

      const run = await runBin(['render', '-', '--compact'], text);

      const messages = messagesOf(parseOutput(run));
      expect(messages).toHaveLength(1);
      for (const message of messages) assertBlockKitLimits(message);
    });

    it('exits 2 with one line and no stack trace on input that is not JSON', async () => {
      const run = await runBin(['explain', 'test/fixtures/bad/not-json.txt']);

      expectOneErrorLine(run);
      expect(run.stderr).toMatch(/^iam-changes: the input is not JSON/);
    });

    it('exits 2 with one line for a missing file', async () => {
      expectOneErrorLine(await runBin(['explain', 'test/fixtures/no-such-fixture.json']));
    });

    it('prints the usage for help with exit 0', async () => {
      const run = await runBin(['help']);

      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^usage: iam-changes/);
    });
  });

  describe('bin/iam-changes.mjs: bundle or source', () => {
    it('runs the same commands from the bundle and from source (IAM_CHANGES_CLI=bundle / source)', async () => {
      const fromBundle = await runBin(['explain', CRITICAL_ATTACH], undefined, { IAM_CHANGES_CLI: 'bundle' });
      const fromSource = await runBin(['explain', CRITICAL_ATTACH], undefined, { IAM_CHANGES_CLI: 'source' });

      expect(fromBundle.code).toBe(0);
      expect(fromSource.code).toBe(0);
      expect(fromBundle.stdout).toBe(fromSource.stdout);
      expect(expectExplanation(parseOutput(fromBundle)).changes).toHaveLength(1);
    });

    describe('in a copy of the repository with a marked bundle and marked sources', () => {
      let root: string;

      /** A bundle entry and a source entry whose `main` say which of them ran. */
      function layout(builtAt: number, sources: string[]): void {
        rmSync(root, { recursive: true, force: true });
        mkdirSync(join(root, 'bin'), { recursive: true });
        mkdirSync(join(root, 'dist', 'cli'), { recursive: true });
        mkdirSync(join(root, 'src'), { recursive: true });
        symlinkSync(join(REPO_ROOT, 'node_modules'), join(root, 'node_modules'));
        writeFileSync(
          join(root, 'bin', 'iam-changes.mjs'),
          readFileSync(join(REPO_ROOT, 'bin', 'iam-changes.mjs')),
        );
        writeFileSync(join(root, 'package.json'), '{"type":"module"}\n');
        writeFileSync(
          join(root, 'dist', 'cli', 'cli.mjs'),
          "export async function main(_argv, io) { io.stdout.write('bundle\\n'); return 0; }\n",
        );
        writeFileSync(
          join(root, 'src', 'cli.ts'),
          "export async function main(_argv: string[], io: { stdout: NodeJS.WritableStream }): Promise<number> { io.stdout.write('source\\n'); return 0; }\n",
        );
        writeFileSync(
          join(root, 'dist', 'cli', 'build.json'),
          JSON.stringify({ builtAt, entry: 'cli.mjs', sources }),
        );
      }

      beforeAll(() => {
        root = mkdtempSync(join(tmpdir(), 'iam-changes-bin-'));
      });

      afterAll(() => {
        rmSync(root, { recursive: true, force: true });
      });

      it('runs the bundle while no source is newer than it', async () => {
        layout(Date.now() + 60_000, ['src/cli.ts', 'package.json']);

        expect((await runBin(['help'], undefined, {}, root)).stdout).toBe('bundle\n');
      });

      it('runs the sources through tsx when a source was changed after the build', async () => {
        layout(Date.now() - 60_000, ['src/cli.ts', 'package.json']);

        expect((await runBin(['help'], undefined, {}, root)).stdout).toBe('source\n');
      });

      it('runs the sources when a source the bundle came from is gone', async () => {
        layout(Date.now() + 60_000, ['src/cli.ts', 'src/removed.ts']);

        expect((await runBin(['help'], undefined, {}, root)).stdout).toBe('source\n');
      });

      it('runs the sources when there is no bundle (npm ci --ignore-scripts)', async () => {
        layout(Date.now() + 60_000, ['src/cli.ts']);
        rmSync(join(root, 'dist'), { recursive: true });

        expect((await runBin(['help'], undefined, {}, root)).stdout).toBe('source\n');
      });
    });
  });
});
