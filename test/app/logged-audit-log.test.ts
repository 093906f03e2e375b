import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AuditEntry } from '../../src/app/audit-port';
import { type AuditLineWriter, LoggedAuditLog } from '../../src/app/logged-audit-log';
import { parseConfig } from '../../src/config';
import { buildStores, jsonLineAuditWriter } from '../../src/runtime/responders';
import { DynamoAuditLog } from '../../src/store/dynamo-audit-log';
import { type DynaliteServer, startDynalite } from '../support/dynalite';

const ENTRY: AuditEntry = {
  at: '2026-11-20T14:00:00.000Z',
  actor: { slackUserId: 'U0ALICE', name: 'alice' },
  action: 'revert',
  eventId: 'event-1',
  target: 'role/ci-runner',
  reason: 'not approved',
  result: 'done',
  details: { calls: ['DetachRolePolicy'] },
};

let db: DynaliteServer;

beforeAll(async () => {
  db = await startDynalite();
});

afterAll(async () => {
  await db?.stop();
});

/** Lines printed by the handlers' Powertools logger while `run` runs, parsed. */
async function printedBy(
  run: (write: AuditLineWriter) => Promise<void>,
): Promise<Array<Record<string, unknown>>> {
  const written: string[] = [];
  const logger = new Logger({ serviceName: 'iam-changes', logLevel: 'INFO' });
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
    written.push(String(chunk));
    return true;
  });
  try {
    await run((message, line) => logger.info(message, { ...line }));
  } finally {
    spy.mockRestore();
  }
  return written
    .join('')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('LoggedAuditLog', () => {
  it('writes each entry as exactly one marked log line with all its fields, and to the table', async () => {
    const table = new DynamoAuditLog(db.documentClient, { tableName: await db.createTable() });

    const lines = await printedBy((write) => new LoggedAuditLog(table, write).append(ENTRY));

    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'INFO', message: 'audit', audit: true, ...ENTRY });
    expect(await table.list(new Date('2026-11-20T00:00:00Z'), 10)).toEqual([ENTRY]);
  });

  it('keeps the log line when the table write after it fails, and fails the append', async () => {
    const table = new DynamoAuditLog(db.documentClient, { tableName: 'no-such-table' });
    let appended: Promise<void> = Promise.resolve();

    const lines = await printedBy(async (write) => {
      appended = new LoggedAuditLog(table, write).append(ENTRY);
      await appended.catch(() => undefined);
    });

    await expect(appended).rejects.toThrow();
    expect(lines).toEqual([expect.objectContaining({ message: 'audit', audit: true, ...ENTRY })]);
  });

  it('reads entries from the table', async () => {
    const table = new DynamoAuditLog(db.documentClient, { tableName: await db.createTable() });
    await table.append(ENTRY);
    const lines: unknown[] = [];

    const listed = await new LoggedAuditLog(table, (_message, line) => lines.push(line)).list(
      new Date('2026-11-20T00:00:00Z'),
      10,
    );

    expect(listed).toEqual([ENTRY]);
    expect(lines).toEqual([]);
  });
});

describe('jsonLineAuditWriter', () => {
  it('prints one JSON line shaped like the handlers’ logger lines', () => {
    const printed: string[] = [];

    jsonLineAuditWriter((text) => printed.push(text))('audit', { audit: true, ...ENTRY });

    expect(printed).toHaveLength(1);
    expect(printed[0]).not.toContain('\n');
    expect(JSON.parse(printed[0] ?? '')).toMatchObject({
      level: 'INFO',
      message: 'audit',
      audit: true,
      ...ENTRY,
    });
  });
});

describe('buildStores', () => {
  it('gives the responders an audit log that writes the line before the table', async () => {
    const tableName = await db.createTable();
    const lines: unknown[] = [];
    const { audit } = buildStores(
      parseConfig({ TABLE_NAME: tableName }),
      db.documentClient,
      (_message, line) => lines.push(line),
    );

    await audit.append(ENTRY);

    expect(lines).toEqual([{ audit: true, ...ENTRY }]);
    expect(await audit.list(new Date('2026-11-20T00:00:00Z'), 10)).toEqual([ENTRY]);
  });
});
