import { randomUUID } from 'node:crypto';
import type { OtherAlarmsMode } from '../domain/alarm-kind';
import { assessChange } from '../domain/assess-change';
import { type BotIdentity, botRoleOf, callKey, unrecordedBotChange } from '../domain/bot-identity';
import { normaliseRecord } from '../domain/change';
import { accountOf, groupOf } from '../domain/fleet';
import { forwardingStopOf } from '../domain/forwarding';
import { type CloudTrailRecord, InputError, readInputParts, type UnreadablePart } from '../domain/input';
import { documentsToValidate, withValidation } from '../domain/policy-validation';
import {
  defaultSwitchOf,
  documentAfter,
  documentKeyOf,
  resourceOf,
  versionSnapshotOf,
} from '../domain/resources';
import type { RiskContext } from '../domain/risk/rule';
import { routeChange } from '../domain/routing';
import type { AssessedChange, Change, PolicyDocument, RiskLevel, SkippedRecord } from '../domain/types';
import type { AccountDirectory, AccountFacts } from './account-directory';
import type { AlarmFollowPort } from './alarm-follow';
import type { AlarmNotifier } from './alarm-notify';
import type { AlertChannel } from './alert-port';
import type { ActorAskStep } from './ask-actor-service';
import { type BotStepStore, documentDigest } from './bot-steps';
import type { ChangeContent } from './change-content';
import type { EscalationBudget, EscalationStep } from './escalation-check';
import { ExpectationGate, type ExpectationStore } from './expectation-port';
import { type ForwardingNoticeStore, ForwardingNotices } from './forwarding-notices';
import { MuteGate, type MuteStore } from './mute-port';
import { type PolicyValidator, validateDocuments } from './policy-validation-port';
import type {
  Burst,
  BurstItem,
  BurstNote,
  ChangeStore,
  Clock,
  DeadLetterSink,
  LogSearch,
  SlackRef,
  StoredChange,
  TrailHistory,
} from './ports';
import type { StatsStore } from './query-port';
import type { RoutingTableSource } from './routing-port';

/** Routing and grouping settings the notify path needs (a slice of the parsed configuration). */
export interface NotifySettings {
  defaultChannel: string;
  channelByLevel: Partial<Record<RiskLevel, string>>;
  mentionOnCritical: boolean;
  risk: RiskContext;
  /** Who the bot is in CloudTrail: its worker role exactly, its responder role in the organisation's accounts. */
  bot: BotIdentity;
  /** Levels not posted one by one but in the daily digest (`digest-service.ts`); still stored and queryable. */
  digestLevels?: readonly RiskLevel[];
  /** Changes from one session within this many seconds of each other share one parent message. */
  burstWindowSeconds: number;
  /** Changes listed in one thread message of a burst. */
  burstBatchSize?: number;
  /** The least time between two updates of a burst's running count. */
  burstCountIntervalSeconds?: number;
  /** How long one invocation may hold a burst's thread lease. */
  burstLeaseSeconds?: number;
  /** How long one invocation may hold a change's delivery before another may take it over. */
  deliveryLeaseSeconds?: number;
  /**
   * How long one invocation may hold an alarm's summary before another may take it over: 900 unless set, the
   * longest a Lambda invocation runs, so a claim older than that belongs to an invocation that is gone.
   */
  alarmClaimSeconds?: number;
  /** Alarms taken as CIS 4.4 alarms by name, whatever their metric. */
  cisAlarmNames?: string[];
  /** What to do with an alarm that is not a CIS 4.4 alarm: post it plainly (default) or skip it. */
  otherAlarms?: OtherAlarmsMode;
}

