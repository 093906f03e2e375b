/**
 * The real notify use case on a responder harness's table and Slack, as the responder tests deliver their changes:
 * judged as notify judges (the store, then the managed policy catalogue), posted in the harness's channel, with no
 * log group or CloudTrail history unless a test gives its own.
 */
import { type NotifyDependencies, NotifyService, type NotifySettings } from '../../src/app/notify-service';
import { SlackAlertChannel } from '../../src/slack/slack-alert-channel';
import { DynamoForwardingNoticeStore } from '../../src/store/dynamo-forwarding-notices';
import { testNotifySettings } from './notify-harness';
import { catalogueContent } from './policy-content';
import { CHANNEL, type Components, type Harness } from './responder-harness';

/** What a test may set: any dependency, and any of the settings (the rest as notify's defaults). */
export type NotifyOverrides = Partial<Omit<NotifyDependencies, 'settings'>> & {
  settings?: Partial<NotifySettings>;
};

/** A notify service on `h`'s table and Slack; `overrides` replace its dependencies and settings one by one. */
export function notifyOn(components: Components, h: Harness, overrides: NotifyOverrides = {}): NotifyService {
  const { settings, ...dependencies } = overrides;
  return new NotifyService({
    content: catalogueContent(h.store),
    store: h.store,
    forwardingNotices: new DynamoForwardingNoticeStore(components.dynalite.documentClient, {
      tableName: h.tableName,
    }),
    slack: new SlackAlertChannel(h.slack),
    logs: { metricFilters: async () => [], searchRecords: async () => [] },
    trail: { iamEvents: async () => [], resourceEvents: async () => [] },
    clock: { now: () => new Date() },
    ...dependencies,
    settings: testNotifySettings(CHANNEL, settings),
  });
}
