/**
 * Ports for responding to an alert — acknowledge, revert, quarantine — recorded on the change's own item in the
 * store. Implemented by `DynamoChangeStore`; the CLI has an in-memory stand-in for when no table is configured.
 *
 * The notify path ignores these fields; the Slack listeners and the worker read and write them.
 */
import type { IamEntity } from '../domain/drift';
import type { RevertStep } from '../domain/types';
import type { AuditActor } from './audit-port';
import type { StoredChange } from './ports';

/** Where a revert is. `refused` releases the claim: a later attempt may claim it again. */
export type RevertStatus = 'claimed' | 'done' | 'failed' | 'refused';

/** One step of a revert as it ran. */
export interface RevertStepResult {
  step: RevertStep;
  /** The equivalent `aws iam …` command line. */
  cli: string;
  status: 'done' | 'failed' | 'not-run';
  error?: string;
}

/** A revert as recorded on the change item (`revert`). */
export interface RevertRecord {
  status: RevertStatus;
  /** Identifies one claim, so only its holder finishes it. */
  claimId: string;
  by: AuditActor;
  reason: string;
  /** ISO time the revert was claimed. */
  at: string;
  steps: RevertStepResult[];
  /** ISO time it finished (done, failed or refused). */
  finishedAt?: string;
  /** Why it failed or was refused, in words. */
  error?: string;
}

/** An acknowledgement ("I'm on it"): the first one wins. */
export interface Acknowledgement {
  by: AuditActor;
  /** ISO time. */
  at: string;
}

/** A quarantine of a change's caller, as recorded on the change item (`quarantine`). */
export interface QuarantineRecord {
  status: 'active' | 'lifted' | 'failed';
  target: IamEntity;
  policyArn: string;
  by: AuditActor;
  reason: string;
  /** ISO time the quarantine was applied (or attempted). */
  at: string;
  error?: string;
  lifted?: { by: AuditActor; reason: string; at: string };
}

/** A stored change with what responders did about it. */
export interface RespondedChange extends StoredChange {
  revert?: RevertRecord;
  acknowledgement?: Acknowledgement;
  quarantine?: QuarantineRecord;
}

/** Outcome of claiming a revert: the claim, or the revert someone else already claimed. */
export type RevertClaimResult = { claimed: true } | { claimed: false; existing: RevertRecord };

/** The change item's revert, claimed exactly once. Methods throw on storage failure. */
export interface RevertStore {
  getChange(eventId: string): Promise<RespondedChange | undefined>;
  /**
   * Claims the revert with a conditional write: succeeds when the change has no revert yet or its last one was
   * refused; otherwise returns the existing one (who, when, status). Throws when the change is not stored.
   */
  claimRevert(eventId: string, claim: RevertRecord, now: Date): Promise<RevertClaimResult>;
  /** Records how the claimed revert ended; only the holder of `result.claimId` may. */
  finishRevert(eventId: string, result: RevertRecord, now: Date): Promise<void>;
}

/** Outcome of recording an acknowledgement. */
export type AcknowledgeResult = { recorded: true } | { recorded: false; existing: Acknowledgement };

/** The Acknowledge button: the first acknowledgement of a change wins. */
export interface AckStore {
  /** Records the acknowledgement unless there is one; throws when the change is not stored. */
  recordAcknowledgement(eventId: string, ack: Acknowledgement, now: Date): Promise<AcknowledgeResult>;
}

/** Quarantine as recorded on the change item. */
export interface QuarantineStore {
  getChange(eventId: string): Promise<RespondedChange | undefined>;
  /** Sets the change's quarantine record (the latest state wins); throws when the change is not stored. */
  recordQuarantine(eventId: string, record: QuarantineRecord, now: Date): Promise<void>;
}
