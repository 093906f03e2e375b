import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CloudTrailRecord } from '../../src/domain/input';
import type { AssessedChange, RiskLevel } from '../../src/domain/types';
import { DynamoStatsStore, StatsRangeError, statsDays } from '../../src/store/dynamo-stats';
import { createTable, TTL_ATTRIBUTE } from '../../src/store/table';
import { changeOf } from '../support/cloudtrail';
import { type DynaliteServer, startDynalite } from '../support/dynalite';

const NOW = new Date('2026-11-20T15:00:00.000Z');
const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';

let db: DynaliteServer;
let tableName: string;
let stats: DynamoStatsStore;

beforeAll(async () => {
  db = await startDynalite();
});

afterAll(async () => {
  await db?.stop();
});

beforeEach(async () => {
  tableName = await db.createTable();
  stats = new DynamoStatsStore(db.documentClient, { tableName, retentionDays: 30 });
});

function userIdentity(name: string): Record<string, unknown> {
  return {
    type: 'IAMUser',
    principalId: `AIDA${name.toUpperCase()}`,
    arn: `arn:aws:iam::111122223333:user/${name}`,
    accountId: '111122223333',
    userName: name,
  };
}

function change(
  options: {
    eventTime?: string;
    eventName?: string;
    user?: string;
    level?: RiskLevel;
    overrides?: Partial<CloudTrailRecord>;
  } = {},
): AssessedChange {
  const { eventTime = '2026-11-20T14:00:00Z', eventName = 'AttachRolePolicy', user = 'alice' } = options;
  return {
    ...changeOf(
      eventName,
      { roleName: 'ci-runner', policyArn: ADMIN },
      { eventTime, userIdentity: userIdentity(user), ...options.overrides },
    ),
    risk: { level: options.level ?? 'critical', reasons: [], rules: [] },
    revert: { supported: false, steps: [], cli: [] },
  };
}

