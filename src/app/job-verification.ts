/**
 * Jobs prove their origin (DESIGN §9). The worker writes IAM everywhere, so it takes no job on the word of
 * whoever published it: each job carries the Slack request that caused it, and before any IAM call, diff or
 * query the worker
 *
 * 1. checks Slack's signature on that request itself, and that it was signed recently (not in the future);
 * 2. reads from the signed body what the person asked for — which change, which action, the reason, the
 *    quarantine's modes, the query's text — and refuses a job that asks for anything else;
 * 3. re-checks that the person is a responder *now*, for reverts, quarantines and their confirmations;
 * 4. claims the request once: a second job carrying the same request (a replay) is refused, while SNS's own
 *    redelivery of the same message (same delivery id) goes through;
 * 5. runs the job as the user the signed request names — never as the user the job says.
 *
 * A refused job is audited under "unverified job" with what it claimed, logged, and dropped (not retried). A
 * verified job about a change the store does not hold is audited as a refusal too.
 */

import type { ChangeRead, JobRunner } from './account-router';
import type { AuditLog } from './audit-port';
import type { ResponderAction, ResponderAuthorizer } from './authorize';
import {
  type FleetAction,
  type Job,
  type JobOrigin,
  type Requester,
  SYSTEM_JOB_KINDS,
  SYSTEM_REQUESTER,
} from './jobs';
import type { Clock } from './ports';
import type { RevertStore } from './revert-port';
import type { SlackInteractionGateway } from './slack-port';
import type { JobResult } from './worker-service';

/** What a signed Slack request asked for, read from its body by the Slack adapter. */
export type InteractionRequest =
  /** A Revert / Quarantine / Lift button (or the burst thread's menu, or the modal's "Check again"). */
  | { kind: 'open-confirmation'; action: ResponderAction; eventId: string }
  /** A confirmation modal submitted, with its reason (and, for a quarantine, the modes ticked). */
  | {
      kind: 'confirm';
      action: ResponderAction;
      eventId: string;
      reason: string;
      modes?: string[];
      /** The alert thread the modal was opened for (its metadata). */
      alert?: { channel: string; ts: string };
    }
  /** "Revert / Quarantine in all accounts" on a fleet group's message. */
  | { kind: 'open-fleet-confirmation'; action: FleetAction; groupId: string }
  /** A fleet group's confirmation modal submitted, with its reason and the time of the list it showed. */
  | {
      kind: 'fleet-confirm';
      action: FleetAction;
      groupId: string;
      asOf: string;
      reason: string;
      /** The accounts' changes chosen (event ids); absent: all of those listed. */
      members?: string[];
      alert?: { channel: string; ts: string };
    }
  /** View diff, or one of the diff modal's pages. */
  | { kind: 'diff'; eventId: string; page: number }
  /** `/iam-changes …`. */
  | {
      kind: 'command';
      text: string;
      responseUrl: string;
      channelId: string;
      /** Where listed changes link to, from the workspace that sent the command. */
      permalinkBase?: string;
    }
  /** Anything else Slack may send (acknowledge, an unknown element): no job comes from it. */
  | { kind: 'other'; what: string };

/** A Slack request whose signature checked out. */
export interface VerifiedInteraction {
  /** The Slack user who acted, as Slack signed it. */
  userId: string;
  /** The handle Slack sent, for when `users.info` can't say. */
  userName?: string;
  /** A stable identity of this one request (a digest of its signature), for the replay claim. */
  requestId: string;
  request: InteractionRequest;
}

/** The verifier's answer: the interaction, or the one-line reason it is not one. */
export type InteractionCheck =
  | { ok: true; interaction: VerifiedInteraction }
  | { ok: false; problem: string };

/** Checks a job's origin: the Slack adapter (`src/slack/interaction-verifier.ts`) implements it. */
export interface InteractionVerifier {
  /**
   * Checks the signature with the app's signing secret, that the request was signed no more than
   * `maxAgeSeconds` before `now` and not in the future, and reads what it asks for. Never throws for a bad
   * request (that is `{ ok: false }`); throws only when the secret itself can't be read.
   */
  verify(origin: JobOrigin, now: Date, maxAgeSeconds: number): Promise<InteractionCheck>;
}

/** Verified requests, each claimed by one delivery. */
export interface JobProofStore {
  /**
   * Claims `requestId` for `deliveryId` until `expiresAt`: true the first time and again for the same delivery
   * (a retry of the same message); false when another delivery already claimed it (a replay). Throws on storage
   * failure.
   */
  claim(requestId: string, deliveryId: string, expiresAt: Date): Promise<boolean>;
}

