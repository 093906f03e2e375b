import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InProcessJobQueue } from '../../src/app/in-process-job-queue';
import { createPinnedAwsClients } from '../../src/aws/pinned-clients';
import { parseConfig } from '../../src/config';
import { type BotEndpoint, startBotEndpoint } from '../../src/local/bot-endpoint';
import { type EmbeddedStore, localCredentials, startEmbeddedStore } from '../../src/local/embedded-store';
import { type SlackSandbox, startSlackSandbox } from '../../src/local/slack-sandbox/server';
import { signSlackRequest } from '../../src/local/slack-sandbox/signing';
import { SANDBOX_USER_ID, SandboxWorkspace, TRIGGER_TTL_MS } from '../../src/local/slack-sandbox/workspace';
import { buildSlackHandler } from '../../src/runtime/slack';
import { createSlackClient } from '../../src/slack/web-api-gateway';

const BOT_TOKEN = 'xoxb-sandbox-test-token';
const SIGNING_SECRET = 'sandbox-test-signing-secret';

let sandbox: SlackSandbox;

type Answer = Record<string, unknown> & { ts?: string; channel?: string };

/** Calls a Web API method of the sandbox as the bot's WebClient does (form body, bearer token). */
async function api(method: string, params: Record<string, unknown>, token = BOT_TOKEN): Promise<Answer> {
  const client = createSlackClient({ token, slackApiUrl: sandbox.apiUrl, retries: 0 });
  return client.apiCall(method, params).then(
    (answer) => answer as unknown as Answer,
    (error: { data?: Answer }) => {
      if (error.data) return error.data;
      throw error;
    },
  );
}

/** A GET with a `Host` header of our choosing (fetch does not let one set it). */
function getWithHost(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { headers: { host } }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', reject);
    request.end();
  });
}

