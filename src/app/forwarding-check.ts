/**
 * The scheduled check of every member account's forwarding: the watch rule sees the calls that stop forwarding,
 * but someone with enough rights can delete the watch rule first, or the forwarding rule's own `DeleteRule` may
 * never reach the central bus. So, on a schedule, the worker reads each active account's forwarding rule and watch
 * rule through the responder role (`DescribeRule`, `ListTargetsByRule`: the only two calls, on those rules only)
 * and judges both against the member template. A notice is posted when an account's state changes — missing, disabled, narrowed,
 * retargeted, or not checkable at all (never taken as healthy) — and a "restored" line in its thread when it is
 * whole again; an unchanged state posts nothing, however many runs see it.
 *
 * The security-tooling account itself is not checked: the member template forwards nothing there (the stack's
 * own default-bus rule sends its events). The management account is checked like any other: it gets the same
 * template as a plain stack.
 */
import type { AccountDirectorySnapshot, AccountFacts } from '../domain/accounts';
import {
  type ForwardingExpectation,
  type ForwardingHealth,
  healthKey,
  judgeMemberForwarding,
  type MemberForwardingFacts,
} from '../domain/forwarding';
import type { SlackRef } from './ports';

/**
 * Reads an account's forwarding rule and its watch rule. Throws when it cannot (the role not assumable, access
 * denied, throttled).
 */
export interface ForwardingRuleReader {
  read(accountId: string): Promise<MemberForwardingFacts>;
}

/** A state as it was told: what the check found, since when, and the notice that told it. */
export interface ToldForwardingState {
  health: ForwardingHealth;
  /** ISO time the state was first seen. */
  since: string;
  /** The notice posted for it (none for a first healthy check, which posts nothing). */
  ref?: SlackRef;
}

/**
 * One account's forwarding as last found. A change is kept `untold` before its notice is posted and made told
 * only after, so a run that dies in between (a Lambda timeout, a crash) leaves it for the next run to tell.
 */
export interface StoredForwardingState extends ToldForwardingState {
  accountId: string;
  /** Found, but its notice is not known to be posted: the next run tells it. */
  untold?: boolean;
  /** While untold: when a run took it to tell (ISO); other runs leave it alone for the claim's lease. */
  claimedAt?: string;
  /** While untold: the state told before it (a "restored" line goes in its notice's thread). */
  previous?: ToldForwardingState;
  /** The item's version, set by the store: a replace names the version it replaces. */
  version?: string;
}

/** The states, one item per account. Both methods throw on a store failure. */
export interface ForwardingStateStore {
  all(): Promise<StoredForwardingState[]>;
  /**
   * Replaces an account's state, only while it still is `previous` (its `version`; `undefined`: none kept yet):
   * two runs at once tell a change once. The state as stored (with its new version), or `undefined` when it
   * changed meanwhile.
   */
  replace(
    state: StoredForwardingState,
    previous: StoredForwardingState | undefined,
    now: Date,
  ): Promise<StoredForwardingState | undefined>;
  /** Where the last run cut short by its deadline stopped: the first account it did not reach. */
  readCursor(): Promise<string | undefined>;
  /** Records where the next run starts (`undefined`: every account was reached, start anywhere). */
  writeCursor(accountId: string | undefined, now: Date): Promise<void>;
}

/** A change of one account's forwarding, as a notice tells it. */
export interface ForwardingFinding {
  account: AccountFacts;
  health: ForwardingHealth;
  /** The state before, for a "restored" line. */
  previous?: ForwardingHealth;
  /**
   * Call the channel's attention to it (`@here`), mentions on: forwarding broken, or an account checked before
   * that can no longer be checked (whoever can stop its forwarding can also stop the check seeing it).
   */
  mention: boolean;
}

/** Many accounts newly found in the same state by one run (an upgrade, a StackSet not yet updated), told at once. */
export interface ForwardingSummary {
  /** Their state (an unchecked one's reason is the first account's). */
  health: ForwardingHealth;
  accounts: AccountFacts[];
  mention: boolean;
}

/** The Slack side, in facts. Throws when Slack refuses. */
export interface ForwardingFindingChannel {
  /** Posts a finding in the channel, or (a "restored" line) in the thread of the notice it ends. */
  postForwardingFinding(
    place: { channel: string; threadTs?: string },
    finding: ForwardingFinding,
  ): Promise<SlackRef>;
  /** Posts one notice naming every account of a summary. */
  postForwardingSummary(channel: string, summary: ForwardingSummary): Promise<SlackRef>;
}

