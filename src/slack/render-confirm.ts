/**
 * Pure Block Kit builders for the confirmation modals of Revert, Quarantine caller and Lift quarantine: a
 * loading state while the worker prepares, the confirmation (the exact IAM calls, the same as `aws iam`
 * commands, where the before-state came from, the drift check, a required reason), a refusal without a submit
 * button that says why, and an error state.
 *
 * Every modal of one action shares its `callback_id` ({@link VIEW_IDS}) and carries `private_metadata` JSON
 * `{eventId, channel, ts}` (the alert's channel and thread), so the submission listener knows what to act on and
 * where to answer. Every value from an event or from IAM is escaped; long commands are split over as many code
 * blocks as they need, and anything left out is said, never silently cut.
 */
import type {
  Checkboxes,
  InputBlock,
  KnownBlock,
  ModalView,
  PlainTextOption,
  SectionBlock,
} from '@slack/types';
import type { ConfirmAction, ConfirmSubject } from '../app/alert-port';
import type { BeforeStateSource } from '../app/before-state';
import type { LiftPreview, QuarantinePreview } from '../app/quarantine-service';
import type { DriftCheck, RevertPreview } from '../app/revert-service';
import { isQuarantineMode, type QuarantineMode } from '../domain/quarantine';
import type { AssessedChange, Change, RevertStep } from '../domain/types';
import {
  ACTION_IDS,
  QUARANTINE_MODES_INPUT,
  REASON_INPUT,
  retryValue,
  VIEW_IDS,
  type ViewId,
} from './action-ids';
import { context, plain, section } from './blocks';
import { breakFences, escapeText, inlineCode, truncate, wrapEscaped } from './escape';
import { MODE_WORDS } from './quarantine-words';
import { describeChange, slackDate } from './render';
import { changeAccountIdFirst } from './render-account';
import { mentionOf, reasonText } from './render-state';

/** The three confirmable actions (the worker's {@link ConfirmAction}). */
export type { ConfirmAction } from '../app/alert-port';

/**
 * What a confirmation modal carries in `private_metadata`: the change and where its alert (thread) is — the
 * worker's {@link ConfirmSubject}.
 */
export type ConfirmMetadata = ConfirmSubject;

/** The callback id of each action's modals. */
export const CONFIRM_CALLBACK_IDS: Readonly<Record<ConfirmAction, ViewId>> = Object.freeze({
  revert: VIEW_IDS.REVERT_CONFIRM,
  quarantine: VIEW_IDS.QUARANTINE_CONFIRM,
  'lift-quarantine': VIEW_IDS.LIFT_QUARANTINE_CONFIRM,
});

/** The action a confirmation modal's callback id belongs to, or undefined for other views. */
export function confirmActionOf(callbackId: string): ConfirmAction | undefined {
  const entry = Object.entries(CONFIRM_CALLBACK_IDS).find(([, id]) => id === callbackId);
  return entry?.[0] as ConfirmAction | undefined;
}

const LIMIT = { title: 24, section: 3000, privateMetadata: 3000 } as const;
/** Section texts are packed to this, leaving room under Slack's 3000. */
const SECTION_BUDGET = 2900;
/** An escaped command line longer than this is wrapped onto `↪ ` continuation lines. */
const MAX_CODE_LINE = 1800;
/** Code blocks one modal shows at most (a modal holds 100 blocks and 250 KB). */
const MAX_CODE_BLOCKS = 60;
const MAX_REASON_LENGTH = 1000;

const WORDS: Record<ConfirmAction, { title: string; refused: string; submit: string; verb: string }> = {
  revert: { title: 'Revert change', refused: 'Revert not possible', submit: 'Revert', verb: 'revert' },
  quarantine: {
    title: 'Quarantine caller',
    refused: 'Quarantine not possible',
    submit: 'Quarantine',
    verb: 'quarantine',
  },
  'lift-quarantine': {
    title: 'Lift quarantine',
    refused: 'Nothing to lift',
    submit: 'Lift quarantine',
    verb: 'lift the quarantine',
  },
};

// --- small builders -------------------------------------------------------------------------------------------

/** The metadata as JSON within Slack's 3000 characters: the alert's place is dropped before the event id. */
export function confirmMetadataText(meta: ConfirmMetadata): string | undefined {
  const full = JSON.stringify(meta);
  if (full.length <= LIMIT.privateMetadata) return full;
  const bare = JSON.stringify({ eventId: meta.eventId });
  return bare.length <= LIMIT.privateMetadata ? bare : undefined;
}

