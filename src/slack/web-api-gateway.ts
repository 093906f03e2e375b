/**
 * The {@link SlackGateway} over `@slack/web-api`: `chat.postMessage`, `chat.update` and `chat.getPermalink` (and,
 * for the responder path, the {@link SlackInteractionGateway}: modals, ephemeral messages, user groups, user
 * names and `response_url` answers), with
 * retries bounded so a notification fits in a Lambda invocation and every failure surfaced as one
 * {@link SlackDeliveryError} the caller can record.
 *
 * How `WebClient` 8.2.0 retries (read from `dist/WebClient.js` and p-retry 4 / node-retry):
 * - Each attempt runs inside `p-retry` with the client's `retryConfig` (`retries` = attempts after the first;
 *   backoff `minTimeout × factor^n`, capped at `maxTimeout`, optionally randomised). The library default is ten
 *   retries over about thirty minutes, far longer than any Lambda, which is why {@link createSlackClient} sets its own.
 * - `timeout` is per attempt (an `AbortSignal.timeout` made inside each attempt); a timeout or a network failure is a
 *   `WebAPIRequestError` and is retried. `chat.postMessage` is not idempotent, so a timed-out attempt that Slack did
 *   process can be posted twice by the retry.
 * - Any HTTP status other than 200 and 429 (a 5xx) is a `WebAPIHTTPError` and is retried.
 * - A 429 with `Retry-After` and `rejectRateLimitedCalls: false`: the client pauses its whole request queue (every
 *   method, not just the rate-limited call), sleeps `Retry-After` seconds, then throws an ordinary error so p-retry
 *   retries. The wait therefore counts as one of the `retries`, and p-retry's own backoff is added on top of it. The
 *   sleep is not capped: a large `Retry-After` is waited out in full. When the retries run out on 429s the client
 *   throws a `WebAPIRequestError` wrapping its own "A rate limit was exceeded …" error (not a
 *   `WebAPIRateLimitedError`, which only `rejectRateLimitedCalls: true` produces); it is mapped to code `ratelimited`.
 * - A 429 without a usable `Retry-After` is not retried at all.
 * - A 200 with `ok: false` (`channel_not_found`, `not_authed`, …) is a `WebAPIPlatformError` thrown after the retry
 *   loop: never retried.
 */
import {
  type ChatPostMessageArguments,
  type Logger,
  LogLevel,
  type RetryOptions,
  type ViewsOpenArguments,
  type ViewsPublishArguments,
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  WebAPIRequestError,
  WebClient,
} from '@slack/web-api';
import type { OutgoingMessage, SlackGateway, SlackRef } from '../app/ports';
import type {
  EphemeralMessage,
  ResponseMessage,
  SlackInteractionGateway,
  SlackView,
  ViewRef,
} from '../app/slack-port';
import type { ChannelPacer } from './channel-pacer';

/** Options for {@link createSlackClient}. */
export interface SlackClientOptions {
  /** The bot token (`xoxb-…`). */
  token: string;
  /** Base URL of the Web API, e.g. a local test server's `http://127.0.0.1:PORT/api/`. Default `https://slack.com/api/`. */
  slackApiUrl?: string;
  /** Retries after the first attempt, for 5xx, network errors, timeouts and 429s alike. Default 2. */
  retries?: number;
  /** First backoff between attempts, in milliseconds (doubled each retry, randomised up to ×2). Default 200. */
  minRetryDelayMs?: number;
  /** Largest backoff between attempts, in milliseconds. Default 2000. */
  maxRetryDelayMs?: number;
  /** Timeout of each HTTP attempt, in milliseconds. Default 3000. */
  timeoutMs?: number;
  /** Where the client logs; without one it logs errors only, to the console. */
  logger?: Logger;
  /**
   * Fail a 429 at once (code `ratelimited`) rather than wait its `Retry-After`, which is not capped: for a caller
   * whose time is bounded and who tells what failed later itself (the scheduled forwarding check). Default false.
   */
  rejectRateLimitedCalls?: boolean;
}

/** Defaults sized so that a call that keeps failing gives up within about ten seconds (3 × 3 s + backoff). */
export const SLACK_CLIENT_DEFAULTS = {
  retries: 2,
  minRetryDelayMs: 200,
  maxRetryDelayMs: 2000,
  timeoutMs: 3000,
} as const;

/**
 * Builds the one `WebClient` a process uses (create it once per cold start and pass it in). Retries are few and
 * short, each attempt has a timeout, and a 429 is honoured by waiting its `Retry-After` (see the module comment for
 * how that wait counts against the retries).
 */