/** A change found in one account and claimed untold, waiting to be told. */
interface PendingFinding {
  finding: ForwardingFinding;
  key: string;
  /** The notice a "restored" line goes under. */
  thread?: SlackRef;
  /** The state as it is once told (its notice's ref added, but for a "restored" line). */
  base: StoredForwardingState;
  /** The state as it is left when not told: untold, its claim released. */
  untold: StoredForwardingState;
  /** The claim, as stored. */
  claim: StoredForwardingState;
  restored: boolean;
}

/** What the check needs. */
export interface ForwardingCheckDependencies {
  /** The account directory's copy (kept by notify from Organizations). */
  accounts: { read(): Promise<AccountDirectorySnapshot | undefined> };
  reader: ForwardingRuleReader;
  states: ForwardingStateStore;
  slack: ForwardingFindingChannel;
  clock: { now(): Date };
  settings: {
    /** The central bus, and whether the stack forwards every IAM write. */
    centralBusArn: string;
    allWrites: boolean;
    /** The security-tooling account: not checked. */
    homeAccountId?: string;
    /** The critical channel, else the default one. */
    channel: string;
    mentionOnCritical: boolean;
    /** Accounts read at once (default 8). */
    concurrency?: number;
    /**
     * How long a change taken by a run to tell is left to it (default 15 minutes, the longest a Lambda runs):
     * after that, the run is taken as dead and the next run tells the change.
     */
    claimLeaseMs?: number;
    /**
     * The pause before an account that could not be read is read once more (default 2000 ms): a single throttle
     * or network failure is no finding.
     */
    retryPauseMs?: number;
    /**
     * More accounts than this newly found in the same state by one run are told in one notice naming them all
     * (default 5): an upgrade or a StackSet not yet rolled out does not post one critical notice per account.
     */
    summaryThreshold?: number;
  };
  log?: (message: string, details?: Record<string, unknown>) => void;
}

/** What one run did. */
export interface ForwardingCheckResult {
  /** Accounts read, and how they were found. */
  checked: number;
  healthy: number;
  broken: number;
  unchecked: number;
  /** Notices and "restored" lines posted. */
  posted: number;
  /** Accounts left for the next run (the deadline came first). */
  notReached: number;
  /** Why nothing was checked, when nothing was. */
  skipped?: string;
}

/** Account states Organizations reports for accounts that still run (no state known: taken as active). */
const ACTIVE = new Set(['ACTIVE']);

/** The default lease of a change taken to tell: the longest a Lambda invocation runs. */
const CLAIM_LEASE_MS = 15 * 60_000;

function toldPart(state: StoredForwardingState): ToldForwardingState {
  return { health: state.health, since: state.since, ...(state.ref ? { ref: state.ref } : {}) };
}

/** The scheduled forwarding check (see the module's comment). */
export class ForwardingCheck {
  private readonly log: NonNullable<ForwardingCheckDependencies['log']>;

  constructor(private readonly deps: ForwardingCheckDependencies) {
    this.log = deps.log ?? (() => {});
  }

