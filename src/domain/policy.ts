import { BoundedCache } from './bounded-cache';
import type { PolicyDocument, Principal, Statement } from './types';

/** A policy document that could not be read: the text is kept by the caller, the reason is said here. */
export class PolicyDocumentError extends Error {
  override name = 'PolicyDocumentError';
}

function toList(value: unknown, field: string, copy = true): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((item) => typeof item === 'string'))
    return copy ? [...value] : value;
  throw new PolicyDocumentError(`${field} must be a string or a list of strings`);
}

function toPrincipal(value: unknown, field: string): Principal | undefined {
  if (value === undefined || value === null) return undefined;
  if (value === '*') return '*';
  if (typeof value === 'object' && !Array.isArray(value)) {
    const out: Record<string, string[]> = {};
    for (const [kind, ids] of Object.entries(value)) {
      out[kind] = toList(ids, `${field}.${kind}`) ?? [];
    }
    return out;
  }
  throw new PolicyDocumentError(`${field} must be "*" or an object`);
}

function toCondition(value: unknown): Statement['Condition'] {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new PolicyDocumentError('Condition must be an object');
  }
  const out: NonNullable<Statement['Condition']> = {};
  for (const [operator, block] of Object.entries(value)) {
    if (typeof block !== 'object' || block === null || Array.isArray(block)) {
      throw new PolicyDocumentError(`Condition.${operator} must be an object`);
    }
    const keys: Record<string, string[]> = {};
    for (const [key, raw] of Object.entries(block)) {
      const list: unknown[] = Array.isArray(raw) ? raw : [raw];
      // IAM takes strings, numbers and booleans here; String() of an object can even throw ({"toString": 1}).
      if (list.some((item) => typeof item === 'object' && item !== null)) {
        throw new PolicyDocumentError(`Condition.${operator}.${key} must hold strings, numbers or booleans`);
      }
      keys[key] = list.map((item) => String(item));
    }
    out[operator] = keys;
  }
  return out;
}

/** Action lists longer than this (AWS managed policies, read once each) are not worth a content key. */
const INTERNED_LIST_MAX = 256;

/** Action lists read before, by content: see {@link internActionList}. */
const actionLists = new BoundedCache<string, string[]>(1024);

/**
 * The one frozen copy of an action list with this content. Documents that list the same actions (the same
 * policy written again, a Terraform module applied to many roles) then share the list, and everything kept per
 * list — its compiled expression, what it grants, which escalation actions it covers — is worked out once for
 * them all. A module-level bounded cache of a pure function: frozen, a shared list can't be changed through one
 * of its documents.
 */
export function internActionList(list: readonly string[]): string[] {
  if (list.length > INTERNED_LIST_MAX) return Object.freeze([...list]) as string[];
  const key = JSON.stringify(list);
  let kept = actionLists.get(key);
  if (!kept) {
    kept = Object.freeze([...list]) as string[];
    actionLists.set(key, kept);
  }
  return kept;
}

function toStatement(value: unknown, index: number): Statement {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PolicyDocumentError(`Statement[${index}] must be an object`);
  }
  const raw = value as Record<string, unknown>;
  const effect = raw.Effect;
  if (effect !== 'Allow' && effect !== 'Deny') {
    throw new PolicyDocumentError(`Statement[${index}].Effect must be "Allow" or "Deny"`);
  }
  const statement: Statement = { Effect: effect };
  if (typeof raw.Sid === 'string') statement.Sid = raw.Sid;
  // internActionList copies what it keeps: the input's own array is only read.
  const action = toList(raw.Action, `Statement[${index}].Action`, false);
  if (action) statement.Action = internActionList(action);
  const notAction = toList(raw.NotAction, `Statement[${index}].NotAction`, false);
  if (notAction) statement.NotAction = internActionList(notAction);
  const resource = toList(raw.Resource, `Statement[${index}].Resource`);
  if (resource) statement.Resource = resource;
  const notResource = toList(raw.NotResource, `Statement[${index}].NotResource`);
  if (notResource) statement.NotResource = notResource;
  const principal = toPrincipal(raw.Principal, `Statement[${index}].Principal`);
  if (principal) statement.Principal = principal;
  const notPrincipal = toPrincipal(raw.NotPrincipal, `Statement[${index}].NotPrincipal`);
  if (notPrincipal) statement.NotPrincipal = notPrincipal;
  const condition = toCondition(raw.Condition);
  if (condition) statement.Condition = condition;
  return statement;
}

/** Turns a parsed JSON value into a canonical policy document (every list-or-string field a list). */
export function toPolicyDocument(value: unknown): PolicyDocument {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PolicyDocumentError('a policy document must be a JSON object');
  }
  const raw = value as Record<string, unknown>;
  const statements = raw.Statement;
  if (statements === undefined) throw new PolicyDocumentError('the policy document has no Statement');
  const list = Array.isArray(statements) ? statements : [statements];
  const document: PolicyDocument = { Statement: list.map((item, index) => toStatement(item, index)) };
  if (typeof raw.Version === 'string') document.Version = raw.Version;
  if (typeof raw.Id === 'string') document.Id = raw.Id;
  return document;
}

