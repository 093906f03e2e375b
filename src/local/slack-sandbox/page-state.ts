/**
 * What the sandbox page shows, as JSON: the channels, their messages and threads drawn from Block Kit into HTML
 * (see `render-html.ts`), the ephemeral messages and the open modal of the person the page acts as, the activity
 * log, what the runtime is connected to and the demo scenarios. The page only places this HTML; it never builds
 * markup from message text itself: plain strings (author, command, notices) are set as text.
 */
import { messageHtml, type RenderHtmlOptions, viewHtml } from './render-html';
import {
  PERMALINK_ORIGIN,
  SANDBOX_BOT,
  SANDBOX_TEAM,
  SANDBOX_USERS,
  type SandboxNotice,
  type SandboxWorkspace,
} from './workspace';

/** One line of "what this runtime is connected to". */
export interface StatusLine {
  label: string;
  value: string;
  /** `warn` draws attention (a dry run, a missing emulator). */
  level?: 'info' | 'warn';
}

/** A demo scenario the page offers as a button. */
export interface ScenarioInfo {
  name: string;
  title: string;
  description: string;
}

/** A message as the page draws it. */
export interface PageMessage {
  channel: string;
  ts: string;
  threadTs?: string;
  html: string;
  /** The fallback text, for the page's search and for tests. */
  text: string;
  edited: boolean;
  replyCount: number;
  /** The slash command a reply in the channel answered. */
  command?: string;
  author: string;
  isBot: boolean;
}

/** An ephemeral message as the page draws it ("Only visible to you"). */
export interface PageEphemeral {
  id: string;
  channel: string;
  ts: string;
  threadTs?: string;
  html: string;
  text: string;
}

/** The open modal on top of the user's stack. */
export interface PageView {
  id: string;
  title: string;
  body: string;
  submit?: string;
  close: string;
  depth: number;
}

/** Everything `GET /sandbox/state` returns. */
export interface PageState {
  version: number;
  mode: 'sandbox' | 'socket-mode';
  team: { id: string; name: string };
  bot: { name: string };
  me: { id: string; name: string; realName: string; responder: boolean };
  users: Array<{ id: string; name: string; realName: string; responder: boolean }>;
  /** Channels, and the bot's DMs with the person the page acts as (`dm` set); other people's DMs are left out. */
  channels: Array<{ id: string; name: string; dm?: string }>;
  defaultChannel: string;
  /** The bot's Home tab for this person, as `views.publish` last set it; null until the bot published one. */
  home: { html: string } | null;
  messages: PageMessage[];
  ephemerals: PageEphemeral[];
  view: PageView | null;
  notices: SandboxNotice[];
  status: StatusLine[];
  scenarios: ScenarioInfo[];
  scenarioNote?: string;
}

const PERMALINK = /^https:\/\/[^/]+\/archives\/([A-Z0-9]+)\/p(\d{10})(\d{6})/;

/** Link rendering: the sandbox's own permalinks become in-page links to the message. */
export function sandboxRenderOptions(workspace: SandboxWorkspace): RenderHtmlOptions {
  return {
    rewriteUrl: (url) => {
      if (!url.startsWith(`${PERMALINK_ORIGIN}/`)) return undefined;
      const match = PERMALINK.exec(url);
      return match ? `#msg-${match[1]}-${match[2]}.${match[3]}` : undefined;
    },
    userName: (id) => (id === SANDBOX_BOT.userId ? SANDBOX_BOT.name : workspace.user(id)?.name),
    channelName: (id) => workspace.channels.get(id)?.name,
  };
}

/** The page's view of the workspace, for the person the page acts as. */
export function pageState(
  workspace: SandboxWorkspace,
  extras: { mode: PageState['mode']; status: StatusLine[]; scenarios: ScenarioInfo[]; scenarioNote?: string },
): PageState {
  const options = sandboxRenderOptions(workspace);
  const me = workspace.user(workspace.currentUser) ?? SANDBOX_USERS[0];
  if (me === undefined) throw new Error('the sandbox has no users');
  const replies = new Map<string, number>();
  for (const message of workspace.messages) {
    if (message.threadTs !== undefined) {
      const key = `${message.channel}/${message.threadTs}`;
      replies.set(key, (replies.get(key) ?? 0) + 1);
    }
  }
  // Someone else's DMs with the bot are theirs: the page acting as you never shows them.
  const hidden = new Set(
    [...workspace.channels.values()].filter((c) => c.dm !== undefined && c.dm !== me.id).map((c) => c.id),
  );
  const stack = workspace.viewStack(me.id);
  const top = stack[stack.length - 1];
  let view: PageView | null = null;
  if (top) {
    const drawn = viewHtml(top.view, { ...options, ...(top.errors ? { errors: top.errors } : {}) });
    view = { id: top.id, ...drawn, depth: stack.length };
  }
  return {
    version: workspace.version,
    mode: extras.mode,
    team: { id: SANDBOX_TEAM.id, name: SANDBOX_TEAM.name },
    bot: { name: SANDBOX_BOT.name },
    me: { id: me.id, name: me.name, realName: me.realName, responder: me.responder },
    users: SANDBOX_USERS.map((user) => ({ ...user })),
    channels: [...workspace.channels.values()].filter((c) => c.dm === undefined || c.dm === me.id),
    defaultChannel: workspace.defaultChannelId,
    home: homeOf(workspace, me.id, options),
    messages: workspace.messages
      .filter((message) => !hidden.has(message.channel))
      .map((message) => {
        const author =
          message.user === SANDBOX_BOT.userId
            ? SANDBOX_BOT.name
            : (workspace.user(message.user)?.name ?? message.user);
        return {
          channel: message.channel,
          ts: message.ts,
          ...(message.threadTs === undefined ? {} : { threadTs: message.threadTs }),
          html: messageHtml(message.text, message.blocks, options, message.attachments),
          text: message.text,
          edited: message.edits > 0,
          replyCount: replies.get(`${message.channel}/${message.ts}`) ?? 0,
          ...(message.command === undefined ? {} : { command: message.command }),
          author,
          isBot: message.user === SANDBOX_BOT.userId,
        };
      }),
    ephemerals: workspace.ephemerals
      .filter((ephemeral) => ephemeral.user === me.id)
      .map((ephemeral) => ({
        id: ephemeral.id,
        channel: ephemeral.channel,
        ts: ephemeral.ts,
        ...(ephemeral.threadTs === undefined ? {} : { threadTs: ephemeral.threadTs }),
        html: messageHtml(ephemeral.text, ephemeral.blocks, options),
        text: ephemeral.text,
      })),
    view,
    notices: workspace.notices.slice(-60),
    status: extras.status,
    scenarios: extras.scenarios,
    ...(extras.scenarioNote === undefined ? {} : { scenarioNote: extras.scenarioNote }),
  };
}

/** The Home tab the bot published for `userId`, drawn like a message's blocks. */
function homeOf(workspace: SandboxWorkspace, userId: string, options: RenderHtmlOptions): PageState['home'] {
  const home = workspace.homes.get(userId);
  if (home === undefined || !Array.isArray(home.blocks)) return null;
  return { html: messageHtml('', home.blocks, options) };
}
