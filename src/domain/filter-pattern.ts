/**
 * CloudWatch Logs filter patterns — the syntax of metric filters, subscription filters and FilterLogEvents —
 * parsed into a tree and evaluated against log events. Written by hand: no maintained library parses or
 * evaluates this syntax (the SDK only carries the text, and `TestMetricFilter` is a network call), and the
 * bot must judge a metric filter without calling AWS. Pure: no SDK, no environment, no clock.
 *
 * The rules follow the Amazon CloudWatch Logs User Guide page "Filter pattern syntax for metric filters,
 * subscription filters, and filter log events". The form is told by the first non-blank character:
 *
 * - `{ … }` a JSON pattern: `$.a.b[0]` selectors; `=` `!=` `<` `<=` `>` `>=`; `IS TRUE|FALSE|NULL`;
 *   `NOT EXISTS`; `&&` binding tighter than `||`; parentheses.
 * - `[ … ]` a space-delimited pattern: named fields, one `...`, conditions per field.
 * - `%…%` a regular expression (the guide's restricted dialect: no groups).
 * - anything else: terms, all of which must appear (`?` starts an alternative, `-` excludes, `"…"` quotes).
 * - the empty pattern matches every event.
 *
 * Where the guide is silent or says two things, the rule taken is written beside the code that applies it.
 * Parse once with {@link parseFilterPattern}; {@link matchesFilterPattern} compiles the tree to closures on
 * first use and caches them, so evaluating thousands of events costs one walk of precompiled predicates each.
 */

/** The CIS AWS Foundations Benchmark 4.4 metric filter pattern, exactly as the benchmark prints it. */
export const CIS44_FILTER_PATTERN =
  '{($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)||($.eventName=DeleteUserPolicy)||($.eventName=PutGroupPolicy)||($.eventName=PutRolePolicy)||($.eventName=PutUserPolicy)||($.eventName=CreatePolicy)||($.eventName=DeletePolicy)||($.eventName=CreatePolicyVersion)||($.eventName=DeletePolicyVersion)||($.eventName=AttachRolePolicy)||($.eventName=DetachRolePolicy)||($.eventName=AttachUserPolicy)||($.eventName=DetachUserPolicy)||($.eventName=AttachGroupPolicy)||($.eventName=DetachGroupPolicy)}';

/** The longest filter pattern CloudWatch Logs accepts (`filterPattern` in PutMetricFilter). */
export const MAX_FILTER_PATTERN_LENGTH = 1024;

/** The guide allows at most two regular expressions in one JSON or space-delimited pattern. */
const MAX_REGEX_PER_PATTERN = 2;

/** A pattern CloudWatch Logs would not accept. The message is one line and names the position. */
export class FilterPatternError extends Error {
  override name = 'FilterPatternError';
  /** 0-based index in the pattern text where the problem was found. */
  readonly position: number;

  constructor(message: string, position: number, options?: ErrorOptions) {
    super(message, options);
    this.position = position;
  }
}

export type ComparisonOperator = '=' | '!=' | '<' | '<=' | '>' | '>=';

/**
 * The right-hand side of a comparison. Strings may hold `*` wildcards; a bare word that reads as a number
 * (`400`, `-5`, `55.5`, `10e-3`, `+1000`) is a number; quoted text is always a string.
 */
export type PatternValue =
  | { readonly kind: 'string'; readonly text: string; readonly quoted: boolean }
  | { readonly kind: 'number'; readonly value: number; readonly text: string }
  | { readonly kind: 'regex'; readonly source: string };

/** `$.a.b[1].c` → path `['a', 'b', 1, 'c']`. */
export interface Selector {
  readonly text: string;
  readonly path: readonly (string | number)[];
}

export type JsonCondition =
  | { readonly kind: 'or'; readonly operands: readonly JsonCondition[] }
  | { readonly kind: 'and'; readonly operands: readonly JsonCondition[] }
  | {
      readonly kind: 'compare';
      readonly selector: Selector;
      readonly operator: ComparisonOperator;
      readonly value: PatternValue;
    }
  | { readonly kind: 'is'; readonly selector: Selector; readonly value: boolean | null }
  | { readonly kind: 'not-exists'; readonly selector: Selector };

/** One word or quoted phrase of a term pattern. */
export interface Term {
  readonly text: string;
  readonly quoted: boolean;
  /** Written `-term`: the event must not contain it. */
  readonly exclude: boolean;
}

