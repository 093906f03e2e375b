/**
 * Pure builders for what the responder path says besides the alert itself: the thread notes (acknowledged,
 * revert requested, what a revert or quarantine did) and the ephemeral answers to one person (not allowed,
 * already acknowledged, already reverted, something went wrong and what to do). Every value from an event, from
 * IAM or typed by a person is escaped, and each message keeps Slack's limits.
 */
import type { KnownBlock } from '@slack/types';
import type { ChangeAccount } from '../app/alert-port';
import type { AuditActor } from '../app/audit-port';
import type { GuardedAction, ResponderAction } from '../app/authorize';
import type { LiftOutcome, QuarantineOutcome } from '../app/quarantine-service';
import type { Acknowledgement, QuarantineRecord, RevertRecord, RevertStepResult } from '../app/revert-port';
import type { DriftCheck, RevertOutcome } from '../app/revert-service';
import type { IamEntity } from '../domain/drift';
import { toCliCommand } from '../domain/revert';
import { section } from './blocks';
import { inlineCode, truncate } from './escape';
import { modeList, stillPossible } from './quarantine-words';
import type { SlackMessage } from './render';
import { slackDate } from './render';
import { changeAccountInline, changeAccountPlain } from './render-account';
import { codeSections, driftBlocks, stateLines } from './render-confirm';
import { mentionOf, reasonText } from './render-state';

const MAX_BLOCKS = 50;
/** Said under every outcome that ran on the local runtime's simulated IAM. */
const DRY_RUN_LINE =
  ':test_tube: _A dry run: no AWS is configured, so IAM is simulated on this machine. Nothing changed in any AWS account._';
/** Code blocks a thread note may take: the rest of the note needs a few of Slack's 50. */
const MAX_CODE_BLOCKS = 40;
/** Code blocks a described state (what IAM shows now) may take in a note. */
const MAX_STATE_BLOCKS = 5;

function note(text: string, blocks: KnownBlock[]): SlackMessage {
  return { text: truncate(text, 3000), blocks: blocks.slice(0, MAX_BLOCKS) };
}

/** ` in *prod-payments* (111122223333)` (mrkdwn) and ` in prod-payments (111122223333)` (raw, for `note`'s text). */
function inAccount(where: ChangeAccount | undefined): { mrkdwn: string; plain: string } {
  if (!where?.accountId) return { mrkdwn: '', plain: '' };
  return { mrkdwn: ` in ${changeAccountInline(where)}`, plain: ` in ${changeAccountPlain(where)}` };
}

const VERBS: Record<GuardedAction, string> = {
  revert: 'revert changes',
  quarantine: 'quarantine callers',
  'lift-quarantine': 'lift quarantines',
  mute: 'mute alerts',
  unmute: 'lift mutes',
  expect: 'announce expected changes',
};

/** `<@U…>` for users, `<!subteam^S…>` for user groups: how Slack shows the configured responders. */
function responderMention(id: string): string {
  if (/^S[A-Z0-9]+$/.test(id)) return `<!subteam^${id}>`;
  if (/^[UW][A-Z0-9]+$/.test(id)) return `<@${id}>`;
  return inlineCode(id, 40);
}

/**
 * The ephemeral refusal for someone not allowed to revert or quarantine: who may ("Only @alice, @secops may
 * revert changes"), and where to ask. Sent only to the person who clicked, so the group mention pings nobody.
 */
export function renderUnauthorised(
  action: GuardedAction,
  responders: readonly string[],
  channel?: string,
): SlackMessage {
  const where = channel && /^[CGD][A-Z0-9]+$/.test(channel) ? `<#${channel}>` : 'the alert channel';
  if (responders.length === 0) {
    return note('Nobody may revert or quarantine from Slack yet', [
      section(
        `:no_entry: Nobody may ${VERBS[action]} from Slack yet: no responders are configured (${inlineCode('SLACK_RESPONDERS')}). Ask the team that runs iam-changes in ${where}.`,
      ),
    ]);
  }
  const shown = responders.slice(0, 20).map(responderMention);
  const more = responders.length > shown.length ? ` and ${responders.length - shown.length} more` : '';
  return note(`You are not allowed to ${VERBS[action]}`, [
    section(
      `:no_entry: Only ${shown.join(', ')}${more} may ${VERBS[action]}. Ask one of them in ${where}. Your attempt was recorded in the audit log.`,
    ),
  ]);
}

