import { type CloudWatchAlarmMessage, InputError } from './input';
import type { AlarmEvent, AlarmState } from './types';

/**
 * CloudTrail takes minutes to reach CloudWatch Logs and the alarm only evaluates a period after it ends, so
 * when the breaching datapoints are not named the window reaches back this much further than the periods.
 */
export const DELIVERY_MARGIN_SECONDS = 15 * 60;

const STATES = new Set<AlarmState>(['ALARM', 'OK', 'INSUFFICIENT_DATA']);

/** CloudWatch caps an alarm's evaluation range at 7 days; anything longer in a message is not a real period. */
const MAX_PERIOD_SECONDS = 7 * 24 * 60 * 60;

/** One evaluation period every 10 seconds (the shortest) over those 7 days. */
const MAX_EVALUATION_PERIODS = MAX_PERIOD_SECONDS / 10;

/** The earliest time a JavaScript Date can hold: windows are clamped here rather than made invalid. */
const MIN_TIME = -8.64e15;

/** A count or a number of seconds when it is a positive finite number no larger than `max`. */
function positive(value: unknown, max: number): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 && value <= max ? value : undefined;
}

function state(value: unknown): AlarmState | undefined {
  return typeof value === 'string' && STATES.has(value as AlarmState) ? (value as AlarmState) : undefined;
}

/** `2026-11-20T14:05:31.123+0000` (what alarms send) or any ISO 8601 time, in milliseconds. */
function parseStateChangeTime(value: unknown): number {
  if (typeof value !== 'string') return Number.NaN;
  return Date.parse(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
}

/**
 * Datapoint times from `NewStateReason`: `[1.0 (20/11/26 14:00:00), 2.0 (20/11/26 13:55:00)]`. CloudWatch writes
 * `dd/MM/yy HH:mm:ss` in UTC; some published examples read as `MM/dd/yy`, so both readings are tried and the
 * one nearest before the state change wins.
 */
export function parseDatapointTimes(reason: string, stateChangeMs: number): number[] {
  const times: number[] = [];
  for (const match of reason.matchAll(/\((\d{2})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2})\)/g)) {
    const [, a, b, yy, hh, mm, ss] = match.map(Number) as number[] as [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const year = 2000 + yy;
    const candidates = [Date.UTC(year, b - 1, a, hh, mm, ss), Date.UTC(year, a - 1, b, hh, mm, ss)].filter(
      (time, index) => {
        const date = new Date(time);
        const [day, month] = index === 0 ? [a, b] : [b, a];
        return date.getUTCDate() === day && date.getUTCMonth() === month - 1;
      },
    );
    if (candidates.length === 0) continue;
    const best = Number.isNaN(stateChangeMs)
      ? candidates[0]
      : candidates.reduce((left, right) => {
          const score = (time: number) =>
            time <= stateChangeMs ? stateChangeMs - time : Number.MAX_SAFE_INTEGER;
          return score(right) < score(left) ? right : left;
        });
    if (best !== undefined) times.push(best);
  }
  return times;
}

/** `arn:aws:cloudwatch:us-east-1:123456789012:alarm:name` → `us-east-1` (placeholders give undefined). */
function regionFromArn(arn: string | undefined): string | undefined {
  const region = arn?.split(':')[3];
  return region && /^[a-z]{2}(-[a-z]+)+-\d$/.test(region) ? region : undefined;
}

