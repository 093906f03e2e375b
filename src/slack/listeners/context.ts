/**
 * What every Slack listener shares: its dependencies, the minimal shapes of the Slack payloads it reads (Bolt's
 * arguments fit them, and tests build them by hand without Bolt), and the helpers that keep a listener from ever
 * throwing at the user — who is asking, where to answer, and an ephemeral "what went wrong, what to do".
 */
import type { AccountDirectory } from '../../app/account-directory';
import type { AskActorService } from '../../app/ask-actor-service';
import type { AuditLog } from '../../app/audit-port';
import type { ResponderAuthorizer } from '../../app/authorize';
import type { ExpectationStore } from '../../app/expectation-port';
import type { HomeService } from '../../app/home-service';
import type { JobOrigin, JobQueue, Requester } from '../../app/jobs';
import type { MuteStore } from '../../app/mute-port';
import type { Clock, SlackRef } from '../../app/ports';
import type { QueryService } from '../../app/query-service';
import type { AckStore, RevertStore } from '../../app/revert-port';
import type { SlackInteractionGateway } from '../../app/slack-port';
import type { SlackMessage } from '../render';
import { renderProblem } from '../render-notice';

/** Where listeners log what went wrong (the user hears of it separately). */
export interface ListenerLog {
  error(message: string, details?: Record<string, unknown>): void;
  warn(message: string, details?: Record<string, unknown>): void;
}

/** What the listeners are built from; `src/runtime/slack.ts` wires the real ones. */
export interface ListenerDependencies {
  slack: SlackInteractionGateway;
  store: Pick<AckStore & RevertStore, 'recordAcknowledgement' | 'getChange'>;
  audit: AuditLog;
  authorizer: Pick<ResponderAuthorizer, 'authorize' | 'responders'>;
  jobs: JobQueue;
  queries: Pick<QueryService, 'answer' | 'historyNeeded'>;
  /** The Home tab's facts; without it `app_home_opened` is ignored. */
  home?: Pick<HomeService, 'factsFor'>;
  clock: Clock;
  log: ListenerLog;
  /** Responders' mutes; without it "Mute similar" and `/iam-changes mutes` say mutes are not available. */
  mutes?: MuteStore;
  /** Announced planned work; without it `/iam-changes expect` says expectations are not available. */
  expectations?: ExpectationStore;
  /** The account directory's copy (read only), to name the account an expectation is about. */
  accounts?: Pick<AccountDirectory, 'describe'>;
  /** "Was this you?" answers: absent when asking the actor is not configured (the buttons then say so). */
  askActor?: Pick<AskActorService, 'answer' | 'check'>;
}

/** The person behind an interaction, as Slack sends it (`user` of an action or view submission). */
export interface SlackUser {
  id: string;
  /** The legacy handle: a fallback when `users.info` can't be read. */
  name?: string;
  username?: string;
}

/** The parts of a `block_actions` payload the listeners read. */
export interface ActionBody {
  user: SlackUser;
  trigger_id?: string;
  channel?: { id: string };
  message?: { ts: string; thread_ts?: string };
  container?: { message_ts?: string; channel_id?: string; thread_ts?: string };
  /** Set when the action came from a modal (the diff's Previous / Next) or the Home tab (`type: 'home'`). */
  view?: { id: string; type?: string; private_metadata?: string };
  response_url?: string;
}

/** The action itself: a button (`value`) or an overflow menu (`selected_option`). */
export interface ActionPayload {
  action_id: string;
  value?: string;
  selected_option?: { value: string } | null;
}

/** A block action listener's arguments (a subset of Bolt's). */
export interface ActionArgs {
  ack: () => Promise<void>;
  body: ActionBody;
  action: ActionPayload;
  /** The request exactly as Slack signed it, when it came over HTTP: every job it causes carries it. */
  signed?: JobOrigin;
}

/** One interaction with a change, whatever element it came from (a button, or the burst thread's menu). */
export interface Interaction {
  eventId: string;
  user: SlackUser;
  triggerId?: string;
  /** Where the clicked message is: its channel, its ts and, for a thread reply, the thread's ts. */
  channel?: string;
  messageTs?: string;
  threadTs?: string;
  responseUrl?: string;
  /** The signed Slack request behind it, for the jobs it causes (absent in Socket Mode). */
  origin?: JobOrigin;
}

