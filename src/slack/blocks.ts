/**
 * The smallest Block Kit builders, shared by every renderer. Text passed in is already escaped: these only
 * shape blocks, and keep the one limit that is structural (a context block holds at most 10 elements).
 *
 * Every mrkdwn text object is `verbatim: true`: Slack then does not turn bare URLs, `#channel` names or
 * `@mentions` in the text into links or pings — text from an event is shown as written — while the bot's own
 * explicit markup (`<url|label>`, `<!date^…>`, `<@U…>`, `<!here>`) and formatting still work. Renderers build
 * mrkdwn objects only through {@link mrkdwn}, so none can leave it out.
 */
import type { ContextBlock, MrkdwnElement, SectionBlock } from '@slack/types';

/** A plain_text object (headers, button labels, modal titles). */
export function plain(text: string) {
  return { type: 'plain_text' as const, text };
}

/** A mrkdwn text object, `verbatim` so Slack links and mentions nothing the bot did not write as markup. */
export function mrkdwn(text: string): MrkdwnElement {
  return { type: 'mrkdwn', text, verbatim: true };
}

/** A section of mrkdwn text. */
export function section(text: string): SectionBlock {
  return { type: 'section', text: mrkdwn(text) };
}

/** A context block of mrkdwn elements, the first 10 (Slack's limit). */
export function context(texts: string[]): ContextBlock {
  return { type: 'context', elements: texts.slice(0, 10).map(mrkdwn) };
}
