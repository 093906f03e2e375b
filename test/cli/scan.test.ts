/**
 * `iam-changes scan` over generated CloudTrail log files: a folder in a temporary directory and the same files
 * in a moto_server S3 bucket; `--import` into dynalite, then a query answered from the store.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanArchive } from '../../src/app/archive-scan';
import { QueryService } from '../../src/app/query-service';
import { FolderTrailArchive } from '../../src/archive/folder-trail-archive';
import { S3TrailArchive } from '../../src/aws/s3-trail-archive';
import { main } from '../../src/cli';
import { parseScanTime } from '../../src/cli/scan';
import type { CloudTrailRecord } from '../../src/domain/input';
import { parseQuery } from '../../src/domain/query';
import type { AssessedChange } from '../../src/domain/types';
import { DynamoChangeStore } from '../../src/store/dynamo-change-store';
import { DynamoStatsStore } from '../../src/store/dynamo-stats';
import { type DynaliteServer, startDynalite } from '../support/dynalite';
import { awsTestEnv, type MotoServer, startMoto } from '../support/moto';
import { iamRead, iamWrite, logFile, logKey, otherCall } from '../support/trail-logs';

const A = '111122223333';
const B = '444455556666';
const C = '777788889999';
const BUCKET = 'org-trail-logs';

const writeA = iamWrite(A, '2026-11-20T10:00:00Z');
const writeB = iamWrite(B, '2026-11-20T11:00:00Z');
// An account trail (no organisation folder), in another region and month.
const writeC = iamWrite(C, '2026-10-01T09:00:00Z', { awsRegion: 'eu-west-1' });

const good = logFile([otherCall(A, '2026-11-20T10:00:00Z'), writeA, iamRead(A, '2026-11-20T10:01:00Z')]);
/** Every file of the archive: name → bytes. */
const files: Record<string, Buffer> = {
  [logKey({ account: A, time: '2026-11-20T10:05:00Z' })]: good,
  [logKey({ account: B, time: '2026-11-20T11:05:00Z' })]: logFile([
    writeB,
    otherCall(B, '2026-11-20T11:00:00Z', 1),
  ]),
  [logKey({ account: C, time: '2026-10-01T09:05:00Z', org: '', region: 'eu-west-1' })]: logFile([writeC]),
  // The same call delivered twice (CloudTrail delivers at least once): listed once.
  [logKey({ account: A, time: '2026-11-20T10:05:00Z', suffix: 'duplicate' })]: logFile([writeA]),
  [logKey({ account: A, time: '2026-11-20T12:00:00Z', suffix: 'corrupt' })]:
    Buffer.from('this is not gzip at all'),
  [logKey({ account: A, time: '2026-11-20T12:00:00Z', suffix: 'truncated' })]: good.subarray(
    0,
    good.length - 12,
  ),
  // Digests hold no calls: never read (this one would fail).
  [`AWSLogs/o-a1b2c3d4e5/${A}/CloudTrail-Digest/us-east-1/2026/11/20/digest.json.gz`]: Buffer.from('garbage'),
};
const corruptName = logKey({ account: A, time: '2026-11-20T12:00:00Z', suffix: 'corrupt' });
const truncatedName = logKey({ account: A, time: '2026-11-20T12:00:00Z', suffix: 'truncated' });

let folder: string;
let moto: MotoServer;
let db: DynaliteServer;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'iam-changes-scan-'));
  for (const [name, bytes] of Object.entries(files)) {
    await mkdir(dirname(join(folder, name)), { recursive: true });
    await writeFile(join(folder, name), bytes);
  }
  [moto, db] = await Promise.all([startMoto(), startDynalite()]);
  const s3 = new S3Client({ ...awsTestEnv(moto.endpoint), forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  for (const [name, bytes] of Object.entries(files)) {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: name, Body: bytes }));
  }
  s3.destroy();
}, 60_000);

afterAll(async () => {
  await Promise.all([moto?.stop(), db?.stop()]);
  if (folder) await rm(folder, { recursive: true, force: true });
});

function awsEnv(): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_S3: moto.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
  };
}

