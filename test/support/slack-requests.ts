/**
 * Requests as Slack sends them to the bot's HTTP API: API Gateway HTTP API (payload v2) events, the form body
 * base64-encoded as HTTP APIs deliver it, signed with the app's signing secret.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { signSlackRequest } from '../../src/slack/signature';

/** Slack's request signature: HMAC-SHA256 of `v0:<timestamp>:<body>` with the app's signing secret. */
export function slackSignature(body: string, timestamp: number, secret: string): string {
  return signSlackRequest(secret, String(timestamp), body);
}

/** An API Gateway HTTP API (payload v2) request carrying `body`, with `headers` beside the form content type. */
export function apiGatewayRequest(
  body: string,
  headers: Record<string, string>,
  accountId = '123456789012',
): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'POST /slack/events',
    rawPath: '/slack/events',
    rawQueryString: '',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    requestContext: {
      accountId,
      apiId: 'api',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: {
        method: 'POST',
        path: '/slack/events',
        protocol: 'HTTP/1.1',
        sourceIp: '3.1.2.3',
        userAgent: 'Slackbot 1.0',
      },
      requestId: 'r',
      routeKey: 'POST /slack/events',
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
    body: Buffer.from(body).toString('base64'),
    isBase64Encoded: true,
  };
}

/** A request Slack signed with `secret` at `at` (seconds; now unless given). */
export function signedSlackRequest(
  body: string,
  secret: string,
  at = Math.floor(Date.now() / 1000),
): APIGatewayProxyEventV2 {
  return apiGatewayRequest(body, {
    'x-slack-request-timestamp': String(at),
    'x-slack-signature': slackSignature(body, at, secret),
  });
}
