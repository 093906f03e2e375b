/**
 * The quarantine use case: give the principal behind a change its own deny policy (at `/iam-changes/`, see
 * `domain/quarantine.ts`) with the modes the responder chose, prove it is attached, deactivate an IAM user's
 * access keys when asked, and undo exactly that on lift. A quarantine of a change is claimed exactly once (a
 * conditional write on the change item). A principal already quarantined (for this change or another) gets the
 * modes a request adds to that quarantine — never a second one, never fewer modes. Every attempt — done, modes
 * added, refused, already claimed or failed — is audited, and the state is recorded on the change item.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { IamEntity } from '../domain/drift';
import {
  effectiveModes,
  isQuarantinePolicyArn,
  keysInDescription,
  MANAGED_POLICY_MAX_CHARS,
  modeAvailability,
  modesToAdd,
  policyNameOf,
  policySize,
  QUARANTINE_MODES,
  QUARANTINE_POLICY_NAME,
  QUARANTINE_POLICY_PATH,
  type QuarantineMode,
  type QuarantineSettings,
  type QuarantineTarget,
  quarantineDocument,
  quarantineEventOf,
  quarantinePolicyArn,
  quarantinePolicyDescription,
  quarantinePolicyName,
  quarantineTarget,
  sessionsDenyDocument,
} from '../domain/quarantine';
import { toCliCommand } from '../domain/revert';
import type { AssessedChange, PolicyDocument, RevertStep } from '../domain/types';
import type { AuditActor, AuditLog } from './audit-port';
import { handedInOrRead } from './handed-in-change';
import { type AccessKey, type IamGateway, isIamError, type ManagedPolicy } from './iam-port';
import type { Clock } from './ports';
import {
  ChangeNotFoundError,
  type ClaimedQuarantinePolicy,
  type CreatedQuarantinePolicy,
  QUARANTINE_CLAIM_LEASE_MS,
  type QuarantineJob,
  type QuarantineModesAdded,
  type QuarantineModesAdding,
  type QuarantineRecord,
  type QuarantineStore,
  type RespondedChange,
  recordedBeforeJobs,
  restorableKeys,
} from './revert-port';

/** What the quarantine path needs. */
export interface QuarantineDependencies {
  store: QuarantineStore;
  iam: IamGateway;
  clock: Clock;
  audit: AuditLog;
  /** Who may not be quarantined, the policy name and the bot's surface; `accountId` defaults to the change's. */
  settings: QuarantineSettings;
}

/** The quarantine that holds a principal: the change it is recorded on, its record, and that change's time. */
export interface QuarantineHolder {
  eventId: string;
  record: QuarantineRecord;
  /** The quarantined change's CloudTrail event time, when it was read with the record. */
  eventTime?: string;
}

/** One mode as the confirmation modal offers it: whether it applies to this principal, and why not. */
export interface QuarantineModeOption {
  mode: QuarantineMode;
  available: boolean;
  /** Why it is not offered (a role has no access keys). */
  why?: string;
}

/** What the confirmation modal shows before a quarantine. */
export interface QuarantinePreview {
  change: AssessedChange;
  target: QuarantineTarget;
  /** The ARN the quarantine's own policy will have (its id is chosen when it runs: `<id>`). */
  policyArn: string;
  /** The deny document for the modes previewed (`revoke-sessions` with the time of the preview). */
  document: PolicyDocument;
  /** The modes previewed (`deny-iam` always). */
  modes: QuarantineMode[];
  /** Every mode, and whether it can apply to this principal. */
  options: QuarantineModeOption[];
  /** An IAM user's access keys that are active now: what `deactivate-keys` would set Inactive. */
  activeKeys: string[];
  /** The calls, in order, for the modes previewed. */
  steps: RevertStep[];
  /** True when the calls would only be simulated (the local runtime without AWS): nothing changes in AWS. */
  dryRun?: boolean;
  /** The equivalent `aws iam` command lines. */
  cli: string[];
  /**
   * True when a quarantine the bot holds is already attached to the target: a policy the store records as an
   * active quarantine of it (a look-alike by name or description does not count).
   */
  alreadyQuarantined: boolean;
  /** The quarantine recorded on the change, when one is being applied or holds. */
  existing?: QuarantineRecord;
  /**
   * When {@link alreadyQuarantined}: the quarantine that holds — the change it is recorded on (this one or
   * another of the same principal) and its record. A request for modes it lacks adds them to it.
   */
  active?: QuarantineHolder;
  /** When already quarantined: the modes in force. */
  inForce?: QuarantineMode[];
  /** When already quarantined: the modes not in force that fit the principal (what a request may add). */
  addable?: QuarantineMode[];
  /** When already quarantined: the modes previewed that are not in force, which the request would add. */
  adds?: QuarantineMode[];
  /** Why the quarantine would not run (or, already quarantined, why no mode can be added now). */
  refusal?: string;
}

/** What the confirmation modal shows before lifting a quarantine. */
export interface LiftPreview {
  change: AssessedChange;
  /** The quarantine recorded on the change, if any. */
  quarantine?: QuarantineRecord;
  /** The principal the deny policy would be detached from. */
  target?: IamEntity;
  /** The attached deny policy's ARN. */
  policyArn?: string;
  /** The access keys the quarantine deactivated, set Active again. */
  keysToRestore: string[];
  /** The calls, in order (detach, delete the quarantine's policy, reactivate keys). */
  steps: RevertStep[];
  /** True when the calls would only be simulated (the local runtime without AWS): nothing changes in AWS. */
  dryRun?: boolean;
  /** The equivalent `aws iam` command lines. */
  cli: string[];
  /** Why the lift would not run. */
  refusal?: string;
}

/**
 * How long one lift holds the right to lift a change's quarantine when it ends without saying (a crash): longer
 * than a worker can run, so no other lift starts while one may still be calling IAM. A retry of the same job
 * (the same delivery id) takes its own claim over at once, whatever is left of the lease.
 */
export const LIFT_LEASE_MS = QUARANTINE_CLAIM_LEASE_MS;

/** True for a quarantine claim whose job is taken for dead: its lease passed (a claim without one: its age). */
export function isDeadClaim(record: QuarantineRecord, now: Date): boolean {
  if (record.status !== 'claimed') return false;
  const until = record.until ?? new Date(Date.parse(record.at) + QUARANTINE_CLAIM_LEASE_MS).toISOString();
  return until < now.toISOString();
}

/** The modes being added to `record` by a job that is not taken for dead yet (its lease has not passed). */
function liveAdding(record: QuarantineRecord, now: Date): QuarantineModesAdding | undefined {
  const adding = record.addingModes;
  return adding && adding.until >= now.toISOString() ? adding : undefined;
}

/**
 * The claim id of a quarantine run for the job delivery `attempt`: the same for every retry of that delivery on
 * that change (its own claim is taken over), different across changes of one job (a fleet's members) and across
 * deliveries. The quarantine's policy name is derived from it.
 */
export function attemptClaimId(attempt: string, eventId: string): string {
  return createHash('sha256').update(`${attempt}\n${eventId}`).digest('hex').slice(0, 32);
}

/** How a quarantine ended. */
export type QuarantineOutcome =
  | {
      status: 'done';
      target: IamEntity;
      policyArn: string;
      modes: QuarantineMode[];
      /** Access keys set Inactive (restored on lift). */
      deactivatedKeys: string[];
      /** What did not go as planned while the quarantine holds. */
      warnings: string[];
      /** True when IAM was only simulated: nothing changed in AWS. */
      dryRun?: boolean;
    }
  | {
      /** Modes were added to the quarantine that holds (recorded on the change `quarantinedFor`). */
      status: 'modes-added';
      target: IamEntity;
      /** The change whose quarantine now has the modes. */
      quarantinedFor: string;
      /** The deny policy that replaced the quarantine's earlier one, with every mode in force. */
      policyArn: string;
      /** The modes this request added. */
      added: QuarantineMode[];
      /** Every mode in force now. */
      modes: QuarantineMode[];
      /** Access keys this request set Inactive (restored on lift, with those the quarantine turned off before). */
      deactivatedKeys: string[];
      warnings: string[];
      /** True when IAM was only simulated: nothing changed in AWS. */
      dryRun?: boolean;
    }
  | {
      status: 'already-quarantined';
      target: IamEntity;
      policyArn: string;
      /** The change whose quarantine holds. */
      quarantinedFor: string;
      /** The modes in force (the request asked for none beyond them). */
      modes: QuarantineMode[];
    }
  | { status: 'already-claimed'; existing: QuarantineRecord }
  | { status: 'refused'; reason: string }
  | {
      status: 'failed';
      error: string;
      target?: IamEntity;
      policyArn?: string;
      /**
       * When IAM refused the deny for the principal's limit on attached managed policies: the policies attached to
       * it besides the quarantine's own deny, so a responder can detach one by hand and ask again.
       */
      attachedPolicies?: string[];
    };

/** How a lift ended. */
export type LiftOutcome =
  | {
      status: 'lifted';
      target: IamEntity;
      policyArn: string;
      /** The modes that were lifted, when the quarantine was recorded. */
      modes?: QuarantineMode[];
      /** Access keys set Active again (only those the quarantine deactivated). */
      restoredKeys: string[];
      /** Access keys the quarantine set Inactive that stay off: created during the incident (see warnings). */
      keptOffKeys?: string[];
      /** What did not go as planned (a key deleted meanwhile, a policy left behind). */
      warnings: string[];
      /** True when IAM was only simulated: nothing changed in AWS. */
      dryRun?: boolean;
    }
  | { status: 'not-quarantined'; target: IamEntity }
  | { status: 'refused'; reason: string }
  | { status: 'failed'; error: string; target: IamEntity };

/** Which quarantine to lift: the one of a change, or a principal's directly. */
export type LiftSubject = { eventId: string } | { principal: IamEntity };

function message(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}

function entityKey(entity: IamEntity): string {
  return `${entity.kind}/${entity.name}`;
}

function kindName(entity: IamEntity): string {
  return entity.kind === 'role' ? 'Role' : entity.kind === 'user' ? 'User' : 'Group';
}

function attachStep(entity: IamEntity, policyArn: string, verb: 'Attach' | 'Detach'): RevertStep {
  return {
    action: `iam:${verb}${kindName(entity)}Policy`,
    params: { [`${kindName(entity)}Name`]: entity.name, PolicyArn: policyArn },
  };
}

function keyStep(userName: string, keyId: string, status: 'Active' | 'Inactive'): RevertStep {
  return {
    action: 'iam:UpdateAccessKey',
    params: { UserName: userName, AccessKeyId: keyId, Status: status },
  };
}

function unique(ids: readonly string[]): string[] {
  return [...new Set(ids)];
}

/** The modes a quarantine record says are in force (`deny-iam` only on records from before modes). */
export function modesInForce(record: QuarantineRecord): QuarantineMode[] {
  return record.modes ?? ['deny-iam'];
}

/**
 * Since when `revoke-sessions` denies credentials: when it came into force (the quarantine, or the addition that
 * added it), kept as it was when a policy is replaced; `now` when this request adds it.
 */
function sessionsSince(record: QuarantineRecord, now: Date): Date {
  if (!modesInForce(record).includes('revoke-sessions')) return now;
  const added = record.modesAdded?.find((entry) => entry.added.includes('revoke-sessions'));
  return new Date(added?.at ?? record.at);
}

/**
 * The names an addition's inline deny may have (each addition's is named like its own managed policy), for every
 * addition `claimed` but those `except`.
 */
