/**
 * The worker Lambda handler on its forwarding-check schedule, end to end: built from the environment as the stack
 * sets it (`CENTRAL_EVENT_BUS_ARN`, `HOME_ACCOUNT_ID`, the responder role's external id), it reads the account
 * directory's copy on dynalite, each member account's rule on moto_server through the responder role, and posts
 * to the local Slack server. The jobs topic cannot start it: an SNS event is never the schedule's input.
 */
import {
  DisableRuleCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FORWARDED_EVENT_PATTERNS, FORWARDING_STOP_PATTERN } from '../../src/domain/forwarding';
import { handler } from '../../src/handlers/worker';
import { DynamoAccountDirectoryStore } from '../../src/store/dynamo-account-directory';
import { awsTestEnv } from '../support/moto';
import { type Components, snsEvent, startComponents } from '../support/notify-harness';

const HOME = '123456789012';
const WHOLE = '111111111111';
const EMPTY = '222222222222';
const BUS = `arn:aws:events:us-east-1:${HOME}:event-bus/iam-changes-org-test`;
const CRITICAL = '#iam-critical';
const context = { getRemainingTimeInMillis: () => 300_000 } as Context;

let components: Components;
let events: EventBridgeClient;
const saved = { ...process.env };

beforeAll(async () => {
  components = await startComponents();
  const tableName = await components.dynalite.createTable();
  await new DynamoAccountDirectoryStore(components.dynalite.documentClient, { tableName }).write({
    accounts: [
      { id: HOME, name: 'security-tooling', ouPath: 'Root', status: 'ACTIVE' },
      { id: WHOLE, name: 'prod-payments', ouPath: 'Root/Prod', status: 'ACTIVE' },
      { id: EMPTY, name: 'new-account', ouPath: 'Root/Prod', status: 'ACTIVE' },
      // Suspended: not checked (its role could not answer anyway).
      { id: '333333333333', name: 'closed-one', ouPath: 'Root', status: 'SUSPENDED' },
    ],
    fetchedAt: new Date().toISOString(),
  });
  // The member template's two rules in one account; none in the other.
  events = new EventBridgeClient({
    ...awsTestEnv(components.moto.endpoint),
    credentials: fromTemporaryCredentials({
      params: {
        RoleArn: `arn:aws:iam::${WHOLE}:role/OrganizationAccountAccessRole`,
        RoleSessionName: 'setup',
      },
      masterCredentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      clientConfig: { region: 'us-east-1', endpoint: components.moto.endpoint },
    }),
  });
  for (const [name, pattern] of [
    ['iam-changes-forward', FORWARDED_EVENT_PATTERNS.cis44],
    ['iam-changes-forward-watch', FORWARDING_STOP_PATTERN],
  ] as const) {
    await events.send(new PutRuleCommand({ Name: name, EventPattern: JSON.stringify(pattern) }));
    await events.send(
      new PutTargetsCommand({
        Rule: name,
        Targets: [
          {
            Id: 'iam-changes-central-bus',
            Arn: BUS,
            RoleArn: `arn:aws:iam::${WHOLE}:role/iam-changes-forwarder`,
          },
        ],
      }),
    );
  }
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_ENDPOINT_URL: components.moto.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: components.dynalite.endpoint,
    TABLE_NAME: tableName,
    SLACK_BOT_TOKEN: 'xoxb-test-token',
    SLACK_API_URL: components.slack.url,
    SLACK_CHANNEL_CRITICAL: CRITICAL,
    HOME_ACCOUNT_ID: HOME,
    ORGANIZATION_ID: 'o-a1b2c3d4e5',
    CENTRAL_EVENT_BUS_ARN: BUS,
    ALL_WRITES: 'false',
    RESPONDER_EXTERNAL_ID: 'external-id-0123456789',
  });
}, 60_000);

afterAll(async () => {
  process.env = saved;
  events?.destroy();
  await components?.stop();
});

describe('the worker on its forwarding-check schedule', () => {
  it('tells the account whose rule is missing, once, by name; the whole one, the home and the suspended one never', async () => {
    const first = await handler({ kind: 'iam-changes.forwarding-check' }, context);

    expect(first).toMatchObject({ checked: 2, healthy: 1, broken: 1, posted: 1 });
    const notices = components.slack.topLevel(CRITICAL);
    expect(notices).toHaveLength(1);
    expect(notices[0]?.text).toBe(
      `<!here> Forwarding broken: IAM changes from account new-account (${EMPTY}) may no longer reach the bot`,
    );

    const second = await handler({ kind: 'iam-changes.forwarding-check' }, context);
    expect(second).toMatchObject({ checked: 2, posted: 0 });
    expect(components.slack.topLevel(CRITICAL)).toHaveLength(1);
  }, 60_000);

  it('never runs the check for a message on the jobs topic shaped like the schedule input', async () => {
    const before = components.slack.callsTo('chat.postMessage').length;
    await expect(handler(snsEvent({ kind: 'iam-changes.forwarding-check' }), context)).rejects.toThrow();
    expect(components.slack.callsTo('chat.postMessage')).toHaveLength(before);
  });

  it('does not wait out a long Retry-After: the finding fails at once and the next run tells it', async () => {
    await events.send(new DisableRuleCommand({ Name: 'iam-changes-forward' }));
    const about = () =>
      components.slack.topLevel(CRITICAL).filter((message) => message.text.includes('prod-payments'));
    // An hour's Retry-After: waited out, the run would outlast the worker (and this test).
    components.slack.failNext('chat.postMessage', { status: 429, retryAfter: 3600 });

    await expect(handler({ kind: 'iam-changes.forwarding-check' }, context)).rejects.toThrow(
      /could not be told/,
    );
    expect(about()).toEqual([]);

    await handler({ kind: 'iam-changes.forwarding-check' }, context);
    await handler({ kind: 'iam-changes.forwarding-check' }, context);
    expect(about()).toHaveLength(1);
  }, 60_000);

  it('reads and posts nothing when the check is switched off (forwardingCheck=false)', async () => {
    const before = components.slack.callsTo('chat.postMessage').length;
    await events.send(new DisableRuleCommand({ Name: 'iam-changes-forward-watch' }));
    process.env.FORWARDING_CHECK = 'false';
    vi.resetModules();
    const { handler: switchedOff } = await import('../../src/handlers/worker');
    try {
      const result = await switchedOff({ kind: 'iam-changes.forwarding-check' }, context);
      expect(result).toMatchObject({
        checked: 0,
        posted: 0,
        skipped: expect.stringContaining('switched off'),
      });
      expect(components.slack.callsTo('chat.postMessage')).toHaveLength(before);
    } finally {
      delete process.env.FORWARDING_CHECK;
    }
  }, 60_000);
});