/** Ephemeral: someone acknowledged first. */
export function renderAlreadyAcknowledged(ack: Acknowledgement): SlackMessage {
  return note(`Already acknowledged by ${ack.by.name}`, [
    section(`:raised_hand: Already acknowledged by ${mentionOf(ack.by)} at ${slackDate(ack.at)}.`),
  ]);
}

/** Thread note: who took the alert. */
export function renderAcknowledgedNote(ack: Acknowledgement): SlackMessage {
  return note(`Acknowledged by ${ack.by.name}`, [
    section(`:raised_hand: ${mentionOf(ack.by)} acknowledged this at ${slackDate(ack.at)} — they're on it.`),
  ]);
}

const REQUESTED: Record<ResponderAction, string> = {
  revert: ':hourglass_flowing_sand: *Revert requested*',
  quarantine: ':hourglass_flowing_sand: *Quarantine of the caller requested*',
  'lift-quarantine': ':hourglass_flowing_sand: *Lift of the quarantine requested*',
};

/** Thread note posted when a confirmation is submitted, before the worker runs it. */
export function renderRequestedNote(action: ResponderAction, by: AuditActor, reason: string): SlackMessage {
  return note(`${action} requested by ${by.name}`, [
    section(
      `${REQUESTED[action]} by ${mentionOf(by)} — ${reasonText(reason)}\nThe result follows in this thread.`,
    ),
  ]);
}

/** Ephemeral: something went wrong on the way; nothing (more) happened, and what to do. */
export function renderProblem(what: string, detail: string, advice = 'Try again in a minute.'): SlackMessage {
  return note(`${what}: ${detail}`, [
    section(`:warning: *${truncate(what, 200)}*: ${truncate(detail, 1200)}\n${truncate(advice, 600)}`),
  ]);
}

const STEP_MARKS: Record<RevertStepResult['status'], string> = { done: '✓', failed: '✗', 'not-run': '–' };

/** The steps as they ran: one line each, its mark and its `aws iam` command (and the error of a failed one). */
function stepLines(steps: RevertStepResult[]): string[] {
  return steps.map(
    (step) =>
      `${STEP_MARKS[step.status]} ${step.cli}${step.error ? `\n    ✗ ${step.error.split('\n')[0]}` : ''}`,
  );
}

/** A drift that refused a revert, as the modal shows it: the live and the expected state in code blocks. */
function refusedDrift(drift: DriftCheck | undefined): KnownBlock[] {
  if (!drift || !('drifted' in drift) || !drift.drifted) return [];
  return driftBlocks(drift);
}

/** Ephemeral or note: a revert someone else claimed first. */
export function describeClaimed(existing: RevertRecord): string {
  const who = mentionOf(existing.by);
  switch (existing.status) {
    case 'claimed':
      return `Already being reverted by ${who} (since ${slackDate(existing.at)}): nothing more was done.`;
    case 'done':
      return `Already reverted by ${who} at ${slackDate(existing.finishedAt ?? existing.at)}: nothing more was done.`;
    case 'failed':
      return `A revert by ${who} failed at ${slackDate(existing.finishedAt ?? existing.at)}: check IAM and finish it by hand.`;
    case 'refused':
      return `The last revert by ${who} was refused.`;
  }
}

/**
 * The thread note on how a revert ended: done (the calls that ran, as `aws iam` commands, and what IAM shows
 * now), refused (why, with current vs expected on drift: nothing ran), failed (which calls ran, which failed and
 * which did not run), or already claimed by someone else.
 */
