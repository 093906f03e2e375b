/**
 * The CIS 4.4 demo's alarm counts its own three calls whole, whatever the clock reads when it runs: the calls are
 * never split across two alarm periods (a run 16–20 s after a period began used to leave one or two of its calls
 * in the next period, so the alarm said 1 or 2 calls for a run of 3). Without moto: the calls reach the bot by
 * EventBridge and the alarm's count comes from the CloudTrail history the scenario feeds.
 */
import { describe, expect, it } from 'vitest';
import type { CloudTrailRecord } from '../../src/domain/input';
import { runScenario } from '../../src/local/scenarios';

const PERIOD_MS = 300_000;
const BOUNDARY = Date.parse('2026-12-04T10:05:00Z');

/** Runs the CIS 4.4 scenario once at `now`; resolves the alarm's datapoint and the calls it fed. */
async function alarmAt(now: Date): Promise<{ datapoint: number; calls: string[] }> {
  const history: CloudTrailRecord[] = [];
  const notifications: Array<{ Records: Array<{ Sns: { Message: string } }> }> = [];
  await runScenario('cis-alarm', {
    accountId: '123456789012',
    notify: async (notification) => {
      notifications.push(notification as (typeof notifications)[number]);
    },
    observe: (record) => history.push(record),
    history: (start, end) =>
      history.filter((record) => {
        const at = Date.parse(String(record.eventTime));
        return at >= start.getTime() && at <= end.getTime();
      }),
    now: () => now,
  });
  const alarm = notifications
    .map(
      (notification) => JSON.parse(notification.Records[0]?.Sns.Message ?? '{}') as Record<string, unknown>,
    )
    .find((message) => message.NewStateValue === 'ALARM');
  const datapoint = Number(/\[(\d+)\.0 \(/.exec(String(alarm?.NewStateReason))?.[1]);
  return { datapoint, calls: history.map((record) => String(record.eventTime)) };
}

describe('the CIS 4.4 demo alarm', () => {
  it.each([1, 5, 15, 16, 17, 18, 19, 20, 21, 150, 299])(
    'counts all three calls of a run %s s into a period',
    async (secondsIn) => {
      const now = new Date(BOUNDARY + secondsIn * 1000);

      const { datapoint, calls } = await alarmAt(now);

      expect(calls).toHaveLength(3);
      expect(datapoint).toBe(3);
      // Every call before the alarm, none in the future.
      for (const call of calls) expect(Date.parse(call)).toBeLessThanOrEqual(now.getTime());
      // All in one period.
      expect(new Set(calls.map((call) => Math.floor(Date.parse(call) / PERIOD_MS))).size).toBe(1);
    },
  );
});
