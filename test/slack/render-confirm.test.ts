import type { ModalView, SectionBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import type { LiftPreview, QuarantinePreview } from '../../src/app/quarantine-service';
import type { RevertPreview } from '../../src/app/revert-service';
import { assessChange } from '../../src/domain/explain';
import { quarantineDocument, quarantinePolicyArn } from '../../src/domain/quarantine';
import { planRevert } from '../../src/domain/revert';
import type { AssessedChange, PolicyDocument } from '../../src/domain/types';
import { QUARANTINE_MODES_INPUT, REASON_INPUT, VIEW_IDS } from '../../src/slack/action-ids';
import {
  codeSections,
  confirmActionOf,
  confirmMetadataText,
  parseConfirmMetadata,
  quarantineModesOf,
  renderConfirmError,
  renderConfirmLoading,
  renderLiftConfirm,
  renderQuarantineConfirm,
  renderRevertConfirm,
} from '../../src/slack/render-confirm';
import { changeOf } from '../support/cloudtrail';
import { assertModalLimits } from '../support/modal-limits';

const META = { eventId: 'e-1', channel: 'C0ALERTS', ts: '1.000100' };
const POLICY = 'arn:aws:iam::111122223333:policy/wide-open';
const ALICE = { slackUserId: 'U0ALICE', name: 'alice' };

function assessed(eventName: string, params: Record<string, unknown>): AssessedChange {
  return assessChange(changeOf(eventName, params), { expectedActors: [], trustedAccounts: [] });
}

function preview(change: AssessedChange, extra: Partial<RevertPreview> = {}): RevertPreview {
  const beforeState = {
    state: {},
    source: { kind: 'iam' as const, versionId: 'v1', detail: 'the default version' },
  };
  return {
    change,
    plan: planRevert(change, beforeState.state),
    beforeState,
    beforeSource: beforeState.source,
    drift: {
      drifted: false,
      expected: `${POLICY} attached to role web`,
      current: `${POLICY} attached to role web`,
    },
    ...extra,
  };
}

function text(view: ModalView): string {
  return JSON.stringify(view);
}

function sectionText(block: ModalView['blocks'][number]): string {
  return block.type === 'section' ? ((block as SectionBlock).text?.text ?? '') : '';
}

/** The code blocks of a view, fences and continuation marks taken off, joined back into lines. */
function codeText(view: ModalView): string {
  return view.blocks
    .map(sectionText)
    .filter((body) => body.startsWith('```'))
    .map((body) => body.replace(/^```\n/, '').replace(/\n```$/, ''))
    .join('\n')
    .replace(/\n↪ /g, '');
}

describe('renderRevertConfirm', () => {
  const change = assessed('AttachRolePolicy', { roleName: 'web', policyArn: POLICY });

  it('shows the exact calls, the aws iam commands, the before-state source, the drift check and a required reason', () => {
    const view = renderRevertConfirm(preview(change), META);

    expect(view.callback_id).toBe(VIEW_IDS.REVERT_CONFIRM);
    expect(view.submit?.text).toBe('Revert');
    expect(parseConfirmMetadata(view.private_metadata)).toEqual(META);
    const shown = text(view);
    expect(shown).toContain(
      '1. `iam:DetachRolePolicy` — RoleName `web`, PolicyArn `arn:aws:iam::111122223333:policy/wide-open`',
    );
    expect(codeText(view)).toBe(
      `aws iam detach-role-policy --role-name web --policy-arn ${POLICY}\n${POLICY} attached to role web`,
    );
    expect(shown).toContain('*Before-state:* IAM (policy version `v1`) — the default version');
    expect(shown).toContain('the live state matches the state right after the change');
    const input = view.blocks.find((block) => block.type === 'input');
    expect(input).toMatchObject({
      block_id: REASON_INPUT.BLOCK_ID,
      element: { action_id: REASON_INPUT.ACTION_ID, multiline: true },
    });
    expect(input && 'optional' in input ? input.optional : undefined).toBeUndefined();
    assertModalLimits(view);
  });

  it('refuses without a submit button, saying why, and still shows what the revert would do', () => {
    const view = renderRevertConfirm(
      preview(change, {
        drift: {
          drifted: true,
          expected: `${POLICY} attached to role web`,
          current: `${POLICY} not attached to role web`,
        },
        refusal: 'the live state changed since the change',
      }),
      META,
    );

    expect(view.submit).toBeUndefined();
    expect(view.blocks.some((block) => block.type === 'input')).toBe(false);
    expect(view.title.text).toBe('Revert not possible');
    const shown = text(view);
    expect(shown).toContain("This change can't be reverted from Slack");
    expect(shown).toContain('The live state changed since the change.');
    expect(shown).toMatch(/drifted\*.*\*Now:\*.*\*Expected:\*/);
    expect(codeText(view)).toContain(`${POLICY} not attached to role web\n${POLICY} attached to role web`);
    expect(shown).toContain('nothing will run');
    assertModalLimits(view);
  });

  it('puts every policy document of the drift check in code blocks, never in mrkdwn', () => {
    const wide = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['iam:*', 's3:*'], Resource: '*' }],
    });
    const narrow = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: 'arn:aws:s3:::b/<x>&y' }],
    });
    const drifted = renderRevertConfirm(
      preview(change, {
        drift: {
          drifted: true,
          expected: `inline policy admin on role web: ${wide}`,
          current: `inline policy admin on role web: ${narrow}`,
        },
        refusal: 'the live state changed since the change',
      }),
      META,
    );
    const matched = renderRevertConfirm(
      preview(change, {
        drift: { drifted: false, expected: `inline policy admin on role web: ${wide}`, current: '' },
      }),
      META,
    );

    for (const view of [drifted, matched]) {
      const prose = view.blocks
        .map(sectionText)
        .filter((body) => !body.startsWith('```'))
        .join('\n');
      expect(prose).not.toContain('iam:*');
      expect(prose).not.toContain('"Statement"');
      expect(codeText(view)).toContain('"iam:*",');
      expect(codeText(view)).toContain('inline policy admin on role web:\n{\n  "Version": "2012-10-17",');
      assertModalLimits(view);
    }
    // Escaped inside the code block too: `<x>&y` cannot open a link or a mention.
    expect(text(drifted)).toContain('b/&lt;x&gt;&amp;y');
  });

  it('keeps a drifted document that does not fit within the limits, saying how much is left out', () => {
    const statements = Array.from({ length: 400 }, (_, index) => ({
      Sid: `S${index}`,
      Effect: 'Allow',
      Action: [`s3:GetObject${index}`, 'iam:*'],
      Resource: `arn:aws:s3:::bucket-${index}/*`,
    }));
    const huge = `inline policy big on role web: ${JSON.stringify({ Version: '2012-10-17', Statement: statements })}`;
    const view = renderRevertConfirm(
      preview(change, {
        drift: { drifted: true, expected: huge, current: huge },
        refusal: 'the live state changed since the change',
      }),
      META,
    );
    expect(text(view)).toMatch(/\d+ more lines do not fit this modal/);
    assertModalLimits(view);
  });

  it('says who already reverted it and when', () => {
    const view = renderRevertConfirm(
      preview(change, {
        refusal: 'already reverted by alice at 2026-11-20T14:05:03Z',
        revert: {
          status: 'done',
          claimId: 'c',
          by: ALICE,
          reason: 'rogue',
          at: '2026-11-20T14:05:00Z',
          finishedAt: '2026-11-20T14:05:03Z',
          steps: [],
        },
      }),
      META,
    );
    expect(text(view)).toContain('Already reverted by <@U0ALICE> at <!date^');
    expect(view.submit).toBeUndefined();
  });

  it('says an unknown before-state is unknown and offers nothing that needs it', () => {
    const put = assessed('PutRolePolicy', {
      roleName: 'web',
      policyName: 'inline',
      policyDocument: '{"Version":"2012-10-17","Statement":[]}',
    });
    const unknown = {
      state: {},
      source: { kind: 'unknown' as const, detail: 'the store: nothing; CloudTrail: nothing' },
    };
    const view = renderRevertConfirm(
      {
        change: put,
        plan: planRevert(put, {}),
        beforeState: unknown,
        beforeSource: unknown.source,
        drift: { skipped: 'nothing to compare' },
        refusal: 'the previous document is unknown: no revert',
      },
      META,
    );
    expect(view.submit).toBeUndefined();
    expect(text(view)).toContain(':grey_question: unknown — the store: nothing; CloudTrail: nothing');
    expect(codeText(view)).toContain('<previous-document>'.replace('<', '&lt;').replace('>', '&gt;'));
  });

  it('splits a long document over code blocks without cutting a character', () => {
    const statements = Array.from({ length: 120 }, (_, index) => ({
      Sid: `Statement${index}`,
      Effect: 'Allow',
      Action: [`s3:GetObject`],
      Resource: [`arn:aws:s3:::bucket-${index}/*`],
    }));
    const document = { Version: '2012-10-17', Statement: statements } as PolicyDocument;
    const put = assessed('PutRolePolicy', {
      roleName: 'web',
      policyName: 'big',
      policyDocument: JSON.stringify(document),
    });
    const plan = planRevert(put, { previousDocument: document });
    const view = renderRevertConfirm(
      {
        change: put,
        plan,
        beforeState: { state: { previousDocument: document }, source: { kind: 'store' } },
        beforeSource: { kind: 'store', eventId: 'earlier', eventTime: '2026-11-19T10:00:00Z' },
        drift: { drifted: false, expected: 'x', current: 'x' },
      },
      META,
    );

    expect(plan.cli[0]?.length).toBeGreaterThan(6000);
    expect(view.blocks.filter((block) => sectionText(block).startsWith('```')).length).toBeGreaterThan(2);
    // The command, then the drift check's state (`x`) in its own code block.
    expect(codeText(view)).toBe(`${plan.cli[0]}\nx`);
    expect(text(view)).toContain('PolicyDocument (a document of');
    assertModalLimits(view);
  });

  it('escapes names from the event: a role called <!channel> pings nobody', () => {
    const hostile = assessed('AttachRolePolicy', { roleName: '<!channel>', policyArn: POLICY });
    const view = renderRevertConfirm(preview(hostile), META);
    expect(text(view)).toContain('&lt;!channel&gt;');
    assertModalLimits(view);
  });
});

