/**
 * The before-state resolver: what was there before a change — the previous document, the previous default
 * version — looked up in the order DESIGN §3 gives, first answer wins:
 *
 * 1. the store: the last document the bot itself saw for that resource (`documentBefore` on
 *    `documentKeyOf(change)`);
 * 2. CloudTrail history of the resource (`LookupEvents` by `ResourceName`, the 90 days before the change): the
 *    newest earlier write to the same document;
 * 3. IAM, where it still has it (managed policy versions; for attach/detach, the policy's default document).
 *
 * A look-up that fails degrades to the next source and finally to "unknown", never to a crash or a guess: what
 * each source said is kept in `source.detail`, so the modal and the CLI can say why it is unknown.
 */

import { normaliseRecord } from '../domain/change';
import { becameDefault } from '../domain/drift';
import { type CloudTrailRecord, InputError } from '../domain/input';
import { documentAfter, documentKeyOf } from '../domain/resources';
import type { BeforeState } from '../domain/revert';
import type { Change, PolicyDocument } from '../domain/types';
import type { IamGateway } from './iam-port';
import type { ChangeStore, Clock, TrailHistory } from './ports';

/** Where a before-state came from. `record` means the change itself settles it (a CreatePolicy had nothing). */
export type BeforeStateSourceKind = 'store' | 'cloudtrail' | 'iam' | 'record' | 'unknown';

/** Where the before-state came from, to show next to the revert plan. */
export interface BeforeStateSource {
  kind: BeforeStateSourceKind;
  /** The earlier change that wrote the document (store, CloudTrail). */
  eventId?: string;
  eventTime?: string;
  /** The managed policy version it was read from or points at (IAM, CloudTrail). */
  versionId?: string;
  /** In words: what was found, or what each source said when nothing was. */
  detail?: string;
}

/** A resolved before-state and its source. */
export interface ResolvedBeforeState {
  state: BeforeState;
  source: BeforeStateSource;
  /** For attach and detach: the managed policy's current default document, for the diff. */
  policyDocument?: PolicyDocument;
}

/** What the resolver reads. */
export interface BeforeStateDependencies {
  store: Pick<ChangeStore, 'documentBefore'>;
  trail: Pick<TrailHistory, 'resourceEvents'>;
  iam: Pick<IamGateway, 'getManagedPolicy' | 'getPolicyVersion' | 'listPolicyVersions'>;
  clock: Clock;
  /** Days of CloudTrail history before the change to read (90, all `LookupEvents` keeps, unless set). */
  historyDays?: number;
}

/** `LookupEvents` keeps 90 days. */
const HISTORY_DAYS = 90;
const DAY_MS = 86_400_000;

const ENTITY_POLICY = /^(Put|Delete)(Role|User|Group)Policy$/;
const ATTACH_DETACH = /^(Attach|Detach)(Role|User|Group)Policy$/;

/** A normalised CloudTrail history of one resource around a change. */
interface History {
  /** Successful writes strictly before the change, newest first. */
  before: Change[];
  /** Successful writes in the same second as the change (CloudTrail can't order them against it). */
  tied: Change[];
  /** Successful writes after it. */
  after: Change[];
}

/** What one source found: a before-state, or why not (kept for the "unknown" explanation). */
type Found = { state: BeforeState; source: BeforeStateSource } | { missing: string };

function message(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}

function versionNumber(versionId: string | undefined): number {
  const match = /^v(\d+)/.exec(versionId ?? '');
  return match ? Number(match[1]) : Number.NaN;
}

/** The resource name CloudTrail `LookupEvents` finds a change's history by: the entity name or the policy ARN. */
function resourceNameOf(change: Change): string | undefined {
  if (change.target.kind === 'policy') return change.target.policyArn;
  return change.target.name || undefined;
}

function sourceOf(
  kind: BeforeStateSourceKind,
  change: Change | undefined,
  detail: string,
): BeforeStateSource {
  const source: BeforeStateSource = { kind, detail };
  if (change) {
    source.eventId = change.eventId;
    source.eventTime = change.eventTime;
  }
  return source;
}

/**
 * The one before-state resolver. Every look-up is bounded (the CloudTrail history is read at most once per
 * call, through the shared, paced `TrailHistory`) and every failure is caught and said in words.
 */
