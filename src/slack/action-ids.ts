/**
 * The action ids of every interactive element the bot renders: the one place listeners and builders agree on
 * them. Each button's `value` carries the change's CloudTrail `eventID`, the identity of a change everywhere.
 */
export const ACTION_IDS = Object.freeze({
  ACKNOWLEDGE: 'change.acknowledge',
  VIEW_DIFF: 'change.view_diff',
  REVERT: 'change.revert',
  QUARANTINE: 'change.quarantine',
  /** The overflow menu on a change's line in a burst thread; its option values are `<action id>|<eventId>`. */
  CHANGE_MENU: 'change.menu',
} as const);

/** One of the bot's action ids. */
export type ActionId = (typeof ACTION_IDS)[keyof typeof ACTION_IDS];

const KNOWN = new Set<string>(Object.values(ACTION_IDS));

/** True when an incoming `action_id` is one of the bot's. */
export function isActionId(value: string): value is ActionId {
  return KNOWN.has(value);
}

/** Slack's limit on a button's `value`: a longer event id cannot ride on a button. */
export const MAX_BUTTON_VALUE_LENGTH = 2000;