export function renderRevertOutcome(
  outcome: RevertOutcome,
  by: AuditActor,
  account?: ChangeAccount,
): SlackMessage {
  const where = `see the audit log (${inlineCode('revert')} entries) for every call`;
  const inside = inAccount(account);
  switch (outcome.status) {
    case 'done': {
      const record = outcome.record;
      const dry = record.dryRun === true;
      return note(`Reverted${dry ? ' (dry run)' : ''}${inside.plain} by ${by.name}`, [
        section(
          `:leftwards_arrow_with_hook: *Reverted${dry ? ' (dry run)' : ''}*${inside.mrkdwn} by ${mentionOf(by)} — ${reasonText(record.reason)}${dry ? `\n${DRY_RUN_LINE}` : ''}\n*${dry ? 'Ran on the simulated IAM' : 'Ran'}:*`,
        ),
        ...codeSections(stepLines(record.steps), MAX_CODE_BLOCKS, where),
        section(dry ? '*The simulated IAM now shows:*' : '*IAM now shows:*'),
        ...codeSections(stateLines(outcome.verification.current), MAX_STATE_BLOCKS),
      ]);
    }
    case 'refused':
      return note(`Revert refused${inside.plain}: ${outcome.reason}`, [
        section(
          `:no_entry: *Revert refused*${inside.mrkdwn} (requested by ${mentionOf(by)}): ${truncate(outcome.reason, 1200)}\nNothing ran.`,
        ),
        ...refusedDrift(outcome.preview.drift),
      ]);
    case 'failed': {
      const steps = outcome.record.steps;
      const blocks: KnownBlock[] = [
        section(
          `:x: *Revert failed*${inside.mrkdwn} (requested by ${mentionOf(by)}): ${truncate(outcome.error, 1500)}\nCheck IAM: the calls marked ✓ ran, ✗ failed, – did not run. Finish it by hand.`,
        ),
      ];
      if (steps.length > 0) blocks.push(...codeSections(stepLines(steps), MAX_CODE_BLOCKS, where));
      return note(`Revert failed${inside.plain}: ${outcome.error}`, blocks);
    }
    case 'already-claimed':
      return note('Already reverted', [section(`:information_source: ${describeClaimed(outcome.existing)}`)]);
  }
}

function kindName(entity: IamEntity): string {
  return entity.kind === 'role' ? 'Role' : entity.kind === 'user' ? 'User' : 'Group';
}

/** The calls a quarantine ran, as the thread shows them: the deny attached, then each key set Inactive. */
function quarantineCalls(target: IamEntity, policyArn: string, deactivatedKeys: readonly string[]): string[] {
  return [
    `✓ ${entityCli(target, policyArn, 'Attach')}`,
    ...deactivatedKeys.map(
      (key) =>
        `✓ ${toCliCommand({ action: 'iam:UpdateAccessKey', params: { UserName: target.name, AccessKeyId: key, Status: 'Inactive' } })}`,
    ),
  ];
}

function entityCli(entity: IamEntity, policyArn: string, verb: 'Attach' | 'Detach'): string {
  return toCliCommand({
    action: `iam:${verb}${kindName(entity)}Policy`,
    params: { [`${kindName(entity)}Name`]: entity.name, PolicyArn: policyArn },
  });
}

/** Who holds a change's quarantine, and since when. */
function describeQuarantineClaim(record: QuarantineRecord): string {
  const who = mentionOf(record.by);
  const principal = entityText(record.target);
  switch (record.status) {
    case 'claimed':
      return `A quarantine of ${principal} by ${who} is already being applied (since ${slackDate(record.at)})`;
    case 'active':
      return `${principal} is already quarantined for this change by ${who} (${slackDate(record.at)})`;
    default:
      return `The quarantine of ${principal} by ${who} is ${record.status}`;
  }
}

function entityText(entity: IamEntity): string {
  return inlineCode(`${entity.kind}/${entity.name}`, 200);
}

