/**
 * Pure builder of the bot's Home tab (`views.publish`, `type: home`) from {@link HomeFacts}: the open alerts most
 * severe first, the last seven days' counts, the CIS 4.4 status as last checked, active quarantines, the last
 * reverts, and the active mutes and expectations. Responders get each alert's buttons — the same action ids as
 * the alert's, so a click goes through the same listeners, checks and signed jobs; everyone else reads only.
 * Values from events are escaped; Slack's limits hold (100 blocks, 3000 characters a section).
 */
import type { ActionsBlock, Button, HomeView, KnownBlock } from '@slack/types';
import { alertStateOf } from '../app/alert-state';
import type { HomeFacts } from '../app/home-service';
import { type QuarantineRecord, recordedBeforeJobs, restorableKeys } from '../app/revert-port';
import { policyNameOf } from '../domain/quarantine';
import { toCliCommand } from '../domain/revert';
import { type RevertStep, RISK_LEVELS } from '../domain/types';
import { ACTION_IDS, MAX_BUTTON_VALUE_LENGTH } from './action-ids';
import { context, section } from './blocks';
import { inlineCode, truncate } from './escape';
import { describeChange, LEVELS, slackDate } from './render';
import { codeSections } from './render-confirm';
import { endExpectationButton } from './render-expectation';
import { unmuteButton } from './render-mute';
import { mentionOf, reasonText } from './render-state';

/** Slack's limit on a Home view's blocks. */
const MAX_HOME_BLOCKS = 100;

function header(text: string): KnownBlock {
  return { type: 'header', text: { type: 'plain_text', text: truncate(text, 150), emoji: true } };
}

function button(actionId: string, label: string, value: string, style?: 'primary' | 'danger'): Button {
  return {
    type: 'button',
    action_id: actionId,
    text: { type: 'plain_text', text: label },
    value,
    ...(style ? { style } : {}),
  };
}

/** An alert's buttons on the Home tab, by what can still be done; none when its event id is too long. */
function alertActions(stored: HomeFacts['open'][number], index: number): ActionsBlock | undefined {
  const eventId = stored.change.eventId;
  if (eventId.length > MAX_BUTTON_VALUE_LENGTH) return undefined;
  const elements: Button[] = [];
  if (!stored.acknowledgement)
    elements.push(button(ACTION_IDS.ACKNOWLEDGE, 'Acknowledge', eventId, 'primary'));
  elements.push(button(ACTION_IDS.VIEW_DIFF, 'View diff', eventId));
  const change = stored.change;
  const revertTaken = stored.revert !== undefined && stored.revert.status !== 'refused';
  if (change.outcome === 'success' && change.revert.supported && !revertTaken)
    elements.push(button(ACTION_IDS.REVERT, 'Revert', eventId, 'danger'));
  const quarantinable = !['root', 'aws-service', 'sso'].includes(change.actor.type);
  if (quarantinable && stored.quarantine?.status !== 'active' && stored.quarantine?.status !== 'claimed')
    elements.push(button(ACTION_IDS.QUARANTINE, 'Quarantine caller', eventId, 'danger'));
  return { type: 'actions', block_id: `home.open.${index}`, elements };
}

function alertLine(stored: HomeFacts['open'][number]): string {
  const change = stored.change;
  const level = LEVELS[change.risk.level];
  const state = alertStateOf(stored);
  const note = state.status === 'open' ? '' : ` · _${state.status.replace(/-/g, ' ')}_`;
  return `${level.emoji} *${level.label}* · ${slackDate(change.eventTime)} · *${truncate(change.actor.name || 'unknown caller', 100)}* ${truncate(describeChange(change), 1200)}${note}`;
}

function levelCounts(byLevel: HomeFacts['week']['byLevel']): string {
  const parts = RISK_LEVELS.filter((level) => (byLevel[level] ?? 0) > 0).map(
    (level) => `${LEVELS[level].emoji} *${byLevel[level]} ${level}*`,
  );
  return parts.length > 0 ? parts.join(' · ') : 'none';
}

/**
 * Every deny policy the bot may have left attached for a quarantine, by what its record names: the policy in force,
 * the policies additions of modes replaced (a job that died before detaching them), and every policy a claim or an
 * addition claimed (jobs that died half-way).
 */
