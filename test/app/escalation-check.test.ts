/**
 * The escalation check end to end: a real moto_server holds the principals and their policies, dynalite the
 * store, a local Slack server the alert. Notify posts the change as "checking escalation paths…" and queues a job;
 * the check reads what the principal can do after the change and updates the alert.
 */
import {
  AddUserToGroupCommand,
  AttachGroupPolicyCommand,
  AttachRolePolicyCommand,
  CreateGroupCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  IAMClient,
  PutRolePermissionsBoundaryCommand,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DeferredEscalation,
  EscalationChecker,
  EscalationCheckService,
} from '../../src/app/escalation-check';
import type { Job } from '../../src/app/jobs';
import {
  IamPolicyDocuments,
  PolicyDocumentResolver,
  StoredPolicyDocuments,
} from '../../src/app/policy-documents';
import { AwsIamGateway } from '../../src/aws/iam-gateway';
import { AwsPrincipalDirectory } from '../../src/aws/principal-directory';
import { assessChange } from '../../src/domain/explain';
import type { AssessedChange } from '../../src/domain/types';
import { SlackAlertRefresher } from '../../src/slack/alert-refresher';
import { createSlackClient, WebApiSlackGateway } from '../../src/slack/web-api-gateway';
import { DynamoChangeStore } from '../../src/store/dynamo-change-store';
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

describe('the escalation check from notify to the worker', () => {
  it('posts "checking escalation paths…", queues a job, and the job updates the alert with the path', async () => {
    const jobs: Job[] = [];
    const { service, store: notifyStore } = await notifyServiceOn(components, {
      escalation: new DeferredEscalation({ publish: async (job) => void jobs.push(job) }),
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
        kind: 'escalation-check',
        eventId: record.eventID,
        by: { slackUserId: 'iam-changes', name: 'iam-changes' },
      },
    ]);
    const stored = await notifyStore.getChange(String(record.eventID));
    expect(stored?.change.escalation).toEqual({ state: 'checking' });

    const iam = new AwsIamGateway(client);
    const worker = new EscalationCheckService({
      checker: new EscalationChecker({
        iam,
        directory: new AwsPrincipalDirectory(client),
        policies: new PolicyDocumentResolver([
          new StoredPolicyDocuments(notifyStore),
          new IamPolicyDocuments(iam, notifyStore, () => new Date()),
        ]),
        store: notifyStore,
        now: () => new Date(),
      }),
      store: notifyStore,
      alerts: new SlackAlertRefresher(
        new WebApiSlackGateway(
          createSlackClient({ token: 'xoxb-test-token', slackApiUrl: components.slack.url }),
        ),
      ),
      now: () => new Date(),
    });

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