async function postJson(url: string, body: unknown) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('the Slack sandbox Web API', () => {
  beforeAll(async () => {
    sandbox = await startSlackSandbox({ botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET, port: 0 });
  });
  afterAll(async () => {
    await sandbox.close();
  });

  it('posts to #iam-changes and answers with the channel id and an increasing ts, as Slack does', async () => {
    const first = await api('chat.postMessage', { channel: '#iam-changes', text: 'first' });
    const second = await api('chat.postMessage', { channel: 'C0LOCAL001', text: 'second' });
    expect(first).toMatchObject({ ok: true, channel: 'C0LOCAL001' });
    expect(Number(second.ts)).toBeGreaterThan(Number(first.ts));
    const reply = await api('chat.postMessage', {
      channel: '#iam-changes',
      text: 'in thread',
      thread_ts: first.ts,
    });
    expect(reply.ok).toBe(true);
    expect(sandbox.workspace.messages.find((m) => m.ts === reply.ts)?.threadTs).toBe(first.ts);
  });

  it('refuses calls without the bot token, and methods it does not implement', async () => {
    expect(
      await api('chat.postMessage', { channel: '#iam-changes', text: 'x' }, 'xoxb-someone-else'),
    ).toMatchObject({
      ok: false,
      error: 'invalid_auth',
    });
    expect(await api('admin.users.list', {})).toMatchObject({ ok: false, error: 'unknown_method' });
  });

  it('updates a message in place: text always, blocks only when sent', async () => {
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*hello*' } }];
    const posted = await api('chat.postMessage', { channel: '#iam-changes', text: 'before', blocks });
    const updated = await api('chat.update', { channel: posted.channel, ts: posted.ts, text: 'after' });
    expect(updated.ok).toBe(true);
    const message = sandbox.workspace.messages.find((m) => m.ts === posted.ts);
    expect(message?.text).toBe('after');
    expect(message?.blocks).toHaveLength(1);
    expect(message?.edits).toBe(1);
    expect(await api('chat.update', { channel: posted.channel, ts: '1.000001', text: 'x' })).toMatchObject({
      ok: false,
      error: 'message_not_found',
    });
  });

  it('refuses Block Kit that breaks Slack limits with invalid_blocks and where', async () => {
    const tooMany = Array.from({ length: 51 }, () => ({ type: 'divider' }));
    const answer = await api('chat.postMessage', { channel: '#iam-changes', text: 'x', blocks: tooMany });
    expect(answer).toMatchObject({ ok: false, error: 'invalid_blocks' });
    const long = [{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }];
    const header = await api('chat.postMessage', { channel: '#iam-changes', text: 'x', blocks: long });
    expect(JSON.stringify(header)).toContain('json-pointer:/blocks/0/text/text');
  });

  it('gives https permalinks on the workspace domain', async () => {
    const posted = await api('chat.postMessage', { channel: '#iam-changes', text: 'link me' });
    const answer = await api('chat.getPermalink', { channel: posted.channel, message_ts: posted.ts });
    expect(answer.permalink).toMatch(
      /^https:\/\/iam-changes-local\.slack\.com\/archives\/C0LOCAL001\/p\d{16}$/,
    );
  });

  it('keeps ephemeral messages for their user only', async () => {
    const answer = await api('chat.postEphemeral', {
      channel: '#iam-changes',
      user: SANDBOX_USER_ID,
      text: 'only you',
    });
    expect(answer.ok).toBe(true);
    expect(sandbox.workspace.ephemerals.at(-1)).toMatchObject({ user: SANDBOX_USER_ID, text: 'only you' });
    expect(
      await api('chat.postEphemeral', { channel: '#iam-changes', user: 'U0NOBODY', text: 'x' }),
    ).toMatchObject({
      ok: false,
      error: 'user_not_in_channel',
    });
  });

  it('opens a view once per trigger, and updates it only with the current hash', async () => {
    const view = { type: 'modal', title: { type: 'plain_text', text: 'Test' }, blocks: [] };
    const trigger = sandbox.workspace.issueTrigger(SANDBOX_USER_ID);
    const opened = await api('views.open', { trigger_id: trigger, view });
    expect(opened.ok).toBe(true);
    expect(await api('views.open', { trigger_id: trigger, view })).toMatchObject({
      ok: false,
      error: 'invalid_trigger_id',
    });
    const { id, hash } = opened.view as { id: string; hash: string };
    const updated = await api('views.update', {
      view_id: id,
      hash,
      view: { ...view, title: { type: 'plain_text', text: 'New' } },
    });
    expect(updated.ok).toBe(true);
    expect(await api('views.update', { view_id: id, hash, view })).toMatchObject({
      ok: false,
      error: 'hash_conflict',
    });
    const withInput = {
      ...view,
      blocks: [
        {
          type: 'input',
          label: { type: 'plain_text', text: 'Reason' },
          element: { type: 'plain_text_input' },
        },
      ],
    };
    expect(await api('views.update', { view_id: id, view: withInput })).toMatchObject({
      ok: false,
      error: 'invalid_arguments',
    });
  });

  it('names its people and the responders group', async () => {
    expect(await api('users.info', { user: SANDBOX_USER_ID })).toMatchObject({
      ok: true,
      user: { id: SANDBOX_USER_ID, name: 'you' },
    });
    expect(await api('usergroups.users.list', { usergroup: 'S0LOCALRESP' })).toMatchObject({
      ok: true,
      users: [SANDBOX_USER_ID],
    });
    expect(await api('auth.test', {})).toMatchObject({ ok: true, user_id: 'U0LOCALBOT', team_id: 'T0LOCAL' });
  });

  it('takes response_url posts: ephemeral by default, in_channel, and replace_original', async () => {
    const posted = await api('chat.postMessage', { channel: '#iam-changes', text: 'original' });
    const url = sandbox.workspace.issueResponseUrl({
      channel: String(posted.channel),
      user: SANDBOX_USER_ID,
      messageTs: String(posted.ts),
    });
    expect(url.startsWith(sandbox.url)).toBe(true);
    expect((await postJson(url, { text: 'just you' })).status).toBe(200);
    expect(sandbox.workspace.ephemerals.at(-1)?.text).toBe('just you');
    await postJson(url, { text: 'everyone', response_type: 'in_channel' });
    expect(sandbox.workspace.messages.at(-1)?.text).toBe('everyone');
    await postJson(url, { text: 'replaced', replace_original: true });
    expect(sandbox.workspace.messages.find((m) => m.ts === posted.ts)?.text).toBe('replaced');
    expect((await postJson(`${sandbox.url}/response/not-a-url`, { text: 'x' })).status).toBe(404);
  });

  it("lets a slash command's response_url replace, then delete, the private note it posted last", async () => {
    const url = sandbox.workspace.issueResponseUrl({
      channel: sandbox.workspace.defaultChannelId,
      user: SANDBOX_USER_ID,
      command: '/iam-changes 30d',
    });
    const before = sandbox.workspace.ephemerals.length;
    await postJson(url, { text: 'Searching CloudTrail event history…' });
    await postJson(url, { text: 'Still searching', replace_original: true });
    expect(sandbox.workspace.ephemerals).toHaveLength(before + 1);
    expect(sandbox.workspace.ephemerals.at(-1)?.text).toBe('Still searching');
    await postJson(url, { text: '', delete_original: true });
    await postJson(url, { text: 'the answer', response_type: 'in_channel' });
    expect(sandbox.workspace.ephemerals).toHaveLength(before);
    expect(sandbox.workspace.messages.at(-1)?.text).toBe('the answer');
  });

  it('refuses page requests without its header, and requests for another host name', async () => {
    const forged = await fetch(`${sandbox.url}/sandbox/user`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ id: SANDBOX_USER_ID }),
    });
    expect(forged.status).toBe(403);
    expect(await getWithHost(`${sandbox.url}/sandbox/state`, 'evil.example')).toBe(421);
    expect(await getWithHost(`${sandbox.url}/sandbox/state`, new URL(sandbox.url).host)).toBe(200);
  });
});

