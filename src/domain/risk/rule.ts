import type { ActionCatalogue } from '../actions';
import type { Change, EscalationCheck, PolicyDocument, RiskLevel } from '../types';

/** What a rule may know beyond the change itself. Everything is optional data, never a look-up. */
export interface RiskContext {
  /** ARN globs of expected actors (the CI / Terraform role): their changes are downgraded one level, never hidden. */
  expectedActors: string[];
  /** Account ids that are not "external" in a trust policy (the change's own account always counts). */
  trustedAccounts: string[];
  /** The document before the change, when known: `null` means it did not exist, `undefined` unknown. */
  previousDocument?: PolicyDocument | null;
  /**
   * Real actions and access levels of the services the change's documents name (loaded per service by an
   * adapter). Without it, rules match wildcards against the actions they ask about and give no counts.
   */
  actions?: ActionCatalogue;
  /** What the changed principal can reach after the change, once the worker (or notify) has checked it. */
  escalation?: EscalationCheck;
}

/** One reason a change is risky. */
export interface RiskFinding {
  level: RiskLevel;
  /** In words a responder reads in Slack, e.g. "attaches AdministratorAccess (full access to everything)". */
  reason: string;
}

/**
 * A typed risk rule: one per module under `rules/`, each with its own tests. `evaluate` is pure and returns
 * `null` when the rule does not apply.
 */
export interface RiskRule {
  id: string;
  /** The most severe level the rule can give. */
  level: RiskLevel;
  description: string;
  evaluate(change: Change, context: RiskContext): RiskFinding | null;
}
