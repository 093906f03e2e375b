/**
 * A hostile name through every renderer a responder sees: a role called `<!channel> http://evil.example
 * #general` with a right-to-left override and a NUL in it, and a responder whose display name is `<!here>`. None
 * may ping, link or reorder anything — in the blocks or in the fallback `text`.
 */

import type { HomeView, KnownBlock, ModalView } from '@slack/types';
import { describe, expect, it } from 'vitest';
import type { QuarantinePreview } from '../../src/app/quarantine-service';
import type {
  QuarantineRecord,
  RespondedChange,
  RevertRecord,
  RevertStepResult,
} from '../../src/app/revert-port';
import type { RevertOutcome, RevertPreview } from '../../src/app/revert-service';
import { diffDocuments, riskDelta } from '../../src/domain/diff';
import { assessChange } from '../../src/domain/explain';
import { withManagedPolicy } from '../../src/domain/managed-policy';
import { parsePolicyDocument } from '../../src/domain/policy';
import { quarantineDocument } from '../../src/domain/quarantine';
import { planRevert, toCliCommand } from '../../src/domain/revert';
import type { AssessedChange } from '../../src/domain/types';
import { renderChange, type SlackMessage } from '../../src/slack/render';
import { renderQuarantineConfirm, renderRevertConfirm } from '../../src/slack/render-confirm';
import { renderDiffModal } from '../../src/slack/render-diff';
import { renderHome } from '../../src/slack/render-home';
import {
  renderAcknowledgedNote,
  renderAlreadyAcknowledged,
  renderQuarantineOutcome,
  renderRequestedNote,
  renderRevertOutcome,
} from '../../src/slack/render-notice';
import { renderAlertUpdate } from '../../src/slack/render-state';
import { changeOf } from '../support/cloudtrail';

const HOSTILE = '<!channel> http://evil.example #general\u202Egnp.exe\u0000';
const ESCAPED = '&lt;!channel&gt; http://evil.example #general[U+202E]gnp.exe[U+0000]';
const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const AT = '2026-11-20T14:05:00Z';
const META = { eventId: 'e-1', channel: 'C0ALERTS', ts: '1.000100' };
/** A responder known only by name (no Slack id), so the name itself is what is shown. */
const BY_NAME = { name: HOSTILE };
// biome-ignore lint/suspicious/noControlCharactersInRegex: the controls are what must not reach Slack
const INVISIBLE = /[\u0000-\u0008\u000b-\u001f\u007f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

interface TextObject {
  type: string;
  text: string;
  verbatim?: boolean;
}

function isTextObject(value: unknown): value is TextObject {
  if (typeof value !== 'object' || value === null) return false;
  const { type, text } = value as Record<string, unknown>;
  return (type === 'mrkdwn' || type === 'plain_text') && typeof text === 'string';
}

/** Every text object in blocks or a view, deep. */
function textObjects(value: unknown): TextObject[] {
  if (Array.isArray(value)) return value.flatMap(textObjects);
  if (typeof value !== 'object' || value === null) return [];
  const own = isTextObject(value) ? [value] : [];
  return [...own, ...Object.values(value).flatMap(textObjects)];
}

/** Every string in blocks or a view, deep (button values included: they reach Slack too). */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (typeof value === 'object' && value !== null) return Object.values(value).flatMap(strings);
  return [];
}

/**
 * What must hold for anything shown in Slack: no raw `<!channel>` or invisible control anywhere, the hostile name
 * escaped in at least one mrkdwn object, and every mrkdwn object carrying it `verbatim` (plain_text objects
 * neither link nor mention, and Slack allows `verbatim` only on mrkdwn).
 */
