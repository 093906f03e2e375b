/**
 * The CIS AWS Foundations Benchmark 4.4 audit as a pure function: the facts gathered from CloudTrail,
 * CloudWatch Logs, CloudWatch and SNS in, a verdict per link of the chain out —
 *
 *   trail (multi-region, logging, recording IAM writes) → its CloudWatch Logs log group → a metric filter
 *   counting all 16 calls → an alarm on THAT filter's metric that one call fires → an SNS action → a topic
 *   with a confirmed subscriber.
 *
 * Every link must hold on the same chain: a perfect alarm on another metric, or a filter on a log group no
 * trail writes to, proves nothing. When the account has several candidate chains the one needing the fewest
 * fixes is reported, and named. Each failed check carries the exact `aws` CLI commands that fix it, written
 * so that running the fixes of every failed check, in order, is safe to repeat (`create-topic`,
 * `put-metric-filter`, `put-metric-alarm` and `put-bucket-policy` are upserts; creating a log group, a
 * bucket or a trail is guarded by a look-up) and keeps what the account already has (other alarm actions,
 * data-event selectors, what a partial metric filter counted besides the 16 calls).
 *
 * A filter covers a call only when it counts **every** record of it (see src/domain/cis44-coverage.ts):
 * one restricted to IAM users, to successful calls or to the CLI is partial, and the fix extends it.
 *
 * Pure: no SDK, no environment, no clock.
 */

import {
  type Cis44Coverage,
  type Cis44PartialCall,
  cis44PatternFor,
  evaluateCis44Coverage,
  evaluateCis44CoverageOfAll,
  extendFilterPattern,
  selectsCis44Calls,
} from './cis44-coverage';
import { CIS44_EVENT_NAMES, type Cis44EventName, IAM_EVENT_SOURCE } from './events';
import { CIS44_FILTER_PATTERN, MAX_FILTER_PATTERN_LENGTH } from './filter-pattern';

// ---------------------------------------------------------------------------------------------------------
// Facts
// ---------------------------------------------------------------------------------------------------------

/** A basic CloudTrail event selector (`EventSelectors` of `GetEventSelectors`). */
export interface BasicEventSelector {
  /** `ReadOnly`, `WriteOnly` or `All` (CloudTrail's default when absent). */
  readWriteType?: string;
  /** CloudTrail's default when absent is `true`. */
  includeManagementEvents?: boolean;
  excludeManagementEventSources?: readonly string[];
  /** Data-event resources, kept so a fix can write the selectors back unchanged. */
  dataResources?: readonly { type?: string; values?: readonly string[] }[];
}

/** One condition of an advanced event selector. */
export interface AdvancedFieldSelector {
  field: string;
  equals?: readonly string[];
  startsWith?: readonly string[];
  endsWith?: readonly string[];
  notEquals?: readonly string[];
  notStartsWith?: readonly string[];
  notEndsWith?: readonly string[];
}

/** An advanced CloudTrail event selector (`AdvancedEventSelectors` of `GetEventSelectors`). */
export interface AdvancedEventSelector {
  name?: string;
  fieldSelectors: readonly AdvancedFieldSelector[];
}

/** A trail as `DescribeTrails`, `GetTrailStatus` and `GetEventSelectors` describe it. */
export interface TrailFacts {
  name: string;
  arn: string;
  /** The region the trail was created in; a multi-region trail shows up (as a shadow) in every region. */
  homeRegion: string;
  isMultiRegion: boolean;
  includeGlobalServiceEvents: boolean;
  isLogging: boolean;
  cloudWatchLogsLogGroupArn?: string;
  cloudWatchLogsRoleArn?: string;
  /** `LatestCloudWatchLogsDeliveryError` of `GetTrailStatus`. */
  latestCloudWatchLogsDeliveryError?: string;
  eventSelectors: readonly BasicEventSelector[];
  advancedEventSelectors: readonly AdvancedEventSelector[];
  /** Why `GetTrailStatus` failed for this trail; `isLogging` is then false. */
  statusError?: string;
  /** Why `GetEventSelectors` failed for this trail; the selectors are then empty. */
  selectorsError?: string;
}

/** One metric transformation of a metric filter (CloudWatch Logs allows one per filter). */
export interface MetricTransformationFacts {
  metricNamespace: string;
  metricName: string;
  /** A number (`1`) or a selector of the event (`$.x`). */
  metricValue: string;
  defaultValue?: number;
  unit?: string;
  /** Dimension name → event selector. */
  dimensions?: Readonly<Record<string, string>>;
}

/**
 * What `TestMetricFilter` (real CloudWatch Logs) said of a pattern, given the varied sample records of each
 * call (user, role, root, SSO, console, failed): `covered` when it matched every sample of the call,
 * `partial` when only some (with the variants it matched), `missing` for every call not covered.
 */
export type MetricFilterTestResult =
  | {
      covered: readonly Cis44EventName[];
      missing: readonly Cis44EventName[];
      partial?: readonly { eventName: Cis44EventName; matched: readonly string[] }[];
    }
  | { error: string };

/** A metric filter on one of the trails' log groups. */
export interface MetricFilterFacts {
  logGroupName: string;
  filterName: string;
  filterPattern: string;
  metricTransformations: readonly MetricTransformationFacts[];
  /** Set when `TestMetricFilter` was asked for. */
  awsTest?: MetricFilterTestResult;
}

/** A CloudWatch metric alarm (`DescribeAlarmsForMetric`). */
export interface AlarmFacts {
  alarmName: string;
  alarmArn?: string;
  namespace?: string;
  metricName?: string;
  dimensions: readonly { name: string; value: string }[];
  statistic?: string;
  extendedStatistic?: string;
  period?: number;
  evaluationPeriods?: number;
  datapointsToAlarm?: number;
  threshold?: number;
  comparisonOperator?: string;
  unit?: string;
  treatMissingData?: string;
  actionsEnabled: boolean;
  alarmActions: readonly string[];
  okActions?: readonly string[];
  insufficientDataActions?: readonly string[];
  alarmDescription?: string;
  stateValue?: string;
}

/** One subscription of a topic. `subscriptionArn` is `PendingConfirmation` until the endpoint confirms. */
export interface SubscriptionFacts {
  subscriptionArn: string;
  protocol: string;
  endpoint?: string;
}

/** An SNS topic an alarm acts on. */
export interface TopicFacts {
  topicArn: string;
  /** False when SNS says the topic does not exist (the alarm points at a deleted topic). */
  exists: boolean;
  /** `KmsMasterKeyId` of the topic, when it is encrypted. */
  kmsMasterKeyId?: string;
  subscriptions: readonly SubscriptionFacts[];
}

/** Everything the audit needs, gathered in one region. */
export interface CisAuditFacts {
  /** The region the facts were gathered in: the metric filters, alarms and topics are regional. */
  region: string;
  /** Every trail `DescribeTrails` lists there, shadow trails of multi-region trails included. */
  trails: readonly TrailFacts[];
  /** Metric filters on the trails' log groups in {@link region}. */
  metricFilters: readonly MetricFilterFacts[];
  /** Log groups a trail names that CloudWatch Logs says do not exist. */
  missingLogGroups?: readonly string[];
  /** Alarms on the metrics of those filters. */
  alarms: readonly AlarmFacts[];
  /** The SNS topics those alarms act on. */
  topics: readonly TopicFacts[];
  /** Whether `TestMetricFilter` was asked for (it is not where the endpoint is an emulator). */
  testMetricFilter?: boolean;
}

// ---------------------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------------------

/** The checks, in the order of the chain. */
export const CIS_AUDIT_CHECK_IDS = [
  'trail-multi-region-logging',
  'trail-write-management-events',
  'trail-cloudwatch-logs',
  'metric-filter-covers-16',
  'alarm-on-metric',
  'alarm-fires-on-one-event',
  'alarm-has-sns-action',
  'sns-confirmed-subscription',
] as const;