/** How a job reached the worker: the SNS message id, the same for SNS's redeliveries of one message. */
export interface JobDelivery {
  id: string;
}

/**
 * How far the worker trusts a job's origin. `signed-by-slack` everywhere a job crosses a process boundary (the
 * jobs topic); `in-process` only for the local runtime in Socket Mode, whose requests arrive unsigned over the
 * app-token WebSocket and whose jobs never leave the process — the responder check still runs.
 */
export type JobTrust = 'signed-by-slack' | 'in-process';

/** Settings of the verification. */
export interface JobVerificationSettings {
  trust: JobTrust;
  /**
   * How old a signed request may be when its job runs, in seconds (900 unless set). The worker's async
   * invocations expire sooner (`maximumEventAge`), so retries of a real job stay inside it.
   */
  maxAgeSeconds?: number;
}

/** What the verifying runner needs. */
export interface JobVerificationDependencies {
  verifier: InteractionVerifier;
  proofs: JobProofStore;
  authorizer: Pick<ResponderAuthorizer, 'authorize'>;
  audit: AuditLog;
  store: Pick<RevertStore, 'getChange'>;
  slack: Pick<SlackInteractionGateway, 'userName'>;
  clock: Clock;
  settings: JobVerificationSettings;
  /** The runner verified jobs go to. */
  next: JobRunner;
  log?: (message: string, details: Record<string, unknown>) => void;
  /** A fresh delivery id for a job that came without one (in process). */
  newDeliveryId?: () => string;
}

/** The default age limit of a job's signed request, in seconds. */
export const DEFAULT_JOB_MAX_AGE_SECONDS = 900;

const RESPONDER_JOBS: ReadonlySet<Job['kind']> = new Set([
  'revert',
  'quarantine',
  'lift-quarantine',
  'prepare-confirmation',
  'prepare-fleet-confirmation',
  'fleet-revert',
  'fleet-quarantine',
]);

/** The responder action a job asks for, checked against who may respond now. */
function responderActionOf(job: Job): ResponderAction {
  switch (job.kind) {
    case 'prepare-confirmation':
    case 'prepare-fleet-confirmation':
      return job.action;
    case 'fleet-revert':
      return 'revert';
    case 'fleet-quarantine':
      return 'quarantine';
    default:
      return job.kind as ResponderAction;
  }
}

function message(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}

function sameSet(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  const left = [...new Set(a ?? [])].sort();
  const right = [...new Set(b ?? [])].sort();
  return left.length === right.length && left.every((mode, index) => mode === right[index]);
}

/**
 * Why `job` is not what the signed `request` asked for, or `undefined` when it is. Pure: the comparison of the
 * job's fields with the request's, field by field.
 */
