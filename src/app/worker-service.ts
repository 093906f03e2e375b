/**
 * The worker use case: the slow half of every Slack interaction, run from the jobs topic (or in process
 * locally). Each job ends by telling Slack what happened — filling the modal the listener opened in a loading
 * state, updating the alert and replying in its thread, answering through the slash command's `response_url` —
 * and a job whose outcome cannot be told to anyone is thrown back, so the jobs topic's retries and dead-letter
 * queue keep it. Reverts and quarantines are recorded by their own use cases (store and audit log) before
 * Slack hears of them: a Slack failure afterwards is logged, never turned into a second attempt.
 */

import { becameDefault } from '../domain/drift';
import type { Change, PolicyDocument } from '../domain/types';
import type { SlackMessage } from '../slack/render';
import {
  type ConfirmMetadata,
  renderConfirmError,
  renderLiftConfirm,
  renderProblemModal,
  renderQuarantineConfirm,
  renderRevertConfirm,
} from '../slack/render-confirm';
import type { DiffSource } from '../slack/render-diff';
import {
  renderLiftOutcome,
  renderProblem,
  renderQuarantineOutcome,
  renderRevertOutcome,
} from '../slack/render-notice';
import { renderAlertUpdate } from '../slack/render-state';
import type { BeforeStateResolver, BeforeStateSource } from './before-state';
import type { CisAuditGateway } from './cis-audit-service';
import type { EscalationCheckService } from './escalation-check';
import type { IamGateway } from './iam-port';
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
import type { SlackInteractionGateway, SlackView } from './slack-port';

/** Settings of the worker. */
export interface WorkerSettings {
  /** Accounts whose principals are trusted in trust policies, for the diff's risk delta. */
  trustedAccounts: string[];
  /** Progress posts one history search makes at most (Slack allows five posts per `response_url`). Default 3. */
  maxProgressPosts?: number;
  /** Seconds between two progress posts of a history search. Default 15. */
  progressIntervalSeconds?: number;
}

