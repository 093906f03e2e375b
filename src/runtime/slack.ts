/**
 * Wiring of the Slack handler: Bolt's `App` on an `AwsLambdaReceiver` (the signing secret from SSM, or the
 * environment locally), the listeners of `src/slack/app.ts`, and their dependencies — the store, the audit
 * log, the authoriser, the query service, Slack, and the jobs topic. This is the only module that loads Bolt;
 * the notify and worker paths never do.
 *
 * The local runtime builds the same thing with its own parts: `buildListenerDependencies({ config, aws, jobs })`
 * with an `InProcessJobQueue` (and `SLACK_API_URL` pointing at the local Slack) gives listeners it can register
 * on any `App` with `registerListeners` (Socket Mode included); `buildSlackHandler` with the same wiring gives
 * the Lambda-shaped handler, to feed signed API Gateway v2 requests.
 */

import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { CachedAccountDirectory } from '../app/account-directory';
import { AskActorService } from '../app/ask-actor-service';
import { ResponderAuthorizer } from '../app/authorize';
import { HomeService } from '../app/home-service';
import type { JobQueue } from '../app/jobs';
import type { AuditLineWriter } from '../app/logged-audit-log';
import type { SlackInteractionGateway } from '../app/slack-port';
import { type AskActorConfig, readAskActorConfig } from '../ask-actor-config';
import type { AwsClients } from '../aws/clients';
import { createDocumentClient } from '../aws/dynamo-client';
import { type Config, requireJobsTopic } from '../config';
import { registerListeners } from '../slack/app';
import { App, AwsLambdaReceiver, LogLevel } from '../slack/bolt-lambda';
import type { ListenerDependencies, ListenerLog } from '../slack/listeners/context';
import { SlackActorAskChannel } from '../slack/render-ask';
import { homeExpectationOf } from '../slack/render-expectation';
import { homeMuteOf } from '../slack/render-mute';
import { guardSlackRequest, type MAX_SLACK_BODY_BYTES, readSignedRequest } from '../slack/request-guard';
import type { WebApiSlackGateway } from '../slack/web-api-gateway';
import { DynamoAccountDirectoryStore } from '../store/dynamo-account-directory';
import { DynamoChangeStore } from '../store/dynamo-change-store';
import { DynamoExpectationStore } from '../store/dynamo-expectations';
import { DynamoMuteStore } from '../store/dynamo-mutes';
import { onDemandJobQueue, onDemandSecrets, onDemandTrailHistory } from './on-demand';
import { buildQueryService } from './queries';
import {
  buildInteractionGateway,
  buildStores,
  jsonLineAuditWriter,
  readBotToken,
  readSigningSecret,
} from './responders';

export { readSigningSecret } from './responders';

/** The Slack function's Lambda handler: an API Gateway HTTP API (payload v2) request in, the answer out. */
export type SlackHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

/** What the Slack side is built from; everything but `config` defaults to the real thing. */
export interface SlackWiring {
  config: Config;
  /**
   * The AWS clients (when not given: DynamoDB built at cold start; SSM, SNS and CloudTrail on first use — the
   * secrets, the first job, the first history search).
   */
  aws?: AwsClients;
  /** Where listeners publish slow work: the SNS jobs topic (`JOBS_TOPIC_ARN`) unless given. */
  jobs?: JobQueue;
  /** Slack (a `WebApiSlackGateway` with the bot token when not given). */
  slack?: SlackInteractionGateway;
  log?: ListenerLog;
  /** Where each audit entry is written as a log line before the table (standard output when not given). */
  auditLine?: AuditLineWriter;
  /** "Was this you?" settings: read from the environment when not given; `false` turns it off. */
  askActor?: AskActorConfig | false;
}

const consoleLog: ListenerLog = {
  error: (message, details) => console.error(message, details ?? {}),
  warn: (message, details) => console.warn(message, details ?? {}),
};

/** The listeners' dependencies on the real adapters (or those given). */
export async function buildListenerDependencies(wiring: SlackWiring): Promise<ListenerDependencies> {
  const { config } = wiring;
  const secrets = onDemandSecrets({}, wiring.aws?.ssm);
  return listenerDependencies(
    wiring,
    wiring.slack ?? buildInteractionGateway(config, await readBotToken(config, secrets)),
  );
}

/** The "was this you?" answers' use case, when configured (it only needs the store, the audit log and Slack). */
function askActorOf(
  wiring: SlackWiring,
  slack: SlackInteractionGateway,
  deps: ListenerDependencies,
  dynamo: DynamoDBDocumentClient,
): ListenerDependencies['askActor'] {
  const ask = wiring.askActor === undefined ? readAskActorConfig(process.env) : wiring.askActor || undefined;
  if (!ask) return undefined;
  const store = new DynamoChangeStore(dynamo, {
    tableName: wiring.config.tableName,
    retentionDays: wiring.config.retentionDays,
  });
  return new AskActorService({
    // Answers never resolve anyone: who may answer was recorded when the DM was sent.
    resolver: { targetOf: async () => undefined },
    slack: new SlackActorAskChannel(slack as WebApiSlackGateway),
    store,
    audit: deps.audit,
    clock: deps.clock,
    settings: { timeoutMinutes: ask.timeoutMinutes },
    log: (message, details) => deps.log.warn(message, details),
  });
}

