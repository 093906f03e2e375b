import { describe, expect, it } from 'vitest';
import {
  cis44PatternFor,
  evaluateCis44Coverage,
  evaluateCis44CoverageOfAll,
  extendFilterPattern,
} from '../../src/domain/cis44-coverage';
import {
  CIS44_SAMPLE_RECORDS,
  CIS44_SAMPLE_VARIANTS,
  cis44SampleVariants,
} from '../../src/domain/cis44-samples';
import { CIS44_EVENT_NAMES, type Cis44EventName } from '../../src/domain/events';
import {
  CIS44_FILTER_PATTERN,
  MAX_FILTER_PATTERN_LENGTH,
  matchesFilterPattern,
  parseFilterPattern,
} from '../../src/domain/filter-pattern';

const CIS44_CLAUSES = CIS44_EVENT_NAMES.map((name) => `($.eventName=${name})`);
const ALL_CALLS = `(${CIS44_CLAUSES.join('||')})`;

describe('evaluateCis44Coverage', () => {
  const ALL = [...CIS44_EVENT_NAMES];

  it.each([
    ['the benchmark’s exact pattern', CIS44_FILTER_PATTERN],
    ['quoted values', `{${CIS44_EVENT_NAMES.map((name) => `($.eventName="${name}")`).join('||')}}`],
    [
      'extra spaces',
      `{ ${CIS44_EVENT_NAMES.map((name) => `(  $.eventName   =   ${name}  )`).join('  ||  ')} }`,
    ],
    ['newlines between clauses', `{\n  ${CIS44_CLAUSES.join('\n  ||\n  ')}\n}`],
    ['clauses in reverse order', `{${[...CIS44_CLAUSES].reverse().join('||')}}`],
    [
      'no parentheses per clause',
      `{ ${CIS44_EVENT_NAMES.map((name) => `$.eventName = ${name}`).join(' || ')} }`,
    ],
    [
      'an AND with the IAM event source',
      `{ ($.eventSource = iam.amazonaws.com) && (${CIS44_CLAUSES.join('||')}) }`,
    ],
    ['tabs and CRLF line ends', `{\t${CIS44_CLAUSES.join('\r\n||\t')}\r\n}`],
  ])('covers all 16 calls with %s', (_, pattern) => {
    expect(evaluateCis44Coverage(pattern)).toEqual({ valid: true, covered: ALL, partial: [], missing: [] });
  });

  it('reports the 14 calls a two-clause pattern misses', () => {
    const result = evaluateCis44Coverage(
      '{ ($.eventName = PutRolePolicy) || ($.eventName = AttachRolePolicy) }',
    );
    expect(result.valid).toBe(true);
    expect(result.covered).toEqual(['PutRolePolicy', 'AttachRolePolicy']);
    expect(result.missing).toHaveLength(14);
    expect(result.missing).toEqual(
      ALL.filter((name) => name !== 'PutRolePolicy' && name !== 'AttachRolePolicy'),
    );
  });

  it('covers nothing when ANDed with the AWS Organizations event source', () => {
    const result = evaluateCis44Coverage(
      `{ ($.eventSource = organizations.amazonaws.com) && (${CIS44_CLAUSES.join('||')}) }`,
    );
    expect(result).toEqual({ valid: true, covered: [], partial: [], missing: ALL });
  });

  it('covers only the three Put…Policy calls with a wildcard', () => {
    expect(evaluateCis44Coverage('{ $.eventName = "Put*Policy" }').covered).toEqual([
      'PutGroupPolicy',
      'PutRolePolicy',
      'PutUserPolicy',
    ]);
  });

  it('covers the one call whose record text holds a term', () => {
    expect(evaluateCis44Coverage('AttachRolePolicy').covered).toEqual(['AttachRolePolicy']);
  });

  it('covers everything with the empty pattern and nothing with a case-changed name', () => {
    expect(evaluateCis44Coverage('').covered).toEqual(ALL);
    expect(evaluateCis44Coverage('{ $.eventName = putrolepolicy }').covered).toEqual([]);
  });

  it.each([
    ['{ $.eventName = }', 16],
    ['{ ($.eventName = PutRolePolicy }', 31],
    ['{ $.eventName = PutRolePolicy) }', 29],
    ['{ $.eventName == PutRolePolicy }', 15],
    ['{ $.eventName = PutRolePolicy', 29],
    // The unclosed "(" swallows the clauses after it, so the parser notices only at the final "}".
    [
      CIS44_FILTER_PATTERN.replace('($.eventName=PutRolePolicy)', '($.eventName=PutRolePolicy'),
      CIS44_FILTER_PATTERN.length - 2,
    ],
  ])('reports %j as invalid at position %i, covering nothing', (pattern, position) => {
    const result = evaluateCis44Coverage(pattern);
    expect(result).toMatchObject({ valid: false, position, covered: [], missing: ALL });
    expect(result.error).toContain(`at position ${position}`);
  });
});

