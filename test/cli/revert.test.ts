/**
 * `iam-changes revert` in-process against moto_server (IAM, through AWS_ENDPOINT_URL) and, for the shared
 * store, dynalite (through AWS_ENDPOINT_URL_DYNAMODB). moto has no CloudTrail LookupEvents: the history
 * look-up fails there, which the resolver must survive.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  IAMClient,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/command';
import { revertCommand } from '../../src/cli/revert';
import { InputError } from '../../src/domain/input';
import { DynamoAuditLog } from '../../src/store/dynamo-audit-log';
import { DynamoChangeStore } from '../../src/store/dynamo-change-store';
import { cloudTrailRecord } from '../support/cloudtrail';
import { type DynaliteServer, startDynalite } from '../support/dynalite';
import { awsTestEnv, type MotoServer, startMoto } from '../support/moto';

const ADMIN_LIKE = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
const TRUST = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
};

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The account the changes are made in: moto's default account, the one STS GetCallerIdentity names for the test
 * keys. (moto keeps an account per access key that is an account id for IAM, but its GetCallerIdentity names the
 * default account for them; assumed-role sessions it names right.)
 */
const CHANGE_ACCOUNT = '123456789012';
const OTHER_ACCOUNT = '444455556666';
const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** A CloudTrail record of a change made in {@link CHANGE_ACCOUNT}. */
function changeRecord(...args: Parameters<typeof cloudTrailRecord>): ReturnType<typeof cloudTrailRecord> {
  const [eventName, requestParameters, overrides = {}] = args;
  return cloudTrailRecord(eventName, requestParameters, { recipientAccountId: CHANGE_ACCOUNT, ...overrides });
}