describe('SandboxWorkspace triggers', () => {
  it('refuses a view opened later than Slack allows after the click', () => {
    let now = 1_800_000_000_000;
    const workspace = new SandboxWorkspace({ botToken: BOT_TOKEN, now: () => now });
    const trigger = workspace.issueTrigger(SANDBOX_USER_ID);
    now += TRIGGER_TTL_MS + 1;
    const answer = workspace.callWebApi(
      'views.open',
      {
        trigger_id: trigger,
        view: { type: 'modal', title: { type: 'plain_text', text: 'Late' }, blocks: [] },
      },
      `Bearer ${BOT_TOKEN}`,
    );
    expect(answer.body).toMatchObject({ ok: false, error: 'expired_trigger_id' });
  });
});

describe('the sandbox signing and the local bot endpoint', () => {
  let dataDir: string;
  let store: EmbeddedStore;
  let endpoint: BotEndpoint;
  let signed: SlackSandbox;
  let clients: ReturnType<typeof createPinnedAwsClients>;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'iam-changes-sandbox-'));
    store = await startEmbeddedStore({ dataDir, tableName: 'iam-changes-test' });
    signed = await startSlackSandbox({ botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET, port: 0 });
    clients = createPinnedAwsClients({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9',
      credentials: localCredentials(),
      dynamo: { endpoint: store.endpoint, credentials: localCredentials() },
    });
    const config = parseConfig({
      TABLE_NAME: 'iam-changes-test',
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_API_URL: signed.apiUrl,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_RESPONDERS: SANDBOX_USER_ID,
    });
    const jobs = new InProcessJobQueue(async () => undefined, { log: () => undefined });
    const silent = { error: () => undefined, warn: () => undefined };
    const handler = await buildSlackHandler({ config, aws: clients, jobs, log: silent });
    endpoint = await startBotEndpoint({ handler });
    signed.setBotUrl(endpoint.url);
  });
  afterAll(async () => {
    await endpoint?.close();
    await signed?.close();
    for (const client of Object.values(clients ?? {})) client.destroy();
    await store?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const commandBody = () =>
    new URLSearchParams({
      command: '/iam-changes',
      text: 'help',
      user_id: SANDBOX_USER_ID,
      user_name: 'you',
      channel_id: 'C0LOCAL001',
      team_id: 'T0LOCAL',
      response_url: `${signed.url}/response/none`,
      trigger_id: '1.abc',
    }).toString();

  const send = (body: string, headers: Record<string, string>) =>
    fetch(endpoint.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body,
    });

  it('runs a signed slash command through the real Slack handler and shows its answer to the user only', async () => {
    const outcome = await signed.interactions.command('/iam-changes help');
    expect(outcome).toMatchObject({ ok: true });
    const answer = signed.workspace.ephemerals.at(-1);
    expect(answer?.user).toBe(SANDBOX_USER_ID);
    expect(answer?.text).toMatch(/iam-changes/);
    expect(signed.workspace.messages).toHaveLength(0);
  });

  it('answers 200 to a request signed with the secret by signSlackRequest', async () => {
    const body = commandBody();
    const response = await send(body, { ...signSlackRequest(SIGNING_SECRET, body) });
    expect(response.status).toBe(200);
  });

  it('answers 401 to an unsigned request', async () => {
    expect((await send(commandBody(), {})).status).toBe(401);
  });

  it('answers 401 to a request signed with another secret', async () => {
    const body = commandBody();
    expect((await send(body, { ...signSlackRequest('not-the-signing-secret', body) })).status).toBe(401);
  });

  it('answers 401 to a body changed after signing', async () => {
    const headers = signSlackRequest(SIGNING_SECRET, commandBody());
    expect((await send(commandBody().replace('help', 'status'), { ...headers })).status).toBe(401);
  });

  it('answers 401 to a correctly signed request more than five minutes old', async () => {
    const body = commandBody();
    const stale = Math.floor(Date.now() / 1000) - 6 * 60;
    expect((await send(body, { ...signSlackRequest(SIGNING_SECRET, body, stale) })).status).toBe(401);
  });

  it('routes only POST /slack/events, as the HTTP API does', async () => {
    expect((await fetch(endpoint.url, { method: 'GET' })).status).toBe(404);
    expect((await fetch(endpoint.url.replace('/slack/events', '/other'), { method: 'POST' })).status).toBe(
      404,
    );
  });
});
