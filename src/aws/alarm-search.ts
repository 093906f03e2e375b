/**
 * What the notify path needs only for CloudWatch alarms: the CloudWatch Logs search and CloudTrail history.
 * Loaded on the first alarm, so EventBridge deliveries never load these SDK clients.
 */
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { FollowLogSearch } from '../app/alarm-follow';
import type { LogSearch, TrailHistory } from '../app/ports';
import { type AwsClientOptions, awsClientConfig } from './client-config';
import { createCloudTrailHistory } from './cloudtrail-history';
import { CloudWatchLogsSearch } from './cloudwatch-logs-search';

/** The alarm path's adapters, each on a client built here once. */
export function createAlarmSearch(options: AwsClientOptions = {}): {
  logs: LogSearch & FollowLogSearch;
  trail: TrailHistory;
} {
  return {
    logs: new CloudWatchLogsSearch(new CloudWatchLogsClient(awsClientConfig(options.region, options))),
    trail: createCloudTrailHistory(options),
  };
}