function inlineNames(claimed: readonly ClaimedQuarantinePolicy[], except: readonly string[] = []): string[] {
  return unique(
    claimed
      .filter((entry) => entry.kind === 'adding')
      .map((entry) => policyNameOf(entry.policyArn))
      .filter((name) => !except.includes(name)),
  );
}

/** `Put{User,Role}Policy` of the inline deny `name` with `document`; without one, its `Delete…Policy`. */
function inlineStep(entity: IamEntity, name: string, document?: PolicyDocument): RevertStep {
  const kind = kindName(entity);
  return document
    ? {
        action: `iam:Put${kind}Policy`,
        params: { [`${kind}Name`]: entity.name, PolicyName: name, PolicyDocument: JSON.stringify(document) },
      }
    : { action: `iam:Delete${kind}Policy`, params: { [`${kind}Name`]: entity.name, PolicyName: name } };
}

/**
 * The policies claimed for `record` by jobs that never recorded what they did (they died, or failed keeping their
 * deny attached): additions not in its `modesAdded`, and — while the quarantine itself was never recorded active —
 * its claims too. The keys their descriptions name may be off because of them, and nothing else says so; a job
 * that recorded its work carried its keys into the record.
 */
function diedUnrecorded(record: QuarantineRecord): Set<string> {
  const recorded = new Set(
    (record.modesAdded ?? []).flatMap((entry) => [entry.policyArn, entry.replacedPolicyArn]),
  );
  recorded.add(record.policyArn);
  return new Set(
    (record.claimedPolicies ?? [])
      .filter((entry) => entry.kind === 'adding' || record.status !== 'active')
      .map((entry) => entry.policyArn)
      .filter((arn) => !recorded.has(arn)),
  );
}

/**
 * The keys among `keys` created at or after `since` (the quarantined change's event time): made during the
 * incident, so turned off but never handed back by a lift. A key whose creation time IAM did not give (or gave
 * unreadable) is taken for one too: nothing shows it is older, so it fails closed.
 */
function mintedSince(keys: readonly AccessKey[], since: string | undefined): string[] {
  const from = since ? Date.parse(since) : Number.NaN;
  if (Number.isNaN(from)) return [];
  return keys
    .filter((key) => {
      const made = key.createDate === undefined ? Number.NaN : Date.parse(key.createDate);
      return Number.isNaN(made) || made >= from;
    })
    .map((key) => key.id);
}

/** The IAM actions that attach a managed policy: the only ones whose `LimitExceeded` is the attachment limit. */
const ATTACH_ACTION = /^iam:Attach(User|Role|Group)Policy$/;

/**
 * When `error` is IAM refusing `CreatePolicy` for the account's quota of customer managed policies
 * (`LimitExceeded`; 1,500 by default): why, in words, and what to do. Nothing was attached then.
 */
function policyQuota(error: unknown): string | undefined {
  if (!isIamError(error, 'LimitExceeded') || error.action !== 'iam:CreatePolicy') return undefined;
  return `IAM refused to create the new deny: the account already has as many customer managed policies as its quota allows (${message(error)}); nothing was attached. Delete unused customer managed policies or raise the quota (Service Quotas, IAM), then ask again`;
}

/** Why a job stopped when it could not record keys found on again, in words. */
function foundOnUnrecorded(ids: readonly string[]): string {
  return `the store could not record that access key${ids.length === 1 ? '' : 's'} ${ids.join(', ')}, which an earlier job of this quarantine turned off, ${ids.length === 1 ? 'is' : 'are'} on again, so nothing was changed (an earlier job's record could let a lift turn ${ids.length === 1 ? 'it' : 'them'} on after a responder turns ${ids.length === 1 ? 'it' : 'them'} off): ask again`;
}

/** Why a key stays off after the lift, in words. */
function keptOffWhy(id: string): string {
  return `access key ${id} was created at or after the quarantined change (during the incident): it was set Inactive and stays off after the lift; turn it on by hand only once you know who made it`;
}

/** What the store recorded of a quarantine's jobs right as they acted: the policies created, the keys turned off. */
type Ledger = Pick<QuarantineRecord, 'keysTurnedOff' | 'createdPolicies'>;

/**
 * The keys `policy`'s description names for `target`, when it is a policy the bot created (the `PolicyId` recorded
 * right after `CreatePolicy`; a policy made again under the same name by someone else has another) and only those
 * the store recorded as turned off by the very job that created it: none otherwise. A key one job recorded is
 * never restored through another job's policy (that job may have listed it while it was on again, and died before
 * turning it off); entries written before the job was kept name no job and restore nothing.
 */
function restorableNamedBy(
  policy: ManagedPolicy | null | undefined,
  target: string,
  ledger: Ledger,
): string[] {
  if (!policy?.policyId) return [];
  const creators = new Set(
    (ledger.createdPolicies ?? [])
      .filter(
        (entry: CreatedQuarantinePolicy) =>
          entry.policyArn === policy.arn && entry.policyId === policy.policyId && entry.job !== undefined,
      )
      .map((entry) => entry.job),
  );
  if (creators.size === 0) return [];
  const off = restorableKeys(ledger.keysTurnedOff);
  return keysInDescription(policy.description, target).filter((key) => {
    const job = off.get(key);
    return job !== undefined && creators.has(job);
  });
}

/**
 * The keys `policy`'s description names for `target` when it is a policy the bot created, but that
 * {@link restorableNamedBy} does not give: the job that made it died before recording them, or a later job found
 * them on again. A lift leaves them as they are and says so.
 */
function namedNotRestorable(
  policy: ManagedPolicy | null | undefined,
  target: string,
  ledger: Ledger,
): string[] {
  if (!policy?.policyId) return [];
  const ours = (ledger.createdPolicies ?? []).some(
    (entry) => entry.policyArn === policy.arn && entry.policyId === policy.policyId,
  );
  if (!ours) return [];
  const restorable = restorableNamedBy(policy, target, ledger);
  return keysInDescription(policy.description, target).filter((key) => !restorable.includes(key));
}

/** Why a key a bot deny names is not turned on by the lift, in words. */
function notRestorableWhy(id: string, policyArn: string, legacy: boolean): string {
  return legacy
    ? `access key ${id} (named by ${policyArn}) was recorded before this version, which keeps the job that turned each key off: no key of this quarantine is turned on automatically; turn these keys on by hand after checking each (its last use, who made it)`
    : `access key ${id} is named by the bot's deny ${policyArn} but is not one the lift may turn on (the job that made the deny died before recording it turned off, a later job found it on again, or a later job could not list the keys to carry it over): the lift leaves it as it is; if it is off, turn it on by hand after checking it`;
}

/** The quarantine use case. */
export class QuarantineService {
  private readonly policyName: string;

  constructor(private readonly deps: QuarantineDependencies) {
    this.policyName = deps.settings.policyName ?? QUARANTINE_POLICY_NAME;
  }

  /** The change `given` (when it is the one named), else read from the store; throws when it is not stored. */
  private async changeOf(eventId: string, given?: RespondedChange): Promise<RespondedChange> {
    const stored = await handedInOrRead(eventId, given, this.deps.store);
    if (!stored) throw new ChangeNotFoundError(eventId);
    return stored;
  }

  /**
   * Who would be quarantined and how (with `modes`, `deny-iam` alone unless given), or why not: refused
   * principals, a quarantine of this change that is being applied. A principal already quarantined (by this change
   * or another) is previewed as such: the modes in force, those that may be added, those `modes` add and the calls
   * that add them (refused only when none may be added now). Reads only. `given`: the change as
   * the job already read it (not read again); read here when not given.
   */
  async prepare(
    eventId: string,
    modes?: readonly QuarantineMode[],
    given?: RespondedChange,
  ): Promise<QuarantinePreview> {
    return this.preview(eventId, modes, given);
  }

  /** {@link prepare}; a claim with `ownClaimId` (this job's, from an earlier try of it) is no refusal. */
  private async preview(
    eventId: string,
    modes: readonly QuarantineMode[] | undefined,
    given: RespondedChange | undefined,
    ownClaimId?: string,
  ): Promise<QuarantinePreview> {
    const stored = await this.changeOf(eventId, given);
    const change = stored.change;
    const accountId = this.deps.settings.accountId ?? change.accountId;
    const target = quarantineTarget(change.actor, { ...this.deps.settings, accountId });
    const kind = 'refused' in target ? 'role' : target.kind;
    const applied = effectiveModes(modes, kind);
    const policyArn = quarantinePolicyArn(accountId, `${this.policyName}-<id>`);
    const document = this.document(applied, this.deps.clock.now());
    const preview: QuarantinePreview = {
      change,
      target,
      policyArn,
      document,
      modes: applied,
      options: QUARANTINE_MODES.map((mode) => {
        const availability = modeAvailability(mode, kind);
        return availability.available
          ? { mode, available: true }
          : { mode, available: false, why: availability.why };
      }),
      activeKeys: [],
      steps: [],
      cli: [],
      ...(this.deps.iam.dryRun ? { dryRun: true } : {}),
      alreadyQuarantined: false,
    };
    if ('refused' in target) {
      preview.refusal = target.refused;
      return preview;
    }
    const existing = stored.quarantine;
    const live =
      existing &&
      !isDeadClaim(existing, this.deps.clock.now()) &&
      !(existing.status === 'claimed' && ownClaimId !== undefined && existing.claimId === ownClaimId);
    if (existing && live && existing.status === 'claimed') {
      preview.existing = existing;
      preview.refusal = `a quarantine of this change by ${existing.by.name} is being applied now (since ${existing.at})`;
      return preview;
    }
    const entity: IamEntity = { kind: target.kind, name: target.name };
    let holder: QuarantineHolder | undefined;
    if (existing && live && existing.status === 'active') {
      preview.existing = existing;
      holder = { eventId, record: existing, eventTime: change.eventTime };
    } else {
      holder = await this.recordedQuarantineAmong(await this.deps.iam.listAttachedPolicies(entity), entity);
    }
    if (holder) return this.previewAdding(preview, holder, kind, ownClaimId);
    if (entity.kind === 'user') {
      preview.activeKeys = (await this.deps.iam.listAccessKeys(entity.name))
        .filter((key) => key.status === 'Active')
        .map((key) => key.id);
    }
    preview.steps.push(
      {
        action: 'iam:CreatePolicy',
        params: {
          PolicyName: `${this.policyName}-<id>`,
          Path: QUARANTINE_POLICY_PATH,
          PolicyDocument: JSON.stringify(document),
        },
      },
      attachStep(entity, policyArn, 'Attach'),
    );
    if (applied.includes('deactivate-keys')) {
      for (const key of preview.activeKeys) preview.steps.push(keyStep(entity.name, key, 'Inactive'));
    }
    preview.cli = preview.steps.map(toCliCommand);
    return preview;
  }

