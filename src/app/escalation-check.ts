/**
 * The escalation check: after a change to a role's, user's or group's policies, what can that principal reach
 * now? Its attached and inline policies (and, for a user, its groups'), its permissions boundary, every Deny, are
 * read from IAM and judged against the known escalation methods (`src/domain/escalation`); the paths the change
 * opened join the change's reasons ("role X can now reach administrator through …").
 *
 * Notify runs it itself when the principal is in its own account and every document is at hand within a small
 * budget ({@link NotifyEscalation}); otherwise it marks the change "checking escalation paths…" and queues a
 * `judge-change` job, and the worker runs the check — with validation tried again, and the attached policy's
 * document read where notify could not — and updates the alert. The job names only a stored change: the worker
 * reads everything else from the store, IAM and Access Analyzer, writes nothing to IAM, and updates only that
 * change's own judgement and message — so a job from notify (not Slack-signed) is honoured without letting its
 * sender cause any IAM write (DESIGN §9).
 */

import { randomUUID } from 'node:crypto';
import { assessChange } from '../domain/assess-change';
import type { NamedDocument, PrincipalKind, PrincipalPolicies } from '../domain/escalation';
import { changedPrincipal, checkEscalation, withEscalation } from '../domain/escalation';
import { policyNameOf } from '../domain/managed-policy';
import { documentsToValidate, revalidated, withValidation } from '../domain/policy-validation';
import { documentKeyOf } from '../domain/resources';
import { compareLevels } from '../domain/risk/levels';
import type { RiskContext } from '../domain/risk/rule';
import type { AssessedChange, Change, EscalationCheck, PolicyDocument } from '../domain/types';
import type { ChangeContent } from './change-content';
import { handedInOrRead } from './handed-in-change';
import type { IamEntity, IamGateway } from './iam-port';
import { isIamError } from './iam-port';
import { type JobQueue, SYSTEM_REQUESTER } from './jobs';
import type { PolicyDocumentResolver } from './policy-documents';
import { type PolicyValidator, validateDocuments } from './policy-validation-port';
import type { ChangeStore, StoredChange } from './ports';
import type { RaisedAlertGate } from './raised-alert';

/** The IAM reads about a principal that the {@link IamGateway} does not make. */
export interface PrincipalDirectory {
  /** The names of an entity's inline policies (all pages). Throws `NoSuchEntity` when it is gone. */
  inlinePolicyNames(entity: IamEntity): Promise<string[]>;
  /** The groups a user is in (all pages). Throws `NoSuchEntity` when the user is gone. */
  groupsOf(userName: string): Promise<string[]>;
  /** The ARN of a role's or user's permissions boundary, `null` when none is set. */
  permissionsBoundary(entity: { kind: 'role' | 'user'; name: string }): Promise<string | null>;
}

/** Where checked changes are kept: read the change, record its check and merged risk. */
export interface EscalationStore {
  getChange(eventId: string): Promise<StoredChange | undefined>;
  /**
   * Replaces the stored change's judgement (`risk`, `escalation`, and `validation`, `managedPolicy` and `followUp`
   * when set) with the checked one; a change without `followUp` has it removed. Returns the change as written, which
   * its message is redrawn from: what responders recorded meanwhile (an acknowledgement, a revert, an ask) stays.
   */
  recordEscalation(eventId: string, change: AssessedChange, now: Date): Promise<StoredChange>;
  documentBefore: ChangeStore['documentBefore'];
}

/** Brings a change's Slack message up to date with its stored judgement (its own alert, or its burst thread). */
export interface AlertRefresher {
  refresh(stored: StoredChange): Promise<void>;
}

/** What the check is built from. */
export interface EscalationCheckDependencies {
  iam: Pick<IamGateway, 'listAttachedPolicies' | 'getInlinePolicy'>;
  directory: PrincipalDirectory;
  policies: Pick<PolicyDocumentResolver, 'lookup'>;
  store: Pick<EscalationStore, 'documentBefore'>;
  now: () => Date;
}

function message(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}

/** Reads what decides a principal's access and judges the change's escalation paths. */
export class EscalationChecker {
  constructor(private readonly deps: EscalationCheckDependencies) {}