export class BeforeStateResolver {
  constructor(private readonly deps: BeforeStateDependencies) {}

  /**
   * The state before `change` that its revert (and its diff) needs, and where it came from. With `trusted`, only
   * from what the bot's store cannot be made to say: CloudTrail's own history and IAM — what a revert that grants
   * access back is planned from, since a document in the store is only as honest as whoever could write it.
   */
  async resolveBeforeState(
    change: Change,
    options: { trusted?: boolean } = {},
  ): Promise<ResolvedBeforeState> {
    if (change.outcome !== 'success') {
      return {
        state: {},
        source: { kind: 'record', detail: 'the call failed: nothing changed before or after' },
      };
    }
    const history = this.historyLoader(change);
    const event = change.eventName;
    if (ATTACH_DETACH.test(event)) return this.attachedPolicy(change);
    if (ENTITY_POLICY.test(event) || event === 'UpdateAssumeRolePolicy' || event === 'DeletePolicy') {
      return this.firstFound([
        async () =>
          options.trusted
            ? { missing: "the bot's own record is not trusted for a revert that grants access" }
            : this.fromStore(change),
        () => this.documentFromTrail(change, history),
        async () => ({ missing: this.iamHasNoDocument(change) }),
      ]);
    }
    switch (event) {
      case 'CreatePolicy':
        return {
          state: { previousDocument: null },
          source: {
            kind: 'record',
            detail: 'the policy was created by the call: there was nothing before it',
          },
        };
      case 'DeletePolicyVersion':
        return this.firstFound([
          async () => ({ missing: 'the store: keeps default documents, not the documents of each version' }),
          () => this.versionDocumentFromTrail(change, history),
          async () => ({ missing: `IAM: version ${change.target.versionId ?? ''} is deleted` }),
        ]);
      case 'CreatePolicyVersion':
        if (!becameDefault(change)) {
          return {
            state: {},
            source: {
              kind: 'record',
              detail: 'the new version did not become the default: deleting it is the whole revert',
            },
          };
        }
        return this.withPreviousDefaultDocument(change, await this.previousDefault(change, history));
      case 'SetDefaultPolicyVersion':
        return this.withPreviousDefaultDocument(change, await this.previousDefault(change, history));
      default:
        return {
          state: {},
          source: { kind: 'unknown', detail: `${event} has no before-state the bot looks up` },
        };
    }
  }

  /** Tries each source in order; the first that finds a before-state wins, the others' reasons are kept. */
  private async firstFound(sources: Array<() => Promise<Found>>): Promise<ResolvedBeforeState> {
    const reasons: string[] = [];
    for (const source of sources) {
      let found: Found;
      try {
        found = await source();
      } catch (error: unknown) {
        found = { missing: `look-up failed: ${message(error)}` };
      }
      if ('state' in found) return found;
      reasons.push(found.missing);
    }
    return { state: {}, source: { kind: 'unknown', detail: reasons.join('; ') } };
  }

  /** The CloudTrail history of the change's resource, read once (on first use) and shared by every source. */
  private historyLoader(change: Change): () => Promise<History> {
    let loading: Promise<History> | undefined;
    return () => {
      loading ??= this.readHistory(change);
      return loading;
    };
  }

  private async readHistory(change: Change): Promise<History> {
    const name = resourceNameOf(change);
    if (!name) throw new Error('the record names no resource to look up');
    const at = Date.parse(change.eventTime);
    const start = new Date(at - (this.deps.historyDays ?? HISTORY_DAYS) * DAY_MS);
    // Up to now, not just the change: later deletions of versions matter to the IAM inference below.
    const end = new Date(Math.max(this.deps.clock.now().getTime(), at + 1000));
    const records = await this.deps.trail.resourceEvents(name, start, end);
    const history: History = { before: [], tied: [], after: [] };
    for (const record of records) {
      const other = normalise(record);
      if (other?.outcome !== 'success' || other.eventId === change.eventId) continue;
      const time = Date.parse(other.eventTime);
      if (time < at) history.before.push(other);
      else if (time === at) history.tied.push(other);
      else history.after.push(other);
    }
    const newestFirst = (a: Change, b: Change) => Date.parse(b.eventTime) - Date.parse(a.eventTime);
    history.before.sort(newestFirst);
    return history;
  }

