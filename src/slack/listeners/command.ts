/**
 * `/iam-changes`: the query is parsed at once. A query Slack can be told nothing about (an error, `help`) is
 * answered in the ack itself; `status` is acknowledged with a "checking…" note and run by the worker (the CIS 4.4
 * audit takes several AWS calls); list and stats queries are answered from the store through `response_url`
 * right after the ack, unless the range reaches back before what the store holds — then the "searching" note
 * goes out and a `history` job searches CloudTrail.
 */
import type { JobOrigin } from '../../app/jobs';
import { UnknownAccountError } from '../../app/query-service';
import { parseQuery } from '../../domain/query';
import { permalinkBaseOf } from '../links';
import { renderProblem, renderStatusChecking } from '../render-notice';
import { renderHelp, renderQueryAnswer, renderQueryError, renderSearching } from '../render-query';
import { type Interaction, type ListenerDependencies, originOf, requesterOf, tellUser } from './context';

/** The parts of a slash command payload the listener reads (a subset of Bolt's). */
export interface SlashCommand {
  text: string;
  user_id: string;
  user_name?: string;
  channel_id: string;
  response_url: string;
  /** The workspace's subdomain (`acme` of acme.slack.com), for links to alerts. */
  team_domain?: string;
}

/** What the command's ack may carry: an answer shown at once. */
export interface CommandAnswer {
  response_type: 'ephemeral' | 'in_channel';
  text: string;
  blocks?: unknown[];
}

/** A slash command listener's arguments (a subset of Bolt's). */
export interface CommandArgs {
  ack: (response?: CommandAnswer) => Promise<void>;
  command: SlashCommand;
  /** The command exactly as Slack signed it, when it came over HTTP: the job carries it. */
  signed?: JobOrigin;
}

function message(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}

export { permalinkBaseOf } from '../links';

/** The `/iam-changes` listener. Never throws: every failure is answered ephemerally through `response_url`. */
export async function onCommand(
  { ack, command, signed }: CommandArgs,
  deps: ListenerDependencies,
): Promise<void> {
  const now = deps.clock.now();
  const parsed = parseQuery(command.text ?? '', now);
  if (!parsed.ok) {
    await ack(renderQueryError(parsed.error, command.text ?? ''));
    return;
  }
  const query = parsed.query;
  if (query.kind === 'help') {
    await ack(renderHelp());
    return;
  }
  const interaction: Interaction = {
    eventId: '',
    user: { id: command.user_id, ...(command.user_name ? { name: command.user_name } : {}) },
    responseUrl: command.response_url,
  };
  const respond = (answer: CommandAnswer) => deps.slack.respond(command.response_url, answer);
  if (query.kind === 'status') {
    await ack(renderStatusChecking());
    try {
      const by = await requesterOf(interaction.user, deps);
      await deps.jobs.publish({
        kind: 'status',
        responseUrl: command.response_url,
        by,
        channelId: command.channel_id,
        ...(query.share ? { share: true } : {}),
        ...originOf(signed),
      });
    } catch (error: unknown) {
      deps.log.error('status job not published', { error: message(error) });
      await tellUser(
        deps,
        interaction,
        renderProblem(
          'The CIS 4.4 check was not started',
          message(error),
          'Try again, or run `npx iam-changes audit`.',
        ),
      );
    }
    return;
  }
  await ack();
  try {
    const permalinkBase = permalinkBaseOf(command.team_domain);
    if (query.kind === 'list' && (await deps.queries.historyNeeded(query))) {
      await respond(renderSearching(query, now));
      const by = await requesterOf(interaction.user, deps);
      await deps.jobs.publish({
        kind: 'history',
        text: command.text,
        responseUrl: command.response_url,
        by,
        channelId: command.channel_id,
        ...(permalinkBase ? { permalinkBase } : {}),
        ...originOf(signed),
      });
      return;
    }
    const answer = await deps.queries.answer(query);
    await respond(renderQueryAnswer(query, answer, deps.clock.now(), permalinkBase ? { permalinkBase } : {}));
  } catch (error: unknown) {
    if (error instanceof UnknownAccountError) {
      await tellUser(
        deps,
        interaction,
        renderProblem('No such account', error.message, '`/iam-changes help` shows the syntax.'),
      );
      return;
    }
    deps.log.error('/iam-changes not answered', { text: command.text, error: message(error) });
    await tellUser(
      deps,
      interaction,
      renderProblem(
        'That query could not be answered',
        message(error),
        'Try again in a minute, or narrow it (a shorter range, `on role/…`). `/iam-changes help` shows the syntax.',
      ),
    );
  }
}
