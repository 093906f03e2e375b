/**
 * "Was this you?": after a change's alert is posted, the person who made it is found in Slack and asked in a DM;
 * their answer — and only theirs — is shown on the alert. "Yes" (with a reason, optionally a ticket) marks the
 * alert confirmed; "No" escalates it: the risk goes up one level, the channel hears `@here` in the thread, and
 * Revert / Quarantine move to the top. No answer within the configured time is noted on the alert.
 *
 * Who may answer is decided once, when the DM is sent: the Slack user id is recorded with the change, and an
 * answer is accepted only from a Slack-signed interaction by that user id (a conditional write, so two answers or
 * a replayed one never both count). Anyone else is refused and audited.
 */
import type { AskTarget } from '../domain/actor-mapping';
import type { AssessedChange } from '../domain/types';
import type { AuditActor, AuditLog } from './audit-port';
import { handedInOrRead } from './handed-in-change';
import { type JobQueue, SYSTEM_REQUESTER } from './jobs';
import type { Clock, SlackRef } from './ports';
import type { ActorAnswer, ActorAsk, RespondedChange } from './revert-port';

/** Finds the Slack user to ask about a change (mapping, IAM user tags, the session's e-mail). */
export interface ActorResolver {
  /** The target for `change`'s caller, or undefined when nobody can be named. Throws when a lookup fails. */
  targetOf(change: AssessedChange): Promise<AskTarget | undefined>;
}

/** Slack as the ask needs it: find a user by e-mail, DM them, update the alert, post in its thread. */
export interface ActorAskChannel {
  /** `users.lookupByEmail`: the user id, or undefined when no Slack user has that e-mail. */
  userIdByEmail(email: string): Promise<string | undefined>;
  /** `conversations.open` + `chat.postMessage`: the question, with Yes / No. */
  sendAsk(userId: string, change: AssessedChange): Promise<SlackRef>;
  /** Re-renders the alert with its state now. */
  updateAlert(ref: SlackRef, state: RespondedChange): Promise<void>;
  /** After a "No": `@here` in the alert's thread. */
  postDenial(place: { channel: string; threadTs: string }, state: RespondedChange): Promise<void>;
  /** Replaces the DM's buttons with what was answered (or that time ran out). */
  updateAsk(dm: { channel: string; ts: string }, state: RespondedChange): Promise<void>;
}

/** The store as the ask needs it. Methods throw on storage failure. */
export interface ActorAskStore {
  getChange(eventId: string): Promise<RespondedChange | undefined>;
  /** Records that the actor was asked, once per change: false when it already was. */
  recordActorAsk(eventId: string, ask: ActorAsk, now: Date): Promise<boolean>;
  /**
   * Records where the DM of a recorded ask is; returns the change as written, which the alert is redrawn from (an
   * acknowledgement or a revert recorded since the job read the change stays on it).
   */
  recordActorAskDm(eventId: string, dm: { channel: string; ts: string }, now: Date): Promise<RespondedChange>;
  /**
   * Records the answer when the change was asked of `answer.by.slackUserId` and not answered yet (a conditional
   * write): false otherwise.
   */
  recordActorAnswer(eventId: string, answer: ActorAnswer, now: Date): Promise<boolean>;
  /**
   * Marks that the DM of the recorded ask could not be sent (`why` one line), when no DM is recorded, and returns
   * the change as written: `undefined` otherwise. A change so marked may be asked again, and is never noted as
   * unanswered.
   */
  markActorAskDmFailed(
    eventId: string,
    failure: { at: string; why: string },
    now: Date,
  ): Promise<RespondedChange | undefined>;
  /** Marks an unanswered ask as timed out (once): false when it was answered or already marked. */
  markActorAskTimedOut(eventId: string, at: string, now: Date): Promise<boolean>;
}

/** An ask waiting for its answer: the change and when its actor was asked. */
export interface PendingAsk {
  eventId: string;
  at: string;
}

/**
 * The asks still waiting, so that the scheduled sweep finds the overdue ones in one read instead of scanning
 * changes. Methods throw on storage failure.
 */
export interface PendingAsks {
  /** Keeps `ask` until it is removed (writing it again is harmless). */
  add(ask: PendingAsk): Promise<void>;
  /** Up to `limit` asks made at or before `cutoff`, oldest first. */
  askedBefore(cutoff: Date, limit: number): Promise<PendingAsk[]>;
  /** Forgets `ask` (answered, noted as unanswered, or its change gone). */
  remove(ask: PendingAsk): Promise<void>;
}

/** Settings of the ask. */
export interface AskActorSettings {
  /** Minutes without an answer before the alert says so. */
  timeoutMinutes: number;
}

