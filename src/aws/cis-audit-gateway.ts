/**
 * AWS adapter of {@link CisAuditGateway}: reads the CIS 4.4 chain from CloudTrail, CloudWatch Logs,
 * CloudWatch and SNS in one region, every page of every list, and hands the facts to the pure audit.
 *
 * Calls, in order: `DescribeTrails` (shadow trails included) → per trail `GetTrailStatus` and
 * `GetEventSelectors` (by ARN) → per trail log group in this region `DescribeMetricFilters` → per distinct
 * pattern `TestMetricFilter` with the varied sample records of the 16 calls — user, role, root, SSO, console,
 * failed; 96 records in batches of 50 (real AWS only) → per metric of a filter counting any
 * CIS 4.4 call `DescribeAlarmsForMetric` → per SNS action of those alarms `GetTopicAttributes` and
 * `ListSubscriptionsByTopic`.
 */
import {
  CloudTrailClient,
  DescribeTrailsCommand,
  GetEventSelectorsCommand,
  type GetEventSelectorsCommandOutput,
  GetTrailStatusCommand,
  type GetTrailStatusCommandOutput,
  type Trail,
} from '@aws-sdk/client-cloudtrail';
import {
  CloudWatchClient,
  DescribeAlarmsForMetricCommand,
  type MetricAlarm,
} from '@aws-sdk/client-cloudwatch';
import {
  CloudWatchLogsClient,
  DescribeMetricFiltersCommand,
  type DescribeMetricFiltersCommandOutput,
  type MetricFilter,
  TestMetricFilterCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  GetTopicAttributesCommand,
  ListSubscriptionsByTopicCommand,
  SNSClient,
  type Subscription,
} from '@aws-sdk/client-sns';
import { AuditCallError, type CisAuditGateway } from '../app/cis-audit-service';
import {
  type AlarmFacts,
  type CisAuditFacts,
  countsCis44Calls,
  type MetricFilterFacts,
  type MetricFilterTestResult,
  type TopicFacts,
  type TrailFacts,
} from '../domain/cis-audit';
import { cis44SampleVariants } from '../domain/cis44-samples';
import { CIS44_EVENT_NAMES, type Cis44EventName } from '../domain/events';
import { type AwsClientOptions, awsClientConfig } from './client-config';

/**
 * The clients the audit reads through. All must be in the audited region: CloudTrail delivers only to a log
 * group in the trail's home region, so trails, filters, alarms and topics of one chain share a region. (The
 * bot's shared `cloudTrail` client is pinned to us-east-1 for `LookupEvents`; audit another region with
 * clients of that region.)
 */
export interface CisAuditClients {
  cloudTrail: CloudTrailClient;
  cloudWatchLogs: CloudWatchLogsClient;
  cloudWatch: CloudWatchClient;
  sns: SNSClient;
}

/** How {@link AwsCisAuditGateway} gathers. */
export interface CisAuditGatewayOptions {
  /**
   * Ask CloudWatch Logs' `TestMetricFilter` which of the varied sample records each pattern matches, as a second
   * opinion on the local evaluator. Default true, except when the CloudWatch Logs client was given an explicit
   * endpoint (an emulator: moto has no `TestMetricFilter`). Callers that take the endpoint from
   * `AWS_ENDPOINT_URL` should pass false themselves: the SDK does not mark that endpoint as custom.
   */
  testMetricFilter?: boolean;
  /** Pages read per paginated list before stopping (default 100). */
  maxPages?: number;
}