  /** The check of one change; `undefined` for changes that touch no principal's policies. */
  async check(change: AssessedChange): Promise<EscalationCheck | undefined> {
    const principal = changedPrincipal(change);
    if (!principal) return undefined;
    let after: PrincipalPolicies;
    try {
      after = await this.read(principal.kind, principal.name, change);
    } catch (error: unknown) {
      if (isIamError(error, 'NoSuchEntity')) {
        return { state: 'unavailable', reason: `${principal.kind} ${principal.name} no longer exists` };
      }
      return { state: 'unavailable', reason: `its policies could not be read: ${message(error)}` };
    }
    const before = await this.before(change, after);
    const check = checkEscalation(after, before.policies);
    if (check.state === 'done' && before.unknown) {
      // Without the state before, a path cannot be said to be new: list none as opened.
      return {
        ...check,
        opened: [],
        alreadyOpen: check.alreadyOpen + check.opened.length,
        incomplete: [...(check.incomplete ?? []), before.unknown],
      };
    }
    return check;
  }

  /** Everything that decides what the principal can do now. */
  private async read(kind: PrincipalKind, name: string, change: AssessedChange): Promise<PrincipalPolicies> {
    const incomplete: string[] = [];
    const identity = await this.documentsOf({ kind, name }, '', change, incomplete);
    if (kind === 'user') {
      for (const group of await this.deps.directory.groupsOf(name)) {
        identity.push(
          ...(await this.documentsOf({ kind: 'group', name: group }, `group ${group}: `, change, incomplete)),
        );
      }
    }
    const out: PrincipalPolicies = { kind, name, identity };
    if (kind !== 'group') {
      const arn = await this.deps.directory.permissionsBoundary({ kind, name });
      if (arn) {
        const found = await this.deps.policies.lookup(arn, change);
        if (found.source === 'unknown')
          incomplete.push(`permissions boundary ${policyNameOf(arn)}: ${found.reason}`);
        else out.boundary = { name: `permissions boundary ${policyNameOf(arn)}`, document: found.document };
      }
    }
    if (incomplete.length > 0) out.incomplete = incomplete;
    return out;
  }

  private async documentsOf(
    entity: IamEntity,
    prefix: string,
    change: AssessedChange,
    incomplete: string[],
  ): Promise<NamedDocument[]> {
    const out: NamedDocument[] = [];
    for (const attached of await this.deps.iam.listAttachedPolicies(entity)) {
      const found = await this.deps.policies.lookup(attached.arn, change);
      if (found.source === 'unknown')
        incomplete.push(`${prefix}managed policy ${attached.name}: ${found.reason}`);
      else out.push({ name: `${prefix}managed policy ${attached.name}`, document: found.document });
    }
    for (const policyName of await this.deps.directory.inlinePolicyNames(entity)) {
      const document = await this.deps.iam.getInlinePolicy(entity, policyName);
      if (document) out.push({ name: `${prefix}inline policy ${policyName}`, document });
    }
    return out;
  }

  /**
   * The principal's policies as they were just before the change: the current ones with the change undone — an
   * attached policy taken away, a detached one put back, an inline document replaced by the one before.
   */
  private async before(
    change: AssessedChange,
    after: PrincipalPolicies,
  ): Promise<{ policies?: PrincipalPolicies; unknown?: string }> {
    const without = (name: string) => after.identity.filter((entry) => entry.name !== name);
    const { eventName, target } = change;
    const managedName = target.policyArn ? `managed policy ${policyNameOf(target.policyArn)}` : '';
    if (/^Attach/.test(eventName)) return { policies: { ...after, identity: without(managedName) } };
    if (/^Detach/.test(eventName)) {
      const document = change.managedPolicy?.document;
      if (!document) return { unknown: `the document of the detached ${managedName} is unknown` };
      return { policies: { ...after, identity: [...without(managedName), { name: managedName, document }] } };
    }
    if (/^(Put|Delete)(Role|User|Group)Policy$/.test(eventName) && target.policyName) {
      const inlineName = `inline policy ${target.policyName}`;
      const key = documentKeyOf(change);
      const previous = key
        ? await this.deps.store.documentBefore(key, change.eventTime, change.eventId)
        : undefined;
      const document: PolicyDocument | null | undefined = previous
        ? previous.document
        : eventName.startsWith('Put')
          ? null
          : undefined;
      if (document === undefined) return { unknown: `the ${inlineName} before the change is unknown` };
      return {
        policies: {
          ...after,
          identity: [...without(inlineName), ...(document ? [{ name: inlineName, document }] : [])],
        },
      };
    }
    if (/^Put(Role|User)PermissionsBoundary$/.test(eventName)) {
      const { boundary: _set, ...rest } = after;
      return { policies: rest };
    }
    if (eventName === 'AddUserToGroup') {
      const group = `group ${String(change.requestParameters?.groupName ?? '')}: `;
      return {
        policies: { ...after, identity: after.identity.filter((entry) => !entry.name.startsWith(group)) },
      };
    }
    return { unknown: `what ${eventName} removed is not known` };
  }
}