export type FieldCondition =
  | { readonly kind: 'or'; readonly operands: readonly FieldCondition[] }
  | { readonly kind: 'and'; readonly operands: readonly FieldCondition[] }
  | { readonly kind: 'compare'; readonly operator: ComparisonOperator; readonly value: PatternValue };

export type DelimitedField =
  | { readonly kind: 'ellipsis' }
  /** `name` is null for an empty slot (`[a, , b]` or a trailing comma), which takes any one field. */
  | { readonly kind: 'field'; readonly name: string | null; readonly condition: FieldCondition | null };

export type FilterPattern =
  | { readonly kind: 'all'; readonly source: string }
  /** Alternatives (any may match), each a list of terms that must all hold. */
  | { readonly kind: 'terms'; readonly source: string; readonly alternatives: readonly (readonly Term[])[] }
  | { readonly kind: 'regex'; readonly source: string; readonly regex: string }
  | { readonly kind: 'json'; readonly source: string; readonly condition: JsonCondition }
  | { readonly kind: 'delimited'; readonly source: string; readonly fields: readonly DelimitedField[] };

/** A log event: its message text and, when the caller already parsed it, the message as JSON. */
export interface FilterLogEvent {
  message: string;
  json?: unknown;
}

// ---------------------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------------------

const NUMBER_TEXT = /^[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const NAME_CHAR = /[A-Za-z0-9_-]/;
/**
 * Characters a value may hold without quotes. The guide: alphanumeric strings need no quotes, and those
 * with `@`, `$`, `\` or non-ASCII characters must be quoted; its own examples leave `123.123.*` bare, and
 * CIS patterns leave `iam.amazonaws.com` bare, so `.`, `*`, `-`, `_`, `:`, `/` and `+` are allowed too.
 */
const BARE_CHAR = /[A-Za-z0-9_.*:/+-]/;
/** The guide's regex dialect: alphanumerics, `_ # = @ / ; , - :` and the operators `^ $ ? [ ] { } | \ * + .`. */
const REGEX_CHAR = /[A-Za-z0-9_#=@/;,:\-^$?[\]{}|\\*+.]/;

function isBlank(char: string | undefined): boolean {
  return char === ' ' || char === '\t' || char === '\n' || char === '\r' || char === '\f' || char === '\v';
}

function describeChar(char: string | undefined): string {
  if (char === undefined) return 'the end of the pattern';
  return JSON.stringify(char);
}

class Parser {
  private pos = 0;
  private regexCount = 0;

  constructor(private readonly src: string) {}

  parse(): FilterPattern {
    const src = this.src;
    if (src.length > MAX_FILTER_PATTERN_LENGTH) {
      throw new FilterPatternError(
        `the pattern is longer than the ${MAX_FILTER_PATTERN_LENGTH} characters CloudWatch Logs accepts at position ${MAX_FILTER_PATTERN_LENGTH}`,
        MAX_FILTER_PATTERN_LENGTH,
      );
    }
    this.skipBlanks();
    const first = this.peek();
    if (first === undefined) return { kind: 'all', source: src };
    if (first === '{') return { kind: 'json', source: src, condition: this.parseJson() };
    if (first === '[') return { kind: 'delimited', source: src, fields: this.parseDelimited() };
    if (first === '%') return this.parseStandaloneRegex();
    return { kind: 'terms', source: src, alternatives: this.parseTerms() };
  }

  // --- helpers ---

  private peek(offset = 0): string | undefined {
    return this.src[this.pos + offset];
  }

  private atEnd(): boolean {
    return this.pos >= this.src.length;
  }

  private skipBlanks(): void {
    while (isBlank(this.src[this.pos])) this.pos++;
  }

  private fail(problem: string, position: number, hint?: string): never {
    throw new FilterPatternError(
      `${problem} at position ${position}${hint === undefined ? '' : ` (${hint})`}`,
      position,
    );
  }

  private unexpected(expected: string): never {
    const char = this.peek();
    if (char === undefined) this.fail(`expected ${expected}`, this.pos);
    this.fail(`expected ${expected}`, this.pos, `found ${describeChar(char)}`);
  }

  private expectEnd(after: string): void {
    this.skipBlanks();
    if (!this.atEnd())
      this.fail(`unexpected ${describeChar(this.peek())} after the closing ${after}`, this.pos);
  }

  private readWhile(pattern: RegExp): string {
    const start = this.pos;
    while (!this.atEnd() && pattern.test(this.src[this.pos] as string)) this.pos++;
    return this.src.slice(start, this.pos);
  }

  private readKeyword(): string {
    return this.readWhile(/[A-Za-z]/);
  }

  // --- terms ---

  /**
   * Terms separated by blanks; every term of an alternative must hold. A term written `?term` starts a new
   * alternative. The guide shows only all-`?` patterns (`?ERROR ?WARN`: either); it is silent on mixing,
   * so we follow AWS CDK's `anyTermGroup`, which writes `?a b ?c d` for "(a and b) or (c and d)": each `?`
   * opens an alternative and the plain terms after it join that alternative. `-term` excludes (`- term`,
   * with a blank, is accepted as the guide once wrote it). Unquoted terms run to the next blank.
   */
  private parseTerms(): Term[][] {
    const alternatives: Term[][] = [[]];
    for (;;) {
      this.skipBlanks();
      if (this.atEnd()) break;
      let opensAlternative = false;
      let exclude = false;
      if (this.peek() === '?') {
        opensAlternative = true;
        this.pos++;
        this.skipBlanks();
      }
      if (this.peek() === '-') {
        exclude = true;
        this.pos++;
        this.skipBlanks();
      }
      if (this.atEnd()) this.fail('expected a term', this.pos);
      let term: Term;
      if (this.peek() === '"') {
        term = { text: this.readQuoted(), quoted: true, exclude };
      } else {
        const start = this.pos;
        while (!this.atEnd() && !isBlank(this.peek())) {
          if (this.peek() === '"') {
            this.fail("unexpected '\"' inside a term", this.pos, 'put the whole term in double quotes');
          }
          this.pos++;
        }
        term = { text: this.src.slice(start, this.pos), quoted: false, exclude };
      }
      const current = alternatives[alternatives.length - 1] as Term[];
      if (opensAlternative && current.length > 0) alternatives.push([term]);
      else current.push(term);
    }
    return alternatives;
  }

  /** A double-quoted string starting at the current position; `\"` and `\\` are escapes. */
  private readQuoted(): string {
    const start = this.pos;
    this.pos++;
    let text = '';
    for (;;) {
      const char = this.peek();
      if (char === undefined) this.fail('unterminated quoted string starting', start);
      if (char === '"') {
        this.pos++;
        return text;
      }
      if (char === '\\' && (this.peek(1) === '"' || this.peek(1) === '\\')) {
        text += this.peek(1);
        this.pos += 2;
        continue;
      }
      text += char;
      this.pos++;
    }
  }

  // --- regular expressions ---

  private parseStandaloneRegex(): FilterPattern {
    const regex = this.readRegex();
    this.expectEnd('"%" of the regular expression');
    return { kind: 'regex', source: this.src, regex };
  }

  /**
   * `%…%` at the current position, checked against the guide's dialect and compiled once to prove it. The
   * dialect has no groups, so quantifiers cannot nest and backtracking stays polynomial.
   */
  private readRegex(): string {
    const start = this.pos;
    this.pos++;
    const bodyStart = this.pos;
    while (!this.atEnd() && this.peek() !== '%') {
      const char = this.peek() as string;
      if (char === '(' || char === ')') {
        this.fail(
          `${describeChar(char)} is not allowed in a regular expression`,
          this.pos,
          'CloudWatch Logs regular expressions have no groups',
        );
      }
      if (!REGEX_CHAR.test(char)) {
        this.fail(`${describeChar(char)} is not allowed in a regular expression`, this.pos);
      }
      this.pos++;
    }
    if (this.atEnd()) this.fail('unterminated regular expression starting', start);
    const body = this.src.slice(bodyStart, this.pos);
    this.pos++;
    if (body === '') this.fail('empty regular expression', start);
    try {
      new RegExp(body);
    } catch (error: unknown) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new FilterPatternError(`invalid regular expression at position ${start} (${detail})`, start, {
        cause: error,
      });
    }
    return body;
  }

  // --- values shared by JSON and space-delimited patterns ---

  private readOperator(): ComparisonOperator | undefined {
    const two = this.src.slice(this.pos, this.pos + 2);
    if (two === '!=' || two === '<=' || two === '>=') {
      this.pos += 2;
      return two;
    }
    const one = this.peek();
    if (one === '=' || one === '<' || one === '>') {
      this.pos++;
      if (one === '=' && this.peek() === '=') {
        this.fail('unexpected "="', this.pos, 'compare with "=", not "=="');
      }
      return one;
    }
    return undefined;
  }

  /**
   * A value after `operator`: `"quoted"`, `%regex%`, a number or a bare word. Ordering operators take only
   * numbers (the guide's NUMERIC_OPERATOR syntax); regexes only `=` and `!=`.
   */
  private parseValue(operator: ComparisonOperator): PatternValue {
    this.skipBlanks();
    const start = this.pos;
    const char = this.peek();
    let value: PatternValue;
    if (char === '"') {
      value = { kind: 'string', text: this.readQuoted(), quoted: true };
    } else if (char === '%') {
      this.regexCount++;
      if (this.regexCount > MAX_REGEX_PER_PATTERN) {
        this.fail(`more than ${MAX_REGEX_PER_PATTERN} regular expressions in one pattern`, start);
      }
      value = { kind: 'regex', source: this.readRegex() };
    } else {
      const text = this.readWhile(BARE_CHAR);
      if (text === '') {
        if (char === undefined || '}])&|,'.includes(char)) this.unexpected(`a value after "${operator}"`);
        this.fail(
          `unexpected ${describeChar(char)}`,
          start,
          'put values with such characters in double quotes',
        );
      }
      const next = this.peek();
      if (next !== undefined && !isBlank(next) && !'}])&|,'.includes(next)) {
        this.fail(
          `unexpected ${describeChar(next)} in a value`,
          this.pos,
          'put values with characters other than letters, digits and _ - . * : / + in double quotes',
        );
      }
      value = NUMBER_TEXT.test(text)
        ? { kind: 'number', value: Number(text), text }
        : { kind: 'string', text, quoted: false };
    }
    if (operator !== '=' && operator !== '!=' && value.kind !== 'number') {
      this.fail(`"${operator}" compares numbers; expected a number`, start);
    }
    return value;
  }

  // --- JSON ---

  private parseJson(): JsonCondition {
    this.pos++;
    const condition = this.parseJsonOr();
    this.skipBlanks();
    if (this.peek() === ')') this.fail('unexpected ")"', this.pos);
    if (this.peek() !== '}') {
      if (this.atEnd()) this.fail('expected "}"', this.pos);
      this.unexpected('"&&", "||" or "}"');
    }
    this.pos++;
    this.expectEnd('"}"');
    return condition;
  }

  private parseJsonOr(): JsonCondition {
    const operands = [this.parseJsonAnd()];
    for (;;) {
      this.skipBlanks();
      if (!this.src.startsWith('||', this.pos)) break;
      this.pos += 2;
      operands.push(this.parseJsonAnd());
    }
    return operands.length === 1 ? (operands[0] as JsonCondition) : { kind: 'or', operands };
  }

  private parseJsonAnd(): JsonCondition {
    const operands = [this.parseJsonUnary()];
    for (;;) {
      this.skipBlanks();
      if (this.peek() === '&' && this.peek(1) !== '&') this.fail('unexpected "&"', this.pos, 'AND is "&&"');
      if (this.peek() === '|' && this.peek(1) !== '|') this.fail('unexpected "|"', this.pos, 'OR is "||"');
      if (!this.src.startsWith('&&', this.pos)) break;
      this.pos += 2;
      operands.push(this.parseJsonUnary());
    }
    return operands.length === 1 ? (operands[0] as JsonCondition) : { kind: 'and', operands };
  }

  private parseJsonUnary(): JsonCondition {
    this.skipBlanks();
    const char = this.peek();
    if (char === '(') {
      this.pos++;
      const inner = this.parseJsonOr();
      this.skipBlanks();
      if (this.peek() !== ')') {
        if (this.peek() === '}' || this.atEnd()) this.fail('expected ")"', this.pos);
        this.unexpected('"&&", "||" or ")"');
      }
      this.pos++;
      return inner;
    }
    if (char === '$') return this.parseJsonTest();
    this.unexpected('a selector such as $.eventName, or "("');
  }

  private parseJsonTest(): JsonCondition {
    const selector = this.parseSelector();
    this.skipBlanks();
    const operator = this.readOperator();
    if (operator !== undefined)
      return { kind: 'compare', selector, operator, value: this.parseValue(operator) };

    const keywordAt = this.pos;
    const keyword = this.readKeyword();
    if (keyword === 'IS') {
      this.skipBlanks();
      const valueAt = this.pos;
      const word = this.readKeyword();
      if (word === 'TRUE') return { kind: 'is', selector, value: true };
      if (word === 'FALSE') return { kind: 'is', selector, value: false };
      if (word === 'NULL') return { kind: 'is', selector, value: null };
      if (word === 'NOT') {
        this.fail(
          '"IS NOT" is not supported by CloudWatch Logs',
          valueAt,
          'use "NOT EXISTS" or a comparison',
        );
      }
      this.pos = valueAt;
      this.unexpected('TRUE, FALSE or NULL after "IS"');
    }
    if (keyword === 'NOT') {
      this.skipBlanks();
      const wordAt = this.pos;
      if (this.readKeyword() === 'EXISTS') return { kind: 'not-exists', selector };
      this.pos = wordAt;
      this.unexpected('EXISTS after "NOT"');
    }
    if (keyword === 'EXISTS') {
      this.fail(
        '"EXISTS" is not supported by CloudWatch Logs',
        keywordAt,
        'use = "*" to require a string or number, or NOT EXISTS',
      );
    }
    this.pos = keywordAt;
    this.unexpected(`"=", "!=", "<", "<=", ">", ">=", IS or NOT EXISTS after ${selector.text}`);
  }

  /**
   * `$` then `.name` and `[index]` steps. The guide: names are alphanumeric with `-` and `_`; array
   * indexes are `[NUMBER]` and must follow a property. `$.*` and other JSONPath forms are not in the guide.
   */
  private parseSelector(): Selector {
    const start = this.pos;
    this.pos++;
    const path: (string | number)[] = [];
    for (;;) {
      const char = this.peek();
      if (char === '.') {
        this.pos++;
        const name = this.readWhile(NAME_CHAR);
        if (name === '') {
          if (this.peek() === '*') this.fail('wildcard selectors are not supported', this.pos);
          this.unexpected('a property name after "."');
        }
        path.push(name);
      } else if (char === '[') {
        if (path.length === 0) {
          this.fail('an array index must follow a property', this.pos, 'as in $.items[0]');
        }
        this.pos++;
        const digits = this.readWhile(/[0-9]/);
        if (digits === '') this.unexpected('an array index');
        if (this.peek() !== ']') this.unexpected('"]"');
        this.pos++;
        path.push(Number(digits));
      } else {
        break;
      }
    }
    if (path.length === 0) this.unexpected('"." after "$"');
    return { text: this.src.slice(start, this.pos), path };
  }

  // --- space-delimited ---

  /**
   * `[f1, f2, ...]`: one slot per field of the event, at most one `...` standing for any number of fields.
   * An empty slot (the guide's `[..., request=*.html*, status_code=4*,]`) takes one field of any value.
   */
  private parseDelimited(): DelimitedField[] {
    this.pos++;
    const fields: DelimitedField[] = [];
    let ellipsis = false;
    for (;;) {
      this.skipBlanks();
      const slotAt = this.pos;
      if (this.src.startsWith('...', this.pos)) {
        if (ellipsis) this.fail('only one "..." is allowed', slotAt);
        ellipsis = true;
        this.pos += 3;
        fields.push({ kind: 'ellipsis' });
      } else if (this.peek() === ',' || (this.peek() === ']' && fields.length > 0)) {
        fields.push({ kind: 'field', name: null, condition: null });
      } else {
        fields.push(this.parseDelimitedField());
      }
      this.skipBlanks();
      if (this.peek() === ',') {
        this.pos++;
        continue;
      }
      if (this.peek() === ']') {
        this.pos++;
        break;
      }
      if (this.atEnd()) this.fail('expected "]"', this.pos);
      this.unexpected('"," or "]"');
    }
    this.expectEnd('"]"');
    return fields;
  }

  private parseDelimitedField(): DelimitedField {
    const start = this.pos;
    const name = this.readWhile(NAME_CHAR);
    if (name === '') this.unexpected('a field name');
    this.skipBlanks();
    if (this.atEnd() || this.peek() === ',' || this.peek() === ']')
      return { kind: 'field', name, condition: null };
    this.pos = start;
    return { kind: 'field', name, condition: this.parseFieldOr(name) };
  }

  private parseFieldOr(field: string): FieldCondition {
    const operands = [this.parseFieldAnd(field)];
    for (;;) {
      this.skipBlanks();
      if (!this.src.startsWith('||', this.pos)) break;
      this.pos += 2;
      operands.push(this.parseFieldAnd(field));
    }
    return operands.length === 1 ? (operands[0] as FieldCondition) : { kind: 'or', operands };
  }

  private parseFieldAnd(field: string): FieldCondition {
    const operands = [this.parseFieldUnary(field)];
    for (;;) {
      this.skipBlanks();
      if (!this.src.startsWith('&&', this.pos)) break;
      this.pos += 2;
      operands.push(this.parseFieldUnary(field));
    }
    return operands.length === 1 ? (operands[0] as FieldCondition) : { kind: 'and', operands };
  }

  /**
   * A condition names the field whose slot it sits in. The guide writes `[w1=ERROR || W1=WARNING, w2]`,
   * so the names are compared ignoring case; a condition on another field is refused rather than guessed at.
   */
  private parseFieldUnary(field: string): FieldCondition {
    this.skipBlanks();
    if (this.peek() === '(') {
      this.pos++;
      const inner = this.parseFieldOr(field);
      this.skipBlanks();
      if (this.peek() !== ')') {
        if (this.peek() === ',' || this.peek() === ']' || this.atEnd()) this.fail('expected ")"', this.pos);
        this.unexpected('"&&", "||" or ")"');
      }
      this.pos++;
      return inner;
    }
    const nameAt = this.pos;
    const name = this.readWhile(NAME_CHAR);
    if (name === '') this.unexpected(`a condition on ${field}`);
    if (name.toLowerCase() !== field.toLowerCase()) {
      this.fail(
        `a condition in the slot of field "${field}" names "${name}"`,
        nameAt,
        'conditions must name their own field',
      );
    }
    this.skipBlanks();
    const operator = this.readOperator();
    if (operator === undefined) this.unexpected(`a comparison operator after ${name}`);
    return { kind: 'compare', operator, value: this.parseValue(operator) };
  }
}

/**
 * Parses a CloudWatch Logs filter pattern. Throws {@link FilterPatternError} (with the 0-based position) for
 * text CloudWatch Logs would refuse, including what the guide says is unsupported (`EXISTS`, `IS NOT`).
 */
export function parseFilterPattern(pattern: string): FilterPattern {
  return new Parser(pattern).parse();
}

// ---------------------------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------------------------

type TextTest = (text: string) => boolean;
type ScalarTest = (value: string | number) => boolean;
type JsonTest = (root: unknown) => boolean;
type EventTest = (event: FilterLogEvent) => boolean;

const MISSING: unique symbol = Symbol('missing');

/**
 * `*` matches any run of characters, anywhere in the value (`Put*`, `*Policy`, `*Role*`, `Put*Policy`).
 * An older edition of the guide said a `*` inside a word (`Ev*ent`) is literal; the current one says only
 * "use the asterisk as a wild card to match text", so it is a wildcard wherever it stands. Matching is
 * exact and case-sensitive otherwise.
 */
function compileWildcard(pattern: string): TextTest {
  if (!pattern.includes('*')) return (text) => text === pattern;
  const parts = pattern.split('*');
  const head = parts[0] as string;
  const tail = parts[parts.length - 1] as string;
  const middle = parts.slice(1, -1).filter((part) => part !== '');
  const fixed = head.length + tail.length;
  return (text) => {
    if (text.length < fixed || !text.startsWith(head) || !text.endsWith(tail)) return false;
    let at = head.length;
    const end = text.length - tail.length;
    for (const part of middle) {
      const found = text.indexOf(part, at);
      if (found < 0 || found + part.length > end) return false;
      at = found + part.length;
    }
    return true;
  };
}

function compileTextValue(value: Exclude<PatternValue, { kind: 'number' }>): TextTest {
  if (value.kind === 'string') return compileWildcard(value.text);
  const regex = new RegExp(value.source);
  return (text) => regex.test(text);
}

function compileNumberOrder(operator: ComparisonOperator, bound: number): (n: number) => boolean {
  switch (operator) {
    case '=':
      return (n) => n === bound;
    case '!=':
      return (n) => n !== bound;
    case '<':
      return (n) => n < bound;
    case '<=':
      return (n) => n <= bound;
    case '>':
      return (n) => n > bound;
    case '>=':
      return (n) => n >= bound;
  }
}

/**
 * A comparison on a string or number. A number literal compares numerically with a number; with `=` and
 * `!=` it also compares, as text, with a string (a bare `400` is both a number and an unquoted string). When
 * `numericText` is set (space-delimited fields, which are all text) a field reading as a number is compared
 * as one. String and regex values test the text of numbers too (`{ $.latency = * }` matches `"latency": 50`).
 */
function compileScalarTest(
  operator: ComparisonOperator,
  value: PatternValue,
  numericText: boolean,
): ScalarTest {
  if (value.kind === 'number') {
    const order = compileNumberOrder(operator, value.value);
    const literal = value.text;
    return (scalar) => {
      if (typeof scalar === 'number') return order(scalar);
      if (numericText && NUMBER_TEXT.test(scalar)) return order(Number(scalar));
      if (operator === '=') return scalar === literal;
      if (operator === '!=') return scalar !== literal;
      return false;
    };
  }
  const test = compileTextValue(value);
  return operator === '='
    ? (scalar) => test(typeof scalar === 'number' ? String(scalar) : scalar)
    : (scalar) => !test(typeof scalar === 'number' ? String(scalar) : scalar);
}

function resolve(root: unknown, path: readonly (string | number)[]): unknown {
  let node = root;
  for (const step of path) {
    if (typeof step === 'number') {
      if (!Array.isArray(node) || step >= node.length) return MISSING;
      node = node[step];
    } else {
      if (typeof node !== 'object' || node === null || Array.isArray(node) || !Object.hasOwn(node, step)) {
        return MISSING;
      }
      node = (node as Record<string, unknown>)[step];
    }
    if (node === undefined) return MISSING;
  }
  return node;
}

function compileJson(condition: JsonCondition): JsonTest {
  switch (condition.kind) {
    case 'or': {
      const operands = condition.operands.map(compileJson);
      return (root) => operands.some((test) => test(root));
    }
    case 'and': {
      const operands = condition.operands.map(compileJson);
      return (root) => operands.every((test) => test(root));
    }
    case 'compare': {
      // A comparison — `!=` as much as `=` — holds only when the selector reaches a string or number. The
      // guide: "If it points to an array or object, the filter will not be applied … both {$.users = 1} and
      // {$.users != 1} will fail to match", and `{ $.eventType = "*" && $.sourceIPAddress != 123.123.* }`
      // counts only events that "contain the properties eventType and sourceIPAddress". So a missing field,
      // null, a boolean, an array or an object makes every comparison false.
      const { path } = condition.selector;
      const test = compileScalarTest(condition.operator, condition.value, false);
      return (root) => {
        const node = resolve(root, path);
        return (typeof node === 'string' || typeof node === 'number') && test(node);
      };
    }
    case 'is': {
      // IS TRUE / IS FALSE / IS NULL hold only for that exact JSON value; a missing field is none of them.
      const { path } = condition.selector;
      const expected = condition.value;
      return (root) => resolve(root, path) === expected;
    }
    case 'not-exists': {
      // Holds when the path does not resolve (a missing key, an index past the end, a step into a scalar).
      // A field present with the value null exists.
      const { path } = condition.selector;
      return (root) => resolve(root, path) === MISSING;
    }
  }
}

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The message as a JSON object, or undefined when it is not one (JSON patterns then never match). */
function parseJsonObject(message: string): unknown {
  let at = 0;
  while (isBlank(message[at])) at++;
  if (message[at] !== '{') return undefined;
  try {
    return JSON.parse(message);
  } catch {
    return undefined;
  }
}

/**
 * Term matching is on the raw message text, case-sensitive (the guide: "Filter patterns are case
 * sensitive"), and by substring: its examples have `ERROR` match `ERRORCODE:` and `Exception` match
 * `IllegalArgumentException`. A quoted phrase is one substring. The guide says `" "` matches every event,
 * so a blank phrase holds everywhere.
 */
function compileTerms(alternatives: readonly (readonly Term[])[]): EventTest {
  const compiled = alternatives.map((terms) => {
    const include = terms.filter((t) => !t.exclude && t.text.trim() !== '').map((t) => t.text);
    const exclude = terms.filter((t) => t.exclude).map((t) => t.text);
    const excludesAll = exclude.some((text) => text.trim() === '');
    return (message: string) =>
      !excludesAll &&
      include.every((text) => message.includes(text)) &&
      !exclude.some((text) => message.includes(text));
  });
  return (event) => compiled.some((test) => test(event.message));
}

/**
 * Splits a space-delimited event into fields. The guide: "Characters between brackets ([]) and double
 * quotation marks ("") are considered single fields"; the field's value is what lies between them.
 */
function splitFields(message: string): string[] {
  const fields: string[] = [];
  let at = 0;
  const length = message.length;
  while (at < length) {
    while (at < length && isBlank(message[at])) at++;
    if (at >= length) break;
    const open = message[at];
    const close = open === '"' ? '"' : open === '[' ? ']' : undefined;
    if (close !== undefined) {
      const end = message.indexOf(close, at + 1);
      if (end >= 0) {
        fields.push(message.slice(at + 1, end));
        at = end + 1;
        continue;
      }
    }
    const start = at;
    while (at < length && !isBlank(message[at])) at++;
    fields.push(message.slice(start, at));
  }
  return fields;
}

function compileField(condition: FieldCondition): TextTest {
  switch (condition.kind) {
    case 'or': {
      const operands = condition.operands.map(compileField);
      return (text) => operands.some((test) => test(text));
    }
    case 'and': {
      const operands = condition.operands.map(compileField);
      return (text) => operands.every((test) => test(text));
    }
    case 'compare':
      return compileScalarTest(condition.operator, condition.value, true);
  }
}

/**
 * Without `...` the event must have exactly as many fields as the pattern has slots: the guide's
 * `[w1=ERROR, w2]` matches `ERROR message` but not `ERROR WARN message`. With `...`, the slots before it
 * take the first fields and those after it the last.
 */
function compileDelimited(fields: readonly DelimitedField[]): EventTest {
  const ellipsisAt = fields.findIndex((field) => field.kind === 'ellipsis');
  const tests = fields.map((field) =>
    field.kind === 'field' && field.condition !== null ? compileField(field.condition) : undefined,
  );
  const slots = ellipsisAt < 0 ? fields.length : fields.length - 1;
  return (event) => {
    const values = splitFields(event.message);
    if (ellipsisAt < 0 ? values.length !== slots : values.length < slots) return false;
    for (let slot = 0; slot < fields.length; slot++) {
      const test = tests[slot];
      if (test === undefined) continue;
      const index = ellipsisAt < 0 || slot < ellipsisAt ? slot : values.length - (fields.length - slot);
      if (!test(values[index] as string)) return false;
    }
    return true;
  };
}

function compile(pattern: FilterPattern): EventTest {
  switch (pattern.kind) {
    case 'all':
      return () => true;
    case 'terms':
      return compileTerms(pattern.alternatives);
    case 'regex': {
      const regex = new RegExp(pattern.regex);
      return (event) => regex.test(event.message);
    }
    case 'json': {
      const test = compileJson(pattern.condition);
      return (event) => {
        const root = event.json !== undefined ? event.json : parseJsonObject(event.message);
        return isJsonObject(root) && test(root);
      };
    }
    case 'delimited':
      return compileDelimited(pattern.fields);
  }
}

const compiledConditions = new WeakMap<JsonCondition, JsonTest>();

/**
 * True when a JSON condition (a whole JSON pattern's tree or any part of it) holds for an already parsed
 * event, with the same rules as {@link matchesFilterPattern}. Compiled on first use and cached.
 */
export function matchesJsonCondition(condition: JsonCondition, root: unknown): boolean {
  let test = compiledConditions.get(condition);
  if (test === undefined) {
    test = compileJson(condition);
    compiledConditions.set(condition, test);
  }
  return test(root);
}

const compiledPatterns = new WeakMap<FilterPattern, EventTest>();

/**
 * True when the event matches the pattern. JSON patterns read `event.json` when given (saving a parse) and
 * otherwise parse the message; a message that is not a JSON object never matches a JSON pattern, not even
 * `NOT EXISTS`. Other patterns read the message text. The pattern is compiled on first use and cached.
 */
export function matchesFilterPattern(pattern: FilterPattern, event: FilterLogEvent): boolean {
  let test = compiledPatterns.get(pattern);
  if (test === undefined) {
    test = compile(pattern);
    compiledPatterns.set(pattern, test);
  }
  return test(event);
}