  /**
   * The preview of a principal already quarantined by `holder`: the modes in force, those that may be added and
   * those the previewed modes add, and the calls that add them — a new deny policy with every mode (this
   * quarantine's own, as each one has), attached before the one it replaces is detached and deleted, and the
   * user's active keys set Inactive when `deactivate-keys` is added. Refused while the quarantine is being lifted or
   * has modes added by another job, and when no mode is left to add.
   */
  private async previewAdding(
    preview: QuarantinePreview,
    holder: QuarantineHolder,
    kind: 'user' | 'role',
    ownId: string | undefined,
  ): Promise<QuarantinePreview> {
    const { record } = holder;
    const entity = record.target;
    const now = this.deps.clock.now();
    const inForce = effectiveModes(modesInForce(record), kind);
    // A user's active keys the quarantine does not list as turned off (made before its deny was attached, or one
    // whose deactivation failed): `deactivate-keys` is not done while one works, so a request for it sweeps them.
    const unlisted =
      entity.kind === 'user'
        ? (await this.deps.iam.listAccessKeys(entity.name))
            .filter((key) => key.status === 'Active' && !(record.deactivatedKeys ?? []).includes(key.id))
            .map((key) => key.id)
        : [];
    const { modes, adds, addable } = modesToAdd(inForce, preview.modes, kind, {
      keysLeftActive: unlisted.length > 0,
    });
    preview.alreadyQuarantined = true;
    preview.active = holder;
    preview.policyArn = record.policyArn;
    preview.inForce = inForce;
    preview.addable = addable;
    preview.adds = adds;
    preview.modes = modes;
    preview.document = this.document(modes, sessionsSince(record, now));
    const busy = this.busyWith(record, now, ownId);
    if (busy || preview.addable.length === 0) {
      preview.refusal =
        busy ??
        `${entityKey(entity)} is already quarantined${holder.eventId === preview.change.eventId ? ' for this change' : ''} by ${record.by.name} with every mode that applies to it (${inForce.join(', ')}): lift it from the alert when done`;
      return preview;
    }
    if (preview.addable.includes('deactivate-keys')) preview.activeKeys = unlisted;
    const newArn = quarantinePolicyArn(
      this.deps.settings.accountId ?? preview.change.accountId,
      `${this.policyName}-<id>`,
    );
    preview.steps.push(
      {
        action: 'iam:CreatePolicy',
        params: {
          PolicyName: `${this.policyName}-<id>`,
          Path: QUARANTINE_POLICY_PATH,
          PolicyDocument: JSON.stringify(preview.document),
        },
      },
      attachStep(entity, newArn, 'Attach'),
    );
    if (preview.adds.includes('deactivate-keys')) {
      for (const key of preview.activeKeys) preview.steps.push(keyStep(entity.name, key, 'Inactive'));
    }
    preview.steps.push(attachStep(entity, record.policyArn, 'Detach'));
    if (this.ownPolicy(record.policyArn))
      preview.steps.push({ action: 'iam:DeletePolicy', params: { PolicyArn: record.policyArn } });
    preview.cli = preview.steps.map(toCliCommand);
    return preview;
  }

  /** Why modes can't be added to the active quarantine `record` now (a lift on it, another job adding modes). */
  private busyWith(record: QuarantineRecord, now: Date, ownId: string | undefined): string | undefined {
    const principal = entityKey(record.target);
    if (record.lifting)
      return `the quarantine of ${principal} is being lifted, or a lift of it did not finish: no mode is added while a lift holds it, and the quarantine stays in force as it is meanwhile; look at the alert again once the lift is done`;
    const adding = record.addingModes;
    if (adding && adding.id !== ownId && adding.until >= now.toISOString())
      return `modes are being added to the quarantine of ${principal} by ${adding.by.name} now (since ${adding.at}): look at the alert again once that is done`;
    return undefined;
  }

  /**
   * What lifting the quarantine recorded on a change would do: detach its deny policy, delete that policy, set
   * the access keys it deactivated Active again — or why not (no quarantine on the change, one being applied,
   * already lifted, IAM unreadable). A quarantine whose policy is no longer attached is offered too: lifting it
   * records it lifted. Reads only. Throws
   * {@link ChangeNotFoundError} for an unknown event id. `given`: as for {@link prepare}.
   */
  async prepareLift(eventId: string, given?: RespondedChange): Promise<LiftPreview> {
    const stored = await this.changeOf(eventId, given);
    const record = stored.quarantine;
    const preview: LiftPreview = {
      change: stored.change,
      keysToRestore: [],
      steps: [],
      cli: [],
      ...(this.deps.iam.dryRun ? { dryRun: true } : {}),
    };
    if (record) preview.quarantine = record;
    if (!record) {
      preview.refusal = 'no quarantine is recorded on this change: nothing to lift';
      return preview;
    }
    preview.target = record.target;
    if (record.status === 'lifted') {
      const by = record.lifted ? ` by ${record.lifted.by.name} at ${record.lifted.at}` : '';
      preview.refusal = `the quarantine was already lifted${by}`;
      return preview;
    }
    if (record.status === 'claimed' && !isDeadClaim(record, this.deps.clock.now())) {
      preview.refusal = `the quarantine by ${record.by.name} is being applied now: lift it once it is done`;
      return preview;
    }
    const adding = liveAdding(record, this.deps.clock.now());
    if (adding) {
      preview.refusal = `modes are being added to the quarantine by ${adding.by.name} now: lift it once that is done`;
      return preview;
    }
    let attached: Awaited<ReturnType<IamGateway['listAttachedPolicies']>>;
    try {
      attached = await this.deps.iam.listAttachedPolicies(record.target);
    } catch (error: unknown) {
      preview.refusal = `the policies of ${entityKey(record.target)} could not be read (${message(error)})`;
      return preview;
    }
    const policy = this.recordedPolicy(attached, record);
    // What the quarantine's earlier jobs left: a policy replaced but not yet detached, dead jobs' denies and keys.
    let left: Awaited<ReturnType<QuarantineService['leftByAdding']>>;
    try {
      left = await this.leftByAdding(record, attached);
    } catch (error: unknown) {
      preview.refusal = `the quarantine policies of ${entityKey(record.target)} could not be read (${message(error)})`;
      return preview;
    }
    const leftSomething = left.deletable.length > 0 || left.keys.length > 0 || left.inline.length > 0;
    // A failed quarantine has something to lift only when it kept the deny of a dead claim it took over.
    if (record.status === 'failed' && !policy && !leftSomething) {
      preview.refusal = `the quarantine by ${record.by.name} failed (${record.error ?? 'see the audit log'}): nothing was attached to lift`;
      return preview;
    }
    // Only keys the store recorded the bot turned off (the lift also checks its own policy's description names them).
    preview.keysToRestore = (record.deactivatedKeys ?? []).filter((key) =>
      restorableKeys(record.keysTurnedOff).has(key),
    );
    // An active quarantine whose policy is no longer attached (detached by hand, or by a lift that died) is still
    // offered: the lift records it lifted — otherwise it would stay listed as quarantined for good — and deletes
    // the quarantine's own policy when it is still there.
    if (policy) {
      preview.policyArn = policy;
      preview.steps.push(attachStep(record.target, policy, 'Detach'));
      if (this.ownPolicy(policy))
        preview.steps.push({ action: 'iam:DeletePolicy', params: { PolicyArn: policy } });
    }
    if (!policy || record.status === 'claimed') {
      // A claim whose job died: the keys its policy's description names (it never recorded them).
      try {
        const own = this.ownPolicy(record.policyArn)
          ? await this.deps.iam.getManagedPolicy(record.policyArn)
          : null;
        if (own && !policy)
          preview.steps.push({ action: 'iam:DeletePolicy', params: { PolicyArn: record.policyArn } });
        if (own && record.status === 'claimed')
          preview.keysToRestore = restorableNamedBy(own, entityKey(record.target), record);
        if (!own && !policy && record.status === 'claimed' && !leftSomething) {
          preview.refusal = `the quarantine by ${record.by.name} never finished and left nothing in IAM: nothing to lift`;
          return preview;
        }
      } catch (error: unknown) {
        preview.refusal = `the quarantine policy ${record.policyArn} could not be read (${message(error)})`;
        return preview;
      }
    }
    for (const arn of left.policies) preview.steps.push(attachStep(record.target, arn, 'Detach'));
    for (const name of left.inline) preview.steps.push(inlineStep(record.target, name));
    for (const arn of left.deletable)
      preview.steps.push({ action: 'iam:DeletePolicy', params: { PolicyArn: arn } });
    preview.keysToRestore = unique([...preview.keysToRestore, ...left.keys]);
    for (const key of preview.keysToRestore) preview.steps.push(keyStep(record.target.name, key, 'Active'));
    preview.cli = preview.steps.map(toCliCommand);
    return preview;
  }

  /**
   * What the jobs of the quarantine `record` left in IAM besides its recorded policy: every policy claimed for it
   * (dead claims taken over one after another, additions of modes that died — however many took the last one's
   * claim over — and the one an addition is running with now, once its lease passed) and the policies additions
   * replaced, when still attached (`policies`, to detach) or still there (`deletable`), with the keys those
   * policies' descriptions name — the bot's own record, in IAM, of which keys each job was to turn off.
   */
  private async leftByAdding(
    record: QuarantineRecord,
    attached: { arn: string }[],
  ): Promise<{
    policies: string[];
    deletable: string[];
    keys: string[];
    inline: string[];
    stranded: { key: string; policyArn: string }[];
  }> {
    const candidates = unique(
      [
        ...(record.claimedPolicies ?? []).map((entry) => entry.policyArn),
        record.addingModes?.policyArn,
        ...(record.modesAdded ?? []).map((entry) => entry.replacedPolicyArn),
      ].filter((arn): arn is string => arn !== undefined && arn !== record.policyArn && this.ownPolicy(arn)),
    );
    const policies = candidates.filter((arn) => attached.some((item) => item.arn === arn));
    // Keys only from the policies of jobs that never recorded what they did: a recorded job's keys are in the
    // record (checked against its policy's description), and one it failed to turn off is not the lift's to turn on.
    const unrecorded = diedUnrecorded(record);
    if (record.addingModes) unrecorded.add(record.addingModes.policyArn);
    const dead = await this.leftByEarlierJobs(
      record.target,
      candidates.filter((arn) => unrecorded.has(arn)),
      record,
    );
    const rest = await this.leftByEarlierJobs(
      record.target,
      candidates.filter((arn) => !unrecorded.has(arn)),
      record,
    );
    const failed = dead.warnings[0] ?? rest.warnings[0];
    if (failed) throw new Error(failed);
    const deletable = unique([...policies, ...dead.existing, ...rest.existing]);
    // The inline denies additions put when the attachment limit refused a managed one (recorded, or a dead job's).
    const inline: string[] = [];
    for (const name of unique([
      ...(record.inlinePolicyName ? [record.inlinePolicyName] : []),
      ...inlineNames(record.claimedPolicies ?? []),
      ...(record.addingModes ? [policyNameOf(record.addingModes.policyArn)] : []),
    ])) {
      if (await this.deps.iam.getInlinePolicy(record.target, name)) inline.push(name);
    }
    // The keys a recorded job's deny names are the record's to restore: any other it names is left and said.
    return {
      policies,
      deletable,
      keys: dead.keys,
      inline,
      stranded: [...dead.stranded, ...rest.stranded, ...rest.named],
    };
  }

