/**
 * What Slack sends the bot when someone uses it, built from the sandbox's workspace and sent as Slack sends it:
 * `block_actions` (a button, an overflow option or a select in a message or a modal), `view_submission`,
 * `view_closed` and slash commands, form-encoded and signed with the signing secret (see `signing.ts`), to the
 * bot's request URL. The answer is handled as Slack handles it: a view submission's `response_action`
 * (`errors`, `update`, `push`, `clear`, or an empty ack that closes the view), a slash command's ack body (shown
 * to the user, or in the channel for `in_channel`), and anything but a 200 — or a 200 later than Slack's
 * 3 seconds — logged on the page with what a Slack user would have seen.
 */
import { commandBody, interactionBody, signSlackRequest } from './signing';
import {
  SANDBOX_BOT,
  SANDBOX_TEAM,
  type SandboxMessage,
  type SandboxView,
  type SandboxWorkspace,
} from './workspace';

type Json = Record<string, unknown>;

/** The slash command the sandbox knows. */
export const SLASH_COMMAND = '/iam-changes';

/** Slack stops waiting for an app after this long and shows the user an error. */
export const SLACK_ACK_TIMEOUT_MS = 3000;

/** Values typed into a modal, as the page sends them: `{ [block_id]: { [action_id]: value } }`. */
export type SubmittedValues = Record<string, Record<string, string | string[] | null>>;

/** How an interaction went, for the page. */
export interface InteractionOutcome {
  ok: boolean;
  /** The bot's HTTP status, when it answered. */
  status?: number;
  /** What a Slack user would have been told, when something went wrong. */
  message?: string;
  /** Errors to show in the open modal (the sandbox's own checks, before anything was sent). */
  errors?: Record<string, string>;
}

/** Where the bot listens and how to sign for it. */
export interface InteractionOptions {
  /** The bot's request URL (`http://127.0.0.1:PORT/slack/events`); read at each request. */
  botUrl: () => string | undefined;
  signingSecret: string;
  /** How long to wait for the bot before giving up (longer than Slack's 3 s: the page reports lateness). */
  timeoutMs?: number;
}