/** The id of one check: one link of the chain. */
export type CisAuditCheckId = (typeof CIS_AUDIT_CHECK_IDS)[number];

/** The verdict on one link of the chain. */
export interface CisAuditCheck {
  id: CisAuditCheckId;
  pass: boolean;
  /** One or two sentences naming the resources judged. Raw text: escape it before it goes to Slack. */
  detail: string;
  /** For a failed check: the `aws` CLI commands that fix it, one a line (`#` lines are comments). */
  fix?: string;
}

/** The chain the checks were judged on. Absent links are missing in the account. */
export interface CisAuditChain {
  trail?: string;
  trailRegion?: string;
  logGroup?: string;
  filter?: string;
  /** `Namespace/MetricName` of the filter's metric. */
  metric?: string;
  alarm?: string;
  topic?: string;
}

/** The result of the audit. */
export interface AuditReport {
  /** True when every check passes. */
  pass: boolean;
  /** One per {@link CIS_AUDIT_CHECK_IDS}, in that order. */
  checks: CisAuditCheck[];
  /** The CIS 4.4 calls the chosen metric filter does not count (all 16 when there is no filter). */
  missingEvents: Cis44EventName[];
  /** The chain judged: the best of the candidates. */
  chain: CisAuditChain;
  /** How many candidate chains the account has (1 when it has none: the empty chain is judged). */
  candidates: number;
  region: string;
}

/** The names fixes use for what does not exist yet. */
export const CIS44_FIX_DEFAULTS = {
  trailName: 'cis-multi-region-trail',
  filterName: 'CIS-4.4-IAMPolicyChanges',
  metricNamespace: 'CISBenchmark',
  metricName: 'IAMPolicyChanges',
  alarmName: 'CIS-4.4-IAMPolicyChanges',
  topicName: 'iam-changes-alerts',
  period: 300,
} as const;

// ---------------------------------------------------------------------------------------------------------
// ARNs and shell text
// ---------------------------------------------------------------------------------------------------------

interface Arn {
  partition: string;
  service: string;
  region: string;
  account: string;
  resource: string;
}

function parseArn(arn: string | undefined): Arn | undefined {
  const parts = arn?.split(':');
  if (parts === undefined || parts.length < 6 || parts[0] !== 'arn') return undefined;
  return {
    partition: parts[1] as string,
    service: parts[2] as string,
    region: parts[3] as string,
    account: parts[4] as string,
    resource: parts.slice(5).join(':'),
  };
}

interface LogGroupRef {
  name: string;
  region: string;
  account: string;
  partition: string;
}

/** `arn:aws:logs:us-east-1:111122223333:log-group:NAME:*` → NAME and where it is. Names hold no `:`. */
function logGroupOf(arn: string | undefined): LogGroupRef | undefined {
  const parsed = parseArn(arn);
  if (parsed?.service !== 'logs') return undefined;
  const match = /^log-group:([^:]+)/.exec(parsed.resource);
  if (!match) return undefined;
  return {
    name: match[1] as string,
    region: parsed.region,
    account: parsed.account,
    partition: parsed.partition,
  };
}

function isSnsArn(arn: string): boolean {
  return parseArn(arn)?.service === 'sns';
}

/** Quotes a value for a POSIX shell: bare when it is plainly safe, else in single quotes. */
function sh(value: string): string {
  return /^[A-Za-z0-9_.,:/=@+%-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

type Option = readonly [flag: string, value?: string | readonly string[]];

/** `aws SERVICE OPERATION --flag value …`; an option without a value is a switch. */
function awsCommand(service: string, operation: string, options: readonly Option[]): string {
  const words = ['aws', service, operation];
  for (const [flag, value] of options) {
    words.push(flag);
    if (typeof value === 'string') words.push(sh(value));
    else if (value !== undefined) words.push(...value.map(sh));
  }
  return words.join(' ');
}

function quoted(name: string): string {
  return `"${name}"`;
}

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

function listNames(names: readonly string[], max = 6): string {
  const shown = names.slice(0, max).join(', ');
  return names.length > max ? `${shown} and ${names.length - max} more` : shown;
}

// ---------------------------------------------------------------------------------------------------------
// Trails: do they record IAM writes?
// ---------------------------------------------------------------------------------------------------------

/** A successful IAM write call as CloudTrail's advanced selectors see it. */
function iamWriteEvent(eventName: string): Record<string, string> {
  return {
    eventCategory: 'Management',
    readOnly: 'false',
    eventSource: IAM_EVENT_SOURCE,
    eventName,
    eventType: 'AwsApiCall',
  };
}

/**
 * True when the field selector holds for the event. Positive operators (Equals, StartsWith, EndsWith) hold
 * when any of their values does; negative ones (NotEquals, NotStartsWith, NotEndsWith) when none does; a field
 * selector holds when both kinds do. A field the event does not have (`resources.type`,
 * `userIdentity.arn` …) cannot be judged, so a selector that names it is taken not to record every IAM call.
 */
function fieldHolds(selector: AdvancedFieldSelector, event: Record<string, string>): boolean {
  const value = event[selector.field];
  if (value === undefined) return false;
  const positives = [
    ...(selector.equals ?? []).map((v) => value === v),
    ...(selector.startsWith ?? []).map((v) => value.startsWith(v)),
    ...(selector.endsWith ?? []).map((v) => value.endsWith(v)),
  ];
  const negatives = [
    ...(selector.notEquals ?? []).map((v) => value === v),
    ...(selector.notStartsWith ?? []).map((v) => value.startsWith(v)),
    ...(selector.notEndsWith ?? []).map((v) => value.endsWith(v)),
  ];
  return (positives.length === 0 || positives.some(Boolean)) && !negatives.some(Boolean);
}

function advancedRecords(selectors: readonly AdvancedEventSelector[], eventName: string): boolean {
  const event = iamWriteEvent(eventName);
  return selectors.some((selector) => selector.fieldSelectors.every((field) => fieldHolds(field, event)));
}

function basicRecordsIamWrites(selector: BasicEventSelector): boolean {
  return (
    selector.includeManagementEvents !== false &&
    selector.readWriteType !== 'ReadOnly' &&
    !(selector.excludeManagementEventSources ?? []).includes(IAM_EVENT_SOURCE)
  );
}

interface SelectorVerdict {
  ok: boolean;
  detail: string;
}

/** Which of the 16 calls the trail's selectors record. */
function judgeSelectors(trail: TrailFacts): SelectorVerdict {
  if (trail.selectorsError !== undefined) {
    return { ok: false, detail: `could not read its event selectors (${trail.selectorsError})` };
  }
  if (!trail.includeGlobalServiceEvents) {
    return { ok: false, detail: 'excludes global service events, which is where IAM calls are recorded' };
  }
  if (trail.advancedEventSelectors.length > 0) {
    const missed = CIS44_EVENT_NAMES.filter((name) => !advancedRecords(trail.advancedEventSelectors, name));
    if (missed.length === 0) {
      return { ok: true, detail: 'its advanced event selectors record write management events from IAM' };
    }
    return {
      ok: false,
      detail: `its advanced event selectors do not record ${missed.length === CIS44_EVENT_NAMES.length ? 'IAM write management events' : `IAM ${listNames(missed)}`}`,
    };
  }
  if (trail.eventSelectors.length === 0) {
    // moto returns no selectors for a new trail; real CloudTrail reports its default selector instead. Both
    // mean CloudTrail's default: every management event, read and write.
    return {
      ok: true,
      detail: "it has no event selectors, so CloudTrail's default applies: all management events",
    };
  }
  if (trail.eventSelectors.some(basicRecordsIamWrites)) {
    return { ok: true, detail: 'its event selectors record write management events' };
  }
  const readOnly = trail.eventSelectors.some(
    (selector) => selector.includeManagementEvents !== false && selector.readWriteType === 'ReadOnly',
  );
  return {
    ok: false,
    detail: readOnly
      ? 'its event selectors record read-only management events only'
      : 'its event selectors record no management events from IAM',
  };
}

/** The trail's basic selectors with management events taken out, plus one recording all of them. */
function fixedBasicSelectors(selectors: readonly BasicEventSelector[]): unknown[] {
  const dataOnly = selectors
    .filter((selector) => (selector.dataResources ?? []).length > 0)
    .map((selector) => ({
      ReadWriteType: selector.readWriteType ?? 'All',
      IncludeManagementEvents: false,
      DataResources: (selector.dataResources ?? []).map((resource) => ({
        ...(resource.type === undefined ? {} : { Type: resource.type }),
        ...(resource.values === undefined ? {} : { Values: resource.values }),
      })),
    }));
  return [{ ReadWriteType: 'All', IncludeManagementEvents: true }, ...dataOnly];
}

function isManagementSelector(selector: AdvancedEventSelector): boolean {
  return selector.fieldSelectors.some(
    (field) => field.field === 'eventCategory' && (field.equals ?? []).includes('Management'),
  );
}

/** The trail's advanced selectors with the management-event ones replaced by one recording all of them. */
function fixedAdvancedSelectors(selectors: readonly AdvancedEventSelector[]): unknown[] {
  const others = selectors
    .filter((selector) => !isManagementSelector(selector))
    .map((selector) => ({
      ...(selector.name === undefined ? {} : { Name: selector.name }),
      FieldSelectors: selector.fieldSelectors.map((field) => ({
        Field: field.field,
        ...(field.equals ? { Equals: field.equals } : {}),
        ...(field.startsWith ? { StartsWith: field.startsWith } : {}),
        ...(field.endsWith ? { EndsWith: field.endsWith } : {}),
        ...(field.notEquals ? { NotEquals: field.notEquals } : {}),
        ...(field.notStartsWith ? { NotStartsWith: field.notStartsWith } : {}),
        ...(field.notEndsWith ? { NotEndsWith: field.notEndsWith } : {}),
      })),
    }));
  return [
    { Name: 'Management events', FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }] },
    ...others,
  ];
}

