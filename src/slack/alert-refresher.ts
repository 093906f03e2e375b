/**
 * Brings a change's Slack message up to date once its escalation check is done: its own alert is re-rendered in
 * place (keeping acknowledgements, reverts and a burst's count); a change listed in a burst's thread gets a note
 * in that thread only when the check found an opened path — a grouped line stays quiet otherwise.
 */
import type { AlertRefresher } from '../app/escalation-check';
import type { SlackGateway, StoredChange } from '../app/ports';
import { renderThreadNote } from './render';
import { renderAlertUpdate } from './render-state';

/** {@link AlertRefresher} on the Slack Web API gateway. */
export class SlackAlertRefresher implements AlertRefresher {
  constructor(private readonly slack: Pick<SlackGateway, 'postMessage' | 'updateMessage'>) {}

  async refresh(stored: StoredChange): Promise<void> {
    const ref = stored.slack;
    if (!ref) return;
    if (stored.delivery === 'delivered' && !ref.threadTs) {
      await this.slack.updateMessage(ref, renderAlertUpdate(stored));
      return;
    }
    const check = stored.change.escalation;
    if (stored.delivery !== 'grouped' || check?.state !== 'done' || check.opened.length === 0) return;
    const reason = stored.change.risk.reasons[0] ?? '';
    await this.slack.postMessage({
      channel: ref.channel,
      threadTs: ref.threadTs ?? ref.ts,
      // The note's builder escapes what it is given.
      ...renderThreadNote(`:warning: ${stored.change.actor.name} (${stored.change.eventName}): ${reason}`),
    });
  }
}
