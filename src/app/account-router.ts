/**
 * Jobs in an AWS Organization: a change made in a member account is read, reverted and quarantined in that
 * account, through the responder role the worker assumes there. This use case decides which account a job acts
 * in and hands it to the worker built for that account; the worker's own use cases stay single-account.
 */
import type { Change } from '../domain/types';
import type { JobDelivery } from './job-verification';
import type { Job } from './jobs';
import type { RespondedChange, RevertStore } from './revert-port';
import type { JobResult } from './worker-service';

/**
 * The change a job is about, as a runner in front read it from the store for this job (`stored` undefined: the
 * store does not hold it). Handed on with the job so that each job reads its change once: the runners behind, and
 * the use cases they call, take it instead of reading the item again. Absent when no runner has read it (or the
 * read failed): then whoever needs it reads it.
 */
export interface ChangeRead {
  stored: RespondedChange | undefined;
}

/** Anything that runs jobs: the worker of one account, or the router over several. */
export interface JobRunner {
  /**
   * Runs one job; `delivery` names the message it came in (SNS redeliveries of one message share it), `read` is
   * the job's change as already read for it.
   */
  run(job: Job, delivery?: JobDelivery, read?: ChangeRead): Promise<JobResult>;
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

  async run(job: Job, delivery?: JobDelivery, read?: ChangeRead): Promise<JobResult> {
    if (!('eventId' in job)) return this.deps.workerFor(undefined).run(job, delivery);
    let known = read;
    if (!known) {
      try {
        known = { stored: await this.deps.store.getChange(job.eventId) };
      } catch {
        // The bot's own worker reads the change again and tells Slack that it could not.
        known = undefined;
      }
    }
    return this.deps.workerFor(accountOfJob(job, known?.stored?.change)).run(job, delivery, known);
  }
}