/** Reads `private_metadata` back; undefined when it is not the bot's. */
export function parseConfirmMetadata(text: string | undefined): ConfirmMetadata | undefined {
  if (!text) return undefined;
  try {
    const value = JSON.parse(text) as Record<string, unknown>;
    if (typeof value?.eventId !== 'string' || value.eventId === '') return undefined;
    const meta: ConfirmMetadata = { eventId: value.eventId };
    if (typeof value.channel === 'string') meta.channel = value.channel;
    if (typeof value.ts === 'string') meta.ts = value.ts;
    return meta;
  } catch {
    return undefined;
  }
}

function modal(
  action: ConfirmAction,
  meta: ConfirmMetadata,
  blocks: KnownBlock[],
  options: { submit?: boolean; refused?: boolean; dryRun?: boolean } = {},
): ModalView {
  const words = WORDS[action];
  const view: ModalView = {
    type: 'modal',
    callback_id: CONFIRM_CALLBACK_IDS[action],
    title: plain(truncate(options.refused ? words.refused : words.title, LIMIT.title)),
    close: plain(options.submit ? 'Cancel' : 'Close'),
    blocks,
  };
  if (options.submit) view.submit = plain(options.dryRun ? `${words.submit} (dry run)` : words.submit);
  const metadata = confirmMetadataText(meta);
  if (metadata) view.private_metadata = metadata;
  return view;
}

/** Said first in every confirmation whose calls would only be simulated. */
function dryRunBlocks(dryRun: boolean | undefined): KnownBlock[] {
  if (!dryRun) return [];
  return [
    section(
      ':test_tube: *Dry run.* No AWS is configured: IAM is simulated in memory on this machine. Nothing confirmed here changes any AWS account.',
    ),
  ];
}

/**
 * The heading over the calls: they will run, or (in a dry run) be made to the simulated IAM only. `extra` goes
 * after the bold words, before the colon.
 */
function runHeading(dryRun: boolean | undefined, extra = ''): string {
  return dryRun
    ? `:test_tube: *Dry run: these IAM calls will be made, in this order, to the simulated IAM only — nothing in AWS*${extra}:`
    : `:warning: *These IAM calls will run, in this order*${extra}:`;
}

/** Who did what, in which account (by name when the directory knew it), with the event id and time. */
function headBlocks(change: Change & Pick<Partial<AssessedChange>, 'account'>): KnownBlock[] {
  const actor = truncate(change.actor.name || 'unknown caller', 100);
  const where = change.accountId ? `\nIn account ${changeAccountIdFirst(change)}` : '';
  return [
    section(`*${actor}* ${truncate(describeChange(change), 1500)}.${where}`),
    context([`Event ${inlineCode(change.eventId, 200)} · ${slackDate(change.eventTime)}`]),
  ];
}

/**
 * Raw lines as code-block sections (escaped, wrapped, fences included), at most `maxBlocks` of them; when more
 * would be needed, the last section says how many lines are not shown and where to read them all.
 */
export function codeSections(lines: string[], maxBlocks = MAX_CODE_BLOCKS, where = ''): SectionBlock[] {
  const room = SECTION_BUDGET - '```\n\n```'.length;
  const chunks: string[][] = [];
  let current: string[] = [];
  let size = 0;
  const owners: number[] = [];
  lines.forEach((line, index) => {
    for (const piece of wrapEscaped(escapeText(breakFences(line)), MAX_CODE_LINE)) {
      const added = (current.length > 0 ? 1 : 0) + piece.length;
      if (current.length > 0 && size + added > room) {
        chunks.push(current);
        current = [];
        size = 0;
      }
      size += (current.length > 0 ? 1 : 0) + piece.length;
      current.push(piece);
      owners.push(index);
    }
  });
  if (current.length > 0) chunks.push(current);
  const sections = chunks.map((chunk) => section(`\`\`\`\n${chunk.join('\n')}\n\`\`\``));
  if (sections.length <= maxBlocks) return sections;
  const shown = chunks.slice(0, maxBlocks - 1).reduce((sum, chunk) => sum + chunk.length, 0);
  const firstHidden = owners[shown] ?? lines.length;
  const hidden = lines.length - firstHidden;
  return [
    ...sections.slice(0, maxBlocks - 1),
    section(
      `:warning: ${hidden} more line${hidden === 1 ? '' : 's'} ${hidden === 1 ? 'does' : 'do'} not fit this modal${where ? `: ${where}` : ''}.`,
    ),
  ];
}

