/**
 * The escalation check end to end: a real moto_server holds the principals and their policies, dynalite the
 * store, a local Slack server the alert. Notify checks the change itself when every document is at hand within
 * its budget; otherwise it posts "checking escalation paths…" and queues a job, and the worker's check updates
 * the alert. A job that cannot be queued is said on the alert and fails the notification, so it comes again.
 * Access Analyzer (which moto lacks) is `aws-sdk-client-mock`'s.
 */

import {
  AccessAnalyzerClient,
  AccessDeniedException,
  ValidatePolicyCommand,
} from '@aws-sdk/client-accessanalyzer';
import {
  AddUserToGroupCommand,
  AttachGroupPolicyCommand,
  AttachRolePolicyCommand,
  CreateGroupCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  CreateUserCommand,
  IAMClient,
  PutRolePermissionsBoundaryCommand,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChangeContent } from '../../src/app/change-content';
import {
  EscalationChecker,
  EscalationCheckService,
  FollowUpNotQueuedError,
  NotifyEscalation,
  type NotifyEscalationDependencies,
} from '../../src/app/escalation-check';
import type { Job, JobQueue } from '../../src/app/jobs';
import {
  IamPolicyDocuments,
  PolicyDocumentResolver,
  StoredPolicyDocuments,
} from '../../src/app/policy-documents';
import { RaisedAlertGate, type RaisedPostClaims, RaisedPostPendingError } from '../../src/app/raised-alert';
import { AccessAnalyzerPolicyValidator } from '../../src/aws/access-analyzer-validator';
import { AwsIamGateway } from '../../src/aws/iam-gateway';
import { AwsPrincipalDirectory } from '../../src/aws/principal-directory';
import { IamDataActionCatalogue } from '../../src/catalogue/action-catalogue';
import { withEscalation } from '../../src/domain/escalation';
import { assessChange } from '../../src/domain/explain';
import { withManagedPolicy } from '../../src/domain/managed-policy';
import { actorKeyOf, type Mute } from '../../src/domain/mute';
import { routeChange } from '../../src/domain/routing';
import type { AssessedChange } from '../../src/domain/types';
import { SlackAlertRefresher } from '../../src/slack/alert-refresher';
import { SlackAlertChannel } from '../../src/slack/slack-alert-channel';
import { createSlackClient, WebApiSlackGateway } from '../../src/slack/web-api-gateway';
import { DynamoChangeStore } from '../../src/store/dynamo-change-store';
import { DynamoMuteStore } from '../../src/store/dynamo-mutes';
import { changeOf, cloudTrailRecord } from '../support/cloudtrail';
import { awsTestEnv } from '../support/moto';
import {
  CHANNEL,
  type Components,
  eventBridgeNotification,
  notifyServiceOn,
  startComponents,
} from '../support/notify-harness';

const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});
const allow = (actions: string[], resource: string | string[] = '*') =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: actions, Resource: resource }],
  });
const deny = (actions: string[]) =>
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: actions, Resource: '*' }] });

let components: Components;
let client: IAMClient;
let checker: EscalationChecker;
let store: DynamoChangeStore;
let counter = 0;

beforeAll(async () => {
  components = await startComponents();
  client = new IAMClient(awsTestEnv(components.moto.endpoint));
  store = new DynamoChangeStore(components.dynalite.documentClient, {
    tableName: await components.dynalite.createTable(),
  });
  const iam = new AwsIamGateway(client);
  checker = new EscalationChecker({
    iam,
    directory: new AwsPrincipalDirectory(client),
    policies: new PolicyDocumentResolver([
      new StoredPolicyDocuments(store),
      new IamPolicyDocuments(iam, store, () => new Date()),
    ]),
    store,
    now: () => new Date(),
  });
});

afterAll(async () => {
  await components?.stop();
});

function unique(name: string): string {
  counter += 1;
  return `${name}-${counter}`;
}

async function policy(name: string, document: string): Promise<string> {
  const output = await client.send(
    new CreatePolicyCommand({ PolicyName: unique(name), PolicyDocument: document }),
  );
  return output.Policy?.Arn ?? '';
}

async function role(inline: Record<string, string> = {}): Promise<string> {
  const name = unique('app');
  await client.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: TRUST }));
  for (const [policyName, document] of Object.entries(inline)) {
    await client.send(
      new PutRolePolicyCommand({ RoleName: name, PolicyName: policyName, PolicyDocument: document }),
    );
  }
  return name;
}

/** The attach of `policyArn` to `roleName`, made in IAM and judged as notify judges it. */
async function attachToRole(roleName: string, policyArn: string): Promise<AssessedChange> {
  await client.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: policyArn }));
  return assessChange(changeOf('AttachRolePolicy', { roleName, policyArn }), {
    expectedActors: [],
    trustedAccounts: [],
  });
}

