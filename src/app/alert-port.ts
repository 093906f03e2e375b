/**
 * The ports through which the use cases tell people what happened, in facts: a change to alert on, an alert's
 * new response state, an outcome for its thread, a modal's content, an answer to a query. They never hold Slack
 * messages: the Slack adapter (`src/slack/slack-alert-channel.ts`) decides how each fact reads in a message, a
 * modal, an ephemeral note or the Home tab, so a new surface is a change in `src/slack` alone.
 *
 * Every method throws when Slack refuses or cannot be reached (after the client's bounded retries); the caller
 * decides whether that fails its work or is only logged.
 */
import type { AccountFacts } from '../domain/accounts';
import type { AuditReport } from '../domain/cis-audit';
import type { PolicyDiff, RiskDelta } from '../domain/diff';
import type { Query, QueryError } from '../domain/query';
import type { AlarmEvent, AlarmState, AssessedChange, Change } from '../domain/types';
import type { AuditActor } from './audit-port';
import type { ForwardingNoticeChannel } from './forwarding-notices';
import type { SlackRef } from './ports';
import type { LiftOutcome, LiftPreview, QuarantineOutcome, QuarantinePreview } from './quarantine-service';
import type { QueryAnswer } from './query-service';
import type { RespondedChange } from './revert-port';
import type { RevertOutcome, RevertPreview } from './revert-service';

/** A channel, or a thread in it (`threadTs` is the ts of the thread's parent message). */
export interface AlertPlace {
  channel: string;
  threadTs?: string;
}

/** Where the calls behind an alarm were looked for. */
export type CallSource = 'cloudwatch-logs' | 'cloudtrail' | 'none';

/** One call behind an alarm, linked to its own alert when it has one. */
export interface AlarmCall {
  change: AssessedChange;
  /** The permalink of the call's own alert message. */
  permalink?: string;
}

/** What an alarm summary says: the state change, the calls found behind it, where they were looked for. */
export interface AlarmSummary {
  alarm: AlarmEvent;
  /** The alarm's account as the organisation names it, when the account directory knows it. */
  account?: AccountFacts;
  calls: AlarmCall[];
  source: CallSource;
  /** The state change (OK, INSUFFICIENT_DATA) that ended this alarm, once it did. */
  resolvedBy?: AlarmEvent;
  /** Calls found after the summary was posted, while the alarm stayed in ALARM (each posted on its own). */
  laterCalls?: number;
}

/** How a change's alert is first posted. */
export interface ChangeAlertOptions {
  /** Call the channel's attention to it (`@here`): set for critical changes when the configuration says so. */
  mention: boolean;
  /** Post it in this thread (an expectation's announcement) instead of the channel. */
  thread?: { channel: string; ts: string };
}

/** The account a change was made in, with the directory's facts about it when it had them (to name it). */
export type ChangeAccount = Pick<AssessedChange, 'accountId'> & Pick<Partial<AssessedChange>, 'account'>;

/**
 * A follow-up told in an alert's thread (or, for an outcome, to the person who asked). Each kind is a fact; the
 * adapter words it.
 */
export type ThreadNote =
  /** One of the bot's own IAM calls (a revert step, a quarantine) came back from CloudTrail. */
  | { kind: 'own-call'; change: AssessedChange; earlierAlertFound: boolean }
  /** An alarm whose summary is in this thread changed state again. */
  | { kind: 'alarm-state'; alarmName: string; state: AlarmState }
  /** A revert ran (or was refused, or found claimed) for `by`, in the account of `where` when known. */
  | { kind: 'revert'; outcome: RevertOutcome; by: AuditActor; where?: ChangeAccount }
  /** A quarantine was applied (or refused) for `by`. */
  | {
      kind: 'quarantine';
      outcome: QuarantineOutcome;
      by: AuditActor;
      reason: string;
      where?: ChangeAccount;
    }
  /** A quarantine was lifted (or not) for `by`. */
  | {
      kind: 'lift-quarantine';
      outcome: LiftOutcome;
      by: AuditActor;
      reason: string;
      where?: ChangeAccount;
    }
  /** A task failed before it could say anything else. */
  | { kind: 'failure'; failure: TaskFailure };

/** The notes the notify path posts (the worker's outcome notes are the {@link ResponderChannel}'s). */
export type AlertNote = Extract<ThreadNote, { kind: 'own-call' | 'alarm-state' }>;

/** The slow tasks a responder starts. */
export type ResponderTask = 'revert' | 'quarantine' | 'lift-quarantine' | 'history' | 'status';

/** A task that failed: which, why in one line, and whether it failed because the change is no longer stored. */
export interface TaskFailure {
  task: ResponderTask;
  /** The first line of the error, or the event id of a change no longer stored. */
  detail: string;
  /** True when the change is gone from the store (retention): nothing was changed. */
  notFound?: boolean;
  /**
   * What to do instead, when the failure is not the task's usual kind (the CIS 4.4 status with no AWS account to
   * read at all): one sentence, said in place of the usual advice.
   */
  advice?: string;
}

/** The actions a confirmation modal confirms. */
export type ConfirmAction = 'revert' | 'quarantine' | 'lift-quarantine';

