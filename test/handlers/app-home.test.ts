/**
 * The Home tab end to end: signed `app_home_opened` events (JSON, as the Events API sends them) into the real
 * Slack handler, the store on dynalite, the signing secret from SSM on moto_server, `views.publish` answered by
 * the local Slack server. An empty store, a busy one, a responder's tab with buttons and a read-only one.
 */
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { DeleteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler } from '../../src/handlers/slack';
import { ACTION_IDS } from '../../src/slack/action-ids';
import { DynamoCisStatusStore } from '../../src/store/dynamo-cis-status';
import { DynamoExpectationStore } from '../../src/store/dynamo-expectations';
import { DynamoMuteStore } from '../../src/store/dynamo-mutes';
import { blockKitViolations } from '../support/block-kit-limits';
import { handlerEnv } from '../support/lambda-env';
import { awsTestEnv } from '../support/moto';
import {
  ACCOUNT,
  ALICE,
  BOB,
  CAROL,
  type Components,
  type Harness,
  recordOf,
  responderHarness,
  startComponents,
  textOf,
} from '../support/responder-harness';
import { apiGatewayRequest, slackSignature } from '../support/slack-requests';

const SECRET = 'f1e2d3c4b5a6f7e8d9c0b1a2f3e4d5c6';
const context = { getRemainingTimeInMillis: () => 10_000 } as Context;

let components: Components;
let h: Harness;
const saved = { ...process.env };

beforeAll(async () => {
  components = await startComponents();
  h = await responderHarness(components);
  const ssm = new SSMClient(awsTestEnv(components.moto.endpoint));
  await ssm.send(
    new PutParameterCommand({ Name: '/iam-changes/test/home-secret', Type: 'SecureString', Value: SECRET }),
  );
  ssm.destroy();
  Object.assign(
    process.env,
    handlerEnv(components, h.tableName, {
      SLACK_SIGNING_SECRET_PARAMETER: '/iam-changes/test/home-secret',
      SLACK_RESPONDERS: `${ALICE},S0SECOPS`,
      JOBS_TOPIC_ARN: `arn:aws:sns:us-east-1:${ACCOUNT}:iam-changes-jobs-unused`,
    }),
  );
});

afterAll(async () => {
  process.env = saved;
  await components?.stop();
});

/** An Events API request as Slack signs it: JSON, not a form. */
function eventRequest(payload: unknown, secret = SECRET) {
  const body = JSON.stringify(payload);
  const at = Math.floor(Date.now() / 1000);
  return apiGatewayRequest(
    body,
    {
      'content-type': 'application/json',
      'x-slack-request-timestamp': String(at),
      'x-slack-signature': slackSignature(body, at, secret),
    },
    ACCOUNT,
  );
}

function homeOpened(user: string, tab = 'home') {
  return eventRequest({
    token: 'legacy',
    team_id: 'T0LOCAL',
    api_app_id: 'A0BOT',
    type: 'event_callback',
    event_id: `Ev${Date.now()}${user}`,
    event_time: Math.floor(Date.now() / 1000),
    event: { type: 'app_home_opened', user, channel: `D0${user}`, tab, event_ts: `${Date.now() / 1000}` },
  });
}

type Block = { type: string; elements?: Array<{ action_id?: string; value?: string }> };

function homeOf(user: string): { type?: unknown; blocks: Block[] } {
  const view = components.slack.homes.get(user);
  if (!view) throw new Error(`no Home published for ${user}`);
  return view as { type?: unknown; blocks: Block[] };
}

/**
 * Slack's limits for a Home view: up to 100 blocks, block ids unique, and an action id unique within its block
 * (not the view: the Home lists several alerts, each with the alert's own Acknowledge / Revert ids).
 */
function assertHomeLimits(view: { blocks: Block[] }): void {
  expect(view.blocks.length).toBeLessThanOrEqual(100);
  const violations = [];
  for (let from = 0; from < view.blocks.length; from += 50) {
    violations.push(
      ...blockKitViolations({ text: 'home', blocks: view.blocks.slice(from, from + 50) }).filter(
        (violation) => !/^action_id .* is used more than once$/.test(violation),
      ),
    );
  }
  expect(violations).toEqual([]);
  for (const block of view.blocks) {
    const ids = (block.elements ?? []).map((element) => element.action_id);
    expect(new Set(ids).size).toBe(ids.length);
  }
}

function buttonsOf(view: { blocks: Block[] }): Array<{ action_id?: string; value?: string }> {
  return view.blocks.flatMap((block) => (block.type === 'actions' ? (block.elements ?? []) : []));
}

