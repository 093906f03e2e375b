/**
 * The worker's check of a job's origin, on Slack's side: the signature of the request the job carries (with the
 * app's signing secret, which the worker reads itself) and what that request asked for, read from its body the
 * way the listeners read it — the button's action id and value, the submitted modal's callback id, metadata,
 * reason and modes, the slash command's text.
 */
import { createHash } from 'node:crypto';
import type { ResponderAction } from '../app/authorize';
import type { InteractionCheck, InteractionRequest, InteractionVerifier } from '../app/job-verification';
import type { JobOrigin } from '../app/jobs';
import {
  ACTION_IDS,
  CHANGE_MENU_ACTION_PATTERN,
  DIFF_PAGE_ACTION_PATTERN,
  parseDiffPageValue,
  parseMenuValue,
  parseRetryValue,
  REASON_INPUT,
} from './action-ids';
import { permalinkBaseOf } from './links';
import type { FleetStateValues } from './render-fleet';
import { checkSlackSignature } from './signature';

const BUTTON_ACTIONS: Readonly<Record<string, ResponderAction>> = {
  [ACTION_IDS.REVERT]: 'revert',
  [ACTION_IDS.QUARANTINE]: 'quarantine',
  [ACTION_IDS.LIFT_QUARANTINE]: 'lift-quarantine',
};

type Json = Record<string, unknown>;