function possiblyAttached(quarantine: QuarantineRecord): string[] {
  return [
    ...new Set([
      quarantine.policyArn,
      ...(quarantine.modesAdded ?? []).map((entry) => entry.replacedPolicyArn),
      ...(quarantine.claimedPolicies ?? []).map((entry) => entry.policyArn),
      ...(quarantine.addingModes ? [quarantine.addingModes.policyArn] : []),
    ]),
  ];
}

/**
 * A quarantine whose change expired from the table: the last state the bot recorded, said to be unconfirmed, and
 * how to lift it by hand (its change is gone, so no Lift button could run). The table alone is not trusted for the
 * keys: the reader reads each policy's description in IAM first and turns on only keys named both there and in the
 * list shown, then detaches and deletes every bot policy that may still be attached.
 */
function expiredQuarantine(quarantine: QuarantineRecord): KnownBlock[] {
  const { target } = quarantine;
  const kind = target.kind === 'role' ? 'Role' : target.kind === 'user' ? 'User' : 'Group';
  const policies = possiblyAttached(quarantine);
  // The keys the store recorded the bot turned off, as the list entry last copied them, each under the job that
  // recorded it and only where that job recorded a policy it created: the only keys a lift would turn on.
  const created = (quarantine.createdPolicies ?? []).filter((entry) => entry.job !== undefined);
  const byJob = [...restorableKeys(quarantine.keysTurnedOff)]
    .map(([keyId, job]) => ({ keyId, job }))
    .filter((entry) => created.some((policy) => policy.job === entry.job));
  const keys = byJob.map((entry) => entry.keyId);
  const ids = created
    .filter((policy) => byJob.some((entry) => entry.job === policy.job))
    .map((policy) => {
      const named = byJob.filter((entry) => entry.job === policy.job).map((entry) => entry.keyId);
      return `${policyNameOf(policy.policyArn)} ${policy.policyId}: ${named.join(' ')}`;
    });
  // A record written before the store kept which job turned each key off: its keys are never offered as a
  // command, only named to check.
  const legacy = recordedBeforeJobs(quarantine)
    ? [
        ...new Set([
          ...(quarantine.deactivatedKeys ?? []),
          ...(quarantine.keysTurnedOff ?? []).map((entry) => entry.keyId),
        ]),
      ]
    : [];
  // An addition refused a managed slot may have put an inline deny, named like its own policy.
  const inline = [
    ...new Set([
      ...(quarantine.inlinePolicyName ? [quarantine.inlinePolicyName] : []),
      ...(quarantine.claimedPolicies ?? [])
        .filter((entry) => entry.kind === 'adding')
        .map((entry) => policyNameOf(entry.policyArn)),
      ...(quarantine.addingModes ? [policyNameOf(quarantine.addingModes.policyArn)] : []),
    ]),
  ];
  const read: RevertStep[] = [
    { action: `iam:ListAttached${kind}Policies`, params: { [`${kind}Name`]: target.name } },
    ...(inline.length > 0
      ? [{ action: `iam:List${kind}Policies` as const, params: { [`${kind}Name`]: target.name } }]
      : []),
    ...policies.map((arn): RevertStep => ({ action: 'iam:GetPolicy', params: { PolicyArn: arn } })),
  ];
  const restore: RevertStep[] = keys.map((key) => ({
    action: 'iam:UpdateAccessKey',
    params: { UserName: target.name, AccessKeyId: key, Status: 'Active' },
  }));
  const remove: RevertStep[] = [
    ...policies.flatMap((arn): RevertStep[] => [
      { action: `iam:Detach${kind}Policy`, params: { [`${kind}Name`]: target.name, PolicyArn: arn } },
      { action: 'iam:DeletePolicy', params: { PolicyArn: arn } },
    ]),
    ...inline.map(
      (name): RevertStep => ({
        action: `iam:Delete${kind}Policy`,
        params: { [`${kind}Name`]: target.name, PolicyName: name },
      }),
    ),
  ];
  const legacyWords =
    legacy.length > 0
      ? `\nRecorded before this version (which keys the bot turned off was not yet recorded per job): ${legacy.map((key) => inlineCode(key, 40)).join(', ')} — check each (its last use, who made it) before turning it on; no command is given for them.`
      : '';
  const keyWords =
    keys.length > 0
      ? `\n2. Turn on again only the keys named *both* in a description read in 1 (\`access keys deactivated: …\`) *and* in this list (the table alone can't say which keys the bot turned off), and only from the policy whose \`PolicyId\` is the one the bot recorded when it made it, for the keys shown with it (${ids.map((id) => inlineCode(id, 200)).join(', ')}): one made again under the same name by someone else has another:`
      : `\n2. The record names no access key the bot may turn on: a key named in a description read in 1 may have been turned off by a job that died; turn one on only if you know it was the bot.${legacyWords}`;
  return [
    section(
      `:grey_question: *State unknown* — ${inlineCode(`${target.kind}/${target.name}`, 150)} was quarantined by ${mentionOf(quarantine.by)} since ${slackDate(quarantine.at)} (modes ${inlineCode((quarantine.modes ?? ['deny-iam']).join(', '), 100)}) — ${reasonText(quarantine.reason, 300)}\nIts change has expired from the bot's table: this is the last state recorded, which the bot can no longer confirm nor lift from Slack. To lift it by hand:\n1. See which of the bot's policies are still attached, and read each one's description in IAM (${policies.length} the record names):`,
    ),
    ...codeSections(read.map(toCliCommand), 1),
    section(keyWords),
    ...(restore.length > 0 ? codeSections(restore.map(toCliCommand), 1) : []),
    ...(keys.length > 0 && legacyWords ? [section(legacyWords.trim())] : []),
    section(
      `3. Only then detach and delete each of those policies still there (the descriptions are the list of keys: deleting them first loses it)${inline.length > 0 ? ', and delete the inline denies of those names that the inline policy list shows' : ''}:`,
    ),
    ...codeSections(remove.map(toCliCommand), 1),
  ];
}

