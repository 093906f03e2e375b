import type { KnownBlock, ModalView } from '@slack/types';
import { describe, expect, it } from 'vitest';
import {
  diffDocuments,
  diffInputsFor,
  type PolicyDiff,
  type RiskDelta,
  riskDelta,
} from '../../src/domain/diff';
import { parsePolicyDocument } from '../../src/domain/policy';
import type { PolicyValidation, ValidationFinding } from '../../src/domain/policy-validation';
import type { Change, PolicyDocument } from '../../src/domain/types';
import {
  DIFF_PAGE_ACTION_ID,
  DIFF_PAGE_ACTION_IDS,
  DIFF_VIEW_CALLBACK_ID,
  type DiffSource,
  diffPageValue,
  isDiffPageAction,
  parseDiffPageValue,
  renderDiffError,
  renderDiffLoading,
  renderDiffModal,
} from '../../src/slack/render-diff';
import { changeOf } from '../support/cloudtrail';
import { assertModalLimits, modalViolations } from '../support/modal-limits';

function doc(...statements: Array<Record<string, unknown>>): PolicyDocument {
  return parsePolicyDocument({ Version: '2012-10-17', Statement: statements });
}

const READ = { Sid: 'Read', Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::logs/*' };
const PASS_ROLE = { Sid: 'Pass', Effect: 'Allow', Action: 'iam:PassRole', Resource: '*' };
const DENY = { Sid: 'NoDelete', Effect: 'Deny', Action: 's3:DeleteObject', Resource: '*' };

function putRole(after: PolicyDocument, roleName = 'app'): Change {
  return changeOf('PutRolePolicy', { roleName, policyName: 'inline', policyDocument: JSON.stringify(after) });
}

interface Rendered {
  change: Change;
  diff: PolicyDiff;
  delta: RiskDelta;
  view: ModalView;
}

function render(
  before: PolicyDocument | null | undefined,
  after: PolicyDocument,
  source: DiffSource = { kind: 'store' },
  change: Change = putRole(after),
): Rendered {
  const diff = diffDocuments(before, after);
  const delta = riskDelta(change, diff);
  const view = renderDiffModal(change, diff, source, delta);
  assertModalLimits(view);
  return { change, diff, delta, view };
}

/** The blocks of a view as the builders make them: only known Block Kit blocks. */
function blocksOf(view: ModalView): KnownBlock[] {
  return view.blocks as KnownBlock[];
}

/** Every text a reader sees in a view, joined. */
function textOf(view: ModalView): string {
  const out: string[] = [];
  const walk = (value: unknown): void => {
    if (typeof value === 'string') out.push(value);
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) if (key !== 'value') walk(inner);
    }
  };
  walk(view.blocks);
  return out.join('\n');
}

function unescapeSlack(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\u200b/g, '');
}

/** The lines inside the view's ``` code blocks, unescaped, continuation pieces joined back. */
function codeLines(view: ModalView): string[] {
  const lines: string[] = [];
  for (const block of blocksOf(view)) {
    if (block.type !== 'section' || !block.text) continue;
    const text = block.text.text;
    if (!text.startsWith('```\n') || !text.endsWith('\n```')) continue;
    for (const line of text.slice(4, -4).split('\n')) {
      if (line.startsWith('↪ ')) lines[lines.length - 1] += unescapeSlack(line.slice(2));
      else lines.push(unescapeSlack(line));
    }
  }
  return lines;
}

function buttons(view: ModalView): Array<{ action_id: string; value: string }> {
  return blocksOf(view).flatMap((block) =>
    block.type === 'actions'
      ? block.elements.flatMap((element) =>
          element.type === 'button'
            ? [{ action_id: element.action_id ?? '', value: element.value ?? '' }]
            : [],
        )
      : [],
  );
}

