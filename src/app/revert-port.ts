/**
 * Ports for responding to an alert — acknowledge, revert, quarantine — recorded on the change's own item in the
 * store. Implemented by `DynamoChangeStore`; the CLI has an in-memory stand-in for when no table is configured.
 *
 * The notify path ignores these fields; the Slack listeners and the worker read and write them.
 */
import type { IamEntity } from '../domain/drift';
import type { QuarantineMode } from '../domain/quarantine';
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
  /** True when IAM was only simulated (the local runtime without AWS): nothing changed in any account. */
  dryRun?: boolean;
}

/** An acknowledgement ("I'm on it"): the first one wins. */
export interface Acknowledgement {
  by: AuditActor;
  /** ISO time. */
  at: string;
}

/**
 * Where a quarantine is: `claimed` while one worker applies it (no other may), `active` once the deny policy is
 * attached, `lifted`, or `failed` (nothing holds: a new quarantine may claim the change again, as after a lift).
 */
export type QuarantineStatus = 'claimed' | 'active' | 'lifted' | 'failed';

/** A quarantine of a change's caller, as recorded on the change item (`quarantine`). */
export interface QuarantineRecord {
  status: QuarantineStatus;
  /** Identifies one claim, so two quarantines of one change never both run. */
  claimId?: string;
  target: IamEntity;
  /** This quarantine's own deny policy. */
  policyArn: string;
  /** What was applied (`deny-iam` always). Absent on records from before modes existed: `deny-iam` only. */
  modes?: QuarantineMode[];
  /** The access keys the bot set Inactive: only these are set Active again on lift. */
  deactivatedKeys?: string[];
  /**
   * Access keys created at or after the quarantined change's event time (made during the incident) that the
   * quarantine set Inactive: never named as the bot's to restore, so the lift leaves them off and says so.
   */
  keysKeptOff?: string[];
  /** What did not go as planned while the quarantine still holds (a key that could not be deactivated). */
  warnings?: string[];
  by: AuditActor;
  reason: string;
  /** ISO time the quarantine was claimed; `revoke-sessions` denies credentials issued before it. */
  at: string;
  /**
   * While `claimed`: until when the claim holds (ISO). After it, the claim's job is taken for dead: a new
   * quarantine may take the claim over, and a lift treats it as failed.
   */
  until?: string;
  error?: string;
  lifted?: { by: AuditActor; reason: string; at: string; restoredKeys?: string[] };
  /**
   * A lift running now (its id, and until when it holds the right to lift): set by a conditional write before the
   * lift touches IAM, so two lifts never both run, gone once the lift is recorded or given back.
   */
  lifting?: { id: string; until: string };
  /** True when IAM was only simulated (the local runtime without AWS): nothing changed in any account. */
  dryRun?: boolean;
  /**
   * Modes being added to this active quarantine now (a conditional write taken before IAM is touched): the new
   * deny policy that will replace {@link policyArn} and until when the job adding them holds the right to. No lift
   * and no other addition runs meanwhile; once `until` passed its job is taken for dead, and a lift detaches that
   * policy too. Gone once the addition is recorded or given back.
   */
  addingModes?: QuarantineModesAdding;
  /** Modes added to this quarantine after it was applied, oldest first. */
  modesAdded?: QuarantineModesAdded[];
  /**
   * An inline deny policy the quarantine put on the principal (`Put{User,Role}Policy`, named like the addition's
   * own policy) when `revoke-sessions` was added and IAM refused a new managed deny for the principal's limit on
   * attached managed policies: it holds the `revoke-sessions` statement while {@link policyArn} keeps the rest. Deleted
   * by the lift, or once a later addition's managed deny holds every mode.
   */
  inlinePolicyName?: string;
  /**
   * Every deny policy a job claimed for this quarantine, oldest first: each quarantine claim (a retry, or a job
   * taking a dead one over, included) and each addition of modes names its own policy when it claims. The store
   * keeps this list beside the record and only ever appends to it while the quarantine lasts (a claim that takes
   * another over never drops it), so whatever a chain of jobs that died left in IAM — their denies, and the keys
   * their descriptions name — is found by the next job and by the lift. Filled in when read; a record written
   * never sets it.
   */
  claimedPolicies?: ClaimedQuarantinePolicy[];
  /**
   * How many entries the store's list of claimed policies held when the record was read, entries of another shape
   * included (dropped from {@link claimedPolicies}): what a lift's claim compares the list with. Filled in when
   * read; a record written never sets it.
   */
  claimedPoliciesStored?: number;
  /**
   * The access keys a job of this quarantine recorded right after IAM set each one Inactive (appended while that
   * job's claim held, see {@link QuarantineStore.recordKeyTurnedOff}): the only keys a lift, a claim or an addition
   * may turn on again, and only when a policy the same job created (see {@link createdPolicies}) names them too: a
   * key one job recorded is never restored through another job's policy. A job that carries keys over (a takeover,
   * an addition) records them again under its own id. A key
   * turned off by a job that died before recording it stays off. Kept beside the record like
   * {@link claimedPolicies}; filled in when read, never written with the record.
   */
  keysTurnedOff?: TurnedOffKey[];
  /**
   * The deny policies the bot created for this quarantine, each with the `PolicyId` IAM gave it, recorded right
   * after `CreatePolicy` (while the job's claim held): a policy found under the same name with another id was made
   * by someone else, and its description names no key the bot may restore. Filled in when read, never written.
   */
  createdPolicies?: CreatedQuarantinePolicy[];
}

