/**
 * `iam-changes scan SOURCE`: the IAM writes in CloudTrail's S3 log archive (a folder or `s3://bucket/prefix`),
 * printed like `explain` or as JSON lines, and with `--import` backfilled into the bot's store. Kept in its own
 * module with one entry ({@link runScan}) so the CLI loads it only for this command.
 */
import { parseArgs } from 'node:util';
import { ArchiveFileError, type TrailArchive } from '../app/archive-port';
import { ArchiveImporter, type ScanProgress, scanArchive } from '../app/archive-scan';
import type { Explanation } from '../domain/explain';
import type { ArchiveFilter } from '../domain/trail-archive';
import type { AssessedChange } from '../domain/types';
import { type CliCommand, type CliIo, UsageError, writeJson } from './command';

const USAGE = `usage: iam-changes scan SOURCE [--since TIME] [--until TIME] [--account ID]... [--json] [--import]

Reads CloudTrail's log files — SOURCE is a folder (a copy of the trail's bucket) or s3://BUCKET/PREFIX — and
prints the IAM writes in them, judged like "iam-changes explain". Both layouts are read:
  AWSLogs/<o-org-id>/<account>/CloudTrail/<region>/YYYY/MM/DD/*.json.gz   (organisation trail)
  AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/*.json.gz              (account trail)
Folders of other accounts and of days outside the range are never listed. A corrupt or truncated file is
reported by name on stderr and skipped; the rest is scanned.

options:
  --since TIME            calls at or after TIME (2026-01-31, 2026-01-31T12:00:00Z, or 90d / 12h ago)
  --until TIME            calls before TIME (same forms; default now)
  --account ID            only calls in this 12-digit account (repeatable)
  --json                  one change per line as found (JSON lines), instead of one document at the end
  --import                also store the changes in the bot's table (TABLE_NAME, AWS credentials), once
                          each by event id, so /iam-changes answers from them; never posted to Slack
  --concurrency N         files read at once (default 4)
  --expected-actor GLOB   an ARN glob whose changes are lowered one level (repeatable)
  --trusted-account ID    an account id trust policies may name without alarm (repeatable)
  --no-progress           no progress bar (it is shown only when stderr is a terminal)

S3 is reached with the usual credentials (s3:ListBucket and s3:GetObject); AWS_ENDPOINT_URL points it elsewhere.

exit codes: 0 every file read, 1 some files skipped (named on stderr), 2 bad input or usage`;

const ACCOUNT_ID = /^\d{12}$/;
const MAX_BAR = 30;

/** `2026-01-31`, an ISO time, or `90d` / `12h` / `30m` before `now`. */
export function parseScanTime(text: string, now: Date, flag: string): Date {
  const relative = /^(\d{1,5})([dhm])$/.exec(text);
  if (relative) {
    const unit = { d: 86_400_000, h: 3_600_000, m: 60_000 }[relative[2] as 'd' | 'h' | 'm'];
    return new Date(now.getTime() - Number(relative[1]) * unit);
  }
  const time = /^\d{4}-\d{2}-\d{2}$/.test(text) ? Date.parse(`${text}T00:00:00Z`) : Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(time)) {
    throw new UsageError(
      `${flag} takes a date (2026-01-31), an ISO time or a duration ago (90d, 12h), not "${text}"`,
    );
  }
  return new Date(time);
}

