/**
 * "Was this you?" in Slack: the DM to the person who made a change (Yes / No), the modal "Yes" opens (a reason,
 * optionally a ticket), the `@here` note a "No" posts in the alert's thread, the DM once answered, and the
 * adapter ({@link SlackActorAskChannel}) that sends them. The buttons' `value` is the change's event id; who may
 * press them is decided by the worker's record, not by anything in the message.
 */
import type { KnownBlock } from '@slack/types';
import type { ActorAskChannel } from '../app/ask-actor-service';
import type { SlackRef } from '../app/ports';
import type { RespondedChange } from '../app/revert-port';
import { resourceOf } from '../domain/resources';
import { raiseLevel } from '../domain/risk/levels';
import type { AssessedChange } from '../domain/types';
import { context, section } from './blocks';
import { escapeText, inlineCode, truncate } from './escape';
import { changeHeadline, LEVELS, type SlackMessage, slackDate } from './render';
import { changeAccountMrkdwn } from './render-account';
import { mentionOf, reasonText, renderAlertUpdate } from './render-state';
import type { WebApiSlackGateway } from './web-api-gateway';

/** The DM's buttons and the "Yes" modal: action ids, callback id and inputs. */
export const ASK_IDS = Object.freeze({
  YES: 'actor.confirm',
  NO: 'actor.deny',
  /** The "Yes, it was me" modal; its `private_metadata` is the event id. */
  VIEW: 'actor.confirm_view',
  REASON_BLOCK: 'actor_reason',
  REASON_ACTION: 'actor.reason',
  TICKET_BLOCK: 'actor_ticket',
  TICKET_ACTION: 'actor.ticket',
} as const);

const MAX_EVENT_ID = 2000;

/** The DM asking the actor about `change`. */
export function renderAsk(change: AssessedChange): SlackMessage {
  const level = LEVELS[change.risk.level];
  const what = escapeText(changeHeadline(change));
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: 'Was this you?', emoji: true } },
    section(
      `${level.emoji} *${what}* in account ${changeAccountMrkdwn(change)} at ${slackDate(change.eventTime)}\n` +
        `Caller ${inlineCode(change.actor.arn || change.actor.name, 300)} · ${inlineCode(change.eventName, 100)} on ${inlineCode(resourceOf(change), 300)}`,
    ),
    context([
      'The security team was alerted to this IAM change. Tell them whether you made it: only you can answer.',
    ]),
  ];
  if (change.eventId.length <= MAX_EVENT_ID) {
    blocks.push({
      type: 'actions',
      elements: [
        {
          type: 'button',
          action_id: ASK_IDS.YES,
          style: 'primary',
          text: { type: 'plain_text', text: 'Yes, it was me' },
          value: change.eventId,
        },
        {
          type: 'button',
          action_id: ASK_IDS.NO,
          style: 'danger',
          text: { type: 'plain_text', text: "No, it wasn't me" },
          value: change.eventId,
          confirm: {
            title: { type: 'plain_text', text: 'Not you?' },
            text: {
              type: 'mrkdwn',
              text: 'The security team will be called in and may revert the change or quarantine the caller.',
            },
            confirm: { type: 'plain_text', text: "It wasn't me" },
            deny: { type: 'plain_text', text: 'Back' },
          },
        },
      ],
    });
  }
  return { text: `Was this you? ${what}`, blocks };
}

/** The DM once answered (or once time ran out): the question stays, the buttons go. */
export function renderAskAnswered(state: RespondedChange): SlackMessage {
  const asked = renderAsk(state.change);
  const answer = state.actorAnswer;
  const line = answer
    ? answer.answer === 'confirmed'
      ? `:ballot_box_with_check: You confirmed this change at ${slackDate(answer.at)}${answer.reason ? `: ${reasonText(answer.reason)}` : ''}. Thank you.`
      : `:warning: You said this wasn't you (${slackDate(answer.at)}). The security team has been called in.`
    : ':hourglass: No answer in time: the security team has been told. You can still tell them in the alert thread.';
  return {
    text: asked.text,
    blocks: [...asked.blocks.filter((block) => block.type !== 'actions'), section(line)],
  };
}

/** The "Yes, it was me" modal: a required reason, an optional ticket. */
export function renderConfirmModal(eventId: string, change?: AssessedChange): object {
  return {
    type: 'modal',
    callback_id: ASK_IDS.VIEW,
    private_metadata: eventId,
    title: { type: 'plain_text', text: 'It was me' },
    submit: { type: 'plain_text', text: 'Confirm' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      ...(change ? [section(`*${escapeText(truncate(changeHeadline(change), 200))}*`)] : []),
      {
        type: 'input',
        block_id: ASK_IDS.REASON_BLOCK,
        label: { type: 'plain_text', text: 'Why did you make it?' },
        element: {
          type: 'plain_text_input',
          action_id: ASK_IDS.REASON_ACTION,
          max_length: 500,
          placeholder: { type: 'plain_text', text: 'deploy #812' },
        },
      },
      {
        type: 'input',
        block_id: ASK_IDS.TICKET_BLOCK,
        optional: true,
        label: { type: 'plain_text', text: 'Ticket' },
        element: { type: 'plain_text_input', action_id: ASK_IDS.TICKET_ACTION, max_length: 100 },
      },
    ],
  };
}

/** The `@here` in the alert's thread after a "No". */
export function renderDenial(state: RespondedChange): SlackMessage {
  const by = state.actorAnswer ? mentionOf(state.actorAnswer.by) : 'The actor';
  const from = state.change.risk.level;
  const to = raiseLevel(from);
  const text = `<!here> ${by} says they did not make this change. Risk raised from ${from.toUpperCase()} to ${to.toUpperCase()}: consider Revert or Quarantine (now at the top of the alert).`;
  return { text, blocks: [section(text)] };
}

/** The Slack side of {@link ActorAskChannel}, through the Web API gateway. */
export class SlackActorAskChannel implements ActorAskChannel {
  constructor(
    private readonly gateway: Pick<
      WebApiSlackGateway,
      'userIdByEmail' | 'openDirectMessage' | 'postMessage' | 'updateMessage'
    >,
  ) {}

  userIdByEmail(email: string): Promise<string | undefined> {
    return this.gateway.userIdByEmail(email);
  }

  async sendAsk(userId: string, change: AssessedChange): Promise<SlackRef> {
    const channel = await this.gateway.openDirectMessage(userId);
    return this.gateway.postMessage({ channel, ...renderAsk(change) });
  }

  async updateAlert(ref: SlackRef, state: RespondedChange): Promise<void> {
    // A change grouped into a burst has no message of its own.
    if (ref.threadTs !== undefined) return;
    await this.gateway.updateMessage(ref, renderAlertUpdate(state));
  }

  async postDenial(place: { channel: string; threadTs: string }, state: RespondedChange): Promise<void> {
    await this.gateway.postMessage({
      channel: place.channel,
      threadTs: place.threadTs,
      ...renderDenial(state),
    });
  }

  async updateAsk(dm: { channel: string; ts: string }, state: RespondedChange): Promise<void> {
    await this.gateway.updateMessage(dm, renderAskAnswered(state));
  }
}