  /**
   * Quarantines the change's caller with `modes` (`deny-iam` always; `deactivate-keys` for IAM users only) — or,
   * when the bot already holds a quarantine of it, adds the modes it lacks to that one (`modes-added`; see
   * {@link addModes}) or answers `already-quarantined` with the modes in force when none are asked beyond them:
   * claims the change's quarantine (a second, concurrent one gets `already-claimed`), creates the quarantine's
   * own deny policy, attaches it, reads the attachment back, deactivates the user's active access keys when asked
   * (recording which), records it on the change and audits it. Refusals are audited too. `given`: as for
   * {@link prepare}, but only a hint: the fleet runner reads every member before its loop, so by a member's turn
   * the quarantine it saw claimed may have failed. A refusal is never decided on it: when it shows a quarantine
   * being applied or holding, the change is read again here; when it shows none, the store's conditional claim
   * decides.
   */
  async quarantine(
    eventId: string,
    by: AuditActor,
    reason: string,
    modes?: readonly QuarantineMode[],
    given?: RespondedChange,
    attempt?: string,
  ): Promise<QuarantineOutcome> {
    const claimId = attempt ? attemptClaimId(attempt, eventId) : randomUUID();
    let preview: QuarantinePreview;
    try {
      preview = await this.preview(eventId, modes, given, claimId);
      if (preview.existing && given) preview = await this.preview(eventId, modes, undefined, claimId);
    } catch (error: unknown) {
      if (error instanceof ChangeNotFoundError) throw error;
      const text = `could not read IAM: ${message(error)}`;
      await this.audit(by, 'quarantine', eventId, undefined, reason, 'failed', { error: text });
      return { status: 'failed', error: text };
    }
    const { target } = preview;
    if ('refused' in target) {
      await this.audit(by, 'quarantine-refused', eventId, undefined, reason, `refused: ${target.refused}`);
      return { status: 'refused', reason: target.refused };
    }
    const entity: IamEntity = { kind: target.kind, name: target.name };
    if (preview.active) return this.quarantinedAlready(eventId, preview, preview.active, by, reason, claimId);
    if (preview.existing) return this.alreadyClaimed(by, eventId, entity, reason, preview.existing);
    const now = this.deps.clock.now();
    const accountId = this.deps.settings.accountId ?? preview.change.accountId;
    // Each attempt names its own policy, a retry of the same job too: what an earlier attempt attached is cleared
    // only once this attempt's deny is attached, never before (a re-creation under the same name could fail and
    // leave the principal with no deny).
    const name = quarantinePolicyName(this.policyName, randomUUID());
    const policyArn = quarantinePolicyArn(accountId, name);
    const record: QuarantineRecord = {
      status: 'claimed',
      claimId,
      target: entity,
      policyArn,
      modes: preview.modes,
      by,
      reason,
      at: now.toISOString(),
      ...(this.deps.iam.dryRun ? { dryRun: true } : {}),
    };
    const claim = await this.deps.store.claimQuarantine(
      eventId,
      { ...record, until: new Date(now.getTime() + QUARANTINE_CLAIM_LEASE_MS).toISOString() },
      now,
    );
    if (!claim.claimed) return this.alreadyClaimed(by, eventId, entity, reason, claim.existing);
    const job: QuarantineJob = { kind: 'quarantine', id: claimId };
    // What earlier jobs recorded as they acted, as the claim found it (none of them may append to it now).
    const ledger: Ledger = claim;
    // Claims taken over (jobs that died, a retry of this one, a quarantine that failed keeping a dead job's deny):
    // every policy claimed for this quarantine before is listed. The keys their descriptions name are carried over
    // so the lift still restores them, and what they left in IAM is cleared once this quarantine's own deny is
    // attached (no moment unfenced; each attempt has a policy of its own).
    const leftover = await this.leftByEarlierJobs(
      entity,
      claim.claimedPolicies.map((entry) => entry.policyArn).filter((arn) => arn !== policyArn),
      ledger,
    );
    // When the keys cannot be listed, no key of the earlier jobs is carried: their denies are kept (not cleared),
    // their descriptions the list of the keys they turned off, which the lift names for a responder to check.
    let unlisted = false;
    const clearLater = async (): Promise<string[]> =>
      unlisted && leftover.keys.length > 0
        ? [
            `the access keys could not be listed, so the keys earlier unfinished attempts turned off (${leftover.keys.join(', ')}) were not carried over: their denies (${leftover.existing.join(', ')}) are kept, not cleared, and the lift names those keys to turn on by hand after checking`,
          ]
        : this.clearReplaced(entity, leftover.existing);

    const document = this.document(preview.modes, now);
    // The keys to deactivate are chosen now and named in the policy's description, in IAM: the lift reactivates
    // only keys named there, whatever the table says.
    const recordedOff = restorableKeys(ledger.keysTurnedOff);
    const keysListed =
      preview.modes.includes('deactivate-keys') || leftover.keys.length > 0 || recordedOff.size > 0
        ? await this.activeKeys(entity.name, preview.change.eventTime)
        : { ids: [], inactive: [], minted: [], warnings: [], listed: true };
    // A key an earlier job recorded turning off that is on now was turned on by someone since: recorded as found
    // on, so no earlier job's record of it restores it later (only this job turning it off again would).
    const notFoundOn = await this.recordFoundOn(
      eventId,
      job,
      keysListed.ids.filter((id) => recordedOff.has(id)),
    );
    unlisted = !keysListed.listed;
    if (!preview.modes.includes('deactivate-keys')) keysListed.ids = [];
    // Keys made during the incident are turned off but never named as the bot's to restore.
    const toRestoreLater = keysListed.ids.filter((id) => !keysListed.minted.includes(id));
    // Only a key that is off now: one an earlier job recorded but someone turned on since is not carried.
    const carried = leftover.keys.filter(
      (id) => !keysListed.ids.includes(id) && keysListed.inactive.includes(id),
    );
    keysListed.warnings.unshift(...leftover.warnings);
    let created = false;
    let attachedPolicy = false;
    try {
      // Before anything is made: going on would leave an earlier job's record of a key someone turned on again
      // standing, and a lift could turn that key on after a responder turns it off. The claim is held here, so
      // only a store error gets here; the job fails as any other, keeping what earlier jobs left attached.
      if (notFoundOn.length > 0) throw new Error(foundOnUnrecorded(notFoundOn));
      if (policySize(document) > MANAGED_POLICY_MAX_CHARS) {
        throw new Error(
          `the deny document is ${policySize(document)} characters, over IAM's ${MANAGED_POLICY_MAX_CHARS}: shorten the bot surface settings`,
        );
      }
      const made = await this.deps.iam.createManagedPolicy({
        name,
        path: QUARANTINE_POLICY_PATH,
        document,
        description: quarantinePolicyDescription(entityKey(entity), eventId, [...toRestoreLater, ...carried]),
      });
      created = true;
      await this.recordCreated(eventId, job, policyArn, made);
      await this.deps.iam.attachManagedPolicy(entity, policyArn);
      attachedPolicy = true;
      const attached = await this.deps.iam.listAttachedPolicies(entity);
      if (!attached.some((item) => item.arn === policyArn)) {
        throw new Error(`${policyArn} is not listed on ${entityKey(entity)} after attaching it`);
      }
    } catch (error: unknown) {
      const limit = await this.attachLimit(entity, error, [policyArn]);
      const text = limit
        ? `${limit.why}: detach one of its other policies by hand, then quarantine it again`
        : (policyQuota(error) ?? message(error));
      const warnings = created && !attachedPolicy ? await this.removePolicy(policyArn) : [];
      // What dead claims taken over left in IAM stays when this deny did not get attached: their policy may be the
      // only deny the principal has, and its description the only list of the keys it deactivated. The failure is
      // recorded over the latest of them (the others stay listed as claimed), so a lift finds them and restores
      // those keys.
      // Also when this deny was attached but not read back (the read-back failed, or did not list it): only a
      // confirmed attachment may replace theirs, and a confirmed one never gets here. What this job attached, if
      // anything, stays listed as claimed for the lift to find.
      const kept = leftover.existing.at(-1);
      if (attachedPolicy && kept)
        warnings.push(
          `${policyArn} was attached but not confirmed, so ${kept} (an earlier attempt's deny) is kept attached beside it: the lift detaches both`,
        );
      // Only the dead claims' keys that are off now, as on success: one someone turned on since is not theirs.
      const offStill = leftover.keys.filter((id) => keysListed.inactive.includes(id));
      if (!kept) warnings.push(...(await clearLater()));
      const failed: QuarantineRecord = {
        ...record,
        status: 'failed',
        error: text,
        ...(kept ? { policyArn: kept } : {}),
        ...(kept && offStill.length > 0 ? { deactivatedKeys: offStill } : {}),
      };
      if (warnings.length > 0) failed.warnings = warnings;
      await this.deps.store.recordQuarantine(eventId, failed, this.deps.clock.now());
      await this.audit(by, 'quarantine', eventId, entity, reason, 'failed', {
        error: text,
        policyArn,
        ...(limit ? { attachedPolicies: limit.attached } : {}),
      });
      return {
        status: 'failed',
        error: text,
        target: entity,
        policyArn,
        ...(limit ? { attachedPolicies: limit.attached } : {}),
      };
    }

    const { deactivated, keptOff, warnings } = await this.deactivateKeys(
      eventId,
      job,
      entity.name,
      keysListed.ids,
      keysListed.minted,
    );
    // Carried keys are recorded again under this claim, whose policy now names them: a key is restored only
    // through a policy of the job that recorded it.
    const reRecorded = await this.recordCarried(eventId, job, carried);
    deactivated.push(...reRecorded.recorded);
    warnings.push(...reRecorded.warnings);
    warnings.unshift(...keysListed.warnings, ...(await clearLater()));
    const active: QuarantineRecord = { ...record, status: 'active' };
    if (deactivated.length > 0) active.deactivatedKeys = deactivated;
    if (keptOff.length > 0) active.keysKeptOff = keptOff;
    if (warnings.length > 0) active.warnings = warnings;
    await this.deps.store.recordQuarantine(eventId, active, this.deps.clock.now());
    await this.audit(by, 'quarantine', eventId, entity, reason, 'done', {
      policyArn,
      modes: preview.modes,
      deactivatedKeys: deactivated,
      ...(warnings.length > 0 ? { warnings } : {}),
    });
    return {
      status: 'done',
      target: entity,
      policyArn,
      modes: preview.modes,
      deactivatedKeys: deactivated,
      warnings,
      ...(this.deps.iam.dryRun ? { dryRun: true } : {}),
    };
  }

  /**
   * A request for a principal already quarantined by `holder`: the modes it asks for beyond those in force are
   * added ({@link addModes}); asking for none, the answer is "already quarantined" with the modes in force ("already
   * claimed" on the change that holds it, as before) — or, for a retry of a job that added them, what it did.
   */
  private async quarantinedAlready(
    eventId: string,
    preview: QuarantinePreview,
    holder: QuarantineHolder,
    by: AuditActor,
    reason: string,
    id: string,
  ): Promise<QuarantineOutcome> {
    const { record } = holder;
    const entity = record.target;
    if ((preview.adds ?? []).length > 0) {
      const busy = this.busyWith(record, this.deps.clock.now(), id);
      if (busy) {
        await this.audit(by, 'quarantine-refused', eventId, entity, reason, `refused: ${busy}`);
        return { status: 'refused', reason: busy };
      }
      return this.addModes(eventId, preview, holder, by, reason, id);
    }
    const done = record.modesAdded?.find((entry) => entry.id === id);
    if (done) return this.modesAddedBefore(holder, done);
    if (holder.eventId === eventId) return this.alreadyClaimed(by, eventId, entity, reason, record);
    const modes = modesInForce(record);
    await this.audit(by, 'quarantine', eventId, entity, reason, 'already-quarantined', {
      policyArn: record.policyArn,
      quarantinedFor: holder.eventId,
      modes,
    });
    return {
      status: 'already-quarantined',
      target: entity,
      policyArn: record.policyArn,
      quarantinedFor: holder.eventId,
      modes,
    };
  }

