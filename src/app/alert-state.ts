/**
 * Where an alert stands, from what responders (and the actor) did about its change: one status, read the same
 * way by every surface — the alert's header and colour, the Home tab's open list. Pure: a stored change in, a
 * status out.
 */
import type { RiskLevel } from '../domain/types';
import type { AuditActor } from './audit-port';
import type { RespondedChange } from './revert-port';

/**
 * One alert's status, most decisive first:
 * - `reverted`: the revert ran (`dryRun` when it was a dry run and IAM is unchanged);
 * - `reverting`: a revert is claimed and running;
 * - `revert-failed`: a revert failed part-way — someone has to finish it by hand;
 * - `quarantined`: the caller is quarantined (the change itself may still stand);
 * - `quarantining`: a quarantine is being applied;
 * - `denied`: the actor said they did not make this change;
 * - `acknowledged`: a responder is on it;
 * - `confirmed`: the actor confirmed they made it (in hand at most, open when critical: see `HANDLING`);
 * - `open`: nobody has done anything yet.
 */
export type AlertStatus =
  | 'reverted'
  | 'reverting'
  | 'revert-failed'
  | 'quarantined'
  | 'quarantining'
  | 'denied'
  | 'acknowledged'
  | 'confirmed'
  | 'open';

/** How far an alert is from needing nobody: `open` needs someone, `in-hand` has someone, `handled` is done. */
export type AlertHandling = 'open' | 'in-hand' | 'handled';

/** An alert's status, who brought it there and when. */
export interface AlertState {
  status: AlertStatus;
  handling: AlertHandling;
  /** The change's risk level (as assessed; the status never changes it). */
  level: RiskLevel;
  /** Who brought the alert to this status (absent for `open`). */
  by?: AuditActor;
  /** ISO time of that (absent for `open`). */
  at?: string;
  /** For `reverted` / `reverting` / `quarantined`: true when IAM was only simulated (the local runtime's dry run). */
  dryRun?: boolean;
}

/**
 * A "Yes" from the actor is never `handled`: who is asked can depend on what the caller controls (their IAM user's
 * own tags, a trusted session name), so a confirmation puts the alert at most "in hand" until a responder
 * acknowledges or reverts it — and leaves a critical open.
 */
const HANDLING: Record<AlertStatus, AlertHandling> = {
  reverted: 'handled',
  quarantined: 'handled',
  confirmed: 'in-hand',
  reverting: 'in-hand',
  quarantining: 'in-hand',
  acknowledged: 'in-hand',
  'revert-failed': 'open',
  denied: 'open',
  open: 'open',
};

function state(
  status: AlertStatus,
  stored: RespondedChange,
  by?: AuditActor,
  at?: string,
  dryRun?: boolean,
): AlertState {
  const level = stored.change.risk.level;
  const handling = status === 'confirmed' && level === 'critical' ? 'open' : HANDLING[status];
  const out: AlertState = { status, handling, level };
  if (by) out.by = by;
  if (at) out.at = at;
  if (dryRun) out.dryRun = true;
  return out;
}

/** The status of a stored change's alert (see {@link AlertStatus} for the order that decides it). */
export function alertStateOf(stored: RespondedChange): AlertState {
  const { revert, quarantine, acknowledgement, actorAnswer } = stored;
  if (revert?.status === 'done')
    return state('reverted', stored, revert.by, revert.finishedAt ?? revert.at, revert.dryRun);
  if (revert?.status === 'claimed') return state('reverting', stored, revert.by, revert.at, revert.dryRun);
  if (revert?.status === 'failed')
    return state('revert-failed', stored, revert.by, revert.finishedAt ?? revert.at);
  if (quarantine?.status === 'active')
    return state('quarantined', stored, quarantine.by, quarantine.at, quarantine.dryRun);
  if (quarantine?.status === 'claimed') return state('quarantining', stored, quarantine.by, quarantine.at);
  if (actorAnswer?.answer === 'denied') return state('denied', stored, actorAnswer.by, actorAnswer.at);
  // A responder's acknowledgement outranks the actor's own "Yes": it is what takes a critical off the open list.
  if (acknowledgement) return state('acknowledged', stored, acknowledgement.by, acknowledgement.at);
  if (actorAnswer?.answer === 'confirmed') return state('confirmed', stored, actorAnswer.by, actorAnswer.at);
  return state('open', stored);
}
