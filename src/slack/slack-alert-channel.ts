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
import type { ForwardingFinding } from '../app/forwarding-check';
import type { ForwardingNotice } from '../app/forwarding-notices';
import type { OutgoingMessage, SlackGateway, SlackRef } from '../app/ports';
import type { RespondedChange } from '../app/revert-port';
import {
  FORWARDER_ROLE,
  FORWARDING_RULE,
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
};

/**
 * A change in a member account's forwarding found by the scheduled check: broken (what is wrong, `@here` when
 * `mention`), not checkable (why, never taken as healthy), or whole again (a line in the thread of the notice it
 * ends). The account by name; everything from AWS escaped.
 */
export function renderForwardingFinding(finding: ForwardingFinding): SlackMessage {
  const { account, health } = finding;
  const where = accountMrkdwn(account.id, account);
  const plainWhere = truncate(accountPlain(account.id, account), 80);
  if (health.status === 'broken') {
    const ping = finding.mention ? '<!here> ' : '';
    const what = health.problems.map((problem) => PROBLEM_WORDS[problem]).join('; ');
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
    return {
      text: `Forwarding cannot be checked in account ${plainWhere}`,
      blocks: [
        section(
          `:warning: *The forwarding of IAM changes cannot be checked* in account ${where}: ${inlineCode(health.reason, 300)}. It is not known to be working: deploy the member template there (in the management account as a plain stack), or check the role \`iam-changes-responder\` and its external id.`,
        ),
      ],
    };
  }
  const was = finding.previous?.status === 'unchecked' ? 'can be checked again and is whole' : 'is restored';
  return {
    text: `Forwarding ${was}: IAM changes from account ${plainWhere}`,
    blocks: [
      section(
        `:white_check_mark: The forwarding of IAM changes from account ${where} ${was}: \`${FORWARDING_RULE}\` is enabled, matches the template's events and targets the central bus.`,
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
