import type { ActionCatalogue } from './actions';
import { readAlarm } from './alarm';
import { normaliseRecord } from './change';
import { InputError, type InputItem } from './input';
import { type BeforeState, planRevert } from './revert';
import { assessRisk } from './risk/assess';
import type { RiskContext } from './risk/rule';
import type { AlarmEvent, AssessedChange, Change, SkippedRecord } from './types';

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

/** Judges one change: its risk and its revert plan, given what is known of the state before it. */
export function assessChange(change: Change, context: RiskContext, before?: BeforeState): AssessedChange {
  const riskContext =
    before && before.previousDocument !== undefined
      ? { ...context, previousDocument: before.previousDocument }
      : context;
  return { ...change, risk: assessRisk(change, riskContext), revert: planRevert(change, before) };
}

/**
 * Normalises and judges every item of an input. A change that appears twice (same `eventID`) is kept once;
 * a record that can't be read is set aside with the reason rather than failing its neighbours.
 */
export function explainItems(items: InputItem[], context: RiskContext, prepare?: PrepareChange): Explanation {
  const out: Explanation = { changes: [], alarms: [], skipped: [] };
  const seen = new Set<string>();
  for (const item of items) {
    if (item.kind === 'alarm') {
      out.alarms.push(readAlarm(item.message));
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
    if (seen.has(result.change.eventId)) continue;
    seen.add(result.change.eventId);
    const prepared = prepare ? prepare(result.change) : { change: result.change };
    out.changes.push(
      assessChange(prepared.change, prepared.actions ? { ...context, actions: prepared.actions } : context),
    );
  }
  return out;
}
