/**
 * Actions on a fleet group: one change made in many accounts of the organisation (see `domain/fleet.ts`), shown
 * as one message, reverted or its caller quarantined in every account at once — one confirmation listing each
 * account's calls, each account's result reported in the message's thread.
 *
 * What is acted on comes from the store, never from the job: the signed request names the group (the button's
 * value) and the time of the list the confirmation showed; the group's changes are the members the notify path
 * recorded for it, first seen by then. A job cannot add an account. Each account's change then goes through that
 * account's own revert or quarantine use case, so every single-change guard holds per account: the claim (exactly
 * once), the drift check, CloudTrail's confirmation before a revert that grants access back, the refusal to touch
 * protected principals or the bot's own roles.
 */
import type { ChangeRead, JobRunner } from './account-router';
import type { AuditLog } from './audit-port';
import type { AlertRefresher } from './escalation-check';
import type { JobDelivery } from './job-verification';
import type { AlertRef, FleetAction, Job, Requester } from './jobs';
import type { ChangeStore, Clock, FleetActed } from './ports';
import type { QuarantineOutcome, QuarantinePreview, QuarantineService } from './quarantine-service';
import type { RespondedChange, RevertStore } from './revert-port';
import type { RevertOutcome, RevertPreview, RevertService } from './revert-service';
import type { SlackInteractionGateway, SlackView } from './slack-port';
import type { JobResult } from './worker-service';

/** Most changes one fleet action acts on (a group is one window of one change: one per account, and a margin). */
export const MAX_FLEET_MEMBERS = 2000;

/** The use cases acting in one account. */
export interface AccountUseCases {
  revert: Pick<RevertService, 'prepare' | 'execute'>;
  quarantine: Pick<QuarantineService, 'prepare' | 'quarantine'>;
}

/** One account's part of a fleet confirmation: the change there and its plan, or why it could not be prepared. */
export type FleetPlan =
  | { action: 'revert'; stored: RespondedChange; preview: RevertPreview }
  | { action: 'quarantine'; stored: RespondedChange; preview: QuarantinePreview }
  | { action: FleetAction; stored: RespondedChange; error: string };

/** One account's result. */
export type FleetResult =
  | { action: 'revert'; stored: RespondedChange; outcome: RevertOutcome }
  | { action: 'quarantine'; stored: RespondedChange; outcome: QuarantineOutcome }
  | { action: FleetAction; stored: RespondedChange; error: string };

/** What the confirmation modal's metadata carries back on submission. */
export interface FleetConfirmMetadata {
  groupId: string;
  /** ISO: the members first seen up to then are the ones listed. */
  asOf: string;
  channel?: string;
  ts?: string;
}

/** How fleet actions look in Slack: the Slack adapter (`src/slack/render-fleet.ts`) implements it. */
export interface FleetPresenter {
  confirm(action: FleetAction, plans: FleetPlan[], meta: FleetConfirmMetadata): SlackView;
  problem(action: FleetAction, text: string, meta: FleetConfirmMetadata): SlackView;
  /** Thread messages reporting each account's result (several when many accounts). */
  results(
    action: FleetAction,
    results: FleetResult[],
    by: Requester,
    reason: string,
  ): Array<{
    text: string;
    blocks: unknown[];
  }>;
}

/** What the fleet runner needs. */
export interface FleetDependencies {
  store: Pick<ChangeStore, 'burstMembers' | 'recordFleetActed'> & Pick<RevertStore, 'getChange'>;
  /** Re-renders the group's message after an action on it (its buttons give way to what was done). */
  alerts?: AlertRefresher;
  /** The use cases acting in `accountId` (the bot's own account, or a member's through the responder role). */
  useCasesIn(accountId: string): AccountUseCases;
  slack: Pick<SlackInteractionGateway, 'updateView' | 'postMessage' | 'postEphemeral'>;
  presenter: FleetPresenter;
  audit: AuditLog;
  clock: Clock;
  /** The runner every other job goes to. */
  next: JobRunner;
  log?: (message: string, details: Record<string, unknown>) => void;
}

/** A group id that names no fleet group the bot recorded. */
export class FleetGroupNotFoundError extends Error {
  override name = 'FleetGroupNotFoundError';
}

function message(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}

/**
 * The members a job acts on: all of them, or exactly those `chosen` — and none when one chosen is not among
 * them (a forged or stale choice), which is refused as a whole.
 */
export function chosenMembers(
  members: RespondedChange[],
  chosen: readonly string[] | undefined,
): RespondedChange[] {
  if (chosen === undefined) return members;
  const byId = new Map(members.map((stored) => [stored.change.eventId, stored]));
  const outside = chosen.filter((eventId) => !byId.has(eventId));
  if (outside.length > 0) {
    throw new FleetGroupNotFoundError(
      `${outside.length} of the accounts chosen ${outside.length === 1 ? 'is' : 'are'} not in the group listed; nothing was done`,
    );
  }
  const wanted = new Set(chosen);
  return members.filter((stored) => wanted.has(stored.change.eventId));
}

