import { parseArgs } from 'node:util';
import {
  AssumeRoleCommand,
  type AssumeRoleCommandOutput,
  GetCallerIdentityCommand,
} from '@aws-sdk/client-sts';
import type { AuditEntry, AuditLog } from '../app/audit-port';
import { BeforeStateResolver } from '../app/before-state';
import type { ChangeStore, DocumentSnapshot } from '../app/ports';
import type { RespondedChange, RevertClaimResult, RevertRecord, RevertStore } from '../app/revert-port';
import {
  type DriftCheck,
  describeRevertRecord,
  type RevertOutcome,
  type RevertPreview,
  RevertService,
} from '../app/revert-service';
import { IAM_REGION } from '../aws/client-config';
import { CloudTrailHistory } from '../aws/cloudtrail-history';
import {
  createClientsFromEnv,
  createStsFromEnv,
  createTableClientFromEnv,
  credentialsFrom,
} from '../aws/env-clients';
import { AwsIamGateway } from '../aws/iam-gateway';
import { botRoleOf } from '../domain/bot-identity';
import { explainItems } from '../domain/explain';
import { readInputText } from '../domain/input';
import { resourceOf } from '../domain/resources';
import type { AssessedChange } from '../domain/types';
import { DynamoAuditLog } from '../store/dynamo-audit-log';
import { DynamoChangeStore } from '../store/dynamo-change-store';
import { type CliCommand, type CliIo, readSource, UsageError, writeJson } from './command';

const USAGE = `usage: iam-changes revert FILE [--event-id ID] [--role NAME|ARN] [--execute [--reason TEXT] [--by NAME]] [--json]

Reverts one IAM change the way the Slack Revert button does, for when Slack is down or you prefer a
terminal. FILE is any input the bot accepts (a CloudTrail record, a CloudTrail log file, an EventBridge
or SNS envelope, …; - for standard input); its first change is reverted, or the one --event-id names.

Without --execute it is a dry run: the plan (the exact IAM calls and their aws iam commands), where the
previous document came from (the store, CloudTrail history, IAM, or unknown) and the drift check — the
live state read from IAM against the state right after the change. Nothing is changed.

With --execute the revert is claimed (exactly once), the before-state and the live state are read again,
the calls run in order, and IAM is read back to prove the result.

options:
  --event-id ID   the change to revert when FILE holds several
  --role NAME|ARN the role to assume in the change's account (the bot's responder role there, e.g.
                  iam-changes-responder), when your credentials are for another account
  --execute       make the calls (default: dry run)
  --reason TEXT   why, for the record (default: "reverted with the iam-changes CLI")
  --by NAME       who, for the record (default: $USER)
  --json          print the preview (and the outcome) as JSON

AWS is reached with the usual credentials (AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, …);
AWS_ENDPOINT_URL points every call elsewhere (moto_server). They must be for the account the change was made
in (STS GetCallerIdentity says whose they are): otherwise it refuses, unless --role names a role to assume
there.
With TABLE_NAME and AWS credentials the bot's DynamoDB table holds the claim, the result and the audit
entry, shared with the Slack bot; otherwise they are kept in memory for this run only (it says so).
BOT_WORKER_ROLE_ARN (the worker role's exact ARN) marks the bot's own calls, which are never reverted from here.

exit codes: 0 done or planned, 1 refused (drift, unknown before-state, unsupported) or failed, 2 bad input`;

type Env = Record<string, string | undefined>;

const DEFAULT_REASON = 'reverted with the iam-changes CLI';

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** True when the environment names a table and a way to reach it as someone. */
function hasTable(env: Env): boolean {
  const credentials =
    credentialsFrom(env) !== undefined ||
    nonEmpty(env.AWS_PROFILE) !== undefined ||
    nonEmpty(env.AWS_WEB_IDENTITY_TOKEN_FILE) !== undefined ||
    nonEmpty(env.AWS_CONTAINER_CREDENTIALS_FULL_URI) !== undefined ||
    nonEmpty(env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI) !== undefined;
  return nonEmpty(env.TABLE_NAME) !== undefined && credentials;
}

/**
 * The store when no table is configured: only what a revert needs (the change from FILE, the claim and its
 * result), in memory for this run. The bot's table is not touched, so a revert made this way is not seen by
 * the Slack bot: the CLI says so.
 */
class MemoryRevertStore implements RevertStore, Pick<ChangeStore, 'documentBefore'> {
  private readonly changes = new Map<string, RespondedChange>();

  add(change: AssessedChange, now: Date): void {
    const at = now.toISOString();
    this.changes.set(change.eventId, {
      change,
      delivery: 'pending',
      attempts: 0,
      firstSeenAt: at,
      updatedAt: at,
    });
  }

