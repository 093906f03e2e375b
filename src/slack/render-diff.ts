/**
 * Pure Block Kit builders for the "View diff" modal: a loading state while the before-state is looked up, the
 * diff itself (where the before-state came from, statement changes, what it does to the risk, the unified diff
 * in code blocks), and an error state. Every value from an event is escaped. A diff too long for one modal is
 * paged with Previous / Next buttons and "page N of M": nothing is ever cut without saying so.
 */
import type { ActionsBlock, Button, KnownBlock, ModalView, SectionBlock } from '@slack/types';
import type { DiffSource } from '../app/alert-port';
import {
  diffScope,
  documentText,
  type IndexedStatement,
  type PolicyDiff,
  type RiskDelta,
  type RiskDeltaLevel,
  type StatementChange,
  type StatementField,
} from '../domain/diff';
import { principalEntries } from '../domain/policy';
import {
  DIFF_FINDING_TYPES,
  describeFinding,
  findingsOf,
  type PolicyValidation,
  unavailableNote,
} from '../domain/policy-validation';
import type { Change, Principal, Statement } from '../domain/types';
import { DIFF_PAGE_ACTION_IDS, diffPageValue, MAX_BUTTON_VALUE_LENGTH } from './action-ids';
import { context as contextBlock, plain, section } from './blocks';
import { breakFences, escapeText, inlineCode, truncate, truncateEscaped, wrapEscaped } from './escape';
import { describeChange, LEVELS, slackDate } from './render';
import { changeAccountMrkdwn } from './render-account';

/** The `callback_id` of every diff modal (loading, diff, error), so listeners can tell them from other views. */
export const DIFF_VIEW_CALLBACK_ID = 'change.diff_view';

/** The before-state's origin, as the diff modal states it (the worker's fact, `src/app/alert-port.ts`). */
export type { DiffSource, DiffSourceKind } from '../app/alert-port';
export {
  DIFF_PAGE_ACTION_ID,
  DIFF_PAGE_ACTION_IDS,
  DIFF_PAGE_ACTION_PATTERN,
  diffPageValue,
  isDiffPageAction,
  parseDiffPageValue,
} from './action-ids';

const LIMIT = { section: 3000, title: 24, privateMetadata: 3000 } as const;

/** Section texts are packed to this, leaving room under Slack's 3000. */
const SECTION_BUDGET = 2900;

/** A line of statement changes is cut (with an ellipsis) beyond this: the full text is in the unified diff. */
const MAX_LINE = 2400;

/** An escaped line of the unified diff longer than this is wrapped onto `↪ ` continuation lines. */
const MAX_CODE_LINE = 1800;

/** What one modal page holds at most, beyond its fixed head and pager: text and blocks. */
const PAGE_TEXT_BUDGET = 24_000;
const PAGE_BLOCK_BUDGET = 40;

/** Items of a list shown before "+N more (see the diff)". */
const LIST_ITEMS = 10;

const FIELD_LABELS: Record<StatementField, string> = {
  actions: 'actions',
  notActions: 'NotAction',
  resources: 'resources',
  notResources: 'NotResource',
  principals: 'principals',
  notPrincipals: 'NotPrincipal',
  conditions: 'conditions',
};

// --- small builders -------------------------------------------------------------------------------------------

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** A modal with the diff's callback id, a close button and the event id as `private_metadata`. */
function modal(change: Change, title: string, blocks: KnownBlock[]): ModalView {
  const view: ModalView = {
    type: 'modal',
    callback_id: DIFF_VIEW_CALLBACK_ID,
    title: plain(truncate(title, LIMIT.title)),
    close: plain('Close'),
    blocks,
  };
  // An event id longer than Slack allows cannot ride along; the listeners then have nothing to page with.
  if (change.eventId.length <= LIMIT.privateMetadata) view.private_metadata = change.eventId;
  return view;
}

/**
 * Joins lines into section texts of at most {@link SECTION_BUDGET} characters each, every line kept: a line
 * longer than {@link MAX_LINE} is cut with an ellipsis (the full text is in the diff).
 */
function packLines(lines: string[]): string[] {
  const out: string[] = [];
  let current = '';
  for (const raw of lines) {
    const line = truncateEscaped(raw, MAX_LINE);
    if (current === '') current = line;
    else if (current.length + 1 + line.length <= SECTION_BUDGET) current = `${current}\n${line}`;
    else {
      out.push(current);
      current = line;
    }
  }
  if (current !== '') out.push(current);
  return out;
}