describe('EscalationChecker', () => {
  it('finds the path an attach opened by combining it with what the role already had', async () => {
    const name = await role({ pass: allow(['iam:PassRole']) });
    const change = await attachToRole(name, await policy('Compute', allow(['ec2:RunInstances'])));

    const check = await checker.check(change);

    expect(check).toMatchObject({
      state: 'done',
      principal: `role ${name}`,
      opened: [{ id: 'pass-role-ec2', actions: ['iam:PassRole', 'ec2:RunInstances'], reach: 'yes' }],
      alreadyOpen: 0,
    });
  });

  it('opens nothing when an explicit Deny the role holds covers the path', async () => {
    const name = await role({ pass: allow(['iam:PassRole']), guard: deny(['ec2:RunInstances']) });
    const change = await attachToRole(name, await policy('Compute', allow(['ec2:RunInstances'])));

    expect(await checker.check(change)).toMatchObject({ state: 'done', opened: [] });
  });

  it('opens nothing when the permissions boundary leaves the path out', async () => {
    const name = await role({ pass: allow(['iam:PassRole']) });
    const boundary = await policy('Boundary', allow(['s3:*', 'ec2:*']));
    await client.send(
      new PutRolePermissionsBoundaryCommand({ RoleName: name, PermissionsBoundary: boundary }),
    );
    const change = await attachToRole(name, await policy('Compute', allow(['ec2:RunInstances'])));

    expect(await checker.check(change)).toMatchObject({ state: 'done', opened: [] });
  });

  it('calls a path on one role only conditional, and says why', async () => {
    const name = await role({ pass: allow(['iam:PassRole'], 'arn:aws:iam::123456789012:role/powerful') });
    const change = await attachToRole(name, await policy('Compute', allow(['ec2:RunInstances'])));

    const check = await checker.check(change);

    expect(check).toMatchObject({ state: 'done', opened: [{ id: 'pass-role-ec2', reach: 'conditional' }] });
    expect(check?.state === 'done' && check.opened[0]?.why.join(' ')).toContain(
      'only on arn:aws:iam::123456789012:role/',
    );
  });

  it('does not count a path the role had before the change as opened by it', async () => {
    const name = await role({ admin: allow(['iam:CreatePolicyVersion']) });
    const change = await attachToRole(name, await policy('Logs', allow(['logs:PutLogEvents'])));

    expect(await checker.check(change)).toMatchObject({ state: 'done', opened: [], alreadyOpen: 1 });
  });

  it("reads a user's groups: adding the user to a group can open a path", async () => {
    const user = unique('bob');
    const group = unique('admins');
    await client.send(new CreateUserCommand({ UserName: user }));
    await client.send(new CreateGroupCommand({ GroupName: group }));
    await client.send(
      new AttachGroupPolicyCommand({
        GroupName: group,
        PolicyArn: await policy('Versions', allow(['iam:CreatePolicyVersion'])),
      }),
    );
    await client.send(new AddUserToGroupCommand({ UserName: user, GroupName: group }));
    const change = assessChange(changeOf('AddUserToGroup', { userName: user, groupName: group }), {
      expectedActors: [],
      trustedAccounts: [],
    });

    expect(await checker.check(change)).toMatchObject({
      state: 'done',
      principal: `user ${user}`,
      opened: [{ id: 'create-policy-version' }],
    });
  });

  it('says the check could not run for a principal that is gone', async () => {
    const change = assessChange(
      changeOf('AttachRolePolicy', { roleName: 'gone', policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }),
      {
        expectedActors: [],
        trustedAccounts: [],
      },
    );

    expect(await checker.check(change)).toEqual({
      state: 'unavailable',
      reason: 'role gone no longer exists',
    });
  });

  it('has nothing to check for a change that touches no principal', async () => {
    const change = assessChange(
      changeOf('CreatePolicy', { policyName: 'x', policyDocument: allow(['s3:*']) }),
      {
        expectedActors: [],
        trustedAccounts: [],
      },
    );

    expect(await checker.check(change)).toBeUndefined();
  });
});

const slackGateway = () =>
  new WebApiSlackGateway(createSlackClient({ token: 'xoxb-test-token', slackApiUrl: components.slack.url }));

/** The check on moto's IAM, its documents from the store, then (unless `storeOnly`) IAM. */
function checkerOn(on: DynamoChangeStore, options: { storeOnly?: boolean } = {}): EscalationChecker {
  const iam = new AwsIamGateway(client);
  return new EscalationChecker({
    iam,
    directory: new AwsPrincipalDirectory(client),
    policies: new PolicyDocumentResolver([
      new StoredPolicyDocuments(on),
      ...(options.storeOnly ? [] : [new IamPolicyDocuments(iam, on, () => new Date())]),
    ]),
    store: on,
    now: () => new Date(),
  });
}

/** A notify service whose escalation step is notify's own, on a fresh table; without a checker, all to the worker. */
async function notifyWith(
  options: Partial<Omit<NotifyEscalationDependencies, 'checker'>> & {
    checker?: (on: DynamoChangeStore) => NotifyEscalationDependencies['checker'];
    validator?: AccessAnalyzerPolicyValidator;
  } = {},
) {
  const tableName = await components.dynalite.createTable();
  const on = new DynamoChangeStore(components.dynalite.documentClient, { tableName });
  const { checker, validator, ...rest } = options;
  const step = new NotifyEscalation({
    budgetMs: 0,
    store: on,
    alerts: new SlackAlertRefresher(slackGateway()),
    now: () => new Date(),
    ...(checker ? { checker: checker(on), budgetMs: 10_000 } : {}),
    ...rest,
  });
  const { service } = await notifyServiceOn(components, {
    tableName,
    escalation: step,
    ...(validator ? { validator } : {}),
  });
  return { service, store: on };
}

/** The worker's half on the same table. */
function workerOn(on: DynamoChangeStore, validator?: AccessAnalyzerPolicyValidator): EscalationCheckService {
  return new EscalationCheckService({
    checker: checkerOn(on),
    store: on,
    alerts: new SlackAlertRefresher(slackGateway()),
    now: () => new Date(),
    ...(validator ? { validator } : {}),
  });
}

function recordingQueue(): JobQueue & { jobs: Job[] } {
  const jobs: Job[] = [];
  return { jobs, publish: async (job) => void jobs.push(job) };
}

const nowSeconds = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

/** A role that may pass roles, and the attach (made in IAM) of a policy that runs instances to it. */
async function passRoleAttach(): Promise<{ name: string; record: ReturnType<typeof cloudTrailRecord> }> {
  const name = await role({ pass: allow(['iam:PassRole']) });
  const compute = await policy('ReadOnlyHelper', allow(['ec2:RunInstances']));
  await client.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: compute }));
  const record = cloudTrailRecord(
    'AttachRolePolicy',
    { roleName: name, policyArn: compute },
    { eventTime: nowSeconds() },
  );
  return { name, record };
}