/** What the ask is built from. */
export interface AskActorDependencies {
  resolver: ActorResolver;
  slack: ActorAskChannel;
  store: ActorAskStore;
  audit: AuditLog;
  clock: Clock;
  settings: AskActorSettings;
  /** The asks waiting for an answer, for {@link AskActorService.sweep}; without it asks are not swept. */
  pending?: PendingAsks;
  log?: (message: string, details: Record<string, unknown>) => void;
}

/** How an ask went. */
export type AskOutcome =
  | 'asked'
  | 'already-asked'
  | 'nobody-to-ask'
  | 'no-slack-user'
  | 'not-posted'
  | 'not-stored';

/** Asks made at or before this time are overdue when answers are awaited for `timeoutMinutes`. */
export function overdueCutoff(now: Date, timeoutMinutes: number): Date {
  return new Date(now.getTime() - timeoutMinutes * 60_000);
}

/** How many overdue asks one sweep handles at most; the next run takes the rest. */
const SWEEP_BATCH = 25;

/** An answer as it came in: who pressed (as Slack signed it), what, and the reason and ticket typed. */
export interface AnswerRequest {
  eventId: string;
  by: AuditActor & { slackUserId: string };
  answer: 'confirmed' | 'denied';
  reason?: string;
  ticket?: string;
}

/** How an answer went: recorded, or refused and why (for the ephemeral note to the person who pressed). */
export type AnswerOutcome =
  | { kind: 'recorded'; state: RespondedChange }
  | { kind: 'not-stored' }
  | { kind: 'not-asked' }
  | { kind: 'not-yours' }
  | { kind: 'already-answered'; answer: ActorAnswer };

/** What notify needs of the ask: hand over a posted change. */
export interface ActorAskStep {
  /** Hands the change over to be asked about; resolves to what became of it (`queued` when handed to the worker). */
  ask(stored: RespondedChange): Promise<AskOutcome | 'queued'>;
}

/**
 * Notify's side of "was this you?": the posted change's id goes to the worker as an `ask-actor` job, and the
 * worker maps the actor (IAM user tags, the mapping) and sends the DM. Notify itself reads no tags and DMs no one.
 * Throws when the job could not be queued (notify logs it; the alert is already out).
 */
export class QueuedActorAsk implements ActorAskStep {
  constructor(private readonly queue: JobQueue) {}

  async ask(stored: RespondedChange): Promise<AskOutcome | 'queued'> {
    if (!stored.slack || stored.slack.threadTs !== undefined) return 'not-posted';
    if (stored.actorAsk) return 'already-asked';
    await this.queue.publish({
      kind: 'ask-actor',
      eventId: stored.change.eventId,
      by: { ...SYSTEM_REQUESTER },
    });
    return 'queued';
  }
}

/** An ask whose DM could not be sent, with no DM recorded and no answer, may be sent again. */
function canAskAgain(stored: RespondedChange): boolean {
  const ask = stored.actorAsk;
  return Boolean(ask?.dmFailed) && !ask?.dm && !stored.actorAnswer;
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}

/** The "was this you?" use case. */
export class AskActorService {
  private readonly log: NonNullable<AskActorDependencies['log']>;

  constructor(private readonly deps: AskActorDependencies) {
    this.log = deps.log ?? ((text, details) => console.warn(text, details));
  }

  /**
   * Asks the actor of the stored change `eventId` (the worker's `ask-actor` job): the change is read from the
   * store, never taken from the job, so a job can only ask about a change the bot posted, and only once. `given`:
   * the change as the worker already read it from the store for this job (not read again).
   */
  async askAbout(eventId: string, given?: RespondedChange): Promise<AskOutcome> {
    const stored = await handedInOrRead(eventId, given, this.deps.store);
    if (!stored || stored.change.eventId !== eventId) return 'not-stored';
    return this.ask(stored);
  }

