/**
 * The worker use case: the slow half of every Slack interaction, run from the jobs topic (or in process
 * locally). Each job ends by telling Slack what happened — filling the modal the listener opened in a loading
 * state, updating the alert and replying in its thread, answering through the slash command's `response_url` —
 * and a job whose outcome cannot be told to anyone is thrown back, so the jobs topic's retries and dead-letter
 * queue keep it. Reverts and quarantines are recorded by their own use cases (store and audit log) before
 * Slack hears of them: a Slack failure afterwards is logged, never turned into a second attempt.
 */

import type { Change, PolicyDocument } from '../domain/types';
import type { ChangeRead } from './account-router';
import type {
  ChangeAccount,
  CommandAnswer,
  Confirmation,
  ConfirmSubject,
  DiffResult,
  DiffSource,
  ResponderChannel,
  ThreadNote,
} from './alert-port';
import type { AskActorService } from './ask-actor-service';
import type { BeforeStateResolver, BeforeStateSource } from './before-state';
import type { CisAuditGateway } from './cis-audit-service';
import type { EscalationCheckService } from './escalation-check';
import { namesChange } from './handed-in-change';
import type { CisStatusCache } from './home-service';
import type { IamGateway } from './iam-port';
import type { JobDelivery } from './job-verification';
import type { AlertRef, Job, Requester } from './jobs';
import type { Clock } from './ports';
import type { QuarantineService } from './quarantine-service';
import type { QueryService } from './query-service';
import {
  ChangeNotFoundError,
  type QuarantineStore,
  type RespondedChange,
  type RevertStore,
} from './revert-port';
import type { RevertService } from './revert-service';

/** Settings of the worker. */
export interface WorkerSettings {
  /** Accounts whose principals are trusted in trust policies, for the diff's risk delta. */
  trustedAccounts: string[];
  /**
   * Progress posts one history search makes at most. Slack allows five posts per `response_url`: the searching
   * note, these, and up to two for the answer (a shared answer removes the private note, then posts). Default 2.
   */
  maxProgressPosts?: number;
  /** Seconds between two progress posts of a history search. Default 15. */
  progressIntervalSeconds?: number;
}

/** What the worker is built from. */
export interface WorkerDependencies {
  /** Slack, told in facts: the adapter renders modals, notes and answers. */
  slack: ResponderChannel;
  store: Pick<RevertStore & QuarantineStore, 'getChange'>;
  revert: Pick<RevertService, 'prepare' | 'execute'>;
  quarantine: Pick<QuarantineService, 'prepare' | 'prepareLift' | 'quarantine' | 'lift'>;
  resolver: Pick<BeforeStateResolver, 'resolveBeforeState'>;
  iam: Pick<IamGateway, 'getManagedPolicy' | 'getPolicyVersion'>;
  queries: Pick<QueryService, 'searchHistory'>;
  cisAudit: CisAuditGateway;
  /** Where each CIS 4.4 audit's result is kept for the Home tab; without it, none is kept. */
  cisStatus?: Pick<CisStatusCache, 'save'>;
  /**
   * Judging a stored change again (its attached policy, AWS validation, escalation paths: reads only, and writes
   * the change's own judgement); without it `judge-change` jobs end `not-configured`.
   */
  escalation?: Pick<EscalationCheckService, 'run'>;
  /** "Was this you?" for a posted change (maps the actor, sends the DM); without it such jobs end `not-configured`. */
  askActor?: Pick<AskActorService, 'askAbout'>;
  clock: Clock;
  settings: WorkerSettings;
  /** Where problems that are not the job's outcome go (a Slack update that failed). */
  log?: (message: string, details: Record<string, unknown>) => void;
}

/** How a job ended, for the handler's log line. */
export interface JobResult {
  kind: Job['kind'];
  /** One word or line: `done`, `refused`, `already-claimed`, `view-updated`, `answered`, … */
  outcome: string;
}

function message(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}

const ATTACH_DETACH = /^(Attach|Detach)(Role|User|Group)Policy$/;

