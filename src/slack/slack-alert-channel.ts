/**
 * The Slack side of the notify path's fact port ({@link AlertChannel}): each fact a use case hands
 * over is rendered by the pure builders of this folder and sent through the Web API gateway. Wording, layout,
 * `@here`, `replace_original` — every choice of how something looks in Slack — is made here, never in
 * `src/app`. The worker's side (`ResponderChannel`: modals, outcome notes, answers) is
 * `slack-responder-channel.ts`, so the notify function never reaches those builders.
 */
import type {
  AlarmSummary,
  AlertChannel,
  AlertNote,
  AlertPlace,
  ChangeAlertOptions,
} from '../app/alert-port';
import { SlackMessageGoneError } from '../app/alert-port';
import type { ForwardingFinding, ForwardingSummary } from '../app/forwarding-check';
import type { ForwardingNotice } from '../app/forwarding-notices';
import type { OutgoingMessage, SlackGateway, SlackRef } from '../app/ports';
import type { RespondedChange } from '../app/revert-port';
import {
  FORWARDER_ROLE,
  FORWARDING_RULE,
  FORWARDING_WATCH_RULE,
  type ForwardingProblem,
  type ForwardingStop,
} from '../domain/forwarding';
import { resourceOf } from '../domain/resources';
import type { AssessedChange } from '../domain/types';
import { section } from './blocks';
import { inlineCode, truncate } from './escape';
import { renderAlarm, renderChange, renderThreadNote, type SlackMessage, slackDate } from './render';
import { accountMrkdwn, accountPlain } from './render-account';
import { renderBurstBatch, withResolved } from './render-burst';
import { renderAlertUpdate } from './render-state';
import { SlackDeliveryError } from './web-api-gateway';

/** Slack's answers to an update of a message it no longer has, or in a channel the bot can no longer write to. */
const GONE: ReadonlySet<string> = new Set([
  'message_not_found',
  'channel_not_found',
  'is_archived',
  'not_in_channel',
]);

/**
 * A member account stopped forwarding its IAM changes, rewrote the forwarding, or someone tried: the first call —
 * who, which call, on which rule, and what it means — and, once the same kind of call was repeated in that account,
 * how many there were and the last one. Everything from the event is escaped; `<!here>` only when `mention`.
 */
export function renderForwardingNotice(notice: ForwardingNotice): SlackMessage {
  const { first, last, count, mention } = notice;
  const facts = notice.account?.id === first.accountId ? notice.account : undefined;
  const attempt = notice.kind === 'attempt';
  const rewrite = notice.kind === 'rewrite';
  const where = accountMrkdwn(first.accountId, facts);
  const head = attempt
    ? `:warning: *Someone tried to ${first.rewrite ? 'change' : 'stop'} the forwarding of IAM changes* from account ${where} (${inlineCode(first.errorCode ?? '', 60)}): forwarding goes on.`
    : rewrite
      ? `:rotating_light: *The forwarding of IAM changes was rewritten* in account ${where}: a new pattern, state or target can hide some or all of its IAM changes from the bot. A redeploy of the member template does this too; otherwise check \`${FORWARDING_RULE}\` there and redeploy the template.`
      : `:rotating_light: *IAM changes are no longer forwarded* from account ${where}: until \`${FORWARDING_RULE}\` is restored there (redeploy the member template), its IAM changes reach the bot only through the organisation trail's alarm, if at all.`;
  const callText = (stop: ForwardingStop) =>
    `${inlineCode(stop.caller, 300)} called ${inlineCode(stop.eventName, 40)} on the rule ${inlineCode(stop.ruleName, 100)}${stop.eventTime ? ` at ${slackDate(stop.eventTime)}` : ''}${stop.errorCode ? ` (${inlineCode(stop.errorCode, 60)})` : ''}`;
  const ping = mention ? '<!here> ' : '';
  const blocks = [section(`${ping}${head}\n${callText(first)}.`)];
  const noun = attempt ? 'refused attempts' : rewrite ? 'rewrites' : 'calls that stop it';
  if (count > 1) {
    blocks.push(section(`*${count} ${noun}* in this account since the first. The last: ${callText(last)}.`));
  }
  const verb = rewrite ? ['Attempt to change', 'Rewritten'] : ['Attempt to stop', 'Stopped'];
  const times = count > 1 ? ` — ${count} ${noun}` : '';
  const plainText = `${ping}${attempt ? verb[0] : verb[1]}: IAM change forwarding from account ${truncate(accountPlain(first.accountId, facts), 80)} (${truncate(first.eventName, 40)} on ${truncate(first.ruleName, 100)})${times}`;
  return { text: plainText, blocks };
}

