/**
 * `iam-changes scan` throughput on 1 GiB of gzipped CloudTrail logs (an organisation trail's layout, 2 % IAM
 * writes among realistic calls of other services and IAM reads), against the floor: `gzip -dc` of the same files
 * to /dev/null, in the same run. Figures are MB/s of compressed input.
 *
 * The logs are generated once into a temporary folder (reused while a complete copy is there) and deleted at the
 * end unless `--keep`. Options: `--gib N` (default 1), `--keep`, `--dir PATH`.
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { type ScanReport, scanArchive } from '../src/app/archive-scan';
import { FolderTrailArchive } from '../src/archive/folder-trail-archive';
import { writeSection } from './results';

const gzipAsync = promisify(gzip);
const args = process.argv.slice(2);
const option = (name: string) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const TARGET_BYTES = Math.round(Number(option('--gib') ?? '1') * 2 ** 30);
const KEEP = args.includes('--keep');
const DIR = path.resolve(option('--dir') ?? path.join(os.tmpdir(), 'iam-changes-scan-bench'));
const MARKER = path.join(DIR, 'complete.json');
const ORG = 'o-b3nchm4rk01';
const ACCOUNTS = Array.from({ length: 24 }, (_, index) => String(100000000000 + index * 7919));
const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2'];
const IAM_WRITE_SHARE = 0.02;
const IAM_READ_SHARE = 0.03;

/** A record template: JSON text split at its placeholders, filled per record by joining. */
interface Template {
  parts: string[];
  keys: string[];
}

const PLACEHOLDER = /__([A-Z]+)__/g;

function template(record: unknown): Template {
  const text = JSON.stringify(record);
  const parts: string[] = [];
  const keys: string[] = [];
  let last = 0;
  for (const match of text.matchAll(PLACEHOLDER)) {
    parts.push(text.slice(last, match.index));
    keys.push(match[1] as string);
    last = (match.index ?? 0) + match[0].length;
  }
  parts.push(text.slice(last));
  return { parts, keys };
}

function assumedRole(role: string, session: string) {
  return {
    type: 'AssumedRole',
    principalId: `AROA__ROLEID__:${session}`,
    arn: `arn:aws:sts::__ACCOUNT__:assumed-role/${role}/${session}`,
    accountId: '__ACCOUNT__',
    accessKeyId: 'ASIA__KEYID__',
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: 'AROA__ROLEID__',
        arn: `arn:aws:iam::__ACCOUNT__:role/${role}`,
        accountId: '__ACCOUNT__',
        userName: role,
      },
      attributes: { creationDate: '__TIME__', mfaAuthenticated: 'false' },
    },
  };
}

function base(
  eventSource: string,
  eventName: string,
  identity: unknown,
  request: unknown,
  response: unknown,
  readOnly: boolean,
  agent: string,
) {
  return {
    eventVersion: '1.09',
    userIdentity: identity,
    eventTime: '__TIME__',
    eventSource,
    eventName,
    awsRegion: '__REGION__',
    sourceIPAddress: '__IP__',
    userAgent: agent,
    requestParameters: request,
    responseElements: response,
    requestID: '__REQUEST__',
    eventID: '__EVENT__',
    readOnly,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: '__ACCOUNT__',
    eventCategory: 'Management',
    tlsDetails: {
      tlsVersion: 'TLSv1.3',
      cipherSuite: 'TLS_AES_128_GCM_SHA256',
      clientProvidedHostHeader: `${eventSource.split('.')[0]}.__REGION__.amazonaws.com`,
    },
  };
}

const SDK =
  'aws-sdk-java/2.25.1 Linux/5.10 OpenJDK_64-Bit_Server_VM/17.0.9 Java/17.0.9 vendor/Amazon.com md/internal';
const CLI =
  'aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/linux#5.10 md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe';
const TF =
  'APN/1.0 HashiCorp/1.0 Terraform/1.9.5 (+https://www.terraform.io) terraform-provider-aws/5.70.0 aws-sdk-go-v2/1.30.5';

