import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { withManagedPolicy } from '../../../src/domain/managed-policy';
import { assessRisk, DEFAULT_RISK_CONTEXT } from '../../../src/domain/risk/assess';
import { atLeast } from '../../../src/domain/risk/levels';
import type { RiskContext, RiskRule } from '../../../src/domain/risk/rule';
import { RISK_RULES } from '../../../src/domain/risk/rules';
import { RISK_LEVELS, type RiskLevel, type Statement } from '../../../src/domain/types';
import { changeOf } from '../../support/cloudtrail';
import { assumedRoleIdentity, iamUserIdentity, policyText, ROOT_IDENTITY } from './support';

const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';

/** An attach of `policyArn` with the document the bot resolved for it (as IAM or the catalogue give it). */
function attach(policyArn: string, statements: Statement[], overrides: Parameters<typeof changeOf>[2] = {}) {
  return withManagedPolicy(changeOf('AttachRolePolicy', { roleName: 'app', policyArn }, overrides), {
    source: 'iam',
    versionId: 'v1',
    document: { Version: '2012-10-17', Statement: statements },
  });
}
const EVERYTHING: Statement[] = [{ Effect: 'Allow', Action: ['*'], Resource: ['*'] }];
const CI_ROLE = 'arn:aws:iam::111122223333:role/terraform-ci';
const ciContext: RiskContext = {
  ...DEFAULT_RISK_CONTEXT,
  expectedActors: ['arn:aws:iam::*:role/terraform-ci'],
};