export function createSlackClient(options: SlackClientOptions): WebClient {
  const retryConfig: RetryOptions = {
    retries: options.retries ?? SLACK_CLIENT_DEFAULTS.retries,
    factor: 2,
    minTimeout: options.minRetryDelayMs ?? SLACK_CLIENT_DEFAULTS.minRetryDelayMs,
    maxTimeout: options.maxRetryDelayMs ?? SLACK_CLIENT_DEFAULTS.maxRetryDelayMs,
    randomize: true,
  };
  const slackApiUrl =
    options.slackApiUrl === undefined || options.slackApiUrl.endsWith('/')
      ? options.slackApiUrl
      : `${options.slackApiUrl}/`;
  return new WebClient(options.token, {
    ...(slackApiUrl === undefined ? {} : { slackApiUrl }),
    retryConfig,
    timeout: options.timeoutMs ?? SLACK_CLIENT_DEFAULTS.timeoutMs,
    rejectRateLimitedCalls: options.rejectRateLimitedCalls ?? false,
    // Method names only, never absolute URLs taken from input.
    allowAbsoluteUrls: false,
    ...(options.logger === undefined ? { logLevel: LogLevel.ERROR } : { logger: options.logger }),
  });
}

/** A Slack call that failed after the client's retries. `code` is Slack's error (`channel_not_found`) when it sent one. */
export class SlackDeliveryError extends Error {
  override name = 'SlackDeliveryError';
  /** The Web API method, e.g. `chat.postMessage`. */
  readonly method: string;
  /** Slack's error code (`channel_not_found`, `not_authed`, `ratelimited`, …), when there is one. */
  readonly code: string | undefined;
  /** The HTTP status of the last attempt, when Slack answered with something other than 200. */
  readonly status: number | undefined;

  constructor(message: string, options: { method: string; code?: string; status?: number; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.method = options.method;
    this.code = options.code;
    this.status = options.status;
  }
}

/** The shape `@slack/web-api` types blocks as; ours come from the pure builders as plain JSON. */
type SlackBlocks = Extract<ChatPostMessageArguments, { blocks: unknown }>['blocks'];

/** The shape `@slack/web-api` types attachments as; ours come from the pure builders as plain JSON. */
type SlackAttachments = Extract<ChatPostMessageArguments, { attachments: unknown }>['attachments'];

/** The shape `@slack/web-api` types views as; ours come from the pure builders as plain JSON. */
type SlackViewArgument = ViewsOpenArguments['view'];

/** Options for {@link WebApiSlackGateway}. */
export interface WebApiSlackGatewayOptions {
  /** Spaces posts to one channel (Slack allows about one per second per channel); none by default. */
  pacer?: ChannelPacer;
  /**
   * Origins besides Slack's own (`https://*.slack.com`, `https://*.slack-gov.com`) that `respond` may post to:
   * the local Slack server's, in tests and the local runtime. A `response_url` reaches the worker through the
   * jobs topic, so it is never trusted to point anywhere else.
   */
  responseUrlOrigins?: string[];
  /** Timeout of a `response_url` POST, in milliseconds. Default 3000. */
  responseTimeoutMs?: number;
  /** How many user names `userName` remembers (per cold start). Default 500. */
  userNameCacheSize?: number;
}

/** Slack's own hosts for `response_url`s (`hooks.slack.com`, and GovSlack's). */
const SLACK_RESPONSE_HOST = /(^|\.)slack(-gov)?\.com$/;

/**
 * {@link SlackGateway} backed by a `WebClient`. Posts go out with link and media unfurling off (alerts carry console
 * links that would otherwise unfurl into noise). Every failure is a {@link SlackDeliveryError}, thrown after the
 * client's own retries.
 */
export class WebApiSlackGateway implements SlackGateway, SlackInteractionGateway {
  private readonly client: WebClient;
  private readonly pacer: ChannelPacer | undefined;
  /** `#name` → channel id, learnt from Slack's answers, so posts by name and by id share one pace. */
  private readonly channelIds = new Map<string, string>();
  private readonly responseOrigins: Set<string>;
  private readonly responseTimeoutMs: number;
  private readonly userNames = new Map<string, string>();
  private readonly userNameCacheSize: number;

  constructor(client: WebClient, options: WebApiSlackGatewayOptions = {}) {
    this.client = client;
    this.pacer = options.pacer;
    this.responseOrigins = new Set(
      (options.responseUrlOrigins ?? []).flatMap((origin) => {
        try {
          return [new URL(origin).origin];
        } catch {
          return [];
        }
      }),
    );
    this.responseTimeoutMs = options.responseTimeoutMs ?? SLACK_CLIENT_DEFAULTS.timeoutMs;
    this.userNameCacheSize = options.userNameCacheSize ?? 500;
  }

