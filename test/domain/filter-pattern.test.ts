import { describe, expect, it } from 'vitest';
import {
  CIS44_FILTER_PATTERN,
  type FilterPattern,
  FilterPatternError,
  matchesFilterPattern,
  parseFilterPattern,
} from '../../src/domain/filter-pattern';

/** Parses and matches one message; JSON messages are matched from their text, as CloudWatch Logs does. */
function matches(pattern: string, message: string): boolean {
  return matchesFilterPattern(parseFilterPattern(pattern), { message });
}

/** The error `fn` throws, failing the test when it throws nothing. */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error: unknown) {
    if (error instanceof Error) return error;
    throw new Error(`threw a non-Error: ${String(error)}`);
  }
  throw new Error('expected an error, got none');
}

/** The 1-based numbers of the lines the pattern matches, as the guide numbers its example events. */
function matchingLines(pattern: string, lines: readonly string[]): number[] {
  const parsed = parseFilterPattern(pattern);
  return lines.flatMap((message, index) => (matchesFilterPattern(parsed, { message }) ? [index + 1] : []));
}

// Examples below come from the Amazon CloudWatch Logs User Guide page "Filter pattern syntax for metric
// filters, subscription filters, and filter log events" (current and earlier editions), with the outcome the
// guide states for each.

describe('matchesFilterPattern on the guide’s unstructured examples', () => {
  const E400 = '[ERROR 400] BAD REQUEST';
  const E401 = '[ERROR 401] UNAUTHORIZED REQUEST';
  const E419 = '[ERROR 419] MISSING ARGUMENTS';
  const E420 = '[ERROR 420] INVALID ARGUMENTS';
  const E500 = '[ERROR 500] INTERNAL SERVER ERROR';
  const S200 = '[SUCCESS 200] AUTHORIZED REQUEST';

  it.each([
    ['ERROR', E400, true],
    ['ERROR', E420, true],
    ['ERROR', S200, false],
    ['ERROR ARGUMENTS', E419, true],
    ['ERROR ARGUMENTS', E420, true],
    ['ERROR ARGUMENTS', E400, false],
    ['ERROR ARGUMENTS', E401, false],
    ['?ERROR ?ARGUMENTS', E400, true],
    ['?ERROR ?ARGUMENTS', E419, true],
    ['?ERROR ?ARGUMENTS', S200, false],
    ['"INTERNAL SERVER ERROR"', E500, true],
    ['"INTERNAL SERVER ERROR"', E400, false],
    ['ERROR -ARGUMENTS', E400, true],
    ['ERROR -ARGUMENTS', E401, true],
    ['ERROR -ARGUMENTS', E419, false],
    ['ERROR -ARGUMENTS', E420, false],
    ['" "', E400, true],
    ['" "', 'no-blank-at-all', true],
    ['', S200, true],
    ['%AUTHORIZED%', E401, true],
    ['%AUTHORIZED%', S200, true],
    ['%AUTHORIZED%', E400, false],
  ])('pattern %j on %j → %s', (pattern, message, expected) => {
    expect(matches(pattern, message)).toBe(expected);
  });

  it.each([
    ['ERROR', '[ERROR] A fatal exception has occurred', true],
    ['ERROR', 'Exiting with ERRORCODE: -1', true],
    ['ERROR -Exiting', 'Exiting with ERRORCODE: -1', false],
    ['"ERROR" - "Exiting"', 'Exiting with ERRORCODE: -1', false],
    ['"ERROR" - "Exiting"', '[ERROR] A fatal exception has occurred', true],
    ['ERROR Exception', '[ERROR] Caught IllegalArgumentException', true],
    ['ERROR Exception', '[ERROR] Unhandled Exception', true],
    ['"Failed to process the request"', '[WARN] Failed to process the request', true],
    ['"Failed to process the request"', '[ERROR] Unable to continue: Failed to process the request', true],
  ])(
    'matches terms by substring, as the earlier edition shows: %j on %j → %s',
    (pattern, message, expected) => {
      expect(matches(pattern, message)).toBe(expected);
    },
  );

  const OR_LINES = ['ERROR WARN message', 'ERROR message', 'WARN message'];

  it.each([
    ['ERROR', [1, 2]],
    ['?ERROR ?WARN', [1, 2, 3]],
    ['ERROR WARN', [1]],
    ['ERROR -WARN', [2]],
    ['[w1=ERROR, w2]', [2]],
    ['[w1=ERROR || w1=WARN, w2]', [2, 3]],
    ['[w1=ERROR || W1=WARNING, w2]', [2]],
    // The guide says this "matches lines containing both ERROR and WARN (pattern 1)", which its own
    // conditions contradict (line 1 starts with ERROR and has three fields); the later edition describes it
    // as "the first words aren't ERROR and WARNING", which none of the three lines satisfies.
    ['[w1!=ERROR && w1!=WARN, w2]', []],
  ])('OR pattern matching: %j matches lines %j', (pattern, expected) => {
    expect(matchingLines(pattern, OR_LINES)).toEqual(expected);
  });

  it.each([
    ['{$.foo = bar}', [1]],
    ['{$.foo = baz }', [2]],
    ['{$.foo = bar || $.foo = baz }', [1, 2]],
  ])('OR pattern matching in JSON: %j matches lines %j', (pattern, expected) => {
    expect(matchingLines(pattern, ['{"foo": "bar"}', '{"foo": "baz"}'])).toEqual(expected);
  });
});

