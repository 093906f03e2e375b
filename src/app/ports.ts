/**
 * The ports the use cases need. Implementations live in `src/store` (DynamoDB), `src/aws` (CloudWatch Logs,
 * CloudTrail) and `src/slack` (the Slack Web API); tests and the local runtime use the same implementations
 * against dynalite, moto_server and a local Slack server.
 */
import type { CloudTrailRecord } from '../domain/input';
import type { AlarmEvent, AlarmState, AssessedChange, PolicyDocument } from '../domain/types';

/** Where a Slack message is. `threadTs` is set for messages posted in a thread. */
export interface SlackRef {
  channel: string;
  ts: string;
  threadTs?: string;
}

/**
 * How far a change got towards Slack. `muted`: stored and counted, not posted, because an active mute (`mutedBy`)
 * covered it; `digest`: kept for the daily digest of its channel (a digest level); `imported`: backfilled from the
 * trail's S3 archive (`iam-changes scan --import`), never posted; a live delivery of the same call may still post it.
 */
export type DeliveryState =
  | 'pending'
  | 'delivered'
  | 'grouped'
  | 'own-call'
  | 'muted'
  | 'failed'
  | 'digest'
  | 'imported';

/** A change as the store keeps it. */
export interface StoredChange {
  change: AssessedChange;
  delivery: DeliveryState;
  /** Its own message, or its line in a burst thread. */
  slack?: SlackRef;
  /** The burst it belongs to, when it was grouped. */
  burstId?: string;
  /** The mute that kept it from posting, when `delivery` is `muted`. */
  mutedBy?: string;
  /** For a burst's parent: the running count its message shows, so every re-render of it keeps the count. */
  burstNote?: BurstNote;
  attempts: number;
  lastError?: string;
  /** Until when (ISO) one invocation holds the right to deliver it. */
  leaseUntil?: string;
  firstSeenAt: string;
  updatedAt: string;
}

/** How many more changes a burst's thread lists than its parent message, since when. */
export interface BurstNote {
  more: number;
  startedAt: string;
  /** How many accounts the burst's changes were made in, when more than one. */
  accounts?: number;
  /**
   * Set for a fleet group (one change made in many accounts): its id, which the message's "in every account"
   * buttons name, so the worker reads the group's changes from the store.
   */
  groupId?: string;
  /**
   * The last action taken on the whole fleet group, and in how many of its accounts it was done: the message shows
   * it in place of the buttons (which come back when accounts joined the group since).
   */
  fleetActed?: FleetActed;
}

/** An action on a fleet group, as its message shows it. */
export interface FleetActed {
  action: 'revert' | 'quarantine';
  /** Accounts where it was done (or already was), of `total` acted on. */
  done: number;
  total: number;
  /** The group's accounts when it ran: more accounts since bring the buttons back. */
  accounts: number;
  by: string;
  at: string;
}

/** Outcome of claiming an event id. */
export type ClaimResult = { claimed: true; record: StoredChange } | { claimed: false; record: StoredChange };

/**
 * A document seen for one resource at one moment: `null` when the resource's document was deleted, `undefined`
 * when it changed to something the bot never saw (a `SetDefaultPolicyVersion` to a version it has no record of),
 * with `unknownReason` saying so. An unknown snapshot ends what the store can tell about the document.
 */
export interface DocumentSnapshot {
  resourceKey: string;
  eventTime: string;
  eventId: string;
  document: PolicyDocument | null | undefined;
  unknownReason?: string;
}

/** One state change of an alarm, with its Slack summary once posted. */
export interface StoredAlarm {
  alarm: AlarmEvent;
  slack?: SlackRef;
  /** Event ids of the calls found behind it. */
  calls: string[];
  source?: 'cloudwatch-logs' | 'cloudtrail' | 'none';
  resolvedAt?: string;
  /** The state (OK, INSUFFICIENT_DATA) it was resolved by, beside `resolvedAt`. */
  resolvedState?: AlarmState;
  /**
   * Calls found after its summary was posted, while it stayed in ALARM: the count of its recorded later calls
   * (`recordLaterCalls`), kept here to render the summary.
   */
  laterCalls?: number;
  /** The count of later calls its Slack summary was last updated with (behind `laterCalls` until it is). */
  shownLaterCalls?: number;
  /**
   * Who is posting its summary: `claimed` while one invocation holds it (until `claimUntil`), `posted` once done.
   * Absent on items written before claims existed: posted when `slack` is set.
   */
  summary?: 'claimed' | 'posted';
  claimOwner?: string;
  claimUntil?: string;
}

