/**
 * Resolving the document of an attached managed policy: the store, then IAM (a real moto_server with the AWS
 * managed policies loaded), then the catalogue of AWS managed policies, then unknown with every source's reason.
 */
import { CreatePolicyCommand, CreatePolicyVersionCommand, IAMClient } from '@aws-sdk/client-iam';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IamGateway } from '../../src/app/iam-port';
import {
  CataloguePolicyDocuments,
  IamPolicyDocuments,
  PolicyDocumentResolver,
  StoredPolicyDocuments,
} from '../../src/app/policy-documents';
import { AwsIamGateway } from '../../src/aws/iam-gateway';
import { GeneratedManagedPolicyCatalogue } from '../../src/catalogue/managed-policies';
import { assessChange } from '../../src/domain/explain';
import { policyVersionKey } from '../../src/domain/resources';
import { DynamoChangeStore } from '../../src/store/dynamo-change-store';
import { changeOf } from '../support/cloudtrail';
import { type DynaliteServer, startDynalite } from '../support/dynalite';
import { awsTestEnv, type MotoServer, startMoto } from '../support/moto';

const ACCOUNT = '123456789012';
const AT = { eventTime: '2026-11-20T14:00:00Z', eventId: 'e-1' };
const EVERYTHING = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

let moto: MotoServer;
let dynalite: DynaliteServer;
let client: IAMClient;
let iam: AwsIamGateway;
let counter = 0;

beforeAll(async () => {
  [moto, dynalite] = await Promise.all([startMoto(), startDynalite()]);
  client = new IAMClient(awsTestEnv(moto.endpoint));
  iam = new AwsIamGateway(client);
});

afterAll(async () => {
  await Promise.all([moto?.stop(), dynalite?.stop()]);
});

async function storeOf() {
  return new DynamoChangeStore(dynalite.documentClient, { tableName: await dynalite.createTable() });
}

async function customerPolicy(name: string, document: object): Promise<string> {
  counter += 1;
  const output = await client.send(
    new CreatePolicyCommand({ PolicyName: `${name}${counter}`, PolicyDocument: JSON.stringify(document) }),
  );
  return output.Policy?.Arn ?? '';
}

/** An IAM port that counts its calls, on the real gateway. */
function counting(gateway: IamGateway) {
  const calls: string[] = [];
  return {
    calls,
    port: {
      getManagedPolicy: (arn: string) => {
        calls.push(`GetPolicy ${arn}`);
        return gateway.getManagedPolicy(arn);
      },
      getPolicyVersion: (arn: string, version: string) => {
        calls.push(`GetPolicyVersion ${arn} ${version}`);
        return gateway.getPolicyVersion(arn, version);
      },
    },
  };
}