describe('matchesFilterPattern on the guide’s JSON examples', () => {
  const EVENT = JSON.stringify({
    eventType: 'UpdateTrail',
    sourceIPAddress: '111.111.111.111',
    arrayKey: ['value', 'another value'],
    objectList: [
      { name: 'a', id: 1 },
      { name: 'b', id: 2 },
    ],
    SomeObject: null,
    ThisFlag: true,
  });

  it.each([
    ['{ $.eventType = "UpdateTrail" }', true],
    ['{ $.sourceIPAddress != 123.123.* }', true],
    ['{ $.arrayKey[0] = "value" }', true],
    ['{ $.objectList[1].id = 2 }', true],
    ['{ $.SomeObject IS NULL }', true],
    ['{ $.SomeOtherObject NOT EXISTS }', true],
    ['{ $.ThisFlag IS TRUE }', true],
    ['{ $.sourceIPAddress != 111.111.* }', false],
    ['{ $.arrayKey[0] = "another value" }', false],
    ['{ $.arrayKey[2] = "value" }', false],
    ['{ $.objectList[1].id = 1 }', false],
    ['{ $.eventType.id = 1 }', false],
    ['{ $.SomeObject NOT EXISTS }', false],
    ['{ $.ThisFlag IS FALSE }', false],
  ])('%j → %s', (pattern, expected) => {
    expect(matches(pattern, EVENT)).toBe(expected);
  });

  const COMPOUND = JSON.stringify({
    user: { id: 1, email: 'John.Stiles@example.com' },
    users: [
      { id: 2, email: 'John.Doe@example.com' },
      { id: 3, email: 'Jane.Doe@example.com' },
    ],
    actions: ['GET', 'PUT', 'DELETE'],
    coordinates: [
      [0, 1, 2],
      [4, 5, 6],
      [7, 8, 9],
    ],
  });

  it.each([
    ['{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }', true],
    ['{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }', false],
    [
      '{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch && $.actions[2] = nomatch }',
      true,
    ],
    [
      '{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch) && $.actions[2] = nomatch }',
      false,
    ],
  ])('compound condition %j → %s', (pattern, expected) => {
    expect(matches(pattern, COMPOUND)).toBe(expected);
  });

  it.each(['{$.users = 1}', '{$.users != 1}'])(
    'never matches %j when the selector points to an array',
    (pattern) => {
      expect(matches(pattern, '{"users": [1, 2, 3]}')).toBe(false);
    },
  );

  const NUMBERS = JSON.stringify({
    latency: 1500,
    numbers: [0.001],
    number: [0.001],
    processes: [{}, {}, {}, {}, { averageRuntime: 55.5 }],
    errorCode: 400,
    bandwidth: 80,
    refreshRate: 60,
    responseTime: 5,
  });

  it.each([
    ['{ $.latency >= 500 }', true],
    ['{ $.numbers[0] < 10e3 }', true],
    ['{ $.numbers[0] < 10e-3 }', true],
    ['{ $.processes[4].averageRuntime <= 55.5 }', true],
    ['{ $.errorCode = 400 }', true],
    ['{ $.errorCode != 500 }', true],
    ['{ $.latency > +1000 }', true],
    ['{ $.bandwidth > 75 }', true],
    ['{ $.latency < 50 }', false],
    ['{ $.refreshRate >= 60 }', true],
    ['{ $.responseTime <= 5 }', true],
    ['{ $.number[0] = 1e-3 }', true],
    ['{ $.number[0] != 1e+3 }', true],
    ['{ $.errorCode != 400 }', false],
  ])('numeric comparison %j → %s', (pattern, expected) => {
    expect(matches(pattern, NUMBERS)).toBe(expected);
  });

  it('matches { $.latency = * } on an event whose latency is a number', () => {
    expect(matches('{ $.latency = * }', '{"latency": 50, "requestType": "GET"}')).toBe(true);
  });

  it.each([
    ['{"eventType": "UpdateTrail", "sourceIPAddress": "111.111.111.111"}', true],
    ['{"eventType": "UpdateTrail"}', false],
  ])(
    'counts { $.eventType = "*" && $.sourceIPAddress != 123.123.* } only with both properties: %j → %s',
    (message, expected) => {
      expect(matches('{ $.eventType = "*" && $.sourceIPAddress != 123.123.* }', message)).toBe(expected);
    },
  );
});

