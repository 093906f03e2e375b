/**
 * RevertService end to end on real parts: IAM on moto_server (every change is made for real, then reverted, then
 * IAM is read back), the store and the audit log on dynalite, and CloudTrail `LookupEvents` through
 * aws-sdk-client-mock behind the real CloudTrailHistory.
 */
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import {
  AttachGroupPolicyCommand,
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreateGroupCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeleteGroupPolicyCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DeleteRolePolicyCommand,
  DeleteUserPolicyCommand,
  DetachGroupPolicyCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  IAMClient,
  PutGroupPolicyCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  SetDefaultPolicyVersionCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/app/audit-port';
import { BeforeStateResolver } from '../../src/app/before-state';
import type { IamEntity } from '../../src/app/iam-port';
import { RevertService, type RevertSettings } from '../../src/app/revert-service';
import { CloudTrailHistory } from '../../src/aws/cloudtrail-history';
import { AwsIamGateway } from '../../src/aws/iam-gateway';
import { normaliseRecord } from '../../src/domain/change';
import { assessChange } from '../../src/domain/explain';
import type { CloudTrailRecord } from '../../src/domain/input';
import type { AssessedChange, PolicyDocument, RevertStep } from '../../src/domain/types';
import { DynamoAuditLog } from '../../src/store/dynamo-audit-log';
import { DynamoChangeStore } from '../../src/store/dynamo-change-store';
import { cloudTrailRecord } from '../support/cloudtrail';
import { type DynaliteServer, startDynalite } from '../support/dynalite';
import { awsTestEnv, type MotoServer, startMoto } from '../support/moto';

const ACCOUNT = '123456789012';
const ALICE = { slackUserId: 'U0ALICE', name: 'alice' };
const REASON = 'not approved in change review';

const READ: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['*'] }],
};
const WRITE: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['s3:PutObject', 's3:DeleteObject'], Resource: ['*'] }],
};
const ADMIN_LIKE: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['*'], Resource: ['*'] }],
};
const TRUST_EC2: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: ['ec2.amazonaws.com'] }, Action: ['sts:AssumeRole'] }],
};
const TRUST_ANYONE: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { AWS: ['*'] }, Action: ['sts:AssumeRole'] }],
};

let db: DynaliteServer;
let moto: MotoServer;
let iamClient: IAMClient;
let gateway: AwsIamGateway;
let cloudTrail: CloudTrailClient;
let trailMock: AwsClientStub<CloudTrailClient>;
let store: DynamoChangeStore;
let audit: DynamoAuditLog;
let counter = 0;

beforeAll(async () => {
  [db, moto] = await Promise.all([startDynalite(), startMoto()]);
  iamClient = new IAMClient(awsTestEnv(moto.endpoint));
  gateway = new AwsIamGateway(iamClient);
  cloudTrail = new CloudTrailClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  trailMock = mockClient(cloudTrail);
});

afterAll(async () => {
  iamClient?.destroy();
  await Promise.all([db?.stop(), moto?.stop()]);
});

beforeEach(async () => {
  trailMock.reset();
  trailMock.on(LookupEventsCommand).resolves({ Events: [] });
  const tableName = await db.createTable();
  store = new DynamoChangeStore(db.documentClient, { tableName });
  audit = new DynamoAuditLog(db.documentClient, { tableName });
});

function service(options: { iam?: AwsIamGateway; settings?: RevertSettings } = {}): RevertService {
  const iam = options.iam ?? gateway;
  const clock = { now: () => new Date() };
  return new RevertService({
    store,
    iam,
    resolver: new BeforeStateResolver({
      store,
      trail: new CloudTrailHistory(cloudTrail, { requestsPerSecond: 1000 }),
      iam,
      clock,
    }),
    clock,
    audit,
    settings: { verifyAttempts: 2, verifyDelayMs: 0, ...options.settings },
  });
}

