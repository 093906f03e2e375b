/**
 * QueryService on dynalite (the real change store and stats store) with CloudTrail `LookupEvents` mocked —
 * no emulator implements it — behind the real, paced CloudTrailHistory.
 */
import {
  CloudTrailClient,
  type Event,
  LookupEventsCommand,
  type LookupEventsCommandInput,
} from '@aws-sdk/client-cloudtrail';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  nextSliceSpan,
  QueryService,
  type QueryServiceDependencies,
  type SearchProgress,
  statsStart,
} from '../../src/app/query-service';
import { CloudTrailHistory } from '../../src/aws/cloudtrail-history';
import type { CloudTrailRecord } from '../../src/domain/input';
import { parseQuery, type Query } from '../../src/domain/query';
import type { AssessedChange, RiskLevel } from '../../src/domain/types';
import { DynamoChangeStore } from '../../src/store/dynamo-change-store';
import { DynamoStatsStore } from '../../src/store/dynamo-stats';
import { changeOf, cloudTrailRecord } from '../support/cloudtrail';
import { type DynaliteServer, startDynalite } from '../support/dynalite';
import { catalogueContent } from '../support/policy-content';

const NOW = new Date('2026-11-20T15:00:00.000Z');
const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const RISK = { expectedActors: [], trustedAccounts: [] };

let db: DynaliteServer;
let store: DynamoChangeStore;
let stats: DynamoStatsStore;
const cloudTrail = mockClient(CloudTrailClient);

beforeAll(async () => {
  db = await startDynalite();
});

afterAll(async () => {
  await db?.stop();
});

beforeEach(async () => {
  const tableName = await db.createTable();
  store = new DynamoChangeStore(db.documentClient, { tableName, retentionDays: 400 });
  stats = new DynamoStatsStore(db.documentClient, { tableName, retentionDays: 400 });
  cloudTrail.reset();
});

afterEach(() => {
  vi.restoreAllMocks();
});

function query(text: string): Query {
  const result = parseQuery(text, NOW);
  if (!result.ok) throw new Error(result.error.message);
  return result.query;
}

function identity(who: string): Record<string, unknown> {
  if (who.includes('/')) {
    const [role, session] = who.split('/');
    return {
      type: 'AssumedRole',
      principalId: `AROAEXAMPLE:${session}`,
      arn: `arn:aws:sts::111122223333:assumed-role/${role}/${session}`,
      accountId: '111122223333',
      sessionContext: {
        sessionIssuer: { type: 'Role', arn: `arn:aws:iam::111122223333:role/${role}`, userName: role },
      },
    };
  }
  return {
    type: 'IAMUser',
    principalId: `AIDA${who.toUpperCase()}`,
    arn: `arn:aws:iam::111122223333:user/${who}`,
    accountId: '111122223333',
    userName: who,
  };
}

interface Spec {
  at: string;
  who?: string;
  event?: string;
  role?: string;
  level?: RiskLevel;
  failed?: boolean;
  id?: string;
}

function record(spec: Spec): CloudTrailRecord {
  const event = spec.event ?? 'AttachRolePolicy';
  const params =
    event === 'PutRolePolicy'
      ? { roleName: spec.role ?? 'ci-runner', policyName: 'logs', policyDocument: '{"Statement":[]}' }
      : { roleName: spec.role ?? 'ci-runner', policyArn: ADMIN };
  return cloudTrailRecord(event, params, {
    eventTime: spec.at,
    userIdentity: identity(spec.who ?? 'alice'),
    ...(spec.id ? { eventID: spec.id } : {}),
    ...(spec.failed ? { errorCode: 'AccessDenied', errorMessage: 'denied' } : {}),
  });
}

function assessed(spec: Spec): AssessedChange {
  const rec = record(spec);
  const change = changeOf(rec.eventName, rec.requestParameters as Record<string, unknown>, rec);
  return {
    ...change,
    risk: { level: spec.level ?? 'high', reasons: [], rules: [] },
    revert: { supported: false, steps: [], cli: [] },
  };
}

/** Stores changes as the notify path does: claim, then count once. */
async function seed(specs: Spec[]): Promise<AssessedChange[]> {
  const changes = specs.map(assessed);
  await Promise.all(
    changes.map(async (change) => {
      const claim = await store.claimChange(change, NOW, NOW);
      if (claim.claimed) await stats.record(change, NOW);
    }),
  );
  return changes;
}

