import { describe, expect, it } from 'vitest';
import type { StoredChange } from '../../src/app/ports';
import type { DailyStats } from '../../src/app/query-port';
import { type ListAnswer, type QueryEntry, summariseStats, tally } from '../../src/app/query-service';
import { parseQuery, type Query } from '../../src/domain/query';
import type { AssessedChange, RiskLevel } from '../../src/domain/types';
import {
  describeRange,
  type QueryMessage,
  renderHelp,
  renderQueryAnswer,
  renderQueryError,
  renderSearching,
  renderSearchProgress,
  renderStats,
} from '../../src/slack/render-query';
import { assertBlockKitLimits } from '../support/block-kit-limits';
import { changeOf } from '../support/cloudtrail';

const NOW = new Date('2026-11-20T15:00:00.000Z');
const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const BASE = 'https://acme.slack.com/archives';

function query(text: string): Query {
  const result = parseQuery(text, NOW);
  if (!result.ok) throw new Error(result.error.message);
  return result.query;
}

function change(
  roleName = 'ci-runner',
  level: RiskLevel = 'critical',
  eventTime = '2026-11-20T14:00:00Z',
): AssessedChange {
  return {
    ...changeOf('AttachRolePolicy', { roleName, policyArn: ADMIN }, { eventTime }),
    risk: { level, reasons: [], rules: [] },
    revert: { supported: true, steps: [], cli: [] },
  };
}

function stored(
  value: AssessedChange,
  extra: Partial<StoredChange> & Record<string, unknown> = {},
): StoredChange {
  return {
    change: value,
    delivery: 'delivered',
    slack: { channel: 'C0SECURITY', ts: '1763650800.000100' },
    attempts: 0,
    firstSeenAt: value.eventTime,
    updatedAt: value.eventTime,
    ...extra,
  };
}

function listAnswer(entries: QueryEntry[], matched = entries.length, complete = true): ListAnswer {
  return {
    kind: 'list',
    entries,
    matched,
    complete,
    byEvent: tally(entries.map((entry) => [entry.change.eventName, 1])),
    byActor: tally(entries.map((entry) => [entry.change.actor.name, 1])),
    byLevel: Object.fromEntries(
      tally(entries.map((entry) => [entry.change.risk.level, 1])).map(({ name, count }) => [name, count]),
    ),
  };
}

/** Every string Slack shows. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (typeof value === 'object' && value !== null) return Object.values(value).flatMap(strings);
  return [];
}

function allText(message: QueryMessage): string {
  return strings(message).join('\n');
}

/** Every `<…>` Slack reads as markup must be one the builders made: a date token or an https link. */
const OUR_MARKUP = /^(?:<!date\^\d+\^[^|<>]+\|[^|<>]+>|<https:\/\/[^\s|<>]+\|[^<>]*>)$/;

function expectOnlyOurMarkup(message: QueryMessage): void {
  for (const text of strings(message)) {
    for (const markup of text.match(/<[^>]*>/g) ?? []) expect(markup).toMatch(OUR_MARKUP);
  }
}

function entry(value: AssessedChange, extra?: Partial<StoredChange> & Record<string, unknown>): QueryEntry {
  const record = stored(value, extra);
  return { change: record.change, stored: record };
}