describe('renderQuarantineConfirm', () => {
  const change = assessed('AttachUserPolicy', { userName: 'bob', policyArn: POLICY });
  const policyArn = quarantinePolicyArn('111122223333');
  const target = { kind: 'user' as const, name: 'alice', arn: 'arn:aws:iam::111122223333:user/alice' };

  function quarantine(extra: Partial<QuarantinePreview> = {}): QuarantinePreview {
    return {
      change,
      target,
      policyArn,
      document: quarantineDocument(),
      modes: ['deny-iam'],
      options: [
        { mode: 'deny-iam', available: true },
        { mode: 'revoke-sessions', available: true },
        { mode: 'deactivate-keys', available: true },
      ],
      activeKeys: ['AKIAALICEKEY00000001'],
      steps: [{ action: 'iam:AttachUserPolicy', params: { UserName: 'alice', PolicyArn: policyArn } }],
      cli: [`aws iam attach-user-policy --user-name alice --policy-arn ${policyArn}`],
      alreadyQuarantined: false,
      ...extra,
    };
  }

  it('names the principal, shows the deny policy and the calls, and asks for a reason', () => {
    const view = renderQuarantineConfirm(quarantine(), META);

    expect(view.callback_id).toBe(VIEW_IDS.QUARANTINE_CONFIRM);
    expect(view.submit?.text).toBe('Quarantine');
    const shown = text(view);
    expect(shown).toContain('Quarantine user `alice` (`arn:aws:iam::111122223333:user/alice`)');
    expect(shown).toContain('\\"Effect\\": \\"Deny\\"');
    expect(shown).toContain('sts:AssumeRole');
    expect(codeText(view)).toContain(
      `aws iam attach-user-policy --user-name alice --policy-arn ${policyArn}`,
    );
    assertModalLimits(view);
  });

  it('offers the modes as checkboxes, deny-iam ticked, each saying what it does and does not stop', () => {
    const view = renderQuarantineConfirm(quarantine(), META);
    const input = view.blocks.find((block) => block.block_id === QUARANTINE_MODES_INPUT.BLOCK_ID);
    expect(input?.type).toBe('input');
    const element = input && 'element' in input ? input.element : undefined;
    expect(element).toMatchObject({ type: 'checkboxes', action_id: QUARANTINE_MODES_INPUT.ACTION_ID });
    const checkboxes = element as {
      options: { value: string; description?: { text: string } }[];
      initial_options?: { value: string }[];
    };
    expect(checkboxes.options.map((option) => option.value)).toEqual([
      'deny-iam',
      'revoke-sessions',
      'deactivate-keys',
    ]);
    expect(checkboxes.initial_options?.map((option) => option.value)).toEqual(['deny-iam']);
    for (const option of checkboxes.options) expect(option.description?.text.length).toBeLessThanOrEqual(75);
    const hint = input && 'hint' in input ? input.hint?.text : '';
    expect(hint).toContain('aws:TokenIssueTime');
    expect(hint).toContain('Not: Credentials issued after now');
    expect(hint).toContain('Not: The console password');
    expect(text(view)).toContain('`AKIAALICEKEY00000001`');
    assertModalLimits(view);
  });

  it('does not offer deactivate-keys for a role, and says why', () => {
    const view = renderQuarantineConfirm(
      quarantine({
        target: { kind: 'role', name: 'web' },
        activeKeys: [],
        options: [
          { mode: 'deny-iam', available: true },
          { mode: 'revoke-sessions', available: true },
          { mode: 'deactivate-keys', available: false, why: 'a role has no access keys' },
        ],
      }),
      META,
    );
    const input = view.blocks.find((block) => block.block_id === QUARANTINE_MODES_INPUT.BLOCK_ID);
    const element = (input && 'element' in input ? input.element : undefined) as {
      options: { value: string }[];
    };
    expect(element.options.map((option) => option.value)).toEqual(['deny-iam', 'revoke-sessions']);
    expect(text(view)).toContain('is not offered: a role has no access keys');
  });

  it('for a caller already quarantined: names the modes in force and offers only those it may still get', () => {
    const record = {
      status: 'active' as const,
      target: { kind: 'user' as const, name: 'alice' },
      policyArn: `${policyArn}-abc12345`,
      modes: ['deny-iam' as const],
      by: { slackUserId: 'U0BOB', name: 'bob' },
      reason: 'first look',
      at: '2026-11-20T14:00:00.000Z',
    };
    const view = renderQuarantineConfirm(
      quarantine({
        alreadyQuarantined: true,
        policyArn: record.policyArn,
        active: { eventId: 'e-0', record },
        inForce: ['deny-iam'],
        addable: ['revoke-sessions', 'deactivate-keys'],
        adds: [],
      }),
      META,
    );

    expect(view.submit?.text).toBe('Quarantine');
    const shown = text(view);
    expect(shown).toContain('is already quarantined');
    expect(shown).toContain('<@U0BOB>');
    expect(shown).toContain('for change `e-0`');
    expect(shown).toContain('*Modes in force:* `deny-iam`');
    expect(shown).toContain('`AKIAALICEKEY00000001`');
    const input = view.blocks.find((block) => block.block_id === QUARANTINE_MODES_INPUT.BLOCK_ID);
    const element = (input && 'element' in input ? input.element : undefined) as {
      options: { value: string }[];
      initial_options?: { value: string }[];
    };
    expect(element.options.map((option) => option.value)).toEqual(['revoke-sessions', 'deactivate-keys']);
    expect(element.initial_options).toBeUndefined();
    assertModalLimits(view);
  });

  it('keys in force with a key left active: offers to turn it off, saying why it is still active', () => {
    const view = renderQuarantineConfirm(
      quarantine({
        alreadyQuarantined: true,
        inForce: ['deny-iam', 'revoke-sessions', 'deactivate-keys'],
        addable: ['deactivate-keys'],
        adds: [],
        activeKeys: ['AKIAMADESINCE0000001'],
      }),
      META,
    );
    expect(view.submit?.text).toBe('Quarantine');
    const shown = text(view);
    expect(shown).toContain('is in force, yet these keys are active');
    expect(shown).toContain('`AKIAMADESINCE0000001`');
    const input = view.blocks.find((block) => block.block_id === QUARANTINE_MODES_INPUT.BLOCK_ID);
    const element = (input && 'element' in input ? input.element : undefined) as {
      options: { value: string }[];
    };
    expect(element.options.map((option) => option.value)).toEqual(['deactivate-keys']);
    assertModalLimits(view);
  });

  it('refuses, naming the modes in force, a caller already quarantined with every mode that applies', () => {
    const view = renderQuarantineConfirm(
      quarantine({
        alreadyQuarantined: true,
        inForce: ['deny-iam', 'revoke-sessions', 'deactivate-keys'],
        addable: [],
        steps: [],
        cli: [],
      }),
      META,
    );
    expect(view.submit).toBeUndefined();
    expect(text(view)).toContain('already quarantined with deny-iam, revoke-sessions, deactivate-keys');
  });

  it.each([
    [
      'a refused target',
      quarantine({ target: { refused: "the root user can't be quarantined by policy" } }),
      "The root user can't be quarantined",
    ],
    [
      'one already quarantined',
      quarantine({ alreadyQuarantined: true, steps: [], cli: [] }),
      'is already quarantined',
    ],
  ])('refuses %s without a submit button', (_name, subject, words) => {
    const view = renderQuarantineConfirm(subject, META);
    expect(view.submit).toBeUndefined();
    expect(view.title.text).toBe('Quarantine not possible');
    expect(text(view)).toContain(words);
    assertModalLimits(view);
  });
});

