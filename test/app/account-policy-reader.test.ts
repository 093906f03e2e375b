/**
 * Managed policies read in the account their ARN names, and attaches found only in CloudTrail history judged by
 * them: moto_server with two accounts (a member account's IAM through credentials of a role assumed there, as the
 * worker's responder role gives), dynalite for the store that caches each version read, CloudTrail
 * `LookupEvents` from `aws-sdk-client-mock` (moto lacks it).
 */
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { CreatePolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountPolicyReader } from '../../src/app/policy-documents';
import { CloudTrailHistory } from '../../src/aws/cloudtrail-history';
import { AwsPolicyReader } from '../../src/aws/policy-reader';
import { parseConfig } from '../../src/config';
import { parseQuery, type Query } from '../../src/domain/query';
import { policyVersionKey } from '../../src/domain/resources';
import { buildQueryService } from '../../src/runtime/queries';
import { DynamoChangeStore } from '../../src/store/dynamo-change-store';
import { DynamoStatsStore } from '../../src/store/dynamo-stats';
import { cloudTrailRecord } from '../support/cloudtrail';
import { type DynaliteServer, startDynalite } from '../support/dynalite';
import { awsTestEnv, type MotoServer, startMoto } from '../support/moto';

/** moto's default account: the bot's own. */
const HOME = '123456789012';
const MEMBER = '111111111111';
const ALLOW_ALL = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
});
const READ_LOGS = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'logs:GetLogEvents', Resource: '*' }],
});

let moto: MotoServer;
let db: DynaliteServer;
let home: IAMClient;
let member: IAMClient;
let memberPolicy: string;
let homePolicy: string;
const asked: string[] = [];

beforeAll(async () => {
  [moto, db] = await Promise.all([startMoto(), startDynalite()]);
  home = new IAMClient(awsTestEnv(moto.endpoint));
  member = new IAMClient({
    ...awsTestEnv(moto.endpoint),
    credentials: fromTemporaryCredentials({
      params: { RoleArn: `arn:aws:iam::${MEMBER}:role/iam-changes-responder`, RoleSessionName: 'test' },
      masterCredentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      clientConfig: { region: 'us-east-1', endpoint: moto.endpoint },
    }),
  });
  memberPolicy =
    (await member.send(new CreatePolicyCommand({ PolicyName: 'ReadOnlyHelper', PolicyDocument: ALLOW_ALL })))
      .Policy?.Arn ?? '';
  homePolicy =
    (await home.send(new CreatePolicyCommand({ PolicyName: 'LogReader', PolicyDocument: READ_LOGS }))).Policy
      ?.Arn ?? '';
}, 60_000);

afterAll(async () => {
  home?.destroy();
  member?.destroy();
  await Promise.all([moto?.stop(), db?.stop()]);
});

/** The reader the worker builds: home with its own IAM, a member account through the role assumed there. */
function reader(): AccountPolicyReader {
  return new AccountPolicyReader({
    home: new AwsPolicyReader(home),
    homeAccountId: HOME,
    memberReader: (accountId) => {
      asked.push(accountId);
      return new AwsPolicyReader(member);
    },
  });
}

describe('AccountPolicyReader', () => {
  it("reads a member account's customer policy in that account, never at home", async () => {
    expect(memberPolicy).toContain(`:${MEMBER}:policy/`);

    const policy = await reader().getManagedPolicy(memberPolicy);
    const version = await reader().getPolicyVersion(memberPolicy, policy?.defaultVersionId ?? '');

    expect(policy).toMatchObject({ name: 'ReadOnlyHelper', defaultVersionId: 'v1' });
    expect(version?.document?.Statement).toEqual([{ Effect: 'Allow', Action: ['*'], Resource: ['*'] }]);
    // The home account has no such policy: asked there, it would be unknown.
    expect(await new AwsPolicyReader(home).getManagedPolicy(memberPolicy)).toBeNull();
  });

  it("reads the home account's policies and AWS managed policies with the bot's own IAM", async () => {
    asked.length = 0;

    expect(await reader().getManagedPolicy(homePolicy)).toMatchObject({ name: 'LogReader' });
    expect(await reader().getManagedPolicy('arn:aws:iam::aws:policy/AdministratorAccess')).toMatchObject({
      name: 'AdministratorAccess',
    });
    expect(asked).toEqual([]);
  });
});

describe("the worker's history search", () => {
  const NOW = new Date();

  function query(text: string): Query {
    const result = parseQuery(text, NOW);
    if (!result.ok) throw new Error(result.error.message);
    return result.query;
  }

  /** A query service on a fresh table whose CloudTrail history holds one attach of the member's policy. */
  async function serviceWith(policies?: AccountPolicyReader) {
    const tableName = await db.createTable();
    const store = new DynamoChangeStore(db.documentClient, { tableName, retentionDays: 400 });
    const stats = new DynamoStatsStore(db.documentClient, { tableName, retentionDays: 400 });
    const cloudTrail = new CloudTrailClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    const record = cloudTrailRecord(
      'AttachRolePolicy',
      { roleName: 'ci-runner', policyArn: memberPolicy },
      { eventTime: new Date(NOW.getTime() - 3 * 86_400_000).toISOString(), recipientAccountId: MEMBER },
    );
    // As CloudTrail answers: the record only in the slices of time that hold it.
    const at = new Date(String(record.eventTime)).getTime();
    mockClient(cloudTrail)
      .on(LookupEventsCommand)
      .callsFake((input: { StartTime?: Date; EndTime?: Date }) => ({
        Events:
          (input.StartTime?.getTime() ?? 0) <= at && at <= (input.EndTime?.getTime() ?? Infinity)
            ? [
                {
                  EventId: String(record.eventID),
                  EventName: record.eventName,
                  CloudTrailEvent: JSON.stringify(record),
                },
              ]
            : [],
      }));
    const service = buildQueryService(parseConfig({ TABLE_NAME: tableName, RETENTION_DAYS: '400' }), {
      store,
      stats,
      trail: new CloudTrailHistory(cloudTrail, { requestsPerSecond: 1000 }),
      ...(policies ? { policies } : {}),
    });
    return { service, store, record };
  }

  it('judges an attach the store never saw by the document IAM has, in the account the policy is in', async () => {
    const { service, store, record } = await serviceWith(reader());

    const answer = await service.searchHistory(query('7d'));

    const found = answer.entries.find((entry) => entry.change.eventId === record.eventID);
    expect(found?.change.managedPolicy).toMatchObject({ source: 'iam', versionId: 'v1' });
    expect(found?.change.risk.level).toBe('critical');
    // Not cached: the worker never writes the version cache notify trusts (its role may not).
    expect(
      await store.documentBefore(policyVersionKey(memberPolicy, 'v1'), '9999-12-31T23:59:59Z', '~'),
    ).toBeUndefined();
  });

  it('without IAM (the Slack function) says the document is unknown rather than guess', async () => {
    const { service, record } = await serviceWith();

    const answer = await service.searchHistory(query('7d'));

    const found = answer.entries.find((entry) => entry.change.eventId === record.eventID);
    expect(found?.change.managedPolicy).toMatchObject({ source: 'unknown' });
    expect(found?.change.risk.level).not.toBe('critical');
  });
});
