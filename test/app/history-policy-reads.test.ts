/**
 * The worker's history search reads each attached policy from IAM once per query, however many of its records
 * attach it: moto_server for IAM (the calls counted by a middleware on the SDK client, as they leave it), dynalite
 * for the store, CloudTrail `LookupEvents` from `aws-sdk-client-mock` (moto lacks it).
 */
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { CreatePolicyCommand, CreatePolicyVersionCommand, IAMClient } from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ActionCatalogueLoader } from '../../src/app/change-content';
import { CloudTrailHistory } from '../../src/aws/cloudtrail-history';
import { AwsPolicyReader } from '../../src/aws/policy-reader';
import { IamDataActionCatalogue } from '../../src/catalogue/action-catalogue';
import { parseConfig } from '../../src/config';
import type { CloudTrailRecord } from '../../src/domain/input';
import { parseQuery, type Query } from '../../src/domain/query';
import { buildQueryService } from '../../src/runtime/queries';
import { DynamoChangeStore } from '../../src/store/dynamo-change-store';
import { DynamoStatsStore } from '../../src/store/dynamo-stats';
import { cloudTrailRecord } from '../support/cloudtrail';
import { type DynaliteServer, startDynalite } from '../support/dynalite';
import { awsTestEnv, type MotoServer, startMoto } from '../support/moto';

/** moto's default account: the bot's own. */
const HOME = '123456789012';
const READ_ONLY_ACCESS = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
const ALLOW_ALL = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
});
const READ_LOGS = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'logs:GetLogEvents', Resource: '*' }],
});
const NOW = new Date();

let moto: MotoServer;
let db: DynaliteServer;
let iam: IAMClient;
/** Every IAM call the query service's client sent, by command name. */
const sent: string[] = [];

beforeAll(async () => {
  [moto, db] = await Promise.all([startMoto(), startDynalite()]);
  iam = new IAMClient(awsTestEnv(moto.endpoint));
  iam.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push(String(context.commandName));
      return next(args);
    },
    { step: 'initialize', name: 'countIamCalls' },
  );
}, 60_000);

beforeEach(() => {
  sent.length = 0;
});

afterAll(async () => {
  iam?.destroy();
  await Promise.all([moto?.stop(), db?.stop()]);
});

let created = 0;
async function customerPolicy(document: string): Promise<string> {
  created += 1;
  const output = await iam.send(
    new CreatePolicyCommand({ PolicyName: `ReadOnlyHelper${created}`, PolicyDocument: document }),
  );
  sent.length = 0;
  return output.Policy?.Arn ?? '';
}

/** `count` attaches of `policyArn`, each to a role of its own, one a minute from three days ago. */
function attaches(policyArn: string, count: number, offset = 0): CloudTrailRecord[] {
  return Array.from({ length: count }, (_, n) =>
    cloudTrailRecord(
      'AttachRolePolicy',
      { roleName: `app-${offset + n}`, policyArn },
      {
        eventTime: new Date(NOW.getTime() - 3 * 86_400_000 + (offset + n) * 60_000).toISOString(),
        recipientAccountId: HOME,
      },
    ),
  );
}

/** A query service on a fresh table (the store never saw these calls) whose CloudTrail history holds `records`. */
async function serviceWith(records: CloudTrailRecord[], actions?: ActionCatalogueLoader) {
  const tableName = await db.createTable();
  const cloudTrail = new CloudTrailClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  // As CloudTrail answers: the records of the slice of time asked for.
  mockClient(cloudTrail)
    .on(LookupEventsCommand)
    .callsFake((input: { StartTime?: Date; EndTime?: Date }) => ({
      Events: records
        .filter((record) => {
          const at = Date.parse(String(record.eventTime));
          return (input.StartTime?.getTime() ?? 0) <= at && at <= (input.EndTime?.getTime() ?? Infinity);
        })
        .map((record) => ({
          EventId: String(record.eventID),
          EventName: record.eventName,
          CloudTrailEvent: JSON.stringify(record),
        })),
    }));
  return buildQueryService(parseConfig({ TABLE_NAME: tableName, RETENTION_DAYS: '400' }), {
    store: new DynamoChangeStore(db.documentClient, { tableName, retentionDays: 400 }),
    stats: new DynamoStatsStore(db.documentClient, { tableName, retentionDays: 400 }),
    trail: new CloudTrailHistory(cloudTrail, { requestsPerSecond: 1000 }),
    policies: new AwsPolicyReader(iam),
    ...(actions ? { actions } : {}),
  });
}

