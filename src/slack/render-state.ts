/**
 * Pure builder: an alert re-rendered with what responders did about it — acknowledged, reverted (or the revert
 * in progress, failed or refused), the caller quarantined or the quarantine lifted. Buttons that no longer make
 * sense go (Acknowledge once acknowledged, Revert once a revert ran), Quarantine becomes Lift quarantine while
 * the caller is quarantined, and an update never pings `<!here>` again.
 */
import type { ActionsBlock, Button, HeaderBlock, KnownBlock } from '@slack/types';
import { type AlertState, alertStateOf } from '../app/alert-state';
import type { AuditActor } from '../app/audit-port';
import type { RespondedChange } from '../app/revert-port';
import { ACTOR_SOURCE_EXPLAINED } from '../domain/actor-mapping';
import { raiseLevel } from '../domain/risk/levels';
import { ACTION_IDS, MAX_BUTTON_VALUE_LENGTH } from './action-ids';
import { stateHeadline, statusAttachment, statusLine } from './alert-look';
import { context } from './blocks';
import { inlineCode, truncate, truncateEscaped } from './escape';
import { changeHeadline, renderChange, type SlackMessage, slackDate } from './render';
import { withBurstCount } from './render-burst';

const MAX_BLOCKS = 50;
const MAX_REASON = 500;
const MAX_HEADER = 150;
const DRY_RUN_NOTE = '_(a dry run: IAM was only simulated, nothing changed in AWS)_';
const MAX_ERROR = 800;
const MENTION = '<!here> ';

/** A Slack user id as Slack writes it in a mention: `U…`, or `W…` on Enterprise Grid. */
const USER_ID = /^[UW][A-Z0-9]{2,}$/;

/**
 * Who did something, for a message: a `<@U…>` mention (shown as their current name) when the Slack user id is
 * known and well formed, else their name in bold, escaped.
 */
export function mentionOf(actor: AuditActor): string {
  if (actor.slackUserId && USER_ID.test(actor.slackUserId)) return `<@${actor.slackUserId}>`;
  return `*${truncate(actor.name || 'someone', 100)}*`;
}

/** A reason a person typed, escaped and cut for a message line. */
export function reasonText(reason: string, max = MAX_REASON): string {
  const text = reason.trim() === '' ? '(no reason given)' : reason.replace(/\s+/g, ' ').trim();
  return `_${truncate(text, max)}_`;
}

