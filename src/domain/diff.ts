/**
 * Policy diffs: what a change did to a policy document, statement by statement, as a flat summary a responder
 * reads in one glance, as a unified diff of the canonical JSON, and as a change of risk level. Pure: the
 * documents before and after are looked up elsewhere (store, CloudTrail history, IAM) and passed in.
 *
 * `undefined` always means "unknown" and `null` "nothing" (the policy did not exist, was not attached, was
 * deleted). An unknown side is never guessed at: no statement changes, no summary and no unified diff are
 * computed against it.
 */
import { FILE_HEADERS_ONLY, formatPatch, structuredPatch } from 'diff';
import { canonicalDocument, principalEntries, statementCoversAction, wildcardMatch } from './policy';
import { assessRisk, DEFAULT_RISK_CONTEXT } from './risk/assess';
import { levelRank } from './risk/levels';
import type { RiskContext } from './risk/rule';
import type {
  Change,
  DocumentRole,
  PolicyDocument,
  RequestDocument,
  Risk,
  RiskLevel,
  Statement,
} from './types';

/** What was added to and removed from one list (actions, resources, principals, condition tests). */
export interface ListChange {
  added: string[];
  removed: string[];
}

/** A statement (in canonical form) and its position in its document, counted from 0. */
export interface IndexedStatement {
  index: number;
  statement: Statement;
}

/** The parts of a statement a diff compares. */
export const STATEMENT_FIELDS = [
  'actions',
  'notActions',
  'resources',
  'notResources',
  'principals',
  'notPrincipals',
  'conditions',
] as const;

/** One comparable part of a statement. */
export type StatementField = (typeof STATEMENT_FIELDS)[number];

/** How a before statement was paired with an after statement; see {@link diffDocuments}. */
export type MatchRule = 'sid' | 'content' | 'actions';

/** A statement present before and after the change, with what changed in it. */
export interface StatementChange {
  before: IndexedStatement;
  after: IndexedStatement;
  matchedBy: MatchRule;
  /** Set when the Effect flipped (a Deny that became an Allow, or the reverse). */
  effect?: { before: Statement['Effect']; after: Statement['Effect'] };
  /** Set when the Sid changed (only statements matched by content or actions can differ in Sid). */
  sid?: { before?: string; after?: string };
  /** The fields with something added or removed, in {@link STATEMENT_FIELDS} order. */
  changedFields: StatementField[];
  /** Every field, empty lists where nothing changed. Condition tests read `Operator key value`. */
  fields: Record<StatementField, ListChange>;
}

/** The diff in a few lists: what a responder asks first. */
export interface DiffSummary {
  /**
   * Action patterns of `Allow` statements that no `Allow` statement before covered (`s3:*` covers
   * `s3:GetObject`); an `Allow` with `NotAction` reads `* except a, b (NotAction)`.
   */
  actionsAllowed: string[];
  /** Action patterns of `Allow` statements before that no `Allow` statement after covers. */
  actionsNoLongerAllowed: string[];
  /** Resources named by `Allow` statements after and not before (`NotResource` reads `* except r (NotResource)`). */
  resourcesAdded: string[];
  /** Resources named by `Allow` statements before and not after. */
  resourcesRemoved: string[];
  /** `Deny` statements before that are gone: unmatched, or turned into an `Allow`. */
  denyStatementsRemoved: IndexedStatement[];
  /** Actions taken out of `Deny` statements that remain: each one is denied no more. */
  denyActionsRemoved: string[];
  /** Principals (`AWS:arn…`, `Service:…`, `Federated:…`, `*`) that `Allow` statements trust after and not before. */
  principalsAdded: string[];
  /** Principals trusted before and not after. */
  principalsRemoved: string[];
}

