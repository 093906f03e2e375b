import type { PrincipalKind } from './reach';

/**
 * A known way to gain more access than one was given, from public research. One per module under `methods/`, each
 * naming its public source in its TSDoc and in `sources`; the table in `methods/index.ts` lists them all.
 */
export interface EscalationMethod {
  /** Stable id (`pass-role-ec2`). */
  id: string;
  /** Every action the method needs, as IAM names them. */
  actions: readonly string[];
  /** Actions needed on top of `actions` by some kinds of principal (a user must also assume the role it changes). */
  alsoFor?: Partial<Record<PrincipalKind, readonly string[]>>;
  /** Only these kinds of principal can use it (all when absent). */
  appliesTo?: readonly PrincipalKind[];
  /** How it leads to more access, in words, completing "… through <actions> (<how>)". */
  how: string;
  /** Where the method is described in public (title and address). */
  sources: readonly string[];
}

/** The actions a method needs from a principal of `kind`. */
export function actionsFor(method: EscalationMethod, kind: PrincipalKind): readonly string[] {
  return [...method.actions, ...(method.alsoFor?.[kind] ?? [])];
}

/** The public sources the methods cite. */
export const SOURCES = {
  rhino:
    'Rhino Security Labs, "AWS IAM Privilege Escalation – Methods and Mitigation" (https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/)',
  iamVulnerable: 'Bishop Fox, iam-vulnerable (https://github.com/BishopFox/iam-vulnerable)',
  pathfinding: 'pathfinding.cloud, AWS IAM privilege escalation paths (https://pathfinding.cloud)',
} as const;
