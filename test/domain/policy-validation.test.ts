import { describe, expect, it } from 'vitest';
import { assessChange } from '../../src/domain/explain';
import {
  documentsToValidate,
  type PolicyValidation,
  revalidated,
  type ValidationFinding,
  withValidation,
} from '../../src/domain/policy-validation';
import { changeOf } from '../support/cloudtrail';
import { NO_CONTEXT, policyText } from './risk/support';

const DOCUMENT = policyText({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket/*' });
const TRUST = policyText({
  Effect: 'Allow',
  Principal: { Service: 'lambda.amazonaws.com' },
  Action: 'sts:AssumeRole',
});

function finding(type: ValidationFinding['type'], issueCode: string): ValidationFinding {
  return { field: 'policyDocument', type, issueCode, detail: `${issueCode} detail` };
}

describe('documentsToValidate', () => {
  it.each([
    ['CreatePolicy', { policyName: 'p', policyDocument: DOCUMENT }, [['policyDocument', 'identity']]],
    [
      'CreatePolicyVersion',
      { policyArn: 'arn:aws:iam::111122223333:policy/p', policyDocument: DOCUMENT },
      [['policyDocument', 'identity']],
    ],
    [
      'PutRolePolicy',
      { roleName: 'r', policyName: 'p', policyDocument: DOCUMENT },
      [['policyDocument', 'identity']],
    ],
    [
      'PutUserPolicy',
      { userName: 'u', policyName: 'p', policyDocument: DOCUMENT },
      [['policyDocument', 'identity']],
    ],
    [
      'PutGroupPolicy',
      { groupName: 'g', policyName: 'p', policyDocument: DOCUMENT },
      [['policyDocument', 'identity']],
    ],
    [
      'CreateRole',
      { roleName: 'r', assumeRolePolicyDocument: TRUST },
      [['assumeRolePolicyDocument', 'trust']],
    ],
    ['UpdateAssumeRolePolicy', { roleName: 'r', policyDocument: TRUST }, [['policyDocument', 'trust']]],
    ['AttachRolePolicy', { roleName: 'r', policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }, []],
    ['DeleteRolePolicy', { roleName: 'r', policyName: 'p' }, []],
  ] as const)('%s', (eventName, request, expected) => {
    const documents = documentsToValidate(changeOf(eventName, { ...request }));
    expect(documents.map((document) => [document.field, document.kind])).toEqual(expected);
    for (const document of documents) expect(document.text).toBe(Object.values(request).at(-1));
  });

  it('validates nothing a failed call carried: it changed nothing', () => {
    const failed = changeOf(
      'PutRolePolicy',
      { roleName: 'r', policyName: 'p', policyDocument: DOCUMENT },
      { errorCode: 'AccessDenied' },
    );
    expect(documentsToValidate(failed)).toEqual([]);
  });

  it('sends a document IAM parsing could not read as it was, so AWS says what is wrong with it', () => {
    const change = changeOf('CreatePolicy', { policyName: 'p', policyDocument: '{' });
    expect(documentsToValidate(change)).toEqual([{ field: 'policyDocument', kind: 'identity', text: '{' }]);
  });
});

describe('withValidation', () => {
  const base = assessChange(
    changeOf('PutRolePolicy', { roleName: 'r', policyName: 'p', policyDocument: DOCUMENT }),
    NO_CONTEXT,
  );

  it.each<[string, PolicyValidation, string, string[]]>([
    [
      'a security warning joins the reasons and raises the level to medium',
      { status: 'validated', findings: [finding('SECURITY_WARNING', 'PASS_ROLE_WITH_STAR_IN_RESOURCE')] },
      'medium',
      [
        'AWS Access Analyzer security warning (PASS_ROLE_WITH_STAR_IN_RESOURCE): PASS_ROLE_WITH_STAR_IN_RESOURCE detail',
      ],
    ],
    [
      'an error joins the reasons without raising the level',
      { status: 'validated', findings: [finding('ERROR', 'INVALID_ACTION')] },
      base.risk.level,
      ['AWS Access Analyzer error (INVALID_ACTION): INVALID_ACTION detail'],
    ],
    [
      'warnings and suggestions stay out of the alert',
      {
        status: 'validated',
        findings: [finding('WARNING', 'MISSING_VERSION'), finding('SUGGESTION', 'EMPTY_ARRAY')],
      },
      base.risk.level,
      [],
    ],
    [
      'an unavailable API changes nothing',
      { status: 'unavailable', reason: 'AccessDenied', findings: [] },
      base.risk.level,
      [],
    ],
  ])('%s', (_, validation, level, added) => {
    const judged = withValidation(base, validation);
    expect(judged.validation).toEqual(validation);
    expect(judged.risk.level).toBe(level);
    expect(judged.risk.reasons).toEqual([...base.risk.reasons, ...added]);
  });

  it('never lowers a level', () => {
    const critical = { ...base, risk: { ...base.risk, level: 'critical' as const } };
    const judged = withValidation(critical, {
      status: 'validated',
      findings: [finding('SECURITY_WARNING', 'PASS_ROLE_WITH_STAR_IN_RESOURCE')],
    });
    expect(judged.risk.level).toBe('critical');
  });
});

describe('revalidated', () => {
  const base = assessChange(
    changeOf('PutRolePolicy', { roleName: 'r', policyName: 'p', policyDocument: DOCUMENT }),
    NO_CONTEXT,
  );
  const passRole = finding('SECURITY_WARNING', 'PASS_ROLE_WITH_STAR_IN_RESOURCE');
  const shown =
    'AWS Access Analyzer security warning (PASS_ROLE_WITH_STAR_IN_RESOURCE): PASS_ROLE_WITH_STAR_IN_RESOURCE detail';

  it.each<[string, PolicyValidation, PolicyValidation, string[], number]>([
    [
      'findings of a validation that was unavailable join the reasons',
      { status: 'unavailable', reason: 'AccessDenied', findings: [] },
      { status: 'validated', findings: [passRole] },
      [shown],
      1,
    ],
    [
      'findings of the earlier partial validation are not listed twice',
      { status: 'unavailable', reason: 'Throttling', findings: [passRole] },
      { status: 'validated', findings: [passRole, finding('ERROR', 'INVALID_ACTION')] },
      [shown, 'AWS Access Analyzer error (INVALID_ACTION): INVALID_ACTION detail'],
      1,
    ],
    [
      'still unavailable: the new reason, nothing else',
      { status: 'unavailable', reason: 'AccessDenied', findings: [] },
      { status: 'unavailable', reason: 'Throttling', findings: [] },
      [],
      0,
    ],
  ])('%s', (_, earlier, again, added, rules) => {
    const judged = revalidated(withValidation(base, earlier), again);

    expect(judged.validation).toEqual(again);
    expect(judged.risk.reasons).toEqual([...base.risk.reasons, ...added]);
    expect(judged.risk.rules.filter((rule) => rule === 'access-analyzer')).toHaveLength(rules);
  });
});
