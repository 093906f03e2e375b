/**
 * The mute store port, and the notify path's hook on it. The store is `src/store/dynamo-mutes.ts` on the bot's
 * one table; the notify path asks {@link MuteGate} whether a change is muted, reading the active mutes once per
 * notification (one DynamoDB query), however many changes it carries.
 */
import { isActive, type Mute, muteFor } from '../domain/mute';
import type { AssessedChange } from '../domain/types';

/** Where mutes are kept. Every method throws on storage failure. */
export interface MuteStore {
  /** Keeps a new mute (its id is new). */
  put(mute: Mute): Promise<void>;
  /** Every mute not yet expired at `now`, soonest to expire first: one query. */
  active(now: Date): Promise<Mute[]>;
  get(id: string): Promise<Mute | undefined>;
  /** Removes a mute; returns what was removed, undefined when it was already gone. */
  remove(id: string): Promise<Mute | undefined>;
}

/**
 * Whether a change is muted, with the active mutes read at most once per gate. Make one per notification: a
 * mute made or lifted meanwhile counts from the next one. If the mutes can't be read, nothing is muted (the
 * alert posts) and the failure is logged: a store problem must never silence an alert.
 */
export class MuteGate {
  private loaded?: Promise<readonly Mute[]>;

  constructor(
    private readonly store: Pick<MuteStore, 'active'>,
    private readonly now: () => Date,
    private readonly log: (message: string, details?: Record<string, unknown>) => void = () => {},
  ) {}

  /** The mute that keeps `change` from posting, if any. */
  async muteFor(change: AssessedChange): Promise<Mute | undefined> {
    this.loaded ??= this.store.active(this.now()).catch((error: unknown) => {
      this.log('mutes could not be read; nothing is muted', {
        error: error instanceof Error ? error.message : String(error),
      });
      return [];
    });
    const now = this.now();
    return muteFor(
      (await this.loaded).filter((mute) => isActive(mute, now)),
      change,
      change.risk.level,
      now,
    );
  }
}