function messageOf(ts: string | undefined) {
  const message = components.slack.messages.find((entry) => entry.ts === ts);
  return { message, shown: JSON.stringify(message?.blocks ?? []) };
}

describe('notify checks escalation itself when the documents are at hand', () => {
  it('posts the paths at once, never "checking…", and queues no job', async () => {
    const queue = recordingQueue();
    const { service, store: on } = await notifyWith({ checker: (at) => checkerOn(at), queue });
    const { name, record } = await passRoleAttach();
    const before = components.slack.topLevel(CHANNEL).length;

    await service.process(eventBridgeNotification(record));

    const posted = components.slack.topLevel(CHANNEL).slice(before);
    expect(posted).toHaveLength(1);
    const shown = JSON.stringify(posted[0]?.blocks);
    expect(shown).toContain(`role ${name} can now reach administrator through`);
    expect(shown).not.toContain('Checking escalation paths');
    expect(posted[0]?.updates ?? 0).toBe(0);
    expect(queue.jobs).toEqual([]);
    const stored = await on.getChange(String(record.eventID));
    expect(stored?.change.escalation).toMatchObject({ state: 'done', opened: [{ id: 'pass-role-ec2' }] });
    expect(stored?.change.followUp).toBeUndefined();
  });

  it('leaves the check to the worker when a document is not at hand, and the worker finishes it', async () => {
    const queue = recordingQueue();
    // Notify's sources know only what the store saw: the customer policy's document is not among it.
    const { service, store: on } = await notifyWith({
      checker: (at) => checkerOn(at, { storeOnly: true }),
      queue,
    });
    const { name, record } = await passRoleAttach();

    await service.process(eventBridgeNotification(record));

    const stored = await on.getChange(String(record.eventID));
    expect(stored?.change.escalation).toEqual({ state: 'checking' });
    expect(stored?.change.followUp).toEqual({ state: 'queued' });
    expect(messageOf(stored?.slack?.ts).shown).toContain('Checking escalation paths…');
    expect(queue.jobs.map((job) => job.kind)).toEqual(['judge-change']);

    expect(await workerOn(on).run(String(record.eventID))).toEqual({ outcome: 'checked' });

    const after = await on.getChange(String(record.eventID));
    expect(after?.change.escalation).toMatchObject({ state: 'done', opened: [{ id: 'pass-role-ec2' }] });
    expect(after?.change.followUp).toBeUndefined();
    const { shown } = messageOf(after?.slack?.ts);
    expect(shown).toContain(`role ${name} can now reach administrator through`);
    expect(shown).not.toContain('Checking escalation paths');
  });

  it('leaves the check to the worker when it does not finish within the budget', async () => {
    const queue = recordingQueue();
    const { service, store: on } = await notifyWith({
      checker: () => ({ check: () => new Promise(() => {}) }),
      budgetMs: 20,
      queue,
    });
    const { record } = await passRoleAttach();

    await service.process(eventBridgeNotification(record));

    expect((await on.getChange(String(record.eventID)))?.change.escalation).toEqual({ state: 'checking' });
    expect(queue.jobs).toHaveLength(1);
  });

  it('spends one budget on the whole notification: the changes after it is spent go to the worker', async () => {
    const queue = recordingQueue();
    // Each check takes 1.6 s by notify's clock: more than the whole 1.5 s budget.
    let elapsedMs = 0;
    const checked: string[] = [];
    const { service, store: on } = await notifyWith({
      checker: (at) => ({
        check: async (change) => {
          checked.push(change.eventId);
          const check = await checkerOn(at).check(change);
          elapsedMs += 1600;
          return check;
        },
      }),
      budgetMs: 1500,
      now: () => new Date(Date.now() + elapsedMs),
      queue,
    });
    const attaches = [await passRoleAttach(), await passRoleAttach(), await passRoleAttach()];
    const ids = attaches.map(({ record }) => String(record.eventID));

    // One notification (a CloudTrail log file) of three changes.
    await service.process({ Records: attaches.map(({ record }) => record) });

    expect(checked).toEqual([ids[0]]);
    const states = await Promise.all(
      ids.map(async (id) => (await on.getChange(id))?.change.escalation?.state),
    );
    expect(states).toEqual(['done', 'checking', 'checking']);
    expect(queue.jobs.map((job) => 'eventId' in job && job.eventId)).toEqual(ids.slice(1));
  });

  it('leaves the check to the worker when the invocation is near its end, whatever the budget', async () => {
    const queue = recordingQueue();
    const asked: string[] = [];
    const { service, store: on } = await notifyWith({
      checker: (at) => ({
        check: async (change) => {
          asked.push(change.eventId);
          return checkerOn(at).check(change);
        },
      }),
      queue,
    });
    const { record } = await passRoleAttach();

    // Less time left before the deadline than storing and posting the change needs after a check.
    await service.process(eventBridgeNotification(record), Date.now() + 1_000);

    expect(asked).toEqual([]);
    expect((await on.getChange(String(record.eventID)))?.change.escalation).toEqual({ state: 'checking' });
    expect(queue.jobs).toHaveLength(1);
  });

  it("never reads another account's principals: a member account's change goes to the worker", async () => {
    const queue = recordingQueue();
    const asked: string[] = [];
    const { service, store: on } = await notifyWith({
      checker: (at) => ({
        check: async (change) => {
          asked.push(change.eventId);
          return checkerOn(at).check(change);
        },
      }),
      reads: (accountId) => accountId === '999999999999',
      queue,
    });
    const { record } = await passRoleAttach();

    await service.process(eventBridgeNotification(record));

    expect(asked).toEqual([]);
    expect((await on.getChange(String(record.eventID)))?.change.escalation).toEqual({ state: 'checking' });
    expect(queue.jobs).toHaveLength(1);
  });
});