/** The thread note on how a quarantine ended. */
export function renderQuarantineOutcome(
  outcome: QuarantineOutcome,
  by: AuditActor,
  reason: string,
  account?: ChangeAccount,
): SlackMessage {
  const inside = inAccount(account);
  switch (outcome.status) {
    case 'done': {
      const ran = quarantineCalls(outcome.target, outcome.policyArn, outcome.deactivatedKeys);
      const keys =
        outcome.deactivatedKeys.length > 0
          ? ` Access keys set Inactive (restored on lift): ${outcome.deactivatedKeys.map((key) => inlineCode(key, 40)).join(', ')}.`
          : outcome.modes.includes('deactivate-keys')
            ? ' It had no active access keys to deactivate.'
            : '';
      const dry = outcome.dryRun === true;
      const blocks: KnownBlock[] = [
        section(
          `:lock: *Quarantined${dry ? ' (dry run)' : ''}* ${entityText(outcome.target)}${inside.mrkdwn} by ${mentionOf(by)} — ${reasonText(reason)}${dry ? `\n${DRY_RUN_LINE}` : ''}
*Modes:* ${inlineCode(modeList(outcome.modes), 100)}.${keys}
${stillPossible(outcome.modes, outcome.target.kind)}
*${dry ? 'Ran on the simulated IAM' : 'Ran'}:*`,
        ),
        ...codeSections(ran, 4),
      ];
      if (outcome.warnings.length > 0) blocks.push(warningsSection(outcome.warnings));
      return note(`Caller quarantined${dry ? ' (dry run)' : ''}${inside.plain} by ${by.name}`, blocks);
    }
    case 'already-claimed':
      return note('Quarantine already claimed', [
        section(
          `:information_source: ${describeQuarantineClaim(outcome.existing)}: this request did nothing.`,
        ),
      ]);
    case 'modes-added': {
      const ran = quarantineCalls(outcome.target, outcome.policyArn, outcome.deactivatedKeys);
      const keys =
        outcome.deactivatedKeys.length > 0
          ? ` Access keys set Inactive (restored on lift, with any the quarantine turned off before): ${outcome.deactivatedKeys.map((key) => inlineCode(key, 40)).join(', ')}.`
          : outcome.added.includes('deactivate-keys')
            ? ' It had no active access keys to deactivate.'
            : '';
      const dry = outcome.dryRun === true;
      const blocks: KnownBlock[] = [
        section(
          `:lock: *Quarantine strengthened${dry ? ' (dry run)' : ''}*: ${entityText(outcome.target)}${inside.mrkdwn} was already quarantined; ${mentionOf(by)} added ${inlineCode(modeList(outcome.added), 100)} — ${reasonText(reason)}${dry ? `\n${DRY_RUN_LINE}` : ''}
*Modes now in force:* ${inlineCode(modeList(outcome.modes), 100)} (one deny policy, ${inlineCode(outcome.policyArn, 300)}, replaced the earlier one).${keys}
${stillPossible(outcome.modes, outcome.target.kind)}
*${dry ? 'Ran on the simulated IAM' : 'Ran'}:*`,
        ),
        ...codeSections(ran, 4),
      ];
      if (outcome.warnings.length > 0) blocks.push(warningsSection(outcome.warnings));
      return note(
        `Quarantine strengthened${dry ? ' (dry run)' : ''}${inside.plain} by ${by.name}: ${modeList(outcome.added)} added`,
        blocks,
      );
    }
    case 'already-quarantined':
      return note(`Already quarantined (${modeList(outcome.modes)})`, [
        section(
          `:information_source: ${entityText(outcome.target)} is already quarantined with ${inlineCode(modeList(outcome.modes), 100)} (${inlineCode(outcome.policyArn, 300)} is attached): the request asked for nothing more, so nothing was done.`,
        ),
      ]);
    case 'refused':
      return note(`Quarantine refused${inside.plain}: ${outcome.reason}`, [
        section(
          `:no_entry: *Quarantine refused*${inside.mrkdwn} (requested by ${mentionOf(by)}): ${truncate(outcome.reason, 1500)}. Nothing ran.`,
        ),
      ]);
    case 'failed': {
      const slots = outcome.attachedPolicies;
      const blocks: KnownBlock[] = [
        section(
          `:x: *Quarantine failed*${inside.mrkdwn} (requested by ${mentionOf(by)}): ${truncate(outcome.error, 1500)}${slots ? '' : `\nCheck IAM: ${outcome.target ? `${entityText(outcome.target)} may or may not have the deny policy attached.` : 'nothing was attached.'}`}`,
        ),
      ];
      if (slots && outcome.target) {
        const shown = slots.slice(0, 10).map((arn) => `• ${inlineCode(arn, 200)}`);
        const more = slots.length > shown.length ? `\n…and ${slots.length - shown.length} more` : '';
        blocks.push(
          section(
            `*Also attached to ${entityText(outcome.target)}* (detach one it can spare by hand, e.g. ${inlineCode(entityCli(outcome.target, '<policy-arn>', 'Detach'), 300)}):\n${shown.join('\n')}${more}`,
          ),
        );
      }
      return note(`Quarantine failed${inside.plain}: ${outcome.error}`, blocks);
    }
  }
}

