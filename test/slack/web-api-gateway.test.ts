import { WebAPIHTTPError } from '@slack/web-api';
import { afterEach, describe, expect, it } from 'vitest';
import { ChannelPacer } from '../../src/slack/channel-pacer';
import {
  createSlackClient,
  type SlackClientOptions,
  SlackDeliveryError,
  WebApiSlackGateway,
} from '../../src/slack/web-api-gateway';
import {
  type LocalSlack,
  type LocalSlackOptions,
  PERMALINK_ORIGIN,
  startSlackServer,
} from '../support/slack-server';

const TOKEN = 'xoxb-local-test-token';

const alertBlocks = [
  { type: 'header', text: { type: 'plain_text', text: 'AttachRolePolicy on role/ci-runner' } },
  {
    type: 'section',
    text: { type: 'mrkdwn', text: '*Risk:* critical — `AdministratorAccess` &lt;attached&gt; by alice ✓' },
    fields: [
      { type: 'mrkdwn', text: '*Account*\n111122223333' },
      { type: 'mrkdwn', text: '*When*\n<!date^1763647200^{date_short_pretty} {time}|2025-11-20 14:00 UTC>' },
    ],
  },
  {
    type: 'actions',
    elements: [
      {
        type: 'button',
        action_id: 'ack',
        text: { type: 'plain_text', text: 'Acknowledge' },
        value: '{"id":"e-1"}',
      },
      { type: 'button', action_id: 'revert', style: 'danger', text: { type: 'plain_text', text: 'Revert' } },
    ],
  },
];

const servers: LocalSlack[] = [];

async function start(options: LocalSlackOptions = {}): Promise<LocalSlack> {
  const server = await startSlackServer(options);
  servers.push(server);
  return server;
}

/** A gateway with short backoff so retry tests stay quick; the defaults are tested separately. */
function gatewayFor(
  server: LocalSlack,
  options: Partial<SlackClientOptions> = {},
  pacer?: ChannelPacer,
): WebApiSlackGateway {
  const client = createSlackClient({
    token: TOKEN,
    slackApiUrl: server.url,
    minRetryDelayMs: 20,
    maxRetryDelayMs: 50,
    ...options,
  });
  return new WebApiSlackGateway(client, pacer === undefined ? {} : { pacer });
}

