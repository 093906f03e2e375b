/**
 * Pure builders for actions on a fleet group (one change made in many accounts): the confirmation modal listing
 * each account's calls, its loading and problem variants, and the thread messages reporting each account's
 * result. Accounts whose calls are the same but for the account id are listed together under those calls, so 500
 * accounts fit one modal. Same rules as `render.ts`: escaped values, Slack's limits.
 */
import type { KnownBlock } from '@slack/types';
import type { FleetConfirmMetadata, FleetPlan, FleetPresenter, FleetResult } from '../app/fleet-actions';
import type { FleetAction, Requester } from '../app/jobs';
import type { RespondedChange } from '../app/revert-port';
import { FLEET_ACCOUNTS_INPUT, FLEET_SCOPE_INPUT, REASON_INPUT, VIEW_IDS } from './action-ids';
import { context, plain, section } from './blocks';
import { breakFences, escapeText, inlineCode, truncate, truncateEscaped } from './escape';
import { modeList } from './quarantine-words';
import { describeChange, type SlackMessage } from './render';
import { changeAccountIdFirst, changeAccountInline, changeAccountPlain } from './render-account';

/** Options one select menu (or one of its option groups) holds at most, and option groups one menu holds. */
const OPTIONS_PER_GROUP = 100;
const MAX_OPTION_GROUPS = 100;

/** The state values of a submitted fleet confirmation that {@link fleetMembersOf} reads. */
export type FleetStateValues = Record<
  string,
  | Record<
      string,
      | { selected_option?: { value?: string } | null; selected_options?: { value?: string }[] | null }
      | undefined
    >
  | undefined
>;

/**
 * The accounts a submitted fleet confirmation chose: `members` undefined for all of those listed, else the event
 * ids picked (each once, sorted); `error` when "only the accounts chosen" was picked with none. Whatever a forged
 * payload picks, the worker acts only on the group's own changes (and on none when one is not the group's).
 */
export function fleetMembersOf(
  values: FleetStateValues | undefined,
): { members?: string[] } | { error: string } {
  const scope = values?.[FLEET_SCOPE_INPUT.BLOCK_ID]?.[FLEET_SCOPE_INPUT.ACTION_ID]?.selected_option?.value;
  if (scope !== 'chosen') return {};
  const picked =
    values?.[FLEET_ACCOUNTS_INPUT.BLOCK_ID]?.[FLEET_ACCOUNTS_INPUT.ACTION_ID]?.selected_options ?? [];
  const members = [...new Set(picked.flatMap((option) => (option.value ? [option.value] : [])))].sort();
  return members.length > 0 ? { members } : { error: 'Choose at least one account, or pick all of them.' };
}

/**
 * The choice of accounts: all of those that can run (the default), or only those picked in a multi-select (one
 * option per account, its change's event id as the value; grouped by 100 beyond 100 accounts, as Slack allows).
 */
function accountChoice(runnable: RespondedChange[]): KnownBlock[] {
  const options = runnable.slice(0, OPTIONS_PER_GROUP * MAX_OPTION_GROUPS).map((stored) => ({
    text: plain(truncate(changeAccountPlain(stored.change, true), 75)),
    value: stored.change.eventId,
  }));
  const groups: Array<{ label: ReturnType<typeof plain>; options: typeof options }> = [];
  for (let start = 0; start < options.length; start += OPTIONS_PER_GROUP) {
    const end = Math.min(start + OPTIONS_PER_GROUP, options.length);
    groups.push({ label: plain(`Accounts ${start + 1}–${end}`), options: options.slice(start, end) });
  }
  const all = {
    text: plain(`All ${runnable.length} account${runnable.length === 1 ? '' : 's'} that can run`),
    value: 'all',
  };
  return [
    {
      type: 'input',
      block_id: FLEET_SCOPE_INPUT.BLOCK_ID,
      label: plain('Act in'),
      element: {
        type: 'radio_buttons',
        action_id: FLEET_SCOPE_INPUT.ACTION_ID,
        initial_option: all,
        options: [all, { text: plain('Only the accounts chosen below'), value: 'chosen' }],
      },
    },
    {
      type: 'input',
      block_id: FLEET_ACCOUNTS_INPUT.BLOCK_ID,
      optional: true,
      label: plain('Accounts to act in (when only some)'),
      element: {
        type: 'multi_static_select',
        action_id: FLEET_ACCOUNTS_INPUT.ACTION_ID,
        placeholder: plain('Choose accounts'),
        ...(groups.length > 1 ? { option_groups: groups } : { options }),
      },
    },
  ];
}

