/**
 * The account directory port: names and OU paths of the organisation's accounts, so messages and queries speak
 * of `prod-payments (Root/Workloads/Prod)` rather than `123456789012`. The implementation reads AWS Organizations
 * and keeps a cached copy in the store; a single-account deploy uses {@link NO_ACCOUNT_DIRECTORY}.
 */
import {
  type AccountDirectorySnapshot,
  type AccountFacts,
  isSnapshotStale,
  matchAccounts,
} from '../domain/accounts';
import type { Clock } from './ports';

export type { AccountDirectorySnapshot, AccountFacts } from '../domain/accounts';

/**
 * Who an account is. The contract: neither method throws for an unreachable Organizations API or store — the
 * implementation answers from its (possibly stale) cache, and with the id alone when it knows nothing, so no
 * message is ever held back for want of a name.
 */
export interface AccountDirectory {
  /** Name and OU path of `accountId`; `{ id: accountId }` alone when unknown. */
  describe(accountId: string): Promise<AccountFacts>;
  /**
   * The accounts a query's `in <term>` names: a 12-digit id, an account name (any case), an OU path
   * (`Root/Workloads/Prod`, or without `Root/`, matched as a prefix at a `/`) or an OU name. Empty when nothing
   * matches.
   */
  resolve(term: string): Promise<AccountFacts[]>;
}

/** What a scheduled refresh of the directory did. */
export interface AccountRefreshResult {
  /**
   * `refreshed`: read again from Organizations and kept; `fresh`: the kept copy was recent enough (one store
   * read); `failed`: Organizations could not be read (the old copy stays); `not-configured`: no organisation.
   */
  outcome: 'refreshed' | 'fresh' | 'failed' | 'not-configured';
  /** Accounts in the copy now, when there is one. */
  accounts?: number;
  /** When the copy now used was read from Organizations (ISO). */
  fetchedAt?: string;
}

/** The daily refresh of the account directory, run by a schedule so names stay current however quiet notify is. */
export interface AccountDirectoryRefresher {
  /**
   * Reads Organizations again unless the kept copy is younger than `maxAgeSeconds` (so a refresh notify made a
   * little earlier is not repeated). Never throws: a failure is its outcome.
   */
  refreshOlderThan(maxAgeSeconds: number): Promise<AccountRefreshResult>;
}

/** The directory of a bot that knows no organisation: ids only, and `in` resolves a 12-digit id to itself. */
export const NO_ACCOUNT_DIRECTORY: AccountDirectory = {
  async describe(accountId) {
    return { id: accountId };
  },
  async resolve(term) {
    return matchAccounts(term, []);
  },
};

/** Where the accounts are read from: AWS Organizations (`src/aws/organizations-accounts.ts`). Throws on failure. */
export interface AccountSource {
  /** Every account of the organisation with its name and OU path. */
  listAccounts(): Promise<AccountFacts[]>;
}

/** The cached copy in the store (`src/store/dynamo-account-directory.ts`). Both methods throw on failure. */
export interface AccountDirectoryStore {
  read(): Promise<AccountDirectorySnapshot | undefined>;
  write(snapshot: AccountDirectorySnapshot): Promise<void>;
}

/** What the cached directory needs. */
export interface CachedAccountDirectoryDependencies {
  store: AccountDirectoryStore;
  /** Without a source (a function that may not call Organizations), the store's copy is used however old. */
  source?: AccountSource;
  clock: Clock;
  log?: (message: string, details?: Record<string, unknown>) => void;
  /** A snapshot older than this is read again from Organizations (default a day). */
  maxAgeSeconds?: number;
  /** How long the process keeps what it read from the store before reading it again (default 5 minutes). */
  memorySeconds?: number;
  /**
   * After a failed refresh, or one made because an account was unknown, how long before Organizations is asked
   * again (default 15 minutes): a throttled or unreachable API is not called for every message.
   */
  retrySeconds?: number;
}

/**
 * The account directory over a cached snapshot: read from the store, refreshed from Organizations when older
 * than a day (on read: the first message after that pays for it) or when asked about an account it does not
 * know (a new account), and never failing — a stale snapshot is used when the refresh fails, and an account
 * nothing is known of is its id alone.
 */
