/**
 * The daily digest on real components: the notify use case keeps digest levels out of the channel, and the
 * digest posts each channel's day once — however many invocations run it — grouped by account and caller.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CachedAccountDirectory } from '../../src/app/account-directory';
import { DigestService } from '../../src/app/digest-service';
import { fixedRoutingTable } from '../../src/app/routing-table';
import { normaliseRecord } from '../../src/domain/change';
import { buildDigest, previousDay } from '../../src/domain/digest';
import { assessChange } from '../../src/domain/explain';
import { parseRoutingTable } from '../../src/domain/routing';
import { renderDigest } from '../../src/slack/render-digest';
import { DynamoAccountDirectoryStore } from '../../src/store/dynamo-account-directory';
import { DynamoDigestStore } from '../../src/store/dynamo-digest-store';
import { assertBlockKitLimits } from '../support/block-kit-limits';
import { cloudTrailRecord } from '../support/cloudtrail';
import {
  CHANNEL,
  type Components,
  eventBridgeNotification,
  notifyServiceOn,
  startComponents,
} from '../support/notify-harness';

let components: Components;

beforeAll(async () => {
  components = await startComponents();
});

afterAll(async () => {
  await components?.stop();
});

const LOW_CHANNEL = '#iam-changes-low';

function putBy(account: string, user: string, eventTime: string, roleName: string) {
  return cloudTrailRecord(
    'PutRolePolicy',
    {
      roleName,
      policyName: 'logs',
      policyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: 'logs:PutLogEvents',
            Resource: `arn:aws:logs:us-east-1:${account}:log-group:/app:*`,
          },
        ],
      }),
    },
    {
      eventTime,
      recipientAccountId: account,
      userIdentity: {
        type: 'IAMUser',
        principalId: `AIDA${account}${user}`,
        arn: `arn:aws:iam::${account}:user/${user}`,
        accountId: account,
        userName: user,
      },
    },
  );
}

describe('previousDay', () => {
  it.each([
    ['2026-12-04T08:00:00Z', '2026-12-03'],
    ['2026-03-01T00:00:00Z', '2026-02-28'],
    ['2027-01-01T23:59:59Z', '2026-12-31'],
  ])('%s → %s', (now, day) => {
    expect(previousDay(new Date(now))).toBe(day);
  });
});

describe('DigestService', () => {
  it('keeps digest levels out of the channel, then posts one digest per channel and day, once', async () => {
    const day = '2026-11-20';
    const { service, store, tableName } = await notifyServiceOn(components, {
      settings: { digestLevels: ['low'], channelByLevel: { low: LOW_CHANNEL } },
    });
    const records = [
      putBy('111111111111', 'alice', `${day}T09:00:00Z`, 'app-1'),
      putBy('111111111111', 'alice', `${day}T09:01:00Z`, 'app-2'),
      putBy('111111111111', 'bob', `${day}T10:00:00Z`, 'app-3'),
      putBy('222222222222', 'alice', `${day}T11:00:00Z`, 'app-4'),
      // Another day: not in this digest.
      putBy('222222222222', 'alice', '2026-11-21T00:00:01Z', 'app-5'),
    ];
    const before = components.slack.messages.length;

    for (const record of records) {
      const result = await service.process(eventBridgeNotification(record));
      expect(result.digested).toEqual([record.eventID]);
    }

    expect(components.slack.messages.length).toBe(before);
    for (const record of records) {
      expect((await store.getChange(String(record.eventID)))?.delivery).toBe('digest');
    }

    const digestOn = (owner: string) =>
      new DigestService({
        changes: store,
        claims: new DynamoDigestStore(components.dynalite.documentClient, { tableName }),
        slack: {
          postMessage: async (message) => {
            const { WebApiSlackGateway, createSlackClient } = await import('../../src/slack/web-api-gateway');
            return new WebApiSlackGateway(
              createSlackClient({ token: 'xoxb-test', slackApiUrl: components.slack.url, retries: 0 }),
            ).postMessage(message);
          },
        },
        render: renderDigest,
        clock: { now: () => new Date() },
        settings: { levels: ['low'], defaultChannel: CHANNEL, channelByLevel: { low: LOW_CHANNEL } },
      }).run(day, owner);

    // Three invocations at once (a retry and a duplicate schedule among them): one digest.
    const runs = await Promise.all([digestOn('a'), digestOn('b'), digestOn('c')]);

    const posted = runs.flatMap((run) => run.channels).filter((entry) => entry.outcome === 'posted');
    expect(posted).toEqual([{ channel: LOW_CHANNEL, changes: 4, outcome: 'posted' }]);
    const digests = components.slack.topLevel(LOW_CHANNEL).slice(0);
    expect(digests).toHaveLength(1);
    const text = JSON.stringify(digests[0]?.blocks);
    expect(text).toContain('4 IAM changes');
    expect(text).toContain('111111111111');
    expect(text).toContain('222222222222');
    expect(text).toContain('alice — 2 changes (PutRolePolicy ×2)');
    expect(text).toContain('bob — 1 change (PutRolePolicy ×1)');
    expect(text).not.toContain('app-5');

    const again = await digestOn('d');
    expect(again.channels).toEqual([{ channel: LOW_CHANNEL, changes: 4, outcome: 'already-posted' }]);
    expect(components.slack.topLevel(LOW_CHANNEL)).toHaveLength(1);
  });

  it('lets another invocation post a digest whose claim was given up or left by one that died', async () => {
    const { tableName } = await notifyServiceOn(components);
    const claims = new DynamoDigestStore(components.dynalite.documentClient, { tableName });
    const now = new Date('2026-11-21T08:00:00Z');
    const later = new Date(now.getTime() + 60_000);

    expect(await claims.claimDigest('#c', '2026-11-20', 'a', later, now)).toBe('claimed');
    expect(await claims.claimDigest('#c', '2026-11-20', 'b', later, now)).toBe('busy');
    // The holder's own retry gets it back.
    expect(await claims.claimDigest('#c', '2026-11-20', 'a', later, now)).toBe('claimed');
    await claims.releaseDigest('#c', '2026-11-20', 'a');
    expect(await claims.claimDigest('#c', '2026-11-20', 'b', later, now)).toBe('claimed');
    // b died: once its claim expires, c takes it over and posts.
    const afterExpiry = new Date(later.getTime() + 1000);
    expect(
      await claims.claimDigest(
        '#c',
        '2026-11-20',
        'c',
        new Date(afterExpiry.getTime() + 60_000),
        afterExpiry,
      ),
    ).toBe('claimed');
    await claims.finishDigest('#c', '2026-11-20', 'c', { channel: '#c', ts: '1.2' }, afterExpiry);
    expect(
      await claims.claimDigest('#c', '2026-11-20', 'd', later, new Date(afterExpiry.getTime() + 3_600_000)),
    ).toBe('posted');
  });
});

describe('DigestService: the daily run', () => {
  const PAYMENTS = '#payments-digest';

  async function digestWith(
    tableName: string,
    options: Partial<ConstructorParameters<typeof DigestService>[0]>,
  ) {
    const { WebApiSlackGateway, createSlackClient } = await import('../../src/slack/web-api-gateway');
    const gateway = new WebApiSlackGateway(
      createSlackClient({ token: 'xoxb-test', slackApiUrl: components.slack.url, retries: 0 }),
    );
    const { DynamoChangeStore } = await import('../../src/store/dynamo-change-store');
    return new DigestService({
      changes: new DynamoChangeStore(components.dynalite.documentClient, { tableName }),
      claims: new DynamoDigestStore(components.dynalite.documentClient, { tableName }),
      slack: gateway,
      render: renderDigest,
      clock: { now: () => new Date() },
      settings: { levels: ['low'], defaultChannel: CHANNEL, channelByLevel: { low: LOW_CHANNEL } },
      ...options,
    });
  }

  it('posts each change in the digest of the channel the routing table gives it', async () => {
    const day = '2026-11-18';
    const { service, tableName } = await notifyServiceOn(components, {
      settings: { digestLevels: ['low'], channelByLevel: { low: LOW_CHANNEL } },
    });
    await service.process(
      eventBridgeNotification(putBy('777777777777', 'carol', `${day}T09:00:00Z`, 'pay-1')),
    );
    await service.process(
      eventBridgeNotification(putBy('888888888888', 'dave', `${day}T09:00:00Z`, 'other-1')),
    );
    const routes = fixedRoutingTable(
      parseRoutingTable(JSON.stringify([{ account: '777777777777', channel: PAYMENTS }])),
    );

    const result = await (await digestWith(tableName, { routes })).run(day, 'routed');

    expect(result.channels.map((entry) => [entry.channel, entry.changes]).sort()).toEqual([
      [LOW_CHANNEL, 1],
      [PAYMENTS, 1],
    ]);
    const payments = JSON.stringify(components.slack.topLevel(PAYMENTS).at(-1)?.blocks);
    expect(payments).toContain('777777777777');
    expect(payments).not.toContain('888888888888');
  });

  it('refreshes the account names first, from Organizations, and only when the kept copy is half a day old', async () => {
    const tableName = await components.dynalite.createTable();
    const store = new DynamoAccountDirectoryStore(components.dynalite.documentClient, { tableName });
    let now = new Date('2026-11-21T08:00:00Z');
    let reads = 0;
    let names = ['prod-payments'];
    const directory = new CachedAccountDirectory({
      store,
      source: {
        listAccounts: async () => {
          reads += 1;
          return names.map((name, index) => ({ id: `11111111111${index}`, name }));
        },
      },
      clock: { now: () => now },
    });
    const digest = await digestWith(tableName, {
      accounts: directory,
      settings: { levels: [], defaultChannel: CHANNEL, channelByLevel: {} },
    });

    expect((await digest.run('2026-11-20', 'a')).accounts).toMatchObject({
      outcome: 'refreshed',
      accounts: 1,
    });
    expect((await store.read())?.accounts.map((account) => account.name)).toEqual(['prod-payments']);
    // An hour later (a retried schedule): the copy is fresh, one store read and no Organizations call.
    now = new Date('2026-11-21T09:00:00Z');
    expect((await digest.run('2026-11-20', 'b')).accounts).toMatchObject({ outcome: 'fresh' });
    expect(reads).toBe(1);
    // The next day: read again, a renamed account with it.
    names = ['payments-prod', 'new-sandbox'];
    now = new Date('2026-11-22T08:00:00Z');
    expect((await digest.run('2026-11-21', 'c')).accounts).toMatchObject({
      outcome: 'refreshed',
      accounts: 2,
    });
    expect((await store.read())?.accounts.map((account) => account.name)).toEqual([
      'payments-prod',
      'new-sandbox',
    ]);
  });

  it('keeps the old copy and still posts when Organizations cannot be read', async () => {
    const tableName = await components.dynalite.createTable();
    const store = new DynamoAccountDirectoryStore(components.dynalite.documentClient, { tableName });
    await store.write({
      accounts: [{ id: '111111111111', name: 'kept' }],
      fetchedAt: '2026-11-01T00:00:00Z',
    });
    const lines: string[] = [];
    const directory = new CachedAccountDirectory({
      store,
      source: {
        listAccounts: async () => {
          throw new Error('TooManyRequestsException: Rate exceeded');
        },
      },
      clock: { now: () => new Date('2026-11-21T08:00:00Z') },
    });
    const digest = await digestWith(tableName, {
      accounts: directory,
      log: (message) => lines.push(message),
    });

    const result = await digest.run('2026-11-20', 'a');

    expect(result.accounts).toMatchObject({
      outcome: 'failed',
      accounts: 1,
      fetchedAt: '2026-11-01T00:00:00Z',
    });
    expect(lines).toContain('account directory: the daily refresh failed; the kept copy is used');
    expect((await store.read())?.accounts).toEqual([{ id: '111111111111', name: 'kept' }]);
  });
});

describe('renderDigest', () => {
  it('stays within Slack limits for 300 accounts, continuing in the thread', () => {
    const changes = Array.from({ length: 300 }, (_, index) => {
      const record = putBy(String(500000000000 + index), `user-${index % 7}`, '2026-11-20T09:00:00Z', 'r');
      return record;
    });
    const assessed = changes.map((record) => {
      const normalised = normaliseRecord(record);
      if (!('change' in normalised)) throw new Error('skipped');
      return assessChange(normalised.change, { expectedActors: [], trustedAccounts: [] });
    });
    const messages = renderDigest(buildDigest('2026-11-20', assessed), ['low']);

    expect(messages.length).toBeGreaterThan(1);
    for (const message of messages) assertBlockKitLimits(message as never);
    expect(JSON.stringify(messages)).toContain('500000000299');
  });

  it('escapes caller names from the event', () => {
    const normalised = normaliseRecord(putBy('111111111111', '<!channel>', '2026-11-20T09:00:00Z', 'r'));
    if (!('change' in normalised)) throw new Error('skipped');
    const change = assessChange(normalised.change, { expectedActors: [], trustedAccounts: [] });
    const text = JSON.stringify(renderDigest(buildDigest('2026-11-20', [change]), ['low']));

    expect(text).not.toContain('<!channel>');
    expect(text).toContain('&lt;!channel&gt;');
  });
});