  /**
   * Asks the actor of a change whose alert is posted. Never throws for "nobody to ask"; throws when Slack or the
   * store fail (the caller logs it: the alert itself is already out).
   */
  async ask(stored: RespondedChange): Promise<AskOutcome> {
    const { change } = stored;
    if (!stored.slack || stored.slack.threadTs !== undefined) return 'not-posted';
    if (stored.actorAsk && !canAskAgain(stored)) return 'already-asked';
    const target = await this.deps.resolver.targetOf(change);
    if (!target) return 'nobody-to-ask';
    const userId = target.kind === 'user' ? target.userId : await this.deps.slack.userIdByEmail(target.email);
    const now = this.deps.clock.now();
    if (!userId) {
      await this.audit(stored, { name: 'iam-changes' }, 'actor-ask', 'no Slack user with that e-mail', {
        source: target.source,
      });
      return 'no-slack-user';
    }
    const ask: ActorAsk = { slackUserId: userId, source: target.source, at: now.toISOString() };
    // Kept for the sweep first: an ask recorded and then lost from the waiting list would never time out. A
    // waiting entry whose ask was not recorded (already asked) is dropped by the sweep.
    await this.deps.pending?.add({ eventId: change.eventId, at: ask.at });
    // Recorded before the DM: whoever the DM reaches, only this user id may answer.
    if (!(await this.deps.store.recordActorAsk(change.eventId, ask, now))) return 'already-asked';
    let dm: SlackRef;
    try {
      dm = await this.deps.slack.sendAsk(userId, change);
    } catch (error: unknown) {
      await this.dmFailed(stored, ask, error);
      throw error;
    }
    // The alert says who was asked, so responders know an answer may come: redrawn from the item as written, so
    // what was recorded since the job read the change (an acknowledgement, a revert) stays on it.
    const asked = await this.deps.store.recordActorAskDm(
      change.eventId,
      { channel: dm.channel, ts: dm.ts },
      now,
    );
    const ref = asked.slack ?? stored.slack;
    try {
      await this.deps.slack.updateAlert(ref, asked);
    } catch (error: unknown) {
      this.log('could not update the alert', { eventId: change.eventId, error: firstLine(error) });
    }
    await this.audit(stored, { name: 'iam-changes' }, 'actor-ask', 'asked', {
      slackUserId: userId,
      source: target.source,
    });
    return 'asked';
  }

  /**
   * The DM of a recorded ask could not be sent: the ask is marked so (a retry of the job may send it, and the sweep
   * never says this person did not answer), the alert says they could not be asked and why, and it is audited. The
   * waiting entry is dropped. Failures here are logged: the caller rethrows the DM's own error.
   */
  private async dmFailed(stored: RespondedChange, ask: ActorAsk, error: unknown): Promise<void> {
    const eventId = stored.change.eventId;
    const now = this.deps.clock.now();
    const failure = { at: now.toISOString(), why: `Slack refused the DM: ${firstLine(error)}`.slice(0, 300) };
    try {
      const marked = await this.deps.store.markActorAskDmFailed(eventId, failure, now);
      if (!marked) return;
      await this.deps.pending?.remove({ eventId, at: ask.at });
      if (marked.slack) await this.deps.slack.updateAlert(marked.slack, marked);
      await this.audit(stored, { name: 'iam-changes' }, 'actor-ask', 'the DM could not be sent', {
        slackUserId: ask.slackUserId,
        source: ask.source,
        error: failure.why,
      });
    } catch (inner: unknown) {
      this.log('could not record a failed DM', { eventId, error: firstLine(inner) });
    }
  }

  /**
   * An answer from a Slack-signed interaction: recorded only when it comes from the user the change was asked of
   * and nobody answered yet; anything else is refused and audited. A recorded answer updates the alert (and, for
   * "No", posts `@here` in its thread) and the DM.
   */
  async answer(request: AnswerRequest): Promise<AnswerOutcome> {
    const checked = await this.check(request);
    if (checked.kind !== 'may-answer') return checked;
    const stored = checked.stored;
    const refuse = async (why: string) =>
      this.audit(stored, request.by, 'actor-answer-refused', `refused: ${why}`, { answer: request.answer });
    const now = this.deps.clock.now();
    const answer: ActorAnswer = { answer: request.answer, by: request.by, at: now.toISOString() };
    const reason = request.reason?.trim();
    const ticket = request.ticket?.trim();
    if (reason) answer.reason = reason.slice(0, 500);
    if (ticket) answer.ticket = ticket.slice(0, 100);
    if (!(await this.deps.store.recordActorAnswer(request.eventId, answer, now))) {
      const fresh = await this.deps.store.getChange(request.eventId);
      await refuse('already answered');
      if (fresh?.actorAnswer) return { kind: 'already-answered', answer: fresh.actorAnswer };
      return { kind: 'not-yours' };
    }
    const state = (await this.deps.store.getChange(request.eventId)) ?? { ...stored, actorAnswer: answer };
    await this.audit(state, request.by, 'actor-answer', request.answer, {
      ...(answer.reason ? { reason: answer.reason } : {}),
      ...(answer.ticket ? { ticket: answer.ticket } : {}),
    });
    await this.tell(state, request.answer === 'denied');
    return { kind: 'recorded', state };
  }