/** What a change did to a policy document. */
export interface PolicyDiff {
  /** False when the document before the change is unknown: nothing is compared, nothing is guessed. */
  beforeKnown: boolean;
  /** False when the document after the change is unknown (e.g. a managed policy's version was not read). */
  afterKnown: boolean;
  /** The document before, canonical; `null` = there was none, `undefined` = unknown. */
  before: PolicyDocument | null | undefined;
  /** The document after, canonical; `null` = there is none, `undefined` = unknown. */
  after: PolicyDocument | null | undefined;
  /** True when both sides are known and their canonical forms are identical (both `null` counts). */
  unchanged: boolean;
  /** Statements only after (every statement when the before is `null`). */
  added: IndexedStatement[];
  /** Statements only before (every statement when the after is `null`). */
  removed: IndexedStatement[];
  /** Statements on both sides that differ. Pairs that are the same (moved, reordered lists) are not listed. */
  changed: StatementChange[];
  summary: DiffSummary;
  /**
   * The unified diff (`--- before` / `+++ after`, 3 lines of context) of the canonical JSON, pretty-printed
   * with 2 spaces. Empty when a side is unknown or nothing changed.
   */
  unified: string;
}

/** Canonical JSON of a document as the unified diff shows it: 2-space indent, ending in a newline. */
export function documentText(document: PolicyDocument | null | undefined): string {
  return document ? `${JSON.stringify(canonicalDocument(document), null, 2)}\n` : '';
}

function emptySummary(): DiffSummary {
  return {
    actionsAllowed: [],
    actionsNoLongerAllowed: [],
    resourcesAdded: [],
    resourcesRemoved: [],
    denyStatementsRemoved: [],
    denyActionsRemoved: [],
    principalsAdded: [],
    principalsRemoved: [],
  };
}

/** The elements of `after` not in `before`, and of `before` not in `after`, compared by `key`. */
function listChange(before: readonly string[], after: readonly string[], key = (v: string) => v): ListChange {
  const beforeKeys = new Set(before.map(key));
  const afterKeys = new Set(after.map(key));
  return {
    added: [...new Set(after.filter((value) => !beforeKeys.has(key(value))))],
    removed: [...new Set(before.filter((value) => !afterKeys.has(key(value))))],
  };
}

/** IAM action names are case-insensitive: `s3:getobject` and `s3:GetObject` are the same action. */
const actionKey = (value: string): string => value.toLowerCase();

function principalStrings(principal: Statement['Principal']): string[] {
  return principalEntries(principal).map((entry) =>
    entry.kind === '*' ? '*' : `${entry.kind}:${entry.value}`,
  );
}

function conditionStrings(condition: Statement['Condition']): string[] {
  return Object.entries(condition ?? {}).flatMap(([operator, block]) =>
    Object.entries(block).flatMap(([key, values]) => values.map((value) => `${operator} ${key} ${value}`)),
  );
}

function fieldValues(statement: Statement): Record<StatementField, string[]> {
  return {
    actions: statement.Action ?? [],
    notActions: statement.NotAction ?? [],
    resources: statement.Resource ?? [],
    notResources: statement.NotResource ?? [],
    principals: principalStrings(statement.Principal),
    notPrincipals: principalStrings(statement.NotPrincipal),
    conditions: conditionStrings(statement.Condition),
  };
}

function compareStatements(
  before: IndexedStatement,
  after: IndexedStatement,
  by: MatchRule,
): StatementChange {
  const left = fieldValues(before.statement);
  const right = fieldValues(after.statement);
  const fields = Object.fromEntries(
    STATEMENT_FIELDS.map((field) => [
      field,
      listChange(
        left[field],
        right[field],
        field === 'actions' || field === 'notActions' ? actionKey : undefined,
      ),
    ]),
  ) as Record<StatementField, ListChange>;
  const change: StatementChange = {
    before,
    after,
    matchedBy: by,
    changedFields: STATEMENT_FIELDS.filter(
      (field) => fields[field].added.length > 0 || fields[field].removed.length > 0,
    ),
    fields,
  };
  if (before.statement.Effect !== after.statement.Effect) {
    change.effect = { before: before.statement.Effect, after: after.statement.Effect };
  }
  if (before.statement.Sid !== after.statement.Sid) {
    change.sid = {};
    if (before.statement.Sid !== undefined) change.sid.before = before.statement.Sid;
    if (after.statement.Sid !== undefined) change.sid.after = after.statement.Sid;
  }
  return change;
}

