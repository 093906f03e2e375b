/**
 * The action ids of every interactive element the bot renders: the one place listeners and builders agree on
 * them. Each button's `value` carries the change's CloudTrail `eventID`, the identity of a change everywhere.
 */
export const ACTION_IDS = Object.freeze({
  ACKNOWLEDGE: 'change.acknowledge',
  VIEW_DIFF: 'change.view_diff',
  REVERT: 'change.revert',
  QUARANTINE: 'change.quarantine',
  /** Shown in place of Quarantine while the caller is quarantined: detaches the deny policy again. */
  LIFT_QUARANTINE: 'change.lift_quarantine',
  /** The overflow menu on a change's line in a burst thread; its option values are `<action id>|<eventId>`. */
  CHANGE_MENU: 'change.menu',
} as const);

/** Matches the burst thread menus' action ids (`change.menu:<eventId>`), for `app.action(...)`. */
export const CHANGE_MENU_ACTION_PATTERN = /^change\.menu:/;

/** One of the bot's action ids. */
export type ActionId = (typeof ACTION_IDS)[keyof typeof ACTION_IDS];

const KNOWN = new Set<string>(Object.values(ACTION_IDS));

/** True when an incoming `action_id` is one of the bot's. */
export function isActionId(value: string): value is ActionId {
  return KNOWN.has(value);
}

/**
 * The `callback_id` of the bot's confirmation modals (loading, confirm and refusal variants alike), so the view
 * submission listeners find them. Their `private_metadata` is JSON `{eventId, channel, ts}`.
 */
export const VIEW_IDS = Object.freeze({
  REVERT_CONFIRM: 'change.revert_confirm',
  QUARANTINE_CONFIRM: 'change.quarantine_confirm',
  LIFT_QUARANTINE_CONFIRM: 'change.lift_quarantine_confirm',
} as const);

/** One of the confirmation modals' callback ids. */
export type ViewId = (typeof VIEW_IDS)[keyof typeof VIEW_IDS];

/** The required "Reason" input of every confirmation modal: its block id and its element's action id. */
export const REASON_INPUT = Object.freeze({
  BLOCK_ID: 'reason',
  ACTION_ID: 'change.reason',
} as const);

/**
 * The quarantine confirmation's checkboxes of modes (`deny-iam` is ticked and always applied): block id and
 * element action id. The options' values are the {@link QuarantineMode}s.
 */
export const QUARANTINE_MODES_INPUT = Object.freeze({
  BLOCK_ID: 'quarantine_modes',
  ACTION_ID: 'change.quarantine_modes',
} as const);

/** The slash command the bot answers. */
export const SLASH_COMMAND = '/iam-changes';

/** Slack's limit on a button's `value`: a longer event id cannot ride on a button. */
export const MAX_BUTTON_VALUE_LENGTH = 2000;
