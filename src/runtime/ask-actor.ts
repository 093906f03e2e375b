/**
 * Wiring of "was this you?": the use case on the change store, the waiting list, the audit log, Slack (the Web API
 * gateway) and the resolver (the mapping, IAM user tags). Built by the worker (to ask, on notify's `ask-actor`
 * jobs) and the scheduled follow-up function (to note asks left unanswered), only when `readAskActorConfig` says
 * the feature is on. The Slack handler takes the answers with a use case of its own that resolves no one.
 */

import { IAMClient } from '@aws-sdk/client-iam';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type ActorAskChannel, AskActorService } from '../app/ask-actor-service';
import type { AuditLog } from '../app/audit-port';
import { AUDIT_LINE_MESSAGE } from '../app/logged-audit-log';
import type { Clock } from '../app/ports';
import type { AskActorConfig } from '../ask-actor-config';
import { IamTagActorResolver } from '../aws/actor-resolver';
import { awsClientConfig, IAM_REGION } from '../aws/client-config';
import type { Config } from '../config';
import { parseActorMapping } from '../domain/actor-mapping';
import { SlackActorAskChannel } from '../slack/render-ask';
import type { WebApiSlackGateway } from '../slack/web-api-gateway';
import { DynamoChangeStore } from '../store/dynamo-change-store';
import { DynamoPendingAsks } from '../store/dynamo-pending-asks';
import { lazily, type SecretReader } from './on-demand';
import { jsonLineAuditWriter } from './responders';

/** What the ask is built from. */
export interface AskActorWiring {
  config: Config;
  ask: AskActorConfig;
  dynamo: DynamoDBDocumentClient;
  slack: Pick<WebApiSlackGateway, 'userIdByEmail' | 'openDirectMessage' | 'postMessage' | 'updateMessage'>;
  /** The audit log (a JSON log line only, when not given: see `logLineAudit`). */
  audit?: AuditLog;
  /** IAM for the users' tags (built on the home account's credentials when not given). */
  iam?: Pick<IAMClient, 'send'>;
  /** Reads `ASK_ACTOR_MAPPING_PARAMETER` when set. */
  secrets?: SecretReader;
  log?: (message: string, details: Record<string, unknown>) => void;
}

/**
 * The follow-up function (notify's role) may not write the audit table: the asks it notes as unanswered are kept
 * as the same JSON audit line in its log. The worker passes its audit log (the table and the line).
 */
function logLineAudit(): AuditLog {
  const write = jsonLineAuditWriter();
  return {
    append: async (entry) => write(AUDIT_LINE_MESSAGE, { ...entry, audit: true }),
    list: async () => [],
  };
}

/** The "was this you?" use case, or a clear `ConfigError`-like throw when the mapping parameter is bad. */
export async function buildAskActorService(wiring: AskActorWiring): Promise<AskActorService> {
  const { config, ask } = wiring;
  let rules = ask.rules;
  if (ask.mappingParameter && wiring.secrets) {
    rules = [...rules, ...parseActorMapping(await wiring.secrets(ask.mappingParameter))];
  }
  const iam = wiring.iam ?? new IAMClient(awsClientConfig(IAM_REGION, {}));
  return new AskActorService({
    resolver: new IamTagActorResolver({
      rules,
      iam,
      ...(config.responder.homeAccountId ? { homeAccountId: config.responder.homeAccountId } : {}),
    }),
    slack: new SlackActorAskChannel(wiring.slack),
    store: new DynamoChangeStore(wiring.dynamo, {
      tableName: config.tableName,
      retentionDays: config.retentionDays,
    }),
    audit: wiring.audit ?? logLineAudit(),
    clock: { now: () => new Date() },
    settings: { timeoutMinutes: ask.timeoutMinutes },
    pending: new DynamoPendingAsks(wiring.dynamo, { tableName: config.tableName }),
    ...(wiring.log ? { log: wiring.log } : {}),
  });
}

/** What the scheduled sweep of unanswered asks is built from. */
export interface AskSweepWiring {
  config: Config;
  ask: AskActorConfig;
  dynamo: DynamoDBDocumentClient;
  /** The Slack gateway, built on the first overdue ask: a run with nothing overdue reads no token. */
  slack: () => Promise<AskActorWiring['slack']>;
  audit?: AuditLog;
  clock?: Clock;
  log?: (message: string, details: Record<string, unknown>) => void;
}

/**
 * The sweep of asks left unanswered past `ASK_ACTOR_TIMEOUT_MINUTES` (the scheduled follow-up function, and the
 * local runtime's timer): with nothing overdue, one DynamoDB query and nothing else — no token, no IAM.
 */
export function buildAskSweep(wiring: AskSweepWiring): Pick<AskActorService, 'sweep'> {
  const slack = lazily(async () => new SlackActorAskChannel(await wiring.slack()));
  const channel: ActorAskChannel = {
    userIdByEmail: async (email) => (await slack()).userIdByEmail(email),
    sendAsk: async (userId, change) => (await slack()).sendAsk(userId, change),
    updateAlert: async (ref, state) => (await slack()).updateAlert(ref, state),
    postDenial: async (place, state) => (await slack()).postDenial(place, state),
    updateAsk: async (dm, state) => (await slack()).updateAsk(dm, state),
  };
  const { config } = wiring;
  return new AskActorService({
    // The sweep asks no one: it only notes asks already made.
    resolver: { targetOf: async () => undefined },
    slack: channel,
    store: new DynamoChangeStore(wiring.dynamo, {
      tableName: config.tableName,
      retentionDays: config.retentionDays,
    }),
    pending: new DynamoPendingAsks(wiring.dynamo, { tableName: config.tableName }),
    audit: wiring.audit ?? logLineAudit(),
    clock: wiring.clock ?? { now: () => new Date() },
    settings: { timeoutMinutes: wiring.ask.timeoutMinutes },
    ...(wiring.log ? { log: wiring.log } : {}),
  });
}
