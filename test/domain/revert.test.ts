import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CloudTrailRecord } from '../../src/domain/input';
import {
  type BeforeState,
  planRevert,
  protectedAttachment,
  protectedTarget,
  toCliCommand,
} from '../../src/domain/revert';
import type { PolicyDocument, RevertPlan, RevertStep } from '../../src/domain/types';
import { changeOf } from '../support/cloudtrail';

const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const DEPLOY = 'arn:aws:iam::111122223333:policy/team/Deploy';

const READ_ONLY: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['*'] }],
};
const READ_ONLY_JSON =
  '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["*"]}]}';

const TRUST: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: ['ec2.amazonaws.com'] }, Action: ['sts:AssumeRole'] }],
};
const TRUST_JSON =
  '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com"]},"Action":["sts:AssumeRole"]}]}';

/** The document the call wrote, as CloudTrail records it: JSON text. */
const NEW_DOCUMENT = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}';

const KNOWN: BeforeState = { previousDocument: READ_ONLY };
const NONE: BeforeState = { previousDocument: null };
const UNKNOWN: BeforeState = {};

const NEW_INLINE_NOTE_ROLE =
  'if the inline policy Deploy was new (nothing before it), the revert is iam:DeleteRolePolicy instead';
const CREATE_POLICY_NOTES = [
  'IAM refuses DeletePolicy while the policy has non-default versions: the revert first deletes them (iam:DeletePolicyVersion)',
  'IAM refuses DeletePolicy while the policy is attached: the revert refuses too and lists the roles, users and groups it is attached to',
];
const DELETE_POLICY_NOTE =
  'the re-created policy gets a new policy id (its ARN is the same), and its attachments are not restored: re-attach it by hand';

interface Row {
  behaviour: string;
  eventName: string;
  request: Record<string, unknown> | null;
  overrides?: Partial<CloudTrailRecord>;
  before?: BeforeState;
  expected: RevertPlan;
}

function refused(reason: string): RevertPlan {
  return { supported: false, steps: [], cli: [], reason };
}