/** What the page says about an element it clicked. */
export interface ActionTarget {
  blockId: string;
  actionId: string;
  /** The chosen option of an overflow menu or a select. */
  value?: string;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function optionsOf(element: Json): Json[] {
  const direct = Array.isArray(element.options) ? element.options.filter(isObject) : [];
  const grouped = Array.isArray(element.option_groups)
    ? element.option_groups.filter(isObject).flatMap((group) => optionsOf(group))
    : [];
  return [...direct, ...grouped];
}

/** The interactive element with this block id and action id among blocks (actions elements and accessories). */
function findElement(blocks: unknown, target: ActionTarget): Json | undefined {
  if (!Array.isArray(blocks)) return undefined;
  for (const block of blocks) {
    if (!isObject(block) || block.block_id !== target.blockId) continue;
    const candidates = [
      ...(Array.isArray(block.elements) ? block.elements : []),
      block.accessory,
      block.element,
    ].filter(isObject);
    const found = candidates.find((element) => element.action_id === target.actionId);
    if (found) return found;
  }
  return undefined;
}

/** The `actions[0]` of a `block_actions` payload for a clicked element. */
function actionJson(element: Json, target: ActionTarget, actionTs: string): Json {
  const base = {
    type: element.type,
    block_id: target.blockId,
    action_id: target.actionId,
    action_ts: actionTs,
  };
  if (element.type === 'button') {
    return {
      ...base,
      text: element.text,
      ...(element.value === undefined ? {} : { value: element.value }),
      ...(element.style === undefined ? {} : { style: element.style }),
    };
  }
  const option = optionsOf(element).find((candidate) => candidate.value === target.value);
  return { ...base, selected_option: option ?? null };
}

/**
 * The `view.state.values` Slack sends: each input block's element with its typed value, from what the page sent
 * (or the element's initial value when the page sent nothing for it).
 */
export function viewState(view: Json, submitted: SubmittedValues): Json {
  const values: Json = {};
  for (const block of Array.isArray(view.blocks) ? view.blocks : []) {
    if (!isObject(block) || block.type !== 'input' || !isObject(block.element)) continue;
    const blockId = str(block.block_id) ?? '';
    const element = block.element;
    const actionId = str(element.action_id) ?? '';
    const sent = submitted[blockId]?.[actionId];
    const one = typeof sent === 'string' ? sent : Array.isArray(sent) ? sent[0] : undefined;
    const option = (value: string | undefined) =>
      value === undefined || value === ''
        ? null
        : (optionsOf(element).find((o) => o.value === value) ?? null);
    let state: Json;
    switch (element.type) {
      case 'plain_text_input':
      case 'number_input':
      case 'email_text_input':
      case 'url_text_input': {
        const value = one ?? str(element.initial_value);
        state = { type: element.type, value: value === undefined || value === '' ? null : value };
        break;
      }
      case 'datepicker':
        state = { type: element.type, selected_date: one ?? str(element.initial_date) ?? null };
        break;
      case 'static_select':
      case 'radio_buttons':
        state = {
          type: element.type,
          selected_option:
            sent === undefined && isObject(element.initial_option) ? element.initial_option : option(one),
        };
        break;
      case 'checkboxes': {
        const chosen = Array.isArray(sent) ? sent : typeof sent === 'string' ? [sent] : [];
        state = {
          type: element.type,
          selected_options:
            sent === undefined && Array.isArray(element.initial_options)
              ? element.initial_options
              : chosen.map((value) => option(value)).filter((o) => o !== null),
        };
        break;
      }
      default:
        state = { type: element.type };
    }
    values[blockId] = { [actionId]: state };
  }
  return { values };
}

/** What Slack's client refuses to submit: a required input left empty, or text shorter than `min_length`. */
function missingInputs(view: Json, state: Json): Record<string, string> {
  const errors: Record<string, string> = {};
  const values = isObject(state.values) ? state.values : {};
  for (const block of Array.isArray(view.blocks) ? view.blocks : []) {
    if (!isObject(block) || block.type !== 'input' || !isObject(block.element)) continue;
    const blockId = str(block.block_id) ?? '';
    const entry = values[blockId];
    const element = isObject(entry) ? Object.values(entry)[0] : undefined;
    if (!isObject(element)) continue;
    const empty =
      (element.value === null && 'value' in element) ||
      (element.selected_option === null && 'selected_option' in element) ||
      (Array.isArray(element.selected_options) && element.selected_options.length === 0) ||
      (element.selected_date === null && 'selected_date' in element);
    if (empty && block.optional !== true) errors[blockId] = 'Please fill out this field.';
    const min = block.element.min_length;
    if (typeof min === 'number' && typeof element.value === 'string' && element.value.length < min) {
      errors[blockId] = `Please write at least ${min} characters.`;
    }
  }
  return errors;
}

/** Sends the sandbox user's interactions to the bot, signed, and applies the answers to the workspace. */
export class SandboxInteractions {
  constructor(
    private readonly workspace: SandboxWorkspace,
    private readonly options: InteractionOptions,
  ) {}

  private userJson(userId: string): Json {
    const user = this.workspace.user(userId);
    return {
      id: userId,
      username: user?.name ?? userId,
      name: user?.name ?? userId,
      team_id: SANDBOX_TEAM.id,
    };
  }

  private common(userId: string): Json {
    return {
      user: this.userJson(userId),
      api_app_id: SANDBOX_BOT.appId,
      token: 'sandbox-verification-token',
      team: { id: SANDBOX_TEAM.id, domain: SANDBOX_TEAM.domain },
      enterprise: null,
      is_enterprise_install: false,
    };
  }

  private actionTs(): string {
    const now = Date.now();
    return `${Math.floor(now / 1000)}.${String((now % 1000) * 1000).padStart(6, '0')}`;
  }

