/**
 * Questions the risk rules ask of a change's policy documents and request, answered once here so each rule
 * stays a few lines and every rule reads documents the same way. Everything tolerates odd input: missing
 * documents, documents that could not be parsed, `null` request parameters.
 */
import { statementOnAllResources, wildcardMatch } from '../policy';
import type { Change, DocumentRole, PolicyDocument, Statement } from '../types';

/** The parsed documents of a change that play `role`; unreadable ones are left out. */
export function documentsOf(change: Change, role: DocumentRole): PolicyDocument[] {
  return change.documents.flatMap((entry) => (entry.role === role && entry.document ? [entry.document] : []));
}

/** Every `Allow` statement of the change's documents that play `role`. */
export function allowStatements(change: Change, role: DocumentRole): Statement[] {
  return documentsOf(change, role).flatMap((document) =>
    document.Statement.filter((statement) => statement.Effect === 'Allow'),
  );
}

/** A string request parameter, or undefined when absent, empty or not a string. */
export function requestString(change: Change, key: string): string | undefined {
  const value = change.requestParameters?.[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** True when the call went through. Rules about what a change grants skip failed calls: nothing changed. */
export function succeeded(change: Change): boolean {
  return change.outcome === 'success';
}

/** `a, b, c and 2 more`: a list a responder can read in one line. */
export function formatList(items: readonly string[], max = 4): string {
  if (items.length <= max) return items.join(', ');
  return `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

/** "role deploy", "user bob", "policy Deploy": what the change acted on, for a reason's end. */
export function targetPhrase(change: Change): string {
  const { kind, name } = change.target;
  if (!name) return kind === 'unknown' ? 'an unnamed entity' : `an unnamed ${kind}`;
  return kind === 'unknown' ? name : `${kind} ${name}`;
}

/** ARN patterns that name every resource of every service (`arn:*`, `arn:aws:*:*:*:*`). */
const EVERY_ARN = /^arn:(?:\*|aws[\w-]*:\*)(?::\*)*$/;

/**
 * Where an `Allow` statement applies when that is (nearly) everywhere: `"on *"`, `"on arn:*"` or
 * `"on every resource except …"` for `NotResource`; undefined when it names specific resources.
 */
export function wideResourceScope(statement: Statement): string | undefined {
  if (statement.Resource) {
    const wide = statement.Resource.find((pattern) => pattern === '*' || EVERY_ARN.test(pattern));
    return wide ? `on ${wide}` : undefined;
  }
  if (statement.NotResource && statement.NotResource.length > 0) {
    return `on every resource except ${formatList(statement.NotResource, 2)}`;
  }
  return statementOnAllResources(statement) ? 'on *' : undefined;
}

/**
 * True when an action pattern grants every action of `service` (`*`, `*:*`, `iam:*`, `ia*`). A pattern that
 * matches the literal `service:*` can only do so with a `*` of its own in that place, unless a `?` took the
 * star: the two probes of other lengths rule that out.
 */
function patternGrantsService(pattern: string, service: string): boolean {
  return [`${service}:*`, `${service}:PassRole`, `${service}:GetAccountSummary`].every((probe) =>
    wildcardMatch(pattern, probe),
  );
}

/** True when an action pattern grants every action of every service (`*`, `*:*`). */
function patternGrantsEverything(pattern: string): boolean {
  return ['*:*', 's3:GetObject', 'iam:PassRole'].every((probe) => wildcardMatch(pattern, probe));
}

/** The service part of an action pattern (`iam` of `iam:Put*`; the whole pattern when it has no colon). */
function servicePart(pattern: string): string {
  const colon = pattern.indexOf(':');
  return colon === -1 ? pattern : pattern.slice(0, colon);
}

/** How a statement amounts to full administrator access: every action, every IAM action, or NotAction sparing IAM. */
export type AdminGrant =
  | { kind: 'everything'; pattern: string }
  | { kind: 'all-iam'; pattern: string }
  | { kind: 'not-action'; excluded: string[] };

/**
 * Whether an `Allow` statement grants every action, or every IAM action (which lets its holder grant itself
 * anything else). `NotAction` counts when none of its patterns can exclude an IAM action.
 */
export function adminGrant(statement: Statement): AdminGrant | undefined {
  if (statement.Effect !== 'Allow') return undefined;
  if (statement.Action) {
    const everything = statement.Action.find(patternGrantsEverything);
    if (everything) return { kind: 'everything', pattern: everything };
    const iam = statement.Action.find((pattern) => patternGrantsService(pattern, 'iam'));
    if (iam) return { kind: 'all-iam', pattern: iam };
    return undefined;
  }
  if (statement.NotAction) {
    const touchesIam = statement.NotAction.some((pattern) => wildcardMatch(servicePart(pattern), 'iam'));
    return touchesIam ? undefined : { kind: 'not-action', excluded: statement.NotAction };
  }
  return undefined;
}