const rows: Row[] = [
  // Attach / Detach
  {
    behaviour: 'detaches a managed policy attached to a role',
    eventName: 'AttachRolePolicy',
    request: { roleName: 'ci-runner', policyArn: ADMIN },
    expected: {
      supported: true,
      steps: [{ action: 'iam:DetachRolePolicy', params: { RoleName: 'ci-runner', PolicyArn: ADMIN } }],
      cli: [`aws iam detach-role-policy --role-name ci-runner --policy-arn ${ADMIN}`],
    },
  },
  {
    behaviour: 'detaches a managed policy attached to a user',
    eventName: 'AttachUserPolicy',
    request: { userName: 'bob', policyArn: ADMIN },
    expected: {
      supported: true,
      steps: [{ action: 'iam:DetachUserPolicy', params: { UserName: 'bob', PolicyArn: ADMIN } }],
      cli: [`aws iam detach-user-policy --user-name bob --policy-arn ${ADMIN}`],
    },
  },
  {
    behaviour: 'detaches a managed policy attached to a group',
    eventName: 'AttachGroupPolicy',
    request: { groupName: 'admins', policyArn: DEPLOY },
    expected: {
      supported: true,
      steps: [{ action: 'iam:DetachGroupPolicy', params: { GroupName: 'admins', PolicyArn: DEPLOY } }],
      cli: [`aws iam detach-group-policy --group-name admins --policy-arn ${DEPLOY}`],
    },
  },
  {
    behaviour: 're-attaches a managed policy detached from a role',
    eventName: 'DetachRolePolicy',
    request: { roleName: 'ci-runner', policyArn: DEPLOY },
    expected: {
      supported: true,
      steps: [{ action: 'iam:AttachRolePolicy', params: { RoleName: 'ci-runner', PolicyArn: DEPLOY } }],
      cli: [`aws iam attach-role-policy --role-name ci-runner --policy-arn ${DEPLOY}`],
    },
  },
  {
    behaviour: 're-attaches a managed policy detached from a user',
    eventName: 'DetachUserPolicy',
    request: { userName: 'bob', policyArn: DEPLOY },
    expected: {
      supported: true,
      steps: [{ action: 'iam:AttachUserPolicy', params: { UserName: 'bob', PolicyArn: DEPLOY } }],
      cli: [`aws iam attach-user-policy --user-name bob --policy-arn ${DEPLOY}`],
    },
  },
  {
    behaviour: 're-attaches a managed policy detached from a group',
    eventName: 'DetachGroupPolicy',
    request: { groupName: 'admins', policyArn: ADMIN },
    expected: {
      supported: true,
      steps: [{ action: 'iam:AttachGroupPolicy', params: { GroupName: 'admins', PolicyArn: ADMIN } }],
      cli: [`aws iam attach-group-policy --group-name admins --policy-arn ${ADMIN}`],
    },
  },

  // Put…Policy
  {
    behaviour: 'puts back the previous inline role policy when it is known',
    eventName: 'PutRolePolicy',
    request: { roleName: 'ci-runner', policyName: 'Deploy', policyDocument: NEW_DOCUMENT },
    before: KNOWN,
    expected: {
      supported: true,
      steps: [
        {
          action: 'iam:PutRolePolicy',
          params: { RoleName: 'ci-runner', PolicyName: 'Deploy', PolicyDocument: READ_ONLY_JSON },
        },
      ],
      cli: [
        `aws iam put-role-policy --role-name ci-runner --policy-name Deploy --policy-document '${READ_ONLY_JSON}'`,
      ],
    },
  },
  {
    behaviour: 'deletes an inline role policy that the call created',
    eventName: 'PutRolePolicy',
    request: { roleName: 'ci-runner', policyName: 'Deploy', policyDocument: NEW_DOCUMENT },
    before: NONE,
    expected: {
      supported: true,
      steps: [{ action: 'iam:DeleteRolePolicy', params: { RoleName: 'ci-runner', PolicyName: 'Deploy' } }],
      cli: ['aws iam delete-role-policy --role-name ci-runner --policy-name Deploy'],
    },
  },
  {
    behaviour:
      'needs the previous document of an inline role policy when it is unknown, and says Delete if it was new',
    eventName: 'PutRolePolicy',
    request: { roleName: 'ci-runner', policyName: 'Deploy', policyDocument: NEW_DOCUMENT },
    before: UNKNOWN,
    expected: {
      supported: true,
      steps: [
        {
          action: 'iam:PutRolePolicy',
          params: { RoleName: 'ci-runner', PolicyName: 'Deploy', PolicyDocument: '<previous-document>' },
        },
      ],
      cli: [
        'aws iam put-role-policy --role-name ci-runner --policy-name Deploy --policy-document <previous-document>',
      ],
      needs: ['previous-document'],
      notes: [NEW_INLINE_NOTE_ROLE],
    },
  },
  {
    behaviour: 'treats a missing before-state as unknown',
    eventName: 'PutRolePolicy',
    request: { roleName: 'ci-runner', policyName: 'Deploy', policyDocument: NEW_DOCUMENT },
    expected: {
      supported: true,
      steps: [
        {
          action: 'iam:PutRolePolicy',
          params: { RoleName: 'ci-runner', PolicyName: 'Deploy', PolicyDocument: '<previous-document>' },
        },
      ],
      cli: [
        'aws iam put-role-policy --role-name ci-runner --policy-name Deploy --policy-document <previous-document>',
      ],
      needs: ['previous-document'],
      notes: [NEW_INLINE_NOTE_ROLE],
    },
  },
  {
    behaviour: 'puts back the previous inline user policy when it is known',
    eventName: 'PutUserPolicy',
    request: { userName: 'bob', policyName: 'Deploy', policyDocument: NEW_DOCUMENT },
    before: KNOWN,
    expected: {
      supported: true,
      steps: [
        {
          action: 'iam:PutUserPolicy',
          params: { UserName: 'bob', PolicyName: 'Deploy', PolicyDocument: READ_ONLY_JSON },
        },
      ],
      cli: [
        `aws iam put-user-policy --user-name bob --policy-name Deploy --policy-document '${READ_ONLY_JSON}'`,
      ],
    },
  },
  {
    behaviour: 'deletes an inline user policy that the call created',
    eventName: 'PutUserPolicy',
    request: { userName: 'bob', policyName: 'Deploy', policyDocument: NEW_DOCUMENT },
    before: NONE,
    expected: {
      supported: true,
      steps: [{ action: 'iam:DeleteUserPolicy', params: { UserName: 'bob', PolicyName: 'Deploy' } }],
      cli: ['aws iam delete-user-policy --user-name bob --policy-name Deploy'],
    },
  },
  {
    behaviour: 'deletes an inline group policy that the call created',
    eventName: 'PutGroupPolicy',
    request: { groupName: 'admins', policyName: 'Deploy', policyDocument: NEW_DOCUMENT },
    before: NONE,
    expected: {
      supported: true,
      steps: [{ action: 'iam:DeleteGroupPolicy', params: { GroupName: 'admins', PolicyName: 'Deploy' } }],
      cli: ['aws iam delete-group-policy --group-name admins --policy-name Deploy'],
    },
  },
  {
    behaviour: 'needs the previous document of an inline group policy when it is unknown',
    eventName: 'PutGroupPolicy',
    request: { groupName: 'admins', policyName: 'Deploy', policyDocument: NEW_DOCUMENT },
    before: UNKNOWN,
    expected: {
      supported: true,
      steps: [
        {
          action: 'iam:PutGroupPolicy',
          params: { GroupName: 'admins', PolicyName: 'Deploy', PolicyDocument: '<previous-document>' },
        },
      ],
      cli: [
        'aws iam put-group-policy --group-name admins --policy-name Deploy --policy-document <previous-document>',
      ],
      needs: ['previous-document'],
      notes: [
        'if the inline policy Deploy was new (nothing before it), the revert is iam:DeleteGroupPolicy instead',
      ],
    },
  },

  // Delete…Policy
  {
    behaviour: 'puts back a deleted inline role policy when its document is known',
    eventName: 'DeleteRolePolicy',
    request: { roleName: 'ci-runner', policyName: 'Deploy' },
    before: KNOWN,
    expected: {
      supported: true,
      steps: [
        {
          action: 'iam:PutRolePolicy',
          params: { RoleName: 'ci-runner', PolicyName: 'Deploy', PolicyDocument: READ_ONLY_JSON },
        },
      ],
      cli: [
        `aws iam put-role-policy --role-name ci-runner --policy-name Deploy --policy-document '${READ_ONLY_JSON}'`,
      ],
    },
  },
  {
    behaviour: 'needs the document of a deleted inline role policy when it is unknown',
    eventName: 'DeleteRolePolicy',
    request: { roleName: 'ci-runner', policyName: 'Deploy' },
    before: UNKNOWN,
    expected: {
      supported: true,
      steps: [
        {
          action: 'iam:PutRolePolicy',
          params: { RoleName: 'ci-runner', PolicyName: 'Deploy', PolicyDocument: '<previous-document>' },
        },
      ],
      cli: [
        'aws iam put-role-policy --role-name ci-runner --policy-name Deploy --policy-document <previous-document>',
      ],
      needs: ['previous-document'],
    },
  },
  {
    behaviour: 'refuses to restore a deleted inline role policy when nothing was there',
    eventName: 'DeleteRolePolicy',
    request: { roleName: 'ci-runner', policyName: 'Deploy' },
    before: NONE,
    expected: refused(
      'there was no inline policy Deploy on role ci-runner before the call: nothing to restore',
    ),
  },
  {
    behaviour: 'puts back a deleted inline user policy when its document is known',
    eventName: 'DeleteUserPolicy',
    request: { userName: 'bob', policyName: 'Deploy' },
    before: KNOWN,
    expected: {
      supported: true,
      steps: [
        {
          action: 'iam:PutUserPolicy',
          params: { UserName: 'bob', PolicyName: 'Deploy', PolicyDocument: READ_ONLY_JSON },
        },
      ],
      cli: [
        `aws iam put-user-policy --user-name bob --policy-name Deploy --policy-document '${READ_ONLY_JSON}'`,
      ],
    },
  },
  {
    behaviour: 'needs the document of a deleted inline group policy when it is unknown',
    eventName: 'DeleteGroupPolicy',
    request: { groupName: 'admins', policyName: 'Deploy' },
    expected: {
      supported: true,
      steps: [
        {
          action: 'iam:PutGroupPolicy',
          params: { GroupName: 'admins', PolicyName: 'Deploy', PolicyDocument: '<previous-document>' },
        },
      ],
      cli: [
        'aws iam put-group-policy --group-name admins --policy-name Deploy --policy-document <previous-document>',
      ],
      needs: ['previous-document'],
    },
  },

  // CreatePolicy / DeletePolicy
  {
    behaviour: 'deletes a created managed policy, noting what IAM refuses',
    eventName: 'CreatePolicy',
    request: { policyName: 'Deploy', path: '/team/', policyDocument: NEW_DOCUMENT },
    overrides: {
      responseElements: {
        policy: {
          policyName: 'Deploy',
          policyId: 'ANPAEXAMPLE',
          arn: DEPLOY,
          path: '/team/',
          defaultVersionId: 'v1',
        },
      },
    },
    before: UNKNOWN,
    expected: {
      supported: true,
      steps: [{ action: 'iam:DeletePolicy', params: { PolicyArn: DEPLOY } }],
      cli: [`aws iam delete-policy --policy-arn ${DEPLOY}`],
      notes: CREATE_POLICY_NOTES,
    },
  },
  {
    behaviour:
      'deletes a created managed policy by the ARN built from account, path and name when the response is absent',
    eventName: 'CreatePolicy',
    request: { policyName: 'Deploy', path: '/team/', policyDocument: NEW_DOCUMENT },
    expected: {
      supported: true,
      steps: [{ action: 'iam:DeletePolicy', params: { PolicyArn: DEPLOY } }],
      cli: [`aws iam delete-policy --policy-arn ${DEPLOY}`],
      notes: CREATE_POLICY_NOTES,
    },
  },
  {
    behaviour: 're-creates a deleted managed policy with its name, path and previous document',
    eventName: 'DeletePolicy',
    request: { policyArn: DEPLOY },
    before: KNOWN,
    expected: {
      supported: true,
      steps: [
        {
          action: 'iam:CreatePolicy',
          params: { PolicyName: 'Deploy', Path: '/team/', PolicyDocument: READ_ONLY_JSON },
        },
      ],
      cli: [`aws iam create-policy --policy-name Deploy --path /team/ --policy-document '${READ_ONLY_JSON}'`],
      notes: [DELETE_POLICY_NOTE],
    },
  },
  {
    behaviour: 'needs the document of a deleted managed policy when it is unknown',
    eventName: 'DeletePolicy',
    request: { policyArn: 'arn:aws:iam::111122223333:policy/Deploy' },
    before: UNKNOWN,
    expected: {
      supported: true,
      steps: [
        {
          action: 'iam:CreatePolicy',
          params: { PolicyName: 'Deploy', Path: '/', PolicyDocument: '<previous-document>' },
        },
      ],
      cli: ['aws iam create-policy --policy-name Deploy --path / --policy-document <previous-document>'],
      needs: ['previous-document'],
      notes: [DELETE_POLICY_NOTE],
    },
  },
  {
    behaviour: 'refuses to re-create a deleted managed policy when it had no document',
    eventName: 'DeletePolicy',
    request: { policyArn: DEPLOY },
    before: NONE,
    expected: refused('there was no document of managed policy Deploy before the call: nothing to restore'),
  },

  // CreatePolicyVersion
  {
    behaviour: 'restores the previous default version and deletes a new default version',
    eventName: 'CreatePolicyVersion',
    request: { policyArn: DEPLOY, policyDocument: NEW_DOCUMENT, setAsDefault: true },
    overrides: { responseElements: { policyVersion: { versionId: 'v3', isDefaultVersion: true } } },
    before: { previousDefaultVersionId: 'v2' },
    expected: {
      supported: true,
      steps: [
        { action: 'iam:SetDefaultPolicyVersion', params: { PolicyArn: DEPLOY, VersionId: 'v2' } },
        { action: 'iam:DeletePolicyVersion', params: { PolicyArn: DEPLOY, VersionId: 'v3' } },
      ],
      cli: [
        `aws iam set-default-policy-version --policy-arn ${DEPLOY} --version-id v2`,
        `aws iam delete-policy-version --policy-arn ${DEPLOY} --version-id v3`,
      ],
    },
  },
  {
    behaviour: 'needs the previous default version when a new default version replaced an unknown one',
    eventName: 'CreatePolicyVersion',
    request: { policyArn: DEPLOY, policyDocument: NEW_DOCUMENT, setAsDefault: true },
    overrides: { responseElements: { policyVersion: { versionId: 'v3', isDefaultVersion: true } } },
    before: UNKNOWN,
    expected: {
      supported: true,
      steps: [
        {
          action: 'iam:SetDefaultPolicyVersion',
          params: { PolicyArn: DEPLOY, VersionId: '<previous-default-version>' },
        },
        { action: 'iam:DeletePolicyVersion', params: { PolicyArn: DEPLOY, VersionId: 'v3' } },
      ],
      cli: [
        `aws iam set-default-policy-version --policy-arn ${DEPLOY} --version-id <previous-default-version>`,
        `aws iam delete-policy-version --policy-arn ${DEPLOY} --version-id v3`,
      ],
      needs: ['previous-default-version'],
    },
  },
  {
    behaviour: 'only deletes a new version that did not become the default',
    eventName: 'CreatePolicyVersion',
    request: { policyArn: DEPLOY, policyDocument: NEW_DOCUMENT, setAsDefault: false },
    overrides: { responseElements: { policyVersion: { versionId: 'v3', isDefaultVersion: false } } },
    before: UNKNOWN,
    expected: {
      supported: true,
      steps: [{ action: 'iam:DeletePolicyVersion', params: { PolicyArn: DEPLOY, VersionId: 'v3' } }],
      cli: [`aws iam delete-policy-version --policy-arn ${DEPLOY} --version-id v3`],
    },
  },
  {
    behaviour: 'refuses to delete a new version whose id the record does not give',
    eventName: 'CreatePolicyVersion',
    request: { policyArn: DEPLOY, policyDocument: NEW_DOCUMENT, setAsDefault: true },
    before: { previousDefaultVersionId: 'v2' },
    expected: refused(
      'the record does not say which version was created (no responseElements): find it with aws iam list-policy-versions and undo it by hand',
    ),
  },

  // DeletePolicyVersion / SetDefaultPolicyVersion
  {
    behaviour: 're-creates a deleted policy version from its document, not as default',
    eventName: 'DeletePolicyVersion',
    request: { policyArn: DEPLOY, versionId: 'v2' },
    before: KNOWN,
    expected: {
      supported: true,
      steps: [
        {
          action: 'iam:CreatePolicyVersion',
          params: { PolicyArn: DEPLOY, PolicyDocument: READ_ONLY_JSON, SetAsDefault: false },
        },
      ],
      cli: [
        `aws iam create-policy-version --policy-arn ${DEPLOY} --policy-document '${READ_ONLY_JSON}' --no-set-as-default`,
      ],
      notes: ['the re-created version gets a new version id, not v2'],
    },
  },
  {
    behaviour: 'needs the document of a deleted policy version when it is unknown',
    eventName: 'DeletePolicyVersion',
    request: { policyArn: DEPLOY, versionId: 'v2' },
    before: UNKNOWN,
    expected: {
      supported: true,
      steps: [
        {
          action: 'iam:CreatePolicyVersion',
          params: { PolicyArn: DEPLOY, PolicyDocument: '<previous-document>', SetAsDefault: false },
        },
      ],
      cli: [
        `aws iam create-policy-version --policy-arn ${DEPLOY} --policy-document <previous-document> --no-set-as-default`,
      ],
      needs: ['previous-document'],
      notes: ['the re-created version gets a new version id, not v2'],
    },
  },
  {
    behaviour: 'sets the previous default version back',
    eventName: 'SetDefaultPolicyVersion',
    request: { policyArn: DEPLOY, versionId: 'v3' },
    before: { previousDefaultVersionId: 'v2' },
    expected: {
      supported: true,
      steps: [{ action: 'iam:SetDefaultPolicyVersion', params: { PolicyArn: DEPLOY, VersionId: 'v2' } }],
      cli: [`aws iam set-default-policy-version --policy-arn ${DEPLOY} --version-id v2`],
    },
  },
  {
    behaviour: 'needs the previous default version when it is unknown',
    eventName: 'SetDefaultPolicyVersion',
    request: { policyArn: DEPLOY, versionId: 'v3' },
    before: UNKNOWN,
    expected: {
      supported: true,
      steps: [
        {
          action: 'iam:SetDefaultPolicyVersion',
          params: { PolicyArn: DEPLOY, VersionId: '<previous-default-version>' },
        },
      ],
      cli: [
        `aws iam set-default-policy-version --policy-arn ${DEPLOY} --version-id <previous-default-version>`,
      ],
      needs: ['previous-default-version'],
    },
  },
  {
    behaviour: 'refuses when the version set as default already was the default',
    eventName: 'SetDefaultPolicyVersion',
    request: { policyArn: DEPLOY, versionId: 'v3' },
    before: { previousDefaultVersionId: 'v3' },
    expected: refused('v3 was already the default version: nothing changed, nothing to revert'),
  },

  // UpdateAssumeRolePolicy
  {
    behaviour: 'restores the previous trust policy of a role',
    eventName: 'UpdateAssumeRolePolicy',
    request: { roleName: 'ci-runner', policyDocument: NEW_DOCUMENT },
    before: { previousDocument: TRUST },
    expected: {
      supported: true,
      steps: [
        {
          action: 'iam:UpdateAssumeRolePolicy',
          params: { RoleName: 'ci-runner', PolicyDocument: TRUST_JSON },
        },
      ],
      cli: [`aws iam update-assume-role-policy --role-name ci-runner --policy-document '${TRUST_JSON}'`],
    },
  },
  {
    behaviour: 'needs the previous trust policy when it is unknown',
    eventName: 'UpdateAssumeRolePolicy',
    request: { roleName: 'ci-runner', policyDocument: NEW_DOCUMENT },
    before: UNKNOWN,
    expected: {
      supported: true,
      steps: [
        {
          action: 'iam:UpdateAssumeRolePolicy',
          params: { RoleName: 'ci-runner', PolicyDocument: '<previous-document>' },
        },
      ],
      cli: ['aws iam update-assume-role-policy --role-name ci-runner --policy-document <previous-document>'],
      needs: ['previous-document'],
    },
  },
  {
    behaviour: 'refuses to restore a trust policy when there was none',
    eventName: 'UpdateAssumeRolePolicy',
    request: { roleName: 'ci-runner', policyDocument: NEW_DOCUMENT },
    before: NONE,
    expected: refused('there was no trust policy on role ci-runner before the call: nothing to restore'),
  },

  // No safe inverse
  {
    behaviour: 'offers no revert for a call with no safe inverse',
    eventName: 'CreateUser',
    request: { userName: 'mallory' },
    before: KNOWN,
    expected: refused('CreateUser has no safe automatic inverse: review and undo it by hand'),
  },
  {
    behaviour: 'offers no revert for an access key',
    eventName: 'CreateAccessKey',
    request: { userName: 'bob' },
    expected: refused('CreateAccessKey has no safe automatic inverse: review and undo it by hand'),
  },

  // Failed calls
  {
    behaviour: 'offers no revert for a call that was denied',
    eventName: 'AttachRolePolicy',
    request: { roleName: 'ci-runner', policyArn: ADMIN },
    overrides: { errorCode: 'AccessDenied', errorMessage: 'User: alice is not authorized' },
    expected: refused('the call failed (AccessDenied): nothing changed, nothing to revert'),
  },
  {
    behaviour: 'offers no revert for a failed call that recorded no request',
    eventName: 'PutRolePolicy',
    request: null,
    overrides: { errorCode: 'MalformedPolicyDocumentException' },
    before: KNOWN,
    expected: refused(
      'the call failed (MalformedPolicyDocumentException): nothing changed, nothing to revert',
    ),
  },
  {
    behaviour: 'offers no revert for a failed call with no safe inverse either',
    eventName: 'CreateUser',
    request: { userName: 'mallory' },
    overrides: { errorCode: 'EntityAlreadyExists' },
    expected: refused('the call failed (EntityAlreadyExists): nothing changed, nothing to revert'),
  },

  // Missing names
  {
    behaviour: 'refuses when the record does not name the role',
    eventName: 'AttachRolePolicy',
    request: { policyArn: ADMIN },
    expected: refused('the record is missing the role name (roleName): no revert can be planned'),
  },
  {
    behaviour: 'names every missing value when the record names neither the group nor the policy',
    eventName: 'DetachGroupPolicy',
    request: {},
    expected: refused(
      'the record is missing the group name (groupName) and the policy ARN (policyArn): no revert can be planned',
    ),
  },
  {
    behaviour: 'refuses when the record does not name the inline policy',
    eventName: 'PutUserPolicy',
    request: { userName: 'bob', policyDocument: NEW_DOCUMENT },
    before: KNOWN,
    expected: refused('the record is missing the inline policy name (policyName): no revert can be planned'),
  },
  {
    behaviour: 'refuses a created policy whose ARN cannot be known',
    eventName: 'CreatePolicy',
    request: { policyDocument: NEW_DOCUMENT },
    expected: refused('the record is missing the policy ARN (policyArn): no revert can be planned'),
  },
  {
    behaviour: 'refuses a deleted policy the record does not name',
    eventName: 'DeletePolicy',
    request: {},
    before: KNOWN,
    expected: refused('the record is missing the policy ARN (policyArn): no revert can be planned'),
  },
  {
    behaviour: 'refuses a new policy version when the record does not name the policy',
    eventName: 'CreatePolicyVersion',
    request: { policyDocument: NEW_DOCUMENT },
    overrides: { responseElements: { policyVersion: { versionId: 'v3', isDefaultVersion: false } } },
    expected: refused('the record is missing the policy ARN (policyArn): no revert can be planned'),
  },
  {
    behaviour: 'refuses a trust policy update when the record does not name the role',
    eventName: 'UpdateAssumeRolePolicy',
    request: { policyDocument: NEW_DOCUMENT },
    before: { previousDocument: TRUST },
    expected: refused('the record is missing the role name (roleName): no revert can be planned'),
  },
];