describe('PolicyDocumentResolver', () => {
  it('judges a customer policy named ReadOnlyHelper that allows * on * critical, from IAM', async () => {
    const store = await storeOf();
    const arn = await customerPolicy('ReadOnlyHelper', EVERYTHING);
    const resolver = new PolicyDocumentResolver([
      new StoredPolicyDocuments(store),
      new IamPolicyDocuments(iam, store, () => new Date()),
    ]);

    const change = await resolver.resolve(changeOf('AttachRolePolicy', { roleName: 'app', policyArn: arn }));
    const assessed = assessChange(change, { expectedActors: [], trustedAccounts: [] });

    expect(change.managedPolicy).toMatchObject({
      policyArn: arn,
      use: 'attached',
      source: 'iam',
      versionId: 'v1',
    });
    expect(assessed.risk.level).toBe('critical');
    expect(assessed.risk.reasons[0]).toMatch(
      /^attaches ReadOnlyHelper\d+ to role app, which allows every action/,
    );
  });

  it('reads the default version IAM holds now, and caches it in the store by ARN and version', async () => {
    const store = await storeOf();
    const arn = await customerPolicy('Deploy', {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
    });
    await client.send(
      new CreatePolicyVersionCommand({
        PolicyArn: arn,
        PolicyDocument: JSON.stringify(EVERYTHING),
        SetAsDefault: true,
      }),
    );
    const { calls, port } = counting(iam);
    const source = new IamPolicyDocuments(port, store, () => new Date());

    const first = await source.find(arn);
    const second = await source.find(arn);

    expect(first).toMatchObject({
      source: 'iam',
      versionId: 'v2',
      document: { Statement: [{ Action: ['*'] }] },
    });
    expect(second).toEqual(first);
    // The version's document is read once; after that only GetPolicy asks which version is the default.
    expect(calls.filter((call) => call.startsWith('GetPolicyVersion'))).toHaveLength(1);
    expect(
      await store.documentBefore(policyVersionKey(arn, 'v2'), '9999-12-31T23:59:59Z', '~'),
    ).toMatchObject({
      document: { Statement: [{ Action: ['*'] }] },
    });
  });

  it.each([
    ['not JSON', '{"Statement":'],
    ['with no statement', '{"Version":"2012-10-17"}'],
    [
      'with a statement of the wrong shape',
      '{"Statement":[{"Effect":"Allow","Action":{"a":1},"Resource":"*"}]}',
    ],
  ])(
    'reads a version from IAM when its cached document is malformed (%s), never crashing a rule',
    async (_what, text) => {
      const tableName = await dynalite.createTable();
      const store = new DynamoChangeStore(dynalite.documentClient, { tableName });
      const arn = await customerPolicy('Poisoned', EVERYTHING);
      await dynalite.documentClient.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            pk: `DOC#${policyVersionKey(arn, 'v1')}`,
            sk: '9999-12-31T23:59:58.000Z#x',
            resourceKey: policyVersionKey(arn, 'v1'),
            eventTime: '9999-12-31T23:59:58Z',
            eventId: 'x',
            document: text,
          },
        }),
      );
      const { calls, port } = counting(iam);
      const resolver = new PolicyDocumentResolver([new IamPolicyDocuments(port, store, () => new Date())]);

      const change = await resolver.resolve(
        changeOf('AttachRolePolicy', { roleName: 'app', policyArn: arn }),
      );

      expect(calls.filter((call) => call.startsWith('GetPolicyVersion'))).toHaveLength(1);
      expect(assessChange(change, { expectedActors: [], trustedAccounts: [] }).risk.level).toBe('critical');
    },
  );

  it("normalises a cached document written in IAM's loose form (a string for a list) before any rule reads it", async () => {
    const tableName = await dynalite.createTable();
    const store = new DynamoChangeStore(dynalite.documentClient, { tableName });
    const arn = await customerPolicy('Loose', EVERYTHING);
    await dynalite.documentClient.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          pk: `DOC#${policyVersionKey(arn, 'v1')}`,
          sk: '2026-11-20T13:00:00.000Z#x',
          resourceKey: policyVersionKey(arn, 'v1'),
          eventTime: '2026-11-20T13:00:00Z',
          eventId: 'x',
          document: '{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}',
        },
      }),
    );
    const resolver = new PolicyDocumentResolver([new IamPolicyDocuments(iam, store, () => new Date())]);

    const change = await resolver.resolve(changeOf('AttachRolePolicy', { roleName: 'app', policyArn: arn }));

    expect(change.managedPolicy?.document?.Statement).toEqual([
      { Effect: 'Allow', Action: ['*'], Resource: ['*'] },
    ]);
    expect(assessChange(change, { expectedActors: [], trustedAccounts: [] }).risk.level).toBe('critical');
  });

  it("never writes the version cache without the cache's writer (the worker only reads it)", async () => {
    const store = await storeOf();
    const arn = await customerPolicy('ReadOnlyCache', EVERYTHING);
    const source = new IamPolicyDocuments(
      iam,
      { documentBefore: (key, time, id) => store.documentBefore(key, time, id) },
      () => new Date(),
    );

    expect(await source.find(arn)).toMatchObject({ source: 'iam', versionId: 'v1' });
    expect(
      await store.documentBefore(policyVersionKey(arn, 'v1'), '9999-12-31T23:59:59Z', '~'),
    ).toBeUndefined();
  });

  it("says a default version created after the call is unknown when reading late (the worker), never taking today's for it", async () => {
    const store = await storeOf();
    const arn = await customerPolicy('Later', EVERYTHING);
    await client.send(
      new CreatePolicyVersionCommand({
        PolicyArn: arn,
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
        }),
        SetAsDefault: true,
      }),
    );
    const resolver = new PolicyDocumentResolver([
      new IamPolicyDocuments(iam, store, () => new Date(), { versionsBeforeTheCall: true }),
    ]);

    const found = await resolver.lookup(arn, { eventTime: '2020-01-01T00:00:00Z', eventId: 'e-old' });

    expect(found.source).toBe('unknown');
    expect(found.source === 'unknown' && found.reason).toMatch(
      /^IAM: the default version v2 was created after the change \(/,
    );
  });

  it('reads AWS managed policies from IAM (moto loads them)', async () => {
    const store = await storeOf();
    const resolver = new PolicyDocumentResolver([new IamPolicyDocuments(iam, store, () => new Date())]);

    const found = await resolver.lookup('arn:aws:iam::aws:policy/IAMFullAccess', AT);

    expect(found.source).toBe('iam');
    expect(
      found.source !== 'unknown' && found.document.Statement.some((s) => s.Action?.includes('iam:*')),
    ).toBe(true);
  });

  it('takes a document the bot saw written from the store without asking IAM', async () => {
    const store = await storeOf();
    const arn = `arn:aws:iam::${ACCOUNT}:policy/SeenBefore`;
    await store.putDocument(
      {
        resourceKey: `policy/${arn}/default`,
        eventTime: '2026-11-20T13:00:00Z',
        eventId: 'e-0',
        document: { Statement: [{ Effect: 'Allow', Action: ['iam:*'], Resource: ['*'] }] },
      },
      new Date(),
    );
    const { calls, port } = counting(iam);
    const resolver = new PolicyDocumentResolver([
      new StoredPolicyDocuments(store),
      new IamPolicyDocuments(port, store, () => new Date()),
    ]);

    const found = await resolver.lookup(arn, AT);

    expect(found).toMatchObject({ source: 'store', document: { Statement: [{ Action: ['iam:*'] }] } });
    expect(calls).toEqual([]);
  });

  it('falls back to the catalogue of AWS managed policies when IAM cannot be asked, and says unknown for the rest', async () => {
    const store = await storeOf();
    const unreachable = new AwsIamGateway(
      new IAMClient({ ...awsTestEnv('http://127.0.0.1:9'), maxAttempts: 1 }),
    );
    const resolver = new PolicyDocumentResolver([
      new StoredPolicyDocuments(store),
      new IamPolicyDocuments(unreachable, store, () => new Date()),
      new CataloguePolicyDocuments(new GeneratedManagedPolicyCatalogue()),
    ]);

    const managed = await resolver.lookup('arn:aws:iam::aws:policy/AdministratorAccess', AT);
    const customer = await resolver.lookup(`arn:aws:iam::${ACCOUNT}:policy/Unseen`, AT);

    expect(managed).toMatchObject({ source: 'catalogue', versionId: 'v1' });
    expect(customer.source).toBe('unknown');
    expect(customer.source === 'unknown' && customer.reason).toMatch(
      /^store: not seen before; IAM: iam:GetPolicy failed: .*; catalogue: not an AWS managed policy$/,
    );
  });

  it('says a policy IAM does not have is unknown, never guesses from its name', async () => {
    const store = await storeOf();
    const resolver = new PolicyDocumentResolver([new IamPolicyDocuments(iam, store, () => new Date())]);

    const change = await resolver.resolve(
      changeOf('AttachUserPolicy', {
        userName: 'bob',
        policyArn: `arn:aws:iam::${ACCOUNT}:policy/AdministratorAccess`,
      }),
    );
    const assessed = assessChange(change, { expectedActors: [], trustedAccounts: [] });

    expect(change.managedPolicy).toMatchObject({ source: 'unknown', unknownReason: 'IAM: no such policy' });
    expect(assessed.risk.level).toBe('medium');
    expect(assessed.risk.reasons[0]).toContain('its document is unknown (IAM: no such policy)');
  });

  it('leaves failed calls and calls that name no managed policy alone', async () => {
    const resolver = new PolicyDocumentResolver([
      new CataloguePolicyDocuments(new GeneratedManagedPolicyCatalogue()),
    ]);
    const failed = changeOf(
      'AttachRolePolicy',
      { roleName: 'app', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' },
      { errorCode: 'AccessDenied', errorMessage: 'no' },
    );
    const put = changeOf('PutRolePolicy', {
      roleName: 'app',
      policyName: 'p',
      policyDocument: JSON.stringify(EVERYTHING),
    });

    expect((await resolver.resolve(failed)).managedPolicy).toBeUndefined();
    expect((await resolver.resolve(put)).managedPolicy).toBeUndefined();
  });

  it('resolves the policy a permissions boundary names, without judging it as a grant', async () => {
    const resolver = new PolicyDocumentResolver([
      new CataloguePolicyDocuments(new GeneratedManagedPolicyCatalogue()),
    ]);
    const change = await resolver.resolve(
      changeOf('PutRolePermissionsBoundary', {
        roleName: 'app',
        permissionsBoundary: 'arn:aws:iam::aws:policy/AdministratorAccess',
      }),
    );
    const assessed = assessChange(change, { expectedActors: [], trustedAccounts: [] });

    expect(change.managedPolicy).toMatchObject({ use: 'boundary-set', source: 'catalogue' });
    expect(assessed.risk.rules).not.toContain('full-admin-statement');
  });
});