describe('notify without a worker (no jobs topic)', () => {
  it('posts what its own check found, saying what it could not read, never "checking…"', async () => {
    const { service, store: on } = await notifyWith({ checker: (at) => checkerOn(at, { storeOnly: true }) });
    const { record } = await passRoleAttach();

    await service.process(eventBridgeNotification(record));

    const stored = await on.getChange(String(record.eventID));
    expect(stored?.change.escalation).toMatchObject({ state: 'done', opened: [] });
    expect(stored?.change.escalation?.state === 'done' && stored.change.escalation.incomplete).toEqual([
      expect.stringContaining('managed policy ReadOnlyHelper'),
    ]);
    expect(stored?.change.followUp).toBeUndefined();
  });

  it('says why there is no check for an account it does not read', async () => {
    const { service, store: on } = await notifyWith({ checker: (at) => checkerOn(at), reads: () => false });
    const { record } = await passRoleAttach();

    await service.process(eventBridgeNotification(record));

    expect((await on.getChange(String(record.eventID)))?.change.escalation).toEqual({
      state: 'unavailable',
      reason: `account ${record.recipientAccountId} is read only by the worker, and there is no worker to run it`,
    });
  });
});

describe('a worker job that cannot be queued', () => {
  it('says on the alert that the check could not run, fails the notification, and queues it when it comes again', async () => {
    let failing = true;
    const jobs: Job[] = [];
    const queue: JobQueue = {
      publish: async (job) => {
        if (failing)
          throw new Error('AuthorizationError: not authorized to perform SNS:Publish\n    at stack');
        jobs.push(job);
      },
    };
    const { service, store: on } = await notifyWith({ queue });
    const { record } = await passRoleAttach();
    const notification = eventBridgeNotification(record);
    const before = components.slack.topLevel(CHANNEL).length;

    await expect(service.process(notification)).rejects.toBeInstanceOf(FollowUpNotQueuedError);

    const stored = await on.getChange(String(record.eventID));
    expect(stored?.delivery).toBe('delivered');
    expect(stored?.change.followUp).toEqual({
      state: 'not-queued',
      reason: 'AuthorizationError: not authorized to perform SNS:Publish',
    });
    let { shown } = messageOf(stored?.slack?.ts);
    expect(shown).not.toContain('Checking escalation paths');
    expect(shown).toContain(
      'Escalation paths not checked: the check could not be queued for the worker (AuthorizationError: not authorized to perform SNS:Publish)',
    );
    expect(shown).not.toContain('at stack');

    // SNS delivers the notification again: the alert is not posted twice, the job is queued this time.
    failing = false;
    const again = await service.process(notification);

    expect(again.duplicates).toEqual([String(record.eventID)]);
    expect(components.slack.topLevel(CHANNEL).length - before).toBe(1);
    expect(jobs.map((job) => ('eventId' in job ? job.eventId : job.kind))).toEqual([String(record.eventID)]);
    const waiting = await on.getChange(String(record.eventID));
    expect(waiting?.change.escalation).toEqual({ state: 'checking' });
    expect(waiting?.change.followUp).toEqual({ state: 'queued' });
    ({ shown } = messageOf(waiting?.slack?.ts));
    expect(shown).toContain('Checking escalation paths…');

    // A third delivery (the EventBridge and alarm paths both bring it) while the check is outstanding queues it
    // again — harmless, the worker's run is idempotent; once the worker has run, nothing more.
    await service.process(notification);
    expect(jobs).toHaveLength(2);
    expect(await workerOn(on).run(String(record.eventID))).toEqual({ outcome: 'checked' });
    await service.process(notification);
    expect(jobs).toHaveLength(2);
  });

  it('queues the job on the next delivery when notify ended between posting the alert and publishing it', async () => {
    const queue = recordingQueue();
    const tableName = await components.dynalite.createTable();
    const on = new DynamoChangeStore(components.dynalite.documentClient, { tableName });
    const step = new NotifyEscalation({
      budgetMs: 0,
      queue,
      store: on,
      alerts: new SlackAlertRefresher(slackGateway()),
      now: () => new Date(),
    });
    // The first invocation is killed once the alert is posted, before the job is published.
    const killed = await notifyServiceOn(components, {
      tableName,
      escalation: {
        prepare: (change) => step.prepare(change),
        delivered: async () => {
          throw new Error('Task timed out after 30.00 seconds');
        },
        redelivered: (stored) => step.redelivered(stored),
      },
    });
    const { service } = await notifyServiceOn(components, { tableName, escalation: step });
    const { record } = await passRoleAttach();
    const eventId = String(record.eventID);

    await expect(killed.service.process(eventBridgeNotification(record))).rejects.toThrow('Task timed out');
    expect(queue.jobs).toEqual([]);
    expect((await on.getChange(eventId))?.change.escalation).toEqual({ state: 'checking' });

    // SNS delivers the notification again: the job is published, and the worker ends "Checking…".
    await service.process(eventBridgeNotification(record));

    expect(queue.jobs.map((job) => ('eventId' in job ? job.eventId : job.kind))).toEqual([eventId]);
    expect(await workerOn(on).run(eventId)).toEqual({ outcome: 'checked' });
    const after = await on.getChange(eventId);
    expect(after?.change.escalation).toMatchObject({ state: 'done', opened: [{ id: 'pass-role-ec2' }] });
    expect(after?.change.followUp).toBeUndefined();
    expect(messageOf(after?.slack?.ts).shown).not.toContain('Checking escalation paths');
  });
});

const RISK = { expectedActors: [], trustedAccounts: [] };

/** The worker's half with the attached policy's document read from moto's IAM to judge a change again. */
function rejudgingWorkerOn(on: DynamoChangeStore): EscalationCheckService {
  return new EscalationCheckService(rejudgingDependencies(on));
}

