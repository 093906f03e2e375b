/**
 * The submissions of the Revert, Quarantine and Lift quarantine confirmation modals. Validation and the second
 * authorisation come before `ack()` here — a view submission's ack *is* the answer (`response_action: errors`
 * keeps the modal open with the message under the field) — and both are fast: the reason is in the payload and
 * the responder groups are remembered for a minute. After the ack the modal closes, the thread hears who asked
 * and why, and the job is published for the worker.
 */
import type { JobOrigin } from '../../app/jobs';
import { REASON_INPUT } from '../action-ids';
import { confirmActionOf, parseConfirmMetadata, quarantineModesOf } from '../render-confirm';
import { renderProblem, renderRequestedNote } from '../render-notice';
import {
  guarded,
  type Interaction,
  type ListenerDependencies,
  originOf,
  requesterOf,
  type SlackUser,
  tellUser,
} from './context';

/** The errors answer of a view submission: messages under the named input blocks. */
export interface ViewErrors {
  response_action: 'errors';
  errors: Record<string, string>;
}

/** The parts of a `view_submission` payload the listener reads (a subset of Bolt's). */
export interface ViewSubmissionArgs {
  ack: (response?: ViewErrors) => Promise<void>;
  body: { user: SlackUser };
  /** The submission exactly as Slack signed it, when it came over HTTP: the job carries it. */
  signed?: JobOrigin;
  view: {
    id?: string;
    callback_id: string;
    private_metadata?: string;
    state: {
      values: Record<
        string,
        | Record<
            string,
            | {
                value?: string | null;
                selected_option?: { value?: string } | null;
                selected_options?: { value?: string }[] | null;
              }
            | undefined
          >
        | undefined
      >;
    };
  };
}

const WORDS = {
  revert: 'revert changes',
  quarantine: 'quarantine callers',
  'lift-quarantine': 'lift quarantines',
} as const;

function message(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}

function errors(text: string): ViewErrors {
  return { response_action: 'errors', errors: { [REASON_INPUT.BLOCK_ID]: text.slice(0, 150) } };
}

/**
 * A confirmation was submitted: checks the reason (not blank) and that the person may still do it (someone
 * removed from the responders since the modal opened is refused, and audited), closes the modal, posts
 * "… requested by @x — reason" in the alert's thread, and publishes the `revert` / `quarantine` /
 * `lift-quarantine` job. Submitting twice publishes twice; the revert's claim makes the second a no-op.
 */
export async function onConfirmSubmission(
  { ack, body, view, signed }: ViewSubmissionArgs,
  deps: ListenerDependencies,
): Promise<void> {
  const action = confirmActionOf(view.callback_id);
  const meta = parseConfirmMetadata(view.private_metadata);
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
  let by: Awaited<ReturnType<typeof requesterOf>>;
  try {
    by = await requesterOf(body.user, deps);
    const decision = await deps.authorizer.authorize(by, action, meta.eventId, 'submission');
    if (decision.auditError) {
      deps.log.error('unauthorised attempt not audited', {
        user: by.slackUserId,
        error: decision.auditError,
      });
    }
    if (!decision.allowed) {
      deps.log.warn('unauthorised submission', { user: by.slackUserId, action, reason: decision.reason });
      await ack(errors(`You may no longer ${WORDS[action]}: ask one of the responders. (Recorded.)`));
      return;
    }
  } catch (error: unknown) {
    deps.log.error('submission not authorised', { user: body.user.id, error: message(error) });
    await ack(errors(`Could not check who may ${WORDS[action]} (${message(error)}): try again.`));
    return;
  }
  await ack();

  const interaction: Interaction = { eventId: meta.eventId, user: body.user };
  if (meta.channel) interaction.channel = meta.channel;
  await guarded(deps, interaction, `queue the ${action}`, async () => {
    const alert = meta.channel && meta.ts ? { channel: meta.channel, ts: meta.ts } : undefined;
    if (alert) {
      try {
        await deps.slack.postMessage({
          channel: alert.channel,
          threadTs: alert.ts,
          ...renderRequestedNote(action, by, reason),
        });
      } catch (error: unknown) {
        deps.log.warn('request note not posted', { eventId: meta.eventId, error: message(error) });
      }
    }
    try {
      await deps.jobs.publish({
        kind: action,
        eventId: meta.eventId,
        by,
        reason,
        ...(alert ? { alert } : {}),
        ...(action === 'quarantine' ? { modes: quarantineModesOf(view.state.values) } : {}),
        ...originOf(signed),
      });
    } catch (error: unknown) {
      deps.log.error(`${action} job not published`, { eventId: meta.eventId, error: message(error) });
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
