import { describe, expect, it } from 'vitest';
import { alertStateOf } from '../../src/app/alert-state';
import type { RespondedChange, RevertRecord } from '../../src/app/revert-port';
import { assessChange } from '../../src/domain/explain';
import type { AssessedChange } from '../../src/domain/types';
import { ACTION_IDS } from '../../src/slack/action-ids';
import { renderChange, type SlackMessage } from '../../src/slack/render';
import { withBurstCount } from '../../src/slack/render-burst';
import { mentionOf, renderAlertUpdate, withResponseState } from '../../src/slack/render-state';
import { assertBlockKitLimits } from '../support/block-kit-limits';
import { changeOf } from '../support/cloudtrail';
import { withAdministratorDocument } from '../support/policy-content';

const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const ALICE = { slackUserId: 'U0ALICE', name: 'alice' };

function critical(): AssessedChange {
  // Judged by what AdministratorAccess grants, as notify resolves it.
  const change = withAdministratorDocument(
    changeOf('AttachRolePolicy', { roleName: 'ci-runner', policyArn: ADMIN }),
  );
  return assessChange(change, {
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

    expect(buttons(message)).toEqual([
      ACTION_IDS.VIEW_DIFF,
      ACTION_IDS.REVERT,
      ACTION_IDS.QUARANTINE,
      ACTION_IDS.MUTE,
    ]);
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
      ACTION_IDS.MUTE,
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

  it('shows the modes now in force and who added modes to the quarantine', () => {
    const change = critical();
    const quarantine = {
      status: 'active' as const,
      target: { kind: 'user' as const, name: 'alice' },
      policyArn: 'arn:aws:iam::111122223333:policy/iam-changes/iam-changes-quarantine-b2b2b2b2',
      modes: ['deny-iam' as const, 'deactivate-keys' as const],
      by: ALICE,
      reason: 'first look',
      at: '2026-11-20T14:06:00Z',
      modesAdded: [
        {
          id: 'x',
          by: { slackUserId: 'U0BOB', name: 'bob' },
          reason: 'keys leaked',
          at: '2026-11-20T14:30:00Z',
          added: ['deactivate-keys' as const],
          eventId: 'e-2',
          policyArn: 'arn:aws:iam::111122223333:policy/iam-changes/iam-changes-quarantine-b2b2b2b2',
          replacedPolicyArn: 'arn:aws:iam::111122223333:policy/iam-changes/iam-changes-quarantine-a1a1a1a1',
        },
      ],
    };

    const active = withResponseState(renderChange(change), stored(change, { quarantine }));

    expect(text(active)).toContain('(modes `deny-iam, deactivate-keys`)');
    expect(text(active)).toContain('`deactivate-keys` added by <@U0BOB>');
    expect(buttons(active)).toContain(ACTION_IDS.LIFT_QUARANTINE);
    assertBlockKitLimits(active);
  });

  it('keeps only what is still worth clicking when the change is handled', () => {
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
    expect(buttons(message)).toEqual([ACTION_IDS.VIEW_DIFF, ACTION_IDS.MUTE]);
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

describe('alert states at a glance', () => {
  const QUARANTINE = {
    target: { kind: 'user' as const, name: 'alice' },
    policyArn: 'arn:aws:iam::111122223333:policy/iam-changes/iam-changes-quarantine',
    by: ALICE,
    reason: 'keys leaked',
    at: '2026-11-20T14:06:00Z',
  };
  const JANE = { slackUserId: 'U0JANE', name: 'jane' };

  function headerOf(message: SlackMessage): string {
    const block = message.blocks[0];
    return block?.type === 'header' ? block.text.text : '';
  }

  function colourOf(message: SlackMessage): string | undefined {
    expect(message.attachments).toHaveLength(1);
    return message.attachments?.[0]?.color;
  }

  function statusOf(message: SlackMessage): string {
    return JSON.stringify(message.attachments?.[0]?.blocks);
  }

  it.each<[string, Partial<RespondedChange>, RegExp, string, RegExp]>([
    [
      'acknowledged',
      { acknowledgement: { by: ALICE, at: '2026-11-20T14:02:00Z' } },
      /^:eyes: Acknowledged by alice — CRITICAL · /,
      '#1D9BD1',
      /\*In hand\* — acknowledged by <@U0ALICE>/,
    ],
    [
      'reverting',
      { revert: revert('claimed') },
      /^:hourglass_flowing_sand: Reverting — CRITICAL · /,
      '#1D9BD1',
      /revert in progress by <@U0ALICE>/,
    ],
    [
      'reverted',
      { revert: revert('done') },
      /^:white_check_mark: Reverted — was CRITICAL · /,
      '#2EB67D',
      /\*Handled\* — reverted by <@U0ALICE>/,
    ],
    [
      'reverted in a dry run',
      { revert: revert('done', { dryRun: true }) },
      /^:white_check_mark: Reverted \(dry run\) — was CRITICAL · /,
      '#2EB67D',
      /a dry run: IAM was only simulated/,
    ],
    [
      'revert failed',
      { revert: revert('failed', { error: 'AccessDenied' }) },
      /^:x: Revert failed — CRITICAL · /,
      '#E01E5A',
      /\*Open\* — the revert by <@U0ALICE> failed: finish it by hand/,
    ],
    [
      'quarantining',
      { quarantine: { ...QUARANTINE, status: 'claimed' } },
      /^:hourglass_flowing_sand: Quarantining the caller — CRITICAL · /,
      '#1D9BD1',
      /quarantine being applied/,
    ],
    [
      'quarantined',
      { quarantine: { ...QUARANTINE, status: 'active' } },
      /^:lock: Caller quarantined — CRITICAL · /,
      '#2EB67D',
      /the change itself still stands until reverted/,
    ],
    [
      'confirmed by the actor',
      {
        actorAnswer: {
          answer: 'confirmed',
          by: JANE,
          at: '2026-11-20T14:03:00Z',
          reason: 'deploy',
          ticket: '#812',
        },
      },
      /^:ballot_box_with_check: Confirmed by jane — CRITICAL · /,
      '#E01E5A',
      /\*Open critical\* — confirmed by <@U0JANE> as their change; a responder still has to acknowledge or revert it/,
    ],
    [
      'denied by the actor',
      { actorAnswer: { answer: 'denied', by: JANE, at: '2026-11-20T14:03:00Z' } },
      /^:warning: jane says it wasn't them — CRITICAL · /,
      '#E01E5A',
      /<@U0JANE> says they did not make this change/,
    ],
  ])('%s: the header, the colour and the status line say so', (_name, extra, header, colour, status) => {
    const change = critical();
    const message = withResponseState(renderChange(change), stored(change, extra));

    expect(headerOf(message)).toMatch(header);
    expect(headerOf(message)).toContain('Attached AdministratorAccess');
    expect(colourOf(message)).toBe(colour);
    expect(statusOf(message)).toMatch(status);
    assertBlockKitLimits(message);
  });

  it('a "Yes" from the actor never handles an alert: a critical stays open, anything else is in hand until a responder acts', () => {
    const yes = {
      actorAsk: { slackUserId: 'U0JANE', source: 'iam-tag', at: '2026-11-20T14:01:00Z' },
      actorAnswer: { answer: 'confirmed' as const, by: JANE, at: '2026-11-20T14:03:00Z', reason: 'deploy' },
    };
    const change = critical();
    const confirmed = stored(change, yes);
    expect(alertStateOf(confirmed)).toMatchObject({ status: 'confirmed', handling: 'open' });
    const lower = { ...change, risk: { ...change.risk, level: 'high' as const } };
    expect(alertStateOf(stored(lower, yes))).toMatchObject({ status: 'confirmed', handling: 'in-hand' });
    const message = withResponseState(renderChange(change), confirmed);
    expect(colourOf(message)).toBe('#E01E5A');
    // The alert says how the person asked was found, so responders weigh the "Yes".
    expect(JSON.stringify(message.blocks)).toContain("<@U0JANE> was found by the IAM user's own tag");
    const acknowledged = stored(change, {
      ...yes,
      acknowledgement: { by: { slackUserId: 'U0ALICE', name: 'alice' }, at: '2026-11-20T14:05:00Z' },
    });
    expect(alertStateOf(acknowledged)).toMatchObject({ status: 'acknowledged', handling: 'in-hand' });
  });

  it('an ask whose DM could not be sent says the person could not be asked, and why', () => {
    const change = critical();
    const failed = stored(change, {
      actorAsk: {
        slackUserId: 'U0JANE',
        source: 'mapping',
        at: '2026-11-20T14:01:00Z',
        dmFailed: { at: '2026-11-20T14:01:01Z', why: 'Slack said: ratelimited' },
      },
    });
    const text = JSON.stringify(withResponseState(renderChange(change), failed).blocks);
    expect(text).toContain('could not be asked');
    expect(text).toContain('ratelimited');
    expect(text).not.toContain('has not answered');
  });

  it('tells an open critical from a handled one by its header emoji and its colour', () => {
    const change = critical();
    const open = renderChange(change);
    const handled = withResponseState(renderChange(change), stored(change, { revert: revert('done') }));

    expect(headerOf(open)).toMatch(/^:rotating_light: CRITICAL · /);
    expect(colourOf(open)).toBe('#E01E5A');
    expect(statusOf(open)).toContain('*Open critical* — nobody has acknowledged it yet');
    expect(headerOf(handled)).toMatch(/^:white_check_mark: /);
    expect(colourOf(handled)).not.toBe(colourOf(open));
    assertBlockKitLimits(open);
  });

  it('colours an open alert by its level', () => {
    const low = assessChange(
      changeOf('PutRolePolicy', {
        roleName: 'app',
        policyName: 'read',
        policyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }],
        }),
      }),
      { expectedActors: [], trustedAccounts: [] },
    );
    expect(low.risk.level).not.toBe('critical');
    expect(colourOf(renderChange(low))).not.toBe('#E01E5A');
    expect(statusOf(renderChange(low))).toContain('*Open* — nobody');
  });

  it('decides by the most decisive response: a revert outranks an acknowledgement and a quarantine', () => {
    const change = critical();
    const message = withResponseState(
      renderChange(change),
      stored(change, {
        acknowledgement: { by: ALICE, at: '2026-11-20T14:02:00Z' },
        quarantine: { ...QUARANTINE, status: 'active' },
        revert: revert('done'),
      }),
    );
    expect(headerOf(message)).toMatch(/^:white_check_mark: Reverted — was CRITICAL/);
    // Every line of what happened is still listed under the alert.
    expect(text(message)).toContain('Acknowledged* by');
    expect(text(message)).toContain('Caller quarantined* by');
  });

  it('escapes a responder name in the header and never lets it grow past 150 characters', () => {
    const change = critical();
    const message = withResponseState(
      renderChange(change),
      stored(change, {
        acknowledgement: { by: { name: `<!channel> ${'x'.repeat(200)}` }, at: '2026-11-20T14:02:00Z' },
      }),
    );
    expect(headerOf(message)).toContain('&lt;!channel&gt;');
    expect(headerOf(message).length).toBeLessThanOrEqual(150);
    assertBlockKitLimits(message);
  });
});