/**
 * Reads a policy document as CloudTrail or IAM give it: JSON text (often pretty-printed), URL-encoded JSON
 * (what IAM `Get*` APIs return), or an already-parsed object.
 */
export function parsePolicyDocument(input: unknown): PolicyDocument {
  if (typeof input !== 'string') return toPolicyDocument(input);
  const text = input.trim();
  if (text === '') throw new PolicyDocumentError('the policy document is empty');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // IAM Get*Policy and GetPolicyVersion return the document URL-encoded (RFC 3986).
    let decoded: string;
    try {
      decoded = decodeURIComponent(text);
    } catch {
      throw new PolicyDocumentError('the policy document is neither JSON nor URL-encoded JSON');
    }
    try {
      json = JSON.parse(decoded);
    } catch {
      throw new PolicyDocumentError('the policy document is not valid JSON');
    }
  }
  return toPolicyDocument(json);
}

/** Texts longer than this are read each time: no request document is (IAM's largest inline limit is 10,240). */
const KEPT_TEXT_MAX = 10_240;

/** Document texts read before and what they gave: see {@link readPolicyDocument}. */
const documentTexts = new BoundedCache<string, { document: PolicyDocument } | { error: string }>(512);

/**
 * {@link parsePolicyDocument} for a document as a request carries it, answering instead of throwing: the
 * document, or why it can't be read. A text read before is answered from a bounded cache (the same policy
 * written again, a broken tool sending the same text) with the same document, frozen so no reader can change
 * what another is given; a text that can't be read costs no exceptions the second time.
 */
export function readPolicyDocument(input: unknown): { document: PolicyDocument } | { error: string } {
  const keep = typeof input === 'string' && input.length <= KEPT_TEXT_MAX;
  if (keep) {
    const known = documentTexts.get(input);
    if (known) return known;
  }
  let result: { document: PolicyDocument } | { error: string };
  try {
    result = { document: parsePolicyDocument(input) };
  } catch (error: unknown) {
    if (!(error instanceof PolicyDocumentError)) throw error;
    result = { error: error.message };
  }
  if (keep) {
    if ('document' in result) freezeDocument(result.document);
    documentTexts.set(input, Object.freeze(result));
  }
  return result;
}

/**
 * Freezes a parsed document all the way down (its action lists already are), so it can be handed to every
 * reader of a cache: none can change what another is given.
 */
export function freezeDocument(document: PolicyDocument): void {
  for (const statement of document.Statement) {
    for (const list of [statement.Resource, statement.NotResource]) if (list) Object.freeze(list);
    for (const principal of [statement.Principal, statement.NotPrincipal]) {
      if (principal && principal !== '*') {
        for (const ids of Object.values(principal)) Object.freeze(ids);
        Object.freeze(principal);
      }
    }
    if (statement.Condition) {
      for (const block of Object.values(statement.Condition)) {
        for (const values of Object.values(block)) Object.freeze(values);
        Object.freeze(block);
      }
      Object.freeze(statement.Condition);
    }
    Object.freeze(statement);
  }
  Object.freeze(document.Statement);
  Object.freeze(document);
}

/** Sorted, de-duplicated copy of a list, so documents compare and print the same whatever their order. */
function canonicalList(list: string[] | undefined): string[] | undefined {
  return list ? [...new Set(list)].sort() : undefined;
}

/** A document in a stable form: lists sorted, keys in a fixed order. Two equal documents serialise equally. */
export function canonicalDocument(document: PolicyDocument): PolicyDocument {
  const out: PolicyDocument = { Statement: [] };
  if (document.Version) out.Version = document.Version;
  if (document.Id) out.Id = document.Id;
  out.Statement = document.Statement.map((statement) => {
    const canonical: Statement = { Effect: statement.Effect };
    if (statement.Sid) canonical.Sid = statement.Sid;
    const fields = ['Action', 'NotAction', 'Resource', 'NotResource'] as const;
    for (const field of fields) {
      const list = canonicalList(statement[field]);
      if (list) canonical[field] = list;
    }
    for (const field of ['Principal', 'NotPrincipal'] as const) {
      const principal = statement[field];
      if (principal === '*') canonical[field] = '*';
      else if (principal) {
        canonical[field] = Object.fromEntries(
          Object.keys(principal)
            .sort()
            .map((kind) => [kind, canonicalList(principal[kind]) ?? []]),
        );
      }
    }
    if (statement.Condition) {
      canonical.Condition = Object.fromEntries(
        Object.keys(statement.Condition)
          .sort()
          .map((operator) => {
            const block = statement.Condition?.[operator] ?? {};
            return [
              operator,
              Object.fromEntries(
                Object.keys(block)
                  .sort()
                  .map((key) => [key, canonicalList(block[key]) ?? []]),
              ),
            ];
          }),
      );
    }
    return canonical;
  });
  return out;
}