describe('matchesFilterPattern on the guide’s space-delimited examples', () => {
  const ACCESS = '127.0.0.1 Prod frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534';

  it.each([
    ['[ip, user, username, timestamp, request =*.html*, status_code = 4*, bytes]', true],
    ['[..., request =*.html*, status_code = 4*, bytes]', true],
    [
      '[ip, user, username, timestamp, request =*.html*, status_code = 404 || status_code = 410, bytes]',
      true,
    ],
    ['[ip, server, username, timestamp, request, status_code, bytes > 1000]', true],
    ['[ip, user, username, timestamp, request, status_code = 4* && status_code != 403, bytes]', true],
    ['[..., request=*.html*, status_code=4*,]', true],
    ['[..., status_code, bytes]', true],
    ['[ip, user, ..., status_code, bytes]', true],
    ['[ip, user, ...]', true],
    ['[ip, user, username, timestamp, request, status_code = 200, bytes]', false],
    ['[ip, user, username, timestamp, request, status_code, bytes > 2000]', false],
    ['[ip, user, username, timestamp, request, status_code]', false],
    ['[ip, user = Prod, username = frank, timestamp = "10/Oct/2000:13:25:15 -0700", ...]', true],
  ])('%j → %s', (pattern, expected) => {
    expect(matches(pattern, ACCESS)).toBe(expected);
  });

  it('picks the 200 responses out of the earlier edition’s access log', () => {
    const lines = [
      '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534',
      '127.0.0.1 - frank [10/Oct/2000:13:35:22 -0700] "GET /apache_pb.gif HTTP/1.0" 500 5324',
      '127.0.0.1 - frank [10/Oct/2000:13:50:35 -0700] "GET /apache_pb.gif HTTP/1.0" 200 4355',
    ];
    expect(
      matchingLines('[ip, user, username, timestamp, request, status_code = 200, bytes]', lines),
    ).toEqual([1, 3]);
  });
});