/** How a job ended, in one word for the log. */
export interface EscalationJobResult {
  outcome: 'checked' | 'not-applicable' | 'unknown-change';
}

/**
 * The worker's half: finish the judgement notify left to it — AWS validation tried again where it was
 * unavailable, the escalation check where it is not done — record the result and bring the message up to date.
 */
export class EscalationCheckService {
  constructor(
    private readonly deps: {
      checker: Pick<EscalationChecker, 'check'>;
      store: Pick<EscalationStore, 'getChange' | 'recordEscalation'>;
      alerts: AlertRefresher;
      now: () => Date;
      /** AWS's policy validator, for a change notify could not validate; without it validation is not retried. */
      validator?: PolicyValidator;
      /**
       * The attached policy's document where notify could not find it (a member account's customer policy, one no
       * source of notify's had), with the settings to judge the change again by it. Without it, not looked for.
       */
      rejudge?: { content: Pick<ChangeContent, 'prepare'>; risk: RiskContext };
      /**
       * Notify's gates, for a change this check raised: muted, digested or grouped by its lower level (or posted in
       * a lower level's channel), it is posted again where its new level goes. Without it, only updated in place.
       */
      raise?: Pick<RaisedAlertGate, 'regate'>;
      log?: (message: string, details: Record<string, unknown>) => void;
    },
  ) {}

  /**
   * Judges the stored change `eventId` again. `given`: the change as the job already read it (not read again);
   * read here when not given. Its judgement is then written whole ({@link EscalationStore.recordEscalation}): no
   * conditional write needs the item read again. `delivery`: the job's delivery (its id the same on every retry),
   * whose retry takes over its own claim on posting a raised alert; without it, a run is a job of its own.
   */
  async run(eventId: string, given?: StoredChange, delivery?: { id: string }): Promise<EscalationJobResult> {
    const stored = await handedInOrRead(eventId, given, this.deps.store);
    if (!stored) return { outcome: 'unknown-change' };
    const { followUp: _done, ...rest } = stored.change;
    let change: AssessedChange = rest;
    let changed = stored.change.followUp !== undefined;
    if (this.deps.rejudge && change.managedPolicy?.source === 'unknown' && !change.bot && !change.expected) {
      const judged = await this.rejudged(change, this.deps.rejudge);
      changed ||= judged !== change;
      change = judged;
    }
    const validator = this.deps.validator;
    if (validator && change.validation?.status === 'unavailable') {
      const validation = await validateDocuments(validator, documentsToValidate(change));
      if (validation.status === 'unavailable') {
        this.deps.log?.('AWS policy validation still unavailable', { eventId, reason: validation.reason });
      }
      change = revalidated(change, validation);
      changed = true;
    }
    if (changedPrincipal(change) && !change.bot && change.escalation?.state !== 'done') {
      const check = await this.deps.checker.check(change);
      if (check) {
        change = withEscalation(change, check);
        changed = true;
      }
    }
    if (!changed) return { outcome: 'not-applicable' };
    // Before recording, never after: a post that fails — or another job's post not yet made — fails this job
    // with nothing recorded, and its retry (still seeing the lower level) posts the alert or finds it posted.
    const raised = await this.deps.raise?.regate(stored, change, delivery?.id ?? randomUUID());
    if (raised) {
      this.deps.log?.('raised change posted again', {
        eventId,
        level: change.risk.level,
        why: raised.reason,
      });
    }
    const written = await this.deps.store.recordEscalation(eventId, change, this.deps.now());
    try {
      // From the item as written, never the read the job started with: an acknowledgement, a revert or an ask
      // recorded while the check ran stays on the message.
      await this.deps.alerts.refresh(written);
    } catch (error: unknown) {
      // Recorded: the next re-render of the alert (an acknowledgement, a revert) shows it.
      this.deps.log?.('the alert could not be updated with the escalation check', {
        eventId,
        error: message(error),
      });
    }
    return { outcome: 'checked' };
  }

