/**
 * Slow work the Slack listeners hand off: they `ack()` within Slack's 3 seconds and publish a job; the worker
 * (an SNS-subscribed Lambda with a dead-letter queue, or in process locally) runs it and answers in Slack.
 */

/** Who asked, as Slack names them. */
export interface Requester {
  slackUserId: string;
  /** Display name for messages and the audit trail. */
  name: string;
}

/** Where the alert a job is about lives, so the worker can update it and reply in its thread. */
export interface AlertRef {
  channel: string;
  ts: string;
}

export type Job =
  | {
      kind: 'revert';
      eventId: string;
      by: Requester;
      reason: string;
      alert?: AlertRef;
    }
  | {
      kind: 'quarantine';
      eventId: string;
      by: Requester;
      reason: string;
      alert?: AlertRef;
    }
  | {
      kind: 'lift-quarantine';
      eventId: string;
      by: Requester;
      reason: string;
      alert?: AlertRef;
    }
  | {
      /** Resolve the before-state and fill the diff modal opened in a loading state. */
      kind: 'diff';
      eventId: string;
      viewId: string;
      by: Requester;
      page?: number;
    }
  | {
      /** Fill the revert (or quarantine) confirmation modal opened in a loading state. */
      kind: 'prepare-confirmation';
      action: 'revert' | 'quarantine' | 'lift-quarantine';
      eventId: string;
      viewId: string;
      by: Requester;
      alert?: AlertRef;
    }
  | {
      /** A `/iam-changes` query older than the store: searched in CloudTrail, answered through `response_url`. */
      kind: 'history';
      text: string;
      responseUrl: string;
      by: Requester;
      channelId: string;
    };

export type JobKind = Job['kind'];

/** Publishes jobs for the worker. Throws when the job could not be queued (the listener tells the user). */
export interface JobQueue {
  publish(job: Job): Promise<void>;
}

/** A job that can't be read: the worker drops it to its dead-letter queue with this reason. */
export class JobFormatError extends Error {
  override name = 'JobFormatError';
}

const KINDS: ReadonlySet<string> = new Set<JobKind>([
  'revert',
  'quarantine',
  'lift-quarantine',
  'diff',
  'prepare-confirmation',
  'history',
]);

/** Reads a job from its JSON text (an SNS message), checking the fields every job kind needs. */
export function parseJob(text: string): Job {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new JobFormatError('the job is not JSON');
  }
  if (typeof value !== 'object' || value === null) throw new JobFormatError('the job is not an object');
  const job = value as Record<string, unknown>;
  if (typeof job.kind !== 'string' || !KINDS.has(job.kind)) {
    throw new JobFormatError(`unknown job kind ${JSON.stringify(job.kind)}`);
  }
  const by = job.by as Record<string, unknown> | undefined;
  if (typeof by?.slackUserId !== 'string' || typeof by.name !== 'string') {
    throw new JobFormatError(`the ${job.kind} job does not say who asked`);
  }
  if (job.kind !== 'history' && typeof job.eventId !== 'string') {
    throw new JobFormatError(`the ${job.kind} job has no eventId`);
  }
  return value as Job;
}