describe('matchesFilterPattern', () => {
  const VALUES = JSON.stringify({
    t: true,
    f: false,
    n: null,
    s: 'true',
    z: 0,
    count: '10',
    ten: 10,
    neg: -2,
    obj: { inner: 'x' },
    list: ['a', 'b'],
  });

  it.each([
    ['{ $.t IS TRUE }', true],
    ['{ $.s IS TRUE }', false],
    ['{ $.missing IS TRUE }', false],
    ['{ $.f IS FALSE }', true],
    ['{ $.z IS FALSE }', false],
    ['{ $.n IS FALSE }', false],
    ['{ $.n IS NULL }', true],
    ['{ $.f IS NULL }', false],
    ['{ $.missing IS NULL }', false],
    ['{ $.missing NOT EXISTS }', true],
    ['{ $.n NOT EXISTS }', false],
    ['{ $.t.deeper NOT EXISTS }', true],
    ['{ $.list[9] NOT EXISTS }', true],
    ['{ $.list[1] NOT EXISTS }', false],
  ])('tests values with IS and NOT EXISTS: %j → %s', (pattern, expected) => {
    expect(matches(pattern, VALUES)).toBe(expected);
  });

  it.each([
    ['{ $.missing != x }', false],
    ['{ $.obj.missing != x }', false],
    ['{ $.s != x }', true],
    ['{ $.s != true }', false],
    ['{ $.n != x }', false],
    ['{ $.t != x }', false],
    ['{ $.obj != x }', false],
    ['{ $.list != x }', false],
    ['{ $.missing = * }', false],
    ['{ $.n = * }', false],
  ])('makes = and != false unless the selector reaches a string or number: %j → %s', (pattern, expected) => {
    expect(matches(pattern, VALUES)).toBe(expected);
  });

  it.each([
    ['{ $.ten > 5 }', true],
    ['{ $.ten >= 10 }', true],
    ['{ $.ten < 10 }', false],
    ['{ $.ten = 1e1 }', true],
    ['{ $.ten = 10.0 }', true],
    ['{ $.ten = "10" }', true],
    ['{ $.ten = 1* }', true],
    ['{ $.neg < -1.5 }', true],
    ['{ $.neg > -1.5 }', false],
    ['{ $.count > 5 }', false],
    ['{ $.count = 10 }', true],
    ['{ $.count = 10.0 }', false],
  ])('compares numbers numerically and numeric-looking strings as text: %j → %s', (pattern, expected) => {
    expect(matches(pattern, VALUES)).toBe(expected);
  });

  it.each([
    ['{ $.eventName = "Put*" }', true],
    ['{ $.eventName = *Policy }', true],
    ['{ $.eventName = *Role* }', true],
    ['{ $.eventName = "Put*Policy" }', true],
    ['{ $.eventName = Put*Role*Policy }', true],
    ['{ $.eventName = "Delete*" }', false],
    ['{ $.eventName = "*User*" }', false],
    ['{ $.eventName = "PutRolePolicy*x" }', false],
    ['{ $.eventName = "*Role" }', false],
    ['{ $.eventName = "PutRole*RolePolicy" }', false],
    ['{ $.eventName = putrolepolicy }', false],
    ['{ $.eventName = PutRole }', false],
    ['{ $.eventName = %^Put[A-Za-z]+Policy$% }', true],
    ['{ $.eventName != %Role% }', false],
  ])(
    'matches strings exactly, case-sensitively, with * anywhere: %j on PutRolePolicy → %s',
    (pattern, expected) => {
      expect(matches(pattern, '{"eventName":"PutRolePolicy"}')).toBe(expected);
    },
  );

  it.each([
    ['{ $.a = 1 || $.b = 2 && $.c = 3 }', '{"a":1}', true],
    ['{ $.b = 2 && $.c = 3 || $.a = 1 }', '{"a":1}', true],
    ['{ ($.a = 1 || $.b = 2) && $.c = 3 }', '{"a":1}', false],
    ['{ $.a = 1 && $.b = 2 || $.c = 3 }', '{"c":3}', true],
    ['{ $.a = 1 && ($.b = 2 || $.c = 3) }', '{"c":3}', false],
    ['{ (($.a = 1) && (($.b = 2) || ($.c = 3))) }', '{"a":1,"c":3}', true],
  ])('binds && tighter than ||: %j on %j → %s', (pattern, message, expected) => {
    expect(matches(pattern, message)).toBe(expected);
  });

  it.each([
    ['{ $.coordinates[1][2] = 6 }', true],
    ['{ $.objectList[0].name = a }', true],
    ['{ $.objectList[5].name = a }', false],
    ['{ $.objectList.name = a }', false],
    ['{ $.detail-type = "AWS API Call via CloudTrail" }', true],
  ])('follows array index and property selectors: %j → %s', (pattern, expected) => {
    const message = JSON.stringify({
      coordinates: [
        [0, 1, 2],
        [4, 5, 6],
      ],
      objectList: [{ name: 'a' }, { name: 'b' }],
      'detail-type': 'AWS API Call via CloudTrail',
    });
    expect(matches(pattern, message)).toBe(expected);
  });

  it.each([['not JSON at all'], ['[{"a":1}]'], ['"a string"'], ['{"a": truncated']])(
    'never matches a JSON pattern, not even NOT EXISTS, on a message that is not a JSON object: %j',
    (message) => {
      expect(matches('{ $.b NOT EXISTS }', message)).toBe(false);
    },
  );

  it('matches a JSON pattern against event.json when the caller has parsed the message', () => {
    const pattern = parseFilterPattern('{ $.a = 1 }');
    expect(matchesFilterPattern(pattern, { message: 'unparsed', json: { a: 1 } })).toBe(true);
    expect(matchesFilterPattern(pattern, { message: '{"a":1}', json: { a: 2 } })).toBe(false);
  });

  it.each([
    ['UpdateTrail', '{"eventName":"UpdateTrail"}', true],
    ['updatetrail', '{"eventName":"UpdateTrail"}', false],
    ['"\\"eventName\\":\\"UpdateTrail\\""', '{"eventName":"UpdateTrail"}', true],
    ['?ERROR MainThread ?WARN Deadlock', 'ERROR in MainThread', true],
    ['?ERROR MainThread ?WARN Deadlock', 'WARN: Deadlock detected', true],
    ['?ERROR MainThread ?WARN Deadlock', 'ERROR: Deadlock detected', false],
    ['ERROR ?WARN', 'WARN only', true],
    ['-DEBUG', 'INFO started', true],
    ['-DEBUG', 'DEBUG started', false],
  ])('matches term %j on the raw text of %j → %s', (pattern, message, expected) => {
    expect(matches(pattern, message)).toBe(expected);
  });

  it('evaluates one parsed pattern over many events', () => {
    const pattern = parseFilterPattern(CIS44_FILTER_PATTERN);
    const events = Array.from({ length: 2000 }, (_, index) => ({
      message: JSON.stringify({
        eventSource: 'iam.amazonaws.com',
        eventName: index % 2 === 0 ? 'PutRolePolicy' : 'GetRolePolicy',
      }),
    }));
    expect(events.filter((event) => matchesFilterPattern(pattern, event))).toHaveLength(1000);
  });
});