/** What the notify path needs from the outside world. */
export interface NotifyDependencies {
  store: ChangeStore;
  /** Daily counters for `/iam-changes stats`. */
  stats?: StatsStore;
  /** Responders' mutes: a change an active mute covers is stored and counted but not posted. None when absent. */
  mutes?: Pick<MuteStore, 'active'>;
  /**
   * Announced planned work: a matching change is lowered one level and posted in the announcement's thread; one on
   * an announced target outside the window or by someone else carries an "unexpected" reason. None when absent.
   */
  expectations?: Pick<ExpectationStore, 'endingAfter'>;
  /** Slack, told in facts: the adapter renders alerts, summaries and notes. */
  slack: AlertChannel;
  logs: LogSearch;
  trail: TrailHistory;
  clock: Clock;
  settings: NotifySettings;
  /**
   * The steps the worker recorded before its IAM writes: a call by the bot's role is the bot's own only when it
   * matches one. Without it, every call by the bot's roles is taken as not the bot's (a critical alert).
   */
  botSteps?: Pick<BotStepStore, 'consume'>;
  /**
   * Where the parts of a notification that cannot be read are kept (the notify dead-letter queue). Without it
   * each such part is only logged, and a notification with nothing readable in it fails.
   */
  deadLetters?: DeadLetterSink;
  /** Logs one line per notable event; the handler passes its logger. */
  log?: (message: string, details?: Record<string, unknown>) => void;
  /** Resolves attached policies' documents and loads the action catalogue before judging (none when absent). */
  content?: Pick<ChangeContent, 'prepare'>;
  /** The escalation check: inline before posting, or queued for the worker once posted (none when absent). */
  escalation?: EscalationStep;
  /** Names and OU paths of the organisation's accounts, added to each change before it is stored. */
  accounts?: AccountDirectory;
  /** The routing table; without it, each change goes to its level's channel or the default one. */
  routes?: RoutingTableSource;
  /**
   * AWS's policy validator: the documents a change sets are validated before the alert is posted, and its
   * security warnings and errors join the reasons. Without it, nothing is validated.
   */
  validator?: PolicyValidator;
  /**
   * Follows an alarm while it stays in ALARM (`AlarmFollowService`): told which log groups the summary searched
   * and up to when, and when the alarm leaves ALARM. Without it only the calls of the firing window are named.
   */
  followUp?: AlarmFollowPort;
  /**
   * Where the notices of member accounts' forwarding being stopped are claimed and grouped: one per call however
   * often it is delivered, one per account and kind within an hour however often it is repeated.
   */
  forwardingNotices: ForwardingNoticeStore;
  /**
   * "Was this you?": each change posted as its own alert is handed over (to the worker, which maps the actor and
   * sends the DM). Off when absent.
   */
  askActor?: ActorAskStep;
}

/** What happened to each change and alarm of one notification. */
export interface NotifyResult {
  posted: string[];
  grouped: string[];
  /** Kept for the daily digest (a digest level): posted there, not now. */
  digested: string[];
  duplicates: string[];
  ownCalls: string[];
  /** Changes an active mute kept from posting (stored and counted all the same). */
  muted: string[];
  alarms: Array<{ name: string; state: string; calls: number; source: string }>;
  skipped: SkippedRecord[];
  /** Parts of the notification that could not be read, and the dead-letter message each is kept as. */
  unreadable: Array<{ reason: string; keptAs?: string }>;
}

/**
 * What {@link NotifyService.deliverRecords} did, and the event ids it took as IAM changes (stored: posted, grouped,
 * muted, kept for the digest, the bot's own, or already delivered); records it set aside are not among them.
 */
export interface DeliveredRecords extends NotifyResult {
  changes: string[];
}

/** An unreadable part could not be kept in the dead-letter queue; failing makes SNS deliver it all again. */
export class DeadLetterError extends Error {
  override name = 'DeadLetterError';
}

/** The invocation ran out of time with work still queued; failing it makes SNS deliver it again. */
export class DeliveryIncompleteError extends Error {
  override name = 'DeliveryIncompleteError';
}

/** The per-notification hooks: mutes and expectations, each read once, and the time for escalation checks. */
export interface NotifyGates {
  mutes?: MuteGate;
  expected?: ExpectationGate;
  /** Notify's own escalation checks of all the notification's changes draw on this one budget. */
  escalation?: EscalationBudget;
}

const SEVERE: ReadonlySet<RiskLevel> = new Set(['critical', 'high']);
const DELIVERED = new Set(['delivered', 'grouped', 'own-call', 'muted', 'digest']);

/**
 * The notify use case: turns one SNS notification into Slack messages, exactly once per change.
 *
 * Every change is claimed in the store by its CloudTrail event id before anything is posted, so SNS
 * redeliveries and the same change arriving by the alarm path and the EventBridge path give one message.
 * A critical or high change is grouped only with the same change (same caller identity, event and target) made
 * in other accounts within the burst window — one message with one `@here`, a running count of accounts, each
 * account's line in its thread; the rest from one caller (regardless of account) are grouped under the first
 * one's message with their lines in its thread (see `domain/fleet.ts`). Any Slack or store failure is thrown after the change
 * is recorded as undelivered, so SNS retries and a redrive posts only what is missing.
 */
export class NotifyService {
  private readonly log: NonNullable<NotifyDependencies['log']>;
  private readonly forwarding: ForwardingNotices;
  private alarmPath: Promise<AlarmNotifier> | undefined;