  /**
   * The change judged again with the attached policy's document, when it can be found now; as it was otherwise.
   * What notify added is kept: the account's name, AWS's findings, where the escalation check stands.
   */
  private async rejudged(
    change: AssessedChange,
    { content, risk }: { content: Pick<ChangeContent, 'prepare'>; risk: RiskContext },
  ): Promise<AssessedChange> {
    const {
      risk: _risk,
      revert: _revert,
      managedPolicy: _unknown,
      validation,
      escalation,
      account,
      followUp: _followUp,
      bot: _bot,
      expected: _expected,
      ...call
    } = change;
    const prepared = await content.prepare(call as Change);
    if (
      prepared.change.managedPolicy?.source === undefined ||
      prepared.change.managedPolicy.source === 'unknown'
    ) {
      return change;
    }
    let judged: AssessedChange = assessChange(
      prepared.change,
      prepared.actions ? { ...risk, actions: prepared.actions } : risk,
    );
    if (account) judged = { ...judged, account };
    if (validation) judged = withValidation(judged, validation);
    // The path notify's check found stays among the reasons: assessChange knows nothing of it.
    if (escalation) judged = withEscalation(judged, escalation);
    // A second look may only raise the level: a document read later (a default version made since, a policy
    // edited to look harmless) never lowers what notify said of the change.
    if (compareLevels(judged.risk.level, change.risk.level) > 0) return change;
    return judged;
  }
}

/**
 * How notify takes part: `prepare` before the change is stored and posted, `delivered` once it is, `redelivered`
 * when a notification of a change already posted comes again (SNS's retry after a failure).
 */
export interface EscalationStep {
  /**
   * A fresh {@link EscalationBudget} for one notification: every change of it is checked on the same budget. A
   * step without one checks each change on a budget of its own.
   */
  budget?(): EscalationBudget;
  /**
   * The change with notify's part of the check, or marked for the worker's. `deadline` (epoch ms) is when the
   * invocation must stop starting new work: notify's own check never runs past it. `budget`: the notification's
   * (from {@link budget}); without it, one for this change alone.
   */
  prepare(change: AssessedChange, deadline?: number, budget?: EscalationBudget): Promise<AssessedChange>;
  /**
   * Queues the worker's part, when the change needs one. Throws {@link FollowUpNotQueuedError} when the job could
   * not be published — after saying so on the change and its alert — so the notification is delivered again.
   */
  delivered(change: AssessedChange): Promise<void>;
  /**
   * Queues the job again for a posted change whose worker's part is still outstanding (its job not published, or
   * perhaps never published: notify may have ended before); nothing for any other change.
   */
  redelivered(stored: StoredChange): Promise<void>;
}

/** The worker's job for a change could not be published: the change says so; the notification must come again. */
export class FollowUpNotQueuedError extends Error {
  override readonly name = 'FollowUpNotQueuedError';
}

/** Which of the check's outcomes notify may post as they are, rather than leave to the worker. */
function isFinal(check: EscalationCheck): boolean {
  return check.state === 'done' && (check.incomplete ?? []).length === 0;
}