/** The account an action on a change acts in: where the change was made, or for a quarantine the caller's. */
export function fleetAccountOf(action: FleetAction, stored: RespondedChange): string {
  const change = stored.change;
  return action === 'quarantine' ? (change.actor.accountId ?? change.accountId) : change.accountId;
}

/**
 * Runs the fleet jobs (verified before they reach it) and hands every other job to `next`. Accounts are acted on
 * one after another: each through its own use case, whose failure is that account's result, never the others'.
 */
export class FleetActionRunner implements JobRunner {
  private readonly log: NonNullable<FleetDependencies['log']>;

  constructor(private readonly deps: FleetDependencies) {
    this.log = deps.log ?? ((text, details) => console.warn(text, details));
  }

  async run(job: Job, delivery?: JobDelivery, read?: ChangeRead): Promise<JobResult> {
    switch (job.kind) {
      case 'prepare-fleet-confirmation':
        return this.prepare(job);
      case 'fleet-revert':
      case 'fleet-quarantine':
        return this.execute(job);
      default:
        return this.deps.next.run(job, delivery, read);
    }
  }

  /**
   * The group's changes first seen by `asOf`, each read from the store. Only a fleet group qualifies: its parent
   * carries the group's id, and every member names the group — a session burst's id or a change's own id is no
   * fleet group, and a member that names another burst is left out.
   */
  async members(groupId: string, asOf: Date): Promise<RespondedChange[]> {
    const parent = await this.deps.store.getChange(groupId);
    if (!parent || parent.burstNote?.groupId !== groupId) {
      throw new FleetGroupNotFoundError(`no change made in many accounts is recorded as group ${groupId}`);
    }
    const ids = await this.deps.store.burstMembers(groupId, MAX_FLEET_MEMBERS);
    const found: RespondedChange[] = [];
    for (const eventId of ids) {
      const stored = eventId === groupId ? parent : await this.deps.store.getChange(eventId);
      if (!stored || stored.change.eventId !== eventId) continue;
      if (stored.burstId !== groupId && eventId !== groupId) continue;
      if (Date.parse(stored.firstSeenAt) > asOf.getTime()) continue;
      found.push(stored);
    }
    return found.sort((a, b) => a.change.accountId.localeCompare(b.change.accountId));
  }

  private async prepare(job: Extract<Job, { kind: 'prepare-fleet-confirmation' }>): Promise<JobResult> {
    const asOf = this.deps.clock.now();
    const meta: FleetConfirmMetadata = {
      groupId: job.groupId,
      asOf: asOf.toISOString(),
      ...(job.alert ? { channel: job.alert.channel, ts: job.alert.ts } : {}),
    };
    let view: SlackView;
    let outcome = 'view-updated';
    try {
      const members = await this.members(job.groupId, asOf);
      const plans: FleetPlan[] = [];
      for (const stored of members) plans.push(await this.planFor(job.action, stored));
      view = this.deps.presenter.confirm(job.action, plans, meta);
    } catch (error: unknown) {
      outcome = error instanceof FleetGroupNotFoundError ? 'not-found' : 'failed';
      if (outcome === 'failed') this.log('fleet confirmation not prepared', { error: message(error) });
      view = this.deps.presenter.problem(job.action, message(error), meta);
    }
    try {
      await this.deps.slack.updateView(job.viewId, view);
    } catch (error: unknown) {
      this.log('modal not updated', { viewId: job.viewId, error: message(error) });
    }
    return { kind: job.kind, outcome };
  }

  private async planFor(action: FleetAction, stored: RespondedChange): Promise<FleetPlan> {
    const eventId = stored.change.eventId;
    try {
      const useCases = this.deps.useCasesIn(fleetAccountOf(action, stored));
      return action === 'revert'
        ? { action, stored, preview: await useCases.revert.prepare(eventId, stored) }
        : { action, stored, preview: await useCases.quarantine.prepare(eventId, undefined, stored) };
    } catch (error: unknown) {
      return { action, stored, error: message(error) };
    }
  }

