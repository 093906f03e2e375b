/**
 * Slow work the Slack listeners hand off: they `ack()` within Slack's 3 seconds and publish a job; the worker
 * (an SNS-subscribed Lambda with a dead-letter queue, or in process locally) runs it and answers in Slack.
 */
import { isQuarantineMode, type QuarantineMode } from '../domain/quarantine-mode';

/** Who asked, as Slack names them. */
export interface Requester {
  slackUserId: string;
  /** Display name for messages and the audit trail. */
  name: string;
}

/**
 * The Slack request that caused a job, exactly as Slack signed it: the raw form body, `X-Slack-Request-Timestamp`
 * and `X-Slack-Signature`. The worker checks the signature itself and reads what was asked from the body, so a
 * job is worth no more than the interaction it carries (DESIGN §9).
 */
export interface JobOrigin {
  body: string;
  timestamp: string;
  signature: string;
}

/** Where the alert a job is about lives, so the worker can update it and reply in its thread. */
export interface AlertRef {
  channel: string;
  ts: string;
}

/** What every job carries: the signed interaction behind it (absent only for in-process jobs in Socket Mode). */
interface JobBase {
  origin?: JobOrigin;
}

/** One piece of slow work, published by a listener and run by the worker; `kind` says which. */
export type Job = JobBase &
  (
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
        /** What the quarantine stops, as ticked in the modal; `deny-iam` alone when absent. */
        modes?: QuarantineMode[];
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
        /**
         * Fill the confirmation modal of an action on a whole fleet group (one change made in many accounts): each
         * account's calls, read from the group's changes in the store.
         */
        kind: 'prepare-fleet-confirmation';
        action: FleetAction;
        /** The group, as the message's button named it; the worker reads its changes from the store. */
        groupId: string;
        viewId: string;
        by: Requester;
        alert?: AlertRef;
      }
    | {
        /**
         * Revert, or quarantine the caller of, every change of a fleet group the confirmation listed: the group's
         * changes the bot had seen by `asOf` (from the modal's metadata), each in its own account.
         */
        kind: 'fleet-revert' | 'fleet-quarantine';
        groupId: string;
        /** ISO time: the changes first seen up to then are the ones the confirmation listed. */
        asOf: string;
        /**
         * The event ids of the group's changes (one per account) the responder chose, as the signed submission names
         * them; absent: every change listed. The worker acts on these only, and on none when one is not in the group.
         */
        members?: string[];
        by: Requester;
        reason: string;
        alert?: AlertRef;
      }
    | {
        /** A `/iam-changes` query older than the store: searched in CloudTrail, answered through `response_url`. */
        kind: 'history';
        text: string;
        responseUrl: string;
        by: Requester;
        channelId: string;
        /** The workspace's archive URL (`https://acme.slack.com/archives`), so listed changes link to their alerts. */
        permalinkBase?: string;
      }
    | {
        /**
         * Judge a stored change again where notify could not finish: read the attached policy's document from IAM
         * where notify could not (and judge the change by it), validate its documents again where Access Analyzer
         * was unavailable, check what the principal it touched can reach now (the escalation paths), and update
         * that change's alert. Queued by notify, not by a Slack interaction: it carries no signed request, `by` is
         * always {@link SYSTEM_REQUESTER}, and the worker lets it only read (the store, IAM, Access Analyzer) and
         * update the change's own judgement and message. Jobs queued under its former name,
         * {@link LEGACY_JUDGE_CHANGE_KIND}, are read as this kind.
         */
        kind: 'judge-change';
        eventId: string;
        by: Requester;
      }
    | {
        /**
         * "Was this you?": find the Slack user behind a posted change's caller and DM them the question. Queued by
         * notify once the change's own alert is posted, like `judge-change`: no signed request, `by` is
         * always {@link SYSTEM_REQUESTER}; the worker reads the change from the store, asks at most once per change
         * (a conditional write records whom before the DM goes out) and changes nothing in IAM.
         */
        kind: 'ask-actor';
        eventId: string;
        by: Requester;
      }
    | {
        /** `/iam-changes status`: the CIS 4.4 audit (several AWS calls), answered through `response_url`. */
        kind: 'status';
        responseUrl: string;
        by: Requester;
        channelId: string;
        /** Post the report in the channel (`/iam-changes status share`) instead of only to the person who asked. */
        share?: boolean;
      }
  );

/** What can be done to a whole fleet group. */
export type FleetAction = 'revert' | 'quarantine';

/**
 * The kinds of job: `revert`, `quarantine`, `lift-quarantine`, `diff`, `prepare-confirmation`, `history`,
 * `status`, on fleet groups `prepare-fleet-confirmation`, `fleet-revert`, `fleet-quarantine` (from Slack
 * interactions), and `judge-change` and `ask-actor` (from notify).
 */
export type JobKind = Job['kind'];

/** Who `by` names on a job the bot queues itself: no Slack user. */
export const SYSTEM_REQUESTER: Readonly<Requester> = Object.freeze({
  slackUserId: 'iam-changes',
  name: 'iam-changes',
});

/** Jobs the bot queues itself (not from Slack): about a stored change, never writing IAM. */
export const SYSTEM_JOB_KINDS: ReadonlySet<JobKind> = new Set(['judge-change', 'ask-actor']);

