/**
 * The sandbox's workspace: one team with a `#iam-changes` channel, the bot, and two people — `U0LOCALDEV`
 * ("you", a responder) and `U0LOCALGUEST` (not one, to see a refusal) — and the Slack Web API methods the bot
 * calls, answered like Slack answers them: HTTP 200 with `{ ok: false, error }` for API errors, `invalid_blocks` /
 * `invalid_arguments` with Slack's `response_metadata.messages` when Block Kit breaks a limit, single-use trigger
 * ids that expire after 3 seconds, view hashes, ephemeral messages seen only by their user.
 *
 * Channels and messages are kept in a JSON file beside the store (when a path is given), so the alerts the store
 * remembers still have their messages after a restart.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { messageViolations, viewViolations } from './limits';

type Json = Record<string, unknown>;

/** A person in the sandbox workspace. */
export interface SandboxUser {
  id: string;
  name: string;
  realName: string;
  /** In the responders' user group (may acknowledge, revert, quarantine). */
  responder: boolean;
  /** What `users.lookupByEmail` finds them by. */
  email: string;
}

/** The sandbox user the page acts as by default: "you", a responder. */
export const SANDBOX_USER_ID = 'U0LOCALDEV';

/** The people of the sandbox workspace. */
export const SANDBOX_USERS: readonly SandboxUser[] = Object.freeze([
  {
    id: SANDBOX_USER_ID,
    name: 'you',
    realName: 'You (local sandbox)',
    responder: true,
    email: 'you@iam-changes.local',
  },
  {
    id: 'U0LOCALGUEST',
    name: 'guest',
    realName: 'Guest (not a responder)',
    responder: false,
    email: 'guest@iam-changes.local',
  },
]);

/** The responders' user group (`usergroups.users.list`): every responder of {@link SANDBOX_USERS}. */
export const SANDBOX_RESPONDER_GROUP = Object.freeze({ id: 'S0LOCALRESP', handle: 'iam-responders' });

/** The sandbox team. */
export const SANDBOX_TEAM = Object.freeze({
  id: 'T0LOCAL',
  name: 'iam-changes (local)',
  domain: 'iam-changes-local',
});

/** The bot user and its app. */
export const SANDBOX_BOT = Object.freeze({
  userId: 'U0LOCALBOT',
  botId: 'B0LOCALBOT',
  appId: 'A0LOCALAPP',
  name: 'iam-changes',
});

/** Permalinks look like Slack's (https, on the workspace's domain); the page turns them into in-page links. */
export const PERMALINK_ORIGIN = `https://${SANDBOX_TEAM.domain}.slack.com`;

/** How long a trigger id may open a view, as in Slack. */
export const TRIGGER_TTL_MS = 3000;

/** A message in a channel. */
export interface SandboxMessage {
  channel: string;
  ts: string;
  threadTs?: string;
  /** Who posted it: the bot's user id for the bot. */
  user: string;
  text: string;
  blocks?: unknown[];
  /** Secondary attachments (an alert's coloured status bar). */
  attachments?: unknown[];
  /** How many times `chat.update` changed it. */
  edits: number;
  /** Set by `response_url` replies posted in the channel after a slash command. */
  command?: string;
}

/** A message only one user sees. */
export interface SandboxEphemeral {
  id: string;
  channel: string;
  user: string;
  ts: string;
  threadTs?: string;
  text: string;
  blocks?: unknown[];
}

/** An open modal; the last of {@link SandboxWorkspace.views} is on top. */
export interface SandboxView {
  id: string;
  view: Json;
  hash: string;
  externalId?: string;
  rootViewId: string;
  previousViewId?: string;
  /** Who sees it. */
  user: string;
  /** Errors from a `response_action: "errors"`, by block id. */
  errors?: Record<string, string>;
}

/** A line in the page's activity log: what happened between the sandbox and the bot. */
export interface SandboxNotice {
  id: number;
  at: string;
  level: 'info' | 'warn' | 'error';
  text: string;
}