describe('renderLiftConfirm', () => {
  const change = assessed('AttachUserPolicy', { userName: 'bob', policyArn: POLICY });
  const record = {
    status: 'active' as const,
    target: { kind: 'user' as const, name: 'alice' },
    policyArn: quarantinePolicyArn('111122223333'),
    by: ALICE,
    reason: 'keys leaked',
    at: '2026-11-20T14:06:00Z',
  };

  it('shows the quarantine, the detach call and asks for a reason', () => {
    const lift: LiftPreview = {
      change,
      quarantine: record,
      target: record.target,
      policyArn: record.policyArn,
      keysToRestore: [],
      steps: [{ action: 'iam:DetachUserPolicy', params: { UserName: 'alice', PolicyArn: record.policyArn } }],
      cli: [`aws iam detach-user-policy --user-name alice --policy-arn ${record.policyArn}`],
    };
    const view = renderLiftConfirm(lift, META);
    expect(view.callback_id).toBe(VIEW_IDS.LIFT_QUARANTINE_CONFIRM);
    expect(view.submit?.text).toBe('Lift quarantine');
    expect(text(view)).toContain('by <@U0ALICE>');
    expect(codeText(view)).toContain('aws iam detach-user-policy --user-name alice');
    assertModalLimits(view);
  });

  it('refuses when there is nothing to lift', () => {
    const view = renderLiftConfirm(
      {
        change,
        keysToRestore: [],
        steps: [],
        cli: [],
        refusal: 'no quarantine is recorded on this change: nothing to lift',
      },
      META,
    );
    expect(view.submit).toBeUndefined();
    expect(text(view)).toContain('No quarantine is recorded');
  });
});

