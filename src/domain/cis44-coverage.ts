/**
 * Which of the 16 CIS AWS Foundations Benchmark 4.4 calls a metric filter pattern counts — for **every**
 * record of the call, whoever makes it, from wherever, whatever its outcome. Pure: no SDK, no environment,
 * no clock.
 *
 * The judgement is symbolic, over the parsed pattern, not a matter of trying sample records. For each call,
 * the fields the call fixes are known (`eventName`, `eventSource` = iam.amazonaws.com, `readOnly` = false,
 * `eventType` = AwsApiCall, `managementEvent` = true, `eventCategory` = Management) and every comparison on
 * them becomes true or false. Every other field varies between records of one call (`userIdentity.*`,
 * `sourceIPAddress`, `userAgent`, `tlsDetails.*`, `errorCode`, `errorMessage`, times, session, request
 * parameters, response elements, ids) and may take any value, or be absent. What is left is a boolean
 * formula over conditions on those fields: the call is **covered** when the formula is a tautology,
 * **partial** when it holds only for some values (the formula, in words, is the restricting condition) and
 * not counted at all when it never holds.
 *
 * Deciding it: the formula is expanded field by field (Shannon expansion) over a finite set of values per
 * field that tells apart every comparison the pattern makes on it — absent, null, booleans, an object, the
 * pattern's own literals with their wildcards filled in two ways and pairwise joined, numbers beside each
 * numeric literal, and a few strings no literal names. Fields CloudTrail always writes as strings take only
 * strings (or absence); fields it always writes are never absent. Text patterns (terms, regular expressions,
 * space-delimited) are judged on the record's text: what the fixed fields write there is known, anything
 * else may or may not appear; whether such a pattern matches any record at all is told by the sample
 * records of {@link cis44SampleVariants}. Written by hand: no library reasons about CloudWatch Logs patterns.
 */

import { cis44SampleVariants } from './cis44-samples';
import { CIS44_EVENT_NAMES, type Cis44EventName, IAM_EVENT_SOURCE } from './events';
import {
  type FilterPattern,
  FilterPatternError,
  type JsonCondition,
  MAX_FILTER_PATTERN_LENGTH,
  matchesFilterPattern,
  matchesJsonCondition,
  parseFilterPattern,
} from './filter-pattern';

/** A call the pattern counts only for some of its records, and the condition that restricts it, in words. */
export interface Cis44PartialCall {
  eventName: Cis44EventName;
  /** E.g. `only when userIdentity.type is IAMUser`. */
  condition: string;
}

/** The verdict on a pattern (or on several filters feeding one metric). */
export interface Cis44Coverage {
  valid: boolean;
  /** Why the pattern is invalid: one line, ending with the position. */
  error?: string;
  position?: number;
  /** The calls counted for every record, in the benchmark's order. */
  covered: Cis44EventName[];
  /** The calls counted only for some records, with the condition that restricts them. */
  partial: Cis44PartialCall[];
  /** Every call not fully covered: the partial ones and those never counted. */
  missing: Cis44EventName[];
}

// ---------------------------------------------------------------------------------------------------------
// Formulas
// ---------------------------------------------------------------------------------------------------------

const ABSENT: unique symbol = Symbol('absent');
type Witness = unknown;

/** A condition on one varying field (or, for text patterns, on what the record's text holds). */
interface Atom {
  /** Atoms with the same key read the same field and are expanded together. */
  readonly key: string;
  readonly words: string;
  readonly test: (value: Witness) => boolean;
}

type Formula =
  | boolean
  | { readonly kind: 'atom'; readonly atom: Atom }
  | { readonly kind: 'and' | 'or'; readonly operands: readonly Formula[] };

function combine(kind: 'and' | 'or', parts: readonly Formula[]): Formula {
  const absorbing = kind === 'or';
  const operands: Formula[] = [];
  const seen = new Set<string>();
  for (const part of parts) {
    const list = typeof part !== 'boolean' && part.kind === kind ? part.operands : [part];
    for (const operand of list) {
      if (operand === absorbing) return absorbing;
      if (operand === !absorbing) continue;
      const text = render(operand);
      if (seen.has(text)) continue;
      seen.add(text);
      operands.push(operand);
    }
  }
  if (operands.length === 0) return !absorbing;
  if (operands.length === 1) return operands[0] as Formula;
  return { kind, operands };
}

function render(formula: Formula, parent?: 'and' | 'or'): string {
  if (typeof formula === 'boolean') return formula ? 'always' : 'never';
  if (formula.kind === 'atom') return formula.atom.words;
  const text = formula.operands.map((operand) => render(operand, formula.kind)).join(` ${formula.kind} `);
  return parent !== undefined && parent !== formula.kind ? `(${text})` : text;
}