/** Where a `response_url` posts. */
export interface ResponseTarget {
  channel: string;
  user: string;
  /** The message an interaction came from (`replace_original` / `delete_original` act on it). */
  messageTs?: string;
  threadTs?: string;
  /** The slash command, for replies posted in the channel. */
  command?: string;
  expiresAt: number;
  uses: number;
}

/** An answer of the Web API: HTTP status and JSON body. */
export interface WebApiAnswer {
  status: number;
  body: Json;
}

/** A Slack API error: HTTP 200 with `{ ok: false, error }`. */
class SlackApiError extends Error {
  override name = 'SlackApiError';

  constructor(
    readonly code: string,
    readonly messages?: string[],
  ) {
    super(code);
  }
}

/** Options of {@link SandboxWorkspace}. */
export interface SandboxWorkspaceOptions {
  /** The bot token calls must carry (`xoxb-…`). */
  botToken: string;
  /** The channel the bot posts to by default; created at start. Default `#iam-changes`. */
  defaultChannel?: string;
  /** Where channels and messages are kept between runs; in memory only when absent. */
  statePath?: string;
  /** The clock, in epoch milliseconds. */
  now?: () => number;
}

/** A conversation: a channel, or the bot's direct message with one person (`dm`: their user id). */
export interface SandboxChannel {
  id: string;
  name: string;
  dm?: string;
}

interface SavedState {
  version: 1;
  channels: SandboxChannel[];
  messages: SandboxMessage[];
}

const MAX_NOTICES = 200;
const RESPONSE_URL_TTL_MS = 30 * 60_000;
const RESPONSE_URL_USES = 5;

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function randomId(prefix: string, length = 10): string {
  return `${prefix}${randomBytes(length).toString('hex').toUpperCase().slice(0, length)}`;
}

/** Slack fills in a `block_id` for every block that has none, and keeps it across updates of the same block. */
function withBlockIds(blocks: unknown[], seed: string): unknown[] {
  return blocks.map((block, index) =>
    isObject(block) && block.block_id === undefined ? { ...block, block_id: `${seed}${index}` } : block,
  );
}

/**
 * The workspace state and its Web API. Every change bumps {@link SandboxWorkspace.version} and tells the
 * listeners (the page's live updates).
 */
export class SandboxWorkspace {
  readonly channels = new Map<string, SandboxChannel>();
  readonly messages: SandboxMessage[] = [];
  readonly ephemerals: SandboxEphemeral[] = [];
  /** The open modal stack of each user. */
  readonly views = new Map<string, SandboxView[]>();
  readonly notices: SandboxNotice[] = [];
  /** The person the page acts as. */
  currentUser: string = SANDBOX_USER_ID;
  version = 0;
  /** The sandbox's own base URL (`http://127.0.0.1:PORT`), for `response_url`s; set once it listens. */
  baseUrl = '';
  readonly defaultChannelId: string;

  private readonly botToken: string;
  private readonly statePath: string | undefined;
  private readonly now: () => number;
  private readonly triggers = new Map<string, { user: string; expiresAt: number; used: boolean }>();
  private readonly responseTargets = new Map<string, ResponseTarget>();
  /** Each user's Home tab of the app, as `views.publish` last set it. */
  readonly homes = new Map<string, Json>();
  private readonly listeners = new Set<() => void>();
  private lastMicros = 0;
  private noticeCount = 0;
  private saveTimer: NodeJS.Timeout | undefined;

  constructor(options: SandboxWorkspaceOptions) {
    this.botToken = options.botToken;
    this.statePath = options.statePath;
    this.now = options.now ?? Date.now;
    this.load();
    this.defaultChannelId = this.channelId(options.defaultChannel ?? '#iam-changes', true);
  }

  /** Calls `listener` after every change; returns the function that stops it. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A person of the workspace, by id. */
  user(id: string): SandboxUser | undefined {
    return SANDBOX_USERS.find((user) => user.id === id);
  }