/** A deny policy the bot created for a quarantine (see {@link QuarantineRecord.createdPolicies}). */
export interface CreatedQuarantinePolicy {
  policyArn: string;
  /** IAM's id for it (`ANPA…`), as `CreatePolicy` returned it. */
  policyId: string;
  /**
   * The id of the job (claim or addition) that created it, set by the store when recorded. Absent on entries
   * written before it was kept: such a policy names no key the bot restores.
   */
  job?: string;
}

/**
 * An access key a job of a quarantine recorded right after turning it off (see
 * {@link QuarantineRecord.keysTurnedOff}): restorable only through a policy the same job created.
 */
export interface TurnedOffKey {
  keyId: string;
  /** The id of the job (claim or addition) that recorded it; absent on entries written before it was kept. */
  job?: string;
  /**
   * Set when the job found the key on again (someone turned it on after an earlier job turned it off): from then on
   * no earlier job's record of it counts, and only a later job turning it off itself makes it restorable again.
   */
  on?: boolean;
}

/**
 * True for a record written before the store kept, per key turned off and per policy created, the job that did
 * it: none of its entries names a job.
 */
export function recordedBeforeJobs(quarantine: QuarantineRecord): boolean {
  return (
    !(quarantine.keysTurnedOff ?? []).some((entry) => entry.job !== undefined) &&
    !(quarantine.createdPolicies ?? []).some((entry) => entry.job !== undefined)
  );
}

/**
 * The keys a lift may turn on, each with the job whose policy must name it: per key, the latest entry of
 * {@link QuarantineRecord.keysTurnedOff} (the list is appended to in order), when that entry is a key turned off
 * by a job the store named. A key last found on again, or recorded before jobs were kept, is in none.
 */
export function restorableKeys(keysTurnedOff: readonly TurnedOffKey[] | undefined): Map<string, string> {
  const latest = new Map<string, TurnedOffKey>();
  for (const entry of keysTurnedOff ?? []) latest.set(entry.keyId, entry);
  const restorable = new Map<string, string>();
  for (const [keyId, entry] of latest)
    if (entry.job !== undefined && !entry.on) restorable.set(keyId, entry.job);
  return restorable;
}

/** The job of a quarantine holding its claim: the quarantine's own (`claimId`) or an addition of modes (its id). */
export interface QuarantineJob {
  kind: 'quarantine' | 'adding';
  id: string;
}

/** A deny policy claimed for a quarantine (see {@link QuarantineRecord.claimedPolicies}). */
export interface ClaimedQuarantinePolicy {
  /** The claim's id: the quarantine's `claimId`, or the addition's `addingModes.id`. */
  id: string;
  /** Whether a quarantine or an addition of modes claimed it. */
  kind: 'quarantine' | 'adding';
  policyArn: string;
  /** ISO time of the claim. */
  at: string;
}

/** Modes being added to an active quarantine (see {@link QuarantineRecord.addingModes}). */
export interface QuarantineModesAdding {
  /** The adding job's id: the same for every retry of that job, which takes it over. */
  id: string;
  /** ISO time after which the job is taken for dead. */
  until: string;
  /** The deny policy it creates, with the modes in force and those added. */
  policyArn: string;
  /** The modes it adds. */
  modes: QuarantineMode[];
  by: AuditActor;
  /** ISO time it was claimed. */
  at: string;
}

/** Modes added to an active quarantine, as recorded on it. */
export interface QuarantineModesAdded {
  /** The adding job's id (a retry of that job finds its addition done here). */
  id: string;
  by: AuditActor;
  reason: string;
  /** ISO time the modes were added (`revoke-sessions` added then denies credentials issued before it). */
  at: string;
  /** The modes added. */
  added: QuarantineMode[];
  /** The change the request was made from (another change of the same principal, or this one). */
  eventId: string;
  /** The deny policy the addition attached (with every mode in force then). */
  policyArn: string;
  /** The deny policy the new one replaced (detached and deleted once the addition is recorded). */
  replacedPolicyArn: string;
  /**
   * When the modes were added as an inline policy of this name (the attachment limit refused a managed one):
   * `policyArn` and `replacedPolicyArn` are then the managed deny in force, unchanged.
   */
  inlinePolicyName?: string;
  /** The access keys this addition set Inactive (also in the quarantine's `deactivatedKeys`). */
  deactivatedKeys?: string[];
  /** What did not go as planned. */
  warnings?: string[];
}

