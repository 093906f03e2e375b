/**
 * Names, not bare ids, through the real renderers: each message about one change's account (a mute's note and
 * line, the revert, quarantine and lift confirmations, the result of each) names the account as the directory
 * knew it when the change was posted — escaped like every other value — and shows the id alone when no name was
 * known.
 */
import type { ModalView } from '@slack/types';
import { describe, expect, it } from 'vitest';
import type { ChangeAccount } from '../../src/app/alert-port';
import type { FleetPlan, FleetResult } from '../../src/app/fleet-actions';
import type { LiftPreview, QuarantinePreview } from '../../src/app/quarantine-service';
import type { RevertOutcome, RevertPreview } from '../../src/app/revert-service';
import type { AccountFacts } from '../../src/domain/accounts';
import type { Expectation } from '../../src/domain/expectation';
import { assessChange } from '../../src/domain/explain';
import { type Mute, planMute } from '../../src/domain/mute';
import { quarantineDocument } from '../../src/domain/quarantine';
import { planRevert } from '../../src/domain/revert';
import type { AssessedChange } from '../../src/domain/types';
import { renderChange, type SlackMessage } from '../../src/slack/render';
import { accountNameMrkdwn } from '../../src/slack/render-account';
import { renderBurstBatch } from '../../src/slack/render-burst';
import {
  renderLiftConfirm,
  renderQuarantineConfirm,
  renderRevertConfirm,
} from '../../src/slack/render-confirm';
import { renderDigest } from '../../src/slack/render-digest';
import { renderExpectationList, renderExpectationPosted } from '../../src/slack/render-expectation';
import { renderFleetConfirm, renderFleetResults } from '../../src/slack/render-fleet';
import { muteLine, renderMutedNote, renderUnmutedNote } from '../../src/slack/render-mute';
import {
  renderLiftOutcome,
  renderQuarantineOutcome,
  renderRevertOutcome,
} from '../../src/slack/render-notice';
import { changeOf } from '../support/cloudtrail';
import { textOf } from '../support/responder-harness';

const ACCOUNT = '111122223333';
const NAMED: AccountFacts = { id: ACCOUNT, name: 'prod-payments <&>', ouPath: 'Root/Workloads/Prod' };
const ESCAPED_NAME = 'prod-payments &lt;&amp;&gt;';
/**
 * A name a member account gave itself (`account:PutAccountName`) to read as another account: in bold it would show
 * `prod-payments` then the code span `999988887777`.
 */
const SPOOFING: AccountFacts = { id: ACCOUNT, name: 'prod-payments* `999988887777` *', ouPath: 'Root/Prod' };
const SPOOFED_ID = '999988887777';
/** The spoofing name as shown: one code span (backticks shown as `'`), inside which nothing formats. */
const SPOOFING_SHOWN = "`prod-payments* '999988887777' *`";
const AT = '2026-11-20T14:05:00Z';
const META = { eventId: 'e-1', channel: 'C0ALERTS', ts: '1.000100' };
const BY = { slackUserId: 'U0ALICE', name: 'alice' };