const OTHER = [
  template(
    base(
      'sts.amazonaws.com',
      'AssumeRole',
      { type: 'AWSService', invokedBy: 'lambda.amazonaws.com' },
      {
        roleArn: 'arn:aws:iam::__ACCOUNT__:role/app-__N__-execution',
        roleSessionName: 'app-__N__-execution',
        durationSeconds: 3600,
      },
      {
        credentials: {
          accessKeyId: 'ASIA__KEYID__',
          sessionToken: '__TOKEN__',
          expiration: 'Nov 20, 2026, 3:00:00 PM',
        },
        assumedRoleUser: {
          assumedRoleId: 'AROA__ROLEID__:app-__N__-execution',
          arn: 'arn:aws:sts::__ACCOUNT__:assumed-role/app-__N__-execution/app-__N__-execution',
        },
      },
      false,
      'lambda.amazonaws.com',
    ),
  ),
  template(
    base(
      'ec2.amazonaws.com',
      'DescribeInstances',
      assumedRole('platform-observer', 'collector-__N__'),
      {
        instancesSet: {},
        filterSet: { items: [{ name: 'tag:team', valueSet: { items: [{ value: 'team-__N__' }] } }] },
      },
      null,
      true,
      SDK,
    ),
  ),
  template(
    base(
      'kms.amazonaws.com',
      'Decrypt',
      assumedRole('app-__N__-execution', 'app-__N__-execution'),
      {
        encryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        encryptionContext: {
          'aws:lambda:FunctionArn': 'arn:aws:lambda:__REGION__:__ACCOUNT__:function:app-__N__',
        },
      },
      null,
      true,
      'lambda.amazonaws.com',
    ),
  ),
  template(
    base(
      's3.amazonaws.com',
      'GetBucketAcl',
      { type: 'AWSService', invokedBy: 'cloudtrail.amazonaws.com' },
      {
        bucketName: 'org-trail-__N__',
        Host: 'org-trail-__N__.s3.__REGION__.amazonaws.com',
        acl: '',
      },
      null,
      true,
      'cloudtrail.amazonaws.com',
    ),
  ),
  template(
    base(
      'logs.amazonaws.com',
      'CreateLogStream',
      assumedRole('app-__N__-execution', 'app-__N__-execution'),
      {
        logGroupName: '/aws/lambda/app-__N__',
        logStreamName: '2026/11/20/[$LATEST]__TOKEN__',
      },
      null,
      false,
      'lambda.amazonaws.com',
    ),
  ),
  template(
    base(
      'lambda.amazonaws.com',
      'ListFunctions20150331',
      assumedRole('platform-observer', 'collector-__N__'),
      {
        functionVersion: 'ALL',
        maxItems: 50,
      },
      null,
      true,
      SDK,
    ),
  ),
  template(
    base(
      'ssm.amazonaws.com',
      'GetParameters',
      assumedRole('app-__N__-execution', 'app-__N__-execution'),
      {
        names: ['/app-__N__/database-url', '/app-__N__/feature-flags'],
        withDecryption: true,
      },
      null,
      true,
      SDK,
    ),
  ),
];

const IAM_READS = [
  template(
    base(
      'iam.amazonaws.com',
      'GetRole',
      assumedRole('platform-observer', 'collector-__N__'),
      { roleName: 'app-__N__-execution' },
      null,
      true,
      SDK,
    ),
  ),
  template(
    base(
      'iam.amazonaws.com',
      'ListAttachedRolePolicies',
      assumedRole('platform-observer', 'collector-__N__'),
      { roleName: 'app-__N__-execution' },
      null,
      true,
      SDK,
    ),
  ),
];

const IAM_WRITES = [
  template(
    base(
      'iam.amazonaws.com',
      'AttachRolePolicy',
      assumedRole('terraform-ci', 'terraform-apply'),
      {
        roleName: 'app-__N__-execution',
        policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
      },
      null,
      false,
      TF,
    ),
  ),
  template(
    base(
      'iam.amazonaws.com',
      'PutRolePolicy',
      assumedRole('terraform-ci', 'terraform-apply'),
      {
        roleName: 'app-__N__-execution',
        policyName: 'app-__N__-data',
        policyDocument: JSON.stringify(
          {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Action: ['s3:GetObject', 's3:PutObject'],
                Resource: 'arn:aws:s3:::app-__N__-data/*',
              },
            ],
          },
          null,
          4,
        ),
      },
      null,
      false,
      TF,
    ),
  ),
  template(
    base(
      'iam.amazonaws.com',
      'CreatePolicyVersion',
      {
        type: 'IAMUser',
        principalId: 'AIDA__ROLEID__',
        arn: 'arn:aws:iam::__ACCOUNT__:user/admin-__N__',
        accountId: '__ACCOUNT__',
        userName: 'admin-__N__',
      },
      {
        policyArn: 'arn:aws:iam::__ACCOUNT__:policy/app-__N__-boundary',
        policyDocument:
          '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}',
        setAsDefault: true,
      },
      { policyVersion: { versionId: 'v3', isDefaultVersion: true, createDate: 'Nov 20, 2026, 2:00:00 PM' } },
      false,
      CLI,
    ),
  ),
  template(
    base(
      'iam.amazonaws.com',
      'DetachUserPolicy',
      {
        type: 'IAMUser',
        principalId: 'AIDA__ROLEID__',
        arn: 'arn:aws:iam::__ACCOUNT__:user/admin-__N__',
        accountId: '__ACCOUNT__',
        userName: 'admin-__N__',
      },
      {
        userName: 'contractor-__N__',
        policyArn: 'arn:aws:iam::aws:policy/PowerUserAccess',
      },
      null,
      false,
      CLI,
    ),
  ),
];