  /**
   * A retry of a job whose modes were added: nothing is added again; what the addition left of the policy it
   * replaced (a job that died before detaching it) is cleared, and the outcome is told again.
   */
  private async modesAddedBefore(
    holder: QuarantineHolder,
    done: QuarantineModesAdded,
  ): Promise<QuarantineOutcome> {
    const entity = holder.record.target;
    const left = [done.replacedPolicyArn].filter((arn) => arn !== holder.record.policyArn);
    const warnings = [...(done.warnings ?? []), ...(await this.clearReplaced(entity, left))];
    return {
      status: 'modes-added',
      target: entity,
      quarantinedFor: holder.eventId,
      policyArn: done.policyArn,
      added: done.added,
      modes: modesInForce(holder.record),
      deactivatedKeys: done.deactivatedKeys ?? [],
      warnings,
      ...(this.deps.iam.dryRun ? { dryRun: true } : {}),
    };
  }

  /**
   * Adds the modes `preview.adds` to the active quarantine of `holder`, under the same discipline as a quarantine:
   * the right to add them is claimed on the quarantine's record first (a conditional write: still that quarantine
   * and that policy, no lift on it, no other job adding modes — a concurrent request is refused, a retry of this
   * job takes its own claim over). Then a new deny policy with every mode in force is created, its description
   * naming every key the quarantine has turned off (those it turned off before, as the lift trusts them, and those
   * it turns off now), attached and read back; the user's active keys are set Inactive when `deactivate-keys` is
   * added (a key already inactive is never recorded, so the lift never turns it on); the record is written with
   * the new policy, the modes and the keys (only while the claim holds); and only then is the policy it replaced
   * detached and deleted, so the principal is fenced in at every moment and the record always names an attached
   * deny. Every addition's policy is listed on the quarantine when it claims (a list only ever appended to), so a
   * job that dies half-way — or several in a row, each taking the last one's claim over — is never lost: the next
   * addition carries over the keys those policies name and clears them, and a lift after the lease detaches them and
   * restores those keys. `deactivate-keys` already in force is added again while the user has an active key the
   * quarantine does not list: the request sweeps it. When IAM refuses the new deny for the principal's attachment
   * limit, nothing is added and the answer names the principal's other attached policies.
   */
  private async addModes(
    eventId: string,
    preview: QuarantinePreview,
    holder: QuarantineHolder,
    by: AuditActor,
    reason: string,
    id: string,
  ): Promise<QuarantineOutcome> {
    const { record } = holder;
    const entity = record.target;
    const principal = entityKey(entity);
    const added = preview.adds ?? [];
    const modes = preview.modes;
    const now = this.deps.clock.now();
    const accountId = this.deps.settings.accountId ?? preview.change.accountId;
    const policyArn = quarantinePolicyArn(accountId, quarantinePolicyName(this.policyName, randomUUID()));
    const name = policyArn.slice(policyArn.lastIndexOf('/') + 1);
    const adding: QuarantineModesAdding = {
      id,
      until: new Date(now.getTime() + QUARANTINE_CLAIM_LEASE_MS).toISOString(),
      policyArn,
      modes: added,
      by,
      at: now.toISOString(),
    };
    const details = { quarantinedFor: holder.eventId, adding: added };
    const claim = await this.deps.store.claimModesAdding(holder.eventId, record, adding, now);
    if (!claim.claimed) return this.notAdded(eventId, holder, preview, by, reason, id);
    // Every policy an earlier addition claimed (jobs that died, one after another, each taking the last one's claim
    // over; one whose deny could not be detached after it failed): what they left is carried over and cleared.
    const earlier = unique(
      claim.claimedPolicies
        .map((entry) => entry.policyArn)
        .filter((arn) => arn !== policyArn && arn !== record.policyArn),
    );
    const giveBack = async (): Promise<void> => {
      try {
        // The policies claimed stay listed: a lift still finds what a dead earlier addition left.
        await this.deps.store.releaseModesAdding(holder.eventId, id);
      } catch {
        // Held until its lease ends: nothing was added, and a lift or another request may run after that.
      }
    };

    const warnings: string[] = [];
    const job: QuarantineJob = { kind: 'adding', id };
    // The keys the quarantine turned off so far, as a lift trusts them: named in its record, recorded by the store
    // as turned off by the bot, and in its policy's description (the bot's own policy, by its recorded id); and
    // those a dead earlier attempt recorded and its policy names.
    let kept: string[];
    let leftover: string[] = [];
    let keys: AccessKey[] = [];
    // When the incident began: the quarantined change's event time (as read with the quarantine that holds), else
    // the quarantine's own. A key made since is turned off, never handed back.
    const since = holder.eventTime ?? record.at;
    try {
      // As the claim found it: no earlier job of the quarantine may append to it now.
      const ledger: Ledger = claim;
      const current = await this.deps.iam.getManagedPolicy(record.policyArn);
      const named = restorableNamedBy(current, principal, ledger);
      kept = (record.deactivatedKeys ?? []).filter((key) => named.includes(key));
      for (const key of (record.deactivatedKeys ?? []).filter((item) => !named.includes(item)))
        warnings.push(`access key ${key} is not named by the quarantine policy in IAM: not carried over`);
      const dead = diedUnrecorded({ ...record, claimedPolicies: claim.claimedPolicies });
      const left = await this.leftByEarlierJobs(
        entity,
        earlier.filter((arn) => dead.has(arn)),
        ledger,
      );
      warnings.push(...left.warnings);
      leftover = left.keys.filter((key) => !kept.includes(key));
      if (
        entity.kind === 'user' &&
        (added.includes('deactivate-keys') ||
          leftover.length > 0 ||
          restorableKeys(ledger.keysTurnedOff).size > 0)
      )
        keys = await this.deps.iam.listAccessKeys(entity.name);
    } catch (error: unknown) {
      await giveBack();
      const text = `could not read IAM: ${message(error)}`;
      await this.audit(by, 'quarantine', eventId, entity, reason, 'failed', { error: text, ...details });
      return { status: 'failed', error: text, target: entity, policyArn: record.policyArn };
    }
    // A key an earlier job recorded turning off that is on now was turned on by someone since: recorded as found
    // on (no earlier job's record of it restores it later), and neither kept nor carried.
    const recordedOff = restorableKeys(claim.keysTurnedOff);
    const onNow = keys.filter((key) => key.status === 'Active').map((key) => key.id);
    const notFoundOn = await this.recordFoundOn(
      holder.eventId,
      job,
      onNow.filter((id) => recordedOff.has(id)),
    );
    if (notFoundOn.length > 0) {
      // Nothing made yet: the quarantine holds as it was, and a later request records the keys found on.
      await giveBack();
      const text = `no mode was added: ${foundOnUnrecorded(notFoundOn)}`;
      await this.audit(by, 'quarantine', eventId, entity, reason, 'failed', { error: text, ...details });
      return { status: 'failed', error: text, target: entity, policyArn: record.policyArn };
    }
    kept = kept.filter((id) => !onNow.includes(id));
    const toDeactivate = added.includes('deactivate-keys')
      ? keys.filter((key) => key.status === 'Active' && !kept.includes(key.id)).map((key) => key.id)
      : [];
    const minted = mintedSince(
      keys.filter((key) => toDeactivate.includes(key.id)),
      since,
    );
    // Only a leftover key that is off now: one the dead attempt never reached is not the bot's to turn on.
    const carried = leftover.filter(
      (id) => !toDeactivate.includes(id) && keys.some((key) => key.id === id && key.status === 'Inactive'),
    );
    const document = this.document(modes, sessionsSince(record, now));
    let created = false;
    let attachedPolicy = false;
    try {
      if (policySize(document) > MANAGED_POLICY_MAX_CHARS) {
        throw new Error(
          `the deny document is ${policySize(document)} characters, over IAM's ${MANAGED_POLICY_MAX_CHARS}: shorten the bot surface settings`,
        );
      }
      const made = await this.deps.iam.createManagedPolicy({
        name,
        path: QUARANTINE_POLICY_PATH,
        document,
        description: quarantinePolicyDescription(
          principal,
          holder.eventId,
          unique([...kept, ...carried, ...toDeactivate.filter((id) => !minted.includes(id))]),
        ),
      });
      created = true;
      await this.recordCreated(holder.eventId, job, policyArn, made);
      await this.deps.iam.attachManagedPolicy(entity, policyArn);
      attachedPolicy = true;
      const attached = await this.deps.iam.listAttachedPolicies(entity);
      if (!attached.some((item) => item.arn === policyArn)) {
        throw new Error(`${policyArn} is not listed on ${principal} after attaching it`);
      }
    } catch (error: unknown) {
      const limit = await this.attachLimit(entity, error, [record.policyArn, policyArn]);
      const problems: string[] = [];
      let off = !attachedPolicy;
      if (attachedPolicy) {
        try {
          await this.deps.iam.detachManagedPolicy(entity, policyArn);
          off = true;
        } catch (detachError: unknown) {
          problems.push(
            `${policyArn} could not be detached (${message(detachError)}): a lift detaches it once this request's lease passed`,
          );
        }
      }
      if (created && off) problems.push(...(await this.removePolicy(policyArn)));
      // "Holds as it was" only when the recorded deny is among the policies attached now, as IAM lists them.
      const holding = await this.holding(entity, record.policyArn);
      const why = limit?.why ?? policyQuota(error) ?? message(error);
      const text = limit
        ? `no mode was added: ${why}. ${holding.holds ? `The quarantine holds as it was: ${record.policyArn} stays attached, with ${modesInForce(record).join(', ')}` : holding.words}. Detach one of its other policies by hand, then ask again`
        : `no mode was added (${why}); ${holding.holds ? 'the quarantine holds as it was' : holding.words}`;
      // Only revoke-sessions, with no key to record, can do without a new managed deny: an inline one takes no slot.
      // Never beside a managed deny that is not attached: an inline revoke-sessions alone would pass for a quarantine.
      if (
        limit &&
        off &&
        holding.holds &&
        added.every((mode) => mode === 'revoke-sessions') &&
        carried.length === 0
      ) {
        const inline = await this.addInline({
          eventId,
          holder,
          by,
          reason,
          id,
          name,
          modes,
          added,
          earlier,
          claimed: claim.claimedPolicies,
          warnings: [...warnings, ...problems],
          why: limit.why,
        });
        if (inline) return inline;
      }
      // Given back only when nothing of it is attached; else its claim names the policy for the lift to find.
      if (off) await giveBack();
      await this.audit(by, 'quarantine', eventId, entity, reason, 'failed', {
        error: text,
        ...details,
        policyArn,
        ...(limit ? { attachedPolicies: limit.attached } : {}),
        ...(problems.length > 0 ? { warnings: problems } : {}),
      });
      return {
        status: 'failed',
        error: text,
        target: entity,
        policyArn: record.policyArn,
        ...(limit ? { attachedPolicies: limit.attached } : {}),
      };
    }

    const turnedOff = await this.deactivateKeys(holder.eventId, job, entity.name, toDeactivate, minted);
    warnings.push(...turnedOff.warnings);
    // The keys kept and carried over are recorded again under this addition, whose policy now names them (the
    // replaced policies are deleted): a key is restored only through a policy of the job that recorded it.
    const reRecorded = await this.recordCarried(holder.eventId, job, unique([...kept, ...carried]));
    warnings.push(...reRecorded.warnings);
    kept = kept.filter((key) => reRecorded.recorded.includes(key));
    const newKeys = [...turnedOff.deactivated, ...carried.filter((key) => reRecorded.recorded.includes(key))];
    const entry: QuarantineModesAdded = {
      id,
      by,
      reason,
      at: now.toISOString(),
      added,
      eventId,
      policyArn,
      replacedPolicyArn: record.policyArn,
      ...(newKeys.length > 0 ? { deactivatedKeys: newKeys } : {}),
      ...(warnings.length > 0 ? { warnings: [...warnings] } : {}),
    };
    const {
      addingModes: _held,
      deactivatedKeys: _keys,
      inlinePolicyName: _inline,
      keysKeptOff: _keptOff,
      ...rest
    } = record;
    const allKeys = unique([...kept, ...newKeys]);
    const keptOff = unique([...(record.keysKeptOff ?? []), ...turnedOff.keptOff]);
    const updated: QuarantineRecord = {
      ...rest,
      policyArn,
      modes,
      ...(allKeys.length > 0 ? { deactivatedKeys: allKeys } : {}),
      ...(keptOff.length > 0 ? { keysKeptOff: keptOff } : {}),
      modesAdded: [...(record.modesAdded ?? []), entry],
    };
    const lost = await this.recordAddition(
      { by, eventId, entity, reason },
      { holderId: holder.eventId, updated, id, replaced: record.policyArn },
      { ...details, policyArn },
      policyArn,
    );
    if (lost) return lost;
    // The new deny holds and is recorded: the one it replaced, and what dead earlier attempts left, go now.
    warnings.push(...(await this.clearReplaced(entity, [record.policyArn, ...earlier])));
    // The new deny holds every mode: an inline deny an earlier addition put (or a dead one left) goes too.
    warnings.push(...(await this.clearInline(entity, inlineNames(claim.claimedPolicies, [name]))));
    await this.audit(by, 'quarantine', eventId, entity, reason, 'modes-added', {
      quarantinedFor: holder.eventId,
      added,
      modes,
      policyArn,
      replacedPolicyArn: record.policyArn,
      deactivatedKeys: newKeys,
      ...(warnings.length > 0 ? { warnings } : {}),
    });
    return {
      status: 'modes-added',
      target: entity,
      quarantinedFor: holder.eventId,
      policyArn,
      added,
      modes,
      deactivatedKeys: newKeys,
      warnings,
      ...(this.deps.iam.dryRun ? { dryRun: true } : {}),
    };
  }

