/**
 * "View diff": a modal opens at once in a loading state (what is being looked up) and a `diff` job fills it
 * when the worker has found the before-state. The diff's Previous / Next buttons ask for another page the same
 * way.
 */
import { parseDiffPageValue, renderDiffError, renderDiffLoading } from '../render-diff';
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
} from './context';

function message(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}

/** The View diff button's listener: `ack()`, then {@link openDiff}. */
export async function onViewDiff(
  { ack, body, action, signed }: ActionArgs,
  deps: ListenerDependencies,
): Promise<void> {
  await ack();
  await openDiff(interactionOf(body, action.value ?? '', signed), deps);
}

/** Opens the loading diff modal and publishes the `diff` job that fills it. */
export async function openDiff(interaction: Interaction, deps: ListenerDependencies): Promise<void> {
  await guarded(deps, interaction, 'show the diff', async () => {
    const { eventId, triggerId } = interaction;
    const stored = eventId ? await deps.store.getChange(eventId) : undefined;
    if (!stored) {
      await tellUser(deps, interaction, notStored(eventId));
      return;
    }
    if (!triggerId) throw new Error('Slack sent no trigger_id to open a modal with');
    const view = await deps.slack.openView(triggerId, renderDiffLoading(stored.change));
    const by = await requesterOf(interaction.user, deps);
    try {
      await deps.jobs.publish({
        kind: 'diff',
        eventId,
        viewId: view.viewId,
        by,
        ...originOf(interaction.origin),
      });
    } catch (error: unknown) {
      deps.log.error('diff job not published', { eventId, error: message(error) });
      await deps.slack.updateView(
        view.viewId,
        renderDiffError(
          stored.change,
          `The look-up could not be started (${message(error)}). Close this and try again.`,
        ),
      );
    }
  });
}

/** The diff modal's Previous / Next: shows the loading state again and asks the worker for that page. */
export async function onDiffPage(
  { ack, body, action, signed }: ActionArgs,
  deps: ListenerDependencies,
): Promise<void> {
  await ack();
  const interaction: Interaction = { eventId: '', user: body.user };
  await guarded(deps, interaction, 'turn the page', async () => {
    const target = parseDiffPageValue(action.value ?? '');
    const viewId = body.view?.id;
    if (!target || !viewId) throw new Error('the page button carries no page or view');
    const stored = await deps.store.getChange(target.eventId);
    if (!stored) throw new Error(`event ${target.eventId} is no longer stored`);
    await deps.slack.updateView(viewId, renderDiffLoading(stored.change));
    const by = await requesterOf(body.user, deps);
    try {
      await deps.jobs.publish({
        kind: 'diff',
        eventId: target.eventId,
        viewId,
        by,
        page: target.page,
        ...originOf(signed),
      });
    } catch (error: unknown) {
      deps.log.error('diff job not published', { eventId: target.eventId, error: message(error) });
      // A modal has no channel to answer in: the modal itself says what went wrong.
      await deps.slack.updateView(
        viewId,
        renderDiffError(
          stored.change,
          `The page could not be loaded (${message(error)}). Close this and try again.`,
        ),
      );
    }
  });
}
