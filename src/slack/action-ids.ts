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
  /** "Check again" in a confirmation modal waiting for CloudTrail; its value is `<action>|<eventId>`. */
  CONFIRM_RETRY: 'change.confirm_retry',
  /** On a fleet group's message (one change made in many accounts): revert it in every account. Value: group id. */
  FLEET_REVERT: 'fleet.revert',
  /** On a fleet group's message: quarantine the caller in every account. Value: group id. */
  FLEET_QUARANTINE: 'fleet.quarantine',
  /** A button that only opens a link (IAM Identity Center): Slack still sends the click, which is only acked. */
  OPEN_LINK: 'change.open_link',
  /** "Mute similar…" on an alert: opens the mute modal. */
  MUTE: 'change.mute',
  /** "Unmute" beside a mute in `/iam-changes mutes` and the Home tab; its value is the mute's id. */
  UNMUTE: 'mute.unmute',
  /** "End now" on an expectation's announcement and on the Home tab; its value is the expectation's id. */
  END_EXPECTATION: 'expect.end',
} as const);

/**
 * The mute modal: its `callback_id` (kept apart from {@link VIEW_IDS}, whose submissions publish jobs) and its
 * inputs' block and action ids. Its `private_metadata` is JSON `{eventId, channel, ts}`.
 */
export const MUTE_VIEW = Object.freeze({
  CALLBACK_ID: 'change.mute_create',
  SCOPE_BLOCK: 'mute_scope',
  SCOPE_ACTION: 'mute.scope',
  DURATION_BLOCK: 'mute_duration',
  DURATION_ACTION: 'mute.duration',
  CRITICAL_BLOCK: 'mute_critical',
  CRITICAL_ACTION: 'mute.critical',
} as const);

/** Matches the burst thread menus' action ids (`change.menu:<eventId>`), for `app.action(...)`. */
export const CHANGE_MENU_ACTION_PATTERN = /^change\.menu:/;

/** Reads a burst menu option's value `<action id>|<eventId>`; undefined when it is not one. */
export function parseMenuValue(value: string): { actionId: string; eventId: string } | undefined {
  const bar = value.indexOf('|');
  if (bar <= 0 || bar === value.length - 1) return undefined;
  return { actionId: value.slice(0, bar), eventId: value.slice(bar + 1) };
}

/** The "Check again" button's value: the action and the change it retries. */
export function retryValue(action: 'revert' | 'quarantine' | 'lift-quarantine', eventId: string): string {
  return `${action}|${eventId}`;
}

/** Reads a "Check again" value back; undefined when it is not `<action>|<eventId>`. */
export function parseRetryValue(
  value: string,
): { action: 'revert' | 'quarantine' | 'lift-quarantine'; eventId: string } | undefined {
  const bar = value.indexOf('|');
  const action = value.slice(0, bar);
  const eventId = value.slice(bar + 1);
  if (bar <= 0 || eventId === '') return undefined;
  if (action !== 'revert' && action !== 'quarantine' && action !== 'lift-quarantine') return undefined;
  return { action, eventId };
}

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
  /** A fleet group's confirmations; their `private_metadata` is JSON `{groupId, asOf, channel, ts}`. */
  FLEET_REVERT_CONFIRM: 'fleet.revert_confirm',
  FLEET_QUARANTINE_CONFIRM: 'fleet.quarantine_confirm',
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
/** A fleet confirmation's choice of accounts: all those listed, or only the ones picked in {@link FLEET_ACCOUNTS_INPUT}. */
export const FLEET_SCOPE_INPUT = Object.freeze({
  BLOCK_ID: 'fleet_scope',
  ACTION_ID: 'fleet.scope',
} as const);

/** A fleet confirmation's accounts to act in (each option's value is that account's change's event id). */
export const FLEET_ACCOUNTS_INPUT = Object.freeze({
  BLOCK_ID: 'fleet_accounts',
  ACTION_ID: 'fleet.accounts',
} as const);

export const QUARANTINE_MODES_INPUT = Object.freeze({
  BLOCK_ID: 'quarantine_modes',
  ACTION_ID: 'change.quarantine_modes',
} as const);

/** The slash command the bot answers. */
export const SLASH_COMMAND = '/iam-changes';

/** Slack's limit on a button's `value`: a longer event id cannot ride on a button. */
export const MAX_BUTTON_VALUE_LENGTH = 2000;

/**
 * The stem of the paging buttons' action ids. Slack wants action ids unique within a view, so Previous and
 * Next carry {@link DIFF_PAGE_ACTION_IDS}, both starting with this stem: listen with
 * {@link DIFF_PAGE_ACTION_PATTERN} or test with {@link isDiffPageAction}. The button `value` is
 * `<eventId>|<page>`, the page to show counted from 0 (see {@link parseDiffPageValue}).
 */
export const DIFF_PAGE_ACTION_ID = 'change.diff_page';

/** The action ids of the Previous and Next buttons. */
export const DIFF_PAGE_ACTION_IDS = Object.freeze({
  previous: `${DIFF_PAGE_ACTION_ID}.previous`,
  next: `${DIFF_PAGE_ACTION_ID}.next`,
} as const);

/** Matches the action id of either paging button (for `app.action(...)`). */
export const DIFF_PAGE_ACTION_PATTERN = /^change\.diff_page(?:\.(?:previous|next))?$/;

/** True when an incoming `action_id` is a diff paging button. */
export function isDiffPageAction(actionId: string): boolean {
  return DIFF_PAGE_ACTION_PATTERN.test(actionId);
}

/** A paging button's `value`: the change's event id and the page to show (from 0). */
export function diffPageValue(eventId: string, page: number): string {
  return `${eventId}|${page}`;
}

/** Reads a paging button's `value` back; undefined when it is not `<eventId>|<page>`. */
export function parseDiffPageValue(value: string): { eventId: string; page: number } | undefined {
  const bar = value.lastIndexOf('|');
  if (bar <= 0) return undefined;
  const digits = value.slice(bar + 1);
  if (!/^\d{1,6}$/.test(digits)) return undefined;
  const page = Number(digits);
  return { eventId: value.slice(0, bar), page };
}