function firstKey(formula: Formula): string | undefined {
  if (typeof formula === 'boolean') return undefined;
  if (formula.kind === 'atom') return formula.atom.key;
  for (const operand of formula.operands) {
    const key = firstKey(operand);
    if (key !== undefined) return key;
  }
  return undefined;
}

function substitute(formula: Formula, key: string, value: Witness): Formula {
  if (typeof formula === 'boolean') return formula;
  if (formula.kind === 'atom') return formula.atom.key === key ? formula.atom.test(value) : formula;
  return combine(
    formula.kind,
    formula.operands.map((operand) => substitute(operand, key, value)),
  );
}

/** Expansion steps allowed per question; past it the answer is the cautious one (not covered). */
const EXPANSION_BUDGET = 200_000;

class BudgetExceeded extends Error {
  override name = 'BudgetExceededError';
}

/** Holds for every value (`all`) or for some value (`some`) of every field the formula reads. */
function decide(
  formula: Formula,
  domains: ReadonlyMap<string, readonly Witness[]>,
  quantifier: 'all' | 'some',
  budget: { left: number },
): boolean {
  if (typeof formula === 'boolean') return formula;
  budget.left -= 1;
  if (budget.left < 0) throw new BudgetExceeded('the pattern is too complex to decide');
  const key = firstKey(formula) as string;
  const values = domains.get(key) ?? [ABSENT];
  for (const value of values) {
    const result = decide(substitute(formula, key, value), domains, quantifier, budget);
    if (quantifier === 'all' && !result) return false;
    if (quantifier === 'some' && result) return true;
  }
  return quantifier === 'all';
}

// ---------------------------------------------------------------------------------------------------------
// The fields a call fixes and those that vary
// ---------------------------------------------------------------------------------------------------------

/** The record fields every record of one CIS 4.4 call has, with their one value (beside `eventName`). */
const FIXED_FIELDS: Readonly<Record<string, unknown>> = {
  eventSource: IAM_EVENT_SOURCE,
  readOnly: false,
  eventType: 'AwsApiCall',
  managementEvent: true,
  eventCategory: 'Management',
};

const FIXED_KEYS = new Set(['eventName', ...Object.keys(FIXED_FIELDS)]);

/** Fields CloudTrail writes in every management event record. */
const ALWAYS_PRESENT = new Set([
  'eventVersion',
  'eventTime',
  'eventID',
  'awsRegion',
  'recipientAccountId',
  'userIdentity.type',
]);

/** Fields CloudTrail writes, when it writes them, as strings. */
const STRING_FIELDS = new Set([
  ...ALWAYS_PRESENT,
  'sourceIPAddress',
  'userAgent',
  'errorCode',
  'errorMessage',
  'requestID',
  'sharedEventID',
  'vpcEndpointId',
  'sessionCredentialFromConsole',
  'userIdentity.principalId',
  'userIdentity.arn',
  'userIdentity.accountId',
  'userIdentity.accessKeyId',
  'userIdentity.userName',
  'userIdentity.invokedBy',
  'userIdentity.identityProvider',
  'userIdentity.credentialId',
  'userIdentity.sessionContext.sessionIssuer.type',
  'userIdentity.sessionContext.sessionIssuer.principalId',
  'userIdentity.sessionContext.sessionIssuer.arn',
  'userIdentity.sessionContext.sessionIssuer.accountId',
  'userIdentity.sessionContext.sessionIssuer.userName',
  'userIdentity.sessionContext.attributes.creationDate',
  'userIdentity.sessionContext.attributes.mfaAuthenticated',
  'userIdentity.sessionContext.sourceIdentity',
  'tlsDetails.tlsVersion',
  'tlsDetails.cipherSuite',
  'tlsDetails.clientProvidedHostHeader',
]);

/** Strings no literal of a realistic pattern names: they fall outside every non-trivial comparison. */
const FRESH_STRINGS = ['', '~', 'x y', 'Root'];

function fieldName(path: readonly (string | number)[]): string {
  return path.map((step) => (typeof step === 'number' ? `[${step}]` : step)).join('.');
}

/** The smallest event in which `path` reads `value` (and nothing else is set). */
function eventWith(path: readonly (string | number)[], value: Witness): unknown {
  if (value === ABSENT) return {};
  let node: unknown = value;
  for (let index = path.length - 1; index >= 0; index--) {
    const step = path[index] as string | number;
    if (typeof step === 'number') {
      const array: unknown[] = new Array(step + 1).fill(null);
      array[step] = node;
      node = array;
    } else {
      node = { [step]: node };
    }
  }
  return node;
}

