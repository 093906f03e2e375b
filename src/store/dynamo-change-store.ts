/**
 * The one {@link ChangeStore}: a single DynamoDB table through `@aws-sdk/lib-dynamodb`. In AWS the table comes
 * from `serverless.yml`; tests and the local runtime run the same code against an embedded dynalite.
 *
 * Items (see `table.ts` for the keys and indexes):
 * - change `CHANGE#<eventId>` / `CHANGE`, indexed by day, actor and resource for `/iam-changes`, with what
 *   responders did about it (`acknowledgement`, `revert`, `quarantine`: see `app/revert-port.ts`);
 * - document snapshot `DOC#<resourceKey>` / `<eventTime>#<eventId>`, the document kept as JSON text;
 * - alarm state change `ALARM#<name>` / `<stateChangeTime>`, with the claim on its summary (`summary`
 *   `claimed` by `claimOwner` until `claimUntil`, then `posted`);
 * - burst `BURST#<key>` / `BURST`, its queued thread lines `BURSTITEM#<burstId>` / `<eventTime>#<eventId>`, and
 *   its members `BURSTMEMBER#<burstId>` / `<eventId>` (kept after the thread is posted: a fleet group's actions
 *   read them);
 *
 * Every item carries `expiresAt` (epoch seconds, `retentionDays` after it was written) for DynamoDB TTL. Times in
 * keys are rewritten to `Date#toISOString` form, so `…14:00:00Z` and `…14:00:00.500Z` sort by time, not by text.
 * No transactions: dynalite (tests, local runtime) does not implement them, and no method needs one.
 */
import {
  BatchWriteCommand,
  type BatchWriteCommandInput,
  type BatchWriteCommandOutput,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { HomeQuarantine } from '../app/home-service';
import type {
  AlarmClaim,
  Burst,
  BurstItem,
  BurstNote,
  ChangeStore,
  ClaimResult,
  DeliveryState,
  DocumentSnapshot,
  FleetActed,
  SlackRef,
  StoredAlarm,
  StoredChange,
} from '../app/ports';
import type { ChangeQueries } from '../app/query-port';
import type { RaisedPostClaim } from '../app/raised-alert';
import {
  type Acknowledgement,
  type AcknowledgeResult,
  type AckStore,
  type ActorAnswer,
  type ActorAsk,
  type ClaimedQuarantinePolicy,
  type CreatedQuarantinePolicy,
  type ModesAddingClaimResult,
  QUARANTINE_CLAIM_LEASE_MS,
  type QuarantineClaimResult,
  type QuarantineJob,
  type QuarantineModesAdding,
  type QuarantineRecord,
  type QuarantineStore,
  type RespondedChange,
  type RevertClaimResult,
  type RevertRecord,
  type RevertStore,
  type TurnedOffKey,
} from '../app/revert-port';
import type { AlarmEvent, AssessedChange, Change, PolicyDocument, RiskLevel } from '../domain/types';
import {
  accountIndexKeys,
  INDEX_BY_ACCOUNT,
  INDEX_BY_ACTOR,
  INDEX_BY_RESOURCE,
  INDEX_BY_TIME,
  retentionSeconds,
  TTL_ATTRIBUTE,
} from './table';

/** The partition listing the changes whose caller is quarantined now (`sk`: the event id). */
export const QUARANTINED_PARTITION = 'QUARANTINED';

/**
 * The change item's attribute listing every deny policy claimed for its quarantine (see
 * `QuarantineRecord.claimedPolicies`): beside the record, not in it, so no write of the record drops it.
 */
const CLAIMED_POLICIES = 'quarantinePolicies';

/**
 * The change item's attribute listing the access keys the bot recorded right after turning each off
 * (`QuarantineRecord.keysTurnedOff`), beside the record like {@link CLAIMED_POLICIES}.
 */
const KEYS_TURNED_OFF = 'quarantineKeysOff';

/**
 * The change item's attribute listing the deny policies the bot created, with their ids
 * (`QuarantineRecord.createdPolicies`), beside the record like {@link CLAIMED_POLICIES}.
 */
const CREATED_POLICIES = 'quarantineCreated';

/** A quarantine record as written: without the lists that live beside it (claimed, created, keys turned off). */
function writtenRecord(record: QuarantineRecord): QuarantineRecord {
  const {
    claimedPolicies: _listed,
    claimedPoliciesStored: _count,
    keysTurnedOff: _keys,
    createdPolicies: _created,
    ...written
  } = record;
  return written;
}

/** The keys turned off and policies created kept beside the record on `item` (those present). */
function ledgerOf(
  item: Record<string, unknown> | undefined,
): Pick<QuarantineRecord, 'keysTurnedOff' | 'createdPolicies'> {
  const keys = readTurnedOffKeys(item?.[KEYS_TURNED_OFF]);
  const created = readCreatedPolicies(item?.[CREATED_POLICIES]);
  return {
    ...(keys.length > 0 ? { keysTurnedOff: keys } : {}),
    ...(created.length > 0 ? { createdPolicies: created } : {}),
  };
}

/** The record with the lists kept beside it on `item` (those present). */
function withLists(record: QuarantineRecord, item: Record<string, unknown> | undefined): QuarantineRecord {
  const claimed = readClaimedPolicies(item?.[CLAIMED_POLICIES]);
  const keys = readTurnedOffKeys(item?.[KEYS_TURNED_OFF]);
  const created = readCreatedPolicies(item?.[CREATED_POLICIES]);
  return {
    ...record,
    ...(claimed.length > 0 ? { claimedPolicies: claimed } : {}),
    ...(keys.length > 0 ? { keysTurnedOff: keys } : {}),
    ...(created.length > 0 ? { createdPolicies: created } : {}),
  };
}

/**
 * The keys turned off as stored: `{ keyId, job }` entries; a bare key id (written before the job was kept) is read
 * with no job, so it is never restored; entries of another shape dropped.
 */
function readTurnedOffKeys(value: unknown): TurnedOffKey[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry): TurnedOffKey[] => {
    if (typeof entry === 'string') return [{ keyId: entry }];
    if (typeof entry !== 'object' || entry === null) return [];
    const { keyId, job, on } = entry as { keyId?: unknown; job?: unknown; on?: unknown };
    if (typeof keyId !== 'string') return [];
    return [{ keyId, ...(typeof job === 'string' ? { job } : {}), ...(on === true ? { on } : {}) }];
  });
}

/** The created policies as stored (entries of another shape dropped). */
function readCreatedPolicies(value: unknown): CreatedQuarantinePolicy[] {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (entry): entry is CreatedQuarantinePolicy =>
      typeof entry === 'object' &&
      entry !== null &&
      typeof (entry as CreatedQuarantinePolicy).policyArn === 'string' &&
      typeof (entry as CreatedQuarantinePolicy).policyId === 'string',
  );
}

/** The claimed policies as stored (entries of another shape dropped). */
function readClaimedPolicies(value: unknown): ClaimedQuarantinePolicy[] {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (entry): entry is ClaimedQuarantinePolicy =>
      typeof entry === 'object' &&
      entry !== null &&
      typeof (entry as ClaimedQuarantinePolicy).policyArn === 'string' &&
      typeof (entry as ClaimedQuarantinePolicy).id === 'string',
  );
}

const DAY_SECONDS = 86_400;
const DAY_MS = DAY_SECONDS * 1000;
/** Pages read while looking for the first item a filter accepts, so a hot key cannot make a call unbounded. */
const MAX_FILTERED_PAGES = 20;
const FILTERED_PAGE_SIZE = 25;
/** Pages read while filling a `/iam-changes` answer from one index partition. */
const MAX_LISTING_PAGES = 100;
/** BatchWriteItem takes at most 25 requests. */
const BATCH_WRITE_SIZE = 25;
const BATCH_WRITE_ATTEMPTS = 5;
const BATCH_WRITE_BACKOFF_MS = 50;

type Item = Record<string, unknown>;

/** An update named an item the table does not hold: never written, expired, or (bursts) replaced. */
export class StoreItemNotFoundError extends Error {
  override readonly name = 'StoreItemNotFoundError';

  constructor(
    readonly item: string,
    options?: ErrorOptions,
  ) {
    super(`${item} is not in the store`, options);
  }
}

/** BatchWriteItem kept returning unprocessed requests (throttling) after every retry. */
export class BatchWriteIncompleteError extends Error {
  override readonly name = 'BatchWriteIncompleteError';

  constructor(
    readonly unprocessed: number,
    options?: ErrorOptions,
  ) {
    super(
      `${unprocessed} batch write request(s) were still unprocessed after ${BATCH_WRITE_ATTEMPTS} attempts`,
      options,
    );
  }
}

/** A revert was finished by someone who no longer holds its claim (another claim replaced a refused one). */
export class RevertClaimLostError extends Error {
  override readonly name = 'RevertClaimLostError';

  constructor(
    readonly eventId: string,
    readonly claimId: string,
    options?: ErrorOptions,
  ) {
    super(`the revert claim ${claimId} on change ${eventId} is no longer held`, options);
  }
}

/** A time the store was given to key or compare on is not a date. */
export class InvalidStoreTimeError extends Error {
  override readonly name = 'InvalidStoreTimeError';

  constructor(readonly value: string) {
    super(`expected an ISO 8601 time, got ${JSON.stringify(value.slice(0, 40))}`);
  }
}

export interface DynamoChangeStoreOptions {
  tableName: string;
  /** How long items live (DynamoDB TTL on `expiresAt`); 400 days unless set. */
  retentionDays?: number;
}

/**
 * The resource a change is about, as the `byResource` index and {@link ChangeStore.latestChangeOnResource} name
 * it: `role/ci-runner`, `user/bob`, `group/devs`, `policy/<policy ARN>` (or `policy/<name>` when no ARN is
 * known), otherwise `<kind>/<name>`.
 */
export function resourceOf(change: Pick<Change, 'target'>): string {
  const { kind, name, policyArn } = change.target;
  if (kind === 'policy') return `policy/${policyArn || name}`;
  return `${kind}/${name}`;
}

/**
 * The resource a change is listed under in the `byResource` index: {@link resourceOf}, except that a user or
 * group a change renamed is listed under its new name — the one it has from then on, whose later changes share
 * the key (the old name no longer exists).
 */