const PROBLEM_WORDS: Record<ForwardingProblem, string> = {
  missing: `the rule \`${FORWARDING_RULE}\` is gone`,
  disabled: 'the rule is disabled',
  pattern:
    "the rule matches other events than the template's (a narrowed pattern can leave some callers out)",
  retargeted: 'the rule no longer targets the central event bus',
  'target-role': `its target on the central bus uses another role than \`${FORWARDER_ROLE}\``,
  input: 'its target on the central bus sends something else than the event (an input or transformer)',
  'watch-missing': `the watch rule \`${FORWARDING_WATCH_RULE}\` is gone`,
  'watch-disabled': 'the watch rule is disabled',
  'watch-pattern': "the watch rule matches other calls than the template's",
  'watch-retargeted': 'the watch rule no longer targets the central event bus',
  'watch-target-role': `the watch rule's target on the central bus uses another role than \`${FORWARDER_ROLE}\``,
  'watch-input': "the watch rule's target on the central bus sends something else than the event",
};

/** Accounts a summary names in full; the rest are counted. */
const SUMMARY_NAMES = 30;

/**
 * Many accounts newly found in the same state by one run of the forwarding check (an upgrade, a StackSet not yet
 * rolled out), in one notice: the state as {@link renderForwardingFinding} words it, then the accounts by name (the
 * first {@link SUMMARY_NAMES}, and how many more). Restored lines still go in each account's own thread.
 */
export function renderForwardingSummary(summary: ForwardingSummary): SlackMessage {
  const { health, accounts } = summary;
  const ping = summary.mention ? '<!here> ' : '';
  const count = accounts.length;
  const names = accounts
    .slice(0, SUMMARY_NAMES)
    // Name and id only (no OU path): thirty fit one section's 3,000 characters.
    .map(
      (account) =>
        `• ${accountMrkdwn(account.id, account.name ? { id: account.id, name: account.name } : undefined)}`,
    )
    .join('\n');
  const more =
    count > SUMMARY_NAMES ? `\n…and ${count - SUMMARY_NAMES} more (the worker's log names each).` : '';
  const what =
    health.status === 'broken'
      ? health.problems.map((problem) => PROBLEM_WORDS[problem]).join('; ')
      : health.status === 'unchecked'
        ? `it cannot be checked (${inlineCode(health.reason, 300)})`
        : 'it is whole';
  const head =
    health.status === 'unchecked'
      ? `:warning: *The forwarding of IAM changes cannot be checked* in ${count} accounts: ${what}. It is not known to be working there: deploy the member template (in the management account as a plain stack), or check the role \`iam-changes-responder\` and its external id.`
      : `:rotating_light: *IAM changes may not all be forwarded* from ${count} accounts: the forwarding check found that ${what}. An upgrade not yet rolled out to them (an old \`responder-role.yml\`, a StackSet not yet updated) does this too; otherwise redeploy the member template there.`;
  const watchOnly =
    health.status === 'broken' && health.problems.every((problem) => problem.startsWith('watch-'));
  const text =
    health.status === 'unchecked'
      ? `${ping}Forwarding cannot be checked in ${count} accounts`
      : watchOnly
        ? `${ping}Forwarding watch broken in ${count} accounts: a stop of their IAM change forwarding would go unseen`
        : `${ping}Forwarding broken in ${count} accounts: their IAM changes may no longer reach the bot`;
  return { text, blocks: [section(`${ping}${head}`), section(`${names}${more}`)] };
}

