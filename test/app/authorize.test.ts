/**
 * ResponderAuthorizer against the local Slack server (`usergroups.users.list`) and the audit log on dynalite.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isUserGroupId, ResponderAuthorizer } from '../../src/app/authorize';
import { createSlackClient, WebApiSlackGateway } from '../../src/slack/web-api-gateway';
import { DynamoAuditLog } from '../../src/store/dynamo-audit-log';
import { type DynaliteServer, startDynalite } from '../support/dynalite';
import { type LocalSlack, startSlackServer } from '../support/slack-server';

let slack: LocalSlack;
let db: DynaliteServer;
let gateway: WebApiSlackGateway;
let audit: DynamoAuditLog;
let now: Date;
const clock = { now: () => now };

beforeAll(async () => {
  [slack, db] = await Promise.all([
    startSlackServer({ userGroups: { S0SECOPS: ['U0BOB'] } }),
    startDynalite(),
  ]);
  gateway = new WebApiSlackGateway(
    createSlackClient({ token: 'xoxb-test', slackApiUrl: slack.url, retries: 0 }),
  );
});

afterAll(async () => {
  await Promise.all([slack?.close(), db?.stop()]);
});

beforeEach(async () => {
  now = new Date('2026-11-20T14:00:00Z');
  slack.userGroups.set('S0SECOPS', ['U0BOB']);
  audit = new DynamoAuditLog(db.documentClient, { tableName: await db.createTable(), now: clock.now });
});

function authorizer(responders: string[]) {
  return new ResponderAuthorizer({ responders, slack: gateway, clock, audit });
}

describe('ResponderAuthorizer', () => {
  it('allows users listed directly and members of listed user groups, and says why', async () => {
    const subject = authorizer(['U0ALICE', 'S0SECOPS']);

    expect(await subject.canRespond('U0ALICE')).toEqual({
      allowed: true,
      reason: 'U0ALICE is listed in SLACK_RESPONDERS',
    });
    expect(await subject.canRespond('U0BOB')).toEqual({
      allowed: true,
      reason: 'U0BOB is a member of user group S0SECOPS',
    });
    expect(await subject.canRespond('U0MALLORY')).toEqual({
      allowed: false,
      reason: 'U0MALLORY is neither listed in SLACK_RESPONDERS nor a member of a listed user group',
    });
  });

  it('refuses everyone when no responders are configured', async () => {
    expect(await authorizer([]).canRespond('U0ALICE')).toEqual({
      allowed: false,
      reason: 'no responders are configured (SLACK_RESPONDERS is empty)',
    });
  });

  it('fails closed, naming the group, when Slack cannot say who is in it', async () => {
    const decision = await authorizer(['S0UNKNOWN']).canRespond('U0BOB');
    expect(decision.allowed).toBe(false);
    expect(decision.reason).toMatch(/members of S0UNKNOWN \(.*no_such_subteam\) could not be read/);
  });

  it('remembers a group for a minute, then reads it again', async () => {
    const subject = authorizer(['S0SECOPS']);
    const reads = slack.callsTo('usergroups.users.list').length;
    expect((await subject.canRespond('U0BOB')).allowed).toBe(true);

    slack.userGroups.set('S0SECOPS', []);
    now = new Date(now.getTime() + 59_000);
    expect((await subject.canRespond('U0BOB')).allowed).toBe(true);
    now = new Date(now.getTime() + 2_000);
    expect((await subject.canRespond('U0BOB')).allowed).toBe(false);

    expect(slack.callsTo('usergroups.users.list')).toHaveLength(reads + 2);
  });

  it('audits a refusal as unauthorised, with what was attempted, and nothing for an allowed user', async () => {
    const subject = authorizer(['U0ALICE']);

    await subject.authorize({ slackUserId: 'U0ALICE', name: 'alice' }, 'revert', 'event-1');
    const refused = await subject.authorize(
      { slackUserId: 'U0MALLORY', name: 'mallory' },
      'quarantine',
      'event-2',
    );

    expect(refused.allowed).toBe(false);
    expect(await audit.list(new Date(0), 10)).toEqual([
      {
        at: now.toISOString(),
        actor: { slackUserId: 'U0MALLORY', name: 'mallory' },
        action: 'unauthorised',
        eventId: 'event-2',
        result: `refused: ${refused.reason}`,
        details: { attempted: 'quarantine', stage: 'button' },
      },
    ]);
  });

  it('keeps the refusal when the audit log cannot be written, and says so', async () => {
    const subject = new ResponderAuthorizer({
      responders: ['U0ALICE'],
      slack: gateway,
      clock,
      audit: { append: () => Promise.reject(new Error('table gone')), list: () => Promise.resolve([]) },
    });

    const decision = await subject.authorize({ slackUserId: 'U0MALLORY', name: 'mallory' }, 'revert', 'e');

    expect(decision).toMatchObject({ allowed: false, auditError: 'table gone' });
  });

  it('tells user group ids from user ids', () => {
    expect(['S0SECOPS', 'U0ALICE', 'W0GRID'].map(isUserGroupId)).toEqual([true, false, false]);
  });
});
