import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoBotStepStore } from '../../src/store/dynamo-bot-steps';
import { type DynaliteServer, startDynalite } from '../support/dynalite';

const ACCOUNT = '111122223333';
const KEY = 'DetachRolePolicy|roleName=app|policyArn=arn:aws:iam::aws:policy/ReadOnlyAccess';
const AT = new Date('2026-12-04T10:00:00.000Z');
const HOUR = 3_600_000;

let db: DynaliteServer;
let steps: DynamoBotStepStore;

beforeAll(async () => {
  db = await startDynalite();
  steps = new DynamoBotStepStore(db.documentClient, { tableName: await db.createTable() });
});

afterAll(async () => {
  await db?.stop();
});

/** A step of `key` recorded at `at`, kept for a day from now. */
async function recorded(key: string, at: Date = AT): Promise<void> {
  await steps.record({ accountId: ACCOUNT, key, at: at.toISOString() }, new Date(Date.now() + 24 * HOUR));
}

const around = (event: Date) => ({
  after: new Date(event.getTime() - HOUR),
  before: new Date(event.getTime() + 300_000),
});

describe('DynamoBotStepStore', () => {
  it('matches one event to one recorded step, and the same event again to the same step', async () => {
    const key = `${KEY}|once`;
    await recorded(key);
    const event = new Date(AT.getTime() + 2_000);

    expect(await steps.consume(ACCOUNT, key, around(event), 'event-1')).toBe(true);
    expect(await steps.consume(ACCOUNT, key, around(event), 'event-1')).toBe(true);
    expect(await steps.consume(ACCOUNT, key, around(event), 'event-2')).toBe(false);
  });

  it.each([
    ['an event two hours after the step', AT.getTime() + 2 * HOUR, false],
    ['an event ten minutes before the step', AT.getTime() - 10 * 60_000, false],
    ['an event a second before the step (CloudTrail rounds to seconds)', AT.getTime() - 1_000, true],
    ['an event fifty minutes after the step', AT.getTime() + 50 * 60_000, true],
  ])('%s: %s', async (name, eventTime, matches) => {
    const key = `${KEY}|${name}`;
    await recorded(key);
    expect(await steps.consume(ACCOUNT, key, around(new Date(eventTime)), name)).toBe(matches);
  });

  it('does not let a step of one account or one call speak for another', async () => {
    const key = `${KEY}|scoped`;
    await recorded(key);
    const window = around(AT);
    expect(await steps.consume('444455556666', key, window, 'other-account')).toBe(false);
    expect(await steps.consume(ACCOUNT, `${key}-other`, window, 'other-call')).toBe(false);
    expect(await steps.consume(ACCOUNT, key, window, 'this-one')).toBe(true);
  });

  it('lets a step that has expired speak for nothing', async () => {
    const key = `${KEY}|expired`;
    await steps.record({ accountId: ACCOUNT, key, at: AT.toISOString() }, new Date(Date.now() - 5_000));
    expect(await steps.consume(ACCOUNT, key, around(AT), 'late')).toBe(false);
  });
});