/** The before-state's origin as the diff modal states it; `record` (the call itself settles it) reads as unknown. */
function diffSource(source: BeforeStateSource): DiffSource {
  const out: DiffSource = { kind: source.kind === 'record' ? 'unknown' : source.kind };
  if (source.eventId) out.eventId = source.eventId;
  if (source.eventTime) out.eventTime = source.eventTime;
  if (source.versionId) out.versionId = source.versionId;
  if (source.detail) out.detail = source.detail;
  return out;
}

/**
 * Runs jobs. One instance per process; `run` is safe to call concurrently. The code only one kind of job needs —
 * the diff, the history search's query grammar, the CIS 4.4 audit — is imported by that kind's first job, so a
 * worker started for a revert never loads the audit.
 */
export class WorkerService {
  private readonly log: NonNullable<WorkerDependencies['log']>;

  constructor(private readonly deps: WorkerDependencies) {
    this.log = deps.log ?? ((text, details) => console.warn(text, details));
  }

  /**
   * Runs one job and tells Slack how it went. Rejects only when the outcome could be told to nobody (the use
   * case failed unexpectedly and Slack could not be reached either), so the job is retried or kept. `read`: the
   * job's change as the runners in front already read it for this job; it is handed to the use cases rather than
   * read again (read here only when nobody did).
   */
  async run(job: Job, delivery?: JobDelivery, read?: ChangeRead): Promise<JobResult> {
    const known = 'eventId' in job ? knownChange(job.eventId, read) : undefined;
    switch (job.kind) {
      case 'prepare-confirmation':
        return this.prepareConfirmation(job, known);
      case 'revert':
        return this.revertChange(job, known);
      case 'quarantine':
      case 'lift-quarantine':
        return this.quarantineCaller(job, known, delivery);
      case 'diff':
        return this.showDiff(job, known);
      case 'history':
        return this.searchHistory(job);
      case 'status':
        return this.reportStatus(job);
      case 'prepare-fleet-confirmation':
      case 'fleet-revert':
      case 'fleet-quarantine':
        // Run by the fleet runner in front of the per-account workers (`fleet-actions.ts`), never here.
        return { kind: job.kind, outcome: 'not-handled' };
      case 'judge-change':
        if (known && !known.stored) return { kind: job.kind, outcome: 'unknown-change' };
        return {
          kind: job.kind,
          outcome:
            (await this.deps.escalation?.run(job.eventId, known?.stored, delivery))?.outcome ??
            'not-configured',
        };
      case 'ask-actor':
        return this.askActor(job.eventId, known);
    }
  }

  /**
   * "Was this you?": a failure is logged and ends the job, never retried — the ask is recorded before its DM, so a
   * retry would find it asked and send nothing anyway.
   */
  private async askActor(eventId: string, known: ChangeRead | undefined): Promise<JobResult> {
    if (!this.deps.askActor) return { kind: 'ask-actor', outcome: 'not-configured' };
    if (known && !known.stored) return { kind: 'ask-actor', outcome: 'not-stored' };
    try {
      return { kind: 'ask-actor', outcome: await this.deps.askActor.askAbout(eventId, known?.stored) };
    } catch (error: unknown) {
      this.log('could not ask the actor', { eventId, error: message(error) });
      return { kind: 'ask-actor', outcome: 'failed' };
    }
  }

  // --- confirmation modals ----------------------------------------------------------------------------------

  private async prepareConfirmation(
    job: Extract<Job, { kind: 'prepare-confirmation' }>,
    known: ChangeRead | undefined,
  ): Promise<JobResult> {
    const subject: ConfirmSubject = { eventId: job.eventId };
    if (job.alert) Object.assign(subject, { channel: job.alert.channel, ts: job.alert.ts });
    let confirmation: Confirmation;
    let outcome = 'view-updated';
    try {
      const stored = storedOrThrow(job.eventId, known);
      if (job.action === 'revert')
        confirmation = { action: 'revert', preview: await this.deps.revert.prepare(job.eventId, stored) };
      else if (job.action === 'quarantine') {
        confirmation = {
          action: 'quarantine',
          preview: await this.deps.quarantine.prepare(job.eventId, undefined, stored),
        };
      } else
        confirmation = {
          action: 'lift-quarantine',
          preview: await this.deps.quarantine.prepareLift(job.eventId, stored),
        };
    } catch (error: unknown) {
      const notFound = error instanceof ChangeNotFoundError;
      outcome = notFound ? 'not-found' : 'failed';
      if (outcome === 'failed')
        this.log('confirmation not prepared', { eventId: job.eventId, error: message(error) });
      confirmation = { action: job.action, problem: { detail: message(error), notFound } };
    }
    await this.updateView(job.viewId, job.eventId, (viewId) =>
      this.deps.slack.showConfirmation(viewId, subject, confirmation),
    );
    return { kind: job.kind, outcome };
  }

