/**
 * `/iam-changes expect <target | by actor | event glob…> <duration> [note]` (responders only, audited) posts the
 * announcement in the channel and keeps the expectation with the announcement's ts, so the notify path threads
 * matching changes under it; `/iam-changes expectations` lists the open ones. "End now" on the announcement (or
 * on the Home tab) closes the window early: responders only, audited, the announcement updated in place.
 */
import { randomUUID } from 'node:crypto';
import { type Expectation, endExpectation, parseExpectation } from '../../domain/expectation';
import { renderExpectationList, renderExpectationPosted } from '../render-expectation';
import { renderProblem, renderUnauthorised } from '../render-notice';
import {
  type ActionArgs,
  guarded,
  type Interaction,
  interactionOf,
  type ListenerDependencies,
  requesterOf,
  tellUser,
} from './context';
import { onHomeOpened } from './home';

function message(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}

const NOT_CONFIGURED = renderProblem(
  'Expectations are not available',
  'this bot has no expectation store configured',
  'Tell the team that runs iam-changes.',
);

/** Answers `expect …` (after the ack): checks the person, posts the announcement, keeps and audits it. */
export async function announceExpectation(
  text: string,
  channel: string,
  interaction: Interaction,
  deps: ListenerDependencies,
): Promise<void> {
  const store = deps.expectations;
  if (!store) {
    await tellUser(deps, interaction, NOT_CONFIGURED);
    return;
  }
  try {
    const parsed = parseExpectation(text);
    if (!parsed.ok) {
      await tellUser(
        deps,
        interaction,
        renderProblem(
          'That expectation could not be read',
          parsed.error,
          'Example: `/iam-changes expect role/ci-runner 2h deploy #812`',
        ),
      );
      return;
    }
    const by = await requesterOf(interaction.user, deps);
    const decision = await deps.authorizer.authorize(by, 'expect', 'expectation', 'button');
    if (!decision.allowed) {
      deps.log.warn('unauthorised attempt', {
        user: by.slackUserId,
        action: 'expect',
        reason: decision.reason,
      });
      await tellUser(deps, interaction, renderUnauthorised('expect', deps.authorizer.responders, channel));
      return;
    }
    const now = deps.clock.now();
    const { request } = parsed;
    const accountName = request.accountId ? await nameOf(deps, request.accountId) : undefined;
    const expectation: Expectation = {
      id: randomUUID(),
      ...(request.resource ? { resource: request.resource } : {}),
      ...(request.actor ? { actor: request.actor } : {}),
      ...(request.eventGlob ? { eventGlob: request.eventGlob } : {}),
      ...(request.accountId ? { accountId: request.accountId } : {}),
      ...(accountName ? { accountName } : {}),
      note: request.note,
      startsAt: now.toISOString(),
      endsAt: new Date(now.getTime() + request.durationMs).toISOString(),
      createdBy: { slackUserId: by.slackUserId, name: by.name },
    };
    const ref = await deps.slack.postMessage({ channel, ...renderExpectationPosted(expectation) });
    const kept: Expectation = { ...expectation, message: { channel: ref.channel, ts: ref.ts } };
    await store.put(kept);
    await deps.audit.append({
      at: now.toISOString(),
      actor: by,
      action: 'expect',
      ...(kept.resource ? { target: kept.resource } : {}),
      reason: kept.note,
      result: 'done',
      details: {
        expectationId: kept.id,
        actor: kept.actor,
        eventGlob: kept.eventGlob,
        accountId: kept.accountId,
        endsAt: kept.endsAt,
        message: kept.message,
      },
    });
  } catch (error: unknown) {
    deps.log.error('/iam-changes expect failed', { error: message(error) });
    await tellUser(deps, interaction, renderProblem('The expectation was not kept', message(error)));
  }
}

/** Answers `expectations`: the open ones, to the person who asked. */
export async function answerExpectations(
  responseUrl: string,
  interaction: Interaction,
  deps: ListenerDependencies,
): Promise<void> {
  if (!deps.expectations) {
    await tellUser(deps, interaction, NOT_CONFIGURED);
    return;
  }
  try {
    const now = deps.clock.now();
    const open = await deps.expectations.endingAfter(now);
    await deps.slack.respond(responseUrl, {
      response_type: 'ephemeral',
      ...renderExpectationList(open, now),
    });
  } catch (error: unknown) {
    deps.log.error('/iam-changes expectations not answered', { error: message(error) });
    await tellUser(deps, interaction, renderProblem('The expectations could not be listed', message(error)));
  }
}

/**
 * "End now" on an expectation: `ack()`, check the person is a responder (a refusal is audited and told), close the
 * window, audit it and update the announcement; from the Home tab, the tab is drawn again.
 */
export async function onEndExpectation(
  { ack, body, action, signed }: ActionArgs,
  deps: ListenerDependencies,
): Promise<void> {
  await ack();
  const id = action.value ?? '';
  const interaction = interactionOf(body, '', signed);
  await guarded(deps, interaction, 'end the expectation', async () => {
    const store = deps.expectations;
    if (!store) {
      await tellUser(deps, interaction, NOT_CONFIGURED);
      return;
    }
    const by = await requesterOf(interaction.user, deps);
    const decision = await deps.authorizer.authorize(by, 'expect', `expectation:${id}`, 'button');
    if (!decision.allowed) {
      deps.log.warn('unauthorised attempt', {
        user: by.slackUserId,
        action: 'end-expectation',
        reason: decision.reason,
      });
      await tellUser(
        deps,
        interaction,
        renderUnauthorised('expect', deps.authorizer.responders, interaction.channel),
      );
      return;
    }
    const now = deps.clock.now();
    const current = (await store.endingAfter(now)).find((expectation) => expectation.id === id);
    const ended = current ? endExpectation(current, by, now) : undefined;
    if (!current || !ended) {
      await tellUser(
        deps,
        interaction,
        renderProblem(
          'This expectation is already over',
          `expectation ${id.slice(0, 60)}`,
          'Nothing to end.',
        ),
      );
      return;
    }
    await store.replace(current, ended);
    await deps.audit.append({
      at: now.toISOString(),
      actor: by,
      action: 'expect-end',
      ...(ended.resource ? { target: ended.resource } : {}),
      result: 'done',
      details: {
        expectationId: id,
        announcedEnd: current.endsAt,
        endedAt: ended.endsAt,
        message: ended.message,
      },
    });
    if (ended.message) {
      try {
        await deps.slack.updateMessage(ended.message, renderExpectationPosted(ended));
      } catch (error: unknown) {
        deps.log.error('the announcement was not updated', { expectationId: id, error: message(error) });
      }
    }
  });
  if (body.view?.type === 'home' && deps.home) {
    await onHomeOpened(
      { type: 'app_home_opened', user: interaction.user.id, tab: 'home' },
      { home: deps.home, slack: deps.slack, log: deps.log },
    );
  }
}

/** The account's name in the directory's copy; undefined when unknown or unreadable (the id alone is shown). */
async function nameOf(deps: ListenerDependencies, accountId: string): Promise<string | undefined> {
  if (!deps.accounts) return undefined;
  try {
    return (await deps.accounts.describe(accountId)).name;
  } catch (error: unknown) {
    deps.log.warn('account name not read; the expectation shows the id', {
      accountId,
      error: message(error),
    });
    return undefined;
  }
}
