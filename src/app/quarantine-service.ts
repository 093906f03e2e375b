/**
 * The quarantine use case: attach the bot's deny policy (`iam-changes-quarantine` at `/iam-changes/`, see
 * `domain/quarantine.ts`) to the principal behind a change, prove it is attached, and lift it again. Every
 * attempt — done, refused or failed — is audited, and the state is recorded on the change item.
 */
import type { IamEntity } from '../domain/drift';
import { sameDocument } from '../domain/drift';
import {
  QUARANTINE_POLICY_DESCRIPTION,
  QUARANTINE_POLICY_NAME,
  QUARANTINE_POLICY_PATH,
  type QuarantineSettings,
  type QuarantineTarget,
  quarantineDocument,
  quarantinePolicyArn,
  quarantineTarget,
} from '../domain/quarantine';
import { toCliCommand } from '../domain/revert';
import type { AssessedChange, RevertStep } from '../domain/types';
import type { AuditActor, AuditLog } from './audit-port';
import type { IamGateway } from './iam-port';
import type { Clock } from './ports';
import type { QuarantineRecord, QuarantineStore } from './revert-port';
import { ChangeNotFoundError } from './revert-service';

/** What the quarantine path needs. */
export interface QuarantineDependencies {
  store: QuarantineStore;
  iam: IamGateway;
  clock: Clock;
  audit: AuditLog;
  /** Who may not be quarantined; `accountId` defaults to the change's account. */
  settings: QuarantineSettings;
}

/** What the confirmation modal shows before a quarantine. */
export interface QuarantinePreview {
  change: AssessedChange;
  target: QuarantineTarget;
  policyArn: string;
  /** The calls, in order (creating the policy only when it does not exist yet). */
  steps: RevertStep[];
  /** The equivalent `aws iam` command lines. */
  cli: string[];
  /** True when the deny policy is already attached to the target. */
  alreadyQuarantined: boolean;
  /** Why the quarantine would not run. */
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
  /** The calls, in order (one detach). */
  steps: RevertStep[];
  /** The equivalent `aws iam` command lines. */
  cli: string[];
  /** Why the lift would not run. */
  refusal?: string;
}

/** How a quarantine ended. */
export type QuarantineOutcome =
  | { status: 'done'; target: IamEntity; policyArn: string; createdPolicy: boolean }
  | { status: 'already-quarantined'; target: IamEntity; policyArn: string }
  | { status: 'refused'; reason: string }
  | { status: 'failed'; error: string; target?: IamEntity; policyArn?: string };

/** How a lift ended. */
export type LiftOutcome =
  | { status: 'lifted'; target: IamEntity; policyArn: string }
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

/** The quarantine use case. */
export class QuarantineService {
  private readonly policyName: string;

  constructor(private readonly deps: QuarantineDependencies) {
    this.policyName = deps.settings.policyName ?? QUARANTINE_POLICY_NAME;
  }

  /** Who would be quarantined and how, or why not. Reads only. */
  async prepare(eventId: string): Promise<QuarantinePreview> {
    const stored = await this.deps.store.getChange(eventId);
    if (!stored) throw new ChangeNotFoundError(eventId);
    const change = stored.change;
    const accountId = this.deps.settings.accountId ?? change.accountId;
    const target = quarantineTarget(change.actor, { ...this.deps.settings, accountId });
    const policyArn = quarantinePolicyArn(accountId, this.policyName);
    const preview: QuarantinePreview = {
      change,
      target,
      policyArn,
      steps: [],
      cli: [],
      alreadyQuarantined: false,
    };
    if ('refused' in target) {
      preview.refusal = target.refused;
      return preview;
    }
    const entity: IamEntity = { kind: target.kind, name: target.name };
    const policy = await this.deps.iam.getManagedPolicy(policyArn);
    if (!policy) {
      preview.steps.push({
        action: 'iam:CreatePolicy',
        params: {
          PolicyName: this.policyName,
          Path: QUARANTINE_POLICY_PATH,
          PolicyDocument: JSON.stringify(quarantineDocument()),
        },
      });
    }
    const attached = await this.deps.iam.listAttachedPolicies(entity);
    preview.alreadyQuarantined = attached.some((item) => item.arn === policyArn);
    if (!preview.alreadyQuarantined) preview.steps.push(attachStep(entity, policyArn, 'Attach'));
    preview.cli = preview.steps.map(toCliCommand);
    return preview;
  }

