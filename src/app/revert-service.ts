/**
 * The revert use case: "Revert is safe or it doesn't happen" (DESIGN §3).
 *
 * `prepare` shows everything the confirmation modal and the CLI dry run need — the exact calls, the `aws iam`
 * commands, where the before-state came from, the drift check — and says why a revert would be refused.
 * `execute` claims the revert with a conditional write (exactly once), re-resolves the before-state and re-reads
 * the live state just before (drift guard), runs the calls in order, reads IAM back to prove the result, and
 * records all of it on the change item and in the audit log.
 */
import { randomUUID } from 'node:crypto';
import { planAddsAccess } from '../domain/confirmation';
import {
  compareAllLive,
  compareLive,
  type DriftReport,
  expectedAfter,
  expectedAfterRevert,
  type Probe,
  sameDocument,
  type VersionProbe,
} from '../domain/drift';
import { resourceOf } from '../domain/resources';
import {
  planRevert,
  protectedAttachment,
  protectedTarget,
  type RevertGuard,
  toCliCommand,
} from '../domain/revert';
import type {
  AssessedChange,
  BeforeStateNeed,
  Change,
  PolicyDocument,
  RevertPlan,
  RevertStep,
} from '../domain/types';
import type { AuditActor, AuditEntry, AuditLog } from './audit-port';
import type { BeforeStateResolver, BeforeStateSource, ResolvedBeforeState } from './before-state';
import type { Confirmation, EventConfirmer } from './event-confirmation';
import { handedInOrRead } from './handed-in-change';
import { type IamGateway, isIamError } from './iam-port';
import type { Clock } from './ports';
import {
  ChangeNotFoundError,
  type RespondedChange,
  type RevertRecord,
  type RevertStepResult,
  type RevertStore,
} from './revert-port';

/** Settings of the revert path. */
export interface RevertSettings {
  /** Principals no revert writes to (protected principals, the bot's own roles); none unless set. */
  guard?: RevertGuard;
  /** Reads of IAM after the revert before calling it failed (IAM is eventually consistent); 5 unless set. */
  verifyAttempts?: number;
  /** Milliseconds between those reads; 1000 unless set. */
  verifyDelayMs?: number;
}

/** What the revert path needs. */
export interface RevertDependencies {
  store: RevertStore;
  iam: IamGateway;
  resolver: Pick<BeforeStateResolver, 'resolveBeforeState'>;
  clock: Clock;
  audit: AuditLog;
  settings?: RevertSettings;
  /**
   * CloudTrail's confirmation of the change, required before a revert that adds access back. The worker always
   * has one; only the break-glass CLI, where a person hands in the CloudTrail record themselves, runs without.
   */
  confirmer?: EventConfirmer;
  /** Waits between verification reads; a timer unless set. */
  sleep?: (ms: number) => Promise<void>;
}

/** The drift check: a comparison, a failure to read the live state, or why there was nothing to check. */
export type DriftCheck = DriftReport | { error: string } | { skipped: string };

/** Everything the confirmation modal and the CLI dry run show. */
export interface RevertPreview {
  change: AssessedChange;
  /** The plan with the resolved before-state (for CreatePolicy: with the non-default versions to delete first). */
  plan: RevertPlan;
  beforeState: ResolvedBeforeState;
  beforeSource: BeforeStateSource;
  drift: DriftCheck;
  /** Why the revert would not run; absent when it would. */
  refusal?: string;
  /** True when the calls would only be simulated (the local runtime without AWS): nothing changes in AWS. */
  dryRun?: boolean;
  /** The revert already recorded on the change, if any. */
  revert?: RevertRecord;
  /**
   * What CloudTrail said of the change, for a revert that adds access (absent for one that only removes). While
   * it is `pending` the revert is refused and the modal offers to check again.
   */
  confirmation?: Confirmation;
}

