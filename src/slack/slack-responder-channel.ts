/**
 * The worker's side of the fact ports ({@link ResponderChannel}): the alert channel plus modals, ephemeral notes and
 * command answers, in a module of its own so the notify function (which only posts alerts) never reaches the
 * builders of confirmations, diffs, query answers and the CIS 4.4 report. Each of those builders is imported with
 * the first job that needs it.
 */
import type {
  AlertPlace,
  CommandAnswer,
  Confirmation,
  ConfirmSubject,
  DiffResult,
  ResponderChannel,
  TaskFailure,
  ThreadNote,
} from '../app/alert-port';
import type { SlackRef } from '../app/ports';
import type { ResponseMessage, SlackInteractionGateway, SlackView } from '../app/slack-port';
import type { SlackMessage } from './render';
import { renderNote, SlackAlertChannel } from './slack-alert-channel';

const NO_LONGER_STORED = (eventId: string) =>
  `This change is no longer stored (event ${eventId}): the bot keeps changes for its retention period only.`;

const FAILED_TASK: Record<TaskFailure['task'], string> = {
  revert: 'The revert did not run',
  quarantine: 'The quarantine did not run',
  'lift-quarantine': 'The quarantine was not lifted',
  history: 'The CloudTrail search failed',
  status: 'The CIS 4.4 status could not be checked',
};

const FAILURE_ADVICE: Record<TaskFailure['task'], string> = {
  revert: 'Nothing more will be tried automatically: check the audit log and IAM, then try again.',
  quarantine: 'Nothing more will be tried automatically: check the audit log and IAM, then try again.',
  'lift-quarantine': 'Nothing more will be tried automatically: check the audit log and IAM, then try again.',
  history: 'Try again, or narrow the query (a shorter range, `on role/…`).',
  status:
    'Check that the worker may read CloudTrail, CloudWatch Logs, CloudWatch and SNS, or run `npx iam-changes audit`.',
};

/** A failed task in words: what did not happen, why, and what to do now (its builder loaded with the first). */
export async function renderFailure(failure: TaskFailure): Promise<SlackMessage> {
  const { renderProblem } = await import('./render-notice');
  const what = FAILED_TASK[failure.task];
  if (failure.notFound)
    return renderProblem(
      what,
      `this change is no longer stored (event ${failure.detail})`,
      'Nothing was changed.',
    );
  return renderProblem(what, failure.detail, failure.advice ?? FAILURE_ADVICE[failure.task]);
}

/**
 * Any thread note (or note to one person) as a message: the notify path's own kinds as the alert channel renders
 * them; the outcome notes' builders (revert, quarantine, lift, failure) loaded with the first such note.
 */
export async function renderResponderNote(note: ThreadNote): Promise<SlackMessage> {
  switch (note.kind) {
    case 'revert':
      return (await import('./render-notice')).renderRevertOutcome(note.outcome, note.by, note.where);
    case 'quarantine':
      return (await import('./render-notice')).renderQuarantineOutcome(
        note.outcome,
        note.by,
        note.reason,
        note.where,
      );
    case 'lift-quarantine':
      return (await import('./render-notice')).renderLiftOutcome(
        note.outcome,
        note.by,
        note.reason,
        note.where,
      );
    case 'failure':
      return renderFailure(note.failure);
    default:
      return renderNote(note);
  }
}

/** The worker's {@link ResponderChannel}: the alert channel plus modals, ephemeral notes and command answers. */
export class SlackResponderChannel extends SlackAlertChannel implements ResponderChannel {
  constructor(protected override readonly gateway: SlackInteractionGateway) {
    super(gateway);
  }

  override async postThreadNote(place: AlertPlace, note: ThreadNote): Promise<SlackRef> {
    return this.post(place, await renderResponderNote(note));
  }