  /**
   * `revoke-sessions` added as an inline deny on the principal, when IAM refused a new managed deny for its limit on
   * attached managed policies: the managed deny in force stays as it is, and an inline policy (named like this
   * addition's own policy, which the claimed list names) holds the `revoke-sessions` statement. Put, read back, and
   * recorded (while the addition's claim holds); `undefined` when it could not be put (nothing added: the caller
   * gives the claim back and fails). A lift deletes it; a later addition folds it into its managed deny.
   */
  private async addInline(given: {
    eventId: string;
    holder: QuarantineHolder;
    by: AuditActor;
    reason: string;
    id: string;
    name: string;
    modes: QuarantineMode[];
    added: QuarantineMode[];
    earlier: string[];
    claimed: readonly ClaimedQuarantinePolicy[];
    warnings: string[];
    why: string;
  }): Promise<QuarantineOutcome | undefined> {
    const { eventId, holder, by, reason, id, name, modes, added } = given;
    const { record } = holder;
    const entity = record.target;
    const now = this.deps.clock.now();
    const put = inlineStep(entity, name, sessionsDenyDocument(sessionsSince(record, now)));
    try {
      await this.deps.iam.execute(put);
      if (!(await this.deps.iam.getInlinePolicy(entity, name)))
        throw new Error(`${name} is not on ${entityKey(entity)} after putting it`);
    } catch (error: unknown) {
      // Whatever of it got there is deleted, or left for the lift (the claimed list names it).
      await this.clearInline(entity, [name]);
      given.warnings.push(`the inline deny ${name} could not be put either (${message(error)})`);
      return undefined;
    }
    const warnings = [
      `${given.why}: revoke-sessions was added as the inline deny ${name} instead (no slot needed); ${record.policyArn} still holds the other modes`,
      ...given.warnings,
    ];
    const entry: QuarantineModesAdded = {
      id,
      by,
      reason,
      at: now.toISOString(),
      added,
      eventId,
      policyArn: record.policyArn,
      replacedPolicyArn: record.policyArn,
      inlinePolicyName: name,
      warnings: [...warnings],
    };
    const { addingModes: _held, ...rest } = record;
    const updated: QuarantineRecord = {
      ...rest,
      modes,
      inlinePolicyName: name,
      modesAdded: [...(record.modesAdded ?? []), entry],
    };
    const details = { quarantinedFor: holder.eventId, adding: added, inlinePolicyName: name };
    const lost = await this.recordAddition(
      { by, eventId, entity, reason },
      { holderId: holder.eventId, updated, id, replaced: record.policyArn },
      details,
      record.policyArn,
    );
    if (lost) return lost;
    warnings.push(...(await this.clearReplaced(entity, given.earlier)));
    warnings.push(...(await this.clearInline(entity, inlineNames(given.claimed, [name]))));
    await this.audit(by, 'quarantine', eventId, entity, reason, 'modes-added', {
      ...details,
      modes,
      policyArn: record.policyArn,
      deactivatedKeys: [],
      warnings,
    });
    return {
      status: 'modes-added',
      target: entity,
      quarantinedFor: holder.eventId,
      policyArn: record.policyArn,
      added,
      modes,
      deactivatedKeys: [],
      warnings,
      ...(this.deps.iam.dryRun ? { dryRun: true } : {}),
    };
  }

  /** Deletes from `entity` the inline denies named (those still there); what went wrong, in words. */
  private async clearInline(entity: IamEntity, names: readonly string[]): Promise<string[]> {
    const warnings: string[] = [];
    for (const name of unique(names)) {
      try {
        if (!(await this.deps.iam.getInlinePolicy(entity, name))) continue;
        await this.deps.iam.execute(inlineStep(entity, name));
      } catch (error: unknown) {
        warnings.push(
          `the inline deny ${name} on ${entityKey(entity)} could not be deleted (${message(error)}): the lift deletes it`,
        );
      }
    }
    return warnings;
  }

  /**
   * The claim to add modes was not taken: the quarantine changed since it was read. Read again: the modes may be
   * in force now (another request added them: "already quarantined"), or why not, in words.
   */
  private async notAdded(
    eventId: string,
    holder: QuarantineHolder,
    preview: QuarantinePreview,
    by: AuditActor,
    reason: string,
    id: string,
  ): Promise<QuarantineOutcome> {
    const entity = holder.record.target;
    const now = (await this.deps.store.getChange(holder.eventId))?.quarantine;
    const same =
      now?.status === 'active' &&
      now.claimId === holder.record.claimId &&
      entityKey(now.target) === entityKey(entity);
    if (same && preview.modes.every((mode) => modesInForce(now).includes(mode))) {
      return this.quarantinedAlready(
        eventId,
        { ...preview, adds: [] },
        { ...holder, record: now },
        by,
        reason,
        id,
      );
    }
    const why =
      (same ? this.busyWith(now, this.deps.clock.now(), id) : undefined) ??
      `the quarantine of ${entityKey(entity)} changed while this request ran (lifted, or modes added since): look at the alert again`;
    await this.audit(by, 'quarantine-refused', eventId, entity, reason, `refused: ${why}`, {
      quarantinedFor: holder.eventId,
    });
    return { status: 'refused', reason: why };
  }

  /** Detaches from `entity` and deletes the replaced deny policies given (own ones only are deleted); what went wrong. */
  private async clearReplaced(entity: IamEntity, arns: readonly (string | undefined)[]): Promise<string[]> {
    const warnings: string[] = [];
    for (const arn of unique(arns.filter((item): item is string => item !== undefined))) {
      try {
        const attached = await this.deps.iam.listAttachedPolicies(entity);
        if (attached.some((item) => item.arn === arn)) await this.deps.iam.detachManagedPolicy(entity, arn);
      } catch (error: unknown) {
        warnings.push(
          `${arn}, which the new deny replaces, could not be detached (${message(error)}): the lift detaches it`,
        );
        continue;
      }
      if (this.ownPolicy(arn) && (await this.deps.iam.getManagedPolicy(arn).catch(() => null)))
        warnings.push(...(await this.removePolicy(arn)));
    }
    return warnings;
  }

  /**
   * Lifts a quarantine: detaches the bot's deny policy from the principal recorded on the change (or the one
   * given), reads it back, deletes the quarantine's own policy, and sets Active again the access keys the
   * quarantine recorded as deactivated (only those, and only while they still exist). Lifting by principal
   * restores no keys: no record says which were the bot's. Audited; recorded on the change when lifted by event id.
   * A lift by event id first claims the right to lift the quarantine it read (a conditional write on the change:
   * still that quarantine, active or failed, and no other lift running), so a lift working from an older read —
   * the quarantine lifted since, or made again — or beside another lift changes nothing in IAM and is refused;
   * the claim is given back when the lift does not happen. `given`: the change as the job already read it, for a
   * lift by event id (not read again; a refusal is never decided on it). `attempt`: what identifies this lift
   * across retries — the job's delivery id, the same for every redelivery of one job — so a retry of a lift that
   * died after claiming takes its own claim over and finishes it (a fresh id when none is given).
   */
  async lift(
    subject: LiftSubject,
    by: AuditActor,
    reason: string,
    given?: RespondedChange,
    attempt?: string,
  ): Promise<LiftOutcome> {
    let entity: IamEntity;
    let eventId: string | undefined;
    let recorded: QuarantineRecord | undefined;
    if ('eventId' in subject) {
      eventId = subject.eventId;
      let stored = await this.changeOf(subject.eventId, given);
      // A handed-in read is a hint (as for quarantine): a refusal is decided on the change as it is now, so it is
      // read again unless it shows a quarantine a lift acts on (whose claim the store checks before IAM is touched).
      const actionable = stored.quarantine?.status === 'active' || stored.quarantine?.status === 'failed';
      if (given && !actionable) stored = await this.changeOf(subject.eventId);
      recorded = stored.quarantine;
      if (!recorded) {
        // Never every bot policy on the caller: those are other changes' quarantines, each lifted from its own.
        const refusal = 'no quarantine is recorded on this change: nothing to lift';
        await this.audit(by, 'lift-quarantine', eventId, undefined, reason, `refused: ${refusal}`);
        return { status: 'refused', reason: refusal };
      }
      // A claim whose job died is lifted as a failed quarantine: only its own policy, if it got that far.
      if (recorded?.status === 'claimed' && !isDeadClaim(recorded, this.deps.clock.now())) {
        const refusal = `the quarantine by ${recorded.by.name} is being applied now: lift it once it is done`;
        await this.audit(by, 'lift-quarantine', eventId, recorded.target, reason, `refused: ${refusal}`);
        return { status: 'refused', reason: refusal };
      }
      const adding = liveAdding(recorded, this.deps.clock.now());
      if (adding) {
        const refusal = `modes are being added to the quarantine by ${adding.by.name} now: lift it once that is done`;
        await this.audit(by, 'lift-quarantine', eventId, recorded.target, reason, `refused: ${refusal}`);
        return { status: 'refused', reason: refusal };
      }
      entity = recorded.target;
    } else {
      entity = subject.principal;
    }
    let liftId: string | undefined;
    if (eventId && recorded) {
      // The right to lift this very quarantine, taken before IAM is touched: a lift that read an older record (a
      // quarantine lifted since, or made again since) or runs beside another lift changes nothing.
      const now = this.deps.clock.now();
      const id = attempt ?? randomUUID();
      const until = new Date(now.getTime() + LIFT_LEASE_MS).toISOString();
      if (!(await this.deps.store.claimLift(eventId, recorded, { id, until }, now))) {
        const refusal =
          recorded.status === 'lifted'
            ? `the quarantine was already lifted${recorded.lifted ? ` by ${recorded.lifted.by.name} at ${recorded.lifted.at}` : ''}`
            : 'the quarantine recorded on this change is no longer the one this lift read (lifted, quarantined again, modes added or being lifted since): look at the alert again';
        await this.audit(by, 'lift-quarantine', eventId, recorded.target, reason, `refused: ${refusal}`);
        return { status: 'refused', reason: refusal };
      }
      liftId = id;
    }
    const outcome = await this.liftHolding(entity, eventId, recorded, by, reason);
    if (eventId && liftId && outcome.status !== 'lifted') {
      try {
        await this.deps.store.releaseLift(eventId, liftId);
      } catch {
        // Held until its lease ends: a lift after that may run.
      }
    }
    return outcome;
  }