describe('parseFilterPattern', () => {
  it.each([
    ['', 'all'],
    ['   \n ', 'all'],
    ['ERROR', 'terms'],
    ['  { $.a = 1 }', 'json'],
    ['[a, b]', 'delimited'],
    ['%ERR[0-9]+%', 'regex'],
  ])('reads %j as a %s pattern', (pattern, kind) => {
    expect(parseFilterPattern(pattern).kind).toBe(kind);
  });

  it.each([
    ['$.eventName', ['eventName']],
    ['$.a.b[1].c', ['a', 'b', 1, 'c']],
    ['$.coordinates[0][1]', ['coordinates', 0, 1]],
    ['$.detail-type', ['detail-type']],
    ['$.user_name', ['user_name']],
  ])('parses the selector %s into a path', (selector, path) => {
    const parsed = parseFilterPattern(`{ ${selector} NOT EXISTS }`);
    expect(parsed).toEqual({
      kind: 'json',
      source: `{ ${selector} NOT EXISTS }`,
      condition: { kind: 'not-exists', selector: { text: selector, path } },
    });
  });

  it.each([
    ['400', { kind: 'number', value: 400, text: '400' }],
    ['-5', { kind: 'number', value: -5, text: '-5' }],
    ['+1000', { kind: 'number', value: 1000, text: '+1000' }],
    ['55.5', { kind: 'number', value: 55.5, text: '55.5' }],
    ['10e-3', { kind: 'number', value: 0.01, text: '10e-3' }],
    ['1e+3', { kind: 'number', value: 1000, text: '1e+3' }],
    ['"400"', { kind: 'string', text: '400', quoted: true }],
    ['DeleteGroupPolicy', { kind: 'string', text: 'DeleteGroupPolicy', quoted: false }],
    ['123.123.*', { kind: 'string', text: '123.123.*', quoted: false }],
    ['iam.amazonaws.com', { kind: 'string', text: 'iam.amazonaws.com', quoted: false }],
    ['"say \\"hi\\" \\\\ bye"', { kind: 'string', text: 'say "hi" \\ bye', quoted: true }],
    ['%^Put%', { kind: 'regex', source: '^Put' }],
  ])('reads the value %s', (text, value) => {
    const parsed = parseFilterPattern(`{ $.a = ${text} }`);
    expect(parsed.kind === 'json' && parsed.condition.kind === 'compare' && parsed.condition.value).toEqual(
      value,
    );
  });

  it('builds || of && so that && binds tighter', () => {
    const parsed = parseFilterPattern('{ $.a = 1 || $.b = 2 && $.c = 3 }');
    const compare = (name: string, text: string) => ({
      kind: 'compare',
      selector: { text: `$.${name}`, path: [name] },
      operator: '=',
      value: { kind: 'number', value: Number(text), text },
    });
    expect(parsed).toMatchObject({
      kind: 'json',
      condition: {
        kind: 'or',
        operands: [compare('a', '1'), { kind: 'and', operands: [compare('b', '2'), compare('c', '3')] }],
      },
    });
  });

  it('groups terms into alternatives at each ?', () => {
    expect(parseFilterPattern('?ERROR MainThread ?WARN -Deadlock')).toEqual<FilterPattern>({
      kind: 'terms',
      source: '?ERROR MainThread ?WARN -Deadlock',
      alternatives: [
        [
          { text: 'ERROR', quoted: false, exclude: false },
          { text: 'MainThread', quoted: false, exclude: false },
        ],
        [
          { text: 'WARN', quoted: false, exclude: false },
          { text: 'Deadlock', quoted: false, exclude: true },
        ],
      ],
    });
  });

  it('parses space-delimited slots, the ellipsis and empty slots', () => {
    expect(parseFilterPattern('[..., code = 4* && code != 403,]')).toEqual<FilterPattern>({
      kind: 'delimited',
      source: '[..., code = 4* && code != 403,]',
      fields: [
        { kind: 'ellipsis' },
        {
          kind: 'field',
          name: 'code',
          condition: {
            kind: 'and',
            operands: [
              { kind: 'compare', operator: '=', value: { kind: 'string', text: '4*', quoted: false } },
              { kind: 'compare', operator: '!=', value: { kind: 'number', value: 403, text: '403' } },
            ],
          },
        },
        { kind: 'field', name: null, condition: null },
      ],
    });
  });

  it.each([
    ['{ $.eventName = }', 16, 'expected a value after "="'],
    ['{ $.eventName == X }', 15, '"=="'],
    ['{ ($.eventName = A }', 19, 'expected ")"'],
    ['{ (($.a = 1) || $.b = 2 }', 24, 'expected ")"'],
    ['{ $.eventName = A) }', 17, 'unexpected ")"'],
    ['{ $.eventName = A', 17, 'expected "}"'],
    [CIS44_FILTER_PATTERN.slice(0, -1), CIS44_FILTER_PATTERN.length - 1, 'expected "}"'],
    ['{\n  $.a = 1\n  $.b = 2\n}', 14, 'expected "&&", "||" or "}"'],
    ['{ $.a = 1 }}', 11, 'after the closing "}"'],
    ['{ }', 2, 'expected a selector'],
    ['{ eventName = x }', 2, 'expected a selector'],
    ['{ $.a = "x" && }', 15, 'expected a selector'],
    ['{ $.a = 1 & $.b = 2 }', 10, '"&&"'],
    ['{ $.a }', 6, 'IS or NOT EXISTS'],
    ['{ $.a EXISTS }', 6, '"EXISTS" is not supported'],
    ['{ $.a IS NOT NULL }', 9, '"IS NOT" is not supported'],
    ['{ $.a IS MAYBE }', 9, 'TRUE, FALSE or NULL'],
    ['{ $.a is null }', 6, 'IS or NOT EXISTS'],
    ['{ $.a NOT THERE }', 10, 'EXISTS after "NOT"'],
    ['{ $.a < abc }', 8, 'compares numbers'],
    ['{ $.a > "5" }', 8, 'compares numbers'],
    ['{ $.* = x }', 4, 'wildcard selectors'],
    ['{ $[0] = x }', 3, 'array index must follow a property'],
    ['{ $ = x }', 3, 'expected "." after "$"'],
    ['{ $.a.b[x] = 1 }', 8, 'expected an array index'],
    ['{ $.a[1 = 1 }', 7, 'expected "]"'],
    ['{ $.a = x@y }', 9, 'double quotes'],
    ['{ $.a = "open }', 8, 'unterminated quoted string'],
    ['{ $.a = %[% }', 8, 'invalid regular expression'],
    ['{ $.a = %a% || $.b = %b% || $.c = %c% }', 34, 'more than 2 regular expressions'],
    ['"unterminated', 0, 'unterminated quoted string'],
    ['ERROR ?', 7, 'expected a term'],
    ['foo"bar', 3, 'double quotes'],
    ['%a(b)%', 2, 'no groups'],
    ['%a b%', 2, 'not allowed in a regular expression'],
    ['%abc', 0, 'unterminated regular expression'],
    ['%abc% more', 6, 'after the closing'],
    ['[]', 1, 'expected a field name'],
    ['[a, b', 5, 'expected "]"'],
    ['[a b]', 3, 'comparison operator'],
    ['[a, ..., b, ...]', 12, 'only one "..."'],
    ['[status = 1 && bytes > 2]', 15, 'names "bytes"'],
    ['[a = , b]', 5, 'expected a value'],
    ['[a == 1]', 4, '"=="'],
    ['x'.repeat(1025), 1024, '1024 characters'],
  ])('refuses %j at position %i', (pattern, position, fragment) => {
    const error = thrown(() => parseFilterPattern(pattern));
    expect(error).toBeInstanceOf(FilterPatternError);
    expect(error.name).toBe('FilterPatternError');
    expect((error as FilterPatternError).position).toBe(position);
    expect(error.message).toContain(fragment);
    expect(error.message).toContain(`at position ${position}`);
    expect(error.message).not.toContain('\n');
  });

  it('accepts a pattern of exactly 1024 characters', () => {
    expect(parseFilterPattern('x'.repeat(1024)).kind).toBe('terms');
  });
});