function readMetric(trigger: Record<string, unknown> | undefined): {
  namespace?: string;
  name?: string;
  period?: number;
} {
  if (!trigger) return {};
  if (typeof trigger.MetricName === 'string') {
    return {
      name: trigger.MetricName,
      namespace: typeof trigger.Namespace === 'string' ? trigger.Namespace : undefined,
      period: typeof trigger.Period === 'number' ? trigger.Period : undefined,
    };
  }
  // Metric-math alarms: the metric is in Trigger.Metrics[].MetricStat.Metric.
  const metrics = Array.isArray(trigger.Metrics) ? trigger.Metrics : [];
  for (const entry of metrics) {
    const stat = (
      entry as { MetricStat?: { Metric?: { MetricName?: unknown; Namespace?: unknown }; Period?: unknown } }
    )?.MetricStat;
    if (typeof stat?.Metric?.MetricName === 'string') {
      return {
        name: stat.Metric.MetricName,
        namespace: typeof stat.Metric.Namespace === 'string' ? stat.Metric.Namespace : undefined,
        period: typeof stat.Period === 'number' ? stat.Period : undefined,
      };
    }
  }
  return {};
}

/**
 * Reads a CloudWatch alarm message and works out the window of the calls that made it change state: every
 * breaching datapoint's period when `NewStateReason` names them, otherwise `period × evaluation periods`
 * before the state change plus {@link DELIVERY_MARGIN_SECONDS}.
 */
export function readAlarm(message: CloudWatchAlarmMessage): AlarmEvent {
  const current = state(message.NewStateValue);
  if (!current) {
    throw new InputError(
      `the alarm ${JSON.stringify(message.AlarmName)} has an unknown state ${JSON.stringify(message.NewStateValue)}`,
    );
  }
  const changedAt = parseStateChangeTime(message.StateChangeTime);
  if (Number.isNaN(changedAt)) {
    throw new InputError(`the alarm ${JSON.stringify(message.AlarmName)} has no valid StateChangeTime`);
  }
  const trigger =
    typeof message.Trigger === 'object' && message.Trigger !== null
      ? (message.Trigger as Record<string, unknown>)
      : undefined;
  const metric = readMetric(trigger);
  // Bounded, so a hand-made message with `"Period": 1e300` gives a default window rather than an invalid date.
  const period =
    positive(metric.period, MAX_PERIOD_SECONDS) ?? positive(trigger?.Period, MAX_PERIOD_SECONDS) ?? 300;
  const evaluationPeriods = positive(trigger?.EvaluationPeriods, MAX_EVALUATION_PERIODS) ?? 1;
  const reason = typeof message.NewStateReason === 'string' ? message.NewStateReason : '';

  const datapoints = parseDatapointTimes(reason, changedAt).filter((time) => time <= changedAt);
  let windowStart: number;
  let windowEnd: number;
  let windowSource: AlarmEvent['windowSource'];
  if (datapoints.length > 0) {
    windowStart = Math.min(...datapoints);
    windowEnd = Math.min(Math.max(...datapoints) + period * 1000, changedAt);
    windowSource = 'datapoints';
  } else {
    windowEnd = changedAt;
    windowStart = Math.max(
      changedAt - (period * evaluationPeriods + DELIVERY_MARGIN_SECONDS) * 1000,
      MIN_TIME,
    );
    windowSource = 'periods';
  }

  const alarm: AlarmEvent = {
    name: message.AlarmName,
    state: current,
    reason,
    accountId: typeof message.AWSAccountId === 'string' ? message.AWSAccountId : '',
    stateChangeTime: new Date(changedAt).toISOString(),
    windowStart: new Date(windowStart).toISOString(),
    windowEnd: new Date(windowEnd).toISOString(),
    windowSource,
    period,
    evaluationPeriods,
  };
  const previous = state(message.OldStateValue);
  if (previous) alarm.previousState = previous;
  if (typeof message.AlarmDescription === 'string' && message.AlarmDescription)
    alarm.description = message.AlarmDescription;
  if (typeof message.AlarmArn === 'string') alarm.alarmArn = message.AlarmArn;
  const region = regionFromArn(alarm.alarmArn);
  if (region) alarm.region = region;
  if (typeof message.Region === 'string') alarm.regionName = message.Region;
  if (metric.namespace) alarm.metricNamespace = metric.namespace;
  if (metric.name) alarm.metricName = metric.name;
  return alarm;
}