  constructor(private readonly deps: NotifyDependencies) {
    this.log = deps.log ?? (() => {});
    const { settings, accounts } = deps;
    this.forwarding = new ForwardingNotices({
      store: deps.forwardingNotices,
      slack: deps.slack,
      clock: deps.clock,
      ...(accounts ? { describeAccount: (id: string) => accounts.describe(id) } : {}),
      settings: {
        channel: settings.channelByLevel.critical ?? settings.defaultChannel,
        mentionOnCritical: settings.mentionOnCritical,
        ...(settings.burstCountIntervalSeconds === undefined
          ? {}
          : { countIntervalSeconds: settings.burstCountIntervalSeconds }),
      },
      log: this.log,
    });
  }

  /**
   * The alarm half of the use case (`alarm-notify.ts`), loaded with the first alarm of the process: most
   * notifications carry none. A load that failed is tried again with the next alarm.
   */
  private alarms(): Promise<AlarmNotifier> {
    this.alarmPath ??= import('./alarm-notify').then(
      ({ AlarmNotifier }) =>
        new AlarmNotifier({
          deps: this.deps,
          log: this.log,
          deliverRecord: (record, result, deadline, unreadable, gates) =>
            this.processRecord(record, result, deadline, unreadable, gates),
        }),
      (error: unknown) => {
        this.alarmPath = undefined;
        throw error;
      },
    );
    return this.alarmPath;
  }

  /**
   * Records calls the follow-up found (and handed to {@link deliverRecords}) as later calls of the alarm that went
   * into ALARM at `openedAt`: one record per call, so a call found again is recorded once; calls its summary lists
   * are not later calls. Returns how many were new.
   */
  async recordLaterCalls(alarmName: string, openedAt: string, eventIds: readonly string[]): Promise<number> {
    return (await this.alarms()).recordLaterCalls(alarmName, openedAt, eventIds);
  }

  /**
   * Keeps the alarm's count of later calls: counts the recorded later calls afresh and raises the count kept on the
   * alarm to it (never lowers it). Store only; idempotent.
   */
  async keepLaterCallsCount(alarmName: string, openedAt: string): Promise<void> {
    return (await this.alarms()).keepLaterCallsCount(alarmName, openedAt);
  }

  /** Updates the alarm's summary in place while it shows fewer later calls than the count kept. */
  async showLaterCalls(alarmName: string, openedAt: string): Promise<void> {
    return (await this.alarms()).showLaterCalls(alarmName, openedAt);
  }

  /**
   * Processes one notification (any accepted input shape). `deadline` is the time to stop starting new work;
   * `invocationId` names the invocation for its claims (the Lambda request id, which its retries keep).
   *
   * A part that cannot be read (an element of a batch, or the whole notification) is logged with its reason and
   * kept in the dead-letter queue once the rest is delivered; if it cannot be kept, this throws, so the whole
   * notification is delivered again.
   */
  async process(
    input: unknown,
    deadline: number = Number.POSITIVE_INFINITY,
    invocationId: string = randomUUID(),
  ): Promise<NotifyResult> {
    const { items, unreadable } = readInputParts(input);
    const first = unreadable[0];
    // Nowhere to keep it and nothing else in it: fail as a whole, so the on-failure destination keeps it.
    if (first && items.length === 0 && !this.deps.deadLetters) throw new InputError(first.reason);
    const result: NotifyResult = {
      posted: [],
      grouped: [],
      digested: [],
      duplicates: [],
      ownCalls: [],
      muted: [],
      alarms: [],
      skipped: [],
      unreadable: [],
    };
    const setAside: UnreadablePart[] = [...unreadable];
    const gates = this.gates();
    for (const item of items) {
      if (item.kind === 'alarm') {
        await (await this.alarms()).receive(item.message, result, deadline, invocationId, setAside, gates);
      } else {
        await this.processRecord(
          item.record,
          result,
          deadline,
          (reason) => setAside.push({ reason, input: item.record }),
          gates,
          invocationId,
        );
      }
    }
    await this.keepUnreadable(setAside, result);
    return result;
  }

  /**
   * Delivers CloudTrail records found elsewhere (the alarm follow-up's searches), each claimed by event id first,
   * so a call the EventBridge path or an earlier search already delivered is not posted again.
   */
  async deliverRecords(records: CloudTrailRecord[], deadline: number): Promise<DeliveredRecords> {
    const gates = this.gates();
    const changes: string[] = [];
    const result: NotifyResult = {
      posted: [],
      grouped: [],
      muted: [],
      digested: [],
      duplicates: [],
      ownCalls: [],
      alarms: [],
      skipped: [],
      unreadable: [],
    };
    for (const record of records) {
      const stored = await this.processRecord(
        record,
        result,
        deadline,
        (reason) => {
          // Found in CloudTrail's own logs, which keep it: noted, not kept again.
          result.skipped.push({ eventName: record.eventName, eventSource: record.eventSource, reason });
        },
        gates,
      );
      if (stored) changes.push(stored.change.eventId);
    }
    return { ...result, changes };
  }

