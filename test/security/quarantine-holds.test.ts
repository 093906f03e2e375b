/**
 * A quarantine that holds, attacked from the quarantined principal's own keys on a moto_server that enforces IAM
 * (`INITIAL_NO_AUTH_ACTION_COUNT=0`). The accounts' users, keys and topic are made while moto's enforcement is
 * switched off through `/moto-api/reset-auth`, then it is switched on: from there every request, the bot's
 * included, is authorised against the signing user's policies.
 *
 * What moto enforces: identity policies of the IAM user whose access key signs the request, for every action of
 * every service (an explicit Deny wins), with the request's resource taken as `*` for everything but IAM role
 * calls. So resource-scoped denies (the SNS topic, SSM, table, functions) never match in moto, conditions other
 * than `StringEquals` are ignored, and an Inactive key still signs requests: those are checked on the document.
 */
import {
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateUserCommand,
  DeletePolicyCommand,
  DeleteUserPolicyCommand,
  DetachUserPolicyCommand,
  IAMClient,
} from '@aws-sdk/client-iam';
import { CreateTopicCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VerifiedJobRunner } from '../../src/app/job-verification';
import { type Job, parseJob } from '../../src/app/jobs';
import { QuarantineService } from '../../src/app/quarantine-service';
import { AwsIamGateway } from '../../src/aws/iam-gateway';
import { normaliseRecord } from '../../src/domain/change';
import { assessChange } from '../../src/domain/explain';
import type { PolicyDocument } from '../../src/domain/types';
import { SlackInteractionVerifier } from '../../src/slack/interaction-verifier';
import { DynamoAuditLog } from '../../src/store/dynamo-audit-log';
import { DynamoChangeStore } from '../../src/store/dynamo-change-store';
import { DynamoJobProofStore } from '../../src/store/dynamo-job-proofs';
import { cloudTrailRecord } from '../support/cloudtrail';
import { type DynaliteServer, startDynalite } from '../support/dynalite';
import { type MotoServer, startMoto } from '../support/moto';

const ACCOUNT = '123456789012';
const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const AT = new Date('2026-11-20T14:06:00.000Z');
const ALICE = { slackUserId: 'U0ALICE', name: 'alice' };

interface Keys {
  accessKeyId: string;
  secretAccessKey: string;
}

let moto: MotoServer;
let db: DynaliteServer;
let admin: Keys;
let jobsTopic: string;
const clients: { destroy(): void }[] = [];

/** A client of moto signing with `keys` (closed after the file). */
function clientAs<T extends { destroy(): void }>(
  Client: new (config: Record<string, unknown>) => T,
  keys: Keys,
): T {
  const client = new Client({
    region: 'us-east-1',
    endpoint: moto.endpoint,
    credentials: keys,
    maxAttempts: 1,
  });
  clients.push(client);
  return client;
}

const iamAs = (keys: Keys) => clientAs(IAMClient, keys);
const snsAs = (keys: Keys) => clientAs(SNSClient, keys);

async function enforce(count: string): Promise<void> {
  const response = await fetch(`${moto.endpoint}/moto-api/reset-auth`, { method: 'POST', body: count });
  if (!response.ok) throw new Error(`moto reset-auth answered ${response.status}`);
}

/** An IAM user with AdministratorAccess and one access key (made while enforcement is off). */
async function administrator(iam: IAMClient, name: string): Promise<Keys> {
  await iam.send(new CreateUserCommand({ UserName: name }));
  await iam.send(new AttachUserPolicyCommand({ UserName: name, PolicyArn: ADMIN }));
  const key = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey;
  return { accessKeyId: key?.AccessKeyId ?? '', secretAccessKey: key?.SecretAccessKey ?? '' };
}