  /** Adds a line to the activity log. */
  notice(level: SandboxNotice['level'], text: string): void {
    this.noticeCount += 1;
    this.notices.push({ id: this.noticeCount, at: new Date(this.now()).toISOString(), level, text });
    if (this.notices.length > MAX_NOTICES) this.notices.splice(0, this.notices.length - MAX_NOTICES);
    this.changed(false);
  }

  /** A new trigger id for an interaction by `user`: opens one view within {@link TRIGGER_TTL_MS}. */
  issueTrigger(user: string): string {
    const id = `${Math.floor(this.now() / 1000)}.${randomBytes(6).toString('hex')}`;
    this.triggers.set(id, { user, expiresAt: this.now() + TRIGGER_TTL_MS, used: false });
    for (const [key, trigger] of this.triggers)
      if (trigger.expiresAt < this.now() - 60_000) this.triggers.delete(key);
    return id;
  }

  /** A new `response_url` posting to `target` (valid 30 minutes, 5 uses, as in Slack). */
  issueResponseUrl(target: Omit<ResponseTarget, 'expiresAt' | 'uses'>): string {
    const token = randomBytes(12).toString('hex');
    this.responseTargets.set(token, { ...target, expiresAt: this.now() + RESPONSE_URL_TTL_MS, uses: 0 });
    return `${this.baseUrl}/response/${token}`;
  }

  /** The open modal stack of a user (top last). */
  viewStack(user: string): SandboxView[] {
    let stack = this.views.get(user);
    if (stack === undefined) {
      stack = [];
      this.views.set(user, stack);
    }
    return stack;
  }

  /** Finds an open view by id. */
  findView(viewId: string): SandboxView | undefined {
    for (const stack of this.views.values()) {
      const found = stack.find((view) => view.id === viewId);
      if (found) return found;
    }
    return undefined;
  }

  /** The id of a channel given by id, `#name` or name; unknown names are created when `create` is set. */
  channelId(channel: string, create = false): string {
    if (this.channels.has(channel)) return channel;
    const name = channel.replace(/^#/, '');
    for (const known of this.channels.values()) if (known.name === name) return known.id;
    if (!create || !/^[\w.-]+$/.test(name)) throw new SlackApiError('channel_not_found');
    const id = `C0LOCAL${String(this.channels.size + 1).padStart(3, '0')}`;
    this.channels.set(id, { id, name });
    this.changed(true);
    return id;
  }

  /** Answers one Web API call. `authorization` is the request's header; `params` its decoded body and query. */
  callWebApi(method: string, params: Json, authorization: string | undefined): WebApiAnswer {
    const token = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1] ?? str(params.token);
    if (token === undefined) return { status: 200, body: { ok: false, error: 'not_authed' } };
    if (token !== this.botToken) return { status: 200, body: { ok: false, error: 'invalid_auth' } };
    const handler = this.methods[method];
    if (handler === undefined) {
      this.notice(
        'warn',
        `The bot called ${method}, which the sandbox does not implement (answered unknown_method).`,
      );
      return { status: 200, body: { ok: false, error: 'unknown_method' } };
    }
    try {
      return { status: 200, body: { ok: true, ...handler(params) } };
    } catch (error: unknown) {
      if (!(error instanceof SlackApiError)) throw error;
      const detail = error.messages ? ` (${error.messages.slice(0, 3).join('; ')})` : '';
      this.notice('error', `${method} → ${error.code}${detail}`);
      return {
        status: 200,
        body: {
          ok: false,
          error: error.code,
          ...(error.messages ? { response_metadata: { messages: error.messages } } : {}),
        },
      };
    }
  }