// ---------------------------------------------------------------------------------------------------------
// Alarms: does one call fire them?
// ---------------------------------------------------------------------------------------------------------

const OPERATOR_SYMBOL: Record<string, string> = {
  GreaterThanOrEqualToThreshold: '≥',
  GreaterThanThreshold: '>',
  LessThanThreshold: '<',
  LessThanOrEqualToThreshold: '≤',
};

/**
 * The statistic's value over a period holding one matching call (worth `value`) and, with a filter
 * `defaultValue`, any number of other log events (worth the default). The worst case is taken: the alarm
 * must fire on one call whatever else the period holds.
 */
function valueOfOneCall(
  alarm: AlarmFacts,
  value: number,
  defaultValue: number | undefined,
): { value: number; label: string } | { problem: string } {
  const label = alarm.statistic ?? alarm.extendedStatistic ?? 'no statistic';
  if (defaultValue === undefined) {
    if (alarm.statistic === 'SampleCount') return { value: 1, label };
    if (alarm.statistic === undefined && alarm.extendedStatistic === undefined) {
      return { problem: 'it has no statistic (a metric-math alarm?)' };
    }
    return { value, label };
  }
  switch (alarm.statistic) {
    case 'Sum':
      // Other events add the default to the sum: never less when it is not negative.
      if (defaultValue < 0) return { problem: `the filter's default value (${defaultValue}) lowers the Sum` };
      return { value, label };
    case 'Maximum':
      return { value: Math.max(value, defaultValue), label };
    case 'Minimum':
      return { value: Math.min(value, defaultValue), label };
    case 'SampleCount':
      return {
        problem: `SampleCount counts every log event once the filter has a default value (${defaultValue}), not only the matching ones`,
      };
    default:
      // Average and percentiles of a period full of default values tend to the default.
      return { value: defaultValue, label };
  }
}

function compare(operator: string | undefined, value: number, threshold: number): boolean | undefined {
  switch (operator) {
    case 'GreaterThanOrEqualToThreshold':
      return value >= threshold;
    case 'GreaterThanThreshold':
      return value > threshold;
    case 'LessThanThreshold':
      return value < threshold;
    case 'LessThanOrEqualToThreshold':
      return value <= threshold;
    default:
      return undefined;
  }
}

interface FiringVerdict {
  ok: boolean;
  detail: string;
  /** The filter's metric value is unusable: the fix must rewrite the filter too. */
  badMetricValue?: boolean;
}

/** Whether one call in one period puts the alarm in ALARM. */
function judgeFiring(alarm: AlarmFacts, transformation: MetricTransformationFacts): FiringVerdict {
  const name = quoted(alarm.alarmName);
  const metricValue = Number(transformation.metricValue);
  if (transformation.metricValue.trim() === '' || !Number.isFinite(metricValue) || metricValue <= 0) {
    return {
      ok: false,
      badMetricValue: true,
      detail: `the filter publishes metricValue ${quoted(transformation.metricValue)}, not a positive number, so one call is not reliably counted`,
    };
  }
  const problems: string[] = [];
  const one = valueOfOneCall(alarm, metricValue, transformation.defaultValue);
  const symbol = OPERATOR_SYMBOL[alarm.comparisonOperator ?? ''];
  let condition = `${alarm.comparisonOperator ?? 'no comparison'} ${alarm.threshold ?? '?'}`;
  if ('problem' in one) {
    problems.push(one.problem);
  } else {
    if (symbol !== undefined) condition = `${one.label} ${symbol} ${alarm.threshold ?? '?'}`;
    const fires =
      alarm.threshold === undefined
        ? undefined
        : compare(alarm.comparisonOperator, one.value, alarm.threshold);
    if (fires === undefined) {
      problems.push(`its comparison (${alarm.comparisonOperator ?? 'none'}) cannot be judged for a count`);
    } else if (!fires) {
      problems.push(`one call makes ${one.label} ${one.value}, which does not breach ${condition}`);
    }
  }
  const needed = alarm.datapointsToAlarm ?? alarm.evaluationPeriods ?? 1;
  const of = alarm.evaluationPeriods ?? 1;
  if (needed > 1) {
    problems.push(`it needs ${needed} breaching periods of ${of}, and one call breaches one`);
  }
  const period = alarm.period === undefined ? '' : ` over ${alarm.period} s`;
  if (problems.length > 0) {
    return { ok: false, detail: `alarm ${name} does not fire on one call: ${problems.join('; ')}` };
  }
  return {
    ok: true,
    detail: `alarm ${name} fires on one call: ${condition}${period}, ${needed} of ${of} ${of === 1 ? 'period' : 'periods'}`,
  };
}

/** Whether the alarm watches the metric the filter publishes, exactly as published. */
function judgeAlarmMetric(alarm: AlarmFacts, transformation: MetricTransformationFacts): SelectorVerdict {
  const metric = `${transformation.metricNamespace}/${transformation.metricName}`;
  const name = quoted(alarm.alarmName);
  const filterDimensions = Object.keys(transformation.dimensions ?? {});
  if (filterDimensions.length > 0) {
    return {
      ok: false,
      detail: `the filter publishes ${metric} with dimensions (${filterDimensions.join(', ')}), so alarm ${name} sees only the calls with one set of dimension values`,
    };
  }
  if (alarm.dimensions.length > 0) {
    return {
      ok: false,
      detail: `alarm ${name} watches ${metric} with dimensions (${alarm.dimensions.map((d) => `${d.name}=${d.value}`).join(', ')}), which the filter never publishes: it gets no data`,
    };
  }
  const filterUnit = transformation.unit ?? 'None';
  if (alarm.unit !== undefined && alarm.unit !== filterUnit) {
    return {
      ok: false,
      detail: `alarm ${name} asks for unit ${alarm.unit} and the filter publishes ${metric} in ${filterUnit}: it gets no data`,
    };
  }
  const state = alarm.stateValue === undefined ? '' : ` (state ${alarm.stateValue})`;
  return { ok: true, detail: `alarm ${name} watches ${metric}${state}` };
}

