import { describe, expect, it } from 'vitest';
import { escalationPath } from '../../../../src/domain/risk/rules/escalation-path';
import type { EscalationCheck, OpenedPath } from '../../../../src/domain/types';
import { changeOf } from '../../../support/cloudtrail';
import { NO_CONTEXT } from '../support';

const change = changeOf('PutRolePolicy', {
  roleName: 'ci',
  policyName: 'p',
  policyDocument: '{"Statement":[]}',
});
const path = (
  id: string,
  actions: string[],
  reach: OpenedPath['reach'] = 'yes',
  why: string[] = [],
): OpenedPath => ({
  id,
  actions,
  how: `how ${id}`,
  reach,
  why,
});
const done = (opened: OpenedPath[]): EscalationCheck => ({
  state: 'done',
  principal: 'role ci',
  opened,
  alreadyOpen: 0,
});

describe('escalation-path', () => {
  it.each([
    {
      behaviour: 'names the opened path in words: critical',
      check: done([path('pass-role-ec2', ['iam:PassRole', 'ec2:RunInstances'])]),
      level: 'critical',
      reason:
        'role ci can now reach administrator through iam:PassRole + ec2:RunInstances (how pass-role-ec2)',
    },
    {
      behaviour: 'leads with the unconditional paths',
      check: done([
        path('a', ['iam:PassRole'], 'conditional', ['only on x']),
        path('b', ['iam:CreatePolicyVersion']),
      ]),
      level: 'critical',
      reason: 'role ci can now reach administrator through iam:CreatePolicyVersion (how b)',
    },
    {
      behaviour: 'makes only-conditional paths high and says what limits them',
      check: done([
        path('a', ['iam:PassRole', 'ec2:RunInstances'], 'conditional', ['iam:PassRole only on role/x']),
      ]),
      level: 'high',
      reason: 'where iam:PassRole only on role/x',
    },
  ])('$behaviour', ({ check, level, reason }) => {
    const finding = escalationPath.evaluate(change, { ...NO_CONTEXT, escalation: check });
    expect(finding?.level).toBe(level);
    expect(finding?.reason).toContain(reason);
  });

  it.each<{ behaviour: string; check?: EscalationCheck }>([
    { behaviour: 'says nothing before the check ran' },
    { behaviour: 'says nothing while it is checking', check: { state: 'checking' } },
    { behaviour: 'says nothing when the check could not run', check: { state: 'unavailable', reason: 'x' } },
    { behaviour: 'says nothing when no path was opened', check: done([]) },
  ])('$behaviour', ({ check }) => {
    expect(
      escalationPath.evaluate(change, check ? { ...NO_CONTEXT, escalation: check } : NO_CONTEXT),
    ).toBeNull();
  });
});