  /**
   * Whether `request.by` may answer about the change (before "Yes" opens its modal, and again on every answer):
   * refusals are audited.
   */
  async check(
    request: Omit<AnswerRequest, 'reason' | 'ticket'>,
  ): Promise<Exclude<AnswerOutcome, { kind: 'recorded' }> | { kind: 'may-answer'; stored: RespondedChange }> {
    const stored = await this.deps.store.getChange(request.eventId);
    if (!stored) return { kind: 'not-stored' };
    const refuse = async (why: string) =>
      this.audit(stored, request.by, 'actor-answer-refused', `refused: ${why}`, { answer: request.answer });
    if (!stored.actorAsk) {
      await refuse('the actor was not asked about this change');
      return { kind: 'not-asked' };
    }
    if (stored.actorAsk.slackUserId !== request.by.slackUserId) {
      await refuse(`only ${stored.actorAsk.slackUserId} may answer`);
      return { kind: 'not-yours' };
    }
    if (stored.actorAnswer) {
      await refuse('already answered');
      return { kind: 'already-answered', answer: stored.actorAnswer };
    }
    return { kind: 'may-answer', stored };
  }

  /**
   * Notes on the alerts of asked, unanswered changes that the configured time passed. `pending` are the changes
   * to look at (the sweep's query, or a later event's). Returns the event ids noted.
   */
  async noteUnanswered(pending: Iterable<RespondedChange>): Promise<string[]> {
    const now = this.deps.clock.now();
    const limit = this.deps.settings.timeoutMinutes * 60_000;
    const noted: string[] = [];
    for (const stored of pending) {
      const ask = stored.actorAsk;
      // A DM that was never delivered asked nobody: nothing to say "has not answered" about.
      if (!ask || stored.actorAnswer || ask.timedOutAt || ask.dmFailed) continue;
      if (now.getTime() - Date.parse(ask.at) < limit) continue;
      const at = now.toISOString();
      if (!(await this.deps.store.markActorAskTimedOut(stored.change.eventId, at, now))) continue;
      // Drawn from the change as stored now: what was recorded since it was read (an acknowledgement) stays.
      const state: RespondedChange = (await this.deps.store.getChange(stored.change.eventId)) ?? {
        ...stored,
        actorAsk: { ...ask, timedOutAt: at },
      };
      await this.tell(state, false);
      await this.audit(state, { name: 'iam-changes' }, 'actor-ask', 'no answer in time', {
        slackUserId: ask.slackUserId,
        minutes: this.deps.settings.timeoutMinutes,
      });
      noted.push(stored.change.eventId);
    }
    return noted;
  }

  /**
   * The scheduled sweep: the asks made longer ago than the configured time are looked at, those still unanswered
   * noted on their alerts ({@link noteUnanswered}), and all of them forgotten. With nothing overdue it is one read
   * of the waiting list. A change that fails is logged and kept for the next run. Returns the event ids noted.
   */
  async sweep(): Promise<string[]> {
    const pending = this.deps.pending;
    if (!pending) return [];
    const now = this.deps.clock.now();
    const due = await pending.askedBefore(overdueCutoff(now, this.deps.settings.timeoutMinutes), SWEEP_BATCH);
    const noted: string[] = [];
    for (const item of due) {
      try {
        const stored = await this.deps.store.getChange(item.eventId);
        if (stored) noted.push(...(await this.noteUnanswered([stored])));
        await pending.remove(item);
      } catch (error: unknown) {
        this.log('could not note an unanswered ask', { eventId: item.eventId, error: firstLine(error) });
      }
    }
    return noted;
  }

  /** The alert, its thread (for a denial) and the DM hear of it; a Slack failure is logged, the answer stands. */
  private async tell(state: RespondedChange, denied: boolean): Promise<void> {
    const eventId = state.change.eventId;
    const attempt = async (what: string, work: () => Promise<void>) => {
      try {
        await work();
      } catch (error: unknown) {
        this.log(`could not ${what}`, { eventId, error: firstLine(error) });
      }
    };
    const ref = state.slack;
    if (ref) {
      await attempt('update the alert', () => this.deps.slack.updateAlert(ref, state));
      if (denied) {
        await attempt('post the denial', () =>
          this.deps.slack.postDenial({ channel: ref.channel, threadTs: ref.threadTs ?? ref.ts }, state),
        );
      }
    }
    const dm = state.actorAsk?.dm;
    if (dm) await attempt('update the DM', () => this.deps.slack.updateAsk(dm, state));
  }

  private async audit(
    stored: RespondedChange,
    actor: AuditActor,
    action: 'actor-ask' | 'actor-answer' | 'actor-answer-refused',
    result: string,
    details: Record<string, unknown>,
  ): Promise<void> {
    await this.deps.audit.append({
      at: this.deps.clock.now().toISOString(),
      actor,
      action,
      eventId: stored.change.eventId,
      result,
      details,
    });
  }
}
