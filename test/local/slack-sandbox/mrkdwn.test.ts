import { describe, expect, it } from 'vitest';
import { mrkdwnToHtml, plainTextToHtml } from '../../../src/local/slack-sandbox/mrkdwn';
import { escapeText } from '../../../src/slack/escape';

describe('mrkdwnToHtml', () => {
  it('never turns a value from an event into markup', () => {
    const hostile = escapeText(
      '<img src=x onerror=alert(1)> & <script>alert(2)</script> "quoted" \'single\'',
    );
    const html = mrkdwnToHtml(`*${hostile}*`);
    expect(html).not.toMatch(/<img|<script/);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt; &amp; &lt;script&gt;');
    expect(html).toContain('&quot;quoted&quot; &#39;single&#39;');
  });

  it('draws bold, italic, strike, inline code and code blocks, without formatting inside code', () => {
    expect(mrkdwnToHtml('*bold* _it_ ~gone~')).toBe('<b>bold</b> <i>it</i> <s>gone</s>');
    expect(mrkdwnToHtml('`*not bold*`')).toBe('<code class="mk-code">*not bold*</code>');
    expect(mrkdwnToHtml('```\nline 1\n*x* &lt;y&gt;\n```')).toBe(
      '<pre class="mk-pre">line 1\n*x* &lt;y&gt;\n</pre>',
    );
  });

  it('leaves snake_case and arn:aws:iam:: alone', () => {
    expect(mrkdwnToHtml('role snake_case_name in arn:aws:iam::123456789012:root')).toBe(
      'role snake_case_name in arn:aws:iam::123456789012:root',
    );
  });

  it('draws links with a label, keeps only http(s) and mailto URLs, and escapes the URL', () => {
    expect(mrkdwnToHtml('<https://example.com/a?b=1&amp;c=2|the *label*>')).toBe(
      '<a class="mk-link" href="https://example.com/a?b=1&amp;c=2" target="_blank" rel="noopener noreferrer">the *label*</a>',
    );
    expect(mrkdwnToHtml('<javascript:alert(1)|click>')).toBe('click');
    expect(mrkdwnToHtml('<https://x.example/"onmouseover=alert(1)|x>')).toBe('x');
  });

  it('turns permalinks into in-page links when asked', () => {
    const html = mrkdwnToHtml('<https://team.slack.com/archives/C1/p1|it>', {
      rewriteUrl: (url) => (url.includes('/archives/') ? '#msg-C1-1' : undefined),
    });
    expect(html).toBe('<a class="mk-link" href="#msg-C1-1" data-local-link>it</a>');
  });

  it('draws mentions, broadcasts and dates (in the reader’s time zone, with the fallback)', () => {
    expect(mrkdwnToHtml('<@U0LOCALDEV> <!here> <#C1|general>', { userName: () => 'you' })).toBe(
      '<span class="mk-mention">@you</span> <span class="mk-mention mk-broadcast">@here</span> <span class="mk-mention">#general</span>',
    );
    expect(mrkdwnToHtml('<!date^1795363200^{date_short_pretty} {time}|2026-11-22T16:00:00Z>')).toBe(
      '<time class="mk-date" datetime="2026-11-22T16:00:00.000Z" data-format="{date_short_pretty} {time}" title="2026-11-22T16:00:00.000Z">2026-11-22T16:00:00Z</time>',
    );
  });

  it('quotes lines that start with >, and draws known emoji only', () => {
    expect(mrkdwnToHtml('>Threshold crossed\nnext')).toBe(
      '<blockquote class="mk-quote">Threshold crossed</blockquote>next',
    );
    expect(mrkdwnToHtml(':rotating_light: :aws: :not_an_emoji:')).toBe('🚨 :aws: :not_an_emoji:');
  });
});

describe('plainTextToHtml', () => {
  it('decodes Slack entities, escapes HTML and keeps no formatting', () => {
    expect(plainTextToHtml('*a* &lt;b&gt; <i>')).toBe('*a* &lt;b&gt; &lt;i&gt;');
    expect(plainTextToHtml(':warning: x', false)).toBe(':warning: x');
  });
});
