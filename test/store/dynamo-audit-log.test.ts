import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/app/audit-port';
import { DynamoAuditLog } from '../../src/store/dynamo-audit-log';
import { TTL_ATTRIBUTE } from '../../src/store/table';
import { type DynaliteServer, startDynalite } from '../support/dynalite';

const NOW = new Date('2026-11-20T15:00:00.000Z');
const ALICE = { slackUserId: 'U0ALICE', name: 'alice' };

let db: DynaliteServer;
let tableName: string;
let log: DynamoAuditLog;

beforeAll(async () => {
  db = await startDynalite();
});

afterAll(async () => {
  await db?.stop();
});

beforeEach(async () => {
  tableName = await db.createTable();
  log = new DynamoAuditLog(db.documentClient, { tableName, now: () => NOW });
});

function entry(at: string, overrides: Partial<AuditEntry> = {}): AuditEntry {
  return { at, actor: ALICE, action: 'revert', eventId: 'event-1', result: 'done', ...overrides };
}

describe('DynamoAuditLog', () => {
  it('keeps every entry under AUDIT#<day> / <at>#<random>, with a TTL, even two in the same millisecond', async () => {
    await log.append(
      entry('2026-11-20T14:00:00Z', { reason: 'why', target: 'role/ci', details: { steps: ['x'] } }),
    );
    await log.append(entry('2026-11-20T14:00:00Z', { action: 'revert-refused', result: 'already-claimed' }));

    const { Items = [] } = await db.documentClient.send(new ScanCommand({ TableName: tableName }));
    expect(Items).toHaveLength(2);
    for (const item of Items) {
      expect(item.pk).toBe('AUDIT#2026-11-20');
      expect(item.sk).toMatch(/^2026-11-20T14:00:00\.000Z#[0-9a-f-]{36}$/);
      expect(item[TTL_ATTRIBUTE]).toBe(Date.parse('2026-11-20T14:00:00Z') / 1000 + 400 * 86_400);
    }
    const listed = await log.list(new Date('2026-11-20T00:00:00Z'), 10);
    expect(listed).toContainEqual(
      entry('2026-11-20T14:00:00Z', { reason: 'why', target: 'role/ci', details: { steps: ['x'] } }),
    );
  });

  it('lists entries since a time across days, newest first, up to the limit', async () => {
    for (const at of [
      '2026-11-17T10:00:00Z',
      '2026-11-18T10:00:00Z',
      '2026-11-19T23:59:59Z',
      '2026-11-20T09:00:00Z',
    ]) {
      await log.append(entry(at, { eventId: at }));
    }
    const since = await log.list(new Date('2026-11-18T00:00:00Z'), 10);
    expect(since.map((item) => item.eventId)).toEqual([
      '2026-11-20T09:00:00Z',
      '2026-11-19T23:59:59Z',
      '2026-11-18T10:00:00Z',
    ]);
    const limited = await log.list(new Date('2026-11-01T00:00:00Z'), 2);
    expect(limited.map((item) => item.eventId)).toEqual(['2026-11-20T09:00:00Z', '2026-11-19T23:59:59Z']);
    await expect(log.list(new Date('2026-11-18T11:00:00Z'), 0)).resolves.toEqual([]);
  });
});
