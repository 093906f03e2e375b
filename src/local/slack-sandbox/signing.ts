/**
 * Slack's request signing (v0), as Slack signs every request it sends an app: `X-Slack-Request-Timestamp` is the
 * time in epoch seconds and `X-Slack-Signature` is `v0=` + hex HMAC-SHA256 of `v0:<timestamp>:<raw body>` keyed by
 * the app's signing secret. The sandbox signs with the same secret the bot verifies with, so the bot's own check
 * (Bolt's receiver) runs exactly as it does against Slack.
 */
import { signSlackRequest as signature } from '../../slack/signature';

/** The two headers of a signed request. */
export interface SlackSignatureHeaders {
  'x-slack-request-timestamp': string;
  'x-slack-signature': string;
}

/** Signs a raw request body. `timestamp` is epoch seconds (now unless given: tests pass a stale one). */
export function signSlackRequest(
  signingSecret: string,
  rawBody: string,
  timestamp: number = Math.floor(Date.now() / 1000),
): SlackSignatureHeaders {
  return {
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': signature(signingSecret, String(timestamp), rawBody),
  };
}

/** The form body Slack sends interaction payloads in: `payload=<JSON>`, URL-encoded. */
export function interactionBody(payload: unknown): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** The form body of a slash command: its fields, URL-encoded. */
export function commandBody(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}