function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex').toUpperCase();
}

/** One record from a template, with fresh ids, its time, account and region. */
function fill(record: Template, time: string, account: string, region: string): string {
  const values: Record<string, () => string> = {
    TIME: () => time,
    ACCOUNT: () => account,
    REGION: () => region,
    IP: () =>
      `${(10 + Math.random() * 200) | 0}.${(Math.random() * 255) | 0}.${(Math.random() * 255) | 0}.${(Math.random() * 255) | 0}`,
    REQUEST: () => randomUUID(),
    EVENT: () => randomUUID(),
    KEYID: () => hex(8),
    ROLEID: () => hex(9),
    TOKEN: () => randomBytes(24).toString('base64'),
    N: () => String((Math.random() * 40) | 0),
  };
  let text = record.parts[0] as string;
  for (const [index, key] of record.keys.entries()) {
    text += (values[key] as () => string)() + record.parts[index + 1];
  }
  return text;
}

function pick<T>(items: readonly T[]): T {
  return items[(Math.random() * items.length) | 0] as T;
}

/** Generates log files until `TARGET_BYTES` of gzip are written; returns the IAM writes put in them. */
async function generate(): Promise<{ files: number; bytes: number; iamWrites: number; target: number }> {
  await rm(DIR, { recursive: true, force: true });
  let bytes = 0;
  let files = 0;
  let iamWrites = 0;
  let clock = Date.UTC(2026, 10, 1);
  const started = Date.now();
  const pending = new Set<Promise<void>>();
  while (bytes < TARGET_BYTES) {
    const account = pick(ACCOUNTS);
    const region = pick(REGIONS);
    const count = 800 + ((Math.random() * 1600) | 0);
    const records: string[] = [];
    for (let index = 0; index < count; index += 1) {
      clock += 40;
      const time = new Date(clock).toISOString().replace(/\.\d{3}Z$/, 'Z');
      const roll = Math.random();
      const kind =
        roll < IAM_WRITE_SHARE ? IAM_WRITES : roll < IAM_WRITE_SHARE + IAM_READ_SHARE ? IAM_READS : OTHER;
      if (kind === IAM_WRITES) iamWrites += 1;
      records.push(fill(pick(kind), time, account, region));
    }
    const stamp = new Date(clock);
    const day = stamp.toISOString().slice(0, 10).replaceAll('-', '/');
    const name = `${account}_CloudTrail_${region}_${stamp.toISOString().slice(0, 16).replaceAll(/[-:]/g, '')}Z_${hex(8)}.json.gz`;
    const folder = path.join(DIR, 'AWSLogs', ORG, account, 'CloudTrail', region, day);
    const body = `{"Records":[${records.join(',')}]}`;
    const write = (async () => {
      const compressed = await gzipAsync(body, { level: 6 });
      await mkdir(folder, { recursive: true });
      await writeFile(path.join(folder, name), compressed);
      bytes += compressed.length;
      files += 1;
    })();
    pending.add(write);
    void write.finally(() => pending.delete(write));
    if (pending.size >= os.cpus().length) await Promise.race(pending);
    if (files % 200 === 0 && files > 0) {
      process.stderr.write(
        `\rgenerating: ${(bytes / 2 ** 20).toFixed(0)} MiB in ${files} files, ${((Date.now() - started) / 1000).toFixed(0)} s`,
      );
    }
  }
  await Promise.all(pending);
  process.stderr.write('\n');
  const summary = { files, bytes, iamWrites, target: TARGET_BYTES };
  await writeFile(MARKER, JSON.stringify(summary));
  return summary;
}

async function listFiles(folder: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(folder, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.json.gz')) out.push(path.join(entry.parentPath, entry.name));
  }
  return out.sort();
}

/** CPU seconds of this process's children that have exited (Linux `/proc/self/stat` cutime + cstime). */
async function childCpuSeconds(): Promise<number> {
  const stat = await readFile('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 16 and 17 of the line (counted from 1): 14th and 15th after the command name and state.
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

/** A measured pass: wall seconds and CPU seconds (every thread, or the children for gzip). */
interface Pass {
  seconds: number;
  cpu: number;
}

/** `gzip -dc` of every file to /dev/null, in batches of file names (one process per batch, one at a time). */
async function gzipFloor(files: string[]): Promise<Pass> {
  const cpuBefore = await childCpuSeconds();
  const started = process.hrtime.bigint();
  for (let at = 0; at < files.length; at += 500) {
    const batch = files.slice(at, at + 500);
    await new Promise<void>((resolve, reject) => {
      const child = spawn('gzip', ['-dc', ...batch], { stdio: ['ignore', 'ignore', 'inherit'] });
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`gzip exited ${code}`))));
    });
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { seconds, cpu: (await childCpuSeconds()) - cpuBefore };
}

