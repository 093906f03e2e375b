import type { AlarmEvent } from './types';

/**
 * Whether an alarm is a CIS 4.4 alarm ("IAM policy changes were counted") or some other alarm that shares
 * the alerts topic (alarm topics are often shared: an RDS CPU credit alarm must never read as IAM changes).
 * `because` / `reason` say why, in words.
 */
export type AlarmKind = { cis44: true; because: string } | { cis44: false; reason: string };

/** What to do with an alarm that is not a CIS 4.4 alarm: post it plainly, naming its metric, or skip it. */
export type OtherAlarmsMode = 'post' | 'skip';

/**
 * Tells a CIS 4.4 alarm from any other. An alarm is a CIS 4.4 alarm when it is configured as one (by name),
 * or when a metric filter feeding its metric picks out IAM policy changes (`countsIamChanges`, judged by
 * `selectsCis44Calls` of src/domain/cis44-coverage.ts — left to the caller, which loads that module only when
 * an alarm arrives); a metric in an `AWS/` namespace is an AWS service metric and never comes from a metric
 * filter. `filters` undefined means they could not be read: the alarm is then taken as a CIS 4.4 alarm, so an
 * IAM change is never lost to a failed look-up, and the reason says so.
 */
export function classifyAlarm(
  alarm: Pick<AlarmEvent, 'name' | 'metricNamespace' | 'metricName'>,
  filters: readonly { filterName?: string; countsIamChanges: boolean }[] | undefined,
  configuredNames: readonly string[],
): AlarmKind {
  if (configuredNames.includes(alarm.name)) return { cis44: true, because: 'configured as a CIS 4.4 alarm' };
  if (!alarm.metricNamespace || !alarm.metricName) {
    return {
      cis44: false,
      reason: 'the alarm message names no metric, and the alarm is not configured as a CIS 4.4 alarm',
    };
  }
  const metric = `${alarm.metricNamespace}/${alarm.metricName}`;
  // CloudWatch reserves the AWS/ namespaces for AWS services: no metric filter can publish there.
  if (alarm.metricNamespace.startsWith('AWS/')) {
    return {
      cis44: false,
      reason: `${metric} is an AWS service metric, which no metric filter on IAM changes publishes`,
    };
  }
  if (filters === undefined) {
    return {
      cis44: true,
      because: `the metric filters feeding ${metric} could not be read; taken as CIS 4.4`,
    };
  }
  const counting = filters.find((filter) => filter.countsIamChanges);
  if (counting) {
    const name = counting.filterName ? ` ${JSON.stringify(counting.filterName)}` : '';
    return { cis44: true, because: `metric filter${name} feeding ${metric} counts IAM policy changes` };
  }
  if (filters.length === 0) {
    return { cis44: false, reason: `no metric filter on IAM changes feeds ${metric}` };
  }
  return { cis44: false, reason: `the metric filters feeding ${metric} count no IAM policy changes` };
}