function isDifferent(change: StatementChange): boolean {
  return change.changedFields.length > 0 || change.effect !== undefined || change.sid !== undefined;
}

/** A statement's content without its Sid, actions in lower case: equal keys mean the same grant. */
function contentKey(statement: Statement): string {
  const { Sid: _sid, ...rest } = statement;
  const lowered: Statement = { ...rest };
  if (rest.Action) lowered.Action = rest.Action.map(actionKey);
  if (rest.NotAction) lowered.NotAction = rest.NotAction.map(actionKey);
  return JSON.stringify(canonicalDocument({ Statement: [lowered] }).Statement[0]);
}

/** Action keys for similarity: `NotAction` entries marked with `!` so they never match an `Action` entry. */
function actionKeys(statement: Statement): Set<string> {
  return new Set([
    ...(statement.Action ?? []).map(actionKey),
    ...(statement.NotAction ?? []).map((action) => `!${actionKey(action)}`),
  ]);
}

/** Jaccard similarity of two sets; two empty sets are identical (1). */
function jaccard(left: ReadonlySet<string>, right: ReadonlySet<string>): number {
  if (left.size === 0 && right.size === 0) return 1;
  let common = 0;
  for (const value of left) if (right.has(value)) common += 1;
  return common / (left.size + right.size - common);
}

/** Everything but the actions, for breaking ties between statements with the same actions (trust policies). */
function otherKeys(statement: Statement): Set<string> {
  const values = fieldValues(statement);
  return new Set([
    ...values.resources.map((value) => `r:${value}`),
    ...values.notResources.map((value) => `nr:${value}`),
    ...values.principals.map((value) => `p:${value}`),
    ...values.notPrincipals.map((value) => `np:${value}`),
    ...values.conditions.map((value) => `c:${value}`),
  ]);
}

interface Matching {
  pairs: Array<{ before: number; after: number; by: MatchRule }>;
  removed: number[];
  added: number[];
}

/**
 * Pairs the statements of two documents, in three passes over those still unpaired:
 * 1. by Sid, when both statements have one (the first unpaired statement with the same Sid);
 * 2. by content: identical statements apart from the Sid (moved, or the Sid renamed);
 * 3. by actions, when at least one of the two has no Sid: same Effect and at least one action pattern in
 *    common (`Action` and `NotAction` kept apart, case-insensitive), the most similar pair first (Jaccard
 *    similarity of the action sets, then of resources, principals and conditions, then the nearest position).
 * Two statements with different Sids are never paired by their actions: a new Sid is a new statement.
 */