// ---------------------------------------------------------------------------------------------------------
// Chains
// ---------------------------------------------------------------------------------------------------------

interface FilterCoverage {
  covered: Cis44EventName[];
  missing: Cis44EventName[];
  /** Calls counted only for some records, with the restricting condition. */
  partial: Cis44PartialCall[];
  local: Cis44Coverage;
  /** Other filters on the log group publishing to the same metric, whose counts add up with this one's. */
  siblings: MetricFilterFacts[];
  /** What TestMetricFilter adds, in words, for the detail. */
  note: string;
}

interface Chain {
  trail?: TrailFacts;
  logGroup?: LogGroupRef;
  filter?: MetricFilterFacts;
  transformation?: MetricTransformationFacts;
  coverage?: FilterCoverage;
  alarm?: AlarmFacts;
  topicArn?: string;
  topic?: TopicFacts;
}

/** Where the fixes point: the chain's names where it has them, the defaults otherwise. */
interface Target {
  partition: string;
  account: string;
  region: string;
  trailName: string;
  trailRegion: string;
  logGroupName: string;
  logsRegion: string;
  transformation: MetricTransformationFacts;
  alarmName: string;
  topicArn: string;
}

/**
 * The coverage of a filter together with its siblings (the other filters on the log group feeding the same
 * metric). The local, symbolic judgement decides; `TestMetricFilter`, when it answered for a lone filter, can
 * only take calls away (a call covered locally that CloudWatch Logs did not match on every sample record is
 * not covered), and any disagreement is said.
 */
function coverageOf(
  filter: MetricFilterFacts,
  siblings: MetricFilterFacts[],
  facts: CisAuditFacts,
  cache: Map<string, Cis44Coverage>,
): FilterCoverage {
  const patterns = [filter.filterPattern, ...siblings.map((sibling) => sibling.filterPattern)];
  const cacheKey = JSON.stringify(patterns);
  let local = cache.get(cacheKey);
  if (local === undefined) {
    local = evaluateCis44CoverageOfAll(patterns);
    cache.set(cacheKey, local);
  }
  const together =
    siblings.length === 0
      ? ''
      : `counted together with ${listNames(siblings.map((sibling) => quoted(sibling.filterName)))} on the same metric`;
  const base = { local, siblings, partial: local.partial };
  const withNote = (note: string) => [together, note].filter(Boolean).join('; ');
  const test = filter.awsTest;
  if (test === undefined || siblings.length > 0) {
    const note =
      facts.testMetricFilter === false ? 'TestMetricFilter: not asked for, the endpoint is not AWS' : '';
    return { ...base, covered: local.covered, missing: local.missing, note: withNote(note) };
  }
  if ('error' in test) {
    return {
      ...base,
      covered: local.covered,
      missing: local.missing,
      note: withNote(`TestMetricFilter could not run: ${test.error}`),
    };
  }
  const covered = local.covered.filter((name) => test.covered.includes(name));
  const unmatched = local.covered.filter((name) => !test.covered.includes(name));
  const beyond = test.covered.filter((name) => !local.covered.includes(name));
  const words: string[] = [];
  if (unmatched.length > 0) {
    words.push(
      `TestMetricFilter did not match every sample record of ${listNames(unmatched)}, so they are not counted as covered`,
    );
  }
  const someSamples = (test.partial ?? []).filter(
    (call) => !local.partial.some((p) => p.eventName === call.eventName),
  );
  for (const call of someSamples.slice(0, 3)) {
    words.push(`TestMetricFilter matched only the ${call.matched.join(', ')} samples of ${call.eventName}`);
  }
  if (beyond.length > 0) {
    words.push(
      `TestMetricFilter matched every sample of ${listNames(beyond)}, but other records of those calls would not be counted`,
    );
  }
  return {
    ...base,
    covered,
    missing: CIS44_EVENT_NAMES.filter((name) => !covered.includes(name)),
    note: withNote(
      words.length === 0 ? `TestMetricFilter agrees (${covered.length} of 16)` : words.join('; '),
    ),
  };
}

/**
 * True when the filter counts at least one of the 16 calls — by `TestMetricFilter` when it answered, by the
 * local evaluator otherwise. Only such filters are CIS 4.4 candidates; a gateway uses this to look up alarms
 * only for them.
 */
export function countsCis44Calls(filter: MetricFilterFacts): boolean {
  const test = filter.awsTest;
  if (test !== undefined && !('error' in test)) {
    return test.covered.length > 0 || (test.partial ?? []).length > 0;
  }
  return selectsCis44Calls(filter.filterPattern);
}

function sameTransformationMetric(a: MetricTransformationFacts, b: MetricTransformationFacts): boolean {
  return a.metricNamespace === b.metricNamespace && a.metricName === b.metricName;
}

function countsAnyCis44Call(filter: MetricFilterFacts, selects: Map<string, boolean>): boolean {
  let result = selects.get(filter.filterPattern);
  if (result === undefined) {
    result = selectsCis44Calls(filter.filterPattern);
    selects.set(filter.filterPattern, result);
  }
  return result;
}

function sameMetric(alarm: AlarmFacts, transformation: MetricTransformationFacts): boolean {
  return alarm.namespace === transformation.metricNamespace && alarm.metricName === transformation.metricName;
}

function enumerateChains(facts: CisAuditFacts): Chain[] {
  const cache = new Map<string, Cis44Coverage>();
  const selects = new Map<string, boolean>();
  const chains: Chain[] = [];
  const trails: (TrailFacts | undefined)[] = facts.trails.length > 0 ? [...facts.trails] : [undefined];
  for (const trail of trails) {
    const logGroup = logGroupOf(trail?.cloudWatchLogsLogGroupArn);
    const reachable =
      logGroup !== undefined &&
      logGroup.region === facts.region &&
      !(facts.missingLogGroups ?? []).includes(logGroup.name);
    const filters = reachable
      ? facts.metricFilters
          .filter((filter) => filter.logGroupName === logGroup.name)
          .flatMap((filter) =>
            filter.metricTransformations.flatMap((transformation) => {
              const siblings = facts.metricFilters.filter(
                (other) =>
                  other !== filter &&
                  other.logGroupName === logGroup.name &&
                  other.metricTransformations.some((candidate) =>
                    sameTransformationMetric(candidate, transformation),
                  ) &&
                  countsAnyCis44Call(other, selects),
              );
              const coverage = coverageOf(filter, siblings, facts, cache);
              // A filter that counts none of the 16 calls (a root-login filter, say) is no CIS 4.4 candidate:
              // "fixing" it would break the control it serves.
              if (!countsAnyCis44Call(filter, selects)) return [];
              return [{ filter, transformation, coverage }];
            }),
          )
      : [];
    const filterOptions = filters.length > 0 ? filters : [undefined];
    for (const option of filterOptions) {
      const alarms = option ? facts.alarms.filter((alarm) => sameMetric(alarm, option.transformation)) : [];
      const alarmOptions: (AlarmFacts | undefined)[] = alarms.length > 0 ? alarms : [undefined];
      for (const alarm of alarmOptions) {
        const topicArns = alarm ? [...new Set(alarm.alarmActions.filter(isSnsArn))] : [];
        const topicOptions: (string | undefined)[] = topicArns.length > 0 ? topicArns : [undefined];
        for (const topicArn of topicOptions) {
          chains.push({
            trail,
            logGroup,
            filter: option?.filter,
            transformation: option?.transformation,
            coverage: option?.coverage,
            alarm,
            topicArn,
            topic: facts.topics.find((topic) => topic.topicArn === topicArn),
          });
        }
      }
    }
  }
  return chains;
}

