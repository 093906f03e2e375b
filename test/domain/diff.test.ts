import { describe, expect, it } from 'vitest';
import {
  type DiffInputs,
  diffDocuments,
  diffInputsFor,
  diffScope,
  documentText,
  type PolicyDiff,
  type ResolvedDocuments,
  riskDelta,
} from '../../src/domain/diff';
import { CIS44_EVENT_NAMES } from '../../src/domain/events';
import { parsePolicyDocument } from '../../src/domain/policy';
import type { Change, PolicyDocument, Statement } from '../../src/domain/types';
import { changeOf } from '../support/cloudtrail';

function doc(...statements: Array<Record<string, unknown>>): PolicyDocument {
  return parsePolicyDocument({ Version: '2012-10-17', Statement: statements });
}

const READ = { Sid: 'Read', Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::logs/*' };
const WRITE = { Sid: 'Write', Effect: 'Allow', Action: ['s3:PutObject'], Resource: ['arn:aws:s3:::logs/*'] };
const DENY_DELETE = { Sid: 'NoDelete', Effect: 'Deny', Action: 's3:DeleteObject', Resource: '*' };
const ACCOUNT = '111122223333';

function trust(...principals: string[]): PolicyDocument {
  return doc({ Effect: 'Allow', Principal: { AWS: principals }, Action: 'sts:AssumeRole' });
}

interface Case {
  name: string;
  before: PolicyDocument | null | undefined;
  after: PolicyDocument | null | undefined;
  expect: (diff: PolicyDiff) => void;
}

const CASES: Case[] = [
  {
    name: 'identical documents are unchanged, with no diff text',
    before: doc(READ, WRITE),
    after: doc(READ, WRITE),
    expect: (diff) => {
      expect(diff.unchanged).toBe(true);
      expect(diff.added).toEqual([]);
      expect(diff.removed).toEqual([]);
      expect(diff.changed).toEqual([]);
      expect(diff.unified).toBe('');
    },
  },
  {
    name: 'a string that became a one-item list, and lists in another order, are no change',
    before: doc({
      Effect: 'Allow',
      Action: 's3:GetObject',
      Resource: ['arn:aws:s3:::b/*', 'arn:aws:s3:::a/*'],
    }),
    after: doc({
      Effect: 'Allow',
      Action: ['s3:GetObject'],
      Resource: ['arn:aws:s3:::a/*', 'arn:aws:s3:::b/*'],
    }),
    expect: (diff) => {
      expect(diff.unchanged).toBe(true);
      expect(diff.changed).toEqual([]);
    },
  },
  {
    name: 'both nothing is unchanged',
    before: null,
    after: null,
    expect: (diff) => {
      expect(diff.unchanged).toBe(true);
      expect(diff.beforeKnown).toBe(true);
    },
  },
  {
    name: 'an added statement is listed as added, with its actions newly allowed',
    before: doc(READ),
    after: doc(READ, WRITE),
    expect: (diff) => {
      expect(diff.added.map((entry) => entry.statement.Sid)).toEqual(['Write']);
      expect(diff.added[0]?.index).toBe(1);
      expect(diff.removed).toEqual([]);
      expect(diff.changed).toEqual([]);
      expect(diff.summary.actionsAllowed).toEqual(['s3:PutObject']);
      expect(diff.summary.resourcesAdded).toEqual([]);
    },
  },
  {
    name: 'a removed statement is listed as removed, with its actions no longer allowed',
    before: doc(READ, WRITE),
    after: doc(READ),
    expect: (diff) => {
      expect(diff.removed.map((entry) => entry.statement.Sid)).toEqual(['Write']);
      expect(diff.added).toEqual([]);
      expect(diff.summary.actionsNoLongerAllowed).toEqual(['s3:PutObject']);
    },
  },
  {
    name: 'statements with the same Sid are paired and their field changes listed',
    before: doc(READ),
    after: doc({
      Sid: 'Read',
      Effect: 'Allow',
      Action: ['s3:GetObject', 'iam:PassRole'],
      Resource: ['*'],
      Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
    }),
    expect: (diff) => {
      expect(diff.changed).toHaveLength(1);
      const change = diff.changed[0];
      expect(change?.matchedBy).toBe('sid');
      expect(change?.changedFields).toEqual(['actions', 'resources', 'conditions']);
      expect(change?.fields.actions).toEqual({ added: ['iam:PassRole'], removed: [] });
      expect(change?.fields.resources).toEqual({ added: ['*'], removed: ['arn:aws:s3:::logs/*'] });
      expect(change?.fields.conditions).toEqual({
        added: [`StringEquals aws:SourceAccount ${ACCOUNT}`],
        removed: [],
      });
      expect(diff.summary.actionsAllowed).toEqual(['iam:PassRole']);
      expect(diff.summary.resourcesAdded).toEqual(['*']);
      expect(diff.summary.resourcesRemoved).toEqual(['arn:aws:s3:::logs/*']);
    },
  },
  {
    name: 'statements that only moved, matched by Sid, are no statement change',
    before: doc(READ, WRITE),
    after: doc(WRITE, READ),
    expect: (diff) => {
      expect(diff.unchanged).toBe(false);
      expect(diff.added).toEqual([]);
      expect(diff.removed).toEqual([]);
      expect(diff.changed).toEqual([]);
      expect(diff.unified).not.toBe('');
    },
  },
  {
    name: 'a Sid that matches is preferred over a statement with the same actions',
    before: doc({ ...READ, Sid: 'A' }, { ...READ, Sid: 'B', Resource: 'arn:aws:s3:::other/*' }),
    after: doc({ ...READ, Sid: 'B', Resource: 'arn:aws:s3:::third/*' }, { ...READ, Sid: 'A' }),
    expect: (diff) => {
      expect(diff.changed).toHaveLength(1);
      expect(diff.changed[0]?.before.statement.Sid).toBe('B');
      expect(diff.changed[0]?.after.statement.Sid).toBe('B');
      expect(diff.changed[0]?.fields.resources).toEqual({
        added: ['arn:aws:s3:::third/*'],
        removed: ['arn:aws:s3:::other/*'],
      });
    },
  },
  {
    name: 'a renamed Sid with the same content is paired by content and reported as a Sid change',
    before: doc(READ),
    after: doc({ ...READ, Sid: 'ReadLogs' }),
    expect: (diff) => {
      expect(diff.changed).toHaveLength(1);
      expect(diff.changed[0]?.matchedBy).toBe('content');
      expect(diff.changed[0]?.sid).toEqual({ before: 'Read', after: 'ReadLogs' });
      expect(diff.changed[0]?.changedFields).toEqual([]);
    },
  },
  {
    name: 'two statements with different Sids and changed content are removed and added, never paired',
    before: doc(READ),
    after: doc({ ...READ, Sid: 'Other', Resource: '*' }),
    expect: (diff) => {
      expect(diff.changed).toEqual([]);
      expect(diff.removed).toHaveLength(1);
      expect(diff.added).toHaveLength(1);
    },
  },
  {
    name: 'statements without a Sid are paired by Effect and the most similar actions',
    before: doc(
      { Effect: 'Allow', Action: ['ec2:Describe*', 'ec2:StartInstances'], Resource: '*' },
      { Effect: 'Allow', Action: ['s3:GetObject', 's3:ListBucket'], Resource: 'arn:aws:s3:::a' },
    ),
    after: doc(
      {
        Effect: 'Allow',
        Action: ['s3:getobject', 's3:ListBucket', 's3:PutObject'],
        Resource: 'arn:aws:s3:::a',
      },
      { Effect: 'Allow', Action: ['ec2:Describe*', 'ec2:StartInstances'], Resource: '*' },
    ),
    expect: (diff) => {
      expect(diff.added).toEqual([]);
      expect(diff.removed).toEqual([]);
      expect(diff.changed).toHaveLength(1);
      expect(diff.changed[0]?.matchedBy).toBe('actions');
      expect(diff.changed[0]?.before.index).toBe(1);
      expect(diff.changed[0]?.after.index).toBe(0);
      // Action names are case-insensitive in IAM: `s3:getobject` is not a new action.
      expect(diff.changed[0]?.fields.actions).toEqual({ added: ['s3:PutObject'], removed: [] });
    },
  },
  {
    name: 'statements with no action in common are removed and added',
    before: doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }),
    after: doc({ Effect: 'Allow', Action: 'ec2:RunInstances', Resource: '*' }),
    expect: (diff) => {
      expect(diff.changed).toEqual([]);
      expect(diff.removed).toHaveLength(1);
      expect(diff.added).toHaveLength(1);
    },
  },
  {
    name: 'a removed Deny statement is in the summary',
    before: doc(READ, DENY_DELETE),
    after: doc(READ),
    expect: (diff) => {
      expect(diff.summary.denyStatementsRemoved.map((entry) => entry.statement.Sid)).toEqual(['NoDelete']);
      expect(diff.removed).toHaveLength(1);
    },
  },
  {
    name: 'a Deny turned into an Allow counts as a removed Deny and an Effect change',
    before: doc(DENY_DELETE),
    after: doc({ ...DENY_DELETE, Effect: 'Allow' }),
    expect: (diff) => {
      expect(diff.changed[0]?.effect).toEqual({ before: 'Deny', after: 'Allow' });
      expect(diff.summary.denyStatementsRemoved).toHaveLength(1);
      expect(diff.summary.actionsAllowed).toEqual(['s3:DeleteObject']);
    },
  },
  {
    name: 'actions taken out of a Deny that stays are no longer denied',
    before: doc({ ...DENY_DELETE, Action: ['s3:DeleteObject', 's3:DeleteBucket'] }),
    after: doc(DENY_DELETE),
    expect: (diff) => {
      expect(diff.summary.denyStatementsRemoved).toEqual([]);
      expect(diff.summary.denyActionsRemoved).toEqual(['s3:DeleteBucket']);
    },
  },
  {
    name: 'a principal added to a trust policy is in the summary',
    before: trust(`arn:aws:iam::${ACCOUNT}:root`),
    after: trust(`arn:aws:iam::${ACCOUNT}:root`, 'arn:aws:iam::999988887777:root'),
    expect: (diff) => {
      expect(diff.summary.principalsAdded).toEqual(['AWS:arn:aws:iam::999988887777:root']);
      expect(diff.summary.principalsRemoved).toEqual([]);
      expect(diff.changed[0]?.fields.principals.added).toEqual(['AWS:arn:aws:iam::999988887777:root']);
    },
  },
  {
    name: 'an action a wildcard already granted is not newly allowed',
    before: doc({ Effect: 'Allow', Action: 's3:*', Resource: '*' }),
    after: doc({ Effect: 'Allow', Action: ['s3:*', 's3:GetObject', 'iam:GetRole'], Resource: '*' }),
    expect: (diff) => {
      expect(diff.summary.actionsAllowed).toEqual(['iam:GetRole']);
    },
  },
  {
    name: 'a new Allow with NotAction reads as every action except',
    before: doc(READ),
    after: doc(READ, { Effect: 'Allow', NotAction: 'iam:*', Resource: '*' }),
    expect: (diff) => {
      expect(diff.summary.actionsAllowed).toEqual(['* except iam:* (NotAction)']);
    },
  },
  {
    name: 'an unknown before is said, never guessed: nothing compared, no diff',
    before: undefined,
    after: doc(READ),
    expect: (diff) => {
      expect(diff.beforeKnown).toBe(false);
      expect(diff.afterKnown).toBe(true);
      expect(diff.unchanged).toBe(false);
      expect(diff.added).toEqual([]);
      expect(diff.summary.actionsAllowed).toEqual([]);
      expect(diff.unified).toBe('');
      expect(diff.after).toEqual(doc(READ));
    },
  },
  {
    name: 'a null before means nothing: every statement is added',
    before: null,
    after: doc(READ, WRITE),
    expect: (diff) => {
      expect(diff.beforeKnown).toBe(true);
      expect(diff.added).toHaveLength(2);
      expect(diff.summary.actionsAllowed).toEqual(['s3:GetObject', 's3:PutObject']);
      expect(diff.unified).toContain('@@ -0,0 +1,');
    },
  },
  {
    name: 'a null after means the document was taken away: every statement is removed',
    before: doc(READ, DENY_DELETE),
    after: null,
    expect: (diff) => {
      expect(diff.removed).toHaveLength(2);
      expect(diff.summary.denyStatementsRemoved).toHaveLength(1);
      expect(diff.summary.actionsNoLongerAllowed).toEqual(['s3:GetObject']);
    },
  },
  {
    name: 'a change of letter case only is a change of text, not of statements',
    before: doc({ Effect: 'Allow', Action: 's3:getobject', Resource: '*' }),
    after: doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }),
    expect: (diff) => {
      expect(diff.unchanged).toBe(false);
      expect(diff.changed).toEqual([]);
      expect(diff.summary.actionsAllowed).toEqual([]);
      expect(diff.unified).toContain('+        "s3:GetObject"');
    },
  },
];

describe('diffDocuments', () => {
  it.each(CASES)('$name', ({ before, after, expect: check }) => {
    check(diffDocuments(before, after));
  });

  it('writes a unified diff of the canonical JSON labelled before and after', () => {
    const before = doc(READ);
    const after = doc({ ...READ, Action: ['s3:GetObject', 's3:ListBucket'] });
    const diff = diffDocuments(before, after);
    expect(diff.unified).toBe(
      [
        '--- before',
        '+++ after',
        '@@ -4,7 +4,8 @@',
        '       "Effect": "Allow",',
        '       "Sid": "Read",',
        '       "Action": [',
        '-        "s3:GetObject"',
        '+        "s3:GetObject",',
        '+        "s3:ListBucket"',
        '       ],',
        '       "Resource": [',
        '         "arn:aws:s3:::logs/*"',
        '',
      ].join('\n'),
    );
  });

  it('diffs documents given as a string and as a list the same way (canonical text)', () => {
    expect(documentText(doc(READ))).toBe(documentText(doc({ ...READ, Action: ['s3:GetObject'] })));
    expect(documentText(null)).toBe('');
  });

  it('does not change the documents it is given', () => {
    const before = doc({ Effect: 'Allow', Action: ['s3:b', 's3:a'], Resource: '*' });
    const copy = structuredClone(before);
    diffDocuments(before, doc(READ));
    expect(before).toEqual(copy);
  });
});

// --- diffInputsFor -------------------------------------------------------------------------------------------

const INLINE = JSON.stringify({ Version: '2012-10-17', Statement: [READ] });
const PREVIOUS = doc(WRITE);
const MANAGED = doc({ Effect: 'Allow', Action: '*', Resource: '*' });
const NEW_TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});
const POLICY_ARN = `arn:aws:iam::${ACCOUNT}:policy/Deploy`;
const RESOLVED: ResolvedDocuments = { previousDocument: PREVIOUS, managedPolicyDocument: MANAGED };

const REQUEST = parsePolicyDocument(INLINE);

interface InputCase {
  event: string;
  params: Record<string, unknown>;
  before: PolicyDocument | null | undefined;
  after: PolicyDocument | null | undefined;
  inEffect?: boolean;
  role?: 'permissions' | 'trust';
  note?: RegExp;
}

const INPUT_CASES: InputCase[] = [
  ...(['Role', 'User', 'Group'] as const).flatMap((kind): InputCase[] => {
    const entity = { [`${kind.toLowerCase()}Name`]: 'deploy' };
    return [
      {
        event: `Attach${kind}Policy`,
        params: { ...entity, policyArn: POLICY_ARN },
        before: null,
        after: MANAGED,
        note: /gains what the default version of Deploy grants/,
      },
      {
        event: `Detach${kind}Policy`,
        params: { ...entity, policyArn: POLICY_ARN },
        before: MANAGED,
        after: null,
        note: /loses what the default version/,
      },
      {
        event: `Put${kind}Policy`,
        params: { ...entity, policyName: 'inline', policyDocument: INLINE },
        before: PREVIOUS,
        after: REQUEST,
      },
      {
        event: `Delete${kind}Policy`,
        params: { ...entity, policyName: 'inline' },
        before: PREVIOUS,
        after: null,
      },
    ];
  }),
  {
    event: 'CreatePolicy',
    params: { policyName: 'Deploy', policyDocument: INLINE },
    before: null,
    after: REQUEST,
    note: /grants nothing until it is attached/,
  },
  { event: 'DeletePolicy', params: { policyArn: POLICY_ARN }, before: PREVIOUS, after: null },
  {
    event: 'CreatePolicyVersion',
    params: { policyArn: POLICY_ARN, policyDocument: INLINE, setAsDefault: true },
    before: PREVIOUS,
    after: REQUEST,
    note: /became the default/,
  },
  {
    event: 'CreatePolicyVersion',
    params: { policyArn: POLICY_ARN, policyDocument: INLINE, setAsDefault: false },
    before: PREVIOUS,
    after: REQUEST,
    inEffect: false,
    note: /added but is not the default: it is not in effect/,
  },
  {
    event: 'DeletePolicyVersion',
    params: { policyArn: POLICY_ARN, versionId: 'v2' },
    before: PREVIOUS,
    after: null,
    inEffect: false,
    note: /never deletes the default version/,
  },
  {
    event: 'SetDefaultPolicyVersion',
    params: { policyArn: POLICY_ARN, versionId: 'v3' },
    before: PREVIOUS,
    after: MANAGED,
    note: /version v3 is now in effect/,
  },
  {
    event: 'UpdateAssumeRolePolicy',
    params: { roleName: 'deploy', policyDocument: NEW_TRUST },
    before: PREVIOUS,
    after: parsePolicyDocument(NEW_TRUST),
    role: 'trust',
  },
];

describe('diffInputsFor', () => {
  it.each(INPUT_CASES)('$event $params.setAsDefault compares the right documents', (entry) => {
    const change = changeOf(entry.event, entry.params);
    const inputs: DiffInputs = diffInputsFor(change, RESOLVED);
    expect(inputs.supported).toBe(true);
    expect(inputs.before).toEqual(entry.before);
    expect(inputs.after).toEqual(entry.after);
    expect(inputs.inEffect).toBe(entry.inEffect ?? true);
    expect(inputs.role).toBe(entry.role ?? 'permissions');
    if (entry.note) expect(inputs.notes.join('\n')).toMatch(entry.note);
  });

  it('covers every CIS 4.4 event, SetDefaultPolicyVersion and UpdateAssumeRolePolicy', () => {
    const covered = new Set(INPUT_CASES.map((entry) => entry.event));
    for (const event of [...CIS44_EVENT_NAMES, 'SetDefaultPolicyVersion', 'UpdateAssumeRolePolicy']) {
      expect(covered.has(event), event).toBe(true);
    }
  });

  it('keeps what was not found unknown, never guessed', () => {
    const put = changeOf('PutRolePolicy', { roleName: 'r', policyName: 'p', policyDocument: INLINE });
    expect(diffInputsFor(put, {}).before).toBeUndefined();
    expect(diffInputsFor(put, { previousDocument: null }).before).toBeNull();
    const attach = changeOf('AttachRolePolicy', { roleName: 'r', policyArn: POLICY_ARN });
    expect(diffInputsFor(attach, {})).toMatchObject({ before: null, after: undefined });
  });

  it('takes a managed policy document for DeletePolicy when the previous document is not given', () => {
    const change = changeOf('DeletePolicy', { policyArn: POLICY_ARN });
    expect(diffInputsFor(change, { managedPolicyDocument: MANAGED }).before).toEqual(MANAGED);
  });

  it('says so when the request document could not be read, and leaves it unknown', () => {
    const change = changeOf('PutRolePolicy', { roleName: 'r', policyName: 'p', policyDocument: '{not json' });
    const inputs = diffInputsFor(change, { previousDocument: PREVIOUS });
    expect(inputs.after).toBeUndefined();
    expect(inputs.notes.join('\n')).toMatch(/policyDocument in the request could not be read/);
  });

  it('shows what a failed call tried, and says nothing changed', () => {
    const change = changeOf(
      'PutRolePolicy',
      { roleName: 'r', policyName: 'p', policyDocument: INLINE },
      { errorCode: 'AccessDenied', errorMessage: 'no' },
    );
    const inputs = diffInputsFor(change, { previousDocument: PREVIOUS });
    expect(inputs.inEffect).toBe(false);
    expect(inputs.after).toEqual(REQUEST);
    expect(inputs.notes[0]).toMatch(/the call failed \(AccessDenied\): nothing changed/);
  });

  it('offers no diff for a call that carries no policy document', () => {
    const change = changeOf('CreateUser', { userName: 'bob' });
    const inputs = diffInputsFor(change, RESOLVED);
    expect(inputs).toMatchObject({ supported: false, before: undefined, after: undefined });
    expect(diffScope(change).notes.join('\n')).toMatch(/CreateUser carries no policy document/);
  });
});

// --- riskDelta ------------------------------------------------------------------------------------------------

function putRole(document: PolicyDocument): Change {
  return changeOf('PutRolePolicy', {
    roleName: 'app',
    policyName: 'inline',
    policyDocument: JSON.stringify(document),
  });
}

describe('riskDelta', () => {
  it('adding iam:PassRole on * goes from low to high with the reason added', () => {
    const before = doc(READ);
    const after = doc(READ, { Effect: 'Allow', Action: 'iam:PassRole', Resource: '*' });
    const delta = riskDelta(putRole(after), diffDocuments(before, after));
    expect(delta).toMatchObject({ before: 'low', after: 'high', direction: 'raised', reasonsRemoved: [] });
    expect(delta.reasonsAdded.join('\n')).toMatch(
      /grants iam:PassRole on \*, part of privilege-escalation paths/,
    );
  });

  it('taking the grant away again lowers the risk and lists the reason as removed', () => {
    const before = doc(READ, { Effect: 'Allow', Action: 'iam:PassRole', Resource: '*' });
    const after = doc(READ);
    const delta = riskDelta(putRole(after), diffDocuments(before, after));
    expect(delta).toMatchObject({ before: 'high', after: 'low', direction: 'lowered', reasonsAdded: [] });
    expect(delta.reasonsRemoved).toHaveLength(1);
  });

  it('a change that leaves the risk as it was says so', () => {
    const before = doc(READ);
    const after = doc(READ, WRITE);
    const delta = riskDelta(putRole(after), diffDocuments(before, after));
    expect(delta).toMatchObject({
      before: 'low',
      after: 'low',
      direction: 'same',
      reasonsAdded: [],
      reasonsRemoved: [],
    });
  });

  it('attaching a policy granting everything goes from none to critical', () => {
    const change = changeOf('AttachRolePolicy', {
      roleName: 'ci',
      policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess',
    });
    const inputs = diffInputsFor(change, { managedPolicyDocument: MANAGED });
    const delta = riskDelta(change, diffDocuments(inputs.before, inputs.after));
    expect(delta).toMatchObject({ before: 'none', after: 'critical', direction: 'raised' });
    expect(delta.reasonsAdded.join('\n')).toMatch(/allows every action/);
  });

  it('removing a Deny from a document adds the deny-removed reason', () => {
    const before = doc(READ, DENY_DELETE);
    const after = doc(READ);
    const delta = riskDelta(putRole(after), diffDocuments(before, after));
    expect(delta.after).toBe('high');
    expect(delta.reasonsAdded.join('\n')).toMatch(/removes a Deny statement \(NoDelete\)/);
  });

  it('detaching a policy that held a Deny says what it denied may now be allowed', () => {
    const change = changeOf('DetachRolePolicy', { roleName: 'app', policyArn: POLICY_ARN });
    const inputs = diffInputsFor(change, { managedPolicyDocument: doc(DENY_DELETE) });
    const delta = riskDelta(change, diffDocuments(inputs.before, inputs.after));
    expect(delta).toMatchObject({ before: 'low', after: 'none', direction: 'lowered' });
    expect(delta.reasonsAdded.join('\n')).toMatch(/removes a Deny statement \(NoDelete\): what they denied/);
  });

  it('a new external account in a trust policy goes to critical; one trusted before does not count as new', () => {
    const change = changeOf('UpdateAssumeRolePolicy', { roleName: 'app', policyDocument: NEW_TRUST });
    const before = trust('arn:aws:iam::444455556666:root');
    const after = trust('arn:aws:iam::444455556666:root', 'arn:aws:iam::999988887777:root');
    const delta = riskDelta(change, diffDocuments(before, after));
    expect(delta).toMatchObject({ before: 'high', after: 'critical', direction: 'raised' });
    expect(delta.reasonsAdded.join('\n')).toMatch(/external account 999988887777/);
    expect(delta.reasonsAdded.join('\n')).not.toMatch(/444455556666/);
    const trusted = riskDelta(change, diffDocuments(before, after), {
      trustedAccounts: ['444455556666', '999988887777'],
    });
    expect(trusted).toMatchObject({ before: 'low', after: 'low' });
  });

  it('an unknown before is unknown: nothing added or removed, the after reasons given on their own', () => {
    const after = doc({ Effect: 'Allow', Action: 'iam:PassRole', Resource: '*' });
    const delta = riskDelta(putRole(after), diffDocuments(undefined, after));
    expect(delta).toMatchObject({ before: 'unknown', after: 'high', direction: 'unknown' });
    expect(delta.reasonsAdded).toEqual([]);
    expect(delta.afterReasons).toHaveLength(1);
  });

  it('judges the documents, not the caller: a root change or a failed call does not change the levels', () => {
    const before = doc(READ);
    const after = doc(READ, WRITE);
    const root = changeOf(
      'PutRolePolicy',
      { roleName: 'app', policyName: 'inline', policyDocument: JSON.stringify(after) },
      {
        userIdentity: { type: 'Root', arn: `arn:aws:iam::${ACCOUNT}:root`, accountId: ACCOUNT },
        errorCode: 'AccessDenied',
      },
    );
    const delta = riskDelta(root, diffDocuments(before, after));
    expect(delta).toMatchObject({ before: 'low', after: 'low', reasonsAdded: [], reasonsRemoved: [] });
  });

  it('creating a policy version that is not the default is judged on what the version would grant', () => {
    const version = doc({ Effect: 'Allow', Action: 'iam:PassRole', Resource: '*' });
    const change = changeOf('CreatePolicyVersion', {
      policyArn: POLICY_ARN,
      policyDocument: JSON.stringify(version),
      setAsDefault: false,
    });
    const inputs = diffInputsFor(change, { previousDocument: doc(READ) });
    const delta = riskDelta(change, diffDocuments(inputs.before, inputs.after));
    expect(delta).toMatchObject({ before: 'low', after: 'high' });
    expect(inputs.inEffect).toBe(false);
  });

  it('keeps statements it was given in their shape for the rules', () => {
    const statement: Statement = { Effect: 'Allow', Action: ['*'], Resource: ['*'] };
    const delta = riskDelta(
      putRole({ Statement: [statement] }),
      diffDocuments(null, { Statement: [statement] }),
    );
    expect(delta.after).toBe('critical');
  });
});