/** The right to post an alarm's summary, held by one invocation (`owner`) until `until`. */
export interface AlarmClaim {
  owner: string;
  until: Date;
}

/**
 * Grouped changes in one channel: one caller's run of changes, or one change made in many accounts (a fleet
 * group, see `domain/fleet.ts`). The first change is the parent message; the rest go in its thread in batches,
 * and the parent's running count (changes and accounts) is updated in place.
 */
export interface Burst {
  key: string;
  burstId: string;
  channel: string;
  /** The change whose message is the parent. */
  parentEventId: string;
  parent?: SlackRef;
  startedAt: string;
  lastEventTime: string;
  /** Changes in the burst, the parent included. */
  count: number;
  /** The count the parent message last showed. */
  shownCount: number;
  shownAt?: string;
  /** Until when (ISO) one invocation holds the right to post the thread. */
  leaseUntil?: string;
  /** `fleet`: one change made in many accounts (see `domain/fleet.ts`); `session` (the default): one caller's run. */
  kind?: 'session' | 'fleet';
  /** The distinct accounts its changes were made in, sorted. */
  accountIds?: string[];
}

/** A change waiting to be listed in its burst's thread. */
export interface BurstItem {
  burstId: string;
  eventId: string;
  eventTime: string;
  /** The account the change was made in, counted among the burst's accounts. */
  accountId?: string;
}

/** Persistence for everything the bot remembers. Every method throws on storage failure (the caller retries). */
export interface ChangeStore {
  /**
   * Writes the change if its event id is new (a conditional write), holding its delivery lease until
   * `leaseUntil`; otherwise returns what is stored. Two deliveries of one change (SNS redelivery, alarm path and
   * EventBridge path) see one claim.
   */
  claimChange(change: AssessedChange, now: Date, leaseUntil: Date): Promise<ClaimResult>;
  /**
   * Takes the right to deliver an undelivered change (pending, failed or imported) whose lease is free or expired; false
   * when it is delivered or another invocation is delivering it now. `markDelivery` and `markFailed` free it.
   */
  acquireDeliveryLease(eventId: string, now: Date, until: Date): Promise<boolean>;
  getChange(eventId: string): Promise<StoredChange | undefined>;
  /**
   * Records where a change went in Slack and its new delivery state. `pending` (queued in a burst) never takes a
   * change back from `grouped` or `delivered`: the invocation posting the burst's thread may have been first.
   */
  markDelivery(
    eventId: string,
    update: { delivery: DeliveryState; slack?: SlackRef; burstId?: string; mutedBy?: string },
    now: Date,
  ): Promise<void>;
  /** Records a failed delivery attempt; the change stays undelivered for the retry. */
  markFailed(eventId: string, error: string, now: Date): Promise<void>;
  /** The most recent delivered change on a resource (`role/ci-runner`) before a time, for thread notes. */
  latestChangeOnResource(resource: string, before: string): Promise<StoredChange | undefined>;

  putDocument(snapshot: DocumentSnapshot, now: Date): Promise<void>;
  /** The latest snapshot ordered before (`eventTime`, `eventId`), or undefined when none is known. */
  documentBefore(
    resourceKey: string,
    eventTime: string,
    eventId: string,
  ): Promise<DocumentSnapshot | undefined>;

  /**
   * Takes the right to post an alarm state change's summary (name + state change time), with conditional writes
   * only: granted when the state change is new, or its summary is not posted and its claim is free, expired or
   * already the caller's (a retry of the same invocation). Otherwise `claimed: false` with what is stored — the
   * summary posted, or being posted by another invocation, whose own retries keep the notification.
   */
  claimAlarm(
    alarm: AlarmEvent,
    claim: AlarmClaim,
    now: Date,
  ): Promise<{ claimed: boolean; record: StoredAlarm }>;
  /** Gives up a claim that is still the owner's and not posted, so a redelivery may post at once. */
  releaseAlarm(alarm: AlarmEvent, owner: string): Promise<void>;
  updateAlarm(alarm: AlarmEvent, update: Partial<Omit<StoredAlarm, 'alarm'>>, now: Date): Promise<void>;
  /** The latest ALARM occurrence of an alarm before a time, to mark it resolved on OK. */
  latestAlarmOccurrence(name: string, before: string): Promise<StoredAlarm | undefined>;
  /**
   * Records `eventIds` as later calls of the alarm occurrence `alarm` (found by its follow-up after its summary
   * was posted): one record per call, so recording a call again changes nothing. Returns how many were new.
   */
  recordLaterCalls(alarm: AlarmEvent, eventIds: readonly string[], now: Date): Promise<number>;
  /** How many later calls are recorded for the alarm occurrence: the count its summary shows, derived afresh. */
  countLaterCalls(alarm: AlarmEvent): Promise<number>;
  /**
   * Sets the occurrence's `laterCalls` (the count kept) or `shownLaterCalls` (the count its Slack summary shows)
   * to `count` if that is more than it holds: a stale recount never lowers it. False when it was not raised.
   */
  raiseAlarmCount(
    alarm: AlarmEvent,
    field: 'laterCalls' | 'shownLaterCalls',
    count: number,
    now: Date,
  ): Promise<boolean>;

