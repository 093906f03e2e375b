/**
 * Mutes end to end: real HMAC-signed requests into the real Slack handler (Bolt's AwsLambdaReceiver), the store
 * on dynalite, Slack on the local server; the notify use case on the same table decides what posts.
 */
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotifyService } from '../../src/app/notify-service';
import { CloudTrailHistory } from '../../src/aws/cloudtrail-history';
import { CloudWatchLogsSearch } from '../../src/aws/cloudwatch-logs-search';
import type { CloudTrailRecord } from '../../src/domain/input';
import type { Mute } from '../../src/domain/mute';
import { handler } from '../../src/handlers/slack';
import { ACTION_IDS, MUTE_VIEW, REASON_INPUT } from '../../src/slack/action-ids';
import { DynamoExpectationStore } from '../../src/store/dynamo-expectations';
import { DynamoMuteStore } from '../../src/store/dynamo-mutes';
import { handlerEnv } from '../support/lambda-env';
import { awsTestEnv } from '../support/moto';
import { notifyOn } from '../support/notify-on-harness';
import {
  ACCOUNT,
  ALICE,
  buttonIds,
  CAROL,
  CHANNEL,
  type Components,
  type Harness,
  MALLORY,
  recordOf,
  responderHarness,
  startComponents,
  textOf,
  unique,
} from '../support/responder-harness';
import { apiGatewayRequest, signedSlackRequest, slackSignature } from '../support/slack-requests';

const SECRET = 'f1e2d3c4b5a6f7e8d9c0b1a2f3e4d5c6';
const context = { getRemainingTimeInMillis: () => 10_000 } as Context;
const READ_ONLY = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';

let components: Components;
let h: Harness;
let mutes: DynamoMuteStore;
let expectations: DynamoExpectationStore;
let notify: NotifyService;
/** The notify path's clock: moved forward to see a mute expire, without waiting. */
let notifyNow = () => new Date();
const saved = { ...process.env };

beforeAll(async () => {
  components = await startComponents();
  h = await responderHarness(components);
  const aws = awsTestEnv(components.moto.endpoint);
  const ssm = new SSMClient(aws);
  await ssm.send(
    new PutParameterCommand({
      Name: '/iam-changes/mute/signing-secret',
      Type: 'SecureString',
      Value: SECRET,
    }),
  );
  ssm.destroy();
  Object.assign(
    process.env,
    handlerEnv(components, h.tableName, {
      SLACK_SIGNING_SECRET_PARAMETER: '/iam-changes/mute/signing-secret',
      SLACK_RESPONDERS: `${ALICE},S0SECOPS`,
      JOBS_TOPIC_ARN: `arn:aws:sns:us-east-1:${ACCOUNT}:iam-changes-jobs-unused`,
    }),
  );
  mutes = new DynamoMuteStore(components.dynalite.documentClient, { tableName: h.tableName });
  expectations = new DynamoExpectationStore(components.dynalite.documentClient, { tableName: h.tableName });
  const cloudTrail = new CloudTrailClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  mockClient(cloudTrail).on(LookupEventsCommand).resolves({ Events: [] });
  notify = notifyOn(components, h, {
    stats: h.stats,
    mutes,
    expectations,
    logs: new CloudWatchLogsSearch(new CloudWatchLogsClient(aws)),
    trail: new CloudTrailHistory(cloudTrail, { requestsPerSecond: 1000 }),
    clock: { now: () => notifyNow() },
    settings: { mentionOnCritical: false },
  });
});

afterAll(async () => {
  process.env = saved;
  await components?.stop();
});

function form(payload: unknown): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

const base = {
  team: { id: 'T0LOCAL', domain: 'local-slack' },
  api_app_id: 'A0BOT',
  token: 'legacy',
};

let clicks = 0;

