/**
 * Slack `mrkdwn` and `plain_text` to safe HTML, for the sandbox page. Pure: text in, HTML out.
 *
 * Slack text carries `&amp;`, `&lt;` and `&gt;` for the three characters it gives a meaning to; everything else
 * is literal. Each piece of text is therefore decoded from Slack's entities and then escaped for HTML, so a value
 * from an event can never become markup on the page. Links keep only `http(s):` and `mailto:` URLs.
 *
 * Supported: ```` ``` ```` blocks, `` `code` ``, `*bold*`, `_italic_`, `~strike~`, `>` quotes, `<url|label>`,
 * `<@U…>`, `<#C…|name>`, `<!here>` / `<!channel>` / `<!everyone>`, `<!subteam^…|@name>`,
 * `<!date^epoch^format|fallback>` (drawn as a `<time>` the page formats in the reader's time zone), known
 * `:emoji:` and line breaks.
 */
import { replaceEmoji } from './emoji';

/** How links and mentions are drawn. */
export interface MrkdwnOptions {
  /** Maps a link's URL to the href to draw (a permalink into the sandbox page), or undefined to keep it. */
  rewriteUrl?: (url: string) => string | undefined;
  /** The display name of a user id, for `<@U…>`. */
  userName?: (id: string) => string | undefined;
  /** The name of a channel id, for `<#C…>` without a label. */
  channelName?: (id: string) => string | undefined;
}

/** Marks a held piece of HTML in the text being formatted: a private-use character no Slack text needs. */
const SLOT = '\uE000';

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Decodes the three entities Slack text uses; any other `&…;` is literal text. */
export function decodeSlackEntities(text: string): string {
  return text.replace(/&(amp|lt|gt);/g, (_whole, name: string) =>
    name === 'amp' ? '&' : name === 'lt' ? '<' : '>',
  );
}

/** Slack text (entities decoded) as HTML text. */
function textHtml(text: string): string {
  return escapeHtml(decodeSlackEntities(text));
}

/** A `plain_text` object's text as HTML: no formatting, emoji only when the object allows them. */
export function plainTextToHtml(text: string, emoji = true): string {
  const html = textHtml(text).replace(/\n/g, '<br>');
  return emoji ? replaceEmoji(html) : html;
}

const SAFE_URL = /^(?:https?:\/\/|mailto:)[^\s"'<>]+$/i;

function anchor(url: string, label: string, options: MrkdwnOptions): string {
  const decoded = decodeSlackEntities(url);
  if (!SAFE_URL.test(decoded)) return label;
  const local = options.rewriteUrl?.(decoded);
  if (local !== undefined)
    return `<a class="mk-link" href="${escapeHtml(local)}" data-local-link>${label}</a>`;
  return `<a class="mk-link" href="${escapeHtml(decoded)}" target="_blank" rel="noopener noreferrer">${label}</a>`;
}

function dateToken(spec: string, fallback: string): string {
  const [epochText, format = '{date_short_pretty} {time}', link] = spec.split('^');
  const epoch = Number(epochText);
  const fallbackHtml = textHtml(fallback || epochText || '');
  if (!Number.isFinite(epoch)) return fallbackHtml;
  const iso = new Date(epoch * 1000).toISOString();
  const time = `<time class="mk-date" datetime="${iso}" data-format="${escapeHtml(decodeSlackEntities(format))}" title="${iso}">${fallbackHtml}</time>`;
  return link === undefined ? time : anchor(link, time, {});
}

/** What a `<…>` token draws as: a link, a mention, a broadcast or a date. */
function angleToken(inner: string, options: MrkdwnOptions): string {
  const bar = inner.indexOf('|');
  const target = bar === -1 ? inner : inner.slice(0, bar);
  const label = bar === -1 ? undefined : inner.slice(bar + 1);
  if (target.startsWith('@')) {
    const id = target.slice(1);
    const name = label ?? options.userName?.(id) ?? id;
    return `<span class="mk-mention">@${textHtml(name)}</span>`;
  }
  if (target.startsWith('#')) {
    const id = target.slice(1);
    return `<span class="mk-mention">#${textHtml(label ?? options.channelName?.(id) ?? id)}</span>`;
  }
  if (target.startsWith('!')) {
    const command = target.slice(1);
    if (command === 'here' || command === 'channel' || command === 'everyone') {
      return `<span class="mk-mention mk-broadcast">@${command}</span>`;
    }
    if (command.startsWith('date^')) return dateToken(command.slice('date^'.length), label ?? '');
    if (command.startsWith('subteam^')) {
      return `<span class="mk-mention">${textHtml(label ?? `@${command.slice('subteam^'.length)}`)}</span>`;
    }
    return textHtml(label ?? '');
  }
  const text = label === undefined ? textHtml(target) : replaceEmoji(textHtml(label));
  return anchor(target, text, options);
}

const BOLD = /(^|[^\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])/g;
const ITALIC = /(^|[^\w_])_(?=\S)([^_\n]*?\S)_(?![\w_])/g;
const STRIKE = /(^|[^\w~])~(?=\S)([^~\n]*?\S)~(?![\w~])/g;

/** Wraps consecutive `&gt;` lines (Slack quotes, escaped) in one blockquote each. */
function quotes(html: string): string {
  const out: string[] = [];
  let quoted: string[] = [];
  const flush = () => {
    if (quoted.length > 0) out.push(`<blockquote class="mk-quote">${quoted.join('<br>')}</blockquote>`);
    quoted = [];
  };
  for (const line of html.split('\n')) {
    const match = /^&gt; ?(.*)$/.exec(line);
    if (match) quoted.push(match[1] ?? '');
    else {
      flush();
      out.push(line);
    }
  }
  flush();
  return out
    .join('\n')
    .replace(/\n?(<blockquote[^>]*>)/g, '$1')
    .replace(/(<\/blockquote>)\n?/g, '$1');
}

/** A `mrkdwn` text as safe HTML. */
export function mrkdwnToHtml(input: string, options: MrkdwnOptions = {}): string {
  const slots: string[] = [];
  const hold = (html: string): string => {
    slots.push(html);
    return `${SLOT}${slots.length - 1}${SLOT}`;
  };
  let text = input.split(SLOT).join('');
  text = text.replace(/```([\s\S]*?)```/g, (_whole, code: string) =>
    hold(`<pre class="mk-pre">${textHtml(code.replace(/^\n/, ''))}</pre>`),
  );
  text = text.replace(/`([^`\n]+)`/g, (_whole, code: string) =>
    hold(`<code class="mk-code">${textHtml(code)}</code>`),
  );
  text = text.replace(/<([^<>\n]*)>/g, (_whole, inner: string) => hold(angleToken(inner, options)));
  let html = textHtml(text);
  html = html.replace(BOLD, '$1<b>$2</b>').replace(ITALIC, '$1<i>$2</i>').replace(STRIKE, '$1<s>$2</s>');
  html = replaceEmoji(quotes(html)).replace(/\n/g, '<br>');
  return html.replace(new RegExp(`${SLOT}(\\d+)${SLOT}`, 'g'), (_whole, index: string) => {
    return slots[Number(index)] ?? '';
  });
}
