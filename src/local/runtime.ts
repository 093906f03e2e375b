/**
 * The whole bot on one machine (`iam-changes dev`, `npm start`), on embedded defaults when nothing is configured:
 *
 * - the store: an embedded dynalite persisted in the data folder (`.data/` by default);
 * - AWS: the runtime's own `moto_server` when it is on PATH (IAM, CloudWatch Logs, …); the account the
 *   environment names when it has credentials or `AWS_ENDPOINT_URL` — then CloudTrail `LookupEvents` is polled
 *   every minute in place of the EventBridge rule; otherwise none, and IAM is simulated in memory (a dry run);
 * - Slack: the local Slack sandbox (a page, the Web API, signed interactions) and the bot's HTTP endpoint in
 *   front of the real Slack Lambda handler; or, with `SLACK_BOT_TOKEN` and `SLACK_APP_TOKEN`, a real workspace
 *   through Socket Mode with the same listeners;
 * - jobs run in this process (`InProcessJobQueue`), and notifications go straight to the notify use case;
 * - the demo scenarios, from the page's buttons or {@link LocalRuntime.runScenario}.
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { App, LogLevel, SocketModeReceiver } from '@slack/bolt';
import { AuditUnavailableError, type CisAuditGateway } from '../app/cis-audit-service';
import { InProcessJobQueue } from '../app/in-process-job-queue';
import type { AuditLineWriter } from '../app/logged-audit-log';
import type { NotifyService } from '../app/notify-service';
import { readAskActorConfig } from '../ask-actor-config';
import { AwsCisAuditGateway, createCisAuditClients } from '../aws/cis-audit-gateway';
import type { AwsClients } from '../aws/clients';
import { CloudTrailHistory } from '../aws/cloudtrail-history';
import { createPinnedAwsClients } from '../aws/pinned-clients';
import { EmulatorScenarioAccount } from '../aws/scenario-account';
import { GeneratedManagedPolicyCatalogue } from '../catalogue/managed-policies';
import { type Config, parseConfig } from '../config';
import { CIS44_FIX_DEFAULTS } from '../domain/cis-audit';
import { buildAskSweep } from '../runtime/ask-sweep';
import { buildNotifyRuntime } from '../runtime/notify';
import { buildInteractionGateway, buildStores } from '../runtime/responders';
import { buildListenerDependencies, buildSlackHandler } from '../runtime/slack';
import { registerListeners } from '../slack/app';
import type { ListenerLog } from '../slack/listeners/context';
import { type BotEndpoint, startBotEndpoint } from './bot-endpoint';
import { type CloudTrailPoller, startCloudTrailPoller } from './cloudtrail-poller';
import { type EmbeddedStore, localCredentials, startEmbeddedStore } from './embedded-store';
import { startLocalEventHistory } from './event-history';
import { findMotoServer, freePort, type LocalMoto, startLocalMoto } from './moto';
import { isScenarioName, runScenario, SCENARIOS, type ScenarioContext, type ScenarioName } from './scenarios';
import { SimulatedIamGateway } from './simulated-iam';
import type { StatusLine } from './slack-sandbox/page-state';
import { type SlackSandbox, startSlackSandbox } from './slack-sandbox/server';
import { SANDBOX_USER_ID } from './slack-sandbox/workspace';
import { buildLocalWorker } from './worker';

/** The account moto_server emulates, and the one the demo records name. */
export const LOCAL_ACCOUNT_ID = '123456789012';

/** The page's port unless told otherwise; a free one is taken when it is busy. */
export const DEFAULT_PAGE_PORT = 3000;

/** Options of {@link startLocalRuntime}. */
export interface LocalRuntimeOptions {
  /** The page's (and the sandbox Web API's) port. Default 3000, or a free port when 3000 is busy; 0: any. */
  port?: number;
  /** Where the store (and the sandbox's messages) are kept. Default `.data` in the working directory. */
  dataDir?: string;
  /** Start moto_server when it is on PATH (default true). */
  moto?: boolean;
  /** The environment to read settings from; `process.env` unless given. */
  env?: Record<string, string | undefined>;
  /** Where the runtime reports what happens (a line at a time); nothing unless given. */
  log?: (line: string) => void;
  /** Between two CloudTrail look-ups when connected to a real account (default 60 s). */
  pollIntervalMs?: number;
  /** Between two sweeps of unanswered "was this you?" asks, when `ASK_ACTOR` is on (default 60 s). */
  askSweepIntervalMs?: number;
}