describe('evaluateCis44Coverage: every record of a call, not one sample', () => {
  const ALL = [...CIS44_EVENT_NAMES];

  it.each([
    ['the caller type', '$.userIdentity.type = IAMUser', 'only when userIdentity.type is IAMUser'],
    ['not the root user', '$.userIdentity.type != "Root"', 'only when userIdentity.type is not Root'],
    ['the user agent', '$.userAgent = "aws-cli/*"', 'only when userAgent matches aws-cli/*'],
    ['the source address', '$.sourceIPAddress != 10.*', 'only when sourceIPAddress does not match 10.*'],
    ['successful calls only', '$.errorCode NOT EXISTS', 'only when errorCode is absent'],
    ['failed calls only', '$.errorCode = *', 'only when errorCode is set'],
    [
      'an MFA session',
      '$.userIdentity.sessionContext.attributes.mfaAuthenticated = "true"',
      'only when userIdentity.sessionContext.attributes.mfaAuthenticated is true',
    ],
    [
      'a request parameter',
      '$.requestParameters.roleName = "prod-*"',
      'only when requestParameters.roleName matches prod-*',
    ],
    ['the time', '$.eventTime = "2026-*"', 'only when eventTime matches 2026-*'],
    ['TLS', '$.tlsDetails.tlsVersion = "TLSv1.3"', 'only when tlsDetails.tlsVersion is TLSv1.3'],
    [
      'two conditions',
      '($.userIdentity.type = IAMUser || $.userIdentity.type = AssumedRole) && $.errorCode NOT EXISTS',
      'only when (userIdentity.type is IAMUser or userIdentity.type is AssumedRole) and errorCode is absent',
    ],
  ])('reports all 16 as partial when restricted by %s', (_, restriction, condition) => {
    const result = evaluateCis44Coverage(`{ ${ALL_CALLS} && (${restriction}) }`);
    expect(result.valid).toBe(true);
    expect(result.covered).toEqual([]);
    expect(result.missing).toEqual(ALL);
    expect(result.partial).toEqual(ALL.map((eventName) => ({ eventName, condition })));
  });

  it.each([
    ['the IAM event source', '$.eventSource = iam.amazonaws.com'],
    ['a wildcard event source', '$.eventSource = "iam.*"'],
    ['write calls', '$.readOnly IS FALSE'],
    ['API calls', '$.eventType = AwsApiCall'],
    ['management events', '$.managementEvent IS TRUE'],
    ['the management category', '$.eventCategory = Management'],
    ['an error code absent or present', '($.errorCode NOT EXISTS) || ($.errorCode = *)'],
    ['a caller type of any string', '$.userIdentity.type = *'],
    ['any caller but root, or root', '($.userIdentity.type != Root) || ($.userIdentity.type = Root)'],
  ])('keeps all 16 covered when ANDed with %s, which every record of the call meets', (_, restriction) => {
    expect(evaluateCis44Coverage(`{ ${ALL_CALLS} && (${restriction}) }`)).toEqual({
      valid: true,
      covered: ALL,
      partial: [],
      missing: [],
    });
  });

  it('counts no call when a numeric comparison is made on a field CloudTrail writes as text', () => {
    const result = evaluateCis44Coverage(`{ ${ALL_CALLS} && ($.eventTime > 0) }`);
    expect(result).toEqual({ valid: true, covered: [], partial: [], missing: ALL });
  });

  it('covers a call in full when one clause names it and another restricts the rest', () => {
    const result = evaluateCis44Coverage(
      '{ ($.eventName = PutRolePolicy) || (($.eventName = AttachRolePolicy) && ($.userIdentity.type = Root)) }',
    );
    expect(result.covered).toEqual(['PutRolePolicy']);
    expect(result.partial).toEqual([
      { eventName: 'AttachRolePolicy', condition: 'only when userIdentity.type is Root' },
    ]);
    expect(result.missing).toHaveLength(15);
  });

  it('finds the string that meets two wildcards at once', () => {
    // False only for a user agent both starting with "A" and ending with "B": "AB" is such a user agent.
    const result = evaluateCis44Coverage(
      `{ ${ALL_CALLS} && (($.userAgent NOT EXISTS) || ($.userAgent != "A*") || ($.userAgent != "*B")) }`,
    );
    expect(result.covered).toEqual([]);
    expect(result.partial).toHaveLength(16);
  });

  it.each([
    ['a term naming the call', 'AttachRolePolicy', ['AttachRolePolicy'], []],
    ['a term in the fixed event source', 'iam.amazonaws.com', CIS44_EVENT_NAMES, []],
    ['an excluded term', '-DEBUG', [], [...CIS44_EVENT_NAMES]],
    ['a term and an excluded caller', 'AttachRolePolicy -Root', [], ['AttachRolePolicy']],
    [
      'a regular expression on the name',
      '%Attach[A-Za-z]*Policy%',
      ['AttachRolePolicy', 'AttachUserPolicy', 'AttachGroupPolicy'],
      [],
    ],
    ['everything', '', CIS44_EVENT_NAMES, []],
    ['any space-delimited event', '[...]', CIS44_EVENT_NAMES, []],
  ])('judges text patterns: %s', (_, pattern, covered, partial) => {
    const result = evaluateCis44Coverage(pattern);
    expect(result.covered).toEqual([...covered]);
    expect(result.partial.map((call) => call.eventName)).toEqual([...partial]);
  });

  it('words the condition of an excluded term', () => {
    expect(evaluateCis44Coverage('AttachRolePolicy -Root').partial).toEqual([
      {
        eventName: 'AttachRolePolicy',
        condition: 'only when the record\'s text does not contain "Root"',
      },
    ]);
  });

  it('adds up the filters feeding one metric', () => {
    const result = evaluateCis44CoverageOfAll([
      `{ ${ALL_CALLS} && ($.userIdentity.type = IAMUser) }`,
      `{ ${ALL_CALLS} && ($.userIdentity.type != IAMUser) }`,
    ]);
    // Every present type is one or the other; CloudTrail always writes userIdentity.type.
    expect(result).toEqual({ valid: true, covered: ALL, partial: [], missing: [] });
  });

  it('agrees with the evaluator on every sample record of a call it says is covered', () => {
    for (const pattern of [
      CIS44_FILTER_PATTERN,
      `{ ${ALL_CALLS} && (($.errorCode NOT EXISTS) || ($.errorCode = *)) }`,
      '{ $.eventName = "Put*Policy" }',
    ]) {
      const parsed = parseFilterPattern(pattern);
      for (const eventName of evaluateCis44Coverage(pattern).covered) {
        for (const { record } of cis44SampleVariants(eventName)) {
          expect(matchesFilterPattern(parsed, { message: JSON.stringify(record) })).toBe(true);
        }
      }
    }
  });
});