function matchStatements(before: Statement[], after: Statement[]): Matching {
  const pairs: Matching['pairs'] = [];
  const freeBefore = new Set(before.map((_, index) => index));
  const freeAfter = new Set(after.map((_, index) => index));
  const pair = (b: number, a: number, by: MatchRule) => {
    pairs.push({ before: b, after: a, by });
    freeBefore.delete(b);
    freeAfter.delete(a);
  };

  for (const a of [...freeAfter]) {
    const sid = after[a]?.Sid;
    if (!sid) continue;
    const b = [...freeBefore].find((index) => before[index]?.Sid === sid);
    if (b !== undefined) pair(b, a, 'sid');
  }

  for (const a of [...freeAfter]) {
    const statement = after[a];
    if (!statement) continue;
    const key = contentKey(statement);
    const b = [...freeBefore].find((index) => {
      const candidate = before[index];
      return candidate !== undefined && contentKey(candidate) === key;
    });
    if (b !== undefined) pair(b, a, 'content');
  }

  const candidates: Array<{ b: number; a: number; score: number; tie: number }> = [];
  for (const b of freeBefore) {
    for (const a of freeAfter) {
      const left = before[b];
      const right = after[a];
      if (!left || !right || left.Effect !== right.Effect) continue;
      if (left.Sid && right.Sid) continue;
      const leftActions = actionKeys(left);
      const rightActions = actionKeys(right);
      const score = jaccard(leftActions, rightActions);
      const shared = leftActions.size === 0 && rightActions.size === 0 ? true : score > 0;
      if (!shared) continue;
      candidates.push({ b, a, score, tie: jaccard(otherKeys(left), otherKeys(right)) });
    }
  }
  candidates.sort(
    (x, y) =>
      y.score - x.score ||
      y.tie - x.tie ||
      Math.abs(x.b - x.a) - Math.abs(y.b - y.a) ||
      x.b - y.b ||
      x.a - y.a,
  );
  for (const { b, a } of candidates) {
    if (freeBefore.has(b) && freeAfter.has(a)) pair(b, a, 'actions');
  }

  return {
    pairs: pairs.sort((x, y) => x.after - y.after),
    removed: [...freeBefore].sort((x, y) => x - y),
    added: [...freeAfter].sort((x, y) => x - y),
  };
}

function allows(document: PolicyDocument | null | undefined): Statement[] {
  return document ? document.Statement.filter((statement) => statement.Effect === 'Allow') : [];
}

/** True when some statement grants everything `pattern` names (`NotAction` must not overlap it at all). */
function coveredBy(statements: Statement[], pattern: string): boolean {
  return statements.some((statement) => {
    if (statement.NotAction) {
      return !statement.NotAction.some(
        (excluded) => wildcardMatch(excluded, pattern) || wildcardMatch(pattern, excluded),
      );
    }
    return statementCoversAction(statement, pattern);
  });
}

function notActionLabel(statement: Statement): string {
  return `* except ${(statement.NotAction ?? []).join(', ')} (NotAction)`;
}

function newlyAllowed(from: Statement[], to: Statement[]): string[] {
  const out: string[] = [];
  const fromNotActions = new Set(from.filter((s) => s.NotAction).map(notActionLabel));
  for (const statement of to) {
    if (statement.NotAction) {
      const label = notActionLabel(statement);
      if (!fromNotActions.has(label)) out.push(label);
      continue;
    }
    for (const pattern of statement.Action ?? []) {
      if (!coveredBy(from, pattern)) out.push(pattern);
    }
  }
  return [...new Set(out)];
}

function resourceStrings(statements: Statement[]): string[] {
  return statements.flatMap((statement) => [
    ...(statement.Resource ?? []),
    ...(statement.NotResource ? [`* except ${statement.NotResource.join(', ')} (NotResource)`] : []),
  ]);
}

function trustedPrincipals(statements: Statement[]): string[] {
  return statements.flatMap((statement) => [
    ...principalStrings(statement.Principal),
    ...(statement.NotPrincipal
      ? [`* except ${principalStrings(statement.NotPrincipal).join(', ')} (NotPrincipal)`]
      : []),
  ]);
}

function summarise(
  before: PolicyDocument | null,
  after: PolicyDocument | null,
  removed: IndexedStatement[],
  changed: StatementChange[],
): DiffSummary {
  const beforeAllows = allows(before);
  const afterAllows = allows(after);
  const resources = listChange(resourceStrings(beforeAllows), resourceStrings(afterAllows));
  const principals = listChange(trustedPrincipals(beforeAllows), trustedPrincipals(afterAllows));
  return {
    actionsAllowed: newlyAllowed(beforeAllows, afterAllows),
    actionsNoLongerAllowed: newlyAllowed(afterAllows, beforeAllows),
    resourcesAdded: resources.added,
    resourcesRemoved: resources.removed,
    denyStatementsRemoved: [
      ...removed.filter((entry) => entry.statement.Effect === 'Deny'),
      ...changed.filter((entry) => entry.effect?.before === 'Deny').map((entry) => entry.before),
    ].sort((x, y) => x.index - y.index),
    denyActionsRemoved: [
      ...new Set(
        changed
          .filter(
            (entry) => entry.before.statement.Effect === 'Deny' && entry.after.statement.Effect === 'Deny',
          )
          .flatMap((entry) => entry.fields.actions.removed),
      ),
    ],
    principalsAdded: principals.added,
    principalsRemoved: principals.removed,
  };
}

