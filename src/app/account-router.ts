/**
 * Jobs in an AWS Organization: a change made in a member account is read, reverted and quarantined in that
 * account, through the responder role the worker assumes there. This use case decides which account a job acts
 * in and hands it to the worker built for that account; the worker's own use cases stay single-account.
 */
import type { Change } from '../domain/types';
import type { JobDelivery } from './job-verification';
import type { Job } from './jobs';
import type { RevertStore } from './revert-port';
import type { JobResult } from './worker-service';

/** Anything that runs jobs: the worker of one account, or the router over several. */
export interface JobRunner {
  /** Runs one job; `delivery` names the message it came in (SNS redeliveries of one message share it). */
  run(job: Job, delivery?: JobDelivery): Promise<JobResult>;
}

/**
 * The account a job acts in, or `undefined` for the bot's own. A revert, a diff and a revert confirmation act
 * where the change was made (`recipientAccountId`, which the change's `accountId` already is); a quarantine
 * acts on the caller, in the caller's account.
 */
export function accountOfJob(
  job: Job,
  change: Pick<Change, 'accountId' | 'actor'> | undefined,
): string | undefined {
  if (!change) return undefined;
  const onCaller =
    job.kind === 'quarantine' ||
    job.kind === 'lift-quarantine' ||
    (job.kind === 'prepare-confirmation' && job.action !== 'revert');
  const account = onCaller ? (change.actor.accountId ?? change.accountId) : change.accountId;
  return account || undefined;
}

/** What the router needs. */
export interface AccountRouterDependencies {
  store: Pick<RevertStore, 'getChange'>;
  /** The worker acting in `accountId` (`undefined`: the bot's own account). */
  workerFor(accountId: string | undefined): JobRunner;
}

/** Runs each job with the worker of the account it acts in. */
export class AccountRouter implements JobRunner {
  constructor(private readonly deps: AccountRouterDependencies) {}

  async run(job: Job): Promise<JobResult> {
    if (!('eventId' in job)) return this.deps.workerFor(undefined).run(job);
    let change: Change | undefined;
    try {
      change = (await this.deps.store.getChange(job.eventId))?.change;
    } catch {
      // The bot's own worker reads the change again and tells Slack that it could not.
      change = undefined;
    }
    return this.deps.workerFor(accountOfJob(job, change)).run(job);
  }
}
