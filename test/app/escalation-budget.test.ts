/**
 * `ESCALATION_INLINE_MS` is one budget per notification: notify's own escalation checks of all its changes draw on
 * it in turn, and once it is spent the rest go to the worker. Pure: a fake clock (vitest's fake timers move both
 * `Date` and `setTimeout`), checks that take a given number of milliseconds, a queue that records what it is
 * handed; no store or Slack is reached (both are only for a job that cannot be queued).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EscalationBudget, NotifyEscalation } from '../../src/app/escalation-check';
import type { Job } from '../../src/app/jobs';
import { assessChange } from '../../src/domain/explain';
import type { AssessedChange, EscalationCheck } from '../../src/domain/types';
import { changeOf } from '../support/cloudtrail';

const DONE: EscalationCheck = { state: 'done', principal: 'role app', opened: [], alreadyOpen: 0 };

/** An attach of a customer policy to role `app-<n>`: a change to a principal's policies, so it is checked. */
function attach(n: number): AssessedChange {
  return assessChange(
    changeOf('AttachRolePolicy', {
      roleName: `app-${n}`,
      policyArn: 'arn:aws:iam::123456789012:policy/Helper',
    }),
    { expectedActors: [], trustedAccounts: [] },
  );
}

/** Notify's step with a checker whose n-th check takes `durations[n]` ms of the fake clock. */
function stepWith(budgetMs: number, durations: number[], jobs: Job[] = []) {
  const started: number[] = [];
  const step = new NotifyEscalation({
    budgetMs,
    // Storing and posting after the check: no time kept back, so only the budget decides here.
    reserveMs: 0,
    checker: {
      check: () => {
        const ms = durations[started.length] ?? 0;
        started.push(Date.now());
        return new Promise((resolve) => setTimeout(() => resolve(DONE), ms));
      },
    },
    queue: { publish: async (job) => void jobs.push(job) },
    store: {
      getChange: async () => undefined,
      recordEscalation: async () => {
        throw new Error('no job should fail to be queued here');
      },
    },
    alerts: { refresh: async () => {} },
    now: () => new Date(),
  });
  return { step, started };
}

/** What became of each change: `done` when notify checked it itself, `worker` when left "checking…" for the worker. */
const outcome = (change: AssessedChange) =>
  change.escalation?.state === 'done'
    ? 'done'
    : change.escalation?.state === 'checking' && change.followUp?.state === 'queued'
      ? 'worker'
      : `unexpected ${JSON.stringify(change.escalation)}`;

/**
 * Prepares `count` changes of one notification in turn, as notify delivers them, on one budget, then delivers
 * them (which queues the worker's jobs).
 */
async function notification(step: NotifyEscalation, count: number): Promise<string[]> {
  const budget = step.budget();
  const prepared: AssessedChange[] = [];
  const delivering = (async () => {
    for (let n = 0; n < count; n++) {
      const change = await step.prepare(attach(n), Number.POSITIVE_INFINITY, budget);
      await step.delivered(change);
      prepared.push(change);
    }
  })();
  await vi.runAllTimersAsync();
  await delivering;
  return prepared.map(outcome);
}

beforeEach(() => {
  vi.useFakeTimers({ now: new Date('2026-12-04T12:00:00Z') });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('one escalation budget per notification', () => {
  it.each<{ behaviour: string; budgetMs: number; durations: number[]; count: number; expected: string[] }>([
    {
      behaviour: 'checks every change while the budget lasts',
      budgetMs: 1500,
      durations: [100, 100, 100],
      count: 3,
      expected: ['done', 'done', 'done'],
    },
    {
      behaviour: 'leaves to the worker the changes after the budget is spent, without starting their checks',
      budgetMs: 1500,
      durations: [700, 750, 100, 100],
      count: 4,
      expected: ['done', 'done', 'worker', 'worker'],
    },
    {
      behaviour:
        'gives a check only what is left: one that needs more goes to the worker, and so do the rest',
      budgetMs: 1500,
      durations: [1000, 600, 100],
      count: 3,
      expected: ['done', 'worker', 'worker'],
    },
    {
      behaviour: 'spends 1.5 s on a notification of 50 slow changes, not 50 × 1.5 s',
      budgetMs: 1500,
      durations: Array.from({ length: 50 }, () => 1400),
      count: 50,
      expected: ['done', 'worker', ...Array.from({ length: 48 }, () => 'worker')],
    },
    {
      behaviour: 'checks nothing itself with a budget of 0',
      budgetMs: 0,
      durations: [1, 1],
      count: 2,
      expected: ['worker', 'worker'],
    },
  ])('$behaviour', async ({ budgetMs, durations, count, expected }) => {
    const jobs: Job[] = [];
    const { step } = stepWith(budgetMs, durations, jobs);

    expect(await notification(step, count)).toEqual(expected);
    // Each change left to the worker has its judge-change job queued, and only those.
    expect(jobs.map((job) => job.kind)).toEqual(
      expected.filter((state) => state === 'worker').map(() => 'judge-change'),
    );
  });

  it('never spends more than the budget on checks, however many changes come', async () => {
    const { step, started } = stepWith(
      1500,
      Array.from({ length: 50 }, () => 400),
    );

    const outcomes = await notification(step, 50);

    expect(outcomes.filter((state) => state === 'done')).toHaveLength(3);
    // The fourth check started with 300 ms left and was cut off there; none started after it.
    expect(started).toHaveLength(4);
    expect(Date.now() - Date.parse('2026-12-04T12:00:00Z')).toBeGreaterThanOrEqual(1500);
    expect((started.at(-1) ?? 0) - Date.parse('2026-12-04T12:00:00Z')).toBe(1200);
  });

  it('gives each notification a budget of its own', async () => {
    const { step } = stepWith(1000, [900, 900, 900, 900]);

    expect(await notification(step, 2)).toEqual(['done', 'worker']);
    expect(await notification(step, 1)).toEqual(['done']);
  });

  it('without a budget handed in, gives the change one of its own (as for a single change)', async () => {
    const { step } = stepWith(1000, [900, 900]);
    const first = step.prepare(attach(1));
    await vi.runAllTimersAsync();
    const second = step.prepare(attach(2));
    await vi.runAllTimersAsync();

    expect([outcome(await first), outcome(await second)]).toEqual(['done', 'done']);
  });
});

describe('EscalationBudget', () => {
  it('charges the time work took, also when it throws, and never goes below nothing left', async () => {
    const budget = new EscalationBudget(1000, () => new Date());
    const slow = (ms: number, fail = false) =>
      budget.spend(
        () =>
          new Promise((resolve, reject) =>
            setTimeout(() => (fail ? reject(new Error('x')) : resolve(ms)), ms),
          ),
      );

    const first = slow(300);
    await vi.advanceTimersByTimeAsync(300);
    await first;
    expect(budget.remainingMs()).toBe(700);
    const failed = slow(500, true).catch((error: Error) => error.message);
    await vi.advanceTimersByTimeAsync(500);
    expect(await failed).toBe('x');
    expect(budget.remainingMs()).toBe(200);
    const over = slow(900);
    await vi.advanceTimersByTimeAsync(900);
    await over;
    expect(budget.remainingMs()).toBe(0);
  });
});
