/**
 * Pure builders for mutes: the "Mute similar" modal, the thread notes when a mute is made or lifted, and the
 * list `/iam-changes mutes` answers with (each mute with its Unmute button). Every value from an event or typed
 * by a person is escaped, and each message keeps Slack's limits.
 */
import type { Button, KnownBlock } from '@slack/types';
import type { AuditActor } from '../app/audit-port';
import type { HomeMute } from '../app/home-service';
import type { MUTE_DURATIONS, Mute, MuteMatch, MuteScope } from '../domain/mute';
import type { AssessedChange } from '../domain/types';
import { ACTION_IDS, MUTE_VIEW, REASON_INPUT } from './action-ids';
import { context, plain, section } from './blocks';
import { escapeText, inlineCode, truncate, truncateEscaped } from './escape';
import { type SlackMessage, slackDate } from './render';
import { accountInline } from './render-account';

/** Where the modal was opened from: the alert's change and message. */
export interface MuteMetadata {
  eventId: string;
  channel?: string;
  ts?: string;
}

const SCOPE_LABELS: Record<MuteScope, (change: AssessedChange) => string> = {
  actor: (change) => `Same actor: ${change.actor.name}`,
  'actor-event': (change) => `Same actor and event: ${change.actor.name}, ${change.eventName}`,
  resource: (change) => `Same resource: ${change.target.kind}/${change.target.name}`,
};

const DURATION_LABELS: Record<keyof typeof MUTE_DURATIONS, string> = {
  '1h': '1 hour',
  '8h': '8 hours',
  '24h': '24 hours',
  '7d': '7 days',
};

/** What a mute covers, in words for people (escaped), its account by name when it was known. */
export function describeMute(mute: MuteMatch): string {
  const account = mute.accountId
    ? ` in ${accountInline(mute.accountId, mute.accountName ? { name: mute.accountName } : undefined)}`
    : '';
  switch (mute.scope) {
    case 'actor':
      return `changes by ${inlineCode(mute.actorName ?? mute.actorKey ?? '?', 120)}${account}`;
    case 'actor-event':
      return `${inlineCode(mute.eventName ?? '?', 80)} by ${inlineCode(mute.actorName ?? mute.actorKey ?? '?', 120)}${account}`;
    case 'resource':
      return `changes on ${inlineCode(mute.resource ?? '?', 200)}${account}`;
  }
}

/** The mute modal's metadata as text, and back (undefined when it is not the bot's). */
export function muteMetadataText(meta: MuteMetadata): string {
  return JSON.stringify(meta);
}

/** Reads the modal's `private_metadata`; undefined when it is not `{eventId, …}`. */
export function parseMuteMetadata(text: string | undefined): MuteMetadata | undefined {
  try {
    const value = JSON.parse(text ?? '') as Partial<MuteMetadata>;
    if (typeof value.eventId !== 'string' || value.eventId === '') return undefined;
    return {
      eventId: value.eventId,
      ...(typeof value.channel === 'string' ? { channel: value.channel } : {}),
      ...(typeof value.ts === 'string' ? { ts: value.ts } : {}),
    };
  } catch {
    return undefined;
  }
}

function option(value: string, text: string) {
  return { text: plain(truncate(text, 75)), value };
}

/**
 * "Mute similar changes": scope (same actor / same actor and event / same resource), duration (1 h, 8 h, 24 h,
 * 7 d), a required reason and — on a critical alert only — an "includes critical changes" box, unticked: a
 * critical change stays loud unless someone says otherwise, on purpose.
 */
