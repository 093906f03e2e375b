import type { RiskRule } from '../rule';
import { succeeded, targetPhrase } from '../statements';

const BOUNDARY_REMOVALS = new Set(['DeleteRolePermissionsBoundary', 'DeleteUserPermissionsBoundary']);

/** A permissions boundary is a ceiling on what an entity's own policies can grant; removing it lifts the ceiling. */
export const permissionsBoundaryRemoved: RiskRule = {
  id: 'permissions-boundary-removed',
  level: 'high',
  description: 'DeleteRolePermissionsBoundary or DeleteUserPermissionsBoundary.',
  evaluate(change) {
    if (!BOUNDARY_REMOVALS.has(change.eventName) || !succeeded(change)) return null;
    return {
      level: 'high',
      reason: `removes the permissions boundary of ${targetPhrase(change)}: its own policies now apply without a ceiling`,
    };
  },
};