  private async execute(
    job: Extract<Job, { kind: 'fleet-revert' | 'fleet-quarantine' }>,
  ): Promise<JobResult> {
    const action: FleetAction = job.kind === 'fleet-revert' ? 'revert' : 'quarantine';
    const asOf = new Date(job.asOf);
    let members: RespondedChange[];
    try {
      if (Number.isNaN(asOf.getTime())) throw new FleetGroupNotFoundError(`unreadable list time ${job.asOf}`);
      members = chosenMembers(await this.members(job.groupId, asOf), job.members);
    } catch (error: unknown) {
      if (!(error instanceof FleetGroupNotFoundError)) throw error;
      await this.audit(job.by, action, job.groupId, `refused: ${error.message}`, job.reason);
      await this.tell(job.alert, job.by, `The ${action} in every account did not run: ${error.message}`);
      return { kind: job.kind, outcome: 'not-found' };
    }
    const results: FleetResult[] = [];
    for (const stored of members) results.push(await this.actOn(action, stored, job.by, job.reason));
    const counts = new Map<string, number>();
    for (const result of results) {
      const status = 'outcome' in result ? result.outcome.status : 'failed';
      counts.set(status, (counts.get(status) ?? 0) + 1);
    }
    const place = job.alert;
    if (place) {
      for (const note of this.deps.presenter.results(action, results, job.by, job.reason)) {
        try {
          await this.deps.slack.postMessage({ channel: place.channel, threadTs: place.ts, ...note });
        } catch (error: unknown) {
          this.log('fleet result not posted', { groupId: job.groupId, error: message(error) });
        }
      }
    }
    await this.audit(
      job.by,
      action,
      job.groupId,
      [...counts].map(([status, count]) => `${status} ${count}`).join(', ') || 'nothing to do',
      job.reason,
      { accounts: results.length, ...(job.members ? { chosen: job.members.length } : {}) },
    );
    await this.showActed(
      job.groupId,
      action,
      results,
      job.by,
      members.find((stored) => stored.change.eventId === job.groupId),
    );
    return {
      kind: job.kind,
      outcome: [...counts].map(([status, count]) => `${status}:${count}`).join(' ') || 'empty',
    };
  }

  /**
   * The group's message shows what was done in place of its buttons (they come back when accounts join later). A
   * failure is logged: the results are in the thread all the same.
   */
  private async showActed(
    groupId: string,
    action: FleetAction,
    results: FleetResult[],
    by: Requester,
    listed: RespondedChange | undefined,
  ): Promise<void> {
    const { store, alerts } = this.deps;
    if (!alerts) return;
    try {
      // The group's note (its account count) as listed; read when the parent was not among the chosen members.
      const parent = listed ?? (await store.getChange(groupId));
      if (!parent?.burstNote) return;
      const done = results.filter(
        (result) =>
          'outcome' in result &&
          (result.outcome.status === 'done' ||
            result.outcome.status === 'already-quarantined' ||
            result.outcome.status === 'modes-added' ||
            (result.outcome.status === 'already-claimed' && result.outcome.existing.status === 'done')),
      ).length;
      const fleetActed: FleetActed = {
        action,
        done,
        total: results.length,
        accounts: parent.burstNote.accounts ?? results.length,
        by: by.name,
        at: this.deps.clock.now().toISOString(),
      };
      await store.recordFleetActed(groupId, fleetActed);
      // Drawn from the parent as stored after the write, not the read above.
      const written = await store.getChange(groupId);
      await alerts.refresh(written ?? { ...parent, burstNote: { ...parent.burstNote, fleetActed } });
    } catch (error: unknown) {
      this.log('fleet message not updated', { groupId, error: message(error) });
    }
  }

  private async actOn(
    action: FleetAction,
    stored: RespondedChange,
    by: Requester,
    reason: string,
  ): Promise<FleetResult> {
    const eventId = stored.change.eventId;
    try {
      const useCases = this.deps.useCasesIn(fleetAccountOf(action, stored));
      if (action === 'revert') {
        return { action, stored, outcome: await useCases.revert.execute(eventId, { by, reason }, stored) };
      }
      return {
        action,
        stored,
        outcome: await useCases.quarantine.quarantine(eventId, by, reason, undefined, stored),
      };
    } catch (error: unknown) {
      this.log(`fleet ${action} failed in one account`, { eventId, error: message(error) });
      return { action, stored, error: message(error) };
    }
  }

  private async audit(
    by: Requester,
    action: FleetAction,
    groupId: string,
    result: string,
    reason: string,
    details: Record<string, unknown> = {},
  ): Promise<void> {
    try {
      await this.deps.audit.append({
        at: this.deps.clock.now().toISOString(),
        actor: by,
        action: result.startsWith('refused') ? 'job-refused' : action,
        eventId: groupId,
        target: `fleet group ${groupId}`,
        reason,
        result,
        details: { fleet: true, ...details },
      });
    } catch (error: unknown) {
      this.log('audit entry not written', { groupId, error: message(error) });
    }
  }

  private async tell(alert: AlertRef | undefined, by: Requester, text: string): Promise<void> {
    if (!alert) return;
    try {
      await this.deps.slack.postEphemeral({
        channel: alert.channel,
        user: by.slackUserId,
        text,
        threadTs: alert.ts,
      });
    } catch (error: unknown) {
      this.log('ephemeral not posted', { user: by.slackUserId, error: message(error) });
    }
  }
}
