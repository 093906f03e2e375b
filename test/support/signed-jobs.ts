/**
 * Jobs as the Slack function publishes them: each with the Slack request that caused it (`origin`), built here
 * the way Slack sends it — a `block_actions` click, a `view_submission` of a confirmation modal or a slash
 * command, form-encoded and signed with the app's signing secret.
 */
import type { Job, JobOrigin } from '../../src/app/jobs';
import {
  ACTION_IDS,
  FLEET_ACCOUNTS_INPUT,
  FLEET_SCOPE_INPUT,
  QUARANTINE_MODES_INPUT,
  REASON_INPUT,
} from '../../src/slack/action-ids';
import { CONFIRM_CALLBACK_IDS } from '../../src/slack/render-confirm';
import { DIFF_PAGE_ACTION_IDS, diffPageValue } from '../../src/slack/render-diff';
import { FLEET_CALLBACK_IDS } from '../../src/slack/render-fleet';
import { signSlackRequest } from '../../src/slack/signature';

/** The signing secret the signed-job tests configure (`SLACK_SIGNING_SECRET`). */
export const TEST_SIGNING_SECRET = 'test-signing-secret';

const BUTTON = {
  revert: ACTION_IDS.REVERT,
  quarantine: ACTION_IDS.QUARANTINE,
  'lift-quarantine': ACTION_IDS.LIFT_QUARANTINE,
} as const;

/** The interaction payload or command fields Slack would have sent for `job`. */
export function slackBodyOf(job: Job): string {
  const user = { id: job.by.slackUserId, username: job.by.name, name: job.by.name };
  const form = (payload: unknown) => new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  switch (job.kind) {
    case 'prepare-confirmation':
      return form({
        type: 'block_actions',
        user,
        actions: [{ action_id: BUTTON[job.action], value: job.eventId, type: 'button' }],
      });
    case 'revert':
    case 'quarantine':
    case 'lift-quarantine': {
      const values: Record<string, Record<string, unknown>> = {
        [REASON_INPUT.BLOCK_ID]: {
          [REASON_INPUT.ACTION_ID]: { type: 'plain_text_input', value: job.reason },
        },
      };
      if (job.kind === 'quarantine' && job.modes) {
        values[QUARANTINE_MODES_INPUT.BLOCK_ID] = {
          [QUARANTINE_MODES_INPUT.ACTION_ID]: {
            type: 'checkboxes',
            selected_options: job.modes.map((value) => ({ value })),
          },
        };
      }
      return form({
        type: 'view_submission',
        user,
        view: {
          id: 'V-SIGNED',
          callback_id: CONFIRM_CALLBACK_IDS[job.kind],
          private_metadata: JSON.stringify({
            eventId: job.eventId,
            ...(job.alert ? { channel: job.alert.channel, ts: job.alert.ts } : {}),
          }),
          state: { values },
        },
      });
    }
    case 'diff':
      return form({
        type: 'block_actions',
        user,
        actions: [
          job.page === undefined
            ? { action_id: ACTION_IDS.VIEW_DIFF, value: job.eventId, type: 'button' }
            : {
                action_id: DIFF_PAGE_ACTION_IDS.next,
                value: diffPageValue(job.eventId, job.page),
                type: 'button',
              },
        ],
      });
    case 'prepare-fleet-confirmation':
      return form({
        type: 'block_actions',
        user,
        actions: [
          {
            action_id: job.action === 'revert' ? ACTION_IDS.FLEET_REVERT : ACTION_IDS.FLEET_QUARANTINE,
            value: job.groupId,
            type: 'button',
          },
        ],
      });
    case 'fleet-revert':
    case 'fleet-quarantine':
      return form({
        type: 'view_submission',
        user,
        view: {
          id: 'V-SIGNED-FLEET',
          callback_id: FLEET_CALLBACK_IDS[job.kind === 'fleet-revert' ? 'revert' : 'quarantine'],
          private_metadata: JSON.stringify({
            groupId: job.groupId,
            asOf: job.asOf,
            ...(job.alert ? { channel: job.alert.channel, ts: job.alert.ts } : {}),
          }),
          state: {
            values: {
              [REASON_INPUT.BLOCK_ID]: {
                [REASON_INPUT.ACTION_ID]: { type: 'plain_text_input', value: job.reason },
              },
              // The accounts chosen: all of them, or only the members the job names.
              [FLEET_SCOPE_INPUT.BLOCK_ID]: {
                [FLEET_SCOPE_INPUT.ACTION_ID]: {
                  type: 'radio_buttons',
                  selected_option: { value: job.members ? 'chosen' : 'all' },
                },
              },
              [FLEET_ACCOUNTS_INPUT.BLOCK_ID]: {
                [FLEET_ACCOUNTS_INPUT.ACTION_ID]: {
                  type: 'multi_static_select',
                  selected_options: (job.members ?? []).map((value) => ({ value })),
                },
              },
            },
          },
        },
      });
    case 'history':
    case 'status':
      return new URLSearchParams({
        command: '/iam-changes',
        text: job.kind === 'history' ? job.text : job.share ? 'status share' : 'status',
        response_url: job.responseUrl,
        channel_id: job.channelId,
        user_id: job.by.slackUserId,
        user_name: job.by.name,
        ...(job.kind === 'history' && job.permalinkBase
          ? { team_domain: new URL(job.permalinkBase).hostname.split('.')[0] ?? '' }
          : {}),
      }).toString();
    case 'judge-change':
    case 'ask-actor':
      // No Slack request causes one; a forged one carries a block action that asks for nothing.
      return form({ type: 'block_actions', user, actions: [] });
  }
}

/** A signed origin for `body`, signed at `at` (epoch seconds; now unless given) with `secret`. */
export function signedOrigin(body: string, secret = TEST_SIGNING_SECRET, at?: number): JobOrigin {
  const timestamp = String(at ?? Math.floor(Date.now() / 1000));
  return { body, timestamp, signature: signSlackRequest(secret, timestamp, body) };
}

/** `job` with the signed Slack request that would have caused it. */
export function signJob<T extends Job>(job: T, options: { secret?: string; at?: number } = {}): T {
  return { ...job, origin: signedOrigin(slackBodyOf(job), options.secret, options.at) };
}
