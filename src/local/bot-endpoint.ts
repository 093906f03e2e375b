/**
 * The bot's HTTP endpoint on this machine: a node:http server that turns each request into the API Gateway HTTP
 * API (payload 2.0) event the deployed Slack function receives, calls the real Lambda handler with it, and writes
 * the handler's answer back. The handler therefore checks Slack's signature exactly as it does in AWS; only
 * `POST /slack/events` is routed, as in `serverless.yml`, and anything else gets API Gateway's 404.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';

/** The route the Slack function serves. */
export const SLACK_EVENTS_PATH = '/slack/events';

/** What an API Gateway v2 Lambda integration may answer. */
export interface LambdaHttpResult {
  statusCode?: number;
  headers?: Record<string, string | number | boolean>;
  body?: string;
  isBase64Encoded?: boolean;
  cookies?: string[];
}

/** A Lambda handler behind API Gateway v2, as `src/handlers/slack/index.ts` exports it. */
export type HttpLambdaHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<LambdaHttpResult | string>;

/** A running endpoint. */
export interface BotEndpoint {
  /** `http://127.0.0.1:PORT/slack/events`: the request URL to sign requests for. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Options of {@link startBotEndpoint}. */
export interface BotEndpointOptions {
  handler: HttpLambdaHandler;
  /** Port on 127.0.0.1; a free one when 0 or absent. */
  port?: number;
  /** The function's timeout, for `getRemainingTimeInMillis` (the stack gives the Slack function 10 s). */
  timeoutMs?: number;
  /** Told about handler failures (the endpoint answers 500, as API Gateway does). */
  onError?: (error: unknown) => void;
}

const MAX_BODY_BYTES = 1_000_000;
/** API Gateway passes these content types as text; everything else arrives base64-encoded. */
const TEXT_TYPES = /^(?:text\/|application\/(?:json|xml|javascript)|[^;]*\+json)/i;

function headerMap(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  return out;
}

/** The API Gateway v2 event for one request, as the HTTP API builds it. */
export function toApiGatewayEvent(
  request: { method: string; url: string; headers: IncomingHttpHeaders; sourceIp: string },
  body: Buffer,
  now: Date = new Date(),
): APIGatewayProxyEventV2 {
  const url = new URL(request.url, 'http://localhost');
  const headers = headerMap(request.headers);
  const contentType = headers['content-type'] ?? '';
  const isText = body.length === 0 || TEXT_TYPES.test(contentType);
  const query = Object.fromEntries(url.searchParams);
  return {
    version: '2.0',
    routeKey: `POST ${SLACK_EVENTS_PATH}`,
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method: request.method,
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: request.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: `POST ${SLACK_EVENTS_PATH}`,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length === 0 ? {} : { body: isText ? body.toString('utf8') : body.toString('base64') }),
    isBase64Encoded: !isText,
  };
}

/** A Lambda context for one local invocation. */
function lambdaContext(timeoutMs: number): Context {
  const started = Date.now();
  const requestId = randomUUID();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'iam-changes-local-slack',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:iam-changes-local-slack',
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: '/aws/lambda/iam-changes-local-slack',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, timeoutMs - (Date.now() - started)),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function send(
  response: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(body);
}

/** Starts the endpoint on 127.0.0.1 and routes `POST /slack/events` to the handler. */
export async function startBotEndpoint(options: BotEndpointOptions): Promise<BotEndpoint> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (request.method !== 'POST' || path !== SLACK_EVENTS_PATH) {
      send(response, 404, JSON.stringify({ message: 'Not Found' }));
      return;
    }
    const body = await readBody(request);
    if (body === undefined) {
      send(response, 413, JSON.stringify({ message: 'Request Entity Too Large' }));
      return;
    }
    const event = toApiGatewayEvent(
      {
        method: request.method,
        url: request.url ?? '/',
        headers: request.headers,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
      },
      body,
    );
    let result: LambdaHttpResult | string;
    try {
      result = await options.handler(event, lambdaContext(timeoutMs));
    } catch (error: unknown) {
      options.onError?.(error);
      send(response, 500, JSON.stringify({ message: 'Internal Server Error' }));
      return;
    }
    // A bare string (or an object without statusCode) is a 200 with that body, as API Gateway v2 reads it.
    if (typeof result === 'string') {
      send(response, 200, result);
      return;
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(result.headers ?? {}))
      headers[name.toLowerCase()] = String(value);
    const text = result.body ?? '';
    response.writeHead(result.statusCode ?? 200, { 'content-type': 'application/json', ...headers });
    response.end(result.isBase64Encoded ? Buffer.from(text, 'base64') : text);
  };
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      options.onError?.(error);
      if (!response.headersSent) send(response, 500, JSON.stringify({ message: 'Internal Server Error' }));
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
  return {
    url: `http://127.0.0.1:${port}${SLACK_EVENTS_PATH}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