function unique(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}`;
}

function ago(minutes: number): string {
  return new Date(Date.now() - minutes * 60_000).toISOString();
}

const text = (document: PolicyDocument) => JSON.stringify(document, null, 2);

/** CloudTrail `LookupEvents` answers with these records. */
function history(...records: CloudTrailRecord[]): void {
  trailMock.on(LookupEventsCommand).resolves({
    Events: records.map((record) => ({ EventId: record.eventID, CloudTrailEvent: JSON.stringify(record) })),
  });
}

/** Normalises and judges the record and stores it as the notify path would; returns its event id. */
async function stored(record: CloudTrailRecord, bot?: AssessedChange['bot']): Promise<string> {
  const result = normaliseRecord(record);
  if (!('change' in result)) throw new Error(result.skipped.reason);
  const now = new Date();
  const assessed = assessChange(result.change, { expectedActors: [], trustedAccounts: [] });
  await store.claimChange(bot ? { ...assessed, bot } : assessed, now, now);
  return result.change.eventId;
}

/** The record of a call made now (the change). */
function change(
  eventName: string,
  params: Record<string, unknown>,
  responseElements: Record<string, unknown> | null = null,
) {
  return cloudTrailRecord(eventName, params, { eventTime: new Date().toISOString(), responseElements });
}

async function entity(kind: IamEntity['kind']): Promise<IamEntity> {
  const name = unique(kind);
  if (kind === 'role') {
    await iamClient.send(
      new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: JSON.stringify(TRUST_EC2) }),
    );
  } else if (kind === 'user') {
    await iamClient.send(new CreateUserCommand({ UserName: name }));
  } else {
    await iamClient.send(new CreateGroupCommand({ GroupName: name }));
  }
  return { kind, name };
}

async function managedPolicy(document: PolicyDocument = READ, path = '/'): Promise<string> {
  const output = await iamClient.send(
    new CreatePolicyCommand({
      PolicyName: unique('policy'),
      Path: path,
      PolicyDocument: JSON.stringify(document),
    }),
  );
  return output.Policy?.Arn ?? '';
}

async function attachedArns(target: IamEntity): Promise<string[]> {
  return (await gateway.listAttachedPolicies(target)).map((policy) => policy.arn);
}

async function auditEntries(): Promise<AuditEntry[]> {
  return audit.list(new Date(Date.now() - 3_600_000), 50);
}

const KIND = { role: 'Role', user: 'User', group: 'Group' } as const;
const ENTITY_KINDS = [
  ['Role', 'role'],
  ['User', 'user'],
  ['Group', 'group'],
] as const;

/** `CreatePolicyVersion` of an admin-like document as v2, the default, on `arn`: done in IAM and stored. */
async function adminVersionMadeDefault(arn: string): Promise<string> {
  await iamClient.send(
    new CreatePolicyVersionCommand({
      PolicyArn: arn,
      PolicyDocument: JSON.stringify(ADMIN_LIKE),
      SetAsDefault: true,
    }),
  );
  return stored(
    change(
      'CreatePolicyVersion',
      { policyArn: arn, policyDocument: text(ADMIN_LIKE), setAsDefault: true },
      { policyVersion: { versionId: 'v2', isDefaultVersion: true } },
    ),
  );
}

async function attach(target: IamEntity, arn: string): Promise<void> {
  if (target.kind === 'role')
    await iamClient.send(new AttachRolePolicyCommand({ RoleName: target.name, PolicyArn: arn }));
  if (target.kind === 'user')
    await iamClient.send(new AttachUserPolicyCommand({ UserName: target.name, PolicyArn: arn }));
  if (target.kind === 'group')
    await iamClient.send(new AttachGroupPolicyCommand({ GroupName: target.name, PolicyArn: arn }));
}

async function detach(target: IamEntity, arn: string): Promise<void> {
  if (target.kind === 'role')
    await iamClient.send(new DetachRolePolicyCommand({ RoleName: target.name, PolicyArn: arn }));
  if (target.kind === 'user')
    await iamClient.send(new DetachUserPolicyCommand({ UserName: target.name, PolicyArn: arn }));
  if (target.kind === 'group')
    await iamClient.send(new DetachGroupPolicyCommand({ GroupName: target.name, PolicyArn: arn }));
}

async function putInline(target: IamEntity, name: string, document: PolicyDocument): Promise<void> {
  const input = { PolicyName: name, PolicyDocument: JSON.stringify(document) };
  if (target.kind === 'role')
    await iamClient.send(new PutRolePolicyCommand({ RoleName: target.name, ...input }));
  if (target.kind === 'user')
    await iamClient.send(new PutUserPolicyCommand({ UserName: target.name, ...input }));
  if (target.kind === 'group')
    await iamClient.send(new PutGroupPolicyCommand({ GroupName: target.name, ...input }));
}

async function deleteInline(target: IamEntity, name: string): Promise<void> {
  if (target.kind === 'role')
    await iamClient.send(new DeleteRolePolicyCommand({ RoleName: target.name, PolicyName: name }));
  if (target.kind === 'user')
    await iamClient.send(new DeleteUserPolicyCommand({ UserName: target.name, PolicyName: name }));
  if (target.kind === 'group')
    await iamClient.send(new DeleteGroupPolicyCommand({ GroupName: target.name, PolicyName: name }));
}

function nameParam(target: IamEntity): Record<string, string> {
  return { [`${target.kind}Name`]: target.name };
}

describe('RevertService', () => {
  describe('reverts every change of DESIGN §3, proven by reading IAM back', () => {
    it.each(ENTITY_KINDS)('Attach%sPolicy → detached', async (_name, kind) => {
      const target = await entity(kind);
      const arn = await managedPolicy(ADMIN_LIKE);
      await attach(target, arn);
      const eventId = await stored(
        change(`Attach${KIND[kind]}Policy`, { ...nameParam(target), policyArn: arn }),
      );

      const outcome = await service().execute(eventId, { by: ALICE, reason: REASON });

      expect(outcome.status).toBe('done');
      expect(await attachedArns(target)).toEqual([]);
      const record = await store.getChange(eventId);
      expect(record?.revert).toMatchObject({ status: 'done', by: ALICE, reason: REASON });
      expect(record?.revert?.steps).toEqual([
        expect.objectContaining({
          status: 'done',
          step: { action: `iam:Detach${KIND[kind]}Policy`, params: expect.any(Object) },
        }),
      ]);
      const entries = await auditEntries();
      expect(entries).toEqual([
        expect.objectContaining({
          action: 'revert',
          result: 'done',
          eventId,
          actor: ALICE,
          reason: REASON,
          target: `${kind}/${target.name}`,
        }),
      ]);
    });

    it.each(ENTITY_KINDS)('Detach%sPolicy → attached again', async (_name, kind) => {
      const target = await entity(kind);
      const arn = await managedPolicy(READ);
      await attach(target, arn);
      await detach(target, arn);
      const eventId = await stored(
        change(`Detach${KIND[kind]}Policy`, { ...nameParam(target), policyArn: arn }),
      );

      const outcome = await service().execute(eventId, { by: ALICE, reason: REASON });

      expect(outcome.status).toBe('done');
      expect(await attachedArns(target)).toEqual([arn]);
    });

    it('PutRolePolicy over an earlier document → the earlier document (from the store)', async () => {
      const target = await entity('role');
      await putInline(target, 'deploy', READ);
      await putInline(target, 'deploy', ADMIN_LIKE);
      await store.putDocument(
        {
          resourceKey: `111122223333/role/${target.name}/inline/deploy`,
          eventTime: ago(60),
          eventId: 'seen-before',
          document: READ,
        },
        new Date(),
      );
      const eventId = await stored(
        change('PutRolePolicy', {
          roleName: target.name,
          policyName: 'deploy',
          policyDocument: text(ADMIN_LIKE),
        }),
      );

      const outcome = await service().execute(eventId, { by: ALICE, reason: REASON });

      expect(outcome.status).toBe('done');
      expect(outcome.status === 'done' && outcome.preview.beforeSource).toMatchObject({
        kind: 'store',
        eventId: 'seen-before',
      });
      await expect(gateway.getInlinePolicy(target, 'deploy')).resolves.toEqual(READ);
    });

    it('PutUserPolicy of a new inline policy → deleted (CloudTrail: the user was created after any earlier one)', async () => {
      const target = await entity('user');
      await putInline(target, 'extra', ADMIN_LIKE);
      history(cloudTrailRecord('CreateUser', { userName: target.name }, { eventTime: ago(120) }));
      const eventId = await stored(
        change('PutUserPolicy', {
          userName: target.name,
          policyName: 'extra',
          policyDocument: text(ADMIN_LIKE),
        }),
      );

      const outcome = await service().execute(eventId, { by: ALICE, reason: REASON });

      expect(outcome.status).toBe('done');
      expect(outcome.status === 'done' && outcome.record.steps.map((step) => step.step.action)).toEqual([
        'iam:DeleteUserPolicy',
      ]);
      await expect(gateway.getInlinePolicy(target, 'extra')).resolves.toBeNull();
    });

    it('PutGroupPolicy over an earlier document → the earlier document (from CloudTrail history)', async () => {
      const target = await entity('group');
      await putInline(target, 'devs', READ);
      await putInline(target, 'devs', WRITE);
      history(
        cloudTrailRecord(
          'PutGroupPolicy',
          { groupName: target.name, policyName: 'devs', policyDocument: text(READ) },
          { eventTime: ago(30) },
        ),
      );
      const eventId = await stored(
        change('PutGroupPolicy', { groupName: target.name, policyName: 'devs', policyDocument: text(WRITE) }),
      );

      const outcome = await service().execute(eventId, { by: ALICE, reason: REASON });

      expect(outcome.status).toBe('done');
      expect(outcome.status === 'done' && outcome.preview.beforeSource.kind).toBe('cloudtrail');
      await expect(gateway.getInlinePolicy(target, 'devs')).resolves.toEqual(READ);
    });

    it.each(ENTITY_KINDS)('Delete%sPolicy → the deleted document put back', async (_name, kind) => {
      const target = await entity(kind);
      await putInline(target, 'kept', WRITE);
      await deleteInline(target, 'kept');
      await store.putDocument(
        {
          resourceKey: `111122223333/${kind}/${target.name}/inline/kept`,
          eventTime: ago(60),
          eventId: 'seen-before',
          document: WRITE,
        },
        new Date(),
      );
      const eventId = await stored(
        change(`Delete${KIND[kind]}Policy`, { ...nameParam(target), policyName: 'kept' }),
      );

      const outcome = await service().execute(eventId, { by: ALICE, reason: REASON });

      expect(outcome.status).toBe('done');
      await expect(gateway.getInlinePolicy(target, 'kept')).resolves.toEqual(WRITE);
    });

    it('CreatePolicy → deleted, its non-default versions first', async () => {
      const name = unique('created');
      const output = await iamClient.send(
        new CreatePolicyCommand({
          PolicyName: name,
          Path: '/team/',
          PolicyDocument: JSON.stringify(ADMIN_LIKE),
        }),
      );
      const arn = output.Policy?.Arn ?? '';
      await iamClient.send(
        new CreatePolicyVersionCommand({
          PolicyArn: arn,
          PolicyDocument: JSON.stringify(READ),
          SetAsDefault: false,
        }),
      );
      const eventId = await stored(
        change(
          'CreatePolicy',
          { policyName: name, path: '/team/', policyDocument: text(ADMIN_LIKE) },
          { policy: { policyName: name, arn, path: '/team/', defaultVersionId: 'v1' } },
        ),
      );

      const preview = await service().prepare(eventId);
      expect(preview.plan.steps).toEqual([
        { action: 'iam:DeletePolicyVersion', params: { PolicyArn: arn, VersionId: 'v2' } },
        { action: 'iam:DeletePolicy', params: { PolicyArn: arn } },
      ]);
      expect(preview.plan.cli).toEqual([
        `aws iam delete-policy-version --policy-arn ${arn} --version-id v2`,
        `aws iam delete-policy --policy-arn ${arn}`,
      ]);

      const outcome = await service().execute(eventId, { by: ALICE, reason: REASON });
      expect(outcome.status).toBe('done');
      await expect(gateway.getManagedPolicy(arn)).resolves.toBeNull();
    });

    it('DeletePolicy → re-created with its name, path and document (from the store)', async () => {
      const arn = await managedPolicy(WRITE, '/team/');
      const name = arn.slice(arn.lastIndexOf('/') + 1);
      await iamClient.send(new DeletePolicyCommand({ PolicyArn: arn }));
      await store.putDocument(
        {
          resourceKey: `policy/${arn}/default`,
          eventTime: ago(60),
          eventId: 'created-earlier',
          document: WRITE,
        },
        new Date(),
      );
      const eventId = await stored(change('DeletePolicy', { policyArn: arn }));

      const outcome = await service().execute(eventId, { by: ALICE, reason: REASON });

      expect(outcome.status).toBe('done');
      await expect(gateway.getManagedPolicy(arn)).resolves.toMatchObject({ name, path: '/team/' });
      const policy = await gateway.getManagedPolicy(arn);
      await expect(gateway.getPolicyVersion(arn, policy?.defaultVersionId ?? '')).resolves.toMatchObject({
        document: WRITE,
      });
      expect(outcome.status === 'done' && outcome.preview.plan.notes?.[0]).toContain('new policy id');
    });

    it('CreatePolicyVersion as default → the previous default back and the new version deleted (IAM: v1 before v2)', async () => {
      const arn = await managedPolicy(READ);
      const eventId = await adminVersionMadeDefault(arn);

      const outcome = await service().execute(eventId, { by: ALICE, reason: REASON });

      expect(outcome.status).toBe('done');
      expect(outcome.status === 'done' && outcome.preview.beforeSource).toMatchObject({
        kind: 'iam',
        versionId: 'v1',
      });
      await expect(gateway.getManagedPolicy(arn)).resolves.toMatchObject({ defaultVersionId: 'v1' });
      expect((await gateway.listPolicyVersions(arn))?.map((version) => version.versionId)).toEqual(['v1']);
    });

    it('CreatePolicyVersion not as default → the new version deleted', async () => {
      const arn = await managedPolicy(READ);
      await iamClient.send(
        new CreatePolicyVersionCommand({
          PolicyArn: arn,
          PolicyDocument: JSON.stringify(ADMIN_LIKE),
          SetAsDefault: false,
        }),
      );
      const eventId = await stored(
        change(
          'CreatePolicyVersion',
          { policyArn: arn, policyDocument: text(ADMIN_LIKE), setAsDefault: false },
          { policyVersion: { versionId: 'v2', isDefaultVersion: false } },
        ),
      );

      const outcome = await service().execute(eventId, { by: ALICE, reason: REASON });

      expect(outcome.status).toBe('done');
      expect((await gateway.listPolicyVersions(arn))?.map((version) => version.versionId)).toEqual(['v1']);
    });

    it('DeletePolicyVersion → the document re-created as a non-default version (from CloudTrail)', async () => {
      const arn = await managedPolicy(READ);
      const created = cloudTrailRecord(
        'CreatePolicyVersion',
        { policyArn: arn, policyDocument: text(WRITE), setAsDefault: false },
        {
          eventTime: ago(30),
          responseElements: { policyVersion: { versionId: 'v2', isDefaultVersion: false } },
        },
      );
      await iamClient.send(
        new CreatePolicyVersionCommand({
          PolicyArn: arn,
          PolicyDocument: JSON.stringify(WRITE),
          SetAsDefault: false,
        }),
      );
      await iamClient.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: 'v2' }));
      history(created);
      const eventId = await stored(change('DeletePolicyVersion', { policyArn: arn, versionId: 'v2' }));

      const outcome = await service().execute(eventId, { by: ALICE, reason: REASON });

      expect(outcome.status).toBe('done');
      const versions = (await gateway.listPolicyVersions(arn)) ?? [];
      expect(versions.map((version) => [version.versionId, version.isDefault]).sort()).toEqual([
        ['v1', true],
        ['v3', false],
      ]);
      await expect(gateway.getPolicyVersion(arn, 'v3')).resolves.toMatchObject({ document: WRITE });
    });

    it('SetDefaultPolicyVersion → the previous default (from CloudTrail)', async () => {
      const arn = await managedPolicy(READ);
      await iamClient.send(
        new CreatePolicyVersionCommand({
          PolicyArn: arn,
          PolicyDocument: JSON.stringify(WRITE),
          SetAsDefault: true,
        }),
      );
      await iamClient.send(
        new CreatePolicyVersionCommand({
          PolicyArn: arn,
          PolicyDocument: JSON.stringify(ADMIN_LIKE),
          SetAsDefault: false,
        }),
      );
      await iamClient.send(new SetDefaultPolicyVersionCommand({ PolicyArn: arn, VersionId: 'v3' }));
      history(
        cloudTrailRecord(
          'CreatePolicyVersion',
          { policyArn: arn, policyDocument: text(WRITE), setAsDefault: true },
          {
            eventTime: ago(20),
            responseElements: { policyVersion: { versionId: 'v2', isDefaultVersion: true } },
          },
        ),
        cloudTrailRecord(
          'CreatePolicyVersion',
          { policyArn: arn, policyDocument: text(ADMIN_LIKE), setAsDefault: false },
          {
            eventTime: ago(10),
            responseElements: { policyVersion: { versionId: 'v3', isDefaultVersion: false } },
          },
        ),
      );
      const eventId = await stored(change('SetDefaultPolicyVersion', { policyArn: arn, versionId: 'v3' }));

      const outcome = await service().execute(eventId, { by: ALICE, reason: REASON });

      expect(outcome.status).toBe('done');
      await expect(gateway.getManagedPolicy(arn)).resolves.toMatchObject({ defaultVersionId: 'v2' });
    });

    it('UpdateAssumeRolePolicy → the previous trust policy (from the CreateRole record)', async () => {
      const target = await entity('role');
      await iamClient.send(
        new UpdateAssumeRolePolicyCommand({
          RoleName: target.name,
          PolicyDocument: JSON.stringify(TRUST_ANYONE),
        }),
      );
      history(
        cloudTrailRecord(
          'CreateRole',
          { roleName: target.name, assumeRolePolicyDocument: text(TRUST_EC2) },
          { eventTime: ago(60) },
        ),
      );
      const eventId = await stored(
        change('UpdateAssumeRolePolicy', { roleName: target.name, policyDocument: text(TRUST_ANYONE) }),
      );

      const outcome = await service().execute(eventId, { by: ALICE, reason: REASON });

      expect(outcome.status).toBe('done');
      await expect(gateway.getRoleTrustPolicy(target.name)).resolves.toEqual(TRUST_EC2);
    });
  });

  describe('refusals', () => {
    it('refuses when IAM changed again since, showing current vs expected, and changes nothing', async () => {
      const target = await entity('role');
      await putInline(target, 'deploy', READ);
      await putInline(target, 'deploy', ADMIN_LIKE);
      await store.putDocument(
        {
          resourceKey: `111122223333/role/${target.name}/inline/deploy`,
          eventTime: ago(60),
          eventId: 'seen-before',
          document: READ,
        },
        new Date(),
      );
      const eventId = await stored(
        change('PutRolePolicy', {
          roleName: target.name,
          policyName: 'deploy',
          policyDocument: text(ADMIN_LIKE),
        }),
      );
      await putInline(target, 'deploy', WRITE);

      const outcome = await service().execute(eventId, { by: ALICE, reason: REASON });

      expect(outcome.status).toBe('refused');
      if (outcome.status !== 'refused') return;
      expect(outcome.reason).toMatch(
        /^the live state changed since the change: now inline policy deploy on role/,
      );
      expect(outcome.preview.drift).toMatchObject({ drifted: true });
      expect('drifted' in outcome.preview.drift && outcome.preview.drift.current).toContain('s3:PutObject');
      expect('drifted' in outcome.preview.drift && outcome.preview.drift.expected).toContain(
        '"Action":["*"]',
      );
      await expect(gateway.getInlinePolicy(target, 'deploy')).resolves.toEqual(WRITE);
      expect((await store.getChange(eventId))?.revert).toMatchObject({ status: 'refused', steps: [] });
      expect(await auditEntries()).toEqual([
        expect.objectContaining({
          action: 'revert-refused',
          eventId,
          result: expect.stringMatching(/^refused: the live state changed/),
        }),
      ]);

      // A refusal releases the claim: once IAM is back to the state after the change, the revert goes ahead.
      await putInline(target, 'deploy', ADMIN_LIKE);
      const retried = await service().execute(eventId, { by: ALICE, reason: REASON });
      expect(retried.status).toBe('done');
      await expect(gateway.getInlinePolicy(target, 'deploy')).resolves.toEqual(READ);
    });

    it('reverts once when two executes race: the second sees the claim', async () => {
      const target = await entity('role');
      const arn = await managedPolicy(ADMIN_LIKE);
      await attach(target, arn);
      const eventId = await stored(change('AttachRolePolicy', { roleName: target.name, policyArn: arn }));
      const bob = { slackUserId: 'U0BOB', name: 'bob' };

      const outcomes = await Promise.all([
        service().execute(eventId, { by: ALICE, reason: REASON }),
        service().execute(eventId, { by: bob, reason: 'me too' }),
      ]);

      const statuses = outcomes.map((outcome) => outcome.status).sort();
      expect(statuses).toEqual(['already-claimed', 'done']);
      const loser = outcomes.find((outcome) => outcome.status === 'already-claimed');
      expect(loser?.status === 'already-claimed' && loser.existing.status).toBe('claimed');
      expect(await attachedArns(target)).toEqual([]);
      const entries = await auditEntries();
      expect(entries.map((entry) => `${entry.action}:${entry.result}`).sort()).toEqual([
        'revert-refused:already-claimed',
        'revert:done',
      ]);

      const again = await service().execute(eventId, { by: bob, reason: 'later' });
      expect(again).toMatchObject({ status: 'already-claimed', existing: { status: 'done' } });
      await expect(service().prepare(eventId)).resolves.toMatchObject({
        refusal: expect.stringMatching(/^already reverted by alice at /),
      });
    });

    it('refuses when the previous document is unknown, and changes nothing', async () => {
      const target = await entity('role');
      await putInline(target, 'deploy', ADMIN_LIKE);
      const eventId = await stored(
        change('PutRolePolicy', {
          roleName: target.name,
          policyName: 'deploy',
          policyDocument: text(ADMIN_LIKE),
        }),
      );

      const preview = await service().prepare(eventId);
      expect(preview.refusal).toBe('the previous document is unknown: no revert');
      expect(preview.beforeSource.kind).toBe('unknown');
      expect(preview.plan.cli[0]).toContain('<previous-document>');

      const outcome = await service().execute(eventId, { by: ALICE, reason: REASON });
      expect(outcome).toMatchObject({
        status: 'refused',
        reason: 'the previous document is unknown: no revert',
      });
      await expect(gateway.getInlinePolicy(target, 'deploy')).resolves.toEqual(ADMIN_LIKE);
    });

    it('refuses to delete a created policy while it is attached, listing where', async () => {
      const name = unique('created');
      const output = await iamClient.send(
        new CreatePolicyCommand({ PolicyName: name, PolicyDocument: JSON.stringify(ADMIN_LIKE) }),
      );
      const arn = output.Policy?.Arn ?? '';
      const [role, user] = [await entity('role'), await entity('user')];
      await attach(role, arn);
      await attach(user, arn);
      const eventId = await stored(
        change('CreatePolicy', { policyName: name, policyDocument: text(ADMIN_LIKE) }, { policy: { arn } }),
      );

      const outcome = await service().execute(eventId, { by: ALICE, reason: REASON });

      expect(outcome.status).toBe('refused');
      expect(outcome.status === 'refused' && outcome.reason).toBe(
        `${name} is attached to role ${role.name}, user ${user.name}: IAM refuses to delete an attached policy and the revert does not detach it for you — detach it (or revert those attachments) first`,
      );
      await expect(gateway.getManagedPolicy(arn)).resolves.not.toBeNull();
    });

    it.each([
      [
        'a protected role',
        (role: string) => ({ protectedPrincipals: [`arn:aws:iam::*:role/${role}`] }),
        /a protected principal/,
      ],
      [
        "one of the bot's own roles",
        (role: string) => ({ protectedPrincipals: [], botRoleName: (name: string) => name === role }),
        /bot's own roles/,
      ],
    ])(
      'refuses to write the versions of a policy attached to %s, and changes nothing',
      async (_name, guardFor, expected) => {
        // The attack: a policy attached to a break-glass (or the bot's own) role is edited elsewhere; the revert
        // would rewrite what that role may do, which the protected-principal guard on roles alone lets through.
        const arn = await managedPolicy(READ);
        const [role, other] = [await entity('role'), await entity('role')];
        await attach(other, arn);
        await attach(role, arn);
        await iamClient.send(
          new CreatePolicyVersionCommand({
            PolicyArn: arn,
            PolicyDocument: JSON.stringify(ADMIN_LIKE),
            SetAsDefault: true,
          }),
        );
        const eventId = await stored(
          change(
            'CreatePolicyVersion',
            { policyArn: arn, policyDocument: text(ADMIN_LIKE), setAsDefault: true },
            { policyVersion: { versionId: 'v2', isDefaultVersion: true } },
          ),
        );

        const outcome = await service({ settings: { guard: guardFor(role.name) } }).execute(eventId, {
          by: ALICE,
          reason: REASON,
        });

        expect(outcome.status).toBe('refused');
        expect(outcome.status === 'refused' && outcome.reason).toMatch(
          new RegExp(`attached to role ${role.name}`),
        );
        expect(outcome.status === 'refused' && outcome.reason).toMatch(expected);
        await expect(gateway.getManagedPolicy(arn)).resolves.toMatchObject({ defaultVersionId: 'v2' });
        expect((await gateway.listPolicyVersions(arn))?.map((version) => version.versionId).sort()).toEqual([
          'v1',
          'v2',
        ]);
      },
    );

    it('reverts the versions of a policy attached only to principals the guard leaves alone', async () => {
      const arn = await managedPolicy(READ);
      await attach(await entity('role'), arn);
      const eventId = await adminVersionMadeDefault(arn);

      const outcome = await service({
        settings: {
          guard: { protectedPrincipals: ['arn:aws:iam::*:role/break-glass'], botRoleName: () => false },
        },
      }).execute(eventId, { by: ALICE, reason: REASON });

      expect(outcome.status).toBe('done');
      await expect(gateway.getManagedPolicy(arn)).resolves.toMatchObject({ defaultVersionId: 'v1' });
    });

    it("refuses a change notify recognised as the bot's own recorded step", async () => {
      const target = await entity('role');
      const arn = await managedPolicy();
      await attach(target, arn);
      const record = cloudTrailRecord(
        'AttachRolePolicy',
        { roleName: target.name, policyArn: arn },
        {
          eventTime: new Date().toISOString(),
          userIdentity: {
            type: 'AssumedRole',
            arn: `arn:aws:sts::${ACCOUNT}:assumed-role/iam-changes-worker/revert`,
            accountId: ACCOUNT,
            sessionContext: {
              sessionIssuer: {
                type: 'Role',
                arn: `arn:aws:iam::${ACCOUNT}:role/iam-changes-worker`,
                userName: 'iam-changes-worker',
              },
            },
          },
        },
      );
      const eventId = await stored(record, { role: 'worker', recorded: true });
      const outcome = await service().execute(eventId, {
        by: ALICE,
        reason: REASON,
      });
      expect(outcome.status === 'refused' && outcome.reason).toMatch(/made by iam-changes itself/);
      expect(await attachedArns(target)).toEqual([arn]);
    });

    it('refuses to go back to a previous default version deleted since', async () => {
      const arn = await managedPolicy(READ);
      await iamClient.send(
        new CreatePolicyVersionCommand({
          PolicyArn: arn,
          PolicyDocument: JSON.stringify(WRITE),
          SetAsDefault: true,
        }),
      );
      await iamClient.send(
        new CreatePolicyVersionCommand({
          PolicyArn: arn,
          PolicyDocument: JSON.stringify(ADMIN_LIKE),
          SetAsDefault: true,
        }),
      );
      await iamClient.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: 'v2' }));
      history(
        cloudTrailRecord(
          'CreatePolicyVersion',
          { policyArn: arn, policyDocument: text(WRITE), setAsDefault: true },
          {
            eventTime: ago(20),
            responseElements: { policyVersion: { versionId: 'v2', isDefaultVersion: true } },
          },
        ),
      );
      const eventId = await stored(
        change(
          'CreatePolicyVersion',
          { policyArn: arn, policyDocument: text(ADMIN_LIKE), setAsDefault: true },
          { policyVersion: { versionId: 'v3', isDefaultVersion: true } },
        ),
      );

      const outcome = await service().execute(eventId, { by: ALICE, reason: REASON });

      expect(outcome).toMatchObject({
        status: 'refused',
        reason: `version v2 of ${arn} no longer exists: there is no previous default to go back to`,
      });
      await expect(gateway.getManagedPolicy(arn)).resolves.toMatchObject({ defaultVersionId: 'v3' });
    });

    it('refuses a failed call: nothing changed', async () => {
      const record = cloudTrailRecord(
        'AttachRolePolicy',
        { roleName: 'x', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' },
        { errorCode: 'AccessDenied', errorMessage: 'no' },
      );
      const eventId = await stored(record);
      const preview = await service().prepare(eventId);
      expect(preview.refusal).toBe('the call failed (AccessDenied): nothing changed, nothing to revert');
      expect(preview.drift).toEqual({ skipped: 'the change has no revert' });
    });
  });

  describe('failures', () => {
    it('stops at a failed step, records which steps ran, and audits it', async () => {
      const arn = await managedPolicy(READ);
      const eventId = await adminVersionMadeDefault(arn);
      class FailingDelete extends AwsIamGateway {
        override async execute(step: RevertStep): Promise<void> {
          if (step.action === 'iam:DeletePolicyVersion') {
            throw Object.assign(new Error('iam:DeletePolicyVersion failed: ServiceFailure: boom'), {
              name: 'IamCallError',
            });
          }
          return super.execute(step);
        }
      }

      const outcome = await service({ iam: new FailingDelete(iamClient) }).execute(eventId, {
        by: ALICE,
        reason: REASON,
      });

      expect(outcome.status).toBe('failed');
      if (outcome.status !== 'failed') return;
      expect(outcome.error).toBe(
        'iam:DeletePolicyVersion failed: iam:DeletePolicyVersion failed: ServiceFailure: boom; ran: iam:SetDefaultPolicyVersion',
      );
      expect(outcome.record.steps.map((step) => [step.step.action, step.status])).toEqual([
        ['iam:SetDefaultPolicyVersion', 'done'],
        ['iam:DeletePolicyVersion', 'failed'],
      ]);
      expect((await store.getChange(eventId))?.revert).toMatchObject({
        status: 'failed',
        error: outcome.error,
      });
      expect(await auditEntries()).toEqual([expect.objectContaining({ action: 'revert', result: 'failed' })]);
      await expect(gateway.getManagedPolicy(arn)).resolves.toMatchObject({ defaultVersionId: 'v1' });
    });
  });

  describe('prepare', () => {
    it('shows the calls, the aws iam commands, the before-state source and the drift check, changing nothing', async () => {
      const target = await entity('role');
      const arn = await managedPolicy(ADMIN_LIKE);
      await attach(target, arn);
      const eventId = await stored(change('AttachRolePolicy', { roleName: target.name, policyArn: arn }));

      const preview = await service().prepare(eventId);

      expect(preview.refusal).toBeUndefined();
      expect(preview.plan.steps).toEqual([
        { action: 'iam:DetachRolePolicy', params: { RoleName: target.name, PolicyArn: arn } },
      ]);
      expect(preview.plan.cli).toEqual([
        `aws iam detach-role-policy --role-name ${target.name} --policy-arn ${arn}`,
      ]);
      expect(preview.beforeSource).toMatchObject({ kind: 'iam', versionId: 'v1' });
      expect(preview.drift).toEqual({
        drifted: false,
        expected: `${arn.slice(arn.lastIndexOf('/') + 1)} (${arn}) attached to role ${target.name}`,
        current: `${arn.slice(arn.lastIndexOf('/') + 1)} (${arn}) attached to role ${target.name}`,
      });
      expect(await attachedArns(target)).toEqual([arn]);
      expect((await store.getChange(eventId))?.revert).toBeUndefined();
      expect(await auditEntries()).toEqual([]);
    });
  });
});