  async getChange(eventId: string): Promise<RespondedChange | undefined> {
    return this.changes.get(eventId);
  }

  async claimRevert(eventId: string, claim: RevertRecord): Promise<RevertClaimResult> {
    const stored = this.changes.get(eventId);
    if (!stored) throw new Error(`change ${eventId} is not in the store`);
    if (stored.revert && stored.revert.status !== 'refused')
      return { claimed: false, existing: stored.revert };
    stored.revert = claim;
    return { claimed: true };
  }

  async finishRevert(eventId: string, result: RevertRecord): Promise<void> {
    const stored = this.changes.get(eventId);
    if (stored) stored.revert = result;
  }

  async documentBefore(): Promise<DocumentSnapshot | undefined> {
    return undefined;
  }
}

/** The audit log when no table is configured: kept for this run, printed with the result. */
class MemoryAuditLog implements AuditLog {
  readonly entries: AuditEntry[] = [];

  async append(entry: AuditEntry): Promise<void> {
    this.entries.push(entry);
  }

  async list(since: Date, limit: number): Promise<AuditEntry[]> {
    return this.entries
      .filter((entry) => Date.parse(entry.at) >= since.getTime())
      .reverse()
      .slice(0, limit);
  }
}

function parse(args: string[]) {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      'event-id': { type: 'string' },
      execute: { type: 'boolean', default: false },
      reason: { type: 'string' },
      by: { type: 'string' },
      role: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (positionals.length > 1) throw new UsageError(`give one FILE (got ${positionals.length})`);
  return { values, file: positionals[0] };
}

/** The change to revert: the first of the input, or the one `--event-id` names. */
function pickChange(text: string, eventId: string | undefined): AssessedChange {
  const explanation = explainItems(readInputText(text), { expectedActors: [], trustedAccounts: [] });
  const { changes } = explanation;
  if (changes.length === 0) {
    const why =
      explanation.alarms.length > 0
        ? 'an alarm message carries no event: give the CloudTrail record (see iam-changes explain)'
        : explanation.skipped.length > 0
          ? `nothing to revert: ${explanation.skipped.map((skip) => skip.reason).join('; ')}`
          : 'the input holds no IAM change';
    throw new UsageError(why);
  }
  if (eventId === undefined) return changes[0] as AssessedChange;
  const chosen = changes.find((change) => change.eventId === eventId);
  if (!chosen) {
    const ids = changes.map((change) => change.eventId).join(', ');
    throw new UsageError(`no change with event id ${eventId} in the input (it holds ${ids})`);
  }
  return chosen;
}

function driftLine(drift: DriftCheck): string {
  if ('drifted' in drift) {
    return drift.drifted
      ? `DRIFTED — now: ${drift.current}; expected: ${drift.expected}`
      : `no drift — ${drift.current}`;
  }
  if ('error' in drift) return `could not read the live state: ${drift.error}`;
  return `not checked: ${drift.skipped}`;
}

function formatPreview(preview: RevertPreview, storeNote: string): string {
  const { change, plan, beforeSource } = preview;
  const source = [beforeSource.kind, beforeSource.detail].filter(Boolean).join(' — ');
  const lines = [
    `change: ${change.eventName} on ${resourceOf(change)} by ${change.actor.name} at ${change.eventTime} (event ${change.eventId})`,
    `before-state: ${source}`,
    `drift check: ${driftLine(preview.drift)}`,
  ];
  if (plan.steps.length > 0) {
    lines.push('plan:');
    plan.steps.forEach((step, index) => {
      const params = Object.entries(step.params)
        .map(([name, value]) => `${name}=${String(value)}`)
        .join(' ');
      lines.push(`  ${index + 1}. ${step.action} ${params}`);
    });
    lines.push('commands:', ...plan.cli.map((line) => `  ${line}`));
  }
  if (plan.notes && plan.notes.length > 0) lines.push('notes:', ...plan.notes.map((note) => `  - ${note}`));
  if (preview.revert) lines.push(`recorded revert: ${preview.revert.status} by ${preview.revert.by.name}`);
  lines.push(`store: ${storeNote}`);
  return lines.join('\n');
}

function formatOutcome(outcome: RevertOutcome): string {
  switch (outcome.status) {
    case 'done':
      return [
        'reverted:',
        ...outcome.record.steps.map((step) => `  ${step.status}: ${step.cli}`),
        `verified: ${outcome.verification.current}`,
      ].join('\n');
    case 'failed':
      return [
        `revert FAILED: ${outcome.error}`,
        ...outcome.record.steps.map(
          (step) => `  ${step.status}: ${step.cli}${step.error ? ` (${step.error})` : ''}`,
        ),
      ].join('\n');
    case 'refused':
      return `refused: ${outcome.reason}`;
    case 'already-claimed':
      return `refused: ${describeRevertRecord(outcome.existing)}`;
  }
}