async function run(args: string[], env: Record<string, string> = awsEnv(), tty = false) {
  const stdout = new PassThrough();
  const stderr = Object.assign(new PassThrough(), { isTTY: tty });
  let out = '';
  let err = '';
  stdout.on('data', (chunk) => {
    out += chunk;
  });
  stderr.on('data', (chunk) => {
    err += chunk;
  });
  const code = await main(args, { stdin: new PassThrough(), stdout, stderr, env });
  return { code, out, err };
}

function eventIds(out: string): string[] {
  return (JSON.parse(out) as { changes: AssessedChange[] }).changes.map((change) => change.eventId);
}

const ids = (...records: CloudTrailRecord[]) => records.map((record) => record.eventID);

describe('iam-changes scan of a folder', () => {
  it('prints every IAM write once, oldest first, and names each file it skipped (exit 1)', async () => {
    const { code, out, err } = await run(['scan', folder]);
    expect(eventIds(out)).toEqual(ids(writeC, writeA, writeB));
    const changes = (JSON.parse(out) as { changes: AssessedChange[] }).changes;
    // The organisation trail's record is the change of the account it names, not the trail's.
    expect(changes.map((change) => change.accountId)).toEqual([C, A, B]);
    expect(changes[1]?.risk.level).toBe('critical');
    expect(err).toContain(`skipped ${join(folder, corruptName)}: corrupt gzip data`);
    expect(err).toContain(`skipped ${join(folder, truncatedName)}: truncated`);
    expect(err).not.toContain('digest');
    expect(err).toMatch(/scanned 6 files .*: 3 IAM changes; 2 files skipped/);
    expect(code).toBe(1);
  });

  it('prints JSON lines with --json', async () => {
    const { code, out } = await run(['scan', folder, '--json', '--account', B]);
    const lines = out.trim().split('\n');
    expect(lines.map((line) => (JSON.parse(line) as AssessedChange).eventId)).toEqual(ids(writeB));
    expect(code).toBe(0);
  });

  it('never reads the folders of other accounts (their broken files are not reported)', async () => {
    const { code, out, err } = await run(['scan', folder, '--account', B, '--account', C]);
    expect(eventIds(out)).toEqual(ids(writeC, writeB));
    expect(err).not.toContain('skipped');
    expect(err).toMatch(/scanned 2 files/);
    expect(code).toBe(0);
  });

  it('never reads the days outside --since/--until, and keeps only calls in the range', async () => {
    const { code, out, err } = await run(['scan', folder, '--since', '2026-09-30', '--until', '2026-10-02']);
    expect(eventIds(out)).toEqual(ids(writeC));
    expect(err).toMatch(/scanned 1 files/);
    expect(code).toBe(0);
    const late = await run([
      'scan',
      folder,
      '--since',
      '2026-11-20T10:30:00Z',
      '--account',
      A,
      '--account',
      B,
    ]);
    expect(eventIds(late.out)).toEqual(ids(writeB));
  });

  it('draws a progress bar on stderr only when it is a terminal', async () => {
    const tty = await run(['scan', folder, '--account', B], awsEnv(), true);
    expect(tty.err).toMatch(/\r\[#+\] 100% 1\/1 files/);
    const piped = await run(['scan', folder, '--account', B]);
    expect(piped.err).not.toContain('\r');
  });

  it('refuses bad input with one line (exit 2)', async () => {
    for (const args of [
      ['scan'],
      ['scan', join(folder, 'missing')],
      ['scan', folder, '--account', '12345'],
      ['scan', folder, '--since', 'yesterday'],
      ['scan', folder, '--since', '2026-11-02', '--until', '2026-11-01'],
      ['scan', 's3://Not_A_Bucket'],
    ]) {
      const { code, err } = await run(args);
      expect({ args, code }).toEqual({ args, code: 2 });
      expect(err.trim().split('\n')).toHaveLength(1);
    }
  });
});

describe('iam-changes scan of s3://', () => {
  it('reads the bucket as it reads the folder', async () => {
    const { code, out, err } = await run(['scan', `s3://${BUCKET}`]);
    expect(eventIds(out)).toEqual(ids(writeC, writeA, writeB));
    expect(err).toContain(`skipped s3://${BUCKET}/${corruptName}: corrupt gzip data`);
    expect(err).toContain(`skipped s3://${BUCKET}/${truncatedName}: truncated`);
    expect(code).toBe(1);
  });

  it('lists only the prefixes of the accounts and days asked for', async () => {
    const s3 = new S3Client({ ...awsTestEnv(moto.endpoint), forcePathStyle: true });
    const listed: string[] = [];
    s3.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { Prefix?: string };
        if (input.Prefix !== undefined) listed.push(input.Prefix);
        return next(args);
      },
      { step: 'initialize' },
    );
    const archive = new S3TrailArchive(s3, `s3://${BUCKET}/AWSLogs/`);
    const found = await archive.listFiles({
      accounts: [B],
      since: new Date('2026-11-20T00:00:00Z'),
      until: new Date('2026-11-21T00:00:00Z'),
    });
    s3.destroy();
    expect(found.map((file) => file.name)).toEqual([
      `s3://${BUCKET}/${logKey({ account: B, time: '2026-11-20T11:05:00Z' })}`,
    ]);
    expect(listed.some((prefix) => prefix.includes(A) || prefix.includes(C))).toBe(false);
    expect(listed).toContain(`AWSLogs/o-a1b2c3d4e5/${B}/CloudTrail/us-east-1/2026/11/20/`);
  });
});