  /**
   * Checks every active account but the home one, by account id, starting no account after `deadline`; a run
   * cut short records the first account it did not reach and the next run starts there, so a large organisation
   * is covered over consecutive runs. The changes found are then told until `tellDeadline` (default `deadline`;
   * the time kept for posting): any not told by then stay untold for the next run. Throws after the run when a
   * notice could not be posted (its state is kept untold, so the next run tells it).
   */
  async run(
    deadline: number = Number.POSITIVE_INFINITY,
    tellDeadline: number = deadline,
  ): Promise<ForwardingCheckResult> {
    const { settings, clock } = this.deps;
    const result: ForwardingCheckResult = {
      checked: 0,
      healthy: 0,
      broken: 0,
      unchecked: 0,
      posted: 0,
      notReached: 0,
    };
    const snapshot = await this.deps.accounts.read();
    if (!snapshot || snapshot.accounts.length === 0) {
      this.log('forwarding check: no account directory kept yet; nothing checked');
      return { ...result, skipped: 'no account directory kept yet' };
    }
    // The central bus's account forwards nothing (the template's ForwardEvents condition), whatever HOME says.
    const busAccount = settings.centralBusArn.split(':')[4];
    const accounts = snapshot.accounts.filter(
      (account) =>
        account.id !== settings.homeAccountId &&
        account.id !== busAccount &&
        (account.status === undefined || ACTIVE.has(account.status)),
    );
    const states = new Map((await this.deps.states.all()).map((state) => [state.accountId, state]));
    // By account id, from where the last run cut short stopped (the accounts it did not reach first).
    accounts.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const cursor = await this.deps.states.readCursor();
    const start =
      cursor === undefined
        ? 0
        : Math.max(
            0,
            accounts.findIndex((account) => account.id >= cursor),
          );
    const queue = [...accounts.slice(start), ...accounts.slice(0, start)];
    let firstNotReached: string | undefined;
    const failures: unknown[] = [];
    const pending: PendingFinding[] = [];
    const worker = async () => {
      for (let account = queue.shift(); account; account = queue.shift()) {
        if (clock.now().getTime() > deadline) {
          result.notReached += 1;
          firstNotReached ??= account.id;
          continue;
        }
        try {
          const found = await this.checkAccount(account, states.get(account.id), result, deadline);
          if (found) pending.push(found);
        } catch (error: unknown) {
          failures.push(error);
          this.log('forwarding check: the account could not be checked', {
            accountId: account.id,
            error: error instanceof Error ? error.message : String(error),
          });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, settings.concurrency ?? 8) }, worker));
    await this.tell(pending, result, failures, Math.max(deadline, tellDeadline));
    if (result.notReached > 0)
      this.log('forwarding check: the deadline came first', {
        notReached: result.notReached,
        firstNotReached,
      });
    if (firstNotReached !== cursor) {
      await this.deps.states.writeCursor(firstNotReached, clock.now()).catch((error: unknown) => {
        // The next run starts where this one did: no account is lost, only later.
        failures.push(error);
      });
    }
    if (failures.length > 0)
      throw new AggregateError(failures, `forwarding check: ${failures.length} findings could not be told`);
    return result;
  }

  /**
   * Reads one account and, when its state changed, claims the change untold (so two runs at once tell it once and
   * a run that dies before telling it leaves it to the next run): the change to tell, or nothing.
   */
  private async checkAccount(
    account: AccountFacts,
    kept: StoredForwardingState | undefined,
    result: ForwardingCheckResult,
    deadline: number,
  ): Promise<PendingFinding | undefined> {
    const { settings, clock, states } = this.deps;
    const health = await this.healthOf(account.id, deadline);
    result.checked += 1;
    result[health.status === 'healthy' ? 'healthy' : health.status] += 1;
    const key = healthKey(health);
    const now = clock.now();
    // A change another run took to tell, still within its lease: that run is telling it.
    const lease = settings.claimLeaseMs ?? CLAIM_LEASE_MS;
    if (kept?.untold && kept.claimedAt && now.getTime() - Date.parse(kept.claimedAt) < lease)
      return undefined;
    // What was last told: the kept state, or, when that is untold, the one told before it.
    const told: ToldForwardingState | undefined = kept && !kept.untold ? toldPart(kept) : kept?.previous;
    if (told && key === healthKey(told.health)) {
      // Unchanged; or an untold change that went back before it was told: told as it was, nothing to post.
      if (kept?.untold) await states.replace({ accountId: account.id, ...told }, kept, now);
      return undefined;
    }
    const since = kept?.untold && healthKey(kept.health) === key ? kept.since : now.toISOString();
    const base: StoredForwardingState = { accountId: account.id, health, since };
    // The first look at an account, healthy: kept without a word.
    if (!told && health.status === 'healthy') {
      await states.replace(base, kept, now);
      return undefined;
    }
    const untold: StoredForwardingState = { ...base, untold: true, ...(told ? { previous: told } : {}) };
    const claim = await states.replace({ ...untold, claimedAt: now.toISOString() }, kept, now);
    if (!claim) return undefined;
    const restored = health.status === 'healthy';
    return {
      finding: {
        account,
        health,
        ...(told ? { previous: told.health } : {}),
        mention:
          settings.mentionOnCritical &&
          (health.status === 'broken' || (health.status === 'unchecked' && told !== undefined)),
      },
      key,
      ...(restored && told?.ref ? { thread: told.ref } : {}),
      base,
      untold,
      claim,
      restored,
    };
  }

  /**
   * Tells the run's changes, one post at a time (the gateway paces them per channel): a "restored" line in the
   * thread of the notice it ends; a new state as a notice of its own, or — more than `summaryThreshold` accounts
   * newly in the same state — one notice naming them all. Each told change is made told with its notice; one whose
   * post failed, or not reached by the deadline, is left untold with its claim released, for the next run.
   */
  private async tell(
    pending: PendingFinding[],
    result: ForwardingCheckResult,
    failures: unknown[],
    deadline: number,
  ): Promise<void> {
    const { settings, clock, states } = this.deps;
    const threshold = settings.summaryThreshold ?? 5;
    const byKey = new Map<string, PendingFinding[]>();
    for (const item of pending.filter((item) => !item.thread)) {
      byKey.set(item.key, [...(byKey.get(item.key) ?? []), item]);
    }
    const batches = [
      ...[...byKey.values()].flatMap((group) =>
        group.length > threshold ? [group] : group.map((item) => [item]),
      ),
      ...pending.filter((item) => item.thread).map((item) => [item]),
    ];
    const release = async (batch: PendingFinding[]) => {
      for (const item of batch) {
        await states.replace(item.untold, item.claim, clock.now()).catch((error: unknown) =>
          this.log(
            'forwarding check: a claim could not be released (the next run after its lease tells it)',
            {
              accountId: item.base.accountId,
              error: error instanceof Error ? error.message : String(error),
            },
          ),
        );
      }
    };
    for (const [index, batch] of batches.entries()) {
      const [first] = batch;
      if (!first) continue;
      if (clock.now().getTime() > deadline) {
        this.log('forwarding check: the deadline came first; changes left for the next run', {
          left: batches.slice(index).reduce((sum, left) => sum + left.length, 0),
        });
        for (const left of batches.slice(index)) await release(left);
        return;
      }
      let ref: SlackRef;
      try {
        ref =
          batch.length === 1
            ? await this.deps.slack.postForwardingFinding(
                first.thread
                  ? { channel: first.thread.channel, threadTs: first.thread.threadTs ?? first.thread.ts }
                  : { channel: settings.channel },
                first.finding,
              )
            : await this.deps.slack.postForwardingSummary(settings.channel, {
                health: first.finding.health,
                accounts: batch.map((item) => item.finding.account),
                mention: batch.some((item) => item.finding.mention),
              });
      } catch (error: unknown) {
        failures.push(error);
        this.log('forwarding check: the finding could not be told', {
          accountIds: batch.map((item) => item.base.accountId),
          error: error instanceof Error ? error.message : String(error),
        });
        await release(batch);
        continue;
      }
      result.posted += 1;
      for (const item of batch) {
        this.log('forwarding of IAM changes: a member account changed state', {
          accountId: item.base.accountId,
          state: item.key,
          ...(item.finding.previous ? { was: healthKey(item.finding.previous) } : {}),
          ...(batch.length > 1 ? { summary: batch.length } : {}),
        });
        // Told. Should this write fail, the change is told again after its lease: twice rather than never.
        await states
          .replace({ ...item.base, ...(item.restored ? {} : { ref }) }, item.claim, clock.now())
          .catch((error: unknown) => failures.push(error));
      }
    }
  }

  /**
   * The account's forwarding judged, or not checkable (one line why) when it could not be read twice, a pause
   * apart (once only when the pause would pass the deadline).
   */
  private async healthOf(accountId: string, deadline: number): Promise<ForwardingHealth> {
    const { settings, clock } = this.deps;
    const expected: ForwardingExpectation = {
      accountId,
      centralBusArn: settings.centralBusArn,
      allWrites: settings.allWrites,
    };
    const pause = settings.retryPauseMs ?? 2000;
    for (let attempt = 1; ; attempt += 1) {
      try {
        return judgeMemberForwarding(await this.deps.reader.read(accountId), expected);
      } catch (error: unknown) {
        if (attempt < 2 && clock.now().getTime() + pause <= deadline) {
          this.log('forwarding check: an account could not be read; reading it once more', {
            accountId,
            error: error instanceof Error ? error.message : String(error),
          });
          await new Promise((resolve) => setTimeout(resolve, pause));
          continue;
        }
        const name = error instanceof Error ? error.name : 'Error';
        const message = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
        return { status: 'unchecked', reason: `${name}: ${message}`.slice(0, 300) };
      }
    }
  }
}
