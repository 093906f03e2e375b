/**
 * Mutes from Slack: "Mute similar…" on an alert opens the mute modal, its submission keeps the mute, Unmute (in
 * `/iam-changes mutes` and the Home tab) lifts one, and `/iam-changes mutes` lists them. Responders only: the
 * person is checked when the modal opens and again at the submission (someone removed meanwhile is refused),
 * and at Unmute; every refusal, mute and unmute is audited. A mute writes nothing to IAM, so it is kept here in
 * the Slack function, whose receiver has verified the request's signature, rather than by a worker job.
 */
import { randomUUID } from 'node:crypto';
import type { AuditActor } from '../../app/audit-port';
import type { GuardedAction } from '../../app/authorize';
import type { Requester } from '../../app/jobs';
import type { MuteStore } from '../../app/mute-port';
import { MuteRequestError, planMute } from '../../domain/mute';
import { resourceOf } from '../../domain/resources';
import { MUTE_VIEW, REASON_INPUT } from '../action-ids';
import {
  describeMute,
  parseMuteMetadata,
  renderMutedNote,
  renderMuteList,
  renderMuteModal,
  renderUnmutedNote,
} from '../render-mute';
import { renderProblem, renderUnauthorised } from '../render-notice';
import type { ViewErrors, ViewSubmissionArgs } from './confirm';
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
import { onHomeOpened } from './home';

/** The listeners' dependencies with the mute store (absent: mutes are not offered). */
type MuteDependencies = ListenerDependencies & { mutes?: MuteStore };

function message(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}

const NOT_CONFIGURED = renderProblem(
  'Mutes are not available',
  'this bot has no mute store configured',
  'Tell the team that runs iam-changes.',
);

/** Checks the person may mute or unmute; on a refusal tells them (ephemeral) and returns undefined. */
async function responder(
  deps: MuteDependencies,
  interaction: Interaction,
  action: GuardedAction,
  subject: string,
  stage: 'button' | 'submission',
  tell: boolean,
): Promise<{ by: Requester; refusal?: string }> {
  const by = await requesterOf(interaction.user, deps);
  const decision = await deps.authorizer.authorize(by, action, subject, stage);
  if (decision.auditError) {
    deps.log.error('unauthorised attempt not audited', { user: by.slackUserId, error: decision.auditError });
  }
  if (decision.allowed) return { by };
  deps.log.warn('unauthorised attempt', { user: by.slackUserId, action, subject, reason: decision.reason });
  if (tell) {
    await tellUser(
      deps,
      interaction,
      renderUnauthorised(action, deps.authorizer.responders, interaction.channel),
    );
  }
  return { by, refusal: decision.reason };
}

/** "Mute similar…": `ack()`, check the person is a responder, open the modal for the alert's change. */
export async function onMute(
  { ack, body, action, signed }: ActionArgs,
  deps: MuteDependencies,
): Promise<void> {
  await ack();
  const interaction = interactionOf(body, action.value ?? '', signed);
  await guarded(deps, interaction, 'mute similar changes', async () => {
    if (!deps.mutes) {
      await tellUser(deps, interaction, NOT_CONFIGURED);
      return;
    }
    const { refusal } = await responder(deps, interaction, 'mute', interaction.eventId, 'button', true);
    if (refusal) return;
    const stored = interaction.eventId ? await deps.store.getChange(interaction.eventId) : undefined;
    if (!stored) {
      await tellUser(deps, interaction, notStored(interaction.eventId));
      return;
    }
    if (!interaction.triggerId) throw new Error('Slack sent no trigger_id to open a modal with');
    const thread = threadOf(stored.slack, interaction);
    await deps.slack.openView(
      interaction.triggerId,
      renderMuteModal(stored.change, {
        eventId: interaction.eventId,
        ...(thread ? { channel: thread.channel, ts: thread.ts } : {}),
      }),
    );
  });
}

function errors(block: string, text: string): ViewErrors {
  return { response_action: 'errors', errors: { [block]: text.slice(0, 150) } };
}

/**
 * The mute modal's submission: the person is checked again (refused and audited if no longer a responder), the
 * request is checked against the alert (a reason; "includes critical" only from a critical alert), and the mute
 * is kept and audited; then the modal closes and the alert's thread says who muted what until when.
 */