function megabytes(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MB`;
}

/** One line of the progress bar, redrawn in place. */
function progressLine(progress: ScanProgress, startedAt: number, now: number): string {
  const share = progress.bytesTotal > 0 ? progress.bytesDone / progress.bytesTotal : 1;
  const filled = Math.round(share * MAX_BAR);
  const seconds = Math.max(0.001, (now - startedAt) / 1000);
  const rate = progress.bytesDone / 1_048_576 / seconds;
  return `\r[${'#'.repeat(filled)}${'-'.repeat(MAX_BAR - filled)}] ${(share * 100).toFixed(0).padStart(3)}% ${progress.filesDone}/${progress.filesTotal} files ${megabytes(progress.bytesDone)} ${rate.toFixed(1)} MB/s ${progress.changes} changes${progress.skippedFiles > 0 ? ` ${progress.skippedFiles} skipped` : ''}`;
}

function byTime(left: AssessedChange, right: AssessedChange): number {
  return left.eventTime < right.eventTime
    ? -1
    : left.eventTime > right.eventTime
      ? 1
      : left.eventId.localeCompare(right.eventId);
}

async function openArchive(source: string, env: Record<string, string | undefined>): Promise<TrailArchive> {
  if (source.startsWith('s3://')) {
    const { S3TrailArchive, createS3ClientFromEnv, parseS3Location } = await import(
      '../aws/s3-trail-archive'
    );
    parseS3Location(source);
    const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
    return new S3TrailArchive(createS3ClientFromEnv(env, region), source);
  }
  const { FolderTrailArchive } = await import('../archive/folder-trail-archive');
  return new FolderTrailArchive(source);
}

async function openImporter(env: Record<string, string | undefined>): Promise<ArchiveImporter> {
  const [{ parseConfig }, { createTableClientFromEnv }, { DynamoChangeStore }, { DynamoStatsStore }] =
    await Promise.all([
      import('../config'),
      import('../aws/env-clients'),
      import('../store/dynamo-change-store'),
      import('../store/dynamo-stats'),
    ]);
  if (!env.TABLE_NAME) throw new UsageError("--import needs TABLE_NAME (the bot's table) in the environment");
  const config = parseConfig(env);
  const dynamo = createTableClientFromEnv(env, env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1');
  const options = { tableName: config.tableName, retentionDays: config.retentionDays };
  return new ArchiveImporter({
    store: new DynamoChangeStore(dynamo, options),
    stats: new DynamoStatsStore(dynamo, options),
    clock: { now: () => new Date() },
  });
}

/** A SOURCE that is not there or not a log archive is bad input (exit 2), not a skipped file. */
function asUsageError(error: unknown): never {
  if (error instanceof ArchiveFileError) throw new UsageError(error.message);
  throw error;
}

/** Runs `iam-changes scan` with its arguments; returns the exit code. */
export async function runScan(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      since: { type: 'string' },
      until: { type: 'string' },
      account: { type: 'string', multiple: true, default: [] },
      json: { type: 'boolean', default: false },
      import: { type: 'boolean', default: false },
      concurrency: { type: 'string', default: '4' },
      'expected-actor': { type: 'string', multiple: true, default: [] },
      'trusted-account': { type: 'string', multiple: true, default: [] },
      'no-progress': { type: 'boolean', default: false },
    },
  });
  const [source, ...extra] = positionals;
  if (!source) throw new UsageError('give a SOURCE: a folder or s3://BUCKET/PREFIX');
  if (extra.length > 0) throw new UsageError(`one SOURCE only, got also "${extra[0]}"`);
  const env = io.env ?? process.env;
  const now = new Date();
  const filter: ArchiveFilter = {};
  if (values.since) filter.since = parseScanTime(values.since, now, '--since');
  if (values.until) filter.until = parseScanTime(values.until, now, '--until');
  if (filter.since && filter.until && filter.since >= filter.until) {
    throw new UsageError('--since must be before --until');
  }
  const accounts = values.account ?? [];
  const badAccount = accounts.find((account) => !ACCOUNT_ID.test(account));
  if (badAccount !== undefined)
    throw new UsageError(`--account takes a 12-digit account id, not "${badAccount}"`);
  if (accounts.length > 0) filter.accounts = accounts;
  const concurrency = Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    throw new UsageError('--concurrency takes a whole number from 1 to 64');
  }

  const archive = await openArchive(source, env).catch(asUsageError);
  const importer = values.import ? await openImporter(env) : undefined;
  const stderr = io.stderr as NodeJS.WritableStream & { isTTY?: boolean };
  const showProgress = stderr.isTTY === true && !values['no-progress'];
  const startedAt = Date.now();
  let barShown = false;
  let lastDraw = 0;
  const changes: AssessedChange[] = [];

  // Offline, as `explain`: an attach is judged by the AWS managed policy catalogue's document.
  const [
    { ChangeContent },
    { CataloguePolicyDocuments, PolicyDocumentResolver },
    { GeneratedManagedPolicyCatalogue },
  ] = await Promise.all([
    import('../app/change-content'),
    import('../app/policy-documents'),
    import('../catalogue/managed-policies'),
  ]);
  const content = new ChangeContent({
    policies: new PolicyDocumentResolver([
      new CataloguePolicyDocuments(new GeneratedManagedPolicyCatalogue()),
    ]),
  });
  const report = await scanArchive(archive, filter, {
    content,
    concurrency,
    risk: {
      expectedActors: values['expected-actor'] ?? [],
      trustedAccounts: values['trusted-account'] ?? [],
    },
    async onChange(change) {
      if (importer) await importer.import(change);
      if (values.json) io.stdout.write(`${JSON.stringify(change)}\n`);
      else changes.push(change);
    },
    onSkippedFile(skipped) {
      stderr.write(`${barShown ? '\n' : ''}iam-changes: skipped ${skipped.name}: ${skipped.reason}\n`);
      barShown = false;
    },
    onProgress(progress) {
      if (!showProgress) return;
      const at = Date.now();
      if (at - lastDraw < 100 && progress.filesDone < progress.filesTotal) return;
      lastDraw = at;
      stderr.write(progressLine(progress, startedAt, at));
      barShown = true;
    },
  }).catch(asUsageError);
  if (barShown) stderr.write('\n');

  if (!values.json) {
    const explanation: Explanation = { changes: changes.sort(byTime), alarms: [], skipped: [] };
    writeJson(io, explanation);
  }
  const seconds = (Date.now() - startedAt) / 1000;
  const imported = importer
    ? `; imported ${importer.tally.imported} (${importer.tally.alreadyStored} already stored)`
    : '';
  stderr.write(
    `iam-changes: scanned ${report.files} files (${megabytes(report.bytes)}) of ${report.location} in ${seconds.toFixed(1)} s: ${report.changes} IAM changes${imported}${report.skippedFiles.length > 0 ? `; ${report.skippedFiles.length} files skipped` : ''}\n`,
  );
  return report.skippedFiles.length > 0 ? 1 : 0;
}

/** `iam-changes scan`: registered in the CLI's command list; the work is in {@link runScan}. */
export const scanCommand: CliCommand = {
  name: 'scan',
  usage: USAGE,
  run: runScan,
};
