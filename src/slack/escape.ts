/**
 * Escaping and cutting text for Slack. Every value that comes from an event or a person (names, user agents,
 * policy documents, error messages, display names, reasons) goes through {@link escapeText} before it reaches a
 * message — blocks and fallback `text` alike — so a role named `<!channel>` pings nobody, a user agent of
 * `<@U123>` mentions nobody, and a name cannot hide or reorder what is shown around it.
 */

/** The ellipsis that ends every cut text: one character, so the reader sees that something was left out. */
export const ELLIPSIS = '…';

/**
 * Characters a reader cannot see but that change what they read: C0 controls but the line feed and the tab, DEL
 * (`\u007f`), and Unicode's bidirectional controls — the embeddings and overrides U+202A–U+202E, the isolates
 * U+2066–U+2069, the marks U+200E, U+200F and U+061C — which can make `evil.txt` read as `txt.live`.
 */
const INVISIBLE_RANGES = String.raw`\u0000-\u0008\u000b-\u001f\u007f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069`;
const INVISIBLE = new RegExp(`[${INVISIBLE_RANGES}]`, 'g');

/**
 * The fast path: a character that is not printable ASCII (nor a line feed or tab), or is `&`, `<` or `>`. Text
 * without one — most names, ARNs and actions — needs nothing; a negated ASCII class scans as fast as `[&<>]`.
 */
const NOT_PLAIN_ASCII = /[^\t\n\x20-\x25\x27-\x3b\x3d\x3f-\x7e]/;

/** Anything {@link escapeText} changes: Slack's three characters and the invisible ones. */
const NEEDS_ESCAPING = new RegExp(`[&<>${INVISIBLE_RANGES}]`);

/** An invisible character as the reader is shown it: `[U+202E]`, four upper-case hex digits. */
function visibleCodePoint(character: string): string {
  return `[U+${(character.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}]`;
}

/**
 * Escapes the three characters Slack gives a meaning to in message text: `&`, `<` and `>` (Slack's "Escaping
 * text" rules — nothing else is HTML-escaped), and shows each invisible control (see {@link INVISIBLE}) as the
 * visible text `[U+XXXX]` — a NUL as `[U+0000]`, a right-to-left override as `[U+202E]` — so it can neither hide
 * nor reorder text. Line feeds and tabs are kept. Applied to plain_text as well as mrkdwn, and to fallback texts.
 * Plain ASCII text without `&`, `<`, `>` or controls comes back as is after one fast scan.
 */
export function escapeText(value: string): string {
  if (!NOT_PLAIN_ASCII.test(value) || !NEEDS_ESCAPING.test(value)) return value;
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(INVISIBLE, visibleCodePoint);
}

/**
 * An escaped text split into pieces that must not be cut: whole entities, whole `[U+XXXX]` marks and whole code
 * points.
 */
const UNCUTTABLE = /&(?:amp|lt|gt);|\[U\+[0-9A-F]{4}\]|[\s\S]/gu;

/**
 * Cuts text that is already escaped so it is at most `max` UTF-16 units long (Slack's limits count
 * characters; UTF-16 units are never fewer), ending with {@link ELLIPSIS} when anything was cut. The cut falls
 * between code points and never inside an entity such as `&amp;` or a mark such as `[U+202E]`.
 */
export function truncateEscaped(escaped: string, max: number): string {
  if (escaped.length <= max) return escaped;
  if (max < ELLIPSIS.length) return '';
  return escaped.slice(0, cutBefore(escaped, max - ELLIPSIS.length)) + ELLIPSIS;
}

/** A piece longer than one code unit: an entity, a code-point marker, a surrogate pair. */
const LONG_PIECE = /&(?:amp|lt|gt);|\[U\+[0-9A-F]{4}\]|[\uD800-\uDBFF][\uDC00-\uDFFF]/y;

/** The longest piece of any kind, in code units (`[U+XXXX]`). */
const LONGEST_PIECE = 8;

/**
 * Where to cut `escaped` to keep at most `budget` code units without splitting a piece of
 * {@link UNCUTTABLE}. None of those pieces holds the first character of another (`&` and `[` open them and
 * appear in none; a low surrogate opens nothing), so the one piece that can straddle the cut starts within
 * the last few units before it: one look there, instead of walking the text piece by piece.
 */
function cutBefore(escaped: string, budget: number): number {
  for (let start = Math.max(0, budget - LONGEST_PIECE + 1); start < budget; start++) {
    LONG_PIECE.lastIndex = start;
    const piece = LONG_PIECE.exec(escaped);
    if (piece && start + piece[0].length > budget) return start;
  }
  return budget;
}

export function truncate(text: string, max: number): string {
  return truncateEscaped(escapeText(text), max);
}

/**
 * A raw value as an inline code span, escaped and cut to `max` characters of content. Slack code spans cannot
 * contain a backtick (it would close the span), so backticks are shown as `'`.
 */
export function inlineCode(value: string, max = 200): string {
  const shown = value.includes('`') ? value.replace(/`/g, "'") : value;
  return `\`${truncate(shown, max)}\``;
}

/** Slack quirk: three backticks in a row close a code block, so a zero-width space goes between backticks. */
export function breakFences(line: string): string {
  return line.replace(/`(?=`)/g, '`\u200b');
}

/** An escaped line cut into pieces of at most `max`, never inside an entity, a `[U+XXXX]` mark or a code point. */
export function wrapEscaped(escaped: string, max: number): string[] {
  if (escaped.length <= max) return [escaped];
  const pieces: string[] = [];
  let current = '';
  for (const [piece] of escaped.matchAll(UNCUTTABLE)) {
    if (current.length + piece.length > max) {
      pieces.push(current);
      current = '';
    }
    current += piece;
  }
  if (current !== '') pieces.push(current);
  return pieces.map((piece, index) => (index === 0 ? piece : `↪ ${piece}`));
}