function service(overrides: Partial<QueryServiceDependencies> = {}): QueryService {
  const time = fakeTime();
  return new QueryService({
    changes: store,
    stats,
    // Judged like notify judges: AdministratorAccess by the catalogue's document.
    content: catalogueContent(),
    history: new CloudTrailHistory(new CloudTrailClient({ region: 'us-east-1' }), {
      sleep: time.sleep,
      now: time.now,
    }),
    clock: { now: () => NOW },
    retentionDays: 400,
    risk: RISK,
    ...overrides,
  });
}

async function list(text: string, overrides: Partial<QueryServiceDependencies> = {}) {
  const answer = await service(overrides).answer(query(text));
  if (answer.kind !== 'list') throw new Error(`expected a list, got ${answer.kind}`);
  return answer;
}

const STORED: Spec[] = [
  { at: '2026-11-20T14:00:00Z', who: 'alice', level: 'critical' },
  {
    at: '2026-11-20T13:00:00Z',
    who: 'ci-runner/terraform',
    event: 'PutRolePolicy',
    role: 'app',
    level: 'low',
  },
  { at: '2026-11-19T10:00:00Z', who: 'bob', failed: true, level: 'high' },
  { at: '2026-11-18T10:00:00Z', who: 'alice', event: 'PutRolePolicy', level: 'medium' },
  { at: '2026-11-16T10:00:00Z', who: 'ci-runner/terraform', role: 'app', level: 'high' },
  { at: '2026-11-15T10:00:00Z', who: 'alice', role: 'app', level: 'critical' },
];

describe('QueryService.answer', () => {
  beforeEach(async () => {
    await seed(STORED);
  });

  it('answers `by alice` from the actor index, most severe first, newest first within a level', async () => {
    const byActor = vi.spyOn(store, 'changesByActor');
    const between = vi.spyOn(store, 'changesBetween');
    const answer = await list('7d by alice');
    expect(answer.entries.map((entry) => entry.change.eventTime)).toEqual([
      '2026-11-20T14:00:00Z',
      '2026-11-15T10:00:00Z',
      '2026-11-18T10:00:00Z',
    ]);
    expect(answer.byLevel).toEqual({ critical: 2, medium: 1 });
    expect(byActor).toHaveBeenCalledWith(
      'arn:aws:iam::111122223333:user/alice',
      query('7d').start,
      NOW.toISOString(),
      expect.any(Number),
    );
    expect(between).not.toHaveBeenCalled();
    expect(answer.entries[0]?.stored?.delivery).toBe('pending');
  });

  it('keeps the criticals of a busy week on the first page, with counts per level', async () => {
    // 30 newer low changes and two older criticals: newest-first would list the lows and hide the criticals.
    const lows = Array.from({ length: 30 }, (_, index) => ({
      at: new Date(Date.parse('2026-11-20T14:10:00Z') + index * 60_000).toISOString(),
      who: 'ci-runner/terraform',
      role: `svc-${index}`,
      level: 'low' as const,
      id: `low-${index}`,
    }));
    await seed(lows);
    const answer = await list('7d');
    const levels = answer.entries.map((entry) => entry.change.risk.level);
    expect(answer.entries).toHaveLength(20);
    expect(levels.slice(0, 4)).toEqual(['critical', 'critical', 'high', 'high']);
    expect(answer.entries[0]?.change.eventTime).toBe('2026-11-20T14:00:00Z');
    expect(answer.byLevel).toEqual({ critical: 2, high: 2, medium: 1, low: 31 });
    expect(answer.matched).toBe(36);
  });

  it('finds the sessions of a role by the role name, case-insensitively', async () => {
    const answer = await list('7d by CI-Runner');
    expect(answer.matched).toBe(2);
    expect(answer.byActor).toEqual([{ name: 'ci-runner/terraform', count: 2 }]);
  });

  it('answers nothing, quickly, for an actor the counters never saw', async () => {
    const byActor = vi.spyOn(store, 'changesByActor');
    const answer = await list('7d by mallory');
    expect(answer).toMatchObject({ matched: 0, entries: [], complete: true });
    expect(byActor).not.toHaveBeenCalled();
  });

  it('answers `on role/app` from the resource index', async () => {
    const onResource = vi.spyOn(store, 'changesOnResource');
    const answer = await list('30d on role/app');
    expect(answer.entries.map((entry) => entry.change.target.name)).toEqual(['app', 'app', 'app']);
    expect(onResource).toHaveBeenCalledWith(
      'role/app',
      expect.any(String),
      expect.any(String),
      expect.any(Number),
    );
  });

  it('answers a time range from the time index', async () => {
    const between = vi.spyOn(store, 'changesBetween');
    const answer = await list('24h');
    expect(answer.matched).toBe(2);
    expect(between).toHaveBeenCalledOnce();
  });

  it.each([
    ['7d event Put*', 2],
    ['7d event attachrolepolicy', 4],
    ['7d failed', 1],
    ['7d risk high+', 4],
    ['7d risk critical', 2],
    ['7d by alice risk critical', 2],
    ['7d on role/app by alice', 1],
    ['7d on policy/AdministratorAccess', 4],
    ['between 2026-11-16 and 2026-11-18', 2],
  ])('filters %s to %i changes', async (text, matched) => {
    expect((await list(text)).matched).toBe(matched);
  });

  it('lists `limit` changes and counts the rest, with totals over all of them', async () => {
    const answer = await list('7d limit 2');
    expect(answer.entries).toHaveLength(2);
    expect(answer.matched).toBe(6);
    expect(answer.complete).toBe(true);
    expect(answer.byEvent).toEqual([
      { name: 'AttachRolePolicy', count: 4 },
      { name: 'PutRolePolicy', count: 2 },
    ]);
    expect(answer.byActor).toEqual([
      { name: 'alice', count: 3 },
      { name: 'ci-runner/terraform', count: 2 },
      { name: 'bob', count: 1 },
    ]);
  });

  it('says the count is a lower bound when it stopped reading at the scan limit', async () => {
    const answer = await list('7d', { scanLimit: 4 });
    expect(answer).toMatchObject({ matched: 4, complete: false });
  });

  it('answers `stats` from the daily counters', async () => {
    const answer = await service().answer(query('stats 7d'));
    expect(answer.kind).toBe('stats');
    if (answer.kind !== 'stats') return;
    expect(answer.days.map((day) => day.day)).toEqual([
      '2026-11-14',
      '2026-11-15',
      '2026-11-16',
      '2026-11-17',
      '2026-11-18',
      '2026-11-19',
      '2026-11-20',
    ]);
    expect(answer.days.map((day) => day.total)).toEqual([0, 1, 1, 0, 1, 1, 2]);
    expect(answer).toMatchObject({
      total: 6,
      failed: 1,
      byLevel: { critical: 2, high: 2, medium: 1, low: 1 },
      byClient: [{ name: 'aws-cli', count: 6 }],
    });
    expect(answer.byActor[0]).toEqual({ name: 'alice', count: 3 });
  });

  it('leaves help and status to the callers that answer them', async () => {
    expect(await service().answer(query('help'))).toEqual({ kind: 'help' });
    expect(await service().answer(query('status'))).toEqual({ kind: 'status' });
  });
});