/** The interaction an action payload describes, for the change `eventId`; `signed` is the request behind it. */
export function interactionOf(body: ActionBody, eventId: string, signed?: JobOrigin): Interaction {
  const interaction: Interaction = { eventId, user: body.user };
  if (signed) interaction.origin = signed;
  if (body.trigger_id) interaction.triggerId = body.trigger_id;
  const channel = body.channel?.id ?? body.container?.channel_id;
  if (channel) interaction.channel = channel;
  const ts = body.message?.ts ?? body.container?.message_ts;
  if (ts) interaction.messageTs = ts;
  const threadTs = body.message?.thread_ts ?? body.container?.thread_ts;
  if (threadTs && threadTs !== ts) interaction.threadTs = threadTs;
  if (body.response_url) interaction.responseUrl = body.response_url;
  return interaction;
}

/** Where to answer about a change: its alert's thread from the store, else the thread of the clicked message. */
export function threadOf(
  slack: SlackRef | undefined,
  interaction: Pick<Interaction, 'channel' | 'messageTs' | 'threadTs'>,
): { channel: string; ts: string } | undefined {
  if (slack) return { channel: slack.channel, ts: slack.threadTs ?? slack.ts };
  const ts = interaction.threadTs ?? interaction.messageTs;
  return interaction.channel && ts ? { channel: interaction.channel, ts } : undefined;
}

function message(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}

/**
 * Who is asking, by the name people know them by (`users.info`, remembered per process); the handle Slack sent
 * when Slack can't say.
 */
export async function requesterOf(
  user: SlackUser,
  deps: Pick<ListenerDependencies, 'slack' | 'log'>,
): Promise<Requester> {
  try {
    return { slackUserId: user.id, name: await deps.slack.userName(user.id) };
  } catch (error: unknown) {
    deps.log.warn('users.info failed: using the handle Slack sent', { user: user.id, error: message(error) });
    return { slackUserId: user.id, name: user.name ?? user.username ?? user.id };
  }
}

/**
 * An ephemeral message to the person who interacted: in the channel (and thread) of the clicked message, else
 * through the interaction's `response_url`. Never throws: a message that can't be delivered is logged.
 */
export async function tellUser(
  deps: Pick<ListenerDependencies, 'slack' | 'log'>,
  interaction: Pick<Interaction, 'user' | 'channel' | 'threadTs' | 'responseUrl'>,
  note: SlackMessage,
): Promise<void> {
  try {
    if (interaction.channel) {
      await deps.slack.postEphemeral({
        channel: interaction.channel,
        user: interaction.user.id,
        ...note,
        ...(interaction.threadTs ? { threadTs: interaction.threadTs } : {}),
      });
      return;
    }
    if (interaction.responseUrl) {
      await deps.slack.respond(interaction.responseUrl, { response_type: 'ephemeral', ...note });
      return;
    }
    // A click on the Home tab has neither: the answer goes to the app's Messages tab (a DM by user id).
    await deps.slack.postMessage({ channel: interaction.user.id, ...note });
  } catch (error: unknown) {
    deps.log.error('could not answer the user', { user: interaction.user.id, error: message(error) });
  }
}

/**
 * Runs a listener's work after its `ack()`: anything it throws is logged and the person gets an ephemeral
 * message saying what could not be done and what to do — never an exception out of the listener.
 */
export async function guarded(
  deps: Pick<ListenerDependencies, 'slack' | 'log'>,
  interaction: Pick<Interaction, 'user' | 'channel' | 'threadTs' | 'responseUrl'>,
  what: string,
  work: () => Promise<void>,
): Promise<void> {
  try {
    await work();
  } catch (error: unknown) {
    deps.log.error(`${what} failed`, { user: interaction.user.id, error: message(error) });
    await tellUser(
      deps,
      interaction,
      renderProblem(
        `Could not ${what}`,
        message(error),
        'Nothing else was changed. Try again in a minute; if it keeps failing, tell the team that runs iam-changes.',
      ),
    );
  }
}

/** The `origin` field of a job caused by a request signed as `signed` (nothing when it was not signed). */
export function originOf(signed: JobOrigin | undefined): { origin?: JobOrigin } {
  return signed ? { origin: signed } : {};
}

/** "This change is no longer stored": its ephemeral answer. */
export function notStored(eventId: string): SlackMessage {
  return renderProblem(
    'This change is no longer stored',
    `event ${eventId}`,
    'The bot keeps changes for its retention period only: look it up in CloudTrail.',
  );
}