/** `undefined` when `work` has not settled within `ms` (it goes on, unobserved: it only reads). */
async function within<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The time notify may spend on its own escalation checks while delivering one notification
 * (`ESCALATION_INLINE_MS`), shared by all of its changes: a notification of 50 records spends it once, not 50
 * times. Changes are checked in turn while some is left; each check is charged the time it took (by the clock it
 * is given), and once none is left the remaining changes go to the worker ("checking escalation paths…"). Not
 * shared between concurrent checks: notify delivers one change at a time.
 */
export class EscalationBudget {
  private spentMs = 0;

  constructor(
    /** The whole budget, in ms. */
    readonly totalMs: number,
    private readonly now: () => Date,
  ) {}

  /** What is left of it, in ms (never below 0). */
  remainingMs(): number {
    return Math.max(0, this.totalMs - this.spentMs);
  }

  /** Runs `work` and charges the time it took to the budget, whether it settles or throws. */
  async spend<T>(work: () => Promise<T>): Promise<T> {
    const start = this.now().getTime();
    try {
      return await work();
    } finally {
      this.spentMs += Math.max(0, this.now().getTime() - start);
    }
  }
}

/** Time kept after notify's own check to store and post the change: one Slack post and a few store writes. */
export const DELIVERY_RESERVE_MS = 3_000;

/** What notify's part of the check is built from. */
export interface NotifyEscalationDependencies {
  /**
   * The check on what notify can read itself (its own account's IAM, the store, the catalogue). Without it
   * every check goes to the worker.
   */
  checker?: Pick<EscalationChecker, 'check'>;
  /** Whether `checker` can read the account a change was made in (notify reads only its own). Default: all. */
  reads?: (accountId: string) => boolean;
  /**
   * How long notify may spend on its own checks for one notification, all its changes together
   * ({@link EscalationBudget}), before leaving the rest to the worker.
   */
  budgetMs: number;
  /**
   * The invocation's time kept for storing and posting the change after the check (default
   * {@link DELIVERY_RESERVE_MS}): with less than that left before the deadline, the worker checks it.
   */
  reserveMs?: number;
  /** The worker's jobs topic. Without it notify posts whatever its own check found. */
  queue?: JobQueue;
  /** Where the change's judgement is kept, to say on it that its job could not be queued. */
  store: Pick<EscalationStore, 'getChange' | 'recordEscalation'>;
  /** Brings the posted alert up to date when its job could not be queued. */
  alerts: AlertRefresher;
  now: () => Date;
  log?: (message: string, details: Record<string, unknown>) => void;
}

/**
 * Notify's part of the escalation check. When every document the check needs is at hand — the principal in
 * notify's own account, each attached policy's document in the store, the catalogue or IAM's answer, all within
 * what is left of the notification's `budgetMs` — the check runs here and the alert is posted with its result.
 * Otherwise the change is posted as "checking escalation paths…" and a job hands the check to the worker, which
 * reads what notify could not (a member account through the responder role, a document no source here had) and
 * updates the message. A change whose validation was unavailable is handed to the worker too, which validates it
 * again.
 */
export class NotifyEscalation implements EscalationStep {
  constructor(private readonly deps: NotifyEscalationDependencies) {}

  budget(): EscalationBudget {
    return new EscalationBudget(this.deps.budgetMs, this.deps.now);
  }

  async prepare(
    change: AssessedChange,
    deadline = Number.POSITIVE_INFINITY,
    budget: EscalationBudget = this.budget(),
  ): Promise<AssessedChange> {
    if (change.bot) return change;
    const principal = changedPrincipal(change);
    const worker = this.deps.queue !== undefined;
    const revalidate = worker && change.validation?.status === 'unavailable';
    if (!principal) return revalidate ? { ...change, followUp: { state: 'queued' } } : change;
    const here = await this.checkHere(change, deadline, budget);
    if ('check' in here && (isFinal(here.check) || !worker)) {
      const checked = withEscalation(change, here.check);
      return revalidate ? { ...checked, followUp: { state: 'queued' } } : checked;
    }
    if (!worker) {
      const why = 'why' in here ? here.why : 'not finished';
      return withEscalation(change, {
        state: 'unavailable',
        reason: `${why}, and there is no worker to run it`,
      });
    }
    return { ...change, escalation: { state: 'checking' }, followUp: { state: 'queued' } };
  }