function listenerDependencies(wiring: SlackWiring, slack: SlackInteractionGateway): ListenerDependencies {
  const { config, aws } = wiring;
  const options = { cloudTrailRegion: config.cloudTrailRegion };
  const dynamo = aws?.dynamo ?? createDocumentClient(options);
  const { store, audit, stats, cisStatus } = buildStores(
    config,
    dynamo,
    wiring.auditLine ?? jsonLineAuditWriter(),
  );
  // Only the Slack function makes and lifts mutes and keeps expectations: the other bundles never carry them.
  const tableOptions = { tableName: config.tableName };
  const mutes = new DynamoMuteStore(dynamo, tableOptions);
  const expectations = new DynamoExpectationStore(dynamo, tableOptions);
  const clock = { now: () => new Date() };
  const authorizer = new ResponderAuthorizer({ responders: config.slack.responders, slack, clock, audit });
  const deps: ListenerDependencies = {
    slack,
    store,
    audit,
    authorizer,
    home: new HomeService({
      changes: store,
      stats,
      cisStatus,
      isResponder: async (userId) => (await authorizer.canRespond(userId)).allowed,
      clock,
      sources: {
        mutes: { active: async (now) => (await mutes.active(now)).map(homeMuteOf) },
        quarantines: { active: (limit) => store.activeQuarantines(limit) },
        expectations: {
          active: async (now) => (await expectations.endingAfter(now)).map(homeExpectationOf),
        },
      },
    }),
    jobs: wiring.jobs ?? onDemandJobQueue(options, requireJobsTopic(config), aws?.sns),
    queries: buildQueryService(config, {
      store,
      stats,
      trail: onDemandTrailHistory(options, aws?.cloudTrail),
      dynamo,
    }),
    clock,
    log: wiring.log ?? consoleLog,
    mutes,
    expectations,
    // The copy notify keeps: read only here (a name unknown to it is shown as the id).
    accounts: new CachedAccountDirectory({
      store: new DynamoAccountDirectoryStore(dynamo, tableOptions),
      clock,
    }),
  };
  const askActor = askActorOf(wiring, slack, deps, dynamo);
  if (askActor) deps.askActor = askActor;
  return deps;
}

/**
 * Bolt on Lambda: an `App` whose receiver verifies every request's signature (HMAC-SHA256 of
 * `v0:<timestamp>:<body>`, no older than five minutes; anything else is a 401 and reaches no listener) and
 * answers with what the listener acked, after the listener returns — so listeners ack first and do only fast
 * work. The bot token goes to Bolt through `authorize`, with no `auth.test` call at cold start.
 */
export async function buildSlackApp(
  wiring: SlackWiring,
): Promise<{ app: App; receiver: AwsLambdaReceiver; deps: ListenerDependencies; signingSecret: string }> {
  const { config } = wiring;
  const secrets = onDemandSecrets({}, wiring.aws?.ssm);
  const hasToken = wiring.slack === undefined || config.slack.botToken || config.slack.botTokenParameter;
  const [signingSecret, token] = await Promise.all([
    readSigningSecret(config, secrets),
    hasToken ? readBotToken(config, secrets) : Promise.resolve(undefined),
  ]);
  const slack = wiring.slack ?? buildInteractionGateway(config, token ?? '');
  const deps = listenerDependencies(wiring, slack);
  const log = deps.log;
  const receiver = new AwsLambdaReceiver({
    signingSecret,
    logLevel: LogLevel.WARN,
    invalidRequestSignatureHandler: ({ ts }) =>
      log.warn('request with an invalid or stale signature refused', { ts }),
    // The request as Slack signed it rides on every job it causes, for the worker to verify itself.
    customPropertiesExtractor: (event) => ({ slackRequest: readSignedRequest(event) }),
  });
  const apiUrl = wiring.config.slack.apiUrl;
  const app = new App({
    receiver,
    // One workspace, one token: no `auth.test` at cold start. Listeners talk to Slack through the gateway; Bolt's
    // own client (unused) is pointed at the same API all the same.
    authorize: async () => (token ? { botToken: token } : {}),
    ...(apiUrl ? { clientOptions: { slackApiUrl: apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/` } } : {}),
    convoStore: false,
    logLevel: LogLevel.WARN,
  });
  app.error(async (error) => {
    log.error('a Slack listener threw', { error: error.message, code: error.code });
  });
  registerListeners(app, deps);
  return { app, receiver, deps, signingSecret };
}

/**
 * The Lambda handler for the Slack function, built once per cold start. Before Bolt sees a request, a body over
 * {@link MAX_SLACK_BODY_BYTES} is a 413 and a request without a valid signature, or signed more than five minutes
 * from now either way, a 401 (`src/slack/request-guard.ts`). A signed request Bolt cannot read is a 400.
 */
export async function buildSlackHandler(wiring: SlackWiring): Promise<SlackHandler> {
  const { receiver, deps, signingSecret } = await buildSlackApp(wiring);
  const bolt = receiver.toHandler();
  return async (event, context) => {
    // Size and signature first: nothing reads a body that is too large or that Slack did not sign.
    const guard = guardSlackRequest(event, { signingSecret, now: new Date() });
    if (!guard.ok) {
      deps.log.warn('request refused', { status: guard.statusCode, reason: guard.reason });
      return { statusCode: guard.statusCode, body: '' };
    }
    try {
      return (await bolt(event as Parameters<typeof bolt>[0], context)) as APIGatewayProxyStructuredResultV2;
    } catch (error: unknown) {
      deps.log.warn('unreadable request refused', {
        error: error instanceof Error ? error.message : String(error),
      });
      return { statusCode: 400, body: '' };
    }
  };
}