  /**
   * A `response_url` post: `in_channel` / `ephemeral` replies, `replace_original` and `delete_original` on the
   * message an interaction came from. Returns the HTTP status and body Slack would answer with.
   */
  respond(token: string, body: Json): WebApiAnswer {
    const target = this.responseTargets.get(token);
    if (target === undefined || target.expiresAt < this.now()) {
      return { status: 404, body: { ok: false, error: 'expired_url' } };
    }
    if (target.uses >= RESPONSE_URL_USES) return { status: 404, body: { ok: false, error: 'used_url' } };
    target.uses += 1;
    const text = typeof body.text === 'string' ? body.text : '';
    const blocks = Array.isArray(body.blocks) ? body.blocks : undefined;
    const violations = messageViolations(text, blocks);
    if (violations.length > 0) {
      this.notice('error', `response_url → invalid_blocks (${violations.slice(0, 3).join('; ')})`);
      return {
        status: 400,
        body: { ok: false, error: 'invalid_blocks', response_metadata: { messages: violations } },
      };
    }
    if (body.delete_original === true || body.delete_original === 'true') {
      const index = this.messages.findIndex((m) => m.channel === target.channel && m.ts === target.messageTs);
      if (index >= 0) this.messages.splice(index, 1);
      const ephemeral = this.ephemerals.findIndex((e) => e.ts === target.messageTs);
      if (ephemeral >= 0) this.ephemerals.splice(ephemeral, 1);
      this.changed(true);
      return { status: 200, body: { ok: true } };
    }
    if (body.replace_original === true || body.replace_original === 'true') {
      const message = this.messages.find((m) => m.channel === target.channel && m.ts === target.messageTs);
      if (message) {
        message.text = text;
        if (blocks !== undefined) message.blocks = withBlockIds(blocks, `r${message.ts}.`);
        message.edits += 1;
        this.changed(true);
        return { status: 200, body: { ok: true } };
      }
      const ephemeral = this.ephemerals.find((e) => e.ts === target.messageTs);
      if (ephemeral) {
        ephemeral.text = text;
        if (blocks !== undefined) ephemeral.blocks = withBlockIds(blocks, `r${ephemeral.ts}.`);
        this.changed(false);
        return { status: 200, body: { ok: true } };
      }
    }
    if (body.response_type === 'in_channel') {
      const threadTs = str(body.thread_ts) ?? target.threadTs;
      const posted = this.addMessage({
        channel: target.channel,
        user: SANDBOX_BOT.userId,
        text,
        ...(blocks === undefined ? {} : { blocks }),
        ...(threadTs === undefined ? {} : { threadTs }),
        ...(target.command === undefined ? {} : { command: target.command }),
      });
      if (target.command !== undefined) target.messageTs = posted.ts;
    } else {
      const posted = this.addEphemeral({
        channel: target.channel,
        user: target.user,
        text,
        ...(blocks === undefined ? {} : { blocks }),
        ...(target.threadTs === undefined ? {} : { threadTs: target.threadTs }),
      });
      // A slash command's later posts replace (or delete) the last answer it gave.
      if (target.command !== undefined) target.messageTs = posted.ts;
    }
    return { status: 200, body: { ok: true } };
  }

  /** A slash command's ack reply is what its `response_url` replaces or deletes next. */
  rememberCommandReply(responseUrl: string, ts: string): void {
    const token = responseUrl.slice(responseUrl.lastIndexOf('/') + 1);
    const target = this.responseTargets.get(token);
    if (target) target.messageTs = ts;
  }

  /** Shows the current user a reply to something they did (a slash command's ack body). */
  addEphemeral(ephemeral: Omit<SandboxEphemeral, 'id' | 'ts'>): SandboxEphemeral {
    const stored: SandboxEphemeral = {
      ...ephemeral,
      ...(ephemeral.blocks === undefined ? {} : { blocks: withBlockIds(ephemeral.blocks, 'e') }),
      id: randomId('E'),
      ts: this.nextTs(),
    };
    this.ephemerals.push(stored);
    this.changed(false);
    return stored;
  }

  /** Hides an ephemeral message (its "Dismiss"). */
  dismissEphemeral(id: string): void {
    const index = this.ephemerals.findIndex((e) => e.id === id);
    if (index >= 0) this.ephemerals.splice(index, 1);
    this.changed(false);
  }

