/**
 * `app_home_opened`: someone opened the bot's Home tab. The listener reads the Home facts for that user (the
 * open alerts, the week's counts, the CIS 4.4 status as last checked — never a fresh audit —, quarantines,
 * reverts, mutes, expectations) and publishes the tab with `views.publish`. Slack sends the event for the
 * Messages tab too; only the Home tab is drawn. Never throws: a failure is logged, and the tab stays as it was.
 */
import type { HomeService } from '../../app/home-service';
import type { SlackInteractionGateway } from '../../app/slack-port';
import { renderHome } from '../render-home';
import type { ListenerLog } from './context';

/** The parts of an `app_home_opened` event the listener reads. */
export interface HomeOpenedEvent {
  type: 'app_home_opened';
  user: string;
  /** `home` or `messages`. */
  tab?: string;
}

/** What the Home listener needs. */
export interface HomeDependencies {
  home: Pick<HomeService, 'factsFor'>;
  slack: Pick<SlackInteractionGateway, 'publishView'>;
  log: ListenerLog;
}

/** Publishes the Home tab of the user who opened it. */
export async function onHomeOpened(event: HomeOpenedEvent, deps: HomeDependencies): Promise<void> {
  if (event.tab !== undefined && event.tab !== 'home') return;
  try {
    const facts = await deps.home.factsFor(event.user);
    await deps.slack.publishView(event.user, renderHome(facts));
  } catch (error: unknown) {
    deps.log.error('Home tab not published', {
      user: event.user,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}