function query(text: string): Query {
  const result = parseQuery(text, NOW);
  if (!result.ok) throw new Error(result.error.message);
  return result.query;
}

const count = (name: string) => sent.filter((command) => command === name).length;

describe("the worker's history search reads each policy once per query", () => {
  it('reads a policy 200 records attach once, and judges every one of them by it', async () => {
    const helper = await customerPolicy(ALLOW_ALL);
    const records = [...attaches(helper, 200), ...attaches(READ_ONLY_ACCESS, 20, 200)];
    const service = await serviceWith(records);

    const answer = await service.searchHistory(query('7d limit 200'));

    // All 220 judged; the 200 listed (the most severe first) are the attaches of the policy granting everything.
    expect(answer.matched).toBe(220);
    expect(answer.byLevel.critical).toBe(200);
    const found = answer.entries.filter((entry) => entry.change.target.policyArn === helper);
    expect(found).toHaveLength(200);
    expect(found.every((entry) => entry.change.managedPolicy?.source === 'iam')).toBe(true);
    // One GetPolicy and one GetPolicyVersion per policy, not per record.
    expect(count('GetPolicyCommand')).toBe(2);
    expect(count('GetPolicyVersionCommand')).toBe(2);
  });

  it('reads again for the next query, which judges by a default version made in between', async () => {
    const helper = await customerPolicy(READ_LOGS);
    const service = await serviceWith(attaches(helper, 50));

    const first = await service.searchHistory(query('7d'));
    await iam.send(
      new CreatePolicyVersionCommand({ PolicyArn: helper, PolicyDocument: ALLOW_ALL, SetAsDefault: true }),
    );
    sent.length = 0;
    const second = await service.searchHistory(query('7d'));

    expect(new Set(first.entries.map((entry) => entry.change.managedPolicy?.versionId))).toEqual(
      new Set(['v1']),
    );
    expect(first.entries.some((entry) => entry.change.risk.level === 'critical')).toBe(false);
    expect(new Set(second.entries.map((entry) => entry.change.managedPolicy?.versionId))).toEqual(
      new Set(['v2']),
    );
    expect(second.entries.every((entry) => entry.change.risk.level === 'critical')).toBe(true);
    expect(count('GetPolicyCommand')).toBe(1);
    expect(count('GetPolicyVersionCommand')).toBe(1);
  });

  it('asks once about a policy IAM no longer has, and says of each record that it is unknown', async () => {
    const gone = `arn:aws:iam::${HOME}:policy/DeletedLongAgo`;
    const service = await serviceWith(attaches(gone, 40));

    const answer = await service.searchHistory(query('7d limit 200'));

    expect(answer.entries).toHaveLength(40);
    for (const entry of answer.entries) {
      expect(entry.change.managedPolicy).toMatchObject({
        source: 'unknown',
        unknownReason: expect.stringContaining('IAM: no such policy'),
      });
    }
    expect(count('GetPolicyCommand')).toBe(1);
    expect(count('GetPolicyVersionCommand')).toBe(0);
  });
});

describe("the worker's history search counts a wildcard in real actions", () => {
  const put = cloudTrailRecord(
    'PutRolePolicy',
    {
      roleName: 'history-wildcard',
      policyName: 'org-policies',
      policyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'organizations:*Policy*', Resource: '*' }],
      }),
    },
    { eventTime: new Date(NOW.getTime() - 86_400_000).toISOString(), recipientAccountId: HOME },
  );
  const reasonsOf = (answer: { entries: { change: { risk: { reasons: string[] } } }[] }) =>
    answer.entries.flatMap((entry) => entry.change.risk.reasons);

  it('as notify did, with the catalogue the worker gives it', async () => {
    const service = await serviceWith([put], new IamDataActionCatalogue());

    const answer = await service.searchHistory(query('7d'));

    expect(reasonsOf(answer)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /organizations:\*Policy\*` grants \d+ organizations actions, \d+ of them permissions management/,
        ),
      ]),
    );
  });

  it('without a catalogue, says nothing of counts rather than guess', async () => {
    const service = await serviceWith([put]);

    const answer = await service.searchHistory(query('7d'));

    expect(answer.entries).toHaveLength(1);
    expect(reasonsOf(answer).join('\n')).not.toMatch(/ grants \d+ /);
  });
});