/**
 * What the person who made a change answered when asked whether it was them ("was this you?"): `confirmed`
 * with their reason (and a ticket), or `denied`. Recorded once, by that person only.
 */
export interface ActorAnswer {
  answer: 'confirmed' | 'denied';
  /** The Slack user who answered (the actor). */
  by: AuditActor;
  /** ISO time of the answer. */
  at: string;
  reason?: string;
  ticket?: string;
}

/**
 * That the actor was asked "was this you?": the Slack user the answer must come from (as found when the DM was
 * sent), how they were found, where the DM is, and — once the configured time passed unanswered — when that was
 * noted on the alert.
 */
export interface ActorAsk {
  slackUserId: string;
  /** How the user was found: `mapping`, `iam-tag`, `identity-center`, `session-name`. */
  source: string;
  /** ISO time the DM was sent. */
  at: string;
  /** The DM's channel and ts. */
  dm?: { channel: string; ts: string };
  /** ISO time the alert said nobody answered in time. */
  timedOutAt?: string;
  /**
   * The DM could not be sent (one line why, and when): the person was never asked, so the sweep never says they did
   * not answer, and a retry of the ask job may send it.
   */
  dmFailed?: { at: string; why: string };
}

/** A stored change with what responders did about it. */
export interface RespondedChange extends StoredChange {
  revert?: RevertRecord;
  acknowledgement?: Acknowledgement;
  quarantine?: QuarantineRecord;
  /** The actor's own answer about the change, when they were asked. */
  actorAnswer?: ActorAnswer;
  /** That the actor was asked, and whom the answer must come from. */
  actorAsk?: ActorAsk;
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

/** The worker function's timeout (`functions.worker.timeout` in serverless.yml): the longest one job runs. */
export const WORKER_TIMEOUT_MS = 300_000;

/**
 * How long a quarantine claim or a lift claim holds when its job ends without saying (a crash, the timeout):
 * longer than a worker can run, so no other job takes it over while its holder may still be calling IAM.
 */
export const QUARANTINE_CLAIM_LEASE_MS = WORKER_TIMEOUT_MS + 60_000;

/**
 * Outcome of claiming a quarantine: the claim (with the claim it took over, when its holder died or it was this
 * job's own, so what it left in IAM can be cleared), or the quarantine someone else holds.
 */
export type QuarantineClaimResult =
  | ({
      claimed: true;
      replaced?: QuarantineRecord;
      claimedPolicies: ClaimedQuarantinePolicy[];
    } & ClaimedLedger)
  | { claimed: false; existing: QuarantineRecord };

/**
 * Outcome of claiming an addition of modes: the claim, with the addition it took over (its job died, or a retry of
 * it) and every policy claimed for the quarantine so far, this one's included; or no claim.
 */
export type ModesAddingClaimResult =
  | ({
      claimed: true;
      replaced?: QuarantineModesAdding;
      claimedPolicies: ClaimedQuarantinePolicy[];
    } & ClaimedLedger)
  | { claimed: false };

/**
 * What earlier jobs of the quarantine recorded as they acted (see {@link QuarantineRecord.keysTurnedOff} and
 * {@link QuarantineRecord.createdPolicies}), as the claim found them in the same write: no earlier job may append
 * to them once the claim is taken. Absent when none.
 */
export type ClaimedLedger = Pick<QuarantineRecord, 'keysTurnedOff' | 'createdPolicies'>;

/** Quarantine as recorded on the change item, claimed exactly once. */
export interface QuarantineStore {
  getChange(eventId: string): Promise<RespondedChange | undefined>;
  /**
   * Claims the change's quarantine with a conditional write: succeeds when the change has none, or its last one
   * failed or was lifted, or is a claim whose `until` passed or with this `claim.claimId` (a retry of the same
   * job); otherwise returns the one recorded. The claim's policy is appended to the quarantine's
   * {@link QuarantineRecord.claimedPolicies} in the same write (a fresh list once the change's quarantine was
   * lifted or there was none), and the whole list is returned. Throws when the change is not stored.
   */
  claimQuarantine(eventId: string, claim: QuarantineRecord, now: Date): Promise<QuarantineClaimResult>;
  /** Sets the change's quarantine record (the latest state wins); throws when the change is not stored. */
  recordQuarantine(eventId: string, record: QuarantineRecord, now: Date): Promise<void>;
  /**
   * Records the lift `record` (status `lifted`) only over the quarantine it lifted: a conditional write on the
   * recorded quarantine still holding `record.claimId`, active (or failed). False, with nothing written, when it
   * does not (lifted already, or a newer quarantine claimed since); throws when the change is not stored.
   */
  recordLift(eventId: string, record: QuarantineRecord, now: Date): Promise<boolean>;
  /**
   * Takes the right to lift the quarantine `record` (a conditional write): the recorded quarantine must still
   * hold its `claimId`, its `policyArn` (modes added since replace the policy) and as many claimed policies as
   * `record.claimedPolicies` lists (a deny claimed since the read would be missed), active or failed, with no other
   * lift running (or one whose `lifting.until` passed, or one with this `lifting.id`: a retry of the same lift takes
   * its own claim over) and no modes being added (unless that job's `addingModes.until` passed). False otherwise:
   * lifted already, quarantined again or modes added since, another lift or an addition running. Throws when not
   * stored.
   */
  claimLift(
    eventId: string,
    record: QuarantineRecord,
    lifting: { id: string; until: string },
    now: Date,
  ): Promise<boolean>;
  /** Gives back a lift claim `id` that did not lift (its IAM calls failed): nothing when it is not held. */
  releaseLift(eventId: string, id: string): Promise<void>;
  /**
   * Takes the right to add modes to the active quarantine `record` (a conditional write of
   * `quarantine.addingModes`): the recorded quarantine must still be `record` — active, its `claimId` and its
   * `policyArn` — with no lift on it (running or unfinished) and no other addition running (one whose `until`
   * passed, or one with this `addingModes.id`, a retry of the same job, is taken over and returned as `replaced`).
   * The addition's policy is appended to {@link QuarantineRecord.claimedPolicies} in the same write (the whole
   * list is returned), so a job that takes this one over never hides it. `{ claimed: false }` otherwise; throws
   * when the change is not stored.
   */
  claimModesAdding(
    eventId: string,
    record: QuarantineRecord,
    addingModes: QuarantineModesAdding,
    now: Date,
  ): Promise<ModesAddingClaimResult>;
  /**
   * Records the quarantine with modes added, `record` (without `addingModes`), only while the addition `id` still
   * holds it, no lift is on it and it still names `replacedPolicyArn`, the policy the addition replaces (a
   * conditional write); the Home tab's list of active quarantines carries it too (a list entry is only updated,
   * never put back for a quarantine lifted meanwhile, and a failure to update it is no failure of the addition).
   * False, with nothing written, when the condition does not hold; throws when the change is not stored.
   */
  recordModesAdded(
    eventId: string,
    record: QuarantineRecord,
    id: string,
    replacedPolicyArn: string,
    now: Date,
  ): Promise<boolean>;
  /**
   * Gives back an addition `id` that added nothing (its deny is not attached): nothing when it is not held. The
   * policies claimed stay listed in {@link QuarantineRecord.claimedPolicies}.
   */
  releaseModesAdding(eventId: string, id: string): Promise<void>;
  /**
   * Appends `policy`, with `job`'s id, to {@link QuarantineRecord.createdPolicies} while `job` holds its claim: a quarantine claim
   * still `claimed` with its `claimId`, or an addition still holding `addingModes` with its id, and no lift on the
   * quarantine (a conditional write). False, with nothing written, when the claim is gone (taken over, given back,
   * recorded) or a lift holds the quarantine.
   */
  recordPolicyCreated(
    eventId: string,
    job: QuarantineJob,
    policy: CreatedQuarantinePolicy,
    now: Date,
  ): Promise<boolean>;
  /**
   * Appends `keyId`, with `job`'s id, to {@link QuarantineRecord.keysTurnedOff} while `job` holds its claim (as
   * {@link recordPolicyCreated}). False, with nothing written, when the claim is gone: that key stays off.
   */
  recordKeyTurnedOff(eventId: string, job: QuarantineJob, keyId: string, now: Date): Promise<boolean>;
  /**
   * Appends `keyId` as found on again by `job` (see {@link TurnedOffKey.on}) while `job` holds its claim (as
   * {@link recordPolicyCreated}): no earlier job's record of the key is restorable after it.
   */
  recordKeyFoundOn(eventId: string, job: QuarantineJob, keyId: string, now: Date): Promise<boolean>;
}

/** The event id names no stored change. */
export class ChangeNotFoundError extends Error {
  override readonly name = 'ChangeNotFoundError';

  constructor(readonly eventId: string) {
    super(`no change with event id ${eventId} is stored`);
  }
}