async function timedScan(concurrency: number): Promise<Pass & { report: ScanReport }> {
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  const report = await scanArchive(
    new FolderTrailArchive(DIR),
    {},
    {
      concurrency,
      risk: { expectedActors: [], trustedAccounts: [] },
    },
  );
  const cpu = process.cpuUsage(cpuBefore);
  return {
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
    cpu: (cpu.user + cpu.system) / 1e6,
    report,
  };
}

async function main(): Promise<void> {
  let data: { files: number; bytes: number; iamWrites: number; target: number } | undefined;
  if (existsSync(MARKER)) {
    const saved = JSON.parse(await readFile(MARKER, 'utf8'));
    if (saved.target === TARGET_BYTES) data = saved;
  }
  const generatedNow = !data;
  const generated = data ?? (await generate());
  const files = await listFiles(DIR);
  const bytes = (await Promise.all(files.map(async (file) => (await stat(file)).size))).reduce(
    (a, b) => a + b,
    0,
  );
  const mb = bytes / 1e6;

  // The page cache holds the files for every pass (one read first), so disk speed is out of the figures.
  for (const file of files) await readFile(file);
  const floor = await gzipFloor(files);
  const one = await timedScan(1);
  const four = await timedScan(4);
  const rows: Array<[string, Pass]> = [
    ['`gzip -dc` to /dev/null (one process at a time)', floor],
    ['`scan`, 1 file at a time', one],
    ['`scan`, 4 files at a time (the default)', four],
  ];
  const wallFloor = mb / floor.seconds;
  const cpuFloor = mb / floor.cpu;
  const load = os.loadavg()[0]?.toFixed(2);
  const found = four.report.changes;
  const body = `${bytes.toLocaleString('en')} bytes of gzipped CloudTrail logs (${files.length} files, ${generated.iamWrites.toLocaleString('en')} IAM writes = ${(IAM_WRITE_SHARE * 100).toFixed(0)} % of records, plus ${(IAM_READ_SHARE * 100).toFixed(0)} % IAM reads; organisation-trail layout, ${ACCOUNTS.length} accounts × ${REGIONS.length} regions), read from the page cache. MB/s of compressed input (1 MB = 10^6 bytes).

| what | wall time | MB/s (wall) | ratio to \`gzip -dc\` | CPU time | MB per CPU-second | ratio to \`gzip -dc\` |
| --- | --- | --- | --- | --- | --- | --- |
${rows.map(([what, pass]) => `| ${what} | ${pass.seconds.toFixed(1)} s | ${(mb / pass.seconds).toFixed(1)} | ${(mb / pass.seconds / wallFloor).toFixed(2)} | ${pass.cpu.toFixed(1)} s | ${(mb / pass.cpu).toFixed(1)} | ${(mb / pass.cpu / cpuFloor).toFixed(2)} |`).join('\n')}

- every IAM write found: ${found.toLocaleString('en')} of ${generated.iamWrites.toLocaleString('en')}${found === generated.iamWrites ? '' : ' (MISMATCH)'}; ${four.report.skippedFiles.length} files skipped, ${four.report.filesWithoutIam} files without IAM bytes
- \`gzip -dc\` uses one core; \`scan\` decompresses on libuv's thread pool, so with several files at once it uses both cores of this machine. CPU time (every thread of the process; the \`gzip\` children's own) is the fairer comparison on a shared machine: it is what the work costs, whatever else runs
- CPU each pass got, in cores: ${rows.map(([what, pass]) => `${what.split(' (')[0]} ${(pass.cpu / pass.seconds).toFixed(2)}`).join(', ')}: under load the wall times measure the scheduler more than the work
- 1-minute load average ${load} at the end (the machine is shared; other work slows every figure)
- run with \`node bin/run-ts.mjs bench/scan.ts\` (\`--gib N\`, \`--keep\` to keep the generated logs for another run)`;
  process.stdout.write(`${body}\n`);
  writeSection('scan', 'scan: CloudTrail S3 logs, MB/s of compressed input', body);
  if (!KEEP) await rm(DIR, { recursive: true, force: true });
  else process.stderr.write(`kept ${DIR}${generatedNow ? ' (generated now)' : ''}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
