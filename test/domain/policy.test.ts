import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  anyWildcardMatch,
  canonicalDocument,
  internActionList,
  PolicyDocumentError,
  parsePolicyDocument,
  principalAccount,
  principalEntries,
  readPolicyDocument,
  statementCoversAction,
  statementOnAllResources,
  toPolicyDocument,
  wildcardMatch,
} from '../../src/domain/policy';
import type { PolicyDocument, Statement } from '../../src/domain/types';

function requestDocument(fixture: string, field = 'policyDocument'): string {
  const record = JSON.parse(
    readFileSync(new URL(`../fixtures/cloudtrail/${fixture}.json`, import.meta.url), 'utf8'),
  ) as { requestParameters: Record<string, string> };
  const text = record.requestParameters[field];
  if (typeof text !== 'string') throw new Error(`${fixture} has no ${field}`);
  return text;
}

const ADMIN_TEXT = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}';
const ADMIN: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['*'], Resource: ['*'] }],
};

describe('parsePolicyDocument', () => {
  it('turns every string-or-list field into a list', () => {
    const document = parsePolicyDocument(
      JSON.stringify({
        Version: '2012-10-17',
        Id: 'deploy',
        Statement: [
          {
            Sid: 'One',
            Effect: 'Allow',
            Action: 's3:GetObject',
            Resource: ['arn:aws:s3:::a/*', 'arn:aws:s3:::b/*'],
          },
          {
            Effect: 'Deny',
            NotAction: 'iam:*',
            NotResource: 'arn:aws:iam::111122223333:role/break-glass',
          },
          {
            Effect: 'Allow',
            Principal: { AWS: 'arn:aws:iam::444455556666:root', Service: ['ec2.amazonaws.com'] },
            Action: 'sts:AssumeRole',
            Condition: {
              Bool: { 'aws:MultiFactorAuthPresent': true },
              NumericLessThan: { 'aws:MultiFactorAuthAge': [3600] },
            },
          },
        ],
      }),
    );

    expect(document).toEqual({
      Version: '2012-10-17',
      Id: 'deploy',
      Statement: [
        {
          Sid: 'One',
          Effect: 'Allow',
          Action: ['s3:GetObject'],
          Resource: ['arn:aws:s3:::a/*', 'arn:aws:s3:::b/*'],
        },
        { Effect: 'Deny', NotAction: ['iam:*'], NotResource: ['arn:aws:iam::111122223333:role/break-glass'] },
        {
          Effect: 'Allow',
          Principal: { AWS: ['arn:aws:iam::444455556666:root'], Service: ['ec2.amazonaws.com'] },
          Action: ['sts:AssumeRole'],
          Condition: {
            Bool: { 'aws:MultiFactorAuthPresent': ['true'] },
            NumericLessThan: { 'aws:MultiFactorAuthAge': ['3600'] },
          },
        },
      ],
    });
  });

  it('accepts a single Statement object as a list of one', () => {
    const document = parsePolicyDocument(
      '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}',
    );

    expect(document).toEqual(ADMIN);
  });

  it('reads Principal "*" as it is', () => {
    const document = parsePolicyDocument({
      Statement: [{ Effect: 'Allow', Principal: '*', Action: 'sts:AssumeRole' }],
    });

    expect(document.Statement[0]?.Principal).toBe('*');
  });

  it('reads pretty-printed text as CloudTrail records it', () => {
    const text = requestDocument('update-assume-role-policy');

    expect(text).toContain('\n');
    expect(parsePolicyDocument(text)).toEqual({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: ['*'] }, Action: ['sts:AssumeRole'] }],
    });
  });

  it('reads a URL-encoded document as IAM Get* APIs return it', () => {
    expect(parsePolicyDocument(encodeURIComponent(ADMIN_TEXT))).toEqual(ADMIN);
  });

  it('reads a URL-encoded pretty-printed document', () => {
    const text = requestDocument('put-role-policy');

    expect(parsePolicyDocument(encodeURIComponent(text))).toEqual(parsePolicyDocument(text));
  });

  it('reads text with surrounding white space', () => {
    expect(parsePolicyDocument(`\n  ${ADMIN_TEXT}\n`)).toEqual(ADMIN);
  });

  it('reads an already-parsed object', () => {
    expect(parsePolicyDocument(JSON.parse(ADMIN_TEXT))).toEqual(ADMIN);
  });

  it('leaves out the Version when there is none', () => {
    expect(parsePolicyDocument('{"Statement":[]}')).toEqual({ Statement: [] });
  });

  it.each<[what: string, input: unknown, message: string | RegExp]>([
    ['empty text', '   ', 'the policy document is empty'],
    ['text that is not JSON', 'Allow everything', 'the policy document is not valid JSON'],
    ['broken URL encoding', '%7B%E0%A4%A', 'the policy document is neither JSON nor URL-encoded JSON'],
    ['a JSON array', '[]', 'a policy document must be a JSON object'],
    ['null', null, 'a policy document must be a JSON object'],
    ['no Statement', '{"Version":"2012-10-17"}', 'the policy document has no Statement'],
    [
      'a bad Effect',
      '{"Statement":[{"Effect":"Permit","Action":"*"}]}',
      'Statement[0].Effect must be "Allow" or "Deny"',
    ],
    ['a statement that is a string', '{"Statement":["Allow *"]}', 'Statement[0] must be an object'],
    [
      'a numeric Action',
      '{"Statement":[{"Effect":"Allow","Action":7}]}',
      'Statement[0].Action must be a string or a list of strings',
    ],
    [
      'a list with a number in Resource',
      '{"Statement":[{"Effect":"Allow","Action":"*"},{"Effect":"Allow","Action":"*","Resource":["*",1]}]}',
      'Statement[1].Resource must be a string or a list of strings',
    ],
    [
      'a Principal ARN string',
      '{"Statement":[{"Effect":"Allow","Principal":"arn:aws:iam::444455556666:root"}]}',
      'Statement[0].Principal must be "*" or an object',
    ],
    [
      'a numeric principal id',
      '{"Statement":[{"Effect":"Allow","Principal":{"AWS":[444455556666]}}]}',
      'Statement[0].Principal.AWS must be a string or a list of strings',
    ],
    [
      'a Condition list',
      '{"Statement":[{"Effect":"Allow","Action":"*","Condition":[]}]}',
      'Condition must be an object',
    ],
    [
      'a Condition operator string',
      '{"Statement":[{"Effect":"Allow","Action":"*","Condition":{"Bool":"true"}}]}',
      'Condition.Bool must be an object',
    ],
  ])('refuses %s with a PolicyDocumentError saying why', (_what, input, message) => {
    const read = () => parsePolicyDocument(input);

    expect(read).toThrow(PolicyDocumentError);
    expect(read).toThrow(message);
  });

  it('names its errors PolicyDocumentError', () => {
    try {
      toPolicyDocument('not an object');
      expect.unreachable('toPolicyDocument accepted a string');
    } catch (error: unknown) {
      expect(error).toBeInstanceOf(PolicyDocumentError);
      expect((error as Error).name).toBe('PolicyDocumentError');
    }
  });
});

