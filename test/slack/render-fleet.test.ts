import { describe, expect, it } from 'vitest';
import type { FleetPlan, FleetResult } from '../../src/app/fleet-actions';
import type { RespondedChange } from '../../src/app/revert-port';
import { assessChange } from '../../src/domain/explain';
import type { QuarantineMode } from '../../src/domain/quarantine';
import {
  fleetMembersOf,
  parseFleetMetadata,
  renderFleetConfirm,
  renderFleetResults,
} from '../../src/slack/render-fleet';
import { assertBlockKitLimits } from '../support/block-kit-limits';
import { changeOf } from '../support/cloudtrail';
import { assertModalLimits } from '../support/modal-limits';

const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const META = { groupId: 'g-1', asOf: '2026-11-20T14:00:00.000Z', channel: 'C0ALERTS', ts: '1.2' };

function storedIn(account: string, roleName = 'break-glass'): RespondedChange {
  const change = assessChange(
    changeOf('AttachRolePolicy', { roleName, policyArn: ADMIN }, { recipientAccountId: account }),
    { expectedActors: [], trustedAccounts: [] },
  );
  return {
    change,
    delivery: 'grouped',
    attempts: 1,
    firstSeenAt: '2026-11-20T13:59:00.000Z',
    updatedAt: '2026-11-20T13:59:00.000Z',
  };
}

function revertPlan(stored: RespondedChange, refusal?: string): FleetPlan {
  const role = stored.change.target.name;
  return {
    action: 'revert',
    stored,
    preview: {
      plan: {
        cli: [
          `aws iam detach-role-policy --role-name ${role} --policy-arn ${ADMIN} # in ${stored.change.accountId}`,
        ],
      },
      ...(refusal ? { refusal } : {}),
    },
  } as unknown as FleetPlan;
}

function account(index: number): string {
  return String(600000000000 + index);
}

describe('renderFleetConfirm', () => {
  it('lists 500 accounts in one modal within Slack limits, the same calls once, refusals apart', () => {
    const plans = Array.from({ length: 500 }, (_, index) =>
      revertPlan(storedIn(account(index)), index === 7 ? 'the live state drifted' : undefined),
    );
    const view = renderFleetConfirm('revert', plans, META);

    assertModalLimits(view);
    const text = JSON.stringify(view);
    expect(text).toContain('In 499 accounts');
    expect(text).toContain('Refused in 1 account');
    expect(text).toContain('the live state drifted');
    expect(text).toContain('# in &lt;account&gt;');
    for (const index of [0, 250, 499]) expect(text).toContain(account(index));
    expect(view.submit?.text).toBe('Revert');
    // The responder chooses: all 499 that can run (the default), or some of them, each one option.
    const inputs = view.blocks.filter((block) => block.type === 'input') as unknown as Array<{
      block_id: string;
      element: {
        type: string;
        initial_option?: { value: string; text: { text: string } };
        option_groups?: Array<{ options: Array<{ value: string; text: { text: string } }> }>;
      };
    }>;
    expect(inputs.map((input) => input.block_id)).toEqual(['fleet_scope', 'fleet_accounts', 'reason']);
    expect(inputs[0]?.element.initial_option).toMatchObject({
      value: 'all',
      text: { text: 'All 499 accounts that can run' },
    });
    const groups = inputs[1]?.element.option_groups ?? [];
    expect(groups.map((group) => group.options.length)).toEqual([100, 100, 100, 100, 99]);
    const values = groups.flatMap((group) => group.options.map((option) => option.value));
    const runnable = plans.filter((_, index) => index !== 7).map((plan) => plan.stored.change.eventId);
    expect(values.sort()).toEqual([...runnable].sort());
    for (const group of groups)
      for (const option of group.options) expect(option.text.text.length).toBeLessThanOrEqual(75);
    expect(parseFleetMetadata(view.private_metadata)).toEqual(META);
  });

  it('offers no submit when no account can run it', () => {
    const view = renderFleetConfirm(
      'revert',
      [revertPlan(storedIn(account(1)), 'protected principal')],
      META,
    );

    assertModalLimits(view);
    expect(view.submit).toBeUndefined();
    expect(JSON.stringify(view.blocks)).not.toContain('"type":"input"');
  });

  it('escapes what came from the event', () => {
    const view = renderFleetConfirm('revert', [revertPlan(storedIn(account(1), '<!channel>-role'))], META);

    expect(JSON.stringify(view)).not.toContain('<!channel>');
  });
});

