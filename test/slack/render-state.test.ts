import { describe, expect, it } from 'vitest';
import type { RespondedChange, RevertRecord } from '../../src/app/revert-port';
import { assessChange } from '../../src/domain/explain';
import type { AssessedChange } from '../../src/domain/types';
import { ACTION_IDS } from '../../src/slack/action-ids';
import { renderChange, type SlackMessage } from '../../src/slack/render';
import { withBurstCount } from '../../src/slack/render-burst';
import { mentionOf, renderAlertUpdate, withResponseState } from '../../src/slack/render-state';
import { assertBlockKitLimits } from '../support/block-kit-limits';
import { changeOf } from '../support/cloudtrail';

const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const ALICE = { slackUserId: 'U0ALICE', name: 'alice' };

function critical(): AssessedChange {
  return assessChange(changeOf('AttachRolePolicy', { roleName: 'ci-runner', policyArn: ADMIN }), {
    expectedActors: [],
    trustedAccounts: [],
  });
}

function stored(change: AssessedChange, extra: Partial<RespondedChange> = {}): RespondedChange {
  return {
    change,
    delivery: 'delivered',
    slack: { channel: 'C0ALERTS', ts: '1.000100' },
    attempts: 1,
    firstSeenAt: '2026-11-20T14:00:01Z',
    updatedAt: '2026-11-20T14:00:01Z',
    ...extra,
  };
}

function revert(status: RevertRecord['status'], extra: Partial<RevertRecord> = {}): RevertRecord {
  return {
    status,
    claimId: 'claim-1',
    by: ALICE,
    reason: 'not approved',
    at: '2026-11-20T14:05:00Z',
    steps: [],
    ...(status === 'claimed' ? {} : { finishedAt: '2026-11-20T14:05:03Z' }),
    ...extra,
  };
}

function buttons(message: SlackMessage): string[] {
  return message.blocks.flatMap((block) =>
    block.type === 'actions'
      ? block.elements.map((element) => ('action_id' in element ? String(element.action_id) : ''))
      : [],
  );
}

function text(message: SlackMessage): string {
  return JSON.stringify(message.blocks);
}

