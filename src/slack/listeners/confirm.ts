/**
 * The submissions of every confirmation modal — Revert, Quarantine and Lift quarantine of one change, and Revert
 * or Quarantine in the accounts of a fleet group — through one code path. Validation and the second
 * authorisation come before `ack()` here — a view submission's ack *is* the answer (`response_action: errors`
 * keeps the modal open with the message under the field) — and both are fast: the reason is in the payload and
 * the responder groups are remembered for a minute. After the ack the modal closes, the thread hears who asked
 * and why, and the job is published for the worker.
 */
import type { Job, JobOrigin } from '../../app/jobs';
import { FLEET_ACCOUNTS_INPUT, REASON_INPUT } from '../action-ids';
import {
  type ConfirmMetadata,
  confirmActionOf,
  parseConfirmMetadata,
  quarantineModesOf,
} from '../render-confirm';
import { fleetActionOf, fleetMembersOf, parseFleetMetadata } from '../render-fleet';
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

/** What a submitted confirmation is about, read from its callback id and metadata. */
type Submitted =
  | { kind: 'change'; action: 'revert' | 'quarantine' | 'lift-quarantine'; id: string; meta: ConfirmMetadata }
  | {
      kind: 'group';
      action: 'revert' | 'quarantine';
      id: string;
      meta: NonNullable<ReturnType<typeof parseFleetMetadata>>;
    };

function submittedOf(view: ViewSubmissionArgs['view']): Submitted | undefined {
  const fleet = fleetActionOf(view.callback_id);
  if (fleet) {
    const meta = parseFleetMetadata(view.private_metadata);
    return meta ? { kind: 'group', action: fleet, id: meta.groupId, meta } : undefined;
  }
  const action = confirmActionOf(view.callback_id);
  const meta = parseConfirmMetadata(view.private_metadata);
  return action && meta ? { kind: 'change', action, id: meta.eventId, meta } : undefined;
}

/**
 * A confirmation was submitted: checks the reason (not blank), a fleet group's choice of accounts (some picked
 * when "only some"), and that the person may still do it (someone removed from the responders since the modal
 * opened is refused, and audited), closes the modal, posts "… requested by @x — reason" in the alert's thread, and
 * publishes the job: `revert` / `quarantine` / `lift-quarantine` for a change, `fleet-revert` / `fleet-quarantine`
 * for a group (naming only the group, the time of the list shown and the accounts chosen — the worker reads the
 * changes from the store). Submitting twice publishes twice; each change's revert claim makes the second a no-op.
 */
export async function onConfirmSubmission(
  { ack, body, view, signed }: ViewSubmissionArgs,
  deps: ListenerDependencies,
): Promise<void> {
  const submitted = submittedOf(view);
  if (!submitted) {
    await ack();
    deps.log.warn('a submission the bot cannot read', { callbackId: view.callback_id });
    return;
  }
  const { action, id } = submitted;
  const words = submitted.kind === 'change' ? WORDS[action] : `${action} in every account`;
  const reason = view.state.values[REASON_INPUT.BLOCK_ID]?.[REASON_INPUT.ACTION_ID]?.value?.trim() ?? '';
  if (reason === '') {
    await ack(errors('Give a reason: it goes in the alert thread and the audit log.'));
    return;
  }
  const chosen = submitted.kind === 'group' ? fleetMembersOf(view.state.values) : {};
  if ('error' in chosen) {
    await ack({ response_action: 'errors', errors: { [FLEET_ACCOUNTS_INPUT.BLOCK_ID]: chosen.error } });
    return;
  }
  let by: Awaited<ReturnType<typeof requesterOf>>;
  try {
    by = await requesterOf(body.user, deps);
    const decision = await deps.authorizer.authorize(by, action, id, 'submission');
    if (decision.auditError) {
      deps.log.error('unauthorised attempt not audited', {
        user: by.slackUserId,
        error: decision.auditError,
      });
    }
    if (!decision.allowed) {
      deps.log.warn('unauthorised submission', { user: by.slackUserId, action, reason: decision.reason });
      await ack(errors(`You may no longer ${words}: ask one of the responders. (Recorded.)`));
      return;
    }
  } catch (error: unknown) {
    deps.log.error('submission not authorised', { user: body.user.id, error: message(error) });
    await ack(errors(`Could not check who may ${words} (${message(error)}): try again.`));
    return;
  }
  await ack();

  const { meta } = submitted;
  const interaction: Interaction = { eventId: id, user: body.user };
  if (meta.channel) interaction.channel = meta.channel;
  const what = submitted.kind === 'change' ? `queue the ${action}` : `queue the ${action} in every account`;
  await guarded(deps, interaction, what, async () => {
    const alert = meta.channel && meta.ts ? { channel: meta.channel, ts: meta.ts } : undefined;
    if (alert) {
      try {
        await deps.slack.postMessage({
          channel: alert.channel,
          threadTs: alert.ts,
          ...renderRequestedNote(action, by, reason),
        });
      } catch (error: unknown) {
        deps.log.warn('request note not posted', { id, error: message(error) });
      }
    }
    const common = { by, reason, ...(alert ? { alert } : {}), ...originOf(signed) };
    const job: Job =
      submitted.kind === 'change'
        ? {
            kind: submitted.action,
            eventId: id,
            ...common,
            ...(submitted.action === 'quarantine' ? { modes: quarantineModesOf(view.state.values) } : {}),
          }
        : {
            kind: submitted.action === 'revert' ? 'fleet-revert' : 'fleet-quarantine',
            groupId: id,
            asOf: submitted.meta.asOf,
            ...(chosen.members ? { members: chosen.members } : {}),
            ...common,
          };
    try {
      await deps.jobs.publish(job);
    } catch (error: unknown) {
      deps.log.error(`${job.kind} job not published`, { id, error: message(error) });
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
