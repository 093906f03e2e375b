/**
 * Jobs in an AWS Organization: which account each job acts in (`accountOfJob`), and the router that hands each
 * job to the worker of that account (`AccountRouter`), on a fake store and fake per-account workers.
 */
import { describe, expect, it, vi } from 'vitest';
import { AccountRouter, accountOfJob, type JobRunner } from '../../src/app/account-router';
import type { Job } from '../../src/app/jobs';
import type { RespondedChange } from '../../src/app/revert-port';
import type { JobResult } from '../../src/app/worker-service';
import { assessChange } from '../../src/domain/explain';
import type { Actor, Change } from '../../src/domain/types';
import { changeOf } from '../support/cloudtrail';

/** The organisation's accounts in these tests. */
const HOME = '123456789012';
const MEMBER = '111111111111';
/** A third account a caller may come from. */
const CALLER = '222222222222';

const by = { slackUserId: 'U0ALICE', name: 'alice' };
const alert = { channel: 'C0ALERTS', ts: '1.000100' };

/** One job of every kind, about event `eventId` when the kind has one. */
function jobsAbout(eventId: string) {
  return {
    revert: { kind: 'revert', eventId, by, reason: 'r', alert },
    quarantine: { kind: 'quarantine', eventId, by, reason: 'r', alert },
    'lift-quarantine': { kind: 'lift-quarantine', eventId, by, reason: 'r' },
    diff: { kind: 'diff', eventId, viewId: 'V1', by, page: 1 },
    'prepare-confirmation(revert)': {
      kind: 'prepare-confirmation',
      action: 'revert',
      eventId,
      viewId: 'V1',
      by,
      alert,
    },
    'prepare-confirmation(quarantine)': {
      kind: 'prepare-confirmation',
      action: 'quarantine',
      eventId,
      viewId: 'V1',
      by,
    },
    'prepare-confirmation(lift-quarantine)': {
      kind: 'prepare-confirmation',
      action: 'lift-quarantine',
      eventId,
      viewId: 'V1',
      by,
    },
    history: {
      kind: 'history',
      text: '90d',
      responseUrl: 'https://hooks.slack.com/x',
      by,
      channelId: 'C1',
    },
    status: { kind: 'status', responseUrl: 'https://hooks.slack.com/x', by, channelId: 'C1', share: true },
  } as const satisfies Record<string, Job>;
}

type JobName = keyof ReturnType<typeof jobsAbout>;
const JOBS = jobsAbout('event-1');
const ABOUT_A_CHANGE = [
  'revert',
  'quarantine',
  'lift-quarantine',
  'diff',
  'prepare-confirmation(revert)',
  'prepare-confirmation(quarantine)',
  'prepare-confirmation(lift-quarantine)',
] as const satisfies readonly JobName[];
/** The jobs that act where the change was made; the others act on the caller, in the caller's account. */
const ON_THE_CHANGE = new Set<JobName>(['revert', 'diff', 'prepare-confirmation(revert)']);

/** A change as `accountOfJob` sees it: the account it acted in, and its caller's account (if CloudTrail gave one). */
function changeIn(accountId: string, actorAccountId?: string): Pick<Change, 'accountId' | 'actor'> {
  const actor: Actor = {
    type: 'iam-user',
    arn: '',
    name: 'alice',
    console: false,
    sourceIp: '198.51.100.7',
    sourceIsService: false,
    userAgent: 'aws-cli/2',
    client: 'aws-cli',
  };
  if (actorAccountId !== undefined) actor.accountId = actorAccountId;
  return { accountId, actor };
}

/**
 * The change of a CloudTrail record of an IAM user of `callerAccount` attaching a policy in `recipientAccount`,
 * normalised as the notify path stores it.
 */