/** The one line said when no credentials are found: what to set. */
const NO_CREDENTIALS =
  'no AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary ones), for the account the change was made in';

const ROLE_NAME = /^[\w+=,.@/-]{1,512}$/;
const ROLE_ARN = /^arn:aws[\w-]*:iam::(\d{12}):role\/[\w+=,.@/-]+$/;

/** The ARN of `--role` in `accountId`: a name is made an ARN there; an ARN must be in that account. */
function roleArnOf(role: string, accountId: string): string {
  const arn = ROLE_ARN.exec(role);
  if (arn) {
    if (arn[1] !== accountId) {
      throw new UsageError(
        `--role ${role} is in account ${arn[1]}, the change was made in account ${accountId}`,
      );
    }
    return role;
  }
  if (!ROLE_NAME.test(role) || role.startsWith('arn:')) {
    throw new UsageError(`--role: expected a role name or a role ARN, got ${JSON.stringify(role)}`);
  }
  const name = role.replace(/^\/+/, '');
  return `arn:aws:iam::${accountId}:role/${name}`;
}

/** A problem with the credentials: one line, exit 1. */
class CredentialsProblem extends Error {
  override name = 'CredentialsProblem';
}

function awsErrorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return `${error.name}: ${error.message.split('\n')[0]}`;
}

/**
 * Whose the credentials are (STS GetCallerIdentity), and, with `--role`, the assumed role's credentials: the
 * environment to reach IAM and CloudTrail of the change's account with. Refuses (a {@link CredentialsProblem})
 * when there are none, when STS refuses them, or when they are for another account than the change's and no
 * role is named — acting there with them would read, and revert, the wrong account's IAM.
 */
async function credentialsForChange(env: Env, accountId: string, role: string | undefined): Promise<Env> {
  const sts = createStsFromEnv(env);
  try {
    let caller: string | undefined;
    try {
      caller = (await sts.send(new GetCallerIdentityCommand({}))).Account;
    } catch (error: unknown) {
      if (error instanceof Error && error.name === 'CredentialsProviderError')
        throw new CredentialsProblem(NO_CREDENTIALS);
      throw new CredentialsProblem(`STS did not accept the AWS credentials (${awsErrorText(error)})`);
    }
    if (role === undefined) {
      if (caller === accountId) return env;
      throw new CredentialsProblem(
        `refused: the AWS credentials are for account ${caller ?? 'unknown'}, the change was made in account ${accountId}: use credentials for ${accountId}, or --role NAME to assume the responder role there`,
      );
    }
    const roleArn = roleArnOf(role, accountId);
    let output: AssumeRoleCommandOutput;
    try {
      output = await sts.send(
        new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'iam-changes-cli', DurationSeconds: 900 }),
      );
    } catch (error: unknown) {
      throw new CredentialsProblem(
        `could not assume ${roleArn} with the credentials of account ${caller ?? 'unknown'} (${awsErrorText(error)})`,
      );
    }
    const credentials = output.Credentials;
    if (!credentials?.AccessKeyId || !credentials.SecretAccessKey) {
      throw new CredentialsProblem(`assuming ${roleArn} returned no credentials`);
    }
    const sessionAccount = output.AssumedRoleUser?.Arn?.split(':')[4];
    if (sessionAccount !== accountId) {
      throw new CredentialsProblem(
        `assuming ${roleArn} gave a session in account ${sessionAccount ?? 'unknown'}, not ${accountId}`,
      );
    }
    return {
      ...env,
      AWS_ACCESS_KEY_ID: credentials.AccessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.SecretAccessKey,
      AWS_SESSION_TOKEN: credentials.SessionToken,
      AWS_PROFILE: undefined,
    };
  } finally {
    sts.destroy();
  }
}

async function run(args: string[], io: CliIo): Promise<number> {
  try {
    return await revert(args, io);
  } catch (error: unknown) {
    if (!(error instanceof CredentialsProblem)) throw error;
    io.stderr.write(`iam-changes: ${error.message}\n`);
    return 1;
  }
}