  private async fromStore(change: Change): Promise<Found> {
    const key = documentKeyOf(change);
    if (!key) return { missing: 'the store: no document key for this change' };
    const snapshot = await this.deps.store.documentBefore(key, change.eventTime, change.eventId);
    if (!snapshot) return { missing: `the store: no document of ${key} recorded before the change` };
    if (snapshot.document === undefined) {
      return {
        missing: `the store: ${key} changed at ${snapshot.eventTime} to a document it never saw (${snapshot.unknownReason ?? 'unknown'})`,
      };
    }
    return {
      state: { previousDocument: snapshot.document },
      source: {
        kind: 'store',
        eventId: snapshot.eventId,
        eventTime: snapshot.eventTime,
        detail: `the document the bot recorded for ${key} at ${snapshot.eventTime}`,
      },
    };
  }

  /** The newest earlier write to the change's document in its CloudTrail history. */
  private async documentFromTrail(change: Change, history: () => Promise<History>): Promise<Found> {
    const key = documentKeyOf(change);
    if (!key) return { missing: 'CloudTrail: no document key for this change' };
    const events = await history();
    if (change.eventName === 'DeletePolicy') return this.defaultDocumentFromTrail(change, events);
    const writes = (other: Change) => documentKeyOf(other) === key || resetsEntity(change, other);
    if (events.tied.some(writes)) {
      return {
        missing: `CloudTrail: another write to ${key} in the same second can't be ordered against it`,
      };
    }
    const previous = events.before.find(writes);
    if (!previous)
      return { missing: `CloudTrail: no earlier write to ${key} in the ${this.days()} days before` };
    if (documentKeyOf(previous) !== key) {
      return {
        state: { previousDocument: null },
        source: sourceOf(
          'cloudtrail',
          previous,
          `${previous.eventName} of ${previous.target.kind} ${previous.target.name}: no ${key} existed after it`,
        ),
      };
    }
    const document = documentAfter(previous);
    if (document === undefined) {
      return { missing: `CloudTrail: the document of the earlier ${previous.eventName} could not be read` };
    }
    return {
      state: { previousDocument: document },
      source: sourceOf(
        'cloudtrail',
        previous,
        `the document ${previous.eventName} wrote at ${previous.eventTime}`,
      ),
    };
  }

  /** The default document of a managed policy just before it was deleted, from its CloudTrail history. */
  private defaultDocumentFromTrail(change: Change, events: History): Found {
    const arn = change.target.policyArn;
    if (events.tied.some((other) => other.target.policyArn === arn)) {
      return {
        missing: `CloudTrail: another write to ${arn} in the same second can't be ordered against it`,
      };
    }
    const found = walkDefault(events.before, arn);
    if (!found.document || !found.event) {
      return {
        missing: found.versionId
          ? `CloudTrail: the default was ${found.versionId}, but its document is not in the ${this.days()} days before`
          : `CloudTrail: no earlier default document of ${arn} in the ${this.days()} days before`,
      };
    }
    const source = sourceOf(
      'cloudtrail',
      found.event,
      `the document of default version ${found.versionId}, written by ${found.event.eventName} at ${found.event.eventTime}`,
    );
    if (found.versionId) source.versionId = found.versionId;
    return { state: { previousDocument: found.document }, source };
  }

  /** The document of a deleted version: from the CloudTrail record that created it. */
  private async versionDocumentFromTrail(change: Change, history: () => Promise<History>): Promise<Found> {
    const arn = change.target.policyArn;
    const versionId = change.target.versionId;
    if (!versionId) return { missing: 'CloudTrail: the record does not say which version was deleted' };
    const events = await history();
    for (const other of events.before) {
      if (other.target.policyArn !== arn) continue;
      const created =
        (other.eventName === 'CreatePolicyVersion' && other.target.versionId === versionId) ||
        (other.eventName === 'CreatePolicy' && versionId === 'v1');
      if (created) {
        const document = other.documents.find((entry) => entry.role === 'permissions')?.document;
        if (!document) return { missing: `CloudTrail: the document of ${versionId} could not be read` };
        const source = sourceOf('cloudtrail', other, `${versionId} as ${other.eventName} created it`);
        source.versionId = versionId;
        return { state: { previousDocument: document }, source };
      }
      // Version ids start again at v1 when a policy of the same ARN is re-created.
      if (other.eventName === 'CreatePolicy' || other.eventName === 'DeletePolicy') break;
    }
    return { missing: `CloudTrail: the creation of ${versionId} is not in the ${this.days()} days before` };
  }

