/**
 * Pure builders for expectations: the announcement posted in the channel (matching changes are threaded under
 * it) and the list `/iam-changes expectations` answers with. Every typed value is escaped.
 */
import type { Button } from '@slack/types';
import type { HomeExpectation } from '../app/home-service';
import type { Expectation } from '../domain/expectation';
import { ACTION_IDS } from './action-ids';
import { context, plain, section } from './blocks';
import { inlineCode, truncate, truncateEscaped } from './escape';
import { type SlackMessage, slackDate } from './render';
import { accountInline } from './render-account';

/** What an expectation covers, in words (escaped), its account by name when it was known. */
export function describeExpectation(expectation: Expectation): string {
  const parts: string[] = [];
  if (expectation.eventGlob) parts.push(inlineCode(expectation.eventGlob, 100));
  parts.push(expectation.resource ? `on ${inlineCode(expectation.resource, 300)}` : 'changes');
  if (expectation.actor) parts.push(`by ${inlineCode(expectation.actor, 200)}`);
  if (expectation.accountId) {
    const name = expectation.accountName ? { name: expectation.accountName } : undefined;
    parts.push(`in ${accountInline(expectation.accountId, name)}`);
  }
  return parts.join(' ');
}

/** "End now": closes the window early (responders only, audited). */
export function endExpectationButton(expectationId: string): Button {
  return {
    type: 'button',
    action_id: ACTION_IDS.END_EXPECTATION,
    text: plain('End now'),
    value: expectationId,
    confirm: {
      title: plain('End this expectation?'),
      text: plain('From now on, changes on its target are called out as unexpected again.'),
      confirm: plain('End now'),
      deny: plain('Cancel'),
    },
  };
}

/** The announcement in the channel. */
export function renderExpectationPosted(expectation: Expectation): SlackMessage {
  const note = expectation.note ? `: ${truncate(expectation.note, 300)}` : '';
  const text = `:calendar: <@${expectation.createdBy.slackUserId}> expects ${describeExpectation(expectation)} from ${slackDate(expectation.startsAt)} until ${slackDate(expectation.endsAt)}${note}`;
  const ended = expectation.endedEarly;
  if (ended) {
    return {
      text: truncate(`Expected changes ended early by ${ended.by.name}`, 3000),
      blocks: [
        section(truncateEscaped(text, 3000)),
        context([
          `:stop_sign: Ended early by <@${ended.by.slackUserId}> ${slackDate(ended.at)}: changes on this target are no longer expected.`,
        ]),
      ],
    };
  }
  return {
    text: truncate(`Expected changes until ${expectation.endsAt}`, 3000),
    blocks: [
      { ...section(truncateEscaped(text, 3000)), accessory: endExpectationButton(expectation.id) },
      context([
        'Matching changes are lowered one level and posted in this thread; a change on this target outside the window, or by someone else, is called out as unexpected. A change up to 5 minutes before this announcement counts as expected.',
      ]),
    ],
  };
}

/** The answer to `/iam-changes expectations`: the ones still open, soonest to end first (at most 20 shown). */
export function renderExpectationList(expectations: readonly Expectation[], now: Date): SlackMessage {
  const open = expectations.filter((expectation) => Date.parse(expectation.endsAt) > now.getTime());
  const head = open.length === 1 ? '1 expectation open' : `${open.length} expectations open`;
  const lines = open.slice(0, 20).map((expectation) => {
    const note = expectation.note ? `: ${truncate(expectation.note, 200)}` : '';
    return section(
      truncateEscaped(
        `${describeExpectation(expectation)} until ${slackDate(expectation.endsAt)}, by <@${expectation.createdBy.slackUserId}>${note}`,
        3000,
      ),
    );
  });
  const more = open.length > 20 ? [context([`${open.length - 20} more not shown.`])] : [];
  return {
    text: head,
    blocks: [
      section(`*${head}*`),
      ...(lines.length ? lines : [section('Nothing is expected now.')]),
      ...more,
    ],
  };
}

/** An expectation as the Home tab lists it (what it covers in words, escaped here). */
export function homeExpectationOf(expectation: Expectation): HomeExpectation {
  return {
    id: expectation.id,
    target: describeExpectation(expectation),
    until: expectation.endsAt,
    by: expectation.createdBy,
    note: expectation.note,
  };
}
