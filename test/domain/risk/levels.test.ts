import { describe, expect, it } from 'vitest';
import { atLeast, compareLevels, levelRank, lowerLevel, maxLevel } from '../../../src/domain/risk/levels';
import type { RiskLevel } from '../../../src/domain/types';

describe('levels', () => {
  it.each([
    ['critical', 'high'],
    ['high', 'medium'],
    ['medium', 'low'],
    ['low', 'info'],
    ['info', 'info'],
  ] as const)('lowers %s one step to %s', (level, lowered) => {
    expect(lowerLevel(level)).toBe(lowered);
  });

  it.each([
    [['low', 'critical', 'medium'], 'critical'],
    [['info', 'medium'], 'medium'],
    [[], 'info'],
  ] as Array<[RiskLevel[], RiskLevel]>)('takes the most severe of %j as %s', (levels, expected) => {
    expect(maxLevel(levels)).toBe(expected);
  });

  it.each([
    ['critical', 'high', true],
    ['high', 'high', true],
    ['medium', 'high', false],
    ['info', 'low', false],
  ] as const)('says %s is at least %s: %s', (level, min, expected) => {
    expect(atLeast(level, min)).toBe(expected);
  });

  it('sorts most severe first and ranks critical highest', () => {
    const levels: RiskLevel[] = ['low', 'critical', 'info', 'high', 'medium'];
    expect([...levels].sort(compareLevels)).toEqual(['critical', 'high', 'medium', 'low', 'info']);
    expect(levelRank('critical')).toBeGreaterThan(levelRank('high'));
    expect(levelRank('info')).toBe(0);
  });
});