/** A step's parameters in words: names and short values; documents are in the commands below. */
function stepLine(step: RevertStep, index: number): string {
  const params = Object.entries(step.params).map(([name, value]) => {
    if (typeof value === 'boolean') return `${name} ${inlineCode(String(value))}`;
    if (/Document$/.test(name))
      return `${name} (a document of ${value.length} characters: in the command below)`;
    return `${name} ${inlineCode(value, 300)}`;
  });
  return `${index + 1}. ${inlineCode(step.action, 80)} — ${params.join(', ')}`;
}

/** Lines packed into sections of at most {@link SECTION_BUDGET} characters; every line is short. */
function packLines(lines: string[]): SectionBlock[] {
  const out: string[] = [];
  let current = '';
  for (const line of lines) {
    const piece = line.length > SECTION_BUDGET ? `${line.slice(0, SECTION_BUDGET - 1)}…` : line;
    if (current === '') current = piece;
    else if (current.length + 1 + piece.length <= SECTION_BUDGET) current = `${current}\n${piece}`;
    else {
      out.push(current);
      current = piece;
    }
  }
  if (current !== '') out.push(current);
  return out.map(section);
}

function callBlocks(heading: string, steps: RevertStep[], cli: string[], where: string): KnownBlock[] {
  if (steps.length === 0) return [];
  return [
    ...packLines([heading, ...steps.map(stepLine)]),
    section('*The same as `aws iam` commands* (paste into a shell):'),
    ...codeSections(cli, MAX_CODE_BLOCKS, where),
  ];
}

function reasonInput(action: ConfirmAction): InputBlock {
  return {
    type: 'input',
    block_id: REASON_INPUT.BLOCK_ID,
    label: plain('Reason'),
    element: {
      type: 'plain_text_input',
      action_id: REASON_INPUT.ACTION_ID,
      multiline: true,
      max_length: MAX_REASON_LENGTH,
      placeholder: plain(`Why ${WORDS[action].verb}? Recorded in the thread and the audit log.`),
    },
    hint: plain('Required. Who asked, the ticket, what was wrong with the change.'),
  };
}

// --- where the before-state came from, and the drift check ----------------------------------------------------

/** Where the before-state came from, in words (escaped mrkdwn). */
export function describeBeforeSource(source: BeforeStateSource): string {
  const detail = source.detail ? ` — ${truncate(source.detail, 600)}` : '';
  const event = source.eventId
    ? ` (event ${inlineCode(source.eventId, 120)}${source.eventTime ? ` of ${slackDate(source.eventTime)}` : ''})`
    : '';
  switch (source.kind) {
    case 'store':
      return `the bot's own record of the last document it saw${event}${detail}`;
    case 'cloudtrail':
      return `CloudTrail history${event}${detail}`;
    case 'iam':
      return `IAM${source.versionId ? ` (policy version ${inlineCode(source.versionId, 40)})` : ''}${detail}`;
    case 'record':
      return `the call itself${detail}`;
    case 'unknown':
      return `:grey_question: unknown${detail}`;
  }
}

/** Code sections one described state (a document, in words and JSON) may take in a modal or a note. */
const MAX_STATE_BLOCKS = 5;

/**
 * A described state (`inline policy x on role web: {"Version":…}`) as code lines: the words, then the document
 * pretty-printed so each statement reads on its own lines; several states (`…; …`) one a line.
 */
export function stateLines(described: string): string[] {
  const start = described.indexOf('{');
  if (start >= 0) {
    try {
      const document: unknown = JSON.parse(described.slice(start));
      const head = described.slice(0, start).trimEnd();
      return [...(head === '' ? [] : [head]), ...JSON.stringify(document, null, 2).split('\n')];
    } catch {
      // Not one document after the words (several states joined, or a document cut short): shown as it is.
    }
  }
  return described.split('; ');
}

/**
 * The drift check as blocks: ok (and the state it matched), drifted (the live state and the expected one), could
 * not be read, or nothing to check. A described state holds policy JSON, so it always goes in a code block —
 * in mrkdwn `"iam:*","s3:*"` would read as bold — escaped, wrapped, and cut only with a line saying so.
 */
