/**
 * Questions the risk rules ask of a change's policy documents and request, answered once here so each rule
 * stays a few lines and every rule reads documents the same way. Everything tolerates odd input: missing
 * documents, documents that could not be parsed, `null` request parameters.
 */
import { type ActionCatalogue, expandStatement, grantsWholeService } from '../actions';
import { internActionList, statementOnAllResources, wildcardMatch } from '../policy';
import type { Change, DocumentRole, PolicyDocument, Statement } from '../types';

/**
 * The parsed documents of a change that play `role`; unreadable ones are left out. The document of a managed
 * policy the change attaches counts as a permissions document of the change, so every rule judges it.
 */
export function documentsOf(change: Change, role: DocumentRole): PolicyDocument[] {
  const own = change.documents.flatMap((entry) =>
    entry.role === role && entry.document ? [entry.document] : [],
  );
  const attached = change.managedPolicy;
  if (role === 'permissions' && attached?.use === 'attached' && attached.document)
    own.push(attached.document);
  return own;
}

/**
 * "attaches ReadOnlyHelper to role app, which ": how a reason about a statement starts when the statement came
 * from an attached managed policy; empty otherwise.
 */
export function attachedPrefix(change: Change, statement: Statement): string {
  const attached = change.managedPolicy;
  if (attached?.use !== 'attached' || !attached.document?.Statement.includes(statement)) return '';
  return `attaches ${attached.policyArn.slice(attached.policyArn.lastIndexOf('/') + 1)} to ${targetPhrase(change)}, which `;
}

/**
 * Every `Allow` statement of the change's documents that play `role`. Most rules ask this of every change: the
 * answer is kept per change (weakly) for as long as its documents are the same objects. Callers read the list,
 * never change it.
 */
export function allowStatements(change: Change, role: DocumentRole): readonly Statement[] {
  const known = allowedByChange.get(change);
  if (known && known.documents === change.documents && known.managedPolicy === change.managedPolicy) {
    const statements = known.byRole.get(role);
    if (statements) return statements;
  }
  const statements = documentsOf(change, role).flatMap((document) =>
    document.Statement.filter((statement) => statement.Effect === 'Allow'),
  );
  if (known && known.documents === change.documents && known.managedPolicy === change.managedPolicy) {
    known.byRole.set(role, statements);
  } else {
    allowedByChange.set(change, {
      documents: change.documents,
      managedPolicy: change.managedPolicy,
      byRole: new Map([[role, statements]]),
    });
  }
  return statements;
}

const allowedByChange = new WeakMap<
  Change,
  {
    documents: Change['documents'];
    managedPolicy: Change['managedPolicy'];
    byRole: Map<DocumentRole, readonly Statement[]>;
  }
>();

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
  // Only a pattern with a wildcard can grant more than one action.
  if (!pattern.includes('*') && !pattern.includes('?')) return false;
  return [`${service}:*`, `${service}:PassRole`, `${service}:GetAccountSummary`].every((probe) =>
    wildcardMatch(pattern, probe),
  );
}

/** True when an action pattern grants every action of every service (`*`, `*:*`). */
function patternGrantsEverything(pattern: string): boolean {
  if (!pattern.includes('*') && !pattern.includes('?')) return false;
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
 * anything else). `NotAction` counts when none of its patterns can exclude an IAM action. With a catalogue that
 * holds IAM, the statement's patterns are expanded together: `iam:Get*`, `iam:List*`, `iam:Put*` … that between
 * them cover every IAM action count, which no single pattern shows.
 */
export function adminGrant(statement: Statement, catalogue?: ActionCatalogue): AdminGrant | undefined {
  if (statement.Effect !== 'Allow') return undefined;
  // The answer depends only on the list the statement grants by: kept per list (weakly, see internActionList),
  // so an attached managed policy, or the same action list in another document, is judged once.
  const list = statement.Action ?? statement.NotAction;
  if (!list) return undefined;
  const byList = statement.Action ? adminGrantsByAction : adminGrantsByNotAction;
  let known = byList.get(list);
  if (!known) {
    known = { byCatalogue: new WeakMap() };
    byList.set(list, known);
  }
  if (!catalogue) {
    if (!('withoutCatalogue' in known)) known.withoutCatalogue = judgeAdminGrant(statement);
    return known.withoutCatalogue;
  }
  if (known.byCatalogue.has(catalogue)) return known.byCatalogue.get(catalogue);
  const grant = judgeAdminGrant(statement, catalogue);
  known.byCatalogue.set(catalogue, grant);
  return grant;
}

/** What {@link adminGrant} found for one list, without a catalogue and per catalogue. */
interface KnownAdminGrants {
  withoutCatalogue?: AdminGrant | undefined;
  byCatalogue: WeakMap<ActionCatalogue, AdminGrant | undefined>;
}

const adminGrantsByAction = new WeakMap<readonly string[], KnownAdminGrants>();
const adminGrantsByNotAction = new WeakMap<readonly string[], KnownAdminGrants>();

function judgeAdminGrant(statement: Statement, catalogue?: ActionCatalogue): AdminGrant | undefined {
  if (statement.Effect !== 'Allow') return undefined;
  if (statement.Action) {
    const everything = statement.Action.find(patternGrantsEverything);
    if (everything) return { kind: 'everything', pattern: everything };
    const iam = statement.Action.find((pattern) => patternGrantsService(pattern, 'iam'));
    if (iam) return { kind: 'all-iam', pattern: iam };
    if (catalogue?.actionsOf('iam')) {
      const iamPatterns = internActionList(
        statement.Action.filter((pattern) => wildcardMatch(servicePart(pattern), 'iam')),
      );
      const grant = expandStatement({ ...statement, Action: iamPatterns }, catalogue);
      if (iamPatterns.length > 0 && grantsWholeService(grant, 'iam')) {
        return { kind: 'all-iam', pattern: formatList(iamPatterns, 3) };
      }
    }
    return undefined;
  }
  if (statement.NotAction) {
    const touchesIam = statement.NotAction.some((pattern) => wildcardMatch(servicePart(pattern), 'iam'));
    return touchesIam ? undefined : { kind: 'not-action', excluded: statement.NotAction };
  }
  return undefined;
}
