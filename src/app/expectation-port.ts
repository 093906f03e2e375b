/**
 * The expectation store port, and the notify path's hook on it. The store is `src/store/dynamo-expectations.ts`
 * on the bot's one table; the notify path judges each change with {@link ExpectationGate}, which reads the
 * expectations once per notification (one DynamoDB query).
 */
import { applyVerdict, type Expectation, judgeExpected } from '../domain/expectation';
import type { AssessedChange } from '../domain/types';

/** How long after its window an expectation still calls out changes on its target as unexpected. */
export const UNEXPECTED_HORIZON_MS = 86_400_000;

/** Where expectations are kept. Every method throws on storage failure. */
export interface ExpectationStore {
  put(expectation: Expectation): Promise<void>;
  /** Every expectation whose window ends after `since`, soonest to end first: one query. */
  endingAfter(since: Date): Promise<Expectation[]>;
  /**
   * Keeps `next` in place of `previous` (the same id, another end: an expectation ended early). The new item is
   * written before the old one is removed, so the expectation is never missing in between.
   */
  replace(previous: Expectation, next: Expectation): Promise<void>;
}

/**
 * Judges changes against the expectations, read at most once per gate (make one per notification). If they
 * can't be read, changes are judged as they are (nothing lowered) and the failure is logged.
 */
export class ExpectationGate {
  private loaded?: Promise<readonly Expectation[]>;

  constructor(
    private readonly store: Pick<ExpectationStore, 'endingAfter'>,
    private readonly now: () => Date,
    private readonly log: (message: string, details?: Record<string, unknown>) => void = () => {},
  ) {}

  /** The change lowered and threaded when expected, with a reason when unexpected, else as it was. */
  async judge(change: AssessedChange): Promise<AssessedChange> {
    this.loaded ??= this.store
      .endingAfter(new Date(this.now().getTime() - UNEXPECTED_HORIZON_MS))
      .catch((error: unknown) => {
        this.log('expectations could not be read; changes are judged without them', {
          error: error instanceof Error ? error.message : String(error),
        });
        return [];
      });
    return applyVerdict(change, judgeExpected(await this.loaded, change));
  }
}
