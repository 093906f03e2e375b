import { describe, expect, it } from 'vitest';
import { forwardingStopOf } from '../../src/domain/forwarding';
import type { CloudTrailRecord } from '../../src/domain/input';

const MEMBER = '555566667777';

/** An EventBridge call as CloudTrail records it in a member account. */
function eventsCall(
  eventName: string,
  request: Record<string, unknown>,
  extra: Partial<CloudTrailRecord> = {},
) {
  return {
    eventVersion: '1.09',
    eventID: `ev-${eventName}`,
    eventTime: '2026-12-04T10:00:00Z',
    eventSource: 'events.amazonaws.com',
    eventName,
    awsRegion: 'us-east-1',
    recipientAccountId: MEMBER,
    userIdentity: {
      type: 'AssumedRole',
      arn: `arn:aws:sts::${MEMBER}:assumed-role/Admin/mallory`,
      accountId: MEMBER,
    },
    requestParameters: request,
    ...extra,
  } as CloudTrailRecord;
}

describe('forwardingStopOf', () => {
  it.each([
    [
      'DeleteRule on the forwarding rule',
      eventsCall('DeleteRule', { name: 'iam-changes-forward' }),
      'iam-changes-forward',
    ],
    ['DisableRule on it', eventsCall('DisableRule', { name: 'iam-changes-forward' }), 'iam-changes-forward'],
    [
      'RemoveTargets from it',
      eventsCall('RemoveTargets', { rule: 'iam-changes-forward', ids: ['x'] }),
      'iam-changes-forward',
    ],
    [
      'DeleteRule on the watch rule',
      eventsCall('DeleteRule', { name: 'iam-changes-forward-watch' }),
      'iam-changes-forward-watch',
    ],
    [
      'on the default bus by its ARN',
      eventsCall('DeleteRule', {
        name: 'iam-changes-forward',
        eventBusName: `arn:aws:events:us-east-1:${MEMBER}:event-bus/default`,
      }),
      'iam-changes-forward',
    ],
  ])('%s is a stop', (_, record, ruleName) => {
    expect(forwardingStopOf(record)).toMatchObject({
      ruleName,
      accountId: MEMBER,
      caller: `arn:aws:sts::${MEMBER}:assumed-role/Admin/mallory`,
      eventTime: '2026-12-04T10:00:00Z',
    });
  });

  it.each([
    ['another rule', eventsCall('DeleteRule', { name: 'app-rule' })],
    [
      'a rule of that name on another bus',
      eventsCall('DeleteRule', { name: 'iam-changes-forward', eventBusName: 'custom' }),
    ],
    [
      'a call that neither stops nor rewrites it',
      eventsCall('DescribeRule', { name: 'iam-changes-forward' }),
    ],
    [
      "a call on another account's default bus",
      eventsCall('DeleteRule', {
        name: 'iam-changes-forward',
        eventBusName: 'arn:aws:events:us-east-1:999999999999:event-bus/default',
      }),
    ],
    [
      'another service',
      eventsCall('DeleteRule', { name: 'iam-changes-forward' }, { eventSource: 'iam.amazonaws.com' }),
    ],
    ['no request', eventsCall('DeleteRule', {}, { requestParameters: null })],
  ])('%s is not', (_, record) => {
    expect(forwardingStopOf(record)).toBeUndefined();
  });

  // The attack: bending forwarding without stopping it, which the three stop calls alone never saw.
  it.each([
    [
      'PutRule disabling it',
      eventsCall('PutRule', { name: 'iam-changes-forward', state: 'DISABLED' }),
      undefined,
    ],
    [
      'PutRule narrowing its pattern to leave one caller out',
      eventsCall('PutRule', {
        name: 'iam-changes-forward',
        eventPattern:
          '{"detail":{"userIdentity":{"arn":[{"anything-but":"arn:aws:iam::222233334444:user/mallory"}]}}}',
        state: 'ENABLED',
      }),
      true,
    ],
    [
      'PutTargets aiming it elsewhere',
      eventsCall('PutTargets', {
        rule: 'iam-changes-forward',
        targets: [
          { id: 'iam-changes-central-bus', arn: 'arn:aws:events:us-east-1:222233334444:event-bus/sink' },
        ],
      }),
      true,
    ],
    ['PutRule on the watch rule', eventsCall('PutRule', { name: 'iam-changes-forward-watch' }), true],
  ])('%s is seen', (_, record, rewrite) => {
    const found = forwardingStopOf(record);
    expect(found).toMatchObject({ accountId: MEMBER });
    expect(found?.rewrite).toBe(rewrite);
  });

  it('keeps the error of a refused attempt', () => {
    const record = eventsCall('DeleteRule', { name: 'iam-changes-forward' }, { errorCode: 'AccessDenied' });
    expect(forwardingStopOf(record)?.errorCode).toBe('AccessDenied');
  });
});
