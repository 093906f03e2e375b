/**
 * Wiring of the sweep of "was this you?" asks left unanswered past `ASK_ACTOR_TIMEOUT_MINUTES`: run by the scheduled
 * follow-up function and the local runtime's timer. It asks no one, so it carries no resolver (no IAM): the store,
 * the waiting list, the audit log and Slack, built on the first overdue ask.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type ActorAskChannel, AskActorService } from '../app/ask-actor-service';
import type { AuditLog } from '../app/audit-port';
import { AUDIT_LINE_MESSAGE } from '../app/logged-audit-log';
import type { Clock } from '../app/ports';
import type { AskActorConfig } from '../ask-actor-config';
import type { Config } from '../config';
import { SlackActorAskChannel } from '../slack/render-ask';
import type { WebApiSlackGateway } from '../slack/web-api-gateway';
import { DynamoChangeStore } from '../store/dynamo-change-store';
import { DynamoPendingAsks } from '../store/dynamo-pending-asks';
import { lazily } from './on-demand';

/** What the scheduled sweep of unanswered asks is built from. */
export interface AskSweepWiring {
  config: Config;
  ask: AskActorConfig;
  dynamo: DynamoDBDocumentClient;
  /** The Slack gateway, built on the first overdue ask: a run with nothing overdue reads no token. */
  slack: () => Promise<
    Pick<WebApiSlackGateway, 'userIdByEmail' | 'openDirectMessage' | 'postMessage' | 'updateMessage'>
  >;
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

/**
 * The follow-up function appends no audit items: each entry is the JSON audit line in its log, shaped like the
 * other functions' (the Powertools logger's), printed here so this bundle carries none of the responders' wiring.
 */
function logLineAudit(): AuditLog {
  return {
    append: async (entry) => {
      const line = { level: 'INFO', message: AUDIT_LINE_MESSAGE, timestamp: new Date().toISOString() };
      process.stdout.write(`${JSON.stringify({ ...line, ...entry, audit: true })}\n`);
    },
    list: async () => [],
  };
}