export function indexedResourceOf(change: Pick<Change, 'target'>): string {
  const { kind, newName } = change.target;
  return newName && (kind === 'user' || kind === 'group') ? `${kind}/${newName}` : resourceOf(change);
}

/** The actor a change is indexed under: the caller's ARN, or its name when CloudTrail gave no ARN. */
export function actorOf(change: Pick<Change, 'actor'>): string {
  return change.actor.arn || change.actor.name;
}

/** `…T14:00:00Z` → `…T14:00:00.000Z`: one text form per instant, so keys sort by time. */
export function sortableTime(time: string): string {
  const ms = Date.parse(time);
  if (Number.isNaN(ms)) throw new InvalidStoreTimeError(time);
  return new Date(ms).toISOString();
}

/** A deep copy without `undefined` (which the document client rejects unless told to drop it). */
function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** True for DynamoDB's answer to a write whose condition did not hold. */
export function isConditionFailed(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

function changeKey(eventId: string): Item {
  return { pk: `CHANGE#${eventId}`, sk: 'CHANGE' };
}

function alarmKey(alarm: Pick<AlarmEvent, 'name' | 'stateChangeTime'>): Item {
  return { pk: `ALARM#${alarm.name}`, sk: sortableTime(alarm.stateChangeTime) };
}

/**
 * One later call of one alarm occurrence: the occurrence's partition (`LATER#<name>#<time it went into ALARM>`),
 * one item per event id, so recording a call twice keeps one item and the count is the partition's size.
 */
function laterCallKey(alarm: Pick<AlarmEvent, 'name' | 'stateChangeTime'>, eventId: string): Item {
  return { pk: `LATER#${alarm.name}#${sortableTime(alarm.stateChangeTime)}`, sk: eventId };
}

function burstKey(key: string): Item {
  return { pk: `BURST#${key}`, sk: 'BURST' };
}

function burstItemKey(burstId: string, item: Pick<BurstItem, 'eventId' | 'eventTime'>): Item {
  return { pk: `BURSTITEM#${burstId}`, sk: `${sortableTime(item.eventTime)}#${item.eventId}` };
}

/**
 * The condition that the change's recorded quarantine is still `record`'s (its claim id; a record from before
 * claim ids, none) and active or failed: what a lift may act on and be recorded over. Names `#quarantine` and
 * `#status`.
 */
function sameQuarantine(
  record: QuarantineRecord,
  now: Date,
): { condition: string; names: Record<string, string>; values: Item } {
  const dead = deadClaim(now);
  const statuses = `(#quarantine.#status IN (:active, :failed) OR ${dead.condition})`;
  const values: Item = { ':active': 'active', ':failed': 'failed', ...dead.values };
  const names = dead.names;
  if (record.claimId === undefined) {
    return {
      condition: `attribute_exists(#quarantine) AND attribute_not_exists(#quarantine.claimId) AND ${statuses}`,
      names,
      values,
    };
  }
  return {
    condition: `#quarantine.claimId = :claimId AND ${statuses}`,
    names,
    values: { ...values, ':claimId': record.claimId },
  };
}

/**
 * The condition that the change's recorded quarantine is a claim whose holder died: `claimed`, its `until`
 * passed (or, on a claim from before claims had a lease, claimed longer than a lease ago). Names `#quarantine`
 * and `#status`.
 */
function deadClaim(now: Date): { condition: string; names: Record<string, string>; values: Item } {
  return {
    condition:
      '(#quarantine.#status = :claimed AND (#quarantine.#claimUntil < :claimNow OR (attribute_not_exists(#quarantine.#claimUntil) AND #quarantine.#claimAt < :claimStale)))',
    names: { '#claimUntil': 'until', '#claimAt': 'at' },
    values: {
      ':claimed': 'claimed',
      ':claimNow': now.toISOString(),
      ':claimStale': new Date(now.getTime() - QUARANTINE_CLAIM_LEASE_MS).toISOString(),
    },
  };
}

function burstMemberKey(burstId: string, eventId: string): Item {
  return { pk: `BURSTMEMBER#${burstId}`, sk: eventId };
}

const count = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
const word = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/**
 * A stored burst note as the messages may show it: counts are whole numbers and the action one of the two the
 * worker takes, whatever was written (the worker's role may write this attribute; its values reach Slack
 * formatting as numbers only). A note without its count or start is dropped.
 */
function readBurstNote(value: unknown): BurstNote | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const given = value as Record<string, unknown>;
  const more = count(given.more);
  const startedAt = word(given.startedAt);
  if (more === undefined || startedAt === undefined) return undefined;
  const note: BurstNote = { more, startedAt };
  const accounts = count(given.accounts);
  if (accounts !== undefined) note.accounts = accounts;
  const groupId = word(given.groupId);
  if (groupId !== undefined) note.groupId = groupId;
  const acted = given.fleetActed as Record<string, unknown> | undefined;
  if (typeof acted === 'object' && acted !== null) {
    const action = acted.action === 'revert' || acted.action === 'quarantine' ? acted.action : undefined;
    const [done, total, actedAccounts] = [count(acted.done), count(acted.total), count(acted.accounts)];
    const [by, at] = [word(acted.by), word(acted.at)];
    if (action && done !== undefined && total !== undefined && actedAccounts !== undefined && by && at) {
      note.fleetActed = { action, done, total, accounts: actedAccounts, by, at };
    }
  }
  return note;
}

function toStoredChange(item: Item): RespondedChange {
  const stored = item as unknown as RespondedChange;
  const result: RespondedChange = {
    change: stored.change,
    delivery: stored.delivery,
    attempts: stored.attempts,
    firstSeenAt: stored.firstSeenAt,
    updatedAt: stored.updatedAt,
  };
  if (stored.slack) result.slack = stored.slack;
  if (stored.burstId !== undefined) result.burstId = stored.burstId;
  if (stored.mutedBy !== undefined) result.mutedBy = stored.mutedBy;
  const burstNote = readBurstNote(stored.burstNote);
  if (burstNote) result.burstNote = burstNote;
  if (stored.lastError !== undefined) result.lastError = stored.lastError;
  if (stored.leaseUntil !== undefined) result.leaseUntil = stored.leaseUntil;
  if (stored.revert) result.revert = stored.revert;
  if (stored.acknowledgement) result.acknowledgement = stored.acknowledgement;
  if (stored.quarantine) {
    const listed = item?.[CLAIMED_POLICIES];
    result.quarantine = {
      ...withLists(stored.quarantine, item),
      ...(Array.isArray(listed) ? { claimedPoliciesStored: listed.length } : {}),
    };
  }
  if (stored.actorAsk) result.actorAsk = stored.actorAsk;
  if (stored.actorAnswer) result.actorAnswer = stored.actorAnswer;
  return result;
}

function toSnapshot(item: Item): DocumentSnapshot {
  const text = item.document;
  const snapshot: DocumentSnapshot = {
    resourceKey: String(item.resourceKey),
    eventTime: String(item.eventTime),
    eventId: String(item.eventId),
    // Text: the document; null: deleted; absent: changed to something the bot never saw.
    document:
      typeof text === 'string' ? (JSON.parse(text) as PolicyDocument) : text === null ? null : undefined,
  };
  if (typeof item.unknownReason === 'string') snapshot.unknownReason = item.unknownReason;
  return snapshot;
}

function toStoredAlarm(item: Item): StoredAlarm {
  const stored = item as unknown as StoredAlarm;
  const result: StoredAlarm = { alarm: stored.alarm, calls: stored.calls ?? [] };
  if (stored.slack) result.slack = stored.slack;
  if (stored.source !== undefined) result.source = stored.source;
  if (stored.resolvedAt !== undefined) result.resolvedAt = stored.resolvedAt;
  if (stored.resolvedState !== undefined) result.resolvedState = stored.resolvedState;
  if (typeof stored.laterCalls === 'number') result.laterCalls = stored.laterCalls;
  if (typeof stored.shownLaterCalls === 'number') result.shownLaterCalls = stored.shownLaterCalls;
  if (stored.summary !== undefined) result.summary = stored.summary;
  if (stored.claimOwner !== undefined) result.claimOwner = stored.claimOwner;
  if (stored.claimUntil !== undefined) result.claimUntil = stored.claimUntil;
  return result;
}

function toBurst(item: Item): Burst {
  const stored = item as unknown as Burst;
  const result: Burst = {
    key: stored.key,
    burstId: stored.burstId,
    channel: stored.channel,
    parentEventId: stored.parentEventId,
    startedAt: stored.startedAt,
    lastEventTime: stored.lastEventTime,
    count: stored.count,
    shownCount: stored.shownCount,
  };
  if (stored.parent) result.parent = stored.parent;
  if (stored.shownAt !== undefined) result.shownAt = stored.shownAt;
  if (stored.leaseUntil !== undefined) result.leaseUntil = stored.leaseUntil;
  if (stored.kind !== undefined) result.kind = stored.kind;
  // A string set in the table: read back as a Set by the document client.
  const accounts = (item as { accountIds?: unknown }).accountIds;
  if (accounts instanceof Set && accounts.size > 0) result.accountIds = [...accounts].map(String).sort();
  return result;
}

function toBurstItem(item: Item): BurstItem {
  return { burstId: String(item.burstId), eventId: String(item.eventId), eventTime: String(item.eventTime) };
}