/** A signed button click on the message `ts`; returns the handler's answer and the click's response_url id. */
async function click(actionId: string, value: string, user: string, ts = '1.000001') {
  clicks += 1;
  const responseId = `mute-click-${clicks}`;
  const body = form({
    ...base,
    type: 'block_actions',
    user: { id: user, username: user.toLowerCase(), team_id: 'T0LOCAL' },
    trigger_id: `trigger-mute-${clicks}`,
    container: { type: 'message', message_ts: ts, channel_id: CHANNEL, is_ephemeral: false },
    channel: { id: CHANNEL, name: 'iam-changes' },
    message: { type: 'message', ts, text: 'alert' },
    response_url: components.slack.responseUrl(responseId),
    actions: [{ type: 'button', action_id: actionId, block_id: 'b', value, action_ts: '1' }],
  });
  const response = await handler(signedSlackRequest(body, SECRET), context);
  return { response, responseId };
}

/** A signed submission of the mute modal. */
async function submitMute(
  user: string,
  meta: { eventId: string; channel?: string; ts?: string },
  fields: { scope: string; duration: string; reason: string; critical?: boolean },
) {
  const body = form({
    ...base,
    type: 'view_submission',
    user: { id: user, username: user.toLowerCase(), team_id: 'T0LOCAL' },
    trigger_id: 't',
    view: {
      id: 'V-mute',
      type: 'modal',
      callback_id: MUTE_VIEW.CALLBACK_ID,
      private_metadata: JSON.stringify(meta),
      hash: 'h',
      state: {
        values: {
          [MUTE_VIEW.SCOPE_BLOCK]: {
            [MUTE_VIEW.SCOPE_ACTION]: { type: 'radio_buttons', selected_option: { value: fields.scope } },
          },
          [MUTE_VIEW.DURATION_BLOCK]: {
            [MUTE_VIEW.DURATION_ACTION]: {
              type: 'static_select',
              selected_option: { value: fields.duration },
            },
          },
          [REASON_INPUT.BLOCK_ID]: {
            [REASON_INPUT.ACTION_ID]: { type: 'plain_text_input', value: fields.reason },
          },
          [MUTE_VIEW.CRITICAL_BLOCK]: {
            [MUTE_VIEW.CRITICAL_ACTION]: {
              type: 'checkboxes',
              selected_options: fields.critical ? [{ value: 'includes-critical' }] : [],
            },
          },
        },
      },
    },
  });
  return handler(signedSlackRequest(body, SECRET), context);
}

/** A signed `/iam-changes <text>`; returns what was answered at its response_url. */
async function slash(text: string, user = CAROL) {
  clicks += 1;
  const id = `mute-command-${clicks}`;
  const body = new URLSearchParams({
    token: 'legacy',
    team_id: 'T0LOCAL',
    team_domain: 'local-slack',
    channel_id: CHANNEL,
    channel_name: 'iam-changes',
    user_id: user,
    user_name: user.toLowerCase(),
    command: '/iam-changes',
    text,
    api_app_id: 'A0BOT',
    response_url: components.slack.responseUrl(id),
    trigger_id: 't',
  }).toString();
  const response = await handler(signedSlackRequest(body, SECRET), context);
  expect(response.statusCode).toBe(200);
  return components.slack.responsesTo(id);
}

/** A change by IAM user `actor` attaching `policyArn` to a fresh role. */
function change(actor: string, policyArn = READ_ONLY, role = unique('muted-role')): CloudTrailRecord {
  return recordOf('AttachRolePolicy', { roleName: role, policyArn }, { user: actor });
}

/**
 * Runs a change through the notify path; says whether it posted a message (an alert, or a line in a burst's
 * thread), apart from the thread lines that list it as muted.
 */
async function arrive(record: CloudTrailRecord) {
  const before = components.slack.messages.length;
  const result = await notify.process(record);
  const stored = await h.stored(String(record.eventID));
  const added = components.slack.messages.slice(before);
  const mutedLines = added.filter((m) => m.threadTs !== undefined && /:mute: _muted_/.test(textOf(m.blocks)));
  return { result, stored, postedMessages: added.length - mutedLines.length, mutedLines };
}

/** Posts an alert through notify and makes a mute from it as `user` through the real handler. */
async function muteFrom(
  record: CloudTrailRecord,
  fields: { scope: string; duration: string; reason: string; critical?: boolean },
  user = ALICE,
) {
  const posted = await arrive(record);
  const ts = posted.stored.slack?.ts ?? '';
  const views = components.slack.views.length;
  const opened = await click(ACTION_IDS.MUTE, String(record.eventID), user, ts);
  expect(opened.response.statusCode).toBe(200);
  const view = components.slack.views.at(-1);
  const modalOpened = components.slack.views.length > views;
  const submitted = await submitMute(user, { eventId: String(record.eventID), channel: CHANNEL, ts }, fields);
  return { ts, view: modalOpened ? view : undefined, submitted, posted };
}