/** What {@link rejudgingWorkerOn} is built from, for workers that add to it. */
function rejudgingDependencies(on: DynamoChangeStore) {
  const iam = new AwsIamGateway(client);
  return {
    checker: checkerOn(on),
    store: on,
    alerts: new SlackAlertRefresher(slackGateway()),
    now: () => new Date(),
    rejudge: {
      content: new ChangeContent({
        policies: new PolicyDocumentResolver([
          new IamPolicyDocuments(iam, on, () => new Date(), { versionsBeforeTheCall: true }),
        ]),
        actions: {
          forStatements: async (statements: Parameters<IamDataActionCatalogue['forStatements']>[0]) =>
            new IamDataActionCatalogue().forStatements(statements),
        },
      }),
      risk: RISK,
    },
  };
}

/** Stores `change` on a fresh table as notify delivered it: posted (by default), muted, digested or grouped. */
async function delivered(
  change: AssessedChange,
  how: 'delivered' | 'muted' | 'digest' | 'grouped' = 'delivered',
  mutedBy = 'm-1',
): Promise<DynamoChangeStore> {
  return (await deliveredOn(change, how, mutedBy)).on;
}

async function deliveredOn(
  change: AssessedChange,
  how: 'delivered' | 'muted' | 'digest' | 'grouped',
  mutedBy: string,
): Promise<{ on: DynamoChangeStore; tableName: string }> {
  const tableName = await components.dynalite.createTable();
  const on = new DynamoChangeStore(components.dynalite.documentClient, { tableName });
  const now = new Date();
  await on.claimChange(change, now, new Date(now.getTime() + 60_000));
  if (how === 'muted') await on.markDelivery(change.eventId, { delivery: 'muted', mutedBy }, now);
  else if (how === 'digest') await on.markDelivery(change.eventId, { delivery: 'digest' }, now);
  else {
    const alerts = new SlackAlertChannel(slackGateway());
    const parent = await alerts.postChange(CHANNEL, change, { mention: false });
    const ref = how === 'grouped' ? { channel: parent.channel, ts: parent.ts, threadTs: parent.ts } : parent;
    await on.markDelivery(change.eventId, { delivery: how, slack: ref }, now);
  }
  return { on, tableName };
}

/** An attach of `policyArn` to `roleName` (at `eventTime`, default now) whose document notify could not read. */
function unreadAttach(roleName: string, policyArn: string, eventTime = nowSeconds()): AssessedChange {
  const raw = changeOf('AttachRolePolicy', { roleName, policyArn }, { eventTime });
  return assessChange(withManagedPolicy(raw, { source: 'unknown', reason: 'IAM: AccessDenied' }), RISK);
}

describe('the worker judging again an attach whose document notify could not read', () => {
  it("keeps the path notify's check found among the reasons and at critical", async () => {
    const { name, record } = await passRoleAttach();
    const params = record.requestParameters as { policyArn: string };
    const change = unreadAttach(name, params.policyArn);
    const on = await delivered(change);
    const check = await checkerOn(on).check(change);
    expect(check).toMatchObject({ state: 'done', opened: [{ id: 'pass-role-ec2' }] });
    const checked = withEscalation(change, check as NonNullable<typeof check>);
    await on.recordEscalation(change.eventId, { ...checked, followUp: { state: 'queued' } }, new Date());

    expect(await rejudgingWorkerOn(on).run(change.eventId)).toEqual({ outcome: 'checked' });

    const after = await on.getChange(change.eventId);
    expect(after?.change.managedPolicy).toMatchObject({ source: 'iam' });
    expect(after?.change.escalation).toMatchObject({ state: 'done', opened: [{ id: 'pass-role-ec2' }] });
    expect(after?.change.risk.level).toBe('critical');
    expect(after?.change.risk.reasons[0]).toContain(`role ${name} can now reach administrator through`);
  });

  it('never lowers the level: a harmless default version made after the attach is not the one attached', async () => {
    const name = await role();
    const admin = await policy('Helper', allow(['*']));
    await client.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: admin }));
    // The attach, then the attacker's harmless default version before the worker reads the policy.
    const change = unreadAttach(name, admin, new Date(Date.now() - 60_000).toISOString());
    await client.send(
      new CreatePolicyVersionCommand({
        PolicyArn: admin,
        PolicyDocument: allow(['s3:GetObject'], 'arn:aws:s3:::b/*'),
        SetAsDefault: true,
      }),
    );
    const on = await delivered(change);
    await on.recordEscalation(
      change.eventId,
      { ...change, escalation: { state: 'checking' }, followUp: { state: 'queued' } },
      new Date(),
    );

    await rejudgingWorkerOn(on).run(change.eventId);

    const after = await on.getChange(change.eventId);
    expect(change.risk.level).toBe('medium');
    expect(after?.change.risk.level).toBe('medium');
    expect(after?.change.managedPolicy).toMatchObject({ source: 'unknown' });
  });

  it('never lowers the level whatever document it reads now', async () => {
    const name = await role();
    const harmless = await policy('Helper', allow(['s3:GetObject'], 'arn:aws:s3:::b/*'));
    await client.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: harmless }));
    const change = unreadAttach(name, harmless);
    const on = await delivered(change);
    await on.recordEscalation(change.eventId, { ...change, followUp: { state: 'queued' } }, new Date());

    await rejudgingWorkerOn(on).run(change.eventId);

    expect((await on.getChange(change.eventId))?.change.risk.level).toBe('medium');
  });
});

const CRITICAL_CHANNEL = 'C-CRITICAL';

/**
 * The rejudging worker with notify's gates: medium and low digested, critical to its own channel with @here.
 * `claims`: the store's raised-post claims, or a job's view of them (one that stops after claiming, say).
 */