type Leaf = Exclude<JsonCondition, { kind: 'and' | 'or' }>;

const ORDER_WORDS: Record<string, string> = {
  '=': 'is',
  '!=': 'is not',
  '<': 'is less than',
  '<=': 'is at most',
  '>': 'is more than',
  '>=': 'is at least',
};

function shown(text: string): string {
  return /^[A-Za-z0-9_.:/@+*-]+$/.test(text) ? text : JSON.stringify(text);
}

function leafWords(leaf: Leaf): string {
  const name = leaf.selector.text.replace(/^\$\.?/, '').trim() || '$';
  if (leaf.kind === 'not-exists') return `${name} is absent`;
  if (leaf.kind === 'is') return `${name} is ${leaf.value === null ? 'null' : String(leaf.value)}`;
  const { operator, value } = leaf;
  if (value.kind === 'regex') {
    return `${name} ${operator === '=' ? 'matches' : 'does not match'} %${value.source}%`;
  }
  if (value.kind === 'number') return `${name} ${ORDER_WORDS[operator]} ${value.text}`;
  const equal = operator === '=';
  if (value.text === '*') return equal ? `${name} is set` : `${name} is not a string or number`;
  if (value.text.includes('*')) {
    return `${name} ${equal ? 'matches' : 'does not match'} ${shown(value.text)}`;
  }
  return `${name} ${equal ? 'is' : 'is not'} ${shown(value.text)}`;
}

function leafAtom(leaf: Leaf): Atom {
  const path = leaf.selector.path;
  return {
    key: `json:${JSON.stringify(path)}`,
    words: leafWords(leaf),
    test: (value) => matchesJsonCondition(leaf, eventWith(path, value)),
  };
}

function leaves(condition: JsonCondition, out: Leaf[] = []): Leaf[] {
  if (condition.kind === 'and' || condition.kind === 'or') {
    for (const operand of condition.operands) leaves(operand, out);
  } else {
    out.push(condition);
  }
  return out;
}

/** Values of one field that tell apart every comparison the pattern makes on it. */
function witnessesFor(path: readonly (string | number)[], fieldLeaves: readonly Leaf[]): Witness[] {
  const strings = new Set(FRESH_STRINGS);
  const literals: string[] = [];
  const numbers = new Set<number>([0]);
  for (const leaf of fieldLeaves) {
    if (leaf.kind !== 'compare') continue;
    const { value } = leaf;
    if (value.kind === 'string') {
      literals.push(value.text.replaceAll('*', ''));
      strings.add(value.text.replaceAll('*', '~'));
    } else if (value.kind === 'number') {
      strings.add(value.text);
      for (const delta of [0, -1, 1, -0.5, 0.5]) numbers.add(value.value + delta);
    }
  }
  for (const literal of literals) strings.add(literal);
  // A string matching two wildcards at once (`A*` and `*B` → `AB`).
  if (literals.length <= 8) {
    for (const left of literals) for (const right of literals) strings.add(left + right);
  }
  const name = fieldName(path);
  const values: Witness[] = [];
  if (!ALWAYS_PRESENT.has(name)) values.push(ABSENT);
  values.push(...strings);
  if (!STRING_FIELDS.has(name)) values.push(null, true, false, {}, [], ...numbers);
  return values;
}

// ---------------------------------------------------------------------------------------------------------
// Reducing a pattern for one call
// ---------------------------------------------------------------------------------------------------------

function reduceJson(condition: JsonCondition, fixed: Readonly<Record<string, unknown>>): Formula {
  if (condition.kind === 'and' || condition.kind === 'or') {
    return combine(
      condition.kind,
      condition.operands.map((operand) => reduceJson(operand, fixed)),
    );
  }
  const first = condition.selector.path[0];
  if (typeof first === 'string' && FIXED_KEYS.has(first)) return matchesJsonCondition(condition, fixed);
  return { kind: 'atom', atom: leafAtom(condition) };
}