  /** Notify's own check, or why it has none (its account is not notify's, it did not finish in time…). */
  private async checkHere(
    change: AssessedChange,
    deadline: number,
    budget: EscalationBudget,
  ): Promise<{ check: EscalationCheck } | { why: string }> {
    const checker = this.deps.checker;
    if (!checker || this.deps.budgetMs <= 0) return { why: 'notify does not check escalation itself' };
    if (this.deps.reads && !this.deps.reads(change.accountId)) {
      return { why: `account ${change.accountId} is read only by the worker` };
    }
    const remaining = budget.remainingMs();
    if (remaining <= 0)
      return { why: `the notification's ${budget.totalMs} ms for checks in notify are spent` };
    // Within what is left of the notification's budget and of the invocation's time, keeping enough of the latter
    // to store and post the change after.
    const left = deadline - this.deps.now().getTime() - (this.deps.reserveMs ?? DELIVERY_RESERVE_MS);
    const budgetMs = Math.min(remaining, left);
    if (budgetMs <= 0) return { why: 'the invocation is near its end' };
    try {
      const check = await budget.spend(() => within(checker.check(change), budgetMs));
      return check ? { check } : { why: `not finished within ${budgetMs} ms` };
    } catch (error: unknown) {
      this.deps.log?.('escalation check in notify failed; left to the worker', {
        eventId: change.eventId,
        error: message(error),
      });
      return { why: `it failed: ${message(error)}` };
    }
  }

  async delivered(change: AssessedChange): Promise<void> {
    if (change.followUp === undefined) return;
    await this.publish(change);
  }

  async redelivered(stored: StoredChange): Promise<void> {
    const followUp = stored.change.followUp;
    if (followUp === undefined) return;
    if (followUp.state === 'queued') {
      // Outstanding: notify may have ended between posting and publishing. Publishing again is harmless (the
      // worker's run is idempotent and removes `followUp` once done); never publishing leaves "Checking…" forever.
      await this.publish(stored.change);
      return;
    }
    const { followUp: _failed, ...change } = stored.change;
    const waiting: AssessedChange = {
      ...change,
      ...(changedPrincipal(change) && change.escalation?.state !== 'done'
        ? { escalation: { state: 'checking' } as const }
        : {}),
      followUp: { state: 'queued' },
    };
    // Recorded and shown before publishing: the worker's result, however soon it comes, is written after it.
    await this.refresh(await this.deps.store.recordEscalation(change.eventId, waiting, this.deps.now()));
    await this.publish(waiting);
  }

  /** Publishes the job; when that fails, says so on the change and its alert and throws. */
  private async publish(change: AssessedChange): Promise<void> {
    try {
      await this.deps.queue?.publish({
        kind: 'judge-change',
        eventId: change.eventId,
        by: { ...SYSTEM_REQUESTER },
      });
      return;
    } catch (error: unknown) {
      const why = message(error);
      this.deps.log?.('escalation check not queued', { eventId: change.eventId, error: why });
      const failed: AssessedChange = {
        ...change,
        ...(change.escalation?.state === 'checking'
          ? {
              escalation: {
                state: 'unavailable' as const,
                reason: `the check could not be queued for the worker (${why}); it is queued again when the notification is retried`,
              },
            }
          : {}),
        followUp: { state: 'not-queued', reason: why },
      };
      try {
        await this.refresh(await this.deps.store.recordEscalation(change.eventId, failed, this.deps.now()));
      } catch (recording: unknown) {
        // The retry queues the job whatever the alert says; only its wording is lost.
        this.deps.log?.('the alert could not say that its check was not queued', {
          eventId: change.eventId,
          error: message(recording),
        });
      }
      throw new FollowUpNotQueuedError(`the worker's job for ${change.eventId} could not be queued: ${why}`, {
        cause: error,
      });
    }
  }

  private async refresh(stored: StoredChange): Promise<void> {
    try {
      await this.deps.alerts.refresh(stored);
    } catch (error: unknown) {
      this.deps.log?.('the alert could not be updated', {
        eventId: stored.change.eventId,
        error: message(error),
      });
    }
  }
}