  /** The default version before a CreatePolicyVersion (that became default) or a SetDefaultPolicyVersion. */
  private previousDefault(change: Change, history: () => Promise<History>): Promise<ResolvedBeforeState> {
    return this.firstFound([
      async () => ({ missing: 'the store: keeps documents, not version ids' }),
      async () => {
        const events = await history();
        const arn = change.target.policyArn;
        if (events.tied.some((other) => other.target.policyArn === arn)) {
          return {
            missing: `CloudTrail: another write to ${arn} in the same second can't be ordered against it`,
          };
        }
        const found = walkDefault(events.before, arn);
        if (!found.versionId || !found.event) {
          return {
            missing: `CloudTrail: no earlier default version of ${arn} in the ${this.days()} days before`,
          };
        }
        const source = sourceOf(
          'cloudtrail',
          found.event,
          `${found.event.eventName} at ${found.event.eventTime} made ${found.versionId} the default`,
        );
        source.versionId = found.versionId;
        return { state: { previousDefaultVersionId: found.versionId }, source };
      },
      () => this.previousDefaultFromIam(change, history),
    ]);
  }

  /**
   * IAM does not say which version was the default before. It can still settle it when exactly one version
   * that existed at the change is left and no version could have been deleted since: CloudTrail shows no
   * DeletePolicyVersion after the change, or the new version is v2 (then only v1 ever existed before it).
   */
  private async previousDefaultFromIam(change: Change, history: () => Promise<History>): Promise<Found> {
    const arn = change.target.policyArn;
    const target = change.target.versionId;
    if (!arn || !target) return { missing: 'IAM: the record lacks the policy ARN or version id' };
    const versions = await this.deps.iam.listPolicyVersions(arn);
    if (!versions) return { missing: `IAM: ${arn} no longer exists` };
    const at = Date.parse(change.eventTime);
    const created = change.eventName === 'CreatePolicyVersion';
    const candidates = versions.filter((version) => {
      if (version.versionId === target) return false;
      if (created) return versionNumber(version.versionId) < versionNumber(target);
      return version.createDate === undefined || Date.parse(version.createDate) <= at;
    });
    if (candidates.length === 0) {
      return { missing: 'IAM: no version that existed before the change is left' };
    }
    if (candidates.length > 1) {
      const ids = candidates.map((version) => version.versionId).join(', ');
      return { missing: `IAM: ${ids} all existed before the change: IAM does not say which was the default` };
    }
    const only = candidates[0]?.versionId ?? '';
    let settled = created && target === 'v2' && only === 'v1';
    let why = 'v1 is the only version that can have existed before v2';
    if (!settled) {
      try {
        const events = await history();
        const deletedSince = [...events.tied, ...events.after].some(
          (other) => other.eventName === 'DeletePolicyVersion' && other.target.policyArn === arn,
        );
        settled = !deletedSince;
        why = `the only version left from before the change, and CloudTrail shows no version deleted since`;
      } catch {
        settled = false;
      }
    }
    if (!settled) {
      return {
        missing: `IAM: only ${only} is left from before the change, but a version deleted since can't be ruled out`,
      };
    }
    return {
      state: { previousDefaultVersionId: only },
      source: { kind: 'iam', versionId: only, detail: `IAM: ${only} is ${why}` },
    };
  }

  /** Adds the previous default version's document (for the diff) when IAM still has it; never fails. */
  private async withPreviousDefaultDocument(
    change: Change,
    resolved: ResolvedBeforeState,
  ): Promise<ResolvedBeforeState> {
    const versionId = resolved.state.previousDefaultVersionId;
    const arn = change.target.policyArn;
    if (!versionId || !arn) return resolved;
    try {
      const version = await this.deps.iam.getPolicyVersion(arn, versionId);
      if (!version?.document) return resolved;
      return { ...resolved, state: { ...resolved.state, previousDocument: version.document } };
    } catch {
      return resolved;
    }
  }