/** The lines that say what responders did, in the order it matters: revert, quarantine, acknowledgement. */
function stateLines(stored: RespondedChange): string[] {
  const lines: string[] = [];
  const revert = stored.revert;
  if (revert) {
    const who = mentionOf(revert.by);
    const when = slackDate(revert.finishedAt ?? revert.at);
    const dry = revert.dryRun ? ' (dry run)' : '';
    switch (revert.status) {
      case 'claimed':
        lines.push(
          `:hourglass_flowing_sand: *Revert in progress${dry}* — requested by ${who} at ${slackDate(revert.at)}: ${reasonText(revert.reason)}`,
        );
        break;
      case 'done':
        lines.push(
          `:leftwards_arrow_with_hook: *Reverted${dry}* by ${who} at ${when} — ${reasonText(revert.reason)}${revert.dryRun ? ` ${DRY_RUN_NOTE}` : ''}`,
        );
        break;
      case 'failed':
        lines.push(
          `:x: *Revert failed*: ${truncate(revert.error ?? 'see the thread', MAX_ERROR)} — requested by ${who} at ${when}. Check IAM and finish it by hand.`,
        );
        break;
      case 'refused':
        lines.push(
          `:no_entry: *Revert refused*: ${truncate(revert.error ?? 'see the thread', MAX_ERROR)} — requested by ${who} at ${when}`,
        );
        break;
    }
  }
  const quarantine = stored.quarantine;
  if (quarantine) {
    const principal = inlineCode(`${quarantine.target.kind}/${quarantine.target.name}`, 150);
    const who = mentionOf(quarantine.by);
    switch (quarantine.status) {
      case 'claimed':
        lines.push(
          `:hourglass_flowing_sand: *Quarantine being applied* by ${who} since ${slackDate(quarantine.at)}: ${principal}`,
        );
        break;
      case 'active':
        lines.push(
          `:lock: *Caller quarantined${quarantine.dryRun ? ' (dry run)' : ''}* by ${who} at ${slackDate(quarantine.at)}: ${principal} is denied IAM and sts:AssumeRole (modes ${inlineCode((quarantine.modes ?? ['deny-iam']).join(', '), 100)}) — ${reasonText(quarantine.reason)}`,
        );
        // Modes added since (the latest few): who strengthened it, when, and with what.
        for (const added of (quarantine.modesAdded ?? []).slice(-3)) {
          lines.push(
            `:heavy_plus_sign: ${inlineCode(added.added.join(', '), 100)} added by ${mentionOf(added.by)} at ${slackDate(added.at)} — ${reasonText(added.reason)}`,
          );
        }
        break;
      case 'lifted': {
        const lifted = quarantine.lifted;
        const by = lifted
          ? ` by ${mentionOf(lifted.by)} at ${slackDate(lifted.at)} — ${reasonText(lifted.reason)}`
          : '';
        lines.push(`:unlock: *Quarantine lifted*${by} (${principal} was quarantined by ${who})`);
        break;
      }
      case 'failed':
        lines.push(
          `:warning: *Quarantine failed*: ${truncate(quarantine.error ?? 'see the thread', MAX_ERROR)} — requested by ${who} at ${slackDate(quarantine.at)}`,
        );
        break;
    }
  }
  const answer = stored.actorAnswer;
  if (answer) {
    const ticket = answer.ticket ? ` (${inlineCode(answer.ticket, 100)})` : '';
    const reason = answer.reason ? `: ${reasonText(answer.reason)}` : '';
    lines.push(
      answer.answer === 'confirmed'
        ? `:ballot_box_with_check: ${mentionOf(answer.by)} *confirmed* they made this change at ${slackDate(answer.at)}${reason}${ticket}`
        : `:warning: ${mentionOf(answer.by)} *says they did not make this change* (${slackDate(answer.at)})${reason} — risk raised from ${stored.change.risk.level.toUpperCase()} to ${raiseLevel(stored.change.risk.level).toUpperCase()}`,
    );
  } else if (stored.actorAsk?.dmFailed) {
    lines.push(
      `:warning: ${mentionOf({ slackUserId: stored.actorAsk.slackUserId, name: 'the actor' })} could not be asked "was this you?": ${truncate(stored.actorAsk.dmFailed.why, MAX_ERROR)}`,
    );
  } else if (stored.actorAsk?.timedOutAt) {
    lines.push(
      `:hourglass: ${mentionOf({ slackUserId: stored.actorAsk.slackUserId, name: 'the actor' })} was asked "was this you?" at ${slackDate(stored.actorAsk.at)}${foundBy(stored.actorAsk.source)} and has not answered`,
    );
  } else if (stored.actorAsk) {
    lines.push(
      `:speech_balloon: Asked ${mentionOf({ slackUserId: stored.actorAsk.slackUserId, name: 'the actor' })} "was this you?" at ${slackDate(stored.actorAsk.at)}${foundBy(stored.actorAsk.source)}`,
    );
  }
  // How the person was found, next to their "Yes": a caller may have chosen whom the bot asked.
  if (answer && stored.actorAsk)
    lines.push(`:mag: ${mentionOf(answer.by)} was ${foundByText(stored.actorAsk.source)}`);
  const ack = stored.acknowledgement;
  if (ack) lines.push(`:raised_hand: *Acknowledged* by ${mentionOf(ack.by)} at ${slackDate(ack.at)}`);
  return lines;
}

/** How the asked person was found, as the alert says it (`found by the configured mapping`, …). */
function foundByText(source: string): string {
  return (ACTOR_SOURCE_EXPLAINED as Record<string, string>)[source] ?? `found by ${inlineCode(source, 40)}`;
}

/** ` — found by …`, to follow "Asked @x". */
function foundBy(source: string): string {
  return ` — ${foundByText(source)}`;
}

/** Short tags for the fallback text (notifications, screen readers), escaped like the rest of it. */
function stateTags(stored: RespondedChange): string[] {
  const tags: string[] = [];
  if (stored.revert) {
    const words = {
      claimed: 'reverting',
      done: 'reverted',
      failed: 'revert failed',
      refused: 'revert refused',
    };
    tags.push(`${words[stored.revert.status]}${stored.revert.dryRun ? ' (dry run)' : ''}`);
  }
  if (stored.quarantine?.status === 'active') tags.push('caller quarantined');
  if (stored.quarantine?.status === 'lifted') tags.push('quarantine lifted');
  if (stored.actorAnswer) {
    const name = truncate(stored.actorAnswer.by.name || 'the actor', 100);
    tags.push(
      stored.actorAnswer.answer === 'confirmed' ? `confirmed by ${name}` : `${name} says it wasn't them`,
    );
  }
  if (stored.acknowledgement) {
    tags.push(`acknowledged by ${truncate(stored.acknowledgement.by.name || 'someone', 100)}`);
  }
  return tags;
}

function liftButton(eventId: string): Button {
  return {
    type: 'button',
    action_id: ACTION_IDS.LIFT_QUARANTINE,
    text: { type: 'plain_text', text: 'Lift quarantine' },
    value: eventId,
  };
}