/** Who asks for a revert, and why. */
export interface RevertRequest {
  by: AuditActor;
  reason: string;
}

/** How an `execute` ended. */
export type RevertOutcome =
  | { status: 'done'; record: RevertRecord; preview: RevertPreview; verification: DriftReport }
  | {
      status: 'failed';
      record: RevertRecord;
      preview?: RevertPreview;
      error: string;
      verification?: DriftReport;
    }
  | { status: 'refused'; record: RevertRecord; preview: RevertPreview; reason: string }
  | { status: 'already-claimed'; existing: RevertRecord };

export { ChangeNotFoundError } from './revert-port';

const NEED_WORDS: Record<BeforeStateNeed, string> = {
  'previous-document': 'the previous document is unknown: no revert',
  'previous-default-version': 'the previous default version is unknown: no revert',
};

function message(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}

/** Why a revert that adds access may not run on what CloudTrail said, or `undefined` once it confirmed. */
function unconfirmed(confirmation: Confirmation): string | undefined {
  switch (confirmation.status) {
    case 'confirmed':
      return undefined;
    case 'pending':
      return 'CloudTrail does not show this event yet (its event history can lag minutes behind the alert). This revert grants access back, so it waits for CloudTrail to confirm the change: check again in a minute';
    case 'mismatch':
      return `the stored change is not the call CloudTrail recorded (${confirmation.difference}): the bot's store may have been written by someone else. No revert`;
    case 'error':
      return `CloudTrail could not confirm the change (${confirmation.error}): no revert that grants access without it`;
  }
}

function isDriftReport(check: DriftCheck): check is DriftReport {
  return 'drifted' in check;
}

/** A recorded revert in words, as a refusal gives it: "already reverted by alice at …". */
export function describeRevertRecord(record: RevertRecord): string {
  const who = record.by.name;
  switch (record.status) {
    case 'claimed':
      return `already being reverted by ${who} (since ${record.at})`;
    case 'done':
      return `already reverted by ${who} at ${record.finishedAt ?? record.at}`;
    case 'failed':
      return `a revert by ${who} failed at ${record.finishedAt ?? record.at} (${record.error ?? 'see the record'}): check IAM and finish it by hand`;
    case 'refused':
      return `the last revert by ${who} was refused`;
  }
}

function versionNumber(versionId: string): number {
  return Number(/^v(\d+)/.exec(versionId)?.[1] ?? Number.NaN);
}

/** Reads IAM for the live value of a probe: a probe of the same kind with what IAM shows. */
export async function readLiveState(
  iam: Pick<
    IamGateway,
    | 'getInlinePolicy'
    | 'listAttachedPolicies'
    | 'getManagedPolicy'
    | 'getPolicyVersion'
    | 'listPolicyVersions'
    | 'getRoleTrustPolicy'
  >,
  probe: Probe,
): Promise<Probe> {
  switch (probe.kind) {
    case 'attached': {
      try {
        const attached = await iam.listAttachedPolicies(probe.entity);
        return { ...probe, present: attached.some((policy) => policy.arn === probe.policyArn) };
      } catch (error: unknown) {
        if (isIamError(error, 'NoSuchEntity')) return { ...probe, present: false, entityMissing: true };
        throw error;
      }
    }
    case 'inline': {
      const identity = { kind: 'inline' as const, entity: probe.entity, name: probe.name };
      const document = await iam.getInlinePolicy(probe.entity, probe.name);
      if (document) return { ...identity, present: true, document };
      try {
        await iam.listAttachedPolicies(probe.entity);
        return { ...identity, present: false };
      } catch (error: unknown) {
        if (isIamError(error, 'NoSuchEntity')) return { ...identity, present: false, entityMissing: true };
        throw error;
      }
    }
    case 'policy-exists': {
      const policy = await iam.getManagedPolicy(probe.policyArn);
      if (!policy) return { kind: 'policy-exists', policyArn: probe.policyArn, present: false };
      const version = await iam.getPolicyVersion(probe.policyArn, policy.defaultVersionId);
      const live: Probe = { kind: 'policy-exists', policyArn: probe.policyArn, present: true };
      return version?.document ? { ...live, document: version.document } : live;
    }
    case 'version':
      return readVersion(iam, probe);
    case 'default-version': {
      const policy = await iam.getManagedPolicy(probe.policyArn);
      if (!policy) return { kind: 'default-version', policyArn: probe.policyArn, present: false };
      return {
        kind: 'default-version',
        policyArn: probe.policyArn,
        present: true,
        versionId: policy.defaultVersionId,
      };
    }
    case 'trust': {
      const document = await iam.getRoleTrustPolicy(probe.role);
      if (!document) return { kind: 'trust', role: probe.role, present: false };
      return { kind: 'trust', role: probe.role, present: true, document };
    }
  }
}