async function quarantineService(): Promise<{
  service: QuarantineService;
  store: DynamoChangeStore;
  audit: DynamoAuditLog;
  tableName: string;
}> {
  const tableName = await db.createTable();
  const store = new DynamoChangeStore(db.documentClient, { tableName });
  const audit = new DynamoAuditLog(db.documentClient, { tableName, now: () => AT });
  const service = new QuarantineService({
    store,
    iam: new AwsIamGateway(iamAs(admin)),
    clock: { now: () => AT },
    audit,
    settings: {
      bot: { memberAccounts: [] },
      protectedPrincipals: [],
      botSurface: {
        topicArns: [jobsTopic],
        parameterArnPrefix: `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/iam-changes/test/`,
        tableArn: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/${tableName}`,
        functionArnPrefix: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:iam-changes-test-`,
      },
    },
  });
  return { service, store, audit, tableName };
}

async function changeBy(store: DynamoChangeStore, user: string): Promise<string> {
  const result = normaliseRecord(
    cloudTrailRecord(
      'AttachUserPolicy',
      { userName: user, policyArn: ADMIN },
      {
        userIdentity: {
          type: 'IAMUser',
          principalId: 'AIDAEXAMPLE',
          arn: `arn:aws:iam::${ACCOUNT}:user/${user}`,
          accountId: ACCOUNT,
          userName: user,
        },
        recipientAccountId: ACCOUNT,
        // After the keys the test made before it: a key made at or after the change is never handed back.
        eventTime: new Date(Date.now() + 1).toISOString(),
      },
    ),
  );
  if (!('change' in result)) throw new Error(result.skipped.reason);
  await store.claimChange(assessChange(result.change, { expectedActors: [], trustedAccounts: [] }), AT, AT);
  return result.change.eventId;
}

async function denied(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (error: unknown) {
    return error instanceof Error ? error.name : String(error);
  }
  return 'allowed';
}

beforeAll(async () => {
  [moto, db] = await Promise.all([startMoto({ INITIAL_NO_AUTH_ACTION_COUNT: '0' }), startDynalite()]);
  await enforce('inf');
  const root = { accessKeyId: 'testing', secretAccessKey: 'testing' };
  const bootstrap = iamAs(root);
  admin = await administrator(bootstrap, 'iam-changes-worker');
  const topic = await snsAs(root).send(new CreateTopicCommand({ Name: 'iam-changes-test-jobs' }));
  jobsTopic = topic.TopicArn ?? '';
  await enforce('0');
});

afterAll(async () => {
  for (const client of clients) client.destroy();
  await Promise.all([moto?.stop(), db?.stop()]);
});