/**
 * A change in a member account's forwarding found by the scheduled check: broken (what is wrong, `@here` when
 * `mention`), not checkable (why, never taken as healthy; `@here` when `mention`), or whole again (a line in the thread of the notice it
 * ends). The account by name; everything from AWS escaped.
 */
export function renderForwardingFinding(finding: ForwardingFinding): SlackMessage {
  const { account, health } = finding;
  const where = accountMrkdwn(account.id, account);
  const plainWhere = truncate(accountPlain(account.id, account), 80);
  if (health.status === 'broken') {
    const ping = finding.mention ? '<!here> ' : '';
    const what = health.problems.map((problem) => PROBLEM_WORDS[problem]).join('; ');
    // Only the watch rule broken: IAM changes still arrive, but a call that stops them would go unseen.
    if (health.problems.every((problem) => problem.startsWith('watch-'))) {
      return {
        text: `${ping}Forwarding watch broken: a stop of IAM change forwarding from account ${plainWhere} would go unseen`,
        blocks: [
          section(
            `${ping}:rotating_light: *The watch on the forwarding of IAM changes is broken* in account ${where}: the forwarding check found that ${what}. IAM changes are still forwarded, but a call that stops or rewrites \`${FORWARDING_RULE}\` is no longer told at once (only by this check, within its schedule). Whoever did it may act next: check who changed \`${FORWARDING_WATCH_RULE}\` in the organisation trail, and redeploy the member template there.`,
          ),
        ],
      };
    }
    return {
      text: `${ping}Forwarding broken: IAM changes from account ${plainWhere} may no longer reach the bot`,
      blocks: [
        section(
          `${ping}:rotating_light: *IAM changes may no longer be forwarded* from account ${where}: the forwarding check found that ${what}. Until \`${FORWARDING_RULE}\` is restored there (redeploy the member template), its IAM changes reach the bot only through the organisation trail's alarm, if at all.`,
        ),
      ],
    };
  }
  if (health.status === 'unchecked') {
    const ping = finding.mention ? '<!here> ' : '';
    // Checked before: whoever can stop the forwarding can also take the check's access away first.
    const before = finding.previous
      ? ' It could be checked before: the role or its permissions may have been changed on purpose, and until it can be checked again a stopped forwarding there goes unseen.'
      : '';
    return {
      text: `${ping}Forwarding cannot be checked in account ${plainWhere}`,
      blocks: [
        section(
          `${ping}:warning: *The forwarding of IAM changes cannot be checked* in account ${where}: ${inlineCode(health.reason, 300)}. It is not known to be working: deploy the member template there (in the management account as a plain stack), or check the role \`iam-changes-responder\` and its external id.${before}`,
        ),
      ],
    };
  }
  const was = finding.previous?.status === 'unchecked' ? 'can be checked again and is whole' : 'is restored';
  return {
    text: `Forwarding ${was}: IAM changes from account ${plainWhere}`,
    blocks: [
      section(
        `:white_check_mark: The forwarding of IAM changes from account ${where} ${was}: \`${FORWARDING_RULE}\` and its watch rule are enabled, match the template's events and target the central bus.`,
      ),
    ],
  };
}

/** The one-line note for one of the bot's own IAM calls that came back from CloudTrail. */
function ownCallText(change: AssessedChange, earlierAlertFound: boolean): string {
  const what = `${change.eventName} on ${resourceOf(change)}`;
  if (!earlierAlertFound)
    return `↩️ ${what} by iam-changes (${change.actor.name}); no earlier alert on this resource was found.`;
  const result = change.outcome === 'success' ? 'done' : `failed: ${change.errorCode ?? 'error'}`;
  return `↩️ ${what} by iam-changes (${change.actor.name}) — ${result}`;
}