describe('extendFilterPattern', () => {
  it.each([
    ['a restricted pattern', `{ ${ALL_CALLS} && ($.userIdentity.type = IAMUser) }`, ['PutRolePolicy']],
    [
      'a two-call pattern',
      '{ ($.eventName = PutRolePolicy) || ($.eventName = AttachRolePolicy) }',
      CIS44_EVENT_NAMES.filter((name) => name !== 'PutRolePolicy' && name !== 'AttachRolePolicy'),
    ],
    [
      'a pattern that also counts other calls',
      '{ ($.eventName = ConsoleLogin) || ($.eventName = PutRolePolicy) }',
      ['AttachRolePolicy'],
    ],
  ] as [string, string, Cis44EventName[]][])(
    'keeps what %s counted and adds the missing calls',
    (_, pattern, missing) => {
      const extended = extendFilterPattern(pattern, missing) as string;
      expect(extended).toBeDefined();
      expect(extended.length).toBeLessThanOrEqual(MAX_FILTER_PATTERN_LENGTH);
      const after = evaluateCis44Coverage(extended);
      for (const name of missing) expect(after.covered).toContain(name);
      // Everything the old pattern matched, the new one matches.
      const before = parseFilterPattern(pattern);
      const now = parseFilterPattern(extended);
      for (const name of CIS44_EVENT_NAMES) {
        for (const { record } of cis44SampleVariants(name)) {
          const event = { message: JSON.stringify(record) };
          if (matchesFilterPattern(before, event)) expect(matchesFilterPattern(now, event)).toBe(true);
        }
      }
      const login = {
        message: JSON.stringify({ eventName: 'ConsoleLogin', userIdentity: { type: 'IAMUser' } }),
      };
      expect(matchesFilterPattern(now, login)).toBe(matchesFilterPattern(before, login));
    },
  );

  it('gives up when the result would pass the CloudWatch Logs length limit', () => {
    const pattern = `{ ${ALL_CALLS} && ($.userIdentity.type = IAMUser) }`;
    expect(extendFilterPattern(pattern, CIS44_EVENT_NAMES)).toBeUndefined();
  });

  it('gives up on a text pattern, which cannot be joined with a JSON condition', () => {
    expect(extendFilterPattern('AttachRolePolicy', ['PutRolePolicy'])).toBeUndefined();
  });

  it('writes a pattern counting exactly the given calls', () => {
    expect(cis44PatternFor(['PutRolePolicy', 'AttachRolePolicy'])).toBe(
      '{($.eventName=PutRolePolicy)||($.eventName=AttachRolePolicy)}',
    );
    expect(evaluateCis44Coverage(cis44PatternFor(CIS44_EVENT_NAMES)).missing).toEqual([]);
  });
});

