/**
 * Escalation paths: which known methods a principal can use, judged on everything that decides what it can do
 * (see `reach.ts`), and which of them a change opened.
 */
import type { EscalationMethod } from './method';
import { actionsFor } from './method';
import { ESCALATION_METHODS } from './methods';
import { type PrincipalPolicies, reachOf } from './reach';

/** A method the principal can use: `yes` without limits, `conditional` when resources or conditions limit it. */
export interface EscalationPath {
  method: EscalationMethod;
  actions: readonly string[];
  reach: 'yes' | 'conditional';
  /** What limits a conditional path, in words. */
  why: string[];
}

/** Every method the principal can use, unconditional ones first (table order within each). */
export function findEscalationPaths(
  policies: PrincipalPolicies,
  methods: readonly EscalationMethod[] = ESCALATION_METHODS,
): EscalationPath[] {
  const out: EscalationPath[] = [];
  for (const method of methods) {
    if (method.appliesTo && !method.appliesTo.includes(policies.kind)) continue;
    const actions = actionsFor(method, policies.kind);
    const why: string[] = [];
    let reachable = true;
    for (const action of actions) {
      const reach = reachOf(policies, action);
      if (reach.kind === 'no') {
        reachable = false;
        break;
      }
      if (reach.kind === 'conditional') why.push(...reach.why.map((line) => `${action} ${line}`));
    }
    if (reachable) out.push({ method, actions, reach: why.length > 0 ? 'conditional' : 'yes', why });
  }
  return out.sort((a, b) => (a.reach === b.reach ? 0 : a.reach === 'yes' ? -1 : 1));
}

/**
 * The paths open after a change that were not before it (or were only conditional before and are unconditional
 * now). With nothing known of before, every path after counts as new only when `before` is `null` (the change
 * created the principal's access); `undefined` means unknown, and every path is returned as found.
 */
export function openedPaths(
  after: readonly EscalationPath[],
  before: readonly EscalationPath[] | undefined,
): EscalationPath[] {
  if (!before) return [...after];
  const earlier = new Map(before.map((path) => [path.method.id, path.reach]));
  return after.filter((path) => {
    const was = earlier.get(path.method.id);
    return was === undefined || (was === 'conditional' && path.reach === 'yes');
  });
}

/** `iam:PassRole + ec2:RunInstances`: a path's actions as a responder reads them. */
export function pathActions(path: EscalationPath): string {
  return path.actions.join(' + ');
}
