import type { RiskRule } from '../rule';
import { adminGrant, allowStatements, formatList, succeeded, wideResourceScope } from '../statements';
import { escalationActionsOf } from './privilege-escalation-actions';

/** Verbs that start the names of actions that change things, across AWS services. */
const WRITE_VERBS = [
  'Put',
  'Create',
  'Delete',
  'Update',
  'Modify',
  'Attach',
  'Detach',
  'Add',
  'Remove',
  'Set',
  'Replace',
  'Restore',
  'Run',
  'Start',
  'Stop',
  'Terminate',
  'Reboot',
  'Invoke',
  'Send',
  'Publish',
  'Write',
  'Upload',
  'Reset',
  'Change',
  'Enable',
  'Disable',
  'Associate',
  'Disassociate',
  'Authorize',
  'Revoke',
  'Import',
  'Copy',
  'Execute',
  'Tag',
  'Untag',
  'Register',
  'Deregister',
].map((verb) => verb.toLowerCase());

/** A pattern's action part starting with a write verb (`PutObject`, `Delete*`). */
const STARTS_WITH_WRITE_VERB = new RegExp(`^(?:${WRITE_VERBS.join('|')})`, 'i');

/** Every beginning of a write verb, the empty one included: `p`, `pu`, `put`, `cr` … */
const WRITE_VERB_BEGINNINGS = new Set(
  WRITE_VERBS.flatMap((verb) => Array.from({ length: verb.length + 1 }, (_, end) => verb.slice(0, end))),
);

/**
 * True when an action pattern can grant a write: `s3:PutObject`, `ec2:Delete*`, `s3:*`, `dynamodb:*Item`.
 * The part before the first wildcard is compared with the write verbs; a leading wildcard can match any.
 */
export function looksLikeWrite(pattern: string): boolean {
  const colon = pattern.indexOf(':');
  const name = colon === -1 ? pattern : pattern.slice(colon + 1);
  if (STARTS_WITH_WRITE_VERB.test(name)) return true;
  const star = name.indexOf('*');
  const question = name.indexOf('?');
  const wildcard = star === -1 ? question : question === -1 ? star : Math.min(star, question);
  return wildcard !== -1 && WRITE_VERB_BEGINNINGS.has(name.slice(0, wildcard).toLowerCase());
}

/**
 * The patterns of an action list that can grant a write. Kept per list (a module-level cache of a pure
 * function, weakly keyed so it never outlives the list): an attached AWS managed policy lists thousands of
 * actions and is the same list change after change.
 */
export function writePatternsOf(patterns: readonly string[]): readonly string[] {
  let found = writePatterns.get(patterns);
  if (!found) {
    found = patterns.filter(looksLikeWrite);
    writePatterns.set(patterns, found);
  }
  return found;
}

const writePatterns = new WeakMap<readonly string[], readonly string[]>();

/** Write actions on every resource that no more severe rule already explains. */
export const inlinePolicyWildcardResource: RiskRule = {
  id: 'inline-policy-wildcard-resource',
  level: 'medium',
  description:
    'A permissions document allowing write actions on every resource ("*"), where the statement is not already full admin, NotAction or privilege escalation.',
  evaluate(change) {
    if (!succeeded(change)) return null;
    const writes = new Set<string>();
    const scopes = new Set<string>();
    for (const statement of allowStatements(change, 'permissions')) {
      const scope = wideResourceScope(statement);
      if (!scope || !statement.Action || statement.NotAction) continue;
      if (adminGrant(statement) || escalationActionsOf(statement).length > 0) continue;
      const found = writePatternsOf(statement.Action);
      if (found.length === 0) continue;
      for (const action of found) writes.add(action);
      scopes.add(scope);
    }
    if (writes.size === 0) return null;
    return {
      level: 'medium',
      reason: `allows write actions ${formatList([...writes], 4)} ${[...scopes].join(' and ')}`,
    };
  },
};
