import { NotifyService } from '../app/notify-service';
import { type AwsClients, createAwsClients } from '../aws/clients';
import { CloudTrailHistory } from '../aws/cloudtrail-history';
import { CloudWatchLogsSearch } from '../aws/cloudwatch-logs-search';
import { readSecret } from '../aws/ssm-secrets';
import { type Config, requireSlackToken } from '../config';
import { ChannelPacer } from '../slack/channel-pacer';
import { createSlackClient, WebApiSlackGateway } from '../slack/web-api-gateway';
import { DynamoChangeStore } from '../store/dynamo-change-store';
import { DynamoStatsStore } from '../store/dynamo-stats';

/** Everything the notify path is built from; tests pass their own clients. */
export interface NotifyWiring {
  config: Config;
  aws?: AwsClients;
  log?: (message: string, details?: Record<string, unknown>) => void;
}

/**
 * Builds the notify use case from configuration: AWS clients once, the Slack token from SSM (or the
 * environment, locally), the DynamoDB store, and a per-channel pacer shared by every post of this process.
 */
export async function buildNotifyService({ config, aws, log }: NotifyWiring): Promise<NotifyService> {
  const clients = aws ?? createAwsClients({ cloudTrailRegion: config.cloudTrailRegion });
  const source = requireSlackToken(config);
  const token = 'token' in source ? source.token : await readSecret(clients.ssm, source.parameter);
  const slack = new WebApiSlackGateway(createSlackClient({ token, slackApiUrl: config.slack.apiUrl }), {
    // A little over Slack's one message per second per channel, so network jitter does not earn a 429.
    pacer: new ChannelPacer({ intervalMs: 1100 }),
  });
  return new NotifyService({
    store: new DynamoChangeStore(clients.dynamo, {
      tableName: config.tableName,
      retentionDays: config.retentionDays,
    }),
    slack,
    logs: new CloudWatchLogsSearch(clients.cloudWatchLogs),
    trail: new CloudTrailHistory(clients.cloudTrail),
    clock: { now: () => new Date() },
    settings: {
      defaultChannel: config.slack.defaultChannel,
      channelByLevel: config.slack.channelByLevel,
      mentionOnCritical: config.slack.mentionOnCritical,
      risk: { expectedActors: config.expectedActors, trustedAccounts: config.trustedAccounts },
      botRoleArns: config.botRoleArns,
      burstWindowSeconds: config.burstWindowSeconds,
    },
    ...(log ? { log } : {}),
  });
}