function gatedWorkerOn(
  on: DynamoChangeStore,
  tableName: string,
  claims: RaisedPostClaims = on,
): EscalationCheckService {
  return new EscalationCheckService({
    ...rejudgingDependencies(on),
    raise: new RaisedAlertGate({
      claims,
      alerts: new SlackAlertChannel(slackGateway()),
      channelFor: async (change) =>
        routeChange([], change, { defaultChannel: CHANNEL, channelByLevel: { critical: CRITICAL_CHANNEL } })
          .channel,
      mutes: new DynamoMuteStore(components.dynalite.documentClient, { tableName }),
      digestLevels: ['medium', 'low'],
      mentionOnCritical: true,
      now: () => new Date(),
    }),
  });
}

/** A mute of everything `change`'s actor does, made an hour ago for a day. */
function muteOf(change: AssessedChange, id: string, includesCritical: boolean): Mute {
  const now = Date.now();
  return {
    id,
    scope: 'actor',
    actorKey: actorKeyOf(change.actor),
    actorName: change.actor.name,
    accountId: change.accountId,
    reason: 'noisy deploys',
    createdBy: { slackUserId: 'U1', name: 'sam' },
    createdAt: new Date(now - 3_600_000).toISOString(),
    expiresAt: new Date(now + 86_400_000).toISOString(),
    includesCritical,
    fromEventId: 'e-0',
  };
}

/** An attach of an administrator policy notify could not read, put in the digest at medium, its check queued. */
async function raisedByTheWorker(): Promise<{
  change: AssessedChange;
  on: DynamoChangeStore;
  tableName: string;
}> {
  const name = await role();
  const admin = await policy('CustomerAdmin', allow(['*']));
  await client.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: admin }));
  const change = unreadAttach(name, admin);
  const { on, tableName } = await deliveredOn(change, 'digest', 'm-none');
  await on.recordEscalation(
    change.eventId,
    { ...change, escalation: { state: 'checking' }, followUp: { state: 'queued' } },
    new Date(),
  );
  return { change, on, tableName };
}

