import { describe, expect, it } from 'vitest';
import {
  type AlarmFacts,
  type AuditReport,
  CIS_AUDIT_CHECK_IDS,
  type CisAuditCheck,
  type CisAuditCheckId,
  type CisAuditFacts,
  countsCis44Calls,
  evaluateCisAudit,
  type MetricFilterFacts,
  type TopicFacts,
  type TrailFacts,
} from '../../src/domain/cis-audit';
import { CIS44_EVENT_NAMES } from '../../src/domain/events';
import { CIS44_FILTER_PATTERN } from '../../src/domain/filter-pattern';

const REGION = 'us-east-1';
const ACCOUNT = '111122223333';
const LOG_GROUP = '/aws/cloudtrail/management';
const LOG_GROUP_ARN = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${LOG_GROUP}:*`;
const TOPIC = `arn:aws:sns:${REGION}:${ACCOUNT}:security-alerts`;
const ROLE = `arn:aws:iam::${ACCOUNT}:role/CloudTrailToCloudWatchLogs`;

function trail(overrides: Partial<TrailFacts> = {}): TrailFacts {
  return {
    name: 'management',
    arn: `arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/management`,
    homeRegion: REGION,
    isMultiRegion: true,
    includeGlobalServiceEvents: true,
    isLogging: true,
    cloudWatchLogsLogGroupArn: LOG_GROUP_ARN,
    cloudWatchLogsRoleArn: ROLE,
    eventSelectors: [{ readWriteType: 'All', includeManagementEvents: true }],
    advancedEventSelectors: [],
    ...overrides,
  };
}

function filter(overrides: Partial<MetricFilterFacts> = {}): MetricFilterFacts {
  return {
    logGroupName: LOG_GROUP,
    filterName: 'CIS-4.4-IAMPolicyChanges',
    filterPattern: CIS44_FILTER_PATTERN,
    metricTransformations: [
      { metricNamespace: 'CISBenchmark', metricName: 'IAMPolicyChanges', metricValue: '1' },
    ],
    ...overrides,
  };
}

function alarm(overrides: Partial<AlarmFacts> = {}): AlarmFacts {
  return {
    alarmName: 'CIS-4.4-IAMPolicyChanges',
    alarmArn: `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:CIS-4.4-IAMPolicyChanges`,
    namespace: 'CISBenchmark',
    metricName: 'IAMPolicyChanges',
    dimensions: [],
    statistic: 'Sum',
    period: 300,
    evaluationPeriods: 1,
    threshold: 1,
    comparisonOperator: 'GreaterThanOrEqualToThreshold',
    actionsEnabled: true,
    alarmActions: [TOPIC],
    stateValue: 'OK',
    ...overrides,
  };
}

function topic(overrides: Partial<TopicFacts> = {}): TopicFacts {
  return {
    topicArn: TOPIC,
    exists: true,
    subscriptions: [{ subscriptionArn: `${TOPIC}:0b7c6a3e`, protocol: 'email', endpoint: 'sec@example.com' }],
    ...overrides,
  };
}

/** A complete, passing set-up, with the parts a case replaces. */
function facts(overrides: Partial<CisAuditFacts> = {}): CisAuditFacts {
  return {
    region: REGION,
    trails: [trail()],
    metricFilters: [filter()],
    alarms: [alarm()],
    topics: [topic()],
    ...overrides,
  };
}

function check(report: AuditReport, id: CisAuditCheckId): CisAuditCheck {
  const found = report.checks.find((candidate) => candidate.id === id);
  if (!found) throw new Error(`no check ${id}`);
  return found;
}

function failing(report: AuditReport): CisAuditCheckId[] {
  return report.checks.filter((candidate) => !candidate.pass).map((candidate) => candidate.id);
}

const ALL = [...CIS_AUDIT_CHECK_IDS];
/** The checks from the log group on, from the filter on, from the alarm on. */
const FROM_LOGS: CisAuditCheckId[] = [
  'trail-cloudwatch-logs',
  'metric-filter-covers-16',
  'alarm-on-metric',
  'alarm-fires-on-one-event',
  'alarm-has-sns-action',
  'sns-confirmed-subscription',
];
const FROM_FILTER: CisAuditCheckId[] = FROM_LOGS.slice(1);
const FROM_ALARM: CisAuditCheckId[] = FROM_LOGS.slice(2);

interface Case {
  name: string;
  facts: CisAuditFacts;
  failing: CisAuditCheckId[];
  /** Check → what its detail must say. */
  detail?: Partial<Record<CisAuditCheckId, RegExp>>;
  /** Check → text its fix must contain. */
  fix?: Partial<Record<CisAuditCheckId, string[]>>;
  missing?: string[];
}

const CASES: Case[] = [
  {
    name: 'a complete set-up passes',
    facts: facts(),
    failing: [],
    detail: {
      'trail-multi-region-logging': /trail "management" \(home us-east-1\) is multi-region and logging/,
      'metric-filter-covers-16': /counts all 16 calls into CISBenchmark\/IAMPolicyChanges/,
      'alarm-fires-on-one-event': /Sum ≥ 1 over 300 s, 1 of 1 period/,
      'sns-confirmed-subscription': /1 confirmed subscription \(email\)/,
    },
    missing: [],
  },
  {
    name: 'no trail fails every check, with commands that build the chain from nothing',
    facts: facts({ trails: [], metricFilters: [], alarms: [], topics: [] }),
    failing: ALL,
    detail: { 'trail-multi-region-logging': /no CloudTrail trail in us-east-1/ },
    fix: {
      'trail-multi-region-logging': [
        "aws s3api head-bucket --bucket '<cloudtrail-log-bucket>' >/dev/null 2>&1 || aws s3api create-bucket --region us-east-1 --bucket '<cloudtrail-log-bucket>'",
        `aws s3api put-bucket-policy --bucket '<cloudtrail-log-bucket>' --policy '${JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'AWSCloudTrailAclCheck20150319',
              Effect: 'Allow',
              Principal: { Service: 'cloudtrail.amazonaws.com' },
              Action: 's3:GetBucketAcl',
              Resource: 'arn:aws:s3:::<cloudtrail-log-bucket>',
              Condition: {
                StringEquals: {
                  'aws:SourceArn': `arn:aws:cloudtrail:us-east-1:<account-id>:trail/cis-multi-region-trail`,
                },
              },
            },
            {
              Sid: 'AWSCloudTrailWrite20150319',
              Effect: 'Allow',
              Principal: { Service: 'cloudtrail.amazonaws.com' },
              Action: 's3:PutObject',
              Resource: 'arn:aws:s3:::<cloudtrail-log-bucket>/AWSLogs/<account-id>/*',
              Condition: {
                StringEquals: {
                  's3:x-amz-acl': 'bucket-owner-full-control',
                  'aws:SourceArn': `arn:aws:cloudtrail:us-east-1:<account-id>:trail/cis-multi-region-trail`,
                },
              },
            },
          ],
        })}'`,
        "aws cloudtrail get-trail --region us-east-1 --name cis-multi-region-trail >/dev/null 2>&1 || aws cloudtrail create-trail --region us-east-1 --name cis-multi-region-trail --s3-bucket-name '<cloudtrail-log-bucket>' --is-multi-region-trail --include-global-service-events",
        'aws cloudtrail start-logging --region us-east-1 --name cis-multi-region-trail',
      ],
      'trail-cloudwatch-logs': [
        'aws logs describe-log-groups --region us-east-1 --log-group-name-prefix aws-cloudtrail-logs-cis-multi-region-trail --query \'logGroups[?logGroupName==`"aws-cloudtrail-logs-cis-multi-region-trail"`].logGroupName\' --output text | grep -qxF -- aws-cloudtrail-logs-cis-multi-region-trail || aws logs create-log-group --region us-east-1 --log-group-name aws-cloudtrail-logs-cis-multi-region-trail',
      ],
      'metric-filter-covers-16': [
        `aws logs put-metric-filter --region us-east-1 --log-group-name aws-cloudtrail-logs-cis-multi-region-trail --filter-name CIS-4.4-IAMPolicyChanges --filter-pattern '${CIS44_FILTER_PATTERN}' --metric-transformations metricName=IAMPolicyChanges,metricNamespace=CISBenchmark,metricValue=1`,
      ],
      'sns-confirmed-subscription': ['aws sns create-topic --region us-east-1 --name iam-changes-alerts'],
    },
    missing: [...CIS44_EVENT_NAMES],
  },
  {
    name: 'a single-region trail fails only the multi-region check',
    facts: facts({ trails: [trail({ isMultiRegion: false })] }),
    failing: ['trail-multi-region-logging'],
    detail: { 'trail-multi-region-logging': /is single-region/ },
    fix: {
      'trail-multi-region-logging': [
        'aws cloudtrail update-trail --region us-east-1 --name management --is-multi-region-trail --include-global-service-events',
      ],
    },
  },
  {
    name: 'a trail that is not logging fails with start-logging',
    facts: facts({ trails: [trail({ isLogging: false })] }),
    failing: ['trail-multi-region-logging'],
    detail: { 'trail-multi-region-logging': /is not logging/ },
    fix: {
      'trail-multi-region-logging': ['aws cloudtrail start-logging --region us-east-1 --name management'],
    },
  },
  {
    name: 'a trail with an unreadable status is not taken to be logging',
    facts: facts({ trails: [trail({ isLogging: false, statusError: 'AccessDeniedException: denied' })] }),
    failing: ['trail-multi-region-logging'],
    detail: { 'trail-multi-region-logging': /unreadable status \(AccessDeniedException: denied\)/ },
  },
  {
    name: 'read-only management events fail, and the fix keeps the data-event selector',
    facts: facts({
      trails: [
        trail({
          eventSelectors: [
            {
              readWriteType: 'ReadOnly',
              includeManagementEvents: true,
              dataResources: [{ type: 'AWS::S3::Object', values: ['arn:aws:s3:::audit-bucket/'] }],
            },
          ],
        }),
      ],
    }),
    failing: ['trail-write-management-events'],
    detail: { 'trail-write-management-events': /read-only management events only/ },
    fix: {
      'trail-write-management-events': [
        `aws cloudtrail put-event-selectors --region us-east-1 --trail-name management --event-selectors '[{"ReadWriteType":"All","IncludeManagementEvents":true},{"ReadWriteType":"ReadOnly","IncludeManagementEvents":false,"DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3:::audit-bucket/"]}]}]'`,
      ],
    },
  },
  {
    name: 'write-only management events pass',
    facts: facts({
      trails: [trail({ eventSelectors: [{ readWriteType: 'WriteOnly', includeManagementEvents: true }] })],
    }),
    failing: [],
  },
  {
    name: 'selectors without management events fail',
    facts: facts({
      trails: [trail({ eventSelectors: [{ readWriteType: 'All', includeManagementEvents: false }] })],
    }),
    failing: ['trail-write-management-events'],
    detail: { 'trail-write-management-events': /record no management events from IAM/ },
  },
  {
    name: "no selectors at all (moto's new trail) is CloudTrail's default: all management events",
    facts: facts({ trails: [trail({ eventSelectors: [] })] }),
    failing: [],
    detail: { 'trail-write-management-events': /CloudTrail's default applies/ },
  },
  {
    name: 'advanced selectors for write management events pass',
    facts: facts({
      trails: [
        trail({
          eventSelectors: [],
          advancedEventSelectors: [
            {
              name: 'Write management events',
              fieldSelectors: [
                { field: 'eventCategory', equals: ['Management'] },
                { field: 'readOnly', equals: ['false'] },
                { field: 'eventSource', notEquals: ['kms.amazonaws.com', 'rdsdata.amazonaws.com'] },
              ],
            },
          ],
        }),
      ],
    }),
    failing: [],
    detail: { 'trail-write-management-events': /advanced event selectors record write management events/ },
  },
  {
    name: 'advanced selectors for read-only management events fail; the fix keeps the data selector',
    facts: facts({
      trails: [
        trail({
          eventSelectors: [],
          advancedEventSelectors: [
            {
              name: 'Reads',
              fieldSelectors: [
                { field: 'eventCategory', equals: ['Management'] },
                { field: 'readOnly', equals: ['true'] },
              ],
            },
            {
              name: 'S3 data',
              fieldSelectors: [
                { field: 'eventCategory', equals: ['Data'] },
                { field: 'resources.type', equals: ['AWS::S3::Object'] },
              ],
            },
          ],
        }),
      ],
    }),
    failing: ['trail-write-management-events'],
    detail: { 'trail-write-management-events': /do not record IAM write management events/ },
    fix: {
      'trail-write-management-events': [
        `--advanced-event-selectors '[{"Name":"Management events","FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]}]},{"Name":"S3 data","FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::S3::Object"]}]}]'`,
      ],
    },
  },
  {
    name: 'a trail that excludes global service events records no IAM call',
    facts: facts({ trails: [trail({ isMultiRegion: false, includeGlobalServiceEvents: false })] }),
    failing: ['trail-multi-region-logging', 'trail-write-management-events'],
    detail: { 'trail-write-management-events': /excludes global service events/ },
    fix: {
      'trail-write-management-events': [
        'aws cloudtrail update-trail --region us-east-1 --name management --include-global-service-events',
      ],
    },
  },
  {
    name: 'a trail without a log group fails from the log group on',
    facts: facts({
      trails: [trail({ cloudWatchLogsLogGroupArn: undefined, cloudWatchLogsRoleArn: undefined })],
    }),
    failing: FROM_LOGS,
    detail: { 'trail-cloudwatch-logs': /trail "management" does not deliver to CloudWatch Logs/ },
    fix: {
      'trail-cloudwatch-logs': [
        'aws logs create-log-group --region us-east-1 --log-group-name aws-cloudtrail-logs-management',
        `aws cloudtrail update-trail --region us-east-1 --name management --cloud-watch-logs-log-group-arn 'arn:aws:logs:us-east-1:${ACCOUNT}:log-group:aws-cloudtrail-logs-management:*' --cloud-watch-logs-role-arn '<cloudtrail-to-cloudwatch-logs-role-arn>'`,
      ],
      'metric-filter-covers-16': [
        '--log-group-name aws-cloudtrail-logs-management --filter-name CIS-4.4-IAMPolicyChanges',
      ],
    },
  },
  {
    name: 'a log group that does not exist',
    facts: facts({ missingLogGroups: [LOG_GROUP], metricFilters: [] }),
    failing: FROM_LOGS,
    detail: {
      'trail-cloudwatch-logs': /which does not exist/,
      'metric-filter-covers-16':
        /log group "\/aws\/cloudtrail\/management" does not exist, so it has no filter/,
    },
    fix: {
      'trail-cloudwatch-logs': [`aws logs create-log-group --region us-east-1 --log-group-name ${LOG_GROUP}`],
    },
  },
  {
    name: 'a log group in another region is audited there',
    facts: facts({
      region: 'eu-west-1',
      trails: [
        trail({ cloudWatchLogsLogGroupArn: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:${LOG_GROUP}:*` }),
      ],
    }),
    failing: FROM_LOGS,
    detail: {
      'trail-cloudwatch-logs': /in us-east-1; its metric filters and alarms live there, not in eu-west-1/,
      'metric-filter-covers-16': /is in us-east-1; its filters were not read from eu-west-1/,
    },
    fix: {
      'trail-cloudwatch-logs': ['npx iam-changes audit --region us-east-1'],
      'metric-filter-covers-16': ['aws logs put-metric-filter --region us-east-1'],
    },
  },
  {
    name: 'a log group without a delivery role',
    facts: facts({ trails: [trail({ cloudWatchLogsRoleArn: undefined })] }),
    failing: ['trail-cloudwatch-logs'],
    detail: { 'trail-cloudwatch-logs': /no role to deliver with/ },
  },
  {
    name: 'a delivery error is reported but does not fail the check',
    facts: facts({ trails: [trail({ latestCloudWatchLogsDeliveryError: 'AccessDenied' })] }),
    failing: [],
    detail: { 'trail-cloudwatch-logs': /CloudTrail reports a delivery error: AccessDenied/ },
  },
  {
    name: 'a filter missing two calls; the fix keeps its name and metric',
    facts: facts({
      metricFilters: [
        filter({
          filterName: 'iam-policy',
          filterPattern: CIS44_FILTER_PATTERN.replace('||($.eventName=DeletePolicy)', '').replace(
            '||($.eventName=DetachGroupPolicy)',
            '',
          ),
        }),
      ],
    }),
    failing: ['metric-filter-covers-16'],
    detail: {
      'metric-filter-covers-16': /counts 14 of 16 calls .* it misses DeletePolicy, DetachGroupPolicy/,
    },
    fix: {
      'metric-filter-covers-16': [
        `--log-group-name ${LOG_GROUP} --filter-name iam-policy --filter-pattern '{(${CIS44_FILTER_PATTERN.replace(
          '||($.eventName=DeletePolicy)',
          '',
        )
          .replace('||($.eventName=DetachGroupPolicy)', '')
          .slice(
            1,
            -1,
          )})||($.eventName=DeletePolicy)||($.eventName=DetachGroupPolicy)}' --metric-transformations metricName=IAMPolicyChanges,metricNamespace=CISBenchmark,metricValue=1`,
      ],
    },
    missing: ['DeletePolicy', 'DetachGroupPolicy'],
  },
  ...(
    [
      ['IAM users', '$.userIdentity.type = IAMUser', 'only when userIdentity.type is IAMUser'],
      ['successful calls', '$.errorCode NOT EXISTS', 'only when errorCode is absent'],
      ['callers other than root', '$.userIdentity.type != "Root"', 'only when userIdentity.type is not Root'],
    ] as const
  ).map(
    ([who, restriction, condition]): Case => ({
      name: `a filter counting the 16 calls only for ${who} fails; the fix adds them in full beside what it counted`,
      facts: facts({
        metricFilters: [
          filter({
            filterName: 'iam-narrow',
            filterPattern: `{ ($.eventName = PutRolePolicy) && (${restriction}) }`,
          }),
        ],
      }),
      failing: ['metric-filter-covers-16'],
      detail: {
        'metric-filter-covers-16': new RegExp(
          `counts 0 of 16 calls for every record into CISBenchmark/IAMPolicyChanges; it counts PutRolePolicy ${condition.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}; it misses DeleteGroupPolicy`,
        ),
      },
      fix: {
        'metric-filter-covers-16': [
          '# keeps what filter "iam-narrow" counts and adds the 16 calls it does not count for every record',
          `--filter-name iam-narrow --filter-pattern '{(($.eventName = PutRolePolicy) && (${restriction}))||${CIS44_EVENT_NAMES.map((name) => `($.eventName=${name})`).join('||')}}'`,
        ],
      },
      missing: [...CIS44_EVENT_NAMES],
    }),
  ),
  {
    name: 'a partial filter too long to extend gets a second filter on the same metric',
    facts: facts({
      metricFilters: [
        filter({
          filterName: 'iam-users-only',
          filterPattern: `{ (${CIS44_FILTER_PATTERN.slice(1, -1)}) && ($.userIdentity.type = IAMUser) }`,
        }),
      ],
    }),
    failing: ['metric-filter-covers-16'],
    detail: { 'metric-filter-covers-16': /it counts all 16 calls only when userIdentity.type is IAMUser/ },
    fix: {
      'metric-filter-covers-16': [
        'filter "iam-users-only" stays as it is (extending it would pass the 1024-character limit',
        `--filter-name CIS-4.4-IAMPolicyChanges --filter-pattern '${CIS44_FILTER_PATTERN}' --metric-transformations metricName=IAMPolicyChanges`,
      ],
    },
    missing: [...CIS44_EVENT_NAMES],
  },
  {
    name: 'two filters on one metric count together: the second filter of a fix makes the audit pass',
    facts: facts({
      metricFilters: [
        filter({
          filterName: 'iam-users-only',
          filterPattern: `{ (${CIS44_FILTER_PATTERN.slice(1, -1)}) && ($.userIdentity.type = IAMUser) }`,
        }),
        filter({ filterName: 'CIS-4.4-IAMPolicyChanges' }),
      ],
    }),
    failing: [],
    detail: { 'metric-filter-covers-16': /counts all 16 calls into CISBenchmark\/IAMPolicyChanges/ },
    missing: [],
  },
  {
    name: 'a text pattern is kept and a second filter counts what it misses, under a free name',
    facts: facts({
      metricFilters: [filter({ filterName: 'CIS-4.4-IAMPolicyChanges', filterPattern: 'AttachRolePolicy' })],
    }),
    failing: ['metric-filter-covers-16'],
    fix: {
      'metric-filter-covers-16': [
        'it is not a JSON pattern, so it cannot be joined with one',
        "--filter-name CIS-4.4-IAMPolicyChanges-2 --filter-pattern '{($.eventName=DeleteGroupPolicy)||",
      ],
    },
  },
  {
    name: 'a filter written with quotes, spaces, newlines and in reverse order passes',
    facts: facts({
      metricFilters: [
        filter({
          filterPattern: `{\n  ${[...CIS44_EVENT_NAMES]
            .reverse()
            .map((name) => `( $.eventName = "${name}" )`)
            .join(' ||\n  ')}\n}`,
        }),
      ],
    }),
    failing: [],
    missing: [],
  },
  {
    name: 'a filter on a log group no trail writes to is not part of any chain',
    facts: facts({ metricFilters: [filter({ logGroupName: '/other/group' })] }),
    failing: FROM_FILTER,
    detail: {
      'metric-filter-covers-16': /no metric filter on log group "\/aws\/cloudtrail\/management" counts any/,
    },
  },
  {
    name: 'a root-login filter with a working alarm is no CIS 4.4 candidate',
    facts: facts({
      metricFilters: [
        filter({
          filterName: 'CIS-4.3-RootUsage',
          filterPattern:
            '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }',
          metricTransformations: [
            { metricNamespace: 'CISBenchmark', metricName: 'RootUsage', metricValue: '1' },
          ],
        }),
      ],
      alarms: [alarm({ alarmName: 'root-usage', metricName: 'RootUsage' })],
    }),
    failing: FROM_FILTER,
    detail: {
      'metric-filter-covers-16': /counts any of the 16 calls \(1 other filter there\)/,
      'alarm-on-metric': /no CIS 4.4 metric filter/,
    },
    fix: { 'metric-filter-covers-16': ['--filter-name CIS-4.4-IAMPolicyChanges'] },
  },
  {
    name: 'an unreadable pattern is named in the detail',
    facts: facts({ metricFilters: [filter({ filterName: 'broken', filterPattern: '{ $.eventName = }' })] }),
    failing: FROM_FILTER,
    detail: { 'metric-filter-covers-16': /the pattern of filter "broken" could not be read: .*at position/ },
  },
  {
    name: 'TestMetricFilter can take a call away from the local judgement, never add one',
    facts: facts({
      metricFilters: [
        filter({
          awsTest: {
            covered: CIS44_EVENT_NAMES.filter((name) => name !== 'CreatePolicy'),
            missing: ['CreatePolicy'],
          },
        }),
      ],
      testMetricFilter: true,
    }),
    failing: ['metric-filter-covers-16'],
    detail: {
      'metric-filter-covers-16':
        /TestMetricFilter did not match every sample record of CreatePolicy, so they are not counted as covered/,
    },
    missing: ['CreatePolicy'],
  },
  {
    name: 'TestMetricFilter matching only some samples of a call is said',
    facts: facts({
      metricFilters: [
        filter({
          awsTest: {
            covered: CIS44_EVENT_NAMES.filter((name) => name !== 'PutRolePolicy'),
            missing: ['PutRolePolicy'],
            partial: [{ eventName: 'PutRolePolicy', matched: ['user', 'role'] }],
          },
        }),
      ],
      testMetricFilter: true,
    }),
    failing: ['metric-filter-covers-16'],
    detail: {
      'metric-filter-covers-16': /TestMetricFilter matched only the user, role samples of PutRolePolicy/,
    },
    missing: ['PutRolePolicy'],
  },
  {
    name: 'TestMetricFilter agreeing is said',
    facts: facts({
      metricFilters: [filter({ awsTest: { covered: [...CIS44_EVENT_NAMES], missing: [] } })],
      testMetricFilter: true,
    }),
    failing: [],
    detail: { 'metric-filter-covers-16': /TestMetricFilter agrees \(16 of 16\)/ },
  },
  {
    name: 'TestMetricFilter failing falls back to the local evaluator',
    facts: facts({
      metricFilters: [
        filter({ awsTest: { error: 'logs:TestMetricFilter: ThrottlingException: slow down' } }),
      ],
      testMetricFilter: true,
    }),
    failing: [],
    detail: {
      'metric-filter-covers-16': /TestMetricFilter could not run: logs:TestMetricFilter: ThrottlingException/,
    },
  },
  {
    name: 'TestMetricFilter off (an emulator) is said',
    facts: facts({ testMetricFilter: false }),
    failing: [],
    detail: { 'metric-filter-covers-16': /TestMetricFilter: not asked for, the endpoint is not AWS/ },
  },
  {
    name: 'a filter without an alarm',
    facts: facts({ alarms: [], topics: [] }),
    failing: FROM_ALARM,
    detail: { 'alarm-on-metric': /no alarm on CISBenchmark\/IAMPolicyChanges/ },
    fix: {
      'alarm-on-metric': [
        `aws cloudwatch put-metric-alarm --region us-east-1 --alarm-name CIS-4.4-IAMPolicyChanges --namespace CISBenchmark --metric-name IAMPolicyChanges --statistic Sum --period 300 --evaluation-periods 1 --datapoints-to-alarm 1 --threshold 1 --comparison-operator GreaterThanOrEqualToThreshold --treat-missing-data notBreaching --actions-enabled --alarm-actions arn:aws:sns:us-east-1:${ACCOUNT}:iam-changes-alerts`,
      ],
      'alarm-has-sns-action': ['aws sns create-topic --region us-east-1 --name iam-changes-alerts'],
    },
  },
  {
    name: 'an alarm on another metric does not count',
    facts: facts({ alarms: [alarm({ metricName: 'SomethingElse' })] }),
    failing: FROM_ALARM,
  },
  {
    name: 'an alarm with dimensions the filter never publishes',
    facts: facts({ alarms: [alarm({ dimensions: [{ name: 'eventName', value: 'PutRolePolicy' }] })] }),
    failing: ['alarm-on-metric'],
    detail: {
      'alarm-on-metric': /with dimensions \(eventName=PutRolePolicy\), which the filter never publishes/,
    },
  },
  {
    name: 'a filter publishing dimensions',
    facts: facts({
      metricFilters: [
        filter({
          metricTransformations: [
            {
              metricNamespace: 'CISBenchmark',
              metricName: 'IAMPolicyChanges',
              metricValue: '1',
              dimensions: { eventName: '$.eventName' },
            },
          ],
        }),
      ],
    }),
    failing: ['alarm-on-metric'],
    detail: { 'alarm-on-metric': /publishes CISBenchmark\/IAMPolicyChanges with dimensions \(eventName\)/ },
    fix: { 'alarm-on-metric': ['aws logs put-metric-filter', 'aws cloudwatch put-metric-alarm'] },
  },
  {
    name: 'an alarm asking for a unit the filter does not publish',
    facts: facts({ alarms: [alarm({ unit: 'Count' })] }),
    failing: ['alarm-on-metric'],
    detail: { 'alarm-on-metric': /asks for unit Count and the filter publishes .* in None/ },
  },
  {
    name: 'an alarm asking for the unit the filter publishes',
    facts: facts({
      metricFilters: [
        filter({
          metricTransformations: [
            {
              metricNamespace: 'CISBenchmark',
              metricName: 'IAMPolicyChanges',
              metricValue: '1',
              unit: 'Count',
            },
          ],
        }),
      ],
      alarms: [alarm({ unit: 'Count' })],
    }),
    failing: [],
  },
  {
    name: 'an alarm with no SNS action',
    facts: facts({
      alarms: [alarm({ alarmActions: ['arn:aws:automate:us-east-1:ec2:stop'], okActions: [TOPIC] })],
      topics: [],
    }),
    failing: ['alarm-has-sns-action', 'sns-confirmed-subscription'],
    detail: { 'alarm-has-sns-action': /has no SNS alarm action \(its actions: arn:aws:automate/ },
    fix: {
      'alarm-has-sns-action': [
        'aws sns create-topic --region us-east-1 --name iam-changes-alerts',
        `--alarm-actions arn:aws:automate:us-east-1:ec2:stop arn:aws:sns:us-east-1:${ACCOUNT}:iam-changes-alerts --ok-actions ${TOPIC}`,
      ],
    },
  },
  {
    name: 'an alarm with its actions disabled',
    facts: facts({ alarms: [alarm({ actionsEnabled: false })] }),
    failing: ['alarm-has-sns-action'],
    detail: { 'alarm-has-sns-action': /its actions are disabled/ },
    fix: {
      'alarm-has-sns-action': [
        'aws cloudwatch enable-alarm-actions --region us-east-1 --alarm-names CIS-4.4-IAMPolicyChanges',
      ],
    },
  },
  {
    name: 'an alarm notifying a deleted topic',
    facts: facts({ topics: [topic({ exists: false, subscriptions: [] })] }),
    failing: ['alarm-has-sns-action', 'sns-confirmed-subscription'],
    detail: { 'alarm-has-sns-action': /does not exist/, 'sns-confirmed-subscription': /does not exist/ },
    fix: { 'alarm-has-sns-action': ['aws sns create-topic --region us-east-1 --name security-alerts'] },
  },
  {
    name: 'a topic encrypted with the AWS managed key',
    facts: facts({ topics: [topic({ kmsMasterKeyId: 'alias/aws/sns' })] }),
    failing: ['alarm-has-sns-action'],
    detail: { 'alarm-has-sns-action': /AWS managed key alias\/aws\/sns, which CloudWatch cannot use/ },
    fix: { 'alarm-has-sns-action': ['aws sns set-topic-attributes', '--attribute-name KmsMasterKeyId'] },
  },
  {
    name: 'a topic without subscriptions',
    facts: facts({ topics: [topic({ subscriptions: [] })] }),
    failing: ['sns-confirmed-subscription'],
    detail: { 'sns-confirmed-subscription': /has no subscriptions/ },
    fix: {
      'sns-confirmed-subscription': [
        `aws sns subscribe --region us-east-1 --topic-arn ${TOPIC} --protocol email --notification-endpoint '<security-team-email>'`,
      ],
    },
  },
  {
    name: 'a topic with only a pending subscription',
    facts: facts({
      topics: [topic({ subscriptions: [{ subscriptionArn: 'PendingConfirmation', protocol: 'email' }] })],
    }),
    failing: ['sns-confirmed-subscription'],
    detail: {
      'sns-confirmed-subscription': /no confirmed subscription; 1 subscription pending confirmation/,
    },
  },
  {
    name: 'a confirmed subscription beside a pending one passes',
    facts: facts({
      topics: [
        topic({
          subscriptions: [
            { subscriptionArn: 'PendingConfirmation', protocol: 'email' },
            { subscriptionArn: `${TOPIC}:1`, protocol: 'lambda' },
          ],
        }),
      ],
    }),
    failing: [],
    detail: { 'sns-confirmed-subscription': /1 confirmed subscription \(lambda\); 1 subscription pending/ },
  },
];

