import { type BeforeState, planRevert } from './revert';
import { assessRisk } from './risk/assess';
import type { RiskContext } from './risk/rule';
import type { AssessedChange, Change } from './types';

/**
 * Judges one change: its risk and its revert plan, given what is known of the state before it. A module of its
 * own, apart from {@link explainItems}' reading of whole inputs (alarms among them), so the notify path judging an
 * IAM event does not load how alarms are read.
 */
export function assessChange(change: Change, context: RiskContext, before?: BeforeState): AssessedChange {
  const riskContext =
    before && before.previousDocument !== undefined
      ? { ...context, previousDocument: before.previousDocument }
      : context;
  return { ...change, risk: assessRisk(change, riskContext), revert: planRevert(change, before) };
}