function codeList(items: readonly string[], max = LIST_ITEMS, itemMax = 120): string {
  const shown = items.slice(0, max).map((item) => inlineCode(item, itemMax));
  const rest = items.length - shown.length;
  return rest > 0 ? `${shown.join(', ')} +${rest} more (see the diff)` : shown.join(', ');
}

// --- the head of every view -----------------------------------------------------------------------------------

function headBlocks(change: Change): KnownBlock[] {
  const actor = truncate(change.actor.name || 'unknown caller', 100);
  const meta = [`Event ${inlineCode(change.eventId, 200)} · ${slackDate(change.eventTime)}`];
  if (change.accountId) meta.push(`Account ${changeAccountMrkdwn(change)}`);
  return [section(`*${actor}* ${truncate(describeChange(change), 1500)}.`), contextBlock(meta)];
}

// --- loading and error ----------------------------------------------------------------------------------------

function lookingUp(change: Change): string[] {
  const target = change.target;
  const entity = target.name ? `${target.kind} ${target.name}` : `the ${target.kind}`;
  const policy = target.policyName ?? target.policyArn ?? 'the policy';
  const previous = [
    "the bot's own record of the last document it saw",
    'CloudTrail history for the resource (90 days)',
  ];
  const event = change.eventName;
  if (/^(Attach|Detach)(Role|User|Group)Policy$/.test(event)) {
    return [`the default version of managed policy ${policy} (IAM)`];
  }
  if (/^(Put|Delete)(Role|User|Group)Policy$/.test(event)) {
    return previous.map((where) => `${where}, for inline policy ${policy} of ${entity}`);
  }
  if (event === 'UpdateAssumeRolePolicy') {
    return previous.map((where) => `${where}, for the trust policy of ${entity}`);
  }
  if (event === 'CreatePolicy') return ['nothing before: the policy is new; reading its document'];
  if (/PolicyVersion$|^DeletePolicy$/.test(event)) {
    return [...previous, `IAM policy versions of ${policy}`];
  }
  return ['what the call changed'];
}

/** The modal opened at once on "View diff": what is being looked up while the worker finds the before-state. */
export function renderDiffLoading(change: Change): ModalView {
  const lines = lookingUp(change).map((line) => `• ${truncate(line, 600)}`);
  return modal(change, 'Policy diff', [
    ...headBlocks(change),
    section([':hourglass_flowing_sand: *Looking up the document before this change…*', ...lines].join('\n')),
    contextBlock(['This view updates by itself when the look-up is done.']),
  ]);
}

/** The modal when the diff cannot be shown: what went wrong, in one line, and what to do. */
export function renderDiffError(change: Change, message: string): ModalView {
  const text = message.trim() === '' ? 'unknown error' : message;
  return modal(change, 'Policy diff', [
    ...headBlocks(change),
    section(`:warning: *The diff could not be shown.*\n${truncate(text, 2000)}`),
    contextBlock([
      `Try *View diff* again, or run ${inlineCode(`iam-changes explain`)} on the event for the documents.`,
    ]),
  ]);
}

// --- the diff -------------------------------------------------------------------------------------------------

function sourcePhrase(source: DiffSource): string {
  const detail = source.detail ? ` — ${truncate(source.detail, 600)}` : '';
  switch (source.kind) {
    case 'store': {
      const from = source.eventId
        ? ` (from event ${inlineCode(source.eventId, 200)}${source.eventTime ? ` of ${slackDate(source.eventTime)}` : ''})`
        : '';
      return `the bot's own record of the last document it saw${from}${detail}`;
    }
    case 'cloudtrail': {
      const when = source.eventTime ? slackDate(source.eventTime) : 'an unknown date';
      return `CloudTrail event ${inlineCode(source.eventId ?? 'with no id', 200)} of ${when}${detail}`;
    }
    case 'iam':
      return `IAM policy version ${inlineCode(source.versionId ?? 'not given', 40)}${detail}`;
    case 'unknown':
      return `no source recorded${detail}`;
  }
}

function originLines(change: Change, diff: PolicyDiff, source: DiffSource): string[] {
  const lines: string[] = [];
  if (!diff.beforeKnown) {
    const why = source.detail
      ? truncate(source.detail, 600)
      : "not in the bot's own record, in CloudTrail history (90 days) or in IAM";
    lines.push(
      `:grey_question: *Before: unknown* — ${why}. Nothing is guessed: there is no diff, only the document after the change.`,
    );
  } else if (diff.before === null) {
    lines.push(
      source.kind === 'unknown'
        ? '*Before:* nothing — known from the call itself (it creates, attaches or first writes the policy)'
        : `*Before:* nothing (no document), from ${sourcePhrase(source)}`,
    );
  } else {
    lines.push(`*Before:* from ${sourcePhrase(source)}`);
  }
  if (!diff.afterKnown) {
    lines.push(':grey_question: *After: unknown* — the document after the change could not be read.');
  } else if (diff.after === null) {
    lines.push('*After:* nothing (no document): the change takes it away.');
  }
  for (const note of diffScope(change).notes) lines.push(`_${truncate(note, 800)}_`);
  return lines;
}