  /** Keeps each unreadable part in the dead-letter queue (or, without one, only logs it), one line each. */
  private async keepUnreadable(parts: UnreadablePart[], result: NotifyResult): Promise<void> {
    const sink = this.deps.deadLetters;
    for (const part of parts) {
      if (!sink) {
        this.log('unreadable input not kept: no dead-letter queue configured', { reason: part.reason });
        result.unreadable.push({ reason: part.reason });
        continue;
      }
      let keptAs: string;
      try {
        keptAs = await sink.keep(part.input, part.reason);
      } catch (error: unknown) {
        throw new DeadLetterError(
          `unreadable input could not be kept in the dead-letter queue: ${part.reason}`,
          {
            cause: error,
          },
        );
      }
      this.log('unreadable input kept in the dead-letter queue', { reason: part.reason, keptAs });
      result.unreadable.push({ reason: part.reason, keptAs });
    }
  }

  /**
   * The mutes and expectations one notification is judged against (each read once, and only if a change needs
   * it), and the one budget its escalation checks in notify share.
   */
  private gates(): NotifyGates {
    const mutes = this.deps.mutes
      ? new MuteGate(this.deps.mutes, () => this.deps.clock.now(), this.log)
      : undefined;
    const expected = this.deps.expectations
      ? new ExpectationGate(this.deps.expectations, () => this.deps.clock.now(), this.log)
      : undefined;
    const escalation = this.deps.escalation?.budget?.();
    return {
      ...(mutes ? { mutes } : {}),
      ...(expected ? { expected } : {}),
      ...(escalation ? { escalation } : {}),
    };
  }

  /** Delivers one CloudTrail record; one that cannot be read is handed to `unreadable` with the reason. */
  private async processRecord(
    record: CloudTrailRecord,
    result: NotifyResult,
    deadline: number,
    unreadable: (reason: string) => void,
    gates: NotifyGates = {},
    owner: string = randomUUID(),
  ): Promise<StoredChange | undefined> {
    const stop = forwardingStopOf(record);
    if (stop) {
      // Not stored as a change: it is no IAM change. Said in the critical channel (else the default).
      const outcome = await this.forwarding.report(stop, owner, deadline);
      if (outcome === 'duplicate') result.duplicates.push(stop.eventId);
      else if (outcome === 'posted') result.posted.push(stop.eventId);
      else result.grouped.push(stop.eventId);
      return undefined;
    }
    let normalised: ReturnType<typeof normaliseRecord>;
    try {
      normalised = normaliseRecord(record);
    } catch (error: unknown) {
      if (!(error instanceof InputError)) throw error;
      unreadable(`unreadable record: ${error.message}`);
      return undefined;
    }
    if ('skipped' in normalised) {
      result.skipped.push(normalised.skipped);
      return undefined;
    }
    return this.deliver(normalised.change, result, deadline, gates);
  }

  /** Judges a change with what the store knows of the document before it, and remembers the one after. */
  private async assess(change: Change): Promise<AssessedChange> {
    const key = documentKeyOf(change);
    const before = key
      ? await this.deps.store.documentBefore(key, change.eventTime, change.eventId)
      : undefined;
    const prepared = this.deps.content ? await this.deps.content.prepare(change) : { change };
    const { risk } = this.deps.settings;
    const judged = assessChange(
      prepared.change,
      prepared.actions ? { ...risk, actions: prepared.actions } : risk,
      before ? { previousDocument: before.document } : undefined,
    );
    const assessed = await this.validate(judged);
    const after = documentAfter(change);
    if (key && after !== undefined) await this.remember(change, key, after);
    const version = versionSnapshotOf(change);
    if (version) await this.remember(change, version.key, version.document);
    const switched = defaultSwitchOf(change);
    if (switched) {
      // The default becomes a version's document: the one the bot saw created, or, if it never saw it, unknown —
      // so the store never offers the document from before the switch as the policy's default.
      const created = await this.deps.store.documentBefore(
        switched.versionKey,
        change.eventTime,
        change.eventId,
      );
      const document = created?.document ?? undefined;
      await this.remember(
        change,
        switched.defaultKey,
        document,
        `default set to ${change.target.versionId}, a version the bot did not see created`,
      );
    }
    return assessed;
  }