describe('renderQueryAnswer (list)', () => {
  it('lists each change with its time, who, what and level, answered only to the asker', () => {
    const message = renderQueryAnswer(query('7d by alice'), listAnswer([entry(change())]), NOW);
    assertBlockKitLimits(message);
    expect(message.response_type).toBe('ephemeral');
    const text = allText(message);
    expect(text).toContain('<!date^1795183200^');
    expect(text).toContain('*alice* attached AdministratorAccess to role ci-runner');
    expect(text).toContain(':rotating_light: CRITICAL');
    expect(text).toContain('by *alice*');
    expect(text).toContain('last 7 days');
    expect(message.text).toMatch(/^1 IAM changes by alice/);
  });

  it("names the account or OU asked for, and each change's account by name when known", () => {
    const named = {
      ...change(),
      account: { id: '111122223333', name: 'prod-payments', ouPath: 'Root/Prod' },
    };
    const message = renderQueryAnswer(query('7d in prod-payments'), listAnswer([entry(named)]), NOW);
    assertBlockKitLimits(message);
    const text = allText(message);
    expect(text).toContain('in *prod-payments*');
    expect(text).toContain('to role ci-runner in *prod-payments* (111122223333)');
  });

  it('says how many changes there are at each level on top, and the order of the list', () => {
    const answer = {
      ...listAnswer([entry(change('a', 'critical')), entry(change('b', 'high'))], 40),
      byLevel: { critical: 2, high: 3, low: 35 },
    };
    const message = renderQueryAnswer(query('7d'), answer, NOW);
    const first = message.blocks[0];
    const top = first?.type === 'section' ? (first.text?.text ?? '') : '';
    expect(top).toContain(
      ':rotating_light: *2 critical* · :red_circle: *3 high* · :large_yellow_circle: *35 low*',
    );
    expect(top).toContain('Most severe first, newest first within a level');
    expect(allText(message)).toContain('38 more');
    assertBlockKitLimits(message);
  });

  it('posts in the channel only when the query says share', () => {
    expect(renderQueryAnswer(query('share'), listAnswer([entry(change())]), NOW).response_type).toBe(
      'in_channel',
    );
  });

  it('links a stored change to its alert only when it knows the workspace', () => {
    const answer = listAnswer([entry(change())]);
    const linked = allText(renderQueryAnswer(query('7d'), answer, NOW, { permalinkBase: BASE }));
    expect(linked).toContain(
      `<${BASE}/C0SECURITY/p1763650800000100|attached AdministratorAccess to role ci-runner>`,
    );
    const plain = allText(renderQueryAnswer(query('7d'), answer, NOW));
    expect(plain).not.toContain('https://');
  });

  it('links a line in a thread to the thread', () => {
    const answer = listAnswer([
      entry(change(), {
        slack: { channel: 'C0SECURITY', ts: '1763650900.000200', threadTs: '1763650800.000100' },
      }),
    ]);
    expect(allText(renderQueryAnswer(query('7d'), answer, NOW, { permalinkBase: BASE }))).toContain(
      `${BASE}/C0SECURITY/p1763650900000200?thread_ts=1763650800.000100&cid=C0SECURITY|`,
    );
  });

  it('shows acknowledged, reverted and failed delivery, and marks what came from CloudTrail', () => {
    const answer = listAnswer([
      entry(change('a'), { acknowledgement: { userName: 'jane', userId: 'U1', at: '2026-11-20T14:01:00Z' } }),
      entry(change('b'), { revert: { status: 'succeeded' } }),
      entry(change('c'), { revert: { status: 'refused' } }),
      entry(change('d'), { delivery: 'failed' }),
      entry(change('e'), { acknowledgement: true }),
      { change: change('f') },
    ]);
    const lines = allText(renderQueryAnswer(query('7d'), answer, NOW)).split('\n');
    const line = (role: string) => lines.find((text) => text.includes(`role ${role}`)) ?? '';
    expect(line('a')).toContain('acknowledged by jane');
    expect(line('b')).toContain('reverted');
    expect(line('c')).toContain('revert refused');
    expect(line('d')).toContain('failed delivery');
    expect(line('e')).toContain('acknowledged');
    expect(line('f')).toContain('from CloudTrail history');
    expect(line('a')).not.toContain('<@U1>');
  });

  it('says how many more there are and how to see them, with totals by event and actor', () => {
    const entries = Array.from({ length: 20 }, (_, index) => entry(change(`r${index}`)));
    const answer = { ...listAnswer(entries, 34), byActor: [{ name: 'alice', count: 34 }] };
    const message = renderQueryAnswer(query('7d'), answer, NOW);
    assertBlockKitLimits(message);
    const text = allText(message);
    expect(text).toContain('14 more — refine with `limit 50` or a narrower range');
    expect(text).toContain('*By event:* AttachRolePolicy 20');
    expect(text).toContain('*By actor:* alice 34');
  });

  it('says the count is a lower bound when the scan stopped', () => {
    const text = allText(renderQueryAnswer(query('7d'), listAnswer([entry(change())], 1000, false), NOW));
    expect(text).toContain('At least 1,000 changes');
  });

  it('says nothing matched, and what to try', () => {
    const message = renderQueryAnswer(query('24h on role/x'), listAnswer([]), NOW);
    assertBlockKitLimits(message);
    expect(allText(message)).toMatch(/No IAM changes on `role\/x` · last 24 hours/);
  });

  it('escapes a role named <!channel> everywhere, so nobody is pinged', () => {
    const hostile = change('<!channel>');
    hostile.actor.name = '<@U123> & co';
    const answer = listAnswer([entry(hostile)]);
    const message = renderQueryAnswer({ ...query('7d'), actor: '<@U123> & co' }, answer, NOW, {
      permalinkBase: BASE,
    });
    assertBlockKitLimits(message);
    expectOnlyOurMarkup(message);
    const text = allText(message);
    expect(text).toContain('role &lt;!channel&gt;');
    expect(text).toContain('&lt;@U123&gt; &amp; co');
    expect(text).not.toContain('<!channel>');
  });

  it('keeps every limit with 200 changes of long names, and says what did not fit', () => {
    const entries = Array.from({ length: 200 }, (_, index) => {
      const value = change(`${'r'.repeat(60)}-${index}-${'<&>'.repeat(20)}`, 'high');
      value.actor.name = `${'a'.repeat(70)}-${index}`;
      return entry(value, {
        revert: { status: 'x'.repeat(300) },
        acknowledgement: { userName: 'j'.repeat(300) },
      });
    });
    const message = renderQueryAnswer(query('30d limit 200'), listAnswer(entries, 5000), NOW, {
      permalinkBase: BASE,
    });
    assertBlockKitLimits(message);
    expectOnlyOurMarkup(message);
    const text = allText(message);
    expect(text).toMatch(/more lines? did not fit in this message/);
    expect(text).toContain('4,800 more — refine with a narrower range');
  });

  it('notes a CloudTrail search and where it stopped', () => {
    const answer: ListAnswer = {
      ...listAnswer([{ change: change() }]),
      history: {
        start: '2026-10-21T15:00:00.000Z',
        end: '2026-11-15T10:00:00.000Z',
        searchedFrom: '2026-11-01T00:00:00.000Z',
        pages: 600,
        events: 30000,
        truncated: true,
      },
    };
    const message = renderQueryAnswer(query('30d'), answer, NOW);
    assertBlockKitLimits(message);
    const text = allText(message);
    expect(text).toContain('600 pages, 30,000 events read');
    expect(text).toContain('Stopped at <!date^1793491200^');
  });

  it("notes a search of the trail's S3 logs, what it could not read, and a failed one with its reason escaped", () => {
    const archive = {
      start: '2025-01-01T00:00:00.000Z',
      end: '2026-10-21T15:00:00.000Z',
      location: 's3://org-trail-logs/AWSLogs/o-a1b2c3d4e5/',
      files: 1200,
      bytes: 3 * 1_048_576,
      skippedFiles: 2,
      truncated: true,
    };
    const searched = renderQueryAnswer(query('30d'), { ...listAnswer([{ change: change() }]), archive }, NOW);
    assertBlockKitLimits(searched);
    expect(allText(searched)).toContain(
      "Also searched the trail's S3 logs (`s3://org-trail-logs/AWSLogs/o-a1b2c3d4e5/`)",
    );
    expect(allText(searched)).toContain(
      '1,200 files, 3.0 MB read. 2 files could not be read. Stopped at the file limit',
    );

    const failed = renderQueryAnswer(
      query('30d'),
      { ...listAnswer([]), archive: { ...archive, files: 0, error: 'Access Denied <@U1>' } },
      NOW,
    );
    expect(allText(failed)).toContain(':warning: Could not search');
    expect(allText(failed)).toContain('Access Denied &lt;@U1&gt;');
  });

  it('points status at the CIS 4.4 audit and renders help', () => {
    assertBlockKitLimits(renderQueryAnswer(query('status'), { kind: 'status' }, NOW));
    expect(renderQueryAnswer(query('help'), { kind: 'help' }, NOW)).toEqual(renderHelp());
  });
});

