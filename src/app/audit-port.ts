/**
 * The audit log port: who did what to which change, when, why and with what result. Every response to an alert
 * (acknowledge, revert, quarantine) and every refused or unauthorised attempt is appended here. The
 * implementation is `src/store/dynamo-audit-log.ts`, on the bot's one table.
 */

/** Who acted: a Slack user, or a person at the CLI (name only). */
export interface AuditActor {
  slackUserId?: string;
  /** A name a person recognises: the Slack display name, or the CLI user. */
  name: string;
}

/** What was done. */
export type AuditAction =
  | 'acknowledge'
  | 'revert'
  | 'revert-refused'
  | 'quarantine'
  | 'quarantine-refused'
  | 'lift-quarantine'
  | 'mute'
  | 'unmute'
  | 'expect'
  | 'expect-end'
  | 'unauthorised'
  /** A job whose Slack request could not be verified: the actor is "unverified job", never the user it claims. */
  | 'unverified-job'
  /** A verified job refused for what it is about (an unknown event id, a stored item that is not the change). */
  | 'job-refused'
  /** The change's actor was sent "was this you?" (or could not be). */
  | 'actor-ask'
  /** The actor answered "was this you?". */
  | 'actor-answer'
  /** Someone other than the asked actor pressed an answer button, or answered twice: refused. */
  | 'actor-answer-refused';

/** One audit entry. */
export interface AuditEntry {
  /** ISO 8601 time of the entry. */
  at: string;
  actor: AuditActor;
  action: AuditAction;
  /** The change (CloudTrail event id) the action was about. */
  eventId?: string;
  /** What was acted on, in words or as a key (`role/ci-runner`, `user/mallory`). */
  target?: string;
  /** The reason the person gave. */
  reason?: string;
  /** The outcome in one word or line: `done`, `failed`, `refused: …`, `already-claimed`. */
  result: string;
  /** Anything else worth keeping: the calls made, the error, the drift seen. JSON-serialisable. */
  details?: Record<string, unknown>;
}

/** Append-only audit log. Both methods throw on storage failure. */
export interface AuditLog {
  append(entry: AuditEntry): Promise<void>;
  /** Entries at or after `since`, newest first, at most `limit`. */
  list(since: Date, limit: number): Promise<AuditEntry[]>;
}
