import { describe, expect, it } from 'vitest';
import type { ActionCatalogue, CatalogueAction } from '../../../src/domain/actions';
import { internActionList } from '../../../src/domain/policy';
import { adminGrant, allowStatements } from '../../../src/domain/risk/statements';
import type { Statement } from '../../../src/domain/types';
import { changeOf } from '../../support/cloudtrail';

const IAM: CatalogueAction[] = [
  { name: 'GetRole', accessLevel: 'Read' },
  { name: 'ListRoles', accessLevel: 'List' },
  { name: 'PutRolePolicy', accessLevel: 'Permissions management' },
];
const catalogueOf = (actions: CatalogueAction[]): ActionCatalogue => ({
  serviceKeys: ['iam'],
  actionsOf: (service) => (service === 'iam' ? actions : undefined),
});
const SMALL = catalogueOf(IAM);
/** The same service with one action the patterns below do not reach. */
const LARGER = catalogueOf([...IAM, { name: 'CreateUser', accessLevel: 'Write' }]);

const ALL_BY_VERBS = internActionList(['iam:Get*', 'iam:List*', 'iam:Put*']);
const S3 = internActionList(['s3:*']);
const statement = (fields: Partial<Statement>): Statement => ({
  Effect: 'Allow',
  Resource: ['*'],
  ...fields,
});

describe('adminGrant, kept per action list and catalogue', () => {
  it.each([
    { behaviour: 'every action', of: statement({ Action: ['*'] }), catalogue: undefined, kind: 'everything' },
    { behaviour: 'iam:*', of: statement({ Action: ['iam:*'] }), catalogue: undefined, kind: 'all-iam' },
    {
      behaviour: 'verbs covering IAM, without a catalogue',
      of: statement({ Action: ALL_BY_VERBS }),
      catalogue: undefined,
      kind: undefined,
    },
    {
      behaviour: 'verbs covering IAM, by the catalogue',
      of: statement({ Action: ALL_BY_VERBS }),
      catalogue: SMALL,
      kind: 'all-iam',
    },
    {
      behaviour: 'verbs short of a larger IAM',
      of: statement({ Action: ALL_BY_VERBS }),
      catalogue: LARGER,
      kind: undefined,
    },
    { behaviour: 's3:* as Action', of: statement({ Action: S3 }), catalogue: SMALL, kind: undefined },
    {
      behaviour: 's3:* as NotAction',
      of: statement({ NotAction: S3 }),
      catalogue: SMALL,
      kind: 'not-action',
    },
    {
      behaviour: 'a Deny of everything',
      of: statement({ Effect: 'Deny', Action: ['*'] }),
      catalogue: undefined,
      kind: undefined,
    },
  ])('$behaviour: $kind, the same asked again and for a copy never seen', ({ of, catalogue, kind }) => {
    expect(adminGrant(of, catalogue)?.kind).toBe(kind);
    expect(adminGrant(of, catalogue)?.kind).toBe(kind);
    expect(adminGrant(JSON.parse(JSON.stringify(of)) as Statement, catalogue)?.kind).toBe(kind);
  });

  it('answers each catalogue for itself, whichever was asked first', () => {
    const list = internActionList(['iam:Get*', 'iam:List*', 'iam:Put*']);
    expect(adminGrant(statement({ Action: list }), LARGER)).toBeUndefined();
    expect(adminGrant(statement({ Action: list }), SMALL)?.kind).toBe('all-iam');
    expect(adminGrant(statement({ Action: list }))).toBeUndefined();
    expect(adminGrant(statement({ Action: list }), LARGER)).toBeUndefined();
  });

  it('never answers an Allow with what a Deny of the same list was', () => {
    const list = internActionList(['*']);
    expect(adminGrant(statement({ Effect: 'Deny', Action: list }))).toBeUndefined();
    expect(adminGrant(statement({ Action: list }))?.kind).toBe('everything');
  });
});

describe('allowStatements, kept per change', () => {
  const documentOf = (...statements: Statement[]) => ({ Statement: statements });
  const allowS3 = statement({ Action: ['s3:GetObject'] });
  const denyAll = statement({ Effect: 'Deny', Action: ['*'] });
  const allowIam = statement({ Action: ['iam:PassRole'] });
  const change = changeOf('PutRolePolicy', {
    roleName: 'app',
    policyName: 'inline',
    policyDocument: JSON.stringify(documentOf(allowS3, denyAll)),
  });

  it.each([
    { role: 'permissions' as const, expected: [allowS3] },
    { role: 'trust' as const, expected: [] },
  ])('gives the $role Allow statements, the same asked again', ({ role, expected }) => {
    expect(allowStatements(change, role)).toEqual(expected);
    expect(allowStatements(change, role)).toEqual(expected);
  });

  it('answers a copy of the change with other documents for its own documents', () => {
    allowStatements(change, 'permissions');
    const other = {
      ...change,
      documents: [{ role: 'permissions' as const, field: 'policyDocument', document: documentOf(allowIam) }],
    };
    expect(allowStatements(other, 'permissions')).toEqual([allowIam]);
    expect(allowStatements(change, 'permissions')).toEqual([allowS3]);
  });

  it('never answers a change from what its earlier documents held', () => {
    const mutable = { ...change };
    expect(allowStatements(mutable, 'permissions')).toEqual([allowS3]);
    mutable.documents = [{ role: 'permissions', field: 'policyDocument', document: documentOf(allowIam) }];
    expect(allowStatements(mutable, 'permissions')).toEqual([allowIam]);
  });
});