/** What went wrong on the side of a quarantine or a lift that did its main work: the first ten, each cut short. */
function warningsSection(warnings: readonly string[]): KnownBlock {
  return section(
    `:warning: ${warnings
      .slice(0, 10)
      .map((warning) => truncate(warning, 300))
      .join('\n')}`,
  );
}

/** The thread note on how lifting a quarantine ended. */
export function renderLiftOutcome(
  outcome: LiftOutcome,
  by: AuditActor,
  reason: string,
  account?: ChangeAccount,
): SlackMessage {
  const inside = inAccount(account);
  switch (outcome.status) {
    case 'lifted': {
      const ran = [
        `✓ ${entityCli(outcome.target, outcome.policyArn, 'Detach')}`,
        ...outcome.restoredKeys.map(
          (key) =>
            `✓ ${toCliCommand({ action: 'iam:UpdateAccessKey', params: { UserName: outcome.target.name, AccessKeyId: key, Status: 'Active' } })}`,
        ),
      ];
      const modes = outcome.modes ? ` (modes ${inlineCode(modeList(outcome.modes), 100)})` : '';
      const keys =
        outcome.restoredKeys.length > 0
          ? `
Access keys set Active again: ${outcome.restoredKeys.map((key) => inlineCode(key, 40)).join(', ')}.`
          : '';
      const dry = outcome.dryRun === true;
      const blocks: KnownBlock[] = [
        section(
          `:unlock: *Quarantine lifted${dry ? ' (dry run)' : ''}*${modes} from ${entityText(outcome.target)}${inside.mrkdwn} by ${mentionOf(by)} — ${reasonText(reason)}${keys}${dry ? `\n${DRY_RUN_LINE}` : ''}
*${dry ? 'Ran on the simulated IAM' : 'Ran'}:*`,
        ),
        ...codeSections(ran, 4),
      ];
      if (outcome.warnings.length > 0) blocks.push(warningsSection(outcome.warnings));
      return note(`Quarantine lifted${dry ? ' (dry run)' : ''}${inside.plain} by ${by.name}`, blocks);
    }
    case 'not-quarantined':
      return note('Not quarantined', [
        section(
          `:information_source: ${entityText(outcome.target)} has no quarantine policy attached: nothing to lift.`,
        ),
      ]);
    case 'refused':
      return note(`Lift refused: ${outcome.reason}`, [
        section(
          `:no_entry: *Lift refused*${inside.mrkdwn} (requested by ${mentionOf(by)}): ${truncate(outcome.reason, 1500)}.`,
        ),
      ]);
    case 'failed':
      return note(`Lift failed: ${outcome.error}`, [
        section(
          `:x: *Lifting the quarantine failed*${inside.mrkdwn} (requested by ${mentionOf(by)}): ${truncate(outcome.error, 1500)}\nCheck IAM: ${entityText(outcome.target)} may still have the deny policy attached.`,
        ),
      ]);
  }
}

/** The first answer to `/iam-changes status`: the audit takes several AWS calls, so the report follows. */
export function renderStatusChecking(): SlackMessage & { response_type: 'ephemeral' } {
  return {
    response_type: 'ephemeral',
    text: 'Checking CIS 4.4…',
    blocks: [
      section(
        ':hourglass_flowing_sand: Checking CIS 4.4 in this account: trail → log group → metric filter → alarm → SNS topic → subscriber. The report will appear here in a few seconds.',
      ),
    ],
  };
}