describe('parseFleetMetadata', () => {
  it.each([
    ['', undefined],
    ['not json', undefined],
    [JSON.stringify({ groupId: 'g' }), undefined],
    [JSON.stringify({ groupId: 'g', asOf: 'yesterday' }), undefined],
    [JSON.stringify({ eventId: 'e', asOf: META.asOf }), undefined],
    [JSON.stringify({ groupId: 'g', asOf: META.asOf }), { groupId: 'g', asOf: META.asOf }],
  ])('%s', (text, expected) => {
    expect(parseFleetMetadata(text)).toEqual(expected);
  });
});

describe('renderFleetResults', () => {
  it("reports each of 500 accounts' results in thread messages within Slack limits", () => {
    const results: FleetResult[] = Array.from({ length: 500 }, (_, index) => {
      const stored = storedIn(account(index));
      return index % 100 === 0
        ? { action: 'revert', stored, error: 'AccessDenied assuming the responder role' }
        : ({ action: 'revert', stored, outcome: { status: 'done' } } as unknown as FleetResult);
    });
    const messages = renderFleetResults(
      'revert',
      results,
      { slackUserId: 'U0ALICE', name: 'alice' },
      'rollback',
    );

    expect(messages.length).toBeGreaterThan(1);
    for (const message of messages) assertBlockKitLimits(message);
    const text = JSON.stringify(messages);
    expect(text).toContain('495 of 500 accounts done');
    expect(text).toContain(account(499));
    expect(text).toContain('AccessDenied assuming the responder role');
  });

  it('shows the modes of a quarantine escaped, whatever the record held', () => {
    // Modes come from the quarantine record in the table; a value that is not a mode must not reach Slack raw.
    const hostile = '<!channel> <https://evil.example|click>' as QuarantineMode;
    const target = { kind: 'user' as const, name: 'mallory' };
    const results: FleetResult[] = [
      {
        action: 'quarantine',
        stored: storedIn(account(1)),
        outcome: {
          status: 'modes-added',
          target,
          quarantinedFor: 'e-0',
          policyArn: 'arn:aws:iam::111122223333:policy/iam-changes/iam-changes-quarantine-x',
          added: [hostile],
          modes: ['deny-iam', hostile],
          deactivatedKeys: [],
          warnings: [],
        },
      },
      {
        action: 'quarantine',
        stored: storedIn(account(2)),
        outcome: {
          status: 'already-quarantined',
          target,
          policyArn: 'arn:aws:iam::111122223333:policy/iam-changes/iam-changes-quarantine-y',
          quarantinedFor: 'e-0',
          modes: ['deny-iam', hostile],
        },
      },
    ] as FleetResult[];

    const text = JSON.stringify(
      renderFleetResults('quarantine', results, { slackUserId: 'U0ALICE', name: 'alice' }, 'r'),
    );

    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<https://evil.example');
    expect(text).toContain('&lt;!channel&gt;');
  });
});

describe('fleetMembersOf', () => {
  const scope = (value: string) => ({ fleet_scope: { 'fleet.scope': { selected_option: { value } } } });
  const picked = (...values: string[]) => ({
    fleet_accounts: { 'fleet.accounts': { selected_options: values.map((value) => ({ value })) } },
  });

  it.each([
    ['no choice at all', {}, {}],
    ['all', { ...scope('all'), ...picked('e-2') }, {}],
    ['only some', { ...scope('chosen'), ...picked('e-2', 'e-1', 'e-2') }, { members: ['e-1', 'e-2'] }],
    [
      'only some, none picked',
      scope('chosen'),
      { error: 'Choose at least one account, or pick all of them.' },
    ],
  ])('%s', (_, values, expected) => {
    expect(fleetMembersOf(values)).toEqual(expected);
  });
});