function day(date: string, total: number, extra: Partial<DailyStats> = {}): DailyStats {
  return {
    day: date,
    total,
    failed: 0,
    byLevel: total ? { high: total } : {},
    byActor: total ? { alice: total } : {},
    byClient: total ? { terraform: total } : {},
    byEvent: total ? { AttachRolePolicy: total } : {},
    byPrincipal: {},
    uncounted: 0,
    ...extra,
  };
}

function days(count: number, totalOf: (index: number) => number): DailyStats[] {
  const first = Date.parse('2026-11-20T00:00:00Z') - (count - 1) * 86_400_000;
  return Array.from({ length: count }, (_, index) =>
    day(new Date(first + index * 86_400_000).toISOString().slice(0, 10), totalOf(index)),
  );
}

describe('renderStats', () => {
  it('draws changes per day as a bar chart in a code block, with a sparkline', () => {
    const stats = summariseStats(days(30, (index) => (index % 7) * 3));
    const message = renderStats(stats, query('stats 30d'), NOW);
    assertBlockKitLimits(message);
    const text = allText(message);
    const block = /```\n([\s\S]*?)\n```/.exec(text)?.[1] ?? '';
    const rows = block.split('\n');
    expect(rows).toHaveLength(30);
    expect(rows[0]).toMatch(/^10-22 Thu +0 *$/);
    const longest = rows.find((row) => row.includes(' 18 '));
    expect(longest).toMatch(/ 18 █{30}$/);
    const third = rows.find((row) => /^\d\d-\d\d \w{3} +6 /.test(row));
    expect(third).toMatch(/ 6 █{10}$/);
    expect(text).toMatch(/\*Changes per day\* \(UTC\) {2}[ ▁▂▃▄▅▆▇█]{30}/);
    expect(text).toContain('█');
  });

  it('counts by level, top 10 actors, client and failed attempts', () => {
    const stats = summariseStats([
      day('2026-11-20', 40, {
        failed: 3,
        byLevel: { critical: 2, high: 8, low: 30 },
        byActor: Object.fromEntries(Array.from({ length: 12 }, (_, index) => [`actor-${index}`, index + 1])),
        byClient: { terraform: 30, console: 10 },
      }),
    ]);
    const text = allText(renderStats(stats, query('stats 24h'), NOW));
    expect(text).toContain('*40 changes* · 3 failed attempts');
    expect(text).toContain(
      ':rotating_light: critical 2 · :red_circle: high 8 · :large_yellow_circle: low 30',
    );
    expect(text).toContain('1. actor-11 — 12');
    expect(text).toContain('10. actor-2 — 3');
    expect(text).not.toContain('actor-1 —');
    expect(text).toContain('… 2 more actors');
    expect(text).toContain('*By client:* Terraform 30 · Console 10');
  });

  it('draws a bar per week beyond a month, within every limit', () => {
    const message = renderStats(summariseStats(days(90, (index) => index)), query('stats 90d'), NOW);
    assertBlockKitLimits(message);
    const block = /```\n([\s\S]*?)\n```/.exec(allText(message))?.[1] ?? '';
    expect(block.split('\n')).toHaveLength(13);
    expect(allText(message)).toContain('*Changes per week*');
  });

  it('escapes actor and event names', () => {
    const stats = summariseStats([
      day('2026-11-20', 1, {
        byActor: { '<!channel>': 1 },
        byEvent: { '<!here>': 1 },
        byClient: { '<x>': 1 },
      }),
    ]);
    const message = renderStats(stats, query('stats'), NOW);
    expectOnlyOurMarkup(message);
    expect(allText(message)).toContain('&lt;!channel&gt;');
  });

  it('says when nothing was counted', () => {
    const message = renderStats(summariseStats(days(7, () => 0)), query('stats 7d share'), NOW);
    assertBlockKitLimits(message);
    expect(message.response_type).toBe('in_channel');
    expect(allText(message)).toContain('No IAM changes were counted last 7 days');
  });
});

