/**
 * The local Slack sandbox: one loopback HTTP server that is, at once,
 *
 * - the Slack Web API the bot calls (`/api/<method>`, see `workspace.ts`) and its `response_url`s (`/response/…`);
 * - a web page (`/`) that draws the channel, threads, ephemeral messages and modals from their Block Kit, with live
 *   updates (server-sent events on `/sandbox/events`);
 * - Slack's side of interactivity: what the page clicks, submits and types (`/sandbox/*`) is sent to the bot's
 *   request URL as real, signed requests (see `interactions.ts`).
 *
 * The page's own endpoints take JSON with an `X-Sandbox-Request` header only, and every request must name this
 * server as its `Host`: another web page open in the same browser cannot drive the bot through it.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ActionTarget, SandboxInteractions, type SubmittedValues } from './interactions';
import { pageState, type ScenarioInfo, type StatusLine } from './page-state';
import { SANDBOX_USERS, SandboxWorkspace } from './workspace';

type Json = Record<string, unknown>;

/** Runs the demo scenarios the page offers. */
export interface ScenarioRunner {
  list: ScenarioInfo[];
  /** Why scenarios are limited or off, shown above their buttons. */
  note?: string;
  /** Runs one; resolves when its notifications were processed. Throws for an unknown name. */
  run(name: string): Promise<void>;
}

/** Options of {@link startSlackSandbox}. */
export interface SlackSandboxOptions {
  /** The bot token the bot's calls must carry. */
  botToken: string;
  /** The signing secret requests to the bot are signed with. */
  signingSecret: string;
  /** Port on 127.0.0.1; a free one when 0 or absent. */
  port?: number;
  /** Where channels and messages are kept between runs. */
  statePath?: string;
  /** The channel the bot posts to (`#iam-changes`). */
  defaultChannel?: string;
  /** `socket-mode`: Slack is a real workspace; the page only shows the status and runs scenarios. */
  mode?: 'sandbox' | 'socket-mode';
  /** What the runtime is connected to, for the page's header. */
  status?: () => StatusLine[];
  scenarios?: ScenarioRunner;
}

/** A running sandbox. */
export interface SlackSandbox {
  /** `http://127.0.0.1:PORT`: the page. */
  url: string;
  /** `http://127.0.0.1:PORT/api/`: what `SLACK_API_URL` / `slackApiUrl` takes. */
  apiUrl: string;
  workspace: SandboxWorkspace;
  interactions: SandboxInteractions;
  /** Sets the bot's request URL (the bot's endpoint starts after the sandbox, which it needs as its Slack). */
  setBotUrl(url: string | undefined): void;
  close(): Promise<void>;
}

const PAGE_FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/assets/sandbox.js': { file: 'sandbox.js', type: 'text/javascript; charset=utf-8' },
  '/assets/sandbox.css': { file: 'sandbox.css', type: 'text/css; charset=utf-8' },
};

const MAX_BODY_BYTES = 2_000_000;
/** Fields Slack takes as JSON even in a form body. */
const JSON_FIELDS = new Set(['blocks', 'attachments', 'view', 'metadata']);

/** A request the sandbox cannot take: answered with this status and message. */
class BadRequestError extends Error {
  override name = 'BadRequestError';

  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BadRequestError(413, 'request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A Web API body: JSON or form, with JSON-valued form fields (`blocks`, `view`) parsed. */
function webApiParams(raw: string, contentType: string | undefined, query: URLSearchParams): Json {
  let params: Json = Object.fromEntries(query);
  if (raw !== '') {
    if (contentType?.startsWith('application/json')) {
      const parsed: unknown = JSON.parse(raw);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new BadRequestError(200, 'invalid_json');
      }
      params = { ...params, ...(parsed as Json) };
    } else {
      params = { ...params, ...Object.fromEntries(new URLSearchParams(raw)) };
    }
  }
  for (const field of JSON_FIELDS) {
    const value = params[field];
    if (typeof value !== 'string') continue;
    try {
      params[field] = JSON.parse(value);
    } catch {
      throw new BadRequestError(200, field === 'blocks' ? 'invalid_blocks_format' : 'invalid_arguments');
    }
  }
  return params;
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
  });
  response.end(JSON.stringify(body));
}