  /** AWS's findings on the documents the change set, when a validator is configured and there are any. */
  private async validate(change: AssessedChange): Promise<AssessedChange> {
    const documents = documentsToValidate(change);
    if (this.deps.validator === undefined || documents.length === 0) return change;
    const validation = await validateDocuments(this.deps.validator, documents);
    if (validation.status === 'unavailable') {
      this.log('AWS policy validation unavailable', { eventId: change.eventId, reason: validation.reason });
    }
    return withValidation(change, validation);
  }

  /** Records what a document became at this change. */
  private async remember(
    change: Change,
    resourceKey: string,
    document: PolicyDocument | null | undefined,
    unknownReason?: string,
  ): Promise<void> {
    await this.deps.store.putDocument(
      {
        resourceKey,
        eventTime: change.eventTime,
        eventId: change.eventId,
        document,
        ...(document === undefined && unknownReason ? { unknownReason } : {}),
      },
      this.deps.clock.now(),
    );
  }

  /**
   * A call by the bot's own role is the bot's (a quiet thread note) only when it matches a step the worker
   * recorded before making it; otherwise it is critical. Any other caller's change is returned as it is.
   */
  private async judgeBotCall(change: AssessedChange): Promise<AssessedChange> {
    const role = botRoleOf(change.actor, this.deps.settings.bot);
    if (!role) return change;
    const eventTime = Date.parse(change.eventTime);
    // CloudTrail's event time is whole seconds and the worker records just before calling: a step speaks for a
    // call made within the hour after it (EventBridge delivers within minutes), never for one long after.
    const at = Number.isNaN(eventTime) ? this.deps.clock.now().getTime() : eventTime;
    const window = { after: new Date(at - 3_600_000), before: new Date(at + 300_000) };
    let recorded = false;
    try {
      recorded =
        (await this.deps.botSteps?.consume(
          change.accountId,
          callKey(change.eventName, change.requestParameters, documentDigest),
          window,
          change.eventId,
        )) ?? false;
    } catch (error: unknown) {
      // The step can't be read: say so loudly rather than stay quiet about a change by the bot's role.
      this.log("the bot's recorded steps could not be read", {
        eventId: change.eventId,
        error: error instanceof Error ? error.message : String(error),
      });
    }
    if (recorded) return { ...change, bot: { role, recorded: true } };
    this.log("the bot's role made a change it did not record", { eventId: change.eventId, role });
    return unrecordedBotChange(change, role);
  }

  /** The routing table's first matching rule's channel, else the level's channel, else the default. */
  private async channelFor(change: AssessedChange): Promise<string> {
    const table = (await this.deps.routes?.table()) ?? [];
    return routeChange(table, change, this.deps.settings).channel;
  }

  /**
   * The change with its account's name and OU path, and those of the account its caller acted from when that is
   * another one, when the directory knows them (it never throws).
   */
  private async withAccount(change: AssessedChange): Promise<AssessedChange> {
    const directory = this.deps.accounts;
    if (!directory || !change.accountId) return change;
    const known = (facts: AccountFacts) => Boolean(facts.name || facts.ouPath);
    const account = await directory.describe(change.accountId);
    const callerId = change.actor.accountId;
    const caller =
      change.recipientAccountId && callerId && callerId !== change.accountId
        ? await directory.describe(callerId)
        : undefined;
    return {
      ...change,
      ...(known(account) ? { account } : {}),
      ...(caller && known(caller) ? { callerAccount: caller } : {}),
    };
  }

