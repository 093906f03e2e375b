/**
 * Changes prove their origin (DESIGN §9): a revert that adds access back — re-attaching a policy, restoring a
 * wider document or trust policy, recreating a policy — runs only once CloudTrail itself has the original event
 * and it is the call the store describes. CloudTrail's event history can lag the EventBridge event by minutes,
 * so "not yet" is an answer of its own: the confirmation modal says so and offers to check again.
 */
import { normaliseRecord } from '../domain/change';
import { callDifference } from '../domain/confirmation';
import type { CloudTrailRecord } from '../domain/input';
import type { Change } from '../domain/types';
import type { Clock } from './ports';

/** One account's CloudTrail event history, by event id (CloudTrail `LookupEvents` with `EventId`). */
export interface TrailEventLookup {
  /**
   * The record of `eventId` between `start` and `end`, or `undefined` when the account's event history does not
   * hold it (yet). Throws when CloudTrail can't be asked.
   */
  eventById(eventId: string, start: Date, end: Date): Promise<CloudTrailRecord | undefined>;
}

/** What CloudTrail says of a stored change. */
export type Confirmation =
  | { status: 'confirmed' }
  /** CloudTrail does not have the event yet (or at all): ask again in a minute. */
  | { status: 'pending' }
  /** CloudTrail has the event and it is not the stored change: the store was written by someone else. */
  | { status: 'mismatch'; difference: string }
  | { status: 'error'; error: string };

/** Confirms stored changes against CloudTrail, in the account the change was made in. */
export interface EventConfirmer {
  confirm(change: Change): Promise<Confirmation>;
}

function message(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}

const HOUR_MS = 3_600_000;

/** {@link EventConfirmer} on one account's event history. */
export class CloudTrailConfirmer implements EventConfirmer {
  constructor(
    private readonly lookup: TrailEventLookup,
    private readonly clock: Clock,
  ) {}

  async confirm(change: Change): Promise<Confirmation> {
    const at = Date.parse(change.eventTime);
    if (Number.isNaN(at)) return { status: 'mismatch', difference: 'the stored event time is not a time' };
    let record: CloudTrailRecord | undefined;
    try {
      record = await this.lookup.eventById(
        change.eventId,
        new Date(at - HOUR_MS),
        new Date(Math.max(at + HOUR_MS, this.clock.now().getTime())),
      );
    } catch (error: unknown) {
      return { status: 'error', error: message(error) };
    }
    if (!record) return { status: 'pending' };
    const normalised = normaliseRecord(record);
    if ('skipped' in normalised) {
      return {
        status: 'mismatch',
        difference: `CloudTrail's event is not an IAM write (${normalised.skipped.reason})`,
      };
    }
    const difference = callDifference(change, normalised.change);
    return difference ? { status: 'mismatch', difference } : { status: 'confirmed' };
  }
}
