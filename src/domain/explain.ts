import type { ActionCatalogue } from './actions';
import { readAlarm } from './alarm';
import { classifyAlarm } from './alarm-kind';
import { assessChange } from './assess-change';
import { normaliseRecord } from './change';
import { type CloudTrailRecord, InputError, type InputItem } from './input';
import type { RiskContext } from './risk/rule';
import type { AlarmEvent, AssessedChange, Change, SkippedRecord } from './types';

/** Judging one change, also offered here beside the reading of whole inputs (`assess-change.ts` holds it). */
export { assessChange };

/**
 * What judging a change needs beyond its record, found beforehand by the caller (the document of an attached
 * managed policy, the action catalogue): a pure, synchronous step over data already loaded.
 */
export type PrepareChange = (change: Change) => { change: Change; actions?: ActionCatalogue };

/** What one notification (or file) holds, judged: the output of `iam-changes explain`. */
export interface Explanation {
  changes: AssessedChange[];
  alarms: AlarmEvent[];
  skipped: SkippedRecord[];
}

/** How {@link explainItems} reads what is not a change. */
export interface ExplainOptions {
  /** Alarms taken as CIS 4.4 alarms by name (`CIS_ALARM_NAMES`). */
  cisAlarmNames?: string[];
  /** Adds what judging needs beyond the record (an attached policy's document, the action catalogue). */
  prepare?: PrepareChange;
}

/**
 * Normalises and judges every item of an input. A change that appears twice (same `eventID`) is kept once and
 * the later copy is listed in `skipped` with the reason; a record that can't be read is set aside with the
 * reason rather than failing its neighbours.
 */
export function explainItems(
  items: InputItem[],
  context: RiskContext,
  options: ExplainOptions = {},
): Explanation {
  const out: Explanation = { changes: [], alarms: [], skipped: [] };
  /** eventID → the first record with it, to tell a redelivery from a different record reusing the id. */
  const seen = new Map<string, CloudTrailRecord>();
  for (const item of items) {
    if (item.kind === 'alarm') {
      // Offline there are no metric filters to read: configured names and AWS service metrics still tell.
      const alarm = readAlarm(item.message);
      const kind = classifyAlarm(alarm, undefined, options.cisAlarmNames ?? []);
      out.alarms.push(kind.cis44 ? alarm : { ...alarm, notCis44: kind.reason });
      continue;
    }
    let result: ReturnType<typeof normaliseRecord>;
    try {
      result = normaliseRecord(item.record);
    } catch (error: unknown) {
      if (!(error instanceof InputError)) throw error;
      out.skipped.push({
        eventId: typeof item.record.eventID === 'string' ? item.record.eventID : undefined,
        eventName: item.record.eventName,
        eventSource: item.record.eventSource,
        reason: `unreadable record: ${error.message}`,
      });
      continue;
    }
    if ('skipped' in result) {
      out.skipped.push(result.skipped);
      continue;
    }
    const earlier = seen.get(result.change.eventId);
    if (earlier !== undefined) {
      out.skipped.push({
        eventId: result.change.eventId,
        eventName: result.change.eventName,
        eventSource: result.change.eventSource,
        reason:
          JSON.stringify(item.record) === JSON.stringify(earlier)
            ? 'duplicate eventID: the same record appeared earlier in the input and is listed once'
            : 'duplicate eventID: a different record with the same eventID appeared earlier in the input; the first is kept',
      });
      continue;
    }
    seen.set(result.change.eventId, item.record);
    const prepared = options.prepare ? options.prepare(result.change) : { change: result.change };
    out.changes.push(
      assessChange(prepared.change, prepared.actions ? { ...context, actions: prepared.actions } : context),
    );
  }
  return out;
}