  private async deliver(
    change: Change,
    result: NotifyResult,
    deadline: number,
    gates: NotifyGates = {},
  ): Promise<StoredChange> {
    const { store, clock } = this.deps;
    const leaseUntil = () =>
      new Date(clock.now().getTime() + (this.deps.settings.deliveryLeaseSeconds ?? 120) * 1000);
    let record = await store.getChange(change.eventId);
    if (record && DELIVERED.has(record.delivery)) {
      result.duplicates.push(change.eventId);
      // Delivered again after the worker's job could not be queued: queue it now (or fail again, to be retried).
      await this.deps.escalation?.redelivered(record);
      return record;
    }
    let assessed = record?.change ?? (await this.assess(change));
    if (!record) {
      assessed = await this.withAccount(await this.judgeBotCall(assessed));
      if (!assessed.bot) assessed = (await gates.expected?.judge(assessed)) ?? assessed;
      if (this.deps.escalation)
        assessed = await this.deps.escalation.prepare(assessed, deadline, gates.escalation);
      const claim = await store.claimChange(assessed, clock.now(), leaseUntil());
      record = claim.record;
      // Counted once, by the claimer; a counting failure must not hold back the alert.
      // Whoever claimed it first judged it: deliver what is stored.
      assessed = record.change;
      if (claim.claimed) {
        await this.deps.stats?.record(assessed, clock.now()).catch((error: unknown) => {
          this.log('stats not counted', {
            eventId: assessed.eventId,
            error: error instanceof Error ? error.message : String(error),
          });
        });
      }
      if (!claim.claimed && !(await this.takeOver(record, result, leaseUntil()))) return record;
    } else if (!(await this.takeOver(record, result, leaseUntil()))) {
      return record;
    }
    let announced: StoredChange | undefined;
    try {
      const mute = assessed.bot?.recorded ? undefined : await gates.mutes?.muteFor(assessed);
      const announcement = assessed.expected?.message;
      if (mute) {
        // Stored and counted already; it only does not post. Queries and the digest still list it.
        await store.markDelivery(assessed.eventId, { delivery: 'muted', mutedBy: mute.id }, clock.now());
        result.muted.push(assessed.eventId);
        this.log('change muted', { eventId: assessed.eventId, mute: mute.id });
        await this.listMutedInBurst(assessed, record, mute.id, deadline);
      } else if (assessed.bot?.recorded) {
        const ref = await this.postOwnCallNote(assessed);
        await store.markDelivery(assessed.eventId, { delivery: 'own-call', slack: ref }, clock.now());
        result.ownCalls.push(assessed.eventId);
      } else if (announcement) {
        // Planned work: in the announcement's thread, never grouped into a burst of its own.
        const ref = await this.postAlert(assessed, announcement);
        result.posted.push(assessed.eventId);
        announced = { ...record, delivery: 'delivered', slack: ref };
      } else if (this.deps.settings.digestLevels?.includes(assessed.risk.level)) {
        await store.markDelivery(assessed.eventId, { delivery: 'digest' }, clock.now());
        result.digested.push(assessed.eventId);
      } else {
        await this.deliverGrouped(assessed, record, result, deadline);
      }
    } catch (error: unknown) {
      const message = error instanceof Error ? error.message : String(error);
      await store.markFailed(assessed.eventId, message.slice(0, 500), clock.now()).catch(() => undefined);
      throw error;
    }
    // Delivered (or kept, when muted): a job that cannot be queued fails the notification, to be delivered again,
    // never the alert.
    await this.deps.escalation?.delivered(assessed);
    if (announced) return announced;
    return (await store.getChange(assessed.eventId)) ?? record;
  }

  /**
   * A change already claimed: deliver it only if it is still undelivered and nobody is delivering it now (a
   * failed attempt, or one whose invocation died). Otherwise it is another delivery of the same change.
   */
  private async takeOver(record: StoredChange, result: NotifyResult, until: Date): Promise<boolean> {
    const eventId = record.change.eventId;
    if (
      !DELIVERED.has(record.delivery) &&
      (await this.deps.store.acquireDeliveryLease(eventId, this.deps.clock.now(), until))
    ) {
      return true;
    }
    result.duplicates.push(eventId);
    return false;
  }

  private async postAlert(
    change: AssessedChange,
    thread?: { channel: string; ts: string },
  ): Promise<SlackRef> {
    const mention = this.deps.settings.mentionOnCritical && change.risk.level === 'critical';
    const ref = await this.deps.slack.postChange(await this.channelFor(change), change, {
      mention,
      ...(thread ? { thread } : {}),
    });
    await this.deps.store.markDelivery(
      change.eventId,
      { delivery: 'delivered', slack: ref },
      this.deps.clock.now(),
    );
    return ref;
  }

  /** "Was this you?" to the change's actor, when configured: a failure is logged, never the alert's. */
  private async askActor(stored: StoredChange): Promise<void> {
    if (!this.deps.askActor) return;
    try {
      const outcome = await this.deps.askActor.ask(stored);
      this.log('asked the actor', { eventId: stored.change.eventId, outcome });
    } catch (error: unknown) {
      this.log('could not ask the actor', {
        eventId: stored.change.eventId,
        error: error instanceof Error ? error.message.split('\n')[0] : String(error),
      });
    }
  }

  /** The bot's own IAM calls (a revert, a quarantine) are a note in the thread of the change on that resource. */
  private async postOwnCallNote(change: AssessedChange): Promise<SlackRef> {
    const earlier = await this.deps.store.latestChangeOnResource(resourceOf(change), change.eventTime);
    if (earlier?.slack) {
      const threadTs = earlier.slack.threadTs ?? earlier.slack.ts;
      return this.deps.slack.postThreadNote(
        { channel: earlier.slack.channel, threadTs },
        { kind: 'own-call', change, earlierAlertFound: true },
      );
    }
    return this.deps.slack.postThreadNote(
      { channel: this.deps.settings.defaultChannel },
      { kind: 'own-call', change, earlierAlertFound: false },
    );
  }