/** The alert's buttons as they should be now; undefined when none is left. */
function actionsFor(block: ActionsBlock | undefined, stored: RespondedChange): ActionsBlock | undefined {
  const eventId = stored.change.eventId;
  const revertTaken = stored.revert !== undefined && stored.revert.status !== 'refused';
  const quarantined = stored.quarantine?.status === 'active';
  const elements: ActionsBlock['elements'] = [];
  for (const element of block?.elements ?? []) {
    const id = 'action_id' in element ? element.action_id : undefined;
    if (id === ACTION_IDS.ACKNOWLEDGE && stored.acknowledgement) continue;
    if (id === ACTION_IDS.REVERT && revertTaken) continue;
    if (id === ACTION_IDS.LIFT_QUARANTINE) continue;
    if (id === ACTION_IDS.QUARANTINE && quarantined) continue;
    elements.push(element);
  }
  if (quarantined && eventId.length <= MAX_BUTTON_VALUE_LENGTH) elements.push(liftButton(eventId));
  if (elements.length === 0) return undefined;
  return { ...block, type: 'actions', elements };
}

/** The header says where the alert stands (`✅ Reverted — was CRITICAL · …`); an open alert keeps its own. */
function withStateHeader(block: HeaderBlock, state: AlertState, stored: RespondedChange): HeaderBlock {
  if (state.status === 'open') return block;
  const text = truncate(`${stateHeadline(state)} · ${changeHeadline(stored.change)}`, MAX_HEADER);
  return { ...block, text: { ...block.text, text } };
}

/** The first section loses the `<!here> ` the alert may have been posted with: an update never pings again. */
function withoutMention(block: KnownBlock): KnownBlock {
  if (block.type === 'section' && block.text?.text.startsWith(MENTION)) {
    return { ...block, text: { ...block.text, text: block.text.text.slice(MENTION.length) } };
  }
  return block;
}

/**
 * The alert `message` (as `renderChange` made it, or with a burst's running count) with its response state:
 * a context block before the buttons saying who acknowledged, reverted or quarantined and when (with the
 * reason), and the buttons adjusted — Acknowledge gone once acknowledged, Revert gone once a revert is under
 * way, done or failed (a refused revert may be tried again), Quarantine replaced by "Lift quarantine"
 * ({@link ACTION_IDS.LIFT_QUARANTINE}) while the caller is quarantined. `<!here>` is never in the result.
 */
export function withResponseState(message: SlackMessage, stored: RespondedChange): SlackMessage {
  const state = alertStateOf(stored);
  const lines = stateLines(stored);
  const tags = stateTags(stored);
  const text = message.text.startsWith(MENTION) ? message.text.slice(MENTION.length) : message.text;
  const blocks: KnownBlock[] = [];
  let actions: ActionsBlock | undefined;
  // "No, it wasn't me": the risk goes up one level and the buttons (Revert, Quarantine) come to the top.
  const denied = state.status === 'denied';
  const shown = denied ? { ...state, level: raiseLevel(state.level) } : state;
  for (const block of message.blocks) {
    if (block.type === 'actions' && actions === undefined) actions = block;
    else if (block.type === 'header') blocks.push(withStateHeader(block, shown, stored));
    else blocks.push(withoutMention(block));
  }
  // At most three lines, each a few hundred characters (reasons and errors are cut): far under Slack's limits.
  const adjusted = actionsFor(actions, stored);
  if (denied) {
    const top = blocks[0]?.type === 'header' ? 1 : 0;
    blocks.splice(top, 0, ...(lines.length > 0 ? [context(lines)] : []), ...(adjusted ? [adjusted] : []));
  } else {
    if (lines.length > 0) blocks.push(context(lines));
    if (adjusted) blocks.push(adjusted);
  }
  // Slack's 50 blocks: the head, the state and the buttons stay; the policy readings give way first.
  while (blocks.length > MAX_BLOCKS) blocks.splice(4, 1);
  const fallback = tags.length > 0 ? `[${tags.join(', ')}] ${text}` : text;
  const line = statusLine(shown, shown.by ? mentionOf(shown.by) : undefined);
  return { text: truncateEscaped(fallback, 40_000), blocks, attachments: [statusAttachment(shown, line)] };
}

/**
 * A change's alert as it now stands, for an update in place: its message without the `<!here>`, the running
 * count when it is a burst's parent, and what responders did. Every re-render — an acknowledgement, a revert, a
 * new count — goes through here, so none of them drops what another added.
 */
export function renderAlertUpdate(stored: RespondedChange): SlackMessage {
  const message = renderChange(stored.change, { mentionOnCritical: false });
  const note = stored.burstNote;
  return withResponseState(
    note ? withBurstCount(message, note, stored.change.revert.supported) : message,
    stored,
  );
}