/**
 * A note of the notify path (one of the bot's own calls, an alarm's state) as a message. The worker's outcome notes
 * are rendered by its own channel (`slack-responder-channel.ts`), so the notify function never reaches their
 * builders.
 */
export function renderNote(note: AlertNote): SlackMessage {
  switch (note.kind) {
    case 'own-call':
      return renderThreadNote(ownCallText(note.change, note.earlierAlertFound));
    case 'alarm-state':
      return renderThreadNote(`Alarm ${note.alarmName} is ${note.state} again.`);
  }
}

/** An alarm summary as a message, marked resolved once it is. */
export function renderAlarmSummary(summary: AlarmSummary): SlackMessage {
  const message = renderAlarm(summary.alarm, {
    calls: summary.calls,
    source: summary.source,
    searched: true,
    ...(summary.account ? { account: summary.account } : {}),
    ...(summary.laterCalls ? { laterCalls: summary.laterCalls } : {}),
  });
  return summary.resolvedBy ? withResolved(message, summary.resolvedBy) : message;
}

/** The notify path's {@link AlertChannel} over any {@link SlackGateway} (the Web API gateway, in production). */
export class SlackAlertChannel implements AlertChannel {
  constructor(protected readonly gateway: SlackGateway) {}

  postChange(channel: string, change: AssessedChange, options: ChangeAlertOptions): Promise<SlackRef> {
    const where = options.thread
      ? { channel: options.thread.channel, threadTs: options.thread.ts }
      : { channel };
    return this.post(where, renderChange(change, { mentionOnCritical: options.mention }));
  }

  updateAlert(ref: SlackRef, state: RespondedChange): Promise<void> {
    return this.gateway.updateMessage(ref, renderAlertUpdate(state));
  }

  postBurstLines(
    parent: SlackRef,
    changes: AssessedChange[],
    muted?: ReadonlySet<string>,
  ): Promise<SlackRef> {
    return this.post({ channel: parent.channel, threadTs: parent.ts }, renderBurstBatch(changes, muted));
  }

  postAlarm(channel: string, summary: AlarmSummary): Promise<SlackRef> {
    return this.post({ channel }, renderAlarmSummary(summary));
  }

  async updateAlarm(ref: SlackRef, summary: AlarmSummary): Promise<void> {
    try {
      await this.gateway.updateMessage(ref, renderAlarmSummary(summary));
    } catch (error: unknown) {
      if (error instanceof SlackDeliveryError && error.code !== undefined && GONE.has(error.code)) {
        throw new SlackMessageGoneError(`the alarm summary is no longer in Slack (${error.code})`, {
          cause: error,
        });
      }
      throw error;
    }
  }

  postThreadNote(place: AlertPlace, note: AlertNote): Promise<SlackRef> {
    return this.post(place, renderNote(note));
  }

  postForwardingFinding(place: AlertPlace, finding: ForwardingFinding): Promise<SlackRef> {
    return this.post(place, renderForwardingFinding(finding));
  }

  postForwardingSummary(channel: string, summary: ForwardingSummary): Promise<SlackRef> {
    return this.post({ channel }, renderForwardingSummary(summary));
  }

  postForwardingNotice(channel: string, notice: ForwardingNotice): Promise<SlackRef> {
    return this.post({ channel }, renderForwardingNotice(notice));
  }

  updateForwardingNotice(ref: SlackRef, notice: ForwardingNotice): Promise<void> {
    return this.gateway.updateMessage(ref, renderForwardingNotice(notice));
  }

  permalink(ref: SlackRef): Promise<string | undefined> {
    return this.gateway.permalink(ref);
  }

  protected post(place: AlertPlace, message: SlackMessage): Promise<SlackRef> {
    const outgoing: OutgoingMessage = { channel: place.channel, ...message };
    if (place.threadTs !== undefined) outgoing.threadTs = place.threadTs;
    return this.gateway.postMessage(outgoing);
  }
}
