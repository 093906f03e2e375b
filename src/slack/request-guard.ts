/**
 * The Slack function's front door, before Bolt reads a byte: a body over the cap is a 413 (judged from its
 * length, never decoded), a request without Slack's headers or with a bad or out-of-window signature is a 401.
 * Bolt parses the body before it checks the signature, so without this an unsigned 10 MB body costs seconds of
 * CPU per request.
 */
import type { JobOrigin } from '../app/jobs';
import { checkSlackSignature, SIGNATURE_TOLERANCE_SECONDS } from './signature';

/**
 * The largest body accepted, in bytes. Slack's largest requests are modal submissions (a view of up to 100
 * blocks); the bot's own modals stay far below this, and a job carrying a body must fit SNS's 256 KiB message.
 */
export const MAX_SLACK_BODY_BYTES = 200 * 1024;

/** The parts of an API Gateway HTTP API (payload v2) request the guard reads. */
export interface GuardedEvent {
  body?: string | null;
  isBase64Encoded?: boolean;
  headers?: Record<string, string | undefined> | null;
}

/** The guard's answer: the request as Slack signed it, or the status to answer and why. */
export type GuardResult =
  | { ok: true; request: JobOrigin }
  | { ok: false; statusCode: 401 | 413; reason: string };

/** Options of {@link guardSlackRequest}. */
export interface GuardOptions {
  signingSecret: string;
  now: Date;
  /** {@link MAX_SLACK_BODY_BYTES} unless set. */
  maxBodyBytes?: number;
}

function header(headers: GuardedEvent['headers'], name: string): string | undefined {
  if (!headers) return undefined;
  const direct = headers[name];
  if (direct !== undefined) return direct;
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}

/** The decoded size of a body, from its length alone (base64: three bytes for every four characters). */
function bodyBytes(body: string, base64: boolean): number {
  return base64 ? Math.floor((body.length * 3) / 4) : body.length;
}

/**
 * The request as Slack signed it — the raw body (decoded from base64 when API Gateway encoded it) and the
 * signature headers, whatever their case — or `undefined` when a part is missing. Checks nothing.
 */
export function readSignedRequest(event: GuardedEvent): JobOrigin | undefined {
  const timestamp = header(event.headers, 'x-slack-request-timestamp');
  const signature = header(event.headers, 'x-slack-signature');
  if (typeof event.body !== 'string' || !timestamp || !signature) return undefined;
  const body =
    event.isBase64Encoded === true ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  return { body, timestamp, signature };
}

/**
 * Checks a request before anything parses it: its size, then Slack's signature over the raw body and a
 * timestamp within five minutes of `now` either way.
 */
export function guardSlackRequest(event: GuardedEvent, options: GuardOptions): GuardResult {
  const max = options.maxBodyBytes ?? MAX_SLACK_BODY_BYTES;
  const raw = event.body ?? '';
  const base64 = event.isBase64Encoded === true;
  // A string's length counts UTF-16 units, at most the UTF-8 bytes: the estimate never lets an oversized body by
  // unless it is mostly multi-byte text, and that one is refused once decoded.
  if (bodyBytes(raw, base64) > max) return { ok: false, statusCode: 413, reason: 'body too large' };
  const request = readSignedRequest({ ...event, body: raw });
  if (!request) return { ok: false, statusCode: 401, reason: 'missing signature headers' };
  if (Buffer.byteLength(request.body) > max) return { ok: false, statusCode: 413, reason: 'body too large' };
  const check = checkSlackSignature(request, options.signingSecret, options.now, {
    pastSeconds: SIGNATURE_TOLERANCE_SECONDS,
    futureSeconds: SIGNATURE_TOLERANCE_SECONDS,
  });
  if (!check.ok) return { ok: false, statusCode: 401, reason: check.problem };
  return { ok: true, request };
}