describe("a change the worker raises to critical goes through notify's gates again", () => {
  it.each([
    ['muted by a mute that does not include critical changes', 'muted'],
    ['put in the digest as medium', 'digest'],
    ["listed in a burst's thread", 'grouped'],
    ['posted in the medium channel', 'delivered'],
  ] as const)('posts a change %s as a new alert in the critical channel, with @here', async (_what, how) => {
    const name = await role();
    const admin = await policy('CustomerAdmin', allow(['*']));
    await client.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: admin }));
    const change = unreadAttach(name, admin);
    expect(change.risk.level).toBe('medium');
    const { on, tableName } = await deliveredOn(change, how, 'm-quiet');
    await new DynamoMuteStore(components.dynalite.documentClient, { tableName }).put(
      muteOf(change, 'm-quiet', false),
    );
    await on.recordEscalation(
      change.eventId,
      { ...change, escalation: { state: 'checking' }, followUp: { state: 'queued' } },
      new Date(),
    );
    const before = components.slack.topLevel(CRITICAL_CHANNEL).length;

    expect(await gatedWorkerOn(on, tableName).run(change.eventId)).toEqual({ outcome: 'checked' });

    expect((await on.getChange(change.eventId))?.change.risk.level).toBe('critical');
    const posted = components.slack.topLevel(CRITICAL_CHANNEL).slice(before);
    expect(posted).toHaveLength(1);
    expect(JSON.stringify(posted[0])).toContain('<!here>');
    expect(JSON.stringify(posted[0]?.blocks)).toContain(`attaches CustomerAdmin`);

    // The job delivered again posts nothing more: the stored level is critical already.
    await gatedWorkerOn(on, tableName).run(change.eventId);
    expect(components.slack.topLevel(CRITICAL_CHANNEL).slice(before)).toHaveLength(1);
  });

  it('posts the raised alert once when two judge-change jobs of the change run at the same time', async () => {
    const { change, on, tableName } = await raisedByTheWorker();
    const before = components.slack.topLevel(CRITICAL_CHANNEL).length;
    const jobs = [{ id: 'job-a' }, { id: 'job-b' }];

    // Both read the change at its lower level before either records the raise.
    const results = await Promise.allSettled(
      jobs.map((job) => gatedWorkerOn(on, tableName).run(change.eventId, undefined, job)),
    );
    // A job that found the other's claim not yet posted failed, and comes again.
    for (const [i, result] of results.entries()) {
      if (result.status === 'rejected') {
        expect(result.reason).toBeInstanceOf(RaisedPostPendingError);
        await gatedWorkerOn(on, tableName).run(change.eventId, undefined, jobs[i]);
      }
    }

    expect(components.slack.topLevel(CRITICAL_CHANNEL).slice(before)).toHaveLength(1);
    expect((await on.getChange(change.eventId))?.change.risk.level).toBe('critical');
  });

  it("gives the claim back when the raised alert could not be posted: the job's retry posts it", async () => {
    const { change, on, tableName } = await raisedByTheWorker();
    const before = components.slack.topLevel(CRITICAL_CHANNEL).length;
    components.slack.failNext('chat.postMessage', { ok: false, error: 'channel_not_found' });

    await expect(gatedWorkerOn(on, tableName).run(change.eventId)).rejects.toThrow(/channel_not_found/);
    expect((await on.getChange(change.eventId))?.change.risk.level).toBe('medium');
    expect(components.slack.topLevel(CRITICAL_CHANNEL).slice(before)).toHaveLength(0);

    expect(await gatedWorkerOn(on, tableName).run(change.eventId)).toEqual({ outcome: 'checked' });
    expect(components.slack.topLevel(CRITICAL_CHANNEL).slice(before)).toHaveLength(1);
  });

  it("never records the raise while another job's post is pending: its post fails, and the alert still goes out once", async () => {
    const { change, on, tableName } = await raisedByTheWorker();
    const before = components.slack.topLevel(CRITICAL_CHANNEL).length;
    const a = { id: 'sns-message-a' };
    const b = { id: 'sns-message-b' };
    let second: Promise<unknown> = Promise.resolve();
    // Job A claims and, before its post, job B (which read the change at medium too) runs to its end.
    const aClaims: RaisedPostClaims = {
      claimRaisedPost: async (...args) => {
        const claim = await on.claimRaisedPost(...args);
        second = gatedWorkerOn(on, tableName).run(change.eventId, undefined, b);
        await second.catch(() => undefined);
        return claim;
      },
      recordRaisedPost: (...args) => on.recordRaisedPost(...args),
      releaseRaisedPost: (...args) => on.releaseRaisedPost(...args),
    };
    components.slack.failNext('chat.postMessage', { ok: false, error: 'ratelimited' });

    await expect(gatedWorkerOn(on, tableName, aClaims).run(change.eventId, undefined, a)).rejects.toThrow(
      /ratelimited/,
    );
    await expect(second).rejects.toBeInstanceOf(RaisedPostPendingError);
    // Neither job recorded the raise: both come again seeing medium.
    expect((await on.getChange(change.eventId))?.change.risk.level).toBe('medium');
    expect(components.slack.topLevel(CRITICAL_CHANNEL).slice(before)).toHaveLength(0);

    expect(await gatedWorkerOn(on, tableName).run(change.eventId, undefined, a)).toEqual({
      outcome: 'checked',
    });
    await gatedWorkerOn(on, tableName).run(change.eventId, undefined, b);

    const posted = components.slack.topLevel(CRITICAL_CHANNEL).slice(before);
    expect(posted).toHaveLength(1);
    expect(JSON.stringify(posted[0])).toContain('<!here>');
    expect((await on.getChange(change.eventId))?.change.risk.level).toBe('critical');
  });

  it('lets a job that died after claiming post the alert when it is retried inside its lease, and no other job', async () => {
    const { change, on, tableName } = await raisedByTheWorker();
    const before = components.slack.topLevel(CRITICAL_CHANNEL).length;
    const job = { id: 'sns-message-crashed' };
    // The Lambda is stopped right after its claim is written: no post, no release.
    const dies: RaisedPostClaims = {
      claimRaisedPost: async (...args) => {
        await on.claimRaisedPost(...args);
        throw new Error('Task timed out after 300.00 seconds');
      },
      recordRaisedPost: (...args) => on.recordRaisedPost(...args),
      releaseRaisedPost: (...args) => on.releaseRaisedPost(...args),
    };
    await expect(gatedWorkerOn(on, tableName, dies).run(change.eventId, undefined, job)).rejects.toThrow(
      /timed out/,
    );

    // Another job inside the lease records nothing: the claim's holder may still post.
    await expect(
      gatedWorkerOn(on, tableName).run(change.eventId, undefined, { id: 'sns-message-other' }),
    ).rejects.toBeInstanceOf(RaisedPostPendingError);
    expect((await on.getChange(change.eventId))?.change.risk.level).toBe('medium');

    // Lambda's retry of the same delivery, a minute later: well inside the five-minute lease.
    expect(await gatedWorkerOn(on, tableName).run(change.eventId, undefined, job)).toEqual({
      outcome: 'checked',
    });
    expect(components.slack.topLevel(CRITICAL_CHANNEL).slice(before)).toHaveLength(1);
    expect((await on.getChange(change.eventId))?.change.risk.level).toBe('critical');

    // The other job's retry finds it done.
    await gatedWorkerOn(on, tableName).run(change.eventId, undefined, { id: 'sns-message-other' });
    expect(components.slack.topLevel(CRITICAL_CHANNEL).slice(before)).toHaveLength(1);
  });

  it('keeps muted a change whose mute says it includes critical changes', async () => {
    const name = await role();
    const admin = await policy('CustomerAdmin', allow(['*']));
    await client.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: admin }));
    const change = unreadAttach(name, admin);
    const { on, tableName } = await deliveredOn(change, 'muted', 'm-all');
    await new DynamoMuteStore(components.dynalite.documentClient, { tableName }).put(
      muteOf(change, 'm-all', true),
    );
    await on.recordEscalation(change.eventId, { ...change, followUp: { state: 'queued' } }, new Date());
    const before = components.slack.topLevel(CRITICAL_CHANNEL).length;

    await gatedWorkerOn(on, tableName).run(change.eventId);

    expect((await on.getChange(change.eventId))?.change.risk.level).toBe('critical');
    expect(components.slack.topLevel(CRITICAL_CHANNEL).length).toBe(before);
  });
});

