/**
 * A local HTTP server speaking the Slack Web API methods the bot calls, for tests and benchmarks: point a
 * `WebClient` at {@link LocalSlack.url} and inspect what arrived. It answers like Slack does — HTTP 200 with
 * `{ ok: false, error }` for API errors, 429 with `Retry-After` for rate limits — and can be told to fail.
 *
 * Bodies may be JSON or `application/x-www-form-urlencoded` (what `WebClient` sends, with object arguments such as
 * `blocks` and `view` JSON-encoded into a form field); both are decoded to the same record.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The Web API methods this server implements. */
/** The workspace URL permalinks start with. */
export const PERMALINK_ORIGIN = 'https://iam-changes-test.slack.com';

export const SLACK_METHODS = [
  'chat.postMessage',
  'chat.update',
  'chat.getPermalink',
  'chat.postEphemeral',
  'views.open',
  'views.update',
  'views.publish',
  'users.info',
  'usergroups.users.list',
  'auth.test',
  'users.lookupByEmail',
  'conversations.open',
] as const;

export type SlackMethod = (typeof SLACK_METHODS)[number];

/** A failure to answer with instead of handling the call. */
export type InjectedFailure =
  | { status: 500 | 502 | 503 | 504 }
  | { status: 429; retryAfter: number }
  | { ok: false; error: string };

/** A message as the channel holds it; `chat.update` changes it in place. */
export interface StoredMessage {
  channel: string;
  ts: string;
  threadTs?: string;
  text: string;
  blocks: unknown[] | undefined;
  /** Secondary attachments (an alert's coloured status bar), when sent. */
  attachments?: unknown[];
  /** How many times `chat.update` changed it. */
  updates: number;
}

export interface StoredEphemeral {
  channel: string;
  user: string;
  text: string;
  blocks: unknown[] | undefined;
  threadTs?: string;
  messageTs: string;
}

export interface StoredView {
  id: string;
  externalId?: string;
  triggerId: string;
  view: Record<string, unknown>;
  updates: number;
  /** Changes with every update; `views.update` with a stale `hash` is refused with `hash_conflict`. */
  hash: string;
}

/** A JSON body POSTed to a `response_url` (`POST /response/<id>`). */
export interface StoredResponse {
  id: string;
  body: Record<string, unknown>;
}

/** One request as it arrived, decoded, with the HTTP status it was answered with. */
export interface RecordedCall {
  method: string;
  body: Record<string, unknown>;
  status: number;
}

export interface LocalSlackUser {
  name: string;
  realName?: string;
  tz?: string;
  /** What `users.lookupByEmail` finds the user by (compared without case, like Slack). */
  email?: string;
}

export interface LocalSlackOptions {
  /** Answer 429 (`Retry-After: 1`) when a channel gets more than this many posts within one second. */
  rateLimit?: { perChannelPerSecond: number };
  /** Users `users.info` knows; when given, other ids are `user_not_found`. Default: every id is a made-up user. */
  users?: Record<string, LocalSlackUser>;
  /** User groups `usergroups.users.list` knows (`S…` → member ids); other ids are `no_such_subteam`. */
  userGroups?: Record<string, string[]>;
}

export interface LocalSlack {
  /** `http://127.0.0.1:PORT/api/`: what `slackApiUrl` takes. */
  url: string;
  messages: StoredMessage[];
  ephemerals: StoredEphemeral[];
  views: StoredView[];
  calls: RecordedCall[];
  /** Bodies POSTed to `response_url`s of this server, in arrival order. */
  responses: StoredResponse[];
  /** User groups `usergroups.users.list` answers from; change it to move people in and out. */
  userGroups: Map<string, string[]>;
  /** Each user's Home tab as `views.publish` last set it, by user id. */
  homes: Map<string, Record<string, unknown>>;
  /** A `response_url` on this server: `http://127.0.0.1:PORT/response/<id>`. */
  responseUrl(id: string): string;
  /** Bodies posted to one `response_url` id. */
  responsesTo(id: string): Array<Record<string, unknown>>;
  /** Answer the next `times` calls to `method` with `failure` instead of handling them. */
  failNext(method: SlackMethod, failure: InjectedFailure, times?: number): void;
  /** Every call answers 503 until {@link LocalSlack.up}. */
  down(): void;
  up(): void;
  /** Messages not in a thread, optionally in one channel, in posting order. */
  topLevel(channel?: string): StoredMessage[];
  /** Replies in the thread of the message with this ts, in posting order. */
  thread(ts: string): StoredMessage[];
  /** Calls made to one method. */
  callsTo(method: SlackMethod): RecordedCall[];
  close(): Promise<void>;
}