  /** A click on an element of a channel message (or of an ephemeral message, by its id). */
  async clickInMessage(
    where: { channel: string; ts: string } | { ephemeralId: string },
    target: ActionTarget,
  ): Promise<InteractionOutcome> {
    const userId = this.workspace.currentUser;
    let message: SandboxMessage | undefined;
    let blocks: unknown;
    let container: Json;
    let channel: string;
    let threadTs: string | undefined;
    if ('ephemeralId' in where) {
      const ephemeral = this.workspace.ephemerals.find((e) => e.id === where.ephemeralId);
      if (ephemeral === undefined) return { ok: false, message: 'That message is gone.' };
      blocks = ephemeral.blocks;
      channel = ephemeral.channel;
      threadTs = ephemeral.threadTs;
      container = { type: 'message', message_ts: ephemeral.ts, channel_id: channel, is_ephemeral: true };
    } else {
      message = this.workspace.messages.find((m) => m.channel === where.channel && m.ts === where.ts);
      if (message === undefined) return { ok: false, message: 'That message is gone.' };
      blocks = message.blocks;
      channel = message.channel;
      threadTs = message.threadTs;
      container = {
        type: 'message',
        message_ts: message.ts,
        channel_id: channel,
        is_ephemeral: false,
        ...(message.threadTs === undefined ? {} : { thread_ts: message.threadTs }),
      };
    }
    const element = findElement(blocks, target);
    if (element === undefined) return { ok: false, message: 'That button is no longer in the message.' };
    const ts = 'ephemeralId' in where ? String(container.message_ts) : (message?.ts ?? '');
    const payload: Json = {
      type: 'block_actions',
      ...this.common(userId),
      container,
      trigger_id: this.workspace.issueTrigger(userId),
      channel: { id: channel, name: this.workspace.channels.get(channel)?.name ?? channel },
      ...(message ? { message: this.workspace.messageJson(message) } : {}),
      state: { values: {} },
      response_url: this.workspace.issueResponseUrl({
        channel,
        user: userId,
        messageTs: ts,
        ...(threadTs === undefined ? {} : { threadTs }),
      }),
      actions: [actionJson(element, target, this.actionTs())],
    };
    const answer = await this.send(interactionBody(payload), `block_actions ${target.actionId}`);
    return this.outcome(answer);
  }

  /** A click on an element inside an open modal. */
  async clickInView(
    viewId: string,
    target: ActionTarget,
    submitted: SubmittedValues,
  ): Promise<InteractionOutcome> {
    const stored = this.workspace.findView(viewId);
    if (stored === undefined) return { ok: false, message: 'That view is closed.' };
    const element = findElement(stored.view.blocks, target);
    if (element === undefined) return { ok: false, message: 'That button is no longer in the view.' };
    const payload: Json = {
      type: 'block_actions',
      ...this.common(stored.user),
      container: { type: 'view', view_id: stored.id },
      trigger_id: this.workspace.issueTrigger(stored.user),
      view: this.workspace.viewJson(stored, viewState(stored.view, submitted)),
      actions: [actionJson(element, target, this.actionTs())],
    };
    return this.outcome(
      await this.send(interactionBody(payload), `block_actions ${target.actionId} (in a modal)`),
    );
  }

  /**
   * The page's Home tab opened: the Events API's `app_home_opened` for the person the page acts as, JSON and signed
   * as Slack sends events; the bot answers with `views.publish`, which the workspace keeps for the page to draw.
   */
  async openHome(): Promise<InteractionOutcome> {
    const userId = this.workspace.currentUser;
    const now = Date.now();
    const body = JSON.stringify({
      token: 'sandbox-verification-token',
      team_id: SANDBOX_TEAM.id,
      api_app_id: SANDBOX_BOT.appId,
      type: 'event_callback',
      event_id: `Ev0LOCAL${now}`,
      event_time: Math.floor(now / 1000),
      event: {
        type: 'app_home_opened',
        user: userId,
        channel: `D0${userId.replace(/^U0?/, '')}`,
        tab: 'home',
        event_ts: this.actionTs(),
        ...(this.workspace.homes.has(userId) ? { view: { id: `VH${userId}`, type: 'home' } } : {}),
      },
      authorizations: [{ team_id: SANDBOX_TEAM.id, user_id: SANDBOX_BOT.userId, is_bot: true }],
    });
    return this.outcome(await this.send(body, 'app_home_opened', 'application/json'));
  }

