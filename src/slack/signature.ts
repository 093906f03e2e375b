/**
 * Slack's request signature (`X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:<timestamp>:<raw body>">`, keyed
 * with the app's signing secret), checked by the Slack function before Bolt reads a byte of the body and again by
 * the worker on the interaction a job carries.
 *
 * Written here rather than taken from Bolt: Bolt's `verifySlackRequest` refuses only timestamps in the past, so a
 * request dated an hour ahead (a signature captured or minted for later) passes it. This check refuses a timestamp
 * more than the tolerance away from now in either direction, and compares in constant time.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Slack's own replay window: five minutes either side of now. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/** A request exactly as Slack signed it. */
export interface SignedSlackRequest {
  /** The raw body, byte for byte as received (form-encoded). */
  body: string;
  /** `X-Slack-Request-Timestamp`: epoch seconds, as text. */
  timestamp: string;
  /** `X-Slack-Signature`: `v0=` and 64 hex digits. */
  signature: string;
}

/** Why a signed request was refused, in one line. */
export type SignatureProblem =
  | 'missing signature headers'
  | 'malformed timestamp'
  | 'timestamp too old'
  | 'timestamp in the future'
  | 'malformed signature'
  | 'signature mismatch';

/** The result of {@link checkSlackSignature}: `ok`, or the problem and nothing else. */
export type SignatureCheck =
  | { ok: true; timestampSeconds: number }
  | { ok: false; problem: SignatureProblem };

const SIGNATURE = /^v0=[0-9a-f]{64}$/;
const TIMESTAMP = /^[0-9]{1,12}$/;

/** `v0=` and the hex HMAC-SHA256 of `v0:<timestamp>:<body>` with `signingSecret`: what Slack sends. */
export function signSlackRequest(signingSecret: string, timestamp: string, body: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

/**
 * Checks a request's signature and that its timestamp is within `toleranceSeconds` of `now` (either way). The
 * worker passes a wider tolerance for the past (a job may wait in the topic's retries), never for the future.
 */
export function checkSlackSignature(
  request: Partial<SignedSlackRequest>,
  signingSecret: string,
  now: Date,
  tolerance: { pastSeconds?: number; futureSeconds?: number } = {},
): SignatureCheck {
  const { body, timestamp, signature } = request;
  if (body === undefined || !timestamp || !signature)
    return { ok: false, problem: 'missing signature headers' };
  if (!TIMESTAMP.test(timestamp)) return { ok: false, problem: 'malformed timestamp' };
  const timestampSeconds = Number(timestamp);
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const past = tolerance.pastSeconds ?? SIGNATURE_TOLERANCE_SECONDS;
  const future = tolerance.futureSeconds ?? SIGNATURE_TOLERANCE_SECONDS;
  if (timestampSeconds < nowSeconds - past) return { ok: false, problem: 'timestamp too old' };
  if (timestampSeconds > nowSeconds + future) return { ok: false, problem: 'timestamp in the future' };
  if (!SIGNATURE.test(signature)) return { ok: false, problem: 'malformed signature' };
  const expected = Buffer.from(signSlackRequest(signingSecret, timestamp, body));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return { ok: false, problem: 'signature mismatch' };
  }
  return { ok: true, timestampSeconds };
}