describe('loading and error modals', () => {
  const change = assessed('AttachRolePolicy', { roleName: 'web', policyArn: POLICY });

  it.each(['revert', 'quarantine', 'lift-quarantine'] as const)(
    '%s: a loading modal under its own callback id',
    (action) => {
      const view = renderConfirmLoading(action, change, META);
      expect(confirmActionOf(String(view.callback_id))).toBe(action);
      expect(view.submit).toBeUndefined();
      expect(text(view)).toContain('updates by itself');
      assertModalLimits(view);
    },
  );

  it('an error modal says nothing was changed', () => {
    const view = renderConfirmError('revert', 'AccessDenied: iam:GetPolicy', META, change);
    expect(view.submit).toBeUndefined();
    expect(text(view)).toContain('Nothing was changed.');
    expect(text(view)).toContain('AccessDenied: iam:GetPolicy');
    assertModalLimits(view);
  });
});

describe('metadata and code blocks', () => {
  it('reads metadata back, and refuses what is not the bot’s', () => {
    expect(parseConfirmMetadata(confirmMetadataText(META))).toEqual(META);
    expect(parseConfirmMetadata('not json')).toBeUndefined();
    expect(parseConfirmMetadata('{"eventId": 3}')).toBeUndefined();
    expect(parseConfirmMetadata(undefined)).toBeUndefined();
  });

  it('drops the alert place before the event id when the metadata would outgrow Slack’s 3000 characters', () => {
    expect(confirmMetadataText({ eventId: 'e', channel: 'C'.repeat(3000), ts: '1.1' })).toBe(
      '{"eventId":"e"}',
    );
    expect(confirmMetadataText({ eventId: 'e'.repeat(3000) })).toBeUndefined();
  });

  it('says how many lines do not fit instead of cutting them silently', () => {
    const lines = Array.from({ length: 40 }, (_, index) => `${index} ${'x'.repeat(1500)}`);
    const sections = codeSections(lines, 5, 'run the CLI');
    expect(sections).toHaveLength(5);
    expect(sections.at(-1)?.text?.text).toMatch(
      /^:warning: \d+ more lines do not fit this modal: run the CLI\.$/,
    );
    const shownLines = sections
      .slice(0, 4)
      .flatMap((section) => (section.text?.text ?? '').split('\n').filter((line) => /^\d+ /.test(line)));
    const hidden = Number(/(\d+) more lines/.exec(sections.at(-1)?.text?.text ?? '')?.[1]);
    expect(shownLines.length + hidden).toBe(40);
  });
});

describe('quarantineModesOf', () => {
  const values = (selected: { value?: string }[] | null | undefined) => ({
    [QUARANTINE_MODES_INPUT.BLOCK_ID]: { [QUARANTINE_MODES_INPUT.ACTION_ID]: { selected_options: selected } },
  });

  it('reads the ticked modes, deny-iam always first and each once', () => {
    expect(quarantineModesOf(values([{ value: 'deactivate-keys' }, { value: 'revoke-sessions' }]))).toEqual([
      'deny-iam',
      'revoke-sessions',
      'deactivate-keys',
    ]);
    expect(quarantineModesOf(values([]))).toEqual(['deny-iam']);
    expect(quarantineModesOf(values(null))).toEqual(['deny-iam']);
    expect(quarantineModesOf(undefined)).toEqual(['deny-iam']);
  });

  it('drops values that are not modes', () => {
    expect(
      quarantineModesOf(values([{ value: 'allow-everything' }, { value: 'revoke-sessions' }, {}])),
    ).toEqual(['deny-iam', 'revoke-sessions']);
  });
});