describe('cis44SampleVariants', () => {
  it.each(CIS44_EVENT_NAMES)('varies the caller, the client and the outcome of %s', (eventName) => {
    const samples = cis44SampleVariants(eventName);
    expect(samples.map((sample) => sample.variant)).toEqual([...CIS44_SAMPLE_VARIANTS]);
    const types = samples.map((sample) => (sample.record.userIdentity as { type: string }).type);
    expect(new Set(types)).toEqual(new Set(['IAMUser', 'AssumedRole', 'Root']));
    expect(samples.filter((sample) => 'errorCode' in sample.record).map((s) => s.variant)).toEqual([
      'failed',
    ]);
    for (const { record } of samples)
      expect(record).toMatchObject({ eventName, eventSource: 'iam.amazonaws.com' });
  });
});

describe('CIS44_SAMPLE_RECORDS', () => {
  it.each(CIS44_EVENT_NAMES)('holds a successful IAM-user %s call in us-east-1', (eventName) => {
    const record = CIS44_SAMPLE_RECORDS[eventName];
    expect(record).toMatchObject({
      eventName,
      eventSource: 'iam.amazonaws.com',
      awsRegion: 'us-east-1',
      eventType: 'AwsApiCall',
      userIdentity: { type: 'IAMUser' },
    });
    expect(record).not.toHaveProperty('errorCode');
    expect(Object.keys(record.requestParameters ?? {}).length).toBeGreaterThan(0);
    expect(record).toHaveProperty('responseElements');
  });
});