describe('statsStart', () => {
  it.each([
    ['stats 30d', '2026-10-22T00:00:00.000Z'],
    ['stats 24h', '2026-11-20T00:00:00.000Z'],
    ['stats since 2026-11-01', '2026-11-01T00:00:00.000Z'],
    ['stats between 2026-11-01 and 2026-11-05', '2026-11-01T00:00:00.000Z'],
  ])('%s counts from %s', (text, first) => {
    expect(statsStart(query(text))).toBe(first);
  });
});

/** A LookupEvents fake over some records: newest first, 50 a page, filtered by the one attribute. */
function fakeLookupEvents(records: CloudTrailRecord[], clock?: { now: () => number; calls: number[] }) {
  const inputs: LookupEventsCommandInput[] = [];
  cloudTrail.on(LookupEventsCommand).callsFake((input: LookupEventsCommandInput) => {
    inputs.push(input);
    clock?.calls.push(clock.now());
    const attribute = input.LookupAttributes?.[0];
    const start = input.StartTime?.getTime() ?? 0;
    const end = input.EndTime?.getTime() ?? Number.POSITIVE_INFINITY;
    const matching = records
      .filter((rec) => {
        const time = Date.parse(rec.eventTime as string);
        if (time < start || time > end) return false;
        switch (attribute?.AttributeKey) {
          case 'EventSource':
            return rec.eventSource === attribute.AttributeValue;
          case 'EventName':
            return rec.eventName === attribute.AttributeValue;
          case 'ResourceName':
            return JSON.stringify(rec.requestParameters).includes(`"${attribute.AttributeValue}"`);
          default:
            return true;
        }
      })
      .sort((left, right) => Date.parse(right.eventTime as string) - Date.parse(left.eventTime as string));
    const offset = Number(input.NextToken ?? 0);
    const page = matching.slice(offset, offset + 50);
    const events: Event[] = page.map((rec) => ({
      EventId: rec.eventID as string,
      EventName: rec.eventName,
      EventSource: rec.eventSource,
      CloudTrailEvent: JSON.stringify(rec),
    }));
    return { Events: events, NextToken: offset + 50 < matching.length ? String(offset + 50) : undefined };
  });
  return inputs;
}

