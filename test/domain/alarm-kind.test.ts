import { describe, expect, it } from 'vitest';
import { type AlarmKind, classifyAlarm } from '../../src/domain/alarm-kind';
import { selectsCis44Calls } from '../../src/domain/cis44-coverage';
import { CIS44_FILTER_PATTERN } from '../../src/domain/filter-pattern';

const CIS = { filterName: 'CIS-4.4-IAMPolicyChanges', filterPattern: CIS44_FILTER_PATTERN };
const ROOT_USAGE = {
  filterName: 'root-usage',
  filterPattern: '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS }',
};
const ONE_CALL = { filterName: 'role-policies', filterPattern: '{ $.eventName = PutRolePolicy }' };

describe('classifyAlarm', () => {
  it.each<
    [
      string,
      { ns?: string; name?: string; alarm?: string },
      { filterName: string; filterPattern: string }[] | undefined,
      string[],
      AlarmKind,
    ]
  >([
    [
      'a metric fed by the CIS 4.4 filter',
      {},
      [CIS],
      [],
      {
        cis44: true,
        because:
          'metric filter "CIS-4.4-IAMPolicyChanges" feeding CISBenchmark/IAMPolicyChanges counts IAM policy changes',
      },
    ],
    [
      'a metric fed by a filter counting one of the 16 calls',
      {},
      [ROOT_USAGE, ONE_CALL],
      [],
      {
        cis44: true,
        because:
          'metric filter "role-policies" feeding CISBenchmark/IAMPolicyChanges counts IAM policy changes',
      },
    ],
    [
      'an AWS service metric on a shared topic',
      { ns: 'AWS/RDS', name: 'CPUCreditBalance' },
      undefined,
      [],
      {
        cis44: false,
        reason:
          'AWS/RDS/CPUCreditBalance is an AWS service metric, which no metric filter on IAM changes publishes',
      },
    ],
    [
      'a custom metric no filter feeds',
      { ns: 'App', name: 'Errors' },
      [],
      [],
      { cis44: false, reason: 'no metric filter on IAM changes feeds App/Errors' },
    ],
    [
      'a root-usage metric (its filter counts every call of root alike)',
      { ns: 'CISBenchmark', name: 'RootUsage' },
      [ROOT_USAGE],
      [],
      {
        cis44: false,
        reason: 'the metric filters feeding CISBenchmark/RootUsage count no IAM policy changes',
      },
    ],
    [
      'an alarm configured as a CIS 4.4 alarm, whatever its metric',
      { ns: 'AWS/RDS', name: 'CPUCreditBalance', alarm: 'iam-changes' },
      [],
      ['iam-changes'],
      { cis44: true, because: 'configured as a CIS 4.4 alarm' },
    ],
    [
      'a metric whose filters could not be read (never lose an IAM change)',
      {},
      undefined,
      [],
      {
        cis44: true,
        because:
          'the metric filters feeding CISBenchmark/IAMPolicyChanges could not be read; taken as CIS 4.4',
      },
    ],
    [
      'an alarm message naming no metric',
      { ns: '', name: '' },
      [CIS],
      [],
      {
        cis44: false,
        reason: 'the alarm message names no metric, and the alarm is not configured as a CIS 4.4 alarm',
      },
    ],
  ])('%s', (_, metric, filters, configured, expected) => {
    const alarm = {
      name: metric.alarm ?? 'some-alarm',
      metricNamespace: metric.ns ?? 'CISBenchmark',
      metricName: metric.name ?? 'IAMPolicyChanges',
    };
    const judged = filters?.map((filter) => ({
      filterName: filter.filterName,
      countsIamChanges: selectsCis44Calls(filter.filterPattern),
    }));
    expect(classifyAlarm(alarm, judged, configured)).toEqual(expected);
  });
});