  async postMessage(message: OutgoingMessage): Promise<SlackRef> {
    await this.pacer?.waitTurn(this.channelIds.get(message.channel) ?? message.channel);
    const response = await this.call('chat.postMessage', () =>
      this.client.chat.postMessage({
        channel: message.channel,
        text: message.text,
        ...(message.blocks === undefined ? {} : { blocks: message.blocks as SlackBlocks }),
        ...(message.attachments === undefined
          ? {}
          : { attachments: message.attachments as SlackAttachments }),
        ...(message.threadTs === undefined ? {} : { thread_ts: message.threadTs }),
        unfurl_links: false,
        unfurl_media: false,
      }),
    );
    if (response.ts === undefined) {
      throw new SlackDeliveryError('chat.postMessage answered ok without a message ts', {
        method: 'chat.postMessage',
      });
    }
    // Slack answers with the channel id even when the message was addressed to `#name`.
    const ref: SlackRef = { channel: response.channel ?? message.channel, ts: response.ts };
    if (ref.channel !== message.channel && this.channelIds.size < 1000)
      this.channelIds.set(message.channel, ref.channel);
    if (message.threadTs !== undefined) ref.threadTs = message.threadTs;
    return ref;
  }

  /**
   * Replaces the message's text, and its blocks and attachments when given (Slack keeps the previous ones when none
   * are sent).
   */
  async updateMessage(ref: SlackRef, message: Omit<OutgoingMessage, 'channel' | 'threadTs'>): Promise<void> {
    await this.call('chat.update', () =>
      this.client.chat.update({
        channel: ref.channel,
        ts: ref.ts,
        text: message.text,
        ...(message.blocks === undefined ? {} : { blocks: message.blocks as SlackBlocks }),
        ...(message.attachments === undefined
          ? {}
          : { attachments: message.attachments as SlackAttachments }),
      }),
    );
  }

  /** The message's permalink, or undefined when Slack no longer knows the message (`message_not_found`). */
  async permalink(ref: SlackRef): Promise<string | undefined> {
    try {
      const response = await this.call('chat.getPermalink', () =>
        this.client.chat.getPermalink({ channel: ref.channel, message_ts: ref.ts }),
      );
      return response.permalink;
    } catch (error: unknown) {
      if (error instanceof SlackDeliveryError && error.code === 'message_not_found') return undefined;
      throw error;
    }
  }

  async openView(triggerId: string, view: SlackView): Promise<ViewRef> {
    const response = await this.call('views.open', () =>
      this.client.views.open({ trigger_id: triggerId, view: view as SlackViewArgument }),
    );
    return viewRef('views.open', response.view);
  }

  async updateView(viewId: string, view: SlackView, hash?: string): Promise<ViewRef> {
    const response = await this.call('views.update', () =>
      this.client.views.update({
        view_id: viewId,
        view: view as SlackViewArgument,
        ...(hash === undefined ? {} : { hash }),
      }),
    );
    return viewRef('views.update', response.view);
  }

  async publishView(userId: string, view: SlackView): Promise<void> {
    await this.call('views.publish', () =>
      this.client.views.publish({ user_id: userId, view: view as ViewsPublishArguments['view'] }),
    );
  }

  async postEphemeral(message: EphemeralMessage): Promise<void> {
    await this.call('chat.postEphemeral', () =>
      this.client.chat.postEphemeral({
        channel: message.channel,
        user: message.user,
        text: message.text,
        ...(message.blocks === undefined ? {} : { blocks: message.blocks as SlackBlocks }),
        ...(message.threadTs === undefined ? {} : { thread_ts: message.threadTs }),
      }),
    );
  }

  async userGroupMembers(groupId: string): Promise<string[]> {
    const response = await this.call('usergroups.users.list', () =>
      this.client.usergroups.users.list({ usergroup: groupId }),
    );
    return (response.users ?? []).filter((user): user is string => typeof user === 'string');
  }

  /** Remembered per process (names rarely change); falls back to the user id when Slack gives no name. */
  async userName(userId: string): Promise<string> {
    const known = this.userNames.get(userId);
    if (known !== undefined) return known;
    const response = await this.call('users.info', () => this.client.users.info({ user: userId }));
    const user = response.user;
    const name =
      [user?.profile?.display_name, user?.profile?.real_name, user?.real_name, user?.name].find(
        (candidate): candidate is string => typeof candidate === 'string' && candidate.trim() !== '',
      ) ?? userId;
    if (this.userNames.size >= this.userNameCacheSize) this.userNames.clear();
    this.userNames.set(userId, name);
    return name;
  }

