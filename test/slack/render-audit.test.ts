import type { KnownBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import {
  type AuditReport,
  CIS_AUDIT_CHECK_IDS,
  type CisAuditFacts,
  evaluateCisAudit,
} from '../../src/domain/cis-audit';
import { CIS44_EVENT_NAMES } from '../../src/domain/events';
import { CIS44_FILTER_PATTERN } from '../../src/domain/filter-pattern';
import { renderCisStatus } from '../../src/slack/render-audit';
import { assertBlockKitLimits } from '../support/block-kit-limits';

const NOW = new Date('2026-11-20T14:05:31Z');
const ACCOUNT = '111122223333';
const TOPIC = `arn:aws:sns:us-east-1:${ACCOUNT}:security-alerts`;

function completeFacts(): CisAuditFacts {
  return {
    region: 'us-east-1',
    trails: [
      {
        name: 'management',
        arn: `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/management`,
        homeRegion: 'us-east-1',
        isMultiRegion: true,
        includeGlobalServiceEvents: true,
        isLogging: true,
        cloudWatchLogsLogGroupArn: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/cloudtrail/management:*`,
        cloudWatchLogsRoleArn: `arn:aws:iam::${ACCOUNT}:role/CloudTrailToCloudWatchLogs`,
        eventSelectors: [],
        advancedEventSelectors: [],
      },
    ],
    metricFilters: [
      {
        logGroupName: '/aws/cloudtrail/management',
        filterName: 'CIS-4.4-IAMPolicyChanges',
        filterPattern: CIS44_FILTER_PATTERN,
        metricTransformations: [
          { metricNamespace: 'CISBenchmark', metricName: 'IAMPolicyChanges', metricValue: '1' },
        ],
      },
    ],
    alarms: [
      {
        alarmName: 'CIS-4.4-IAMPolicyChanges',
        namespace: 'CISBenchmark',
        metricName: 'IAMPolicyChanges',
        dimensions: [],
        statistic: 'Sum',
        period: 300,
        evaluationPeriods: 1,
        threshold: 1,
        comparisonOperator: 'GreaterThanOrEqualToThreshold',
        actionsEnabled: true,
        alarmActions: [TOPIC],
      },
    ],
    topics: [
      {
        topicArn: TOPIC,
        exists: true,
        subscriptions: [{ subscriptionArn: `${TOPIC}:1`, protocol: 'email' }],
      },
    ],
  };
}

/** Every piece of text in the message: the fallback and each block's texts. */
function allText(message: { text: string; blocks: KnownBlock[] }): string {
  const texts = [message.text];
  for (const block of message.blocks) {
    if (block.type === 'section' && block.text) texts.push(block.text.text);
    if (block.type === 'header') texts.push(block.text.text);
    if (block.type === 'context') {
      for (const element of block.elements) if ('text' in element) texts.push(element.text);
    }
  }
  return texts.join('\n');
}

function sectionTexts(blocks: KnownBlock[]): string[] {
  return blocks.flatMap((block) => (block.type === 'section' && block.text ? [block.text.text] : []));
}

describe('renderCisStatus', () => {
  it('renders a passing audit: header, chain, one ✓ line per check, no fixes', () => {
    const message = renderCisStatus(evaluateCisAudit(completeFacts()), NOW);
    assertBlockKitLimits(message);
    expect(message.text).toBe('CIS 4.4 audit: PASS — IAM policy changes are alarmed');
    expect(message.blocks[0]).toMatchObject({
      type: 'header',
      text: { text: expect.stringContaining('PASS') },
    });
    const sections = sectionTexts(message.blocks);
    expect(sections).toHaveLength(CIS_AUDIT_CHECK_IDS.length + 1);
    CIS_AUDIT_CHECK_IDS.forEach((id, index) => {
      expect(sections[index]).toMatch(new RegExp(`^✓ \\*${id}\\* — `));
    });
    expect(allText(message)).not.toContain('Fix:');
    expect(sections.at(-1)).toBe('*Missing events:* none — the filter counts all 16 CIS 4.4 calls');
    const context = message.blocks[1];
    expect(context?.type).toBe('context');
    expect(allText(message)).toContain(`checked <!date^${NOW.getTime() / 1000}^`);
    expect(allText(message)).toContain('trail `management` → log group `/aws/cloudtrail/management`');
  });

  it('renders a failing audit with each fix in a code block and the missing events', () => {
    const facts = completeFacts();
    const report = evaluateCisAudit({ ...facts, trails: [], metricFilters: [], alarms: [], topics: [] });
    const message = renderCisStatus(report, NOW);
    assertBlockKitLimits(message);
    expect(message.text).toBe(
      `CIS 4.4 audit: FAIL — 8 of 8 checks failing: ${CIS_AUDIT_CHECK_IDS.join(', ')}`,
    );
    const sections = sectionTexts(message.blocks);
    for (const [index, id] of CIS_AUDIT_CHECK_IDS.entries()) {
      // A fix is `aws` commands, some led by a `#` comment saying what to fill in first.
      expect(sections[index]).toMatch(new RegExp(`^✗ \\*${id}\\* — .+\\n\\*Fix:\\*\\n\`\`\`(aws |# )`));
      expect(sections[index]).toMatch(/\naws |```aws /);
    }
    // The exact CIS pattern is in the put-metric-filter fix, escaped for Slack and otherwise unchanged.
    expect(sections[3]).toContain(`--filter-pattern '${CIS44_FILTER_PATTERN}'`);
    // Placeholders keep their angle brackets only as entities.
    expect(sections[0]).toContain("--s3-bucket-name '&lt;cloudtrail-log-bucket&gt;'");
    expect(sections.at(-1)).toBe(
      `*Missing events* (16 of 16, no CIS 4.4 metric filter counts them): ${CIS44_EVENT_NAMES.map((name) => `\`${name}\``).join(', ')}`,
    );
  });

  it('escapes names that come from AWS so they ping nobody', () => {
    const facts = completeFacts();
    const alarm = facts.alarms[0];
    if (!alarm) throw new Error('fixture has an alarm');
    const report = evaluateCisAudit({
      ...facts,
      alarms: [{ ...alarm, alarmName: '<!channel> & <@U0123ABC>', evaluationPeriods: 3 }],
    });
    const message = renderCisStatus(report, NOW);
    assertBlockKitLimits(message);
    const text = allText(message);
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<@U0123ABC>');
    expect(text).toContain('&lt;!channel&gt; &amp; &lt;@U0123ABC&gt;');
  });

  it('cuts an oversized fix inside its section and says so', () => {
    const report: AuditReport = {
      pass: false,
      checks: CIS_AUDIT_CHECK_IDS.map((id) => ({
        id,
        pass: false,
        detail: `${id} ${'x'.repeat(2000)}`,
        fix: `aws logs put-metric-filter --filter-pattern '${'&'.repeat(4000)}'`,
      })),
      missingEvents: [...CIS44_EVENT_NAMES],
      chain: {},
      candidates: 1,
      region: 'us-east-1',
    };
    const message = renderCisStatus(report, NOW);
    assertBlockKitLimits(message);
    for (const text of sectionTexts(message.blocks).slice(0, CIS_AUDIT_CHECK_IDS.length)) {
      expect(text.length).toBeLessThanOrEqual(3000);
      expect(text).toContain('…```\n_(cut to fit Slack: run `npx iam-changes audit` for the whole command)_');
      // Never cut inside an entity.
      expect(text).not.toMatch(/&(?:a|am|amp)?…/);
    }
  });

  it('keeps a fix from closing its code block early', () => {
    const report = evaluateCisAudit(completeFacts());
    const first = report.checks[0];
    if (!first) throw new Error('a report has checks');
    const message = renderCisStatus(
      {
        ...report,
        pass: false,
        checks: [{ ...first, pass: false, fix: 'echo ```done```' }, ...report.checks.slice(1)],
      },
      NOW,
    );
    const section = sectionTexts(message.blocks)[0] ?? '';
    expect(section.match(/```/g)).toHaveLength(2);
  });

  it('names the number of candidate chains when there were several', () => {
    const facts = completeFacts();
    const filter = facts.metricFilters[0];
    if (!filter) throw new Error('fixture has a filter');
    const report = evaluateCisAudit({
      ...facts,
      metricFilters: [
        filter,
        { ...filter, filterName: 'second', filterPattern: '{ $.eventName = PutRolePolicy }' },
      ],
    });
    expect(allText(renderCisStatus(report, NOW))).toContain('(the best of 2 candidate chains)');
  });
});