function expectSafe(shown: { blocks: unknown; text?: string }): void {
  const all = [...strings(shown.blocks), ...(shown.text === undefined ? [] : [shown.text])];
  for (const text of all) {
    expect(text).not.toContain('<!channel>');
    expect(text).not.toMatch(INVISIBLE);
  }
  const carriers = textObjects(shown.blocks).filter(
    (object) => object.type === 'mrkdwn' && object.text.includes('&lt;!channel&gt;'),
  );
  expect(carriers.length).toBeGreaterThan(0);
  for (const carrier of carriers) expect(carrier.verbatim).toBe(true);
  expect(all.join('\n')).toContain('[U+202E]');
  expect(all.join('\n')).toContain('[U+0000]');
}

function hostileChange(): AssessedChange {
  const attach = withManagedPolicy(changeOf('AttachRolePolicy', { roleName: HOSTILE, policyArn: ADMIN }), {
    source: 'catalogue',
    versionId: 'v1',
    document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['*'], Resource: ['*'] }] },
  });
  return assessChange(attach, { expectedActors: [], trustedAccounts: [] });
}

function responded(change: AssessedChange, extra: Partial<RespondedChange>): RespondedChange {
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

function revertPreview(change: AssessedChange): RevertPreview {
  const beforeState = { state: {}, source: { kind: 'iam' as const, versionId: 'v1', detail: HOSTILE } };
  return {
    change,
    plan: planRevert(change, beforeState.state),
    beforeState,
    beforeSource: beforeState.source,
    drift: {
      drifted: true,
      expected: `${ADMIN} attached to role ${HOSTILE}`,
      current: `role ${HOSTILE} is gone`,
    },
  };
}

function revertRecord(change: AssessedChange, status: RevertRecord['status']): RevertRecord {
  const steps: RevertStepResult[] = planRevert(change, {}).steps.map((step) => ({
    step,
    cli: toCliCommand(step),
    status: status === 'done' ? 'done' : 'failed',
    ...(status === 'done' ? {} : { error: `NoSuchEntity: ${HOSTILE}` }),
  }));
  return { status, claimId: 'claim-1', by: BY_NAME, reason: HOSTILE, at: AT, finishedAt: AT, steps };
}

function hostileMessages(): Array<[string, SlackMessage | ModalView | HomeView]> {
  const change = hostileChange();
  const preview = revertPreview(change);
  const outcomes: Array<[string, RevertOutcome]> = [
    [
      'done',
      {
        status: 'done',
        record: revertRecord(change, 'done'),
        preview,
        verification: { drifted: false, expected: HOSTILE, current: `role ${HOSTILE} as before` },
      },
    ],
    ['failed', { status: 'failed', record: revertRecord(change, 'failed'), preview, error: HOSTILE }],
    ['refused', { status: 'refused', record: revertRecord(change, 'refused'), preview, reason: HOSTILE }],
  ];
  const target = { kind: 'role' as const, name: HOSTILE, arn: `arn:aws:iam::111122223333:role/${HOSTILE}` };
  const quarantine: QuarantinePreview = {
    change,
    target,
    policyArn: 'arn:aws:iam::111122223333:policy/iam-changes-quarantine',
    steps: [],
    cli: [`aws iam attach-role-policy --role-name '${HOSTILE}'`],
    alreadyQuarantined: false,
    document: quarantineDocument({ modes: ['deny-iam'] }),
    modes: ['deny-iam'],
    options: [
      { mode: 'deny-iam', available: true },
      { mode: 'revoke-sessions', available: true },
      { mode: 'deactivate-keys', available: false, why: `${HOSTILE} is a role: it has no access keys` },
    ],
    activeKeys: [],
  };
  /** A quarantine of a user named like an attack, with every field an outsider could have shaped. */
  const heldByUser: QuarantineRecord = {
    status: 'active',
    claimId: HOSTILE,
    target: { kind: 'user', name: HOSTILE },
    policyArn: `arn:aws:iam::111122223333:policy/iam-changes/${HOSTILE}`,
    modes: ['deny-iam', 'deactivate-keys'],
    deactivatedKeys: [HOSTILE],
    by: BY_NAME,
    reason: HOSTILE,
    at: AT,
    modesAdded: [
      {
        id: HOSTILE,
        by: BY_NAME,
        reason: HOSTILE,
        at: AT,
        added: ['deactivate-keys'],
        eventId: HOSTILE,
        policyArn: `arn:aws:iam::111122223333:policy/iam-changes/${HOSTILE}`,
        replacedPolicyArn: `arn:aws:iam::111122223333:policy/${HOSTILE}-replaced`,
      },
    ],
    claimedPolicies: [
      { id: HOSTILE, kind: 'adding', policyArn: `arn:aws:iam::111122223333:policy/${HOSTILE}-dead`, at: AT },
    ],
  };
  const after = parsePolicyDocument({
    Version: '2012-10-17',
    Statement: [
      { Sid: 'Open', Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${HOSTILE}/*` },
    ],
  });
  const put = changeOf('PutRolePolicy', {
    roleName: HOSTILE,
    policyName: HOSTILE,
    policyDocument: JSON.stringify(after),
  });
  const diff = diffDocuments(undefined, after);
  return [
    ['the alert', renderChange(change)],
    ['the ack note', renderAcknowledgedNote({ by: BY_NAME, at: AT })],
    ['the already-acknowledged answer', renderAlreadyAcknowledged({ by: BY_NAME, at: AT })],
    [
      'the alert updated with an ack, a revert and a quarantine',
      renderAlertUpdate(
        responded(change, {
          acknowledgement: { by: BY_NAME, at: AT },
          revert: revertRecord(change, 'failed'),
          quarantine: {
            status: 'active',
            target,
            policyArn: quarantine.policyArn,
            by: BY_NAME,
            reason: HOSTILE,
            at: AT,
          } as RespondedChange['quarantine'],
        }),
      ),
    ],
    ...outcomes.map(([status, outcome]): [string, SlackMessage] => [
      `the revert outcome (${status})`,
      renderRevertOutcome(outcome, BY_NAME),
    ]),
    [
      'the quarantine outcome (done)',
      renderQuarantineOutcome(
        {
          status: 'done',
          target,
          policyArn: quarantine.policyArn,
          modes: ['deny-iam', 'revoke-sessions'],
          deactivatedKeys: [],
          warnings: [HOSTILE],
        },
        BY_NAME,
        HOSTILE,
      ),
    ],
    [
      'the quarantine outcome (modes-added)',
      renderQuarantineOutcome(
        {
          status: 'modes-added',
          target,
          quarantinedFor: 'e-0',
          policyArn: quarantine.policyArn,
          added: ['deactivate-keys'],
          modes: ['deny-iam', 'deactivate-keys'],
          deactivatedKeys: ['AKIAEXAMPLEKEY000001'],
          warnings: [HOSTILE],
        },
        BY_NAME,
        HOSTILE,
      ),
    ],
    [
      'the quarantine outcome (failed)',
      renderQuarantineOutcome({ status: 'failed', error: HOSTILE, target }, BY_NAME, HOSTILE),
    ],
    [
      'the quarantine outcome (failed for the attachment limit, naming the policies attached)',
      renderQuarantineOutcome(
        {
          status: 'failed',
          error: HOSTILE,
          target,
          attachedPolicies: [`arn:aws:iam::111122223333:policy/${HOSTILE}`, HOSTILE],
        },
        BY_NAME,
        HOSTILE,
      ),
    ],
    ['the requested note', renderRequestedNote('revert', BY_NAME, HOSTILE)],
    ['the revert confirmation modal', renderRevertConfirm(preview, META)],
    ['the quarantine confirmation modal', renderQuarantineConfirm(quarantine, META)],
    [
      'the confirmation modal adding modes to a quarantine in force',
      renderQuarantineConfirm(
        {
          ...quarantine,
          target: { kind: 'user', name: HOSTILE },
          policyArn: `arn:aws:iam::111122223333:policy/iam-changes/${HOSTILE}`,
          alreadyQuarantined: true,
          active: { eventId: HOSTILE, record: heldByUser },
          inForce: ['deny-iam', 'deactivate-keys'],
          addable: ['revoke-sessions', 'deactivate-keys'],
          adds: ['deactivate-keys'],
          activeKeys: [HOSTILE],
          steps: [
            {
              action: 'iam:UpdateAccessKey',
              params: { UserName: HOSTILE, AccessKeyId: HOSTILE, Status: 'Inactive' },
            },
          ],
          cli: [`aws iam update-access-key --user-name '${HOSTILE}'`],
        },
        META,
      ),
    ],
    [
      'the Home tab with a quarantine of unknown state (its change expired)',
      renderHome({
        viewer: { userId: 'U0VIEWER', responder: true },
        now: AT,
        open: [],
        openCount: 0,
        week: { total: 0, failed: 0, byLevel: {} },
        quarantines: [{ change: { eventId: HOSTILE }, quarantine: heldByUser, expired: true }],
        reverts: [],
        mutes: [],
        expectations: [],
        problems: [],
      }),
    ],
    [
      'the diff modal',
      renderDiffModal(put, diff, { kind: 'unknown', detail: HOSTILE }, riskDelta(put, diff)),
    ],
  ];
}

describe('display safety', () => {
  it.each(hostileMessages())('%s: escaped, verbatim, invisible characters shown', (_name, shown) => {
    expectSafe(shown);
  });

  it('shows a hostile account name and OU path escaped in the alert, the diff and the fallback text', () => {
    const change: AssessedChange = {
      ...hostileChange(),
      account: { id: '111122223333', name: HOSTILE, ouPath: `Root/${HOSTILE}` },
    };
    const alert = renderChange(change);
    expectSafe(alert);
    expect(alert.text).toContain(`in account ${ESCAPED} (111122223333)`);
    // The name is cut to 60 characters, never inside an entity.
    expect(strings(alert.blocks).join('\n')).toContain(`Account *&lt;!channel&gt; http://evil.example`);
    expect(strings(alert.blocks).join('\n')).toContain(`* \`111122223333\` · Root/${ESCAPED}`);
    const diff = diffDocuments(null, null);
    const modal = renderDiffModal(change, diff, { kind: 'unknown', detail: '' }, riskDelta(change, diff));
    expectSafe(modal);
    expect(strings(modal.blocks).join('\n')).toContain(`* \`111122223333\` · Root/${ESCAPED}`);
  });

  it('shows the hostile name escaped and marked in the alert, fallback text included', () => {
    const message = renderChange(hostileChange());

    expect(message.text).toContain(ESCAPED);
    expect(strings(message.blocks).join('\n')).toContain(ESCAPED);
  });

  it('keeps the bot’s own markup working: links, dates and <!here> of a critical alert', () => {
    const message = renderChange(hostileChange());
    const shown = strings(message.blocks).join('\n');

    expect(message.text.startsWith('<!here> ')).toBe(true);
    expect(shown).toMatch(/<!date\^\d+\^/);
    expect(shown).toMatch(/<https:\/\/[^|>]+\|[^>]+>/);
    for (const object of textObjects(message.blocks)) {
      if (object.type === 'mrkdwn') expect(object.verbatim).toBe(true);
    }
  });

  it.each<[string, (by: { slackUserId: string; name: string }) => SlackMessage]>([
    ['the ack note', (by) => renderAcknowledgedNote({ by, at: AT })],
    ['the already-acknowledged answer', (by) => renderAlreadyAcknowledged({ by, at: AT })],
    ['the requested note', (by) => renderRequestedNote('quarantine', by, 'contained')],
    [
      'the alert updated with the acknowledgement',
      (by) => renderAlertUpdate(responded(hostileChange(), { acknowledgement: { by, at: AT } })),
    ],
  ])(
    '%s: an acknowledger whose display name is <!here> pings nobody in the fallback text',
    (_name, render) => {
      const message = render({ slackUserId: 'U0CAROL', name: '<!here>' });

      expect(message.text).not.toContain('<!here>');
      expect(message.text).toContain('&lt;!here&gt;');
      expect(strings(message.blocks as KnownBlock[]).join('\n')).not.toContain('<!here>');
    },
  );
});