async function rejection(promise: Promise<unknown>): Promise<SlackDeliveryError> {
  try {
    await promise;
  } catch (error: unknown) {
    if (error instanceof SlackDeliveryError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

describe('WebApiSlackGateway', () => {
  it('posts a message and returns where it went', async () => {
    const server = await start();
    const gateway = gatewayFor(server);

    const ref = await gateway.postMessage({
      channel: 'C0ALERTS',
      text: 'AttachRolePolicy on role/ci-runner',
    });

    expect(server.messages).toHaveLength(1);
    expect(ref).toEqual({ channel: 'C0ALERTS', ts: server.messages[0]?.ts });
    expect(server.topLevel('C0ALERTS')[0]?.text).toBe('AttachRolePolicy on role/ci-runner');
    const [call] = server.callsTo('chat.postMessage');
    expect(call?.body).toMatchObject({ unfurl_links: 'false', unfurl_media: 'false' });
  });

  it('posts a reply in the thread it is given and returns that thread', async () => {
    const server = await start();
    const gateway = gatewayFor(server);
    const parent = await gateway.postMessage({ channel: 'C0ALERTS', text: 'burst: 3 changes' });

    const reply = await gateway.postMessage({ channel: 'C0ALERTS', text: 'change 2', threadTs: parent.ts });

    expect(reply.threadTs).toBe(parent.ts);
    expect(reply.ts).not.toBe(parent.ts);
    expect(server.thread(parent.ts).map((m) => m.text)).toEqual(['change 2']);
    expect(server.topLevel('C0ALERTS')).toHaveLength(1);
  });

  it('delivers blocks as the same JSON structure', async () => {
    const server = await start();
    const gateway = gatewayFor(server);

    await gateway.postMessage({ channel: 'C0ALERTS', text: 'fallback', blocks: alertBlocks });

    expect(server.messages[0]?.blocks).toEqual(alertBlocks);
  });

  it('retries after a 500 and stores exactly one message', async () => {
    const server = await start();
    const gateway = gatewayFor(server);
    server.failNext('chat.postMessage', { status: 500 });

    const ref = await gateway.postMessage({ channel: 'C0ALERTS', text: 'after a hiccup' });

    expect(server.callsTo('chat.postMessage').map((c) => c.status)).toEqual([500, 200]);
    expect(server.messages).toHaveLength(1);
    expect(ref.ts).toBe(server.messages[0]?.ts);
  });

  it('waits out a 429 for its Retry-After before retrying', async () => {
    const server = await start();
    const gateway = gatewayFor(server);
    server.failNext('chat.postMessage', { status: 429, retryAfter: 1 });
    const started = performance.now();

    await gateway.postMessage({ channel: 'C0ALERTS', text: 'rate limited once' });

    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
    expect(server.callsTo('chat.postMessage').map((c) => c.status)).toEqual([429, 200]);
    expect(server.messages).toHaveLength(1);
  });

  it('reports ratelimited when every retry is rate limited', async () => {
    const server = await start();
    const gateway = gatewayFor(server, { retries: 1 });
    server.failNext('chat.postMessage', { status: 429, retryAfter: 0 }, 2);

    const error = await rejection(gateway.postMessage({ channel: 'C0ALERTS', text: 'never' }));

    expect(error.code).toBe('ratelimited');
    expect(error.status).toBe(429);
    expect(server.messages).toHaveLength(0);
  });

  it('gives up with a SlackDeliveryError after the default bounded retries when Slack is down', async () => {
    const server = await start();
    const gateway = new WebApiSlackGateway(createSlackClient({ token: TOKEN, slackApiUrl: server.url }));
    server.down();

    const error = await rejection(gateway.postMessage({ channel: 'C0ALERTS', text: 'nobody home' }));

    expect(error).toBeInstanceOf(SlackDeliveryError);
    expect(error.name).toBe('SlackDeliveryError');
    expect(error.method).toBe('chat.postMessage');
    expect(error.status).toBe(503);
    expect(error.cause).toBeInstanceOf(WebAPIHTTPError);
    expect(server.callsTo('chat.postMessage')).toHaveLength(3);
    expect(server.messages).toHaveLength(0);

    server.up();
    await expect(gateway.postMessage({ channel: 'C0ALERTS', text: 'back' })).resolves.toMatchObject({
      channel: 'C0ALERTS',
    });
  });

  it('reports channel_not_found with its code and does not retry it', async () => {
    const server = await start();
    const gateway = gatewayFor(server);

    const error = await rejection(gateway.postMessage({ channel: '', text: 'to nowhere' }));

    expect(error.code).toBe('channel_not_found');
    expect(error.message).toContain('channel_not_found');
    expect(server.callsTo('chat.postMessage')).toHaveLength(1);
  });

  it('reports the error code Slack answers with ok: false', async () => {
    const server = await start();
    const gateway = gatewayFor(server);
    server.failNext('chat.postMessage', { ok: false, error: 'is_archived' });

    const error = await rejection(gateway.postMessage({ channel: 'C0OLD', text: 'archived' }));

    expect(error.code).toBe('is_archived');
    await expect(gateway.postMessage({ channel: 'C0ALERTS', text: 'next one' })).resolves.toBeDefined();
  });

  it('reports not_authed when the token is not a bot token', async () => {
    const server = await start();
    const client = createSlackClient({ token: 'xoxp-user-token', slackApiUrl: server.url });

    const error = await rejection(
      new WebApiSlackGateway(client).postMessage({ channel: 'C0ALERTS', text: 'hi' }),
    );

    expect(error.code).toBe('not_authed');
    expect(server.messages).toHaveLength(0);
  });

  it('updates the stored message in place', async () => {
    const server = await start();
    const gateway = gatewayFor(server);
    const ref = await gateway.postMessage({
      channel: 'C0ALERTS',
      text: 'burst: 1 change',
      blocks: alertBlocks,
    });
    const newBlocks = [{ type: 'section', text: { type: 'mrkdwn', text: 'burst: *12* changes' } }];

    await gateway.updateMessage(ref, { text: 'burst: 12 changes', blocks: newBlocks });

    expect(server.messages).toHaveLength(1);
    expect(server.messages[0]).toMatchObject({
      ts: ref.ts,
      text: 'burst: 12 changes',
      blocks: newBlocks,
      updates: 1,
    });
  });

  it('reports message_not_found when updating a message Slack does not have', async () => {
    const server = await start();
    const gateway = gatewayFor(server);

    const error = await rejection(
      gateway.updateMessage({ channel: 'C0ALERTS', ts: '1.000001' }, { text: 'x' }),
    );

    expect(error.method).toBe('chat.update');
    expect(error.code).toBe('message_not_found');
  });

  it('returns the permalink of a message', async () => {
    const server = await start();
    const gateway = gatewayFor(server);
    const ref = await gateway.postMessage({ channel: 'C0ALERTS', text: 'link me' });

    const permalink = await gateway.permalink(ref);

    expect(permalink).toBe(`${PERMALINK_ORIGIN}/archives/C0ALERTS/p${ref.ts.replace('.', '')}`);
  });

  it('returns no permalink for a message Slack does not have', async () => {
    const server = await start();
    const gateway = gatewayFor(server);

    await expect(
      gateway.permalink({ channel: 'C0ALERTS', ts: '1732100000.999900' }),
    ).resolves.toBeUndefined();
  });

  it('still throws for other permalink failures', async () => {
    const server = await start();
    const gateway = gatewayFor(server);
    server.failNext('chat.getPermalink', { ok: false, error: 'channel_not_found' });

    const error = await rejection(gateway.permalink({ channel: 'C0GONE', ts: '1732100000.000100' }));

    expect(error.code).toBe('channel_not_found');
  });

  it('spaces posts to one channel with a pacer without delaying other channels', async () => {
    const server = await start();
    // The pacer's clock is a fake one: what it makes each post wait is asserted, not how long the test took.
    const waits: Array<{ at: number; ms: number }> = [];
    const clock = { now: 0 };
    const pacer = new ChannelPacer({
      intervalMs: 300,
      now: () => clock.now,
      sleep: async (ms) => {
        waits.push({ at: clock.now, ms });
      },
    });
    const gateway = gatewayFor(server, {}, pacer);

    await Promise.all([
      gateway.postMessage({ channel: 'C0ALERTS', text: '1' }),
      gateway.postMessage({ channel: 'C0ALERTS', text: '2' }),
      gateway.postMessage({ channel: 'C0ALERTS', text: '3' }),
      gateway.postMessage({ channel: 'C0OTHER', text: 'elsewhere' }),
    ]);

    // The second and third posts to C0ALERTS wait one and two intervals; the post to C0OTHER waits for nothing.
    expect(waits.map((wait) => wait.ms)).toEqual([300, 600]);
    expect(pacer.delayFor('C0OTHER')).toBe(300);
    // The fake sleep returns at once, so the three requests may reach Slack in any order; each arrives once.
    expect(
      server
        .topLevel('C0ALERTS')
        .map((m) => m.text)
        .sort(),
    ).toEqual(['1', '2', '3']);
    expect(server.topLevel('C0OTHER').map((m) => m.text)).toEqual(['elsewhere']);
  });

  it('stays under a per-channel rate limit when paced, where unpaced posts hit 429', async () => {
    const posts = (gateway: WebApiSlackGateway) =>
      Promise.all(['a', 'b', 'c'].map((text) => gateway.postMessage({ channel: 'C0ALERTS', text })));

    const unpaced = await start({ rateLimit: { perChannelPerSecond: 2 } });
    await posts(gatewayFor(unpaced));
    expect(unpaced.callsTo('chat.postMessage').some((c) => c.status === 429)).toBe(true);
    expect(unpaced.messages).toHaveLength(3);

    const paced = await start({ rateLimit: { perChannelPerSecond: 2 } });
    await posts(gatewayFor(paced, {}, new ChannelPacer({ intervalMs: 600 })));
    expect(paced.callsTo('chat.postMessage').map((c) => c.status)).toEqual([200, 200, 200]);
    expect(paced.messages).toHaveLength(3);
  });
});

describe('WebApiSlackGateway: the responder calls', () => {
  function interactive(server: LocalSlack, options: Partial<SlackClientOptions> = {}): WebApiSlackGateway {
    return new WebApiSlackGateway(
      createSlackClient({
        token: TOKEN,
        slackApiUrl: server.url,
        minRetryDelayMs: 20,
        maxRetryDelayMs: 50,
        ...options,
      }),
      { responseUrlOrigins: [new URL(server.url).origin] },
    );
  }

  const modal = (text: string) => ({
    type: 'modal',
    title: { type: 'plain_text', text: 'Test' },
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }],
  });

  it('opens a modal and updates it by view id, refusing a stale hash', async () => {
    const server = await start();
    const gateway = interactive(server);

    const opened = await gateway.openView('trigger-1', modal('loading'));
    const updated = await gateway.updateView(opened.viewId, modal('done'), opened.hash);
    const stale = await rejection(gateway.updateView(opened.viewId, modal('again'), opened.hash));

    expect(updated.viewId).toBe(opened.viewId);
    expect(updated.hash).not.toBe(opened.hash);
    expect(server.views[0]?.view.blocks).toEqual(modal('done').blocks);
    expect(stale.code).toBe('hash_conflict');
  });

  it('posts an ephemeral message, in a thread when asked', async () => {
    const server = await start();
    await interactive(server).postEphemeral({
      channel: 'C0ALERTS',
      user: 'U0ALICE',
      text: 'only you',
      threadTs: '1.1',
    });
    expect(server.ephemerals).toEqual([
      expect.objectContaining({ channel: 'C0ALERTS', user: 'U0ALICE', text: 'only you', threadTs: '1.1' }),
    ]);
  });

  it('lists a user group, and says when Slack does not know it', async () => {
    const server = await start({ userGroups: { S0SECOPS: ['U0BOB', 'U0CAROL'] } });
    const gateway = interactive(server);
    expect(await gateway.userGroupMembers('S0SECOPS')).toEqual(['U0BOB', 'U0CAROL']);
    expect((await rejection(gateway.userGroupMembers('S0NOPE'))).code).toBe('no_such_subteam');
  });

  it('names a user by display name, remembering it, and falls back to the id', async () => {
    const server = await start({ users: { U0ALICE: { name: 'alice', realName: 'Alice Admin' } } });
    const gateway = interactive(server);

    expect(await gateway.userName('U0ALICE')).toBe('alice');
    expect(await gateway.userName('U0ALICE')).toBe('alice');
    expect(server.callsTo('users.info')).toHaveLength(1);
    expect((await rejection(gateway.userName('U0NOBODY'))).code).toBe('user_not_found');
  });

  it('posts JSON to a response_url of its own Slack', async () => {
    const server = await start();
    await interactive(server).respond(server.responseUrl('cmd-1'), {
      response_type: 'in_channel',
      text: 'answer',
      replace_original: false,
    });
    expect(server.responsesTo('cmd-1')).toEqual([
      { response_type: 'in_channel', text: 'answer', replace_original: false },
    ]);
  });

  it('never posts to a response_url that is not Slack’s', async () => {
    const server = await start();
    const gateway = interactive(server);
    for (const url of ['https://attacker.example/hook', 'http://hooks.slack.com/commands/1', 'not a url']) {
      const failure = await rejection(gateway.respond(url, { text: 'x' }));
      expect(failure.method).toBe('response_url');
    }
    expect(server.responses).toEqual([]);
  });
});