function indexed(document: PolicyDocument | null): IndexedStatement[] {
  return (document?.Statement ?? []).map((statement, index) => ({ index, statement }));
}

/**
 * Compares two policy documents. Both are made canonical first (every list-or-string a sorted list), so a
 * string that became a one-item list, or a list in another order, is no change. Statements are paired as
 * {@link matchStatements} describes; unpaired ones are added or removed.
 *
 * @param before the document before the change: `null` when there was none, `undefined` when unknown.
 * @param after the document after the change: `null` when there is none, `undefined` when unknown.
 */
export function diffDocuments(
  before: PolicyDocument | null | undefined,
  after: PolicyDocument | null | undefined,
): PolicyDiff {
  const left = before ? canonicalDocument(before) : before;
  const right = after ? canonicalDocument(after) : after;
  const diff: PolicyDiff = {
    beforeKnown: left !== undefined,
    afterKnown: right !== undefined,
    before: left,
    after: right,
    unchanged: false,
    added: [],
    removed: [],
    changed: [],
    summary: emptySummary(),
    unified: '',
  };
  if (left === undefined || right === undefined) return diff;
  const beforeText = documentText(left);
  const afterText = documentText(right);
  if (beforeText === afterText) {
    diff.unchanged = true;
    return diff;
  }

  const beforeStatements = indexed(left);
  const afterStatements = indexed(right);
  const matching = matchStatements(
    beforeStatements.map((entry) => entry.statement),
    afterStatements.map((entry) => entry.statement),
  );
  diff.added = matching.added.flatMap((index) => afterStatements[index] ?? []);
  diff.removed = matching.removed.flatMap((index) => beforeStatements[index] ?? []);
  diff.changed = matching.pairs.flatMap(({ before: b, after: a, by }) => {
    const from = beforeStatements[b];
    const to = afterStatements[a];
    if (!from || !to) return [];
    const change = compareStatements(from, to, by);
    return isDifferent(change) ? [change] : [];
  });
  diff.summary = summarise(left, right, diff.removed, diff.changed);
  diff.unified = formatPatch(
    structuredPatch('before', 'after', beforeText, afterText, undefined, undefined, { context: 3 }),
    FILE_HEADERS_ONLY,
  );
  return diff;
}

// --- which documents to compare -------------------------------------------------------------------------------

/** What a look-up found for a change's diff; see {@link diffInputsFor}. */
export interface ResolvedDocuments {
  /**
   * The document before the change: previous inline document or trust policy, the previous default version
   * (CreatePolicyVersion, SetDefaultPolicyVersion, DeletePolicy), the deleted version (DeletePolicyVersion).
   * `null` = there was none, `undefined` = unknown.
   */
  previousDocument?: PolicyDocument | null;
  /**
   * A managed policy's document: its default version for Attach / Detach, the version made default for
   * SetDefaultPolicyVersion. `undefined` = not looked up or not found.
   */
  managedPolicyDocument?: PolicyDocument;
}

/** What a change's diff is about, known from the change alone. */
export interface DiffScope {
  /** Whether the documents compared are permissions or a role's trust policy. */
  role: DocumentRole;
  /** False for calls that carry no policy document to compare (other IAM writes). */
  supported: boolean;
  /**
   * False when the after document does not replace what is in effect: a version created without
   * `setAsDefault`, a deleted (never the default) version, or a call that failed.
   */
  inEffect: boolean;
  /** What a reader must know to read the diff right, in words. */
  notes: string[];
}