describe('withResponseState', () => {
  it('shows who acknowledged and when, drops the Acknowledge button, and never pings <!here> again', () => {
    const change = critical();
    const alert = renderChange(change);
    expect(alert.text).toContain('<!here>');

    const message = withResponseState(
      alert,
      stored(change, { acknowledgement: { by: ALICE, at: '2026-11-20T14:02:00Z' } }),
    );

    expect(buttons(message)).toEqual([ACTION_IDS.VIEW_DIFF, ACTION_IDS.REVERT, ACTION_IDS.QUARANTINE]);
    const seconds = Date.parse('2026-11-20T14:02:00Z') / 1000;
    expect(text(message)).toContain(`Acknowledged* by <@U0ALICE> at <!date^${seconds}^`);
    expect(JSON.stringify(message)).not.toContain('<!here>');
    expect(message.text).toMatch(/^\[acknowledged by alice\] CRITICAL:/);
    assertBlockKitLimits(message);
  });

  it('puts the state just above the buttons', () => {
    const change = critical();
    const message = withResponseState(
      renderChange(change),
      stored(change, { acknowledgement: { by: ALICE, at: '2026-11-20T14:02:00Z' } }),
    );
    const types = message.blocks.map((block) => block.type);
    expect(types.slice(-2)).toEqual(['context', 'actions']);
  });

  it('shows a done revert with its reason, escaped, and drops the Revert button', () => {
    const change = critical();
    const message = withResponseState(
      renderChange(change, { mentionOnCritical: false }),
      stored(change, { revert: revert('done', { reason: 'ping <!channel> & <@U999>' }) }),
    );

    expect(buttons(message)).not.toContain(ACTION_IDS.REVERT);
    expect(text(message)).toContain('Reverted* by <@U0ALICE>');
    expect(text(message)).toContain('ping &lt;!channel&gt; &amp; &lt;@U999&gt;');
    expect(text(message)).not.toContain('<!channel>');
    expect(message.text).toMatch(/^\[reverted\]/);
  });

  it.each([
    ['claimed', 'Revert in progress', false],
    ['failed', 'Revert failed', false],
    ['refused', 'Revert refused', true],
  ] as const)(
    'a %s revert reads "%s"; the Revert button stays only when it may be tried again',
    (status, words, kept) => {
      const change = critical();
      const message = withResponseState(
        renderChange(change),
        stored(change, { revert: revert(status, { error: 'the live state changed' }) }),
      );
      expect(text(message)).toContain(words);
      expect(buttons(message).includes(ACTION_IDS.REVERT)).toBe(kept);
      assertBlockKitLimits(message);
    },
  );

  it('replaces Quarantine caller with Lift quarantine while quarantined, and brings it back once lifted', () => {
    const change = critical();
    const quarantine = {
      status: 'active' as const,
      target: { kind: 'user' as const, name: 'alice' },
      policyArn: 'arn:aws:iam::111122223333:policy/iam-changes/iam-changes-quarantine',
      by: ALICE,
      reason: 'keys leaked',
      at: '2026-11-20T14:06:00Z',
    };

    const active = withResponseState(renderChange(change), stored(change, { quarantine }));
    const lifted = withResponseState(
      renderChange(change),
      stored(change, {
        quarantine: {
          ...quarantine,
          status: 'lifted',
          lifted: {
            by: { slackUserId: 'U0BOB', name: 'bob' },
            reason: 'rotated',
            at: '2026-11-20T15:00:00Z',
          },
        },
      }),
    );

    expect(buttons(active)).toEqual([
      ACTION_IDS.ACKNOWLEDGE,
      ACTION_IDS.VIEW_DIFF,
      ACTION_IDS.REVERT,
      ACTION_IDS.LIFT_QUARANTINE,
    ]);
    expect(text(active)).toContain('Caller quarantined* by <@U0ALICE>');
    expect(text(active)).toContain('`user/alice`');
    expect(buttons(lifted)).toContain(ACTION_IDS.QUARANTINE);
    expect(buttons(lifted)).not.toContain(ACTION_IDS.LIFT_QUARANTINE);
    expect(text(lifted)).toContain('Quarantine lifted* by <@U0BOB>');
    assertBlockKitLimits(active);
    assertBlockKitLimits(lifted);
  });

  it('drops the buttons block when nothing is left to click', () => {
    const change = assessChange(
      changeOf(
        'AttachRolePolicy',
        { roleName: 'r', policyArn: ADMIN },
        {
          userIdentity: {
            type: 'Root',
            arn: 'arn:aws:iam::111122223333:root',
            accountId: '111122223333',
            principalId: '111122223333',
          },
        },
      ),
      { expectedActors: [], trustedAccounts: [] },
    );
    const message = withResponseState(
      renderChange(change),
      stored(change, { acknowledgement: { by: ALICE, at: '2026-11-20T14:02:00Z' }, revert: revert('done') }),
    );
    expect(buttons(message)).toEqual([ACTION_IDS.VIEW_DIFF]);
  });

  it('keeps a burst count note and the 50-block limit', () => {
    const change = critical();
    const burst = withBurstCount(renderChange(change), { more: 12, startedAt: '2026-11-20T14:00:00Z' });
    const message = withResponseState(
      burst,
      stored(change, { acknowledgement: { by: ALICE, at: '2026-11-20T14:02:00Z' } }),
    );
    expect(text(message)).toContain('+12 more changes');
    assertBlockKitLimits(message);

    const padded: SlackMessage = {
      text: 'x',
      blocks: [
        ...Array.from({ length: 49 }, () => ({ type: 'divider' as const })),
        ...renderChange(change).blocks.slice(-1),
      ],
    };
    const capped = withResponseState(
      padded,
      stored(change, { acknowledgement: { by: ALICE, at: '2026-11-20T14:02:00Z' } }),
    );
    expect(capped.blocks).toHaveLength(50);
    expect(capped.blocks.at(-1)?.type).toBe('actions');
    expect(capped.blocks.at(-2)?.type).toBe('context');
  });

  it('leaves an alert nobody responded to as it was, mention aside', () => {
    const change = critical();
    const quiet = renderChange(change, { mentionOnCritical: false });
    expect(withResponseState(renderChange(change), stored(change))).toEqual(quiet);
  });
});

describe('renderAlertUpdate', () => {
  it('re-renders a burst parent with its running count and what responders did, pinging nobody', () => {
    const change = critical();
    const message = renderAlertUpdate(
      stored(change, {
        burstNote: { more: 7, startedAt: '2026-11-20T14:00:00Z' },
        acknowledgement: { by: ALICE, at: '2026-11-20T14:02:00Z' },
      }),
    );
    expect(text(message)).toContain('+7 more changes');
    expect(text(message)).toContain('Acknowledged* by <@U0ALICE>');
    expect(text(message)).not.toContain('<!here>');
    expect(buttons(message)).not.toContain(ACTION_IDS.ACKNOWLEDGE);
    assertBlockKitLimits(message);
  });

  it('re-renders any other alert as its responded state alone', () => {
    const change = critical();
    const responded = stored(change, { revert: revert('done') });
    expect(renderAlertUpdate(responded)).toEqual(
      withResponseState(renderChange(change, { mentionOnCritical: false }), responded),
    );
  });
});

describe('mentionOf', () => {
  it('mentions a Slack user by id, and escapes a name when there is none', () => {
    expect(mentionOf(ALICE)).toBe('<@U0ALICE>');
    expect(mentionOf({ name: '<!channel> bob' })).toBe('*&lt;!channel&gt; bob*');
    expect(mentionOf({ slackUserId: 'not an id>', name: 'eve' })).toBe('*eve*');
  });
});