  async showConfirmation(viewId: string, subject: ConfirmSubject, confirmation: Confirmation): Promise<void> {
    const { renderConfirmError, renderLiftConfirm, renderQuarantineConfirm, renderRevertConfirm } =
      await import('./render-confirm');
    const meta: ConfirmSubject = { eventId: subject.eventId };
    if (subject.channel !== undefined && subject.ts !== undefined)
      Object.assign(meta, { channel: subject.channel, ts: subject.ts });
    let view: SlackView;
    if ('problem' in confirmation) {
      const { detail, notFound } = confirmation.problem;
      const text = notFound
        ? NO_LONGER_STORED(subject.eventId)
        : `The ${confirmation.action} could not be prepared: ${detail}`;
      view = renderConfirmError(confirmation.action, text, meta);
    } else if (confirmation.action === 'revert') view = renderRevertConfirm(confirmation.preview, meta);
    else if (confirmation.action === 'quarantine') view = renderQuarantineConfirm(confirmation.preview, meta);
    else view = renderLiftConfirm(confirmation.preview, meta);
    await this.gateway.updateView(viewId, view);
  }

  async showDiff(viewId: string, result: DiffResult): Promise<void> {
    const { DIFF_VIEW_CALLBACK_ID, renderDiffError, renderDiffModal } = await import('./render-diff');
    const { renderProblemModal } = await import('./render-confirm');
    let view: SlackView;
    switch (result.kind) {
      case 'diff':
        view = renderDiffModal(result.change, result.diff, result.source, result.delta, result.page);
        break;
      case 'failed':
        view = renderDiffError(result.change, result.detail);
        break;
      case 'unreadable':
        view = renderProblemModal(
          DIFF_VIEW_CALLBACK_ID,
          'Policy diff',
          `The change could not be read: ${result.detail}`,
        );
        break;
      case 'not-found':
        view = renderProblemModal(DIFF_VIEW_CALLBACK_ID, 'Policy diff', NO_LONGER_STORED(result.eventId));
        break;
    }
    await this.gateway.updateView(viewId, view);
  }

  async tellUser(place: AlertPlace, user: string, note: ThreadNote): Promise<void> {
    const message = await renderResponderNote(note);
    await this.gateway.postEphemeral({
      channel: place.channel,
      user,
      ...message,
      ...(place.threadTs === undefined ? {} : { threadTs: place.threadTs }),
    });
  }

  /**
   * An answer replaces the private note that said it was coming ("Searching CloudTrail…", "Checking CIS 4.4…").
   * A shared answer cannot replace a private note (Slack does not change who sees a message), so the note is
   * deleted first and the answer posted in the channel.
   */
  async answer(responseUrl: string, answer: CommandAnswer): Promise<void> {
    const response = await this.responseTo(answer);
    if (response.response_type === 'in_channel') {
      try {
        await this.gateway.respond(responseUrl, { text: '', delete_original: true });
      } catch {
        // The note may be gone already (dismissed): the answer matters, so it is posted all the same.
      }
    }
    await this.gateway.respond(responseUrl, response);
  }

  /** How each answer replaces what the person saw before: an ephemeral answer replaces the earlier note. */
  private async responseTo(answer: CommandAnswer): Promise<ResponseMessage> {
    switch (answer.kind) {
      case 'query': {
        const { renderQueryAnswer } = await import('./render-query');
        const rendered = renderQueryAnswer(
          answer.query,
          answer.answer,
          answer.now,
          answer.permalinkBase ? { permalinkBase: answer.permalinkBase } : {},
        );
        return response(rendered, rendered.response_type, rendered.response_type === 'ephemeral');
      }
      case 'query-error': {
        const { renderQueryError } = await import('./render-query');
        const rendered = renderQueryError(answer.error, answer.text);
        return response(rendered, rendered.response_type, true);
      }
      case 'search-progress': {
        const { renderSearchProgress } = await import('./render-query');
        const rendered = renderSearchProgress(answer.pages, answer.events, answer.searchedFrom);
        return response(rendered, rendered.response_type, true);
      }
      case 'cis-status': {
        const { renderCisStatus } = await import('./render-audit');
        const rendered = renderCisStatus(answer.report, answer.now);
        return response(rendered, answer.share ? 'in_channel' : 'ephemeral', !answer.share);
      }
      case 'failure':
        return response(await renderFailure(answer.failure), 'ephemeral', true);
    }
  }
}

function response(
  message: SlackMessage,
  responseType: 'ephemeral' | 'in_channel',
  replaceOriginal: boolean,
): ResponseMessage {
  return {
    response_type: responseType,
    text: message.text,
    blocks: message.blocks,
    replace_original: replaceOriginal,
  };
}
