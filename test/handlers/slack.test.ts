import { ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJob } from '../../src/app/jobs';
import { handler } from '../../src/handlers/slack';
import { ACTION_IDS, VIEW_IDS } from '../../src/slack/action-ids';
import { handlerEnv } from '../support/lambda-env';
import {
  ACCOUNT,
  ALICE,
  CAROL,
  CHANNEL,
  type Components,
  type Harness,
  recordOf,
  responderHarness,
  startComponents,
  textOf,
} from '../support/responder-harness';
import { slackFunctionAws } from '../support/slack-function-aws';
import { apiGatewayRequest, signedSlackRequest, slackSignature } from '../support/slack-requests';

const SECRET = 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6';
const context = { getRemainingTimeInMillis: () => 10_000 } as Context;

let components: Components;
let h: Harness;
let sqs: SQSClient;
let queueUrl: string;
const saved = { ...process.env };

beforeAll(async () => {
  components = await startComponents();
  h = await responderHarness(components);
  const jobs = await slackFunctionAws(components.moto.endpoint, {
    stage: 'test',
    secret: SECRET,
    queueName: 'jobs-tap',
  });
  ({ sqs, queueUrl } = jobs);
  Object.assign(
    process.env,
    handlerEnv(components, h.tableName, {
      SLACK_SIGNING_SECRET_PARAMETER: '/iam-changes/test/slack-signing-secret',
      SLACK_RESPONDERS: `${ALICE},S0SECOPS`,
      JOBS_TOPIC_ARN: jobs.topicArn,
    }),
  );
  // The store has known changes for a few days: a 24-hour query is answered from it.
  const old = recordOf('DetachRolePolicy', {
    roleName: 'long-ago',
    policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
  });
  old.eventTime = new Date(Date.now() - 3 * 86_400_000).toISOString();
  await h.storeChange(old, { post: false });
});

afterAll(async () => {
  process.env = saved;
  sqs?.destroy();
  await components?.stop();
});

function sign(body: string, timestamp: number, secret = SECRET): string {
  return slackSignature(body, timestamp, secret);
}

function request(body: string, headers: Record<string, string>): APIGatewayProxyEventV2 {
  return apiGatewayRequest(body, headers, ACCOUNT);
}

/** A request signed as Slack signs it (now, unless `at` says otherwise). */
function signed(body: string, at = Math.floor(Date.now() / 1000), secret = SECRET): APIGatewayProxyEventV2 {
  return signedSlackRequest(body, secret, at);
}

function interaction(payload: unknown): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

function buttonClick(actionId: string, eventId: string, user: string, messageTs: string) {
  return interaction({
    type: 'block_actions',
    team: { id: 'T0LOCAL', domain: 'local-slack' },
    user: { id: user, username: user.toLowerCase(), team_id: 'T0LOCAL' },
    api_app_id: 'A0BOT',
    token: 'legacy',
    trigger_id: `trigger-${Date.now()}`,
    container: { type: 'message', message_ts: messageTs, channel_id: CHANNEL, is_ephemeral: false },
    channel: { id: CHANNEL, name: 'iam-changes' },
    message: { type: 'message', ts: messageTs, text: 'alert' },
    response_url: components.slack.responseUrl(`click-${Date.now()}`),
    actions: [{ type: 'button', action_id: actionId, block_id: 'b', value: eventId, action_ts: '1' }],
  });
}

async function jobsPublished() {
  const received = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
  );
  return (received.Messages ?? []).map((message) => parseJob(message.Body ?? ''));
}