function levelLabel(level: RiskDeltaLevel): string {
  if (level === 'none') return 'none (no document)';
  if (level === 'unknown') return ':grey_question: unknown';
  return `${LEVELS[level].emoji} ${LEVELS[level].label}`;
}

const DIRECTIONS: Record<RiskDelta['direction'], string> = {
  raised: ':arrow_up: raised',
  lowered: ':arrow_down: lowered',
  same: 'unchanged',
  unknown: 'cannot be compared',
};

function riskLines(delta: RiskDelta): string[] {
  const lines = [
    `*What it does to the risk:* ${levelLabel(delta.before)} → ${levelLabel(delta.after)} (${DIRECTIONS[delta.direction]})`,
  ];
  if (delta.direction === 'unknown') {
    if (delta.after !== 'unknown' && delta.after !== 'none') {
      lines.push(`The document after the change, on its own, is ${LEVELS[delta.after].label}:`);
      for (const reason of delta.afterReasons) lines.push(`• ${truncate(reason, 600)}`);
      if (delta.afterReasons.length === 0) lines.push('• no risk rule matched');
    }
    return lines;
  }
  for (const reason of delta.reasonsAdded) lines.push(`➕ ${truncate(reason, 600)}`);
  for (const reason of delta.reasonsRemoved) lines.push(`➖ ${truncate(reason, 600)}`);
  if (delta.reasonsAdded.length === 0 && delta.reasonsRemoved.length === 0) {
    lines.push('No risk rule changes its verdict.');
  }
  return lines;
}

function principalText(principal: Principal): string {
  if (principal === '*') return `everyone (${inlineCode('*')})`;
  return codeList(
    principalEntries(principal).map((entry) => `${entry.kind}:${entry.value}`),
    4,
  );
}

function conditionText(condition: NonNullable<Statement['Condition']>): string {
  const tests = Object.entries(condition).flatMap(([operator, block]) =>
    Object.entries(block).map(
      ([key, values]) => `${inlineCode(key, 80)} ${truncate(operator, 60)} ${codeList(values, 3, 80)}`,
    ),
  );
  const shown = tests.slice(0, 3).join('; ');
  return tests.length > 3 ? `${shown}; +${tests.length - 3} more (see the diff)` : shown;
}

/** A statement in one line: "*Allow* `s3:GetObject` on `arn:…`", principals and conditions summarised. */
function readStatement(statement: Statement): string {
  const parts = [`*${statement.Effect}*`];
  if (statement.Action) parts.push(codeList(statement.Action, 6, 80));
  else if (statement.NotAction) parts.push(`every action except ${codeList(statement.NotAction, 4, 80)}`);
  else parts.push('no action');
  if (statement.Principal) parts.push(`to ${principalText(statement.Principal)}`);
  if (statement.NotPrincipal) parts.push(`to everyone except ${principalText(statement.NotPrincipal)}`);
  if (statement.Resource) parts.push(`on ${codeList(statement.Resource, 4, 120)}`);
  else if (statement.NotResource) {
    parts.push(`on every resource except ${codeList(statement.NotResource, 4, 120)}`);
  }
  if (statement.Condition && Object.keys(statement.Condition).length > 0) {
    parts.push(`if ${conditionText(statement.Condition)}`);
  }
  return parts.join(' ');
}

function statementLabel(entry: IndexedStatement): string {
  const sid = entry.statement.Sid ? ` ${inlineCode(entry.statement.Sid, 80)}` : '';
  return `#${entry.index + 1}${sid}`;
}

function changedLines(change: StatementChange): string[] {
  const moved = change.before.index !== change.after.index ? ` (was #${change.before.index + 1})` : '';
  const lines = [`✏️ *Changed* ${statementLabel(change.after)}${moved}`];
  if (change.sid) {
    lines.push(
      `      ◦ Sid ${inlineCode(change.sid.before ?? '(none)', 80)} → ${inlineCode(change.sid.after ?? '(none)', 80)}`,
    );
  }
  if (change.effect) lines.push(`      ◦ Effect *${change.effect.before}* → *${change.effect.after}*`);
  for (const field of change.changedFields) {
    const { added, removed } = change.fields[field];
    const parts: string[] = [];
    if (added.length > 0) parts.push(`+ ${codeList(added)}`);
    if (removed.length > 0) parts.push(`− ${codeList(removed)}`);
    lines.push(`      ◦ ${FIELD_LABELS[field]}: ${parts.join('  ')}`);
  }
  return lines;
}