describe('planRevert', () => {
  it.each(rows)('$behaviour ($eventName)', ({ eventName, request, overrides, before, expected }) => {
    const change = changeOf(eventName, request, overrides);
    expect(planRevert(change, before)).toStrictEqual(expected);
  });

  it('single-quotes a previous document containing a single quote so the CLI line is safe to paste', () => {
    const previous: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['s3:GetObject'],
          Resource: ["arn:aws:s3:::team-o'brien/*"],
        },
      ],
    };
    const change = changeOf('PutRolePolicy', {
      roleName: 'ci-runner',
      policyName: 'Deploy',
      policyDocument: NEW_DOCUMENT,
    });

    const plan = planRevert(change, { previousDocument: previous });

    expect(plan.steps).toStrictEqual([
      {
        action: 'iam:PutRolePolicy',
        params: {
          RoleName: 'ci-runner',
          PolicyName: 'Deploy',
          PolicyDocument:
            '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::team-o\'brien/*"]}]}',
        },
      },
    ]);
    expect(plan.cli).toStrictEqual([
      "aws iam put-role-policy --role-name ci-runner --policy-name Deploy --policy-document '" +
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::team-o' +
        "'\\''" +
        'brien/*"]}]}' +
        "'",
    ]);
  });

  it.each(rows)(
    'renders its CLI lines from its steps ($behaviour)',
    ({ eventName, request, overrides, before }) => {
      const plan = planRevert(changeOf(eventName, request, overrides), before);
      expect(plan.cli).toStrictEqual(plan.steps.map(toCliCommand));
    },
  );
});