/** `yyyy-mm-dd` days (UTC) from the day of `end` back to the day of `start`, at most `maxDays` of them. */
function daysDescending(start: string, end: string, maxDays: number): string[] {
  const first = Date.parse(start.slice(0, 10));
  const days: string[] = [];
  for (let day = Date.parse(end.slice(0, 10)); day >= first && days.length < maxDays; day -= DAY_MS) {
    days.push(new Date(day).toISOString().slice(0, 10));
  }
  return days;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * {@link ChangeStore}, {@link ChangeQueries} and the responder ports ({@link RevertStore}, {@link AckStore},
 * {@link QuarantineStore}) on one DynamoDB table (see the module comment for the items).
 */
export class DynamoChangeStore implements ChangeStore, ChangeQueries, RevertStore, AckStore, QuarantineStore {
  private readonly tableName: string;
  private readonly retentionSeconds: number;

  constructor(
    private readonly documentClient: DynamoDBDocumentClient,
    options: DynamoChangeStoreOptions,
  ) {
    this.tableName = options.tableName;
    this.retentionSeconds = retentionSeconds(options.retentionDays);
  }

  async claimChange(change: AssessedChange, now: Date, leaseUntil: Date): Promise<ClaimResult> {
    const at = now.toISOString();
    const record: StoredChange = {
      change: plain(change),
      delivery: 'pending',
      attempts: 0,
      firstSeenAt: at,
      updatedAt: at,
      leaseUntil: leaseUntil.toISOString(),
    };
    if (await this.putIfAbsent(this.changeItem(record, now))) return { claimed: true, record };
    const existing = await this.getChange(change.eventId);
    // Only possible if TTL removed it between the two calls; the caller's retry will claim it.
    if (!existing) throw new StoreItemNotFoundError(`change ${change.eventId}`);
    return { claimed: false, record: existing };
  }

  /**
   * Stores a change found in the trail's S3 archive when its event id is new (the same conditional write as
   * {@link claimChange}), as `imported`: indexed for `/iam-changes`, never posted. True when it was new. It lives
   * `retentionDays` from the import, like anything else the bot writes.
   */
  async importChange(change: AssessedChange, now: Date): Promise<boolean> {
    const at = now.toISOString();
    const record: StoredChange = {
      change: plain(change),
      delivery: 'imported',
      attempts: 0,
      firstSeenAt: at,
      updatedAt: at,
    };
    return this.putIfAbsent(this.changeItem(record, now));
  }

  /** A change's item with its index keys (day, actor, resource and, when known, account). */
  private changeItem(record: StoredChange, now: Date): Item {
    const change = record.change;
    const sortKey = `${sortableTime(change.eventTime)}#${change.eventId}`;
    return {
      ...changeKey(change.eventId),
      ...record,
      eventTime: change.eventTime,
      gsi1pk: `DAY#${sortKey.slice(0, 10)}`,
      gsi1sk: sortKey,
      gsi2pk: `ACTOR#${actorOf(change)}`,
      gsi2sk: sortKey,
      gsi3pk: `RESOURCE#${indexedResourceOf(change)}`,
      gsi3sk: sortKey,
      // Sparse: a record naming no account is in every other index, not this one.
      ...accountIndexKeys(change.accountId, sortKey),
      [TTL_ATTRIBUTE]: this.expiresAt(now),
    };
  }

  async getChange(eventId: string): Promise<RespondedChange | undefined> {
    const item = await this.get(changeKey(eventId));
    return item && toStoredChange(item);
  }

  /**
   * A conditional write on the change item: the claim is taken when the change has no revert or its last one
   * was refused, so two clicks (or a click and the CLI) revert once. Throws {@link StoreItemNotFoundError} when
   * the change is not stored.
   */
  async claimRevert(eventId: string, claim: RevertRecord, now: Date): Promise<RevertClaimResult> {
    try {
      await this.documentClient.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: changeKey(eventId),
          UpdateExpression: 'SET #revert = :claim, updatedAt = :now',
          ConditionExpression:
            'attribute_exists(pk) AND (attribute_not_exists(#revert) OR #revert.#status = :refused)',
          ExpressionAttributeNames: { '#revert': 'revert', '#status': 'status' },
          ExpressionAttributeValues: {
            ':claim': plain(claim),
            ':now': now.toISOString(),
            ':refused': 'refused',
          },
        }),
      );
      return { claimed: true };
    } catch (error: unknown) {
      if (!isConditionFailed(error)) throw error;
    }
    const existing = await this.getChange(eventId);
    if (!existing) throw new StoreItemNotFoundError(`change ${eventId}`);
    if (!existing.revert) {
      // Only possible when the revert was removed between the two calls: the caller may try again.
      throw new RevertClaimLostError(eventId, claim.claimId);
    }
    return { claimed: false, existing: existing.revert };
  }

  /** Replaces the claim with its result; {@link RevertClaimLostError} when the claim is not the caller's. */
  async finishRevert(eventId: string, result: RevertRecord, now: Date): Promise<void> {
    try {
      await this.documentClient.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: changeKey(eventId),
          UpdateExpression: 'SET #revert = :result, updatedAt = :now',
          ConditionExpression: 'attribute_exists(pk) AND #revert.claimId = :claimId',
          ExpressionAttributeNames: { '#revert': 'revert' },
          ExpressionAttributeValues: {
            ':result': plain(result),
            ':now': now.toISOString(),
            ':claimId': result.claimId,
          },
        }),
      );
    } catch (error: unknown) {
      if (isConditionFailed(error)) throw new RevertClaimLostError(eventId, result.claimId, { cause: error });
      throw error;
    }
  }

  /** First acknowledgement wins (a conditional write); later ones get the first back. */
  async recordAcknowledgement(eventId: string, ack: Acknowledgement, now: Date): Promise<AcknowledgeResult> {
    try {
      await this.documentClient.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: changeKey(eventId),
          UpdateExpression: 'SET acknowledgement = :ack, updatedAt = :now',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(acknowledgement)',
          ExpressionAttributeValues: { ':ack': plain(ack), ':now': now.toISOString() },
        }),
      );
      return { recorded: true };
    } catch (error: unknown) {
      if (!isConditionFailed(error)) throw error;
    }
    const existing = await this.getChange(eventId);
    if (!existing?.acknowledgement) throw new StoreItemNotFoundError(`change ${eventId}`);
    return { recorded: false, existing: existing.acknowledgement };
  }

  /** "Was this you?" asked: recorded once per change (a conditional write); false when it already was. */
  async recordActorAsk(eventId: string, ask: ActorAsk, now: Date): Promise<boolean> {
    return this.conditionalUpdate({
      TableName: this.tableName,
      Key: changeKey(eventId),
      UpdateExpression: 'SET actorAsk = :ask, updatedAt = :now',
      // Once per change — unless the DM of the recorded ask could not be sent (and nobody answered): then a retry
      // may ask again.
      ConditionExpression:
        'attribute_exists(pk) AND (attribute_not_exists(actorAsk) OR (attribute_exists(actorAsk.dmFailed) AND attribute_not_exists(actorAsk.dm) AND attribute_not_exists(actorAnswer)))',
      ExpressionAttributeValues: { ':ask': plain(ask), ':now': now.toISOString() },
    });
  }

  /** Where the ask's DM is; the change as it is once written (read back). */
  async recordActorAskDm(
    eventId: string,
    dm: { channel: string; ts: string },
    now: Date,
  ): Promise<RespondedChange> {
    await this.documentClient.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: changeKey(eventId),
        UpdateExpression: 'SET actorAsk.dm = :dm, updatedAt = :now',
        ConditionExpression: 'attribute_exists(actorAsk)',
        ExpressionAttributeValues: { ':dm': plain(dm), ':now': now.toISOString() },
      }),
    );
    return this.readBack(eventId);
  }

  /**
   * The actor's answer, recorded only when the change was asked of the user answering and nobody answered yet
   * (one conditional write): false otherwise.
   */
  async recordActorAnswer(eventId: string, answer: ActorAnswer, now: Date): Promise<boolean> {
    return this.conditionalUpdate({
      TableName: this.tableName,
      Key: changeKey(eventId),
      UpdateExpression: 'SET actorAnswer = :answer, updatedAt = :now',
      ConditionExpression: 'actorAsk.slackUserId = :user AND attribute_not_exists(actorAnswer)',
      ExpressionAttributeValues: {
        ':answer': plain(answer),
        ':user': answer.by.slackUserId ?? '',
        ':now': now.toISOString(),
      },
    });
  }

  /** An unanswered ask whose time ran out, marked once: false when answered or already marked. */
  /**
   * Marks that the DM of the recorded ask could not be sent, when no DM is recorded for it, and returns the change
   * as written: `undefined` otherwise (the DM was recorded after all, or there is no ask).
   */
  async markActorAskDmFailed(
    eventId: string,
    failure: { at: string; why: string },
    now: Date,
  ): Promise<RespondedChange | undefined> {
    const marked = await this.conditionalUpdate({
      TableName: this.tableName,
      Key: changeKey(eventId),
      UpdateExpression: 'SET actorAsk.dmFailed = :failure, updatedAt = :now',
      ConditionExpression: 'attribute_exists(actorAsk) AND attribute_not_exists(actorAsk.dm)',
      ExpressionAttributeValues: { ':failure': plain(failure), ':now': now.toISOString() },
    });
    return marked ? this.readBack(eventId) : undefined;
  }

  async markActorAskTimedOut(eventId: string, at: string, now: Date): Promise<boolean> {
    return this.conditionalUpdate({
      TableName: this.tableName,
      Key: changeKey(eventId),
      UpdateExpression: 'SET actorAsk.timedOutAt = :at, updatedAt = :now',
      // Never for a DM that was not delivered: that person was not asked.
      ConditionExpression:
        'attribute_exists(actorAsk) AND attribute_not_exists(actorAnswer) AND attribute_not_exists(actorAsk.timedOutAt) AND attribute_not_exists(actorAsk.dmFailed)',
      ExpressionAttributeValues: { ':at': at, ':now': now.toISOString() },
    });
  }

  private async conditionalUpdate(input: ConstructorParameters<typeof UpdateCommand>[0]): Promise<boolean> {
    try {
      await this.documentClient.send(new UpdateCommand(input));
      return true;
    } catch (error: unknown) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  /**
   * A conditional write on the change item: the claim is taken when the change has no quarantine, or its last one
   * failed or was lifted, or was claimed by a holder that died (its lease passed) or by this very claim (a retry of
   * the same job, same `claimId`), so two confirmations of one change quarantine once. A claim taken over is
   * returned as `replaced`, so its leftovers in IAM can be cleared. The claim's policy is appended to the list of
   * policies claimed for the quarantine in the same write — a claim over a failed one or a dead one continues that
   * list, a claim over none or a lifted one starts it afresh — and the whole list is returned. Throws
   * {@link StoreItemNotFoundError} when the change is not stored.
   */
  async claimQuarantine(eventId: string, claim: QuarantineRecord, now: Date): Promise<QuarantineClaimResult> {
    const dead = deadClaim(now);
    const mine: ClaimedQuarantinePolicy = {
      id: claim.claimId ?? '',
      kind: 'quarantine',
      policyArn: claim.policyArn,
      at: claim.at,
    };
    const names = { '#quarantine': 'quarantine', '#status': 'status', '#claimed': CLAIMED_POLICIES };
    const values = {
      ':claim': plain(writtenRecord(claim)),
      ':now': now.toISOString(),
      ':mine': [plain(mine)],
    };
    try {
      // Over a quarantine that failed (it may have kept a dead claim's deny) or a claim whose job died or is this
      // job's own: the list goes on, so nothing an earlier job of this quarantine left is ever unnamed.
      const output = await this.documentClient.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: changeKey(eventId),
          UpdateExpression:
            'SET #quarantine = :claim, updatedAt = :now, #claimed = list_append(if_not_exists(#claimed, :none), :mine)',
          // Never while a lift holds the quarantine (it would rewrite the record under the lift and drop its hold),
          // unless that lift's lease has run out.
          ConditionExpression: `attribute_exists(pk) AND (#quarantine.#status = :failed OR ${dead.condition} OR (#quarantine.#status = :claimed AND #quarantine.claimId = :claimId)) AND (attribute_not_exists(#quarantine.#lifting) OR #quarantine.#lifting.#liftUntil < :now)`,
          ExpressionAttributeNames: { ...names, ...dead.names, '#lifting': 'lifting', '#liftUntil': 'until' },
          ExpressionAttributeValues: {
            ...values,
            ':none': [],
            ':failed': 'failed',
            ':claimId': claim.claimId ?? '',
            ...dead.values,
          },
          // The whole item as it was: the lists earlier jobs appended to beside the record come back too.
          ReturnValues: 'ALL_OLD',
        }),
      );
      const old = output.Attributes?.quarantine as QuarantineRecord | undefined;
      const claimedPolicies = [...readClaimedPolicies(output.Attributes?.[CLAIMED_POLICIES]), mine];
      const ledger = ledgerOf(output.Attributes);
      return old?.status === 'claimed'
        ? { claimed: true, replaced: old, claimedPolicies, ...ledger }
        : { claimed: true, claimedPolicies, ...ledger };
    } catch (error: unknown) {
      if (!isConditionFailed(error)) throw error;
    }
    try {
      // No quarantine yet, or the last one was lifted: a new quarantine, with a list of its own.
      await this.documentClient.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: changeKey(eventId),
          UpdateExpression:
            'SET #quarantine = :claim, updatedAt = :now, #claimed = :mine REMOVE #keysOff, #created',
          ConditionExpression:
            'attribute_exists(pk) AND (attribute_not_exists(#quarantine) OR #quarantine.#status = :lifted)',
          ExpressionAttributeNames: { ...names, '#keysOff': KEYS_TURNED_OFF, '#created': CREATED_POLICIES },
          ExpressionAttributeValues: { ...values, ':lifted': 'lifted' },
        }),
      );
      return { claimed: true, claimedPolicies: [mine] };
    } catch (error: unknown) {
      if (!isConditionFailed(error)) throw error;
    }
    const existing = await this.getChange(eventId);
    if (!existing) throw new StoreItemNotFoundError(`change ${eventId}`);
    if (!existing.quarantine) throw new StoreItemNotFoundError(`quarantine of change ${eventId}`);
    return { claimed: false, existing: existing.quarantine };
  }

  /**
   * Sets the quarantine record; an active quarantine is also listed under `QUARANTINED` (one item per change,
   * removed when it is lifted or fails), so the Home tab finds every active quarantine whatever its age in one
   * query rather than in the last days' changes.
   */
  async recordQuarantine(eventId: string, record: QuarantineRecord, now: Date): Promise<void> {
    let listed: Record<string, unknown> | undefined;
    try {
      const output = await this.documentClient.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: changeKey(eventId),
          UpdateExpression: 'SET quarantine = :quarantine, updatedAt = :now',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: {
            ':quarantine': plain(writtenRecord(record)),
            ':now': now.toISOString(),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      listed = output.Attributes;
    } catch (error: unknown) {
      if (isConditionFailed(error)) throw new StoreItemNotFoundError(`change ${eventId}`, { cause: error });
      throw error;
    }
    const key = { pk: QUARANTINED_PARTITION, sk: eventId };
    if (record.status === 'active') {
      const copy = withLists(writtenRecord(record), listed);
      await this.documentClient.send(
        // The record itself too (with every policy claimed for it): the list item has no TTL, so the quarantine
        // still shows, with what may still be attached, after the change's own item expired.
        new PutCommand({
          TableName: this.tableName,
          Item: { ...key, eventId, at: record.at, quarantine: plain(copy) },
        }),
      );
    } else if (record.status === 'lifted' || record.status === 'failed') {
      await this.documentClient.send(new DeleteCommand({ TableName: this.tableName, Key: key }));
    }
  }

  /**
   * Records a lift over the quarantine it lifted, and only over that one (a conditional write): the record must
   * still hold `record.claimId`, active (or failed: a deny policy attached whose read-back failed; or a claim whose
   * holder died, see `deadClaim`). False when it
   * does not — another lift recorded it first, or a newer quarantine was claimed since — and then nothing is
   * written, so a newer quarantine is never recorded as lifted nor dropped from the `QUARANTINED` list. Throws
   * {@link StoreItemNotFoundError} when the change is not stored.
   */
  async recordLift(eventId: string, record: QuarantineRecord, now: Date): Promise<boolean> {
    const same = sameQuarantine(record, now);
    try {
      await this.documentClient.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: changeKey(eventId),
          UpdateExpression: 'SET #quarantine = :quarantine, updatedAt = :now',
          ConditionExpression: `attribute_exists(pk) AND ${same.condition}`,
          ExpressionAttributeNames: { '#quarantine': 'quarantine', '#status': 'status', ...same.names },
          ExpressionAttributeValues: {
            ...same.values,
            ':quarantine': plain(writtenRecord(record)),
            ':now': now.toISOString(),
          },
        }),
      );
    } catch (error: unknown) {
      if (!isConditionFailed(error)) throw error;
      if (!(await this.get(changeKey(eventId)))) throw new StoreItemNotFoundError(`change ${eventId}`);
      return false;
    }
    try {
      await this.documentClient.send(
        new DeleteCommand({ TableName: this.tableName, Key: { pk: QUARANTINED_PARTITION, sk: eventId } }),
      );
    } catch {
      // The lift is recorded: a list entry left behind is only a hint — `activeQuarantines` reads each change back
      // and drops it once its record is no longer active — so the lift is not reported failed for it.
    }
    return true;
  }

  /**
   * See {@link QuarantineStore.claimLift}: a conditional write of `quarantine.lifting`, taken when no lift holds
   * it, its lease passed, or it is this lift's own (a retry of the same job, which takes it over).
   */
  async claimLift(
    eventId: string,
    record: QuarantineRecord,
    lifting: { id: string; until: string },
    now: Date,
  ): Promise<boolean> {
    const same = sameQuarantine(record, now);
    // The list's length as stored, entries of another shape included: the condition counts them too.
    const read = record.claimedPoliciesStored ?? record.claimedPolicies?.length ?? 0;
    const listed =
      read === 0
        ? '(attribute_not_exists(#claimed) OR size(#claimed) = :listed)'
        : 'size(#claimed) = :listed';
    try {
      await this.documentClient.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: changeKey(eventId),
          UpdateExpression: 'SET #quarantine.#lifting = :lifting, updatedAt = :now',
          // Still the policy the lift read (modes added since replace it: a lift working from the read before
          // would detach a policy no longer attached and leave the new one, and its keys); and not while modes are
          // being added (until that job is taken for dead): the lift would miss its new policy.
          // And still the list of claimed policies the lift read (by its length: it is only ever appended to), so
          // no deny claimed since the read is left attached by a lift that never saw it.
          ConditionExpression: `attribute_exists(pk) AND ${same.condition} AND #quarantine.#policy = :policy AND ${listed} AND (attribute_not_exists(#quarantine.#lifting) OR #quarantine.#lifting.#id = :liftId OR #quarantine.#lifting.#until < :now) AND (attribute_not_exists(#quarantine.#addingModes) OR #quarantine.#addingModes.#until < :now)`,
          ExpressionAttributeNames: {
            '#quarantine': 'quarantine',
            '#status': 'status',
            '#lifting': 'lifting',
            '#addingModes': 'addingModes',
            '#policy': 'policyArn',
            '#id': 'id',
            '#until': 'until',
            '#claimed': CLAIMED_POLICIES,
            ...same.names,
          },
          ExpressionAttributeValues: {
            ...same.values,
            ':listed': read,
            ':policy': record.policyArn,
            ':lifting': plain(lifting),
            ':liftId': lifting.id,
            ':now': now.toISOString(),
          },
        }),
      );
      return true;
    } catch (error: unknown) {
      if (!isConditionFailed(error)) throw error;
    }
    if (!(await this.get(changeKey(eventId)))) throw new StoreItemNotFoundError(`change ${eventId}`);
    return false;
  }

  async releaseLift(eventId: string, id: string): Promise<void> {
    await this.releaseHold(eventId, 'lifting', id);
  }

  /** Removes a hold (`lifting`, `addingModes`) from the quarantine record, only while the holder `id` still has it. */
  private async releaseHold(eventId: string, hold: 'lifting' | 'addingModes', id: string): Promise<void> {
    await this.conditionalUpdate({
      TableName: this.tableName,
      Key: changeKey(eventId),
      UpdateExpression: 'REMOVE #quarantine.#hold',
      ConditionExpression: '#quarantine.#hold.id = :id',
      ExpressionAttributeNames: { '#quarantine': 'quarantine', '#hold': hold },
      ExpressionAttributeValues: { ':id': id },
    });
  }

  /**
   * See {@link QuarantineStore.claimModesAdding}: a conditional write of `quarantine.addingModes` over the active
   * quarantine `record` (its claim id and policy), with no lift on it and no live addition but this job's own; the
   * addition's policy is appended to the claimed policies in the same write.
   */
  async claimModesAdding(
    eventId: string,
    record: QuarantineRecord,
    addingModes: QuarantineModesAdding,
    now: Date,
  ): Promise<ModesAddingClaimResult> {
    const same =
      record.claimId === undefined
        ? 'attribute_not_exists(#quarantine.claimId)'
        : '#quarantine.claimId = :claimId';
    const mine: ClaimedQuarantinePolicy = {
      id: addingModes.id,
      kind: 'adding',
      policyArn: addingModes.policyArn,
      at: addingModes.at,
    };
    try {
      const output = await this.documentClient.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: changeKey(eventId),
          // Appended, never set: a job taking a dead one's claim over must not hide the policy that one attached.
          UpdateExpression:
            'SET #quarantine.#addingModes = :addingModes, updatedAt = :now, #claimed = list_append(if_not_exists(#claimed, :none), :mine)',
          ConditionExpression: `attribute_exists(pk) AND ${same} AND #quarantine.#status = :active AND #quarantine.#policy = :policy AND attribute_not_exists(#quarantine.#lifting) AND (attribute_not_exists(#quarantine.#addingModes) OR #quarantine.#addingModes.#id = :id OR #quarantine.#addingModes.#until < :now)`,
          ExpressionAttributeNames: {
            '#quarantine': 'quarantine',
            '#status': 'status',
            '#policy': 'policyArn',
            '#lifting': 'lifting',
            '#addingModes': 'addingModes',
            '#id': 'id',
            '#until': 'until',
            '#claimed': CLAIMED_POLICIES,
          },
          ExpressionAttributeValues: {
            ':addingModes': plain(addingModes),
            ':now': now.toISOString(),
            ':active': 'active',
            ':policy': record.policyArn,
            ':id': addingModes.id,
            ':none': [],
            ':mine': [plain(mine)],
            ...(record.claimId === undefined ? {} : { ':claimId': record.claimId }),
          },
          ReturnValues: 'ALL_OLD',
        }),
      );
      const old = (output.Attributes?.quarantine as QuarantineRecord | undefined)?.addingModes;
      const claimedPolicies = [...readClaimedPolicies(output.Attributes?.[CLAIMED_POLICIES]), mine];
      const ledger = ledgerOf(output.Attributes);
      await this.listAdding(eventId, addingModes, claimedPolicies);
      return old
        ? { claimed: true, replaced: old, claimedPolicies, ...ledger }
        : { claimed: true, claimedPolicies, ...ledger };
    } catch (error: unknown) {
      if (!isConditionFailed(error)) throw error;
    }
    if (!(await this.get(changeKey(eventId)))) throw new StoreItemNotFoundError(`change ${eventId}`);
    return { claimed: false };
  }

  /**
   * Copies a claimed addition (its `addingModes` and the whole list of claimed policies) onto the quarantine's
   * `QUARANTINED` list item, only over an entry still there: should the addition's job die and the change expire,
   * the Home tab's by-hand lift still names the policy it may have attached. Best effort: the claim stands without it.
   */
  private async listAdding(
    eventId: string,
    addingModes: QuarantineModesAdding,
    claimedPolicies: ClaimedQuarantinePolicy[],
  ): Promise<void> {
    try {
      await this.documentClient.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: QUARANTINED_PARTITION, sk: eventId },
          UpdateExpression: 'SET #quarantine.#addingModes = :adding, #quarantine.#claimed = :claimed',
          ConditionExpression: 'attribute_exists(pk) AND attribute_exists(#quarantine)',
          ExpressionAttributeNames: {
            '#quarantine': 'quarantine',
            '#addingModes': 'addingModes',
            '#claimed': 'claimedPolicies',
          },
          ExpressionAttributeValues: {
            ':adding': plain(addingModes),
            ':claimed': claimedPolicies.map((entry) => plain(entry)),
          },
        }),
      );
    } catch {
      // Only a hint for a change that expires later: the addition is claimed on the change itself.
    }
  }

  /**
   * See {@link QuarantineStore.recordModesAdded}: the record is written only while the addition `id` holds it, no
   * lift is on it and it still names `replacedPolicyArn`; then copied onto the `QUARANTINED` list item (the Home
   * tab shows its modes), only over an entry still there.
   */
  async recordModesAdded(
    eventId: string,
    record: QuarantineRecord,
    id: string,
    replacedPolicyArn: string,
    now: Date,
  ): Promise<boolean> {
    const { addingModes: _held, ...written } = writtenRecord(record);
    let listed: Record<string, unknown> | undefined;
    try {
      const output = await this.documentClient.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: changeKey(eventId),
          UpdateExpression: 'SET #quarantine = :quarantine, updatedAt = :now',
          ConditionExpression:
            'attribute_exists(pk) AND #quarantine.#status = :active AND #quarantine.#addingModes.#id = :id AND attribute_not_exists(#quarantine.#lifting) AND #quarantine.#policy = :replaced',
          ExpressionAttributeNames: {
            '#quarantine': 'quarantine',
            '#status': 'status',
            '#addingModes': 'addingModes',
            '#id': 'id',
            '#lifting': 'lifting',
            '#policy': 'policyArn',
          },
          ExpressionAttributeValues: {
            ':quarantine': plain(written),
            ':now': now.toISOString(),
            ':active': 'active',
            ':id': id,
            ':replaced': replacedPolicyArn,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      listed = output.Attributes;
    } catch (error: unknown) {
      if (!isConditionFailed(error)) throw error;
      if (!(await this.get(changeKey(eventId)))) throw new StoreItemNotFoundError(`change ${eventId}`);
      return false;
    }
    const copy = withLists(written, listed);
    try {
      // Only over the entry that lists it: a lift recorded meanwhile removed it, and it must not come back.
      await this.documentClient.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: QUARANTINED_PARTITION, sk: eventId, eventId, at: written.at, quarantine: plain(copy) },
          ConditionExpression: 'attribute_exists(pk)',
        }),
      );
    } catch {
      // The addition is recorded on the change, which the Home tab reads back: the list entry is only a hint (and
      // the copy kept for a change that expired), so its write failing or finding no entry fails nothing.
    }
    return true;
  }

  /** See {@link QuarantineStore.recordPolicyCreated}. */
  async recordPolicyCreated(
    eventId: string,
    job: QuarantineJob,
    policy: CreatedQuarantinePolicy,
    now: Date,
  ): Promise<boolean> {
    return this.appendUnderClaim(eventId, job, CREATED_POLICIES, plain({ ...policy, job: job.id }), now);
  }

  /** See {@link QuarantineStore.recordKeyTurnedOff}. */
  async recordKeyTurnedOff(eventId: string, job: QuarantineJob, keyId: string, now: Date): Promise<boolean> {
    const entry: TurnedOffKey = { keyId, job: job.id };
    return this.appendUnderClaim(eventId, job, KEYS_TURNED_OFF, plain(entry), now);
  }

  /** See {@link QuarantineStore.recordKeyFoundOn}. */
  async recordKeyFoundOn(eventId: string, job: QuarantineJob, keyId: string, now: Date): Promise<boolean> {
    const entry: TurnedOffKey = { keyId, job: job.id, on: true };
    return this.appendUnderClaim(eventId, job, KEYS_TURNED_OFF, plain(entry), now);
  }

  /**
   * Appends `value` to the list `attribute` beside the quarantine, only while `job` holds its claim: a quarantine
   * claim still `claimed` with its id, or an addition still holding `addingModes` with its id on the active
   * quarantine; either way with no lift on it (a lift of a dead claim works from what was recorded when it began).
   */
  private async appendUnderClaim(
    eventId: string,
    job: QuarantineJob,
    attribute: string,
    value: unknown,
    now: Date,
  ): Promise<boolean> {
    const held =
      job.kind === 'quarantine'
        ? '#quarantine.#status = :claimed AND #quarantine.claimId = :id'
        : '#quarantine.#status = :active AND #quarantine.#addingModes.#id = :id';
    const written = await this.conditionalUpdate({
      TableName: this.tableName,
      Key: changeKey(eventId),
      UpdateExpression: 'SET #list = list_append(if_not_exists(#list, :none), :value), updatedAt = :now',
      ConditionExpression: `attribute_exists(pk) AND ${held} AND attribute_not_exists(#quarantine.#lifting)`,
      ExpressionAttributeNames: {
        '#quarantine': 'quarantine',
        '#status': 'status',
        '#list': attribute,
        '#lifting': 'lifting',
        ...(job.kind === 'quarantine' ? {} : { '#addingModes': 'addingModes', '#id': 'id' }),
      },
      ExpressionAttributeValues: {
        ':none': [],
        ':value': [value],
        ':now': now.toISOString(),
        ':id': job.id,
        ...(job.kind === 'quarantine' ? { ':claimed': 'claimed' } : { ':active': 'active' }),
      },
    });
    if (!written && !(await this.get(changeKey(eventId))))
      throw new StoreItemNotFoundError(`change ${eventId}`);
    return written;
  }

  async releaseModesAdding(eventId: string, id: string): Promise<void> {
    await this.releaseHold(eventId, 'addingModes', id);
  }

  /**
   * The changes whose caller is quarantined now, whatever their age (up to `limit`, most recent first): the
   * `QUARANTINED` list, each read back and kept only while its record still says active. A change whose item
   * expired (its TTL) is listed from the record kept on the list item, marked `expired` (its state unconfirmed): a
   * quarantine whose deny may still be attached is never dropped for its change's age.
   */
  async activeQuarantines(limit: number): Promise<Array<RespondedChange | HomeQuarantine>> {
    const page = await this.documentClient.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': QUARANTINED_PARTITION },
      }),
    );
    const listed = (page.Items ?? [])
      .map((item) => ({
        eventId: String(item.eventId),
        at: String(item.at ?? ''),
        quarantine: item.quarantine as QuarantineRecord | undefined,
      }))
      .sort((left, right) => right.at.localeCompare(left.at))
      .slice(0, limit);
    const found = await Promise.all(
      listed.map(async (entry): Promise<RespondedChange | HomeQuarantine | undefined> => {
        const stored = await this.getChange(entry.eventId);
        if (stored) return stored;
        return entry.quarantine
          ? { change: { eventId: entry.eventId }, quarantine: entry.quarantine, expired: true }
          : undefined;
      }),
    );
    return found.filter(
      (stored): stored is RespondedChange | HomeQuarantine => stored?.quarantine?.status === 'active',
    );
  }

  async markDelivery(
    eventId: string,
    update: { delivery: DeliveryState; slack?: SlackRef; burstId?: string; mutedBy?: string },
    now: Date,
  ): Promise<void> {
    const values: Item = { ':delivery': update.delivery, ':now': now.toISOString() };
    const set = ['delivery = :delivery', 'updatedAt = :now'];
    if (update.slack) {
      set.push('slack = :slack');
      values[':slack'] = plain(update.slack);
    }
    if (update.burstId !== undefined) {
      set.push('burstId = :burstId');
      values[':burstId'] = update.burstId;
    }
    if (update.mutedBy !== undefined) {
      set.push('mutedBy = :mutedBy');
      values[':mutedBy'] = update.mutedBy;
    }
    if (update.delivery === 'pending') {
      // Queued in a burst: another invocation may already have posted its line (`grouped`), which must stay.
      try {
        await this.documentClient.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: changeKey(eventId),
            UpdateExpression: `SET ${set.join(', ')} REMOVE leaseUntil`,
            ConditionExpression: 'attribute_exists(pk) AND NOT (delivery IN (:grouped, :delivered))',
            ExpressionAttributeValues: { ...values, ':grouped': 'grouped', ':delivered': 'delivered' },
          }),
        );
      } catch (error: unknown) {
        if (!isConditionFailed(error)) throw error;
        if (!(await this.get(changeKey(eventId)))) throw new StoreItemNotFoundError(`change ${eventId}`);
      }
      return;
    }
    await this.updateExisting(`change ${eventId}`, {
      Key: changeKey(eventId),
      UpdateExpression: `SET ${set.join(', ')} REMOVE leaseUntil`,
      ExpressionAttributeValues: values,
    });
  }

  async acquireDeliveryLease(eventId: string, now: Date, until: Date): Promise<boolean> {
    try {
      await this.documentClient.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: changeKey(eventId),
          UpdateExpression: 'SET leaseUntil = :until',
          ConditionExpression:
            'attribute_exists(pk) AND delivery IN (:pending, :failed, :imported) AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now)',
          ExpressionAttributeValues: {
            ':until': until.toISOString(),
            ':now': now.toISOString(),
            ':pending': 'pending',
            ':failed': 'failed',
            // Backfilled from the archive before it arrived live: the live delivery still posts it.
            ':imported': 'imported',
          },
        }),
      );
      return true;
    } catch (caught: unknown) {
      if (isConditionFailed(caught)) return false;
      throw caught;
    }
  }

  /**
   * Counts the attempt and keeps the error. The state becomes `failed` only from `pending` or `failed`: a late
   * failure report must not turn a change another invocation delivered back into one to retry (a double post).
   */
  async markFailed(eventId: string, error: string, now: Date): Promise<void> {
    const values = { ':error': error, ':now': now.toISOString(), ':one': 1 };
    try {
      await this.documentClient.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: changeKey(eventId),
          UpdateExpression:
            'SET delivery = :failed, lastError = :error, updatedAt = :now ADD attempts :one REMOVE leaseUntil',
          ConditionExpression: 'attribute_exists(pk) AND delivery IN (:pending, :failed)',
          ExpressionAttributeValues: { ...values, ':pending': 'pending', ':failed': 'failed' },
        }),
      );
      return;
    } catch (caught: unknown) {
      if (!isConditionFailed(caught)) throw caught;
    }
    await this.updateExisting(`change ${eventId}`, {
      Key: changeKey(eventId),
      UpdateExpression: 'SET lastError = :error, updatedAt = :now ADD attempts :one REMOVE leaseUntil',
      ExpressionAttributeValues: values,
    });
  }

  /**
   * The newest change on the resource at or before `before` (same-second changes included: CloudTrail times
   * have second precision) that has a Slack message and was delivered on its own or in a burst.
   */
  async latestChangeOnResource(resource: string, before: string): Promise<StoredChange | undefined> {
    const items = this.query(
      {
        IndexName: INDEX_BY_RESOURCE,
        KeyConditionExpression: 'gsi3pk = :pk AND gsi3sk < :before',
        FilterExpression: 'attribute_exists(slack) AND delivery IN (:delivered, :grouped)',
        ExpressionAttributeValues: {
          ':pk': `RESOURCE#${resource}`,
          ':before': `${sortableTime(before)}~`,
          ':delivered': 'delivered',
          ':grouped': 'grouped',
        },
        ScanIndexForward: false,
        Limit: FILTERED_PAGE_SIZE,
      },
      MAX_FILTERED_PAGES,
    );
    for await (const item of items) return toStoredChange(item);
    return undefined;
  }

  async putDocument(snapshot: DocumentSnapshot, now: Date): Promise<void> {
    await this.documentClient.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: `DOC#${snapshot.resourceKey}`,
          sk: `${sortableTime(snapshot.eventTime)}#${snapshot.eventId}`,
          resourceKey: snapshot.resourceKey,
          eventTime: snapshot.eventTime,
          eventId: snapshot.eventId,
          // Text, not a map: kept exactly as parsed, whatever its nesting or keys. Absent when unknown.
          ...(snapshot.document === undefined
            ? { unknownReason: snapshot.unknownReason ?? 'the document is not known' }
            : { document: snapshot.document === null ? null : JSON.stringify(snapshot.document) }),
          [TTL_ATTRIBUTE]: this.expiresAt(now),
        },
      }),
    );
  }

  /**
   * The latest snapshot before the event in (event time, event id) order: same-second snapshots count as
   * earlier when their event id sorts first, since CloudTrail gives nothing finer to order them by.
   */
  async documentBefore(
    resourceKey: string,
    eventTime: string,
    eventId: string,
  ): Promise<DocumentSnapshot | undefined> {
    const items = this.query(
      {
        KeyConditionExpression: 'pk = :pk AND sk < :before',
        ExpressionAttributeValues: {
          ':pk': `DOC#${resourceKey}`,
          ':before': `${sortableTime(eventTime)}#${eventId}`,
        },
        ScanIndexForward: false,
        ConsistentRead: true,
        Limit: 5,
      },
      MAX_FILTERED_PAGES,
    );
    for await (const item of items) {
      if (item.eventId !== eventId) return toSnapshot(item);
    }
    return undefined;
  }

  async claimAlarm(
    alarm: AlarmEvent,
    claim: AlarmClaim,
    now: Date,
  ): Promise<{ claimed: boolean; record: StoredAlarm }> {
    const what = `alarm ${alarm.name} at ${alarm.stateChangeTime}`;
    const record: StoredAlarm = {
      alarm: plain(alarm),
      calls: [],
      summary: 'claimed',
      claimOwner: claim.owner,
      claimUntil: claim.until.toISOString(),
    };
    if (await this.putIfAbsent({ ...alarmKey(alarm), ...record, [TTL_ATTRIBUTE]: this.expiresAt(now) })) {
      return { claimed: true, record };
    }
    try {
      const output = await this.documentClient.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: alarmKey(alarm),
          UpdateExpression: 'SET #summary = :claimed, #owner = :owner, #until = :until, updatedAt = :now',
          // Not posted (items from before claims only have `slack`), and the claim free, expired or the caller's.
          ConditionExpression:
            'attribute_exists(pk) AND attribute_not_exists(slack) AND (attribute_not_exists(#summary) OR #summary <> :posted) AND (attribute_not_exists(#until) OR #until < :now OR #owner = :owner)',
          ExpressionAttributeNames: { '#summary': 'summary', '#owner': 'claimOwner', '#until': 'claimUntil' },
          ExpressionAttributeValues: {
            ':claimed': 'claimed',
            ':posted': 'posted',
            ':owner': claim.owner,
            ':until': claim.until.toISOString(),
            ':now': now.toISOString(),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      if (!output.Attributes) throw new StoreItemNotFoundError(what);
      return { claimed: true, record: toStoredAlarm(output.Attributes) };
    } catch (error: unknown) {
      if (!isConditionFailed(error)) throw error;
    }
    const existing = await this.get(alarmKey(alarm));
    // Only possible if TTL removed it between the two calls; the caller's retry will claim it.
    if (!existing) throw new StoreItemNotFoundError(what);
    return { claimed: false, record: toStoredAlarm(existing) };
  }

  async releaseAlarm(alarm: AlarmEvent, owner: string): Promise<void> {
    try {
      await this.documentClient.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: alarmKey(alarm),
          UpdateExpression: 'REMOVE #owner, #until',
          ConditionExpression: 'attribute_exists(pk) AND #summary = :claimed AND #owner = :owner',
          ExpressionAttributeNames: { '#summary': 'summary', '#owner': 'claimOwner', '#until': 'claimUntil' },
          ExpressionAttributeValues: { ':claimed': 'claimed', ':owner': owner },
        }),
      );
    } catch (error: unknown) {
      // Posted meanwhile, or taken over: nothing of the caller's is left to give up.
      if (!isConditionFailed(error)) throw error;
    }
  }

  /** Sets the fields given (an `undefined` field is left as it is). */
  async updateAlarm(
    alarm: AlarmEvent,
    update: Partial<Omit<StoredAlarm, 'alarm'>>,
    now: Date,
  ): Promise<void> {
    const names: Record<string, string> = {};
    const values: Item = { ':now': now.toISOString() };
    const set = ['updatedAt = :now'];
    for (const field of ['slack', 'calls', 'source', 'resolvedAt', 'resolvedState', 'summary'] as const) {
      const value = update[field];
      if (value === undefined) continue;
      // Names go through placeholders: `source` and others are DynamoDB reserved words.
      names[`#${field}`] = field;
      set.push(`#${field} = :${field}`);
      values[`:${field}`] = plain(value);
    }
    await this.updateExisting(`alarm ${alarm.name} at ${alarm.stateChangeTime}`, {
      Key: alarmKey(alarm),
      UpdateExpression: `SET ${set.join(', ')}`,
      ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
      ExpressionAttributeValues: values,
    });
  }

  async recordLaterCalls(alarm: AlarmEvent, eventIds: readonly string[], now: Date): Promise<number> {
    let added = 0;
    for (const eventId of new Set(eventIds)) {
      const item: Item = {
        ...laterCallKey(alarm, eventId),
        alarmName: alarm.name,
        openedAt: alarm.stateChangeTime,
        [TTL_ATTRIBUTE]: this.expiresAt(now),
      };
      if (await this.putIfAbsent(item)) added += 1;
    }
    return added;
  }

  async countLaterCalls(alarm: AlarmEvent): Promise<number> {
    const { pk } = laterCallKey(alarm, '');
    let count = 0;
    let startKey: Item | undefined;
    do {
      const output = await this.documentClient.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': pk },
          Select: 'COUNT',
          ConsistentRead: true,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      count += output.Count ?? 0;
      startKey = output.LastEvaluatedKey;
    } while (startKey);
    return count;
  }

  async raiseAlarmCount(
    alarm: AlarmEvent,
    field: 'laterCalls' | 'shownLaterCalls',
    count: number,
    now: Date,
  ): Promise<boolean> {
    try {
      await this.documentClient.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: alarmKey(alarm),
          UpdateExpression: 'SET #field = :count, updatedAt = :now',
          ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(#field) OR #field < :count)',
          ExpressionAttributeNames: { '#field': field },
          ExpressionAttributeValues: { ':count': count, ':now': now.toISOString() },
        }),
      );
      return true;
    } catch (error: unknown) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  async latestAlarmOccurrence(name: string, before: string): Promise<StoredAlarm | undefined> {
    const items = this.query(
      {
        KeyConditionExpression: 'pk = :pk AND sk < :before',
        FilterExpression: '#alarm.#state = :alarm',
        ExpressionAttributeNames: { '#alarm': 'alarm', '#state': 'state' },
        ExpressionAttributeValues: {
          ':pk': `ALARM#${name}`,
          ':before': sortableTime(before),
          ':alarm': 'ALARM',
        },
        ScanIndexForward: false,
        ConsistentRead: true,
        Limit: FILTERED_PAGE_SIZE,
      },
      MAX_FILTERED_PAGES,
    );
    for await (const item of items) return toStoredAlarm(item);
    return undefined;
  }

  async getBurst(key: string): Promise<Burst | undefined> {
    const item = await this.get(burstKey(key));
    return item && toBurst(item);
  }

  /** With `expectedBurstId`, also starts one when the expected burst has meanwhile expired from the table. */
  async startBurst(burst: Burst, expectedBurstId: string | undefined, now: Date): Promise<boolean> {
    const { accountIds, ...rest } = burst;
    const item: Item = {
      ...burstKey(burst.key),
      ...plain(rest),
      ...(accountIds && accountIds.length > 0 ? { accountIds: new Set(accountIds) } : {}),
      lastEventKey: sortableTime(burst.lastEventTime),
      [TTL_ATTRIBUTE]: this.expiresAt(now),
    };
    // The parent is a member first: a burst that is not started leaves a member nobody reads.
    await this.putBurstMember(burst.burstId, burst.parentEventId, now);
    const condition =
      expectedBurstId === undefined
        ? { ConditionExpression: 'attribute_not_exists(pk)' }
        : {
            ConditionExpression: 'attribute_not_exists(pk) OR burstId = :expected',
            ExpressionAttributeValues: { ':expected': expectedBurstId },
          };
    try {
      await this.documentClient.send(new PutCommand({ TableName: this.tableName, Item: item, ...condition }));
      return true;
    } catch (error: unknown) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  /**
   * Queues the item, then counts it and moves `lastEventTime` forward (never back). The burst remembers the
   * event ids it counted, so a retried call counts a change once. Throws {@link StoreItemNotFoundError} when
   * the key no longer holds the item's burst.
   */
  async addToBurst(key: string, item: BurstItem, now: Date): Promise<Burst> {
    await this.documentClient.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...burstItemKey(item.burstId, item),
          burstId: item.burstId,
          eventId: item.eventId,
          eventTime: item.eventTime,
          [TTL_ATTRIBUTE]: this.expiresAt(now),
        },
      }),
    );
    await this.putBurstMember(item.burstId, item.eventId, now);
    const values: Item = {
      ':burstId': item.burstId,
      ':eventId': item.eventId,
      ':eventIds': new Set([item.eventId]),
      ':one': 1,
      ':now': now.toISOString(),
      ...(item.accountId ? { ':accountIds': new Set([item.accountId]) } : {}),
    };
    const accounts = item.accountId ? ', accountIds :accountIds' : '';
    const counted = 'burstId = :burstId AND NOT contains(eventIds, :eventId)';
    const attempts: Array<Omit<UpdateCommandInput, 'TableName' | 'Key' | 'ReturnValues'>> = [
      {
        UpdateExpression: `SET lastEventTime = :eventTime, lastEventKey = :eventKey, updatedAt = :now ADD #count :one, eventIds :eventIds${accounts}`,
        ConditionExpression: `${counted} AND lastEventKey < :eventKey`,
        ExpressionAttributeNames: { '#count': 'count' },
        ExpressionAttributeValues: {
          ...values,
          ':eventTime': item.eventTime,
          ':eventKey': sortableTime(item.eventTime),
        },
      },
      {
        UpdateExpression: `SET updatedAt = :now ADD #count :one, eventIds :eventIds${accounts}`,
        ConditionExpression: counted,
        ExpressionAttributeNames: { '#count': 'count' },
        ExpressionAttributeValues: values,
      },
    ];
    for (const attempt of attempts) {
      try {
        const output = await this.documentClient.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: burstKey(key),
            ReturnValues: 'ALL_NEW',
            ...attempt,
          }),
        );
        return toBurst(output.Attributes ?? {});
      } catch (error: unknown) {
        if (!isConditionFailed(error)) throw error;
      }
    }
    const burst = await this.getBurst(key);
    if (!burst || burst.burstId !== item.burstId)
      throw new StoreItemNotFoundError(`burst ${item.burstId} (${key})`);
    return burst;
  }

  async setBurstParent(key: string, parent: SlackRef, now: Date): Promise<void> {
    await this.updateExisting(`burst ${key}`, {
      Key: burstKey(key),
      UpdateExpression: 'SET parent = :parent, updatedAt = :now',
      ExpressionAttributeValues: { ':parent': plain(parent), ':now': now.toISOString() },
    });
  }

  async acquireBurstLease(key: string, now: Date, until: Date): Promise<boolean> {
    try {
      await this.documentClient.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: burstKey(key),
          UpdateExpression: 'SET leaseUntil = :until',
          // Both sides are Date#toISOString text, which sorts as time does.
          ConditionExpression:
            'attribute_exists(pk) AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now)',
          ExpressionAttributeValues: { ':until': until.toISOString(), ':now': now.toISOString() },
        }),
      );
      return true;
    } catch (error: unknown) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  /** Frees the lease and records what the parent message now shows; nothing to do when the burst is gone. */
  async releaseBurstLease(key: string, shown?: { count: number; at: string }): Promise<void> {
    try {
      await this.documentClient.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: burstKey(key),
          ConditionExpression: 'attribute_exists(pk)',
          ...(shown
            ? {
                UpdateExpression: 'REMOVE leaseUntil SET shownCount = :count, shownAt = :at',
                ExpressionAttributeValues: { ':count': shown.count, ':at': shown.at },
              }
            : { UpdateExpression: 'REMOVE leaseUntil' }),
        }),
      );
    } catch (error: unknown) {
      if (!isConditionFailed(error)) throw error;
    }
  }

  /** The oldest queued items first (by event time, then event id). */
  async pendingBurstItems(burstId: string, limit: number): Promise<BurstItem[]> {
    if (limit <= 0) return [];
    const output = await this.documentClient.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `BURSTITEM#${burstId}` },
        ScanIndexForward: true,
        ConsistentRead: true,
        Limit: limit,
      }),
    );
    return (output.Items ?? []).map(toBurstItem);
  }

  /**
   * Replaces a stored change's judgement with the one its escalation check settled (its `risk` and `escalation`);
   * the rest of the item — delivery, responses — is left as it is. Throws {@link StoreItemNotFoundError} when the
   * change is not stored.
   */
  async recordEscalation(eventId: string, change: AssessedChange, _now: Date): Promise<RespondedChange> {
    // The worker's part of the judgement: the level and reasons, the escalation check, the validation tried again,
    // the attached policy's document found since, and where the job stands (removed once the worker has run it).
    const set = ['#change.#risk = :risk', '#change.#escalation = :escalation'];
    const values: Record<string, unknown> = {
      ':risk': plain(change.risk),
      ':escalation': plain(change.escalation ?? null),
    };
    if (change.validation) {
      set.push('#change.#validation = :validation');
      values[':validation'] = plain(change.validation);
    }
    if (change.managedPolicy) {
      set.push('#change.#managedPolicy = :managedPolicy');
      values[':managedPolicy'] = plain(change.managedPolicy);
    }
    if (change.followUp) {
      set.push('#change.#followUp = :followUp');
      values[':followUp'] = plain(change.followUp);
    }
    await this.updateExisting(`change ${eventId}`, {
      Key: changeKey(eventId),
      UpdateExpression: `SET ${set.join(', ')}${change.followUp ? '' : ' REMOVE #change.#followUp'}`,
      ExpressionAttributeNames: {
        '#change': 'change',
        '#risk': 'risk',
        '#escalation': 'escalation',
        '#followUp': 'followUp',
        ...(change.validation ? { '#validation': 'validation' } : {}),
        ...(change.managedPolicy ? { '#managedPolicy': 'managedPolicy' } : {}),
      },
      ExpressionAttributeValues: values,
    });
    return this.readBack(eventId);
  }

  /**
   * The change as it is right after a write of this store's (a consistent read): what its message is redrawn from.
   * Not `ReturnValues: ALL_NEW` on the write: the functions' roles allow their updates only with `NONE` or
   * `UPDATED_*` (see `serverless.yml`), so a write can never return attributes its role may not name.
   */
  private async readBack(eventId: string): Promise<RespondedChange> {
    const item = await this.get(changeKey(eventId));
    if (!item) throw new StoreItemNotFoundError(`change ${eventId}`);
    return toStoredChange(item);
  }

  /**
   * {@link RaisedPostClaims}: one map on the change item, `raisedPost`, holding per level the claim's holder and
   * lease and, once posted, where. A level's entry is taken when absent, when it is the holder's own (its retry), or
   * when its lease ran out with nothing posted. The map is made first when missing (DynamoDB sets no path under a
   * missing map): two writes, the second conditional. A refused claim is read back (consistently) to tell a posted
   * alert from one another job still holds.
   */
  async claimRaisedPost(
    eventId: string,
    level: RiskLevel,
    holder: string,
    now: Date,
    until: Date,
  ): Promise<RaisedPostClaim> {
    try {
      await this.documentClient.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: changeKey(eventId),
          UpdateExpression: 'SET raisedPost = if_not_exists(raisedPost, :empty)',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':empty': {} },
        }),
      );
    } catch (error: unknown) {
      if (isConditionFailed(error)) throw new StoreItemNotFoundError(`change ${eventId}`, { cause: error });
      throw error;
    }
    const claimed = await this.conditionalUpdate({
      TableName: this.tableName,
      Key: changeKey(eventId),
      UpdateExpression: 'SET raisedPost.#level = :claim',
      ConditionExpression:
        'attribute_not_exists(raisedPost.#level) OR (attribute_not_exists(raisedPost.#level.posted) AND (raisedPost.#level.#holder = :holder OR raisedPost.#level.#until < :now))',
      ExpressionAttributeNames: { '#level': level, '#until': 'until', '#holder': 'holder' },
      ExpressionAttributeValues: {
        ':claim': { holder, until: until.toISOString() },
        ':holder': holder,
        ':now': now.toISOString(),
      },
    });
    if (claimed) return 'claimed';
    const entry = ((await this.get(changeKey(eventId)))?.raisedPost as Item | undefined)?.[level] as
      | Item
      | undefined;
    // Given back between the write and this read: still another job's doing, so this one comes again.
    return entry?.posted !== undefined ? 'posted' : 'held';
  }

  async recordRaisedPost(
    eventId: string,
    level: RiskLevel,
    holder: string,
    ref: SlackRef,
    now: Date,
  ): Promise<boolean> {
    return this.conditionalUpdate({
      TableName: this.tableName,
      Key: changeKey(eventId),
      UpdateExpression: 'SET raisedPost.#level.posted = :posted',
      ConditionExpression:
        'raisedPost.#level.#holder = :holder AND attribute_not_exists(raisedPost.#level.posted)',
      ExpressionAttributeNames: { '#level': level, '#holder': 'holder' },
      ExpressionAttributeValues: { ':posted': plain({ ...ref, at: now.toISOString() }), ':holder': holder },
    });
  }

  async releaseRaisedPost(eventId: string, level: RiskLevel, holder: string): Promise<void> {
    await this.conditionalUpdate({
      TableName: this.tableName,
      Key: changeKey(eventId),
      UpdateExpression: 'REMOVE raisedPost.#level',
      ConditionExpression:
        'raisedPost.#level.#holder = :holder AND attribute_not_exists(raisedPost.#level.posted)',
      ExpressionAttributeNames: { '#level': level, '#holder': 'holder' },
      ExpressionAttributeValues: { ':holder': holder },
    });
  }

  async recordFleetActed(parentEventId: string, acted: FleetActed): Promise<void> {
    await this.updateExisting(`change ${parentEventId}`, {
      Key: changeKey(parentEventId),
      UpdateExpression: 'SET burstNote.fleetActed = :acted, updatedAt = :now',
      ExpressionAttributeValues: { ':acted': plain(acted), ':now': new Date().toISOString() },
    });
  }

  async recordBurstNote(parentEventId: string, note: BurstNote): Promise<void> {
    try {
      await this.documentClient.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: changeKey(parentEventId),
          UpdateExpression: 'SET burstNote = :note',
          // Two notify invocations may refresh the same parent: the higher count wins.
          ConditionExpression:
            'attribute_exists(pk) AND (attribute_not_exists(burstNote) OR burstNote.more < :more)',
          ExpressionAttributeValues: { ':note': plain(note), ':more': note.more },
        }),
      );
    } catch (caught: unknown) {
      if (!isConditionFailed(caught)) throw caught;
    }
  }

  /** In event id order; reads every page up to `limit`. */
  async burstMembers(burstId: string, limit: number): Promise<string[]> {
    const found: string[] = [];
    if (limit <= 0) return found;
    const items = this.query(
      {
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `BURSTMEMBER#${burstId}` },
        ConsistentRead: true,
      },
      MAX_LISTING_PAGES,
    );
    for await (const item of items) {
      found.push(String(item.sk));
      if (found.length >= limit) break;
    }
    return found;
  }

  private async putBurstMember(burstId: string, eventId: string, now: Date): Promise<void> {
    await this.documentClient.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...burstMemberKey(burstId, eventId), burstId, eventId, [TTL_ATTRIBUTE]: this.expiresAt(now) },
      }),
    );
  }

  async removeBurstItems(burstId: string, items: BurstItem[]): Promise<void> {
    const keys = new Map<string, Item>();
    for (const item of items) {
      const key = burstItemKey(burstId, item);
      // BatchWriteItem rejects a request that names one key twice.
      keys.set(String(key.sk), key);
    }
    const all = [...keys.values()];
    for (let start = 0; start < all.length; start += BATCH_WRITE_SIZE) {
      await this.deleteBatch(all.slice(start, start + BATCH_WRITE_SIZE));
    }
  }

  async changesBetween(start: string, end: string, limit: number): Promise<RespondedChange[]> {
    const from = sortableTime(start);
    const to = sortableTime(end);
    const found: RespondedChange[] = [];
    if (limit <= 0 || from >= to) return found;
    // Items older than the retention are gone, so older days are not worth a request each.
    const maxDays = Math.ceil(this.retentionSeconds / DAY_SECONDS) + 2;
    for (const day of daysDescending(from, to, maxDays)) {
      found.push(
        ...(await this.listIndex(INDEX_BY_TIME, 'gsi1', `DAY#${day}`, from, to, limit - found.length)),
      );
      if (found.length >= limit) break;
    }
    return found;
  }

  async changesByActor(actor: string, start: string, end: string, limit: number): Promise<RespondedChange[]> {
    return this.listIndex(
      INDEX_BY_ACTOR,
      'gsi2',
      `ACTOR#${actor}`,
      sortableTime(start),
      sortableTime(end),
      limit,
    );
  }

  async changesOnResource(
    resource: string,
    start: string,
    end: string,
    limit: number,
  ): Promise<RespondedChange[]> {
    return this.listIndex(
      INDEX_BY_RESOURCE,
      'gsi3',
      `RESOURCE#${resource}`,
      sortableTime(start),
      sortableTime(end),
      limit,
    );
  }

  async changesInAccount(
    accountId: string,
    start: string,
    end: string,
    limit: number,
  ): Promise<RespondedChange[]> {
    return this.listIndex(
      INDEX_BY_ACCOUNT,
      'gsi4',
      `ACCOUNT#${accountId}`,
      sortableTime(start),
      sortableTime(end),
      limit,
    );
  }

  private expiresAt(now: Date): number {
    return Math.floor(now.getTime() / 1000) + this.retentionSeconds;
  }

  private async get(key: Item): Promise<Item | undefined> {
    const output = await this.documentClient.send(
      new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
    );
    return output.Item;
  }

  /** Writes the item unless its key is taken; false when it was. */
  private async putIfAbsent(item: Item): Promise<boolean> {
    try {
      await this.documentClient.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error: unknown) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  /** An update that must not create the item: a missing one is {@link StoreItemNotFoundError}. */
  private async updateExisting(
    what: string,
    input: Pick<
      UpdateCommandInput,
      'Key' | 'UpdateExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
    >,
  ): Promise<void> {
    try {
      await this.documentClient.send(
        new UpdateCommand({
          ...input,
          TableName: this.tableName,
          ConditionExpression: 'attribute_exists(pk)',
        }),
      );
    } catch (error: unknown) {
      if (isConditionFailed(error)) throw new StoreItemNotFoundError(what, { cause: error });
      throw error;
    }
  }

  /** Items of a query, page after page, for at most `maxPages` pages. */
  private async *query(
    input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>,
    maxPages: number,
  ): AsyncGenerator<Item> {
    let startKey: Item | undefined;
    for (let page = 0; page < maxPages; page += 1) {
      const output = await this.documentClient.send(
        new QueryCommand({
          ...input,
          TableName: this.tableName,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      yield* output.Items ?? [];
      startKey = output.LastEvaluatedKey;
      if (!startKey) return;
    }
  }

  /** Up to `limit` changes of one index partition with sort keys in `[from, to)`, newest first. */
  private async listIndex(
    indexName: string,
    prefix: 'gsi1' | 'gsi2' | 'gsi3' | 'gsi4',
    partition: string,
    from: string,
    to: string,
    limit: number,
  ): Promise<RespondedChange[]> {
    const found: RespondedChange[] = [];
    if (limit <= 0 || from >= to) return found;
    const items = this.query(
      {
        IndexName: indexName,
        // `<time>#<eventId>` sorts after `<time>`: BETWEEN from AND to keeps from ≤ time < to.
        KeyConditionExpression: `${prefix}pk = :pk AND ${prefix}sk BETWEEN :from AND :to`,
        ExpressionAttributeValues: { ':pk': partition, ':from': from, ':to': to },
        ScanIndexForward: false,
        Limit: limit,
      },
      MAX_LISTING_PAGES,
    );
    for await (const item of items) {
      found.push(toStoredChange(item));
      if (found.length >= limit) break;
    }
    return found;
  }

  private async deleteBatch(keys: Item[]): Promise<void> {
    let requests: BatchWriteCommandInput['RequestItems'] = {
      [this.tableName]: keys.map((key) => ({ DeleteRequest: { Key: key } })),
    };
    for (let attempt = 0; attempt < BATCH_WRITE_ATTEMPTS; attempt += 1) {
      if (attempt > 0) await sleep(BATCH_WRITE_BACKOFF_MS * 2 ** (attempt - 1));
      const output: BatchWriteCommandOutput = await this.documentClient.send(
        new BatchWriteCommand({ RequestItems: requests }),
      );
      const unprocessed = output.UnprocessedItems?.[this.tableName] ?? [];
      if (unprocessed.length === 0) return;
      requests = { [this.tableName]: unprocessed };
    }
    throw new BatchWriteIncompleteError(requests[this.tableName]?.length ?? 0);
  }
}