/** The change a confirmation is about and where its alert's thread is (what the modal carries back). */
export interface ConfirmSubject {
  eventId: string;
  /** The alert's channel id. */
  channel?: string;
  /** The ts of the message whose thread answers go to (the alert, or the burst parent). */
  ts?: string;
}

/** What a confirmation modal shows once the worker prepared it: the preview, or why there is none. */
export type Confirmation =
  | { action: 'revert'; preview: RevertPreview }
  | { action: 'quarantine'; preview: QuarantinePreview }
  | { action: 'lift-quarantine'; preview: LiftPreview }
  | { action: ConfirmAction; problem: { detail: string; notFound: boolean } };

/** Where the document before the change came from (DESIGN §3, in the order the look-ups try). */
export type DiffSourceKind = 'store' | 'cloudtrail' | 'iam' | 'unknown';

/** The before-state's origin, as a diff states it. */
export interface DiffSource {
  kind: DiffSourceKind;
  /** The CloudTrail event that carried the before-state (`cloudtrail`), or that the bot's record came from. */
  eventId?: string;
  /** ISO 8601 time of that event or record. */
  eventTime?: string;
  /** The IAM policy version read (`iam`). */
  versionId?: string;
  /** More in words: why it is unknown, which look-ups ran. Raw text: the adapter escapes it. */
  detail?: string;
}

/** What a diff modal shows once the worker computed it. */
export type DiffResult =
  | { kind: 'diff'; change: Change; diff: PolicyDiff; source: DiffSource; delta: RiskDelta; page: number }
  /** The diff could not be computed for this change. */
  | { kind: 'failed'; change: Change; detail: string }
  /** The change could not be read from the store. */
  | { kind: 'unreadable'; eventId: string; detail: string }
  /** The change is no longer stored. */
  | { kind: 'not-found'; eventId: string };

/**
 * An answer to a slash command through its `response_url`. The adapter decides how it replaces what was shown
 * before (the "searching" note, a progress note) and who sees it.
 */
export type CommandAnswer =
  | { kind: 'query'; query: Query; answer: QueryAnswer; now: Date; permalinkBase?: string }
  | { kind: 'query-error'; error: QueryError; text: string }
  | { kind: 'search-progress'; pages: number; events: number; searchedFrom?: string }
  | { kind: 'cis-status'; report: AuditReport; now: Date; share: boolean }
  | { kind: 'failure'; failure: TaskFailure };

/**
 * The notify path's view of Slack: alerts, alarm summaries and their threads, and the notices of member accounts'
 * forwarding being stopped ({@link ForwardingNoticeChannel}).
 */
export interface AlertChannel extends ForwardingNoticeChannel {
  /** Posts the alert for one change; returns where it is. */
  postChange(channel: string, change: AssessedChange, options: ChangeAlertOptions): Promise<SlackRef>;
  /**
   * Updates an alert in place with its change's state now: what responders did, a burst's running count. Never
   * calls anyone's attention again.
   */
  updateAlert(ref: SlackRef, state: RespondedChange): Promise<void>;
  /** Lists grouped changes in their burst parent's thread; returns the thread message. */
  postBurstLines(parent: SlackRef, changes: AssessedChange[], muted?: ReadonlySet<string>): Promise<SlackRef>;
  /** Posts an alarm's summary. */
  postAlarm(channel: string, summary: AlarmSummary): Promise<SlackRef>;
  /**
   * Updates an alarm's summary in place (with `resolvedBy` once the alarm is over). Throws
   * {@link SlackMessageGoneError} when Slack no longer has the summary.
   */
  updateAlarm(ref: SlackRef, summary: AlarmSummary): Promise<void>;
  /** Posts a follow-up in a thread (or, without `threadTs`, in the channel). */
  postThreadNote(place: AlertPlace, note: AlertNote): Promise<SlackRef>;
  /** A link to a posted message, when Slack gives one. */
  permalink(ref: SlackRef): Promise<string | undefined>;
}

/** The worker's view of Slack: everything the notify path has, plus modals, notes to one person and answers. */
export interface ResponderChannel extends AlertChannel {
  /** Posts a follow-up in a thread (or in the channel): the notify path's notes, and what became of a task. */
  postThreadNote(place: AlertPlace, note: ThreadNote): Promise<SlackRef>;
  /** Fills a confirmation modal (opened in a loading state by the listener) with what was prepared. */
  showConfirmation(viewId: string, subject: ConfirmSubject, confirmation: Confirmation): Promise<void>;
  /** Fills a diff modal (opened in a loading state by the listener). */
  showDiff(viewId: string, result: DiffResult): Promise<void>;
  /** Tells one person, in a channel (or a thread of it), what became of what they asked for. */
  tellUser(place: AlertPlace, user: string, note: ThreadNote): Promise<void>;
  /** Answers a slash command through its `response_url`. */
  answer(responseUrl: string, answer: CommandAnswer): Promise<void>;
}

/**
 * Slack no longer has the message (deleted, or its channel archived, left or gone): no retry can update it, so
 * the caller carries on without it rather than fail for good.
 */
export class SlackMessageGoneError extends Error {
  override name = 'SlackMessageGoneError';
}