  /**
   * What lifting the quarantine recorded on a change would do: detach the deny policy from the principal it was
   * attached to, or why not (no active quarantine on the change, the principal gone, the policy no longer
   * attached). Reads only. Throws {@link ChangeNotFoundError} for an unknown event id.
   */
  async prepareLift(eventId: string): Promise<LiftPreview> {
    const stored = await this.deps.store.getChange(eventId);
    if (!stored) throw new ChangeNotFoundError(eventId);
    const record = stored.quarantine;
    const preview: LiftPreview = { change: stored.change, steps: [], cli: [] };
    if (record) preview.quarantine = record;
    if (!record || record.status === 'failed') {
      preview.refusal = record
        ? `the quarantine by ${record.by.name} failed (${record.error ?? 'see the audit log'}): nothing was attached to lift`
        : 'no quarantine is recorded on this change: nothing to lift';
      return preview;
    }
    preview.target = record.target;
    if (record.status === 'lifted') {
      const by = record.lifted ? ` by ${record.lifted.by.name} at ${record.lifted.at}` : '';
      preview.refusal = `the quarantine was already lifted${by}`;
      return preview;
    }
    let attached: Awaited<ReturnType<IamGateway['listAttachedPolicies']>>;
    try {
      attached = await this.deps.iam.listAttachedPolicies(record.target);
    } catch (error: unknown) {
      preview.refusal = `the policies of ${entityKey(record.target)} could not be read (${message(error)})`;
      return preview;
    }
    const suffix = `:policy${QUARANTINE_POLICY_PATH}${this.policyName}`;
    const policy = attached.find((item) => item.arn === record.policyArn || item.arn.endsWith(suffix));
    if (!policy) {
      preview.refusal = `${entityKey(record.target)} no longer has the quarantine policy attached: someone lifted it by hand, nothing to lift`;
      return preview;
    }
    preview.policyArn = policy.arn;
    preview.steps.push(attachStep(record.target, policy.arn, 'Detach'));
    preview.cli = preview.steps.map(toCliCommand);
    return preview;
  }

  /**
   * Quarantines the change's caller: creates the deny policy when missing (refusing to use one whose document
   * is not the bot's deny: someone changed it), attaches it, reads the attachment back, records it on the change
   * and audits it. Refusals (root, SSO, the bot's own role, protected principals, …) are audited too.
   */
  async quarantine(eventId: string, by: AuditActor, reason: string): Promise<QuarantineOutcome> {
    let preview: QuarantinePreview;
    try {
      preview = await this.prepare(eventId);
    } catch (error: unknown) {
      if (error instanceof ChangeNotFoundError) throw error;
      const text = `could not read IAM: ${message(error)}`;
      await this.audit(by, 'quarantine', eventId, undefined, reason, 'failed', { error: text });
      return { status: 'failed', error: text };
    }
    const { target, policyArn } = preview;
    if ('refused' in target) {
      await this.audit(by, 'quarantine-refused', eventId, undefined, reason, `refused: ${target.refused}`);
      return { status: 'refused', reason: target.refused };
    }
    const entity: IamEntity = { kind: target.kind, name: target.name };
    if (preview.alreadyQuarantined) {
      await this.audit(by, 'quarantine', eventId, entity, reason, 'already-quarantined', { policyArn });
      return { status: 'already-quarantined', target: entity, policyArn };
    }
    const now = this.deps.clock.now();
    const record: QuarantineRecord = {
      status: 'active',
      target: entity,
      policyArn,
      by,
      reason,
      at: now.toISOString(),
    };
    let createdPolicy = false;
    try {
      const existing = await this.deps.iam.getManagedPolicy(policyArn);
      if (existing) {
        const version = await this.deps.iam.getPolicyVersion(policyArn, existing.defaultVersionId);
        if (!version?.document || !sameDocument(version.document, quarantineDocument())) {
          const refusal = `${policyArn} exists but its default document is not the quarantine deny: someone changed it — check it before quarantining anyone`;
          await this.audit(by, 'quarantine-refused', eventId, entity, reason, `refused: ${refusal}`);
          return { status: 'refused', reason: refusal };
        }
      } else {
        await this.deps.iam.createManagedPolicy({
          name: this.policyName,
          path: QUARANTINE_POLICY_PATH,
          document: quarantineDocument(),
          description: QUARANTINE_POLICY_DESCRIPTION,
        });
        createdPolicy = true;
      }
      await this.deps.iam.attachManagedPolicy(entity, policyArn);
      const attached = await this.deps.iam.listAttachedPolicies(entity);
      if (!attached.some((item) => item.arn === policyArn)) {
        throw new Error(`${policyArn} is not listed on ${entityKey(entity)} after attaching it`);
      }
    } catch (error: unknown) {
      const text = message(error);
      await this.deps.store.recordQuarantine(eventId, { ...record, status: 'failed', error: text }, now);
      await this.audit(by, 'quarantine', eventId, entity, reason, 'failed', { error: text, policyArn });
      return { status: 'failed', error: text, target: entity, policyArn };
    }
    await this.deps.store.recordQuarantine(eventId, record, now);
    await this.audit(by, 'quarantine', eventId, entity, reason, 'done', { policyArn, createdPolicy });
    return { status: 'done', target: entity, policyArn, createdPolicy };
  }

