import { parseArgs } from 'node:util';
import { AuditCallError, runCisAudit } from '../app/cis-audit-service';
import {
  AwsCisAuditGateway,
  type CisAuditClientSettings,
  type CisAuditClients,
  createCisAuditClients,
} from '../aws/cis-audit-gateway';
import type { AuditReport, CisAuditChain } from '../domain/cis-audit';
import { type CliCommand, UsageError, writeJson } from './command';

const USAGE = `usage: iam-changes audit [--json] [--region REGION]

Checks CIS AWS Foundations Benchmark 4.4 in the account, link by link: a multi-region trail that is
logging and records IAM writes → its CloudWatch Logs log group → a metric filter counting all 16 IAM
policy calls → an alarm on that filter's metric that one call fires → an SNS action → a topic with a
confirmed subscription. Every failed check prints the aws CLI commands that fix it.

options:
  --json             print {"pass", "checks", "missingEvents", "chain", "candidates", "region"}
                     instead of a table
  --region REGION    the region to audit (default: AWS_REGION, AWS_DEFAULT_REGION, then your AWS config)

AWS is reached with the usual credentials; AWS_ENDPOINT_URL points every call elsewhere (moto_server), and
then TestMetricFilter, which emulators lack, is not asked for.

exit codes: 0 pass, 1 fail (or an AWS call failed: one line names it), 2 bad usage`;

type Env = Record<string, string | undefined>;

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** Where and as whom to call AWS, from the environment the CLI was given. */
function clientSettings(env: Env, region: string | undefined): CisAuditClientSettings {
  const settings: CisAuditClientSettings = {};
  const chosenRegion = nonEmpty(region) ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION);
  if (chosenRegion !== undefined) settings.region = chosenRegion;
  const endpoint = nonEmpty(env.AWS_ENDPOINT_URL);
  if (endpoint !== undefined) settings.endpoint = endpoint;
  const accessKeyId = nonEmpty(env.AWS_ACCESS_KEY_ID);
  const secretAccessKey = nonEmpty(env.AWS_SECRET_ACCESS_KEY);
  // Keys in the given environment are used as given; otherwise the SDK's own chain (profiles, SSO, roles).
  if (accessKeyId !== undefined && secretAccessKey !== undefined) {
    const sessionToken = nonEmpty(env.AWS_SESSION_TOKEN);
    settings.credentials = { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
  }
  return settings;
}

function destroy(clients: CisAuditClients): void {
  clients.cloudTrail.destroy();
  clients.cloudWatchLogs.destroy();
  clients.cloudWatch.destroy();
  clients.sns.destroy();
}

/** `trail "main" (us-east-1) → log group "…" → …`, naming what is missing. */
export function describeAuditChain(chain: CisAuditChain): string {
  const links = [
    chain.trail === undefined ? 'no trail' : `trail "${chain.trail}" (${chain.trailRegion ?? '?'})`,
    chain.logGroup === undefined ? 'no log group' : `log group "${chain.logGroup}"`,
    chain.filter === undefined ? 'no CIS 4.4 filter' : `filter "${chain.filter}" (${chain.metric ?? '?'})`,
    chain.alarm === undefined ? 'no alarm' : `alarm "${chain.alarm}"`,
    chain.topic === undefined ? 'no SNS topic' : `topic ${chain.topic}`,
  ];
  return links.join(' → ');
}

/** The report as a table for a terminal: one line per check, the fix commands indented below a failure. */
export function formatAuditReport(report: AuditReport): string {
  const width = Math.max(...report.checks.map((check) => check.id.length));
  const passed = report.checks.filter((check) => check.pass).length;
  const lines = [
    `CIS AWS Foundations Benchmark 4.4 (IAM policy changes) in ${report.region}: ${report.pass ? 'PASS' : 'FAIL'}`,
    `chain: ${describeAuditChain(report.chain)}${report.candidates > 1 ? ` (the best of ${report.candidates} candidate chains)` : ''}`,
    '',
  ];
  for (const check of report.checks) {
    lines.push(`${check.pass ? '✓' : '✗'} ${check.id.padEnd(width)}  ${check.detail}`);
    if (!check.pass && check.fix !== undefined) {
      lines.push('    fix:', ...check.fix.split('\n').map((line) => `      ${line}`));
    }
  }
  lines.push(
    '',
    `missing events: ${report.missingEvents.length === 0 ? 'none' : report.missingEvents.join(', ')}`,
    `${passed} of ${report.checks.length} checks pass.`,
  );
  return lines.join('\n');
}

async function audit(settings: CisAuditClientSettings, testMetricFilter: boolean): Promise<AuditReport> {
  const clients = createCisAuditClients(settings);
  try {
    return await runCisAudit(new AwsCisAuditGateway(clients, { testMetricFilter }));
  } finally {
    destroy(clients);
  }
}

/**
 * `iam-changes audit [--json] [--region R]`: the CIS 4.4 chain checked in the account. Exit 0 when every
 * check passes, 1 when one fails or an AWS call fails (one line on stderr naming the call, never a stack
 * trace), 2 for bad usage.
 */
export const auditCommand: CliCommand = {
  name: 'audit',
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        region: { type: 'string' },
      },
    });
    if (positionals.length > 0) throw new UsageError(`audit takes no arguments (got "${positionals[0]}")`);
    if (values.region !== undefined && !/^[a-z]{2}(?:-[a-z]+)+-\d+$/.test(values.region)) {
      throw new UsageError(`--region expects a region such as us-east-1 (got "${values.region}")`);
    }
    const env: Env = io.env ?? process.env;
    const settings = clientSettings(env, values.region);
    const emulated = nonEmpty(env.AWS_ENDPOINT_URL) ?? nonEmpty(env.AWS_ENDPOINT_URL_CLOUDWATCH_LOGS);
    let report: AuditReport;
    try {
      report = await audit(settings, emulated === undefined);
    } catch (error: unknown) {
      if (!(error instanceof AuditCallError)) throw error;
      io.stderr.write(`iam-changes: audit failed: ${error.message.split('\n')[0]}\n`);
      return 1;
    }
    if (values.json) {
      writeJson(io, {
        pass: report.pass,
        checks: report.checks,
        missingEvents: report.missingEvents,
        chain: report.chain,
        candidates: report.candidates,
        region: report.region,
      });
    } else {
      io.stdout.write(`${formatAuditReport(report)}\n`);
    }
    return report.pass ? 0 : 1;
  },
};