  private async updateView(
    viewId: string,
    eventId: string,
    show: (viewId: string) => Promise<void>,
  ): Promise<void> {
    try {
      await show(viewId);
    } catch (error: unknown) {
      // The person may have closed the modal: nothing is waiting for it any more.
      this.log('modal not updated', { viewId, eventId, error: message(error) });
    }
  }

  // --- revert and quarantine --------------------------------------------------------------------------------

  private async revertChange(
    job: Extract<Job, { kind: 'revert' }>,
    known: ChangeRead | undefined,
  ): Promise<JobResult> {
    let outcome: Awaited<ReturnType<RevertService['execute']>>;
    try {
      outcome = await this.deps.revert.execute(
        job.eventId,
        { by: job.by, reason: job.reason },
        storedOrThrow(job.eventId, known),
      );
    } catch (error: unknown) {
      return this.failed(job, job.alert, error);
    }
    // Read again on purpose: the revert has just written the item (its claim and result, with conditional
    // writes), and the alert is rendered from the item as it now is, not as it was before the job.
    const stored = await this.stored(job.eventId);
    const note: ThreadNote = { kind: 'revert', outcome, by: job.by, ...whereOf(stored) };
    if (outcome.status !== 'already-claimed') {
      await this.refreshAlert(stored);
      await this.replyInThread(stored, job.alert, note);
    }
    if (outcome.status !== 'done') await this.tellRequester(stored, job.alert, job.by, note);
    return { kind: job.kind, outcome: outcome.status };
  }

  private async quarantineCaller(
    job: Extract<Job, { kind: 'quarantine' | 'lift-quarantine' }>,
    known: ChangeRead | undefined,
    delivery: JobDelivery | undefined,
  ): Promise<JobResult> {
    let note: ThreadNote;
    let status: string;
    let holder: string | undefined;
    try {
      const given = storedOrThrow(job.eventId, known);
      if (job.kind === 'quarantine') {
        // The delivery id is the same for every retry of this job: a retry takes over its own claim.
        const outcome = await this.deps.quarantine.quarantine(
          job.eventId,
          job.by,
          job.reason,
          job.modes,
          given,
          delivery?.id,
        );
        note = { kind: 'quarantine', outcome, by: job.by, reason: job.reason };
        status = outcome.status;
        // Modes added to the quarantine of another change of the same principal: that alert shows them too.
        if (outcome.status === 'modes-added' && outcome.quarantinedFor !== job.eventId)
          holder = outcome.quarantinedFor;
      } else {
        const outcome = await this.deps.quarantine.lift(
          { eventId: job.eventId },
          job.by,
          job.reason,
          given,
          delivery?.id,
        );
        note = { kind: 'lift-quarantine', outcome, by: job.by, reason: job.reason };
        status = outcome.status;
      }
    } catch (error: unknown) {
      return this.failed(job, job.alert, error);
    }
    // Read again on purpose, as after a revert: the quarantine (or lift) has just written the item.
    const stored = await this.stored(job.eventId);
    note = { ...note, ...whereOf(stored) };
    await this.refreshAlert(stored);
    if (holder) await this.refreshAlert(await this.stored(holder));
    await this.replyInThread(stored, job.alert, note);
    if (status !== 'done' && status !== 'lifted' && status !== 'modes-added')
      await this.tellRequester(stored, job.alert, job.by, note);
    return { kind: job.kind, outcome: status };
  }