describe('assessRisk', () => {
  it('takes the level of the most severe finding', () => {
    const risk = assessRisk(attach(ADMIN, EVERYTHING), DEFAULT_RISK_CONTEXT);
    expect(risk).toEqual({
      level: 'critical',
      reasons: [
        'attaches AdministratorAccess to role app, which allows every action ("*") on *: full administrator access',
      ],
      rules: ['full-admin-statement'],
    });
  });

  it('orders reasons and rule ids most severe first', () => {
    const change = attach(
      'arn:aws:iam::aws:policy/PowerUserAccess',
      [{ Effect: 'Allow', NotAction: ['iam:*', 'organizations:*', 'account:*'], Resource: ['*'] }],
      { userIdentity: ROOT_IDENTITY },
    );
    const risk = assessRisk(change, DEFAULT_RISK_CONTEXT);
    expect(risk.level).toBe('critical');
    expect(risk.rules).toEqual([
      'root-actor',
      'privilege-escalation-actions',
      'allow-not-action',
      'no-mfa-human',
    ]);
    expect(risk.reasons[0]).toContain('root user');
    expect(risk.reasons[1]).toContain(
      'attaches PowerUserAccess to role app, which grants privilege-escalation paths',
    );
    expect(risk.reasons[3]).toBe('made by the root user without MFA');
  });

  it('keeps every reason of a policy that trips several rules', () => {
    const change = changeOf('PutUserPolicy', {
      userName: 'bob',
      policyName: 'mixed',
      policyDocument: policyText(
        { Effect: 'Allow', NotAction: 'iam:*', Resource: '*' },
        { Effect: 'Allow', Action: 'iam:PassRole', Resource: '*' },
      ),
    });
    const risk = assessRisk(change, DEFAULT_RISK_CONTEXT);
    expect(risk.level).toBe('high');
    expect(risk.rules).toEqual(['privilege-escalation-actions', 'allow-not-action']);
    expect(risk.reasons).toHaveLength(2);
  });

  it.each([
    {
      behaviour: 'rates a plain successful CIS 4.4 change low',
      change: changeOf('AttachRolePolicy', {
        roleName: 'app',
        policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
      }),
      level: 'low',
      reason: 'changes IAM policy (CIS 4.4 event)',
    },
    {
      behaviour: 'rates another IAM write info',
      change: changeOf('TagRole', { roleName: 'app', tags: [{ key: 'team', value: 'a' }] }),
      level: 'info',
      reason: 'IAM write TagRole outside the CIS 4.4 policy events',
    },
  ])('$behaviour', ({ change, level, reason }) => {
    expect(assessRisk(change, DEFAULT_RISK_CONTEXT)).toEqual({ level, reasons: [reason], rules: [] });
  });

  it('rates a failed CIS 4.4 write by what failed-write says, not the baseline', () => {
    const risk = assessRisk(
      changeOf('AttachRolePolicy', { roleName: 'app', policyArn: ADMIN }, { errorCode: 'AccessDenied' }),
      DEFAULT_RISK_CONTEXT,
    );
    expect(risk.level).toBe('high');
    expect(risk.rules).toEqual(['failed-write']);
    expect(risk.reasons).toEqual([
      'AttachRolePolicy failed with AccessDenied: someone may be probing for permissions',
    ]);
  });

  describe('expected actors', () => {
    it('lowers a change by the expected role one step, keeps the reasons and says why', () => {
      const change = attach(ADMIN, EVERYTHING, {
        userIdentity: assumedRoleIdentity('terraform-ci', 'run-42'),
      });
      const risk = assessRisk(change, ciContext);
      expect(risk.level).toBe('high');
      expect(risk.rules).toEqual(['full-admin-statement']);
      expect(risk.reasons).toEqual([
        'attaches AdministratorAccess to role app, which allows every action ("*") on *: full administrator access',
        `made by expected actor ${CI_ROLE} (lowered from critical)`,
      ]);
      expect(risk.expectedActor).toEqual({
        pattern: 'arn:aws:iam::*:role/terraform-ci',
        originalLevel: 'critical',
      });
    });

    it('matches the caller ARN itself as well as the session issuer', () => {
      const change = changeOf(
        'AttachRolePolicy',
        { roleName: 'app', policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' },
        { userIdentity: iamUserIdentity('deployer', true) },
      );
      const risk = assessRisk(change, {
        ...DEFAULT_RISK_CONTEXT,
        expectedActors: ['arn:aws:iam::*:user/deploy*'],
      });
      expect(risk.level).toBe('info');
      expect(risk.reasons).toEqual([
        'changes IAM policy (CIS 4.4 event)',
        'made by expected actor arn:aws:iam::111122223333:user/deployer (lowered from low)',
      ]);
      expect(risk.expectedActor?.originalLevel).toBe('low');
    });

    it('marks an info change by an expected actor without claiming to lower it', () => {
      const change = changeOf(
        'TagRole',
        { roleName: 'app' },
        { userIdentity: assumedRoleIdentity('terraform-ci') },
      );
      const risk = assessRisk(change, ciContext);
      expect(risk.level).toBe('info');
      expect(risk.reasons.at(-1)).toBe(`made by expected actor ${CI_ROLE}`);
      expect(risk.expectedActor).toEqual({
        pattern: 'arn:aws:iam::*:role/terraform-ci',
        originalLevel: 'info',
      });
    });

    it('leaves other actors alone', () => {
      const change = attach(ADMIN, EVERYTHING, { userIdentity: assumedRoleIdentity('terraform-ci-evil') });
      const risk = assessRisk(change, ciContext);
      expect(risk.level).toBe('critical');
      expect(risk.expectedActor).toBeUndefined();
      expect(risk.reasons.join(' ')).not.toContain('expected actor');
    });

    const fixedRule = (level: RiskLevel): RiskRule => ({
      id: `always-${level}`,
      level,
      description: 'test rule',
      evaluate: () => ({ level, reason: `always ${level}` }),
    });

    it.each([
      ['critical', 'high'],
      ['high', 'medium'],
      ['medium', 'low'],
      ['low', 'info'],
    ] as const)('lowers %s to %s', (level, lowered) => {
      const change = changeOf(
        'TagRole',
        { roleName: 'app' },
        { userIdentity: assumedRoleIdentity('terraform-ci') },
      );
      const risk = assessRisk(change, ciContext, [fixedRule(level)]);
      expect(risk.level).toBe(lowered);
      expect(risk.reasons).toEqual([
        `always ${level}`,
        `made by expected actor ${CI_ROLE} (lowered from ${level})`,
      ]);
    });
  });

  describe('the rule set', () => {
    it('has unique kebab-case ids and lists rules most severe first', () => {
      const ids = RISK_RULES.map((rule) => rule.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const id of ids) expect(id).toMatch(/^[a-z0-9]+(?:-[a-z0-9]+)*$/);
      const ranks = RISK_RULES.map((rule) => RISK_LEVELS.indexOf(rule.level));
      expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    });

    const ACTIONS = [
      '*',
      'iam:*',
      'iam:Put*',
      'iam:PassRole',
      's3:GetObject',
      's3:*',
      'ia?',
      'sts:AssumeRole',
    ];
    const principal = fc.oneof(
      fc.constant('*'),
      fc.record({
        AWS: fc.oneof(fc.constant('*'), fc.constantFrom('444455556666', 'arn:aws:iam::111122223333:root')),
      }),
      fc.record({
        Federated: fc.constantFrom(
          'arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com',
          'cognito-identity.amazonaws.com',
        ),
      }),
      fc.anything(),
    );
    const statement = fc.record(
      {
        Sid: fc.string(),
        Effect: fc.constantFrom('Allow', 'Deny', 'Maybe'),
        Action: fc.oneof(fc.constantFrom(...ACTIONS), fc.array(fc.constantFrom(...ACTIONS)), fc.anything()),
        NotAction: fc.oneof(fc.constantFrom(...ACTIONS), fc.array(fc.string())),
        Resource: fc.oneof(fc.constantFrom('*', 'arn:aws:s3:::b', 'arn:*'), fc.array(fc.string())),
        NotResource: fc.array(fc.string()),
        Principal: principal,
        NotPrincipal: principal,
        Condition: fc.oneof(
          fc.anything(),
          fc.dictionary(fc.string(), fc.dictionary(fc.string(), fc.anything())),
        ),
      },
      { requiredKeys: ['Effect'] },
    );
    const documentText = fc.oneof(
      fc.array(statement, { maxLength: 4 }).map((statements) => JSON.stringify({ Statement: statements })),
      fc.string(),
      fc.anything(),
    );
    const request = fc.oneof(
      fc.constant(null),
      fc.record(
        {
          roleName: fc.oneof(fc.string(), fc.anything()),
          userName: fc.oneof(fc.constantFrom('alice', 'bob'), fc.anything()),
          policyName: fc.oneof(fc.string(), fc.anything()),
          policyArn: fc.oneof(
            fc.constantFrom(
              ADMIN,
              'arn:aws:iam::aws:policy/AWSDenyAll',
              'arn:aws:iam::111122223333:policy/DenyX',
            ),
            fc.anything(),
          ),
          versionId: fc.anything(),
          setAsDefault: fc.anything(),
          policyDocument: documentText,
          assumeRolePolicyDocument: documentText,
        },
        { requiredKeys: [] },
      ),
    );
    const EVENTS = [
      'PutRolePolicy',
      'CreatePolicyVersion',
      'UpdateAssumeRolePolicy',
      'CreateRole',
      'AttachUserPolicy',
      'DetachRolePolicy',
      'DeleteGroupPolicy',
      'SetDefaultPolicyVersion',
      'CreateAccessKey',
      'DeactivateMFADevice',
      'DeleteUserPermissionsBoundary',
      'TagUser',
    ];

    it('never throws on odd input and never goes beyond a rule’s declared level', () => {
      fc.assert(
        fc.property(
          fc.constantFrom(...EVENTS),
          request,
          fc.constantFrom(undefined, 'AccessDenied', 'NoSuchEntity'),
          fc.constantFrom<unknown>(
            ROOT_IDENTITY,
            iamUserIdentity('alice'),
            assumedRoleIdentity('terraform-ci'),
            {},
          ),
          fc.option(documentText.map((text) => (typeof text === 'string' ? text : JSON.stringify(text)))),
          (event, params, errorCode, userIdentity, previousText) => {
            const change = changeOf(event, params as Record<string, unknown> | null, {
              userIdentity: userIdentity as Record<string, unknown>,
              ...(errorCode ? { errorCode } : {}),
            });
            let previousDocument: RiskContext['previousDocument'];
            const previous = previousText
              ? changeOf('PutRolePolicy', { policyDocument: previousText }).documents[0]?.document
              : undefined;
            if (previous) previousDocument = previous;
            const context: RiskContext = { ...ciContext, previousDocument };
            for (const rule of RISK_RULES) {
              const finding = rule.evaluate(change, context);
              if (finding) expect(atLeast(rule.level, finding.level)).toBe(true);
            }
            const risk = assessRisk(change, context);
            expect(RISK_LEVELS).toContain(risk.level);
            expect(risk.reasons.length).toBeGreaterThan(0);
          },
        ),
        { numRuns: 300 },
      );
    });
  });
});
