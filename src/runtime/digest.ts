/**
 * Wiring of the daily digest (`DIGEST_LEVELS`), run by the notify function on its daily schedule. A module of its
 * own, imported by that schedule's run only: an IAM event never loads the digest's use case, claims or renderer.
 */
import { DigestService } from '../app/digest-service';
import { createDocumentClient } from '../aws/dynamo-client';
import { renderDigest } from '../slack/render-digest';
import { DynamoChangeStore } from '../store/dynamo-change-store';
import { DynamoDigestStore } from '../store/dynamo-digest-store';
import { accountDirectory, type NotifyWiring, pacedSlack, routesOption } from './notify';
import { routingSource } from './routing';

export { previousDay } from '../domain/digest';

/**
 * Builds the daily digest: the store's changes of the day, a claim per channel and day on the same table, posts
 * through the same paced Slack gateway as the notify path.
 */
export async function buildDigestService({ config, aws, log }: NotifyWiring): Promise<DigestService> {
  const options = { cloudTrailRegion: config.cloudTrailRegion };
  const dynamo = aws?.dynamo ?? createDocumentClient(options);
  const tableOptions = { tableName: config.tableName, retentionDays: config.retentionDays };
  return new DigestService({
    changes: new DynamoChangeStore(dynamo, tableOptions),
    claims: new DynamoDigestStore(dynamo, tableOptions),
    slack: await pacedSlack(config, aws),
    render: renderDigest,
    clock: { now: () => new Date() },
    accounts: accountDirectory(config, dynamo, options, log),
    ...routesOption(routingSource(config, options, aws?.ssm, log)),
    settings: {
      levels: config.digestLevels,
      defaultChannel: config.slack.defaultChannel,
      channelByLevel: config.slack.channelByLevel,
    },
    ...(log ? { log } : {}),
  });
}
