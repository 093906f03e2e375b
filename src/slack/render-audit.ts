/**
 * Pure Block Kit builder for `/iam-changes status`: the CIS 4.4 audit report as one message. Same rules as
 * `render.ts`: every value that comes from AWS (names, ARNs, patterns inside fix commands, error messages) is
 * escaped, nothing is cut without saying so, and the message keeps Slack's limits.
 */
import type { HeaderBlock, KnownBlock, SectionBlock } from '@slack/types';
import type { AuditReport, CisAuditChain, CisAuditCheck } from '../domain/cis-audit';
import { context, section } from './blocks';
import { escapeText, inlineCode, truncate, truncateEscaped } from './escape';
import { type SlackMessage, slackDate } from './render';

const SECTION_LIMIT = 3000;
const HEADER_LIMIT = 150;
/** Room the check's first line may take in its section; the fix gets the rest. */
const DETAIL_LIMIT = 900;
const CUT_NOTE = '_(cut to fit Slack: run `npx iam-changes audit` for the whole command)_';

function header(text: string): HeaderBlock {
  return { type: 'header', text: { type: 'plain_text', text: truncate(text, HEADER_LIMIT), emoji: true } };
}

/**
 * Escaped text inside a Slack code block. A run of three backticks would close the block early, so one is
 * kept apart from the next by a zero-width space.
 */
function codeBlockBody(raw: string): string {
  return escapeText(raw).replace(/```/g, '`\u200b`\u200b`');
}

function chainText(chain: CisAuditChain): string {
  const name = (value: string) => inlineCode(value, 120);
  return [
    chain.trail === undefined ? 'no trail' : `trail ${name(chain.trail)}`,
    chain.logGroup === undefined ? 'no log group' : `log group ${name(chain.logGroup)}`,
    chain.filter === undefined ? 'no CIS 4.4 filter' : `filter ${name(chain.filter)}`,
    chain.alarm === undefined ? 'no alarm' : `alarm ${name(chain.alarm)}`,
    chain.topic === undefined ? 'no SNS topic' : `topic ${name(chain.topic)}`,
  ].join(' → ');
}

/** One check: its mark, id and detail, then the fix as a code block cut (and said to be) if it must be. */
function checkSection(check: CisAuditCheck): SectionBlock {
  const line = `${check.pass ? '✓' : '✗'} *${check.id}* — ${truncate(check.detail, DETAIL_LIMIT)}`;
  if (check.pass || check.fix === undefined) return section(line);
  const fence = '```';
  const room = SECTION_LIMIT - line.length - '\n*Fix:*\n'.length - 2 * fence.length;
  const body = codeBlockBody(check.fix);
  if (body.length <= room) return section(`${line}\n*Fix:*\n${fence}${body}${fence}`);
  const cut = truncateEscaped(body, room - CUT_NOTE.length - 1);
  return section(`${line}\n*Fix:*\n${fence}${cut}${fence}\n${CUT_NOTE}`);
}

/**
 * The `/iam-changes status` message: a pass/fail header, the chain judged and when, one section per check
 * (✓/✗, the detail, and for a failure the `aws` commands that fix it, in a code block), then the CIS 4.4
 * calls the filter misses. Twelve blocks at most, each within Slack's limits.
 */
export function renderCisStatus(report: AuditReport, now: Date): SlackMessage {
  const failing = report.checks.filter((check) => !check.pass);
  const verdict = report.pass
    ? 'CIS 4.4 audit: PASS — IAM policy changes are alarmed'
    : `CIS 4.4 audit: FAIL — ${failing.length} of ${report.checks.length} checks failing`;
  const candidates = report.candidates > 1 ? ` (the best of ${report.candidates} candidate chains)` : '';
  const blocks: KnownBlock[] = [
    header(`${report.pass ? ':white_check_mark:' : ':x:'} ${verdict}`),
    context([
      `${truncate(report.region, 40)} · checked ${slackDate(now.toISOString(), '{date_short_pretty} {time}')}`,
      truncateEscaped(`${chainText(report.chain)}${candidates}`, SECTION_LIMIT),
    ]),
    ...report.checks.map(checkSection),
  ];
  // Without a filter there is nothing to leave calls uncounted: none of the 16 is counted at all.
  const uncounted =
    report.chain.filter === undefined ? 'no CIS 4.4 metric filter counts them' : 'uncounted by the filter';
  const missing =
    report.missingEvents.length === 0
      ? '*Missing events:* none — the filter counts all 16 CIS 4.4 calls'
      : `*Missing events* (${report.missingEvents.length} of 16, ${uncounted}): ${report.missingEvents
          .map((name) => inlineCode(name, 60))
          .join(', ')}`;
  blocks.push(section(truncateEscaped(missing, SECTION_LIMIT)));
  const text = report.pass ? verdict : `${verdict}: ${failing.map((check) => check.id).join(', ')}`;
  return { text: truncate(text, 3000), blocks };
}