  /** A use case that threw: tell the requester; when even that fails, reject so the job is kept. */
  private async failed(
    job: Extract<Job, { kind: 'revert' | 'quarantine' | 'lift-quarantine' }>,
    alert: AlertRef | undefined,
    error: unknown,
  ): Promise<JobResult> {
    const notFound = error instanceof ChangeNotFoundError;
    const problem: ThreadNote = {
      kind: 'failure',
      failure: notFound
        ? { task: job.kind, detail: job.eventId, notFound: true }
        : { task: job.kind, detail: message(error) },
    };
    this.log(`${job.kind} job failed`, { eventId: job.eventId, error: message(error) });
    const stored = notFound ? undefined : await this.stored(job.eventId);
    const told = await this.tellRequester(stored, alert, job.by, problem);
    if (!told && !notFound) throw error;
    return { kind: job.kind, outcome: notFound ? 'not-found' : 'failed' };
  }

  private async stored(eventId: string): Promise<RespondedChange | undefined> {
    try {
      return await this.deps.store.getChange(eventId);
    } catch (error: unknown) {
      this.log('change not read back', { eventId, error: message(error) });
      return undefined;
    }
  }

  /**
   * Re-renders the alert with its response state. A change grouped into a burst has no message of its own (its
   * line is one of many in a thread message), so only its thread hears of it.
   */
  private async refreshAlert(stored: RespondedChange | undefined): Promise<void> {
    if (!stored?.slack || stored.slack.threadTs !== undefined) return;
    try {
      await this.deps.slack.updateAlert(stored.slack, stored);
    } catch (error: unknown) {
      this.log('alert not updated', { eventId: stored.change.eventId, error: message(error) });
    }
  }

  private async replyInThread(
    stored: RespondedChange | undefined,
    alert: AlertRef | undefined,
    note: ThreadNote,
  ): Promise<void> {
    const place = threadOf(stored, alert);
    if (!place) return;
    try {
      await this.deps.slack.postThreadNote(place, note);
    } catch (error: unknown) {
      this.log('thread reply not posted', { channel: place.channel, error: message(error) });
    }
  }

  /** An ephemeral message to the person who asked; false when it could not be delivered. */
  private async tellRequester(
    stored: RespondedChange | undefined,
    alert: AlertRef | undefined,
    by: Requester,
    note: ThreadNote,
  ): Promise<boolean> {
    const place = threadOf(stored, alert);
    if (!place) return false;
    try {
      await this.deps.slack.tellUser(
        {
          channel: place.channel,
          ...(stored?.slack?.threadTs ? { threadTs: stored.slack.threadTs } : {}),
        },
        by.slackUserId,
        note,
      );
      return true;
    } catch (error: unknown) {
      this.log('ephemeral not posted', { user: by.slackUserId, error: message(error) });
      return false;
    }
  }

  // --- diff -------------------------------------------------------------------------------------------------

  private async showDiff(
    job: Extract<Job, { kind: 'diff' }>,
    known: ChangeRead | undefined,
  ): Promise<JobResult> {
    const { diffDocuments, diffInputsFor, riskDelta } = await import('../domain/diff');
    const show = (result: DiffResult) =>
      this.updateView(job.viewId, job.eventId, (viewId) => this.deps.slack.showDiff(viewId, result));
    let stored: RespondedChange | undefined;
    try {
      stored = known ? known.stored : await this.deps.store.getChange(job.eventId);
    } catch (error: unknown) {
      await show({ kind: 'unreadable', eventId: job.eventId, detail: message(error) });
      return { kind: job.kind, outcome: 'failed' };
    }
    if (!stored) {
      await show({ kind: 'not-found', eventId: job.eventId });
      return { kind: job.kind, outcome: 'not-found' };
    }
    const change = stored.change;
    let result: DiffResult;
    let outcome = 'view-updated';
    try {
      const { previousDocument, managedPolicyDocument, source } = await this.diffDocumentsOf(change);
      const inputs = diffInputsFor(change, { previousDocument, managedPolicyDocument });
      const diff = diffDocuments(inputs.before, inputs.after);
      const delta = riskDelta(change, diff, { trustedAccounts: this.deps.settings.trustedAccounts });
      result = { kind: 'diff', change, diff, source, delta, page: job.page ?? 0 };
    } catch (error: unknown) {
      outcome = 'failed';
      this.log('diff not computed', { eventId: job.eventId, error: message(error) });
      result = { kind: 'failed', change, detail: message(error) };
    }
    await show(result);
    return { kind: job.kind, outcome };
  }