/** The documents to compare for a change, with its scope. */
export interface DiffInputs extends DiffScope {
  before: PolicyDocument | null | undefined;
  after: PolicyDocument | null | undefined;
}

const ENTITY_CALL = /^(Attach|Detach|Put|Delete)(Role|User|Group)Policy$/;

function isTrue(value: unknown): boolean {
  return value === true || value === 'true';
}

function entityLabel(change: Change): string {
  const { kind, name } = change.target;
  return name ? `${kind} ${name}` : `the ${kind}`;
}

function policyLabel(change: Change): string {
  const { policyName, policyArn } = change.target;
  if (policyName) return policyName;
  if (policyArn) return policyArn.slice(policyArn.lastIndexOf('/') + 1);
  return 'the policy';
}

function versionLabel(change: Change): string {
  return change.target.versionId ? `version ${change.target.versionId}` : 'the version';
}

/** The request's document of `role`: the parsed document, or `undefined` (unknown) when it could not be read. */
function requestDocument(
  change: Change,
  role: DocumentRole,
): { document?: PolicyDocument; entry?: RequestDocument } {
  const entry = change.documents.find((candidate) => candidate.role === role);
  return entry?.document ? { document: entry.document, entry } : entry ? { entry } : {};
}

/**
 * What a change's diff is about, from the change alone: whether the event has a diff, which kind of document,
 * whether the after document is in effect, and the notes a reader needs ("version v3 was added but is not the
 * default"). {@link diffInputsFor} adds the documents.
 */
export function diffScope(change: Change): DiffScope {
  const event = change.eventName;
  const scope: DiffScope = {
    role: event === 'UpdateAssumeRolePolicy' ? 'trust' : 'permissions',
    supported: true,
    inEffect: true,
    notes: [],
  };
  const entityCall = ENTITY_CALL.exec(event)?.[1];
  if (entityCall === 'Attach') {
    scope.notes.push(
      `${entityLabel(change)} gains what the default version of ${policyLabel(change)} grants; its other policies are not shown`,
    );
  } else if (entityCall === 'Detach') {
    scope.notes.push(
      `${entityLabel(change)} loses what the default version of ${policyLabel(change)} grants, unless another of its policies grants it too`,
    );
  } else if (entityCall === 'Put' || entityCall === 'Delete') {
    // The inline document is the whole story: nothing to add.
  } else if (event === 'CreatePolicy') {
    scope.notes.push(`a new managed policy grants nothing until it is attached`);
  } else if (event === 'DeletePolicy') {
    scope.notes.push(`IAM deletes a policy only once it is detached from everything`);
  } else if (event === 'CreatePolicyVersion') {
    if (!isTrue(change.requestParameters?.setAsDefault)) {
      scope.inEffect = false;
      scope.notes.push(
        `${versionLabel(change)} was added but is not the default: it is not in effect, and grants nothing until someone makes it the default. The diff compares the default version with it`,
      );
    } else {
      scope.notes.push(
        `${versionLabel(change)} became the default: it is in effect for every holder of the policy`,
      );
    }
  } else if (event === 'DeletePolicyVersion') {
    scope.inEffect = false;
    scope.notes.push(
      `IAM never deletes the default version: removing ${versionLabel(change)} changes nobody's permissions`,
    );
  } else if (event === 'SetDefaultPolicyVersion') {
    scope.notes.push(`${versionLabel(change)} is now in effect for every holder of ${policyLabel(change)}`);
  } else if (event !== 'UpdateAssumeRolePolicy') {
    scope.supported = false;
    scope.inEffect = false;
    scope.notes.push(`${event} carries no policy document to compare`);
  }
  if (change.outcome === 'failed' && scope.supported) {
    scope.inEffect = false;
    scope.notes.unshift(
      `the call failed${change.errorCode ? ` (${change.errorCode})` : ''}: nothing changed; this is what it tried to do`,
    );
  }
  return scope;
}