export function renderMuteModal(change: AssessedChange, meta: MuteMetadata): Record<string, unknown> {
  const critical = change.risk.level === 'critical';
  const scopes = (Object.keys(SCOPE_LABELS) as MuteScope[]).map((scope) =>
    option(scope, SCOPE_LABELS[scope](change)),
  );
  const durations = (Object.keys(DURATION_LABELS) as Array<keyof typeof DURATION_LABELS>).map((key) =>
    option(key, DURATION_LABELS[key]),
  );
  const blocks: unknown[] = [
    section(
      'Similar changes are still stored, counted and listed by `/iam-changes`; they just do not post while the mute lasts.',
    ),
    {
      type: 'input',
      block_id: MUTE_VIEW.SCOPE_BLOCK,
      label: plain('Mute'),
      element: {
        type: 'radio_buttons',
        action_id: MUTE_VIEW.SCOPE_ACTION,
        options: scopes,
        initial_option: scopes[1],
      },
    },
    {
      type: 'input',
      block_id: MUTE_VIEW.DURATION_BLOCK,
      label: plain('For'),
      element: {
        type: 'static_select',
        action_id: MUTE_VIEW.DURATION_ACTION,
        options: durations,
        initial_option: durations[0],
      },
    },
    {
      type: 'input',
      block_id: REASON_INPUT.BLOCK_ID,
      label: plain('Reason'),
      element: {
        type: 'plain_text_input',
        action_id: REASON_INPUT.ACTION_ID,
        multiline: true,
        max_length: 500,
        placeholder: plain('Why these changes may stay quiet'),
      },
    },
  ];
  if (critical) {
    blocks.push({
      type: 'input',
      block_id: MUTE_VIEW.CRITICAL_BLOCK,
      optional: true,
      label: plain('Critical changes'),
      element: {
        type: 'checkboxes',
        action_id: MUTE_VIEW.CRITICAL_ACTION,
        options: [option('includes-critical', 'Includes critical changes')],
      },
    });
  } else {
    blocks.push(context(['Critical changes are never muted by this mute.']));
  }
  return {
    type: 'modal',
    callback_id: MUTE_VIEW.CALLBACK_ID,
    private_metadata: muteMetadataText(meta),
    title: plain('Mute similar'),
    submit: plain('Mute'),
    close: plain('Cancel'),
    blocks,
  };
}

/** The thread note when a mute is made. */
export function renderMutedNote(mute: Mute): SlackMessage {
  const critical = mute.includesCritical ? ' *including critical changes*' : '';
  const text = `:no_bell: <@${mute.createdBy.slackUserId}> muted ${describeMute(mute)}${critical} until ${slackDate(mute.expiresAt)}: ${truncate(mute.reason, 500)}`;
  return {
    text: truncate(`Muted until ${mute.expiresAt}`, 3000),
    blocks: [section(truncateEscaped(text, 3000))],
  };
}

/** The note when a mute is lifted before its time. */
export function renderUnmutedNote(mute: Mute, by: AuditActor): SlackMessage {
  const who = by.slackUserId ? `<@${by.slackUserId}>` : escapeText(by.name);
  const text = `:bell: ${who} lifted the mute of ${describeMute(mute)}: those changes post again.`;
  return { text: 'Mute lifted', blocks: [section(truncateEscaped(text, 3000))] };
}

/** One mute's line, for the list and the Home tab. */
export function muteLine(mute: Mute): string {
  const critical = mute.includesCritical ? ' (includes critical)' : '';
  return truncateEscaped(
    `${describeMute(mute)}${critical} until ${slackDate(mute.expiresAt)}, by <@${mute.createdBy.slackUserId}>: ${truncate(mute.reason, 200)}`,
    3000,
  );
}

/** The Unmute button of one mute (with Slack's confirm dialog): in `/iam-changes mutes` and on the Home tab. */
export function unmuteButton(muteId: string): Button {
  return {
    type: 'button',
    action_id: ACTION_IDS.UNMUTE,
    text: plain('Unmute'),
    value: muteId,
    confirm: {
      title: plain('Lift this mute?'),
      text: plain('Similar changes post again from the next one.'),
      confirm: plain('Unmute'),
      deny: plain('Cancel'),
    },
  };
}

/** Each active mute with its Unmute button, for `/iam-changes mutes` and the Home tab (at most 20 shown). */
export function muteBlocks(mutes: readonly Mute[]): KnownBlock[] {
  if (mutes.length === 0) return [section('No mutes are active: every alert posts.')];
  const shown = mutes.slice(0, 20);
  const blocks: KnownBlock[] = shown.map((mute) => ({
    type: 'section',
    text: { type: 'mrkdwn', text: muteLine(mute) },
    accessory: unmuteButton(mute.id),
  }));
  if (mutes.length > shown.length) blocks.push(context([`${mutes.length - shown.length} more not shown.`]));
  return blocks;
}

/** The answer to `/iam-changes mutes`. */
export function renderMuteList(mutes: readonly Mute[]): SlackMessage {
  const head = mutes.length === 1 ? '1 active mute' : `${mutes.length} active mutes`;
  return { text: head, blocks: [section(`*${head}*`), ...muteBlocks(mutes)] };
}

/** A mute as the Home tab lists it: what it covers in words (escaped here), until when, by whom, why. */
export function homeMuteOf(mute: Mute): HomeMute {
  return {
    id: mute.id,
    scope: `${describeMute(mute)}${mute.includesCritical ? ' (includes critical)' : ''}`,
    until: mute.expiresAt,
    by: mute.createdBy,
    reason: mute.reason,
  };
}
