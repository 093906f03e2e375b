import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ELLIPSIS,
  escapeText,
  inlineCode,
  truncate,
  truncateEscaped,
  wrapEscaped,
} from '../../src/slack/escape';

/** True when every `&` in the text starts one of the three entities Slack knows. */
function onlyWholeEntities(text: string): boolean {
  return !/&(?!amp;|lt;|gt;)/.test(text);
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

describe('escapeText', () => {
  it('escapes ampersands and angle brackets so Slack shows them instead of reading them', () => {
    expect(escapeText('<!channel> & <@U123>')).toBe('&lt;!channel&gt; &amp; &lt;@U123&gt;');
  });

  it('leaves every other character as it is', () => {
    expect(escapeText('role/ci-runner *bold* _x_ `code` "q" \'s\' é 😀')).toBe(
      'role/ci-runner *bold* _x_ `code` "q" \'s\' é 😀',
    );
  });

  it('takes a value literally, so text that looks escaped is escaped again', () => {
    expect(escapeText('&amp;')).toBe('&amp;amp;');
  });
});

describe('escapeText: invisible characters', () => {
  it.each([
    ['a right-to-left override', 'invoice\u202Efdp.exe', 'invoice[U+202E]fdp.exe'],
    [
      'the other bidi embeddings, overrides and isolates',
      '\u202A\u202B\u202C\u202D\u2066\u2067\u2068\u2069',
      '[U+202A][U+202B][U+202C][U+202D][U+2066][U+2067][U+2068][U+2069]',
    ],
    ['the bidi marks', 'a\u200Eb\u200Fc\u061Cd', 'a[U+200E]b[U+200F]c[U+061C]d'],
    [
      'NUL and the other C0 controls, and DEL',
      'a\u0000b\u0007c\rd\u001Be\u007F',
      'a[U+0000]b[U+0007]c[U+000D]d[U+001B]e[U+007F]',
    ],
    ['controls next to Slack’s characters', '<\u202E!channel\u0000>', '&lt;[U+202E]!channel[U+0000]&gt;'],
  ])('shows %s as visible [U+XXXX] marks', (_name, raw, shown) => {
    expect(escapeText(raw)).toBe(shown);
  });

  it('keeps line feeds, tabs and the zero-width space that breaks code fences', () => {
    expect(escapeText('a\n\tb`\u200b`')).toBe('a\n\tb`\u200b`');
  });

  it('gives plain ASCII back as it is', () => {
    const plain = 'arn:aws:iam::111122223333:role/ci-runner *bold* _x_ "q"';
    expect(escapeText(plain)).toBe(plain);
  });

  it('leaves no invisible character and no raw bracket in any text', () => {
    const text = fc
      .array(
        fc.constantFrom('a', '<', '>', '&', '\u0000', '\u202E', '\u2066', '\u200F', '\n', '\t', 'é', '😀'),
        {
          maxLength: 60,
        },
      )
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(text, (value) => {
        const out = escapeText(value);
        expect(out).not.toMatch(
          // biome-ignore lint/suspicious/noControlCharactersInRegex: the controls are what must not survive
          /[<>\u0000-\u0008\u000b-\u001f\u007f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/,
        );
        expect(onlyWholeEntities(out)).toBe(true);
        expect(out.split('\n').length).toBe(value.split('\n').length);
      }),
    );
  });
});

describe('truncate', () => {
  it('returns short text escaped and uncut', () => {
    expect(truncate('a & b', 20)).toBe('a &amp; b');
  });

  it('cuts long text to the limit and ends it with an ellipsis', () => {
    const cut = truncate('abcdefghij', 5);
    expect(cut).toBe(`abcd${ELLIPSIS}`);
    expect(cut.length).toBe(5);
  });

  it('applies the limit after escaping', () => {
    // "&&&" escapes to 15 characters: the limit counts those, not the 3 raw ones.
    expect(truncate('&&&', 10)).toBe(`&amp;${ELLIPSIS}`);
    expect(truncate('&&&', 15)).toBe('&amp;&amp;&amp;');
  });

  it('never splits an entity', () => {
    expect(truncate('ab<cd', 6)).toBe(`ab${ELLIPSIS}`);
    expect(truncate('ab<cd', 7)).toBe(`ab&lt;${ELLIPSIS}`);
  });

  it('never splits a [U+XXXX] mark', () => {
    expect(truncate('ab\u202Ecd', 9)).toBe(`ab${ELLIPSIS}`);
    expect(truncate('ab\u202Ecd', 11)).toBe(`ab[U+202E]${ELLIPSIS}`);
  });

  it('never splits a character made of two UTF-16 units', () => {
    expect(truncate('😀😀😀', 4)).toBe(`😀${ELLIPSIS}`);
    expect(truncate('😀😀😀', 3)).toBe(`😀${ELLIPSIS}`);
    expect(truncate('😀😀😀', 2)).toBe(ELLIPSIS);
  });

  it('gives an empty string when not even the ellipsis fits', () => {
    expect(truncate('abc', 0)).toBe('');
  });

  it('keeps the limit, whole entities and no raw brackets for any text', () => {
    const text = fc
      .array(fc.constantFrom('a', '<', '>', '&', ';', 'amp', '😀', ' ', '`'), { maxLength: 80 })
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(text, fc.integer({ min: 0, max: 120 }), (value, max) => {
        const out = truncate(value, max);
        const escaped = escapeText(value);
        expect(out.length).toBeLessThanOrEqual(max);
        expect(out).not.toMatch(/[<>]/);
        expect(onlyWholeEntities(out)).toBe(true);
        expect(out).not.toMatch(LONE_SURROGATE);
        if (escaped.length <= max) expect(out).toBe(escaped);
        else if (max > 0) expect(out.endsWith(ELLIPSIS)).toBe(true);
      }),
    );
  });
});