  /** The lift's IAM calls and record, once the right to lift is held (or, by principal, needs none). */
  private async liftHolding(
    entity: IamEntity,
    eventId: string | undefined,
    recorded: QuarantineRecord | undefined,
    by: AuditActor,
    reason: string,
  ): Promise<LiftOutcome> {
    const deadClaim = recorded?.status === 'claimed';
    // A failed quarantine names keys only when it kept a dead claim's policy (and the keys that claim turned off).
    const recordedKeys =
      recorded?.status === 'active' || recorded?.status === 'failed' ? (recorded.deactivatedKeys ?? []) : [];
    try {
      // Only keys named both in the record and in the quarantine policy's description in IAM: the table alone
      // can't be trusted to say which keys the bot turned off.
      const keyWarnings: string[] = [];
      const warned = new Set<string>();
      let keys: string[] = [];
      const recordedPolicy =
        recorded && (recordedKeys.length > 0 || this.ownPolicy(recorded.policyArn))
          ? await this.deps.iam.getManagedPolicy(recorded.policyArn)
          : undefined;
      if (deadClaim && recorded && recordedPolicy) {
        // The claim's job died before recording its outcome: the keys the store recorded it turned off, as its
        // policy's description names them.
        keys = restorableNamedBy(recordedPolicy, entityKey(entity), recorded);
      }
      if (recordedKeys.length > 0 && recorded) {
        const named = restorableNamedBy(recordedPolicy, entityKey(entity), recorded);
        keys = recordedKeys.filter((id) => named.includes(id));
        for (const id of recordedKeys.filter(
          (key) => !named.includes(key) && !recordedBeforeJobs(recorded),
        )) {
          warned.add(id);
          keyWarnings.push(
            `access key ${id} is not both recorded as turned off by the bot and named by the bot's own quarantine policy in IAM: not reactivated`,
          );
        }
      }
      const attached = await this.deps.iam.listAttachedPolicies(entity);
      const policies = recorded
        ? [this.recordedPolicy(attached, recorded)].filter((arn): arn is string => arn !== undefined)
        : attached.map((item) => item.arn).filter((arn) => isQuarantinePolicyArn(arn, this.policyName));
      const left = recorded
        ? await this.leftByAdding(recorded, attached)
        : { policies: [], deletable: [], keys: [], inline: [], stranded: [] };
      keys = unique([...keys, ...left.keys]);
      // Keys a bot deny names that the lift may not turn on: left as they are, each said.
      const legacy = recorded !== undefined && recordedBeforeJobs(recorded);
      const stranded = [
        ...(recorded && recordedPolicy
          ? namedNotRestorable(recordedPolicy, entityKey(entity), recorded).map((key) => ({
              key,
              policyArn: recorded.policyArn,
            }))
          : []),
        ...left.stranded,
      ];
      const said = new Set([...keys, ...warned, ...(recorded?.keysKeptOff ?? [])]);
      for (const { key, policyArn } of stranded) {
        if (said.has(key)) continue;
        said.add(key);
        keyWarnings.push(notRestorableWhy(key, policyArn, legacy));
      }
      if (legacy && recorded) {
        for (const key of recordedKeys.filter((id) => !said.has(id))) {
          said.add(key);
          keyWarnings.push(notRestorableWhy(key, recorded.policyArn, true));
        }
      }
      // A recorded active quarantine whose policy is no longer attached (a lift that died after detaching it, or
      // someone by hand) is completed: recorded as lifted, so the change is not stuck as quarantined for good.
      const completing =
        policies.length === 0 &&
        eventId !== undefined &&
        (recorded?.status === 'active' ||
          (deadClaim && recordedPolicy !== undefined && recordedPolicy !== null));
      if (
        policies.length === 0 &&
        left.policies.length === 0 &&
        left.inline.length === 0 &&
        keys.length === 0 &&
        !completing
      ) {
        await this.audit(by, 'lift-quarantine', eventId, entity, reason, 'not-quarantined');
        return { status: 'not-quarantined', target: entity };
      }
      const ran: RevertStep[] = [];
      const warnings: string[] = [...keyWarnings];
      if (completing) {
        warnings.unshift(
          `${recorded.policyArn} was no longer attached to ${entityKey(entity)}: the quarantine is recorded as lifted`,
        );
      }
      for (const policyArn of [...policies, ...left.policies]) {
        await this.deps.iam.detachManagedPolicy(entity, policyArn);
        ran.push(attachStep(entity, policyArn, 'Detach'));
      }
      const after = await this.deps.iam.listAttachedPolicies(entity);
      const still = [...policies, ...left.policies].find((arn) => after.some((item) => item.arn === arn));
      if (still) throw new Error(`${still} is still attached to ${entityKey(entity)} after detaching it`);
      // The inline denies an addition put when the attachment limit refused a managed one: lifted with the rest.
      for (const name of left.inline) {
        const step = inlineStep(entity, name);
        await this.deps.iam.execute(step);
        ran.push(step);
        if (await this.deps.iam.getInlinePolicy(entity, name))
          throw new Error(`the inline deny ${name} is still on ${entityKey(entity)} after deleting it`);
      }
      // Keys before the policy: its description is the only trusted list of the keys the quarantine turned off,
      // so it is deleted last — a lift that dies in between leaves it for the retry to read.
      const restored = await this.restoreKeys(entity.name, keys, warnings);
      const keptOff = recorded?.keysKeptOff ?? [];
      for (const id of keptOff) warnings.push(keptOffWhy(id));
      for (const key of restored) ran.push(keyStep(entity.name, key, 'Active'));
      // A completed lift's own policy, detached by the lift that died, is deleted too when it is still there.
      const leftOver =
        completing && recordedPolicy && this.ownPolicy(recorded.policyArn) ? [recorded.policyArn] : [];
      for (const policyArn of [
        ...policies.filter((arn) => this.ownPolicy(arn)),
        ...leftOver,
        ...left.deletable,
      ]) {
        const problems = await this.removePolicy(policyArn);
        if (problems.length === 0) ran.push({ action: 'iam:DeletePolicy', params: { PolicyArn: policyArn } });
        warnings.push(...problems);
      }
      const now = this.deps.clock.now();
      if (eventId && recorded) {
        const { lifting: _held, until: _claimUntil, addingModes: _adding, ...record } = recorded;
        const lifted: QuarantineRecord = {
          ...record,
          status: 'lifted',
          lifted: {
            by,
            reason,
            at: now.toISOString(),
            ...(restored.length > 0 ? { restoredKeys: restored } : {}),
          },
        };
        // Only over the quarantine this lift read: one recorded since (a newer quarantine) stays as it is.
        if (!(await this.deps.store.recordLift(eventId, lifted, now))) {
          warnings.push(
            'the change records another quarantine state since this lift read it (lifted already, or quarantined again): its record was left as it is',
          );
        }
      }
      const policyArn = policies[0] ?? recorded?.policyArn ?? '';
      await this.audit(by, 'lift-quarantine', eventId, entity, reason, 'lifted', {
        policyArn,
        restoredKeys: restored,
        cli: ran.map(toCliCommand),
        ...(warnings.length > 0 ? { warnings } : {}),
      });
      return {
        status: 'lifted',
        target: entity,
        policyArn,
        ...(recorded ? { modes: recorded.modes ?? ['deny-iam'] } : {}),
        restoredKeys: restored,
        ...(keptOff.length > 0 ? { keptOffKeys: keptOff } : {}),
        warnings,
        ...(this.deps.iam.dryRun ? { dryRun: true } : {}),
      };
    } catch (error: unknown) {
      const text = message(error);
      await this.audit(by, 'lift-quarantine', eventId, entity, reason, 'failed', { error: text });
      return { status: 'failed', error: text, target: entity };
    }
  }

  /**
   * What earlier jobs of a quarantine left in IAM, among the policies `arns` claimed for it: those that still
   * exist (own ones only), and the keys their descriptions name for `entity` — the bot's own list, in IAM, of the
   * keys each was to turn off. A policy that cannot be read is named in a warning (it stays listed as claimed).
   */
  private async leftByEarlierJobs(
    entity: IamEntity,
    arns: readonly string[],
    ledger: Ledger,
  ): Promise<{
    existing: string[];
    keys: string[];
    warnings: string[];
    /** Keys a bot deny among them names that it may not turn on, each with that deny. */
    stranded: { key: string; policyArn: string }[];
    /** The keys of {@link keys}, each with the deny that names it. */
    named: { key: string; policyArn: string }[];
  }> {
    const existing: string[] = [];
    const keys: string[] = [];
    const warnings: string[] = [];
    const stranded: { key: string; policyArn: string }[] = [];
    const named: { key: string; policyArn: string }[] = [];
    for (const arn of unique(arns).filter((item) => this.ownPolicy(item))) {
      try {
        const policy = await this.deps.iam.getManagedPolicy(arn);
        if (!policy) continue;
        existing.push(arn);
        const restorable = restorableNamedBy(policy, entityKey(entity), ledger);
        keys.push(...restorable);
        for (const key of namedNotRestorable(policy, entityKey(entity), ledger))
          stranded.push({ key, policyArn: arn });
        for (const key of restorable) named.push({ key, policyArn: arn });
      } catch (error: unknown) {
        warnings.push(
          `${arn}, left by an earlier, unfinished attempt, could not be read (${message(error)}): the lift clears it`,
        );
      }
    }
    return { existing, keys: unique(keys), warnings, stranded, named };
  }

  /**
   * The quarantine of `entity` the bot holds now (its change and record), found by its attached policy: one named like the bot's whose
   * description names the change it was attached for, where the store records an active quarantine of `entity`
   * with that very policy. A name and a description anyone with `iam:CreatePolicy` can copy: the principal being
   * quarantined (an administrator) could otherwise attach a harmless look-alike to itself and be skipped.
   */
  private async recordedQuarantineAmong(
    attached: { arn: string }[],
    entity: IamEntity,
  ): Promise<QuarantineHolder | undefined> {
    for (const { arn } of attached) {
      if (!isQuarantinePolicyArn(arn, this.policyName)) continue;
      const eventId = quarantineEventOf(
        (await this.deps.iam.getManagedPolicy(arn))?.description,
        entityKey(entity),
      );
      if (!eventId) continue;
      const stored = await this.deps.store.getChange(eventId);
      const record = stored?.quarantine;
      if (
        record?.status === 'active' &&
        record.policyArn === arn &&
        entityKey(record.target) === entityKey(entity)
      )
        return { eventId, record, ...(stored ? { eventTime: stored.change.eventTime } : {}) };
    }
    return undefined;
  }