function changeIn(account?: AccountFacts): AssessedChange {
  const change = assessChange(
    changeOf(
      'AttachRolePolicy',
      { roleName: 'app', policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' },
      { recipientAccountId: ACCOUNT },
    ),
    { expectedActors: [], trustedAccounts: [] },
  );
  return account ? { ...change, account } : change;
}

function muteFrom(change: AssessedChange): Mute {
  return planMute(
    change,
    { scope: 'resource', duration: '1h', reason: 'known migration', includesCritical: false },
    { id: 'm-1', by: BY, now: new Date(AT) },
  );
}

const target = { kind: 'role' as const, name: 'app', arn: `arn:aws:iam::${ACCOUNT}:role/app` };
const policyArn = `arn:aws:iam::${ACCOUNT}:policy/iam-changes-quarantine-1`;

function revertPreview(change: AssessedChange): RevertPreview {
  const beforeState = { state: {}, source: { kind: 'iam' as const, versionId: 'v1', detail: 'IAM' } };
  return {
    change,
    plan: planRevert(change, beforeState.state),
    beforeState,
    beforeSource: beforeState.source,
    drift: { drifted: false, expected: 'attached', current: 'attached' },
  };
}

function quarantinePreview(change: AssessedChange): QuarantinePreview {
  return {
    change,
    target,
    policyArn,
    steps: [],
    cli: [],
    alreadyQuarantined: false,
    document: quarantineDocument({ modes: ['deny-iam'] }),
    modes: ['deny-iam'],
    options: [{ mode: 'deny-iam', available: true }],
    activeKeys: [],
  };
}

function liftPreview(change: AssessedChange): LiftPreview {
  return {
    change,
    target,
    policyArn,
    steps: [],
    cli: [],
    keysToRestore: [],
    quarantine: { status: 'active', target, policyArn, by: BY, reason: 'contained', at: AT },
  } as LiftPreview;
}

function revertDone(change: AssessedChange): RevertOutcome {
  return {
    status: 'done',
    record: {
      status: 'done',
      claimId: 'c-1',
      by: BY,
      reason: 'not approved',
      at: AT,
      finishedAt: AT,
      steps: [],
    },
    preview: revertPreview(change),
    verification: { drifted: false, expected: 'detached', current: 'detached' },
  };
}

/** Each message naming the change's account, rendered for `change` (with or without the directory's facts). */
function messages(change: AssessedChange): Array<[string, SlackMessage | ModalView]> {
  const where: ChangeAccount = {
    accountId: change.accountId,
    ...(change.account ? { account: change.account } : {}),
  };
  const mute = muteFrom(change);
  const expectation: Expectation = {
    id: 'x-1',
    resource: 'role/app',
    accountId: change.accountId,
    ...(change.account?.name ? { accountName: change.account.name } : {}),
    note: 'deploy #812',
    startsAt: AT,
    endsAt: '2026-11-20T16:05:00Z',
    createdBy: BY,
  };
  return [
    ['the expectation announced', renderExpectationPosted(expectation)],
    ['the expectations listed', renderExpectationList([expectation], new Date(AT))],
    ['the muted note', renderMutedNote(mute)],
    ['the unmuted note', renderUnmutedNote(mute, BY)],
    [
      'the mute line',
      { text: '', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: muteLine(mute) } }] },
    ],
    ['the revert confirmation', renderRevertConfirm(revertPreview(change), META)],
    ['the quarantine confirmation', renderQuarantineConfirm(quarantinePreview(change), META)],
    ['the lift confirmation', renderLiftConfirm(liftPreview(change), META)],
    ['the revert result (done)', renderRevertOutcome(revertDone(change), BY, where)],
    [
      'the revert result (refused)',
      renderRevertOutcome(
        { ...revertDone(change), status: 'refused', reason: 'drifted' } as RevertOutcome,
        BY,
        where,
      ),
    ],
    [
      'the quarantine result (done)',
      renderQuarantineOutcome(
        { status: 'done', target, policyArn, modes: ['deny-iam'], deactivatedKeys: [], warnings: [] },
        BY,
        'contained',
        where,
      ),
    ],
    [
      'the quarantine result (failed)',
      renderQuarantineOutcome({ status: 'failed', error: 'AccessDenied', target }, BY, 'contained', where),
    ],
    [
      'the lift result',
      renderLiftOutcome(
        { status: 'lifted', target, policyArn, restoredKeys: [], warnings: [] } as Parameters<
          typeof renderLiftOutcome
        >[0],
        BY,
        'done',
        where,
      ),
    ],
  ];
}

describe('account names in responder messages', () => {
  it.each(messages(changeIn(NAMED)))('%s names the account, escaped, beside its id', (_name, message) => {
    const shown = textOf(message.blocks);
    expect(shown).toContain(`*${ESCAPED_NAME}*`);
    expect(shown).toContain(ACCOUNT);
    expect(shown).not.toContain('prod-payments <&>');
  });

  it.each(messages(changeIn()))('%s shows the id alone when no name is known', (_name, message) => {
    const shown = textOf(message.blocks);
    expect(shown).toContain(`\`${ACCOUNT}\``);
    expect(shown).not.toMatch(/undefined|\(\)|\*\* /);
  });

  it('a result names the account in its fallback text too', () => {
    const done = renderRevertOutcome(revertDone(changeIn(NAMED)), BY, { accountId: ACCOUNT, account: NAMED });
    expect(done.text).toBe(`Reverted in ${ESCAPED_NAME} (${ACCOUNT}) by alice`);
    const unnamed = renderRevertOutcome(revertDone(changeIn()), BY, { accountId: ACCOUNT });
    expect(unnamed.text).toBe(`Reverted in ${ACCOUNT} by alice`);
  });

  it("a mute keeps the account's name it had when made, and never matches on it", () => {
    const mute = muteFrom(changeIn(NAMED));
    expect(mute).toMatchObject({ accountId: ACCOUNT, accountName: NAMED.name });
    expect(muteFrom(changeIn({ id: '999999999999', name: 'other' })).accountName).toBeUndefined();
  });

  it('facts about another account are not shown as the change’s', () => {
    const change = { ...changeIn(), account: { id: '999999999999', name: 'elsewhere' } };
    const modal = renderRevertConfirm(revertPreview(change), META);
    expect(textOf(modal.blocks)).not.toContain('elsewhere');
    expect(textOf(modal.blocks)).toContain(`In account \`${ACCOUNT}\``);
  });
});

