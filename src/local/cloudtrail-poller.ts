/**
 * The local runtime's stand-in for the EventBridge rule and the alerts topic when it is connected to a real AWS
 * account: every minute it asks CloudTrail `LookupEvents` for IAM events (paced at 2 requests a second by the
 * shared {@link TrailHistory} adapter), and feeds the IAM writes it has not fed yet to the notify use case.
 *
 * CloudTrail makes events searchable some minutes after the call, so each look-up reaches back over the previous
 * window's last 15 minutes; the store's claim by event id would drop a repeat anyway, and a bounded set of fed ids
 * saves it the work.
 */
import { IAM_EVENT_SOURCE, isIamWriteRecord } from '../domain/events';
import type { CloudTrailRecord } from '../domain/input';

/** The part of `CloudTrailHistory` the poller uses. */
export interface IamEventLookup {
  lookup(
    attribute: { AttributeKey: 'EventSource'; AttributeValue: string },
    start: Date,
    end: Date,
  ): Promise<{ records: CloudTrailRecord[]; truncated: boolean }>;
}

/** Options of {@link startCloudTrailPoller}. */
export interface CloudTrailPollerOptions {
  trail: IamEventLookup;
  /** The notify use case: takes an array of CloudTrail records. */
  notify: (records: CloudTrailRecord[]) => Promise<unknown>;
  /** Between two look-ups; 60 s unless set. */
  intervalMs?: number;
  /** How far each look-up reaches back before the last one's end; 15 minutes unless set. */
  overlapMs?: number;
  /** Told what each look-up fed. */
  log?: (line: string) => void;
  /** Told when a look-up or the notify call failed (the next tick tries the same window again). */
  onError?: (error: unknown) => void;
  now?: () => Date;
}

/** A running poller. */
export interface CloudTrailPoller {
  /** Runs one look-up now (the timer's own run waits for it); resolves with the number of records fed. */
  pollNow(): Promise<number>;
  stop(): Promise<void>;
}

const MAX_REMEMBERED = 20_000;

/** Starts polling at once and then every `intervalMs`. */
export function startCloudTrailPoller(options: CloudTrailPollerOptions): CloudTrailPoller {
  const intervalMs = options.intervalMs ?? 60_000;
  const overlapMs = options.overlapMs ?? 15 * 60_000;
  const now = options.now ?? (() => new Date());
  const log = options.log ?? (() => undefined);
  const fed = new Set<string>();
  let since = new Date(now().getTime() - overlapMs);
  let running: Promise<number> | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const poll = async (): Promise<number> => {
    const end = now();
    const start = new Date(Math.min(since.getTime(), end.getTime() - overlapMs));
    const { records, truncated } = await options.trail.lookup(
      { AttributeKey: 'EventSource', AttributeValue: IAM_EVENT_SOURCE },
      start,
      end,
    );
    const fresh = records
      .filter((record) => isIamWriteRecord(record.readOnly, String(record.eventName)))
      .filter((record) => !fed.has(String(record.eventID)))
      .sort((a, b) => String(a.eventTime).localeCompare(String(b.eventTime)));
    if (fresh.length > 0) {
      await options.notify(fresh);
      for (const record of fresh) fed.add(String(record.eventID));
      while (fed.size > MAX_REMEMBERED) {
        const oldest = fed.values().next().value;
        if (oldest === undefined) break;
        fed.delete(oldest);
      }
      log(
        `CloudTrail: fed ${fresh.length} IAM change(s) to notify${truncated ? ' (look-up truncated: more next time)' : ''}`,
      );
    }
    // After a truncated look-up the next one starts from the same place.
    if (!truncated) since = end;
    return fresh.length;
  };

  const pollNow = (): Promise<number> => {
    running ??= poll().finally(() => {
      running = undefined;
    });
    return running;
  };

  const tick = () => {
    if (stopped) return;
    pollNow()
      .catch((error: unknown) => options.onError?.(error))
      .finally(() => {
        if (!stopped) {
          timer = setTimeout(tick, intervalMs);
          timer.unref();
        }
      });
  };
  tick();

  return {
    pollNow,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running?.catch(() => undefined);
    },
  };
}