/** Settings of {@link createCisAuditClients}: the shared timeouts and retries, plus where and as whom. */
export interface CisAuditClientSettings extends AwsClientOptions {
  /** An endpoint for every client (`http://127.0.0.1:5000` for moto_server). */
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

const DEFAULT_MAX_PAGES = 100;

/**
 * The varied samples of each of the 16 calls (user, role, root, SSO, console, failed) as CloudTrail writes
 * them to CloudWatch Logs: one compact JSON object per event.
 */
const SAMPLES = CIS44_EVENT_NAMES.flatMap((name) =>
  cis44SampleVariants(name).map((sample) => ({ ...sample, message: JSON.stringify(sample.record) })),
);

/** `TestMetricFilter` takes at most 50 log event messages per request. */
const TEST_BATCH = 50;

/**
 * Builds the four clients of the audit once, for a process that audits one region (the CLI). Same timeouts
 * and retries as {@link awsClientConfig}; `region` applies to all four, CloudTrail included.
 */
export function createCisAuditClients(settings: CisAuditClientSettings = {}): CisAuditClients {
  const config = {
    ...awsClientConfig(settings.region, settings),
    ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }),
    ...(settings.credentials === undefined ? {} : { credentials: settings.credentials }),
  };
  return {
    cloudTrail: new CloudTrailClient(config),
    cloudWatchLogs: new CloudWatchLogsClient(config),
    cloudWatch: new CloudWatchClient(config),
    sns: new SNSClient(config),
  };
}

function errorText(error: unknown): string {
  if (error instanceof Error) {
    const message = error.message.split('\n')[0] ?? '';
    return error.name && error.name !== 'Error' && !message.startsWith(error.name)
      ? `${error.name}: ${message}`
      : message;
  }
  return String(error);
}

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

/** Runs one call; a failure becomes an {@link AuditCallError} naming it. */
async function call<T>(name: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error: unknown) {
    throw new AuditCallError(name, errorText(error), { cause: error });
  }
}

function toTrailFacts(
  trail: Trail,
  status: GetTrailStatusCommandOutput | { error: string },
  selectors: GetEventSelectorsCommandOutput | { error: string },
): TrailFacts {
  const facts: TrailFacts = {
    name: trail.Name ?? trail.TrailARN ?? '(unnamed)',
    arn: trail.TrailARN ?? '',
    homeRegion: trail.HomeRegion ?? '',
    isMultiRegion: trail.IsMultiRegionTrail === true,
    // DescribeTrails omits nothing here in practice; CloudTrail's own default is true.
    includeGlobalServiceEvents: trail.IncludeGlobalServiceEvents !== false,
    isLogging: 'error' in status ? false : status.IsLogging === true,
    eventSelectors: [],
    advancedEventSelectors: [],
  };
  if (trail.CloudWatchLogsLogGroupArn) facts.cloudWatchLogsLogGroupArn = trail.CloudWatchLogsLogGroupArn;
  if (trail.CloudWatchLogsRoleArn) facts.cloudWatchLogsRoleArn = trail.CloudWatchLogsRoleArn;
  if ('error' in status) {
    facts.statusError = status.error;
  } else if (status.LatestCloudWatchLogsDeliveryError) {
    facts.latestCloudWatchLogsDeliveryError = status.LatestCloudWatchLogsDeliveryError;
  }
  if ('error' in selectors) {
    facts.selectorsError = selectors.error;
  } else {
    facts.eventSelectors = (selectors.EventSelectors ?? []).map((selector) => ({
      ...(selector.ReadWriteType === undefined ? {} : { readWriteType: selector.ReadWriteType }),
      ...(selector.IncludeManagementEvents === undefined
        ? {}
        : { includeManagementEvents: selector.IncludeManagementEvents }),
      ...(selector.ExcludeManagementEventSources === undefined
        ? {}
        : { excludeManagementEventSources: selector.ExcludeManagementEventSources }),
      ...(selector.DataResources === undefined
        ? {}
        : {
            dataResources: selector.DataResources.map((resource) => ({
              ...(resource.Type === undefined ? {} : { type: resource.Type }),
              ...(resource.Values === undefined ? {} : { values: resource.Values }),
            })),
          }),
    }));
    facts.advancedEventSelectors = (selectors.AdvancedEventSelectors ?? []).map((selector) => ({
      ...(selector.Name === undefined ? {} : { name: selector.Name }),
      fieldSelectors: (selector.FieldSelectors ?? []).map((field) => ({
        field: field.Field ?? '',
        ...(field.Equals ? { equals: field.Equals } : {}),
        ...(field.StartsWith ? { startsWith: field.StartsWith } : {}),
        ...(field.EndsWith ? { endsWith: field.EndsWith } : {}),
        ...(field.NotEquals ? { notEquals: field.NotEquals } : {}),
        ...(field.NotStartsWith ? { notStartsWith: field.NotStartsWith } : {}),
        ...(field.NotEndsWith ? { notEndsWith: field.NotEndsWith } : {}),
      })),
    }));
  }
  return facts;
}