/** The text the fixed fields always put in the compact JSON CloudTrail delivers to CloudWatch Logs. */
function fixedText(fixed: Readonly<Record<string, unknown>>): string[] {
  return Object.entries(fixed).map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`);
}

function textAtom(key: string, words: string, negate: boolean): Formula {
  return { kind: 'atom', atom: { key, words, test: (value) => (negate ? value !== true : value === true) } };
}

function reducePattern(pattern: FilterPattern, fixed: Readonly<Record<string, unknown>>): Formula {
  switch (pattern.kind) {
    case 'all':
      return true;
    case 'json':
      return reduceJson(pattern.condition, fixed);
    case 'terms': {
      const fragments = fixedText(fixed);
      const present = (text: string) => fragments.some((fragment) => fragment.includes(text));
      return combine(
        'or',
        pattern.alternatives.map((terms) =>
          combine(
            'and',
            terms.map((term): Formula => {
              if (term.text.trim() === '') return !term.exclude;
              if (present(term.text)) return !term.exclude;
              const shownTerm = JSON.stringify(term.text);
              return textAtom(
                `text:${term.text}`,
                term.exclude
                  ? `the record's text does not contain ${shownTerm}`
                  : `the record's text contains ${shownTerm}`,
                term.exclude,
              );
            }),
          ),
        ),
      );
    }
    case 'regex': {
      const regex = new RegExp(pattern.regex);
      const anchored = /(^|[^\\])[\^$]/.test(pattern.regex);
      if (!anchored && fixedText(fixed).some((fragment) => regex.test(fragment))) return true;
      return textAtom(`regex:${pattern.regex}`, `the record's text matches %${pattern.regex}%`, false);
    }
    case 'delimited': {
      const onlyEllipsis = pattern.fields.length === 1 && pattern.fields[0]?.kind === 'ellipsis';
      if (onlyEllipsis) return true;
      return textAtom(
        `delimited:${pattern.source}`,
        `the record's text splits into the ${pattern.fields.length} space-delimited fields of ${pattern.source.trim()}`,
        false,
      );
    }
  }
}

function domainsOf(patterns: readonly FilterPattern[]): Map<string, Witness[]> {
  const byKey = new Map<string, { path: readonly (string | number)[]; leaves: Leaf[] }>();
  for (const pattern of patterns) {
    if (pattern.kind !== 'json') continue;
    for (const leaf of leaves(pattern.condition)) {
      const key = `json:${JSON.stringify(leaf.selector.path)}`;
      const entry = byKey.get(key) ?? { path: leaf.selector.path, leaves: [] };
      entry.leaves.push(leaf);
      byKey.set(key, entry);
    }
  }
  const domains = new Map<string, Witness[]>();
  for (const [key, entry] of byKey) domains.set(key, witnessesFor(entry.path, entry.leaves));
  return domains;
}

function addTextDomains(formula: Formula, domains: Map<string, Witness[]>): void {
  if (typeof formula === 'boolean') return;
  if (formula.kind === 'atom') {
    if (!domains.has(formula.atom.key)) domains.set(formula.atom.key, [true, false]);
    return;
  }
  for (const operand of formula.operands) addTextDomains(operand, domains);
}

/** Sample records of each call, as CloudWatch Logs events, for telling whether a text pattern ever matches. */
let sampleEvents: Map<Cis44EventName, { message: string; json: unknown }[]> | undefined;

function samplesOf(eventName: Cis44EventName): { message: string; json: unknown }[] {
  sampleEvents ??= new Map(
    CIS44_EVENT_NAMES.map((name) => [
      name,
      cis44SampleVariants(name).map(({ record }) => {
        const message = JSON.stringify(record);
        return { message, json: JSON.parse(message) as unknown };
      }),
    ]),
  );
  return sampleEvents.get(eventName) ?? [];
}

// ---------------------------------------------------------------------------------------------------------
// Coverage
// ---------------------------------------------------------------------------------------------------------

function invalid(error: FilterPatternError): Cis44Coverage {
  return {
    valid: false,
    error: error.message,
    position: error.position,
    covered: [],
    partial: [],
    missing: [...CIS44_EVENT_NAMES],
  };
}

/** Parses each pattern, or gives the first one's error as an invalid verdict. */
function parseAll(patterns: readonly string[]): FilterPattern[] | Cis44Coverage {
  const parsed: FilterPattern[] = [];
  for (const pattern of patterns) {
    try {
      parsed.push(parseFilterPattern(pattern));
    } catch (error: unknown) {
      if (!(error instanceof FilterPatternError)) throw error;
      return invalid(error);
    }
  }
  return parsed;
}