  private async deliverGrouped(
    change: AssessedChange,
    stored: StoredChange,
    result: NotifyResult,
    deadline: number,
  ): Promise<void> {
    const { store, clock, settings } = this.deps;
    const channel = await this.channelFor(change);
    // Severe changes group only with the same change in other accounts; the rest by caller, across accounts.
    const { key, kind } = groupOf(change, channel, SEVERE.has(change.risk.level));
    const windowMs = settings.burstWindowSeconds * 1000;

    // A redelivery of a change already queued in a burst only needs the thread flushed.
    if (stored.burstId) {
      await this.flushBurst(key, deadline);
      result.grouped.push(change.eventId);
      return;
    }
    let burst = await store.getBurst(key);
    const expired = !burst || Date.parse(change.eventTime) - Date.parse(burst.lastEventTime) > windowMs;
    if (expired) {
      const fresh: Burst = {
        key,
        burstId: change.eventId,
        channel,
        parentEventId: change.eventId,
        startedAt: change.eventTime,
        lastEventTime: change.eventTime,
        count: 1,
        shownCount: 1,
        kind,
        accountIds: [accountOf(change)],
      };
      if (await store.startBurst(fresh, burst?.burstId, clock.now())) {
        await this.postParent(change, key, fresh.burstId, result, deadline);
        return;
      }
      burst = await store.getBurst(key);
    }
    if (!burst) throw new Error(`burst ${key} vanished while joining it`);
    // This change started the burst but its message failed to post: it is the parent, posted now (its lease held).
    if (burst.parentEventId === change.eventId && !burst.parent) {
      await this.postParent(change, key, burst.burstId, result, deadline);
      return;
    }
    await store.addToBurst(key, burstItemOf(change, burst.burstId), clock.now());
    await store.markDelivery(change.eventId, { delivery: 'pending', burstId: burst.burstId }, clock.now());
    result.grouped.push(change.eventId);
    await this.flushBurst(key, deadline);
  }

  /**
   * A muted change whose group has a burst going (its thread open, within the window) is listed in that thread,
   * marked muted, like the group's other changes: responders following the burst see it, it posts nothing of its
   * own, and it never starts a burst. It stays `muted` (queries, the digest and Home say so).
   */
  private async listMutedInBurst(
    change: AssessedChange,
    stored: StoredChange,
    muteId: string,
    deadline: number,
  ): Promise<void> {
    const { store, clock, settings } = this.deps;
    if (stored.burstId) return;
    const { key } = groupOf(change, await this.channelFor(change), SEVERE.has(change.risk.level));
    const burst = await store.getBurst(key);
    if (!burst) return;
    const windowMs = settings.burstWindowSeconds * 1000;
    if (Date.parse(change.eventTime) - Date.parse(burst.lastEventTime) > windowMs) return;
    await store.addToBurst(key, burstItemOf(change, burst.burstId), clock.now());
    await store.markDelivery(
      change.eventId,
      { delivery: 'muted', mutedBy: muteId, burstId: burst.burstId },
      clock.now(),
    );
    await this.flushBurst(key, deadline);
  }

  /** Posts the message a burst's thread hangs under, then whatever was queued meanwhile. */
  private async postParent(
    change: AssessedChange,
    key: string,
    burstId: string,
    result: NotifyResult,
    deadline: number,
  ): Promise<void> {
    const { store, clock } = this.deps;
    const ref = await this.postAlert(change);
    await store.setBurstParent(key, ref, clock.now());
    await store.markDelivery(change.eventId, { delivery: 'delivered', slack: ref, burstId }, clock.now());
    result.posted.push(change.eventId);
    const stored = await store.getChange(change.eventId);
    if (stored) await this.askActor(stored);
    await this.flushBurst(key, deadline);
  }

