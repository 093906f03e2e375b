import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ELLIPSIS, escapeText, inlineCode, truncate, truncateEscaped } from '../../src/slack/escape';

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