/** Credentials of a session in {@link OTHER_ACCOUNT}: a role there, assumed with the default keys. */
async function otherAccountEnv(): Promise<Record<string, string>> {
  const other = new IAMClient({
    ...awsTestEnv(moto.endpoint),
    credentials: { accessKeyId: OTHER_ACCOUNT, secretAccessKey: 'testing' },
  });
  const sts = new STSClient(awsTestEnv(moto.endpoint));
  try {
    counter += 1;
    const name = `security-oncall-${counter}`;
    await other.send(
      new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: JSON.stringify(TRUST) }),
    );
    const session = await sts.send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${OTHER_ACCOUNT}:role/${name}`,
        RoleSessionName: 'oncall',
      }),
    );
    return awsEnv({
      AWS_ACCESS_KEY_ID: session.Credentials?.AccessKeyId ?? '',
      AWS_SECRET_ACCESS_KEY: session.Credentials?.SecretAccessKey ?? '',
      AWS_SESSION_TOKEN: session.Credentials?.SessionToken ?? '',
    });
  } finally {
    other.destroy();
    sts.destroy();
  }
}

let moto: MotoServer;
let db: DynaliteServer;
let iam: IAMClient;
let dir: string;
let counter = 0;

beforeAll(async () => {
  [moto, db] = await Promise.all([startMoto(), startDynalite()]);
  iam = new IAMClient(awsTestEnv(moto.endpoint));
  dir = await mkdtemp(join(tmpdir(), 'iam-changes-revert-'));
});

afterAll(async () => {
  iam?.destroy();
  await Promise.all([moto?.stop(), db?.stop(), dir ? rm(dir, { recursive: true, force: true }) : undefined]);
});

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

function awsEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: 'us-east-1',
    USER: 'oncall',
    ...extra,
  };
}

function isParseArgsError(error: unknown): boolean {
  return (
    error instanceof TypeError &&
    String((error as { code?: unknown }).code ?? '').startsWith('ERR_PARSE_ARGS')
  );
}

/**
 * Runs the command as `iam-changes revert` does: its exit code, or — for bad input, which it throws as the
 * CliCommand contract says — 2 with one line on stderr, exactly as `main` maps it.
 */
async function revert(args: string[], env: Record<string, string> = awsEnv()): Promise<Run> {
  const stdout = collector();
  const stderr = collector();
  let code: number;
  try {
    code = await revertCommand.run(args, {
      stdin: Readable.from([]),
      stdout: stdout.stream,
      stderr: stderr.stream,
      env,
    });
  } catch (error: unknown) {
    if (!(error instanceof UsageError || error instanceof InputError || isParseArgsError(error))) throw error;
    stderr.stream.write(`iam-changes: ${(error as Error).message}\n`);
    code = 2;
  }
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

async function file(content: unknown): Promise<string> {
  counter += 1;
  const path = join(dir, `input-${counter}.json`);
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

/** A role with a customer managed policy attached, and the CloudTrail record of that attach. */
async function attachedPolicy(): Promise<{
  role: string;
  arn: string;
  record: ReturnType<typeof cloudTrailRecord>;
}> {
  counter += 1;
  const role = `cli-role-${counter}`;
  await iam.send(new CreateRoleCommand({ RoleName: role, AssumeRolePolicyDocument: JSON.stringify(TRUST) }));
  const output = await iam.send(
    new CreatePolicyCommand({
      PolicyName: `cli-admin-${counter}`,
      PolicyDocument: JSON.stringify(ADMIN_LIKE),
    }),
  );
  const arn = output.Policy?.Arn ?? '';
  await iam.send(new AttachRolePolicyCommand({ RoleName: role, PolicyArn: arn }));
  const record = changeRecord(
    'AttachRolePolicy',
    { roleName: role, policyArn: arn },
    { eventTime: new Date().toISOString() },
  );
  return { role, arn, record };
}

async function attached(role: string): Promise<string[]> {
  const { ListAttachedRolePoliciesCommand } = await import('@aws-sdk/client-iam');
  const output = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: role }));
  return (output.AttachedPolicies ?? []).map((policy) => policy.PolicyArn ?? '');
}

describe('iam-changes revert', () => {
  it('dry run: prints the plan, the drift check, the before-state source and the aws iam commands; exit 0', async () => {
    const { role, arn, record } = await attachedPolicy();

    const run = await revert([await file(record)]);

    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`change: AttachRolePolicy on role/${role} by alice`);
    expect(run.stdout).toContain("before-state: iam — IAM: the policy's current default version v1");
    expect(run.stdout).toContain(`drift check: no drift — cli-admin-`);
    expect(run.stdout).toContain(`  1. iam:DetachRolePolicy RoleName=${role} PolicyArn=${arn}`);
    expect(run.stdout).toContain(
      `commands:\n  aws iam detach-role-policy --role-name ${role} --policy-arn ${arn}`,
    );
    expect(run.stdout).toContain('store: in memory (TABLE_NAME or AWS credentials not set)');
    expect(run.stdout).toContain('dry run: nothing changed (run again with --execute to revert)');
    expect(await attached(role)).toEqual([arn]);
  });

  it('dry run as JSON', async () => {
    const { role, arn, record } = await attachedPolicy();
    const run = await revert([await file({ Records: [record] }), '--json']);
    expect(run.code).toBe(0);
    const output = JSON.parse(run.stdout);
    expect(output).toMatchObject({
      mode: 'dry-run',
      eventId: record.eventID,
      resource: `role/${role}`,
      plan: {
        supported: true,
        steps: [{ action: 'iam:DetachRolePolicy', params: { RoleName: role, PolicyArn: arn } }],
      },
      drift: { drifted: false },
      beforeSource: { kind: 'iam' },
    });
    expect(output.refusal).toBeUndefined();
  });

  it('--execute reverts against AWS_ENDPOINT_URL and IAM reads back the state before; exit 0', async () => {
    const { role, record } = await attachedPolicy();

    const run = await revert([await file(record), '--execute', '--reason', 'not approved']);

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/reverted:\n {2}done: aws iam detach-role-policy/);
    expect(run.stdout).toContain('verified: cli-admin-');
    expect(run.stderr).toBe('');
    expect(await attached(role)).toEqual([]);
  });

  it('picks the change --event-id names when the file holds several', async () => {
    const first = await attachedPolicy();
    const second = await attachedPolicy();
    const input = await file({ Records: [first.record, second.record] });

    const run = await revert([input, '--event-id', String(second.record.eventID), '--execute']);

    expect(run.code).toBe(0);
    expect(await attached(second.role)).toEqual([]);
    expect(await attached(first.role)).toEqual([first.arn]);
  });

  it('refuses with exit 1 when IAM drifted since the change, showing current and expected', async () => {
    const { role, arn } = await attachedPolicy();
    const { DetachRolePolicyCommand } = await import('@aws-sdk/client-iam');
    await iam.send(new DetachRolePolicyCommand({ RoleName: role, PolicyArn: arn }));
    const record = changeRecord(
      'AttachRolePolicy',
      { roleName: role, policyArn: arn },
      { eventTime: new Date().toISOString() },
    );

    const run = await revert([await file(record), '--execute']);

    expect(run.code).toBe(1);
    expect(run.stdout).toContain('drift check: DRIFTED — now: cli-admin-');
    expect(run.stderr).toMatch(
      /^iam-changes: refused: the live state changed since the change: now .* not attached to role/,
    );
  });

  it('refuses with exit 1 when the previous document is unknown, printing the placeholder it lacks', async () => {
    counter += 1;
    const role = `cli-put-${counter}`;
    await iam.send(
      new CreateRoleCommand({ RoleName: role, AssumeRolePolicyDocument: JSON.stringify(TRUST) }),
    );
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: role,
        PolicyName: 'deploy',
        PolicyDocument: JSON.stringify(ADMIN_LIKE),
      }),
    );
    const record = changeRecord(
      'PutRolePolicy',
      { roleName: role, policyName: 'deploy', policyDocument: JSON.stringify(ADMIN_LIKE) },
      { eventTime: new Date().toISOString() },
    );

    const dryRun = await revert([await file(record)]);
    expect(dryRun.code).toBe(1);
    expect(dryRun.stdout).toContain('before-state: unknown');
    expect(dryRun.stdout).toContain('--policy-document <previous-document>');
    expect(dryRun.stderr).toBe('iam-changes: refused: the previous document is unknown: no revert\n');

    const execute = await revert([await file(record), '--execute']);
    expect(execute.code).toBe(1);
  });

  it('refuses with exit 1 a change that has no revert', async () => {
    const record = changeRecord(
      'CreateAccessKey',
      { userName: 'bob' },
      { eventTime: new Date().toISOString() },
    );
    const run = await revert([await file(record)]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('CreateAccessKey has no safe automatic inverse');
  });

  it.each<[string, () => Promise<string[]>, RegExp]>([
    ['a file that is not JSON', async () => [await file('not json {')], /is not JSON/],
    [
      'a file that does not exist',
      async () => [join(dir, 'missing.json')],
      /cannot read .*missing\.json: no such file/,
    ],
    ['no FILE', async () => [], /give the FILE/],
    [
      'an alarm message (no event in it)',
      async () => [
        await file({
          AlarmName: 'cis-4.4',
          NewStateValue: 'ALARM',
          NewStateReason: 'x',
          StateChangeTime: '2026-11-20T14:05:31.123+0000',
          AWSAccountId: '111122223333',
        }),
      ],
      /an alarm message carries no event/,
    ],
    [
      'an --event-id the file does not hold',
      async () => [
        await file(
          changeRecord('AttachRolePolicy', { roleName: 'r', policyArn: 'arn:aws:iam::aws:policy/x' }),
        ),
        '--event-id',
        'nope',
      ],
      /no change with event id nope in the input/,
    ],
    ['an unknown option', async () => [await file('{}'), '--force'], /Unknown option '--force'/],
  ])('exits 2 with one line for %s', async (_name, args, message) => {
    const run = await revert(await args());
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stdout).toBe('');
  });

  it('with TABLE_NAME and credentials, claims and records in the DynamoDB table shared with the bot', async () => {
    const tableName = await db.createTable();
    const env = awsEnv({ TABLE_NAME: tableName, AWS_ENDPOINT_URL_DYNAMODB: db.endpoint });
    const { role, record } = await attachedPolicy();
    const input = await file(record);

    const run = await revert([input, '--execute', '--by', 'carol', '--reason', 'incident 42'], env);

    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`store: DynamoDB table ${tableName} (shared with the Slack bot)`);
    expect(await attached(role)).toEqual([]);
    const store = new DynamoChangeStore(db.documentClient, { tableName });
    expect((await store.getChange(String(record.eventID)))?.revert).toMatchObject({
      status: 'done',
      by: { name: 'carol' },
      reason: 'incident 42',
    });
    const audit = new DynamoAuditLog(db.documentClient, { tableName });
    expect(await audit.list(new Date(Date.now() - 60_000), 10)).toEqual([
      expect.objectContaining({
        action: 'revert',
        result: 'done',
        actor: { name: 'carol' },
        reason: 'incident 42',
      }),
    ]);

    const again = await revert([input, '--execute'], env);
    expect(again.code).toBe(1);
    expect(again.stdout).toContain('already reverted by carol');
  });
});

describe('iam-changes revert: whose credentials', () => {
  /** Runs the real bin with exactly `env` (no credentials of the test process leak in). */
  function runBin(args: string[], env: Record<string, string>): Promise<Run> {
    return new Promise((done, fail) => {
      execFile(
        process.execPath,
        ['bin/iam-changes.mjs', 'revert', ...args],
        { cwd: ROOT, env, timeout: 60_000 },
        (error, stdout, stderr) => {
          if (error && typeof error.code !== 'number') {
            fail(error);
            return;
          }
          done({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
        },
      );
    });
  }

  it('without credentials says in one line what to set', async () => {
    const { record } = await attachedPolicy();
    const home = await mkdtemp(join(tmpdir(), 'iam-changes-home-'));
    try {
      const run = await runBin([await file(record)], {
        PATH: process.env.PATH ?? '',
        HOME: home,
        AWS_ENDPOINT_URL: moto.endpoint,
        AWS_REGION: 'us-east-1',
        AWS_CONFIG_FILE: join(home, 'no-config'),
        AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-credentials'),
        AWS_EC2_METADATA_DISABLED: 'true',
      });

      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      // The one line of ours; (on Node 20 the AWS SDK adds its own Node-version warning before it).
      expect(run.stderr.split('\n').filter((line) => line.startsWith('iam-changes'))).toEqual([
        expect.stringMatching(
          /^iam-changes: no AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/,
        ),
      ]);
      expect(run.stderr).not.toContain('CredentialsProviderError');
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it('refuses with credentials of another account, naming both, and changes nothing', async () => {
    const { role, arn, record } = await attachedPolicy();

    const run = await revert([await file(record), '--execute'], await otherAccountEnv());

    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      `iam-changes: refused: the AWS credentials are for account ${OTHER_ACCOUNT}, the change was made in account ${CHANGE_ACCOUNT}: use credentials for ${CHANGE_ACCOUNT}, or --role NAME to assume the responder role there\n`,
    );
    expect(await attached(role)).toEqual([arn]);
  });

  it('with --role, assumes the responder role in the change’s account and reverts there', async () => {
    const { role, record } = await attachedPolicy();
    const responder = `iam-changes-responder-${counter}`;
    await iam.send(
      new CreateRoleCommand({
        RoleName: responder,
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${OTHER_ACCOUNT}:root` },
              Action: 'sts:AssumeRole',
            },
          ],
        }),
      }),
    );

    const run = await revert(
      [await file(record), '--role', responder, '--execute', '--reason', 'from the security account'],
      await otherAccountEnv(),
    );

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/reverted:\n {2}done: aws iam detach-role-policy/);
    expect(await attached(role)).toEqual([]);
  });

  it('refuses a --role ARN in another account than the change’s (exit 2)', async () => {
    const { record } = await attachedPolicy();

    const run = await revert(
      [await file(record), '--role', `arn:aws:iam::${OTHER_ACCOUNT}:role/iam-changes-responder`],
      await otherAccountEnv(),
    );

    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `iam-changes: --role arn:aws:iam::${OTHER_ACCOUNT}:role/iam-changes-responder is in account ${OTHER_ACCOUNT}, the change was made in account ${CHANGE_ACCOUNT}\n`,
    );
  });
});