/** The fleet confirmation modals' callback ids, by action. */
export const FLEET_CALLBACK_IDS: Readonly<Record<FleetAction, string>> = Object.freeze({
  revert: VIEW_IDS.FLEET_REVERT_CONFIRM,
  quarantine: VIEW_IDS.FLEET_QUARANTINE_CONFIRM,
});

/** The fleet action a modal's callback id is for; undefined for any other view. */
export function fleetActionOf(callbackId: string): FleetAction | undefined {
  if (callbackId === VIEW_IDS.FLEET_REVERT_CONFIRM) return 'revert';
  if (callbackId === VIEW_IDS.FLEET_QUARANTINE_CONFIRM) return 'quarantine';
  return undefined;
}

const WORDS: Record<FleetAction, { title: string; verb: string; done: string }> = {
  revert: { title: 'Revert everywhere', verb: 'Revert', done: 'reverted' },
  quarantine: { title: 'Quarantine everywhere', verb: 'Quarantine the caller', done: 'caller quarantined' },
};

/** Groups of listed accounts one modal shows at most (each up to seven blocks, under 100 blocks). */
const MAX_GROUPS = 12;
const SECTION_BUDGET = 2900;
/** Result lines one thread message carries. */
const RESULT_LINES = 40;

/** Reads the modal's metadata back; undefined when it is not a fleet confirmation's. */
export function parseFleetMetadata(text: string | undefined): FleetConfirmMetadata | undefined {
  if (!text) return undefined;
  try {
    const value = JSON.parse(text) as Record<string, unknown>;
    if (typeof value.groupId !== 'string' || value.groupId === '') return undefined;
    if (typeof value.asOf !== 'string' || Number.isNaN(Date.parse(value.asOf))) return undefined;
    const meta: FleetConfirmMetadata = { groupId: value.groupId, asOf: value.asOf };
    if (typeof value.channel === 'string') meta.channel = value.channel;
    if (typeof value.ts === 'string') meta.ts = value.ts;
    return meta;
  } catch {
    return undefined;
  }
}

function modal(
  action: FleetAction,
  meta: Partial<FleetConfirmMetadata> & { groupId: string },
  blocks: KnownBlock[],
  submit?: string,
) {
  return {
    type: 'modal' as const,
    callback_id: FLEET_CALLBACK_IDS[action],
    title: plain(WORDS[action].title),
    close: plain(submit ? 'Cancel' : 'Close'),
    ...(submit ? { submit: plain(truncate(submit, 24)) } : {}),
    private_metadata: JSON.stringify(meta),
    blocks: blocks.slice(0, 100),
  };
}

/** The modal while the worker reads each account's plan. */
export function renderFleetLoading(
  action: FleetAction,
  stored: RespondedChange,
  meta: { groupId: string; channel?: string; ts?: string },
) {
  const what = `${escapeText(stored.change.actor.name || 'unknown caller')} ${truncate(describeChange(stored.change), 1500)}`;
  return modal(action, meta, [
    section(`*${WORDS[action].verb} in every account where this was done*\n${what}`),
    context([':hourglass_flowing_sand: Reading each account’s plan…']),
  ]);
}