/** What the worker is built from. */
export interface WorkerDependencies {
  slack: SlackInteractionGateway;
  store: Pick<RevertStore & QuarantineStore, 'getChange'>;
  revert: Pick<RevertService, 'prepare' | 'execute'>;
  quarantine: Pick<QuarantineService, 'prepare' | 'prepareLift' | 'quarantine' | 'lift'>;
  resolver: Pick<BeforeStateResolver, 'resolveBeforeState'>;
  iam: Pick<IamGateway, 'getManagedPolicy' | 'getPolicyVersion'>;
  queries: Pick<QueryService, 'searchHistory'>;
  cisAudit: CisAuditGateway;
  /** The escalation check of a stored change (read-only); without it such jobs end `not-configured`. */
  escalation?: Pick<EscalationCheckService, 'run'>;
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
   * case failed unexpectedly and Slack could not be reached either), so the job is retried or kept.
   */
  async run(job: Job): Promise<JobResult> {
    switch (job.kind) {
      case 'prepare-confirmation':
        return this.prepareConfirmation(job);
      case 'revert':
        return this.revertChange(job);
      case 'quarantine':
      case 'lift-quarantine':
        return this.quarantineCaller(job);
      case 'diff':
        return this.showDiff(job);
      case 'history':
        return this.searchHistory(job);
      case 'status':
        return this.reportStatus(job);
      case 'escalation-check':
        return {
          kind: job.kind,
          outcome: (await this.deps.escalation?.run(job.eventId))?.outcome ?? 'not-configured',
        };
    }
  }

  // --- confirmation modals ----------------------------------------------------------------------------------

  private async prepareConfirmation(job: Extract<Job, { kind: 'prepare-confirmation' }>): Promise<JobResult> {
    const meta: ConfirmMetadata = { eventId: job.eventId };
    if (job.alert) Object.assign(meta, { channel: job.alert.channel, ts: job.alert.ts });
    let view: SlackView;
    let outcome = 'view-updated';
    try {
      if (job.action === 'revert')
        view = renderRevertConfirm(await this.deps.revert.prepare(job.eventId), meta);
      else if (job.action === 'quarantine') {
        view = renderQuarantineConfirm(await this.deps.quarantine.prepare(job.eventId), meta);
      } else view = renderLiftConfirm(await this.deps.quarantine.prepareLift(job.eventId), meta);
    } catch (error: unknown) {
      outcome = error instanceof ChangeNotFoundError ? 'not-found' : 'failed';
      const text =
        error instanceof ChangeNotFoundError
          ? `This change is no longer stored (event ${job.eventId}): the bot keeps changes for its retention period only.`
          : `The ${job.action} could not be prepared: ${message(error)}`;
      if (outcome === 'failed')
        this.log('confirmation not prepared', { eventId: job.eventId, error: message(error) });
      view = renderConfirmError(job.action, text, meta);
    }
    await this.updateView(job.viewId, view, job.eventId);
    return { kind: job.kind, outcome };
  }

  private async updateView(viewId: string, view: SlackView, eventId: string): Promise<void> {
    try {
      await this.deps.slack.updateView(viewId, view);
    } catch (error: unknown) {
      // The person may have closed the modal: nothing is waiting for it any more.
      this.log('modal not updated', { viewId, eventId, error: message(error) });
    }
  }

  // --- revert and quarantine --------------------------------------------------------------------------------

  private async revertChange(job: Extract<Job, { kind: 'revert' }>): Promise<JobResult> {
    let outcome: Awaited<ReturnType<RevertService['execute']>>;
    try {
      outcome = await this.deps.revert.execute(job.eventId, { by: job.by, reason: job.reason });
    } catch (error: unknown) {
      return this.failed(job, job.alert, 'The revert did not run', error);
    }
    const stored = await this.stored(job.eventId);
    const note = renderRevertOutcome(outcome, job.by);
    if (outcome.status !== 'already-claimed') {
      await this.refreshAlert(stored);
      await this.replyInThread(stored, job.alert, note);
    }
    if (outcome.status !== 'done') await this.tellRequester(stored, job.alert, job.by, note);
    return { kind: job.kind, outcome: outcome.status };
  }

  private async quarantineCaller(
    job: Extract<Job, { kind: 'quarantine' | 'lift-quarantine' }>,
  ): Promise<JobResult> {
    let note: SlackMessage;
    let status: string;
    try {
      if (job.kind === 'quarantine') {
        const outcome = await this.deps.quarantine.quarantine(job.eventId, job.by, job.reason, job.modes);
        note = renderQuarantineOutcome(outcome, job.by, job.reason);
        status = outcome.status;
      } else {
        const outcome = await this.deps.quarantine.lift({ eventId: job.eventId }, job.by, job.reason);
        note = renderLiftOutcome(outcome, job.by, job.reason);
        status = outcome.status;
      }
    } catch (error: unknown) {
      const what = job.kind === 'quarantine' ? 'The quarantine did not run' : 'The quarantine was not lifted';
      return this.failed(job, job.alert, what, error);
    }
    const stored = await this.stored(job.eventId);
    await this.refreshAlert(stored);
    await this.replyInThread(stored, job.alert, note);
    if (status !== 'done' && status !== 'lifted') await this.tellRequester(stored, job.alert, job.by, note);
    return { kind: job.kind, outcome: status };
  }

  /** A use case that threw: tell the requester; when even that fails, reject so the job is kept. */
  private async failed(
    job: Extract<Job, { kind: 'revert' | 'quarantine' | 'lift-quarantine' }>,
    alert: AlertRef | undefined,
    what: string,
    error: unknown,
  ): Promise<JobResult> {
    const notFound = error instanceof ChangeNotFoundError;
    const problem = notFound
      ? renderProblem(what, `this change is no longer stored (event ${job.eventId})`, 'Nothing was changed.')
      : renderProblem(
          what,
          message(error),
          'Nothing more will be tried automatically: check the audit log and IAM, then try again.',
        );
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
      const message = renderAlertUpdate(stored);
      await this.deps.slack.updateMessage(stored.slack, message);
    } catch (error: unknown) {
      this.log('alert not updated', { eventId: stored.change.eventId, error: message(error) });
    }
  }

  private async replyInThread(
    stored: RespondedChange | undefined,
    alert: AlertRef | undefined,
    note: SlackMessage,
  ): Promise<void> {
    const place = threadOf(stored, alert);
    if (!place) return;
    try {
      await this.deps.slack.postMessage({ channel: place.channel, threadTs: place.threadTs, ...note });
    } catch (error: unknown) {
      this.log('thread reply not posted', { channel: place.channel, error: message(error) });
    }
  }

  /** An ephemeral message to the person who asked; false when it could not be delivered. */
  private async tellRequester(
    stored: RespondedChange | undefined,
    alert: AlertRef | undefined,
    by: Requester,
    note: SlackMessage,
  ): Promise<boolean> {
    const place = threadOf(stored, alert);
    if (!place) return false;
    try {
      await this.deps.slack.postEphemeral({
        channel: place.channel,
        user: by.slackUserId,
        ...note,
        ...(stored?.slack?.threadTs ? { threadTs: stored.slack.threadTs } : {}),
      });
      return true;
    } catch (error: unknown) {
      this.log('ephemeral not posted', { user: by.slackUserId, error: message(error) });
      return false;
    }
  }

  // --- diff -------------------------------------------------------------------------------------------------

  private async showDiff(job: Extract<Job, { kind: 'diff' }>): Promise<JobResult> {
    const [
      { diffDocuments, diffInputsFor, riskDelta },
      { DIFF_VIEW_CALLBACK_ID, renderDiffError, renderDiffModal },
    ] = await Promise.all([import('../domain/diff'), import('../slack/render-diff')]);
    let stored: RespondedChange | undefined;
    try {
      stored = await this.deps.store.getChange(job.eventId);
    } catch (error: unknown) {
      await this.updateView(
        job.viewId,
        renderProblemModal(
          DIFF_VIEW_CALLBACK_ID,
          'Policy diff',
          `The change could not be read: ${message(error)}`,
        ),
        job.eventId,
      );
      return { kind: job.kind, outcome: 'failed' };
    }
    if (!stored) {
      await this.updateView(
        job.viewId,
        renderProblemModal(
          DIFF_VIEW_CALLBACK_ID,
          'Policy diff',
          `This change is no longer stored (event ${job.eventId}): the bot keeps changes for its retention period only.`,
        ),
        job.eventId,
      );
      return { kind: job.kind, outcome: 'not-found' };
    }
    const change = stored.change;
    let view: SlackView;
    let outcome = 'view-updated';
    try {
      const { previousDocument, managedPolicyDocument, source } = await this.diffDocumentsOf(change);
      const inputs = diffInputsFor(change, { previousDocument, managedPolicyDocument });
      const diff = diffDocuments(inputs.before, inputs.after);
      const delta = riskDelta(change, diff, { trustedAccounts: this.deps.settings.trustedAccounts });
      view = renderDiffModal(change, diff, source, delta, job.page ?? 0);
    } catch (error: unknown) {
      outcome = 'failed';
      this.log('diff not computed', { eventId: job.eventId, error: message(error) });
      view = renderDiffError(change, message(error));
    }
    await this.updateView(job.viewId, view, job.eventId);
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
    const [{ parseQuery }, { renderQueryAnswer, renderQueryError, renderSearchProgress }] = await Promise.all(
      [import('../domain/query'), import('../slack/render-query')],
    );
    const now = this.deps.clock.now();
    const parsed = parseQuery(job.text, now);
    if (!parsed.ok) {
      await this.respond(job.responseUrl, {
        ...renderQueryError(parsed.error, job.text),
        replace_original: true,
      });
      return { kind: job.kind, outcome: 'bad-query' };
    }
    const query = parsed.query;
    const maxPosts = this.deps.settings.maxProgressPosts ?? 3;
    const intervalMs = (this.deps.settings.progressIntervalSeconds ?? 15) * 1000;
    let posts = 0;
    let lastPost = now.getTime();
    try {
      const answer = await this.deps.queries.searchHistory(query, async (progress) => {
        const at = this.deps.clock.now().getTime();
        if (posts >= maxPosts || at - lastPost < intervalMs) return;
        posts += 1;
        lastPost = at;
        await this.respond(job.responseUrl, {
          ...renderSearchProgress(progress.pages, progress.events, progress.searchedFrom),
          replace_original: true,
        });
      });
      const rendered = renderQueryAnswer(
        query,
        answer,
        this.deps.clock.now(),
        job.permalinkBase ? { permalinkBase: job.permalinkBase } : {},
      );
      const delivered = await this.respond(job.responseUrl, {
        ...rendered,
        replace_original: rendered.response_type === 'ephemeral',
      });
      return { kind: job.kind, outcome: delivered ? 'answered' : 'not-delivered' };
    } catch (error: unknown) {
      this.log('history search failed', { error: message(error) });
      const delivered = await this.respond(job.responseUrl, {
        ...renderProblem(
          'The CloudTrail search failed',
          message(error),
          'Try again, or narrow the query (a shorter range, `on role/…`).',
        ),
        replace_original: true,
      });
      if (!delivered) throw error;
      return { kind: job.kind, outcome: 'failed' };
    }
  }

  /** `/iam-changes status`: the CIS 4.4 audit, answered through `response_url`. */
  private async reportStatus(job: Extract<Job, { kind: 'status' }>): Promise<JobResult> {
    try {
      const [{ runCisAudit }, { renderCisStatus }] = await Promise.all([
        import('./cis-audit-service'),
        import('../slack/render-audit'),
      ]);
      const report = await runCisAudit(this.deps.cisAudit);
      const rendered = renderCisStatus(report, this.deps.clock.now());
      const delivered = await this.respond(job.responseUrl, {
        response_type: job.share ? 'in_channel' : 'ephemeral',
        ...rendered,
        replace_original: !job.share,
      });
      return { kind: job.kind, outcome: delivered ? (report.pass ? 'pass' : 'fail') : 'not-delivered' };
    } catch (error: unknown) {
      this.log('CIS 4.4 audit failed', { error: message(error) });
      const delivered = await this.respond(job.responseUrl, {
        ...renderProblem(
          'The CIS 4.4 status could not be checked',
          message(error),
          'Check that the worker may read CloudTrail, CloudWatch Logs, CloudWatch and SNS, or run `npx iam-changes audit`.',
        ),
        replace_original: true,
      });
      if (!delivered) throw error;
      return { kind: job.kind, outcome: 'failed' };
    }
  }

  private async respond(
    responseUrl: string,
    answer: SlackMessage & { response_type?: 'ephemeral' | 'in_channel'; replace_original?: boolean },
  ): Promise<boolean> {
    try {
      await this.deps.slack.respond(responseUrl, {
        response_type: answer.response_type ?? 'ephemeral',
        text: answer.text,
        blocks: answer.blocks,
        ...(answer.replace_original === undefined ? {} : { replace_original: answer.replace_original }),
      });
      return true;
    } catch (error: unknown) {
      this.log('response_url not answered', { error: message(error) });
      return false;
    }
  }
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
