import { describe, expect, it } from 'vitest';
import type { FleetPlan, FleetResult } from '../../src/app/fleet-actions';
import type { RespondedChange } from '../../src/app/revert-port';
import { assessChange } from '../../src/domain/explain';
import { parseFleetMetadata, renderFleetConfirm, renderFleetResults } from '../../src/slack/render-fleet';
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
    expect(view.submit?.text).toBe('Revert in 499');
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
});