/**
 * The name `judge-change` jobs were queued under before it said what they do (they re-read the attached policy,
 * re-validate and re-judge, not only check escalation). Jobs published by a notify deployed before the rename may
 * still be on the jobs topic, in its retries or in the dead-letter queue for a redrive: {@link parseJob} reads
 * them as `judge-change`, held to the same rules (no person, no Slack request), so they run exactly as before.
 */
export const LEGACY_JUDGE_CHANGE_KIND = 'escalation-check';

/** A job on a whole fleet group (one change made in many accounts), run by the fleet runner in front of the workers. */
export type FleetJob = Extract<
  Job,
  { kind: 'prepare-fleet-confirmation' | 'fleet-revert' | 'fleet-quarantine' }
>;

/** Whether `job` acts on a fleet group (so the worker hands it to the fleet runner). */
export function isFleetJob(job: Job): job is FleetJob {
  return (
    job.kind === 'prepare-fleet-confirmation' ||
    job.kind === 'fleet-revert' ||
    job.kind === 'fleet-quarantine'
  );
}

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
  'status',
  'prepare-fleet-confirmation',
  'fleet-revert',
  'fleet-quarantine',
  'judge-change',
  'ask-actor',
]);

/** The text fields each kind needs beyond `kind` and `by`. */
const REQUIRED: Record<JobKind, readonly string[]> = {
  revert: ['eventId', 'reason'],
  quarantine: ['eventId', 'reason'],
  'lift-quarantine': ['eventId', 'reason'],
  diff: ['eventId', 'viewId'],
  'prepare-confirmation': ['eventId', 'viewId', 'action'],
  history: ['text', 'responseUrl', 'channelId'],
  status: ['responseUrl', 'channelId'],
  'prepare-fleet-confirmation': ['groupId', 'viewId', 'action'],
  'fleet-revert': ['groupId', 'asOf', 'reason'],
  'fleet-quarantine': ['groupId', 'asOf', 'reason'],
  'judge-change': ['eventId'],
  'ask-actor': ['eventId'],
};

const CONFIRMABLE: ReadonlySet<string> = new Set(['revert', 'quarantine', 'lift-quarantine']);

/**
 * Reads a job from its JSON text (an SNS message), checking the fields its kind needs. Throws
 * {@link JobFormatError} with one line naming what is wrong.
 */
export function parseJob(text: string): Job {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new JobFormatError('the job is not JSON');
  }
  if (typeof value !== 'object' || value === null) throw new JobFormatError('the job is not an object');
  const job = value as Record<string, unknown>;
  // Queued before the rename: the same job under its new name, checked as one below.
  if (job.kind === LEGACY_JUDGE_CHANGE_KIND) job.kind = 'judge-change';
  if (typeof job.kind !== 'string' || !KINDS.has(job.kind)) {
    throw new JobFormatError(`unknown job kind ${JSON.stringify(job.kind)}`);
  }
  const by = job.by as Record<string, unknown> | undefined;
  if (SYSTEM_JOB_KINDS.has(job.kind as JobKind)) {
    // Nothing but the change it is about: no person, no signed request, nothing asked on someone's behalf.
    if (by?.slackUserId !== SYSTEM_REQUESTER.slackUserId || job.origin !== undefined) {
      throw new JobFormatError(`the ${job.kind} job names a user or carries a Slack request it cannot have`);
    }
  } else if (typeof by?.slackUserId !== 'string' || typeof by.name !== 'string') {
    throw new JobFormatError(`the ${job.kind} job does not say who asked`);
  }
  for (const field of REQUIRED[job.kind as JobKind]) {
    if (typeof job[field] !== 'string') throw new JobFormatError(`the ${job.kind} job has no ${field}`);
  }
  if (job.kind === 'prepare-confirmation' && !CONFIRMABLE.has(String(job.action))) {
    throw new JobFormatError(
      `the prepare-confirmation job has an unknown action ${JSON.stringify(job.action)}`,
    );
  }
  if (job.kind === 'prepare-fleet-confirmation' && job.action !== 'revert' && job.action !== 'quarantine') {
    throw new JobFormatError(
      `the prepare-fleet-confirmation job has an unknown action ${JSON.stringify(job.action)}`,
    );
  }
  if (
    (job.kind === 'fleet-revert' || job.kind === 'fleet-quarantine') &&
    job.members !== undefined &&
    !(
      Array.isArray(job.members) &&
      job.members.length > 0 &&
      job.members.every((member) => typeof member === 'string' && member !== '')
    )
  ) {
    throw new JobFormatError(`the ${job.kind} job's members are not a list of event ids`);
  }
  if (job.origin !== undefined) {
    const origin = job.origin as Record<string, unknown> | null;
    if (
      typeof origin !== 'object' ||
      origin === null ||
      typeof origin.body !== 'string' ||
      typeof origin.timestamp !== 'string' ||
      typeof origin.signature !== 'string'
    ) {
      throw new JobFormatError(`the ${job.kind} job's origin is not a signed Slack request`);
    }
  }
  if (
    job.kind === 'quarantine' &&
    job.modes !== undefined &&
    !(Array.isArray(job.modes) && job.modes.every(isQuarantineMode))
  ) {
    throw new JobFormatError('the quarantine job has modes that are not a list of known quarantine modes');
  }
  if (
    job.kind === 'diff' &&
    job.page !== undefined &&
    !(Number.isInteger(job.page) && Number(job.page) >= 0)
  ) {
    throw new JobFormatError('the diff job has a page that is not a whole number');
  }
  return value as Job;
}