describe('validation tried again by the worker', () => {
  const accessAnalyzer = new AccessAnalyzerClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    maxAttempts: 1,
  });
  const analyzer = mockClient(accessAnalyzer);
  const validator = new AccessAnalyzerPolicyValidator(accessAnalyzer);
  const PASS_ROLE = {
    findingType: 'SECURITY_WARNING' as const,
    issueCode: 'PASS_ROLE_WITH_STAR_IN_RESOURCE',
    findingDetails:
      'Using the iam:PassRole action with wildcards (*) in the resource can be overly permissive.',
    learnMoreLink:
      'https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html',
    locations: [],
  };

  it.each([
    ['an inline policy written to a role', 'PutRolePolicy'],
    ['a new managed policy, which touches no principal', 'CreatePolicy'],
  ])(
    'validates %s again when Access Analyzer was denied, and the message shows the findings',
    async (_what, eventName) => {
      analyzer.reset();
      analyzer
        .on(ValidatePolicyCommand)
        .rejectsOnce(new AccessDeniedException({ message: 'not authorized', $metadata: {} }))
        .resolves({ findings: [PASS_ROLE] });
      const queue = recordingQueue();
      const { service, store: on } = await notifyWith({ queue, validator });
      const document = allow(['iam:PassRole']);
      const name = await role();
      const parameters =
        eventName === 'PutRolePolicy'
          ? { roleName: name, policyName: 'pass', policyDocument: document }
          : { policyName: unique('Passer'), policyDocument: document };
      if (eventName === 'PutRolePolicy') {
        await client.send(
          new PutRolePolicyCommand({ RoleName: name, PolicyName: 'pass', PolicyDocument: document }),
        );
      }
      const record = cloudTrailRecord(eventName, parameters, { eventTime: nowSeconds() });

      await service.process(eventBridgeNotification(record));

      const stored = await on.getChange(String(record.eventID));
      expect(stored?.change.validation).toMatchObject({ status: 'unavailable' });
      expect(stored?.change.followUp).toEqual({ state: 'queued' });
      expect(messageOf(stored?.slack?.ts).shown).toContain(
        'AWS policy validation unavailable: AccessDenied (the worker validates it again)',
      );
      expect(queue.jobs.map((job) => ('eventId' in job ? job.eventId : job.kind))).toEqual([
        String(record.eventID),
      ]);

      expect(await workerOn(on, validator).run(String(record.eventID))).toEqual({ outcome: 'checked' });

      const after = await on.getChange(String(record.eventID));
      expect(after?.change.validation).toMatchObject({
        status: 'validated',
        findings: [{ issueCode: 'PASS_ROLE_WITH_STAR_IN_RESOURCE' }],
      });
      expect(
        after?.change.risk.reasons.filter((reason) => reason.includes('PASS_ROLE_WITH_STAR')),
      ).toHaveLength(1);
      expect(after?.change.followUp).toBeUndefined();
      const { shown } = messageOf(after?.slack?.ts);
      expect(shown).toContain('PASS_ROLE_WITH_STAR_IN_RESOURCE');
      expect(shown).not.toContain('AWS policy validation unavailable');
    },
  );
});

describe('the escalation check from notify to the worker', () => {
  it('keeps an acknowledgement recorded while the check ran: the alert is redrawn from the item as written', async () => {
    const { service, store: on } = await notifyWith({ queue: recordingQueue() });
    const { record } = await passRoleAttach();
    await service.process(eventBridgeNotification(record));
    const eventId = String(record.eventID);
    // The job read the change...
    const read = await on.getChange(eventId);
    expect(read?.change.escalation).toEqual({ state: 'checking' });
    // ...and a responder acknowledged it while the check ran.
    const at = new Date().toISOString();
    expect(
      await on.recordAcknowledgement(
        eventId,
        { by: { slackUserId: 'U0ALICE', name: 'alice' }, at },
        new Date(),
      ),
    ).toEqual({ recorded: true });

    expect(await workerOn(on).run(eventId, read)).toEqual({ outcome: 'checked' });

    const after = await on.getChange(eventId);
    expect(after?.acknowledgement?.by.name).toBe('alice');
    const { message, shown } = messageOf(after?.slack?.ts);
    expect(message?.updates).toBeGreaterThan(0);
    expect(shown).toContain('Escalation paths opened for role');
    expect(shown).toContain('*Acknowledged* by');
  });

  it('posts "checking escalation paths…", queues a job, and the job updates the alert with the path', async () => {
    const jobs: Job[] = [];
    const { service, store: notifyStore } = await notifyWith({
      queue: { publish: async (job) => void jobs.push(job) },
    });
    const name = await role({ pass: allow(['iam:PassRole']) });
    const compute = await policy('ReadOnlyHelper', allow(['ec2:RunInstances', 'lambda:*']));
    await client.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: compute }));
    const record = cloudTrailRecord(
      'AttachRolePolicy',
      { roleName: name, policyArn: compute },
      {
        eventTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      },
    );
    const before = components.slack.topLevel(CHANNEL).length;

    await service.process(eventBridgeNotification(record));

    const posted = components.slack.topLevel(CHANNEL).slice(before);
    expect(posted).toHaveLength(1);
    expect(JSON.stringify(posted[0]?.blocks)).toContain('Checking escalation paths…');
    expect(jobs).toEqual([
      {
        kind: 'judge-change',
        eventId: record.eventID,
        by: { slackUserId: 'iam-changes', name: 'iam-changes' },
      },
    ]);
    const stored = await notifyStore.getChange(String(record.eventID));
    expect(stored?.change.escalation).toEqual({ state: 'checking' });

    const worker = workerOn(notifyStore);

    expect(await worker.run(String(record.eventID))).toEqual({ outcome: 'checked' });

    const after = await notifyStore.getChange(String(record.eventID));
    expect(after?.change.escalation).toMatchObject({ state: 'done', alreadyOpen: 0 });
    expect(
      after?.change.escalation?.state === 'done' && after.change.escalation.opened.map((path) => path.id),
    ).toEqual([
      'pass-role-ec2',
      'pass-role-lambda-invoke',
      'pass-role-lambda-event-source',
      'update-function-code',
    ]);
    expect(after?.change.risk.level).toBe('critical');
    expect(after?.change.risk.reasons[0]).toBe(
      `role ${name} can now reach administrator through iam:PassRole + ec2:RunInstances (launches an instance with a more powerful role and uses the role's credentials from it), iam:PassRole + lambda:CreateFunction + lambda:InvokeFunction (creates a Lambda function with a more powerful role and invokes it) and 2 more`,
    );
    const message = components.slack.messages.find((entry) => entry.ts === after?.slack?.ts);
    const shown = JSON.stringify(message?.blocks);
    expect(message?.updates).toBeGreaterThan(0);
    expect(shown).toContain('can now reach administrator through');
    expect(shown).toContain('Escalation paths opened for role');
    expect(shown).not.toContain('Checking escalation paths');
  });
});