  /** Posts a message (the bot's, or a reply in the channel). */
  addMessage(message: Omit<SandboxMessage, 'ts' | 'edits'>): SandboxMessage {
    const ts = this.nextTs();
    const stored: SandboxMessage = {
      ...message,
      ...(message.blocks === undefined ? {} : { blocks: withBlockIds(message.blocks, `b${ts}.`) }),
      ts,
      edits: 0,
    };
    this.messages.push(stored);
    this.changed(true);
    return stored;
  }

  /** Opens a modal on top of the user's stack (`views.open` replaces the stack, `views.push` adds to it). */
  openView(user: string, view: Json, push: boolean): SandboxView {
    const stack = this.viewStack(user);
    if (!push) stack.length = 0;
    const id = randomId('V', 10);
    const root = stack[0];
    const previous = stack[stack.length - 1];
    const stored: SandboxView = {
      id,
      view: { ...view, blocks: withBlockIds(Array.isArray(view.blocks) ? view.blocks : [], `v${id}.`) },
      hash: randomId('', 16),
      rootViewId: root?.id ?? id,
      user,
      ...(previous ? { previousViewId: previous.id } : {}),
      ...(str(view.external_id) ? { externalId: str(view.external_id) } : {}),
    };
    stack.push(stored);
    this.changed(false);
    return stored;
  }

  /** Replaces an open view's content; a new hash, and the errors of the old content are gone. */
  replaceView(stored: SandboxView, view: Json): void {
    stored.view = {
      ...view,
      blocks: withBlockIds(Array.isArray(view.blocks) ? view.blocks : [], `v${stored.id}.`),
    };
    stored.hash = randomId('', 16);
    delete stored.errors;
    const externalId = str(view.external_id);
    if (externalId) stored.externalId = externalId;
    this.changed(false);
  }

  /** Shows errors under a view's inputs (a `response_action: "errors"`). */
  setViewErrors(stored: SandboxView, errors: Record<string, string>): void {
    stored.errors = errors;
    this.changed(false);
  }

  /** Closes the top view of a user's stack, or every view (`clear`). */
  closeViews(user: string, all: boolean): void {
    const stack = this.viewStack(user);
    if (all) stack.length = 0;
    else stack.pop();
    this.changed(false);
  }

  /** The JSON Slack gives for a view, in payloads and in `views.*` answers. */
  viewJson(stored: SandboxView, state: Json = { values: {} }): Json {
    return {
      ...stored.view,
      id: stored.id,
      team_id: SANDBOX_TEAM.id,
      app_id: SANDBOX_BOT.appId,
      bot_id: SANDBOX_BOT.botId,
      app_installed_team_id: SANDBOX_TEAM.id,
      hash: stored.hash,
      root_view_id: stored.rootViewId,
      previous_view_id: stored.previousViewId ?? null,
      external_id: stored.externalId ?? '',
      private_metadata: str(stored.view.private_metadata) ?? '',
      callback_id: str(stored.view.callback_id) ?? '',
      state,
    };
  }

  /** The JSON Slack gives for a message in interaction payloads. */
  messageJson(message: SandboxMessage): Json {
    return {
      type: 'message',
      user: message.user,
      ...(message.user === SANDBOX_BOT.userId
        ? { bot_id: SANDBOX_BOT.botId, app_id: SANDBOX_BOT.appId }
        : {}),
      team: SANDBOX_TEAM.id,
      text: message.text,
      ts: message.ts,
      ...(message.threadTs === undefined ? {} : { thread_ts: message.threadTs }),
      ...(message.blocks === undefined ? {} : { blocks: message.blocks }),
      ...(message.attachments === undefined ? {} : { attachments: message.attachments }),
    };
  }

  /** A message's permalink, as `chat.getPermalink` gives it. */
  permalink(message: Pick<SandboxMessage, 'channel' | 'ts' | 'threadTs'>): string {
    const path = `${PERMALINK_ORIGIN}/archives/${message.channel}/p${message.ts.replace('.', '')}`;
    return message.threadTs === undefined
      ? path
      : `${path}?thread_ts=${message.threadTs}&cid=${message.channel}`;
  }