  /** `users.lookupByEmail`: the user id, or undefined when no user of the workspace has that e-mail. */
  async userIdByEmail(email: string): Promise<string | undefined> {
    try {
      const response = await this.call('users.lookupByEmail', () =>
        this.client.users.lookupByEmail({ email }),
      );
      return response.user?.id;
    } catch (error: unknown) {
      if (error instanceof SlackDeliveryError && error.code === 'users_not_found') return undefined;
      throw error;
    }
  }

  /** `conversations.open`: the id of the DM channel with one user. */
  async openDirectMessage(userId: string): Promise<string> {
    const response = await this.call('conversations.open', () =>
      this.client.conversations.open({ users: userId, return_im: false }),
    );
    const id = response.channel?.id;
    if (!id) {
      throw new SlackDeliveryError('conversations.open answered ok without a channel', {
        method: 'conversations.open',
      });
    }
    return id;
  }

  async respond(responseUrl: string, message: ResponseMessage): Promise<void> {
    const method = 'response_url';
    let url: URL;
    try {
      url = new URL(responseUrl);
    } catch (error: unknown) {
      throw new SlackDeliveryError(`${method} failed: not a URL`, { method, cause: error });
    }
    const slackHost = url.protocol === 'https:' && SLACK_RESPONSE_HOST.test(url.hostname);
    if (!slackHost && !this.responseOrigins.has(url.origin)) {
      throw new SlackDeliveryError(`${method} failed: ${url.origin} is not a Slack host`, {
        method,
        code: 'untrusted_response_url',
      });
    }
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify(message),
        signal: AbortSignal.timeout(this.responseTimeoutMs),
      });
    } catch (error: unknown) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new SlackDeliveryError(`${method} failed: ${reason}`, { method, cause: error });
    }
    const body = await response.text();
    if (!response.ok) {
      throw new SlackDeliveryError(`${method} failed: HTTP ${response.status} ${body.slice(0, 200)}`.trim(), {
        method,
        status: response.status,
      });
    }
    // Slack answers `{"ok":false,"error":"expired_url"}` (or `used_url`) with a 200 when the URL is spent.
    const error = /"ok"\s*:\s*false/.test(body) ? /"error"\s*:\s*"([^"]+)"/.exec(body)?.[1] : undefined;
    if (error !== undefined) {
      throw new SlackDeliveryError(`${method} failed: Slack answered ${error}`, { method, code: error });
    }
  }

  private async call<T>(method: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error: unknown) {
      throw toDeliveryError(method, error);
    }
  }
}

function viewRef(method: string, view: { id?: string; hash?: string } | undefined): ViewRef {
  if (view?.id === undefined) {
    throw new SlackDeliveryError(`${method} answered ok without a view id`, { method });
  }
  return view.hash === undefined ? { viewId: view.id } : { viewId: view.id, hash: view.hash };
}

/** Maps whatever the client threw to one {@link SlackDeliveryError}, keeping the original as `cause`. */
function toDeliveryError(method: string, error: unknown): SlackDeliveryError {
  if (error instanceof WebAPIPlatformError) {
    const code = typeof error.data.error === 'string' ? error.data.error : undefined;
    return new SlackDeliveryError(`${method} failed: Slack answered ${code ?? 'ok: false'}`, {
      method,
      ...(code === undefined ? {} : { code }),
      cause: error,
    });
  }
  if (error instanceof WebAPIHTTPError) {
    return new SlackDeliveryError(`${method} failed: HTTP ${error.statusCode} after retries`, {
      method,
      status: error.statusCode,
      cause: error,
    });
  }
  if (error instanceof WebAPIRateLimitedError) {
    return new SlackDeliveryError(`${method} failed: rate limited (retry after ${error.retryAfter} s)`, {
      method,
      code: 'ratelimited',
      status: 429,
      cause: error,
    });
  }
  if (error instanceof WebAPIRequestError) {
    // WebClient gives up on repeated 429s by wrapping its own "A rate limit was exceeded" Error as a request error;
    // that message is the only sign the attempts were rate limited rather than unreachable.
    if (/rate limit was exceeded/i.test(error.original.message)) {
      return new SlackDeliveryError(`${method} failed: still rate limited after retries`, {
        method,
        code: 'ratelimited',
        status: 429,
        cause: error,
      });
    }
    return new SlackDeliveryError(`${method} failed: ${error.original.message} after retries`, {
      method,
      cause: error,
    });
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new SlackDeliveryError(`${method} failed: ${reason}`, { method, cause: error });
}