function statementLines(change: Change, diff: PolicyDiff): string[] {
  const head = '*Statement changes*';
  if (!diffScope(change).supported) return [head, 'This call carries no policy document to compare.'];
  if (diff.unchanged) return [head, 'The documents are identical: nothing changed.'];
  if (!diff.beforeKnown || !diff.afterKnown) {
    const known = diff.beforeKnown ? diff.before : diff.after;
    const side = diff.beforeKnown ? 'before' : 'after';
    if (!known) return [head, 'Not compared: neither document is known.'];
    return [
      head,
      `Not compared: only the document ${side} the change is known. Its statements:`,
      ...known.Statement.map(
        (statement, index) => `• ${statementLabel({ index, statement })}: ${readStatement(statement)}`,
      ),
    ];
  }
  const lines = [head];
  for (const entry of diff.added)
    lines.push(`➕ *Added* ${statementLabel(entry)}: ${readStatement(entry.statement)}`);
  for (const entry of diff.removed) {
    lines.push(`➖ *Removed* ${statementLabel(entry)}: ${readStatement(entry.statement)}`);
  }
  for (const entry of diff.changed) lines.push(...changedLines(entry));
  if (lines.length === 1) {
    lines.push('No statement changed: only formatting, letter case, Version or Id differ (see the diff).');
  }
  return lines;
}

function summaryLines(diff: PolicyDiff): string[] {
  const s = diff.summary;
  const lines: string[] = [];
  const add = (label: string, items: readonly string[]) => {
    if (items.length > 0) lines.push(`${label}: ${codeList(items, 15)}`);
  };
  add('*Newly allowed actions*', s.actionsAllowed);
  add('*Actions no longer allowed*', s.actionsNoLongerAllowed);
  add('*Resources added*', s.resourcesAdded);
  add('*Resources removed*', s.resourcesRemoved);
  if (s.denyStatementsRemoved.length > 0) {
    lines.push(
      `:warning: *Deny statements removed*: ${s.denyStatementsRemoved.map(statementLabel).slice(0, 15).join(', ')}${
        s.denyStatementsRemoved.length > 15 ? ` +${s.denyStatementsRemoved.length - 15} more` : ''
      }`,
    );
  }
  add(':warning: *Actions no longer denied*', s.denyActionsRemoved);
  add('*Principals newly trusted*', s.principalsAdded);
  add('*Principals no longer trusted*', s.principalsRemoved);
  return lines.length > 0 ? ['*In short*', ...lines] : [];
}

/** Lines of raw text as code-block sections of at most {@link SECTION_BUDGET} characters, fences included. */
function codeSections(lines: string[]): string[] {
  const room = SECTION_BUDGET - '```\n\n```'.length;
  const chunks: string[] = [];
  let current: string[] = [];
  let size = 0;
  for (const line of lines) {
    for (const piece of wrapEscaped(escapeText(breakFences(line)), MAX_CODE_LINE)) {
      const added = (current.length > 0 ? 1 : 0) + piece.length;
      if (current.length > 0 && size + added > room) {
        chunks.push(current.join('\n'));
        current = [];
        size = 0;
      }
      size += (current.length > 0 ? 1 : 0) + piece.length;
      current.push(piece);
    }
  }
  if (current.length > 0) chunks.push(current.join('\n'));
  return chunks.map((chunk) => `\`\`\`\n${chunk}\n\`\`\``);
}

function textLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

function diffBlocks(change: Change, diff: PolicyDiff): SectionBlock[] {
  if (!diffScope(change).supported || diff.unchanged) return [];
  if (diff.beforeKnown && diff.afterKnown) {
    const lines = textLines(diff.unified);
    return [
      section(
        `*Unified diff* of the canonical JSON (${inlineCode('before')} → ${inlineCode('after')}, ${plural(lines.length, 'line')})`,
      ),
      ...codeSections(lines).map(section),
    ];
  }
  const known = diff.beforeKnown ? diff.before : diff.after;
  if (!known) return [];
  const side = diff.beforeKnown ? 'before' : 'after';
  const lines = textLines(documentText(known));
  return [
    section(
      `*The document ${side} the change* (canonical JSON, ${plural(lines.length, 'line')}; nothing to compare it with)`,
    ),
    ...codeSections(lines).map(section),
  ];
}

function textLength(block: KnownBlock): number {
  return block.type === 'section' && block.text ? block.text.text.length : 0;
}