/** A version by id, or (without an id) the version holding the probe's document, the default-ness it expects first. */
async function readVersion(
  iam: Pick<IamGateway, 'listPolicyVersions' | 'getPolicyVersion'>,
  probe: VersionProbe,
): Promise<Probe> {
  const absent: VersionProbe = { kind: 'version', policyArn: probe.policyArn, present: false };
  if (probe.versionId) absent.versionId = probe.versionId;
  const versions = await iam.listPolicyVersions(probe.policyArn);
  if (!versions) return absent;
  if (probe.versionId) {
    const version = versions.find((candidate) => candidate.versionId === probe.versionId);
    if (!version) return absent;
    const live: VersionProbe = {
      kind: 'version',
      policyArn: probe.policyArn,
      versionId: version.versionId,
      present: true,
      isDefault: version.isDefault,
    };
    if (!probe.document) return live;
    const read = await iam.getPolicyVersion(probe.policyArn, version.versionId);
    return read?.document ? { ...live, document: read.document } : live;
  }
  if (!probe.document) return absent;
  const matches: VersionProbe[] = [];
  for (const version of versions) {
    const read = await iam.getPolicyVersion(probe.policyArn, version.versionId);
    if (read?.document && sameDocument(read.document, probe.document)) {
      matches.push({
        kind: 'version',
        policyArn: probe.policyArn,
        versionId: version.versionId,
        present: true,
        isDefault: version.isDefault,
        document: read.document,
      });
    }
  }
  return matches.find((match) => match.isDefault === probe.isDefault) ?? matches[0] ?? absent;
}