/** A document of about `bytes` characters of canonical JSON: many statements with long ARNs. */
function bigDocument(bytes: number): PolicyDocument {
  const statements: Array<Record<string, unknown>> = [];
  let index = 0;
  while (JSON.stringify(statements, null, 2).length < bytes) {
    statements.push({
      Sid: `Stmt${index}`,
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:PutObject'],
      Resource: [`arn:aws:s3:::bucket-${index}/prefix/${'x'.repeat(40)}/*`],
    });
    index += 1;
  }
  return doc(...statements);
}

describe('renderDiffLoading', () => {
  it('opens a modal that says what is being looked up', () => {
    const change = changeOf('PutRolePolicy', {
      roleName: 'deploy',
      policyName: 'inline',
      policyDocument: JSON.stringify(doc(READ)),
    });
    const view = renderDiffLoading(change);
    assertModalLimits(view);
    expect(view).toMatchObject({
      type: 'modal',
      callback_id: DIFF_VIEW_CALLBACK_ID,
      private_metadata: change.eventId,
      close: { type: 'plain_text', text: 'Close' },
    });
    const text = textOf(view);
    expect(text).toMatch(/Looking up the document before this change/);
    expect(text).toMatch(
      /the bot's own record of the last document it saw, for inline policy inline of role deploy/,
    );
    expect(text).toMatch(/CloudTrail history for the resource \(90 days\)/);
  });

  it('for an attach, looks up the default version of the managed policy', () => {
    const change = changeOf('AttachUserPolicy', {
      userName: 'bob',
      policyArn: 'arn:aws:iam::111122223333:policy/Deploy',
    });
    const view = renderDiffLoading(change);
    assertModalLimits(view);
    expect(textOf(view)).toMatch(/the default version of managed policy Deploy \(IAM\)/);
  });

  it('for a policy version, also looks in IAM policy versions', () => {
    const change = changeOf('SetDefaultPolicyVersion', {
      policyArn: 'arn:aws:iam::111122223333:policy/Deploy',
      versionId: 'v2',
    });
    const view = renderDiffLoading(change);
    assertModalLimits(view);
    expect(textOf(view)).toMatch(/IAM policy versions of Deploy/);
  });
});

describe('renderDiffError', () => {
  it('says what went wrong, escaped', () => {
    const change = putRole(doc(READ));
    const view = renderDiffError(change, 'IAM said <!channel> AccessDenied');
    assertModalLimits(view);
    expect(view.callback_id).toBe(DIFF_VIEW_CALLBACK_ID);
    expect(textOf(view)).toMatch(/The diff could not be shown/);
    expect(textOf(view)).toContain('IAM said &lt;!channel&gt; AccessDenied');
  });

  it('says something even for an empty message', () => {
    const view = renderDiffError(putRole(doc(READ)), '   ');
    assertModalLimits(view);
    expect(textOf(view)).toMatch(/unknown error/);
  });
});