describe('canonicalDocument', () => {
  const messy: PolicyDocument = {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Sid: 'Deploy',
        Resource: ['arn:aws:s3:::b/*', 'arn:aws:s3:::a/*', 'arn:aws:s3:::b/*'],
        Action: ['s3:PutObject', 's3:GetObject'],
        Condition: { StringLike: { 's3:prefix': ['z/', 'a/'] }, Bool: { 'aws:SecureTransport': ['true'] } },
      },
      {
        Effect: 'Allow',
        Principal: { Service: ['lambda.amazonaws.com', 'ec2.amazonaws.com'], AWS: ['444455556666'] },
        Action: ['sts:AssumeRole'],
      },
    ],
  };

  it('sorts and de-duplicates lists and orders keys, keeping statement order', () => {
    const canonical = canonicalDocument(messy);

    expect(JSON.stringify(canonical)).toBe(
      JSON.stringify({
        Statement: [
          {
            Effect: 'Allow',
            Sid: 'Deploy',
            Action: ['s3:GetObject', 's3:PutObject'],
            Resource: ['arn:aws:s3:::a/*', 'arn:aws:s3:::b/*'],
            Condition: {
              Bool: { 'aws:SecureTransport': ['true'] },
              StringLike: { 's3:prefix': ['a/', 'z/'] },
            },
          },
          {
            Effect: 'Allow',
            Action: ['sts:AssumeRole'],
            Principal: { AWS: ['444455556666'], Service: ['ec2.amazonaws.com', 'lambda.amazonaws.com'] },
          },
        ],
        Version: '2012-10-17',
      }),
    );
  });

  it('serialises two orderings of the same document equally', () => {
    const reordered: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'Deploy',
          Condition: { Bool: { 'aws:SecureTransport': ['true'] }, StringLike: { 's3:prefix': ['a/', 'z/'] } },
          Action: ['s3:GetObject', 's3:PutObject'],
          Resource: ['arn:aws:s3:::a/*', 'arn:aws:s3:::b/*'],
          Effect: 'Allow',
        },
        {
          Action: ['sts:AssumeRole'],
          Principal: { AWS: ['444455556666'], Service: ['lambda.amazonaws.com', 'ec2.amazonaws.com'] },
          Effect: 'Allow',
        },
      ],
    };

    expect(JSON.stringify(canonicalDocument(reordered))).toBe(JSON.stringify(canonicalDocument(messy)));
  });

  it('is stable: canonicalising twice changes nothing', () => {
    const once = canonicalDocument(messy);

    expect(canonicalDocument(once)).toEqual(once);
  });

  it('leaves the input untouched', () => {
    const copy = structuredClone(messy);
    canonicalDocument(messy);

    expect(messy).toEqual(copy);
  });

  it('keeps a "*" principal', () => {
    const document: PolicyDocument = {
      Statement: [{ Effect: 'Allow', Principal: '*', Action: ['sts:AssumeRole'] }],
    };

    expect(canonicalDocument(document).Statement[0]?.Principal).toBe('*');
  });
});