async function revert(args: string[], io: CliIo): Promise<number> {
  const { values, file } = parse(args);
  if (file === undefined) throw new UsageError('give the FILE holding the change to revert (or - for stdin)');
  const picked = pickChange(await readSource(file, io), values['event-id']);
  const env: Env = io.env ?? process.env;
  // A call by the bot's own worker role is the bot's revert or quarantine: undone by hand, never from here.
  const workerRoleArn = nonEmpty(env.BOT_WORKER_ROLE_ARN);
  const botRole = workerRoleArn ? botRoleOf(picked.actor, { workerRoleArn, memberAccounts: [] }) : undefined;
  const change: AssessedChange = botRole ? { ...picked, bot: { role: botRole, recorded: true } } : picked;
  const region = nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION) ?? IAM_REGION;
  const accountId = change.recipientAccountId ?? change.accountId;
  const role = nonEmpty(values.role);
  // IAM and CloudTrail of the change's account; the table stays the one the environment names (the bot's own).
  const actingEnv = await credentialsForChange(env, accountId, role);
  const { iam: iamClient, cloudTrail } = createClientsFromEnv(actingEnv, region, { table: false });
  const dynamo = hasTable(env) ? createTableClientFromEnv(env, region) : undefined;
  try {
    const now = new Date();
    let store: RevertStore & Pick<ChangeStore, 'documentBefore'>;
    let audit: AuditLog;
    let storeNote: string;
    if (dynamo) {
      const tableName = nonEmpty(env.TABLE_NAME) ?? '';
      const documents = dynamo;
      const table = new DynamoChangeStore(documents, { tableName });
      if (!(await table.getChange(change.eventId))) await table.claimChange(change, now, now);
      store = table;
      audit = new DynamoAuditLog(documents, { tableName });
      storeNote = `DynamoDB table ${tableName} (shared with the Slack bot)`;
    } else {
      const memory = new MemoryRevertStore();
      memory.add(change, now);
      store = memory;
      audit = new MemoryAuditLog();
      storeNote =
        'in memory (TABLE_NAME or AWS credentials not set): the claim and the audit entry last for this run only, and the Slack bot does not see them';
    }
    const iam = new AwsIamGateway(iamClient);
    const clock = { now: () => new Date() };
    const service = new RevertService({
      store,
      iam,
      resolver: new BeforeStateResolver({ store, trail: new CloudTrailHistory(cloudTrail), iam, clock }),
      clock,
      audit,
    });

    if (!values.execute) {
      const preview = await service.prepare(change.eventId);
      if (values.json) writeJson(io, { mode: 'dry-run', store: storeNote, ...previewJson(preview) });
      else {
        io.stdout.write(`${formatPreview(preview, storeNote)}\n`);
        io.stdout.write(
          preview.refusal
            ? `refused: ${preview.refusal}\n`
            : 'dry run: nothing changed (run again with --execute to revert)\n',
        );
      }
      if (preview.refusal) io.stderr.write(`iam-changes: refused: ${preview.refusal.split('\n')[0]}\n`);
      return preview.refusal ? 1 : 0;
    }

    const outcome = await service.execute(change.eventId, {
      by: { name: nonEmpty(values.by) ?? nonEmpty(env.USER) ?? 'cli' },
      reason: nonEmpty(values.reason) ?? DEFAULT_REASON,
    });
    if (values.json) {
      writeJson(io, {
        mode: 'execute',
        store: storeNote,
        status: outcome.status,
        ...('preview' in outcome && outcome.preview ? previewJson(outcome.preview) : {}),
        outcome,
      });
    } else {
      if ('preview' in outcome && outcome.preview) {
        io.stdout.write(`${formatPreview(outcome.preview, storeNote)}\n`);
      }
      io.stdout.write(`${formatOutcome(outcome)}\n`);
    }
    if (outcome.status !== 'done') {
      io.stderr.write(`iam-changes: ${formatOutcome(outcome).split('\n')[0]}\n`);
      return 1;
    }
    return 0;
  } finally {
    iamClient.destroy();
    cloudTrail.destroy();
    dynamo?.destroy();
  }
}

function previewJson(preview: RevertPreview) {
  return {
    eventId: preview.change.eventId,
    eventName: preview.change.eventName,
    resource: resourceOf(preview.change),
    plan: preview.plan,
    beforeSource: preview.beforeSource,
    drift: preview.drift,
    ...(preview.refusal ? { refusal: preview.refusal } : {}),
  };
}

/**
 * `iam-changes revert FILE [--execute] [--json]`: the Slack Revert button from a terminal, through the same
 * `RevertService` (claim, drift guard, read-back, record). Exit 0 done or planned, 1 refused or failed, 2 bad
 * input (thrown as `UsageError` / `InputError`, which the CLI maps to one line).
 */
export const revertCommand: CliCommand = {
  name: 'revert',
  usage: USAGE,
  run,
};