/** The arguments a POSIX shell splits a CLI line into (after `aws`), read back through `printf`. */
function shellWords(line: string): string[] {
  const output = execFileSync('sh', ['-c', line.replace(/^aws /, `printf '%s\\0' `)], { encoding: 'utf8' });
  return output.split('\0').slice(0, -1);
}

describe('toCliCommand', () => {
  it.each<{ behaviour: string; step: RevertStep; line: string }>([
    {
      behaviour: 'turns the action and parameter names into kebab-case',
      step: { action: 'iam:DetachRolePolicy', params: { RoleName: 'ci-runner', PolicyArn: ADMIN } },
      line: `aws iam detach-role-policy --role-name ci-runner --policy-arn ${ADMIN}`,
    },
    {
      behaviour: 'splits acronyms in names as the AWS CLI does',
      step: {
        action: 'iam:UpdateSAMLProvider',
        params: { SAMLProviderArn: 'arn:aws:iam::111122223333:saml-provider/Okta' },
      },
      line: 'aws iam update-saml-provider --saml-provider-arn arn:aws:iam::111122223333:saml-provider/Okta',
    },
    {
      behaviour: 'renders true as a flag',
      step: { action: 'iam:CreatePolicyVersion', params: { PolicyArn: DEPLOY, SetAsDefault: true } },
      line: `aws iam create-policy-version --policy-arn ${DEPLOY} --set-as-default`,
    },
    {
      behaviour: 'renders false as a no- flag',
      step: { action: 'iam:CreatePolicyVersion', params: { PolicyArn: DEPLOY, SetAsDefault: false } },
      line: `aws iam create-policy-version --policy-arn ${DEPLOY} --no-set-as-default`,
    },
    {
      behaviour: 'prints placeholders as they are',
      step: {
        action: 'iam:SetDefaultPolicyVersion',
        params: { PolicyArn: DEPLOY, VersionId: '<previous-default-version>' },
      },
      line: `aws iam set-default-policy-version --policy-arn ${DEPLOY} --version-id <previous-default-version>`,
    },
    {
      behaviour: 'single-quotes values with shell-special characters',
      step: { action: 'iam:TagRole', params: { RoleName: 'ci runner', Note: '$(rm -rf ~); `id` & "x"' } },
      line: `aws iam tag-role --role-name 'ci runner' --note '$(rm -rf ~); \`id\` & "x"'`,
    },
    {
      behaviour: 'quotes an empty value so it stays an argument',
      step: { action: 'iam:TagRole', params: { RoleName: 'ci-runner', Note: '' } },
      line: "aws iam tag-role --role-name ci-runner --note ''",
    },
    {
      behaviour: "escapes single quotes as '\\''",
      step: {
        action: 'iam:PutRolePolicy',
        params: { RoleName: 'ci-runner', PolicyDocument: `{"a":"it's"}` },
      },
      line: `aws iam put-role-policy --role-name ci-runner --policy-document '{"a":"it'\\''s"}'`,
    },
  ])('$behaviour', ({ step, line }) => {
    expect(toCliCommand(step)).toBe(line);
  });

  it('gives a shell exactly the values of the step, whatever characters they hold', () => {
    fc.assert(
      fc.property(
        fc
          .oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.json())
          .filter((value) => !value.includes('\0') && !/^<[a-z-]+>$/.test(value)),
        (value) => {
          const line = toCliCommand({
            action: 'iam:PutRolePolicy',
            params: { RoleName: 'ci-runner', PolicyDocument: value },
          });
          expect(shellWords(line)).toStrictEqual([
            'iam',
            'put-role-policy',
            '--role-name',
            'ci-runner',
            '--policy-document',
            value,
          ]);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('protectedTarget', () => {
  const guard = {
    protectedPrincipals: ['arn:aws:iam::*:role/break-glass*', 'arn:aws:iam::111122223333:user/admin'],
    botRoleName: (name: string) => name.startsWith('iam-changes-') || name === 'iam-changes-responder',
  };
  const changeOn = (eventName: string, params: Record<string, unknown>) =>
    changeOf(eventName, params, { recipientAccountId: '111122223333' });

  it.each([
    [
      'a break-glass role',
      changeOn('AttachRolePolicy', { roleName: 'break-glass-1', policyArn: 'p' }),
      /protected principal/,
    ],
    [
      'a protected user',
      changeOn('PutUserPolicy', { userName: 'admin', policyName: 'x', policyDocument: '{}' }),
      /protected principal/,
    ],
    [
      "the bot's worker role",
      changeOn('DetachRolePolicy', { roleName: 'iam-changes-worker-prod', policyArn: 'p' }),
      /bot's own roles/,
    ],
    ['an ordinary role', changeOn('AttachRolePolicy', { roleName: 'app', policyArn: 'p' }), undefined],
    [
      'a user named like a protected role',
      changeOn('AttachUserPolicy', { userName: 'break-glass-1', policyArn: 'p' }),
      undefined,
    ],
    [
      'a managed policy',
      changeOn('CreatePolicyVersion', {
        policyArn: 'arn:aws:iam::111122223333:policy/iam-changes-x',
        policyDocument: '{}',
      }),
      undefined,
    ],
  ])('%s', (_name, change, expected) => {
    const found = protectedTarget(change, guard);
    if (expected === undefined) expect(found).toBeUndefined();
    else expect(found).toMatch(expected);
  });
});

describe('protectedAttachment', () => {
  const guard = {
    protectedPrincipals: ['arn:aws:iam::*:role/break-glass*', 'arn:aws:iam::111122223333:user/admin'],
    botRoleName: (name: string) => name.startsWith('iam-changes-'),
  };
  const versionOf = changeOf(
    'CreatePolicyVersion',
    { policyArn: 'arn:aws:iam::111122223333:policy/Shared', policyDocument: '{}', setAsDefault: true },
    { recipientAccountId: '111122223333' },
  );
  const none = { roles: [], users: [], groups: [] };

  it.each([
    ['attached to nothing', versionOf, none, undefined],
    [
      'attached to ordinary principals',
      versionOf,
      { roles: ['app'], users: ['bob'], groups: ['devs'] },
      undefined,
    ],
    [
      'attached to a break-glass role',
      versionOf,
      { ...none, roles: ['app', 'break-glass-2'] },
      /role break-glass-2, a protected principal/,
    ],
    [
      'attached to a protected user',
      versionOf,
      { ...none, users: ['admin'] },
      /user admin, a protected principal/,
    ],
    [
      "attached to the bot's worker role",
      versionOf,
      { ...none, roles: ['iam-changes-worker-prod'] },
      /bot's own roles/,
    ],
    ['a group named like a protected user', versionOf, { ...none, groups: ['admin'] }, undefined],
    [
      'protected in another account only',
      changeOf(
        'SetDefaultPolicyVersion',
        { policyArn: 'arn:aws:iam::444455556666:policy/Shared', versionId: 'v1' },
        { recipientAccountId: '444455556666' },
      ),
      { ...none, users: ['admin'] },
      undefined,
    ],
    [
      'an attach (its principal is checked by protectedTarget)',
      changeOf('AttachRolePolicy', { roleName: 'app', policyArn: 'arn:aws:iam::111122223333:policy/Shared' }),
      { ...none, roles: ['break-glass-1'] },
      undefined,
    ],
  ])('%s', (_name, change, attachedTo, expected) => {
    const found = protectedAttachment(change, attachedTo, guard);
    if (expected === undefined) expect(found).toBeUndefined();
    else expect(found).toMatch(expected);
  });
});