  /**
   * The documents a change's diff compares: the before-state from the resolver (store → CloudTrail → IAM) and,
   * where the diff needs it, a managed policy's document from IAM — the default version for Attach / Detach,
   * the version made default for SetDefaultPolicyVersion, and the current default a CreatePolicyVersion that did
   * not become the default is compared with.
   */
  private async diffDocumentsOf(change: Change): Promise<{
    previousDocument?: PolicyDocument | null;
    managedPolicyDocument?: PolicyDocument;
    source: DiffSource;
  }> {
    // Loaded with the first diff, as the rest of the diff's code (`showDiff`).
    const { becameDefault } = await import('../domain/drift');
    const resolved = await this.deps.resolver.resolveBeforeState(change);
    let previousDocument = resolved.state.previousDocument;
    let managedPolicyDocument = ATTACH_DETACH.test(change.eventName) ? resolved.policyDocument : undefined;
    let source = diffSource(resolved.source);
    const arn = change.target.policyArn;
    const versionId = change.target.versionId;
    if (change.eventName === 'SetDefaultPolicyVersion' && arn && versionId) {
      managedPolicyDocument = (await this.readVersion(arn, versionId)) ?? undefined;
    }
    if (
      change.eventName === 'CreatePolicyVersion' &&
      change.outcome === 'success' &&
      !becameDefault(change) &&
      previousDocument === undefined &&
      arn
    ) {
      try {
        const policy = await this.deps.iam.getManagedPolicy(arn);
        if (policy && policy.defaultVersionId !== versionId) {
          const document = await this.readVersion(arn, policy.defaultVersionId);
          if (document) {
            previousDocument = document;
            source = {
              kind: 'iam',
              versionId: policy.defaultVersionId,
              detail: `the current default version ${policy.defaultVersionId}, which the new version did not replace`,
            };
          }
        }
      } catch (error: unknown) {
        this.log('default version not read', { policyArn: arn, error: message(error) });
      }
    }
    const out: {
      previousDocument?: PolicyDocument | null;
      managedPolicyDocument?: PolicyDocument;
      source: DiffSource;
    } = { source };
    if (previousDocument !== undefined) out.previousDocument = previousDocument;
    if (managedPolicyDocument !== undefined) out.managedPolicyDocument = managedPolicyDocument;
    return out;
  }

  private async readVersion(arn: string, versionId: string): Promise<PolicyDocument | undefined> {
    try {
      return (await this.deps.iam.getPolicyVersion(arn, versionId))?.document;
    } catch (error: unknown) {
      this.log('policy version not read', { policyArn: arn, versionId, error: message(error) });
      return undefined;
    }
  }

  // --- /iam-changes ---------------------------------------------------------------------------------------

  /**
   * A query older than the store, searched in CloudTrail. The listener already posted the "searching" note; at
   * most {@link WorkerSettings.maxProgressPosts} progress notes (15 s apart) and the answer follow, so the
   * `response_url` is used at most five times, as Slack allows.
   */
  private async searchHistory(job: Extract<Job, { kind: 'history' }>): Promise<JobResult> {
    const { parseQuery } = await import('../domain/query');
    const now = this.deps.clock.now();
    const parsed = parseQuery(job.text, now);
    if (!parsed.ok) {
      await this.respond(job.responseUrl, { kind: 'query-error', error: parsed.error, text: job.text });
      return { kind: job.kind, outcome: 'bad-query' };
    }
    const query = parsed.query;
    const maxPosts = this.deps.settings.maxProgressPosts ?? 2;
    const intervalMs = (this.deps.settings.progressIntervalSeconds ?? 15) * 1000;
    let posts = 0;
    let lastPost = now.getTime();
    try {
      const answer = await this.deps.queries.searchHistory(query, async (progress) => {
        const at = this.deps.clock.now().getTime();
        if (posts >= maxPosts || at - lastPost < intervalMs) return;
        posts += 1;
        lastPost = at;
        const note: CommandAnswer = {
          kind: 'search-progress',
          pages: progress.pages,
          events: progress.events,
        };
        if (progress.searchedFrom) note.searchedFrom = progress.searchedFrom;
        await this.respond(job.responseUrl, note);
      });
      const delivered = await this.respond(job.responseUrl, {
        kind: 'query',
        query,
        answer,
        now: this.deps.clock.now(),
        ...(job.permalinkBase ? { permalinkBase: job.permalinkBase } : {}),
      });
      return { kind: job.kind, outcome: delivered ? 'answered' : 'not-delivered' };
    } catch (error: unknown) {
      this.log('history search failed', { error: message(error) });
      const delivered = await this.respond(job.responseUrl, {
        kind: 'failure',
        failure: { task: 'history', detail: message(error) },
      });
      if (!delivered) throw error;
      return { kind: job.kind, outcome: 'failed' };
    }
  }