  /** Stops the pending save and writes the state now. */
  flush(): void {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    this.save();
  }

  private readonly methods: Record<string, (params: Json) => Json> = {
    'auth.test': () => ({
      url: `${PERMALINK_ORIGIN}/`,
      team: SANDBOX_TEAM.name,
      user: SANDBOX_BOT.name,
      team_id: SANDBOX_TEAM.id,
      user_id: SANDBOX_BOT.userId,
      bot_id: SANDBOX_BOT.botId,
      app_id: SANDBOX_BOT.appId,
      is_enterprise_install: false,
    }),
    'chat.postMessage': (params) => {
      const channel = this.channelId(requireString(params.channel, 'channel_not_found'), true);
      const { text, blocks, attachments } = this.content(params);
      const threadTs = str(params.thread_ts);
      if (threadTs !== undefined && !this.messages.some((m) => m.channel === channel && m.ts === threadTs)) {
        throw new SlackApiError('thread_not_found');
      }
      const message = this.addMessage({
        channel,
        user: SANDBOX_BOT.userId,
        text,
        ...(blocks === undefined ? {} : { blocks }),
        ...(attachments === undefined || attachments.length === 0 ? {} : { attachments }),
        ...(threadTs === undefined ? {} : { threadTs }),
      });
      return { channel, ts: message.ts, message: this.messageJson(message) };
    },
    'chat.update': (params) => {
      const message = this.findMessage(params.channel, params.ts);
      const { text, blocks, attachments } = this.content(params);
      if (message.user !== SANDBOX_BOT.userId) throw new SlackApiError('cant_update_message');
      // Like Slack: the text is replaced, and the blocks (and attachments) only when sent (an empty array removes them).
      message.text = text;
      if (blocks !== undefined) {
        if (blocks.length === 0) delete message.blocks;
        else message.blocks = withBlockIds(blocks, `b${message.ts}.`);
      }
      if (attachments !== undefined) {
        if (attachments.length === 0) delete message.attachments;
        else message.attachments = attachments;
      }
      message.edits += 1;
      this.changed(true);
      return {
        channel: message.channel,
        ts: message.ts,
        text: message.text,
        message: this.messageJson(message),
      };
    },
    'chat.delete': (params) => {
      const message = this.findMessage(params.channel, params.ts);
      this.messages.splice(this.messages.indexOf(message), 1);
      this.changed(true);
      return { channel: message.channel, ts: message.ts };
    },
    'chat.getPermalink': (params) => {
      const message = this.findMessage(params.channel, params.message_ts);
      return { channel: message.channel, permalink: this.permalink(message) };
    },
    'chat.postEphemeral': (params) => {
      const channel = this.channelId(requireString(params.channel, 'channel_not_found'));
      const user = requireString(params.user, 'user_not_in_channel');
      if (this.user(user) === undefined) throw new SlackApiError('user_not_in_channel');
      const { text, blocks } = this.content(params);
      const threadTs = str(params.thread_ts);
      const ephemeral = this.addEphemeral({
        channel,
        user,
        text,
        ...(blocks === undefined ? {} : { blocks }),
        ...(threadTs === undefined ? {} : { threadTs }),
      });
      return { message_ts: ephemeral.ts };
    },
    'conversations.info': (params) => {
      const id = this.channelId(requireString(params.channel, 'channel_not_found'));
      const channel = this.channels.get(id);
      if (channel?.dm !== undefined) return { channel: { id, is_im: true, user: channel.dm } };
      return { channel: { id, name: channel?.name, is_channel: true, is_member: true, is_private: false } };
    },
    'conversations.open': (params) => {
      // One person only: the bot's DM with them (a group DM is not something the bot opens).
      const users = requireString(params.users, 'users_list_not_supplied').split(',');
      const [userId] = users;
      if (users.length !== 1 || userId === undefined) throw new SlackApiError('not_enough_users');
      const user = this.user(userId);
      if (user === undefined) throw new SlackApiError('user_not_found');
      const id = `D0${userId.replace(/^U0?/, '')}`;
      if (!this.channels.has(id)) {
        this.channels.set(id, { id, name: user.name, dm: userId });
        this.changed(true);
      }
      return { channel: { id } };
    },
    'users.lookupByEmail': (params) => {
      const email = requireString(params.email, 'users_not_found').toLowerCase();
      const user = SANDBOX_USERS.find((candidate) => candidate.email.toLowerCase() === email);
      if (user === undefined) throw new SlackApiError('users_not_found');
      return {
        user: { id: user.id, team_id: SANDBOX_TEAM.id, name: user.name, real_name: user.realName },
      };
    },
    'views.open': (params) => {
      const user = this.useTrigger(params.trigger_id);
      const view = this.checkedView(params.view);
      return { view: this.viewJson(this.openView(user, view, false)) };
    },
    'views.push': (params) => {
      const user = this.useTrigger(params.trigger_id);
      const view = this.checkedView(params.view);
      if (this.viewStack(user).length === 0) throw new SlackApiError('not_found');
      if (this.viewStack(user).length >= 3) throw new SlackApiError('push_limit_reached');
      return { view: this.viewJson(this.openView(user, view, true)) };
    },
    'views.update': (params) => {
      const viewId = str(params.view_id);
      const externalId = str(params.external_id);
      let stored: SandboxView | undefined;
      for (const stack of this.views.values()) {
        stored ??= stack.find(
          (v) =>
            (viewId !== undefined && v.id === viewId) ||
            (externalId !== undefined && v.externalId === externalId),
        );
      }
      if (stored === undefined) throw new SlackApiError('not_found');
      const hash = str(params.hash);
      if (hash !== undefined && hash !== stored.hash) throw new SlackApiError('hash_conflict');
      this.replaceView(stored, this.checkedView(params.view));
      return { view: this.viewJson(stored) };
    },
    'views.publish': (params) => {
      const user = requireString(params.user_id, 'user_not_found');
      if (this.user(user) === undefined) throw new SlackApiError('user_not_found');
      const view = params.view;
      if (!isObject(view) || view.type !== 'home' || !Array.isArray(view.blocks))
        throw new SlackApiError('invalid_arguments');
      // A Home tab takes up to 100 blocks, of the kinds a message takes.
      const violations = messageViolations(undefined, view.blocks, 100);
      if (violations.length > 0) throw new SlackApiError('invalid_arguments', violations);
      this.homes.set(user, view);
      this.changed(false);
      return { view: { id: `VH${user}`, ...view } };
    },
    'users.info': (params) => {
      const id = requireString(params.user, 'user_not_found');
      if (id === SANDBOX_BOT.userId) {
        return {
          user: {
            id,
            team_id: SANDBOX_TEAM.id,
            name: SANDBOX_BOT.name,
            real_name: SANDBOX_BOT.name,
            is_bot: true,
          },
        };
      }
      const user = this.user(id);
      if (user === undefined) throw new SlackApiError('user_not_found');
      return {
        user: {
          id,
          team_id: SANDBOX_TEAM.id,
          name: user.name,
          real_name: user.realName,
          tz: 'Europe/London',
          is_bot: false,
          deleted: false,
          profile: { real_name: user.realName, display_name: user.name },
        },
      };
    },
    'usergroups.users.list': (params) => {
      const group = requireString(params.usergroup, 'no_such_subteam');
      if (group !== SANDBOX_RESPONDER_GROUP.id) throw new SlackApiError('no_such_subteam');
      return { users: SANDBOX_USERS.filter((user) => user.responder).map((user) => user.id) };
    },
  };