async function muteMadeFrom(eventId: string): Promise<Mute | undefined> {
  return (await mutes.active(new Date(0))).find((mute) => mute.fromEventId === eventId);
}

describe('mutes through the Slack handler', () => {
  it('offers "Mute similar…" on every alert', async () => {
    const { stored } = await arrive(change(unique('dev')));
    const message = components.slack.messages.find((m) => m.ts === stored.slack?.ts);
    expect(buttonIds(message?.blocks as unknown[])).toContain(ACTION_IDS.MUTE);
  });

  it('mutes the same actor for an hour: changes during it are stored and counted, not posted; after it, they post', async () => {
    const actor = unique('terraform');
    const first = change(actor);
    const made = await muteFrom(first, {
      scope: 'actor',
      duration: '1h',
      reason: 'known apply, ticket OPS-12',
    });

    expect(made.view?.view.callback_id).toBe(MUTE_VIEW.CALLBACK_ID);
    expect(made.submitted.statusCode).toBe(200);
    expect(made.submitted.body ?? '').toBe('');
    const mute = await muteMadeFrom(String(first.eventID));
    expect(mute).toMatchObject({
      scope: 'actor',
      reason: 'known apply, ticket OPS-12',
      includesCritical: false,
    });
    expect(textOf(components.slack.thread(made.ts))).toContain('muted');
    const audit = await h.auditEntries();
    expect(audit.find((entry) => entry.action === 'mute' && entry.eventId === first.eventID)).toMatchObject({
      actor: { slackUserId: ALICE },
      result: 'done',
      reason: 'known apply, ticket OPS-12',
    });

    const day = new Date().toISOString().slice(0, 10);
    const countBefore =
      (await h.stats.read(day, new Date(Date.now() + 86_400_000).toISOString()))[0]?.total ?? 0;
    const during = change(actor);
    const quiet = await arrive(during);
    expect(quiet.postedMessages).toBe(0);
    expect(quiet.result.muted).toEqual([during.eventID]);
    expect(quiet.stored).toMatchObject({ delivery: 'muted', mutedBy: mute?.id });
    // The first change's burst is still going: the muted one is listed in its thread, marked muted, and stays muted.
    expect(quiet.mutedLines).toHaveLength(1);
    expect(quiet.mutedLines[0]?.threadTs).toBe(made.ts);
    expect(quiet.stored.slack?.threadTs).toBe(made.ts);
    const countAfter =
      (await h.stats.read(day, new Date(Date.now() + 86_400_000).toISOString()))[0]?.total ?? 0;
    expect(countAfter).toBe(countBefore + 1);

    // A redelivery of the muted change is a duplicate, not a late post.
    const again = await notify.process(during);
    expect(again.duplicates).toEqual([during.eventID]);

    // Someone else's change is not covered.
    expect((await arrive(change(unique('someone-else')))).postedMessages).toBe(1);

    // Two hours on, the one-hour mute has expired (read at the stored expiry): the same actor posts again.
    notifyNow = () => new Date(Date.now() + 2 * 3_600_000);
    try {
      const later = await arrive(change(actor));
      expect(later.result.muted).toEqual([]);
      expect(later.postedMessages).toBe(1);
    } finally {
      notifyNow = () => new Date();
    }
  });

  it('never mutes a critical change with a mute made without "includes critical"', async () => {
    const actor = unique('ops-bot');
    const first = change(actor);
    await muteFrom(first, { scope: 'actor', duration: '8h', reason: 'noisy cleanup' });
    expect(await muteMadeFrom(String(first.eventID))).toBeDefined();

    const critical = await arrive(change(actor, ADMIN));
    expect(critical.stored.change.risk.level).toBe('critical');
    expect(critical.result.muted).toEqual([]);
    expect(critical.postedMessages).toBe(1);
  });

  it('mutes critical changes only from a critical alert that says so', async () => {
    const actor = unique('break-glass');
    const first = change(actor, ADMIN);
    const made = await muteFrom(first, {
      scope: 'actor',
      duration: '1h',
      reason: 'break-glass drill, INC-7',
      critical: true,
    });
    expect(textOf(made.view?.view.blocks)).toContain('Includes critical changes');
    expect(await muteMadeFrom(String(first.eventID))).toMatchObject({ includesCritical: true });

    const critical = await arrive(change(actor, ADMIN));
    expect(critical.result.muted).toEqual([critical.stored.change.eventId]);
    expect(critical.postedMessages).toBe(0);

    // From a non-critical alert, "includes critical" is refused in the modal and nothing is kept.
    const low = change(unique('low-actor'));
    const refused = await muteFrom(low, { scope: 'actor', duration: '1h', reason: 'try', critical: true });
    expect(JSON.parse(String(refused.submitted.body))).toMatchObject({
      response_action: 'errors',
      errors: { [MUTE_VIEW.CRITICAL_BLOCK]: expect.stringMatching(/critical alert/) },
    });
    expect(await muteMadeFrom(String(low.eventID))).toBeUndefined();
  });

  it('refuses a non-responder at the button and at a submission they forge, and audits both', async () => {
    const first = change(unique('mallory-target'));
    const views = components.slack.views.length;
    const made = await muteFrom(
      first,
      { scope: 'resource', duration: '7d', reason: 'hide my tracks' },
      MALLORY,
    );

    expect(made.view).toBeUndefined();
    expect(components.slack.views.length).toBe(views);
    expect(JSON.parse(String(made.submitted.body))).toMatchObject({ response_action: 'errors' });
    expect(await muteMadeFrom(String(first.eventID))).toBeUndefined();
    const refusals = (await h.auditEntries()).filter(
      (entry) => entry.action === 'unauthorised' && entry.eventId === first.eventID,
    );
    expect(refusals.map((entry) => entry.details?.stage).sort()).toEqual(['button', 'submission']);
    expect(refusals.every((entry) => entry.details?.attempted === 'mute')).toBe(true);

    // The same resource still posts.
    expect((await arrive(change(unique('x')))).postedMessages).toBe(1);
  });

  it('lists mutes in /iam-changes mutes with Unmute; a responder unmutes (audited), a non-responder cannot', async () => {
    const actor = unique('ci');
    const first = change(actor);
    await muteFrom(first, { scope: 'actor-event', duration: '24h', reason: 'pipeline rollout' });
    const mute = await muteMadeFrom(String(first.eventID));
    if (!mute) throw new Error('no mute made');

    const [listing] = await slash('mutes');
    expect(textOf(listing?.blocks)).toContain('pipeline rollout');
    expect(JSON.stringify(listing?.blocks)).toContain(`"value":"${mute.id}"`);

    await click(ACTION_IDS.UNMUTE, mute.id, MALLORY);
    expect(await muteMadeFrom(String(first.eventID))).toBeDefined();
    expect(
      (await h.auditEntries()).some(
        (entry) => entry.action === 'unauthorised' && entry.details?.attempted === 'unmute',
      ),
    ).toBe(true);
    expect((await arrive(change(actor))).postedMessages).toBe(0);

    const unmuted = await click(ACTION_IDS.UNMUTE, mute.id, ALICE);
    expect(unmuted.response.statusCode).toBe(200);
    expect(await muteMadeFrom(String(first.eventID))).toBeUndefined();
    expect(textOf(components.slack.responsesTo(unmuted.responseId))).toContain('lifted the mute');
    expect(
      (await h.auditEntries()).find(
        (entry) => entry.action === 'unmute' && entry.details?.muteId === mute.id,
      ),
    ).toMatchObject({ actor: { slackUserId: ALICE }, result: 'done' });
    expect((await arrive(change(actor))).postedMessages).toBe(1);
  });
});