  /** Attach and detach need no before-state to revert; the policy's default document is read for the diff. */
  private async attachedPolicy(change: Change): Promise<ResolvedBeforeState> {
    const arn = change.target.policyArn;
    const detach = change.eventName.startsWith('Detach');
    const unknown = (detail: string): ResolvedBeforeState => ({
      state: {},
      source: { kind: 'unknown', detail },
    });
    if (!arn) return unknown('the record names no policy ARN');
    try {
      const policy = await this.deps.iam.getManagedPolicy(arn);
      if (!policy) return unknown(`IAM: ${arn} no longer exists`);
      const version = await this.deps.iam.getPolicyVersion(arn, policy.defaultVersionId);
      if (!version?.document) return unknown(`IAM: the default version of ${arn} could not be read`);
      const resolved: ResolvedBeforeState = {
        state: detach ? { previousDocument: version.document } : {},
        source: {
          kind: 'iam',
          versionId: policy.defaultVersionId,
          detail: `IAM: the policy's current default version ${policy.defaultVersionId}`,
        },
        policyDocument: version.document,
      };
      return resolved;
    } catch (error: unknown) {
      return unknown(`IAM: look-up failed: ${message(error)}`);
    }
  }

  private iamHasNoDocument(change: Change): string {
    if (change.eventName === 'DeletePolicy') return 'IAM: the policy is deleted, with its versions';
    if (change.eventName === 'UpdateAssumeRolePolicy') return 'IAM: keeps no earlier trust policies';
    return 'IAM: keeps no earlier inline policy documents';
  }

  private days(): number {
    return this.deps.historyDays ?? HISTORY_DAYS;
  }
}

function normalise(record: CloudTrailRecord): Change | undefined {
  try {
    const result = normaliseRecord(record);
    return 'change' in result ? result.change : undefined;
  } catch (error: unknown) {
    if (error instanceof InputError) return undefined;
    throw error;
  }
}

/**
 * True when `other` created or deleted the entity an inline or trust document of `change` belongs to: nothing
 * of that entity's documents survives a deletion or predates a creation.
 */
function resetsEntity(change: Change, other: Change): boolean {
  const match = /^(Create|Delete)(Role|User|Group)$/.exec(other.eventName);
  if (!match) return false;
  const kind = (match[2] ?? '').toLowerCase();
  if (change.eventName === 'UpdateAssumeRolePolicy') {
    return kind === 'role' && match[1] === 'Delete' && other.target.name === change.target.name;
  }
  return kind === change.target.kind && other.target.name === change.target.name;
}

/**
 * Walks a managed policy's history (newest first) back to the default version in force: the newest
 * SetDefaultPolicyVersion, CreatePolicyVersion with setAsDefault, or CreatePolicy (v1). A SetDefault points at an
 * older version whose document is looked up further back; a CreatePolicy or DeletePolicy ends the walk (version
 * ids start again when a policy of the same ARN is re-created).
 */
function walkDefault(
  before: Change[],
  arn: string | undefined,
): { versionId?: string; document?: PolicyDocument; event?: Change } {
  let wanted: { versionId: string; event: Change } | undefined;
  for (const other of before) {
    if (!arn || other.target.policyArn !== arn) continue;
    const document = other.documents.find((entry) => entry.role === 'permissions')?.document;
    switch (other.eventName) {
      case 'SetDefaultPolicyVersion':
        if (!wanted && other.target.versionId) wanted = { versionId: other.target.versionId, event: other };
        break;
      case 'CreatePolicyVersion':
        if (!wanted && becameDefault(other) && other.target.versionId) {
          return { versionId: other.target.versionId, document, event: other };
        }
        if (wanted && other.target.versionId === wanted.versionId) {
          return { versionId: wanted.versionId, document, event: wanted.event };
        }
        break;
      case 'CreatePolicy':
        if (!wanted) return { versionId: 'v1', document, event: other };
        if (wanted.versionId === 'v1') return { versionId: 'v1', document, event: wanted.event };
        return wanted;
      case 'DeletePolicy':
        return wanted ?? {};
      default:
        break;
    }
  }
  return wanted ?? {};
}