describe('evaluateCisAudit', () => {
  it.each(CASES)('$name', (entry) => {
    const report = evaluateCisAudit(entry.facts);
    expect(report.checks.map((c) => c.id)).toEqual(ALL);
    expect(failing(report)).toEqual(entry.failing);
    expect(report.pass).toBe(entry.failing.length === 0);
    for (const item of report.checks) {
      // Every failed check says how to fix it; a passing one has nothing to fix.
      if (item.pass) expect(item.fix, item.id).toBeUndefined();
      else expect(item.fix, item.id).toMatch(/^(aws |# |npx )/m);
    }
    for (const [id, pattern] of Object.entries(entry.detail ?? {})) {
      expect(check(report, id as CisAuditCheckId).detail).toMatch(pattern as RegExp);
    }
    for (const [id, texts] of Object.entries(entry.fix ?? {})) {
      for (const text of texts ?? []) expect(check(report, id as CisAuditCheckId).fix).toContain(text);
    }
    if (entry.missing) expect(report.missingEvents).toEqual(entry.missing);
  });
});

interface FiringCase {
  name: string;
  alarm: Partial<AlarmFacts>;
  metricValue?: string;
  defaultValue?: number;
  fires: boolean;
  detail?: RegExp;
}

const FIRING: FiringCase[] = [
  { name: 'Sum ≥ 1', alarm: {}, fires: true },
  { name: 'Sum > 0', alarm: { comparisonOperator: 'GreaterThanThreshold', threshold: 0 }, fires: true },
  {
    name: 'Sum > 1 needs two calls',
    alarm: { comparisonOperator: 'GreaterThanThreshold', threshold: 1 },
    fires: false,
    detail: /one call makes Sum 1, which does not breach Sum > 1/,
  },
  { name: 'Sum ≥ 2 needs two calls', alarm: { threshold: 2 }, fires: false },
  {
    name: 'Sum < 1 fires on quiet periods, not on a call',
    alarm: { comparisonOperator: 'LessThanThreshold' },
    fires: false,
  },
  { name: 'SampleCount ≥ 1', alarm: { statistic: 'SampleCount' }, fires: true },
  { name: 'Maximum ≥ 1', alarm: { statistic: 'Maximum' }, fires: true },
  { name: 'Average ≥ 1 without a default value', alarm: { statistic: 'Average' }, fires: true },
  {
    name: 'Average ≥ 1 with a default value of 0 is diluted by other events',
    alarm: { statistic: 'Average' },
    defaultValue: 0,
    fires: false,
  },
  { name: 'Sum ≥ 1 with a default value of 0', alarm: {}, defaultValue: 0, fires: true },
  {
    name: 'Maximum ≥ 1 with a default value of 0',
    alarm: { statistic: 'Maximum' },
    defaultValue: 0,
    fires: true,
  },
  {
    name: 'SampleCount with a default value counts every log event',
    alarm: { statistic: 'SampleCount' },
    defaultValue: 0,
    fires: false,
    detail: /SampleCount counts every log event/,
  },
  { name: 'p99 ≥ 1', alarm: { statistic: undefined, extendedStatistic: 'p99' }, fires: true },
  { name: 'Sum ≥ 1 with metric value 5', alarm: {}, metricValue: '5', fires: true },
  {
    name: 'metric value taken from the event',
    alarm: {},
    metricValue: '$.requestParameters.count',
    fires: false,
    detail: /metricValue "\$.requestParameters.count", not a positive number/,
  },
  {
    name: '3 of 3 periods',
    alarm: { evaluationPeriods: 3 },
    fires: false,
    detail: /it needs 3 breaching periods of 3/,
  },
  { name: '1 of 3 periods', alarm: { evaluationPeriods: 3, datapointsToAlarm: 1 }, fires: true },
  {
    name: 'an anomaly-detection band cannot be judged',
    alarm: { comparisonOperator: 'LessThanLowerOrGreaterThanUpperThreshold' },
    fires: false,
  },
];

describe('alarm-fires-on-one-event', () => {
  it.each(FIRING)('$name', (entry) => {
    const transformation = {
      metricNamespace: 'CISBenchmark',
      metricName: 'IAMPolicyChanges',
      metricValue: entry.metricValue ?? '1',
      ...(entry.defaultValue === undefined ? {} : { defaultValue: entry.defaultValue }),
    };
    const report = evaluateCisAudit(
      facts({
        metricFilters: [filter({ metricTransformations: [transformation] })],
        alarms: [alarm(entry.alarm)],
      }),
    );
    const verdict = check(report, 'alarm-fires-on-one-event');
    expect(verdict.pass).toBe(entry.fires);
    if (entry.detail) expect(verdict.detail).toMatch(entry.detail);
    if (!entry.fires) {
      expect(verdict.fix).toContain('--statistic Sum');
      expect(verdict.fix).toContain('--evaluation-periods 1 --datapoints-to-alarm 1 --threshold 1');
      expect(verdict.fix).toContain('--comparison-operator GreaterThanOrEqualToThreshold');
      // put-metric-alarm replaces the alarm: the fix keeps its name and its actions.
      expect(verdict.fix).toContain(`--alarm-name CIS-4.4-IAMPolicyChanges`);
      expect(verdict.fix).toContain(`--alarm-actions ${TOPIC}`);
    }
  });

  it('rewrites the filter with metricValue=1 when the value comes from the event', () => {
    const report = evaluateCisAudit(
      facts({
        metricFilters: [
          filter({
            metricTransformations: [
              { metricNamespace: 'CISBenchmark', metricName: 'IAMPolicyChanges', metricValue: '$.x' },
            ],
          }),
        ],
      }),
    );
    expect(check(report, 'alarm-fires-on-one-event').fix).toContain(
      'metricName=IAMPolicyChanges,metricNamespace=CISBenchmark,metricValue=1',
    );
  });
});

describe('choosing the chain', () => {
  it('judges the chain needing the fewest fixes and names it', () => {
    const report = evaluateCisAudit(
      facts({
        trails: [
          trail({ name: 'a-regional', isMultiRegion: false, cloudWatchLogsLogGroupArn: undefined }),
          trail(),
        ],
        metricFilters: [
          filter({ filterName: 'partial', filterPattern: '{ $.eventName = PutRolePolicy }' }),
          filter(),
        ],
        alarms: [alarm({ alarmName: 'slow', evaluationPeriods: 5 }), alarm()],
      }),
    );
    expect(report.pass).toBe(true);
    expect(report.chain).toEqual({
      trail: 'management',
      trailRegion: REGION,
      logGroup: LOG_GROUP,
      filter: 'CIS-4.4-IAMPolicyChanges',
      metric: 'CISBenchmark/IAMPolicyChanges',
      alarm: 'CIS-4.4-IAMPolicyChanges',
      topic: TOPIC,
    });
    // 1 chain for the trail without a log group; 2 filters × 2 alarms for the other.
    expect(report.candidates).toBe(5);
  });

  it('prefers a chain missing one link over one missing several', () => {
    const report = evaluateCisAudit(
      facts({
        trails: [
          trail({ name: 'old', isMultiRegion: false }),
          trail({
            name: 'new',
            cloudWatchLogsLogGroupArn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/new:*`,
          }),
        ],
      }),
    );
    expect(report.chain.trail).toBe('old');
    expect(failing(report)).toEqual(['trail-multi-region-logging']);
  });

  it('judges the empty chain when the account has nothing', () => {
    const report = evaluateCisAudit({
      region: REGION,
      trails: [],
      metricFilters: [],
      alarms: [],
      topics: [],
    });
    expect(report.candidates).toBe(1);
    expect(report.chain).toEqual({});
    expect(report.region).toBe(REGION);
  });
});

describe('fix commands', () => {
  it('quote what the shell would split or expand', () => {
    const report = evaluateCisAudit(
      facts({
        alarms: [
          alarm({ evaluationPeriods: 2, alarmDescription: "IAM policy changes (it's CIS 4.4) & $HOME" }),
        ],
      }),
    );
    expect(check(report, 'alarm-fires-on-one-event').fix).toContain(
      `--alarm-description 'IAM policy changes (it'\\''s CIS 4.4) & $HOME'`,
    );
  });

  it('use the JSON form of metric transformations when a name needs it', () => {
    const report = evaluateCisAudit(
      facts({
        metricFilters: [
          filter({
            filterPattern: '{ $.eventName = PutRolePolicy }',
            metricTransformations: [
              {
                metricNamespace: 'Security Benchmarks',
                metricName: 'IAM,Changes',
                metricValue: '1',
                defaultValue: 0,
              },
            ],
          }),
        ],
        alarms: [alarm({ namespace: 'Security Benchmarks', metricName: 'IAM,Changes' })],
      }),
    );
    expect(check(report, 'metric-filter-covers-16').fix).toContain(
      `--metric-transformations '[{"metricName":"IAM,Changes","metricNamespace":"Security Benchmarks","metricValue":"1","defaultValue":0}]'`,
    );
  });
});

describe('countsCis44Calls', () => {
  it('is true for a filter counting any of the 16 calls, by TestMetricFilter when it answered', () => {
    expect(countsCis44Calls(filter())).toBe(true);
    expect(countsCis44Calls(filter({ filterPattern: '{ $.eventName = ConsoleLogin }' }))).toBe(false);
    expect(
      countsCis44Calls(
        filter({
          filterPattern: '{ $.eventName = ConsoleLogin }',
          awsTest: { covered: ['PutRolePolicy'], missing: [] },
        }),
      ),
    ).toBe(true);
    expect(countsCis44Calls(filter({ awsTest: { error: 'denied' } }))).toBe(true);
  });
});