describe('expectations through the Slack handler', () => {
  async function announce(text: string, user = ALICE) {
    const before = components.slack.messages.length;
    const answers = await slash(`expect ${text}`, user);
    const posted = components.slack.messages.slice(before).find((m) => m.channel === CHANNEL && !m.threadTs);
    return { answers, posted };
  }

  it('posts the expectation; a matching change is lowered one level and threaded under it', async () => {
    const role = unique('deploy-target');
    const { posted } = await announce(`role/${role} 2h deploy #812`);
    expect(textOf(posted?.blocks)).toContain('deploy #812');
    const kept = (await expectations.endingAfter(new Date())).find((e) => e.resource === `role/${role}`);
    expect(kept?.message?.ts).toBe(posted?.ts);
    expect(
      (await h.auditEntries()).find((entry) => entry.action === 'expect' && entry.target === `role/${role}`),
    ).toMatchObject({ actor: { slackUserId: ALICE }, result: 'done', reason: 'deploy #812' });

    const arrived = await arrive(change(unique('anyone'), ADMIN, role));
    expect(arrived.stored.change.risk.level).toBe('high');
    expect(arrived.stored.change.risk.reasons[0]).toMatch(
      /^Expected: announced by alice \(deploy #812\); lowered from critical/,
    );
    expect(arrived.stored.slack?.threadTs).toBe(posted?.ts);
    const [listing] = await slash('expectations');
    expect(textOf(listing?.blocks)).toContain(`role/${role}`);
  });

  it('calls out a change on the target by someone else, or outside the window, as unexpected', async () => {
    const role = unique('ci-only');
    const { posted } = await announce(`role/${role} by ci-bot 2h nightly`);

    const byCi = await arrive(change('ci-bot', READ_ONLY, role));
    expect(byCi.stored.slack?.threadTs).toBe(posted?.ts);

    const byOther = await arrive(change(unique('intruder'), ADMIN, role));
    expect(byOther.stored.change.risk.level).toBe('critical');
    expect(byOther.stored.slack?.threadTs).toBeUndefined();
    expect(byOther.stored.change.risk.reasons.join('\n')).toContain('not by the announced actor ci-bot');

    notifyNow = () => new Date(Date.now() + 3 * 3_600_000);
    try {
      const late = change('ci-bot', READ_ONLY, role);
      late.eventTime = new Date(Date.now() + 3 * 3_600_000).toISOString();
      const after = await arrive(late);
      expect(after.stored.change.risk.reasons.join('\n')).toContain('outside the announced window');
      expect(after.stored.slack?.threadTs).not.toBe(posted?.ts);
    } finally {
      notifyNow = () => new Date();
    }
  });

  it('refuses a non-responder and audits it; nothing is announced', async () => {
    const role = unique('sneaky');
    const { posted } = await announce(`role/${role} 7d cover`, MALLORY);
    expect(posted).toBeUndefined();
    expect((await expectations.endingAfter(new Date())).some((e) => e.resource === `role/${role}`)).toBe(
      false,
    );
    expect(
      (await h.auditEntries()).some(
        (entry) => entry.action === 'unauthorised' && entry.details?.attempted === 'expect',
      ),
    ).toBe(true);
    expect((await arrive(change(unique('x'), ADMIN, role))).stored.change.risk.level).toBe('critical');
  });

  it('limits an expectation to one account: a change on the target in another account is not expected by it', async () => {
    const role = unique('one-account');
    const { posted } = await announce(`role/${role} in ${ACCOUNT} 2h rollout`);
    expect(textOf(posted?.blocks)).toContain(`in \`${ACCOUNT}\``);
    const kept = (await expectations.endingAfter(new Date())).find((e) => e.resource === `role/${role}`);
    expect(kept?.accountId).toBe(ACCOUNT);

    const here = await arrive(change(unique('dev'), ADMIN, role));
    expect(here.stored.slack?.threadTs).toBe(posted?.ts);
    const elsewhere = change(unique('dev'), ADMIN, role);
    elsewhere.recipientAccountId = '999988887777';
    (elsewhere.userIdentity as { accountId: string }).accountId = '999988887777';
    (elsewhere.userIdentity as { arn: string }).arn = `arn:aws:iam::999988887777:user/someone`;
    const other = await arrive(elsewhere);
    expect(other.stored.change.risk.level).toBe('critical');
    expect(other.stored.slack?.threadTs).toBeUndefined();
    expect(other.stored.change.risk.reasons.join('\n')).not.toMatch(/Expected|Unexpected/);

    const refused = await slash(`expect role/${role} in prod 2h`);
    expect(textOf(refused[0]?.blocks ?? refused[0])).toMatch(/12-digit account id/);
  });

  it('ends early only for a responder (refusals audited); the announcement says so and later changes are unexpected', async () => {
    const role = unique('ends-early');
    const { posted } = await announce(`role/${role} 4h maintenance`);
    const kept = (await expectations.endingAfter(new Date())).find((e) => e.resource === `role/${role}`);
    if (!kept || !posted) throw new Error('not announced');
    expect(JSON.stringify(posted.blocks)).toContain(ACTION_IDS.END_EXPECTATION);

    const refused = await click(ACTION_IDS.END_EXPECTATION, kept.id, MALLORY, posted.ts);
    expect(refused.response.statusCode).toBe(200);
    expect((await expectations.endingAfter(new Date())).find((e) => e.id === kept.id)?.endsAt).toBe(
      kept.endsAt,
    );
    expect(
      (await h.auditEntries()).some(
        (entry) =>
          entry.action === 'unauthorised' &&
          entry.actor.slackUserId === MALLORY &&
          entry.eventId === `expectation:${kept.id}`,
      ),
    ).toBe(true);

    const ended = await click(ACTION_IDS.END_EXPECTATION, kept.id, ALICE, posted.ts);
    expect(ended.response.statusCode).toBe(200);
    const open = await expectations.endingAfter(new Date(Date.now() - 60_000));
    const now = open.filter((e) => e.id === kept.id);
    expect(now).toHaveLength(1);
    expect(now[0]?.endedEarly?.by.slackUserId).toBe(ALICE);
    expect(Date.parse(now[0]?.endsAt ?? '')).toBeLessThan(Date.parse(kept.endsAt));
    expect(
      (await h.auditEntries()).find(
        (entry) => entry.action === 'expect-end' && entry.target === `role/${role}`,
      ),
    ).toMatchObject({ actor: { slackUserId: ALICE }, result: 'done' });
    const announcement = components.slack.messages.find((m) => m.ts === posted.ts);
    expect(textOf(announcement?.blocks)).toContain('Ended early by <@U0ALICE>');
    expect(JSON.stringify(announcement?.blocks)).not.toContain(ACTION_IDS.END_EXPECTATION);

    // A second click: already over, nothing changes.
    await click(ACTION_IDS.END_EXPECTATION, kept.id, ALICE, posted.ts);
    expect(
      (await h.auditEntries()).filter((e) => e.action === 'expect-end' && e.target === `role/${role}`),
    ).toHaveLength(1);

    await new Promise((resolve) => setTimeout(resolve, 5));
    const late = change(unique('dev'), READ_ONLY, role);
    late.eventTime = new Date(Date.now() + 1000).toISOString();
    const after = await arrive(late);
    expect(after.stored.change.risk.reasons.join('\n')).toContain('outside the announced window');
    expect(after.stored.slack?.threadTs).not.toBe(posted.ts);
  });
});

describe('the Home tab', () => {
  it('lists the active mutes and the open expectations', async () => {
    const first = change(unique('home-actor'));
    await muteFrom(first, { scope: 'actor', duration: '8h', reason: 'home tab mute reason' });
    await slash(`expect role/${unique('home-role')} 1h home tab rollout`, ALICE);

    const body = JSON.stringify({
      token: 'legacy',
      team_id: 'T0LOCAL',
      api_app_id: 'A0BOT',
      type: 'event_callback',
      event_id: `Ev${Date.now()}`,
      event_time: Math.floor(Date.now() / 1000),
      event: { type: 'app_home_opened', user: ALICE, channel: 'D0ALICE', tab: 'home', event_ts: '1.1' },
    });
    const at = Math.floor(Date.now() / 1000);
    const response = await handler(
      apiGatewayRequest(
        body,
        {
          'content-type': 'application/json',
          'x-slack-request-timestamp': String(at),
          'x-slack-signature': slackSignature(body, at, SECRET),
        },
        ACCOUNT,
      ),
      context,
    );
    expect(response.statusCode).toBe(200);
    const home = textOf(components.slack.homes.get(ALICE));
    expect(home).toContain('home tab mute reason');
    expect(home).toContain('home tab rollout');
  });
});
