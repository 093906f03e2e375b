import {
  type ActionCatalogue,
  type CatalogueAction,
  describeServiceGrant,
  expandStatement,
  type ServiceGrant,
  serviceOf,
} from '../../actions';
import { internActionList, wildcardMatch } from '../../policy';
import type { Statement } from '../../types';
import type { RiskRule } from '../rule';
import { allowStatements, attachedPrefix, formatList, succeeded } from '../statements';

/** How a person names a service prefix in a reason. */
function label(service: string): string {
  return ['iam', 'sts', 'ec2', 's3', 'kms', 'sso'].includes(service) ? service.toUpperCase() : service;
}

/**
 * The catalogue files a few readers (`GetResourcePolicy`, `SearchRecoveryPoint`) as permissions management; what
 * changes who may do what is written by the other verbs.
 */
const READ_VERB = /^(Get|List|Describe|Search|View|Batch(Get|Describe))/;

/** The statement's patterns that reach into `service`, as written. */
function patternsFor(statement: Statement, service: string): string {
  if (statement.NotAction)
    return `NotAction ${formatList(
      statement.NotAction.map((pattern) => `\`${pattern}\``),
      2,
    )}`;
  const patterns = (statement.Action ?? []).filter(
    (pattern) => /[*?]/.test(pattern) && wildcardMatch(serviceOf(pattern), service),
  );
  return formatList(
    patterns.map((pattern) => `\`${pattern}\``),
    2,
  );
}

/** The permissions-management actions a service grant holds that write (not the catalogue's odd readers). */
function managing(grant: ServiceGrant, catalogue: ActionCatalogue): number {
  const actions = catalogue.actionsOf(grant.service) ?? [];
  let writers = writerSets.get(actions);
  if (!writers) {
    writers = new Set(
      actions
        .filter((action) => action.accessLevel === 'Permissions management' && !READ_VERB.test(action.name))
        .map((action) => `${grant.service}:${action.name}`.toLowerCase()),
    );
    writerSets.set(actions, writers);
  }
  const known = writers;
  // A whole service: every writer of it.
  if (grant.actions.length === actions.length) return known.size;
  return grant.actions.filter((action) => known.has(action.toLowerCase())).length;
}

const writerSets = new WeakMap<readonly CatalogueAction[], Set<string>>();

/**
 * A wildcard or `NotAction` that grants permissions-management actions (the ones that change who may do what),
 * said in real actions: "`iam:*Policy*` grants 31 IAM actions, 12 of them permissions management". Needs the
 * action catalogue; without it the rule says nothing rather than guess a count. Plain action names say what they
 * grant themselves and are left to the other rules.
 */
export const wideActionGrant: RiskRule = {
  id: 'wide-action-grant',
  level: 'medium',
  description:
    'A permissions document whose wildcards or NotAction grant permissions-management actions, counted with the action catalogue.',
  evaluate(change, context) {
    const catalogue = context.actions;
    if (!catalogue || !succeeded(change)) return null;
    const parts: string[] = [];
    for (const statement of allowStatements(change, 'permissions')) {
      const phrases = phrasesOf(statement, catalogue);
      if (phrases.length === 0) continue;
      const prefix = attachedPrefix(change, statement);
      for (const [index, phrase] of phrases.entries()) {
        parts.push(`${index === 0 && parts.length === 0 ? prefix : ''}${phrase}`);
      }
    }
    if (parts.length === 0) return null;
    return { level: 'medium', reason: formatList(parts, 3) };
  },
};

/**
 * Kept per action list and catalogue (weakly): the phrases depend on nothing else, and an attached managed
 * policy, or the same action list in another document, is the same list (see `internActionList`).
 */
const phrasesByAction = new WeakMap<readonly string[], WeakMap<ActionCatalogue, string[]>>();
const phrasesByNotAction = new WeakMap<readonly string[], WeakMap<ActionCatalogue, string[]>>();

/** What one statement's wildcards or NotAction grant, as phrases; none when they grant no permissions management. */
function phrasesOf(statement: Statement, catalogue: ActionCatalogue): string[] {
  const list = statement.NotAction ?? statement.Action;
  // A statement with both (IAM refuses it) is judged on both: not kept.
  if (!list || (statement.Action && statement.NotAction)) return judgePhrases(statement, catalogue);
  const cache = statement.NotAction ? phrasesByNotAction : phrasesByAction;
  let byCatalogue = cache.get(list);
  if (!byCatalogue) {
    byCatalogue = new WeakMap();
    cache.set(list, byCatalogue);
  }
  const known = byCatalogue.get(catalogue);
  if (known) return known;
  const phrases = judgePhrases(statement, catalogue);
  byCatalogue.set(catalogue, phrases);
  return phrases;
}

function judgePhrases(statement: Statement, catalogue: ActionCatalogue): string[] {
  const patterns = statement.Action ?? [];
  if (!statement.NotAction && !patterns.some((pattern) => /[*?]/.test(pattern))) return [];
  // Every action of everything is full-admin-statement's finding; its count says nothing more.
  if (patterns.some((pattern) => serviceOf(pattern) === '*')) return [];
  const grant = expandStatement(
    statement.NotAction
      ? statement
      : { ...statement, Action: internActionList(patterns.filter((pattern) => /[*?]/.test(pattern))) },
    catalogue,
  );
  const telling = grant.services.filter((entry) => managing(entry, catalogue) > 0);
  if (telling.length === 0) return [];
  if (statement.NotAction) {
    const counts = telling.slice(0, 3).map((entry) => describeServiceGrant(entry, label(entry.service)));
    const more = telling.length > 3 ? ` and ${telling.length - 3} more services` : '';
    return [`${patternsFor(statement, '*')} grants ${counts.join('; ')}${more}`];
  }
  return telling.map(
    (entry) =>
      `${patternsFor(statement, entry.service)} grants ${describeServiceGrant(entry, label(entry.service))}`,
  );
}