  /**
   * Lifts a quarantine: detaches the deny policy from the principal recorded on the change (or the one given)
   * and reads it back. The policy is found among the principal's attached policies by its path and name, so
   * lifting needs no account id. Audited; recorded on the change when lifted by event id.
   */
  async lift(subject: LiftSubject, by: AuditActor, reason: string): Promise<LiftOutcome> {
    let entity: IamEntity;
    let eventId: string | undefined;
    let recorded: QuarantineRecord | undefined;
    if ('eventId' in subject) {
      eventId = subject.eventId;
      const stored = await this.deps.store.getChange(subject.eventId);
      if (!stored) throw new ChangeNotFoundError(subject.eventId);
      recorded = stored.quarantine;
      if (recorded) entity = recorded.target;
      else {
        const accountId = this.deps.settings.accountId ?? stored.change.accountId;
        const target = quarantineTarget(stored.change.actor, {
          bot: { memberAccounts: [] },
          protectedPrincipals: [],
          accountId,
        });
        if ('refused' in target) {
          await this.audit(by, 'lift-quarantine', eventId, undefined, reason, `refused: ${target.refused}`);
          return { status: 'refused', reason: target.refused };
        }
        entity = { kind: target.kind, name: target.name };
      }
    } else {
      entity = subject.principal;
    }
    try {
      const attached = await this.deps.iam.listAttachedPolicies(entity);
      const suffix = `:policy${QUARANTINE_POLICY_PATH}${this.policyName}`;
      const quarantine = attached.find((item) => item.arn.endsWith(suffix));
      if (!quarantine) {
        await this.audit(by, 'lift-quarantine', eventId, entity, reason, 'not-quarantined');
        return { status: 'not-quarantined', target: entity };
      }
      await this.deps.iam.detachManagedPolicy(entity, quarantine.arn);
      const after = await this.deps.iam.listAttachedPolicies(entity);
      if (after.some((item) => item.arn === quarantine.arn)) {
        throw new Error(`${quarantine.arn} is still attached to ${entityKey(entity)} after detaching it`);
      }
      const now = this.deps.clock.now();
      if (eventId && recorded) {
        await this.deps.store.recordQuarantine(
          eventId,
          { ...recorded, status: 'lifted', lifted: { by, reason, at: now.toISOString() } },
          now,
        );
      }
      await this.audit(by, 'lift-quarantine', eventId, entity, reason, 'lifted', {
        policyArn: quarantine.arn,
        cli: [toCliCommand(attachStep(entity, quarantine.arn, 'Detach'))],
      });
      return { status: 'lifted', target: entity, policyArn: quarantine.arn };
    } catch (error: unknown) {
      const text = message(error);
      await this.audit(by, 'lift-quarantine', eventId, entity, reason, 'failed', { error: text });
      return { status: 'failed', error: text, target: entity };
    }
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