describe('renderDiffModal', () => {
  it('shows the header, the statement changes, the risk and the unified diff', () => {
    const before = doc(READ, DENY);
    const after = doc({ ...READ, Action: ['s3:GetObject', 's3:ListBucket'] }, PASS_ROLE);
    const { view, diff } = render(before, after);
    const text = textOf(view);
    expect(view.title).toEqual({ type: 'plain_text', text: 'Policy diff' });
    expect(view.private_metadata).toBeDefined();
    expect(text).toMatch(/\*alice\* wrote inline policy inline on role app/);
    expect(text).toMatch(/➕ \*Added\* #2 `Pass`: \*Allow\* `iam:PassRole` on `\*`/);
    expect(text).toMatch(/➖ \*Removed\* #2 `NoDelete`: \*Deny\* `s3:DeleteObject` on `\*`/);
    expect(text).toMatch(/✏️ \*Changed\* #1 `Read`\n\s+◦ actions: \+ `s3:ListBucket`/);
    expect(text).toMatch(
      /What it does to the risk:\* :large_yellow_circle: LOW → :red_circle: HIGH \(:arrow_up: raised\)/,
    );
    expect(text).toMatch(/➕ grants privilege-escalation actions iam:PassRole on \*/);
    expect(text).toMatch(/➕ removes a Deny statement \(NoDelete\)/);
    expect(text).toMatch(/:warning: \*Deny statements removed\*: #2 `NoDelete`/);
    expect(text).toMatch(/\*Newly allowed actions\*: `s3:ListBucket`, `iam:PassRole`/);
    expect(codeLines(view)).toEqual(diff.unified.split('\n').slice(0, -1));
    expect(buttons(view)).toEqual([]);
    expect(text).not.toMatch(/Page \d+ of/);
  });

  const SOURCES: Array<{ source: DiffSource; line: RegExp }> = [
    { source: { kind: 'store' }, line: /\*Before:\* from the bot's own record of the last document it saw/ },
    {
      source: { kind: 'store', eventId: 'prev-event-1', eventTime: '2026-11-19T10:00:00Z' },
      line: /the bot's own record of the last document it saw \(from event `prev-event-1` of <!date\^\d+\^/,
    },
    {
      source: { kind: 'cloudtrail', eventId: 'ct-1234', eventTime: '2026-11-18T09:30:00Z' },
      line: /\*Before:\* from CloudTrail event `ct-1234` of <!date\^1794994200\^\{date_short_pretty\} \{time\}\|2026-11-18T09:30:00Z>/,
    },
    { source: { kind: 'iam', versionId: 'v4' }, line: /\*Before:\* from IAM policy version `v4`/ },
  ];

  it.each(SOURCES)('says where the before-state came from: $source.kind', ({ source, line }) => {
    const { view } = render(doc(READ), doc(READ, PASS_ROLE), source);
    expect(textOf(view)).toMatch(line);
  });

  it('says "unknown" explicitly when the before-state is unknown, and shows the after document only', () => {
    const after = doc(READ, PASS_ROLE);
    const { view, diff } = render(undefined, after, {
      kind: 'unknown',
      detail: 'no record in the store; CloudTrail history has nothing in 90 days',
    });
    const text = textOf(view);
    expect(diff.beforeKnown).toBe(false);
    expect(text).toMatch(/:grey_question: \*Before: unknown\* — no record in the store; CloudTrail history/);
    expect(text).toMatch(/Nothing is guessed/);
    expect(text).toMatch(/:grey_question: unknown → :red_circle: HIGH \(cannot be compared\)/);
    expect(text).toMatch(/The document after the change, on its own, is HIGH/);
    expect(text).toMatch(/Not compared: only the document after the change is known/);
    expect(text).toMatch(/\*The document after the change\* \(canonical JSON/);
    expect(text).not.toMatch(/➕ \*Added\*/);
    expect(codeLines(view).join('\n')).toBe(JSON.stringify(diff.after, null, 2));
  });

  it('says "unknown" even when no detail is given', () => {
    const { view } = render(undefined, doc(READ), { kind: 'unknown' });
    expect(textOf(view)).toMatch(
      /\*Before: unknown\* — not in the bot's own record, in CloudTrail history \(90 days\) or in IAM/,
    );
  });

  it('says "nothing" when the before is known to be nothing', () => {
    const after = doc(READ);
    const change = changeOf('CreatePolicy', { policyName: 'Deploy', policyDocument: JSON.stringify(after) });
    const { view } = render(null, after, { kind: 'unknown' }, change);
    const text = textOf(view);
    expect(text).toMatch(/\*Before:\* nothing — known from the call itself/);
    expect(text).toMatch(/a new managed policy grants nothing until it is attached/);
    expect(text).toMatch(/none \(no document\) → :large_yellow_circle: LOW/);
  });

  it('says a policy version that is not the default is not in effect', () => {
    const after = doc(PASS_ROLE);
    const change = changeOf('CreatePolicyVersion', {
      policyArn: 'arn:aws:iam::111122223333:policy/Deploy',
      policyDocument: JSON.stringify(after),
      setAsDefault: false,
    });
    const { view } = render(doc(READ), after, { kind: 'iam', versionId: 'v1' }, change);
    expect(textOf(view)).toMatch(/was added but is not the default: it is not in effect/);
  });

  it('says when the documents are identical, with no diff block', () => {
    const { view } = render(doc(READ), doc(READ));
    expect(textOf(view)).toMatch(/The documents are identical: nothing changed/);
    expect(codeLines(view)).toEqual([]);
  });

  it('says when only the text changed, not a statement', () => {
    const { view } = render(
      doc({ Effect: 'Allow', Action: 's3:getobject', Resource: '*' }),
      doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }),
    );
    expect(textOf(view)).toMatch(/No statement changed: only formatting, letter case, Version or Id differ/);
    expect(codeLines(view).length).toBeGreaterThan(0);
  });

  it('says when a call carries no policy document', () => {
    const change = changeOf('CreateUser', { userName: 'bob' });
    const inputs = diffInputsFor(change, {});
    const diff = diffDocuments(inputs.before, inputs.after);
    const view = renderDiffModal(change, diff, { kind: 'unknown' }, riskDelta(change, diff));
    assertModalLimits(view);
    expect(textOf(view)).toMatch(/This call carries no policy document to compare/);
  });

  it('escapes every value from the event: a role, a resource and a detail named <!channel>', () => {
    const after = doc({ ...READ, Resource: 'arn:aws:s3:::<!channel>/*' }, PASS_ROLE);
    const change = putRole(after, '<!channel>');
    const { view } = render(
      doc(READ),
      after,
      { kind: 'cloudtrail', eventId: '<!here>', eventTime: 'not a time <!everyone>', detail: '<@U123> & co' },
      change,
    );
    expect(modalViolations(view)).toEqual([]);
    const text = textOf(view);
    expect(text).toContain('&lt;!channel&gt;');
    expect(text).toContain('&lt;@U123&gt; &amp; co');
    expect(text).not.toMatch(/<[!@](?:channel|here|everyone|U123)/);
    expect(codeLines(view)).toContain('+        "arn:aws:s3:::<!channel>/*"');
  });

  it('keeps backticks in a document from closing the code block', () => {
    const after = doc({ ...READ, Resource: 'arn:aws:s3:::a```b/*' });
    const { view } = render(doc(READ), after);
    const sections = blocksOf(view).flatMap((block) =>
      block.type === 'section' && block.text?.text.startsWith('```') ? [block.text.text] : [],
    );
    expect(sections.length).toBeGreaterThan(0);
    for (const text of sections) expect(text.slice(3, -3)).not.toContain('```');
    expect(codeLines(view)).toContain('+        "arn:aws:s3:::a```b/*"');
  });

  it('wraps a line longer than a section onto continuation lines, keeping all of it', () => {
    const long = `arn:aws:s3:::${'y'.repeat(7000)}`;
    const after = doc({ ...READ, Resource: long });
    const { view, diff } = render(doc(READ), after);
    expect(codeLines(view)).toEqual(diff.unified.split('\n').slice(0, -1));
    expect(codeLines(view)).toContain(`+        "${long}"`);
  });

  describe('paging a 40 KB document', () => {
    const after = bigDocument(40_000);
    const change = changeOf('CreatePolicy', { policyName: 'Big', policyDocument: JSON.stringify(after) });
    const diff = diffDocuments(null, after);
    const delta = riskDelta(change, diff);
    const source: DiffSource = { kind: 'unknown' };
    const first = renderDiffModal(change, diff, source, delta, 0);
    const total = Number(/Page 1 of (\d+)/.exec(textOf(first))?.[1]);

    it('is larger than one modal holds', () => {
      expect(diff.unified.length).toBeGreaterThan(40_000);
      expect(total).toBeGreaterThan(1);
    });

    it('shows page 1 of N with a Next button only', () => {
      assertModalLimits(first);
      expect(buttons(first)).toEqual([
        { action_id: DIFF_PAGE_ACTION_IDS.next, value: `${change.eventId}|1` },
      ]);
    });

    it('reaches page N of N by following Next, each page within the limits, Previous back on each', () => {
      let view = first;
      const seen = [1];
      for (let step = 0; step < 50; step += 1) {
        const next = buttons(view).find((button) => button.action_id === DIFF_PAGE_ACTION_IDS.next);
        if (!next) break;
        const parsed = parseDiffPageValue(next.value);
        expect(parsed?.eventId).toBe(change.eventId);
        view = renderDiffModal(change, diff, source, delta, parsed?.page ?? -1);
        assertModalLimits(view);
        expect(view.private_metadata).toBe(change.eventId);
        const page = Number(/Page (\d+) of/.exec(textOf(view))?.[1]);
        seen.push(page);
        expect(buttons(view)[0]).toEqual({
          action_id: DIFF_PAGE_ACTION_IDS.previous,
          value: diffPageValue(change.eventId, page - 2),
        });
      }
      expect(seen).toEqual(Array.from({ length: total }, (_, index) => index + 1));
      expect(textOf(view)).toContain(`Page ${total} of ${total}`);
      expect(buttons(view).map((button) => button.action_id)).toEqual([DIFF_PAGE_ACTION_IDS.previous]);
    });

    it('covers every line of the unified diff across its pages, in order, each line once', () => {
      const pages = Array.from({ length: total }, (_, page) =>
        renderDiffModal(change, diff, source, delta, page),
      );
      const union = pages.flatMap(codeLines);
      expect(union).toEqual(diff.unified.split('\n').slice(0, -1));
      for (const page of pages) {
        const code = codeLines(page).join('\n').length;
        expect(code).toBeLessThanOrEqual(25_000);
        expect(page.blocks.length).toBeLessThanOrEqual(50);
      }
    });

    it('brings a page out of range into range', () => {
      expect(textOf(renderDiffModal(change, diff, source, delta, 999))).toContain(
        `Page ${total} of ${total}`,
      );
      expect(textOf(renderDiffModal(change, diff, source, delta, -3))).toContain(`Page 1 of ${total}`);
      expect(textOf(renderDiffModal(change, diff, source, delta, 1.5))).toContain(`Page 1 of ${total}`);
    });
  });

  it('pages a diff with hundreds of changed statements without leaving any out', () => {
    const statements = Array.from({ length: 300 }, (_, index) => ({
      Sid: `S${index}`,
      Effect: 'Allow',
      Action: `s3:GetObject`,
      Resource: `arn:aws:s3:::b${index}/*`,
    }));
    const before = doc(...statements);
    const after = doc(
      ...statements.map((statement) => ({ ...statement, Action: ['s3:GetObject', 's3:PutObject'] })),
    );
    const change = putRole(after);
    const diff = diffDocuments(before, after);
    const delta = riskDelta(change, diff);
    const first = renderDiffModal(change, diff, { kind: 'store' }, delta);
    const total = Number(/Page 1 of (\d+)/.exec(textOf(first))?.[1]);
    expect(total).toBeGreaterThan(1);
    const pages = Array.from({ length: total }, (_, page) =>
      renderDiffModal(change, diff, { kind: 'store' }, delta, page),
    );
    for (const page of pages) assertModalLimits(page);
    const all = pages.map(textOf).join('\n');
    expect(all.match(/✏️ \*Changed\*/g)).toHaveLength(300);
    expect(pages.flatMap(codeLines)).toEqual(diff.unified.split('\n').slice(0, -1));
  });
});

describe('diff paging ids', () => {
  it('gives Previous and Next distinct action ids under one stem', () => {
    expect(DIFF_PAGE_ACTION_IDS.previous).not.toBe(DIFF_PAGE_ACTION_IDS.next);
    for (const id of Object.values(DIFF_PAGE_ACTION_IDS)) {
      expect(id.startsWith(DIFF_PAGE_ACTION_ID)).toBe(true);
      expect(isDiffPageAction(id)).toBe(true);
    }
    expect(isDiffPageAction(DIFF_PAGE_ACTION_ID)).toBe(true);
    expect(isDiffPageAction('change.view_diff')).toBe(false);
  });

  it('reads a page value back, event ids with a bar included', () => {
    expect(parseDiffPageValue(diffPageValue('abc|def', 3))).toEqual({ eventId: 'abc|def', page: 3 });
    expect(parseDiffPageValue('abc')).toBeUndefined();
    expect(parseDiffPageValue('abc|-1')).toBeUndefined();
    expect(parseDiffPageValue('abc|x')).toBeUndefined();
    expect(parseDiffPageValue('|2')).toBeUndefined();
  });
});

describe('modalViolations', () => {
  it('catches a modal that breaks the limits, so the checks above can fail', () => {
    const button = { type: 'button', action_id: 'same', text: { type: 'plain_text', text: 'x'.repeat(80) } };
    const view = {
      type: 'modal',
      title: { type: 'plain_text', text: 'A title longer than 24 chars' },
      private_metadata: 'm'.repeat(3001),
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: 'hello <!channel>' } },
        { type: 'section', text: { type: 'mrkdwn', text: 'y'.repeat(3001) } },
        { type: 'actions', elements: [button, button] },
        ...Array.from({ length: 98 }, () => ({ type: 'divider' })),
      ],
    };
    const violations = modalViolations(view).join('\n');
    expect(violations).toMatch(/title: 28 characters \(max 24\)/);
    expect(violations).toMatch(/close: a modal without a close button/);
    expect(violations).toMatch(/private_metadata: 3001 characters/);
    expect(violations).toMatch(/blocks: 101 blocks \(max 100\)/);
    expect(violations).toMatch(/text is 3001 characters \(max 3000\)/);
    expect(violations).toMatch(/text is 80 characters \(max 75\)/);
    expect(violations).toMatch(/action_id same is used more than once/);
    expect(violations).toMatch(/raw mention in: hello <!channel>/);
  });
});

describe('renderDiffModal with AWS Access Analyzer findings', () => {
  const after = doc(READ, PASS_ROLE);
  const finding = (
    type: ValidationFinding['type'],
    issueCode: string,
    detail = `${issueCode} <!channel>`,
  ) => ({
    field: 'policyDocument',
    type,
    issueCode,
    detail,
  });

  it.each<[string, PolicyValidation, string[], string[]]>([
    [
      'security warnings, errors and warnings, most serious first; no suggestions',
      {
        status: 'validated',
        findings: [
          finding('WARNING', 'MISSING_VERSION'),
          finding('SUGGESTION', 'EMPTY_ARRAY_ACTION'),
          finding('SECURITY_WARNING', 'PASS_ROLE_WITH_STAR_IN_RESOURCE'),
          finding('ERROR', 'INVALID_ACTION'),
        ],
      },
      [
        'AWS Access Analyzer security warning (PASS_ROLE_WITH_STAR_IN_RESOURCE)',
        'AWS Access Analyzer error (INVALID_ACTION)',
        'AWS Access Analyzer warning (MISSING_VERSION)',
      ],
      ['EMPTY_ARRAY_ACTION', '<!channel>'],
    ],
    [
      'that nothing was found',
      { status: 'validated', findings: [] },
      ['*AWS Access Analyzer*: no security warnings, errors or warnings'],
      [],
    ],
    [
      'that validation was unavailable',
      { status: 'unavailable', reason: 'AccessDenied', findings: [] },
      ['AWS policy validation unavailable: AccessDenied'],
      ['*AWS Access Analyzer*: no'],
    ],
  ])('shows %s', (_, validation, shown, hidden) => {
    const change = { ...putRole(after), validation };
    const { view } = render(null, after, { kind: 'store' }, change);
    const text = textOf(view);
    let at = -1;
    for (const line of shown) {
      const found = text.indexOf(line);
      expect(found, line).toBeGreaterThan(at);
      at = found;
    }
    for (const line of hidden) expect(text).not.toContain(line);
  });

  it('shows nothing of Access Analyzer for a change that was not validated', () => {
    expect(textOf(render(null, after).view)).not.toContain('Access Analyzer');
  });
});