export class CachedAccountDirectory implements AccountDirectory, AccountDirectoryRefresher {
  private memory?: { snapshot: AccountDirectorySnapshot | undefined; readAt: number };
  private inFlight?: Promise<AccountDirectorySnapshot | undefined>;
  private lastRefreshAttempt = Number.NEGATIVE_INFINITY;
  private readonly log: NonNullable<CachedAccountDirectoryDependencies['log']>;

  constructor(private readonly deps: CachedAccountDirectoryDependencies) {
    this.log = deps.log ?? (() => {});
  }

  async describe(accountId: string): Promise<AccountFacts> {
    let snapshot = await this.snapshot();
    let found = snapshot?.accounts.find((account) => account.id === accountId);
    if (!found && this.mayRefresh()) {
      snapshot = await this.refresh(snapshot);
      found = snapshot?.accounts.find((account) => account.id === accountId);
    }
    return found ?? { id: accountId };
  }

  async resolve(term: string): Promise<AccountFacts[]> {
    return matchAccounts(term, (await this.snapshot())?.accounts ?? []);
  }

  async refreshOlderThan(maxAgeSeconds: number): Promise<AccountRefreshResult> {
    if (!this.deps.source) return { outcome: 'not-configured' };
    let kept: AccountDirectorySnapshot | undefined;
    try {
      kept = await this.deps.store.read();
    } catch (error: unknown) {
      this.log('account directory: the cached copy could not be read', { error: messageOf(error) });
    }
    const now = this.deps.clock.now();
    if (kept && !isSnapshotStale(kept, now, maxAgeSeconds)) {
      return { outcome: 'fresh', accounts: kept.accounts.length, fetchedAt: kept.fetchedAt };
    }
    const snapshot = await this.refresh(kept);
    const refreshed = snapshot !== undefined && snapshot !== kept;
    return {
      outcome: refreshed ? 'refreshed' : 'failed',
      ...(snapshot ? { accounts: snapshot.accounts.length, fetchedAt: snapshot.fetchedAt } : {}),
    };
  }

  /** The snapshot to answer from: memory, else the store, refreshed when stale; `undefined` when none at all. */
  private async snapshot(): Promise<AccountDirectorySnapshot | undefined> {
    const now = this.deps.clock.now().getTime();
    if (this.memory && now - this.memory.readAt < (this.deps.memorySeconds ?? 300) * 1000) {
      return this.memory.snapshot;
    }
    let snapshot = this.memory?.snapshot;
    try {
      snapshot = (await this.deps.store.read()) ?? snapshot;
    } catch (error: unknown) {
      this.log('account directory: the cached copy could not be read', { error: messageOf(error) });
    }
    this.memory = { snapshot, readAt: now };
    const stale = !snapshot || isSnapshotStale(snapshot, this.deps.clock.now(), this.deps.maxAgeSeconds);
    return stale && this.mayRefresh() ? this.refresh(snapshot) : snapshot;
  }

  private mayRefresh(): boolean {
    const retry = (this.deps.retrySeconds ?? 900) * 1000;
    return (
      this.deps.source !== undefined && this.deps.clock.now().getTime() - this.lastRefreshAttempt >= retry
    );
  }

  /** Reads Organizations once (concurrent callers share the read) and keeps the result; on failure, `current`. */
  private refresh(
    current: AccountDirectorySnapshot | undefined,
  ): Promise<AccountDirectorySnapshot | undefined> {
    const source = this.deps.source;
    if (!source) return Promise.resolve(current);
    this.inFlight ??= (async () => {
      this.lastRefreshAttempt = this.deps.clock.now().getTime();
      try {
        const snapshot = {
          accounts: await source.listAccounts(),
          fetchedAt: this.deps.clock.now().toISOString(),
        };
        this.memory = { snapshot, readAt: this.deps.clock.now().getTime() };
        await this.deps.store.write(snapshot).catch((error: unknown) => {
          this.log('account directory: the refreshed copy could not be kept', { error: messageOf(error) });
        });
        this.log('account directory refreshed', { accounts: snapshot.accounts.length });
        return snapshot;
      } catch (error: unknown) {
        this.log('account directory: Organizations could not be read; using the cached copy', {
          error: messageOf(error),
          cachedAt: current?.fetchedAt,
        });
        return current;
      } finally {
        this.inFlight = undefined;
      }
    })();
    return this.inFlight;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
