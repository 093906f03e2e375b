/**
 * Resolving the document of the managed policy a call names (attach, detach, permissions boundary): the record
 * carries only its ARN, and a policy is judged by what it grants, never by its name. The sources are asked in
 * order — the store (a document the bot saw written, and IAM versions it read before), IAM itself (`GetPolicy` +
 * `GetPolicyVersion`, each version cached in the store by ARN and version id), the catalogue of AWS managed
 * policies (offline: the CLI, tests) — and when none has it the document is unknown and the change says why.
 */
import {
  isAwsManagedPolicy,
  managedPolicyCall,
  type PolicyLookup,
  withManagedPolicy,
} from '../domain/managed-policy';
import { PolicyDocumentError, parsePolicyDocument } from '../domain/policy';
import { policyVersionKey } from '../domain/resources';
import type { Change, PolicyDocument } from '../domain/types';
import type { IamGateway } from './iam-port';
import type { ChangeStore } from './ports';

/**
 * The reads of one search (a `/iam-changes` history query, with its archive scan): each managed policy's default
 * version (`GetPolicy`) and each version's document (`GetPolicyVersion`, or the store's copy) are read at most once
 * for it, however many of its records name the policy — 200 attaches of one policy read IAM once, not 200 times.
 * A failed read is kept as failed for the search too (asking again, record after record, would only fail again
 * and spend IAM's rate). Made afresh for every search, so the next one sees a default version made meanwhile.
 * Concurrent callers of one key share its read.
 */
export class PolicyReadMemo {
  private readonly reads = new Map<string, Promise<unknown>>();

  /** What `read` gives for `key`, read on the first call for that key only. */
  once<T>(key: string, read: () => Promise<T>): Promise<T> {
    let pending = this.reads.get(key) as Promise<T> | undefined;
    if (!pending) {
      pending = read();
      this.reads.set(key, pending);
    }
    return pending;
  }

  /** How many distinct reads were made (or are under way). */
  get size(): number {
    return this.reads.size;
  }
}

/** A place a policy's document may be found: the document, or why it is not there (in words). */
export interface PolicyDocumentSource {
  /** Which source this is, as the alert names it. */
  readonly kind: 'store' | 'iam' | 'catalogue';
  /**
   * The policy's document as of the call (`eventTime`, `eventId`), or `{ missing }` saying why not. Throws only on
   * a failure the resolver should report as the source's reason (it catches and words it). With `reads`, what the
   * source reads by policy and version alone (not by the call's time) is read once for all the calls sharing it.
   */
  find(
    policyArn: string,
    at: { eventTime: string; eventId: string },
    reads?: PolicyReadMemo,
  ): Promise<PolicyLookup | { missing: string }>;
}

/** The AWS managed policies as published at build time: the latest document of each, by ARN. */
export interface ManagedPolicyCatalogue {
  /** The latest version of an AWS managed policy, or undefined when the catalogue does not hold it. */
  latest(policyArn: string): Promise<{ versionId: string; document: PolicyDocument } | undefined>;
}

function message(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}

/** Whether a version was created after a call: CloudTrail gives whole seconds, so the same second is not after. */
function createdAfter(createDate: string, eventTime: string): boolean {
  const created = Date.parse(createDate);
  const at = Date.parse(eventTime);
  if (Number.isNaN(created) || Number.isNaN(at)) return false;
  return Math.floor(created / 1000) * 1000 > at;
}

/**
 * A document read back from the store, checked as any other input is: the store is written by more than one
 * function, so what it holds is parsed again and a malformed one counts as absent (never a crash in a rule).
 */
function storedDocument(document: unknown): PolicyDocument | undefined {
  if (document === null || document === undefined) return undefined;
  try {
    return parsePolicyDocument(document);
  } catch (error: unknown) {
    if (error instanceof PolicyDocumentError) return undefined;
    throw error;
  }
}

/** The store: the default document the bot saw a `CreatePolicy`/`CreatePolicyVersion` write. */
export class StoredPolicyDocuments implements PolicyDocumentSource {
  readonly kind = 'store';

  constructor(private readonly store: Pick<ChangeStore, 'documentBefore'>) {}