  private content(params: Json): {
    text: string;
    blocks: unknown[] | undefined;
    attachments: unknown[] | undefined;
  } {
    const text = typeof params.text === 'string' ? params.text : undefined;
    const blocks = params.blocks === undefined ? undefined : params.blocks;
    if (blocks !== undefined && !Array.isArray(blocks)) throw new SlackApiError('invalid_blocks_format');
    const attachments = params.attachments;
    if (attachments !== undefined && !Array.isArray(attachments))
      throw new SlackApiError('invalid_attachments');
    for (const attachment of attachments ?? []) {
      const inner = isObject(attachment) && Array.isArray(attachment.blocks) ? attachment.blocks : [];
      const problems = inner.length === 0 ? [] : messageViolations('attachment', inner);
      if (!isObject(attachment) || problems.length > 0)
        throw new SlackApiError('invalid_attachments', problems);
    }
    if (text === undefined && (blocks === undefined || blocks.length === 0))
      throw new SlackApiError('no_text');
    const violations = messageViolations(text, blocks);
    if (violations.length > 0) {
      throw new SlackApiError(
        violations.some((v) => v.includes('msg_too_long')) ? 'msg_too_long' : 'invalid_blocks',
        violations,
      );
    }
    return { text: text ?? '', blocks, attachments };
  }

