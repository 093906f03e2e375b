/**
 * How an alert's status looks: the header's emoji and words, and the colour of the bar beside the message (a
 * secondary attachment holding one status line, the only way Slack colours a Block Kit message). An open
 * critical is red with 🚨; anything in hand is blue; anything handled is green; a failed revert or an actor who
 * says it was not them stays red, and so does a critical the actor confirmed (their word is not a responder's). Pure: no I/O. Nothing else of this folder is imported, so `render.ts` (the first post,
 * always open) and `render-state.ts` (every later update) share it.
 */
import type { MessageAttachment } from '@slack/types';
import type { AlertState, AlertStatus } from '../app/alert-state';
import type { AuditActor } from '../app/audit-port';
import type { RiskLevel } from '../domain/types';

/** The colour of each open level, and of in-hand and handled alerts (hex, as Slack's `color` takes it). */
export const ALERT_COLOURS = {
  open: { critical: '#E01E5A', high: '#E8912D', medium: '#ECB22E', low: '#9EA0A6', info: '#9EA0A6' },
  inHand: '#1D9BD1',
  handled: '#2EB67D',
} as const satisfies { open: Record<RiskLevel, string>; inHand: string; handled: string };

/** The colour of the bar beside an alert in this state. */
export function alertColour(state: Pick<AlertState, 'handling' | 'level'>): string {
  if (state.handling === 'handled') return ALERT_COLOURS.handled;
  if (state.handling === 'in-hand') return ALERT_COLOURS.inHand;
  // A failed revert or a denial is open whatever the level said: it needs someone now.
  return ALERT_COLOURS.open[state.level];
}

const LABELS: Record<RiskLevel, string> = {
  critical: 'CRITICAL',
  high: 'HIGH',
  medium: 'MEDIUM',
  low: 'LOW',
  info: 'INFO',
};

/** A name for a plain-text header (mentions do not work there): the raw Slack name, cut; the header escapes it. */
function nameOf(by: AuditActor | undefined): string {
  const name = by?.name || 'someone';
  return name.length > 60 ? `${name.slice(0, 59)}…` : name;
}

/**
 * The header's opening words for a status other than `open` (which keeps the level's own emoji and label):
 * `✅ Reverted — was CRITICAL`, `👀 Acknowledged by alice — HIGH`, …. Raw text: the header escapes it.
 */
export function stateHeadline(state: AlertState): string {
  const level = LABELS[state.level];
  const dry = state.dryRun ? ' (dry run)' : '';
  const words: Record<Exclude<AlertStatus, 'open'>, string> = {
    reverted: `:white_check_mark: Reverted${dry} — was ${level}`,
    reverting: `:hourglass_flowing_sand: Reverting${dry} — ${level}`,
    'revert-failed': `:x: Revert failed — ${level}`,
    quarantined: `:lock: Caller quarantined${dry} — ${level}`,
    quarantining: `:hourglass_flowing_sand: Quarantining the caller — ${level}`,
    denied: `:warning: ${nameOf(state.by)} says it wasn't them — ${level}`,
    confirmed: `:ballot_box_with_check: Confirmed by ${nameOf(state.by)} — ${level}`,
    acknowledged: `:eyes: Acknowledged by ${nameOf(state.by)} — ${level}`,
  };
  return state.status === 'open' ? '' : words[state.status];
}

/** The status line beside the coloured bar: where the alert stands, in a few words. */
export function statusLine(state: AlertState, who: string | undefined): string {
  const by = who ? ` by ${who}` : '';
  const dry = state.dryRun ? ' — a dry run: IAM was only simulated, nothing changed in AWS' : '';
  switch (state.status) {
    case 'open':
      return state.level === 'critical'
        ? '*Open critical* — nobody has acknowledged it yet'
        : '*Open* — nobody has acknowledged it yet';
    case 'acknowledged':
      return `*In hand* — acknowledged${by}`;
    case 'reverting':
      return `*In hand* — revert in progress${by}${dry}`;
    case 'quarantining':
      return `*In hand* — quarantine being applied${by}`;
    case 'reverted':
      return `*Handled* — reverted${by}${dry}`;
    case 'quarantined':
      return `*Handled* — caller quarantined${by}${dry}; the change itself still stands until reverted`;
    case 'confirmed':
      // The actor's own word: a responder still has to look (the caller may have chosen who was asked).
      return `${state.handling === 'open' ? '*Open critical*' : '*In hand*'} — confirmed${by} as their change; a responder still has to acknowledge or revert it`;
    case 'revert-failed':
      return `*Open* — the revert${by} failed: finish it by hand`;
    case 'denied':
      return `*Open* — ${who ?? 'the actor'} says they did not make this change`;
  }
}

/** The coloured attachment holding the status line (mrkdwn, already escaped by the caller). */
export function statusAttachment(state: AlertState, line: string): MessageAttachment {
  return {
    color: alertColour(state),
    fallback: line.replace(/\*/g, ''),
    blocks: [{ type: 'context', elements: [{ type: 'mrkdwn', text: line }] }],
  };
}