function object(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** What a button (or a menu option) with this action id and value asks for. */
function buttonRequest(actionId: string, value: string): InteractionRequest {
  if (actionId === ACTION_IDS.FLEET_REVERT || actionId === ACTION_IDS.FLEET_QUARANTINE) {
    const action = actionId === ACTION_IDS.FLEET_REVERT ? 'revert' : 'quarantine';
    return { kind: 'open-fleet-confirmation', action, groupId: value };
  }
  const action = BUTTON_ACTIONS[actionId];
  if (action) return { kind: 'open-confirmation', action, eventId: value };
  if (actionId === ACTION_IDS.VIEW_DIFF) return { kind: 'diff', eventId: value, page: 0 };
  if (actionId === ACTION_IDS.CONFIRM_RETRY) {
    const retry = parseRetryValue(value);
    return retry ? { kind: 'open-confirmation', ...retry } : { kind: 'other', what: 'an unreadable retry' };
  }
  if (DIFF_PAGE_ACTION_PATTERN.test(actionId)) {
    const target = parseDiffPageValue(value);
    return target ? { kind: 'diff', ...target } : { kind: 'other', what: 'an unreadable diff page' };
  }
  return { kind: 'other', what: `the action ${actionId}` };
}

function blockActionRequest(payload: Json): InteractionRequest {
  const actions = Array.isArray(payload.actions) ? payload.actions : [];
  const action = object(actions[0]);
  const actionId = text(action?.action_id) ?? '';
  if (CHANGE_MENU_ACTION_PATTERN.test(actionId)) {
    const chosen = parseMenuValue(text(object(action?.selected_option)?.value) ?? '');
    // The menu is rendered for one change (`change.menu:<eventId>`): an option naming another is not the bot's.
    if (!chosen || actionId !== `${ACTION_IDS.CHANGE_MENU}:${chosen.eventId}`.slice(0, 255)) {
      return { kind: 'other', what: 'an unreadable menu' };
    }
    return buttonRequest(chosen.actionId, chosen.eventId);
  }
  return buttonRequest(actionId, text(action?.value) ?? '');
}

/** A fleet confirmation's submission: the group, the time of the list shown and the reason, from the signed view. */
async function fleetSubmissionRequest(view: Json | undefined): Promise<InteractionRequest | undefined> {
  const { fleetActionOf, fleetMembersOf, parseFleetMetadata } = await import('./render-fleet');
  const action = fleetActionOf(text(view?.callback_id) ?? '');
  if (!action) return undefined;
  const meta = parseFleetMetadata(text(view?.private_metadata));
  if (!meta) return { kind: 'other', what: 'a fleet submission without its group' };
  const values = object(object(view?.state)?.values) ?? {};
  const reasonBlock = object(values[REASON_INPUT.BLOCK_ID]);
  const reason = text(object(reasonBlock?.[REASON_INPUT.ACTION_ID])?.value) ?? '';
  // The accounts as Slack signed them; "only some" with none picked chooses none (no job can match it).
  const chosen = fleetMembersOf(values as FleetStateValues);
  const request: InteractionRequest = {
    kind: 'fleet-confirm',
    action,
    groupId: meta.groupId,
    asOf: meta.asOf,
    reason,
    ...('error' in chosen ? { members: [] } : chosen.members ? { members: chosen.members } : {}),
  };
  if (meta.channel && meta.ts) request.alert = { channel: meta.channel, ts: meta.ts };
  return request;
}

/**
 * A confirmation modal's submission. The modals' metadata readers load with the first submission (a revert, a
 * quarantine, a fleet action): a button or a command never loads the modals' builders.
 */
async function submissionRequest(payload: Json): Promise<InteractionRequest> {
  const view = object(payload.view);
  const fleet = await fleetSubmissionRequest(view);
  if (fleet) return fleet;
  const { confirmActionOf, parseConfirmMetadata, quarantineModesOf } = await import('./render-confirm');
  const action = confirmActionOf(text(view?.callback_id) ?? '');
  const meta = parseConfirmMetadata(text(view?.private_metadata));
  if (!action || !meta) return { kind: 'other', what: 'a submission of another view' };
  const values = object(object(view?.state)?.values) ?? {};
  const reasonBlock = object(values[REASON_INPUT.BLOCK_ID]);
  const reason = text(object(reasonBlock?.[REASON_INPUT.ACTION_ID])?.value) ?? '';
  const request: InteractionRequest = { kind: 'confirm', action, eventId: meta.eventId, reason };
  if (meta.channel && meta.ts) request.alert = { channel: meta.channel, ts: meta.ts };
  if (action === 'quarantine') request.modes = quarantineModesOf(values as never);
  return request;
}

/** What a request body asks for, and who sent it; `undefined` when the body is neither a payload nor a command. */
export async function readInteraction(
  body: string,
): Promise<{ userId: string; userName?: string; request: InteractionRequest } | undefined> {
  const form = new URLSearchParams(body);
  const payloadText = form.get('payload');
  if (payloadText !== null) {
    let payload: Json | undefined;
    try {
      payload = object(JSON.parse(payloadText));
    } catch {
      return undefined;
    }
    const user = object(payload?.user);
    const userId = text(user?.id);
    if (!payload || !userId) return undefined;
    const userName = text(user?.username) ?? text(user?.name);
    const request =
      payload.type === 'block_actions'
        ? blockActionRequest(payload)
        : payload.type === 'view_submission'
          ? await submissionRequest(payload)
          : ({ kind: 'other', what: `a ${String(payload.type)} payload` } as const);
    return { userId, ...(userName ? { userName } : {}), request };
  }
  const userId = form.get('user_id');
  const command = form.get('command');
  if (!userId || !command) return undefined;
  const userName = form.get('user_name');
  const permalinkBase = permalinkBaseOf(form.get('team_domain') ?? undefined);
  return {
    userId,
    ...(userName ? { userName } : {}),
    request: {
      kind: 'command',
      text: form.get('text') ?? '',
      responseUrl: form.get('response_url') ?? '',
      channelId: form.get('channel_id') ?? '',
      ...(permalinkBase ? { permalinkBase } : {}),
    },
  };
}

/** {@link InteractionVerifier} with the app's signing secret (read when first needed, then kept). */
export class SlackInteractionVerifier implements InteractionVerifier {
  constructor(private readonly signingSecret: () => Promise<string>) {}

  async verify(origin: JobOrigin, now: Date, maxAgeSeconds: number): Promise<InteractionCheck> {
    const check = checkSlackSignature(origin, await this.signingSecret(), now, {
      pastSeconds: maxAgeSeconds,
    });
    if (!check.ok) return { ok: false, problem: check.problem };
    const read = await readInteraction(origin.body);
    if (!read) return { ok: false, problem: 'the signed body is neither an interaction nor a command' };
    const requestId = createHash('sha256').update(origin.signature).digest('hex');
    return { ok: true, interaction: { ...read, requestId } };
  }
}
