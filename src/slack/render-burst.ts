/**
 * Pure builders for grouped changes: the lines a burst posts in its parent's thread, the running count on the
 * parent, and the "resolved" mark on an alarm summary. Same rules as `render.ts`: escaped values, Slack's limits.
 */
import type { KnownBlock, SectionBlock } from '@slack/types';
import type { BurstNote, FleetActed } from '../app/ports';
import type { AlarmEvent, AssessedChange } from '../domain/types';
import { ACTION_IDS, MAX_BUTTON_VALUE_LENGTH } from './action-ids';
import { context, section } from './blocks';
import { truncate } from './escape';
import { describeChange, LEVELS, type SlackMessage, slackDate } from './render';
import { changeAccountInline } from './render-account';

/** Changes one thread message lists at most: one section each, under Slack's 50 blocks. */
export const MAX_BURST_LINES = 45;

/** Overflow option values carry `<action id>|<eventId>`; Slack allows 150 characters. */
const MAX_OPTION_VALUE = 150;

function menuFor(change: AssessedChange): SectionBlock['accessory'] | undefined {
  const options = [
    { label: 'Acknowledge', action: ACTION_IDS.ACKNOWLEDGE },
    { label: 'View diff', action: ACTION_IDS.VIEW_DIFF },
    ...(change.revert.supported ? [{ label: 'Revert…', action: ACTION_IDS.REVERT }] : []),
  ].map(({ label, action }) => ({
    text: { type: 'plain_text' as const, text: label },
    value: `${action}|${change.eventId}`,
  }));
  if (options.some((option) => option.value.length > MAX_OPTION_VALUE)) return undefined;
  // action_id must be unique within a message: one menu per change, keyed by its event id.
  return {
    type: 'overflow',
    action_id: `${ACTION_IDS.CHANGE_MENU}:${change.eventId}`.slice(0, 255),
    options,
  };
}

/**
 * One line per change, each with a menu to acknowledge, see the diff or revert it. A change in `muted` (its
 * event id) is marked so: a mute kept it from posting on its own, and it is listed here all the same.
 */
export function renderBurstBatch(changes: AssessedChange[], muted?: ReadonlySet<string>): SlackMessage {
  const shown = changes.slice(0, MAX_BURST_LINES);
  const blocks: KnownBlock[] = shown.map((change) => {
    const level = LEVELS[change.risk.level];
    const mark = muted?.has(change.eventId) ? ' :mute: _muted_' : '';
    const line = `${level.emoji} ${slackDate(change.eventTime, '{time_secs}')} ${changeAccountInline(change)} ${truncate(describeChange(change), 2300)} · \`${truncate(change.eventName, 80)}\`${mark}`;
    const accessory = menuFor(change);
    return { ...section(line), ...(accessory ? { accessory } : {}) };
  });
  if (changes.length > shown.length) {
    blocks.push(context([`… and ${changes.length - shown.length} more in the next message`]));
  }
  const first = shown[0];
  const text = first
    ? `${changes.length} more IAM change${changes.length === 1 ? '' : 's'} from ${truncate(first.actor.name, 200)}`
    : 'No changes';
  return { text, blocks };
}

/**
 * The parent message of a burst with its running count: how many more changes its thread lists, in how many
 * accounts. A fleet group (one change made in many accounts) also gets the buttons acting on every account.
 */
export function withBurstCount(message: SlackMessage, note: BurstNote, revertable = true): SlackMessage {
  const { more, startedAt, accounts, groupId } = note;
  if (more <= 0) return message;
  const changes = `*+${more} more change${more === 1 ? '' : 's'}*`;
  const line =
    groupId !== undefined && accounts !== undefined
      ? `:globe_with_meridians: *The same change in ${accounts} accounts* (${changes}) since ${slackDate(startedAt)} — each account listed in the thread`
      : `:repeat: ${changes} from this caller${accounts ? ` in ${accounts} accounts` : ''} since ${slackDate(startedAt)} — listed in the thread`;
  const blocks: KnownBlock[] = [...message.blocks.slice(0, 47), context([line])];
  const acted = note.fleetActed;
  if (acted) blocks.push(context([fleetActedLine(acted)]));
  // After an action on the whole group its buttons give way to what was done, until more accounts join.
  const offered = !acted || (accounts ?? 0) > acted.accounts;
  if (
    offered &&
    groupId !== undefined &&
    accounts !== undefined &&
    groupId.length <= MAX_BUTTON_VALUE_LENGTH
  ) {
    blocks.push({
      type: 'actions',
      block_id: 'fleet_actions',
      elements: [
        ...(revertable
          ? [
              {
                type: 'button' as const,
                action_id: ACTION_IDS.FLEET_REVERT,
                text: { type: 'plain_text' as const, text: `Revert in all ${accounts} accounts…` },
                value: groupId,
              },
            ]
          : []),
        {
          type: 'button' as const,
          action_id: ACTION_IDS.FLEET_QUARANTINE,
          text: { type: 'plain_text' as const, text: `Quarantine the caller in all ${accounts} accounts…` },
          value: groupId,
        },
      ],
    });
  }
  const where = accounts ? ` in ${accounts} accounts` : '';
  return { ...message, text: `${message.text} (+${more} more${where} in the thread)`, blocks };
}

/** What was last done to a whole fleet group: `Reverted in 38 of 40 accounts by Alice, <date>`. */
function fleetActedLine(acted: FleetActed): string {
  const what = acted.action === 'revert' ? 'Reverted' : 'Caller quarantined';
  const icon = acted.done === acted.total ? ':white_check_mark:' : ':warning:';
  return `${icon} *${what} in ${acted.done} of ${acted.total} account${acted.total === 1 ? '' : 's'}* by ${truncate(acted.by, 80)} ${slackDate(acted.at)} — each account's result in the thread`;
}

/** An alarm summary marked resolved, when the alarm went back to OK. */
export function withResolved(message: SlackMessage, ok: AlarmEvent): SlackMessage {
  const note = context([
    `:white_check_mark: *Resolved* — back to ${truncate(ok.state, 40)} at ${slackDate(ok.stateChangeTime)}`,
  ]);
  return { text: `[resolved] ${message.text}`, blocks: [note, ...message.blocks.slice(0, 49)] };
}
