/**
 * The "was this you?" DM's buttons and the "Yes" modal. Who pressed is the user id Slack signed into the
 * interaction; the use case accepts it only when it is the user the change was asked of (recorded when the DM was
 * sent). Everyone else — a responder, a colleague the DM was forwarded to — is refused in an ephemeral note and
 * audited.
 */
import type { AnswerOutcome, AnswerRequest } from '../../app/ask-actor-service';
import type { SlackMessage } from '../render';
import { ASK_IDS, renderConfirmModal } from '../render-ask';
import { renderProblem } from '../render-notice';
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
} from './context';

/** What the person who pressed hears when their answer is not taken. */
export function refusalOf(
  outcome: Exclude<AnswerOutcome, { kind: 'recorded' }>,
  eventId: string,
): SlackMessage {
  switch (outcome.kind) {
    case 'not-stored':
      return notStored(eventId);
    case 'not-asked':
      return renderProblem('Nobody was asked about this change', `event ${eventId}`, 'Nothing was recorded.');
    case 'not-yours':
      return renderProblem(
        'Only the person who was asked can answer',
        'this question was sent to someone else',
        'Nothing was recorded; this attempt is in the audit log.',
      );
    case 'already-answered':
      return renderProblem(
        'Already answered',
        outcome.answer.answer === 'confirmed' ? 'it was confirmed' : "it was answered 'not me'",
        'The first answer stands.',
      );
  }
}

const NOT_CONFIGURED = renderProblem(
  'Asking the actor is not configured',
  'this bot does not take "was this you?" answers',
  'Nothing was recorded.',
);

async function asker(interaction: Interaction, deps: ListenerDependencies) {
  const by = await requesterOf(interaction.user, deps);
  return { slackUserId: by.slackUserId, name: by.name };
}

/** "Yes, it was me": checks the person, then opens the modal asking why (and a ticket). */
export async function onActorConfirm(
  { ack, body, action }: ActionArgs,
  deps: ListenerDependencies,
): Promise<void> {
  await ack();
  const interaction = interactionOf(body, action.value ?? '');
  await guarded(deps, interaction, 'answer "was this you?"', async () => {
    if (!deps.askActor) return tellUser(deps, interaction, NOT_CONFIGURED);
    const by = await asker(interaction, deps);
    const checked = await deps.askActor.check({ eventId: interaction.eventId, by, answer: 'confirmed' });
    if (checked.kind !== 'may-answer')
      return tellUser(deps, interaction, refusalOf(checked, interaction.eventId));
    if (!interaction.triggerId) throw new Error('Slack sent no trigger to open the form with');
    await deps.slack.openView(
      interaction.triggerId,
      renderConfirmModal(interaction.eventId, checked.stored.change),
    );
  });
}

/** "No, it wasn't me": recorded at once (the button asked for a confirmation already). */
export async function onActorDeny(
  { ack, body, action }: ActionArgs,
  deps: ListenerDependencies,
): Promise<void> {
  await ack();
  const interaction = interactionOf(body, action.value ?? '');
  await guarded(deps, interaction, 'answer "was this you?"', async () => {
    if (!deps.askActor) return tellUser(deps, interaction, NOT_CONFIGURED);
    await answer(
      interaction,
      { eventId: interaction.eventId, by: await asker(interaction, deps), answer: 'denied' },
      deps,
    );
  });
}

async function answer(interaction: Interaction, request: AnswerRequest, deps: ListenerDependencies) {
  const outcome = await deps.askActor?.answer(request);
  if (outcome && outcome.kind !== 'recorded')
    await tellUser(deps, interaction, refusalOf(outcome, request.eventId));
}

function inputValue(args: ViewSubmissionArgs, block: string, action: string): string {
  return args.view.state.values[block]?.[action]?.value?.trim() ?? '';
}

/** The "Yes" modal submitted: a reason is required; the answer is checked and recorded like a "No". */
export async function onActorConfirmSubmission(
  args: ViewSubmissionArgs,
  deps: ListenerDependencies,
): Promise<void> {
  const reason = inputValue(args, ASK_IDS.REASON_BLOCK, ASK_IDS.REASON_ACTION);
  if (reason === '') {
    const errors: ViewErrors = {
      response_action: 'errors',
      errors: { [ASK_IDS.REASON_BLOCK]: 'Say why, in a few words.' },
    };
    await args.ack(errors);
    return;
  }
  await args.ack();
  const eventId = args.view.private_metadata ?? '';
  const interaction: Interaction = { eventId, user: args.body.user };
  await guarded(deps, interaction, 'answer "was this you?"', async () => {
    if (!deps.askActor) return;
    const ticket = inputValue(args, ASK_IDS.TICKET_BLOCK, ASK_IDS.TICKET_ACTION);
    const outcome = await deps.askActor.answer({
      eventId,
      by: await asker(interaction, deps),
      answer: 'confirmed',
      reason,
      ...(ticket ? { ticket } : {}),
    });
    if (outcome.kind !== 'recorded')
      deps.log.warn('"was this you?" answer refused', { eventId, outcome: outcome.kind });
  });
}