export function jobMismatch(job: Job, request: InteractionRequest): string | undefined {
  switch (job.kind) {
    case 'prepare-confirmation':
      if (request.kind !== 'open-confirmation') return `a ${request.kind} request cannot open a confirmation`;
      if (request.action !== job.action) return `the request opens a ${request.action}, not a ${job.action}`;
      if (request.eventId !== job.eventId) return 'the request names another change';
      return undefined;
    case 'revert':
    case 'quarantine':
    case 'lift-quarantine':
      if (request.kind !== 'confirm') return `a ${request.kind} request cannot confirm a ${job.kind}`;
      if (request.action !== job.kind) return `the request confirms a ${request.action}, not a ${job.kind}`;
      if (request.eventId !== job.eventId) return 'the request names another change';
      if (request.reason.trim() !== job.reason.trim()) return 'the reason differs from the one submitted';
      if (job.alert?.channel !== request.alert?.channel || job.alert?.ts !== request.alert?.ts) {
        return 'the alert thread differs from the one the modal was opened for';
      }
      // Denying IAM is in every quarantine, ticked or not.
      if (
        job.kind === 'quarantine' &&
        !sameSet(['deny-iam', ...(job.modes ?? [])], ['deny-iam', ...(request.modes ?? [])])
      ) {
        return 'the quarantine modes differ from the ones submitted';
      }
      return undefined;
    case 'prepare-fleet-confirmation':
      if (request.kind !== 'open-fleet-confirmation') {
        return `a ${request.kind} request cannot open a fleet confirmation`;
      }
      if (request.action !== job.action) return `the request opens a ${request.action}, not a ${job.action}`;
      if (request.groupId !== job.groupId) return 'the request names another group';
      return undefined;
    case 'fleet-revert':
    case 'fleet-quarantine': {
      const action = job.kind === 'fleet-revert' ? 'revert' : 'quarantine';
      if (request.kind !== 'fleet-confirm') return `a ${request.kind} request cannot confirm a ${job.kind}`;
      if (request.action !== action) return `the request confirms a ${request.action}, not a ${action}`;
      if (request.groupId !== job.groupId) return 'the request names another group';
      if (request.asOf !== job.asOf)
        return 'the job would act on another list of accounts than the one confirmed';
      if (
        (request.members === undefined) !== (job.members === undefined) ||
        !sameSet(request.members, job.members)
      )
        return 'the job would act in other accounts than the ones chosen';
      if (request.reason.trim() !== job.reason.trim()) return 'the reason differs from the one submitted';
      if (job.alert?.channel !== request.alert?.channel || job.alert?.ts !== request.alert?.ts) {
        return 'the alert thread differs from the one the modal was opened for';
      }
      return undefined;
    }
    case 'diff':
      if (request.kind !== 'diff') return `a ${request.kind} request cannot ask for a diff`;
      if (request.eventId !== job.eventId) return 'the request names another change';
      if (request.page !== (job.page ?? 0)) return 'the request asks for another page';
      return undefined;
    case 'judge-change':
      return 'a change is judged again when the bot queues it, never on a Slack request';
    case 'ask-actor':
      return '"was this you?" is asked by the bot, never on a Slack request';
    case 'history':
    case 'status':
      if (request.kind !== 'command') return `a ${request.kind} request is not a command`;
      if (request.responseUrl !== job.responseUrl) return 'the answer would go to another response_url';
      if (request.channelId !== job.channelId) return 'the command came from another channel';
      if (job.kind === 'history' && request.text.trim() !== job.text.trim()) {
        return 'the query differs from the command typed';
      }
      if (job.kind === 'history' && job.permalinkBase !== request.permalinkBase) {
        return "the links would point elsewhere than the workspace's archive";
      }
      if (job.kind === 'status' && !/^\s*status\b/i.test(request.text)) return 'the command is not status';
      if (job.kind === 'status' && Boolean(job.share) !== /\bshare\b/i.test(request.text)) {
        return job.share ? 'the command did not ask to share' : 'the command asked to share';
      }
      return undefined;
  }
}

/** A job with its user replaced by the verified one. */
function asUser(job: Job, by: Requester): Job {
  return { ...job, by } as Job;
}

/**
 * The runner in front of the worker: verifies each job's origin (see the module's summary) and hands only
 * verified jobs on, as the user Slack signed for. A refusal is an outcome (`unverified`), not an error: the job
 * is not retried.
 */
export class VerifiedJobRunner implements JobRunner {
  private readonly log: NonNullable<JobVerificationDependencies['log']>;

  constructor(private readonly deps: JobVerificationDependencies) {
    this.log = deps.log ?? ((text, details) => console.warn(text, details));
  }

  async run(job: Job, delivery?: JobDelivery): Promise<JobResult> {
    if (SYSTEM_JOB_KINDS.has(job.kind)) return this.runSystemJob(job, delivery);
    const verdict = await this.verify(job, delivery);
    if (!verdict.ok) {
      await this.refuse(job, verdict.problem);
      return { kind: job.kind, outcome: 'unverified' };
    }
    const verified = asUser(job, verdict.by);
    if (!('eventId' in verified)) return this.deps.next.run(verified, delivery);
    // An unknown event id is audited and still handed on: the worker tells the person it is no longer stored.
    const checked = await this.checkChange(verified, verdict.by);
    if (checked.verdict === 'tampered') return { kind: job.kind, outcome: 'refused' };
    // The change as read here is the one the job runs on: it is not read again behind.
    return this.deps.next.run(verified, delivery, checked.read);
  }

  /**
   * A job the bot queued itself (`judge-change` or "was this you?" from notify): it carries no signed request, so
   * it is honoured only as what it is — about a change the store holds, run as no one. Whatever else it claims is
   * dropped here; judging reads IAM and updates only that change's judgement and message, the ask DMs only the
   * person the change's caller maps to, once per change.
   */
  private async runSystemJob(job: Job, delivery?: JobDelivery): Promise<JobResult> {
    if ((job.kind !== 'judge-change' && job.kind !== 'ask-actor') || job.origin !== undefined) {
      await this.refuse(job, 'a system job carries no Slack request');
      return { kind: job.kind, outcome: 'unverified' };
    }
    const stored = await this.deps.store.getChange(job.eventId);
    if (!stored || stored.change.eventId !== job.eventId)
      return { kind: job.kind, outcome: 'unknown-change' };
    return this.deps.next.run(
      { kind: job.kind, eventId: job.eventId, by: { ...SYSTEM_REQUESTER } },
      delivery,
      { stored },
    );
  }

