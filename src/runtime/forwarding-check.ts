/**
 * Wiring of the scheduled forwarding check, run by the worker function (whose role alone may assume the
 * responder role): the account directory's copy and the states on the table, each member account's forwarding
 * rule read through the responder role, the findings posted to Slack. Built on the first scheduled run.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ForwardingCheck, type ForwardingRuleReader } from '../app/forwarding-check';
import type { AwsClientOptions } from '../aws/client-config';
import { createDocumentClient } from '../aws/dynamo-client';
import { type Config, requireResponderExternalId } from '../config';
import { ChannelPacer } from '../slack/channel-pacer';
import { SlackAlertChannel } from '../slack/slack-alert-channel';
import { createSlackClient, WebApiSlackGateway } from '../slack/web-api-gateway';
import { DynamoAccountDirectoryStore } from '../store/dynamo-account-directory';
import { DynamoForwardingStateStore } from '../store/dynamo-forwarding-states';
import { lazily, onDemandSecrets } from './on-demand';
import { readBotToken } from './responders';

/** One pacer for the check's posts in this process: a little over Slack's one message a second per channel. */
const checkPacer = new ChannelPacer({ intervalMs: 1100 });

/** What the check is built from; everything but `config` defaults to the real thing. */
export interface ForwardingCheckWiring {
  config: Config;
  dynamo?: DynamoDBDocumentClient;
  /** How each account's rule is read (through the responder role, on EventBridge, when not given). */
  reader?: ForwardingRuleReader;
  log?: (message: string, details?: Record<string, unknown>) => void;
}

/**
 * Builds the check, or `undefined` when the deploy has no central bus (no organisation: nothing is forwarded, so
 * nothing is checked) or the check is switched off (`FORWARDING_CHECK=false`).
 */
export async function buildForwardingCheck({
  config,
  dynamo: givenDynamo,
  reader: givenReader,
  log,
}: ForwardingCheckWiring): Promise<ForwardingCheck | undefined> {
  const forwarding = config.forwarding;
  if (!forwarding || forwarding.checkOff) return undefined;
  const options: AwsClientOptions = { cloudTrailRegion: config.cloudTrailRegion };
  const dynamo = givenDynamo ?? createDocumentClient(options);
  const tableOptions = { tableName: config.tableName, retentionDays: config.retentionDays };
  const secrets = onDemandSecrets(options);
  const externalId = lazily(async () => {
    const source = requireResponderExternalId(config);
    return 'externalId' in source ? source.externalId : secrets(source.parameter);
  });
  const reader =
    givenReader ??
    (await (async () => {
      const { MemberForwardingReader, createMemberEventsClient } = await import('../aws/member-forwarding');
      const role = { roleName: config.responder.roleName, externalId };
      // One client per account, kept for the process: its assumed credentials are renewed by the SDK.
      const clients = new Map<string, ReturnType<typeof createMemberEventsClient>>();
      return new MemberForwardingReader((accountId) => {
        let client = clients.get(accountId);
        if (!client) {
          client = createMemberEventsClient(accountId, role, options);
          clients.set(accountId, client);
        }
        return client;
      });
    })());
  // Paced per channel like notify's posts; a 429 fails the post at once (its finding stays untold for the next
  // run) rather than waiting a Retry-After that could outlast the run's margin.
  const apiUrl = config.slack.apiUrl;
  const gateway = new WebApiSlackGateway(
    createSlackClient({
      token: await readBotToken(config, secrets),
      ...(apiUrl ? { slackApiUrl: apiUrl } : {}),
      rejectRateLimitedCalls: true,
    }),
    { pacer: checkPacer },
  );
  return new ForwardingCheck({
    accounts: new DynamoAccountDirectoryStore(dynamo, { tableName: config.tableName }),
    reader,
    states: new DynamoForwardingStateStore(dynamo, tableOptions),
    slack: new SlackAlertChannel(gateway),
    clock: { now: () => new Date() },
    settings: {
      centralBusArn: forwarding.centralBusArn,
      allWrites: forwarding.allWrites,
      ...(config.responder.homeAccountId ? { homeAccountId: config.responder.homeAccountId } : {}),
      channel: config.slack.channelByLevel.critical ?? config.slack.defaultChannel,
      mentionOnCritical: config.slack.mentionOnCritical,
    },
    ...(log ? { log } : {}),
  });
}
