import type { IAMClient } from '@aws-sdk/client-iam';
import { NotifyService } from '../app/notify-service';
import { type AskActorConfig, readAskActorConfig } from '../ask-actor-config';
import type { AwsClients } from '../aws/clients';
import { createDocumentClient } from '../aws/dynamo-client';
import { type Config, requireSlackToken } from '../config';
import { ChannelPacer } from '../slack/channel-pacer';
import { SlackAlertChannel } from '../slack/slack-alert-channel';
import { createSlackClient, WebApiSlackGateway } from '../slack/web-api-gateway';
import { DynamoBotStepStore } from '../store/dynamo-bot-steps';
import { DynamoChangeStore } from '../store/dynamo-change-store';
import { DynamoStatsStore } from '../store/dynamo-stats';
import { lazily, onDemandDeadLetters, onDemandPolicyValidator, onDemandSecrets } from './on-demand';

/** Everything the notify path is built from; tests pass their own clients. */
export interface NotifyWiring {
  config: Config;
  aws?: AwsClients;
  log?: (message: string, details?: Record<string, unknown>) => void;
  /** "Was this you?" settings: read from the environment when not given; `false` turns it off. */
  askActor?: AskActorConfig | false;
  /** IAM for "was this you?"'s user tags (the home account's when not given). */
  iam?: Pick<IAMClient, 'send'>;
}

/**
 * Builds the notify use case from configuration: AWS clients once, the Slack token from SSM (or the
 * environment, locally), the DynamoDB store, a per-channel pacer shared by every post of this process, and the
 * dead-letter queue for unreadable input when `NOTIFY_DEAD_LETTER_QUEUE_URL` is set.
 */
export async function buildNotifyService({
  config,
  aws,
  log,
  ...wiring
}: NotifyWiring): Promise<NotifyService> {
  const options = { cloudTrailRegion: config.cloudTrailRegion };
  const dynamo = aws?.dynamo ?? createDocumentClient(options);
  const source = requireSlackToken(config);
  // SSM, CloudWatch Logs and CloudTrail are loaded only when needed: a token from SSM, an alarm to search.
  const token = 'token' in source ? source.token : await onDemandSecrets(options, aws?.ssm)(source.parameter);
  const slack = new WebApiSlackGateway(createSlackClient({ token, slackApiUrl: config.slack.apiUrl }), {
    // A little over Slack's one message per second per channel, so network jitter does not earn a 429.
    pacer: new ChannelPacer({ intervalMs: 1100 }),
  });
  const search = lazily(async () => {
    if (aws) {
      const [{ CloudWatchLogsSearch }, { CloudTrailHistory }] = await Promise.all([
        import('../aws/cloudwatch-logs-search'),
        import('../aws/cloudtrail-history'),
      ]);
      return {
        logs: new CloudWatchLogsSearch(aws.cloudWatchLogs),
        trail: new CloudTrailHistory(aws.cloudTrail),
      };
    }
    return (await import('../aws/alarm-search')).createAlarmSearch(options);
  });
  const tableOptions = { tableName: config.tableName, retentionDays: config.retentionDays };
  const queueUrl = config.notifyDeadLetterQueueUrl;
  // SQS is loaded only when something has to be kept.
  const deadLetters = queueUrl ? onDemandDeadLetters(options, queueUrl, aws?.sqs) : undefined;
  // Access Analyzer is loaded with the first document to validate.
  const validator = config.policyValidation ? onDemandPolicyValidator(options) : undefined;
  const ask = wiring.askActor === undefined ? readAskActorConfig(process.env) : wiring.askActor || undefined;
  // Loaded only when configured: IAM (for the users' tags) and the audit log stay out of a plain notify.
  const askActor = ask
    ? await (await import('./ask-actor')).buildAskActorService({
        config,
        ask,
        dynamo,
        slack,
        secrets: onDemandSecrets(options, aws?.ssm),
        ...(wiring.iam ? { iam: wiring.iam } : aws ? { iam: aws.iam } : {}),
        ...(log ? { log } : {}),
      })
    : undefined;
  return new NotifyService({
    ...(askActor ? { askActor } : {}),
    ...(validator ? { validator } : {}),
    store: new DynamoChangeStore(dynamo, tableOptions),
    stats: new DynamoStatsStore(dynamo, tableOptions),
    botSteps: new DynamoBotStepStore(dynamo, tableOptions),
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
    clock: { now: () => new Date() },
    settings: {
      defaultChannel: config.slack.defaultChannel,
      channelByLevel: config.slack.channelByLevel,
      mentionOnCritical: config.slack.mentionOnCritical,
      risk: { expectedActors: config.expectedActors, trustedAccounts: config.trustedAccounts },
      bot: config.bot,
      burstWindowSeconds: config.burstWindowSeconds,
      cisAlarmNames: config.cisAlarmNames,
      otherAlarms: config.otherAlarms,
    },
    ...(deadLetters ? { deadLetters } : {}),
    ...(log ? { log } : {}),
  });
}