describe('a quarantine that holds', () => {
  it('is enforced: unknown keys are refused once enforcement is on', async () => {
    const stranger = iamAs({ accessKeyId: 'AKIASTRANGER0000000', secretAccessKey: 'x' });
    await expect(denied(stranger.send(new CreateUserCommand({ UserName: 'nobody' })))).resolves.toBe(
      'InvalidClientTokenId',
    );
  });

  it('leaves the quarantined administrator no IAM path to lift itself', async () => {
    const attacker = await administrator(iamAs(admin), 'mallory');
    const { service, store } = await quarantineService();
    const eventId = await changeBy(store, 'mallory');
    const own = iamAs(attacker);
    await expect(denied(own.send(new CreateUserCommand({ UserName: 'before-quarantine' })))).resolves.toBe(
      'allowed',
    );

    const outcome = await service.quarantine(eventId, ALICE, 'admin grant by an unknown user');
    expect(outcome).toMatchObject({ status: 'done', modes: ['deny-iam'] });
    const policyArn = outcome.status === 'done' ? outcome.policyArn : '';

    const attempts = {
      detach: () => own.send(new DetachUserPolicyCommand({ UserName: 'mallory', PolicyArn: policyArn })),
      deleteInline: () =>
        own.send(new DeleteUserPolicyCommand({ UserName: 'mallory', PolicyName: 'anything' })),
      deletePolicy: () => own.send(new DeletePolicyCommand({ PolicyArn: policyArn })),
      newKey: () => own.send(new CreateAccessKeyCommand({ UserName: 'mallory' })),
      newUser: () => own.send(new CreateUserCommand({ UserName: 'mallory-2' })),
      detachAdmin: () =>
        own.send(new DetachUserPolicyCommand({ UserName: 'iam-changes-worker', PolicyArn: ADMIN })),
    };
    for (const [name, attempt] of Object.entries(attempts)) {
      expect([name, await denied(attempt())]).toEqual([name, 'AccessDenied']);
    }
    const attached = await new AwsIamGateway(iamAs(admin)).listAttachedPolicies({
      kind: 'user',
      name: 'mallory',
    });
    expect(attached.map((policy) => policy.arn).sort()).toEqual([ADMIN, policyArn].sort());

    const policy = await new AwsIamGateway(iamAs(admin)).getManagedPolicy(policyArn);
    const version = await new AwsIamGateway(iamAs(admin)).getPolicyVersion(
      policyArn,
      policy?.defaultVersionId ?? '',
    );
    const topicDeny = version?.document?.Statement.find((statement) =>
      statement.Resource?.includes(jobsTopic),
    );
    expect(topicDeny).toMatchObject({ Effect: 'Deny', Action: expect.arrayContaining(['sns:Publish']) });
  });

  it('deactivates the attacker key, revokes sessions issued before the quarantine, and restores only that key', async () => {
    const attacker = await administrator(iamAs(admin), 'trudy');
    const gateway = new AwsIamGateway(iamAs(admin));
    const spare = (await iamAs(admin).send(new CreateAccessKeyCommand({ UserName: 'trudy' }))).AccessKey;
    await gateway.setAccessKeyStatus('trudy', spare?.AccessKeyId ?? '', 'Inactive');
    const { service, store } = await quarantineService();
    const eventId = await changeBy(store, 'trudy');

    const outcome = await service.quarantine(eventId, ALICE, 'leaked keys', [
      'revoke-sessions',
      'deactivate-keys',
    ]);
    expect(outcome).toMatchObject({
      status: 'done',
      modes: ['deny-iam', 'revoke-sessions', 'deactivate-keys'],
      deactivatedKeys: [attacker.accessKeyId],
    });
    const keys = async () =>
      Object.fromEntries((await gateway.listAccessKeys('trudy')).map((key) => [key.id, key.status]));
    expect(await keys()).toEqual({
      [attacker.accessKeyId]: 'Inactive',
      [spare?.AccessKeyId ?? '']: 'Inactive',
    });
    await expect(
      denied(iamAs(attacker).send(new DetachUserPolicyCommand({ UserName: 'trudy', PolicyArn: ADMIN }))),
    ).resolves.toBe('AccessDenied');

    const policyArn = outcome.status === 'done' ? outcome.policyArn : '';
    const policy = await gateway.getManagedPolicy(policyArn);
    const document = (await gateway.getPolicyVersion(policyArn, policy?.defaultVersionId ?? ''))
      ?.document as PolicyDocument;
    expect(document.Statement).toContainEqual({
      Sid: 'IamChangesQuarantineRevokeSessions',
      Effect: 'Deny',
      Action: ['*'],
      Resource: ['*'],
      Condition: { DateLessThan: { 'aws:TokenIssueTime': [AT.toISOString()] } },
    });
    expect(JSON.stringify(document).length).toBeLessThanOrEqual(6144);

    const lifted = await service.lift({ eventId }, ALICE, 'rotated');
    expect(lifted).toMatchObject({ status: 'lifted', restoredKeys: [attacker.accessKeyId] });
    expect(await keys()).toEqual({
      [attacker.accessKeyId]: 'Active',
      [spare?.AccessKeyId ?? '']: 'Inactive',
    });
    await expect(gateway.getManagedPolicy(policyArn)).resolves.toBeNull();
    await expect(denied(iamAs(attacker).send(new CreateUserCommand({ UserName: 'trudy-2' })))).resolves.toBe(
      'allowed',
    );
  });

  it('reactivates on lift no key the table names but the quarantine policy in IAM does not', async () => {
    const attacker = await administrator(iamAs(admin), 'oscar');
    const gateway = new AwsIamGateway(iamAs(admin));
    // A key the security team turned off by hand, before and apart from the quarantine.
    const disabled = (await iamAs(admin).send(new CreateAccessKeyCommand({ UserName: 'oscar' }))).AccessKey;
    const disabledId = disabled?.AccessKeyId ?? '';
    await gateway.setAccessKeyStatus('oscar', disabledId, 'Inactive');
    const { service, store } = await quarantineService();
    const eventId = await changeBy(store, 'oscar');
    const outcome = await service.quarantine(eventId, ALICE, 'leaked keys', ['deactivate-keys']);
    expect(outcome).toMatchObject({ status: 'done', deactivatedKeys: [attacker.accessKeyId] });

    // Someone with write access to the table adds the disabled key to the record.
    const record = (await store.getChange(eventId))?.quarantine;
    if (!record) throw new Error('no quarantine recorded');
    await store.recordQuarantine(
      eventId,
      { ...record, deactivatedKeys: [attacker.accessKeyId, disabledId] },
      AT,
    );

    const lifted = await service.lift({ eventId }, ALICE, 'rotated');

    expect(lifted).toMatchObject({ status: 'lifted', restoredKeys: [attacker.accessKeyId] });
    const keys = Object.fromEntries(
      (await gateway.listAccessKeys('oscar')).map((key) => [key.id, key.status]),
    );
    expect(keys).toEqual({ [attacker.accessKeyId]: 'Active', [disabledId]: 'Inactive' });
  });

  it('refuses a lift job the quarantined administrator publishes itself: it cannot sign as Slack', async () => {
    const attacker = await administrator(iamAs(admin), 'eve');
    const { service, store, audit, tableName } = await quarantineService();
    const eventId = await changeBy(store, 'eve');
    const outcome = await service.quarantine(eventId, ALICE, 'admin grant by an unknown user');
    const policyArn = outcome.status === 'done' ? outcome.policyArn : '';
    expect(policyArn).not.toBe('');

    // The forged lift, claiming a responder, with a signature the attacker made up (it cannot read the secret).
    const at = String(Math.floor(AT.getTime() / 1000));
    const forged: Job = {
      kind: 'lift-quarantine',
      eventId,
      by: ALICE,
      reason: 'done here',
      origin: { body: 'payload=%7B%7D', timestamp: at, signature: `v0=${'0'.repeat(64)}` },
    };
    // moto applies no topic-scoped deny (it evaluates every non-IAM request against "*"), so the publish may
    // well go through here; in AWS the topic policy and the quarantine both refuse it. The worker must refuse it
    // either way.
    const published = await denied(
      snsAs(attacker).send(new PublishCommand({ TopicArn: jobsTopic, Message: JSON.stringify(forged) })),
    );
    expect(['allowed', 'AccessDenied', 'AuthorizationError']).toContain(published);

    let lifted = false;
    const worker = new VerifiedJobRunner({
      verifier: new SlackInteractionVerifier(async () => 'the-real-signing-secret'),
      proofs: new DynamoJobProofStore(db.documentClient, { tableName }),
      authorizer: { authorize: async () => ({ allowed: true, reason: 'listed' }) },
      audit,
      store,
      slack: { userName: async (id) => id },
      clock: { now: () => AT },
      settings: { trust: 'signed-by-slack' },
      next: {
        async run(job) {
          lifted = true;
          await service.lift({ eventId }, job.by, 'lifted');
          return { kind: job.kind, outcome: 'lifted' };
        },
      },
      log: () => undefined,
    });
    const result = await worker.run(parseJob(JSON.stringify(forged)), { id: 'sns-message-1' });

    expect(result).toEqual({ kind: 'lift-quarantine', outcome: 'unverified' });
    expect(lifted).toBe(false);
    const attached = await new AwsIamGateway(iamAs(admin)).listAttachedPolicies({
      kind: 'user',
      name: 'eve',
    });
    expect(attached.map((policy) => policy.arn)).toContain(policyArn);
    const entries = await audit.list(new Date(AT.getTime() - 60_000), 20);
    expect(entries.find((entry) => entry.action === 'unverified-job')).toMatchObject({
      actor: { name: 'unverified job' },
      eventId,
    });
  });
});