/** The keys a quarantine turned off for good (made during the incident), in words (empty when none). */
function keptOffText(quarantine: QuarantineRecord): string {
  const keys = quarantine.keysKeptOff ?? [];
  if (keys.length === 0) return '';
  const shown = keys
    .slice(0, 5)
    .map((key) => inlineCode(key, 40))
    .join(', ');
  return `\nAccess keys kept off after the lift (created at or after the quarantined change, during the incident): ${shown}${keys.length > 5 ? ` and ${keys.length - 5} more` : ''}`;
}

/** The last addition of modes to a quarantine, in words (empty when none was added). */
function modesAddedText(quarantine: QuarantineRecord): string {
  const last = quarantine.modesAdded?.at(-1);
  return last
    ? ` (${inlineCode(last.added.join(', '), 100)} added by ${mentionOf(last.by)} at ${slackDate(last.at)})`
    : '';
}

function none(what: string): KnownBlock {
  return context([`_No ${what}._`]);
}

/** The Home tab for one viewer. */
export function renderHome(facts: HomeFacts): HomeView {
  const responder = facts.viewer.responder;
  const blocks: KnownBlock[] = [
    header(':shield: iam-changes'),
    context([
      `Updated ${slackDate(facts.now)} · ${
        responder
          ? 'You are a responder: the buttons act as they do on the alerts.'
          : 'Read-only: only the configured responders can acknowledge, revert or quarantine.'
      }`,
    ]),
  ];
  if (facts.problems.length > 0) {
    blocks.push(
      section(
        `:warning: ${facts.problems
          .slice(0, 5)
          .map((problem) => truncate(problem, 400))
          .join('\n')}`,
      ),
    );
  }

  blocks.push(header(`Open alerts (${facts.openCount})`));
  if (facts.open.length === 0) blocks.push(none('open alerts in the last 7 days'));
  facts.open.forEach((stored, index) => {
    blocks.push(section(alertLine(stored)));
    const actions = responder ? alertActions(stored, index) : undefined;
    if (actions) blocks.push(actions);
  });
  if (facts.openCount > facts.open.length) {
    blocks.push(
      context([
        `… and ${facts.openCount - facts.open.length} more: \`/iam-changes 7d\` lists them, most severe first.`,
      ]),
    );
  }

  blocks.push(header('Last 7 days'));
  blocks.push(
    section(
      `*${facts.week.total} change${facts.week.total === 1 ? '' : 's'}*${facts.week.failed > 0 ? ` (${facts.week.failed} failed)` : ''}: ${levelCounts(facts.week.byLevel)}`,
    ),
  );

  blocks.push(header('CIS 4.4'));
  if (facts.cis) {
    const { report, checkedAt } = facts.cis;
    const failing = report.checks.filter((check) => !check.pass).map((check) => check.id);
    blocks.push(
      section(
        report.pass
          ? `:white_check_mark: *Pass*: the metric filter, alarm and subscriber are in place in ${inlineCode(report.region, 40)}.`
          : `:x: *Fail* in ${inlineCode(report.region, 40)}: ${failing.map((id) => inlineCode(id, 60)).join(', ') || 'see the report'}.`,
      ),
      context([`Last checked ${slackDate(checkedAt)} · \`/iam-changes status\` checks again.`]),
    );
  } else {
    blocks.push(
      context(['_Not checked yet: `/iam-changes status` runs the audit and keeps its result here._']),
    );
  }

  blocks.push(header('Active quarantines'));
  if (facts.quarantines.length === 0) blocks.push(none('active quarantines'));
  facts.quarantines.forEach((stored, index) => {
    const quarantine = stored.quarantine;
    if (!quarantine) return;
    if ('expired' in stored && stored.expired) {
      blocks.push(...expiredQuarantine(quarantine));
      return;
    }
    blocks.push(
      section(
        `:lock: ${inlineCode(`${quarantine.target.kind}/${quarantine.target.name}`, 150)} by ${mentionOf(quarantine.by)} since ${slackDate(quarantine.at)}${quarantine.dryRun ? ' _(dry run)_' : ''} — ${reasonText(quarantine.reason, 300)}\nModes in force: ${inlineCode((quarantine.modes ?? ['deny-iam']).join(', '), 100)}${modesAddedText(quarantine)}${keptOffText(quarantine)}`,
      ),
    );
    if (responder && stored.change.eventId.length <= MAX_BUTTON_VALUE_LENGTH) {
      blocks.push({
        type: 'actions',
        block_id: `home.quarantine.${index}`,
        elements: [button(ACTION_IDS.LIFT_QUARANTINE, 'Lift quarantine', stored.change.eventId)],
      });
    }
  });

  blocks.push(header('Last reverts'));
  if (facts.reverts.length === 0) blocks.push(none('reverts in the last 30 days'));
  for (const stored of facts.reverts) {
    const revert = stored.revert;
    if (!revert) continue;
    const words = { claimed: 'in progress', done: 'reverted', failed: 'failed', refused: 'refused' };
    blocks.push(
      section(
        `:leftwards_arrow_with_hook: *${words[revert.status]}${revert.dryRun ? ' (dry run)' : ''}* ${truncate(describeChange(stored.change), 800)} — by ${mentionOf(revert.by)} ${slackDate(revert.finishedAt ?? revert.at)}`,
      ),
    );
  }

  blocks.push(header('Mutes'));
  if (facts.mutes.length === 0) blocks.push(none('active mutes'));
  for (const mute of facts.mutes) {
    const line = section(
      `:mute: ${truncate(mute.scope, 300)} until ${slackDate(mute.until)} — by ${mentionOf(mute.by)}: ${reasonText(mute.reason, 300)}`,
    );
    // Responders lift a mute here as from `/iam-changes mutes`: the same button, the same checked and audited path.
    blocks.push(
      responder && mute.id.length <= MAX_BUTTON_VALUE_LENGTH
        ? { ...line, accessory: unmuteButton(mute.id) }
        : line,
    );
  }

  blocks.push(header('Expected changes'));
  if (facts.expectations.length === 0) blocks.push(none('expected changes announced'));
  for (const expectation of facts.expectations) {
    const line = section(
      `:calendar: ${truncate(expectation.target, 300)} until ${slackDate(expectation.until)} — by ${mentionOf(expectation.by)}: ${reasonText(expectation.note, 300)}`,
    );
    blocks.push(
      responder && expectation.id.length <= MAX_BUTTON_VALUE_LENGTH
        ? { ...line, accessory: endExpectationButton(expectation.id) }
        : line,
    );
  }

  // The open list is capped well under Slack's 100 blocks; the sections after it stay whatever happens.
  return { type: 'home', blocks: blocks.slice(0, MAX_HOME_BLOCKS) };
}
