import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DELIVERY_MARGIN_SECONDS, parseDatapointTimes, readAlarm } from '../../src/domain/alarm';
import { type CloudWatchAlarmMessage, InputError } from '../../src/domain/input';

function message(name: string): CloudWatchAlarmMessage {
  return JSON.parse(
    readFileSync(new URL(`../fixtures/envelopes/${name}.json`, import.meta.url), 'utf8'),
  ) as CloudWatchAlarmMessage;
}

/** The CIS 4.4 alarm message with some fields replaced. */
function alarmWith(overrides: Partial<CloudWatchAlarmMessage>): CloudWatchAlarmMessage {
  return { ...message('alarm-message'), ...overrides };
}

function triggerWith(overrides: Record<string, unknown>): Record<string, unknown> {
  return { ...message('alarm-message').Trigger, ...overrides };
}

const ARN = 'arn:aws:cloudwatch:us-east-1:111122223333:alarm:CIS-4.4-IAMPolicyChanges';

describe('readAlarm', () => {
  it('reads the CIS 4.4 alarm message', () => {
    expect(readAlarm(message('alarm-message'))).toEqual({
      name: 'CIS-4.4-IAMPolicyChanges',
      description:
        'CIS AWS Foundations Benchmark 4.4: IAM policy changes (metric filter on the CloudTrail log group)',
      state: 'ALARM',
      previousState: 'OK',
      reason:
        'Threshold Crossed: 1 out of the last 1 datapoints [1.0 (20/11/26 14:00:00)] was greater than or equal to the threshold (1.0) (minimum 1 datapoint for OK -> ALARM transition).',
      accountId: '111122223333',
      region: 'us-east-1',
      regionName: 'US East (N. Virginia)',
      alarmArn: ARN,
      metricNamespace: 'CISBenchmark',
      metricName: 'IAMPolicyChanges',
      period: 300,
      evaluationPeriods: 1,
      stateChangeTime: '2026-11-20T14:05:31.123Z',
      windowStart: '2026-11-20T14:00:00.000Z',
      windowEnd: '2026-11-20T14:05:00.000Z',
      windowSource: 'datapoints',
    });
  });

  it('reads the OK transition with its previous state', () => {
    const alarm = readAlarm(message('alarm-ok'));

    expect(alarm).toMatchObject({
      state: 'OK',
      previousState: 'ALARM',
      windowStart: '2026-11-20T14:10:00.000Z',
      windowEnd: '2026-11-20T14:15:00.000Z',
    });
  });

  describe('region', () => {
    it.each<[arn: string | undefined, region: string | undefined]>([
      [ARN, 'us-east-1'],
      ['arn:aws:cloudwatch:eu-west-1:111122223333:alarm:CIS-4.4-IAMPolicyChanges', 'eu-west-1'],
      ['arn:aws-us-gov:cloudwatch:us-gov-west-1:111122223333:alarm:CIS-4.4', 'us-gov-west-1'],
      ['arn:aws:cloudwatch:REGION:ACCOUNT_NUMBER:alarm:EXAMPLE', undefined],
      ['arn:aws:cloudwatch:EXAMPLE', undefined],
      [undefined, undefined],
    ])('reads the region of AlarmArn %j as %j', (alarmArn, region) => {
      const alarm = readAlarm(alarmWith({ AlarmArn: alarmArn }));

      expect(alarm.region).toBe(region);
      expect('region' in alarm).toBe(region !== undefined);
    });

    it('keeps the display name of the region as the message gives it', () => {
      const alarm = readAlarm(alarmWith({ Region: 'EU (Ireland)' }));

      expect(alarm.regionName).toBe('EU (Ireland)');
      expect(alarm.region).toBe('us-east-1');
    });
  });

  describe('window', () => {
    it('spans the one breaching period a datapoint names', () => {
      const alarm = readAlarm(message('alarm-message'));

      expect([alarm.windowStart, alarm.windowEnd, alarm.windowSource]).toEqual([
        '2026-11-20T14:00:00.000Z',
        '2026-11-20T14:05:00.000Z',
        'datapoints',
      ]);
    });

    it('spans every breaching period when several datapoints are named', () => {
      const alarm = readAlarm(
        alarmWith({
          NewStateReason:
            'Threshold Crossed: 2 out of the last 3 datapoints [3.0 (20/11/26 13:55:00), 1.0 (20/11/26 13:45:00)] were greater than or equal to the threshold (1.0) (minimum 2 datapoints for OK -> ALARM transition).',
          StateChangeTime: '2026-11-20T14:01:12.480+0000',
          Trigger: triggerWith({ EvaluationPeriods: 3 }),
        }),
      );

      expect(alarm).toMatchObject({
        windowStart: '2026-11-20T13:45:00.000Z',
        windowEnd: '2026-11-20T14:00:00.000Z',
        windowSource: 'datapoints',
        evaluationPeriods: 3,
      });
    });

    it('never ends the window after the state change', () => {
      const alarm = readAlarm(
        alarmWith({
          NewStateReason:
            'Threshold Crossed: 1 out of the last 1 datapoints [1.0 (20/11/26 14:03:00)] was greater than or equal to the threshold (1.0) (minimum 1 datapoint for OK -> ALARM transition).',
          StateChangeTime: '2026-11-20T14:05:31.123+0000',
        }),
      );

      expect(alarm.windowStart).toBe('2026-11-20T14:03:00.000Z');
      expect(alarm.windowEnd).toBe('2026-11-20T14:05:31.123Z');
    });

    it('reaches back period × evaluation periods plus the delivery margin when no datapoint is named', () => {
      const alarm = readAlarm(message('alarm-no-datapoints'));

      expect(DELIVERY_MARGIN_SECONDS).toBe(900);
      expect(alarm).toMatchObject({
        windowStart: '2026-11-20T13:45:31.123Z',
        windowEnd: '2026-11-20T14:05:31.123Z',
        windowSource: 'periods',
      });
    });

    it('counts every evaluation period when reaching back', () => {
      const alarm = readAlarm(
        alarmWith({
          NewStateReason: 'Threshold Crossed: no datapoints were received for 3 periods.',
          Trigger: triggerWith({ Period: 60, EvaluationPeriods: 3 }),
        }),
      );

      // 60 s × 3 + 15 min = 18 min before 14:05:31.123.
      expect(alarm.windowStart).toBe('2026-11-20T13:47:31.123Z');
      expect(alarm.windowEnd).toBe('2026-11-20T14:05:31.123Z');
      expect(alarm.windowSource).toBe('periods');
    });

    it('falls back to the periods when the only datapoint is after the state change', () => {
      const alarm = readAlarm(
        alarmWith({
          NewStateReason:
            'Threshold Crossed: 1 out of the last 1 datapoints [1.0 (20/11/26 14:10:00)] was greater than or equal to the threshold (1.0).',
        }),
      );

      expect(alarm.windowSource).toBe('periods');
      expect(alarm.windowStart).toBe('2026-11-20T13:45:31.123Z');
    });

    it('reads a datapoint written month first (as AWS’s own example does) by the reading nearest before the change', () => {
      // From the AWS Lambda Go SNS sample: "(06/03/15 17:43:27)" with StateChangeTime 2015-06-03T17:43:27.123+0000.
      const alarm = readAlarm(
        alarmWith({
          NewStateReason:
            'Threshold Crossed: 1 out of the last 1 datapoints [1234.0 (06/03/15 17:43:27)] was greater than the threshold (0.0) (minimum 1 datapoint for OK -> ALARM transition).',
          StateChangeTime: '2015-06-03T17:43:27.123+0000',
          Trigger: triggerWith({ Period: 60 }),
        }),
      );

      expect(alarm.windowStart).toBe('2015-06-03T17:43:27.000Z');
      expect(alarm.windowEnd).toBe('2015-06-03T17:43:27.123Z');
    });
  });

  describe('metric', () => {
    it('reads the metric of a metric-math alarm from Trigger.Metrics', () => {
      const alarm = readAlarm(
        alarmWith({
          NewStateReason: 'Threshold Crossed: no datapoints were named.',
          Trigger: {
            Metrics: [
              { Expression: 'FILL(m1, 0)', Id: 'e1', Label: 'IAM policy changes', ReturnData: true },
              {
                Id: 'm1',
                MetricStat: {
                  Metric: { Dimensions: [], MetricName: 'IAMPolicyChanges', Namespace: 'CISBenchmark' },
                  Period: 600,
                  Stat: 'Sum',
                },
                ReturnData: false,
              },
            ],
            EvaluationPeriods: 2,
            ComparisonOperator: 'GreaterThanOrEqualToThreshold',
            Threshold: 1.0,
            TreatMissingData: 'notBreaching',
          },
        }),
      );

      expect(alarm).toMatchObject({
        metricName: 'IAMPolicyChanges',
        metricNamespace: 'CISBenchmark',
        period: 600,
        evaluationPeriods: 2,
      });
      // 600 s × 2 + 15 min = 35 min.
      expect(alarm.windowStart).toBe('2026-11-20T13:30:31.123Z');
    });

    it('assumes one five-minute period when the message has no Trigger', () => {
      const { Trigger: _trigger, ...withoutTrigger } = message('alarm-no-datapoints');
      const alarm = readAlarm(withoutTrigger);

      expect(alarm).toMatchObject({
        period: 300,
        evaluationPeriods: 1,
        windowStart: '2026-11-20T13:45:31.123Z',
      });
      expect(alarm).not.toHaveProperty('metricName');
      expect(alarm).not.toHaveProperty('metricNamespace');
    });
  });

  it('leaves out a null description and gives an empty account id when it is missing', () => {
    const { AWSAccountId: _account, ...rest } = alarmWith({ AlarmDescription: null });
    const alarm = readAlarm(rest);

    expect(alarm).not.toHaveProperty('description');
    expect(alarm.accountId).toBe('');
  });

  describe('bad messages', () => {
    it.each(['ALARMING', 'alarm', ''])('refuses the state %j with an InputError naming it', (state) => {
      const read = () => readAlarm(alarmWith({ NewStateValue: state }));

      expect(read).toThrow(InputError);
      expect(read).toThrow(
        `the alarm "CIS-4.4-IAMPolicyChanges" has an unknown state ${JSON.stringify(state)}`,
      );
    });

    it('refuses a message without StateChangeTime', () => {
      const { StateChangeTime: _time, ...rest } = message('alarm-message');

      expect(() => readAlarm(rest)).toThrow(InputError);
      expect(() => readAlarm(rest)).toThrow(
        'the alarm "CIS-4.4-IAMPolicyChanges" has no valid StateChangeTime',
      );
    });

    it('refuses a StateChangeTime that is not a time', () => {
      expect(() => readAlarm(alarmWith({ StateChangeTime: 'yesterday afternoon' }))).toThrow(InputError);
    });
  });
});

