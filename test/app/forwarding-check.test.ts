/**
 * The scheduled forwarding check on moto_server's multi-account support (an account is chosen by the key of a role
 * assumed in it): an organisation whose member accounts have the member template's forwarding rule and forwarder
 * role made as the template would make them (moto runs no CloudFormation), read through the responder role by the
 * real EventBridge adapter, with the watch rule that forwards the calls on it; the account directory's copy and the states on dynalite; the notices on the local
 * Slack server. Then the rule is deleted, disabled, retargeted, restored; the watch rule narrowed, disabled, deleted.
 *
 * moto assumes any role, even one no account has, so "the role cannot be assumed" is an account whose STS answers
 * nothing (a closed loopback port): the same failure, for the check, as AWS refusing the assumption.
 */
import { createServer } from 'node:net';
import path from 'node:path';
import {
  DeleteRuleCommand,
  DisableRuleCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import {
  CreateAccountCommand,
  CreateOrganizationCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ForwardingCheck, type ForwardingFindingChannel } from '../../src/app/forwarding-check';
import { createMemberEventsClient, MemberForwardingReader } from '../../src/aws/member-forwarding';
import { OrganizationsAccountSource } from '../../src/aws/organizations-accounts';
import type { AccountFacts } from '../../src/domain/accounts';
import { FORWARDING_STOP_PATTERN } from '../../src/domain/forwarding';
import { SlackAlertChannel } from '../../src/slack/slack-alert-channel';
import { createSlackClient, WebApiSlackGateway } from '../../src/slack/web-api-gateway';
import { DynamoAccountDirectoryStore } from '../../src/store/dynamo-account-directory';
import { DynamoForwardingStateStore } from '../../src/store/dynamo-forwarding-states';
import { type CfnTemplate, readYamlFile, resourcesIn } from '../support/cfn-template';
import { type DynaliteServer, startDynalite } from '../support/dynalite';
import { awsTestEnv, type MotoServer, startMoto } from '../support/moto';
import { type LocalSlack, type StoredMessage, startSlackServer } from '../support/slack-server';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const CHANNEL = '#iam-critical';
const EXTERNAL_ID = 'external-id-0123456789';

let moto: MotoServer;
let dynalite: DynaliteServer;
let slack: LocalSlack;
let member: CfnTemplate;
let tableName: string;
let organizations: OrganizationsClient;
let closedPort: number;
const saved: Record<string, string | undefined> = {};
const ids: Record<string, string> = {};
let busArn: string;
const clients: Array<{ destroy(): void }> = [];

/** Client configuration acting in `accountId` with the organisation's access role (what a StackSet would use). */
function asAccount(accountId: string) {
  return {
    ...awsTestEnv(moto.endpoint),
    credentials: fromTemporaryCredentials({
      params: {
        RoleArn: `arn:aws:iam::${accountId}:role/OrganizationAccountAccessRole`,
        RoleSessionName: 'setup',
      },
      masterCredentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      clientConfig: { region: 'us-east-1', endpoint: moto.endpoint },
    }),
  };
}

function events(accountId: string): EventBridgeClient {
  const client = new EventBridgeClient(asAccount(accountId));
  clients.push(client);
  return client;
}

/**
 * The member template's forwarder role, forwarding rule and watch rule with their targets, in `accountId`, as it
 * makes them (`only`: that rule alone, as someone restoring it by hand would).
 */
async function deployForwarding(
  accountId: string,
  only?: 'ForwardingRule' | 'ForwardingWatchRule',
): Promise<void> {
  const resources = resourcesIn(member, {
    accountId,
    parameters: {
      CentralEventBusArn: busArn,
      WorkerRoleArn: `arn:aws:iam::${ids.security}:role/iam-changes-worker-test`,
      ExternalId: EXTERNAL_ID,
    },
  });
  const role = resources.ForwarderRole?.Properties as { RoleName: string; AssumeRolePolicyDocument: unknown };
  const iam = new IAMClient(asAccount(accountId));
  clients.push(iam);
  await iam
    .send(
      new CreateRoleCommand({
        RoleName: role.RoleName,
        AssumeRolePolicyDocument: JSON.stringify(role.AssumeRolePolicyDocument),
      }),
    )
    .catch((error: unknown) => {
      if ((error as Error).name !== 'EntityAlreadyExistsException') throw error;
    });
  const client = events(accountId);
  for (const name of only ? [only] : (['ForwardingRule', 'ForwardingWatchRule'] as const)) {
    const rule = resources[name]?.Properties as {
      Name: string;
      EventPattern: unknown;
      Targets: Array<{ Id: string; Arn: string; RetryPolicy: unknown }>;
    };
    await client.send(
      new PutRuleCommand({ Name: rule.Name, EventPattern: JSON.stringify(rule.EventPattern) }),
    );
    const [target] = rule.Targets;
    await client.send(
      new PutTargetsCommand({
        Rule: rule.Name,
        Targets: [
          {
            Id: target?.Id,
            Arn: target?.Arn,
            RoleArn: `arn:aws:iam::${accountId}:role/${role.RoleName}`,
          },
        ],
      }),
    );
  }
}

/** The local Slack server's channel, as the worker posts findings. */
function slackChannel(): ForwardingFindingChannel {
  return new SlackAlertChannel(
    new WebApiSlackGateway(
      createSlackClient({ token: 'xoxb-test-token', slackApiUrl: slack.url, retries: 0 }),
    ),
  );
}

function check(
  options: {
    now?: () => Date;
    channel?: ForwardingFindingChannel;
    /** Accounts whose STS answers nothing this run, besides the one that never can be checked. */
    unreachable?: string[];
    /** Accounts whose first read this run is throttled (an EventBridge `ThrottlingException`). */
    throttledOnce?: string[];
    /** Told of each account read, in order. */
    onRead?: (accountId: string) => void;
    concurrency?: number;
    /** Another table (its own account directory and states). */
    table?: string;
  } = {},
): ForwardingCheck {
  const role = { roleName: 'iam-changes-responder', externalId: async () => EXTERNAL_ID };
  const unreachable = new EventBridgeClient({
    ...awsTestEnv(moto.endpoint),
    credentials: fromTemporaryCredentials({
      params: { RoleArn: `arn:aws:iam::${ids.noTemplate}:role/iam-changes-responder`, RoleSessionName: 'x' },
      masterCredentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      clientConfig: { region: 'us-east-1', endpoint: `http://127.0.0.1:${closedPort}`, maxAttempts: 1 },
    }),
  });
  clients.push(unreachable);
  const throttled = new Set(options.throttledOnce);
  return new ForwardingCheck({
    accounts: new DynamoAccountDirectoryStore(dynalite.documentClient, {
      tableName: options.table ?? tableName,
    }),
    reader: new MemberForwardingReader((accountId) => {
      options.onRead?.(accountId);
      if (accountId === ids.noTemplate || options.unreachable?.includes(accountId)) return unreachable;
      const client = createMemberEventsClient(accountId, role, { maxAttempts: 1 });
      clients.push(client);
      if (!throttled.has(accountId)) return client;
      throttled.delete(accountId);
      return {
        send: () =>
          Promise.reject(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' })),
      } as unknown as EventBridgeClient;
    }),
    states: new DynamoForwardingStateStore(dynalite.documentClient, {
      tableName: options.table ?? tableName,
    }),
    slack: options.channel ?? slackChannel(),
    clock: { now: options.now ?? (() => new Date()) },
    settings: {
      centralBusArn: busArn,
      allWrites: false,
      homeAccountId: ids.security,
      channel: CHANNEL,
      mentionOnCritical: true,
      retryPauseMs: 10,
      ...(options.concurrency ? { concurrency: options.concurrency } : {}),
    },
  });
}

/** A new account of the organisation on moto, named `name`: its id. */
async function createAccount(name: string): Promise<string> {
  const created = await organizations.send(
    new CreateAccountCommand({ AccountName: name, Email: `${name}@example.com` }),
  );
  return created.CreateAccountStatus?.AccountId ?? '';
}

function posted(): StoredMessage[] {
  return slack.topLevel(CHANNEL);
}

beforeAll(async () => {
  [moto, dynalite, slack] = await Promise.all([startMoto(), startDynalite(), startSlackServer()]);
  member = await readYamlFile(path.join(ROOT, 'templates', 'member-account.yml'));
  tableName = await dynalite.createTable();
  // The responder role's credentials come from the environment's, as in the worker: here moto's.
  for (const [key, value] of Object.entries({
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: 'us-east-1',
  })) {
    saved[key] = process.env[key];
    process.env[key] = value;
  }
  closedPort = await new Promise<number>((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

  organizations = new OrganizationsClient(awsTestEnv(moto.endpoint));
  clients.push(organizations);
  await organizations.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
  for (const [key, name] of Object.entries({
    security: 'security-tooling',
    healthy: 'prod-payments',
    deleted: 'prod-orders',
    disabled: 'staging-web',
    retargeted: 'sandbox-7',
    noTemplate: 'legacy-data',
    watchNarrowed: 'prod-ledger',
    watchDisabled: 'prod-search',
    crashed: 'prod-billing',
    revoked: 'prod-identity',
  })) {
    ids[key] = await createAccount(name);
  }
  busArn = `arn:aws:events:us-east-1:${ids.security}:event-bus/iam-changes-org-test`;
  for (const key of [
    'healthy',
    'deleted',
    'disabled',
    'retargeted',
    'watchNarrowed',
    'watchDisabled',
    'crashed',
    'revoked',
  ])
    await deployForwarding(ids[key] ?? '');
  // The directory's copy, as notify keeps it: read from Organizations (the management account included).
  const accounts = await new OrganizationsAccountSource(organizations).listAccounts();
  await new DynamoAccountDirectoryStore(dynalite.documentClient, { tableName }).write({
    accounts,
    fetchedAt: new Date().toISOString(),
  });
}, 120_000);

afterAll(async () => {
  for (const client of clients) client.destroy();
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  await Promise.all([moto?.stop(), dynalite?.stop(), slack?.close()]);
});

describe('the scheduled forwarding check', () => {
  it('says nothing of healthy accounts, reports an account it cannot check once, and never the home account', async () => {
    const first = await check().run();

    // The management account (moto's own) got no plain stack here: told too (on AWS its missing responder role
    // makes it "cannot check"; moto assumes any role, so there its rule is found missing).
    expect(first).toMatchObject({ checked: 10, healthy: 8, broken: 1, unchecked: 1, posted: 2 });
    const about = (id: string) => posted().filter((message) => JSON.stringify(message.blocks).includes(id));
    expect(about(ids.noTemplate ?? '')).toHaveLength(1);
    const [unchecked] = about(ids.noTemplate ?? '');
    expect(unchecked?.text).toContain('Forwarding cannot be checked in account legacy-data');
    expect(unchecked?.text).not.toContain('<!here>');
    for (const key of [
      'security',
      'healthy',
      'deleted',
      'disabled',
      'retargeted',
      'watchNarrowed',
      'watchDisabled',
      'crashed',
      'revoked',
    ])
      expect(about(ids[key] ?? ''), key).toEqual([]);

    const before = posted().length;
    const second = await check().run();
    expect(second.posted).toBe(0);
    expect(posted()).toHaveLength(before);
  }, 60_000);

  it('posts once, by account name and with @here, a rule deleted, disabled or retargeted, and "restored" in its thread', async () => {
    const deleted = ids.deleted ?? '';
    const disabled = ids.disabled ?? '';
    const retargeted = ids.retargeted ?? '';
    // Deleting the watch rule first leaves nothing to forward these calls: the check sees what they did.
    await events(deleted).send(
      new RemoveTargetsCommand({ Rule: 'iam-changes-forward', Ids: ['iam-changes-central-bus'] }),
    );
    await events(deleted).send(new DeleteRuleCommand({ Name: 'iam-changes-forward' }));
    await events(disabled).send(new DisableRuleCommand({ Name: 'iam-changes-forward' }));
    await events(retargeted).send(
      new PutTargetsCommand({
        Rule: 'iam-changes-forward',
        Targets: [
          {
            Id: 'iam-changes-central-bus',
            Arn: 'arn:aws:events:us-east-1:999999999999:event-bus/elsewhere',
            RoleArn: `arn:aws:iam::${retargeted}:role/iam-changes-forwarder`,
          },
        ],
      }),
    );
    const before = posted().length;

    const run = await check().run();

    expect(run).toMatchObject({ broken: 4, posted: 3 });
    const notices = posted().slice(before);
    expect(notices).toHaveLength(3);
    const text = (name: string) => notices.find((message) => message.text.includes(name));
    expect(text('prod-orders')?.text).toBe(
      `<!here> Forwarding broken: IAM changes from account prod-orders (${deleted}) may no longer reach the bot`,
    );
    expect(JSON.stringify(text('prod-orders')?.blocks)).toContain('is gone');
    expect(JSON.stringify(text('staging-web')?.blocks)).toContain('the rule is disabled');
    expect(JSON.stringify(text('sandbox-7')?.blocks)).toContain('no longer targets the central event bus');

    // The next run: the same states, nothing new.
    await check().run();
    expect(posted()).toHaveLength(before + 3);

    // Restored by a redeploy of the template: one line in the thread of its notice, nothing at the top.
    await deployForwarding(deleted);
    const restored = await check().run();
    expect(restored.posted).toBe(1);
    expect(posted()).toHaveLength(before + 3);
    const notice = text('prod-orders') as StoredMessage;
    const [line] = slack.thread(notice.ts);
    expect(line?.text).toContain('is restored');
    expect(line?.text).toContain('prod-orders');

    // Broken again later: a new notice, as a new state.
    await events(deleted).send(new DisableRuleCommand({ Name: 'iam-changes-forward' }));
    await check().run();
    expect(posted()).toHaveLength(before + 4);
  }, 60_000);

  it('tells a finding Slack refused on the next run, and only once', async () => {
    const account = ids.healthy ?? '';
    await events(account).send(new DisableRuleCommand({ Name: 'iam-changes-forward' }));
    const about = () => posted().filter((message) => message.text.includes('prod-payments'));
    slack.failNext('chat.postMessage', { ok: false, error: 'channel_not_found' });

    await expect(check().run()).rejects.toThrow(/1 findings could not be told/);
    expect(about()).toEqual([]);

    await check().run();
    await check().run();
    expect(about()).toHaveLength(1);
    expect(JSON.stringify(about()[0]?.blocks)).toContain('the rule is disabled');
  }, 60_000);

  it('sees the watch rule narrowed or disabled first, even when the forwarding rule was put back before the run', async () => {
    const narrowed = ids.watchNarrowed ?? '';
    const disabled = ids.watchDisabled ?? '';
    // The attack: narrow the watch rule so it no longer forwards DeleteRule, delete the forwarding rule (no call
    // reaches the bus), act unseen, then put the forwarding rule back as it was before the hourly run.
    await events(narrowed).send(
      new PutRuleCommand({
        Name: 'iam-changes-forward-watch',
        EventPattern: JSON.stringify({
          ...FORWARDING_STOP_PATTERN,
          detail: { ...FORWARDING_STOP_PATTERN.detail, eventName: ['PutTargets'] },
        }),
      }),
    );
    await events(narrowed).send(
      new RemoveTargetsCommand({ Rule: 'iam-changes-forward', Ids: ['iam-changes-central-bus'] }),
    );
    await events(narrowed).send(new DeleteRuleCommand({ Name: 'iam-changes-forward' }));
    await deployForwarding(narrowed, 'ForwardingRule');
    await events(disabled).send(new DisableRuleCommand({ Name: 'iam-changes-forward-watch' }));
    const about = (name: string) => posted().filter((message) => message.text.includes(name));

    const run = await check().run();

    expect(about('prod-ledger')).toHaveLength(1);
    expect(about('prod-ledger')[0]?.text).toBe(
      `<!here> Forwarding watch broken: a stop of IAM change forwarding from account prod-ledger (${narrowed}) would go unseen`,
    );
    expect(JSON.stringify(about('prod-ledger')[0]?.blocks)).toContain(
      "the watch rule matches other calls than the template's",
    );
    expect(about('prod-search')).toHaveLength(1);
    expect(JSON.stringify(about('prod-search')[0]?.blocks)).toContain('the watch rule is disabled');
    expect(run.posted).toBeGreaterThanOrEqual(2);

    // Unchanged on the next run: nothing new. Deleted outright later: a new state, a new notice.
    await check().run();
    expect(about('prod-search')).toHaveLength(1);
    await events(disabled).send(
      new RemoveTargetsCommand({ Rule: 'iam-changes-forward-watch', Ids: ['iam-changes-central-bus'] }),
    );
    await events(disabled).send(new DeleteRuleCommand({ Name: 'iam-changes-forward-watch' }));
    await check().run();
    expect(about('prod-search')).toHaveLength(2);
    expect(JSON.stringify(about('prod-search')[1]?.blocks)).toContain(
      'the watch rule `iam-changes-forward-watch` is gone',
    );

    // Put back by a redeploy: "restored" in the thread.
    await deployForwarding(narrowed);
    await check().run();
    const [line] = slack.thread((about('prod-ledger')[0] as StoredMessage).ts);
    expect(line?.text).toContain('is restored');
  }, 60_000);

  it('tells a finding whose run died while posting it on the next run, once, and not while that run may live', async () => {
    const account = ids.crashed ?? '';
    await events(account).send(new DisableRuleCommand({ Name: 'iam-changes-forward' }));
    const about = () => posted().filter((message) => message.text.includes('prod-billing'));
    // The invocation dies in the middle of the post (a Lambda timeout, a crash): the post never returns and
    // nothing after it runs. Other accounts' findings go through as usual.
    let reached!: () => void;
    const atPost = new Promise<void>((resolve) => {
      reached = resolve;
    });
    const real = slackChannel();
    const dying: ForwardingFindingChannel = {
      postForwardingSummary: (channel, summary) => real.postForwardingSummary(channel, summary),
      postForwardingFinding: (place, finding) => {
        if (finding.account.id !== account) return real.postForwardingFinding(place, finding);
        reached();
        return new Promise(() => {});
      },
    };
    void check({ channel: dying }).run();
    await atPost;

    // A run while the dying one may still be posting (within the longest a Lambda runs) leaves it to that run.
    const during = await check().run();
    expect(during.posted).toBe(0);
    expect(about()).toEqual([]);

    // The next run after that: told, once.
    const later = () => new Date(Date.now() + 16 * 60_000);
    await check({ now: later }).run();
    await check({ now: later }).run();
    expect(about()).toHaveLength(1);
    expect(JSON.stringify(about()[0]?.blocks)).toContain('the rule is disabled');

    // And restored later: in the thread of the notice that was told.
    await deployForwarding(account, 'ForwardingRule');
    await check({ now: later }).run();
    const [line] = slack.thread((about()[0] as StoredMessage).ts);
    expect(line?.text).toContain('is restored');
  }, 60_000);

  it('reads a failed account once more before telling it, and tells one checked before that no longer can be with @here', async () => {
    const account = ids.revoked ?? '';
    const about = () => posted().filter((message) => message.text.includes('prod-identity'));

    // One throttled read: read again, whole, nothing said.
    const throttled = await check({ throttledOnce: [account] }).run();
    // legacy-data only, as ever.
    expect(throttled.unchecked).toBe(1);
    expect(about()).toEqual([]);

    // Its role taken away (here: its STS no longer answers): whoever can stop the forwarding can stop the check
    // seeing it first, so this is told like a break.
    await check({ unreachable: [account] }).run();
    expect(about()).toHaveLength(1);
    expect(about()[0]?.text).toBe(
      `<!here> Forwarding cannot be checked in account prod-identity (${account})`,
    );
    expect(JSON.stringify(about()[0]?.blocks)).toContain('It could be checked before');
    await check({ unreachable: [account] }).run();
    expect(about()).toHaveLength(1);
  }, 60_000);

  it('starts the run after one cut short by its deadline with the accounts that one did not reach', async () => {
    let skew = 0;
    const now = () => new Date(Date.now() + skew);
    const deadline = Date.now() + 60_000;
    // Run 1 reads three accounts, then its deadline has passed (the clock jumps past it).
    const first: string[] = [];
    const cut = await check({
      now,
      concurrency: 1,
      onRead: (accountId) => {
        if (first.includes(accountId)) return; // read once more after a failure
        first.push(accountId);
        if (first.length === 3) skew = 120_000;
      },
    }).run(deadline);
    expect(first).toHaveLength(3);
    expect(cut.notReached).toBeGreaterThan(0);

    // Run 2, the same hour: the accounts run 1 missed come first, in order, then the ones it read.
    skew = 0;
    const second: string[] = [];
    const full = await check({
      now,
      concurrency: 1,
      onRead: (accountId) => {
        if (!second.includes(accountId)) second.push(accountId);
      },
    }).run();
    expect(full.notReached).toBe(0);
    expect(second).toHaveLength(3 + cut.notReached);
    expect(second.slice(cut.notReached)).toEqual(first);
    expect(new Set(second.slice(0, cut.notReached)).size).toBe(cut.notReached);
    expect(second.slice(0, cut.notReached).some((accountId) => first.includes(accountId))).toBe(false);
  }, 60_000);

  it('tells more than five accounts newly found in the same state in one notice naming them, not one each', async () => {
    // An upgrade: seven accounts still on the old responder-role.yml, no rules at all; an eighth whole.
    const table = await dynalite.createTable();
    const created: AccountFacts[] = [];
    for (let i = 0; i < 8; i += 1) {
      const name = `upgrade-${i}`;
      const id = await createAccount(name);
      created.push({ id, name, ouPath: 'Root', status: 'ACTIVE' });
    }
    const [whole] = created.slice(7) as [AccountFacts];
    await deployForwarding(whole.id);
    await new DynamoAccountDirectoryStore(dynalite.documentClient, { tableName: table }).write({
      accounts: created,
      fetchedAt: new Date().toISOString(),
    });
    const about = () => posted().filter((message) => message.text.includes('7 accounts'));
    const before = posted().length;

    const run = await check({ table }).run();

    expect(run).toMatchObject({ checked: 8, broken: 7, posted: 1 });
    expect(posted()).toHaveLength(before + 1);
    expect(about()).toHaveLength(1);
    expect(about()[0]?.text).toBe(
      '<!here> Forwarding broken in 7 accounts: their IAM changes may no longer reach the bot',
    );
    const blocks = JSON.stringify(about()[0]?.blocks);
    for (const account of created.slice(0, 7)) expect(blocks).toContain(`*${account.name}*`);
    expect(blocks).not.toContain('upgrade-7');

    // Nothing more while they stay so; one of them upgraded: "restored" in the summary's thread.
    await check({ table }).run();
    expect(posted()).toHaveLength(before + 1);
    await deployForwarding(created[0]?.id ?? '');
    await check({ table }).run();
    expect(posted()).toHaveLength(before + 1);
    const [line] = slack.thread((about()[0] as StoredMessage).ts);
    expect(line?.text).toContain('upgrade-0');
    expect(line?.text).toContain('is restored');
  }, 60_000);

  it('still tells what a run cut short by its deadline found in the accounts it read', async () => {
    const table = await dynalite.createTable();
    const created: AccountFacts[] = [];
    for (let i = 0; i < 3; i += 1) {
      const name = `cut-${i}`;
      const id = await createAccount(name);
      created.push({ id, name, status: 'ACTIVE' });
    }
    await new DynamoAccountDirectoryStore(dynalite.documentClient, { tableName: table }).write({
      accounts: created,
      fetchedAt: new Date().toISOString(),
    });
    let skew = 0;
    const read = new Set<string>();
    const deadline = Date.now() + 60_000;
    const run = await check({
      table,
      concurrency: 1,
      now: () => new Date(Date.now() + skew),
      onRead: (accountId) => {
        read.add(accountId);
        if (read.size === 2) skew = 120_000;
      },
    }).run(deadline, deadline + 600_000);

    expect(run).toMatchObject({ checked: 2, broken: 2, notReached: 1, posted: 2 });
    const told = created.filter((account) =>
      posted().some((message) => message.text.includes(`${account.name} (`)),
    );
    expect(told.map((account) => account.id).sort()).toEqual([...read].sort());
  }, 60_000);
});