describe('truncateEscaped', () => {
  it('cuts text that is already escaped without escaping it again', () => {
    expect(truncateEscaped('&lt;b&gt;', 20)).toBe('&lt;b&gt;');
    expect(truncateEscaped('&lt;b&gt;xyz', 6)).toBe(`&lt;b${ELLIPSIS}`);
  });
});

describe('truncateEscaped: where it cuts', () => {
  /** The cut as it was first written: piece by piece from the start, while the next piece still fits. */
  function cutPieceByPiece(escaped: string, max: number): string {
    if (escaped.length <= max) return escaped;
    if (max < ELLIPSIS.length) return '';
    let out = '';
    for (const [piece] of escaped.matchAll(/&(?:amp|lt|gt);|\[U\+[0-9A-F]{4}\]|[\s\S]/gu)) {
      if (out.length + piece.length > max - ELLIPSIS.length) break;
      out += piece;
    }
    return out + ELLIPSIS;
  }

  it.each([
    ['abcdef', 4, 'abc…'],
    ['ab&amp;cd', 4, 'ab…'],
    ['ab&amp;cd', 8, 'ab&amp;…'],
    ['a[U+202E]bc', 10, 'a[U+202E]…'],
    ['a[U+202E]b', 8, 'a…'],
    ['a[U+20]&lt;x', 8, 'a[U+20]…'],
    ['a😀b', 3, 'a…'],
    ['a😀bc', 4, 'a😀…'],
    ['a\uD800\uD800\uDC00b', 3, 'a\uD800…'],
    ['&amp;&amp;', 6, '&amp;…'],
    ['abc', 0, ''],
  ])('cuts %j to %i as %j', (text, max, expected) => {
    expect(truncateEscaped(text, max)).toBe(expected);
    expect(cutPieceByPiece(text, max)).toBe(expected);
  });

  it('cuts any escaped text where cutting piece by piece would', () => {
    const piece = fc.constantFrom(
      'a',
      '&amp;',
      '&lt;',
      '&gt;',
      '&',
      'amp;',
      '[U+202E]',
      '[U+',
      ']',
      '😀',
      '\uD800',
      '\uDC00',
      '[',
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), fc.integer({ min: 0, max: 60 }), (pieces, max) => {
        const text = pieces.join('');
        expect(truncateEscaped(text, max)).toBe(cutPieceByPiece(text, max));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('inlineCode', () => {
  it('wraps an escaped value in a code span', () => {
    expect(inlineCode('iam:* & <x>')).toBe('`iam:* &amp; &lt;x&gt;`');
  });

  it('shows backticks as quotes so a value cannot close the span', () => {
    expect(inlineCode('a`b')).toBe("`a'b`");
  });

  it('cuts the content to the limit', () => {
    expect(inlineCode('abcdef', 4)).toBe(`\`abc${ELLIPSIS}\``);
  });
});

describe('wrapEscaped', () => {
  it('never splits a [U+XXXX] mark across pieces', () => {
    expect(wrapEscaped(escapeText('abc\u0000d'), 9)).toEqual(['abc', '↪ [U+0000]d']);
  });
});