function targetOf(chain: Chain, facts: CisAuditFacts): Target {
  const arns = [
    chain.trail?.cloudWatchLogsLogGroupArn,
    chain.trail?.arn,
    chain.alarm?.alarmArn,
    chain.topicArn,
    ...facts.trails.map((trail) => trail.arn),
    ...facts.alarms.map((alarm) => alarm.alarmArn),
  ]
    .map(parseArn)
    .filter((arn): arn is Arn => arn !== undefined && arn.account !== '');
  const account = arns[0]?.account ?? '<account-id>';
  const partition = arns[0]?.partition ?? 'aws';
  const trailName = chain.trail?.name ?? CIS44_FIX_DEFAULTS.trailName;
  const trailRegion = chain.trail?.homeRegion ?? facts.region;
  // CloudTrail delivers only to a log group in the trail's home region; the filter and alarm live there.
  const logsRegion = chain.logGroup?.region ?? trailRegion;
  return {
    partition,
    account,
    region: facts.region,
    trailName,
    trailRegion,
    logGroupName: chain.logGroup?.name ?? `aws-cloudtrail-logs-${trailName}`,
    logsRegion,
    transformation: chain.transformation ?? {
      metricNamespace: CIS44_FIX_DEFAULTS.metricNamespace,
      metricName: CIS44_FIX_DEFAULTS.metricName,
      metricValue: '1',
    },
    alarmName: chain.alarm?.alarmName ?? CIS44_FIX_DEFAULTS.alarmName,
    topicArn:
      chain.topicArn ?? `arn:${partition}:sns:${logsRegion}:${account}:${CIS44_FIX_DEFAULTS.topicName}`,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Fix commands
// ---------------------------------------------------------------------------------------------------------

function logGroupArn(target: Target): string {
  return `arn:${target.partition}:logs:${target.logsRegion}:${target.account}:log-group:${target.logGroupName}:*`;
}

function transformationText(transformation: MetricTransformationFacts, metricValue?: string): string {
  const parts: [string, string][] = [
    ['metricName', transformation.metricName],
    ['metricNamespace', transformation.metricNamespace],
    ['metricValue', metricValue ?? transformation.metricValue],
  ];
  if (transformation.defaultValue !== undefined)
    parts.push(['defaultValue', String(transformation.defaultValue)]);
  if (transformation.unit !== undefined) parts.push(['unit', transformation.unit]);
  if (parts.every(([, value]) => /^[A-Za-z0-9_./#-]+$/.test(value))) {
    return parts.map(([key, value]) => `${key}=${value}`).join(',');
  }
  return JSON.stringify([
    Object.fromEntries(parts.map(([key, value]) => [key, key === 'defaultValue' ? Number(value) : value])),
  ]);
}

function putMetricFilter(
  target: Target,
  filterName: string,
  metricValue?: string,
  pattern = CIS44_FILTER_PATTERN,
): string {
  return awsCommand('logs', 'put-metric-filter', [
    ['--region', target.logsRegion],
    ['--log-group-name', target.logGroupName],
    ['--filter-name', filterName],
    ['--filter-pattern', pattern],
    ['--metric-transformations', transformationText(target.transformation, metricValue)],
  ]);
}

function createTopic(arn: string): string {
  const parsed = parseArn(arn);
  return awsCommand('sns', 'create-topic', [
    ['--region', parsed?.region ?? ''],
    ['--name', parsed?.resource ?? CIS44_FIX_DEFAULTS.topicName],
  ]);
}

/**
 * `put-metric-alarm` replaces the whole alarm, so the command carries everything worth keeping (its other
 * actions, description, missing-data treatment, period) and sets what CIS 4.4 needs: one call in one period
 * fires it, and it notifies `target.topicArn`.
 */
function putMetricAlarm(chain: Chain, target: Target): string {
  const alarm = chain.alarm;
  const value = Number(target.transformation.metricValue);
  const threshold = Number.isFinite(value) && value > 0 ? Math.min(1, value) : 1;
  const actions = [...new Set([...(alarm?.alarmActions ?? []), target.topicArn])];
  const options: Option[] = [
    ['--region', target.logsRegion],
    ['--alarm-name', target.alarmName],
  ];
  if (alarm?.alarmDescription) options.push(['--alarm-description', alarm.alarmDescription]);
  options.push(
    ['--namespace', target.transformation.metricNamespace],
    ['--metric-name', target.transformation.metricName],
    ['--statistic', 'Sum'],
    ['--period', String(alarm?.period ?? CIS44_FIX_DEFAULTS.period)],
    ['--evaluation-periods', '1'],
    ['--datapoints-to-alarm', '1'],
    ['--threshold', String(threshold)],
    ['--comparison-operator', 'GreaterThanOrEqualToThreshold'],
    ['--treat-missing-data', alarm?.treatMissingData ?? 'notBreaching'],
  );
  if (target.transformation.unit !== undefined) options.push(['--unit', target.transformation.unit]);
  options.push(['--actions-enabled'], ['--alarm-actions', actions]);
  if (alarm?.okActions && alarm.okActions.length > 0) options.push(['--ok-actions', alarm.okActions]);
  if (alarm?.insufficientDataActions && alarm.insufficientDataActions.length > 0) {
    options.push(['--insufficient-data-actions', alarm.insufficientDataActions]);
  }
  return awsCommand('cloudwatch', 'put-metric-alarm', options);
}

function subscribe(topicArn: string): string {
  return [
    awsCommand('sns', 'subscribe', [
      ['--region', parseArn(topicArn)?.region ?? ''],
      ['--topic-arn', topicArn],
      ['--protocol', 'email'],
      ['--notification-endpoint', '<security-team-email>'],
    ]),
    '# then confirm the subscription from the message the endpoint receives',
  ].join('\n');
}

/** The bucket name the trail fix writes to, until the reader puts their own in. */
const TRAIL_BUCKET_PLACEHOLDER = '<cloudtrail-log-bucket>';

/**
 * The bucket policy CloudTrail needs to deliver a trail's logs, as the AWS CloudTrail User Guide documents
 * it ("Amazon S3 bucket policy for CloudTrail"): the ACL check and the write, each only for this trail
 * (`aws:SourceArn`), the write only under `AWSLogs/<account>/` and with the bucket owner in full control.
 */
export function cloudTrailBucketPolicy(bucket: string, trailArn: string, account: string): string {
  const partition = parseArn(trailArn)?.partition ?? 'aws';
  const source = { 'aws:SourceArn': trailArn };
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'AWSCloudTrailAclCheck20150319',
        Effect: 'Allow',
        Principal: { Service: 'cloudtrail.amazonaws.com' },
        Action: 's3:GetBucketAcl',
        Resource: `arn:${partition}:s3:::${bucket}`,
        Condition: { StringEquals: source },
      },
      {
        Sid: 'AWSCloudTrailWrite20150319',
        Effect: 'Allow',
        Principal: { Service: 'cloudtrail.amazonaws.com' },
        Action: 's3:PutObject',
        Resource: `arn:${partition}:s3:::${bucket}/AWSLogs/${account}/*`,
        Condition: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', ...source } },
      },
    ],
  });
}

/** `aws … describe …  >/dev/null 2>&1 || aws … create …`: creates only what is not there yet. */
function unless(check: string, create: string): string {
  return `${check} >/dev/null 2>&1 || ${create}`;
}

/**
 * A log group, created only when absent: `create-log-group` fails with ResourceAlreadyExistsException when
 * run twice, and `|| true` would hide every other failure too, so the fix looks first.
 */
function createLogGroup(region: string, name: string): string {
  // A JMESPath JSON literal (backquoted) keeps the name a string whatever it holds.
  const query = `logGroups[?logGroupName==\`${JSON.stringify(name)}\`].logGroupName`;
  const check = awsCommand('logs', 'describe-log-groups', [
    ['--region', region],
    ['--log-group-name-prefix', name],
    ['--query', query],
    ['--output', 'text'],
  ]);
  const create = awsCommand('logs', 'create-log-group', [
    ['--region', region],
    ['--log-group-name', name],
  ]);
  return `${check} | grep -qxF -- ${sh(name)} || ${create}`;
}