  async find(policyArn: string, at: { eventTime: string; eventId: string }) {
    const seen = await this.store.documentBefore(`policy/${policyArn}/default`, at.eventTime, at.eventId);
    const document = storedDocument(seen?.document);
    if (document) return { source: 'store' as const, document };
    if (seen?.document) return { missing: 'the stored document is malformed' };
    return { missing: seen?.unknownReason ?? 'not seen before' };
  }
}

/**
 * Where {@link IamPolicyDocuments} keeps the versions it read. Without `putDocument` the cache is only read: the
 * worker's role may not write it, so a stolen worker credential cannot plant a harmless document under a powerful
 * policy's version for notify to trust.
 */
export type PolicyVersionCache = Pick<ChangeStore, 'documentBefore'> &
  Partial<Pick<ChangeStore, 'putDocument'>>;

/**
 * IAM: the policy's default version (`GetPolicy`), its document from the store when that version was read before,
 * else `GetPolicyVersion` — kept in the store under the ARN and version id, which never change. A cached document
 * is parsed again when read; a malformed one (or one the store cannot read) is read from IAM instead. With
 * `versionsBeforeTheCall`, a default version IAM says was created after the call is unknown.
 */
export class IamPolicyDocuments implements PolicyDocumentSource {
  readonly kind = 'iam';

  constructor(
    private readonly iam: Pick<IamGateway, 'getManagedPolicy' | 'getPolicyVersion'>,
    private readonly cache: PolicyVersionCache,
    private readonly now: () => Date,
    private readonly options: {
      log?: (message: string, details?: Record<string, unknown>) => void;
      /**
       * Reading long after the call (the worker's second look): a default version IAM says was created after the
       * call is unknown, never taken for the one the call used. Off, today's default stands for the call's.
       */
      versionsBeforeTheCall?: boolean;
    } = {},
  ) {}

  async find(policyArn: string, at?: { eventTime: string; eventId: string }, reads?: PolicyReadMemo) {
    const once = <T>(key: string, read: () => Promise<T>) => (reads ? reads.once(key, read) : read());
    const policy = await once(`GetPolicy ${policyArn}`, () => this.iam.getManagedPolicy(policyArn));
    if (!policy) return { missing: 'no such policy' };
    const versionId = policy.defaultVersionId;
    const key = policyVersionKey(policyArn, versionId);
    const version = await once(`version ${key}`, () => this.readVersion(policyArn, versionId, key));
    if ('missing' in version) return version;
    // Read later than the call (the worker's second look): a default made after it says nothing of what it was.
    const strict = this.options.versionsBeforeTheCall === true;
    if (strict && at && version.createDate && createdAfter(version.createDate, at.eventTime)) {
      return {
        missing: `the default version ${versionId} was created after the change (${version.createDate})`,
      };
    }
    return { source: 'iam' as const, document: version.document, versionId };
  }

  /**
   * One version's document: the store's copy when there is a well-formed one (no `createDate`: it was read before,
   * and kept only when IAM said it existed), else `GetPolicyVersion`, kept in the store where this source may write.
   */
  private async readVersion(
    policyArn: string,
    versionId: string,
    key: string,
  ): Promise<{ document: PolicyDocument; createDate?: string } | { missing: string }> {
    const cached = await this.cached(policyArn, key);
    if (cached) return { document: cached };
    const version = await this.iam.getPolicyVersion(policyArn, versionId);
    if (!version?.document) return { missing: `version ${versionId} could not be read` };
    await this.cache.putDocument?.(
      {
        resourceKey: key,
        eventTime: this.now().toISOString(),
        eventId: `iam-${versionId}`,
        document: version.document,
      },
      this.now(),
    );
    return { document: version.document, ...(version.createDate ? { createDate: version.createDate } : {}) };
  }