/** Splits the content into pages of at most {@link PAGE_TEXT_BUDGET} characters and {@link PAGE_BLOCK_BUDGET} blocks. */
function paginate(blocks: KnownBlock[]): KnownBlock[][] {
  const pages: KnownBlock[][] = [];
  let current: KnownBlock[] = [];
  let size = 0;
  for (const block of blocks) {
    const length = textLength(block);
    if (current.length > 0 && (size + length > PAGE_TEXT_BUDGET || current.length >= PAGE_BLOCK_BUDGET)) {
      pages.push(current);
      current = [];
      size = 0;
    }
    current.push(block);
    size += length;
  }
  if (current.length > 0 || pages.length === 0) pages.push(current);
  return pages;
}

function pageButton(which: 'previous' | 'next', eventId: string, page: number): Button {
  return {
    type: 'button',
    action_id: DIFF_PAGE_ACTION_IDS[which],
    text: plain(which === 'previous' ? '◀ Previous' : 'Next ▶'),
    value: diffPageValue(eventId, page),
  };
}

function pagerBlocks(change: Change, page: number, count: number): KnownBlock[] {
  const value = diffPageValue(change.eventId, count);
  if (value.length > MAX_BUTTON_VALUE_LENGTH) {
    return [
      contextBlock(['The event id is too long for Slack buttons: the other pages cannot be opened here.']),
    ];
  }
  const elements: Button[] = [];
  if (page > 0) elements.push(pageButton('previous', change.eventId, page - 1));
  if (page < count - 1) elements.push(pageButton('next', change.eventId, page + 1));
  const pager: ActionsBlock = { type: 'actions', block_id: 'diff_pager', elements };
  return [pager];
}

/**
 * AWS Access Analyzer's findings on the new documents — security warnings, errors and warnings, most serious
 * first — or why they could not be had. Nothing when the change was not validated.
 */
function validationLines(validation: PolicyValidation | undefined): string[] {
  if (validation === undefined) return [];
  const note = unavailableNote(validation);
  const findings = findingsOf(validation, DIFF_FINDING_TYPES);
  if (findings.length === 0) {
    return note
      ? [`:grey_question: ${truncate(note, 300)}`]
      : ['*AWS Access Analyzer*: no security warnings, errors or warnings'];
  }
  const lines = ['*AWS Access Analyzer*'];
  for (const finding of findings) {
    const more = /^https:\/\/[^\s<>|]+$/.test(finding.learnMoreLink ?? '')
      ? ` <${finding.learnMoreLink}|more>`
      : '';
    lines.push(`• ${truncate(describeFinding(finding), 600)} (${inlineCode(finding.field, 40)})${more}`);
  }
  if (note) lines.push(`:grey_question: ${truncate(note, 300)}`);
  return lines;
}

/**
 * The diff modal, one page of it. Page 1 starts with where the before-state came from (the bot's own record,
 * a CloudTrail event, an IAM policy version, or an explicit "unknown"), what the change does to the risk, the
 * statement changes (➕ added, ➖ removed, ✏️ changed) and a summary; then the unified diff of the canonical JSON
 * in code blocks. When that does not fit one modal (about 24 KB of text or 40 blocks a page), the view says
 * "Page N of M" and carries Previous / Next buttons ({@link DIFF_PAGE_ACTION_IDS}, value `<eventId>|<page>`).
 *
 * @param page the page to show, from 0; out of range is brought into range.
 */
export function renderDiffModal(
  change: Change & { validation?: PolicyValidation },
  diff: PolicyDiff,
  source: DiffSource,
  delta: RiskDelta,
  page = 0,
): ModalView {
  const content: KnownBlock[] = [
    ...packLines(originLines(change, diff, source)).map(section),
    ...packLines(riskLines(delta)).map(section),
    ...packLines(validationLines(change.validation)).map(section),
    { type: 'divider' },
    ...packLines(statementLines(change, diff)).map(section),
    ...packLines(summaryLines(diff)).map(section),
    ...diffBlocks(change, diff),
  ];
  const pages = paginate(content);
  const index = Number.isInteger(page) ? Math.min(Math.max(page, 0), pages.length - 1) : 0;
  const blocks: KnownBlock[] = [...headBlocks(change)];
  if (pages.length > 1) {
    blocks.push(
      contextBlock([
        `*Page ${index + 1} of ${pages.length}* · use Previous / Next for the rest: nothing is left out`,
      ]),
    );
  }
  blocks.push(...(pages[index] ?? []));
  if (pages.length > 1) blocks.push(...pagerBlocks(change, index, pages.length));
  return modal(change, 'Policy diff', blocks);
}