/** The modal saying why nothing can be confirmed. */
export function renderFleetProblem(action: FleetAction, text: string, meta: FleetConfirmMetadata) {
  return modal(action, meta, [section(`:no_entry: ${truncate(text, 2800)}`)]);
}

/** Sections a group's list of accounts takes at most; beyond, the rest is counted (each is in the thread too). */
const ACCOUNT_SECTIONS = 4;

/** Every account of a group, by name and id, in as few sections as fit. */
function accountSections(entries: RespondedChange[]): KnownBlock[] {
  const sections: string[] = [];
  let current = '';
  let listed = 0;
  for (const stored of entries) {
    const label = changeAccountIdFirst(stored.change, false);
    if (current.length + label.length + 2 > SECTION_BUDGET) {
      if (sections.length + 1 >= ACCOUNT_SECTIONS) break;
      sections.push(current);
      current = '';
    }
    current = current ? `${current}, ${label}` : label;
    listed += 1;
  }
  if (current) sections.push(current);
  const blocks: KnownBlock[] = sections.map((text) => section(text));
  if (listed < entries.length) {
    blocks.push(context([`… and ${entries.length - listed} more accounts, each on its line in the thread`]));
  }
  return blocks;
}

/** The calls of one plan with the account id replaced, so accounts with the same calls share one listing. */
function callsOf(plan: FleetPlan): { key: string; lines: string[] } {
  const account = plan.stored.change.accountId;
  const generic = (line: string) => (account ? line.split(account).join('<account>') : line);
  if ('error' in plan) return { key: `error:${plan.error}`, lines: [] };
  const refusal = plan.preview.refusal;
  if (refusal !== undefined) return { key: `refused:${generic(refusal)}`, lines: [] };
  const cli = plan.action === 'revert' ? plan.preview.plan.cli : plan.preview.cli;
  const lines = cli.map(generic);
  return { key: `run:${lines.join('\n')}`, lines };
}

/**
 * The confirmation: what runs in which accounts (accounts with the same calls listed together, each account by
 * name and id), the accounts where it would be refused and why, and the reason input. Submitting acts on the
 * accounts listed as runnable; a refused account stays refused (its own checks run again when the job runs).
 */
export function renderFleetConfirm(action: FleetAction, plans: FleetPlan[], meta: FleetConfirmMetadata) {
  const first = plans[0];
  if (!first) return renderFleetProblem(action, 'This group has no changes the bot still holds.', meta);
  const groups = new Map<string, { lines: string[]; plans: FleetPlan[] }>();
  for (const plan of plans) {
    const { key, lines } = callsOf(plan);
    const group = groups.get(key) ?? { lines, plans: [] };
    group.plans.push(plan);
    groups.set(key, group);
  }
  const runnable = [...groups.entries()].filter(([key]) => key.startsWith('run:'));
  const runnableCount = runnable.reduce((sum, [, group]) => sum + group.plans.length, 0);
  const change = first.stored.change;
  const blocks: KnownBlock[] = [
    section(
      `*${escapeText(change.actor.name || 'unknown caller')}* ${truncate(describeChange(change), 1200)} in *${plans.length} account${plans.length === 1 ? '' : 's'}*.\n` +
        `${WORDS[action].verb} runs in ${runnableCount} of them, each in its own account through the responder role; every account’s result is posted in the thread.`,
    ),
  ];
  let shown = 0;
  for (const [key, group] of [...groups.entries()].slice(0, MAX_GROUPS)) {
    shown += group.plans.length;
    const count = group.plans.length;
    const accounts = accountSections(group.plans.map((plan) => plan.stored));
    if (key.startsWith('run:')) {
      blocks.push(section(`:white_check_mark: *In ${count} account${count === 1 ? '' : 's'}:*`), ...accounts);
      const code = group.lines.map((line) => breakFences(escapeText(line))).join('\n');
      blocks.push(section(`\`\`\`${truncateEscaped(code, SECTION_BUDGET - 10)}\`\`\``));
    } else {
      const why = key.slice(key.indexOf(':') + 1);
      const label = key.startsWith('refused:') ? 'Refused' : 'Could not be prepared';
      blocks.push(
        section(`:no_entry: *${label} in ${count} account${count === 1 ? '' : 's'}:* ${truncate(why, 1000)}`),
        ...accounts,
      );
    }
  }
  if (shown < plans.length) {
    blocks.push(
      context([
        `… ${plans.length - shown} more accounts in ${groups.size - MAX_GROUPS} more groups of calls`,
      ]),
    );
  }
  if (runnableCount === 0) return modal(action, meta, blocks);
  const runnablePlans = runnable.flatMap(([, group]) => group.plans.map((plan) => plan.stored));
  // The choice and the reason always fit: the listing above is capped below Slack's 100 blocks.
  blocks.splice(97 - 1);
  blocks.push(...accountChoice(runnablePlans));
  blocks.push({
    type: 'input',
    block_id: REASON_INPUT.BLOCK_ID,
    label: plain('Reason'),
    element: {
      type: 'plain_text_input',
      action_id: REASON_INPUT.ACTION_ID,
      multiline: true,
      max_length: 1000,
    },
  });
  return modal(action, meta, blocks, action === 'revert' ? 'Revert' : 'Quarantine');
}