/** Which Slack and which AWS a runtime is connected to. */
export interface LocalRuntimeMode {
  slack: 'sandbox' | 'socket-mode';
  /** `moto`: its own moto_server; `external`: the environment's AWS; `none`: simulated IAM, dry-run reverts. */
  aws: 'moto' | 'external' | 'none';
}

/** A running local runtime. */
export interface LocalRuntime {
  urls: {
    /** The sandbox page (or, in Socket Mode, the control page). */
    page: string;
    /** The sandbox's Slack Web API, as `SLACK_API_URL` takes it (sandbox mode). */
    slackApi?: string;
    /** The bot's request URL (sandbox mode). */
    botEndpoint?: string;
    /** The AWS endpoint in use: moto_server's, or `AWS_ENDPOINT_URL`. */
    aws?: string;
    /** The embedded DynamoDB endpoint. */
    dynamodb: string;
  };
  mode: LocalRuntimeMode;
  /** The store's folder and table. */
  store: { path: string; tableName: string };
  /** What the runtime is connected to, one line each (what the page shows and `dev` prints). */
  status: StatusLine[];
  /** Runs a demo scenario; resolves once notify has processed it. */
  runScenario(name: ScenarioName): Promise<void>;
  /** Resolves once no job is running (tests wait on it). */
  idle(): Promise<void>;
  /** The sandbox, in sandbox mode. */
  sandbox?: SlackSandbox;
  /** Stops everything it started: servers, Socket Mode, the poller, moto_server (by PID), dynalite. */
  stop(): Promise<void>;
  /**
   * Kills at once what runs outside this process (moto_server), for when {@link stop} takes too long; what runs
   * inside ends with the process.
   */
  kill(): void;
}

/** True when the environment names credentials for the SDK's provider chain (files alone do not count). */
function hasAwsCredentials(env: Record<string, string | undefined>): boolean {
  return [
    'AWS_ACCESS_KEY_ID',
    'AWS_PROFILE',
    'AWS_WEB_IDENTITY_TOKEN_FILE',
    'AWS_CONTAINER_CREDENTIALS_FULL_URI',
    'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  ].some((name) => Boolean(env[name]?.trim()));
}

/**
 * Keys given in the environment the runtime was handed. (The SDK's own provider chain reads `process.env`, which
 * is the same object unless a caller passed another: profiles and roles are left to it.)
 */
function staticCredentials(env: Record<string, string | undefined>) {
  const accessKeyId = env.AWS_ACCESS_KEY_ID?.trim();
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY?.trim();
  if (!accessKeyId || !secretAccessKey) return undefined;
  const sessionToken = env.AWS_SESSION_TOKEN?.trim();
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
}

function message(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}

function detailsText(details: Record<string, unknown> | undefined): string {
  if (details === undefined || Object.keys(details).length === 0) return '';
  return ` ${JSON.stringify(details)}`;
}

/** Settings for the bot's configuration that the local runtime decides; the environment fills the rest. */
function configEnv(
  env: Record<string, string | undefined>,
  overrides: Record<string, string | undefined>,
): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = { ...env, STAGE: env.STAGE ?? 'local', ...overrides };
  // The demo's Terraform role is an expected actor unless the environment says who is.
  out.EXPECTED_ACTORS = env.EXPECTED_ACTORS ?? 'arn:aws:iam::*:role/terraform-ci';
  // The demo's CIS 4.4 alarm is the stack's own alarm (serverless.yml always configures that one), so it is a
  // CIS 4.4 alarm even when no log group is there to hold its metric filter (without moto).
  // moto_server has no Access Analyzer: validation is asked for only where the environment says so.
  out.POLICY_VALIDATION = env.POLICY_VALIDATION ?? 'false';
  out.CIS_ALARM_NAMES = [CIS44_FIX_DEFAULTS.alarmName, env.CIS_ALARM_NAMES ?? ''].filter(Boolean).join(',');
  return out;
}

