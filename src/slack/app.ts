/**
 * Registers the bot's Slack listeners on a Bolt `App`, one per kind — buttons, the burst thread's menu, the
 * diff's pager, the confirmation modals' submissions, `/iam-changes`. Each listener is a named export of
 * `src/slack/listeners/*` taking `(args, deps)`, testable without Bolt; this module only maps Bolt's arguments
 * onto them. Bolt is imported for its types only, so nothing here loads it at run time.
 */
import type {
  AllMiddlewareArgs,
  App,
  BlockAction,
  SlackActionMiddlewareArgs,
  SlackCommandMiddlewareArgs,
  SlackViewMiddlewareArgs,
  ViewSubmitAction,
} from '@slack/bolt';
import type { JobOrigin } from '../app/jobs';
import { ACTION_IDS, CHANGE_MENU_ACTION_PATTERN, MUTE_VIEW, SLASH_COMMAND, VIEW_IDS } from './action-ids';
import { onAcknowledge } from './listeners/acknowledge';
import { onActorConfirm, onActorConfirmSubmission, onActorDeny } from './listeners/ask-actor';
import { onChangeMenu } from './listeners/change-menu';
import { type CommandArgs, onCommand } from './listeners/command';
import { onConfirmSubmission, type ViewSubmissionArgs } from './listeners/confirm';
import type { ActionArgs, ListenerDependencies } from './listeners/context';
import { onEndExpectation } from './listeners/expect';
import { type HomeOpenedEvent, onHomeOpened } from './listeners/home';
import { onMute, onMuteSubmission, onUnmute } from './listeners/mute';
import {
  onConfirmRetry,
  onFleetQuarantine,
  onFleetRevert,
  onLiftQuarantine,
  onQuarantine,
  onRevert,
} from './listeners/respond';
import { onDiffPage, onViewDiff } from './listeners/view-diff';
import { ASK_IDS } from './render-ask';
import { DIFF_PAGE_ACTION_PATTERN } from './render-diff';

export type { ListenerDependencies } from './listeners/context';

type BoltAction = SlackActionMiddlewareArgs<BlockAction> & AllMiddlewareArgs;

/**
 * The signed request the Slack function's receiver put in Bolt's `context` (`slackRequest`, see
 * `src/runtime/slack.ts`): absent in Socket Mode, where requests are not signed.
 */
export function signedRequestOf(context: Record<string, unknown>): JobOrigin | undefined {
  const value = context.slackRequest as Partial<JobOrigin> | undefined;
  return typeof value?.body === 'string' &&
    typeof value.timestamp === 'string' &&
    typeof value.signature === 'string'
    ? { body: value.body, timestamp: value.timestamp, signature: value.signature }
    : undefined;
}

function signed(context: Record<string, unknown>): { signed?: JobOrigin } {
  const origin = signedRequestOf(context);
  return origin ? { signed: origin } : {};
}

/** Bolt's block action arguments as the listeners read them (the payloads are Slack's own JSON). */
function actionArgs(args: BoltAction): ActionArgs {
  return {
    ack: () => args.ack(),
    body: args.body as ActionArgs['body'],
    action: args.action as ActionArgs['action'],
    ...signed(args.context),
  };
}

type ActionListener = (args: ActionArgs, deps: ListenerDependencies) => Promise<void>;

/** Every listener of the bot, on `app`. Call once per `App`. */
export function registerListeners(app: App, deps: ListenerDependencies): void {
  const action = (constraint: string | RegExp, listener: ActionListener) => {
    app.action<BlockAction>({ type: 'block_actions', action_id: constraint }, async (args) =>
      listener(actionArgs(args), deps),
    );
  };
  action(ACTION_IDS.ACKNOWLEDGE, onAcknowledge);
  action(ACTION_IDS.VIEW_DIFF, onViewDiff);
  action(ACTION_IDS.REVERT, onRevert);
  action(ACTION_IDS.QUARANTINE, onQuarantine);
  action(ACTION_IDS.LIFT_QUARANTINE, onLiftQuarantine);
  action(ACTION_IDS.CONFIRM_RETRY, onConfirmRetry);
  action(CHANGE_MENU_ACTION_PATTERN, onChangeMenu);
  action(DIFF_PAGE_ACTION_PATTERN, onDiffPage);
  action(ASK_IDS.YES, onActorConfirm);
  action(ASK_IDS.NO, onActorDeny);
  action(ACTION_IDS.FLEET_REVERT, onFleetRevert);
  action(ACTION_IDS.FLEET_QUARANTINE, onFleetQuarantine);
  // A link button: Slack opens the page and still tells the app; nothing to do but acknowledge.
  action(ACTION_IDS.OPEN_LINK, async (args) => args.ack());
  action(ACTION_IDS.MUTE, onMute);
  action(ACTION_IDS.UNMUTE, onUnmute);
  action(ACTION_IDS.END_EXPECTATION, onEndExpectation);

  app.view<ViewSubmitAction>(
    { type: 'view_submission', callback_id: MUTE_VIEW.CALLBACK_ID },
    async (args: SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs) =>
      onMuteSubmission(
        {
          ack: (response) => args.ack(response),
          body: args.body,
          view: args.view as ViewSubmissionArgs['view'],
          ...signed(args.context),
        },
        deps,
      ),
  );

  for (const callbackId of Object.values(VIEW_IDS)) {
    // Every confirmation, of one change or of a fleet group's accounts, is submitted through one listener.
    app.view<ViewSubmitAction>(
      { type: 'view_submission', callback_id: callbackId },
      async (args: SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs) =>
        onConfirmSubmission(
          {
            ack: (response) => args.ack(response),
            body: args.body,
            view: args.view as ViewSubmissionArgs['view'],
            ...signed(args.context),
          },
          deps,
        ),
    );
  }

  app.view<ViewSubmitAction>(
    { type: 'view_submission', callback_id: ASK_IDS.VIEW },
    async (args: SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs) =>
      onActorConfirmSubmission(
        {
          ack: (response) => args.ack(response),
          body: args.body,
          view: args.view as ViewSubmissionArgs['view'],
          ...signed(args.context),
        },
        deps,
      ),
  );

  // HTTP events arrive on the same endpoint as every other request, signed and verified the same way.
  app.event('app_home_opened', async ({ event }) => {
    const home = deps.home;
    if (!home) return;
    await onHomeOpened(event as HomeOpenedEvent, { home, slack: deps.slack, log: deps.log });
  });

  app.command(SLASH_COMMAND, async (args: SlackCommandMiddlewareArgs & AllMiddlewareArgs) =>
    onCommand(
      {
        ack: (response) => args.ack(response),
        command: args.command as CommandArgs['command'],
        ...signed(args.context),
      },
      deps,
    ),
  );
}
