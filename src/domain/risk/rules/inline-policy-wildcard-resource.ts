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

/**
 * True when an action pattern can grant a write: `s3:PutObject`, `ec2:Delete*`, `s3:*`, `dynamodb:*Item`.
 * The part before the first wildcard is compared with the write verbs; a leading wildcard can match any.
 */
export function looksLikeWrite(pattern: string): boolean {
  const colon = pattern.indexOf(':');
  const name = (colon === -1 ? pattern : pattern.slice(colon + 1)).toLowerCase();
  const wildcard = name.search(/[*?]/);
  const literal = wildcard === -1 ? name : name.slice(0, wildcard);
  return WRITE_VERBS.some(
    (verb) => literal.startsWith(verb) || (wildcard !== -1 && verb.startsWith(literal)),
  );
}

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
      const found = statement.Action.filter(looksLikeWrite);
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