export async function onMuteSubmission(
  { ack, body, view }: ViewSubmissionArgs,
  deps: MuteDependencies,
): Promise<void> {
  const meta = parseMuteMetadata(view.private_metadata);
  const values = view.state.values;
  const pick = (block: string, actionId: string) =>
    values[block]?.[actionId] as
      | {
          value?: string | null;
          selected_option?: { value?: string } | null;
          selected_options?: { value?: string }[] | null;
        }
      | undefined;
  const interaction: Interaction = { eventId: meta?.eventId ?? '', user: body.user };
  if (meta?.channel) interaction.channel = meta.channel;
  if (meta?.ts) interaction.threadTs = meta.ts;
  if (!meta || !deps.mutes) {
    await ack();
    await tellUser(deps, interaction, NOT_CONFIGURED);
    return;
  }
  const { by, refusal } = await responder(deps, interaction, 'mute', meta.eventId, 'submission', false);
  if (refusal) {
    await ack(
      errors(REASON_INPUT.BLOCK_ID, 'You are not allowed to mute alerts. Your attempt was recorded.'),
    );
    return;
  }
  const stored = await deps.store.getChange(meta.eventId);
  if (!stored) {
    await ack(errors(REASON_INPUT.BLOCK_ID, 'This change is no longer stored.'));
    return;
  }
  const request = {
    scope: pick(MUTE_VIEW.SCOPE_BLOCK, MUTE_VIEW.SCOPE_ACTION)?.selected_option?.value ?? '',
    duration: pick(MUTE_VIEW.DURATION_BLOCK, MUTE_VIEW.DURATION_ACTION)?.selected_option?.value ?? '',
    reason: pick(REASON_INPUT.BLOCK_ID, REASON_INPUT.ACTION_ID)?.value ?? '',
    includesCritical: (
      pick(MUTE_VIEW.CRITICAL_BLOCK, MUTE_VIEW.CRITICAL_ACTION)?.selected_options ?? []
    ).some((option) => option.value === 'includes-critical'),
  };
  let mute: ReturnType<typeof planMute>;
  try {
    mute = planMute(stored.change, request, {
      id: randomUUID(),
      by: { slackUserId: by.slackUserId, name: by.name },
      now: deps.clock.now(),
    });
  } catch (error: unknown) {
    if (!(error instanceof MuteRequestError)) throw error;
    const block = request.includesCritical ? MUTE_VIEW.CRITICAL_BLOCK : REASON_INPUT.BLOCK_ID;
    await ack(errors(block, error.message));
    return;
  }
  const mutes = deps.mutes;
  await ack();
  await guarded(deps, interaction, 'mute similar changes', async () => {
    await mutes.put(mute);
    await deps.audit.append({
      at: mute.createdAt,
      actor: by,
      action: 'mute',
      eventId: mute.fromEventId,
      target: resourceOf(stored.change),
      reason: mute.reason,
      result: 'done',
      details: {
        muteId: mute.id,
        scope: mute.scope,
        expiresAt: mute.expiresAt,
        includesCritical: mute.includesCritical,
        covers: describeMute(mute),
      },
    });
    const thread = threadOf(stored.slack, interaction);
    if (thread)
      await deps.slack.postMessage({
        channel: thread.channel,
        threadTs: thread.ts,
        ...renderMutedNote(mute),
      });
  });
}

/** Unmute: `ack()`, check the person is a responder, lift the mute, audit it, and answer where they clicked. */
export async function onUnmute(
  { ack, body, action, signed }: ActionArgs,
  deps: MuteDependencies,
): Promise<void> {
  await ack();
  const muteId = action.value ?? '';
  const interaction = interactionOf(body, '', signed);
  await guarded(deps, interaction, 'lift the mute', async () => {
    if (!deps.mutes) {
      await tellUser(deps, interaction, NOT_CONFIGURED);
      return;
    }
    const { by, refusal } = await responder(deps, interaction, 'unmute', `mute:${muteId}`, 'button', true);
    if (refusal) return;
    const removed = await deps.mutes.remove(muteId);
    if (!removed) {
      await tellUser(
        deps,
        interaction,
        renderProblem('This mute has already ended', `mute ${muteId}`, 'Nothing to lift.'),
      );
      return;
    }
    const actor: AuditActor = by;
    await deps.audit.append({
      at: deps.clock.now().toISOString(),
      actor,
      action: 'unmute',
      eventId: removed.fromEventId,
      result: 'done',
      details: { muteId: removed.id, covers: describeMute(removed), expiresAt: removed.expiresAt },
    });
    const note = renderUnmutedNote(removed, actor);
    if (interaction.responseUrl) {
      await deps.slack.respond(interaction.responseUrl, { response_type: 'ephemeral', ...note });
    } else if (body.view?.type !== 'home') {
      await tellUser(deps, interaction, note);
    }
  });
  // From the Home tab, the tab itself is the answer: drawn again, without the mute (or with it, when refused).
  if (body.view?.type === 'home' && deps.home) {
    await onHomeOpened(
      { type: 'app_home_opened', user: interaction.user.id, tab: 'home' },
      { home: deps.home, slack: deps.slack, log: deps.log },
    );
  }
}

/** `/iam-changes mutes`: the active mutes, each with its Unmute button, to the person who asked. */
export async function answerMutes(
  responseUrl: string,
  interaction: Interaction,
  deps: MuteDependencies,
): Promise<void> {
  if (!deps.mutes) {
    await tellUser(deps, interaction, NOT_CONFIGURED);
    return;
  }
  try {
    const mutes = await deps.mutes.active(deps.clock.now());
    await deps.slack.respond(responseUrl, { response_type: 'ephemeral', ...renderMuteList(mutes) });
  } catch (error: unknown) {
    deps.log.error('/iam-changes mutes not answered', { error: message(error) });
    await tellUser(deps, interaction, renderProblem('The mutes could not be listed', message(error)));
  }
}
