/**
 * "Revert", "Quarantine caller" and "Lift quarantine" on one change, and "Revert / Quarantine the caller in all N
 * accounts…" on a fleet group's message (one change made in many accounts): one code path for both. Only
 * configured responders may (everyone else gets an ephemeral refusal and an `unauthorised` audit entry). For them
 * a confirmation modal opens at once in a loading state and a job fills it: `prepare-confirmation` with the
 * change's plan, `prepare-fleet-confirmation` with each account's calls, or with why it would be refused.
 */
import type { ResponderAction } from '../../app/authorize';
import type { Job } from '../../app/jobs';
import { parseRetryValue } from '../action-ids';
import {
  type ConfirmMetadata,
  parseConfirmMetadata,
  renderConfirmError,
  renderConfirmLoading,
} from '../render-confirm';
import { renderFleetLoading, renderFleetProblem } from '../render-fleet';
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

/**
 * What a confirmation is about: one change (the id is its event id), or a fleet group (the id is the group's,
 * which is its first change's event id; the worker reads the group's changes from the store).
 */
export type ConfirmTarget =
  | { kind: 'change'; action: ResponderAction }
  | { kind: 'group'; action: 'revert' | 'quarantine' };

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

/** The fleet group's "Revert in all N accounts…" button's listener: the value is the group id. */
export async function onFleetRevert(
  { ack, body, action, signed }: ActionArgs,
  deps: ListenerDependencies,
): Promise<void> {
  await ack();
  await openConfirmation(
    { kind: 'group', action: 'revert' },
    interactionOf(body, action.value ?? '', signed),
    deps,
  );
}

/** The fleet group's "Quarantine the caller in all N accounts…" button's listener: the value is the group id. */
export async function onFleetQuarantine(
  { ack, body, action, signed }: ActionArgs,
  deps: ListenerDependencies,
): Promise<void> {
  await ack();
  await openConfirmation(
    { kind: 'group', action: 'quarantine' },
    interactionOf(body, action.value ?? '', signed),
    deps,
  );
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
 * Authorises the person, then opens the loading confirmation modal and publishes the job that fills it
 * (`prepare-confirmation` for a change, `prepare-fleet-confirmation` for a group). A refusal is ephemeral and
 * audited; nothing opens. `target` is the action on one change, or a {@link ConfirmTarget}.
 */
export async function openConfirmation(
  target: ResponderAction | ConfirmTarget,
  interaction: Interaction,
  deps: ListenerDependencies,
  /** The modal already open (a retry of a change's confirmation): updated in place instead of opening another. */
  open?: { viewId: string; meta: ConfirmMetadata },
): Promise<void> {
  const about: ConfirmTarget = typeof target === 'string' ? { kind: 'change', action: target } : target;
  const { action } = about;
  const what = about.kind === 'change' ? WHAT[action] : `start the ${action} in every account`;
  await guarded(deps, interaction, what, async () => {
    const { eventId: id, triggerId } = interaction;
    const by = await requesterOf(interaction.user, deps);
    const decision = await deps.authorizer.authorize(by, action, id, 'button');
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
        ...(about.kind === 'change' ? { eventId: id } : { groupId: id }),
        reason: decision.reason,
      });
      await tellUser(
        deps,
        interaction,
        renderUnauthorised(action, deps.authorizer.responders, interaction.channel),
      );
      return;
    }
    const stored = id ? await deps.store.getChange(id) : undefined;
    if (!stored) {
      await tellUser(deps, interaction, notStored(id));
      return;
    }
    const thread =
      open?.meta.channel && open.meta.ts
        ? { channel: open.meta.channel, ts: open.meta.ts }
        : threadOf(stored.slack, interaction);
    const place = thread ? { channel: thread.channel, ts: thread.ts } : {};
    const loading =
      about.kind === 'change'
        ? renderConfirmLoading(about.action, stored.change, { eventId: id, ...place })
        : renderFleetLoading(about.action, stored, { groupId: id, ...place });
    let view: { viewId: string };
    if (open) {
      await deps.slack.updateView(open.viewId, loading);
      view = { viewId: open.viewId };
    } else {
      if (!triggerId) throw new Error('Slack sent no trigger_id to open a modal with');
      view = await deps.slack.openView(triggerId, loading);
    }
    const common = {
      viewId: view.viewId,
      by,
      ...(thread ? { alert: thread } : {}),
      ...originOf(interaction.origin),
    };
    const job: Job =
      about.kind === 'change'
        ? { kind: 'prepare-confirmation', action: about.action, eventId: id, ...common }
        : { kind: 'prepare-fleet-confirmation', action: about.action, groupId: id, ...common };
    try {
      await deps.jobs.publish(job);
    } catch (error: unknown) {
      deps.log.error(`${job.kind} job not published`, { id, error: message(error) });
      const text = `It could not be started (${message(error)}).`;
      await deps.slack.updateView(
        view.viewId,
        about.kind === 'change'
          ? renderConfirmError(about.action, text, { eventId: id, ...place }, stored.change)
          : renderFleetProblem(about.action, text, {
              groupId: id,
              asOf: deps.clock.now().toISOString(),
              ...place,
            }),
      );
    }
  });
}
