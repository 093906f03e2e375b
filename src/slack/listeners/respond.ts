/**
 * "Revert", "Quarantine caller" and "Lift quarantine": only configured responders may (everyone else gets an
 * ephemeral refusal and an `unauthorised` audit entry). For them a confirmation modal opens at once in a loading
 * state and a `prepare-confirmation` job fills it with the plan, or with why it would be refused.
 */
import type { ResponderAction } from '../../app/authorize';
import { parseRetryValue } from '../action-ids';
import {
  type ConfirmMetadata,
  parseConfirmMetadata,
  renderConfirmError,
  renderConfirmLoading,
} from '../render-confirm';
import { renderUnauthorised } from '../render-notice';
import {
  type ActionArgs,
  guarded,
  type Interaction,
  interactionOf,
  type ListenerDependencies,
  notStored,
  originOf,
  requesterOf,
  tellUser,
  threadOf,
} from './context';

const WHAT: Record<ResponderAction, string> = {
  revert: 'start the revert',
  quarantine: 'start the quarantine',
  'lift-quarantine': 'start lifting the quarantine',
};

function message(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}

/** The Revert button's listener. */
export async function onRevert(
  { ack, body, action, signed }: ActionArgs,
  deps: ListenerDependencies,
): Promise<void> {
  await ack();
  await openConfirmation('revert', interactionOf(body, action.value ?? '', signed), deps);
}

/** The Quarantine caller button's listener. */
export async function onQuarantine(
  { ack, body, action, signed }: ActionArgs,
  deps: ListenerDependencies,
): Promise<void> {
  await ack();
  await openConfirmation('quarantine', interactionOf(body, action.value ?? '', signed), deps);
}

/** The Lift quarantine button's listener. */
export async function onLiftQuarantine(
  { ack, body, action, signed }: ActionArgs,
  deps: ListenerDependencies,
): Promise<void> {
  await ack();
  await openConfirmation('lift-quarantine', interactionOf(body, action.value ?? '', signed), deps);
}

/**
 * "Check again" in a confirmation modal waiting for CloudTrail: the same checks as the button, then the modal
 * (not a new one) goes back to its loading state and a `prepare-confirmation` job fills it again.
 */
export async function onConfirmRetry(
  { ack, body, action, signed }: ActionArgs,
  deps: ListenerDependencies,
): Promise<void> {
  await ack();
  const retry = parseRetryValue(action.value ?? '');
  const viewId = body.view?.id;
  const interaction = interactionOf(body, retry?.eventId ?? '', signed);
  if (!retry || !viewId) {
    deps.log.warn('a retry the bot cannot read', { actionId: action.action_id });
    return;
  }
  const meta = parseConfirmMetadata(body.view?.private_metadata) ?? { eventId: retry.eventId };
  await openConfirmation(retry.action, interaction, deps, { viewId, meta });
}

/**
 * Authorises the person, then opens the loading confirmation modal and publishes the `prepare-confirmation`
 * job. A refusal is ephemeral and audited; nothing opens.
 */
export async function openConfirmation(
  action: ResponderAction,
  interaction: Interaction,
  deps: ListenerDependencies,
  /** The modal already open (a retry): updated in place instead of opening another. */
  open?: { viewId: string; meta: ConfirmMetadata },
): Promise<void> {
  await guarded(deps, interaction, WHAT[action], async () => {
    const { eventId, triggerId } = interaction;
    const by = await requesterOf(interaction.user, deps);
    const decision = await deps.authorizer.authorize(by, action, eventId, 'button');
    if (decision.auditError) {
      deps.log.error('unauthorised attempt not audited', {
        user: by.slackUserId,
        error: decision.auditError,
      });
    }
    if (!decision.allowed) {
      deps.log.warn('unauthorised attempt', {
        user: by.slackUserId,
        action,
        eventId,
        reason: decision.reason,
      });
      await tellUser(
        deps,
        interaction,
        renderUnauthorised(action, deps.authorizer.responders, interaction.channel),
      );
      return;
    }
    const stored = eventId ? await deps.store.getChange(eventId) : undefined;
    if (!stored) {
      await tellUser(deps, interaction, notStored(eventId));
      return;
    }
    const thread =
      open?.meta.channel && open.meta.ts
        ? { channel: open.meta.channel, ts: open.meta.ts }
        : threadOf(stored.slack, interaction);
    const meta: ConfirmMetadata = { eventId, ...(thread ? { channel: thread.channel, ts: thread.ts } : {}) };
    const loading = renderConfirmLoading(action, stored.change, meta);
    let view: { viewId: string };
    if (open) {
      await deps.slack.updateView(open.viewId, loading);
      view = { viewId: open.viewId };
    } else {
      if (!triggerId) throw new Error('Slack sent no trigger_id to open a modal with');
      view = await deps.slack.openView(triggerId, loading);
    }
    try {
      await deps.jobs.publish({
        kind: 'prepare-confirmation',
        action,
        eventId,
        viewId: view.viewId,
        by,
        ...(thread ? { alert: thread } : {}),
        ...originOf(interaction.origin),
      });
    } catch (error: unknown) {
      deps.log.error('prepare-confirmation job not published', { eventId, error: message(error) });
      await deps.slack.updateView(
        view.viewId,
        renderConfirmError(action, `It could not be started (${message(error)}).`, meta, stored.change),
      );
    }
  });
}