describe('the Home tab through the Slack handler', () => {
  it('answers Slack’s url_verification challenge, signed like every request', async () => {
    const answer = await handler(
      eventRequest({ type: 'url_verification', challenge: 'c-123', token: 'x' }),
      context,
    );
    expect(answer).toMatchObject({ statusCode: 200 });
    expect(JSON.stringify(answer)).toContain('c-123');
    const forged = await handler(
      eventRequest({ type: 'url_verification', challenge: 'c-123', token: 'x' }, 'not-the-secret'),
      context,
    );
    expect(forged).toMatchObject({ statusCode: 401 });
  });

  it('publishes a calm Home for an empty store, saying what is not there yet', async () => {
    const answer = await handler(homeOpened(ALICE), context);
    expect(answer).toMatchObject({ statusCode: 200 });
    const view = homeOf(ALICE);
    expect(view.type).toBe('home');
    const text = textOf(view.blocks);
    expect(text).toContain('Open alerts (0)');
    expect(text).toContain('No open alerts in the last 7 days');
    expect(text).toContain('*0 changes*: none');
    expect(text).toContain('Not checked yet: `/iam-changes status`');
    expect(text).toContain('No active quarantines');
    expect(text).toContain('No reverts in the last 30 days');
    expect(text).toContain('No active mutes');
    expect(text).toContain('No expected changes announced');
    expect(buttonsOf(view)).toEqual([]);
    assertHomeLimits(view);
  });

  it('ignores the Messages tab and an unsigned event', async () => {
    components.slack.homes.delete(CAROL);
    await handler(homeOpened(CAROL, 'messages'), context);
    expect(components.slack.homes.has(CAROL)).toBe(false);
    const forged = await handler(
      { ...homeOpened(CAROL), headers: { 'content-type': 'application/json' } },
      context,
    );
    expect(forged).toMatchObject({ statusCode: 401 });
    expect(components.slack.homes.has(CAROL)).toBe(false);
  });

  describe('with a busy store', () => {
    let critical: string;
    let acknowledged: string;
    let quarantined: string;

    beforeAll(async () => {
      critical = (
        await h.storeChange(
          recordOf('AttachRolePolicy', {
            roleName: 'home-admin',
            policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess',
          }),
        )
      ).eventId;
      await h.storeChange(
        recordOf('DetachRolePolicy', {
          roleName: 'home-low',
          policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
        }),
      );
      acknowledged = (
        await h.storeChange(
          recordOf('AttachRolePolicy', {
            roleName: 'home-acked',
            policyArn: 'arn:aws:iam::aws:policy/IAMFullAccess',
          }),
        )
      ).eventId;
      await h.store.recordAcknowledgement(
        acknowledged,
        { by: { slackUserId: ALICE, name: 'alice' }, at: new Date().toISOString() },
        new Date(),
      );
      // Confirmed by the actor only: their own "Yes" does not take it off the open list.
      const confirmed = (
        await h.storeChange(
          recordOf('AttachRolePolicy', {
            roleName: 'home-confirmed',
            policyArn: 'arn:aws:iam::aws:policy/IAMFullAccess',
          }),
        )
      ).eventId;
      const askedAt = new Date();
      await h.store.recordActorAsk(
        confirmed,
        { slackUserId: 'U0MALLORY', source: 'session-name', at: askedAt.toISOString() },
        askedAt,
      );
      await h.store.recordActorAnswer(
        confirmed,
        { answer: 'confirmed', by: { slackUserId: 'U0MALLORY', name: 'mallory' }, at: askedAt.toISOString() },
        askedAt,
      );
      quarantined = (
        await h.storeChange(
          recordOf(
            'PutUserPolicy',
            { userName: 'mallory', policyName: 'x', policyDocument: '{"Statement":[]}' },
            {
              user: 'mallory',
            },
          ),
        )
      ).eventId;
      const now = new Date();
      await h.store.claimQuarantine(
        quarantined,
        {
          status: 'active',
          claimId: 'q-1',
          target: { kind: 'user', name: 'mallory' },
          policyArn: `arn:aws:iam::${ACCOUNT}:policy/iam-changes/iam-changes-quarantine-q-1`,
          by: { slackUserId: ALICE, name: 'alice' },
          reason: 'keys leaked',
          at: now.toISOString(),
        },
        now,
      );
      await new DynamoCisStatusStore(components.dynalite.documentClient, { tableName: h.tableName }).save({
        checkedAt: '2026-12-01T09:00:00.000Z',
        report: {
          pass: false,
          checks: [{ id: 'metric-filter', pass: false, detail: 'no filter' }],
          missingEvents: [],
          chain: {},
          candidates: 1,
          region: 'us-east-1',
        } as never,
      });
    });

    it('lists the open alerts most severe first, the week, CIS 4.4 as last checked and the quarantine', async () => {
      await handler(homeOpened(ALICE), context);
      const view = homeOf(ALICE);
      const text = textOf(view.blocks);
      const open = text.slice(text.indexOf('Open alerts'), text.indexOf('Last 7 days'));
      expect(open).toMatch(/Open alerts \(\d+\)/);
      // The critical comes before the low one; the acknowledged alert is in hand, not open.
      expect(open.indexOf('home-admin')).toBeGreaterThan(-1);
      expect(open.indexOf('home-admin')).toBeLessThan(open.indexOf('home-low'));
      expect(open).not.toContain('home-acked');
      expect(open).toContain('home-confirmed');
      expect(text).toMatch(/:rotating_light: \*\d+ critical\*/);
      expect(text).toContain(':x: *Fail*');
      expect(text).toContain('`metric-filter`');
      expect(text).toMatch(/Last checked <!date\^\d+\^/);
      expect(text).toContain('`user/mallory` by <@U0ALICE>');
      assertHomeLimits(view);
    });

    it('gives a responder the alert buttons, with the same action ids and the change as value', async () => {
      await handler(homeOpened(ALICE), context);
      const buttons = buttonsOf(homeOf(ALICE));
      expect(buttons).toContainEqual(
        expect.objectContaining({ action_id: ACTION_IDS.ACKNOWLEDGE, value: critical }),
      );
      expect(buttons).toContainEqual(
        expect.objectContaining({ action_id: ACTION_IDS.REVERT, value: critical }),
      );
      expect(buttons).toContainEqual(
        expect.objectContaining({ action_id: ACTION_IDS.LIFT_QUARANTINE, value: quarantined }),
      );
      // A member of the responder user group is a responder too.
      await handler(homeOpened(BOB), context);
      expect(buttonsOf(homeOf(BOB)).length).toBeGreaterThan(0);
    });

    it('acknowledges from the Home through the same signed listener, updating the alert', async () => {
      const body = new URLSearchParams({
        payload: JSON.stringify({
          type: 'block_actions',
          team: { id: 'T0LOCAL', domain: 'local-slack' },
          user: { id: ALICE, username: 'alice', team_id: 'T0LOCAL' },
          api_app_id: 'A0BOT',
          token: 'legacy',
          trigger_id: `trigger-${Date.now()}`,
          container: { type: 'view', view_id: 'VHOME' },
          view: { id: 'VHOME', type: 'home', blocks: [] },
          actions: [
            {
              type: 'button',
              action_id: ACTION_IDS.ACKNOWLEDGE,
              block_id: 'home.open.0',
              value: critical,
              action_ts: '1',
            },
          ],
        }),
      }).toString();
      const at = Math.floor(Date.now() / 1000);
      const answer = await handler(
        apiGatewayRequest(
          body,
          { 'x-slack-request-timestamp': String(at), 'x-slack-signature': slackSignature(body, at, SECRET) },
          ACCOUNT,
        ),
        context,
      );
      expect(answer).toMatchObject({ statusCode: 200 });
      const stored = await h.stored(critical);
      expect(stored.acknowledgement?.by.slackUserId).toBe(ALICE);
      const alert = components.slack.messages.find((message) => message.ts === stored.slack?.ts);
      expect(textOf(alert?.blocks)).toContain('Acknowledged by alice');
    });

    it('shows a non-responder the same facts, read-only: no buttons at all', async () => {
      await handler(homeOpened(CAROL), context);
      const view = homeOf(CAROL);
      expect(buttonsOf(view)).toEqual([]);
      const text = textOf(view.blocks);
      expect(text).toContain('Read-only');
      expect(text).toContain('home-low');
      expect(text).toContain('`user/mallory`');
    });
  });
});