  private async verify(
    job: Job,
    delivery: JobDelivery | undefined,
  ): Promise<{ ok: true; by: Requester } | { ok: false; problem: string }> {
    const { settings } = this.deps;
    const now = this.deps.clock.now();
    let userId: string;
    let userName: string | undefined;
    if (settings.trust === 'in-process' && job.origin === undefined) {
      userId = job.by.slackUserId;
      userName = job.by.name;
    } else {
      if (!job.origin) return { ok: false, problem: 'the job carries no signed Slack request' };
      const maxAge = settings.maxAgeSeconds ?? DEFAULT_JOB_MAX_AGE_SECONDS;
      const check = await this.deps.verifier.verify(job.origin, now, maxAge);
      if (!check.ok) return { ok: false, problem: `its Slack request fails verification: ${check.problem}` };
      const { interaction } = check;
      const mismatch = jobMismatch(job, interaction.request);
      if (mismatch) return { ok: false, problem: `the job is not what was asked in Slack: ${mismatch}` };
      if (interaction.userId !== job.by.slackUserId) {
        return { ok: false, problem: 'the job names another user than the one who acted in Slack' };
      }
      const deliveryId = delivery?.id ?? this.deps.newDeliveryId?.() ?? `${now.getTime()}-${Math.random()}`;
      const expiresAt = new Date(now.getTime() + 2 * maxAge * 1000);
      if (!(await this.deps.proofs.claim(interaction.requestId, deliveryId, expiresAt))) {
        return { ok: false, problem: 'its Slack request was already used by another job (a replay)' };
      }
      userId = interaction.userId;
      userName = interaction.userName;
    }
    const by: Requester = { slackUserId: userId, name: await this.nameOf(userId, userName) };
    if (RESPONDER_JOBS.has(job.kind)) {
      const action = responderActionOf(job);
      const eventId = 'eventId' in job ? job.eventId : 'groupId' in job ? job.groupId : '';
      const decision = await this.deps.authorizer.authorize(by, action, eventId, 'worker');
      if (!decision.allowed)
        return { ok: false, problem: `${userId} is not a responder now: ${decision.reason}` };
    }
    return { ok: true, by };
  }

  private async nameOf(userId: string, fallback: string | undefined): Promise<string> {
    try {
      return await this.deps.slack.userName(userId);
    } catch {
      return fallback ?? userId;
    }
  }

  /**
   * Reads the job's change: `unknown` (audited) when the store does not hold it, `tampered` (audited) when the item
   * under its key holds another change, `ok` otherwise — and when the store can't be read (the worker reads it
   * again and says so). With the change as read, to hand on with the job (none when the read failed).
   */
  private async checkChange(
    job: Job & { eventId: string },
    by: Requester,
  ): Promise<{ verdict: 'ok' | 'unknown' | 'tampered'; read?: ChangeRead }> {
    let problem: string | undefined;
    let verdict: 'ok' | 'unknown' | 'tampered' = 'ok';
    let read: ChangeRead;
    try {
      const stored = await this.deps.store.getChange(job.eventId);
      read = { stored };
      if (!stored) {
        problem = 'unknown event id';
        verdict = 'unknown';
      } else if (stored.change.eventId !== job.eventId) {
        problem = 'the stored item holds another change';
        verdict = 'tampered';
      }
    } catch (error: unknown) {
      this.log('the change could not be read to check the job', {
        eventId: job.eventId,
        error: message(error),
      });
      return { verdict: 'ok' };
    }
    if (!problem) return { verdict, read };
    await this.auditSafely({
      at: this.deps.clock.now().toISOString(),
      actor: by,
      action: 'job-refused',
      eventId: job.eventId,
      result: `refused: ${problem}`,
      details: { job: job.kind },
    });
    return { verdict, read };
  }

  private async refuse(job: Job, problem: string): Promise<void> {
    const claimed = { slackUserId: job.by.slackUserId, name: job.by.name };
    this.log('unverified job refused', { kind: job.kind, problem, claimed });
    await this.auditSafely({
      at: this.deps.clock.now().toISOString(),
      actor: { name: 'unverified job' },
      action: 'unverified-job',
      ...('eventId' in job ? { eventId: job.eventId } : {}),
      result: `refused: ${problem}`,
      details: { job: job.kind, claimed },
    });
  }

  private async auditSafely(entry: Parameters<AuditLog['append']>[0]): Promise<void> {
    try {
      await this.deps.audit.append(entry);
    } catch (error: unknown) {
      this.log('audit entry not written', { action: entry.action, error: message(error) });
    }
  }
}