  /** A click on an element of the Home tab the bot published for the person the page acts as. */
  async clickInHome(target: ActionTarget): Promise<InteractionOutcome> {
    const userId = this.workspace.currentUser;
    const home = this.workspace.homes.get(userId);
    if (home === undefined) return { ok: false, message: 'The Home tab is empty: open it first.' };
    const element = findElement(home.blocks, target);
    if (element === undefined) return { ok: false, message: 'That button is no longer on the Home tab.' };
    const viewId = `VH${userId}`;
    const payload: Json = {
      type: 'block_actions',
      ...this.common(userId),
      container: { type: 'view', view_id: viewId },
      trigger_id: this.workspace.issueTrigger(userId),
      view: { ...home, id: viewId, type: 'home', state: { values: {} } },
      actions: [actionJson(element, target, this.actionTs())],
    };
    return this.outcome(
      await this.send(interactionBody(payload), `block_actions ${target.actionId} (on the Home tab)`),
    );
  }

  /** The modal's submit button: `view_submission`, then what its `response_action` says. */
  async submitView(viewId: string, submitted: SubmittedValues): Promise<InteractionOutcome> {
    const stored = this.workspace.findView(viewId);
    if (stored === undefined) return { ok: false, message: 'That view is closed.' };
    const state = viewState(stored.view, submitted);
    const missing = missingInputs(stored.view, state);
    if (Object.keys(missing).length > 0) return { ok: false, errors: missing };
    const payload: Json = {
      type: 'view_submission',
      ...this.common(stored.user),
      trigger_id: this.workspace.issueTrigger(stored.user),
      view: this.workspace.viewJson(stored, state),
      response_urls: [],
    };
    const callbackId = str(stored.view.callback_id) ?? '';
    const answer = await this.send(interactionBody(payload), `view_submission ${callbackId}`);
    if (answer.status !== 200) return this.outcome(answer);
    return this.applyResponseAction(stored, answer.body);
  }

  /** The modal's close button: `view_closed` when the view asked for it, and the view closes either way. */
  async closeView(viewId: string): Promise<InteractionOutcome> {
    const stored = this.workspace.findView(viewId);
    if (stored === undefined) return { ok: true };
    this.workspace.closeViews(stored.user, false);
    if (stored.view.notify_on_close !== true) return { ok: true };
    const payload: Json = {
      type: 'view_closed',
      ...this.common(stored.user),
      view: this.workspace.viewJson(stored),
      is_cleared: false,
    };
    return this.outcome(
      await this.send(interactionBody(payload), `view_closed ${str(stored.view.callback_id) ?? ''}`),
    );
  }

  /** A line typed in the message box: `/iam-changes …`. */
  async command(
    line: string,
    channel: string = this.workspace.defaultChannelId,
  ): Promise<InteractionOutcome> {
    const trimmed = line.trim();
    const [command = '', ...rest] = trimmed.split(/\s+/);
    if (command !== SLASH_COMMAND) {
      const message = `Only ${SLASH_COMMAND} works here: the sandbox has no other apps (try "${SLASH_COMMAND} help").`;
      return { ok: false, message };
    }
    const userId = this.workspace.currentUser;
    const user = this.workspace.user(userId);
    const text = trimmed.slice(command.length).trim() || rest.join(' ');
    const fields: Record<string, string> = {
      token: 'sandbox-verification-token',
      team_id: SANDBOX_TEAM.id,
      team_domain: SANDBOX_TEAM.domain,
      channel_id: channel,
      channel_name: this.workspace.channels.get(channel)?.name ?? channel,
      user_id: userId,
      user_name: user?.name ?? userId,
      command,
      text,
      api_app_id: SANDBOX_BOT.appId,
      is_enterprise_install: 'false',
      response_url: this.workspace.issueResponseUrl({ channel, user: userId, command: trimmed }),
      trigger_id: this.workspace.issueTrigger(userId),
    };
    const answer = await this.send(commandBody(fields), `${command} ${text}`.trim());
    if (answer.status !== 200) return this.outcome(answer);
    const body = answer.body.trim();
    if (body === '') return { ok: true };
    let reply: Json;
    try {
      const parsed: unknown = JSON.parse(body);
      reply = isObject(parsed) ? parsed : { text: body };
    } catch {
      reply = { text: body };
    }
    const replyText = str(reply.text) ?? '';
    const blocks = Array.isArray(reply.blocks) ? reply.blocks : undefined;
    const posted =
      reply.response_type === 'in_channel'
        ? this.workspace.addMessage({
            channel,
            user: SANDBOX_BOT.userId,
            text: replyText,
            command: trimmed,
            ...(blocks === undefined ? {} : { blocks }),
          })
        : this.workspace.addEphemeral({
            channel,
            user: userId,
            text: replyText,
            ...(blocks === undefined ? {} : { blocks }),
          });
    this.workspace.rememberCommandReply(fields.response_url ?? '', posted.ts);
    return { ok: true };
  }

