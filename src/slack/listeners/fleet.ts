/**
 * "Revert in all N accounts…" and "Quarantine the caller in all N accounts…" on a fleet group's message (one
 * change made in many accounts), and the submission of their confirmation. Only responders may; a refusal is
 * ephemeral and audited. The button opens the modal at once in a loading state and a `prepare-fleet-confirmation`
 * job fills it with each account's calls; the submission publishes `fleet-revert` / `fleet-quarantine`, which
 * name only the group and the time of the list confirmed — the worker reads the accounts from the store.
 */
import type { FleetAction } from '../../app/jobs';
import { FLEET_ACCOUNTS_INPUT, REASON_INPUT } from '../action-ids';
import {
  fleetActionOf,
  fleetMembersOf,
  parseFleetMetadata,
  renderFleetLoading,
  renderFleetProblem,
} from '../render-fleet';
import { renderProblem, renderRequestedNote, renderUnauthorised } from '../render-notice';
import type { ViewErrors, ViewSubmissionArgs } from './confirm';
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

function message(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}

/** The fleet Revert button's listener: the value is the group id. */
export async function onFleetRevert(args: ActionArgs, deps: ListenerDependencies): Promise<void> {
  await args.ack();
  await openFleetConfirmation('revert', interactionOf(args.body, args.action.value ?? '', args.signed), deps);
}

/** The fleet Quarantine button's listener: the value is the group id. */
export async function onFleetQuarantine(args: ActionArgs, deps: ListenerDependencies): Promise<void> {
  await args.ack();
  await openFleetConfirmation(
    'quarantine',
    interactionOf(args.body, args.action.value ?? '', args.signed),
    deps,
  );
}

/** Authorises the person, opens the loading modal and publishes the job that fills it. */
export async function openFleetConfirmation(
  action: FleetAction,
  interaction: Interaction,
  deps: ListenerDependencies,
): Promise<void> {
  const groupId = interaction.eventId;
  await guarded(deps, interaction, `start the ${action} in every account`, async () => {
    const by = await requesterOf(interaction.user, deps);
    const decision = await deps.authorizer.authorize(by, action, groupId, 'button');
    if (!decision.allowed) {
      deps.log.warn('unauthorised attempt', {
        user: by.slackUserId,
        action,
        groupId,
        reason: decision.reason,
      });
      await tellUser(
        deps,
        interaction,
        renderUnauthorised(action, deps.authorizer.responders, interaction.channel),
      );
      return;
    }
    const stored = groupId ? await deps.store.getChange(groupId) : undefined;
    if (!stored) {
      await tellUser(deps, interaction, notStored(groupId));
      return;
    }
    if (!interaction.triggerId) throw new Error('Slack sent no trigger_id to open a modal with');
    const thread = threadOf(stored.slack, interaction);
    const meta = { groupId, ...(thread ? { channel: thread.channel, ts: thread.ts } : {}) };
    const view = await deps.slack.openView(interaction.triggerId, renderFleetLoading(action, stored, meta));
    try {
      await deps.jobs.publish({
        kind: 'prepare-fleet-confirmation',
        action,
        groupId,
        viewId: view.viewId,
        by,
        ...(thread ? { alert: thread } : {}),
        ...originOf(interaction.origin),
      });
    } catch (error: unknown) {
      deps.log.error('prepare-fleet-confirmation job not published', { groupId, error: message(error) });
      await deps.slack.updateView(
        view.viewId,
        renderFleetProblem(action, `It could not be started (${message(error)}).`, {
          ...meta,
          asOf: deps.clock.now().toISOString(),
        }),
      );
    }
  });
}

function errors(text: string): ViewErrors {
  return { response_action: 'errors', errors: { [REASON_INPUT.BLOCK_ID]: text.slice(0, 150) } };
}

/**
 * A fleet confirmation was submitted: a reason is required and the person must still be a responder; then the
 * modal closes, the thread hears who asked and why, and the job is published.
 */
export async function onFleetSubmission(
  { ack, body, view, signed }: ViewSubmissionArgs,
  deps: ListenerDependencies,
): Promise<void> {
  const action = fleetActionOf(view.callback_id);
  const meta = parseFleetMetadata(view.private_metadata);
  if (!action || !meta) {
    await ack();
    deps.log.warn('a submission the bot cannot read', { callbackId: view.callback_id });
    return;
  }
  const reason = view.state.values[REASON_INPUT.BLOCK_ID]?.[REASON_INPUT.ACTION_ID]?.value?.trim() ?? '';
  if (reason === '') {
    await ack(errors('Give a reason: it goes in the alert thread and the audit log.'));
    return;
  }
  const chosen = fleetMembersOf(view.state.values);
  if ('error' in chosen) {
    await ack({ response_action: 'errors', errors: { [FLEET_ACCOUNTS_INPUT.BLOCK_ID]: chosen.error } });
    return;
  }
  let by: Awaited<ReturnType<typeof requesterOf>>;
  try {
    by = await requesterOf(body.user, deps);
    const decision = await deps.authorizer.authorize(by, action, meta.groupId, 'submission');
    if (!decision.allowed) {
      deps.log.warn('unauthorised submission', { user: by.slackUserId, action, reason: decision.reason });
      await ack(errors(`You may no longer ${action} changes: ask one of the responders. (Recorded.)`));
      return;
    }
  } catch (error: unknown) {
    await ack(errors(`Could not check who may ${action} (${message(error)}): try again.`));
    return;
  }
  await ack();
  const interaction: Interaction = { eventId: meta.groupId, user: body.user };
  if (meta.channel) interaction.channel = meta.channel;
  await guarded(deps, interaction, `queue the ${action} in every account`, async () => {
    const alert = meta.channel && meta.ts ? { channel: meta.channel, ts: meta.ts } : undefined;
    if (alert) {
      try {
        await deps.slack.postMessage({
          channel: alert.channel,
          threadTs: alert.ts,
          ...renderRequestedNote(action, by, reason),
        });
      } catch (error: unknown) {
        deps.log.warn('request note not posted', { groupId: meta.groupId, error: message(error) });
      }
    }
    try {
      await deps.jobs.publish({
        kind: action === 'revert' ? 'fleet-revert' : 'fleet-quarantine',
        groupId: meta.groupId,
        asOf: meta.asOf,
        ...(chosen.members ? { members: chosen.members } : {}),
        by,
        reason,
        ...(alert ? { alert } : {}),
        ...originOf(signed),
      });
    } catch (error: unknown) {
      deps.log.error(`fleet ${action} job not published`, { groupId: meta.groupId, error: message(error) });
      await tellUser(
        deps,
        interaction,
        renderProblem(
          `The ${action} was not started`,
          message(error),
          'Nothing was changed. Try again in a minute.',
        ),
      );
    }
  });
}