  private document(modes: readonly QuarantineMode[], at: Date): PolicyDocument {
    const surface = this.deps.settings.botSurface;
    return quarantineDocument({ modes, at, ...(surface ? { surface } : {}) });
  }

  /**
   * The recorded quarantine's policy among those attached: the ARN it records, and only that (a record from
   * before each quarantine had its own policy names the shared one, and matches only it): a record of one
   * quarantine must never pick another's policy (another change's quarantine of the same principal).
   */
  private recordedPolicy(attached: { arn: string }[], record: QuarantineRecord): string | undefined {
    return attached.find((item) => item.arn === record.policyArn)?.arn;
  }

  /** True for a quarantine's own policy (`<name>-<id>`), which lifting deletes; not a shared one by the bare name. */
  private ownPolicy(policyArn: string): boolean {
    return isQuarantinePolicyArn(policyArn, this.policyName) && !policyArn.endsWith(`/${this.policyName}`);
  }

  /**
   * When `error` is IAM refusing an attach for the principal's limit on attached managed policies (`LimitExceeded`;
   * 10 by default, a quota an account may raise): why, in words, and the policies attached to it but `own` (the
   * quarantine's denies) — the slots a responder may free by hand. An attacker who is an administrator can fill its
   * own slots before the deny reaches it; the answer is never to lift what holds.
   */
  private async attachLimit(
    entity: IamEntity,
    error: unknown,
    own: readonly string[],
  ): Promise<{ why: string; attached: string[] } | undefined> {
    // Only an attach refused: `LimitExceeded` from another call (CreatePolicy at the account's quota) is not this.
    if (!isIamError(error, 'LimitExceeded') || !ATTACH_ACTION.test(error.action)) return undefined;
    let attached: string[] = [];
    try {
      attached = (await this.deps.iam.listAttachedPolicies(entity))
        .map((item) => item.arn)
        .filter((arn) => !own.includes(arn));
    } catch {
      // Named only when they can be read: the reason stands without them.
    }
    return {
      why: `IAM refused to attach the new deny: ${entityKey(entity)} already has as many managed policies attached as IAM allows a ${entity.kind} (its attachment limit: ${message(error)})`,
      attached,
    };
  }

  /**
   * Whether the quarantine's recorded deny `policyArn` is attached to `entity` now, as IAM lists it; when it is
   * not (or IAM can't say), the words that tell the responder, as critical as it is: the principal may be loose.
   */
  private async holding(entity: IamEntity, policyArn: string): Promise<{ holds: boolean; words: string }> {
    const principal = entityKey(entity);
    try {
      if ((await this.deps.iam.listAttachedPolicies(entity)).some((item) => item.arn === policyArn))
        return { holds: true, words: '' };
    } catch (error: unknown) {
      return {
        holds: false,
        words: `CRITICAL: the quarantine's recorded deny ${policyArn} could not be confirmed attached to ${principal} (${message(error)}): check its attached policies now`,
      };
    }
    return {
      holds: false,
      words: `CRITICAL: the quarantine's recorded deny ${policyArn} is no longer attached to ${principal}: it is not fenced in by it. Attach it again by hand now (${toCliCommand(attachStep(entity, policyArn, 'Attach'))}), then look at the alert again`,
    };
  }

  /** Deletes a quarantine's own policy once nothing has it attached; what went wrong, in words. */
  private async removePolicy(policyArn: string): Promise<string[]> {
    try {
      const left = await this.deps.iam.listPolicyAttachments(policyArn);
      const count = left.roles.length + left.users.length + left.groups.length;
      if (count > 0) return [`${policyArn} is still attached to ${count} other principal(s): left in place`];
      await this.deps.iam.execute({ action: 'iam:DeletePolicy', params: { PolicyArn: policyArn } });
      return [];
    } catch (error: unknown) {
      return [`${policyArn} was not deleted (${message(error)}): delete it by hand`];
    }
  }

  /**
   * The user's active (`ids`) and inactive access keys, and the active ones created at or after `since` (`minted`),
   * or why they could not be listed.
   */
  private async activeKeys(
    userName: string,
    since?: string,
  ): Promise<{ ids: string[]; inactive: string[]; minted: string[]; warnings: string[]; listed: boolean }> {
    let keys: AccessKey[];
    try {
      keys = await this.deps.iam.listAccessKeys(userName);
    } catch (error: unknown) {
      return {
        ids: [],
        inactive: [],
        minted: [],
        warnings: [`the access keys could not be listed (${message(error)}): none deactivated`],
        listed: false,
      };
    }
    const active = keys.filter((item) => item.status === 'Active');
    return {
      listed: true,
      ids: active.map((item) => item.id),
      inactive: keys.filter((item) => item.status === 'Inactive').map((item) => item.id),
      minted: mintedSince(active, since),
      warnings: [],
    };
  }

  /**
   * Records, under `job`'s claim, the policy IAM just created with the id IAM gave it: the only proof later that
   * a policy under that name is the bot's own and its description the bot's list of keys. Not recorded (the claim
   * was taken over, or IAM gave no id): its keys are never restored, which fails closed.
   */
  private async recordCreated(
    eventId: string,
    job: QuarantineJob,
    policyArn: string,
    made: ManagedPolicy,
  ): Promise<void> {
    if (!made.policyId) return;
    await this.deps.store.recordPolicyCreated(
      eventId,
      job,
      { policyArn, policyId: made.policyId },
      this.deps.clock.now(),
    );
  }

  /**
   * Sets each key Inactive and, right after IAM did, records it under `job`'s claim on the change (`eventId`):
   * the store's list of keys the bot turned off is what a lift may turn on again. A key whose record fails (the
   * claim was taken over meanwhile, or the store failed) stays off for good and is named in a warning.
   */
  private async deactivateKeys(
    eventId: string,
    job: QuarantineJob,
    userName: string,
    ids: readonly string[],
    minted: readonly string[] = [],
  ): Promise<{ deactivated: string[]; keptOff: string[]; warnings: string[] }> {
    const deactivated: string[] = [];
    const keptOff: string[] = [];
    const warnings: string[] = [];
    for (const id of ids) {
      try {
        await this.deps.iam.setAccessKeyStatus(userName, id, 'Inactive');
      } catch (error: unknown) {
        warnings.push(`access key ${id} was not deactivated (${message(error)})`);
        continue;
      }
      if (minted.includes(id)) {
        // Made during the incident: off, and never recorded as the bot's to turn on again.
        keptOff.push(id);
        warnings.push(keptOffWhy(id));
        continue;
      }
      let recorded = false;
      try {
        recorded = await this.deps.store.recordKeyTurnedOff(eventId, job, id, this.deps.clock.now());
      } catch {
        // Said below: the key is off, and nothing says the bot may turn it on.
      }
      if (recorded) deactivated.push(id);
      else
        warnings.push(
          `access key ${id} was deactivated but could not be recorded as the bot's (this job's claim was taken over, or the store failed): the lift leaves it off; turn it on by hand once cleared`,
        );
    }
    return { deactivated, keptOff, warnings };
  }

  /**
   * Records, under `job`'s claim, each key of `ids` as found on again (an earlier job had recorded turning it off):
   * the keys that could not be recorded so (an earlier job's record of them still stands, so a lift could turn
   * them on once someone turns them off: the job must not go on).
   */
  private async recordFoundOn(
    eventId: string,
    job: QuarantineJob,
    ids: readonly string[],
  ): Promise<string[]> {
    const unrecorded: string[] = [];
    for (const id of ids) {
      let done = false;
      try {
        done = await this.deps.store.recordKeyFoundOn(eventId, job, id, this.deps.clock.now());
      } catch {
        // Said by the caller, which fails the job.
      }
      if (!done) unrecorded.push(id);
    }
    return unrecorded;
  }

  /**
   * Records again, under `job`'s claim, keys an earlier job of the quarantine turned off and recorded, now carried
   * into `job`'s own policy. A key whose record fails stays off after the lift and is named in a warning.
   */
  private async recordCarried(
    eventId: string,
    job: QuarantineJob,
    ids: readonly string[],
  ): Promise<{ recorded: string[]; warnings: string[] }> {
    const recorded: string[] = [];
    const warnings: string[] = [];
    for (const id of ids) {
      let done = false;
      try {
        done = await this.deps.store.recordKeyTurnedOff(eventId, job, id, this.deps.clock.now());
      } catch {
        // Said below.
      }
      if (done) recorded.push(id);
      else
        warnings.push(
          `access key ${id}, turned off by an earlier job of this quarantine, could not be recorded under this one (its claim was taken over, or the store failed): the lift leaves it off; turn it on by hand once cleared`,
        );
    }
    return { recorded, warnings };
  }

  private async restoreKeys(userName: string, keys: string[], warnings: string[]): Promise<string[]> {
    if (keys.length === 0) return [];
    const restored: string[] = [];
    let current: AccessKey[];
    try {
      current = await this.deps.iam.listAccessKeys(userName);
    } catch (error: unknown) {
      warnings.push(
        `the access keys could not be listed (${message(error)}): ${keys.join(', ')} not reactivated`,
      );
      return restored;
    }
    for (const id of keys) {
      const key = current.find((item) => item.id === id);
      if (!key) {
        warnings.push(`access key ${id} no longer exists: nothing to reactivate`);
        continue;
      }
      if (key.status === 'Active') continue;
      try {
        await this.deps.iam.setAccessKeyStatus(userName, id, 'Active');
        restored.push(id);
      } catch (error: unknown) {
        warnings.push(`access key ${id} was not reactivated (${message(error)})`);
      }
    }
    return restored;
  }

  private async alreadyClaimed(
    by: AuditActor,
    eventId: string,
    entity: IamEntity,
    reason: string,
    existing: QuarantineRecord,
  ): Promise<QuarantineOutcome> {
    await this.audit(by, 'quarantine-refused', eventId, entity, reason, 'already-claimed', {
      existing: { status: existing.status, by: existing.by, at: existing.at },
    });
    return { status: 'already-claimed', existing };
  }

  /**
   * Records an addition of modes over the quarantine it held; when another job took the addition over meanwhile
   * (this one ran past its lease), nothing is recorded and the failure, audited with `details`, is the answer.
   */
  private async recordAddition(
    request: { by: AuditActor; eventId: string; entity: IamEntity; reason: string },
    addition: { holderId: string; updated: QuarantineRecord; id: string; replaced: string },
    details: Record<string, unknown>,
    policyArn: string,
  ): Promise<QuarantineOutcome | undefined> {
    const { holderId, updated, id, replaced } = addition;
    if (await this.deps.store.recordModesAdded(holderId, updated, id, replaced, this.deps.clock.now())) {
      return undefined;
    }
    const text =
      'the quarantine changed while the modes were being added (another job took the addition over after this one ran past its lease): look at the alert again';
    const { by, eventId, entity, reason } = request;
    await this.audit(by, 'quarantine', eventId, entity, reason, 'failed', { error: text, ...details });
    return { status: 'failed', error: text, target: entity, policyArn };
  }

  private async audit(
    by: AuditActor,
    action: 'quarantine' | 'quarantine-refused' | 'lift-quarantine',
    eventId: string | undefined,
    target: IamEntity | undefined,
    reason: string,
    result: string,
    details?: Record<string, unknown>,
  ): Promise<void> {
    await this.deps.audit.append({
      at: this.deps.clock.now().toISOString(),
      actor: by,
      action,
      ...(eventId ? { eventId } : {}),
      ...(target ? { target: entityKey(target) } : {}),
      reason,
      result,
      ...(details ? { details } : {}),
    });
  }
}
