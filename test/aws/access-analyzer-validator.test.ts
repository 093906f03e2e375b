/**
 * AccessAnalyzerPolicyValidator with a mocked Access Analyzer client: moto_server has no Access Analyzer, so
 * `aws-sdk-client-mock` answers `ValidatePolicy` as AWS does — findings, pages, denial, throttling, silence.
 */
import {
  AccessAnalyzerClient,
  AccessDeniedException,
  InternalServerException,
  ThrottlingException,
  ValidatePolicyCommand,
  type ValidatePolicyCommandInput,
} from '@aws-sdk/client-accessanalyzer';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { validateDocuments } from '../../src/app/policy-validation-port';
import { AccessAnalyzerPolicyValidator } from '../../src/aws/access-analyzer-validator';
import type { DocumentToValidate } from '../../src/domain/policy-validation';

const client = new AccessAnalyzerClient({
  region: 'us-east-1',
  credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  maxAttempts: 1,
});
const mock = mockClient(client);

afterEach(() => {
  mock.reset();
});

const PERMISSIONS: DocumentToValidate = {
  field: 'policyDocument',
  kind: 'identity',
  text: JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['iam:PassRole', 'lambda:CreateFunction'], Resource: '*' }],
  }),
};

const TRUST: DocumentToValidate = {
  field: 'assumeRolePolicyDocument',
  kind: 'trust',
  text: JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' }],
  }),
};

const PASS_ROLE = {
  findingType: 'SECURITY_WARNING' as const,
  issueCode: 'PASS_ROLE_WITH_STAR_IN_RESOURCE',
  findingDetails:
    'Using the iam:PassRole action with wildcards (*) in the resource can be overly permissive.',
  learnMoreLink:
    'https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html',
  locations: [],
};

describe('AccessAnalyzerPolicyValidator', () => {
  it('sends a permissions document as an identity policy and returns every finding', async () => {
    mock.on(ValidatePolicyCommand).resolves({
      findings: [
        PASS_ROLE,
        {
          findingType: 'SUGGESTION',
          issueCode: 'EMPTY_ARRAY_RESOURCE',
          findingDetails: 'x',
          learnMoreLink: '',
          locations: [],
        },
      ],
    });
    const result = await new AccessAnalyzerPolicyValidator(client).validate(PERMISSIONS);
    expect(result).toEqual({
      findings: [
        {
          field: 'policyDocument',
          type: 'SECURITY_WARNING',
          issueCode: 'PASS_ROLE_WITH_STAR_IN_RESOURCE',
          detail: PASS_ROLE.findingDetails,
          learnMoreLink: PASS_ROLE.learnMoreLink,
        },
        { field: 'policyDocument', type: 'SUGGESTION', issueCode: 'EMPTY_ARRAY_RESOURCE', detail: 'x' },
      ],
    });
    const input = mock.commandCalls(ValidatePolicyCommand)[0]?.args[0].input as ValidatePolicyCommandInput;
    expect(input).toEqual({ policyDocument: PERMISSIONS.text, policyType: 'IDENTITY_POLICY', locale: 'EN' });
  });

  it('sends a trust document as a resource policy of type AWS::IAM::AssumeRolePolicyDocument', async () => {
    mock.on(ValidatePolicyCommand).resolves({ findings: [] });
    expect(await new AccessAnalyzerPolicyValidator(client).validate(TRUST)).toEqual({ findings: [] });
    expect(mock.commandCalls(ValidatePolicyCommand)[0]?.args[0].input).toEqual({
      policyDocument: TRUST.text,
      policyType: 'RESOURCE_POLICY',
      validatePolicyResourceType: 'AWS::IAM::AssumeRolePolicyDocument',
      locale: 'EN',
    });
  });

  it('reads every page of findings', async () => {
    mock
      .on(ValidatePolicyCommand)
      .resolvesOnce({ findings: [PASS_ROLE], nextToken: 'page-2' })
      .resolvesOnce({ findings: [{ ...PASS_ROLE, issueCode: 'MISSING_VERSION', findingType: 'WARNING' }] });
    const result = await new AccessAnalyzerPolicyValidator(client).validate(PERMISSIONS);
    expect('findings' in result && result.findings.map((finding) => finding.issueCode)).toEqual([
      'PASS_ROLE_WITH_STAR_IN_RESOURCE',
      'MISSING_VERSION',
    ]);
    expect(mock.commandCalls(ValidatePolicyCommand)[1]?.args[0].input.nextToken).toBe('page-2');
  });

  it.each([
    ['denied', new AccessDeniedException({ message: 'not authorized', $metadata: {} }), 'AccessDenied'],
    ['throttled', new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }), 'Throttling'],
    ['failing', new InternalServerException({ message: 'oops', $metadata: {} }), 'InternalServer'],
    [
      'unreachable',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { name: 'Error' }),
      'connect ECONNREFUSED 127.0.0.1:9',
    ],
  ])('answers unavailable, with the reason, when the API is %s', async (_, error, reason) => {
    mock.on(ValidatePolicyCommand).rejects(error);
    expect(await new AccessAnalyzerPolicyValidator(client).validate(PERMISSIONS)).toEqual({
      unavailable: reason,
    });
  });

  it('answers unavailable when the API does not answer in time', async () => {
    // A request that never returns.
    mock.on(ValidatePolicyCommand).callsFake(() => new Promise(() => undefined));
    const validator = new AccessAnalyzerPolicyValidator(client, { timeoutMs: 20 });
    expect(await validator.validate(PERMISSIONS)).toEqual({ unavailable: 'no answer within 0.02 s' });
  });
});

describe('validateDocuments', () => {
  it('gathers the findings of every document', async () => {
    mock.on(ValidatePolicyCommand, { policyType: 'IDENTITY_POLICY' }).resolves({ findings: [PASS_ROLE] });
    mock.on(ValidatePolicyCommand, { policyType: 'RESOURCE_POLICY' }).resolves({
      findings: [{ ...PASS_ROLE, issueCode: 'EXTERNAL_PRINCIPAL', findingType: 'SECURITY_WARNING' }],
    });
    const result = await validateDocuments(new AccessAnalyzerPolicyValidator(client), [PERMISSIONS, TRUST]);
    expect(result.status).toBe('validated');
    expect(result.findings.map((finding) => `${finding.field}:${finding.issueCode}`)).toEqual([
      'policyDocument:PASS_ROLE_WITH_STAR_IN_RESOURCE',
      'assumeRolePolicyDocument:EXTERNAL_PRINCIPAL',
    ]);
  });

  it('stops at the first unavailable answer and keeps what it found', async () => {
    mock
      .on(ValidatePolicyCommand)
      .resolvesOnce({ findings: [PASS_ROLE] })
      .rejectsOnce(new AccessDeniedException({ message: 'no', $metadata: {} }));
    const result = await validateDocuments(new AccessAnalyzerPolicyValidator(client), [
      PERMISSIONS,
      TRUST,
      PERMISSIONS,
    ]);
    expect(result).toMatchObject({ status: 'unavailable', reason: 'AccessDenied' });
    expect(result.findings).toHaveLength(1);
    expect(mock.commandCalls(ValidatePolicyCommand)).toHaveLength(2);
  });
});