export function driftBlocks(drift: DriftCheck, where = ''): SectionBlock[] {
  if ('skipped' in drift) return [section(`*Drift check:* not needed: ${truncate(drift.skipped, 400)}`)];
  if ('error' in drift)
    return [
      section(`*Drift check:* :warning: the live state could not be read: ${truncate(drift.error, 600)}`),
    ];
  if (!drift.drifted) {
    return [
      section('*Drift check:* :white_check_mark: the live state matches the state right after the change:'),
      ...codeSections(stateLines(drift.expected), MAX_STATE_BLOCKS, where),
    ];
  }
  return [
    section('*Drift check:* :warning: *drifted* — the live state changed since the change.\n*Now:*'),
    ...codeSections(stateLines(drift.current), MAX_STATE_BLOCKS, where),
    section('*Expected:*'),
    ...codeSections(stateLines(drift.expected), MAX_STATE_BLOCKS, where),
  ];
}

// --- loading and error ----------------------------------------------------------------------------------------

/** The modal opened at once on Revert / Quarantine caller / Lift quarantine, while the worker prepares. */
export function renderConfirmLoading(
  action: ConfirmAction,
  change: Change,
  meta: ConfirmMetadata,
): ModalView {
  const what: Record<ConfirmAction, string> = {
    revert:
      'Planning the revert: looking up the document before the change and reading the live state from IAM…',
    quarantine: 'Working out who the caller is and reading what is attached to them in IAM…',
    'lift-quarantine': 'Reading the quarantine recorded on this change and what is attached in IAM…',
  };
  return modal(action, meta, [
    ...headBlocks(change),
    section(`:hourglass_flowing_sand: *${what[action]}*`),
    context(['This view updates by itself in a few seconds. Nothing runs until you confirm.']),
  ]);
}

/** The modal when the confirmation could not be prepared: what went wrong, in one line, and what to do. */
export function renderConfirmError(
  action: ConfirmAction,
  message: string,
  meta: ConfirmMetadata,
  change?: Change,
): ModalView {
  const text = message.trim() === '' ? 'unknown error' : message;
  return modal(action, meta, [
    ...(change ? headBlocks(change) : []),
    section(`:warning: *Could not prepare this.* Nothing was changed.\n${truncate(text, 2000)}`),
    context([
      `Close this and try again in a minute. From a terminal: ${inlineCode('npx iam-changes revert <record.json>')} shows the plan.`,
    ]),
  ]);
}

// --- revert ---------------------------------------------------------------------------------------------------