describe('wildcardMatch', () => {
  it.each<[pattern: string, value: string, matches: boolean]>([
    ['*', 'iam:PassRole', true],
    ['iam:*', 'iam:PassRole', true],
    ['iam:*', 'sts:AssumeRole', false],
    ['iam:Attach*Policy', 'iam:AttachRolePolicy', true],
    ['iam:Attach*Policy', 'iam:AttachRolePolicyX', false],
    ['IAM:passrole', 'iam:PassRole', true],
    ['iam:Get?ole', 'iam:GetRole', true],
    ['iam:Get?ole', 'iam:GetXXole', false],
    ['s3:Get.Object', 's3:GetXObject', false],
    ['arn:aws:s3:::bucket/(a|b)', 'arn:aws:s3:::bucket/a', false],
    ['arn:aws:s3:::bucket/(a|b)', 'arn:aws:s3:::bucket/(a|b)', true],
    ['iam:PassRole', 'iam:PassRoleToService', false],
    ['a+b', 'a+b', true],
    ['a+b', 'aab', false],
    ['[ab]', 'a', false],
    ['[ab]', '[ab]', true],
    ['x{2}', 'xx', false],
    ['x{2}', 'x{2}', true],
    ['^a$', '^a$', true],
    ['a\\d', 'a\\d', true],
    ['a\\d', 'a1', false],
    ['a\\*', 'a\\anything', true],
    ['*?', '', false],
    ['*?', 'x', true],
  ])('matches %j against %j: %s', (pattern, value, matches) => {
    expect(wildcardMatch(pattern, value)).toBe(matches);
  });
});

describe('statementCoversAction', () => {
  const allow = (fields: Partial<Statement>): Statement => ({ Effect: 'Allow', ...fields });

  it.each<[what: string, statement: Statement, action: string, covers: boolean]>([
    ['an exact Action', allow({ Action: ['iam:PassRole'] }), 'iam:PassRole', true],
    ['a wildcard Action', allow({ Action: ['iam:*'] }), 'iam:CreatePolicyVersion', true],
    ['an Action of another service', allow({ Action: ['s3:*'] }), 'iam:PassRole', false],
    ['NotAction that excludes the action', allow({ NotAction: ['iam:*'] }), 'iam:PassRole', false],
    [
      'NotAction that does not exclude it',
      allow({ NotAction: ['iam:*', 'organizations:*'] }),
      's3:DeleteBucket',
      true,
    ],
    ['NotAction excluding by a wildcard', allow({ NotAction: ['iam:Put*'] }), 'iam:PutRolePolicy', false],
    ['neither Action nor NotAction', allow({}), 'iam:PassRole', false],
  ])('with %s', (_what, statement, action, covers) => {
    expect(statementCoversAction(statement, action)).toBe(covers);
  });

  it('reads the NotAction of the developers group policy fixture as granting everything outside IAM', () => {
    const statement = parsePolicyDocument(requestDocument('put-group-policy')).Statement[1];
    if (!statement) throw new Error('the fixture has no second statement');

    expect(statementCoversAction(statement, 'ec2:RunInstances')).toBe(true);
    expect(statementCoversAction(statement, 'iam:CreateUser')).toBe(false);
    expect(statementCoversAction(statement, 'organizations:LeaveOrganization')).toBe(false);
  });
});

