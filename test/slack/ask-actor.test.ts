/**
 * "Was this you?" end to end: a change arrives through the real notify use case (store on dynalite, Slack on the
 * local Web API server), which queues an `ask-actor` job; the real worker (its job verification included) maps the
 * actor (IAM user tags on moto_server) and DMs them; the answers come in as HMAC-signed requests into the real Slack
 * handler (Bolt's receiver). The attacks come first: someone else pressing the DM's buttons, an unsigned or forged
 * request, a replay of the right answer, forged and replayed ask jobs.
 */
import { CreateUserCommand, IAMClient, TagUserCommand } from '@aws-sdk/client-iam';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRunner } from '../../src/app/account-router';
import { type Job, parseJob, SYSTEM_REQUESTER } from '../../src/app/jobs';
import type { RespondedChange } from '../../src/app/revert-port';
import type { AwsClients } from '../../src/aws/clients';
import { parseConfig } from '../../src/config';
import { buildAskActorService } from '../../src/runtime/ask-actor';
import { buildAskSweep } from '../../src/runtime/ask-sweep';
import { buildNotifyService } from '../../src/runtime/notify';
import { buildSlackHandler, type SlackHandler } from '../../src/runtime/slack';
import { buildWorkerService } from '../../src/runtime/worker';
import { ASK_IDS } from '../../src/slack/render-ask';
import { createSlackClient, WebApiSlackGateway } from '../../src/slack/web-api-gateway';
import { DynamoAuditLog } from '../../src/store/dynamo-audit-log';
import { DynamoChangeStore } from '../../src/store/dynamo-change-store';
import { PENDING_ASK_PARTITION } from '../../src/store/dynamo-pending-asks';
import { cloudTrailRecord } from '../support/cloudtrail';
import { type DynaliteServer, startDynalite } from '../support/dynalite';
import { awsTestEnv, type MotoServer, startMoto } from '../support/moto';
import { eventBridgeNotification } from '../support/notify-harness';
import { signedSlackRequest } from '../support/slack-requests';
import { type LocalSlack, startSlackServer } from '../support/slack-server';

const ACCOUNT = '123456789012';
const CHANNEL = 'C0ALERTS';
const SECRET = 'ask-actor-signing-secret-0123456789';
const JANE = 'U0JANE';
const ALICE = 'U0ALICE';
const MALLORY = 'U0MALLORY';
const context = { getRemainingTimeInMillis: () => 10_000 } as Context;

let dynalite: DynaliteServer;
let moto: MotoServer;
let slack: LocalSlack;
let iam: IAMClient;
let tableName: string;
let handler: SlackHandler;
let worker: JobRunner;
let counter = 0;
/** The jobs notify queued, as the jobs topic would carry them. */
const queued: Job[] = [];

function configOf() {
  return parseConfig({
    TABLE_NAME: tableName,
    SLACK_BOT_TOKEN: 'xoxb-test-token',
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: slack.url,
    SLACK_CHANNEL: CHANNEL,
    SLACK_RESPONDERS: ALICE,
    JOBS_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:iam-changes-jobs-test',
  });
}

const askSettings = { rules: [], timeoutMinutes: 30 };

beforeAll(async () => {
  [dynalite, moto, slack] = await Promise.all([
    startDynalite(),
    startMoto(),
    startSlackServer({
      users: {
        [JANE]: { name: 'jane', realName: 'Jane Doe', email: 'jane@example.com' },
        [ALICE]: { name: 'alice', realName: 'Alice Admin', email: 'alice@example.com' },
        [MALLORY]: { name: 'mallory', realName: 'Mallory M' },
      },
    }),
  ]);
  iam = new IAMClient(awsTestEnv(moto.endpoint));
  tableName = await dynalite.createTable();
  handler = await buildSlackHandler({
    config: configOf(),
    aws: { dynamo: dynalite.documentClient } as AwsClients,
    jobs: { publish: async () => undefined },
    askActor: askSettings,
    log: { error: () => undefined, warn: () => undefined },
    auditLine: () => undefined,
  });
  worker = await buildWorkerService({
    config: configOf(),
    aws: { dynamo: dynalite.documentClient, iam } as unknown as AwsClients,
    askActor: askSettings,
    askActorIam: iam,
    log: () => undefined,
    auditLine: () => undefined,
  });
}, 60_000);