/**
 * The documents to compare for a change, for every CIS 4.4 event plus SetDefaultPolicyVersion and
 * UpdateAssumeRolePolicy (DESIGN §3):
 * - Attach…Policy: nothing (not attached) → the managed policy's default version; Detach…Policy the reverse;
 * - Put…Policy: previous inline document → the request's; Delete…Policy: previous → nothing;
 * - CreatePolicy: nothing → the request's; DeletePolicy: the previous default version → nothing;
 * - CreatePolicyVersion: previous default → the request's (not in effect without `setAsDefault`);
 * - DeletePolicyVersion: the deleted version → nothing; SetDefaultPolicyVersion: previous default → the version
 *   made default (`managedPolicyDocument`);
 * - UpdateAssumeRolePolicy: previous trust policy → the request's.
 * Whatever was not found stays `undefined`: unknown, never guessed. A request document that could not be read is
 * unknown too, and a note says why.
 */
export function diffInputsFor(change: Change, resolved: ResolvedDocuments): DiffInputs {
  const scope = diffScope(change);
  const inputs: DiffInputs = { ...scope, notes: [...scope.notes], before: undefined, after: undefined };
  if (!scope.supported) return inputs;
  const request = requestDocument(change, scope.role);
  if (request.entry && !request.document) {
    inputs.notes.push(
      `the ${request.entry.field} in the request could not be read (${request.entry.error ?? 'no document'})`,
    );
  }
  const previous = resolved.previousDocument;
  const managed = resolved.managedPolicyDocument;
  const entityCall = ENTITY_CALL.exec(change.eventName)?.[1];
  switch (entityCall ?? change.eventName) {
    case 'Attach':
      return { ...inputs, before: null, after: managed };
    case 'Detach':
      return { ...inputs, before: managed, after: null };
    case 'Put':
      return { ...inputs, before: previous, after: request.document };
    case 'Delete':
      return { ...inputs, before: previous, after: null };
    case 'CreatePolicy':
      return { ...inputs, before: null, after: request.document };
    case 'DeletePolicy':
      return { ...inputs, before: previous === undefined ? managed : previous, after: null };
    case 'CreatePolicyVersion':
      return { ...inputs, before: previous, after: request.document };
    case 'DeletePolicyVersion':
      return { ...inputs, before: previous, after: null };
    case 'SetDefaultPolicyVersion':
      return { ...inputs, before: previous, after: managed };
    case 'UpdateAssumeRolePolicy':
      return { ...inputs, before: previous, after: request.document };
    default:
      return inputs;
  }
}

// --- what the diff does to the risk ---------------------------------------------------------------------------

/** A level of a document's risk: `none` when there is no document, `unknown` when it is not known. */
export type RiskDeltaLevel = RiskLevel | 'none' | 'unknown';

/** What a change's diff does to the risk, judged on the documents alone. */
export interface RiskDelta {
  before: RiskDeltaLevel;
  after: RiskDeltaLevel;
  /** `raised` / `lowered` / `same`, or `unknown` when either side is unknown. */
  direction: 'raised' | 'lowered' | 'same' | 'unknown';
  /** Reasons the after document has and the before did not (empty when the before is unknown). */
  reasonsAdded: string[];
  /** Reasons the before document had and the after does not. */
  reasonsRemoved: string[];
  /** Every reason of the before document (empty when it is unknown or none). */
  beforeReasons: string[];
  /** Every reason of the after document: what to read when the before is unknown. */
  afterReasons: string[];
}

/** Neutral calls that carry a document of each role: no rule judges them by name, only by the document. */
const SYNTHETIC_EVENT: Record<DocumentRole, { eventName: string; field: string }> = {
  permissions: { eventName: 'PutRolePolicy', field: 'policyDocument' },
  trust: { eventName: 'UpdateAssumeRolePolicy', field: 'assumeRolePolicyDocument' },
};

