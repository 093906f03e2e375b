/**
 * What the notify path needs only for CloudWatch alarms: the CloudWatch Logs search and CloudTrail history.
 * Loaded on the first alarm, so EventBridge deliveries never load these SDK clients.
 */
import type { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { FollowLogSearch } from '../app/alarm-follow';
import type { LogSearch, TrailHistory } from '../app/ports';
import { type AwsClientOptions, awsClientConfig } from './client-config';
import { CloudTrailHistory, createCloudTrailHistory } from './cloudtrail-history';
import { CloudWatchLogsSearch } from './cloudwatch-logs-search';

/**
 * The alarm path's adapters, each on the client `given` (tests and the local runtime pass theirs) or on one built
 * here once.
 */
export function createAlarmSearch(
  options: AwsClientOptions = {},
  given: { cloudWatchLogs?: CloudWatchLogsClient; cloudTrail?: CloudTrailClient } = {},
): {
  logs: LogSearch & FollowLogSearch;
  trail: TrailHistory;
} {
  return {
    logs: new CloudWatchLogsSearch(
      given.cloudWatchLogs ?? new CloudWatchLogsClient(awsClientConfig(options.region, options)),
    ),
    trail: given.cloudTrail ? new CloudTrailHistory(given.cloudTrail) : createCloudTrailHistory(options),
  };
}