/** The verdict for already parsed patterns whose matches add up into one metric. */
function coverageOfParsed(patterns: readonly FilterPattern[]): Cis44Coverage {
  const domains = domainsOf(patterns);
  const textOnly = patterns.filter((pattern) => pattern.kind !== 'json');
  const out: Cis44Coverage = { valid: true, covered: [], partial: [], missing: [] };
  for (const eventName of CIS44_EVENT_NAMES) {
    const fixed = { eventName, ...FIXED_FIELDS };
    const formula = combine(
      'or',
      patterns.map((pattern) => reducePattern(pattern, fixed)),
    );
    addTextDomains(formula, domains);
    let covered: boolean;
    let matchesSome: boolean;
    try {
      covered = decide(formula, domains, 'all', { left: EXPANSION_BUDGET });
      matchesSome = covered || decide(formula, domains, 'some', { left: EXPANSION_BUDGET });
    } catch (error: unknown) {
      if (!(error instanceof BudgetExceeded)) throw error;
      covered = false;
      matchesSome = true;
    }
    // A text pattern may seem satisfiable only because text conditions were taken as independent: ask the
    // samples whether any record of the call really matches.
    if (
      !covered &&
      matchesSome &&
      textOnly.length > 0 &&
      patterns.every((pattern) => pattern.kind !== 'json')
    ) {
      matchesSome = samplesOf(eventName).some((event) =>
        textOnly.some((pattern) => matchesFilterPattern(pattern, event)),
      );
    }
    if (covered) {
      out.covered.push(eventName);
      continue;
    }
    out.missing.push(eventName);
    if (matchesSome) out.partial.push({ eventName, condition: `only when ${render(formula)}` });
  }
  return out;
}

/**
 * Which of the 16 CIS 4.4 calls a metric filter pattern counts for every record (`covered`), for some
 * (`partial`, with the condition in words) or not fully (`missing`). An invalid pattern counts none:
 * `valid: false`, the error and its position.
 */
export function evaluateCis44Coverage(pattern: string): Cis44Coverage {
  return evaluateCis44CoverageOfAll([pattern]);
}

/**
 * The same verdict for several metric filters publishing to one metric: a record counts when any of them
 * matches it. Invalid when any pattern is (the first error is given).
 */
export function evaluateCis44CoverageOfAll(patterns: readonly string[]): Cis44Coverage {
  const parsed = parseAll(patterns);
  if (!Array.isArray(parsed)) return parsed;
  return coverageOfParsed(parsed);
}

/** An event name no call has: what a pattern does for it is what it does regardless of the call. */
const NO_CALL = 'NotACis44Call';

/**
 * True when the pattern picks CIS 4.4 calls out by what the call is — it counts some call fully, or counts
 * some call under a condition other than the one it applies to every event. A root-usage filter counts the
 * 16 calls when root makes them, but it counts every other call of root alike: it is not about IAM policy
 * changes, and "fixing" it into a CIS 4.4 filter would break the control it serves.
 */
export function selectsCis44Calls(pattern: string): boolean {
  const parsed = parseAll([pattern]);
  if (!Array.isArray(parsed)) return false;
  const coverage = coverageOfParsed(parsed);
  if (coverage.covered.length > 0) return true;
  const [only] = parsed as [FilterPattern];
  const elsewhere = render(reducePattern(only, { eventName: NO_CALL, ...FIXED_FIELDS }));
  return coverage.partial.some(
    (call) => render(reducePattern(only, { eventName: call.eventName, ...FIXED_FIELDS })) !== elsewhere,
  );
}

/**
 * The pattern extended so it also counts `missing` calls in full, keeping everything it counted before:
 * `{ (<its condition>) || ($.eventName = X) || … }`. Undefined when that cannot be done in one pattern — the
 * pattern is not a JSON pattern, or the result would be longer than CloudWatch Logs accepts
 * ({@link MAX_FILTER_PATTERN_LENGTH}) — so the caller adds a second filter on the same metric instead.
 */
export function extendFilterPattern(pattern: string, missing: readonly Cis44EventName[]): string | undefined {
  if (missing.length === 0) return pattern;
  const parsed = parseAll([pattern]);
  if (!Array.isArray(parsed)) return undefined;
  const [only] = parsed;
  if (only?.kind !== 'json') return undefined;
  const inner = only.source.trim().slice(1, -1).trim();
  const clauses = missing.map((name) => `($.eventName=${name})`);
  const extended = `{(${inner})||${clauses.join('||')}}`;
  if (extended.length > MAX_FILTER_PATTERN_LENGTH) return undefined;
  const check = evaluateCis44Coverage(extended);
  return check.valid && missing.every((name) => check.covered.includes(name)) ? extended : undefined;
}

/** A pattern counting exactly `calls`, in the benchmark's style. */
export function cis44PatternFor(calls: readonly Cis44EventName[]): string {
  return `{${calls.map((name) => `($.eventName=${name})`).join('||')}}`;
}