describe('parseDatapointTimes', () => {
  const changedAt = Date.parse('2026-11-20T14:05:31.123Z');

  it.each<[reason: string, times: string[]]>([
    ['[1.0 (20/11/26 14:00:00)]', ['2026-11-20T14:00:00.000Z']],
    ['[1.0 (11/20/26 14:00:00)]', ['2026-11-20T14:00:00.000Z']],
    [
      '[2.0 (20/11/26 13:55:00), 1.0 (20/11/26 13:50:00)]',
      ['2026-11-20T13:55:00.000Z', '2026-11-20T13:50:00.000Z'],
    ],
    ['[1.0 (32/13/26 14:00:00)]', []],
    ['Threshold Crossed', []],
  ])('reads %j as %j', (reason, times) => {
    expect(parseDatapointTimes(reason, changedAt).map((time) => new Date(time).toISOString())).toEqual(times);
  });

  it('picks, of the two readings, the one nearest before the state change', () => {
    // 10/11/26 is 10 November (dd/MM) or 11 October (MM/dd); 10 November is nearer before 20 November.
    const [time] = parseDatapointTimes('[1.0 (10/11/26 14:00:00)]', changedAt);

    expect(new Date(time ?? 0).toISOString()).toBe('2026-11-10T14:00:00.000Z');
  });

  it('prefers a reading before the state change to one after it', () => {
    // 03/12/26: 3 December is after the change, 12 March before it.
    const [time] = parseDatapointTimes('[1.0 (03/12/26 14:00:00)]', changedAt);

    expect(new Date(time ?? 0).toISOString()).toBe('2026-03-12T14:00:00.000Z');
  });

  it('reads day first when it cannot compare with the state change', () => {
    const [time] = parseDatapointTimes('[1.0 (06/03/15 17:43:27)]', Number.NaN);

    expect(new Date(time ?? 0).toISOString()).toBe('2015-03-06T17:43:27.000Z');
  });
});
