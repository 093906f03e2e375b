/**
 * Wiring of "was this you?": the use case on the change store, the waiting list, the audit log, Slack (the Web API
 * gateway) and the resolver (the mapping, IAM user tags). Built by the worker (to ask, on notify's `ask-actor`
 * jobs) only when `readAskActorConfig` says the feature is on. The Slack handler takes the answers with a use case
 * of its own that resolves no one; the scheduled sweep of unanswered asks is `./ask-sweep`.
 */

import { IAMClient } from '@aws-sdk/client-iam';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AskActorService } from '../app/ask-actor-service';
import type { AuditLog } from '../app/audit-port';
import { AUDIT_LINE_MESSAGE } from '../app/logged-audit-log';
import type { AskActorConfig } from '../ask-actor-config';
import { IamTagActorResolver } from '../aws/actor-resolver';
import { awsClientConfig, IAM_REGION } from '../aws/client-config';
import type { Config } from '../config';
import { parseActorMapping } from '../domain/actor-mapping';
import { SlackActorAskChannel } from '../slack/render-ask';
import type { WebApiSlackGateway } from '../slack/web-api-gateway';
import { DynamoChangeStore } from '../store/dynamo-change-store';
import { DynamoPendingAsks } from '../store/dynamo-pending-asks';
import type { SecretReader } from './on-demand';
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

/** Where no audit log is given (the worker passes its own: the table and the line), entries are JSON lines only. */
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
