/**
 * Judges a change: runs every risk rule, keeps every reason, and settles one level. Expected actors (the CI
 * or Terraform role) lower the level one step and say so; their changes are never hidden.
 */
import { wildcardMatch } from '../policy';
import type { Actor, Change, Risk, RiskLevel } from '../types';
import { compareLevels, lowerLevel } from './levels';
import type { RiskContext, RiskFinding, RiskRule } from './rule';
import { RISK_RULES } from './rules';

/** No expected actors, no trusted accounts, no previous document: every change judged on its own. */
export const DEFAULT_RISK_CONTEXT: RiskContext = Object.freeze({ expectedActors: [], trustedAccounts: [] });

/** The first expected-actor glob the caller (or the role or user that issued its session) matches. */
function matchExpectedActor(
  actor: Actor,
  patterns: readonly string[],
): { pattern: string; arn: string } | undefined {
  const arns = [actor.arn, actor.sessionIssuerArn].filter((arn): arn is string => Boolean(arn));
  for (const pattern of patterns) {
    const arn = arns.find((candidate) => wildcardMatch(pattern, candidate));
    if (arn) return { pattern, arn };
  }
  return undefined;
}

/** What a change is when no rule has anything to say: a CIS 4.4 policy change, or another IAM write. */
function baseline(change: Change): RiskFinding {
  if (change.cis44 && change.outcome === 'success') {
    return { level: 'low', reason: 'changes IAM policy (CIS 4.4 event)' };
  }
  return { level: 'info', reason: `IAM write ${change.eventName} outside the CIS 4.4 policy events` };
}

/**
 * The risk of a change. The level is the most severe finding's; reasons and rule ids are ordered most severe
 * first (rule order within a level). With no finding the baseline applies: a successful CIS 4.4 change is
 * low, any other IAM write info. A change by an expected actor is lowered one step, keeps every reason and
 * gains one saying who and from what level.
 */
export function assessRisk(
  change: Change,
  context: RiskContext,
  rules: readonly RiskRule[] = RISK_RULES,
): Risk {
  const matched: { id: string; finding: RiskFinding }[] = [];
  for (const rule of rules) {
    const finding = rule.evaluate(change, context);
    if (finding !== null) matched.push({ id: rule.id, finding });
  }
  matched.sort((a, b) => compareLevels(a.finding.level, b.finding.level));

  const first = matched[0]?.finding ?? baseline(change);
  const reasons = matched.length > 0 ? matched.map((entry) => entry.finding.reason) : [first.reason];
  const risk: Risk = { level: first.level, reasons, rules: matched.map((entry) => entry.id) };

  const expected = matchExpectedActor(change.actor, context.expectedActors);
  if (expected) {
    const originalLevel: RiskLevel = risk.level;
    risk.level = lowerLevel(originalLevel);
    risk.reasons.push(
      risk.level === originalLevel
        ? `made by expected actor ${expected.arn}`
        : `made by expected actor ${expected.arn} (lowered from ${originalLevel})`,
    );
    risk.expectedActor = { pattern: expected.pattern, originalLevel };
  }
  return risk;
}
