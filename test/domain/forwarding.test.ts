import { describe, expect, it } from 'vitest';
import {
  FORWARDED_EVENT_PATTERNS,
  FORWARDING_STOP_EVENTS,
  FORWARDING_STOP_PATTERN,
  type ForwardingRuleFacts,
  forwardingStopOf,
  healthKey,
  judgeForwarding,
  judgeMemberForwarding,
} from '../../src/domain/forwarding';
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

const BUS = 'arn:aws:events:us-east-1:222233334444:event-bus/iam-changes-org-prod';
const FORWARDER = `arn:aws:iam::${MEMBER}:role/iam-changes-forwarder`;

/** The rule as the member template makes it, with `changes` applied. */
function rule(changes: Partial<ForwardingRuleFacts> = {}): ForwardingRuleFacts {
  return {
    exists: true,
    state: 'ENABLED',
    eventPattern: JSON.stringify(FORWARDED_EVENT_PATTERNS.cis44),
    targets: [{ arn: BUS, roleArn: FORWARDER, transformsInput: false }],
    ...changes,
  };
}

describe('judgeForwarding', () => {
  const expected = { accountId: MEMBER, centralBusArn: BUS, allWrites: false };

  it.each([
    ["the template's rule", rule()],
    [
      'the same pattern with its lists in another order',
      rule({
        eventPattern: JSON.stringify({
          detail: {
            eventName: [...FORWARDED_EVENT_PATTERNS.cis44.detail.eventName].reverse(),
            eventSource: ['iam.amazonaws.com'],
          },
          'detail-type': ['AWS API Call via CloudTrail'],
          source: ['aws.iam'],
        }),
      }),
    ],
    [
      'every IAM write, more than the stack asks for',
      rule({ eventPattern: JSON.stringify(FORWARDED_EVENT_PATTERNS.allWrites) }),
    ],
    [
      'a second target beside the central bus',
      rule({
        targets: [
          { arn: BUS, roleArn: FORWARDER, transformsInput: false },
          { arn: 'arn:aws:sqs:us-east-1:555566667777:copy', transformsInput: true },
        ],
      }),
    ],
  ])('%s is whole', (_, facts) => {
    expect(judgeForwarding(facts, expected)).toEqual({ status: 'healthy' });
  });

  it.each([
    ['no rule', { exists: false, targets: [] }, ['missing']],
    ['a disabled rule', rule({ state: 'DISABLED' }), ['disabled']],
    [
      'a pattern leaving one caller out',
      rule({
        eventPattern: JSON.stringify({
          ...FORWARDED_EVENT_PATTERNS.cis44,
          detail: {
            ...FORWARDED_EVENT_PATTERNS.cis44.detail,
            userIdentity: { arn: [{ 'anything-but': `arn:aws:iam::${MEMBER}:user/mallory` }] },
          },
        }),
      }),
      ['pattern'],
    ],
    ['the CIS 4.4 calls only, when the stack forwards every write', rule(), ['pattern'], { allWrites: true }],
    ['a pattern that is no JSON', rule({ eventPattern: '{not json' }), ['pattern']],
    [
      'the target aimed at another bus',
      rule({
        targets: [
          {
            arn: 'arn:aws:events:us-east-1:999999999999:event-bus/sink',
            roleArn: FORWARDER,
            transformsInput: false,
          },
        ],
      }),
      ['retargeted'],
    ],
    ['no target at all', rule({ targets: [] }), ['retargeted']],
    [
      'the central bus put with another role',
      rule({
        targets: [{ arn: BUS, roleArn: `arn:aws:iam::${MEMBER}:role/no-put-events`, transformsInput: false }],
      }),
      ['target-role'],
    ],
    [
      'the forwarder role of another account',
      rule({
        targets: [
          {
            arn: BUS,
            roleArn: 'arn:aws:iam::999999999999:role/iam-changes-forwarder',
            transformsInput: false,
          },
        ],
      }),
      ['target-role'],
    ],
    [
      'the event replaced by a constant input',
      rule({ targets: [{ arn: BUS, roleArn: FORWARDER, transformsInput: true }] }),
      ['input'],
    ],
    ['disabled and retargeted at once', rule({ state: 'DISABLED', targets: [] }), ['disabled', 'retargeted']],
  ] as Array<[string, ForwardingRuleFacts, string[], { allWrites?: boolean }?]>)(
    '%s is broken',
    (_, facts, problems, options) => {
      expect(judgeForwarding(facts, { ...expected, ...options })).toEqual({ status: 'broken', problems });
    },
  );

  it('keys a state by its problems, in any order, and not by the reason it could not be checked', () => {
    expect(healthKey({ status: 'broken', problems: ['retargeted', 'disabled'] })).toBe(
      healthKey({ status: 'broken', problems: ['disabled', 'retargeted'] }),
    );
    expect(healthKey({ status: 'unchecked', reason: 'a' })).toBe(
      healthKey({ status: 'unchecked', reason: 'b' }),
    );
    expect(healthKey({ status: 'broken', problems: ['missing'] })).not.toBe(
      healthKey({ status: 'broken', problems: ['disabled'] }),
    );
  });
});