/**
 * A trail with its bucket: the bucket (created only when absent), the bucket policy CloudTrail checks when
 * the trail is created, the trail (created only when absent) and its logging. Every line can run twice.
 */
function createTrail(target: Target): string {
  const bucket = TRAIL_BUCKET_PLACEHOLDER;
  const trailArn = `arn:${target.partition}:cloudtrail:${target.trailRegion}:${target.account}:trail/${target.trailName}`;
  const createBucket: Option[] = [
    ['--region', target.trailRegion],
    ['--bucket', bucket],
  ];
  // us-east-1 takes no location constraint; every other region needs one.
  if (target.trailRegion !== 'us-east-1') {
    createBucket.push(['--create-bucket-configuration', `LocationConstraint=${target.trailRegion}`]);
  }
  return [
    `# replace ${bucket} with the bucket for the trail's logs; put-bucket-policy replaces the bucket's whole policy, so merge these two statements into any policy it already has`,
    unless(
      awsCommand('s3api', 'head-bucket', [['--bucket', bucket]]),
      awsCommand('s3api', 'create-bucket', createBucket),
    ),
    awsCommand('s3api', 'put-bucket-policy', [
      ['--bucket', bucket],
      ['--policy', cloudTrailBucketPolicy(bucket, trailArn, target.account)],
    ]),
    unless(
      awsCommand('cloudtrail', 'get-trail', [
        ['--region', target.trailRegion],
        ['--name', target.trailName],
      ]),
      awsCommand('cloudtrail', 'create-trail', [
        ['--region', target.trailRegion],
        ['--name', target.trailName],
        ['--s3-bucket-name', bucket],
        ['--is-multi-region-trail'],
        ['--include-global-service-events'],
      ]),
    ),
    awsCommand('cloudtrail', 'start-logging', [
      ['--region', target.trailRegion],
      ['--name', target.trailName],
    ]),
  ].join('\n');
}

/** `PutRolePolicy and PutUserPolicy only when userIdentity.type is IAMUser`, grouped by condition. */
function partialWords(partial: readonly Cis44PartialCall[]): string {
  const byCondition = new Map<string, string[]>();
  for (const call of partial) {
    const names = byCondition.get(call.condition) ?? [];
    names.push(call.eventName);
    byCondition.set(call.condition, names);
  }
  return [...byCondition]
    .map(
      ([condition, names]) => `${names.length === 16 ? 'all 16 calls' : listNames(names, 16)} ${condition}`,
    )
    .join('; ');
}

/**
 * The chain's filter pattern once the metric-filter fix has run: extended with the calls it misses when
 * that fits in one pattern, its own otherwise (a second filter then counts them). Every fix that rewrites
 * the filter uses this, so running all fixes in order never undoes the extension.
 */
function patternAfterFix(chain: Chain): string {
  const filter = chain.filter as MetricFilterFacts;
  const missing = chain.coverage?.missing ?? [];
  if (missing.length === 0) return filter.filterPattern;
  return extendFilterPattern(filter.filterPattern, missing) ?? filter.filterPattern;
}

/**
 * The fix of a filter that misses calls or counts them only for some records: its pattern extended with
 * what it misses (keeping everything else it counted), or — when that cannot be one pattern (a text
 * pattern, or past CloudWatch Logs' length limit) — a second filter on the same log group and metric that
 * counts exactly the missing calls. CloudWatch adds up filters publishing to one metric, and so does the
 * audit, so a second run of the audit passes and a second run of the fix changes nothing.
 */
