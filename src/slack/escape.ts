/**
 * Escaping and cutting text for Slack. Every value that comes from an event (names, user agents, policy
 * documents, error messages) goes through {@link escapeText} before it reaches a message, so a role named
 * `<!channel>` pings nobody and a user agent of `<@U123>` mentions nobody.
 */

/** The ellipsis that ends every cut text: one character, so the reader sees that something was left out. */
export const ELLIPSIS = '…';

/**
 * Escapes the three characters Slack gives a meaning to in message text: `&`, `<` and `>` (Slack's
 * "Escaping text" rules — nothing else is HTML-escaped). Applied to plain_text as well as mrkdwn.
 */
export function escapeText(value: string): string {
  if (!/[&<>]/.test(value)) return value;
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** An escaped text split into pieces that must not be cut: whole entities and whole code points. */
const UNCUTTABLE = /&(?:amp|lt|gt);|[\s\S]/gu;

/**
 * Cuts text that is already escaped so it is at most `max` UTF-16 units long (Slack's limits count
 * characters; UTF-16 units are never fewer), ending with {@link ELLIPSIS} when anything was cut. The cut falls
 * between code points and never inside an entity such as `&amp;`.
 */
export function truncateEscaped(escaped: string, max: number): string {
  if (escaped.length <= max) return escaped;
  if (max < ELLIPSIS.length) return '';
  const budget = max - ELLIPSIS.length;
  let out = '';
  for (const [piece] of escaped.matchAll(UNCUTTABLE)) {
    if (out.length + piece.length > budget) break;
    out += piece;
  }
  return out + ELLIPSIS;
}

/**
 * Escapes a raw value and cuts it to at most `max` characters: escape first, then cut, so the limit holds for
 * what Slack receives and no entity is split.
 */
export function truncate(text: string, max: number): string {
  return truncateEscaped(escapeText(text), max);
}

/**
 * A raw value as an inline code span, escaped and cut to `max` characters of content. Slack code spans cannot
 * contain a backtick (it would close the span), so backticks are shown as `'`.
 */
export function inlineCode(value: string, max = 200): string {
  return `\`${truncate(value.replace(/`/g, "'"), max)}\``;
}

/** Slack quirk: three backticks in a row close a code block, so a zero-width space goes between backticks. */
export function breakFences(line: string): string {
  return line.replace(/`(?=`)/g, '`\u200b');
}

/** An escaped line cut into pieces of at most `max`, never inside an entity or a code point. */
export function wrapEscaped(escaped: string, max: number): string[] {
  if (escaped.length <= max) return [escaped];
  const pieces: string[] = [];
  let current = '';
  for (const [piece] of escaped.matchAll(/&(?:amp|lt|gt);|[\s\S]/gu)) {
    if (current.length + piece.length > max) {
      pieces.push(current);
      current = '';
    }
    current += piece;
  }
  if (current !== '') pieces.push(current);
  return pieces.map((piece, index) => (index === 0 ? piece : `↪ ${piece}`));
}