describe('iam-changes scan --import', () => {
  it('backfills the store once per call, and a query is answered from it', async () => {
    const tableName = await db.createTable();
    const env = { ...awsEnv(), TABLE_NAME: tableName };
    const first = await run(['scan', folder, '--import', '--account', B, '--account', C], env);
    expect(first.code).toBe(0);
    expect(first.err).toContain('imported 2 (0 already stored)');
    const again = await run(['scan', folder, '--import'], env);
    expect(again.err).toContain('imported 1 (2 already stored)');

    const store = new DynamoChangeStore(db.documentClient, { tableName });
    expect((await store.getChange(writeB.eventID as string))?.delivery).toBe('imported');
    const now = new Date('2026-11-21T00:00:00Z');
    const queries = new QueryService({
      changes: store,
      stats: new DynamoStatsStore(db.documentClient, { tableName }),
      history: {
        lookup: () => {
          throw new Error('CloudTrail history must not be needed: the store holds the range');
        },
      },
      clock: { now: () => now },
      retentionDays: 400,
      risk: { expectedActors: [], trustedAccounts: [] },
    });
    const query = (text: string) => {
      const parsed = parseQuery(text, now);
      if (!parsed.ok) throw new Error(parsed.error.message);
      return parsed.query;
    };
    // The imported calls count as what the store holds: from the first of them on, CloudTrail is not needed.
    expect(await queries.historyNeeded(query('50d'))).toBe(false);
    expect(await queries.historyNeeded(query('60d'))).toBe(true);
    const answer = await queries.answer(query('60d'));
    expect(answer.kind === 'list' && answer.entries.map((entry) => entry.change.eventId)).toEqual(
      ids(writeB, writeA, writeC),
    );
  });
});

describe('scanArchive bounds', () => {
  const risk = { expectedActors: [], trustedAccounts: [] };

  it('stops at the file limit and at the deadline, and says so', async () => {
    const limited = await scanArchive(new FolderTrailArchive(folder), {}, { risk, maxFiles: 2 });
    expect(limited).toMatchObject({ files: 2, truncated: true });
    const late = await scanArchive(
      new FolderTrailArchive(folder),
      {},
      { risk, deadline: 1000, now: () => 2000 },
    );
    expect(late).toMatchObject({ files: 0, truncated: true });
    const all = await scanArchive(
      new FolderTrailArchive(folder),
      {},
      { risk, deadline: 3000, now: () => 2000 },
    );
    expect(all).toMatchObject({ files: 6, truncated: false });
  });
});

describe('parseScanTime', () => {
  const now = new Date('2026-11-20T12:00:00Z');
  it.each([
    ['2026-01-31', '2026-01-31T00:00:00.000Z'],
    ['2026-01-31T12:30:00Z', '2026-01-31T12:30:00.000Z'],
    ['90d', '2026-08-22T12:00:00.000Z'],
    ['12h', '2026-11-20T00:00:00.000Z'],
  ])('%s', (text, expected) => {
    expect(parseScanTime(text, now, '--since').toISOString()).toBe(expected);
  });
});
