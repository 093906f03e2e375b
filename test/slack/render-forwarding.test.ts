/**
 * The forwarding notices and the forwarding check's findings as Slack messages: hostile values from events, AWS
 * errors and the account directory (an account named `<!channel>`, a caller session named so, an error message
 * quoting markup) ping nobody and stay inside Block Kit's limits, however long they are.
 */
import { describe, expect, it } from 'vitest';
import type { ForwardingNotice } from '../../src/app/forwarding-notices';
import type { ForwardingStop } from '../../src/domain/forwarding';
import {
  renderForwardingFinding,
  renderForwardingNotice,
  renderForwardingSummary,
} from '../../src/slack/slack-alert-channel';
import { assertBlockKitLimits } from '../support/block-kit-limits';

const ACCOUNT = '555566667777';
const HOSTILE = `<!channel> <@U123> &amp; ${'x'.repeat(5000)}`;

function stop(changes: Partial<ForwardingStop> = {}): ForwardingStop {
  return {
    eventId: 'e1',
    eventName: 'DeleteRule',
    ruleName: 'iam-changes-forward',
    accountId: ACCOUNT,
    caller: `arn:aws:sts::${ACCOUNT}:assumed-role/Admin/${HOSTILE}`,
    eventTime: '2026-12-04T10:00:00Z',
    ...changes,
  };
}

function expectSafe(message: { text: string; blocks: unknown[] }, mention: boolean): void {
  assertBlockKitLimits(message);
  const all = JSON.stringify(message);
  expect(all).not.toContain('<!channel>');
  expect(all).not.toContain('<@U123>');
  expect(all.includes('<!here>')).toBe(mention);
}

describe('renderForwardingNotice', () => {
  const account = { id: ACCOUNT, name: HOSTILE, ouPath: HOSTILE };

  it('escapes and bounds a lone stop, calling attention only when told to', () => {
    const notice: ForwardingNotice = {
      kind: 'stop',
      first: stop(),
      last: stop(),
      count: 1,
      account,
      mention: true,
    };
    expectSafe(renderForwardingNotice(notice), true);
    expectSafe(renderForwardingNotice({ ...notice, mention: false }), false);
  });

  it('names the count and the last call of a repeated attempt, escaped, never with @here', () => {
    const last = stop({ eventId: 'e200', errorCode: `AccessDenied ${HOSTILE}`, caller: `last ${HOSTILE}` });
    const notice: ForwardingNotice = {
      kind: 'attempt',
      first: stop({ errorCode: 'AccessDenied' }),
      last,
      count: 200,
      account,
      mention: false,
    };
    const message = renderForwardingNotice(notice);
    expectSafe(message, false);
    expect(message.text).toContain('200 refused attempts');
    expect(JSON.stringify(message.blocks)).toContain('*200 refused attempts* in this account');
  });
});

describe('renderForwardingFinding', () => {
  const account = { id: ACCOUNT, name: HOSTILE };

  it.each([
    ['broken', { status: 'broken', problems: ['missing'] }, true],
    ['broken in every way', { status: 'broken', problems: ['disabled', 'pattern', 'retargeted'] }, true],
    ['its watch broken', { status: 'broken', problems: ['watch-missing', 'watch-pattern'] }, true],
    [
      'not checkable, with a hostile error',
      { status: 'unchecked', reason: `AccessDenied: ${HOSTILE}` },
      false,
    ],
    [
      'no longer checkable, with a hostile error',
      { status: 'unchecked', reason: `AccessDenied: ${HOSTILE}` },
      true,
    ],
    ['restored', { status: 'healthy' }, false],
  ] as const)('%s is escaped and bounded', (_, health, mention) => {
    expectSafe(
      renderForwardingFinding({
        account,
        health: health as Parameters<typeof renderForwardingFinding>[0]['health'],
        previous: { status: 'broken', problems: ['missing'] },
        mention,
      }),
      mention,
    );
  });

  it('says what is wrong in words, and that an account not checkable is not known to work', () => {
    const broken = JSON.stringify(
      renderForwardingFinding({
        account: { id: ACCOUNT, name: 'prod-payments' },
        health: { status: 'broken', problems: ['disabled', 'retargeted'] },
        mention: true,
      }).blocks,
    );
    expect(broken).toContain('the rule is disabled; the rule no longer targets the central event bus');
    const unchecked = renderForwardingFinding({
      account: { id: ACCOUNT, name: 'prod-payments' },
      health: { status: 'unchecked', reason: 'AccessDenied: not authorized to perform sts:AssumeRole' },
      mention: false,
    });
    expect(unchecked.text).toBe(`Forwarding cannot be checked in account prod-payments (${ACCOUNT})`);
    expect(JSON.stringify(unchecked.blocks)).toContain('It is not known to be working');
  });

  it('tells a broken watch rule apart from broken forwarding, and forwarding broken first when both are', () => {
    const watchOnly = renderForwardingFinding({
      account: { id: ACCOUNT, name: 'prod-payments' },
      health: { status: 'broken', problems: ['watch-disabled'] },
      mention: true,
    });
    expect(watchOnly.text).toBe(
      `<!here> Forwarding watch broken: a stop of IAM change forwarding from account prod-payments (${ACCOUNT}) would go unseen`,
    );
    expect(JSON.stringify(watchOnly.blocks)).toContain('the watch rule is disabled');
    const both = renderForwardingFinding({
      account: { id: ACCOUNT, name: 'prod-payments' },
      health: { status: 'broken', problems: ['missing', 'watch-missing'] },
      mention: true,
    });
    expect(both.text).toContain('Forwarding broken: IAM changes from account prod-payments');
    expect(JSON.stringify(both.blocks)).toContain(
      'the rule `iam-changes-forward` is gone; the watch rule `iam-changes-forward-watch` is gone',
    );
  });
});

describe('renderForwardingSummary', () => {
  const many = (count: number, name: (i: number) => string) =>
    Array.from({ length: count }, (_, i) => ({
      id: String(100000000000 + i),
      name: name(i),
      ouPath: HOSTILE,
    }));

  it.each([
    ['broken', { status: 'broken', problems: ['target-role'] }, true],
    ['not checkable', { status: 'unchecked', reason: `AccessDenied: ${HOSTILE}` }, false],
  ] as const)('names many hostile-named accounts %s within the limits', (_, health, mention) => {
    const message = renderForwardingSummary({
      health: health as Parameters<typeof renderForwardingSummary>[0]['health'],
      accounts: many(200, () => HOSTILE),
      mention,
    });
    expectSafe(message, mention);
    expect(JSON.stringify(message.blocks)).toContain('and 170 more');
  });

  it('names each account and says an upgrade not rolled out does this too', () => {
    const message = renderForwardingSummary({
      health: { status: 'broken', problems: ['watch-missing'] },
      accounts: many(7, (i) => `prod-${i}`),
      mention: true,
    });
    expect(message.text).toBe(
      '<!here> Forwarding watch broken in 7 accounts: a stop of their IAM change forwarding would go unseen',
    );
    const blocks = JSON.stringify(message.blocks);
    for (let i = 0; i < 7; i += 1) expect(blocks).toContain(`*prod-${i}*`);
    expect(blocks).toContain('responder-role.yml');
  });
});
