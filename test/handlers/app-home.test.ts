/**
 * The Home tab end to end: signed `app_home_opened` events (JSON, as the Events API sends them) into the real
 * Slack handler, the store on dynalite, the signing secret from SSM on moto_server, `views.publish` answered by
 * the local Slack server. An empty store, a busy one, a responder's tab with buttons and a read-only one.
 */
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler } from '../../src/handlers/slack';
import { ACTION_IDS } from '../../src/slack/action-ids';
import { DynamoCisStatusStore } from '../../src/store/dynamo-cis-status';
import { blockKitViolations } from '../support/block-kit-limits';
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
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_ENDPOINT_URL: components.moto.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: components.dynalite.endpoint,
    TABLE_NAME: h.tableName,
    SLACK_BOT_TOKEN: 'xoxb-test-token',
    SLACK_SIGNING_SECRET_PARAMETER: '/iam-changes/test/home-secret',
    SLACK_API_URL: components.slack.url,
    SLACK_RESPONDERS: `${ALICE},S0SECOPS`,
    JOBS_TOPIC_ARN: `arn:aws:sns:us-east-1:${ACCOUNT}:iam-changes-jobs-unused`,
  });
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
