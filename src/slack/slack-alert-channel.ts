/**
 * The Slack side of the fact ports ({@link AlertChannel}, {@link ResponderChannel}): each fact a use case hands
 * over is rendered by the pure builders of this folder and sent through the Web API gateway. Wording, layout,
 * `@here`, `replace_original` — every choice of how something looks in Slack — is made here, never in
 * `src/app`. The builders only some jobs need (the diff, the query answers, the CIS 4.4 report) are imported
 * with the first job that needs them, as before, so a cold start for a revert does not load them.
 */
import type {
  AlarmSummary,
  AlertChannel,
  AlertNote,
  AlertPlace,
  ChangeAlertOptions,
} from '../app/alert-port';
import type { OutgoingMessage, SlackGateway, SlackRef } from '../app/ports';
import type { RespondedChange } from '../app/revert-port';
import type { AccountFacts } from '../domain/accounts';
import { FORWARDING_RULE, type ForwardingStop } from '../domain/forwarding';
import { resourceOf } from '../domain/resources';
import type { AssessedChange } from '../domain/types';
import { section } from './blocks';
import { inlineCode, truncate } from './escape';
import { renderAlarm, renderChange, renderThreadNote, type SlackMessage, slackDate } from './render';
import { accountMrkdwn, accountPlain } from './render-account';
import { renderBurstBatch, withResolved } from './render-burst';
import { renderAlertUpdate } from './render-state';

/**
 * A member account stopped forwarding its IAM changes (or someone tried): who, which call, on which rule, and what
 * it means — until the rule is restored that account's changes reach the bot only through the alarm path, if at
 * all. Everything from the event is escaped; `<!here>` only when `mention`.
 */
export function renderForwardingStopped(
  stop: ForwardingStop,
  account: AccountFacts | undefined,
  mention: boolean,
): SlackMessage {
  const facts = account?.id === stop.accountId ? account : undefined;
  const attempt = stop.errorCode !== undefined;
  const where = accountMrkdwn(stop.accountId, facts);
  const head = attempt
    ? `:warning: *Someone tried to ${stop.rewrite ? 'change' : 'stop'} the forwarding of IAM changes* from account ${where} (${inlineCode(stop.errorCode ?? '', 60)}): forwarding goes on.`
    : stop.rewrite
      ? `:rotating_light: *The forwarding of IAM changes was rewritten* in account ${where}: a new pattern, state or target can hide some or all of its IAM changes from the bot. A redeploy of the member template does this too; otherwise check \`${FORWARDING_RULE}\` there and redeploy the template.`
      : `:rotating_light: *IAM changes are no longer forwarded* from account ${where}: until \`${FORWARDING_RULE}\` is restored there (redeploy the member template), its IAM changes reach the bot only through the organisation trail's alarm, if at all.`;
  const detail = `${inlineCode(stop.caller, 300)} called ${inlineCode(stop.eventName, 40)} on the rule ${inlineCode(stop.ruleName, 100)}${stop.eventTime ? ` at ${slackDate(stop.eventTime)}` : ''}.`;
  const ping = mention && !attempt ? '<!here> ' : '';
  const verb = stop.rewrite ? ['Attempt to change', 'Rewritten'] : ['Attempt to stop', 'Stopped'];
  const plainText = `${ping}${attempt ? verb[0] : verb[1]}: IAM change forwarding from account ${truncate(accountPlain(stop.accountId, facts), 80)} (${truncate(stop.eventName, 40)} on ${truncate(stop.ruleName, 100)})`;
  return { text: plainText, blocks: [section(`${ping}${head}\n${detail}`)] };
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
 * A note of the notify path (one of the bot's own calls, an alarm's state, a forwarding stopped) as a message. The
 * worker's outcome notes are rendered by its own channel (`slack-responder-channel.ts`), so the notify function
 * never reaches their builders.
 */
export function renderNote(note: AlertNote): SlackMessage {
  switch (note.kind) {
    case 'own-call':
      return renderThreadNote(ownCallText(note.change, note.earlierAlertFound));
    case 'alarm-state':
      return renderThreadNote(`Alarm ${note.alarmName} is ${note.state} again.`);
    case 'forwarding-stopped':
      return renderForwardingStopped(note.stop, note.account, note.mention);
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

  updateAlarm(ref: SlackRef, summary: AlarmSummary): Promise<void> {
    return this.gateway.updateMessage(ref, renderAlarmSummary(summary));
  }

  postThreadNote(place: AlertPlace, note: AlertNote): Promise<SlackRef> {
    return this.post(place, renderNote(note));
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