  private checkedView(value: unknown): Json {
    if (!isObject(value)) throw new SlackApiError('invalid_arguments');
    const violations = viewViolations(value);
    if (violations.length > 0) throw new SlackApiError('invalid_arguments', violations);
    return value;
  }

  private useTrigger(value: unknown): string {
    const id = requireString(value, 'invalid_trigger_id');
    const trigger = this.triggers.get(id);
    if (trigger === undefined || trigger.used) throw new SlackApiError('invalid_trigger_id');
    if (trigger.expiresAt < this.now()) {
      throw new SlackApiError('expired_trigger_id', [
        `[ERROR] the view was opened ${this.now() - trigger.expiresAt + TRIGGER_TTL_MS} ms after the click; Slack allows ${TRIGGER_TTL_MS} ms`,
      ]);
    }
    trigger.used = true;
    return trigger.user;
  }

  private findMessage(channelValue: unknown, tsValue: unknown): SandboxMessage {
    const channel = this.channelId(requireString(channelValue, 'channel_not_found'));
    const ts = requireString(tsValue, 'message_not_found');
    const message = this.messages.find((m) => m.channel === channel && m.ts === ts);
    if (message === undefined) throw new SlackApiError('message_not_found');
    return message;
  }

  /** `1732100000.000100`-like: unique and increasing, as Slack's message ts. */
  private nextTs(): string {
    this.lastMicros = Math.max(this.lastMicros + 1, this.now() * 1000);
    const seconds = Math.floor(this.lastMicros / 1_000_000);
    return `${seconds}.${String(this.lastMicros % 1_000_000).padStart(6, '0')}`;
  }

  private changed(persist: boolean): void {
    this.version += 1;
    for (const listener of this.listeners) listener();
    if (persist && this.statePath !== undefined && this.saveTimer === undefined) {
      this.saveTimer = setTimeout(() => {
        this.saveTimer = undefined;
        this.save();
      }, 250);
      this.saveTimer.unref();
    }
  }

  private load(): void {
    if (this.statePath === undefined) return;
    let saved: SavedState;
    try {
      saved = JSON.parse(readFileSync(this.statePath, 'utf8')) as SavedState;
    } catch (error: unknown) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new Error(
        `could not read the sandbox's saved messages at ${this.statePath}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    for (const channel of saved.channels ?? []) this.channels.set(channel.id, channel);
    for (const message of saved.messages ?? []) {
      this.messages.push(message);
      const [seconds = '0', micros = '0'] = message.ts.split('.');
      this.lastMicros = Math.max(this.lastMicros, Number(seconds) * 1_000_000 + Number(micros));
    }
  }

  private save(): void {
    if (this.statePath === undefined) return;
    const state: SavedState = { version: 1, channels: [...this.channels.values()], messages: this.messages };
    mkdirSync(dirname(this.statePath), { recursive: true });
    const temporary = `${this.statePath}.tmp`;
    writeFileSync(temporary, JSON.stringify(state));
    renameSync(temporary, this.statePath);
  }
}

function requireString(value: unknown, code: string): string {
  const text = str(value);
  if (text === undefined) throw new SlackApiError(code);
  return text;
}
