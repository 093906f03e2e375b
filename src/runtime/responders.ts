/**
 * Wiring shared by the Slack handler and the worker: the Slack gateway (the bot token from SSM, or the
 * environment locally), the store, the audit log and the daily counters. Built once per cold start.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type AuditLineWriter, LoggedAuditLog } from '../app/logged-audit-log';
import { type Config, requireSigningSecret, requireSlackToken } from '../config';
import { createSlackClient, WebApiSlackGateway } from '../slack/web-api-gateway';
import { DynamoAuditLog } from '../store/dynamo-audit-log';
import { DynamoChangeStore } from '../store/dynamo-change-store';
import { DynamoCisStatusStore } from '../store/dynamo-cis-status';
import { DynamoStatsStore } from '../store/dynamo-stats';
import type { SecretReader } from './on-demand';

/** The bot token: from the environment, or SSM at cold start. */
export async function readBotToken(config: Config, secrets: SecretReader): Promise<string> {
  const source = requireSlackToken(config);
  return 'token' in source ? source.token : secrets(source.parameter);
}

/** The signing secret Slack signs requests with: from the environment, or SSM at cold start. */
export async function readSigningSecret(config: Config, secrets: SecretReader): Promise<string> {
  const source = requireSigningSecret(config);
  return 'secret' in source ? source.secret : secrets(source.parameter);
}

/** The Slack gateway of the responder path, `SLACK_API_URL` honoured. */
export function buildInteractionGateway(config: Config, token: string): WebApiSlackGateway {
  const apiUrl = config.slack.apiUrl;
  return new WebApiSlackGateway(createSlackClient({ token, ...(apiUrl ? { slackApiUrl: apiUrl } : {}) }), {
    // A local Slack (tests, the local runtime) answers `response_url`s on its own origin.
    ...(apiUrl ? { responseUrlOrigins: [new URL(apiUrl).origin] } : {}),
  });
}

/**
 * An {@link AuditLineWriter} printing one JSON line to standard output, shaped like the Powertools logger's: for
 * builders not given the handler's logger (the local runtime, tests).
 */
export function jsonLineAuditWriter(
  print: (text: string) => void = (text) => process.stdout.write(`${text}\n`),
): AuditLineWriter {
  return (message, line) =>
    print(JSON.stringify({ level: 'INFO', message, timestamp: new Date().toISOString(), ...line }));
}

/**
 * The store, the audit log and the stats on the bot's one table. Every audit entry is first written as a log line
 * through `auditLine`, then to the table.
 */
export function buildStores(config: Config, dynamo: DynamoDBDocumentClient, auditLine: AuditLineWriter) {
  const options = { tableName: config.tableName, retentionDays: config.retentionDays };
  return {
    store: new DynamoChangeStore(dynamo, options),
    audit: new LoggedAuditLog(new DynamoAuditLog(dynamo, options), auditLine),
    stats: new DynamoStatsStore(dynamo, options),
    cisStatus: new DynamoCisStatusStore(dynamo, options),
  };
}
