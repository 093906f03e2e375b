/**
 * Privilege escalation: the known methods (one module each under `methods/`, with public sources), what a
 * principal can reach with all of its documents, and the paths a change opened.
 */

export { changedPrincipal, checkEscalation, withEscalation } from './assessed';
export { actionsFor, type EscalationMethod, SOURCES } from './method';
export { ESCALATION_METHODS } from './methods';
export { type EscalationPath, findEscalationPaths, openedPaths, pathActions } from './paths';
export { type NamedDocument, type PrincipalKind, type PrincipalPolicies, type Reach, reachOf } from './reach';
