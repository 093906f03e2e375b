import { RISK_LEVELS, type RiskLevel } from '../types';

/** How severe a level is: 4 for critical down to 0 for info, so a higher number is more severe. */
export function levelRank(level: RiskLevel): number {
  return RISK_LEVELS.length - 1 - RISK_LEVELS.indexOf(level);
}

/** Sort comparator that puts the more severe level first (negative when `a` is more severe than `b`). */
export function compareLevels(a: RiskLevel, b: RiskLevel): number {
  return levelRank(b) - levelRank(a);
}

/** The most severe of some levels; `floor` when there are none. */
export function maxLevel(levels: Iterable<RiskLevel>, floor: RiskLevel = 'info'): RiskLevel {
  let out = floor;
  for (const level of levels) if (levelRank(level) > levelRank(out)) out = level;
  return out;
}

/** One step less severe (critical → high → medium → low → info); info stays info. */
export function lowerLevel(level: RiskLevel): RiskLevel {
  const index = RISK_LEVELS.indexOf(level);
  return RISK_LEVELS[Math.min(index + 1, RISK_LEVELS.length - 1)] ?? 'info';
}

/** True when `level` is as severe as `min` or more (`atLeast('critical', 'high')` is true). */
export function atLeast(level: RiskLevel, min: RiskLevel): boolean {
  return levelRank(level) >= levelRank(min);
}

/** One step more severe (info → low → medium → high → critical); critical stays critical. */
export function raiseLevel(level: RiskLevel): RiskLevel {
  const index = RISK_LEVELS.indexOf(level);
  return RISK_LEVELS[Math.max(index - 1, 0)] ?? 'critical';
}