describe('the Home tab: mutes to lift, quarantines of any age', () => {
  const mutes = () => new DynamoMuteStore(components.dynalite.documentClient, { tableName: h.tableName });

  /** A Home click as Slack sends it: the view is the Home tab, there is no channel and no response_url. */
  function homeClick(user: string, actionId: string, value: string) {
    const body = new URLSearchParams({
      payload: JSON.stringify({
        type: 'block_actions',
        team: { id: 'T0LOCAL', domain: 'local-slack' },
        user: { id: user, username: user.toLowerCase(), team_id: 'T0LOCAL' },
        api_app_id: 'A0BOT',
        token: 'legacy',
        trigger_id: `trigger-${Date.now()}-${user}`,
        container: { type: 'view', view_id: `VH${user}` },
        view: { id: `VH${user}`, type: 'home', blocks: [] },
        actions: [{ type: 'button', action_id: actionId, block_id: 'home.mute', value, action_ts: '1' }],
      }),
    }).toString();
    const at = Math.floor(Date.now() / 1000);
    return apiGatewayRequest(
      body,
      { 'x-slack-request-timestamp': String(at), 'x-slack-signature': slackSignature(body, at, SECRET) },
      ACCOUNT,
    );
  }

  async function aMute(id: string): Promise<void> {
    const now = Date.now();
    await mutes().put({
      id,
      scope: 'resource',
      resource: `role/${id}`,
      accountId: ACCOUNT,
      reason: `noisy ${id}`,
      createdBy: { slackUserId: ALICE, name: 'alice' },
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + 3_600_000).toISOString(),
      includesCritical: false,
      fromEventId: `event-${id}`,
    });
  }

  /** The Unmute buttons of the Home tab: section accessories. */
  function unmuteButtonsOf(view: {
    blocks: Array<Block & { accessory?: { action_id?: string; value?: string } }>;
  }) {
    return view.blocks.flatMap((block) =>
      block.accessory?.action_id === ACTION_IDS.UNMUTE ? [block.accessory.value] : [],
    );
  }

  it('gives a responder an Unmute button per mute, and a non-responder none', async () => {
    await aMute('home-mute-listed');
    await handler(homeOpened(ALICE), context);
    expect(unmuteButtonsOf(homeOf(ALICE))).toContain('home-mute-listed');
    await handler(homeOpened(CAROL), context);
    expect(textOf(homeOf(CAROL).blocks)).toContain('home-mute-listed');
    expect(unmuteButtonsOf(homeOf(CAROL))).toEqual([]);
  });

  it('refuses and audits Unmute from someone who is not a responder: the mute stays, the tab is drawn again', async () => {
    await aMute('home-mute-kept');
    const publishes = components.slack.callsTo('views.publish').length;
    expect(await handler(homeClick(CAROL, ACTION_IDS.UNMUTE, 'home-mute-kept'), context)).toMatchObject({
      statusCode: 200,
    });
    expect(await mutes().get('home-mute-kept')).toBeDefined();
    const refused = (await h.auditEntries()).filter(
      (entry) => entry.actor.slackUserId === CAROL && JSON.stringify(entry).includes('home-mute-kept'),
    );
    expect(refused.length).toBeGreaterThan(0);
    expect(
      refused.every((entry) => /refused|unauthori[sz]ed|not/i.test(`${entry.action} ${entry.result}`)),
    ).toBe(true);
    expect(components.slack.callsTo('views.publish').length).toBeGreaterThan(publishes);
    // The refusal goes to the person's Messages tab with the app: a Home click has no channel to answer in.
    const told = components.slack.callsTo('chat.postMessage').filter((call) => call.body.channel === CAROL);
    expect(told.length).toBeGreaterThan(0);
    expect(unmuteButtonsOf(homeOf(CAROL))).toEqual([]);
    expect(textOf(homeOf(CAROL).blocks)).toContain('home-mute-kept');
  });

  it('lifts a mute from the Home tab as from /iam-changes mutes: audited, and the tab is drawn without it', async () => {
    await aMute('home-mute-lifted');
    await handler(homeOpened(ALICE), context);
    expect(unmuteButtonsOf(homeOf(ALICE))).toContain('home-mute-lifted');
    expect(await handler(homeClick(ALICE, ACTION_IDS.UNMUTE, 'home-mute-lifted'), context)).toMatchObject({
      statusCode: 200,
    });
    expect(await mutes().get('home-mute-lifted')).toBeUndefined();
    const unmuted = (await h.auditEntries()).filter(
      (entry) => entry.action === 'unmute' && entry.details?.muteId === 'home-mute-lifted',
    );
    expect(unmuted).toHaveLength(1);
    expect(unmuted[0]?.actor.slackUserId).toBe(ALICE);
    expect(unmuteButtonsOf(homeOf(ALICE))).not.toContain('home-mute-lifted');
    expect(textOf(homeOf(ALICE).blocks)).not.toContain('home-mute-lifted');
  });

  it('ends an expectation from the Home tab (responders only): ended, audited, and the tab drawn without it', async () => {
    const store = new DynamoExpectationStore(components.dynalite.documentClient, { tableName: h.tableName });
    const now = Date.now();
    await store.put({
      id: 'home-expectation',
      resource: 'role/home-rollout',
      note: 'home rollout',
      startsAt: new Date(now - 60_000).toISOString(),
      endsAt: new Date(now + 3_600_000).toISOString(),
      createdBy: { slackUserId: ALICE, name: 'alice' },
    });
    await handler(homeOpened(ALICE), context);
    const ends = (view: { blocks: Array<Block & { accessory?: { action_id?: string; value?: string } }> }) =>
      view.blocks.flatMap((block) =>
        block.accessory?.action_id === ACTION_IDS.END_EXPECTATION ? [block.accessory.value] : [],
      );
    expect(ends(homeOf(ALICE))).toContain('home-expectation');
    await handler(homeOpened(CAROL), context);
    expect(ends(homeOf(CAROL))).toEqual([]);

    await handler(homeClick(CAROL, ACTION_IDS.END_EXPECTATION, 'home-expectation'), context);
    expect((await store.endingAfter(new Date())).some((e) => e.id === 'home-expectation')).toBe(true);

    await handler(homeClick(ALICE, ACTION_IDS.END_EXPECTATION, 'home-expectation'), context);
    expect(
      (await store.endingAfter(new Date(Date.now() + 1000))).some((e) => e.id === 'home-expectation'),
    ).toBe(false);
    expect(
      (await h.auditEntries()).filter(
        (e) => e.action === 'expect-end' && e.details?.expectationId === 'home-expectation',
      ),
    ).toHaveLength(1);
    expect(textOf(homeOf(ALICE).blocks)).not.toContain('home rollout');
  });

  it('lists an active quarantine whatever its age, and forgets it once lifted', async () => {
    const old = new Date(Date.now() - 90 * 86_400_000);
    const change = await h.storeChange(
      recordOf(
        'PutUserPolicy',
        { userName: 'old-timer', policyName: 'x', policyDocument: '{"Statement":[]}' },
        { user: 'old-timer' },
      ),
    );
    // Made 90 days ago: far outside the 30 days of changes the Home reads.
    await components.dynalite.documentClient.send(
      new UpdateCommand({
        TableName: h.tableName,
        Key: { pk: `CHANGE#${change.eventId}`, sk: 'CHANGE' },
        UpdateExpression: 'SET #change.eventTime = :old, eventTime = :old, gsi1pk = :day, gsi1sk = :sort',
        ExpressionAttributeNames: { '#change': 'change' },
        ExpressionAttributeValues: {
          ':old': old.toISOString(),
          ':day': `DAY#${old.toISOString().slice(0, 10)}`,
          ':sort': `${old.toISOString()}#${change.eventId}`,
        },
      }),
    );
    const record = {
      status: 'active' as const,
      claimId: 'q-old',
      target: { kind: 'user' as const, name: 'old-timer' },
      policyArn: `arn:aws:iam::${ACCOUNT}:policy/iam-changes/iam-changes-quarantine-q-old`,
      by: { slackUserId: ALICE, name: 'alice' },
      reason: 'keys on a pastebin',
      at: old.toISOString(),
    };
    await h.store.claimQuarantine(change.eventId, record, old);
    await h.store.recordQuarantine(change.eventId, record, old);

    await handler(homeOpened(ALICE), context);
    expect(textOf(homeOf(ALICE).blocks)).toContain('`user/old-timer`');
    expect(buttonsOf(homeOf(ALICE))).toContainEqual(
      expect.objectContaining({ action_id: ACTION_IDS.LIFT_QUARANTINE, value: change.eventId }),
    );

    await h.store.recordQuarantine(change.eventId, { ...record, status: 'lifted' }, new Date());
    await handler(homeOpened(ALICE), context);
    expect(textOf(homeOf(ALICE).blocks)).not.toContain('`user/old-timer`');
  });

  it('shows the modes in force of an active quarantine, and the last modes added to it', async () => {
    const change = await h.storeChange(
      recordOf(
        'PutUserPolicy',
        { userName: 'escalated', policyName: 'x', policyDocument: '{"Statement":[]}' },
        { user: 'escalated' },
      ),
    );
    const now = new Date();
    const record = {
      status: 'active' as const,
      claimId: 'q-more',
      target: { kind: 'user' as const, name: 'escalated' },
      policyArn: `arn:aws:iam::${ACCOUNT}:policy/iam-changes/iam-changes-quarantine-q-more`,
      modes: ['deny-iam' as const, 'deactivate-keys' as const],
      by: { slackUserId: ALICE, name: 'alice' },
      reason: 'first look',
      at: now.toISOString(),
      modesAdded: [
        {
          id: 'add-1',
          by: { slackUserId: 'U0BOB', name: 'bob' },
          reason: 'keys leaked',
          at: now.toISOString(),
          added: ['deactivate-keys' as const],
          eventId: 'e-other',
          policyArn: `arn:aws:iam::${ACCOUNT}:policy/iam-changes/iam-changes-quarantine-q-more`,
          replacedPolicyArn: `arn:aws:iam::${ACCOUNT}:policy/iam-changes/iam-changes-quarantine-q-less`,
        },
      ],
    };
    await h.store.claimQuarantine(change.eventId, record, now);
    await h.store.recordQuarantine(change.eventId, record, now);

    await handler(homeOpened(ALICE), context);
    const text = textOf(homeOf(ALICE).blocks);
    expect(text).toContain('Modes in force: `deny-iam, deactivate-keys`');
    expect(text).toContain('`deactivate-keys` added by <@U0BOB>');
    expect(text).not.toContain('kept off');
  });

  it('says which access keys an active quarantine keeps off after the lift, and why', async () => {
    const change = await h.storeChange(
      recordOf(
        'PutUserPolicy',
        { userName: 'minter', policyName: 'x', policyDocument: '{"Statement":[]}' },
        { user: 'minter' },
      ),
    );
    const now = new Date();
    const record = {
      status: 'active' as const,
      claimId: 'q-minted',
      target: { kind: 'user' as const, name: 'minter' },
      policyArn: `arn:aws:iam::${ACCOUNT}:policy/iam-changes/iam-changes-quarantine-q-minted`,
      modes: ['deny-iam' as const, 'deactivate-keys' as const],
      by: { slackUserId: ALICE, name: 'alice' },
      reason: 'keys made during the incident',
      at: now.toISOString(),
      keysKeptOff: ['AKIAMINTEDKEY0000001'],
    };
    await h.store.claimQuarantine(change.eventId, record, now);
    await h.store.recordQuarantine(change.eventId, record, now);

    await handler(homeOpened(ALICE), context);
    expect(textOf(homeOf(ALICE).blocks)).toContain(
      'Access keys kept off after the lift (created at or after the quarantined change, during the incident): `AKIAMINTEDKEY0000001`',
    );
  });

  it('lists a quarantine whose change item expired (the table TTL removed it) as of unknown state, with no Lift button', async () => {
    const change = await h.storeChange(
      recordOf(
        'PutUserPolicy',
        { userName: 'long-gone', policyName: 'x', policyDocument: '{"Statement":[]}' },
        { user: 'long-gone' },
      ),
    );
    const now = new Date();
    const record = {
      status: 'active' as const,
      claimId: 'q-gone',
      target: { kind: 'user' as const, name: 'long-gone' },
      policyArn: `arn:aws:iam::${ACCOUNT}:policy/iam-changes/iam-changes-quarantine-q-gone`,
      by: { slackUserId: ALICE, name: 'alice' },
      reason: 'access keys leaked',
      at: now.toISOString(),
      deactivatedKeys: ['AKIALONGGONEKEY00001'],
    };
    await h.store.claimQuarantine(change.eventId, record, now);
    await h.store.recordQuarantine(change.eventId, record, now);
    await handler(homeOpened(ALICE), context);
    expect(buttonsOf(homeOf(ALICE))).toContainEqual(
      expect.objectContaining({ action_id: ACTION_IDS.LIFT_QUARANTINE, value: change.eventId }),
    );
    // What DynamoDB's TTL does once the change's retention is over.
    await components.dynalite.documentClient.send(
      new DeleteCommand({ TableName: h.tableName, Key: { pk: `CHANGE#${change.eventId}`, sk: 'CHANGE' } }),
    );

    await handler(homeOpened(ALICE), context);
    const text = textOf(homeOf(ALICE).blocks);
    // Still listed — its deny may well be attached — but never as a quarantine the bot can vouch for.
    expect(text).toContain('`user/long-gone`');
    expect(text).toContain('access keys leaked');
    expect(text).toContain('State unknown');
    expect(text).not.toMatch(/:lock: `user\/long-gone`/);
    expect(text).toContain(
      `aws iam detach-user-policy --user-name long-gone --policy-arn ${record.policyArn}`,
    );
    // Recorded before the store kept which job turned each key off: named to check, never as a command to run.
    expect(text).not.toContain('--access-key-id AKIALONGGONEKEY00001');
    expect(text).toContain('Recorded before this version');
    expect(text).toContain('`AKIALONGGONEKEY00001`');
    // Its change is gone, so a lift by it could not run: no button offers one.
    expect(buttonsOf(homeOf(ALICE))).not.toContainEqual(
      expect.objectContaining({ action_id: ACTION_IDS.LIFT_QUARANTINE, value: change.eventId }),
    );
  });

  it('for an expired quarantine, names to turn on only keys the store recorded the bot turned off, with the policy ids it recorded', async () => {
    const change = await h.storeChange(
      recordOf(
        'PutUserPolicy',
        { userName: 'gone-ledger', policyName: 'x', policyDocument: '{"Statement":[]}' },
        { user: 'gone-ledger' },
      ),
    );
    const now = new Date();
    const policyArn = `arn:aws:iam::${ACCOUNT}:policy/iam-changes/iam-changes-quarantine-ledger1`;
    const record = {
      status: 'active' as const,
      claimId: 'q-ledger',
      target: { kind: 'user' as const, name: 'gone-ledger' },
      policyArn,
      by: { slackUserId: ALICE, name: 'alice' },
      reason: 'keys leaked',
      at: now.toISOString(),
      // A key the table names but the store never recorded as turned off by the bot.
      deactivatedKeys: ['AKIARECORDEDKEY00001', 'AKIATABLEONLYKEY0001'],
    };
    const job = { kind: 'quarantine' as const, id: 'q-ledger' };
    await h.store.claimQuarantine(
      change.eventId,
      { ...record, status: 'claimed', until: now.toISOString() },
      now,
    );
    await h.store.recordPolicyCreated(
      change.eventId,
      job,
      { policyArn, policyId: 'ANPALEDGERPOLICY0001' },
      now,
    );
    await h.store.recordKeyTurnedOff(change.eventId, job, 'AKIARECORDEDKEY00001', now);
    await h.store.recordQuarantine(change.eventId, record, now);
    await components.dynalite.documentClient.send(
      new DeleteCommand({ TableName: h.tableName, Key: { pk: `CHANGE#${change.eventId}`, sk: 'CHANGE' } }),
    );

    await handler(homeOpened(ALICE), context);
    const text = textOf(homeOf(ALICE).blocks);

    expect(text).toContain('State unknown');
    expect(text).toContain('--access-key-id AKIARECORDEDKEY00001 --status Active');
    expect(text).not.toContain('AKIATABLEONLYKEY0001');
    expect(text).toContain('`iam-changes-quarantine-ledger1 ANPALEDGERPOLICY0001: AKIARECORDEDKEY00001`');
  });

  it("names a dead addition's policy in the by-hand lift of a quarantine whose change expired after the addition died", async () => {
    const change = await h.storeChange(
      recordOf(
        'PutUserPolicy',
        { userName: 'gone-adding', policyName: 'x', policyDocument: '{"Statement":[]}' },
        { user: 'gone-adding' },
      ),
    );
    const now = new Date();
    const policy = (id: string) => `arn:aws:iam::${ACCOUNT}:policy/iam-changes/iam-changes-quarantine-${id}`;
    const record = {
      status: 'active' as const,
      claimId: 'q-held',
      target: { kind: 'user' as const, name: 'gone-adding' },
      policyArn: policy('held'),
      by: { slackUserId: ALICE, name: 'alice' },
      reason: 'keys leaked',
      at: now.toISOString(),
    };
    await h.store.claimQuarantine(change.eventId, record, now);
    await h.store.recordQuarantine(change.eventId, record, now);
    // An addition claims (its policy may get attached) and its job dies: nothing else is written.
    await h.store.claimModesAdding(
      change.eventId,
      record,
      {
        id: 'dying',
        until: now.toISOString(),
        policyArn: policy('dying'),
        modes: ['deactivate-keys'],
        by: { slackUserId: ALICE, name: 'alice' },
        at: now.toISOString(),
      },
      now,
    );
    await components.dynalite.documentClient.send(
      new DeleteCommand({ TableName: h.tableName, Key: { pk: `CHANGE#${change.eventId}`, sk: 'CHANGE' } }),
    );

    await handler(homeOpened(ALICE), context);
    const text = textOf(homeOf(ALICE).blocks);

    expect(text).toContain('State unknown');
    expect(text).toContain(`aws iam get-policy --policy-arn ${policy('dying')}`);
    expect(text).toContain(
      `aws iam detach-user-policy --user-name gone-adding --policy-arn ${policy('dying')}`,
    );
  });

  it('tells how to lift an expired quarantine by hand from IAM, not the table alone: every bot policy that may be attached, the descriptions read before the keys', async () => {
    const change = await h.storeChange(
      recordOf(
        'PutUserPolicy',
        { userName: 'gone-too', policyName: 'x', policyDocument: '{"Statement":[]}' },
        { user: 'gone-too' },
      ),
    );
    const now = new Date();
    const policy = (id: string) => `arn:aws:iam::${ACCOUNT}:policy/iam-changes/iam-changes-quarantine-${id}`;
    const record = {
      status: 'active' as const,
      claimId: 'q-first',
      target: { kind: 'user' as const, name: 'gone-too' },
      policyArn: policy('first'),
      by: { slackUserId: ALICE, name: 'alice' },
      reason: 'keys leaked',
      at: now.toISOString(),
    };
    await h.store.claimQuarantine(change.eventId, record, now);
    await h.store.recordQuarantine(change.eventId, record, now);
    // An addition that died after claiming (its policy may be attached), then one that was recorded.
    const adding = (id: string) => ({
      id,
      until: now.toISOString(),
      policyArn: policy(id),
      modes: ['deactivate-keys' as const],
      by: { slackUserId: ALICE, name: 'alice' },
      at: now.toISOString(),
    });
    await h.store.claimModesAdding(change.eventId, record, adding('dead'), now);
    const later = new Date(now.getTime() + 1000);
    await h.store.claimModesAdding(change.eventId, record, adding('done'), later);
    const added = {
      ...record,
      policyArn: policy('done'),
      modes: ['deny-iam' as const, 'deactivate-keys' as const],
      deactivatedKeys: ['AKIAGONETOOKEY000001'],
      modesAdded: [
        {
          id: 'done',
          by: { slackUserId: ALICE, name: 'alice' },
          reason: 'keys too',
          at: later.toISOString(),
          added: ['deactivate-keys' as const],
          eventId: change.eventId,
          policyArn: policy('done'),
          replacedPolicyArn: policy('first'),
        },
      ],
    };
    // The addition recorded its policy and the key it turned off under its own id, as it does.
    const job = { kind: 'adding' as const, id: 'done' };
    await h.store.recordPolicyCreated(
      change.eventId,
      job,
      { policyArn: policy('done'), policyId: 'ANPADONE' },
      later,
    );
    await h.store.recordKeyTurnedOff(change.eventId, job, 'AKIAGONETOOKEY000001', later);
    expect(await h.store.recordModesAdded(change.eventId, added, 'done', policy('first'), later)).toBe(true);
    await components.dynalite.documentClient.send(
      new DeleteCommand({ TableName: h.tableName, Key: { pk: `CHANGE#${change.eventId}`, sk: 'CHANGE' } }),
    );

    await handler(homeOpened(ALICE), context);
    const text = textOf(homeOf(ALICE).blocks);

    expect(text).toContain('State unknown');
    expect(text).toContain('aws iam list-attached-user-policies --user-name gone-too');
    for (const id of ['first', 'dead', 'done']) {
      expect(text).toContain(`aws iam get-policy --policy-arn ${policy(id)}`);
      expect(text).toContain(`aws iam detach-user-policy --user-name gone-too --policy-arn ${policy(id)}`);
      expect(text).toContain(`aws iam delete-policy --policy-arn ${policy(id)}`);
    }
    expect(text).toContain('named *both* in a description');
    // The additions' inline denies (an addition refused a managed slot puts one, named like its policy).
    expect(text).toContain('aws iam list-user-policies --user-name gone-too');
    expect(text).toContain(
      'aws iam delete-user-policy --user-name gone-too --policy-name iam-changes-quarantine-dead',
    );
    const restore = text.indexOf('--access-key-id AKIAGONETOOKEY000001 --status Active');
    expect(restore).toBeGreaterThan(text.indexOf(`aws iam get-policy --policy-arn ${policy('done')}`));
    expect(restore).toBeLessThan(text.indexOf(`aws iam delete-policy --policy-arn ${policy('done')}`));
  });
});