type Params = Record<string, unknown>;
type Answer = { status: number; body: Params; headers?: Record<string, string> };

/** A Slack API error: HTTP 200 with `{ ok: false, error }`. */
class ApiError extends Error {
  override name = 'ApiError';
}

/** An answer other than 200, such as a 429, decided while handling the call. */
class HttpAnswerError extends Error {
  override name = 'HttpAnswerError';
  readonly answer: Answer;

  constructor(answer: Answer) {
    super(`HTTP ${answer.status}`);
    this.answer = answer;
  }
}

/** Fields Slack takes as JSON even in a form body. */
const JSON_FIELDS = new Set(['blocks', 'attachments', 'view', 'metadata']);
const BASE_SECONDS = 1_732_100_000;
const TEAM = { id: 'T0LOCAL', name: 'local', domain: 'local-slack' };
const BOT = { userId: 'U0BOT', botId: 'B0BOT', name: 'iam-changes' };

/** Starts the server on 127.0.0.1 with a free port. */
export async function startSlackServer(options: LocalSlackOptions = {}): Promise<LocalSlack> {
  const messages: StoredMessage[] = [];
  const ephemerals: StoredEphemeral[] = [];
  const views: StoredView[] = [];
  const calls: RecordedCall[] = [];
  const responses: StoredResponse[] = [];
  const userGroups = new Map<string, string[]>(Object.entries(options.userGroups ?? {}));
  const homes = new Map<string, Record<string, unknown>>();
  const failures = new Map<string, InjectedFailure[]>();
  const recentPosts = new Map<string, number[]>();
  let isDown = false;
  let counter = 0;
  let baseUrl = '';

  /** `1732100000.000100`, `1732100000.000200`, …: unique and increasing, like Slack's message ts. */
  const nextTs = (): string => {
    counter += 1;
    const micros = counter * 100;
    const seconds = BASE_SECONDS + Math.floor(micros / 1_000_000);
    return `${seconds}.${String(micros % 1_000_000).padStart(6, '0')}`;
  };

  const rateLimited = (channel: string): boolean => {
    if (options.rateLimit === undefined) return false;
    const now = performance.now();
    const recent = (recentPosts.get(channel) ?? []).filter((at) => now - at < 1000);
    if (recent.length >= options.rateLimit.perChannelPerSecond) {
      recentPosts.set(channel, recent);
      return true;
    }
    recent.push(now);
    recentPosts.set(channel, recent);
    return false;
  };

  const findMessage = (channel: string, ts: string): StoredMessage => {
    const message = messages.find((m) => m.channel === channel && m.ts === ts);
    if (message === undefined) throw new ApiError('message_not_found');
    return message;
  };

  const handlers: Record<SlackMethod, (params: Params) => Params> = {
    'chat.postMessage': (params) => {
      const channel = requireChannel(params);
      const text = optionalString(params.text);
      const blocks = optionalBlocks(params.blocks);
      if (text === undefined && blocks === undefined) throw new ApiError('no_text');
      if (rateLimited(channel)) throw new HttpAnswerError(tooManyRequests(1));
      const threadTs = optionalString(params.thread_ts);
      const message: StoredMessage = { channel, ts: nextTs(), text: text ?? '', blocks, updates: 0 };
      if (threadTs !== undefined) message.threadTs = threadTs;
      const attachments = optionalAttachments(params.attachments);
      if (attachments !== undefined) message.attachments = attachments;
      messages.push(message);
      return { channel, ts: message.ts, message: messageJson(message) };
    },
    'chat.update': (params) => {
      const channel = requireChannel(params);
      const ts = optionalString(params.ts);
      if (ts === undefined) throw new ApiError('message_not_found');
      const message = findMessage(channel, ts);
      const text = optionalString(params.text);
      const blocks = optionalBlocks(params.blocks);
      if (text === undefined && blocks === undefined) throw new ApiError('no_text');
      // Like Slack: text is replaced when sent, and blocks only when sent (an empty array removes them).
      if (text !== undefined) message.text = text;
      if (blocks !== undefined) message.blocks = blocks.length === 0 ? undefined : blocks;
      const attachments = optionalAttachments(params.attachments);
      if (attachments !== undefined) {
        if (attachments.length === 0) delete message.attachments;
        else message.attachments = attachments;
      }
      message.updates += 1;
      return { channel, ts, text: message.text, message: messageJson(message) };
    },
    'chat.getPermalink': (params) => {
      const channel = requireChannel(params);
      const ts = optionalString(params.message_ts);
      if (ts === undefined) throw new ApiError('message_not_found');
      const message = findMessage(channel, ts);
      // Real permalinks are https: a workspace URL that needs no network to build.
      const path = `${PERMALINK_ORIGIN}/archives/${channel}/p${ts.replace('.', '')}`;
      const permalink =
        message.threadTs === undefined ? path : `${path}?thread_ts=${message.threadTs}&cid=${channel}`;
      return { channel, permalink };
    },
    'chat.postEphemeral': (params) => {
      const channel = requireChannel(params);
      const user = optionalString(params.user);
      if (user === undefined) throw new ApiError('user_not_in_channel');
      const text = optionalString(params.text);
      const blocks = optionalBlocks(params.blocks);
      if (text === undefined && blocks === undefined) throw new ApiError('no_text');
      const ephemeral: StoredEphemeral = { channel, user, text: text ?? '', blocks, messageTs: nextTs() };
      const threadTs = optionalString(params.thread_ts);
      if (threadTs !== undefined) ephemeral.threadTs = threadTs;
      ephemerals.push(ephemeral);
      return { message_ts: ephemeral.messageTs };
    },
    'views.open': (params) => {
      const triggerId = optionalString(params.trigger_id);
      if (triggerId === undefined) throw new ApiError('invalid_trigger_id');
      const view = requireView(params.view);
      const id = `V${String(views.length + 1).padStart(8, '0')}`;
      const stored: StoredView = { id, triggerId, view, updates: 0, hash: `${id}.0` };
      const externalId = optionalString(view.external_id);
      if (externalId !== undefined) stored.externalId = externalId;
      views.push(stored);
      return { view: viewJson(stored) };
    },
    'views.update': (params) => {
      const viewId = optionalString(params.view_id);
      const externalId = optionalString(params.external_id);
      const stored = views.find(
        (v) =>
          (viewId !== undefined && v.id === viewId) ||
          (externalId !== undefined && v.externalId === externalId),
      );
      if (stored === undefined) throw new ApiError('not_found');
      const hash = optionalString(params.hash);
      if (hash !== undefined && hash !== stored.hash) throw new ApiError('hash_conflict');
      stored.view = requireView(params.view);
      stored.updates += 1;
      stored.hash = `${stored.id}.${stored.updates}`;
      return { view: viewJson(stored) };
    },
    'views.publish': (params) => {
      const user = optionalString(params.user_id);
      if (user === undefined) throw new ApiError('invalid_arguments');
      const view = requireView(params.view);
      if (view.type !== 'home') throw new ApiError('invalid_arguments');
      homes.set(user, view);
      return { view: { id: `VHOME${user}`, ...view } };
    },
    'users.info': (params) => {
      const id = optionalString(params.user);
      if (id === undefined) throw new ApiError('user_not_found');
      const known = options.users === undefined ? { name: id.toLowerCase() } : options.users[id];
      if (known === undefined) throw new ApiError('user_not_found');
      const realName = known.realName ?? known.name;
      return {
        user: {
          id,
          team_id: TEAM.id,
          name: known.name,
          real_name: realName,
          tz: known.tz ?? 'Europe/London',
          is_bot: false,
          profile: { real_name: realName, display_name: known.name },
        },
      };
    },
    'usergroups.users.list': (params) => {
      const id = optionalString(params.usergroup);
      const members = id === undefined ? undefined : userGroups.get(id);
      if (members === undefined) throw new ApiError('no_such_subteam');
      return { users: [...members] };
    },
    'users.lookupByEmail': (params) => {
      const email = optionalString(params.email)?.toLowerCase();
      const found = Object.entries(options.users ?? {}).find(
        ([, user]) => user.email?.toLowerCase() === email,
      );
      if (email === undefined || found === undefined) throw new ApiError('users_not_found');
      const [id, user] = found;
      return { user: { id, team_id: TEAM.id, name: user.name, profile: { email: user.email } } };
    },
    'conversations.open': (params) => {
      const users = optionalString(params.users);
      if (users === undefined || users.includes(',')) throw new ApiError('not_enough_users');
      if (options.users !== undefined && options.users[users] === undefined)
        throw new ApiError('user_not_found');
      // A DM's channel id is `D` and the user's id, stable per user as in Slack.
      return { channel: { id: `D${users.slice(1)}` } };
    },
    'auth.test': () => ({
      url: `https://${TEAM.domain}.slack.com/`,
      team: TEAM.name,
      user: BOT.name,
      team_id: TEAM.id,
      user_id: BOT.userId,
      bot_id: BOT.botId,
    }),
  };

  const answer = (method: string, headers: IncomingMessage['headers'], params: Params): Answer => {
    if (isDown) return { status: 503, body: { ok: false, error: 'service_unavailable' } };
    if (!isSlackMethod(method)) return { status: 200, body: { ok: false, error: 'unknown_method' } };
    const authorization = headers.authorization ?? '';
    if (!/^Bearer xoxb-\S+$/.test(authorization))
      return { status: 200, body: { ok: false, error: 'not_authed' } };
    const failure = failures.get(method)?.shift();
    if (failure !== undefined) return failureAnswer(failure);
    try {
      return { status: 200, body: { ok: true, ...handlers[method](params) } };
    } catch (error: unknown) {
      if (error instanceof ApiError) return { status: 200, body: { ok: false, error: error.message } };
      if (error instanceof HttpAnswerError) return error.answer;
      throw error;
    }
  };

  const server = createServer((request, response) => {
    void handle(request, response);
  });

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (path.startsWith('/response/') && request.method === 'POST') {
      const id = decodeURIComponent(path.slice('/response/'.length));
      let reply: Answer;
      try {
        const body = parseBody(await readBody(request), request.headers['content-type']);
        responses.push({ id, body });
        calls.push({ method: `response/${id}`, body, status: 200 });
        reply = { status: 200, body: { ok: true } };
      } catch {
        reply = { status: 400, body: { ok: false, error: 'invalid_payload' } };
      }
      response.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8' });
      response.end(JSON.stringify(reply.body));
      return;
    }
    const method = path.startsWith('/api/') ? path.slice('/api/'.length) : '';
    let params: Params = {};
    let reply: Answer;
    try {
      if (request.method !== 'POST' && request.method !== 'GET') {
        reply = { status: 405, body: { ok: false, error: 'method_not_allowed' } };
      } else {
        params = parseBody(await readBody(request), request.headers['content-type']);
        reply =
          method === ''
            ? { status: 404, body: { ok: false, error: 'unknown_method' } }
            : answer(method, request.headers, params);
      }
    } catch (error: unknown) {
      const message = error instanceof Error ? error.message : String(error);
      reply =
        error instanceof ApiError
          ? { status: 200, body: { ok: false, error: message } }
          : { status: 500, body: { ok: false, error: 'internal_error', detail: message } };
    }
    calls.push({ method, body: params, status: reply.status });
    response.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8', ...reply.headers });
    response.end(JSON.stringify(reply.body));
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}/api/`;

  return {
    url: baseUrl,
    messages,
    ephemerals,
    views,
    calls,
    responses,
    userGroups,
    homes,
    responseUrl(id) {
      return `${baseUrl.replace(/\/api\/$/, '')}/response/${encodeURIComponent(id)}`;
    },
    responsesTo(id) {
      return responses.filter((entry) => entry.id === id).map((entry) => entry.body);
    },
    failNext(method, failure, times = 1) {
      const queue = failures.get(method) ?? [];
      for (let i = 0; i < times; i += 1) queue.push(failure);
      failures.set(method, queue);
    },
    down() {
      isDown = true;
    },
    up() {
      isDown = false;
    },
    topLevel(channel) {
      return messages.filter(
        (m) => m.threadTs === undefined && (channel === undefined || m.channel === channel),
      );
    },
    thread(ts) {
      return messages.filter((m) => m.threadTs === ts);
    },
    callsTo(method) {
      return calls.filter((call) => call.method === method);
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        // fetch keeps connections alive; without this close() waits for them to time out.
        server.closeAllConnections();
      });
    },
  };
}

function isSlackMethod(method: string): method is SlackMethod {
  return (SLACK_METHODS as readonly string[]).includes(method);
}

function tooManyRequests(retryAfter: number): Answer {
  return {
    status: 429,
    body: { ok: false, error: 'ratelimited' },
    headers: { 'retry-after': String(retryAfter) },
  };
}

function failureAnswer(failure: InjectedFailure): Answer {
  if ('ok' in failure) return { status: 200, body: { ok: false, error: failure.error } };
  if (failure.status === 429) return tooManyRequests(failure.retryAfter);
  return { status: failure.status, body: { ok: false, error: 'internal_error' } };
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Decodes a JSON or form body; JSON-valued fields sent as strings (`blocks`, `view`) are parsed. */
function parseBody(raw: string, contentType: string | undefined): Params {
  if (raw === '') return {};
  let params: Params;
  if (contentType?.startsWith('application/json')) {
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new ApiError('invalid_json');
    params = { ...(parsed as Params) };
  } else {
    params = Object.fromEntries(new URLSearchParams(raw));
  }
  for (const field of JSON_FIELDS) {
    const value = params[field];
    if (typeof value !== 'string') continue;
    try {
      params[field] = JSON.parse(value);
    } catch {
      throw new ApiError(field === 'blocks' ? 'invalid_blocks' : 'invalid_arguments');
    }
  }
  return params;
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function requireChannel(params: Params): string {
  const channel = optionalString(params.channel);
  if (channel === undefined) throw new ApiError('channel_not_found');
  return channel;
}

function optionalBlocks(value: unknown): unknown[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw new ApiError('invalid_blocks');
  return value;
}

function optionalAttachments(value: unknown): unknown[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw new ApiError('invalid_attachments');
  return value;
}

function requireView(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ApiError('invalid_arguments');
  return value as Record<string, unknown>;
}

function messageJson(message: StoredMessage): Params {
  return {
    type: 'message',
    user: BOT.userId,
    bot_id: BOT.botId,
    text: message.text,
    ts: message.ts,
    ...(message.threadTs === undefined ? {} : { thread_ts: message.threadTs }),
    ...(message.blocks === undefined ? {} : { blocks: message.blocks }),
    ...(message.attachments === undefined ? {} : { attachments: message.attachments }),
  };
}

function viewJson(view: StoredView): Params {
  return {
    ...view.view,
    id: view.id,
    hash: view.hash,
    team_id: TEAM.id,
    ...(view.externalId ? { external_id: view.externalId } : {}),
  };
}