describe('internActionList', () => {
  it.each([
    {
      behaviour: 'the same content is one list',
      first: ['s3:GetObject', 'iam:*'],
      second: ['s3:GetObject', 'iam:*'],
      same: true,
    },
    {
      behaviour: 'another order is another list',
      first: ['s3:GetObject', 'iam:*'],
      second: ['iam:*', 's3:GetObject'],
      same: false,
    },
    {
      behaviour: 'another case is another list',
      first: ['iam:PassRole'],
      second: ['IAM:PassRole'],
      same: false,
    },
    {
      behaviour: 'a list that only joins the same is another list',
      first: ['a,b'],
      second: ['a', 'b'],
      same: false,
    },
    { behaviour: 'the empty list is one list', first: [], second: [], same: true },
  ])('$behaviour', ({ first, second, same }) => {
    const one = internActionList(first);
    const other = internActionList(second);
    expect(one === other).toBe(same);
    expect(one).toEqual(first);
    expect(other).toEqual(second);
    expect(Object.isFrozen(one)).toBe(true);
  });

  it('keeps a frozen copy, so the caller changing its own array changes nothing kept', () => {
    const mine = ['ec2:RunInstances'];
    const kept = internActionList(mine);
    mine.push('iam:PassRole');
    expect(internActionList(['ec2:RunInstances'])).toBe(kept);
    expect(kept).toEqual(['ec2:RunInstances']);
    expect(() => (kept as string[]).push('iam:PassRole')).toThrow(TypeError);
  });

  it('copies a list too long to key by content, without keeping it', () => {
    const long = Array.from({ length: 300 }, (_, index) => `s3:Action${index}`);
    expect(internActionList(long)).toEqual(long);
    expect(internActionList(long)).not.toBe(internActionList(long));
  });

  it('gives documents listing the same actions one list, and different actions their own', () => {
    const read = (actions: unknown, resource: string) =>
      parsePolicyDocument(
        JSON.stringify({ Statement: { Effect: 'Allow', Action: actions, Resource: resource } }),
      ).Statement[0];
    const first = read(['iam:PassRole', 'ec2:RunInstances'], 'arn:aws:iam::111122223333:role/a');
    const second = read(['iam:PassRole', 'ec2:RunInstances'], 'arn:aws:iam::111122223333:role/b');
    const third = read(['iam:PassRole', 'lambda:CreateFunction'], 'arn:aws:iam::111122223333:role/a');
    expect(second?.Action).toBe(first?.Action);
    expect(third?.Action).not.toBe(first?.Action);
    expect(read('iam:PassRole', '*')?.Action).toBe(read(['iam:PassRole'], '*')?.Action);
  });
});

describe('readPolicyDocument', () => {
  const text = (resource: string) =>
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['iam:PassRole'],
          Resource: resource,
          Principal: { AWS: ['111122223333'] },
          Condition: { StringEquals: { 'aws:RequestedRegion': ['eu-west-1'] } },
        },
      ],
    });

  it.each([
    { behaviour: 'JSON text', input: text('*') },
    {
      behaviour: 'URL-encoded JSON text',
      input: encodeURIComponent(text('arn:aws:iam::111122223333:role/app')),
    },
    { behaviour: 'a parsed object', input: JSON.parse(text('*')) as unknown },
    { behaviour: 'text that is not JSON', input: "{'Version': '2012-10-17'}" },
    { behaviour: 'truncated text', input: '{' },
    { behaviour: 'empty text', input: '' },
    { behaviour: 'a document without statements', input: '{"Version":"2012-10-17"}' },
  ])('reads $behaviour as parsePolicyDocument does, first read and read again', ({ input }) => {
    let expected: { document: unknown } | { error: string };
    try {
      expected = { document: parsePolicyDocument(input) };
    } catch (error: unknown) {
      if (!(error instanceof PolicyDocumentError)) throw error;
      expected = { error: error.message };
    }
    expect(readPolicyDocument(input)).toEqual(expected);
    expect(readPolicyDocument(input)).toEqual(expected);
  });

  it('gives the same text the same frozen document, and another text its own', () => {
    const first = readPolicyDocument(text('arn:aws:s3:::a'));
    const again = readPolicyDocument(text('arn:aws:s3:::a'));
    const other = readPolicyDocument(text('arn:aws:s3:::b'));
    if (!('document' in first) || !('document' in again) || !('document' in other)) throw new Error('unread');
    expect(again.document).toBe(first.document);
    expect(other.document).not.toBe(first.document);
    expect(other.document.Statement[0]?.Resource).toEqual(['arn:aws:s3:::b']);
    const statement = first.document.Statement[0] as Statement;
    expect(Object.isFrozen(first.document)).toBe(true);
    expect(Object.isFrozen(statement)).toBe(true);
    expect(Object.isFrozen(statement.Resource)).toBe(true);
    expect(Object.isFrozen(statement.Condition?.StringEquals?.['aws:RequestedRegion'])).toBe(true);
    expect(() => statement.Resource?.push('*')).toThrow(TypeError);
  });
});