function toFilterFacts(filter: MetricFilter, logGroupName: string): MetricFilterFacts {
  return {
    logGroupName: filter.logGroupName ?? logGroupName,
    filterName: filter.filterName ?? '',
    filterPattern: filter.filterPattern ?? '',
    metricTransformations: (filter.metricTransformations ?? []).map((transformation) => ({
      metricNamespace: transformation.metricNamespace ?? '',
      metricName: transformation.metricName ?? '',
      metricValue: transformation.metricValue ?? '',
      ...(transformation.defaultValue === undefined ? {} : { defaultValue: transformation.defaultValue }),
      ...(transformation.unit === undefined ? {} : { unit: transformation.unit }),
      ...(transformation.dimensions === undefined || Object.keys(transformation.dimensions).length === 0
        ? {}
        : { dimensions: transformation.dimensions }),
    })),
  };
}

function toAlarmFacts(alarm: MetricAlarm): AlarmFacts {
  const facts: AlarmFacts = {
    alarmName: alarm.AlarmName ?? '',
    dimensions: (alarm.Dimensions ?? []).map((dimension) => ({
      name: dimension.Name ?? '',
      value: dimension.Value ?? '',
    })),
    actionsEnabled: alarm.ActionsEnabled !== false,
    alarmActions: alarm.AlarmActions ?? [],
  };
  if (alarm.AlarmArn) facts.alarmArn = alarm.AlarmArn;
  if (alarm.Namespace) facts.namespace = alarm.Namespace;
  if (alarm.MetricName) facts.metricName = alarm.MetricName;
  if (alarm.Statistic) facts.statistic = alarm.Statistic;
  if (alarm.ExtendedStatistic) facts.extendedStatistic = alarm.ExtendedStatistic;
  if (alarm.Period !== undefined) facts.period = alarm.Period;
  if (alarm.EvaluationPeriods !== undefined) facts.evaluationPeriods = alarm.EvaluationPeriods;
  if (alarm.DatapointsToAlarm !== undefined) facts.datapointsToAlarm = alarm.DatapointsToAlarm;
  if (alarm.Threshold !== undefined) facts.threshold = alarm.Threshold;
  if (alarm.ComparisonOperator) facts.comparisonOperator = alarm.ComparisonOperator;
  if (alarm.Unit) facts.unit = alarm.Unit;
  if (alarm.TreatMissingData) facts.treatMissingData = alarm.TreatMissingData;
  if (alarm.OKActions && alarm.OKActions.length > 0) facts.okActions = alarm.OKActions;
  if (alarm.InsufficientDataActions && alarm.InsufficientDataActions.length > 0) {
    facts.insufficientDataActions = alarm.InsufficientDataActions;
  }
  if (alarm.AlarmDescription) facts.alarmDescription = alarm.AlarmDescription;
  if (alarm.StateValue) facts.stateValue = alarm.StateValue;
  return facts;
}

/** {@link CisAuditGateway} on AWS (or moto_server): every fact the audit judges, read in one region. */
export class AwsCisAuditGateway implements CisAuditGateway {
  readonly #clients: CisAuditClients;
  readonly #testMetricFilter: boolean;
  readonly #maxPages: number;

  constructor(clients: CisAuditClients, options: CisAuditGatewayOptions = {}) {
    this.#clients = clients;
    const explicitEndpoint = (clients.cloudWatchLogs.config as { isCustomEndpoint?: boolean })
      .isCustomEndpoint;
    this.#testMetricFilter = options.testMetricFilter ?? explicitEndpoint !== true;
    this.#maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
  }