/** Every mrkdwn text in blocks (plain_text shows `*` and backticks as they are: nothing there formats). */
function mrkdwnOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(mrkdwnOf);
  if (typeof value !== 'object' || value === null) return [];
  const object = value as Record<string, unknown>;
  if (object.type === 'mrkdwn' && typeof object.text === 'string') return [object.text];
  return Object.values(object).flatMap(mrkdwnOf);
}

/** The mrkdwn of a message or a modal with the name's own code span taken out: what could pass for an id. */
function outsideTheName(message: { blocks?: unknown }): string {
  return mrkdwnOf(message.blocks).join('\n').split(SPOOFING_SHOWN).join('');
}

function respondedIn(change: AssessedChange) {
  return {
    change,
    delivery: 'grouped',
    attempts: 1,
    firstSeenAt: AT,
    updatedAt: AT,
  } as const;
}

describe('an account name made of mrkdwn', () => {
  const spoofed = changeIn(SPOOFING);
  const stored = respondedIn(spoofed);
  const fleetPlan = {
    action: 'revert',
    stored,
    preview: { plan: { cli: ['aws iam detach-role-policy --role-name app'] } },
  } as unknown as FleetPlan;
  const fleetResult = { action: 'revert', stored, outcome: { status: 'done' } } as unknown as FleetResult;
  const fleetMeta = { groupId: 'g-1', asOf: AT, channel: 'C0ALERTS', ts: '1.2' };
  const others: Array<[string, { blocks?: unknown }]> = [
    ['the alert', renderChange(spoofed)],
    ['a burst line', renderBurstBatch([spoofed])],
    ['the fleet confirmation', renderFleetConfirm('revert', [fleetPlan], fleetMeta)],
    ...renderFleetResults('revert', [fleetResult], BY, 'rollback').map((message): [string, SlackMessage] => [
      'the fleet result',
      message,
    ]),
    ...renderDigest(
      {
        day: '2026-11-19',
        count: 1,
        accounts: [
          {
            accountId: ACCOUNT,
            accountName: SPOOFING.name as string,
            count: 1,
            actors: [{ name: 'alice', level: 'critical', count: 1, events: [{ eventName: 'X', count: 1 }] }],
          },
        ],
      },
      ['critical'],
    ).map((message): [string, SlackMessage] => ['the digest', message]),
  ];

  it.each([...messages(spoofed), ...others])(
    '%s shows it as one inert code span beside the real id, never as another id',
    (_name, message) => {
      const shown = textOf(message.blocks as SlackMessage['blocks']);
      expect(shown).toContain(SPOOFING_SHOWN);
      expect(shown).toContain(ACCOUNT);
      expect(outsideTheName(message)).not.toContain(SPOOFED_ID);
    },
  );

  it('the revert, quarantine, lift and fleet confirmations show the id first', () => {
    for (const modal of [
      renderRevertConfirm(revertPreview(spoofed), META),
      renderQuarantineConfirm(quarantinePreview(spoofed), META),
      renderLiftConfirm(liftPreview(spoofed), META),
    ]) {
      expect(textOf(modal.blocks)).toContain(`In account \`${ACCOUNT}\` (${SPOOFING_SHOWN} · Root/Prod)`);
    }
    const fleet = textOf(renderFleetConfirm('revert', [fleetPlan], fleetMeta).blocks);
    expect(fleet).toContain(`\`${ACCOUNT}\` (${SPOOFING_SHOWN})`);
  });

  it.each([
    ['plain', 'prod-payments', '*prod-payments*'],
    ['underscores', 'prod_payments_', '`prod_payments_`'],
    ['a tilde', '~prod~', '`~prod~`'],
    ['a line break', 'prod\n*999988887777*', '`prod *999988887777*`'],
    ['Slack entities', 'a<b>&c', '*a&lt;b&gt;&amp;c*'],
  ])('a name with %s (%j) is shown inert', (_case, name, shown) => {
    expect(accountNameMrkdwn(name)).toBe(shown);
  });

  it('a name without formatting characters stays bold', () => {
    expect(textOf(renderChange(changeIn(NAMED)).blocks)).toContain(`*${ESCAPED_NAME}* \`${ACCOUNT}\``);
  });

  it('a burst line and a fleet line do not show facts about another account as the change’s', () => {
    const elsewhere = { ...changeIn(), account: { id: '999999999999', name: 'elsewhere' } };
    const plan = { ...fleetPlan, stored: respondedIn(elsewhere) } as FleetPlan;
    expect(textOf(renderBurstBatch([elsewhere]).blocks)).not.toContain('elsewhere');
    expect(textOf(renderFleetConfirm('revert', [plan], fleetMeta).blocks)).not.toContain('elsewhere');
  });
});