  /** `/iam-changes status`: the CIS 4.4 audit, answered through `response_url`. */
  private async reportStatus(job: Extract<Job, { kind: 'status' }>): Promise<JobResult> {
    try {
      const { runCisAudit } = await import('./cis-audit-service');
      const report = await runCisAudit(this.deps.cisAudit);
      await this.deps.cisStatus
        ?.save({ checkedAt: this.deps.clock.now().toISOString(), report })
        .catch((error: unknown) =>
          this.log('CIS 4.4 status not kept for the Home tab', { error: message(error) }),
        );
      const delivered = await this.respond(job.responseUrl, {
        kind: 'cis-status',
        report,
        now: this.deps.clock.now(),
        share: job.share === true,
      });
      return { kind: job.kind, outcome: delivered ? (report.pass ? 'pass' : 'fail') : 'not-delivered' };
    } catch (error: unknown) {
      this.log('CIS 4.4 audit failed', { error: message(error) });
      const delivered = await this.respond(job.responseUrl, {
        kind: 'failure',
        failure: {
          task: 'status',
          detail: message(error),
          // No account at all (the local runtime without AWS) needs another next step than a missing permission.
          ...(error instanceof Error && error.name === 'AuditUnavailableError' && 'advice' in error
            ? { advice: String(error.advice) }
            : {}),
        },
      });
      if (!delivered) throw error;
      return { kind: job.kind, outcome: 'failed' };
    }
  }

  /** Answers through `response_url`; false (logged) when it could not be delivered. */
  private async respond(responseUrl: string, answer: CommandAnswer): Promise<boolean> {
    try {
      await this.deps.slack.answer(responseUrl, answer);
      return true;
    } catch (error: unknown) {
      this.log('response_url not answered', { error: message(error) });
      return false;
    }
  }
}

/**
 * The job's change as read in front of the worker, when it was read for this very change (a read of another
 * change's item is not trusted for this one: it is read again); `undefined` when it must be read here.
 */
function knownChange(eventId: string, read: ChangeRead | undefined): ChangeRead | undefined {
  if (!read) return undefined;
  if (read.stored && !namesChange(eventId, read.stored)) return undefined;
  return read;
}

/**
 * The change to hand to a use case: the one read in front, `undefined` (the use case reads it) when none was,
 * and {@link ChangeNotFoundError} when the read in front found none.
 */
function storedOrThrow(eventId: string, known: ChangeRead | undefined): RespondedChange | undefined {
  if (known && !known.stored) throw new ChangeNotFoundError(eventId);
  return known?.stored;
}

/** Where to answer about a change: its alert's thread (a grouped change's burst thread), else the job's. */
function threadOf(
  stored: RespondedChange | undefined,
  alert: AlertRef | undefined,
): { channel: string; threadTs: string } | undefined {
  if (stored?.slack)
    return { channel: stored.slack.channel, threadTs: stored.slack.threadTs ?? stored.slack.ts };
  if (alert) return { channel: alert.channel, threadTs: alert.ts };
  return undefined;
}

/** The account a stored change was made in, as a note names it: nothing when the change could not be read. */
function whereOf(stored: RespondedChange | undefined): { where?: ChangeAccount } {
  if (!stored?.change.accountId) return {};
  const { accountId, account } = stored.change;
  return { where: { accountId, ...(account ? { account } : {}) } };
}
