/**
 * "Acknowledge" (anyone may): the first acknowledgement wins and is recorded on the change; the alert is updated
 * in place (the button goes, "Acknowledged by @x at …" appears), the thread hears who took it, and the audit log
 * keeps it. A later click gets an ephemeral "already acknowledged by …".
 */
import type { Acknowledgement } from '../../app/revert-port';
import { resourceOf } from '../../domain/resources';
import { renderAcknowledgedNote, renderAlreadyAcknowledged } from '../render-notice';
import { renderAlertUpdate } from '../render-state';
import {
  type ActionArgs,
  guarded,
  type Interaction,
  interactionOf,
  type ListenerDependencies,
  notStored,
  requesterOf,
  tellUser,
  threadOf,
} from './context';

/** The Acknowledge button's listener: `ack()`, then {@link acknowledgeChange}. */
export async function onAcknowledge(
  { ack, body, action }: ActionArgs,
  deps: ListenerDependencies,
): Promise<void> {
  await ack();
  await acknowledgeChange(interactionOf(body, action.value ?? ''), deps);
}

/** Records the acknowledgement (first wins), updates the alert, replies in its thread and audits it. */
export async function acknowledgeChange(interaction: Interaction, deps: ListenerDependencies): Promise<void> {
  await guarded(deps, interaction, 'acknowledge this change', async () => {
    const { eventId } = interaction;
    const stored = eventId ? await deps.store.getChange(eventId) : undefined;
    if (!stored) {
      await tellUser(deps, interaction, notStored(eventId));
      return;
    }
    const by = await requesterOf(interaction.user, deps);
    const now = deps.clock.now();
    const acknowledgement: Acknowledgement = { by, at: now.toISOString() };
    const result = await deps.store.recordAcknowledgement(eventId, acknowledgement, now);
    if (!result.recorded) {
      await tellUser(deps, interaction, renderAlreadyAcknowledged(result.existing));
      return;
    }
    const fresh = (await deps.store.getChange(eventId)) ?? { ...stored, acknowledgement };
    // A change grouped into a burst has no message of its own: its line is one of many in a thread message.
    if (fresh.slack && fresh.slack.threadTs === undefined) {
      const message = renderAlertUpdate(fresh);
      await deps.slack.updateMessage(fresh.slack, message);
    }
    const thread = threadOf(fresh.slack, interaction);
    if (thread) {
      await deps.slack.postMessage({
        channel: thread.channel,
        threadTs: thread.ts,
        ...renderAcknowledgedNote(acknowledgement),
      });
    }
    await deps.audit.append({
      at: acknowledgement.at,
      actor: by,
      action: 'acknowledge',
      eventId,
      target: resourceOf(fresh.change),
      result: 'done',
    });
  });
}