function objectField(body: Json, key: string): Json {
  const value = body[key];
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

function stringField(body: Json, key: string): string {
  const value = body[key];
  if (typeof value !== 'string' || value === '') throw new BadRequestError(400, `${key} is required`);
  return value;
}

function actionTarget(body: Json): ActionTarget {
  const value = body.value;
  return {
    blockId: stringField(body, 'blockId'),
    actionId: stringField(body, 'actionId'),
    ...(typeof value === 'string' ? { value } : {}),
  };
}

/** Starts the sandbox on 127.0.0.1. */
export async function startSlackSandbox(options: SlackSandboxOptions): Promise<SlackSandbox> {
  const workspace = new SandboxWorkspace({
    botToken: options.botToken,
    ...(options.defaultChannel === undefined ? {} : { defaultChannel: options.defaultChannel }),
    ...(options.statePath === undefined ? {} : { statePath: options.statePath }),
  });
  let botUrl: string | undefined;
  const interactions = new SandboxInteractions(workspace, {
    botUrl: () => botUrl,
    signingSecret: options.signingSecret,
  });
  const mode = options.mode ?? 'sandbox';
  const pageDirectory = new URL('./page/', import.meta.url);
  const files = new Map<string, string>();
  for (const [path, { file }] of Object.entries(PAGE_FILES)) {
    files.set(path, await readFile(new URL(file, pageDirectory), 'utf8'));
  }
  const events = new Set<ServerResponse>();
  let pushTimer: NodeJS.Timeout | undefined;
  const stopListening = workspace.onChange(() => {
    pushTimer ??= setTimeout(() => {
      pushTimer = undefined;
      for (const stream of events)
        stream.write(`data: ${JSON.stringify({ version: workspace.version })}\n\n`);
    }, 50);
  });
  const keepAlive = setInterval(() => {
    for (const stream of events) stream.write(': keep-alive\n\n');
  }, 15_000);
  keepAlive.unref();

  let host = '';
  const state = () =>
    pageState(workspace, {
      mode,
      status: options.status?.() ?? [],
      scenarios: options.scenarios?.list ?? [],
      ...(options.scenarios?.note === undefined ? {} : { scenarioNote: options.scenarios.note }),
    });

  const pageAction = async (path: string, body: Json): Promise<unknown> => {
    switch (path) {
      case '/sandbox/home':
        return interactions.openHome();
      case '/sandbox/action': {
        const target = actionTarget(body);
        if (body.home === true) return interactions.clickInHome(target);
        if (typeof body.viewId === 'string') {
          return interactions.clickInView(
            body.viewId,
            target,
            objectField(body, 'values') as SubmittedValues,
          );
        }
        if (typeof body.ephemeralId === 'string') {
          return interactions.clickInMessage({ ephemeralId: body.ephemeralId }, target);
        }
        return interactions.clickInMessage(
          { channel: stringField(body, 'channel'), ts: stringField(body, 'ts') },
          target,
        );
      }
      case '/sandbox/submit':
        return interactions.submitView(
          stringField(body, 'viewId'),
          objectField(body, 'values') as SubmittedValues,
        );
      case '/sandbox/close':
        return interactions.closeView(stringField(body, 'viewId'));
      case '/sandbox/command': {
        const channel = typeof body.channel === 'string' ? workspace.channelId(body.channel) : undefined;
        return interactions.command(stringField(body, 'text'), channel);
      }
      case '/sandbox/dismiss':
        workspace.dismissEphemeral(stringField(body, 'id'));
        return { ok: true };
      case '/sandbox/user': {
        const id = stringField(body, 'id');
        if (!SANDBOX_USERS.some((user) => user.id === id))
          throw new BadRequestError(400, `no sandbox user ${id}`);
        workspace.currentUser = id;
        workspace.notice('info', `The page now acts as ${workspace.user(id)?.realName ?? id}.`);
        return { ok: true };
      }
      case '/sandbox/scenario': {
        const runner = options.scenarios;
        const name = stringField(body, 'name');
        if (runner === undefined || !runner.list.some((scenario) => scenario.name === name)) {
          throw new BadRequestError(404, `no scenario ${name}`);
        }
        workspace.notice('info', `Scenario "${name}" started.`);
        runner.run(name).then(
          () => workspace.notice('info', `Scenario "${name}" done.`),
          (error: unknown) =>
            workspace.notice(
              'error',
              `Scenario "${name}" failed: ${error instanceof Error ? error.message : String(error)}`,
            ),
        );
        return { ok: true, started: name };
      }
      default:
        throw new BadRequestError(404, 'not found');
    }
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://sandbox.invalid');
    const path = url.pathname;
    // A DNS-rebinding page reaches this port under its own host name: only our own names are served.
    if (request.headers.host !== host && request.headers.host !== host.replace('127.0.0.1', 'localhost')) {
      sendJson(response, 421, { ok: false, error: 'wrong_host' });
      return;
    }
    if (path.startsWith('/api/')) {
      if (request.method !== 'POST' && request.method !== 'GET') {
        sendJson(response, 405, { ok: false, error: 'method_not_allowed' });
        return;
      }
      const method = path.slice('/api/'.length);
      let answer: { status: number; body: Json };
      try {
        const params = webApiParams(
          await readBody(request),
          request.headers['content-type'],
          url.searchParams,
        );
        answer = workspace.callWebApi(method, params, request.headers.authorization);
      } catch (error: unknown) {
        if (!(error instanceof BadRequestError) && !(error instanceof SyntaxError)) throw error;
        answer = {
          status: 200,
          body: { ok: false, error: error instanceof BadRequestError ? error.message : 'invalid_json' },
        };
      }
      sendJson(response, answer.status, answer.body);
      return;
    }
    if (path.startsWith('/response/')) {
      if (request.method !== 'POST') {
        sendJson(response, 405, { ok: false, error: 'method_not_allowed' });
        return;
      }
      let body: Json;
      try {
        body = webApiParams(
          await readBody(request),
          request.headers['content-type'] ?? 'application/json',
          new URLSearchParams(),
        );
      } catch {
        sendJson(response, 400, { ok: false, error: 'invalid_payload' });
        return;
      }
      const answer = workspace.respond(path.slice('/response/'.length), body);
      sendJson(response, answer.status, answer.body);
      return;
    }
    const page = PAGE_FILES[path];
    if (page !== undefined && request.method === 'GET') {
      response.writeHead(200, {
        'content-type': page.type,
        'cache-control': 'no-store',
        'content-security-policy':
          "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
        'x-content-type-options': 'nosniff',
      });
      response.end(files.get(path));
      return;
    }
    if (path === '/sandbox/state' && request.method === 'GET') {
      sendJson(response, 200, state());
      return;
    }
    if (path === '/sandbox/events' && request.method === 'GET') {
      response.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      response.write(`retry: 1000\ndata: ${JSON.stringify({ version: workspace.version })}\n\n`);
      events.add(response);
      request.on('close', () => events.delete(response));
      return;
    }
    if (path.startsWith('/sandbox/') && request.method === 'POST') {
      if (
        request.headers['x-sandbox-request'] !== '1' ||
        !request.headers['content-type']?.startsWith('application/json')
      ) {
        sendJson(response, 403, { ok: false, error: 'the page sends JSON with X-Sandbox-Request: 1' });
        return;
      }
      try {
        const raw = await readBody(request);
        const body: unknown = raw === '' ? {} : JSON.parse(raw);
        if (typeof body !== 'object' || body === null || Array.isArray(body))
          throw new BadRequestError(400, 'expected a JSON object');
        sendJson(response, 200, await pageAction(path, body as Json));
      } catch (error: unknown) {
        if (error instanceof BadRequestError)
          sendJson(response, error.status, { ok: false, message: error.message });
        else if (error instanceof SyntaxError)
          sendJson(response, 400, { ok: false, message: 'the body is not JSON' });
        else throw error;
      }
      return;
    }
    sendJson(response, 404, { ok: false, error: 'not_found' });
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      workspace.notice('error', `The sandbox failed on ${request.method} ${request.url}: ${message}`);
      if (!response.headersSent)
        sendJson(response, 500, { ok: false, error: 'internal_error', detail: message });
      else response.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  host = `127.0.0.1:${port}`;
  const url = `http://${host}`;
  workspace.baseUrl = url;

  return {
    url,
    apiUrl: `${url}/api/`,
    workspace,
    interactions,
    setBotUrl(next) {
      botUrl = next;
    },
    async close() {
      stopListening();
      clearInterval(keepAlive);
      if (pushTimer) clearTimeout(pushTimer);
      for (const stream of events) stream.end();
      events.clear();
      workspace.flush();
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