  async gatherFacts(): Promise<CisAuditFacts> {
    const region = await call('region resolution', () => this.#clients.cloudWatchLogs.config.region());
    const trails = await this.#trails(region);
    const missingLogGroups: string[] = [];
    const metricFilters: MetricFilterFacts[] = [];
    const groups = new Set<string>();
    for (const trail of trails) {
      const match = /^arn:[^:]+:logs:([^:]*):[^:]*:log-group:([^:]+)/.exec(
        trail.cloudWatchLogsLogGroupArn ?? '',
      );
      if (match && match[1] === region) groups.add(match[2] as string);
    }
    for (const group of groups) {
      const filters = await this.#metricFilters(group);
      if (filters === undefined) missingLogGroups.push(group);
      else metricFilters.push(...filters);
    }
    if (this.#testMetricFilter) await this.#testPatterns(metricFilters);

    const metrics = new Map<string, { namespace: string; name: string }>();
    for (const filter of metricFilters.filter(countsCis44Calls)) {
      for (const transformation of filter.metricTransformations) {
        const key = `${transformation.metricNamespace}\u0000${transformation.metricName}`;
        metrics.set(key, { namespace: transformation.metricNamespace, name: transformation.metricName });
      }
    }
    const alarms: AlarmFacts[] = [];
    const seenAlarms = new Set<string>();
    for (const metric of metrics.values()) {
      for (const alarm of await this.#alarmsFor(metric.namespace, metric.name)) {
        if (seenAlarms.has(alarm.alarmName)) continue;
        seenAlarms.add(alarm.alarmName);
        alarms.push(alarm);
      }
    }
    const topicArns = new Set(
      alarms.flatMap((alarm) =>
        alarm.alarmActions.filter((action) => action.startsWith('arn:') && action.split(':')[2] === 'sns'),
      ),
    );
    const topics: TopicFacts[] = [];
    for (const topicArn of topicArns) topics.push(await this.#topic(topicArn));

    return {
      region,
      trails,
      metricFilters,
      missingLogGroups,
      alarms,
      topics,
      testMetricFilter: this.#testMetricFilter,
    };
  }

  async #trails(region: string): Promise<TrailFacts[]> {
    const client = this.#clients.cloudTrail;
    // DescribeTrails is not paginated: it returns every trail, shadow trails of multi-region trails included.
    const response = await call('cloudtrail:DescribeTrails', () =>
      client.send(new DescribeTrailsCommand({ includeShadowTrails: true })),
    );
    const trails: TrailFacts[] = [];
    for (const trail of response.trailList ?? []) {
      const id = trail.TrailARN ?? trail.Name ?? '';
      // A shadow trail (home elsewhere) may refuse per-trail calls outside its home region; that is a fact
      // about the trail, not a reason to abandon the audit. In its home region every failure is fatal.
      const shadow = trail.HomeRegion !== undefined && trail.HomeRegion !== region;
      const status = await this.#perTrail(shadow, 'cloudtrail:GetTrailStatus', () =>
        client.send(new GetTrailStatusCommand({ Name: id })),
      );
      const selectors = await this.#perTrail(shadow, 'cloudtrail:GetEventSelectors', () =>
        client.send(new GetEventSelectorsCommand({ TrailName: id })),
      );
      trails.push(toTrailFacts(trail, status, selectors));
    }
    return trails;
  }