describe('slack handler', () => {
  it('acknowledges a signed button click: 200, the alert updated in place, the acknowledgement stored', async () => {
    const change = await h.storeChange(
      recordOf('AttachRolePolicy', {
        roleName: 'signed',
        policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
      }),
    );
    const ts = (await h.stored(change.eventId)).slack?.ts ?? '';

    const response = await handler(
      signed(buttonClick(ACTION_IDS.ACKNOWLEDGE, change.eventId, CAROL, ts)),
      context,
    );

    expect(response.statusCode).toBe(200);
    expect((await h.stored(change.eventId)).acknowledgement?.by).toEqual({
      slackUserId: CAROL,
      name: 'carol',
    });
    const message = components.slack.messages.find((m) => m.ts === ts);
    expect(message?.updates).toBe(1);
    expect(textOf(message?.blocks)).toContain(`Acknowledged* by <@${CAROL}>`);
  });

  it('opens the loading confirmation for a responder and publishes the job to the jobs topic', async () => {
    const change = await h.storeChange(
      recordOf('AttachRolePolicy', {
        roleName: 'to-revert',
        policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
      }),
    );
    const ts = (await h.stored(change.eventId)).slack?.ts ?? '';

    const request = signed(buttonClick(ACTION_IDS.REVERT, change.eventId, ALICE, ts));
    const response = await handler(request, context);

    expect(response.statusCode).toBe(200);
    const view = components.slack.views.at(-1);
    expect(view?.view.callback_id).toBe(VIEW_IDS.REVERT_CONFIRM);
    expect(await jobsPublished()).toEqual([
      {
        kind: 'prepare-confirmation',
        action: 'revert',
        eventId: change.eventId,
        viewId: view?.id,
        by: { slackUserId: ALICE, name: 'alice' },
        alert: { channel: CHANNEL, ts },
        // The click exactly as Slack signed it: the worker verifies it again before preparing anything.
        origin: {
          body: Buffer.from(request.body ?? '', 'base64').toString('utf8'),
          timestamp: request.headers['x-slack-request-timestamp'],
          signature: request.headers['x-slack-signature'],
        },
      },
    ]);
  });

  it('answers a blank reason in the response body, keeping the modal open', async () => {
    const body = interaction({
      type: 'view_submission',
      team: { id: 'T0LOCAL', domain: 'local-slack' },
      user: { id: ALICE, username: 'alice', team_id: 'T0LOCAL' },
      api_app_id: 'A0BOT',
      token: 'legacy',
      trigger_id: 't',
      view: {
        id: 'V1',
        type: 'modal',
        callback_id: VIEW_IDS.REVERT_CONFIRM,
        private_metadata: JSON.stringify({ eventId: 'e-1', channel: CHANNEL, ts: '1.1' }),
        state: { values: { reason: { 'change.reason': { type: 'plain_text_input', value: '  ' } } } },
        hash: 'h',
      },
    });

    const response = await handler(signed(body), context);

    expect(response.statusCode).toBe(200);
    expect(JSON.parse(String(response.body))).toEqual({
      response_action: 'errors',
      errors: { reason: expect.stringMatching(/Give a reason/) },
    });
  });

  it('answers a signed /iam-changes through response_url', async () => {
    await h.storeChange(
      recordOf('AttachRolePolicy', {
        roleName: 'queried-role',
        policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
      }),
    );
    const body = new URLSearchParams({
      token: 'legacy',
      team_id: 'T0LOCAL',
      team_domain: 'local-slack',
      channel_id: CHANNEL,
      channel_name: 'iam-changes',
      user_id: CAROL,
      user_name: 'carol',
      command: '/iam-changes',
      text: '24h on role/queried-role',
      api_app_id: 'A0BOT',
      response_url: components.slack.responseUrl('signed-command'),
      trigger_id: 't',
    }).toString();

    const response = await handler(signed(body), context);

    expect(response.statusCode).toBe(200);
    const [answer] = components.slack.responsesTo('signed-command');
    expect(textOf(answer?.blocks)).toContain('queried-role');
  });

  it.each([
    ['unsigned', (body: string) => request(body, {})],
    [
      'forged',
      (body: string) => signed(body, Math.floor(Date.now() / 1000), 'not-the-secret-at-all-0000000000'),
    ],
    [
      'stale (more than 5 minutes old)',
      (body: string) => signed(body, Math.floor(Date.now() / 1000) - 6 * 60),
    ],
    [
      'signed for another body',
      (body: string) => {
        const at = Math.floor(Date.now() / 1000);
        return request(body, {
          'x-slack-request-timestamp': String(at),
          'x-slack-signature': sign(`${body}x`, at),
        });
      },
    ],
  ])('refuses a %s request with 401 and changes nothing', async (_name, build) => {
    const change = await h.storeChange(
      recordOf('AttachRolePolicy', {
        roleName: 'untouched',
        policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
      }),
    );
    const ts = (await h.stored(change.eventId)).slack?.ts ?? '';
    const calls = components.slack.calls.length;

    const response = await handler(
      build(buttonClick(ACTION_IDS.ACKNOWLEDGE, change.eventId, CAROL, ts)),
      context,
    );

    expect(response.statusCode).toBe(401);
    expect((await h.stored(change.eventId)).acknowledgement).toBeUndefined();
    expect(components.slack.calls.length).toBe(calls);
  });

  it('refuses a signed request it cannot read with 400, before any listener', async () => {
    const calls = components.slack.calls.length;
    const event = signed('{not json');
    event.headers['content-type'] = 'application/json';

    const response = await handler(event, context);

    expect(response.statusCode).toBe(400);
    expect(components.slack.calls.length).toBe(calls);
  });

  it('refuses an unsigned request with 401 without reading it', async () => {
    const calls = components.slack.calls.length;
    const event = request('{not json', {});
    event.headers['content-type'] = 'application/json';

    const response = await handler(event, context);

    expect(response.statusCode).toBe(401);
    expect(components.slack.calls.length).toBe(calls);
  });
});