afterAll(async () => {
  iam?.destroy();
  await Promise.all([dynalite?.stop(), moto?.stop(), slack?.close()]);
});

/** Runs `job` on the worker as the jobs topic delivers it (JSON, a message id). */
async function runJob(job: Job, messageId = `msg-${++counter}`) {
  return worker.run(parseJob(JSON.stringify(job)), { id: messageId });
}

/**
 * An IAM user on moto tagged with the person's e-mail, and a change they made: posted through notify, whose
 * `ask-actor` job then runs on the worker.
 */
async function changeBy(tags: Record<string, string>): Promise<RespondedChange> {
  const eventId = await postedChangeBy(tags);
  const job = queued.find((j) => j.kind === 'ask-actor' && j.eventId === eventId);
  if (!job) throw new Error(`no ask-actor job for ${eventId}`);
  expect(await runJob(job)).toEqual({ kind: 'ask-actor', outcome: 'asked' });
  return stored(eventId);
}

/** A change by a tagged IAM user, posted through notify: its ask is queued, not sent. */
async function postedChangeBy(tags: Record<string, string>): Promise<string> {
  counter += 1;
  const userName = `jane-dev-${counter}`;
  await iam.send(new CreateUserCommand({ UserName: userName }));
  await iam.send(
    new TagUserCommand({
      UserName: userName,
      Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
    }),
  );
  const record = cloudTrailRecord(
    'AttachRolePolicy',
    { roleName: `app-${counter}`, policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' },
    {
      eventTime: new Date().toISOString(),
      recipientAccountId: ACCOUNT,
      userIdentity: {
        type: 'IAMUser',
        principalId: 'AIDAEXAMPLE',
        arn: `arn:aws:iam::${ACCOUNT}:user/${userName}`,
        accountId: ACCOUNT,
        accessKeyId: 'AKIAEXAMPLE',
        userName,
      },
    },
  );
  const notify = await buildNotifyService({
    config: configOf(),
    aws: { dynamo: dynalite.documentClient } as AwsClients,
    askActor: askSettings,
    // The jobs topic, as the worker would receive it: the escalation check's jobs and the ask's.
    jobs: { publish: async (job) => void queued.push(job) },
  });
  const result = await notify.process(eventBridgeNotification(record));
  const eventId = result.posted[0];
  if (!eventId) throw new Error(`nothing posted: ${JSON.stringify(result)}`);
  return eventId;
}

async function stored(eventId: string): Promise<RespondedChange> {
  const change = await new DynamoChangeStore(dynalite.documentClient, { tableName }).getChange(eventId);
  if (!change) throw new Error(`no change ${eventId}`);
  return change;
}

function dmOf(change: RespondedChange) {
  const dm = change.actorAsk?.dm;
  const message = slack.messages.find((m) => m.channel === dm?.channel && m.ts === dm?.ts);
  if (!message) throw new Error('no DM');
  return message;
}

function alertOf(change: RespondedChange) {
  const message = slack.messages.find(
    (m) => m.channel === change.slack?.channel && m.ts === change.slack?.ts,
  );
  if (!message) throw new Error('no alert');
  return message;
}

/** A DM button click as Slack sends it, signed. */
function click(actionId: string, change: RespondedChange, user: string, secret = SECRET) {
  counter += 1;
  const dm = change.actorAsk?.dm ?? { channel: 'D0NONE', ts: '1.0' };
  const body = new URLSearchParams({
    payload: JSON.stringify({
      type: 'block_actions',
      team: { id: 'T0LOCAL', domain: 'local-slack' },
      user: { id: user, username: user.toLowerCase(), team_id: 'T0LOCAL' },
      api_app_id: 'A0BOT',
      token: 'legacy',
      trigger_id: `trigger-ask-${counter}`,
      container: { type: 'message', message_ts: dm.ts, channel_id: dm.channel, is_ephemeral: false },
      channel: { id: dm.channel, name: 'directmessage' },
      message: { type: 'message', ts: dm.ts, text: 'Was this you?' },
      response_url: slack.responseUrl(`ask-${counter}`),
      actions: [
        { type: 'button', action_id: actionId, block_id: 'b', value: change.change.eventId, action_ts: '1' },
      ],
    }),
  }).toString();
  return signedSlackRequest(body, secret);
}

/** The "Yes" modal submitted, signed. */
function submitYes(change: RespondedChange, user: string, reason: string, ticket = '') {
  const body = new URLSearchParams({
    payload: JSON.stringify({
      type: 'view_submission',
      team: { id: 'T0LOCAL', domain: 'local-slack' },
      user: { id: user, username: user.toLowerCase(), team_id: 'T0LOCAL' },
      api_app_id: 'A0BOT',
      token: 'legacy',
      trigger_id: `trigger-view-${counter}`,
      view: {
        id: 'V0ASK',
        type: 'modal',
        callback_id: ASK_IDS.VIEW,
        private_metadata: change.change.eventId,
        state: {
          values: {
            [ASK_IDS.REASON_BLOCK]: { [ASK_IDS.REASON_ACTION]: { type: 'plain_text_input', value: reason } },
            [ASK_IDS.TICKET_BLOCK]: { [ASK_IDS.TICKET_ACTION]: { type: 'plain_text_input', value: ticket } },
          },
        },
      },
    }),
  }).toString();
  return signedSlackRequest(body, SECRET);
}

async function auditOf(eventId: string) {
  // Listed as of a day ahead: a test's sweep runs up to an hour in the future, past midnight when run just before it.
  const aDayAhead = () => new Date(Date.now() + 86_400_000);
  const entries = await new DynamoAuditLog(dynalite.documentClient, { tableName, now: aDayAhead }).list(
    new Date(0),
    200,
  );
  return entries.filter((entry) => entry.eventId === eventId);
}

function ephemeralsTo(user: string) {
  return slack.ephemerals.filter((e) => e.user === user);
}

describe('was this you? — the worker asks, notify only queues', () => {
  it('notify reads no tags and DMs no one: it queues one ask-actor job, as the bot, with no Slack request', async () => {
    const lookups = slack.callsTo('users.lookupByEmail').length;
    const opens = slack.callsTo('conversations.open').length;
    const eventId = await postedChangeBy({ email: 'jane@example.com' });
    expect(queued.filter((job) => job.kind === 'ask-actor' && job.eventId === eventId)).toEqual([
      { kind: 'ask-actor', eventId, by: { ...SYSTEM_REQUESTER } },
    ]);
    expect(slack.callsTo('users.lookupByEmail')).toHaveLength(lookups);
    expect(slack.callsTo('conversations.open')).toHaveLength(opens);
    expect((await stored(eventId)).actorAsk).toBeUndefined();
  });

  it('the same ask job delivered twice (a retry, or a replay of the message) sends one DM', async () => {
    const change = await changeBy({ slack: JANE });
    const dms = slack.callsTo('conversations.open').length;
    const again = await runJob({
      kind: 'ask-actor',
      eventId: change.change.eventId,
      by: { ...SYSTEM_REQUESTER },
    });
    expect(again.outcome).toBe('already-asked');
    expect(slack.callsTo('conversations.open')).toHaveLength(dms);
    expect((await stored(change.change.eventId)).actorAsk?.slackUserId).toBe(JANE);
  });

  it('an ask job about a change the store does not hold DMs no one', async () => {
    const dms = slack.callsTo('conversations.open').length;
    const result = await runJob({ kind: 'ask-actor', eventId: 'never-stored', by: { ...SYSTEM_REQUESTER } });
    expect(result).toEqual({ kind: 'ask-actor', outcome: 'unknown-change' });
    expect(slack.callsTo('conversations.open')).toHaveLength(dms);
  });

  it('an ask job that names a person or carries a Slack request is not a job the worker reads', () => {
    const forged = [
      { kind: 'ask-actor', eventId: 'e', by: { slackUserId: MALLORY, name: 'mallory' } },
      {
        kind: 'ask-actor',
        eventId: 'e',
        by: { ...SYSTEM_REQUESTER },
        origin: { body: 'payload=%7B%7D', timestamp: '1', signature: 'v0=00' },
      },
    ];
    for (const job of forged) {
      expect(() => parseJob(JSON.stringify(job))).toThrow(/names a user or carries a Slack request/);
    }
  });
});

describe('was this you?', () => {
  it('finds the actor by their IAM user e-mail tag and DMs them the change with Yes / No', async () => {
    const change = await changeBy({ email: 'Jane@Example.com' });
    expect(change.actorAsk).toMatchObject({ slackUserId: JANE, source: 'iam-tag' });
    const dm = dmOf(change);
    expect(dm.channel).toBe('D0JANE');
    const buttons = JSON.stringify(dm.blocks);
    expect(buttons).toContain(ASK_IDS.YES);
    expect(buttons).toContain(ASK_IDS.NO);
    expect(slack.callsTo('users.lookupByEmail').at(-1)?.body.email).toBe('Jane@Example.com');
    expect(JSON.stringify(alertOf(change).blocks)).toContain('was this you?');
  });

  it("an acknowledgement recorded while the ask ran stays on the alert: it is redrawn from the store, not the job's read", async () => {
    const eventId = await postedChangeBy({ email: 'jane@example.com' });
    const job = queued.find((j) => j.kind === 'ask-actor' && j.eventId === eventId);
    if (!job) throw new Error(`no ask-actor job for ${eventId}`);
    // The worker read the change for the job...
    const read = await stored(eventId);
    // ...then a responder acknowledged it while the ask looked the person up.
    const on = new DynamoChangeStore(dynalite.documentClient, { tableName });
    const at = new Date().toISOString();
    expect(
      await on.recordAcknowledgement(eventId, { by: { slackUserId: ALICE, name: 'alice' }, at }, new Date()),
    ).toEqual({ recorded: true });
    // The worker's ask-actor use case, handed the job's read as the worker hands it on.
    const service = await buildAskActorService({
      config: configOf(),
      ask: askSettings,
      dynamo: dynalite.documentClient,
      slack: new WebApiSlackGateway(createSlackClient({ token: 'xoxb-test-token', slackApiUrl: slack.url })),
      iam,
    });
    expect(await service.askAbout(eventId, read)).toBe('asked');
    const shown = JSON.stringify(alertOf(await stored(eventId)).blocks);
    expect(shown).toContain('was this you?');
    expect(shown).toContain('*Acknowledged* by');
  });

  it('refuses and audits a responder, or anyone else, pressing the DM buttons', async () => {
    const change = await changeBy({ slack: JANE });
    for (const [user, action] of [
      [ALICE, ASK_IDS.NO],
      [MALLORY, ASK_IDS.NO],
      [MALLORY, ASK_IDS.YES],
    ] as const) {
      const before = ephemeralsTo(user).length;
      const response = await handler(click(action, change, user), context);
      expect(response.statusCode).toBe(200);
      expect(
        ephemeralsTo(user)
          .slice(before)
          .map((e) => e.text)
          .join(' '),
      ).toMatch(/Only the person who was asked/);
    }
    const after = await stored(change.change.eventId);
    expect(after.actorAnswer).toBeUndefined();
    expect(
      slack.views.filter((v) => v.view.callback_id === ASK_IDS.VIEW && v.triggerId.includes('ask')),
    ).toHaveLength(0);
    const refused = (await auditOf(change.change.eventId)).filter((e) => e.action === 'actor-answer-refused');
    expect(refused.map((e) => e.actor.slackUserId).sort()).toEqual([ALICE, MALLORY, MALLORY].sort());
    // A submission of the "Yes" form by someone else is refused too, even without the button.
    await handler(submitYes(change, MALLORY, 'it was me, honest'), context);
    expect((await stored(change.change.eventId)).actorAnswer).toBeUndefined();
  });

  it('refuses a click not signed with the app secret: 401, nothing recorded', async () => {
    const change = await changeBy({ slack: JANE });
    const response = await handler(click(ASK_IDS.NO, change, JANE, 'not-the-secret'), context);
    expect(response.statusCode).toBe(401);
    expect((await stored(change.change.eventId)).actorAnswer).toBeUndefined();
  });

  it('takes no job for an answer: a forged "answer" job is not a job the worker reads', () => {
    expect(() =>
      parseJob(
        JSON.stringify({ kind: 'actor-answer', eventId: 'x', by: { slackUserId: JANE, name: 'jane' } }),
      ),
    ).toThrow(/unknown job kind/);
  });

  it('"Yes": the actor gives a reason and a ticket; the alert says confirmed; a replay changes nothing', async () => {
    const change = await changeBy({ slack: JANE });
    const opened = await handler(click(ASK_IDS.YES, change, JANE), context);
    expect(opened.statusCode).toBe(200);
    const modal = slack.views.at(-1);
    expect(modal?.view.callback_id).toBe(ASK_IDS.VIEW);
    expect(modal?.view.private_metadata).toBe(change.change.eventId);

    const empty = await handler(submitYes(change, JANE, '   '), context);
    expect(JSON.parse(empty.body ?? '{}')).toMatchObject({ response_action: 'errors' });

    const submission = submitYes(change, JANE, 'deploy #812', 'CHG-812');
    expect((await handler(submission, context)).statusCode).toBe(200);
    const after = await stored(change.change.eventId);
    expect(after.actorAnswer).toMatchObject({
      answer: 'confirmed',
      reason: 'deploy #812',
      ticket: 'CHG-812',
    });
    expect(after.actorAnswer?.by.slackUserId).toBe(JANE);
    const alert = alertOf(after);
    expect(JSON.stringify(alert.blocks)).toMatch(/Confirmed by jane/);
    expect(JSON.stringify(alert.blocks)).toContain('deploy #812');
    expect(JSON.stringify(dmOf(after).blocks)).not.toContain(ASK_IDS.YES);

    // The same signed submission again (a replay) and a later "No" from Jane: the first answer stands.
    await handler(submission, context);
    await handler(click(ASK_IDS.NO, after, JANE), context);
    expect((await stored(change.change.eventId)).actorAnswer?.answer).toBe('confirmed');
    const entries = await auditOf(change.change.eventId);
    expect(entries.filter((e) => e.action === 'actor-answer')).toHaveLength(1);
    expect(entries.filter((e) => e.action === 'actor-answer-refused').length).toBeGreaterThanOrEqual(2);
  });

  it('"No": risk up one level, @here in the thread, Revert / Quarantine at the top of the alert', async () => {
    const change = await changeBy({ slack: JANE });
    const level = change.change.risk.level;
    expect((await handler(click(ASK_IDS.NO, change, JANE), context)).statusCode).toBe(200);
    const after = await stored(change.change.eventId);
    expect(after.actorAnswer).toMatchObject({ answer: 'denied' });
    const alert = alertOf(after);
    const blocks = alert.blocks as Array<{ type: string; text?: { text: string }; elements?: unknown[] }>;
    expect(blocks[0]?.type).toBe('header');
    expect(blocks[0]?.text?.text).toMatch(/says it wasn't them/);
    expect(blocks[0]?.text?.text).toContain(level === 'critical' ? 'CRITICAL' : '');
    const actions = blocks.findIndex((b) => b.type === 'actions');
    expect(actions).toBeLessThanOrEqual(2);
    expect(JSON.stringify(blocks[actions])).toContain('change.revert');
    const thread = slack.thread(after.slack?.ts ?? '');
    expect(thread.map((m) => m.text).join('\n')).toMatch(
      /<!here> <@U0JANE> says they did not make this change/,
    );
  });

  it('no answer in time: the scheduled sweep notes it on the alert and in the DM, once, and only when due', async () => {
    const change = await changeBy({ slack: JANE });
    const askedAt = Date.parse(change.actorAsk?.at ?? '');
    const early = sweepAt(new Date(askedAt + 29 * 60_000));
    expect(await early.sweep.sweep()).toEqual([]);
    expect(await pendingIds()).toContain(change.change.eventId);

    const later = new Date(askedAt + 31 * 60_000);
    const late = sweepAt(later);
    expect(await late.sweep.sweep()).toContain(change.change.eventId);
    expect(await sweepAt(later).sweep.sweep()).not.toContain(change.change.eventId);
    const after = await stored(change.change.eventId);
    expect(after.actorAsk?.timedOutAt).toBe(later.toISOString());
    expect(JSON.stringify(alertOf(after).blocks)).toContain('has not answered');
    expect(JSON.stringify(dmOf(after).blocks)).toContain('No answer in time');
    expect(await pendingIds()).not.toContain(change.change.eventId);
    const noted = (await auditOf(change.change.eventId)).filter((e) => e.result === 'no answer in time');
    expect(noted).toHaveLength(1);
  });

  it('a DM Slack refused: the alert says the person could not be asked, the sweep never says they did not answer, a retry asks', async () => {
    const eventId = await postedChangeBy({ slack: JANE });
    const job = queued.find((j) => j.kind === 'ask-actor' && j.eventId === eventId);
    if (!job) throw new Error(`no ask-actor job for ${eventId}`);
    slack.failNext('conversations.open', { ok: false, error: 'cannot_dm_bot' });
    await runJob(job).catch((error: unknown) => error);
    const failed = await stored(eventId);
    expect(failed.actorAsk?.dmFailed?.why).toContain('cannot_dm_bot');
    expect(failed.actorAsk?.dm).toBeUndefined();
    expect(JSON.stringify(alertOf(failed).blocks)).toContain('could not be asked');

    const late = sweepAt(new Date(Date.parse(failed.actorAsk?.at ?? '') + 120 * 60_000));
    expect(await late.sweep.sweep()).not.toContain(eventId);
    const afterSweep = await stored(eventId);
    expect(afterSweep.actorAsk?.timedOutAt).toBeUndefined();
    expect(JSON.stringify(alertOf(afterSweep).blocks)).not.toContain('has not answered');

    // The job again (the queue's retry): this time the DM goes out and the ask is an ordinary one.
    expect(await runJob(job, 'retry-1')).toEqual({ kind: 'ask-actor', outcome: 'asked' });
    const asked = await stored(eventId);
    expect(asked.actorAsk?.dm).toBeDefined();
    expect(asked.actorAsk?.dmFailed).toBeUndefined();
    expect(JSON.stringify(alertOf(asked).blocks)).not.toContain('could not be asked');
    const audit = await auditOf(eventId);
    expect(audit.filter((e) => e.result === 'the DM could not be sent')).toHaveLength(1);
  });

  it('an ask answered in time is never noted as unanswered; the sweep forgets it', async () => {
    const change = await changeBy({ slack: JANE });
    await handler(click(ASK_IDS.NO, change, JANE), context);
    const answered = await stored(change.change.eventId);
    const alertBefore = JSON.stringify(alertOf(answered).blocks);
    const late = sweepAt(new Date(Date.parse(change.actorAsk?.at ?? '') + 120 * 60_000));
    expect(await late.sweep.sweep()).not.toContain(change.change.eventId);
    expect((await stored(change.change.eventId)).actorAsk?.timedOutAt).toBeUndefined();
    expect(JSON.stringify(alertOf(answered).blocks)).toBe(alertBefore);
    expect(await pendingIds()).not.toContain(change.change.eventId);
  });

  it('a sweep with nothing overdue is one DynamoDB query and reads no Slack token', async () => {
    await changeBy({ slack: JANE });
    // Everything overdue so far is swept first, so the next run has nothing to do.
    await sweepAt(new Date(Date.now() + 365 * 86_400_000)).sweep.sweep();
    const idle = sweepAt(new Date());
    expect(await idle.sweep.sweep()).toEqual([]);
    expect(idle.commands).toEqual(['QueryCommand']);
    expect(idle.slackBuilt()).toBe(false);
  });
});

/** The waiting asks' event ids (the sweep's list), read straight from the table. */
async function pendingIds(): Promise<string[]> {
  const page = await dynalite.documentClient.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': PENDING_ASK_PARTITION },
    }),
  );
  return (page.Items ?? []).map((item) => String(item.eventId));
}

/**
 * The sweep the scheduled follow-up function runs (`buildAskSweep`), on a clock stopped at `now`, counting the
 * DynamoDB commands it sends and whether it built its Slack gateway.
 */
function sweepAt(now: Date) {
  const commands: string[] = [];
  const counted = {
    send: (command: { constructor: { name: string } }) => {
      commands.push(command.constructor.name);
      return dynalite.documentClient.send(command as never);
    },
  } as unknown as typeof dynalite.documentClient;
  let built = false;
  const sweep = buildAskSweep({
    config: configOf(),
    ask: askSettings,
    dynamo: counted,
    slack: async () => {
      built = true;
      return new WebApiSlackGateway(
        createSlackClient({ token: 'xoxb-test', slackApiUrl: slack.url, retries: 0 }),
      );
    },
    audit: new DynamoAuditLog(dynalite.documentClient, { tableName }),
    clock: { now: () => now },
  });
  return { sweep, commands, slackBuilt: () => built };
}