describe('DynamoStatsStore', () => {
  it('counts a change under its day by total, level, actor, client, event and principal', async () => {
    await stats.record(change(), NOW);
    await stats.record(change({ user: 'bob', level: 'low', eventName: 'PutRolePolicy' }), NOW);
    const [day] = await stats.read('2026-11-20T00:00:00Z', '2026-11-21T00:00:00Z');
    expect(day).toEqual({
      day: '2026-11-20',
      total: 2,
      failed: 0,
      byLevel: { critical: 1, low: 1 },
      byActor: { alice: 1, bob: 1 },
      byClient: { 'aws-cli': 2 },
      byEvent: { AttachRolePolicy: 1, PutRolePolicy: 1 },
      byPrincipal: {
        'arn:aws:iam::111122223333:user/alice': 1,
        'arn:aws:iam::111122223333:user/bob': 1,
      },
      uncounted: 0,
    });
  });

  it('counts failed calls', async () => {
    await stats.record(change({ overrides: { errorCode: 'AccessDenied', errorMessage: 'denied' } }), NOW);
    await stats.record(change(), NOW);
    const [day] = await stats.read('2026-11-20T00:00:00Z', '2026-11-21T00:00:00Z');
    expect(day?.failed).toBe(1);
    expect(day?.total).toBe(2);
  });

  it('counts every one of many changes recorded at once', async () => {
    await Promise.all(
      Array.from({ length: 40 }, (_, index) => stats.record(change({ user: `u${index % 4}` }), NOW)),
    );
    const [day] = await stats.read('2026-11-20T00:00:00Z', '2026-11-21T00:00:00Z');
    expect(day?.total).toBe(40);
    expect(day?.byActor).toEqual({ u0: 10, u1: 10, u2: 10, u3: 10 });
  });

  it('keeps names with any characters, reserved words and markup as counter names', async () => {
    const names = ['name', 'a:b#c d', '<!channel>', 'x.y[0]'];
    for (const user of names) await stats.record(change({ user }), NOW);
    const [day] = await stats.read('2026-11-20T00:00:00Z', '2026-11-21T00:00:00Z');
    expect(Object.keys(day?.byActor ?? {}).sort()).toEqual([...names].sort());
  });

  it('files a change under the UTC day of its event time, not of when it was recorded', async () => {
    await stats.record(change({ eventTime: '2026-11-18T23:59:59Z' }), NOW);
    await stats.record(change({ eventTime: '2026-11-19T00:00:00Z' }), NOW);
    const days = await stats.read('2026-11-18T12:00:00Z', '2026-11-20T15:00:00Z');
    expect(days.map((day) => [day.day, day.total])).toEqual([
      ['2026-11-18', 1],
      ['2026-11-19', 1],
      ['2026-11-20', 0],
    ]);
  });

  it('gives one entry per day of the range, oldest first, with zeros for quiet days', async () => {
    await stats.record(change({ eventTime: '2026-11-15T10:00:00Z' }), NOW);
    const days = await stats.read('2026-11-14T00:00:00Z', '2026-11-17T00:00:00Z');
    expect(days.map((day) => day.day)).toEqual(['2026-11-14', '2026-11-15', '2026-11-16']);
    expect(days.map((day) => day.total)).toEqual([0, 1, 0]);
    expect(days[0]).toMatchObject({ byActor: {}, byLevel: {}, failed: 0 });
  });

  it('reads more days than one BatchGetItem takes', async () => {
    await stats.record(change({ eventTime: '2026-06-01T10:00:00Z' }), NOW);
    await stats.record(change({ eventTime: '2026-11-20T10:00:00Z' }), NOW);
    const days = await stats.read('2026-06-01T00:00:00Z', '2026-11-21T00:00:00Z');
    expect(days).toHaveLength(173);
    expect(days.filter((day) => day.total > 0).map((day) => day.day)).toEqual(['2026-06-01', '2026-11-20']);
  });

  it('writes day items with the TTL of every other item', async () => {
    await stats.record(change(), NOW);
    const { Item } = await db.documentClient.send(
      new GetCommand({ TableName: tableName, Key: { pk: 'STATS#2026-11-20', sk: 'DAY' } }),
    );
    expect(Item?.[TTL_ATTRIBUTE]).toBe(Math.floor(NOW.getTime() / 1000) + 30 * 86_400);
    expect(Item?.total).toBe(1);
    expect(Item?.['level:critical']).toBe(1);
    expect(Item?.['actor:alice']).toBe(1);
    expect(Item?.['event:AttachRolePolicy']).toBe(1);
    expect(Item?.['client:aws-cli']).toBe(1);
  });

  it('remembers the earliest event time counted, across instances and out of order', async () => {
    expect(await stats.firstEventTime()).toBeUndefined();
    await stats.record(change({ eventTime: '2026-11-10T10:00:00Z' }), NOW);
    await stats.record(change({ eventTime: '2026-11-12T10:00:00Z' }), NOW);
    expect(await stats.firstEventTime()).toBe('2026-11-10T10:00:00.000Z');
    const other = new DynamoStatsStore(db.documentClient, { tableName });
    await other.record(change({ eventTime: '2026-11-11T10:00:00Z' }), NOW);
    expect(await stats.firstEventTime()).toBe('2026-11-10T10:00:00.000Z');
    await other.record(change({ eventTime: '2026-11-01T08:00:00Z' }), NOW);
    expect(await stats.firstEventTime()).toBe('2026-11-01T08:00:00.000Z');
  });

  it('refuses an unbounded read and a non-positive retention', () => {
    expect(() => statsDays('1990-01-01T00:00:00Z', '2026-11-20T00:00:00Z')).toThrow(StatsRangeError);
    expect(() => new DynamoStatsStore(db.documentClient, { tableName, retentionDays: 0 })).toThrow(
      RangeError,
    );
  });
});

describe('DynamoStatsStore with a full day item', () => {
  let server: ReturnType<typeof dynalite>;
  let client: DynamoDBClient;

  beforeAll(async () => {
    // A 1 KB item limit stands in for DynamoDB's 400 KB, reached by a day with thousands of actors.
    server = dynalite({ createTableMs: 0, maxItemSizeKb: 1 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    client = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${port}`,
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' },
      maxAttempts: 1,
    });
    await createTable(client, 'small-items', 0.002);
  });

  afterAll(async () => {
    client?.destroy();
    server?.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('still counts the change in total, level and client, and says how many it could not name', async () => {
    const small = new DynamoStatsStore(DynamoDBDocumentClient.from(client), { tableName: 'small-items' });
    for (let index = 0; index < 20; index += 1) {
      await small.record(change({ user: `user-with-a-long-name-${'x'.repeat(40)}-${index}` }), NOW);
    }
    const [day] = await small.read('2026-11-20T00:00:00Z', '2026-11-21T00:00:00Z');
    expect(day?.total).toBe(20);
    expect(day?.byLevel.critical).toBe(20);
    expect(day?.byClient['aws-cli']).toBe(20);
    expect(day?.uncounted).toBeGreaterThan(0);
    expect(Object.keys(day?.byActor ?? {}).length + (day?.uncounted ?? 0)).toBe(20);
  });
});