describe('anyWildcardMatch', () => {
  const LIST = internActionList(['iam:Put*', 's3:GetObject', '*:Describe*', 'ec2:Run?nstances']);
  it.each([
    ['iam:PutRolePolicy', true],
    ['IAM:putrolepolicy', true],
    ['iam:PassRole', false],
    ['s3:GetObject', true],
    ['s3:GetObjectAcl', false],
    ['ec2:DescribeInstances', true],
    ['ec2:RunInstances', true],
    ['ec2:RunXInstances', false],
    ['', false],
  ])(
    'answers %s as %s, first asked and asked again, as a list never asked before does',
    (action, matches) => {
      expect(anyWildcardMatch(LIST, action)).toBe(matches);
      expect(anyWildcardMatch(LIST, action)).toBe(matches);
      expect(anyWildcardMatch([...LIST], action)).toBe(matches);
    },
  );
});

describe('statementOnAllResources', () => {
  it.each<[what: string, statement: Statement, all: boolean]>([
    ['Resource "*"', { Effect: 'Allow', Action: ['*'], Resource: ['*'] }, true],
    ['a specific Resource', { Effect: 'Allow', Action: ['*'], Resource: ['arn:aws:s3:::a'] }, false],
    [
      'NotResource naming something',
      { Effect: 'Allow', Action: ['*'], NotResource: ['arn:aws:s3:::a'] },
      false,
    ],
    ['no Resource (a trust policy)', { Effect: 'Allow', Action: ['sts:AssumeRole'], Principal: '*' }, true],
  ])('with %s', (_what, statement, all) => {
    expect(statementOnAllResources(statement)).toBe(all);
  });
});

describe('principalEntries', () => {
  it('flattens a principal map into kind and value pairs', () => {
    expect(principalEntries({ AWS: ['444455556666', '*'], Service: ['ec2.amazonaws.com'] })).toEqual([
      { kind: 'AWS', value: '444455556666' },
      { kind: 'AWS', value: '*' },
      { kind: 'Service', value: 'ec2.amazonaws.com' },
    ]);
  });

  it('reads "*" as one entry and nothing as none', () => {
    expect(principalEntries('*')).toEqual([{ kind: '*', value: '*' }]);
    expect(principalEntries(undefined)).toEqual([]);
  });
});

describe('principalAccount', () => {
  it.each<[principal: string, account: string | undefined]>([
    ['444455556666', '444455556666'],
    ['arn:aws:iam::444455556666:root', '444455556666'],
    ['arn:aws:iam::444455556666:role/vendor-audit', '444455556666'],
    ['arn:aws:sts::444455556666:assumed-role/vendor-audit/session', '444455556666'],
    ['arn:aws-us-gov:iam::444455556666:root', '444455556666'],
    ['arn:aws-cn:iam::444455556666:user/ops', '444455556666'],
    ['*', undefined],
    ['ec2.amazonaws.com', undefined],
    ['AROAEXAMPLEROLEID12', undefined],
    ['4444555566667', undefined],
    ['arn:aws:s3:::444455556666', undefined],
  ])('reads the account of %j as %j', (principal, account) => {
    expect(principalAccount(principal)).toBe(account);
  });

  it('finds the external account in the create-role trust policy fixture', () => {
    const document = parsePolicyDocument(requestDocument('create-role', 'assumeRolePolicyDocument'));
    const accounts = document.Statement.flatMap((statement) => principalEntries(statement.Principal)).map(
      (entry) => principalAccount(entry.value),
    );

    expect(accounts).toEqual(['444455556666']);
  });
});
