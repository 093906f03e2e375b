/**
 * The before-state resolver on real parts: the store on dynalite, IAM on moto_server, and CloudTrail
 * `LookupEvents` (which moto lacks) through aws-sdk-client-mock behind the real CloudTrailHistory.
 */
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import {
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  DeletePolicyVersionCommand,
  IAMClient,
} from '@aws-sdk/client-iam';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BeforeStateResolver } from '../../src/app/before-state';
import { CloudTrailHistory } from '../../src/aws/cloudtrail-history';
import { AwsIamGateway } from '../../src/aws/iam-gateway';
import type { CloudTrailRecord } from '../../src/domain/input';
import type { PolicyDocument } from '../../src/domain/types';
import { DynamoChangeStore } from '../../src/store/dynamo-change-store';
import { changeOf, cloudTrailRecord } from '../support/cloudtrail';
import { type DynaliteServer, startDynalite } from '../support/dynalite';
import { awsTestEnv, type MotoServer, startMoto } from '../support/moto';

const OLD: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['*'] }],
};
const OLDER: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['s3:ListBucket'], Resource: ['*'] }],
};
const NEW: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['*'], Resource: ['*'] }],
};
const TRUST: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: ['ec2.amazonaws.com'] }, Action: ['sts:AssumeRole'] }],
};
const TRUST_FREE: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['sts:AssumeRole'], Resource: ['*'] }],
};
const DEPLOY = 'arn:aws:iam::111122223333:policy/team/Deploy';
const CHANGE_TIME = '2026-11-20T14:00:00Z';

let db: DynaliteServer;
let moto: MotoServer;
let iamClient: IAMClient;
let cloudTrail: CloudTrailClient;
let trailMock: AwsClientStub<CloudTrailClient>;
let store: DynamoChangeStore;
let counter = 0;

beforeAll(async () => {
  [db, moto] = await Promise.all([startDynalite(), startMoto()]);
  iamClient = new IAMClient(awsTestEnv(moto.endpoint));
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
  store = new DynamoChangeStore(db.documentClient, { tableName: await db.createTable() });
});

function resolver(
  options: { store?: DynamoChangeStore; iam?: AwsIamGateway; now?: Date } = {},
): BeforeStateResolver {
  return new BeforeStateResolver({
    store: options.store ?? store,
    trail: new CloudTrailHistory(cloudTrail, { requestsPerSecond: 1000 }),
    iam: options.iam ?? new AwsIamGateway(iamClient),
    clock: { now: () => options.now ?? new Date('2026-11-20T15:00:00Z') },
  });
}

/** CloudTrail `LookupEvents` answers with these records (newest first, as CloudTrail does). */
function history(...records: CloudTrailRecord[]): void {
  const sorted = [...records].sort(
    (a, b) => Date.parse(String(b.eventTime)) - Date.parse(String(a.eventTime)),
  );
  trailMock.on(LookupEventsCommand).resolves({
    Events: sorted.map((record) => ({
      EventId: record.eventID,
      EventName: record.eventName,
      CloudTrailEvent: JSON.stringify(record),
    })),
  });
}

function historyFails(): void {
  trailMock
    .on(LookupEventsCommand)
    .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
}

/** A gateway whose every call fails to connect. */
function brokenIam(): AwsIamGateway {
  return new AwsIamGateway(new IAMClient({ ...awsTestEnv('http://127.0.0.1:9'), maxAttempts: 1 }));
}

/** A store on a table that does not exist: every call throws. */
function brokenStore(): DynamoChangeStore {
  return new DynamoChangeStore(db.documentClient, { tableName: 'no-such-table' });
}

function putRolePolicy(
  document: PolicyDocument,
  eventTime: string,
  roleName = 'ci-runner',
  policyName = 'deploy',
) {
  return cloudTrailRecord(
    'PutRolePolicy',
    { roleName, policyName, policyDocument: JSON.stringify(document, null, 2) },
    { eventTime },
  );
}

async function managedPolicyWithVersions(count: number, defaultVersion?: number): Promise<string> {
  counter += 1;
  const output = await iamClient.send(
    new CreatePolicyCommand({ PolicyName: `before-state-${counter}`, PolicyDocument: JSON.stringify(OLDER) }),
  );
  const arn = output.Policy?.Arn ?? '';
  for (let version = 2; version <= count; version += 1) {
    await iamClient.send(
      new CreatePolicyVersionCommand({
        PolicyArn: arn,
        PolicyDocument: JSON.stringify(version === count ? NEW : OLD),
        SetAsDefault: version === (defaultVersion ?? count),
      }),
    );
  }
  return arn;
}