/**
 * A copy of the change that holds only `document`, as a successful call by an anonymous caller: the risk of
 * the document, not of the call (who made it and how are the alert's business, and the same on both sides).
 */
function syntheticChange(change: Change, role: DocumentRole, document: PolicyDocument): Change {
  const { errorCode: _code, errorMessage: _message, ...rest } = change;
  const { mfa: _mfa, ...actor } = change.actor;
  const { eventName, field } = SYNTHETIC_EVENT[role];
  return {
    ...rest,
    eventName,
    cis44: true,
    outcome: 'success',
    actor: { ...actor, type: 'unknown' },
    documents: [{ role, field, document }],
  };
}

function rank(level: RiskDeltaLevel): number {
  return level === 'none' ? -1 : level === 'unknown' ? Number.NaN : levelRank(level);
}

function describedDenies(count: number, sids: string[]): string {
  const noun = count === 1 ? 'a Deny statement' : `${count} Deny statements`;
  return sids.length > 0 ? `${noun} (${sids.join(', ')})` : noun;
}

/**
 * What a diff does to the risk: the risk rules run on a synthetic change holding the before document and on
 * one holding the after document (same target, same role of document, both judged with the before document as
 * the previous one, so "new external account" and "Deny removed" compare the two), and the levels and reasons
 * are compared. Rule reasons only: the baseline ("changes IAM policy") is no reason. A side that is `null` is
 * `none`; an unknown side is `unknown` and nothing is said to be added or removed against it. A document taken
 * away (Detach, Delete) that held Deny statements adds a reason: what they denied may now be allowed by another
 * policy.
 *
 * @param context trusted accounts for the trust rules; expected actors are ignored (they judge the call).
 */
export function riskDelta(
  change: Change,
  diff: PolicyDiff,
  context: Pick<RiskContext, 'trustedAccounts'> = DEFAULT_RISK_CONTEXT,
): RiskDelta {
  const role = diffScope(change).role;
  const judged: RiskContext = {
    expectedActors: [],
    trustedAccounts: [...context.trustedAccounts],
    previousDocument: diff.beforeKnown ? diff.before : undefined,
  };
  const judge = (
    document: PolicyDocument | null | undefined,
  ): { level: RiskDeltaLevel; reasons: string[] } => {
    if (document === undefined) return { level: 'unknown', reasons: [] };
    if (document === null) return { level: 'none', reasons: [] };
    const risk: Risk = assessRisk(syntheticChange(change, role, document), judged);
    return { level: risk.level, reasons: risk.rules.length > 0 ? risk.reasons : [] };
  };
  const before = judge(diff.before);
  const after = judge(diff.after);
  const afterReasons = [...after.reasons];
  if (diff.after === null && diff.summary.denyStatementsRemoved.length > 0) {
    const sids = diff.summary.denyStatementsRemoved.flatMap((entry) =>
      entry.statement.Sid ? [entry.statement.Sid] : [],
    );
    afterReasons.push(
      `removes ${describedDenies(diff.summary.denyStatementsRemoved.length, sids)}: what they denied may now be allowed by another policy`,
    );
  }
  const comparable = diff.beforeKnown && diff.afterKnown;
  const beforeSet = new Set(before.reasons);
  const afterSet = new Set(afterReasons);
  const delta = rank(after.level) - rank(before.level);
  return {
    before: before.level,
    after: after.level,
    direction: !comparable ? 'unknown' : delta > 0 ? 'raised' : delta < 0 ? 'lowered' : 'same',
    reasonsAdded: comparable ? afterReasons.filter((reason) => !beforeSet.has(reason)) : [],
    reasonsRemoved: comparable ? before.reasons.filter((reason) => !afterSet.has(reason)) : [],
    beforeReasons: before.reasons,
    afterReasons,
  };
}