  /**
   * Posts a burst's queued changes into its thread, in batches, while this invocation holds the burst's lease.
   * Whoever queues a change tries the lease after queueing, and the holder looks again after releasing it, so a
   * queued change is never left behind. Out of time with changes still queued: throw, so SNS tries again.
   */
  private async flushBurst(key: string, deadline: number): Promise<void> {
    const { store, clock, settings } = this.deps;
    const countIntervalMs = (settings.burstCountIntervalSeconds ?? 5) * 1000;
    const leaseMs = (settings.burstLeaseSeconds ?? 60) * 1000;

    for (;;) {
      const now = clock.now();
      if (!(await store.acquireBurstLease(key, now, new Date(now.getTime() + leaseMs)))) return;
      let burst = await store.getBurst(key);
      let shown: { count: number; at: string } | undefined;
      try {
        const parent = burst?.parent;
        if (burst && parent) ({ burst, shown } = await this.drainBurst(key, burst, parent, deadline));
      } finally {
        await store.releaseBurstLease(key, shown);
      }
      if (!burst?.parent) {
        // The parent is still being posted: its poster flushes once it is, unless it found the lease held here —
        // so look again now that the lease is free.
        if ((await store.getBurst(key))?.parent) continue;
        return;
      }
      const left = await store.pendingBurstItems(burst.burstId, 1);
      const parentStale = burst.count !== (shown?.count ?? burst.shownCount);
      if (left.length === 0 && !parentStale) return;
      if (clock.now().getTime() > deadline) {
        if (left.length > 0)
          throw new DeliveryIncompleteError(
            `burst ${key}: ${left.length}+ changes still queued at the deadline`,
          );
        return;
      }
      if (left.length === 0) {
        // Only the running count is behind: it is refreshed by the next change, or at the end of the interval.
        const wait = Math.max(
          0,
          countIntervalMs - (clock.now().getTime() - Date.parse(burst?.shownAt ?? clock.now().toISOString())),
        );
        if (wait > 0 && clock.now().getTime() + wait < deadline) await sleep(wait);
        else return;
      }
    }
  }

  /** Posts a burst's queued lines and refreshes its parent's count, while holding the burst's lease. */
  private async drainBurst(
    key: string,
    held: Burst,
    parent: SlackRef,
    deadline: number,
  ): Promise<{ burst: Burst; shown?: { count: number; at: string } }> {
    const { store, clock, slack, settings } = this.deps;
    const batchSize = settings.burstBatchSize ?? 40;
    const countIntervalMs = (settings.burstCountIntervalSeconds ?? 5) * 1000;
    let burst = held;
    let shown: { count: number; at: string } | undefined;
    for (;;) {
      if (clock.now().getTime() > deadline) break;
      const items = await store.pendingBurstItems(burst.burstId, batchSize);
      if (items.length === 0) break;
      const entries = (await Promise.all(items.map((item) => store.getChange(item.eventId)))).filter(
        (entry): entry is StoredChange => entry !== undefined,
      );
      const changes = entries.map((entry) => entry.change);
      const muted = new Set(
        entries.filter((entry) => entry.delivery === 'muted').map((entry) => entry.change.eventId),
      );
      const ref = await slack.postBurstLines(parent, changes, muted);
      for (const entry of entries) {
        const line = { slack: { ...ref, threadTs: parent.ts }, burstId: burst.burstId };
        // A muted change listed in the thread stays muted: it was listed, never posted as an alert.
        await store.markDelivery(
          entry.change.eventId,
          entry.delivery === 'muted'
            ? { delivery: 'muted', ...line, ...(entry.mutedBy ? { mutedBy: entry.mutedBy } : {}) }
            : { delivery: 'grouped', ...line },
          clock.now(),
        );
      }
      await store.removeBurstItems(burst.burstId, items);
    }
    burst = (await store.getBurst(key)) ?? burst;
    const stale = burst.count !== burst.shownCount;
    const due = !burst.shownAt || clock.now().getTime() - Date.parse(burst.shownAt) >= countIntervalMs;
    const drained = (await store.pendingBurstItems(burst.burstId, 1)).length === 0;
    if (stale && (due || drained)) {
      const parentChange = await store.getChange(burst.parentEventId);
      if (parentChange) {
        // Kept on the parent first, so an acknowledgement or a revert re-rendering it keeps the count too.
        // What was last done to a fleet group stays on its message as its count moves on.
        const acted = parentChange.burstNote?.fleetActed;
        const burstNote = { ...burstNoteOf(burst), ...(acted ? { fleetActed: acted } : {}) };
        await store.recordBurstNote(burst.parentEventId, burstNote);
        await slack.updateAlert(parent, { ...parentChange, burstNote });
        shown = { count: burst.count, at: clock.now().toISOString() };
      }
    }
    return shown ? { burst, shown } : { burst };
  }
}

/** What a burst's parent shows: how many more changes, in how many accounts, and a fleet group's id. */
function burstNoteOf(burst: Burst): BurstNote {
  const accounts = burst.accountIds?.length ?? 0;
  return {
    more: burst.count - 1,
    startedAt: burst.startedAt,
    ...(accounts > 1 ? { accounts } : {}),
    ...(burst.kind === 'fleet' ? { groupId: burst.burstId } : {}),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A change as an item of a burst's thread. */
function burstItemOf(change: AssessedChange, burstId: string): BurstItem {
  return { burstId, eventId: change.eventId, eventTime: change.eventTime, accountId: accountOf(change) };
}