describe('BeforeStateResolver', () => {
  describe('the store', () => {
    it('gives the last document the bot recorded for the resource before the change', async () => {
      const change = changeOf('PutRolePolicy', {
        roleName: 'ci-runner',
        policyName: 'deploy',
        policyDocument: JSON.stringify(NEW),
      });
      const now = new Date();
      await store.putDocument(
        {
          resourceKey: '111122223333/role/ci-runner/inline/deploy',
          eventTime: '2026-11-19T09:00:00Z',
          eventId: 'older',
          document: OLDER,
        },
        now,
      );
      await store.putDocument(
        {
          resourceKey: '111122223333/role/ci-runner/inline/deploy',
          eventTime: '2026-11-20T10:00:00Z',
          eventId: 'previous',
          document: OLD,
        },
        now,
      );
      history(putRolePolicy(OLDER, '2026-11-20T12:00:00Z'));

      const resolved = await resolver().resolveBeforeState(change);
      expect(resolved.state).toEqual({ previousDocument: OLD });
      expect(resolved.source).toMatchObject({
        kind: 'store',
        eventId: 'previous',
        eventTime: '2026-11-20T10:00:00Z',
      });
      expect(trailMock.commandCalls(LookupEventsCommand)).toHaveLength(0);
    });

    it('confirms there was none when the store recorded a deletion', async () => {
      const change = changeOf('PutUserPolicy', {
        userName: 'bob',
        policyName: 'p',
        policyDocument: JSON.stringify(NEW),
      });
      await store.putDocument(
        {
          resourceKey: '111122223333/user/bob/inline/p',
          eventTime: '2026-11-20T10:00:00Z',
          eventId: 'deleted',
          document: null,
        },
        new Date(),
      );
      const resolved = await resolver().resolveBeforeState(change);
      expect(resolved.state).toEqual({ previousDocument: null });
      expect(resolved.source.kind).toBe('store');
    });
  });

  describe('CloudTrail history', () => {
    it('takes the newest earlier write to the same document, looked up by the role name over 90 days', async () => {
      const change = changeOf(
        'PutRolePolicy',
        { roleName: 'ci-runner', policyName: 'deploy', policyDocument: JSON.stringify(NEW) },
        { eventTime: CHANGE_TIME },
      );
      const previous = putRolePolicy(OLD, '2026-11-18T08:00:00Z');
      history(
        putRolePolicy(OLDER, '2026-10-01T08:00:00Z'),
        previous,
        putRolePolicy(NEW, '2026-11-19T08:00:00Z', 'ci-runner', 'other-policy'),
        cloudTrailRecord(
          'PutRolePolicy',
          { roleName: 'ci-runner', policyName: 'deploy', policyDocument: JSON.stringify(NEW) },
          { eventTime: '2026-11-19T09:00:00Z', errorCode: 'AccessDenied' },
        ),
        putRolePolicy(TRUST, '2026-11-20T14:30:00Z'),
      );

      const resolved = await resolver().resolveBeforeState(change);
      expect(resolved.state).toEqual({ previousDocument: OLD });
      expect(resolved.source).toMatchObject({
        kind: 'cloudtrail',
        eventId: previous.eventID,
        eventTime: '2026-11-18T08:00:00Z',
      });
      const [call] = trailMock.commandCalls(LookupEventsCommand);
      expect(call?.args[0].input.LookupAttributes).toEqual([
        { AttributeKey: 'ResourceName', AttributeValue: 'ci-runner' },
      ]);
      expect(call?.args[0].input.StartTime).toEqual(new Date(Date.parse(CHANGE_TIME) - 90 * 86_400_000));
    });

    it('confirms no inline policy existed when the role was created after the last write to it', async () => {
      const change = changeOf('PutRolePolicy', {
        roleName: 'ci-runner',
        policyName: 'deploy',
        policyDocument: JSON.stringify(NEW),
      });
      history(
        putRolePolicy(OLD, '2026-11-01T08:00:00Z'),
        cloudTrailRecord('DeleteRole', { roleName: 'ci-runner' }, { eventTime: '2026-11-05T08:00:00Z' }),
        cloudTrailRecord(
          'CreateRole',
          { roleName: 'ci-runner', assumeRolePolicyDocument: JSON.stringify(TRUST) },
          { eventTime: '2026-11-06T08:00:00Z' },
        ),
      );
      const resolved = await resolver().resolveBeforeState(change);
      expect(resolved.state).toEqual({ previousDocument: null });
      expect(resolved.source.kind).toBe('cloudtrail');
    });

    it('reads the previous trust policy from the CreateRole record', async () => {
      const change = changeOf('UpdateAssumeRolePolicy', {
        roleName: 'ci-runner',
        policyDocument: JSON.stringify(NEW),
      });
      history(
        cloudTrailRecord(
          'CreateRole',
          { roleName: 'ci-runner', assumeRolePolicyDocument: JSON.stringify(TRUST) },
          { eventTime: '2026-11-06T08:00:00Z' },
        ),
      );
      const resolved = await resolver().resolveBeforeState(change);
      expect(resolved.state).toEqual({ previousDocument: TRUST });
    });

    it('will not order a write in the same second as the change: unknown rather than a guess', async () => {
      const change = changeOf(
        'PutRolePolicy',
        { roleName: 'ci-runner', policyName: 'deploy', policyDocument: JSON.stringify(NEW) },
        { eventTime: CHANGE_TIME },
      );
      history(putRolePolicy(OLDER, '2026-11-18T08:00:00Z'), putRolePolicy(OLD, CHANGE_TIME));
      const resolved = await resolver().resolveBeforeState(change);
      expect(resolved.state).toEqual({});
      expect(resolved.source.kind).toBe('unknown');
      expect(resolved.source.detail).toContain('in the same second');
    });

    it('finds the document of a deleted version in the record that created it', async () => {
      const change = changeOf('DeletePolicyVersion', { policyArn: DEPLOY, versionId: 'v2' });
      const created = cloudTrailRecord(
        'CreatePolicyVersion',
        { policyArn: DEPLOY, policyDocument: JSON.stringify(OLD), setAsDefault: false },
        {
          eventTime: '2026-11-10T08:00:00Z',
          responseElements: { policyVersion: { versionId: 'v2', isDefaultVersion: false } },
        },
      );
      history(
        cloudTrailRecord(
          'CreatePolicy',
          { policyName: 'Deploy', path: '/team/', policyDocument: JSON.stringify(OLDER) },
          { eventTime: '2026-11-01T08:00:00Z', responseElements: { policy: { arn: DEPLOY } } },
        ),
        created,
      );
      const resolved = await resolver().resolveBeforeState(change);
      expect(resolved.state).toEqual({ previousDocument: OLD });
      expect(resolved.source).toMatchObject({
        kind: 'cloudtrail',
        eventId: created.eventID,
        versionId: 'v2',
      });
      const [call] = trailMock.commandCalls(LookupEventsCommand);
      expect(call?.args[0].input.LookupAttributes).toEqual([
        { AttributeKey: 'ResourceName', AttributeValue: DEPLOY },
      ]);
    });

    it('follows a SetDefaultPolicyVersion back to the document of the version it chose (DeletePolicy)', async () => {
      const change = changeOf('DeletePolicy', { policyArn: DEPLOY });
      history(
        cloudTrailRecord(
          'CreatePolicy',
          { policyName: 'Deploy', path: '/team/', policyDocument: JSON.stringify(OLDER) },
          { eventTime: '2026-11-01T08:00:00Z', responseElements: { policy: { arn: DEPLOY } } },
        ),
        cloudTrailRecord(
          'CreatePolicyVersion',
          { policyArn: DEPLOY, policyDocument: JSON.stringify(OLD), setAsDefault: false },
          {
            eventTime: '2026-11-02T08:00:00Z',
            responseElements: { policyVersion: { versionId: 'v2', isDefaultVersion: false } },
          },
        ),
        cloudTrailRecord(
          'CreatePolicyVersion',
          { policyArn: DEPLOY, policyDocument: JSON.stringify(NEW), setAsDefault: true },
          {
            eventTime: '2026-11-03T08:00:00Z',
            responseElements: { policyVersion: { versionId: 'v3', isDefaultVersion: true } },
          },
        ),
        cloudTrailRecord(
          'SetDefaultPolicyVersion',
          { policyArn: DEPLOY, versionId: 'v2' },
          { eventTime: '2026-11-04T08:00:00Z' },
        ),
      );
      const resolved = await resolver().resolveBeforeState(change);
      expect(resolved.state).toEqual({ previousDocument: OLD });
      expect(resolved.source).toMatchObject({ kind: 'cloudtrail', versionId: 'v2' });
    });

    it('gives the default version before a SetDefaultPolicyVersion', async () => {
      const change = changeOf('SetDefaultPolicyVersion', { policyArn: DEPLOY, versionId: 'v1' });
      history(
        cloudTrailRecord(
          'CreatePolicyVersion',
          { policyArn: DEPLOY, policyDocument: JSON.stringify(NEW), setAsDefault: true },
          {
            eventTime: '2026-11-03T08:00:00Z',
            responseElements: { policyVersion: { versionId: 'v3', isDefaultVersion: true } },
          },
        ),
      );
      const resolved = await resolver().resolveBeforeState(change);
      expect(resolved.state.previousDefaultVersionId).toBe('v3');
      expect(resolved.source).toMatchObject({ kind: 'cloudtrail', versionId: 'v3' });
    });
  });

  describe('IAM', () => {
    it('settles the previous default of a new v2: only v1 can have existed before it', async () => {
      const arn = await managedPolicyWithVersions(2);
      const change = changeOf(
        'CreatePolicyVersion',
        { policyArn: arn, policyDocument: JSON.stringify(NEW), setAsDefault: true },
        { responseElements: { policyVersion: { versionId: 'v2', isDefaultVersion: true } } },
      );
      historyFails();
      const resolved = await resolver().resolveBeforeState(change);
      expect(resolved.state).toEqual({ previousDefaultVersionId: 'v1', previousDocument: OLDER });
      expect(resolved.source).toMatchObject({ kind: 'iam', versionId: 'v1' });
      expect(resolved.source.detail).toContain('v1 is the only version');
    });

    it('settles it from the one version left when CloudTrail shows no version deleted since', async () => {
      // v1 (default) → v2 as default → v1 deleted → v3 as default: the change. v2 was the default before it.
      const arn = await managedPolicyWithVersions(2);
      await iamClient.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: 'v1' }));
      await iamClient.send(
        new CreatePolicyVersionCommand({
          PolicyArn: arn,
          PolicyDocument: JSON.stringify(TRUST_FREE),
          SetAsDefault: true,
        }),
      );
      const change = changeOf(
        'CreatePolicyVersion',
        { policyArn: arn, policyDocument: JSON.stringify(TRUST_FREE), setAsDefault: true },
        {
          eventTime: CHANGE_TIME,
          responseElements: { policyVersion: { versionId: 'v3', isDefaultVersion: true } },
        },
      );
      history(
        cloudTrailRecord(
          'DeletePolicyVersion',
          { policyArn: arn, versionId: 'v1' },
          { eventTime: '2026-11-19T08:00:00Z' },
        ),
      );
      const resolved = await resolver().resolveBeforeState(change);
      expect(resolved.state).toEqual({ previousDefaultVersionId: 'v2', previousDocument: NEW });
      expect(resolved.source).toMatchObject({ kind: 'iam', versionId: 'v2' });

      history(
        cloudTrailRecord(
          'DeletePolicyVersion',
          { policyArn: arn, versionId: 'v1' },
          { eventTime: '2026-11-20T14:10:00Z' },
        ),
      );
      const deletedSince = await resolver().resolveBeforeState(change);
      expect(deletedSince.source.kind).toBe('unknown');

      historyFails();
      const unsure = await resolver().resolveBeforeState(change);
      expect(unsure.source.kind).toBe('unknown');
      expect(unsure.source.detail).toContain("a version deleted since can't be ruled out");
    });

    it('says unknown when several versions could have been the default', async () => {
      const arn = await managedPolicyWithVersions(3, 3);
      const change = changeOf(
        'SetDefaultPolicyVersion',
        { policyArn: arn, versionId: 'v3' },
        { eventTime: new Date(Date.now() + 1000).toISOString() },
      );
      const resolved = await resolver({ now: new Date(Date.now() + 60_000) }).resolveBeforeState(change);
      expect(resolved.state).toEqual({});
      expect(resolved.source.kind).toBe('unknown');
      expect(resolved.source.detail).toContain('v1, v2 all existed before the change');
    });

    it("reads the detached policy's default document (and the attached one's, for the diff)", async () => {
      const arn = await managedPolicyWithVersions(2);
      const detach = changeOf('DetachRolePolicy', { roleName: 'ci-runner', policyArn: arn });
      const detached = await resolver().resolveBeforeState(detach);
      expect(detached.state).toEqual({ previousDocument: NEW });
      expect(detached.source).toMatchObject({ kind: 'iam', versionId: 'v2' });

      const attached = await resolver().resolveBeforeState(
        changeOf('AttachRolePolicy', { roleName: 'ci-runner', policyArn: arn }),
      );
      expect(attached.state).toEqual({});
      expect(attached.policyDocument).toEqual(NEW);
    });
  });

  describe('changes that settle it themselves', () => {
    it('knows a CreatePolicy had nothing before it, without a look-up', async () => {
      const change = changeOf('CreatePolicy', {
        policyName: 'Deploy',
        path: '/team/',
        policyDocument: JSON.stringify(NEW),
      });
      const resolved = await resolver({ store: brokenStore(), iam: brokenIam() }).resolveBeforeState(change);
      expect(resolved.state).toEqual({ previousDocument: null });
      expect(resolved.source.kind).toBe('record');
      expect(trailMock.commandCalls(LookupEventsCommand)).toHaveLength(0);
    });
  });

  describe('failures', () => {
    it('falls through a failing store to CloudTrail', async () => {
      const change = changeOf(
        'DeleteGroupPolicy',
        { groupName: 'devs', policyName: 'p' },
        { eventTime: CHANGE_TIME },
      );
      history(
        cloudTrailRecord(
          'PutGroupPolicy',
          { groupName: 'devs', policyName: 'p', policyDocument: JSON.stringify(OLD) },
          { eventTime: '2026-11-19T08:00:00Z' },
        ),
      );
      const resolved = await resolver({ store: brokenStore() }).resolveBeforeState(change);
      expect(resolved.state).toEqual({ previousDocument: OLD });
      expect(resolved.source.kind).toBe('cloudtrail');
    });

    it('says unknown, with what each source said, when every look-up fails', async () => {
      historyFails();
      const put = changeOf('PutRolePolicy', {
        roleName: 'ci-runner',
        policyName: 'deploy',
        policyDocument: JSON.stringify(NEW),
      });
      const resolved = await resolver({ store: brokenStore(), iam: brokenIam() }).resolveBeforeState(put);
      expect(resolved.state).toEqual({});
      expect(resolved.source.kind).toBe('unknown');
      expect(resolved.source.detail).toMatch(
        /look-up failed: .*;.*look-up failed: .*Rate exceeded.*; IAM: keeps no earlier inline/,
      );

      const version = changeOf(
        'CreatePolicyVersion',
        { policyArn: DEPLOY, policyDocument: JSON.stringify(NEW), setAsDefault: true },
        { responseElements: { policyVersion: { versionId: 'v4', isDefaultVersion: true } } },
      );
      const versionResolved = await resolver({ store: brokenStore(), iam: brokenIam() }).resolveBeforeState(
        version,
      );
      expect(versionResolved.state).toEqual({});
      expect(versionResolved.source.kind).toBe('unknown');

      const detach = changeOf('DetachUserPolicy', { userName: 'bob', policyArn: DEPLOY });
      const detachResolved = await resolver({ iam: brokenIam() }).resolveBeforeState(detach);
      expect(detachResolved.source).toMatchObject({ kind: 'unknown' });
      expect(detachResolved.source.detail).toMatch(/^IAM: look-up failed/);
    });

    it('says unknown when no source has it (a policy deleted beyond the history)', async () => {
      const change = changeOf('DeletePolicy', { policyArn: DEPLOY });
      const resolved = await resolver().resolveBeforeState(change);
      expect(resolved.source.kind).toBe('unknown');
      expect(resolved.source.detail).toBe(
        'the store: no document of policy/arn:aws:iam::111122223333:policy/team/Deploy/default recorded before the change; CloudTrail: no earlier default document of arn:aws:iam::111122223333:policy/team/Deploy in the 90 days before; IAM: the policy is deleted, with its versions',
      );
    });
  });
});