/** Compiled patterns (bounded: a stream of distinct patterns never drops the common ones all at once). */
const patternCache = new BoundedCache<string, RegExp>(5000);

/** The regular expression source of one IAM wildcard pattern. */
function wildcardSource(pattern: string): string {
  return pattern.replace(/[*?.+^${}()|[\]\\]/g, (char) =>
    char === '*' ? '.*' : char === '?' ? '.' : `\\${char}`,
  );
}

/** IAM wildcard match (`*` any run, `?` one character), case-insensitive as IAM action names are. */
export function wildcardMatch(pattern: string, value: string): boolean {
  let regex = patternCache.get(pattern);
  if (!regex) {
    regex = new RegExp(`^${wildcardSource(pattern)}$`, 'i');
    patternCache.set(pattern, regex);
  }
  return regex.test(value);
}

/** A list of action patterns compiled for quick tests: one expression per service prefix, one for the rest. */
interface CompiledList {
  byService: Map<string, RegExp>;
  /** Patterns whose service part has a wildcard (`*`, `ia*:Get*`), or that name no service. */
  other?: RegExp;
  /** Actions asked about before and the answer (the rules ask the same few dozen of every list). */
  answers: Map<string, boolean>;
}

/** How many answers a compiled list keeps; the rest are worked out each time. */
const ANSWERS_KEPT = 256;

const listCache = new WeakMap<readonly string[], CompiledList>();

function compileList(patterns: readonly string[]): CompiledList {
  const groups = new Map<string, string[]>();
  const other: string[] = [];
  for (const pattern of patterns) {
    const colon = pattern.indexOf(':');
    const service = colon === -1 ? '' : pattern.slice(0, colon).toLowerCase();
    if (service === '' || /[*?]/.test(service)) other.push(pattern);
    else groups.set(service, [...(groups.get(service) ?? []), pattern]);
  }
  const expression = (list: string[]) => new RegExp(`^(?:${list.map(wildcardSource).join('|')})$`, 'i');
  const out: CompiledList = {
    byService: new Map([...groups].map(([service, list]) => [service, expression(list)])),
    answers: new Map(),
  };
  if (other.length > 0) out.other = expression(other);
  return out;
}

/**
 * True when any pattern of a list matches `value`. The list is compiled once (kept while the list lives) into one
 * expression per service prefix: AWS managed policies list up to thousands of patterns, each asked about dozens
 * of actions, and an action can only match the patterns of its own service (or those with a wildcard service).
 */
export function anyWildcardMatch(patterns: readonly string[], value: string): boolean {
  let compiled = listCache.get(patterns);
  if (!compiled) {
    compiled = compileList(patterns);
    listCache.set(patterns, compiled);
  }
  const known = compiled.answers.get(value);
  if (known !== undefined) return known;
  const colon = value.indexOf(':');
  const service = colon === -1 ? '' : value.slice(0, colon).toLowerCase();
  const answer = compiled.byService.get(service)?.test(value) || (compiled.other?.test(value) ?? false);
  if (compiled.answers.size < ANSWERS_KEPT) compiled.answers.set(value, answer);
  return answer;
}

/**
 * True when a statement's action patterns grant `action`: by `Action` when it has one; by `NotAction` when the
 * action is not excluded.
 */
export function statementCoversAction(statement: Statement, action: string): boolean {
  if (statement.Action) return anyWildcardMatch(statement.Action, action);
  if (statement.NotAction) return !anyWildcardMatch(statement.NotAction, action);
  return false;
}

/** True when the statement applies to every resource (`Resource: "*"`, or `NotResource` with no resource). */
export function statementOnAllResources(statement: Statement): boolean {
  if (statement.Resource) return statement.Resource.includes('*');
  if (statement.NotResource) return statement.NotResource.length === 0;
  // Trust policies have no Resource: the role itself is the resource.
  return true;
}

/** The principals of a trust statement as a flat list of `kind:value` (`AWS:*`, `Service:ec2.amazonaws.com`). */
export function principalEntries(principal: Principal | undefined): Array<{ kind: string; value: string }> {
  if (!principal) return [];
  if (principal === '*') return [{ kind: '*', value: '*' }];
  return Object.entries(principal).flatMap(([kind, values]) => values.map((value) => ({ kind, value })));
}

/** The account id an AWS principal names (`123456789012`, `arn:aws:iam::123456789012:root`), if any. */
export function principalAccount(value: string): string | undefined {
  if (/^\d{12}$/.test(value)) return value;
  return /^arn:aws[\w-]*:(?:iam|sts)::(\d{12}):/.exec(value)?.[1];
}