function refusalLine(preview: RevertPreview): string {
  const record = preview.revert;
  if (record && record.status !== 'refused') {
    const who = mentionOf(record.by);
    switch (record.status) {
      case 'claimed':
        return `Already being reverted by ${who} (since ${slackDate(record.at)}).`;
      case 'done':
        return `Already reverted by ${who} at ${slackDate(record.finishedAt ?? record.at)} — ${reasonText(record.reason)}`;
      case 'failed':
        return `A revert by ${who} failed at ${slackDate(record.finishedAt ?? record.at)}: ${truncate(record.error ?? 'see the thread', 800)}. Check IAM and finish it by hand.`;
    }
  }
  return `${truncate(capitalise(preview.refusal ?? 'refused'), 1500)}.`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * The revert confirmation: the exact IAM calls in order (with their parameters), the equivalent `aws iam`
 * commands in code blocks, where the before-state came from, the drift check, the plan's notes and a required
 * "Reason". When the preview carries a refusal (not supported, unknown before-state, drifted, already reverted,
 * the bot's own call, a created policy still attached), the refusal variant: no submit button, the reason in
 * words, and the same facts for reference.
 */
export function renderRevertConfirm(preview: RevertPreview, meta: ConfirmMetadata): ModalView {
  const { change, plan } = preview;
  const refused = preview.refusal !== undefined;
  const where = `run ${inlineCode('npx iam-changes revert <record.json>')} to see every command`;
  const blocks: KnownBlock[] = [...headBlocks(change), ...dryRunBlocks(preview.dryRun)];
  const waiting = preview.confirmation?.status === 'pending';
  if (waiting) {
    blocks.push(section(`:hourglass_flowing_sand: *Waiting for CloudTrail.*\n${refusalLine(preview)}`), {
      type: 'actions',
      block_id: 'confirm_retry',
      elements: [
        {
          type: 'button',
          action_id: ACTION_IDS.CONFIRM_RETRY,
          text: { type: 'plain_text', text: 'Check again' },
          value: retryValue('revert', change.eventId),
        },
      ],
    });
  } else if (refused)
    blocks.push(section(`:no_entry: *This change can't be reverted from Slack.*\n${refusalLine(preview)}`));
  const heading = refused
    ? '*The revert would make these IAM calls* (nothing will run):'
    : runHeading(preview.dryRun);
  blocks.push(...callBlocks(heading, plan.steps, plan.cli, where));
  blocks.push(...packLines([`*Before-state:* ${describeBeforeSource(preview.beforeSource)}`]));
  blocks.push(...driftBlocks(preview.drift, where));
  const notes = (plan.notes ?? []).map((note) => `_${truncate(note, 600)}_`);
  if (notes.length > 0) blocks.push(context(notes.slice(0, 10)));
  if (refused) return modal('revert', meta, blocks, { refused: true });
  blocks.push(
    reasonInput('revert'),
    context([
      'Just before the calls run the live state is read again: if it changed, nothing runs. A second click sees this revert and does nothing.',
    ]),
  );
  return modal('revert', meta, blocks, { submit: true, ...(preview.dryRun ? { dryRun: true } : {}) });
}

// --- quarantine -----------------------------------------------------------------------------------------------

function principalText(target: { kind: string; name: string; arn?: string }): string {
  const arn = target.arn ? ` (${inlineCode(target.arn, 300)})` : '';
  return `${target.kind} ${inlineCode(target.name, 150)}${arn}`;
}

/**
 * The quarantine confirmation: the principal behind the change (the IAM user, or the role behind an assumed-role
 * session), the deny policy (its ARN and document), the calls and their `aws iam` commands, and a required
 * reason. Refused (root, SSO, an AWS service, another account, the bot's own role, a protected principal, or
 * already quarantined): no submit button, and why.
 */
export function renderQuarantineConfirm(preview: QuarantinePreview, meta: ConfirmMetadata): ModalView {
  const { change, target } = preview;
  const blocks: KnownBlock[] = [...headBlocks(change), ...dryRunBlocks(preview.dryRun)];
  const inForce = preview.inForce ? ` with ${preview.inForce.join(', ')}` : '';
  const refusal =
    'refused' in target
      ? target.refused
      : (preview.refusal ??
        (preview.alreadyQuarantined && (preview.addable ?? []).length === 0
          ? `${target.kind} ${target.name} is already quarantined${inForce}: ${preview.policyArn} is attached. Lift it from the alert when done`
          : undefined));
  if (refusal !== undefined) {
    blocks.push(
      section(
        `:no_entry: *The caller can't be quarantined from Slack.*\n${truncate(capitalise(refusal), 1500)}.`,
      ),
    );
    return modal('quarantine', meta, blocks, { refused: true });
  }
  // Narrowed for the compiler: a refused target returned above.
  if ('refused' in target) return modal('quarantine', meta, blocks, { refused: true });
  if (preview.alreadyQuarantined) return renderAddModes(preview, target, meta, blocks);
  const sessions =
    target.kind === 'role'
      ? ' The deny applies to every session of the role, those already running included.'
      : '';
  const unavailable = preview.options
    .filter((option) => !option.available)
    .map(
      (option) => `_${MODE_WORDS[option.mode].label}_ is not offered: ${truncate(option.why ?? '', 300)}.`,
    );
  const keys =
    target.kind === 'user'
      ? preview.activeKeys.length > 0
        ? `Active access keys now: ${preview.activeKeys.map((key) => inlineCode(key, 40)).join(', ')}.`
        : 'The user has no active access keys now.'
      : undefined;
  blocks.push(
    section(
      `:lock: *Quarantine ${principalText(target)}*\nCreates this quarantine's own deny policy (${inlineCode(preview.policyArn, 300)}) and attaches it until the quarantine is lifted.${sessions} Choose below what it stops.`,
    ),
    modesInput(preview),
    ...(unavailable.length > 0 || keys ? [context([...unavailable, ...(keys ? [keys] : [])])] : []),
    section(
      "*The deny policy* (deny IAM and the bot's own resources; _Revoke active sessions_ adds a `Deny *` while `aws:TokenIssueTime` is before the quarantine):",
    ),
    ...codeSections(JSON.stringify(preview.document, null, 2).split('\n'), 5),
    ...callBlocks(
      runHeading(
        preview.dryRun,
        ' (plus `UpdateAccessKey` for each active key with _Deactivate access keys_)',
      ),
      preview.steps,
      preview.cli,
      '',
    ),
    context([
      'Lift the quarantine from the alert ("Lift quarantine"): it detaches and deletes the policy and sets Active again only the keys the quarantine deactivated.',
    ]),
    reasonInput('quarantine'),
  );
  return modal('quarantine', meta, blocks, { submit: true, ...(preview.dryRun ? { dryRun: true } : {}) });
}

/**
 * The confirmation for a principal already quarantined: who quarantined it, when and for which change, the modes
 * in force, and checkboxes for only the modes it may still get; a new deny policy with every mode replaces the
 * one attached (attached first, so the principal is fenced in at every moment). Nothing in force is taken away.
 */
function renderAddModes(
  preview: QuarantinePreview,
  target: { kind: string; name: string; arn?: string },
  meta: ConfirmMetadata,
  blocks: KnownBlock[],
): ModalView {
  const record = preview.active?.record;
  const inForce = preview.inForce ?? ['deny-iam'];
  const since = record
    ? ` by ${mentionOf(record.by)} since ${slackDate(record.at)}${preview.active && preview.active.eventId !== preview.change.eventId ? ` (for change ${inlineCode(preview.active.eventId, 200)})` : ''}`
    : '';
  const addable = preview.options.filter((option) => (preview.addable ?? []).includes(option.mode));
  const sweep = inForce.includes('deactivate-keys');
  const keys =
    target.kind === 'user' && (preview.addable ?? []).includes('deactivate-keys')
      ? preview.activeKeys.length > 0
        ? sweep
          ? `_Deactivate access keys_ is in force, yet these keys are active and not turned off by the quarantine (made since, or their deactivation failed): ${preview.activeKeys.map((key) => inlineCode(key, 40)).join(', ')}. Tick it to turn them off too; the lift turns on only the keys the bot turned off.`
          : `Active access keys now: ${preview.activeKeys.map((key) => inlineCode(key, 40)).join(', ')}. A key that is already inactive is never turned on by the lift.`
        : 'The user has no active access keys now.'
      : undefined;
  blocks.push(
    section(
      `:lock: *${principalText(target)} is already quarantined*${since}.\n*Modes in force:* ${inlineCode(inForce.join(', '), 100)} (${inlineCode(preview.policyArn, 300)} is attached).\nTick what to add: a new deny policy with the modes in force and those ticked replaces it — attached before the old one is detached and deleted. Nothing in force is taken away; ticking nothing adds nothing.`,
    ),
    modesInput({ ...preview, options: addable }, preview.adds ?? []),
    ...(keys ? [context([keys])] : []),
    section(
      '*The new deny policy* (with the modes in force; a mode ticked adds its statement or its calls):',
    ),
    ...codeSections(JSON.stringify(preview.document, null, 2).split('\n'), 5),
    ...callBlocks(
      runHeading(
        preview.dryRun,
        ' (plus `UpdateAccessKey` for each active key with _Deactivate access keys_)',
      ),
      preview.steps,
      preview.cli,
      '',
    ),
    context([
      'Lift the quarantine from the alert of the change it is recorded on: it detaches and deletes the policy and sets Active again only the keys the bot deactivated, in either step.',
      ...((preview.addable ?? []).includes('revoke-sessions')
        ? [
            "If IAM refuses the new deny for the principal's limit on attached managed policies, _Revoke active sessions_ asked for alone is added as an inline deny instead (it takes no slot; the lift deletes it); anything else is not added, and the answer names the policies to detach.",
          ]
        : []),
    ]),
    reasonInput('quarantine'),
  );
  return modal('quarantine', meta, blocks, { submit: true, ...(preview.dryRun ? { dryRun: true } : {}) });
}

function modeOption(mode: QuarantineMode): PlainTextOption {
  const words = MODE_WORDS[mode];
  return {
    text: plain(words.label),
    value: mode,
    description: plain(truncate(words.summary, 75)),
  };
}

/**
 * The checkboxes of modes. Slack holds an option's description to 75 characters, so the full words of each mode
 * (what it stops and what it does not) are in the hint under them; `deny-iam` is ticked (it is applied whatever is submitted).
 */
function modesInput(
  preview: Pick<QuarantinePreview, 'options'>,
  ticked: readonly QuarantineMode[] = ['deny-iam'],
): InputBlock {
  const options = preview.options
    .filter((option) => option.available)
    .map((option) => modeOption(option.mode));
  const initial = options.filter((option) => ticked.includes(option.value as QuarantineMode));
  const element: Checkboxes = {
    type: 'checkboxes',
    action_id: QUARANTINE_MODES_INPUT.ACTION_ID,
    options,
    ...(initial.length > 0 ? { initial_options: initial } : {}),
  };
  return {
    type: 'input',
    block_id: QUARANTINE_MODES_INPUT.BLOCK_ID,
    label: plain('What the quarantine stops'),
    element,
    optional: true,
    hint: plain(
      truncate(
        preview.options
          .filter((option) => option.available)
          .map(
            (option) =>
              `${MODE_WORDS[option.mode].label}: stops ${MODE_WORDS[option.mode].stops} Not: ${MODE_WORDS[option.mode].doesNotStop}`,
          )
          .join(' | '),
        2000,
      ),
    ),
  };
}

/** A view submission's `state.values`, as far as the quarantine modes are read from it. */
export type ModeStateValues = Record<
  string,
  Record<string, { selected_options?: { value?: string }[] | null } | undefined> | undefined
>;

/**
 * The quarantine modes chosen in a submitted confirmation: the ticked known modes, `deny-iam` always first and
 * each once. Unknown values are dropped (a forged option selects nothing); `deactivate-keys` for a role is
 * dropped later by the quarantine itself.
 */
export function quarantineModesOf(values: ModeStateValues | undefined): QuarantineMode[] {
  const selected =
    values?.[QUARANTINE_MODES_INPUT.BLOCK_ID]?.[QUARANTINE_MODES_INPUT.ACTION_ID]?.selected_options ?? [];
  const chosen = new Set<QuarantineMode>(['deny-iam']);
  for (const option of selected) if (isQuarantineMode(option.value)) chosen.add(option.value);
  return (['deny-iam', 'revoke-sessions', 'deactivate-keys'] as const).filter((mode) => chosen.has(mode));
}

/**
 * The lift confirmation: who is quarantined, by whom and why, the detach call and its `aws iam` command, and a
 * required reason. Refused (no quarantine recorded, already lifted, the policy no longer attached): no submit.
 */
export function renderLiftConfirm(preview: LiftPreview, meta: ConfirmMetadata): ModalView {
  const blocks: KnownBlock[] = [...headBlocks(preview.change), ...dryRunBlocks(preview.dryRun)];
  const record = preview.quarantine;
  if (record) {
    blocks.push(
      section(
        `Quarantined: ${principalText(record.target)} by ${mentionOf(record.by)} at ${slackDate(record.at)} (modes ${inlineCode((record.modes ?? ['deny-iam']).join(', '), 100)}) — ${reasonText(record.reason)}`,
      ),
    );
  }
  if (preview.refusal !== undefined || !preview.target) {
    blocks.push(
      section(
        `:no_entry: *Nothing to lift from Slack.*\n${truncate(capitalise(preview.refusal ?? 'no quarantine'), 1500)}.`,
      ),
    );
    return modal('lift-quarantine', meta, blocks, { refused: true });
  }
  blocks.push(
    section(
      `:unlock: *Lift the quarantine of ${principalText(preview.target)}*: ${preview.policyArn ? `detaches and deletes ${inlineCode(preview.policyArn, 300)}, so IAM, ${inlineCode('sts:AssumeRole')} and everything else it denied work for it again` : 'its deny policy is no longer attached'}.${preview.keysToRestore.length > 0 ? ` Sets Active again the access keys the quarantine deactivated: ${preview.keysToRestore.map((key) => inlineCode(key, 40)).join(', ')}.` : ''}`,
    ),
    ...callBlocks(runHeading(preview.dryRun), preview.steps, preview.cli, ''),
    reasonInput('lift-quarantine'),
  );
  return modal('lift-quarantine', meta, blocks, {
    submit: true,
    ...(preview.dryRun ? { dryRun: true } : {}),
  });
}

/**
 * A modal that only says what went wrong, for when there is no change to show (it is no longer stored). The
 * callback id is the action's, or the diff's for the "View diff" modal.
 */
export function renderProblemModal(callbackId: string, title: string, message: string): ModalView {
  return {
    type: 'modal',
    callback_id: callbackId,
    title: plain(truncate(title, LIMIT.title)),
    close: plain('Close'),
    blocks: [section(`:warning: ${truncate(message.trim() === '' ? 'unknown error' : message, 2500)}`)],
  };
}
