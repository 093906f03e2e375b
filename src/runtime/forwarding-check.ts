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
import { SlackAlertChannel } from '../slack/slack-alert-channel';
import { DynamoAccountDirectoryStore } from '../store/dynamo-account-directory';
import { DynamoForwardingStateStore } from '../store/dynamo-forwarding-states';
import { lazily, onDemandSecrets } from './on-demand';
import { buildInteractionGateway, readBotToken } from './responders';

/** What the check is built from; everything but `config` defaults to the real thing. */
export interface ForwardingCheckWiring {
  config: Config;
  dynamo?: DynamoDBDocumentClient;
  /** How each account's rule is read (through the responder role, on EventBridge, when not given). */
  reader?: ForwardingRuleReader;
  log?: (message: string, details?: Record<string, unknown>) => void;
}

/**
 * Builds the check, or `undefined` when the deploy has no central bus (no organisation): nothing is forwarded,
 * so nothing is checked.
 */
export async function buildForwardingCheck({
  config,
  dynamo: givenDynamo,
  reader: givenReader,
  log,
}: ForwardingCheckWiring): Promise<ForwardingCheck | undefined> {
  const forwarding = config.forwarding;
  if (!forwarding) return undefined;
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
  const gateway = buildInteractionGateway(config, await readBotToken(config, secrets));
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