function recordedChange(callerAccount: string, recipientAccount: string, roleName = 'app-role') {
  return changeOf(
    'AttachRolePolicy',
    { roleName, policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' },
    {
      recipientAccountId: recipientAccount,
      userIdentity: {
        type: 'IAMUser',
        principalId: 'AIDAEXAMPLE',
        arn: `arn:aws:iam::${callerAccount}:user/alice`,
        accountId: callerAccount,
        userName: 'alice',
      },
    },
  );
}

describe('accountOfJob', () => {
  describe('a change made and called in a member account', () => {
    it.each(ABOUT_A_CHANGE)('%s acts in the member account', (name) => {
      expect(accountOfJob(JOBS[name], changeIn(MEMBER, MEMBER))).toBe(MEMBER);
    });
  });

  describe('a cross-account caller (an IAM user of one account acting in another)', () => {
    const change = recordedChange(CALLER, MEMBER);

    it('is recorded with the account it acted in as the change account', () => {
      expect(change.accountId).toBe(MEMBER);
      expect(change.recipientAccountId).toBe(MEMBER);
      expect(change.actor.accountId).toBe(CALLER);
    });

    it.each(ABOUT_A_CHANGE.map((name) => [name, ON_THE_CHANGE.has(name) ? MEMBER : CALLER] as const))(
      '%s acts in %s',
      (name, account) => {
        expect(accountOfJob(JOBS[name], change)).toBe(account);
      },
    );
  });

  describe('a caller whose account CloudTrail did not give', () => {
    it.each(ABOUT_A_CHANGE)('%s acts where the change was made', (name) => {
      expect(accountOfJob(JOBS[name], changeIn(MEMBER))).toBe(MEMBER);
    });
  });

  describe('a change with no account at all', () => {
    it.each(ABOUT_A_CHANGE)("%s acts in the bot's own account", (name) => {
      expect(accountOfJob(JOBS[name], changeIn(''))).toBeUndefined();
    });

    it.each(ABOUT_A_CHANGE.map((name) => [name, ON_THE_CHANGE.has(name) ? undefined : CALLER] as const))(
      '%s, with a caller account, acts in %s',
      (name, account) => {
        expect(accountOfJob(JOBS[name], changeIn('', CALLER))).toBe(account);
      },
    );
  });

  describe('no change (not stored, or a job about none)', () => {
    it.each(Object.keys(JOBS) as JobName[])("%s acts in the bot's own account", (name) => {
      expect(accountOfJob(JOBS[name], undefined)).toBeUndefined();
    });
  });

  it('treats the home account like any other: the router decides which worker that is', () => {
    expect(accountOfJob(JOBS.revert, changeIn(HOME, HOME))).toBe(HOME);
    expect(accountOfJob(JOBS.quarantine, changeIn(MEMBER, HOME))).toBe(HOME);
  });
});

/** A worker for one account that records the jobs it ran and answers with the account's name. */
function fakeRunner(account: string) {
  const ran: Job[] = [];
  const runner: JobRunner = {
    async run(job) {
      ran.push(job);
      return { kind: job.kind, outcome: `ran in ${account}` };
    },
  };
  return { ran, runner };
}

/** A router over fake workers (`home` for `undefined`) and a store holding `changes`. */
function routerOver(
  changes: Change[],
  getChange?: (eventId: string) => Promise<RespondedChange | undefined>,
) {
  const runners = new Map<string, ReturnType<typeof fakeRunner>>();
  const runnerFor = (account: string) => {
    let runner = runners.get(account);
    if (!runner) {
      runner = fakeRunner(account);
      runners.set(account, runner);
    }
    return runner;
  };
  const stored = new Map(
    changes.map((change) => [
      change.eventId,
      {
        change: assessChange(change, { expectedActors: [], trustedAccounts: [] }),
        delivery: 'delivered',
        attempts: 1,
        firstSeenAt: change.eventTime,
        updatedAt: change.eventTime,
      } as RespondedChange,
    ]),
  );
  const store = {
    getChange: vi.fn(getChange ?? (async (eventId: string) => stored.get(eventId))),
  };
  const asked: Array<string | undefined> = [];
  const router = new AccountRouter({
    store,
    workerFor(accountId) {
      asked.push(accountId);
      return runnerFor(accountId ?? 'home').runner;
    },
  });
  /** The jobs the worker of `account` ran (`home`: the bot's own). */
  const ranIn = (account: string) => runners.get(account)?.ran ?? [];
  return { router, store, asked, ranIn };
}

describe('AccountRouter', () => {
  it('runs a job on the worker of the account the change was made in, and returns its result', async () => {
    const change = recordedChange(MEMBER, MEMBER);
    const { router, store, ranIn } = routerOver([change]);
    const job = jobsAbout(change.eventId).revert;

    const result = await router.run(job);

    expect(result).toEqual<JobResult>({ kind: 'revert', outcome: `ran in ${MEMBER}` });
    expect(ranIn(MEMBER)).toEqual([job]);
    expect(ranIn('home')).toEqual([]);
    expect(store.getChange).toHaveBeenCalledWith(change.eventId);
  });

  it.each(ABOUT_A_CHANGE.map((name) => [name, ON_THE_CHANGE.has(name) ? MEMBER : CALLER] as const))(
    'runs %s about a cross-account call on the worker of %s',
    async (name, account) => {
      const change = recordedChange(CALLER, MEMBER);
      const { router, ranIn } = routerOver([change]);
      const job = jobsAbout(change.eventId)[name];

      const result = await router.run(job);

      expect(result).toEqual({ kind: job.kind, outcome: `ran in ${account}` });
      expect(ranIn(account)).toEqual([job]);
    },
  );

  it('keeps the changes of different accounts apart', async () => {
    const inMember = recordedChange(MEMBER, MEMBER, 'member-role');
    const inHome = recordedChange(HOME, HOME, 'home-role');
    const { router, asked, ranIn } = routerOver([inMember, inHome]);

    await router.run(jobsAbout(inHome.eventId).revert);
    await router.run(jobsAbout(inMember.eventId).diff);
    await router.run(jobsAbout(inHome.eventId)['prepare-confirmation(revert)']);

    expect(asked).toEqual([HOME, MEMBER, HOME]);
    expect(ranIn(MEMBER).map((job) => job.kind)).toEqual(['diff']);
    expect(ranIn(HOME).map((job) => job.kind)).toEqual(['revert', 'prepare-confirmation']);
  });

  it.each(['history', 'status'] as const)(
    "runs a %s job on the bot's own worker without reading the store",
    async (name) => {
      const { router, store, asked, ranIn } = routerOver([]);

      const result = await router.run(JOBS[name]);

      expect(result).toEqual({ kind: name, outcome: 'ran in home' });
      expect(asked).toEqual([undefined]);
      expect(ranIn('home')).toEqual([JOBS[name]]);
      expect(store.getChange).not.toHaveBeenCalled();
    },
  );

  it.each(ABOUT_A_CHANGE)(
    "runs %s on the bot's own worker when the store cannot be read, which tells Slack",
    async (name) => {
      const { router, asked, ranIn } = routerOver([], async () => {
        throw new Error('ProvisionedThroughputExceededException');
      });
      const job = jobsAbout('event-1')[name];

      const result = await router.run(job);

      expect(result).toEqual({ kind: job.kind, outcome: 'ran in home' });
      expect(asked).toEqual([undefined]);
      expect(ranIn('home')).toEqual([job]);
    },
  );

  it("runs a job about a change no longer stored on the bot's own worker", async () => {
    const { router, store, asked } = routerOver([]);

    const result = await router.run(jobsAbout('gone').revert);

    expect(store.getChange).toHaveBeenCalledWith('gone');
    expect(asked).toEqual([undefined]);
    expect(result).toEqual({ kind: 'revert', outcome: 'ran in home' });
  });

  it("rejects with the chosen worker's error, so SNS retries the job", async () => {
    const change = recordedChange(MEMBER, MEMBER);
    const failure = new Error('AccessDenied: sts:AssumeRole');
    const router = new AccountRouter({
      store: { getChange: async () => ({ change }) as RespondedChange },
      workerFor: (accountId) => ({
        run: async (job) => {
          if (accountId === MEMBER) throw failure;
          return { kind: job.kind, outcome: 'done' };
        },
      }),
    });

    await expect(router.run(jobsAbout(change.eventId).revert)).rejects.toBe(failure);
  });
});