  /** The version's document as cached, when there is a well-formed one. */
  private async cached(policyArn: string, key: string): Promise<PolicyDocument | undefined> {
    try {
      // A version's document never changes: any snapshot of it is the one.
      const snapshot = await this.cache.documentBefore(key, '9999-12-31T23:59:59Z', '~');
      const document = storedDocument(snapshot?.document);
      if (snapshot?.document && !document) {
        this.options.log?.('cached policy version is malformed; read from IAM', { policyArn });
      }
      return document;
    } catch (error: unknown) {
      this.options.log?.('cached policy version unreadable; read from IAM', {
        policyArn,
        error: message(error),
      });
      return undefined;
    }
  }
}

/** The catalogue of AWS managed policies (offline); customer managed policies are never in it. */
export class CataloguePolicyDocuments implements PolicyDocumentSource {
  readonly kind = 'catalogue';

  constructor(private readonly catalogue: ManagedPolicyCatalogue) {}

  async find(policyArn: string) {
    if (!isAwsManagedPolicy(policyArn)) return { missing: 'not an AWS managed policy' };
    const latest = await this.catalogue.latest(policyArn);
    if (!latest) return { missing: 'not in the AWS managed policy catalogue' };
    return { source: 'catalogue' as const, document: latest.document, versionId: latest.versionId };
  }
}

/** Asks each source in turn for the document of the managed policy a change names. */
export class PolicyDocumentResolver {
  constructor(
    private readonly sources: readonly PolicyDocumentSource[],
    private readonly log: (message: string, details?: Record<string, unknown>) => void = () => {},
  ) {}

  /**
   * The policy's document from the first source that has it, or unknown with each source's reason. `reads`: the
   * search this look-up is part of, whose IAM reads it shares ({@link PolicyReadMemo}).
   */
  async lookup(
    policyArn: string,
    at: { eventTime: string; eventId: string },
    reads?: PolicyReadMemo,
  ): Promise<PolicyLookup> {
    const reasons: string[] = [];
    for (const source of this.sources) {
      try {
        const found = await source.find(policyArn, at, reads);
        if (!('missing' in found)) return found;
        reasons.push(`${source.kind === 'iam' ? 'IAM' : source.kind}: ${found.missing}`);
      } catch (error: unknown) {
        this.log('policy document source failed', { source: source.kind, policyArn, error: message(error) });
        reasons.push(`${source.kind === 'iam' ? 'IAM' : source.kind}: ${message(error)}`);
      }
    }
    return { source: 'unknown', reason: reasons.join('; ') || 'no source to ask' };
  }

  /**
   * The change with the document of the managed policy it names; other changes, and failed calls, unchanged.
   * `reads`: as for {@link lookup}.
   */
  async resolve(change: Change, reads?: PolicyReadMemo): Promise<Change> {
    const call = managedPolicyCall(change);
    if (!call || change.outcome !== 'success') return change;
    return withManagedPolicy(change, await this.lookup(call.policyArn, change, reads));
  }
}

/** `GetPolicy` and `GetPolicyVersion` on one account's IAM. */
export type PolicyReader = Pick<IamGateway, 'getManagedPolicy' | 'getPolicyVersion'>;

/**
 * Reads a managed policy in the account its ARN names: AWS managed policies and the home account's with the
 * bot's own IAM, another account's customer policy through `memberReader` (the responder role there) — a
 * customer policy exists only in its own account, so asking the home account would only say it does not exist.
 */
export class AccountPolicyReader implements PolicyReader {
  constructor(
    private readonly deps: {
      home: PolicyReader;
      /** The bot's own account; without it (one account) every policy is read at home. */
      homeAccountId?: string;
      /** The reader of a member account's IAM; without it another account's policy is read at home. */
      memberReader?: (accountId: string) => PolicyReader;
    },
  ) {}

  async getManagedPolicy(policyArn: string) {
    return this.readerFor(policyArn).getManagedPolicy(policyArn);
  }

  async getPolicyVersion(policyArn: string, versionId: string) {
    return this.readerFor(policyArn).getPolicyVersion(policyArn, versionId);
  }

  private readerFor(policyArn: string): PolicyReader {
    const account = /^arn:aws[\w-]*:iam::(\d{12}):policy\//.exec(policyArn)?.[1];
    const { home, homeAccountId, memberReader } = this.deps;
    if (!account || !memberReader || homeAccountId === undefined || account === homeAccountId) return home;
    return memberReader(account);
  }
}