  async #perTrail<T>(tolerant: boolean, name: string, run: () => Promise<T>): Promise<T | { error: string }> {
    try {
      return await run();
    } catch (error: unknown) {
      if (!tolerant) throw new AuditCallError(name, errorText(error), { cause: error });
      return { error: `${name}: ${errorText(error)}` };
    }
  }

  /** Every metric filter of the group, or undefined when the group does not exist. */
  async #metricFilters(logGroupName: string): Promise<MetricFilterFacts[] | undefined> {
    const client = this.#clients.cloudWatchLogs;
    const filters: MetricFilterFacts[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < this.#maxPages; page += 1) {
      let response: DescribeMetricFiltersCommandOutput;
      try {
        response = await client.send(new DescribeMetricFiltersCommand({ logGroupName, nextToken }));
      } catch (error: unknown) {
        if (errorName(error) === 'ResourceNotFoundException') return undefined;
        throw new AuditCallError('logs:DescribeMetricFilters', errorText(error), { cause: error });
      }
      filters.push(...(response.metricFilters ?? []).map((filter) => toFilterFacts(filter, logGroupName)));
      if (!response.nextToken || response.nextToken === nextToken) break;
      nextToken = response.nextToken;
    }
    return filters;
  }

  /** `TestMetricFilter` once per distinct pattern; a failure is recorded on the filter, never fatal. */
  async #testPatterns(filters: MetricFilterFacts[]): Promise<void> {
    const results = new Map<string, MetricFilterTestResult>();
    for (const filter of filters) {
      let result = results.get(filter.filterPattern);
      if (result === undefined) {
        result = await this.#testPattern(filter.filterPattern);
        results.set(filter.filterPattern, result);
      }
      filter.awsTest = result;
    }
  }

  /**
   * Sends every varied sample (in batches of {@link TEST_BATCH}) and judges each call by all of its samples:
   * covered when every one matched, partial when some did.
   */
  async #testPattern(filterPattern: string): Promise<MetricFilterTestResult> {
    const matched = new Set<number>();
    try {
      for (let start = 0; start < SAMPLES.length; start += TEST_BATCH) {
        const batch = SAMPLES.slice(start, start + TEST_BATCH);
        const response = await this.#clients.cloudWatchLogs.send(
          new TestMetricFilterCommand({
            filterPattern,
            logEventMessages: batch.map((sample) => sample.message),
          }),
        );
        for (const match of response.matches ?? []) {
          // Matches carry the message; the event number (1-based in the batch) is only the fallback.
          let index = batch.findIndex((sample) => sample.message === match.eventMessage);
          if (index < 0 && match.eventNumber !== undefined) index = match.eventNumber - 1;
          if (index >= 0 && index < batch.length) matched.add(start + index);
        }
      }
    } catch (error: unknown) {
      return { error: `logs:TestMetricFilter: ${errorText(error)}` };
    }
    const covered: Cis44EventName[] = [];
    const partial: { eventName: Cis44EventName; matched: string[] }[] = [];
    for (const name of CIS44_EVENT_NAMES) {
      const variants = SAMPLES.flatMap((sample, index) =>
        sample.eventName === name ? [{ variant: sample.variant, hit: matched.has(index) }] : [],
      );
      const hits = variants.filter((variant) => variant.hit).map((variant) => variant.variant);
      if (hits.length === variants.length) covered.push(name);
      else if (hits.length > 0) partial.push({ eventName: name, matched: hits });
    }
    return { covered, partial, missing: CIS44_EVENT_NAMES.filter((name) => !covered.includes(name)) };
  }

  async #alarmsFor(namespace: string, metricName: string): Promise<AlarmFacts[]> {
    // DescribeAlarmsForMetric is not paginated: it returns every alarm on the metric.
    const response = await call('cloudwatch:DescribeAlarmsForMetric', () =>
      this.#clients.cloudWatch.send(
        new DescribeAlarmsForMetricCommand({ Namespace: namespace, MetricName: metricName }),
      ),
    );
    return (response.MetricAlarms ?? []).map(toAlarmFacts);
  }

  async #topic(topicArn: string): Promise<TopicFacts> {
    const sns = this.#clients.sns;
    let attributes: Record<string, string>;
    try {
      attributes = (await sns.send(new GetTopicAttributesCommand({ TopicArn: topicArn }))).Attributes ?? {};
    } catch (error: unknown) {
      if (errorName(error) === 'NotFoundException') return { topicArn, exists: false, subscriptions: [] };
      throw new AuditCallError('sns:GetTopicAttributes', errorText(error), { cause: error });
    }
    const subscriptions: Subscription[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < this.#maxPages; page += 1) {
      const response = await call('sns:ListSubscriptionsByTopic', () =>
        sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn, NextToken: nextToken })),
      );
      subscriptions.push(...(response.Subscriptions ?? []));
      if (!response.NextToken || response.NextToken === nextToken) break;
      nextToken = response.NextToken;
    }
    const topic: TopicFacts = {
      topicArn,
      exists: true,
      subscriptions: subscriptions.map((subscription) => ({
        subscriptionArn: subscription.SubscriptionArn ?? '',
        protocol: subscription.Protocol ?? '',
        ...(subscription.Endpoint === undefined ? {} : { endpoint: subscription.Endpoint }),
      })),
    };
    if (attributes.KmsMasterKeyId) topic.kmsMasterKeyId = attributes.KmsMasterKeyId;
    return topic;
  }
}