describe('renderQueryError', () => {
  function marker(text: string) {
    const result = parseQuery(text, NOW);
    if (result.ok) throw new Error('expected an error');
    const message = renderQueryError(result.error, text);
    assertBlockKitLimits(message);
    const block = /```\n([\s\S]*?)\n```/.exec(allText(message))?.[1] ?? '';
    const [line = '', carets = ''] = block.split('\n');
    return { message, line, carets };
  }

  it('shows the text with a ^ marker under the part it did not understand, then the help', () => {
    const { message, line, carets } = marker('7d by alice bogus limit 5');
    expect(line).toBe('/iam-changes 7d by alice bogus limit 5');
    expect(carets).toBe(`${' '.repeat('/iam-changes 7d by alice '.length)}^^^^^`);
    expect(message.response_type).toBe('ephemeral');
    expect(allText(message)).toContain('I didn\'t understand "bogus"');
    expect(allText(message)).toContain('`/iam-changes stats [30d]`');
  });

  it('marks the end when something is missing', () => {
    const { line, carets } = marker('7d by');
    expect(carets.indexOf('^')).toBe(line.length - 2);
  });

  it('keeps the marker in place around escaped characters and windows a long text', () => {
    const { line, carets } = marker(`on role/&lt;x&gt; ${'share '.repeat(30)}bogus`);
    const shown = line.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
    expect(shown.slice(carets.indexOf('^'), carets.indexOf('^') + 5)).toBe('bogus');
    expect(shown).toMatch(/^\/iam-changes …/);
  });

  it('escapes what was typed', () => {
    const { message } = marker('<!channel> bogus');
    expectOnlyOurMarkup(message);
  });
});