describe('judgeMemberForwarding', () => {
  const expected = { accountId: MEMBER, centralBusArn: BUS, allWrites: false };
  const watch = (changes: Partial<ForwardingRuleFacts> = {}) =>
    rule({ eventPattern: JSON.stringify(FORWARDING_STOP_PATTERN), ...changes });
  const narrowed = (detail: Record<string, unknown>) =>
    watch({
      eventPattern: JSON.stringify({
        ...FORWARDING_STOP_PATTERN,
        detail: { ...FORWARDING_STOP_PATTERN.detail, ...detail },
      }),
    });

  it('takes both rules as the template makes them as whole', () => {
    expect(judgeMemberForwarding({ forward: rule(), watch: watch() }, expected)).toEqual({
      status: 'healthy',
    });
  });

  it.each([
    ['no watch rule', rule(), { exists: false, targets: [] }, ['watch-missing']],
    ['a disabled watch rule', rule(), watch({ state: 'DISABLED' }), ['watch-disabled']],
    [
      'a watch rule no longer matching DeleteRule',
      rule(),
      narrowed({ eventName: ['PutRule', 'PutTargets'] }),
      ['watch-pattern'],
    ],
    [
      'a watch rule naming only itself',
      rule(),
      narrowed({ $or: [{ requestParameters: { name: ['iam-changes-forward-watch'] } }] }),
      ['watch-pattern'],
    ],
    [
      'a watch rule with the forwarding pattern',
      rule(),
      watch({ eventPattern: JSON.stringify(FORWARDED_EVENT_PATTERNS.cis44) }),
      ['watch-pattern'],
    ],
    ['a watch rule with no target', rule(), watch({ targets: [] }), ['watch-retargeted']],
    [
      'a watch rule sending a constant',
      rule(),
      watch({ targets: [{ arn: BUS, roleArn: FORWARDER, transformsInput: true }] }),
      ['watch-input'],
    ],
    [
      'both rules gone',
      { exists: false, targets: [] },
      { exists: false, targets: [] },
      ['missing', 'watch-missing'],
    ],
    ['the forwarding rule disabled only', rule({ state: 'DISABLED' }), watch(), ['disabled']],
  ] as Array<[string, ForwardingRuleFacts, ForwardingRuleFacts, string[]]>)(
    '%s is broken',
    (_, forward, watchFacts, problems) => {
      expect(judgeMemberForwarding({ forward, watch: watchFacts }, expected)).toEqual({
        status: 'broken',
        problems,
      });
    },
  );

  it('keeps the watch pattern to the calls the notices recognise', () => {
    expect([...FORWARDING_STOP_PATTERN.detail.eventName]).toEqual([...FORWARDING_STOP_EVENTS]);
  });
});