function fakeTime() {
  let clock = NOW.getTime();
  const sleeps: number[] = [];
  return {
    now: () => clock,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      clock += ms;
    },
    sleeps,
    calls: [] as number[],
  };
}

describe('QueryService history search', () => {
  it('needs no history for a range the store covers, and none for stats', async () => {
    await seed(STORED);
    const queries = service();
    expect(await queries.historyNeeded(query('24h'))).toBe(false);
    expect(await queries.historyNeeded(query('since 2026-11-15T10:00'))).toBe(false);
    expect(await queries.historyNeeded(query('stats 90d'))).toBe(false);
  });

  it('needs history for a range that starts before the first stored change, within 90 days', async () => {
    await seed(STORED);
    expect(await service().historyNeeded(query('30d'))).toBe(true);
    expect(await service().historyNeeded(query('between 2025-01-01 and 2025-02-01'))).toBe(false);
  });

  it('needs history before the retention horizon even when the store counted older changes', async () => {
    await seed([{ at: '2026-09-01T10:00:00Z' }]);
    expect(await service({ retentionDays: 30 }).historyNeeded(query('60d'))).toBe(true);
    expect(await service({ retentionDays: 400 }).historyNeeded(query('60d'))).toBe(false);
  });

  it('needs history for any range when nothing was stored yet', async () => {
    expect(await service().historyNeeded(query('24h'))).toBe(true);
  });

  it('adds what CloudTrail has before the store, keeps the store copy of a change in both, and drops reads', async () => {
    await seed(STORED);
    const old = [
      record({ at: '2026-11-10T10:00:00Z', who: 'alice', id: 'old-1' }),
      record({ at: '2026-11-05T10:00:00Z', who: 'bob', id: 'old-2' }),
      record({ at: '2026-11-15T10:00:00Z', who: 'alice', role: 'app', id: 'dup' }),
      { ...record({ at: '2026-11-09T10:00:00Z', id: 'read' }), eventName: 'GetRolePolicy', readOnly: true },
      { ...record({ at: '2026-11-08T10:00:00Z', id: 'org' }), eventSource: 'organizations.amazonaws.com' },
    ];
    const storedDup = await seed([{ at: '2026-11-15T10:00:00Z', who: 'alice', role: 'app', id: 'dup' }]);
    fakeLookupEvents(old);
    const answer = await service().searchHistory(query('30d'));
    const ids = answer.entries.map((entry) => entry.change.eventId);
    expect(ids).toContain('old-1');
    expect(ids).toContain('old-2');
    expect(ids).not.toContain('read');
    expect(ids).not.toContain('org');
    expect(ids.filter((id) => id === 'dup')).toHaveLength(1);
    const dup = answer.entries.find((entry) => entry.change.eventId === 'dup');
    expect(dup?.stored).toBeDefined();
    expect(dup?.change.risk.level).toBe(storedDup[0]?.risk.level);
    expect(answer.entries.find((entry) => entry.change.eventId === 'old-1')?.stored).toBeUndefined();
    expect(answer.matched).toBe(STORED.length + 1 + 2);
    expect(answer.history).toMatchObject({ truncated: false, start: query('30d').start });
  });

  it('judges CloudTrail-only changes with the risk rules, so `risk critical` filters them', async () => {
    await seed(STORED);
    fakeLookupEvents([
      record({ at: '2026-11-10T10:00:00Z', id: 'admin' }),
      record({ at: '2026-11-09T10:00:00Z', event: 'PutRolePolicy', id: 'benign' }),
    ]);
    const answer = await service().searchHistory(query('30d risk critical'));
    const ids = answer.entries.map((entry) => entry.change.eventId);
    expect(ids).toContain('admin');
    expect(ids).not.toContain('benign');
  });

  it('narrows the lookup by resource name or exact event name, else reads every IAM event', async () => {
    await seed(STORED);
    const inputs = fakeLookupEvents([]);
    await service().searchHistory(query('30d on role/app'));
    await service().searchHistory(query('30d event putrolepolicy'));
    await service().searchHistory(query('30d by alice'));
    const attributes = inputs.map((input) => input.LookupAttributes?.[0]);
    expect(attributes).toContainEqual({ AttributeKey: 'ResourceName', AttributeValue: 'app' });
    expect(attributes).toContainEqual({ AttributeKey: 'EventName', AttributeValue: 'Putrolepolicy' });
    expect(attributes).toContainEqual({ AttributeKey: 'EventSource', AttributeValue: 'iam.amazonaws.com' });
  });

  it('reads at 2 requests a second, 50 events a page, and reports progress every few pages', async () => {
    await seed([{ at: '2026-11-20T14:00:00Z' }]);
    const time = fakeTime();
    const many = Array.from({ length: 1000 }, (_, index) =>
      record({
        at: new Date(Date.parse('2026-11-19T12:00:00Z') - index * 60_000).toISOString(),
        id: `e${index}`,
      }),
    );
    const inputs = fakeLookupEvents(many, time);
    const progress: SearchProgress[] = [];
    const history = new CloudTrailHistory(new CloudTrailClient({ region: 'us-east-1' }), {
      sleep: time.sleep,
      now: time.now,
    });
    const answer = await service({ history, historyPagesPerSlice: 4 }).searchHistory(
      query('3d limit 5'),
      (report) => {
        progress.push(report);
      },
    );
    expect(inputs.every((input) => input.MaxResults === 50)).toBe(true);
    const gaps = time.calls.slice(1).map((at, index) => at - (time.calls[index] ?? 0));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(500);
    expect(answer.matched).toBe(1001);
    expect(answer.entries).toHaveLength(5);
    expect(answer.history?.events).toBe(1000);
    expect(answer.history?.pages).toBe(inputs.length);
    expect(progress.length).toBeGreaterThan(3);
    expect(progress.map((report) => report.pages)).toEqual(
      [...progress.map((report) => report.pages)].sort((a, b) => a - b),
    );
    expect(progress.at(-1)).toMatchObject({ pages: inputs.length, events: 1000, matched: 1000 });
    const pagesBetweenReports = progress.map(
      (report, index) => report.pages - (progress[index - 1]?.pages ?? 0),
    );
    expect(Math.max(...pagesBetweenReports.slice(1))).toBeLessThanOrEqual(12);
  });

  it('stops at the page bound and says where', async () => {
    await seed([{ at: '2026-11-20T14:00:00Z' }]);
    const time = fakeTime();
    fakeLookupEvents(
      Array.from({ length: 2000 }, (_, index) =>
        record({ at: new Date(Date.parse('2026-11-19T12:00:00Z') - index * 60_000).toISOString() }),
      ),
      time,
    );
    const history = new CloudTrailHistory(new CloudTrailClient({ region: 'us-east-1' }), {
      sleep: time.sleep,
      now: time.now,
    });
    const answer = await service({ history, historyMaxPages: 5, historyPagesPerSlice: 2 }).searchHistory(
      query('5d'),
    );
    expect(answer.history?.truncated).toBe(true);
    expect(answer.history?.pages).toBeLessThanOrEqual(8);
    expect(Date.parse(answer.history?.searchedFrom ?? '')).toBeGreaterThan(Date.parse(query('5d').start));
  });

  it('answers from the store alone when no history is needed', async () => {
    await seed(STORED);
    const inputs = fakeLookupEvents([]);
    const answer = await service().searchHistory(query('24h'));
    expect(answer.matched).toBe(2);
    expect(answer.history).toBeUndefined();
    expect(inputs).toHaveLength(0);
  });
});

describe('nextSliceSpan', () => {
  const HOUR = 3_600_000;
  const start = Date.parse('2026-11-19T00:00:00Z');
  const at = (ms: number) => ({ eventTime: new Date(start + ms).toISOString() });

  it('quadruples the span after an empty slice', () => {
    expect(nextSliceSpan([], start, 6 * HOUR, 500)).toBe(24 * HOUR);
  });

  it('sizes the next slice from the density at the old end of the last one', () => {
    // 100 events, one a minute, all in the oldest 100 minutes of a 24-hour slice: 500 events ≈ 500 minutes.
    const records = Array.from({ length: 100 }, (_, index) => at(index * 60_000));
    expect(nextSliceSpan(records, start, 24 * HOUR, 500)).toBe(Math.round((49 * 60_000 * 500) / 50));
  });

  it('never grows a slice more than fourfold, nor below five minutes', () => {
    expect(nextSliceSpan([at(23 * HOUR)], start, HOUR, 500)).toBe(4 * HOUR);
    const dense = Array.from({ length: 50 }, () => at(0));
    expect(nextSliceSpan(dense, start, HOUR, 500)).toBe(5 * 60_000);
  });
});