function resultLine(result: FleetResult): string {
  const where = changeAccountInline(result.stored.change);
  if ('error' in result) return `:x: ${where} — failed: ${truncate(result.error, 300)}`;
  const outcome = result.outcome;
  switch (outcome.status) {
    case 'done':
      return `:white_check_mark: ${where} — ${WORDS[result.action].done}`;
    case 'already-quarantined':
      return `:white_check_mark: ${where} — already quarantined (${inlineCode(modeList(outcome.modes), 100)})`;
    case 'modes-added':
      return `:white_check_mark: ${where} — already quarantined: added ${inlineCode(modeList(outcome.added), 100)} (now ${inlineCode(modeList(outcome.modes), 100)})`;
    case 'already-claimed':
      return `:arrow_right_hook: ${where} — already ${outcome.existing.status} by ${escapeText(outcome.existing.by.name)}`;
    case 'refused':
      return `:no_entry: ${where} — refused: ${truncate(outcome.reason, 300)}`;
    case 'failed':
      return `:x: ${where} — failed: ${truncate(outcome.error, 300)}`;
  }
}

/** Each account's result, in thread messages of at most 40 lines, the first saying who asked and why. */
export function renderFleetResults(
  action: FleetAction,
  results: FleetResult[],
  by: Requester,
  reason: string,
): SlackMessage[] {
  const lines = results.map(resultLine);
  const done = results.filter(
    (result) =>
      'outcome' in result &&
      (result.outcome.status === 'done' ||
        result.outcome.status === 'already-quarantined' ||
        result.outcome.status === 'modes-added'),
  ).length;
  const head = `*${WORDS[action].verb} in every account* requested by <@${escapeText(by.slackUserId)}> — ${truncate(reason, 500)}\n${done} of ${results.length} account${results.length === 1 ? '' : 's'} done.`;
  const messages: SlackMessage[] = [];
  for (let start = 0; start < Math.max(lines.length, 1); start += RESULT_LINES) {
    const chunk = lines.slice(start, start + RESULT_LINES);
    const text = truncateEscaped(chunk.join('\n'), SECTION_BUDGET);
    const blocks: KnownBlock[] = start === 0 ? [section(head)] : [];
    if (chunk.length > 0) blocks.push(section(text));
    messages.push({
      text: `${WORDS[action].verb} in every account: ${done} of ${results.length} done${start > 0 ? ' (continued)' : ''}`,
      blocks,
    });
  }
  return messages;
}

/** The {@link FleetPresenter} the worker uses. */
export const SLACK_FLEET_PRESENTER: FleetPresenter = {
  confirm: renderFleetConfirm,
  problem: renderFleetProblem,
  results: renderFleetResults,
};