/** Starts the local runtime. Whatever it started is stopped again when a later part fails to start. */
export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => undefined);
  const dataDir = resolve(options.dataDir ?? '.data');
  const stops: Array<{ name: string; stop: () => Promise<void> }> = [];
  const stopAll = async () => {
    const errors: string[] = [];
    for (const { name, stop } of stops.splice(0).reverse()) {
      try {
        await stop();
      } catch (error: unknown) {
        errors.push(`${name}: ${message(error)}`);
      }
    }
    if (errors.length > 0) throw new Error(`the local runtime did not stop cleanly: ${errors.join('; ')}`);
  };

  try {
    const socketMode = Boolean(env.SLACK_BOT_TOKEN?.trim() && env.SLACK_APP_TOKEN?.trim());
    if (!socketMode && (env.SLACK_BOT_TOKEN || env.SLACK_APP_TOKEN)) {
      log('Socket Mode needs both SLACK_BOT_TOKEN and SLACK_APP_TOKEN: using the local Slack sandbox.');
    }
    const externalAws = Boolean(env.AWS_ENDPOINT_URL?.trim()) || hasAwsCredentials(env);
    const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';

    // --- the store ----------------------------------------------------------------------------------------------
    const tableName = env.TABLE_NAME?.trim() || 'iam-changes';
    const store: EmbeddedStore = await startEmbeddedStore({ dataDir, tableName });
    stops.push({ name: 'dynalite', stop: store.stop });

    // --- AWS ----------------------------------------------------------------------------------------------------
    let moto: LocalMoto | undefined;
    let awsMode: LocalRuntimeMode['aws'] = externalAws ? 'external' : 'none';
    let noAwsReason = 'started with --no-moto';
    if (!externalAws && options.moto !== false) {
      const executable = await findMotoServer(env);
      if (executable === undefined) {
        noAwsReason =
          "moto_server is not on PATH (pip install 'moto[server]', or set MOTO_SERVER to its path)";
      } else {
        moto = await startLocalMoto(executable);
        stops.push({ name: 'moto_server', stop: moto.stop });
        awsMode = 'moto';
      }
    }
    // Without AWS, calls go to a loopback port nothing listens on: they fail at once, never reach a real account.
    const endpoint =
      awsMode === 'moto'
        ? moto?.endpoint
        : awsMode === 'none'
          ? `http://127.0.0.1:${await freePort()}`
          : env.AWS_ENDPOINT_URL;
    // moto has no CloudTrail LookupEvents: the runtime answers it from the records it fed the bot.
    const history =
      awsMode === 'external'
        ? undefined
        : await startLocalEventHistory({ path: resolve(dataDir, 'event-history.jsonl') });
    if (history) stops.push({ name: 'event history', stop: history.close });
    // Emulators take any keys; a real account's come from the SDK's provider chain unless given as keys.
    const awsCredentials = awsMode === 'external' ? staticCredentials(env) : localCredentials();
    const clients: AwsClients = createPinnedAwsClients({
      region,
      cloudTrailRegion: env.CLOUDTRAIL_REGION ?? 'us-east-1',
      ...(endpoint ? { endpoint } : {}),
      ...(history ? { cloudTrailEndpoint: history.endpoint } : {}),
      ...(awsCredentials ? { credentials: awsCredentials } : {}),
      dynamo: { endpoint: store.endpoint, credentials: localCredentials() },
    });
    stops.push({
      name: 'AWS clients',
      stop: async () => {
        for (const client of Object.values(clients)) client.destroy();
      },
    });
    const cisClients = createCisAuditClients({
      region,
      ...(endpoint ? { endpoint } : {}),
      ...(awsCredentials ? { credentials: { ...awsCredentials } } : {}),
    });
    stops.push({
      name: 'CIS 4.4 audit clients',
      stop: async () => {
        for (const client of Object.values(cisClients)) client.destroy();
      },
    });
    const cisAudit: CisAuditGateway =
      awsMode === 'none'
        ? {
            gatherFacts: async () => {
              throw new AuditUnavailableError(
                `this local run has no AWS (${noAwsReason}), so there is no trail, filter or alarm to check`,
                "Start it with moto_server on PATH (pip install 'moto[server]') and run the CIS 4.4 alarm scenario, or with AWS credentials to check your account.",
              );
            },
          }
        : new AwsCisAuditGateway(cisClients, { testMetricFilter: endpoint === undefined });
    const simulatedIam =
      awsMode === 'none'
        ? new SimulatedIamGateway(LOCAL_ACCOUNT_ID, (line) => log(`dry run (simulated IAM): ${line}`))
        : undefined;

    // --- Slack: the sandbox (or the control page in Socket Mode) ------------------------------------------------
    const signingSecret = socketMode
      ? (env.SLACK_SIGNING_SECRET ?? `local-${randomBytes(16).toString('hex')}`)
      : randomBytes(24).toString('hex');
    const botToken = socketMode
      ? String(env.SLACK_BOT_TOKEN)
      : `xoxb-local-${randomBytes(12).toString('hex')}`;
    let scenarioAccount: EmulatorScenarioAccount | undefined;
    if (awsMode === 'moto' && moto) {
      // The CIS 4.4 scenario builds the whole chain on moto: the trail's bucket too (moto wants path-style).
      const s3 = new S3Client({
        region,
        endpoint: moto.endpoint,
        forcePathStyle: true,
        credentials: localCredentials(),
      });
      stops.push({ name: 'S3 client', stop: async () => s3.destroy() });
      scenarioAccount = new EmulatorScenarioAccount(clients.iam, clients.cloudWatchLogs, {
        s3,
        cloudTrail: cisClients.cloudTrail,
        cloudWatch: cisClients.cloudWatch,
        sns: cisClients.sns,
      });
    }
    let notify: NotifyService | undefined;
    let status: StatusLine[] = [];
    const scenarioContext = (): ScenarioContext => {
      if (notify === undefined) throw new Error('the runtime is still starting');
      const service = notify;
      return {
        notify: (notification) => service.process(notification),
        accountId: LOCAL_ACCOUNT_ID,
        ...(scenarioAccount ? { account: scenarioAccount } : {}),
        observe: (record) => {
          simulatedIam?.follow(record);
          history?.add(record);
        },
        ...(history ? { history: (start: Date, end: Date) => history.between(start, end) } : {}),
      };
    };
    const realAccount = awsMode === 'external' && !env.AWS_ENDPOINT_URL;
    const scenarioNote =
      awsMode === 'moto'
        ? undefined
        : awsMode === 'none'
          ? 'No AWS: scenarios feed CloudTrail records only, and IAM is simulated — reverts are a dry run.'
          : realAccount
            ? 'Connected to your AWS account: demo scenarios are off, so no made-up change can be reverted there.'
            : 'Connected to AWS_ENDPOINT_URL: scenarios feed CloudTrail records only, and make no calls there.';
    const runNamed = async (name: ScenarioName) => {
      if (realAccount) throw new Error(scenarioNote);
      await runScenario(name, scenarioContext());
    };
    let pagePort = options.port ?? DEFAULT_PAGE_PORT;
    if (options.port === undefined && !(await portIsFree(pagePort))) pagePort = 0;
    const sandbox = await startSlackSandbox({
      botToken,
      signingSecret,
      port: pagePort,
      statePath: resolve(dataDir, 'slack-sandbox.json'),
      defaultChannel: env.SLACK_CHANNEL ?? '#iam-changes',
      mode: socketMode ? 'socket-mode' : 'sandbox',
      status: () => status,
      scenarios: {
        list: realAccount ? [] : [...SCENARIOS],
        ...(scenarioNote === undefined ? {} : { note: scenarioNote }),
        run: async (name) => {
          if (!isScenarioName(name)) throw new Error(`no scenario ${name}`);
          await runNamed(name);
        },
      },
    });
    stops.push({ name: 'Slack sandbox', stop: sandbox.close });
    const report = (level: 'info' | 'warn' | 'error', line: string) => {
      log(line);
      if (level !== 'info') sandbox.workspace.notice(level, line);
    };

    // --- the bot's configuration, notify, the worker and the jobs ------------------------------------------------
    const config: Config = parseConfig(
      configEnv(
        // On its own moto (or none) the runtime acts in that one account: a HOME_ACCOUNT_ID copied from a
        // deployment would send other accounts' changes through the responder role, to the real AWS.
        awsMode === 'external' ? env : { ...env, HOME_ACCOUNT_ID: undefined },
        socketMode
          ? {
              SLACK_SIGNING_SECRET: signingSecret,
              TABLE_NAME: tableName,
              AWS_ENDPOINT_URL: endpoint,
            }
          : {
              SLACK_BOT_TOKEN: botToken,
              SLACK_BOT_TOKEN_PARAMETER: undefined,
              SLACK_API_URL: sandbox.apiUrl,
              SLACK_SIGNING_SECRET: signingSecret,
              SLACK_SIGNING_SECRET_PARAMETER: undefined,
              SLACK_RESPONDERS: SANDBOX_USER_ID,
              SLACK_CHANNEL: env.SLACK_CHANNEL ?? '#iam-changes',
              TABLE_NAME: tableName,
              AWS_ENDPOINT_URL: endpoint,
            },
      ),
    );
    const botLog = (message: string, details?: Record<string, unknown>) =>
      report('warn', `bot: ${message}${detailsText(details)}`);
    const auditLine: AuditLineWriter = (message, line) =>
      report('info', `${message}: ${JSON.stringify(line)}`);
    // "Was this you?" (ASK_ACTOR…), read from the runtime's environment for every part alike: notify queues the
    // ask, the worker sends the DM, the Slack handler takes the answer, a timer notes the asks left unanswered.
    const askActor = readAskActorConfig(env);
    const worker = await buildLocalWorker({
      config,
      aws: clients,
      cisAudit,
      ...(simulatedIam ? { simulatedIam } : {}),
      log: botLog,
      // Socket Mode requests arrive unsigned over the app's WebSocket and their jobs never leave this process;
      // the sandbox signs every request, so its jobs are verified exactly as the deployed worker verifies them.
      trust: socketMode ? 'in-process' : 'signed-by-slack',
      auditLine,
      askActor: askActor ?? false,
    });
    const jobs = new InProcessJobQueue((job) => worker.run(job), {
      log: (line, details) => report('error', `worker: ${line}${detailsText(details)}`),
    });
    // A job half-way through (a revert) gets a moment to finish and record itself; stopping takes at most 3 s.
    stops.push({ name: 'jobs', stop: () => withTimeout(jobs.idle(), 1_500) });
    const notifyRuntime = await buildNotifyRuntime({
      config,
      aws: clients,
      log: botLog,
      ...(simulatedIam ? { iam: simulatedIam, principals: simulatedIam } : {}),
      managedPolicies: new GeneratedManagedPolicyCatalogue(),
      // The escalation check notify does not finish itself runs in process, as the deployed worker runs it; so
      // does "was this you?".
      jobs,
      askActor: askActor ?? false,
      // On its own moto (or none) there is one account, notify's own; against real AWS, only the home account.
      ...(awsMode === 'external' ? {} : { escalationReads: () => true }),
    });
    notify = notifyRuntime.notify;
    // The deployed `follow` function's schedule, every minute here: alarms that stay in ALARM are searched on.
    const follow = setInterval(() => {
      notifyRuntime.follow.run(Date.now() + 50_000).catch((error: unknown) => {
        report('warn', `alarm follow-up: ${error instanceof Error ? error.message : String(error)}`);
      });
    }, 60_000);
    follow.unref();
    stops.push({ name: 'alarm follow-up', stop: async () => clearInterval(follow) });
    if (askActor) {
      // The deployed `follow` function's other duty, every minute here (`askSweepIntervalMs`): asks left
      // unanswered are noted.
      const sweep = buildAskSweep({
        config,
        ask: askActor,
        dynamo: clients.dynamo,
        slack: async () => buildInteractionGateway(config, botToken),
        audit: buildStores(config, clients.dynamo, auditLine).audit,
        log: botLog,
      });
      const sweeping = setInterval(() => {
        sweep.sweep().catch((error: unknown) => {
          report('warn', `unanswered asks: ${error instanceof Error ? error.message : String(error)}`);
        });
      }, options.askSweepIntervalMs ?? 60_000);
      sweeping.unref();
      stops.push({ name: 'unanswered asks', stop: async () => clearInterval(sweeping) });
    }
    const listenerLog: ListenerLog = {
      error: (line, details) => report('error', `slack: ${line}${detailsText(details)}`),
      warn: (line, details) => report('warn', `slack: ${line}${detailsText(details)}`),
    };

    // --- Slack: the bot's endpoint, or Socket Mode ---------------------------------------------------------------
    let botEndpoint: BotEndpoint | undefined;
    let slackLine: string;
    if (socketMode) {
      const deps = await buildListenerDependencies({
        config,
        aws: clients,
        jobs,
        log: listenerLog,
        auditLine,
        askActor: askActor ?? false,
      });
      const receiver = new SocketModeReceiver({
        appToken: String(env.SLACK_APP_TOKEN),
        logLevel: LogLevel.WARN,
      });
      const app = new App({ token: botToken, receiver, logLevel: LogLevel.WARN });
      app.error(async (error) => listenerLog.error('a Slack listener threw', { error: error.message }));
      registerListeners(app, deps);
      await app.start();
      stops.push({
        name: 'Socket Mode',
        stop: async () => {
          await app.stop();
        },
      });
      const team = await app.client.auth.test({ token: botToken }).catch(() => undefined);
      slackLine = `Socket Mode to ${team?.team ?? 'your workspace'}${team?.url ? ` (${team.url})` : ''}, posting to ${config.slack.defaultChannel}`;
    } else {
      const handler = await buildSlackHandler({
        config,
        aws: clients,
        jobs,
        log: listenerLog,
        auditLine,
        askActor: askActor ?? false,
      });
      botEndpoint = await startBotEndpoint({
        handler,
        onError: (error) => report('error', `the Slack handler failed: ${message(error)}`),
      });
      stops.push({ name: 'bot endpoint', stop: botEndpoint.close });
      sandbox.setBotUrl(botEndpoint.url);
      slackLine = `local sandbox: bot endpoint ${botEndpoint.url}, Web API ${sandbox.apiUrl}`;
    }

    // --- CloudTrail in place of EventBridge, with a real account -------------------------------------------------
    let poller: CloudTrailPoller | undefined;
    if (awsMode === 'external') {
      const service = notify;
      poller = startCloudTrailPoller({
        trail: new CloudTrailHistory(clients.cloudTrail, { requestsPerSecond: 2 }),
        notify: (records) => service.process(records),
        intervalMs: options.pollIntervalMs ?? 60_000,
        log: (line) => report('info', line),
        onError: (error) => report('warn', `CloudTrail LookupEvents failed: ${message(error)}`),
      });
      const started = poller;
      stops.push({ name: 'CloudTrail poller', stop: () => started.stop() });
    }

    const awsLine =
      awsMode === 'moto'
        ? `moto_server ${moto?.endpoint} (pid ${moto?.pid}): IAM, CloudWatch Logs, SNS…; CloudTrail event history of what the runtime fed`
        : awsMode === 'external'
          ? `${env.AWS_ENDPOINT_URL ? `AWS_ENDPOINT_URL ${env.AWS_ENDPOINT_URL}` : `your AWS account${env.AWS_PROFILE ? ` (AWS_PROFILE=${env.AWS_PROFILE})` : ''}`}; CloudTrail LookupEvents polled every ${Math.round((options.pollIntervalMs ?? 60_000) / 1000)} s`
          : `none — ${noAwsReason}. IAM is simulated in memory: reverts are a dry run. CloudTrail event history of what the runtime fed.`;
    status = [
      { label: 'Slack', value: slackLine },
      { label: 'AWS', value: awsLine, ...(awsMode === 'none' ? { level: 'warn' as const } : {}) },
      {
        label: 'Store',
        value: `dynalite ${store.endpoint} in ${store.path} (table ${tableName}${store.created ? ', created now' : ''})`,
      },
      {
        label: 'Responders',
        value: socketMode
          ? config.slack.responders.join(', ') ||
            'nobody (set SLACK_RESPONDERS): Revert and Quarantine refuse everyone'
          : `${SANDBOX_USER_ID} ("you")`,
      },
    ];
    if (awsMode === 'none')
      sandbox.workspace.notice('warn', `No AWS (${noAwsReason}): reverts are a dry run on a simulated IAM.`);

    const jobsIdle = () => jobs.idle();
    return {
      urls: {
        page: sandbox.url,
        ...(socketMode ? {} : { slackApi: sandbox.apiUrl }),
        ...(botEndpoint ? { botEndpoint: botEndpoint.url } : {}),
        ...(endpoint && awsMode !== 'none' ? { aws: endpoint } : {}),
        dynamodb: store.endpoint,
      },
      mode: { slack: socketMode ? 'socket-mode' : 'sandbox', aws: awsMode },
      store: { path: store.path, tableName },
      status,
      runScenario: runNamed,
      idle: jobsIdle,
      ...(socketMode ? {} : { sandbox }),
      stop: stopAll,
      kill: () => moto?.kill(),
    };
  } catch (error: unknown) {
    await stopAll().catch(() => undefined);
    throw error;
  }
}

async function portIsFree(port: number): Promise<boolean> {
  const { createServer } = await import('node:net');
  return new Promise((resolvePort) => {
    const probe = createServer();
    probe.once('error', () => resolvePort(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolvePort(true)));
  });
}

async function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    promise,
    new Promise<void>((resolveTimeout) => {
      timer = setTimeout(resolveTimeout, ms);
    }),
  ]);
  if (timer) clearTimeout(timer);
}