describe('help and search notes', () => {
  it('renders the help ephemerally, within the limits', () => {
    const message = renderHelp();
    assertBlockKitLimits(message);
    expectOnlyOurMarkup(message);
    expect(message.response_type).toBe('ephemeral');
    expect(allText(message)).toContain('by &lt;who&gt;');
  });

  it('says a CloudTrail search has started and how it is going', () => {
    const searching = renderSearching(query('30d by alice share'), NOW);
    assertBlockKitLimits(searching);
    expect(searching.response_type).toBe('ephemeral');
    expect(allText(searching)).toContain(
      'Searching CloudTrail event history for IAM changes by *alice* · last 30 days',
    );
    const progress = renderSearchProgress(40, 2000, '2026-11-01T00:00:00.000Z');
    assertBlockKitLimits(progress);
    expect(allText(progress)).toContain('40 pages, 2,000 events read, back to <!date^1793491200^');
  });

  it('describes ranges in words', () => {
    expect(describeRange(query('24h'), NOW)).toBe('last 24 hours');
    expect(describeRange(query('30m'), NOW)).toBe('last 30 minutes');
    expect(describeRange(query('7d'), NOW)).toBe('last 7 days');
    expect(describeRange(query('since 2026-11-01T10:17:33'), NOW)).toMatch(/^since <!date\^/);
    expect(describeRange(query('between 2026-11-01 and 2026-11-02'), NOW)).toMatch(
      /^between <!date\^\d+\^.*> and <!date/,
    );
  });
});