  private applyResponseAction(stored: SandboxView, body: string): InteractionOutcome {
    const trimmed = body.trim();
    if (trimmed === '') {
      this.workspace.closeViews(stored.user, false);
      return { ok: true };
    }
    let response: unknown;
    try {
      response = JSON.parse(trimmed);
    } catch {
      this.workspace.notice(
        'error',
        `view_submission: the bot answered with text that is not JSON: ${trimmed.slice(0, 200)}`,
      );
      return { ok: false, message: 'We had some trouble connecting. Try again?' };
    }
    if (!isObject(response)) return { ok: false, message: 'We had some trouble connecting. Try again?' };
    switch (response.response_action) {
      case 'errors': {
        const errors = isObject(response.errors)
          ? Object.fromEntries(Object.entries(response.errors).map(([key, value]) => [key, String(value)]))
          : {};
        const known = new Set(
          (Array.isArray(stored.view.blocks) ? stored.view.blocks : [])
            .filter(isObject)
            .map((block) => block.block_id),
        );
        const unknown = Object.keys(errors).filter((key) => !known.has(key));
        if (unknown.length > 0) {
          this.workspace.notice(
            'error',
            `view_submission: errors name blocks the view does not have: ${unknown.join(', ')} (Slack rejects this)`,
          );
        }
        this.workspace.setViewErrors(stored, errors);
        return { ok: false, errors };
      }
      case 'update':
        if (isObject(response.view)) this.workspace.replaceView(stored, response.view);
        return { ok: true };
      case 'push':
        if (isObject(response.view)) this.workspace.openView(stored.user, response.view, true);
        return { ok: true };
      case 'clear':
        this.workspace.closeViews(stored.user, true);
        return { ok: true };
      default:
        this.workspace.closeViews(stored.user, false);
        return { ok: true };
    }
  }

  private outcome(answer: { status: number; body: string; error?: string }): InteractionOutcome {
    if (answer.status === 200) return { ok: true, status: 200 };
    const message =
      answer.status === 0
        ? `iam-changes didn't respond (${answer.error ?? 'no answer'}).`
        : `iam-changes responded with HTTP ${answer.status}.`;
    return { ok: false, status: answer.status, message };
  }

  /** Posts a signed body to the bot and logs how it went. Status 0 when the bot could not be reached. */
  private async send(
    body: string,
    what: string,
    contentType = 'application/x-www-form-urlencoded',
  ): Promise<{ status: number; body: string; error?: string }> {
    const url = this.options.botUrl();
    if (url === undefined) {
      this.workspace.notice('error', `${what}: the bot's endpoint is not running.`);
      return { status: 0, body: '', error: 'the bot is not running' };
    }
    const started = performance.now();
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': contentType,
          'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
          ...signSlackRequest(this.options.signingSecret, body),
        },
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
      const text = await response.text();
      const ms = Math.round(performance.now() - started);
      if (response.status !== 200) {
        this.workspace.notice(
          'error',
          `${what} → HTTP ${response.status} in ${ms} ms${text ? `: ${text.slice(0, 200)}` : ''}`,
        );
      } else if (ms > SLACK_ACK_TIMEOUT_MS) {
        this.workspace.notice(
          'warn',
          `${what} → answered in ${ms} ms: Slack gives up after ${SLACK_ACK_TIMEOUT_MS} ms and shows the user an error.`,
        );
      } else {
        this.workspace.notice('info', `${what} → 200 in ${ms} ms`);
      }
      return { status: response.status, body: text };
    } catch (error: unknown) {
      const reason = error instanceof Error ? error.message : String(error);
      this.workspace.notice('error', `${what}: the bot did not answer (${reason})`);
      return { status: 0, body: '', error: reason };
    }
  }
}