function extendFilterFix(chain: Chain, target: Target, facts: CisAuditFacts): string {
  const filter = chain.filter as MetricFilterFacts;
  const missing = chain.coverage?.missing ?? [];
  const extended = extendFilterPattern(filter.filterPattern, missing);
  if (extended !== undefined) {
    return [
      `# keeps what filter ${quoted(filter.filterName)} counts and adds the ${plural(missing.length, 'call')} it does not count for every record`,
      putMetricFilter(target, filter.filterName, undefined, extended),
    ].join('\n');
  }
  const taken = new Set(
    facts.metricFilters
      .filter((other) => other.logGroupName === filter.logGroupName)
      .map((other) => other.filterName),
  );
  let name: string = CIS44_FIX_DEFAULTS.filterName;
  for (let suffix = 2; taken.has(name); suffix++) name = `${CIS44_FIX_DEFAULTS.filterName}-${suffix}`;
  const why = filter.filterPattern.trim().startsWith('{')
    ? `extending it would pass the ${MAX_FILTER_PATTERN_LENGTH}-character limit of a filter pattern`
    : 'it is not a JSON pattern, so it cannot be joined with one';
  return [
    `# filter ${quoted(filter.filterName)} stays as it is (${why}): a second filter on the same metric counts the ${plural(missing.length, 'call')} it misses`,
    putMetricFilter(target, name, undefined, cis44PatternFor(missing)),
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------------------

type CheckOf = (chain: Chain, target: Target, facts: CisAuditFacts) => CisAuditCheck;

const checkTrailMultiRegionLogging: CheckOf = (chain, target, facts) => {
  const id = 'trail-multi-region-logging';
  const trail = chain.trail;
  if (trail === undefined) {
    return {
      id,
      pass: false,
      detail: `no CloudTrail trail in ${facts.region} (DescribeTrails lists none, multi-region trails included)`,
      fix: createTrail(target),
    };
  }
  const where = `trail ${quoted(trail.name)} (home ${trail.homeRegion})`;
  const problems: string[] = [];
  const fixes: string[] = [];
  if (!trail.isMultiRegion) {
    problems.push('is single-region');
    fixes.push(
      awsCommand('cloudtrail', 'update-trail', [
        ['--region', trail.homeRegion],
        ['--name', trail.name],
        ['--is-multi-region-trail'],
        ['--include-global-service-events'],
      ]),
    );
  }
  if (!trail.isLogging) {
    problems.push(
      trail.statusError === undefined ? 'is not logging' : `has an unreadable status (${trail.statusError})`,
    );
    fixes.push(
      awsCommand('cloudtrail', 'start-logging', [
        ['--region', trail.homeRegion],
        ['--name', trail.name],
      ]),
    );
  }
  if (problems.length === 0) return { id, pass: true, detail: `${where} is multi-region and logging` };
  return { id, pass: false, detail: `${where} ${problems.join(' and ')}`, fix: fixes.join('\n') };
};

const checkTrailWriteManagementEvents: CheckOf = (chain, target) => {
  const id = 'trail-write-management-events';
  const trail = chain.trail;
  const managementSelector = awsCommand('cloudtrail', 'put-event-selectors', [
    ['--region', target.trailRegion],
    ['--trail-name', target.trailName],
    ['--event-selectors', JSON.stringify([{ ReadWriteType: 'All', IncludeManagementEvents: true }])],
  ]);
  if (trail === undefined) {
    return { id, pass: false, detail: 'no trail records IAM write calls', fix: managementSelector };
  }
  const verdict = judgeSelectors(trail);
  const detail = `trail ${quoted(trail.name)}: ${verdict.detail}`;
  if (verdict.ok) return { id, pass: true, detail };
  let fix: string;
  if (!trail.includeGlobalServiceEvents) {
    fix = awsCommand('cloudtrail', 'update-trail', [
      ['--region', trail.homeRegion],
      ['--name', trail.name],
      ['--include-global-service-events'],
    ]);
  } else if (trail.advancedEventSelectors.length > 0) {
    fix = awsCommand('cloudtrail', 'put-event-selectors', [
      ['--region', trail.homeRegion],
      ['--trail-name', trail.name],
      ['--advanced-event-selectors', JSON.stringify(fixedAdvancedSelectors(trail.advancedEventSelectors))],
    ]);
  } else if (trail.selectorsError !== undefined) {
    fix = `# read them where the trail lives: aws cloudtrail get-event-selectors --region ${sh(trail.homeRegion)} --trail-name ${sh(trail.name)}\n${managementSelector}`;
  } else {
    fix = awsCommand('cloudtrail', 'put-event-selectors', [
      ['--region', trail.homeRegion],
      ['--trail-name', trail.name],
      ['--event-selectors', JSON.stringify(fixedBasicSelectors(trail.eventSelectors))],
    ]);
  }
  return { id, pass: false, detail, fix };
};

const checkTrailCloudWatchLogs: CheckOf = (chain, target, facts) => {
  const id = 'trail-cloudwatch-logs';
  const trail = chain.trail;
  const createAndAttach = [
    createLogGroup(target.logsRegion, target.logGroupName),
    '# the role must trust cloudtrail.amazonaws.com and allow logs:CreateLogStream and logs:PutLogEvents on the group',
    awsCommand('cloudtrail', 'update-trail', [
      ['--region', target.trailRegion],
      ['--name', target.trailName],
      ['--cloud-watch-logs-log-group-arn', logGroupArn(target)],
      [
        '--cloud-watch-logs-role-arn',
        trail?.cloudWatchLogsRoleArn ?? '<cloudtrail-to-cloudwatch-logs-role-arn>',
      ],
    ]),
  ].join('\n');
  if (trail === undefined) {
    return {
      id,
      pass: false,
      detail: 'no trail delivers IAM calls to CloudWatch Logs',
      fix: createAndAttach,
    };
  }
  const name = quoted(trail.name);
  const group = chain.logGroup;
  if (group === undefined) {
    return {
      id,
      pass: false,
      detail:
        trail.cloudWatchLogsLogGroupArn === undefined
          ? `trail ${name} does not deliver to CloudWatch Logs`
          : `trail ${name} names a log group ARN that cannot be read (${trail.cloudWatchLogsLogGroupArn})`,
      fix: createAndAttach,
    };
  }
  if ((facts.missingLogGroups ?? []).includes(group.name)) {
    return {
      id,
      pass: false,
      detail: `trail ${name} delivers to log group ${quoted(group.name)}, which does not exist`,
      fix: createLogGroup(group.region, group.name),
    };
  }
  if (group.region !== facts.region) {
    return {
      id,
      pass: false,
      detail: `trail ${name} delivers to log group ${quoted(group.name)} in ${group.region}; its metric filters and alarms live there, not in ${facts.region}`,
      fix: `# audit the region the log group is in\nnpx iam-changes audit --region ${sh(group.region)}`,
    };
  }
  if (trail.cloudWatchLogsRoleArn === undefined || trail.cloudWatchLogsRoleArn === '') {
    return {
      id,
      pass: false,
      detail: `trail ${name} names log group ${quoted(group.name)} but no role to deliver with`,
      fix: createAndAttach.split('\n').slice(1).join('\n'),
    };
  }
  const warning =
    trail.latestCloudWatchLogsDeliveryError === undefined || trail.latestCloudWatchLogsDeliveryError === ''
      ? ''
      : ` (CloudTrail reports a delivery error: ${trail.latestCloudWatchLogsDeliveryError})`;
  return { id, pass: true, detail: `trail ${name} delivers to log group ${quoted(group.name)}${warning}` };
};

const checkMetricFilter: CheckOf = (chain, target, facts) => {
  const id = 'metric-filter-covers-16';
  const fix = putMetricFilter(target, CIS44_FIX_DEFAULTS.filterName);
  const group = chain.logGroup;
  if (chain.filter === undefined || chain.coverage === undefined) {
    if (group === undefined || chain.trail === undefined) {
      return { id, pass: false, detail: 'no trail log group to filter', fix };
    }
    if ((facts.missingLogGroups ?? []).includes(group.name)) {
      return {
        id,
        pass: false,
        detail: `log group ${quoted(group.name)} does not exist, so it has no filter`,
        fix,
      };
    }
    if (group.region !== facts.region) {
      return {
        id,
        pass: false,
        detail: `log group ${quoted(group.name)} is in ${group.region}; its filters were not read from ${facts.region}`,
        fix,
      };
    }
    const others = facts.metricFilters.filter((filter) => filter.logGroupName === group.name);
    const unreadable = others
      .map((filter) => ({ filter, coverage: evaluateCis44Coverage(filter.filterPattern) }))
      .filter(({ coverage }) => !coverage.valid);
    const notes = [
      others.length > 0 ? `${plural(others.length, 'other filter')} there` : '',
      ...unreadable.map(
        ({ filter, coverage }) =>
          `the pattern of filter ${quoted(filter.filterName)} could not be read: ${coverage.error}`,
      ),
    ].filter(Boolean);
    return {
      id,
      pass: false,
      detail: `no metric filter on log group ${quoted(group.name)} counts any of the 16 calls${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`,
      fix,
    };
  }
  const { filter, coverage } = chain;
  const metric = `${target.transformation.metricNamespace}/${target.transformation.metricName}`;
  const note = coverage.note === '' ? '' : ` (${coverage.note})`;
  const where = `filter ${quoted(filter.filterName)} on ${quoted(filter.logGroupName)}`;
  if (coverage.missing.length === 0) {
    return { id, pass: true, detail: `${where} counts all 16 calls into ${metric}${note}` };
  }
  const partial = partialWords(coverage.partial);
  const never = coverage.missing.filter((name) => !coverage.partial.some((call) => call.eventName === name));
  const problems = [
    partial === '' ? '' : `it counts ${partial}`,
    never.length === 0 ? '' : `it misses ${listNames(never, 16)}`,
  ].filter(Boolean);
  return {
    id,
    pass: false,
    detail: `${where} counts ${coverage.covered.length} of 16 calls for every record into ${metric}; ${problems.join('; ')}${note}`,
    fix: extendFilterFix(chain, target, facts),
  };
};

const checkAlarmOnMetric: CheckOf = (chain, target) => {
  const id = 'alarm-on-metric';
  const metric = `${target.transformation.metricNamespace}/${target.transformation.metricName}`;
  const fix = putMetricAlarm(chain, target);
  if (chain.filter === undefined || chain.transformation === undefined) {
    return { id, pass: false, detail: 'no CIS 4.4 metric filter, so no metric to alarm on', fix };
  }
  if (chain.alarm === undefined) return { id, pass: false, detail: `no alarm on ${metric}`, fix };
  const verdict = judgeAlarmMetric(chain.alarm, chain.transformation);
  if (verdict.ok) return { id, pass: true, detail: verdict.detail };
  // put-metric-filter without dimensions drops them from the filter; put-metric-alarm names none and asks
  // for the unit the filter publishes, so the alarm watches exactly the published metric.
  const filterFix =
    Object.keys(chain.transformation.dimensions ?? {}).length > 0
      ? [putMetricFilter(target, chain.filter.filterName, undefined, patternAfterFix(chain))]
      : [];
  return { id, pass: false, detail: verdict.detail, fix: [...filterFix, fix].join('\n') };
};

const checkAlarmFires: CheckOf = (chain, target) => {
  const id = 'alarm-fires-on-one-event';
  const fix = putMetricAlarm(chain, target);
  if (chain.alarm === undefined || chain.transformation === undefined || chain.filter === undefined) {
    return { id, pass: false, detail: 'no alarm on the CIS 4.4 metric', fix };
  }
  const verdict = judgeFiring(chain.alarm, chain.transformation);
  if (verdict.ok) return { id, pass: true, detail: verdict.detail };
  if (verdict.badMetricValue) {
    const fixedTarget = { ...target, transformation: { ...target.transformation, metricValue: '1' } };
    return {
      id,
      pass: false,
      detail: verdict.detail,
      fix: [
        putMetricFilter(target, chain.filter.filterName, '1', patternAfterFix(chain)),
        putMetricAlarm(chain, fixedTarget),
      ].join('\n'),
    };
  }
  return { id, pass: false, detail: verdict.detail, fix };
};

function kmsBlocksCloudWatch(topic: TopicFacts | undefined): boolean {
  // Topics encrypted with the AWS managed key cannot receive from CloudWatch: its key policy cannot be
  // edited to let cloudwatch.amazonaws.com use the key.
  return topic?.kmsMasterKeyId === 'alias/aws/sns';
}

const checkAlarmSnsAction: CheckOf = (chain, target) => {
  const id = 'alarm-has-sns-action';
  const alarm = chain.alarm;
  const createThenAlarm = [createTopic(target.topicArn), putMetricAlarm(chain, target)].join('\n');
  if (alarm === undefined) {
    return { id, pass: false, detail: 'no alarm on the CIS 4.4 metric to notify from', fix: createThenAlarm };
  }
  const name = quoted(alarm.alarmName);
  if (chain.topicArn === undefined) {
    const other = alarm.alarmActions.length > 0 ? ` (its actions: ${listNames(alarm.alarmActions, 3)})` : '';
    return { id, pass: false, detail: `alarm ${name} has no SNS alarm action${other}`, fix: createThenAlarm };
  }
  const problems: string[] = [];
  const fixes: string[] = [];
  if (!alarm.actionsEnabled) {
    problems.push('its actions are disabled');
    fixes.push(
      awsCommand('cloudwatch', 'enable-alarm-actions', [
        ['--region', target.logsRegion],
        ['--alarm-names', alarm.alarmName],
      ]),
    );
  }
  if (chain.topic !== undefined && !chain.topic.exists) {
    problems.push(`topic ${chain.topicArn} does not exist`);
    fixes.push(createTopic(chain.topicArn));
  } else if (kmsBlocksCloudWatch(chain.topic)) {
    problems.push(
      `topic ${chain.topicArn} is encrypted with the AWS managed key alias/aws/sns, which CloudWatch cannot use`,
    );
    fixes.push(
      '# use a customer managed key whose policy lets cloudwatch.amazonaws.com call kms:Decrypt and kms:GenerateDataKey*',
      awsCommand('sns', 'set-topic-attributes', [
        ['--region', parseArn(chain.topicArn)?.region ?? target.logsRegion],
        ['--topic-arn', chain.topicArn],
        ['--attribute-name', 'KmsMasterKeyId'],
        ['--attribute-value', '<customer-managed-key-id>'],
      ]),
    );
  }
  if (problems.length > 0) {
    return {
      id,
      pass: false,
      detail: `alarm ${name} notifies ${chain.topicArn} but ${problems.join(' and ')}`,
      fix: fixes.join('\n'),
    };
  }
  return { id, pass: true, detail: `alarm ${name} notifies ${chain.topicArn}` };
};

function isConfirmed(subscription: SubscriptionFacts): boolean {
  return subscription.subscriptionArn !== 'PendingConfirmation' && subscription.subscriptionArn !== 'Deleted';
}

const checkSnsSubscription: CheckOf = (chain, target) => {
  const id = 'sns-confirmed-subscription';
  const topicArn = chain.topicArn ?? target.topicArn;
  if (chain.topicArn === undefined) {
    return {
      id,
      pass: false,
      detail: 'no SNS topic receives the alarm',
      fix: [createTopic(topicArn), subscribe(topicArn)].join('\n'),
    };
  }
  const topic = chain.topic;
  if (topic === undefined) {
    return {
      id,
      pass: false,
      detail: `topic ${topicArn} was not looked up`,
      fix: awsCommand('sns', 'list-subscriptions-by-topic', [
        ['--region', parseArn(topicArn)?.region ?? target.logsRegion],
        ['--topic-arn', topicArn],
      ]),
    };
  }
  if (!topic.exists) {
    return {
      id,
      pass: false,
      detail: `topic ${topicArn} does not exist`,
      fix: [createTopic(topicArn), subscribe(topicArn)].join('\n'),
    };
  }
  const confirmed = topic.subscriptions.filter(isConfirmed);
  const pending = topic.subscriptions.length - confirmed.length;
  const pendingText = pending > 0 ? `; ${plural(pending, 'subscription')} pending confirmation` : '';
  if (confirmed.length > 0) {
    const protocols = [...new Set(confirmed.map((subscription) => subscription.protocol))].join(', ');
    return {
      id,
      pass: true,
      detail: `topic ${topicArn} has ${plural(confirmed.length, 'confirmed subscription')} (${protocols})${pendingText}`,
    };
  }
  return {
    id,
    pass: false,
    detail:
      topic.subscriptions.length === 0
        ? `topic ${topicArn} has no subscriptions`
        : `topic ${topicArn} has no confirmed subscription${pendingText}`,
    fix: subscribe(topicArn),
  };
};

const CHECKS: readonly CheckOf[] = [
  checkTrailMultiRegionLogging,
  checkTrailWriteManagementEvents,
  checkTrailCloudWatchLogs,
  checkMetricFilter,
  checkAlarmOnMetric,
  checkAlarmFires,
  checkAlarmSnsAction,
  checkSnsSubscription,
];

function judge(chain: Chain, facts: CisAuditFacts): CisAuditCheck[] {
  const target = targetOf(chain, facts);
  return CHECKS.map((check) => check(chain, target, facts));
}

/**
 * Orders judged chains best first: most checks passing; then the earliest failure latest in the chain; then
 * the most of the 16 calls counted; then by name, so the choice is stable.
 */
function compareJudged(
  a: { chain: Chain; checks: CisAuditCheck[] },
  b: { chain: Chain; checks: CisAuditCheck[] },
): number {
  const passes = (checks: CisAuditCheck[]) => checks.filter((check) => check.pass).length;
  const byPasses = passes(b.checks) - passes(a.checks);
  if (byPasses !== 0) return byPasses;
  for (let index = 0; index < a.checks.length; index += 1) {
    const left = a.checks[index]?.pass ? 1 : 0;
    const right = b.checks[index]?.pass ? 1 : 0;
    if (left !== right) return right - left;
  }
  const byCoverage = (b.chain.coverage?.covered.length ?? 0) - (a.chain.coverage?.covered.length ?? 0);
  if (byCoverage !== 0) return byCoverage;
  const key = (chain: Chain) =>
    [chain.trail?.name, chain.filter?.filterName, chain.alarm?.alarmName, chain.topicArn]
      .map((v) => v ?? '')
      .join('\u0000');
  return key(a.chain) < key(b.chain) ? -1 : key(a.chain) > key(b.chain) ? 1 : 0;
}

function describeChain(chain: Chain): CisAuditChain {
  const out: CisAuditChain = {};
  if (chain.trail) {
    out.trail = chain.trail.name;
    out.trailRegion = chain.trail.homeRegion;
  }
  if (chain.logGroup) out.logGroup = chain.logGroup.name;
  if (chain.filter) out.filter = chain.filter.filterName;
  if (chain.transformation) {
    out.metric = `${chain.transformation.metricNamespace}/${chain.transformation.metricName}`;
  }
  if (chain.alarm) out.alarm = chain.alarm.alarmName;
  if (chain.topicArn) out.topic = chain.topicArn;
  return out;
}

/**
 * Judges CIS 4.4 on the gathered facts. Every candidate chain (trail × filter on its log group counting at
 * least one of the 16 calls × alarm on that filter's metric × SNS action of that alarm) is judged, and the
 * best is reported with its checks, in chain order; `pass` only when all eight hold on that one chain.
 */
export function evaluateCisAudit(facts: CisAuditFacts): AuditReport {
  const chains = enumerateChains(facts);
  const judged = chains.map((chain) => ({ chain, checks: judge(chain, facts) }));
  judged.sort(compareJudged);
  const best = judged[0] as { chain: Chain; checks: CisAuditCheck[] };
  return {
    pass: best.checks.every((check) => check.pass),
    checks: best.checks,
    missingEvents: best.chain.coverage ? [...best.chain.coverage.missing] : [...CIS44_EVENT_NAMES],
    chain: describeChain(best.chain),
    candidates: chains.length,
    region: facts.region,
  };
}
