/**
 * Attacks on the Slack function's HTTP edge, through the real handler (Bolt's AwsLambdaReceiver behind the
 * request guard; the store on dynalite, Slack on the local server): huge unsigned bodies, signatures dated in
 * the future or the past. Each is refused before any listener runs, and reaches no Slack API.
 */
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler } from '../../src/handlers/slack';
import { handlerEnv } from '../support/lambda-env';
import {
  ALICE,
  type Components,
  type Harness,
  responderHarness,
  startComponents,
} from '../support/responder-harness';
import { apiGatewayRequest, signedSlackRequest } from '../support/slack-requests';

const SECRET = 'edge-signing-secret-0123456789';
const context = { getRemainingTimeInMillis: () => 10_000 } as Context;
let components: Components;
let h: Harness;
const saved = { ...process.env };

beforeAll(async () => {
  components = await startComponents();
  h = await responderHarness(components);
  Object.assign(
    process.env,
    handlerEnv(components, h.tableName, {
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_RESPONDERS: ALICE,
      JOBS_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:iam-changes-jobs-edge',
    }),
  );
  // Built (and the secret read) before anything is measured.
  await handler(signedSlackRequest(helpCommand(), SECRET), context);
});

afterAll(async () => {
  process.env = saved;
  await components?.stop();
});

function helpCommand(): string {
  return new URLSearchParams({
    command: '/iam-changes',
    text: 'help',
    user_id: ALICE,
    user_name: 'alice',
    channel_id: 'C0ALERTS',
    response_url: components.slack.responseUrl('edge'),
    trigger_id: 'trigger',
  }).toString();
}

describe('the Slack edge', () => {
  it('refuses a 10 MB unsigned body with 413, judged from its length before any signature check', async () => {
    const body = `payload=${'A'.repeat(10 * 1024 * 1024)}`;
    const event = apiGatewayRequest(body, {});
    const calls = components.slack.calls.length;

    const response = await handler(event, context);

    // 413, not the 401 an unsigned request of allowed size gets: the size was judged first.
    expect(response.statusCode).toBe(413);
    expect(components.slack.calls.length).toBe(calls);
  });

  it('refuses a 10 MB body that claims a signature with 413 too', async () => {
    const body = `payload=${'A'.repeat(10 * 1024 * 1024)}`;
    const at = Math.floor(Date.now() / 1000);
    const event = apiGatewayRequest(body, {
      'x-slack-request-timestamp': String(at),
      'x-slack-signature': `v0=${'0'.repeat(64)}`,
    });

    expect((await handler(event, context)).statusCode).toBe(413);
  });

  it.each([
    ['six minutes in the future', 6 * 60, 401],
    ['an hour in the future', 3600, 401],
    ['six minutes ago', -6 * 60, 401],
    ['four minutes in the future', 4 * 60, 200],
    ['four minutes ago', -4 * 60, 200],
  ])('a correctly signed request dated %s: %i', async (_name, offset, status) => {
    const calls = components.slack.calls.length;
    const at = Math.floor(Date.now() / 1000) + offset;

    const response = await handler(signedSlackRequest(helpCommand(), SECRET, at), context);

    expect(response.statusCode).toBe(status);
    if (status === 401) expect(components.slack.calls.length).toBe(calls);
  });

  it('refuses a request signed with another secret, or with its body changed after signing', async () => {
    const forged = signedSlackRequest(helpCommand(), 'not-the-secret');
    const tampered = signedSlackRequest(helpCommand(), SECRET);
    tampered.body = Buffer.from(helpCommand().replace('help', 'status')).toString('base64');

    expect((await handler(forged, context)).statusCode).toBe(401);
    expect((await handler(tampered, context)).statusCode).toBe(401);
  });
});