/** The revert use case. One instance per process; every method is safe to call concurrently. */
export class RevertService {
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly deps: RevertDependencies) {
    this.sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /**
   * What a revert of the change would do and whether it would run: the plan with the resolved before-state, its
   * `aws iam` commands, where the before-state came from, the drift check, and the refusal (not supported, an
   * unknown before-state, drift, already claimed or done, the bot's own call, a created policy still attached).
   * Reads only. Throws {@link ChangeNotFoundError} for an unknown event id. `stored`: the change as the job already
   * read it (not read again); read here when not given.
   */
  async prepare(eventId: string, stored?: RespondedChange): Promise<RevertPreview> {
    return this.preview(await this.stored(eventId, stored));
  }

  /**
   * Reverts the change, once. The claim is a conditional write on the change item: a second call (another
   * click, the CLI) gets `already-claimed` with who and when. Just before the calls the before-state is resolved
   * again and the live state re-read; drift (or any other refusal) releases the claim as `refused` and changes
   * nothing. The steps run in order and stop at the first failure; IAM is read back afterwards. The outcome is
   * recorded on the change item and in the audit log, with every step and whether it ran. `stored`: as for
   * {@link prepare}. A read made before the claim is enough: the claim's condition is checked by the store itself,
   * on the item as it is when the claim is written, whatever this read saw.
   */
  async execute(eventId: string, request: RevertRequest, given?: RespondedChange): Promise<RevertOutcome> {
    const stored = await this.stored(eventId, given);
    const { store, clock } = this.deps;
    const now = clock.now();
    const claim: RevertRecord = {
      status: 'claimed',
      claimId: randomUUID(),
      by: request.by,
      reason: request.reason,
      at: now.toISOString(),
      steps: [],
    };
    if (this.deps.iam.dryRun) claim.dryRun = true;
    const claimed = await store.claimRevert(eventId, claim, now);
    if (!claimed.claimed) {
      await this.audit(stored.change, request, 'revert-refused', 'already-claimed', {
        existing: { status: claimed.existing.status, by: claimed.existing.by, at: claimed.existing.at },
      });
      return { status: 'already-claimed', existing: claimed.existing };
    }

    let preview: RevertPreview | undefined;
    const ran: RevertStepResult[] = [];
    try {
      const { revert: _released, ...fresh } = stored;
      preview = await this.preview(fresh);
      if (preview.refusal) {
        const record = this.finished(claim, 'refused', [], preview.refusal);
        await store.finishRevert(eventId, record, clock.now());
        await this.audit(stored.change, request, 'revert-refused', `refused: ${preview.refusal}`, {
          drift: preview.drift,
          beforeSource: preview.beforeSource,
        });
        return { status: 'refused', record, preview, reason: preview.refusal };
      }

      const failure = await this.runSteps(preview.plan.steps, ran);
      if (failure) {
        const error = `${failure}; ${this.ranSummary(ran)}`;
        return await this.fail(stored.change, request, claim, ran, error, preview);
      }
      const verification = await this.verify(preview);
      if (verification.drifted) {
        const error = `the calls ran but IAM does not show the state before the change: now ${verification.current}; expected ${verification.expected}`;
        return await this.fail(stored.change, request, claim, ran, error, preview, verification);
      }
      const record = this.finished(claim, 'done', ran);
      await store.finishRevert(eventId, record, clock.now());
      await this.audit(stored.change, request, 'revert', 'done', {
        steps: ran.map((step) => ({ action: step.step.action, status: step.status })),
        cli: ran.map((step) => step.cli),
        beforeSource: preview.beforeSource,
        verification: verification.current,
      });
      return { status: 'done', record, preview, verification };
    } catch (error: unknown) {
      // Unexpected (the store, a bug): record what ran rather than leave a silent claim behind.
      const text = `${message(error)}; ${this.ranSummary(ran)}`;
      try {
        return await this.fail(stored.change, request, claim, ran, text, preview);
      } catch {
        throw error;
      }
    }
  }

  /** The change `given` (when it is the one named), else read from the store. */
  private async stored(eventId: string, given?: RespondedChange): Promise<RespondedChange> {
    const stored = await handedInOrRead(eventId, given, this.deps.store);
    if (!stored) throw new ChangeNotFoundError(eventId);
    return stored;
  }

  private async preview(stored: RespondedChange): Promise<RevertPreview> {
    const change = stored.change;
    let beforeState = await this.deps.resolver.resolveBeforeState(change);
    let plan = planRevert(change, beforeState.state);
    // A revert that grants access back writes a document: only CloudTrail's history or IAM may supply it, never
    // the bot's own store alone (whoever could write the store would choose what is granted).
    if (this.deps.confirmer && beforeState.source.kind === 'store' && planAddsAccess(plan)) {
      beforeState = await this.deps.resolver.resolveBeforeState(change, { trusted: true });
      plan = planRevert(change, beforeState.state);
    }
    let refusal: string | undefined;
    if (stored.revert && stored.revert.status !== 'refused') refusal = describeRevertRecord(stored.revert);
    else if (this.isOwnCall(change)) {
      refusal =
        'the change was made by iam-changes itself (a revert or a quarantine): undo it by hand or lift the quarantine';
    } else if (!plan.supported) refusal = plan.reason ?? 'the change has no revert';
    else if (plan.needs && plan.needs.length > 0)
      refusal = plan.needs.map((need) => NEED_WORDS[need]).join('; ');
    const guard = this.deps.settings?.guard;
    if (!refusal && guard) refusal = protectedTarget(change, guard);
    if (!refusal && guard && plan.supported && writesPolicyVersions(plan)) {
      refusal = await this.protectedByAttachment(change, guard);
    }

    let drift: DriftCheck = { skipped: 'the change has no revert' };
    if (plan.supported) {
      drift = await this.checkDrift(change);
      if (!refusal && isDriftReport(drift) && drift.drifted) {
        refusal = `the live state changed since the change: now ${drift.current}; expected ${drift.expected}`;
      } else if (!refusal && 'error' in drift) {
        refusal = `the live state could not be read (${drift.error}): no revert`;
      }
    }
    if (plan.supported && !refusal) refusal = await this.missingPreviousDefault(plan);
    let confirmation: Confirmation | undefined;
    if (plan.supported && !refusal && this.deps.confirmer && (await this.grantsAccess(plan))) {
      confirmation = await this.deps.confirmer.confirm(change);
      refusal = unconfirmed(confirmation);
    }
    if (plan.supported && !refusal && change.eventName === 'CreatePolicy') {
      try {
        const expanded = await this.expandCreatePolicy(change, plan);
        plan = expanded.plan;
        refusal = expanded.refusal;
      } catch (error: unknown) {
        refusal = `the policy's versions and attachments could not be read (${message(error)}): no revert`;
      }
    }
    const preview: RevertPreview = {
      change,
      plan,
      beforeState,
      beforeSource: beforeState.source,
      drift,
    };
    if (refusal) preview.refusal = refusal;
    if (stored.revert) preview.revert = stored.revert;
    if (confirmation) preview.confirmation = confirmation;
    if (this.deps.iam.dryRun) preview.dryRun = true;
    return preview;
  }

  /**
   * True when the plan can grant access: any step that adds (re-attach, restore, recreate), and a detach or
   * delete whose policy denies something — taking away a Deny (a quarantine, a guardrail) grants. A policy that
   * can't be read counts as granting: the revert then waits for CloudTrail rather than run on a guess.
   */
  private async grantsAccess(plan: RevertPlan): Promise<boolean> {
    if (planAddsAccess(plan)) return true;
    for (const step of plan.steps) {
      try {
        const document = await this.documentRemovedBy(step);
        if (document === undefined) return true;
        if (document?.Statement.some((statement) => statement.Effect === 'Deny')) return true;
      } catch {
        return true;
      }
    }
    return false;
  }

  /** The live document a removing step takes away (`null`: nothing to take), `undefined` when unknown. */
  private async documentRemovedBy(step: RevertStep): Promise<PolicyDocument | null | undefined> {
    const { iam } = this.deps;
    const detach = /^iam:Detach(Role|User|Group)Policy$/.exec(step.action);
    const inline = /^iam:Delete(Role|User|Group)Policy$/.exec(step.action);
    if (detach || step.action === 'iam:DeletePolicy') {
      const arn = String(step.params.PolicyArn ?? '');
      const policy = await iam.getManagedPolicy(arn);
      if (!policy) return null;
      return (await iam.getPolicyVersion(arn, policy.defaultVersionId))?.document;
    }
    if (step.action === 'iam:DeletePolicyVersion') {
      const version = await iam.getPolicyVersion(
        String(step.params.PolicyArn ?? ''),
        String(step.params.VersionId ?? ''),
      );
      return version ? version.document : null;
    }
    if (inline?.[1]) {
      const kind = inline[1].toLowerCase() as 'role' | 'user' | 'group';
      const name = String(step.params[`${inline[1]}Name`] ?? '');
      return iam.getInlinePolicy({ kind, name }, String(step.params.PolicyName ?? ''));
    }
    return undefined;
  }

  /** The bot's own recorded revert or quarantine step (notify decided it when the change arrived). */
  private isOwnCall(change: AssessedChange): boolean {
    return change.bot?.recorded === true;
  }

  /** Compares the live state with the state right after the change. */
  private async checkDrift(change: Change): Promise<DriftCheck> {
    const expected = expectedAfter(change);
    if (!expected) return { skipped: 'nothing to compare for this change' };
    try {
      return compareLive(expected, await readLiveState(this.deps.iam, expected));
    } catch (error: unknown) {
      return { error: message(error) };
    }
  }

  /** A SetDefaultPolicyVersion step must go back to a version that still exists; refuse (in words) if not. */
  private async missingPreviousDefault(plan: RevertPlan): Promise<string | undefined> {
    const step = plan.steps.find((candidate) => candidate.action === 'iam:SetDefaultPolicyVersion');
    if (!step) return undefined;
    const arn = String(step.params.PolicyArn);
    const versionId = String(step.params.VersionId);
    try {
      const versions = await this.deps.iam.listPolicyVersions(arn);
      if (versions?.some((version) => version.versionId === versionId)) return undefined;
      return `version ${versionId} of ${arn} no longer exists: there is no previous default to go back to`;
    } catch (error: unknown) {
      return `the versions of ${arn} could not be read (${message(error)}): no revert`;
    }
  }

  /**
   * IAM refuses DeletePolicy while the policy is attached or has non-default versions: refuse while attached
   * (listing where), and delete the non-default versions first.
   */
  /**
   * Why the managed policy a version revert writes must not be written: it is attached to a protected principal or
   * one of the bot's own roles (read live; unreadable attachments refuse too).
   */
  private async protectedByAttachment(change: Change, guard: RevertGuard): Promise<string | undefined> {
    const arn = change.target.policyArn;
    if (!arn) return 'the policy ARN is not in the record: no revert';
    try {
      return protectedAttachment(change, await this.deps.iam.listPolicyAttachments(arn), guard);
    } catch (error: unknown) {
      return `the policy's attachments could not be read (${message(error)}): no revert`;
    }
  }

  private async expandCreatePolicy(
    change: Change,
    plan: RevertPlan,
  ): Promise<{ plan: RevertPlan; refusal?: string }> {
    const arn = change.target.policyArn ?? '';
    const attachments = await this.deps.iam.listPolicyAttachments(arn);
    const where = [
      ...attachments.roles.map((name) => `role ${name}`),
      ...attachments.users.map((name) => `user ${name}`),
      ...attachments.groups.map((name) => `group ${name}`),
    ];
    if (where.length > 0) {
      return {
        plan,
        refusal: `${change.target.policyName ?? arn} is attached to ${where.join(', ')}: IAM refuses to delete an attached policy and the revert does not detach it for you — detach it (or revert those attachments) first`,
      };
    }
    const versions = (await this.deps.iam.listPolicyVersions(arn)) ?? [];
    const deletions: RevertStep[] = versions
      .filter((version) => !version.isDefault)
      .sort((a, b) => versionNumber(a.versionId) - versionNumber(b.versionId))
      .map((version) => ({
        action: 'iam:DeletePolicyVersion',
        params: { PolicyArn: arn, VersionId: version.versionId },
      }));
    if (deletions.length === 0) return { plan };
    const steps = [...deletions, ...plan.steps];
    return { plan: { ...plan, steps, cli: steps.map(toCliCommand) } };
  }

  /** Runs the steps in order, recording each; returns the failure in words, or undefined when all ran. */
  private async runSteps(steps: RevertStep[], ran: RevertStepResult[]): Promise<string | undefined> {
    let failure: string | undefined;
    for (const step of steps) {
      const result: RevertStepResult = { step, cli: toCliCommand(step), status: 'not-run' };
      ran.push(result);
      if (failure) continue;
      try {
        await this.deps.iam.execute(step);
        result.status = 'done';
      } catch (error: unknown) {
        result.status = 'failed';
        result.error = message(error);
        failure = `${step.action} failed: ${result.error}`;
      }
    }
    return failure;
  }

  /** Reads IAM back until it shows the state before the change, a few times (IAM is eventually consistent). */
  private async verify(preview: RevertPreview): Promise<DriftReport> {
    const probes = expectedAfterRevert(preview.change, preview.beforeState.state);
    if (probes.length === 0) {
      return { drifted: false, expected: 'nothing to read back', current: 'not checked' };
    }
    const attempts = Math.max(1, this.deps.settings?.verifyAttempts ?? 5);
    const delay = this.deps.settings?.verifyDelayMs ?? 1000;
    let report: DriftReport = { drifted: true, expected: '', current: 'not read' };
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      try {
        const live: Probe[] = [];
        for (const probe of probes) live.push(await readLiveState(this.deps.iam, probe));
        report = compareAllLive(probes, live);
      } catch (error: unknown) {
        report = {
          drifted: true,
          expected: report.expected,
          current: `could not be read: ${message(error)}`,
        };
      }
      if (!report.drifted || attempt === attempts) break;
      await this.sleep(delay);
    }
    return report;
  }

  private ranSummary(ran: RevertStepResult[]): string {
    const done = ran.filter((step) => step.status === 'done').map((step) => step.step.action);
    const notRun = ran.filter((step) => step.status === 'not-run').map((step) => step.step.action);
    const parts = [done.length > 0 ? `ran: ${done.join(', ')}` : 'no call ran'];
    if (notRun.length > 0) parts.push(`not run: ${notRun.join(', ')}`);
    return parts.join('; ');
  }

  private finished(
    claim: RevertRecord,
    status: RevertRecord['status'],
    steps: RevertStepResult[],
    error?: string,
  ): RevertRecord {
    const record: RevertRecord = {
      ...claim,
      status,
      steps: steps.map((step) => ({ ...step })),
      finishedAt: this.deps.clock.now().toISOString(),
    };
    if (error) record.error = error;
    return record;
  }

  private async fail(
    change: AssessedChange,
    request: RevertRequest,
    claim: RevertRecord,
    ran: RevertStepResult[],
    error: string,
    preview: RevertPreview | undefined,
    verification?: DriftReport,
  ): Promise<RevertOutcome> {
    const record = this.finished(claim, 'failed', ran, error);
    await this.deps.store.finishRevert(change.eventId, record, this.deps.clock.now());
    await this.audit(change, request, 'revert', 'failed', {
      error,
      steps: ran.map((step) => ({ action: step.step.action, status: step.status, error: step.error })),
    });
    const outcome: RevertOutcome = { status: 'failed', record, error };
    if (preview) outcome.preview = preview;
    if (verification) outcome.verification = verification;
    return outcome;
  }

  private async audit(
    change: Change,
    request: RevertRequest,
    action: AuditEntry['action'],
    result: string,
    details: Record<string, unknown>,
  ): Promise<void> {
    await this.deps.audit.append({
      at: this.deps.clock.now().toISOString(),
      actor: request.by,
      action,
      eventId: change.eventId,
      target: resourceOf(change),
      reason: request.reason,
      result,
      details: JSON.parse(JSON.stringify(details)) as Record<string, unknown>,
    });
  }
}

/** The version calls of a revert: they change what every principal the policy is attached to may do. */
const POLICY_VERSION_ACTIONS = new Set([
  'iam:CreatePolicyVersion',
  'iam:DeletePolicyVersion',
  'iam:SetDefaultPolicyVersion',
]);

/** Whether the plan writes a managed policy's versions. */
function writesPolicyVersions(plan: RevertPlan): boolean {
  return plan.steps.some((step) => POLICY_VERSION_ACTIONS.has(step.action));
}
