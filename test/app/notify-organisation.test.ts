/**
 * The notify path in an organisation: every message names the account (its name and OU path from the account
 * directory's copy on dynalite) and goes to the channel the routing table picks, first match wins, with the
 * per-level channels as the default; an invalid routing table loses no message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CachedAccountDirectory } from '../../src/app/account-directory';
import { RoutingTextSource } from '../../src/app/routing-table';
import { DynamoAccountDirectoryStore } from '../../src/store/dynamo-account-directory';
import { cloudTrailRecord } from '../support/cloudtrail';
import {
  alarmNotification,
  CHANNEL,
  type Components,
  eventBridgeNotification,
  notifyServiceOn,
  startComponents,
} from '../support/notify-harness';

const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const READ_ONLY = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
const PAYMENTS = '111122223333';
const SANDBOX = '444455556666';
const TABLE = JSON.stringify([
  { name: 'payments', account: 'prod-payments', level: 'high+', channel: '#payments-security' },
  { name: 'sandbox', ou: 'Root/Sandbox', channel: '#sandbox' },
]);

let components: Components;

beforeAll(async () => {
  components = await startComponents();
});

afterAll(async () => {
  await components?.stop();
});

async function organisationNotify(routingText: string, lines: string[] = []) {
  const tableName = await components.dynalite.createTable();
  const now = () => new Date();
  const directoryStore = new DynamoAccountDirectoryStore(components.dynalite.documentClient, { tableName });
  await directoryStore.write({
    accounts: [
      { id: PAYMENTS, name: 'prod-payments', ouPath: 'Root/Workloads/Prod' },
      { id: SANDBOX, name: 'sandbox-7', ouPath: 'Root/Sandbox' },
    ],
    fetchedAt: now().toISOString(),
  });
  return notifyServiceOn(components, {
    tableName,
    settings: { channelByLevel: { critical: '#iam-critical' } },
    accounts: new CachedAccountDirectory({ store: directoryStore, clock: { now } }),
    routes: new RoutingTextSource({
      read: async () => routingText,
      clock: { now },
      log: (message) => lines.push(message),
    }),
    log: (message) => lines.push(message),
  });
}

function recordIn(account: string, roleName: string, policyArn: string) {
  return cloudTrailRecord('AttachRolePolicy', { roleName, policyArn }, { recipientAccountId: account });
}

describe('NotifyService in an organisation', () => {
  it('names the account and its OU path in the message and keeps them with the change', async () => {
    const { service, store } = await organisationNotify(TABLE);
    const record = recordIn(PAYMENTS, 'payments-app', ADMIN);
    await service.process(eventBridgeNotification(record));

    const [posted] = components.slack.topLevel('#payments-security').slice(-1);
    expect(posted?.text).toContain('in account prod-payments (111122223333)');
    expect(JSON.stringify(posted?.blocks)).toContain('*prod-payments* `111122223333` · Root/Workloads/Prod');
    expect((await store.getChange(String(record.eventID)))?.change.account).toEqual({
      id: PAYMENTS,
      name: 'prod-payments',
      ouPath: 'Root/Workloads/Prod',
    });
  });

  it("names the account the caller acted from, and the alarm summary's account, by name", async () => {
    const { service } = await organisationNotify('[]');
    // A role of prod-payments acting in the sandbox account.
    const record = cloudTrailRecord(
      'AttachRolePolicy',
      { roleName: 'cross', policyArn: READ_ONLY },
      {
        recipientAccountId: SANDBOX,
        userIdentity: {
          type: 'AssumedRole',
          principalId: 'AROAPAYMENTS:deploy',
          arn: `arn:aws:sts::${PAYMENTS}:assumed-role/deployer/deploy`,
          accountId: PAYMENTS,
          sessionContext: {
            sessionIssuer: {
              type: 'Role',
              arn: `arn:aws:iam::${PAYMENTS}:role/deployer`,
              userName: 'deployer',
            },
          },
        },
      },
    );
    await service.process(eventBridgeNotification(record));
    const alert = components.slack
      .topLevel(CHANNEL)
      .find((message) => JSON.stringify(message.blocks).includes('cross'));
    const blocks = JSON.stringify(alert?.blocks);
    expect(blocks).toContain('Account *sandbox-7* `444455556666`');
    expect(blocks).toContain('Caller from account *prod-payments* `111122223333`');

    // The stack's alarm in the payments account: no calls behind it here, its account by name all the same.
    await service.process(
      alarmNotification({ metricName: 'OrgNamed', periodStart: new Date(Date.now() - 3_600_000) }),
    );
    const summary = components.slack
      .topLevel(CHANNEL)
      .find((message) => message.text.includes('CIS-4.4-OrgNamed'));
    expect(summary?.text).toContain('in account prod-payments (111122223333)');
    expect(JSON.stringify(summary?.blocks)).toContain('*prod-payments* `111122223333` · Root/Workloads/Prod');
  });

  it('sends each change to the first matching rule, else its level channel, else the default', async () => {
    const { service } = await organisationNotify(TABLE);
    const count = (channel: string) => components.slack.topLevel(channel).length;
    const before = {
      payments: count('#payments-security'),
      sandbox: count('#sandbox'),
      critical: count('#iam-critical'),
      other: count(CHANNEL),
    };
    // Critical in prod-payments: the payments rule, before the critical channel.
    await service.process(eventBridgeNotification(recordIn(PAYMENTS, 'a', ADMIN)));
    // Critical in the sandbox: the sandbox rule.
    await service.process(eventBridgeNotification(recordIn(SANDBOX, 'b', ADMIN)));
    // Critical in an account of no rule: the critical channel.
    await service.process(eventBridgeNotification(recordIn('777788889999', 'c', ADMIN)));
    // Low in prod-payments (below high+): the default channel.
    await service.process(eventBridgeNotification(recordIn(PAYMENTS, 'd', READ_ONLY)));
    expect({
      payments: count('#payments-security') - before.payments,
      sandbox: count('#sandbox') - before.sandbox,
      critical: count('#iam-critical') - before.critical,
      other: count(CHANNEL) - before.other,
    }).toEqual({ payments: 1, sandbox: 1, critical: 1, other: 1 });
    // An account the directory does not know is named by its id alone.
    expect(components.slack.topLevel('#iam-critical').at(-1)?.text).toContain('in account 777788889999');
  });

  it('with an invalid routing table, posts to the per-level channels and says why in one log line', async () => {
    const lines: string[] = [];
    const { service } = await organisationNotify(
      '[{"acount":"prod-payments","channel":"#payments-security"}]',
      lines,
    );
    const before = components.slack.topLevel('#iam-critical').length;
    const result = await service.process(eventBridgeNotification(recordIn(PAYMENTS, 'e', ADMIN)));
    expect(result.posted).toHaveLength(1);
    expect(components.slack.topLevel('#iam-critical')).toHaveLength(before + 1);
    expect(lines).toContain(
      'routing table invalid, using the per-level channels: routing rule 1: unknown field acount (fields: name, account, ou, level, event, actor, channel)',
    );
  });

  it("says in the critical channel, by account name, that a member account's forwarding was stopped", async () => {
    const { service, store } = await organisationNotify('[]');
    const stop = cloudTrailRecord(
      'DeleteRule',
      { name: 'iam-changes-forward' },
      {
        eventSource: 'events.amazonaws.com',
        recipientAccountId: SANDBOX,
        userIdentity: {
          type: 'AssumedRole',
          principalId: 'AROASANDBOX:<!channel>',
          arn: `arn:aws:sts::${SANDBOX}:assumed-role/Admin/<!channel>`,
          accountId: SANDBOX,
        },
      },
    );
    const before = components.slack.topLevel('#iam-critical').length;

    const result = await service.process(eventBridgeNotification(stop));

    expect(result.posted).toEqual([stop.eventID]);
    const [posted] = components.slack.topLevel('#iam-critical').slice(before);
    const blocks = JSON.stringify(posted?.blocks);
    expect(posted?.text).toContain(
      '<!here> Stopped: IAM change forwarding from account sandbox-7 (444455556666)',
    );
    expect(blocks).toContain('IAM changes are no longer forwarded* from account *sandbox-7* `444455556666`');
    expect(blocks).toContain('`DeleteRule` on the rule `iam-changes-forward`');
    expect(blocks).not.toContain('<!channel>');
    // No IAM change: nothing stored under its id.
    expect(await store.getChange(String(stop.eventID))).toBeUndefined();
  });

  it('says so when the forwarding rule is rewritten to leave a caller out, not only when it is stopped', async () => {
    const { service } = await organisationNotify('[]');
    const rewrite = cloudTrailRecord(
      'PutRule',
      {
        name: 'iam-changes-forward',
        state: 'ENABLED',
        eventPattern:
          '{"detail":{"userIdentity":{"arn":[{"anything-but":"arn:aws:iam::444455556666:user/mallory"}]}}}',
      },
      { eventSource: 'events.amazonaws.com', recipientAccountId: SANDBOX },
    );
    const before = components.slack.topLevel('#iam-critical').length;

    const result = await service.process(eventBridgeNotification(rewrite));

    expect(result.posted).toEqual([rewrite.eventID]);
    const [posted] = components.slack.topLevel('#iam-critical').slice(before);
    expect(posted?.text).toContain(
      '<!here> Rewritten: IAM change forwarding from account sandbox-7 (444455556666)',
    );
    expect(JSON.stringify(posted?.blocks)).toContain(
      'The forwarding of IAM changes was rewritten* in account *sandbox-7*',
    );
  });
});