  getBurst(key: string): Promise<Burst | undefined>;
  /** Starts a new burst for the key, replacing an expired one (`expectedBurstId`); false when someone else did. */
  startBurst(burst: Burst, expectedBurstId: string | undefined, now: Date): Promise<boolean>;
  /** Adds a change to a burst: counts it and queues it for the thread. */
  addToBurst(key: string, item: BurstItem, now: Date): Promise<Burst>;
  setBurstParent(key: string, parent: SlackRef, now: Date): Promise<void>;
  /** Takes the thread-posting lease until `until` when it is free; false when another invocation holds it. */
  acquireBurstLease(key: string, now: Date, until: Date): Promise<boolean>;
  releaseBurstLease(key: string, shown?: { count: number; at: string }): Promise<void>;
  pendingBurstItems(burstId: string, limit: number): Promise<BurstItem[]>;
  removeBurstItems(burstId: string, items: BurstItem[]): Promise<void>;
  /** Keeps the running count a burst's parent shows on the parent change; a lower count than stored is ignored. */
  recordBurstNote(parentEventId: string, note: BurstNote): Promise<void>;
  /** Keeps what was last done to a fleet group on its parent's burst note (the worker; nothing else of the note). */
  recordFleetActed(parentEventId: string, acted: FleetActed): Promise<void>;
  /**
   * The event ids of every change a burst ever held, the parent included (kept for the retention period, unlike
   * the queue of thread lines): what an action on a whole fleet group acts on. At most `limit` of them.
   */
  burstMembers(burstId: string, limit: number): Promise<string[]>;
}

/** A Slack message to post: fallback text and Block Kit blocks. */
export interface OutgoingMessage {
  channel: string;
  text: string;
  blocks?: unknown[];
  /** Secondary attachments (an alert's coloured status bar); plain JSON, like the blocks. */
  attachments?: unknown[];
  threadTs?: string;
}

/** The Slack Web API calls the notify path makes. Errors are thrown (after the client's own retries). */
export interface SlackGateway {
  postMessage(message: OutgoingMessage): Promise<SlackRef>;
  updateMessage(ref: SlackRef, message: Omit<OutgoingMessage, 'channel' | 'threadTs'>): Promise<void>;
  permalink(ref: SlackRef): Promise<string | undefined>;
}

/** A metric filter that feeds a metric: where the alarm's calls can be searched. */
export interface MetricFilterSource {
  logGroupName: string;
  filterName: string;
  filterPattern: string;
}

/** CloudWatch Logs: the metric filters behind a metric and the CloudTrail records a pattern matches. */
export interface LogSearch {
  metricFilters(namespace: string, metricName: string): Promise<MetricFilterSource[]>;
  /** Every CloudTrail record the pattern matches in the window (all pages). */
  searchRecords(
    logGroupName: string,
    filterPattern: string,
    start: Date,
    end: Date,
  ): Promise<CloudTrailRecord[]>;
}

/** CloudTrail `LookupEvents`: 2 requests per second, 50 events a page, 90 days. */
export interface TrailHistory {
  /** IAM events (EventSource iam.amazonaws.com) in the window whose name is one of `eventNames`. */
  iamEvents(start: Date, end: Date, eventNames: readonly string[]): Promise<CloudTrailRecord[]>;
  /**
   * Every event in `[start, end]` naming `resourceName` (a role, user or group name, or a policy ARN), newest
   * first, deduplicated by `eventID`: the history the before-state resolver reads a previous document from.
   */
  resourceEvents(resourceName: string, start: Date, end: Date): Promise<CloudTrailRecord[]>;
}

/**
 * Where the parts of a notification the bot cannot read are kept (the notify dead-letter queue), in a shape the
 * redrive reads back. Throws when the part could not be kept: the caller then fails, and nothing is lost.
 */
export interface DeadLetterSink {
  /** Keeps `input` with the reason it could not be read; returns the id it is kept under. */
  keep(input: unknown, reason: string): Promise<string>;
}

/** The time, passed in so use cases and tests agree on it. */
export interface Clock {
  now(): Date;
}

/** Re-exported for adapters that only need the state names. */
export type { AlarmState };
