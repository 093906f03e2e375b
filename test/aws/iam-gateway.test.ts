/**
 * AwsIamGateway against a real moto_server: every read the revert, drift and quarantine paths make, and every
 * step planRevert emits, sent through the SDK and read back.
 */
import {
  AddUserToGroupCommand,
  AttachGroupPolicyCommand,
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  CreateUserCommand,
  GetPolicyCommand,
  IAMClient,
  PutGroupPolicyCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IamCallError, type IamEntity, RevertStepError } from '../../src/app/iam-port';
import { AwsIamGateway } from '../../src/aws/iam-gateway';
import { PLACEHOLDERS } from '../../src/domain/revert';
import type { PolicyDocument, RevertStep } from '../../src/domain/types';
import { awsTestEnv, type MotoServer, startMoto } from '../support/moto';

const ACCOUNT = '123456789012';
const READ_S3: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['*'] }],
};
const WRITE_S3: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['s3:PutObject'], Resource: ['arn:aws:s3:::bucket/*'] }],
};
const TRUST_EC2: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: ['ec2.amazonaws.com'] }, Action: ['sts:AssumeRole'] }],
};
const TRUST_LAMBDA: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Principal: { Service: ['lambda.amazonaws.com'] }, Action: ['sts:AssumeRole'] },
  ],
};
const READ_ONLY_ACCESS = 'arn:aws:iam::aws:policy/ReadOnlyAccess';

let moto: MotoServer;
let client: IAMClient;
let gateway: AwsIamGateway;
let counter = 0;

beforeAll(async () => {
  moto = await startMoto();
  client = new IAMClient(awsTestEnv(moto.endpoint));
  gateway = new AwsIamGateway(client);
});

afterAll(async () => {
  client?.destroy();
  await moto?.stop();
});

function unique(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}`;
}

async function role(trust: PolicyDocument = TRUST_EC2): Promise<string> {
  const name = unique('role');
  await client.send(
    new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: JSON.stringify(trust) }),
  );
  return name;
}

async function user(): Promise<string> {
  const name = unique('user');
  await client.send(new CreateUserCommand({ UserName: name }));
  return name;
}

async function group(): Promise<string> {
  const name = unique('group');
  await client.send(new CreateGroupCommand({ GroupName: name }));
  return name;
}

async function managedPolicy(document: PolicyDocument = READ_S3, path = '/'): Promise<string> {
  const output = await client.send(
    new CreatePolicyCommand({
      PolicyName: unique('policy'),
      Path: path,
      PolicyDocument: JSON.stringify(document),
    }),
  );
  return output.Policy?.Arn ?? '';
}

async function entityOf(kind: IamEntity['kind']): Promise<IamEntity> {
  if (kind === 'role') return { kind, name: await role() };
  if (kind === 'user') return { kind, name: await user() };
  return { kind, name: await group() };
}

describe('AwsIamGateway', () => {
  describe('reads', () => {
    it.each(['role', 'user', 'group'] as const)(
      'reads the URL-encoded inline policy of a %s as a parsed document',
      async (kind) => {
        const entity = await entityOf(kind);
        const input = { PolicyName: 'inline', PolicyDocument: JSON.stringify(READ_S3) };
        if (kind === 'role') await client.send(new PutRolePolicyCommand({ RoleName: entity.name, ...input }));
        if (kind === 'user') await client.send(new PutUserPolicyCommand({ UserName: entity.name, ...input }));
        if (kind === 'group')
          await client.send(new PutGroupPolicyCommand({ GroupName: entity.name, ...input }));

        await expect(gateway.getInlinePolicy(entity, 'inline')).resolves.toEqual(READ_S3);
      },
    );

    it('gives null for an inline policy that does not exist, or whose entity does not exist', async () => {
      const entity: IamEntity = { kind: 'role', name: await role() };
      await expect(gateway.getInlinePolicy(entity, 'missing')).resolves.toBeNull();
      await expect(
        gateway.getInlinePolicy({ kind: 'user', name: 'nobody-here' }, 'inline'),
      ).resolves.toBeNull();
    });

    it.each(['role', 'user', 'group'] as const)(
      'lists the managed policies attached to a %s',
      async (kind) => {
        const entity = await entityOf(kind);
        const arn = await managedPolicy();
        if (kind === 'role')
          await client.send(new AttachRolePolicyCommand({ RoleName: entity.name, PolicyArn: arn }));
        if (kind === 'user')
          await client.send(new AttachUserPolicyCommand({ UserName: entity.name, PolicyArn: arn }));
        if (kind === 'group')
          await client.send(new AttachGroupPolicyCommand({ GroupName: entity.name, PolicyArn: arn }));

        const attached = await gateway.listAttachedPolicies(entity);
        expect(attached).toEqual([{ arn, name: arn.slice(arn.lastIndexOf('/') + 1) }]);
      },
    );

    it('throws IamCallError NoSuchEntity when listing the policies of an entity that does not exist', async () => {
      const error = await gateway
        .listAttachedPolicies({ kind: 'role', name: 'no-such-role' })
        .catch((e) => e);
      expect(error).toBeInstanceOf(IamCallError);
      expect(error).toMatchObject({ code: 'NoSuchEntity', action: 'iam:ListAttachedRolePolicies' });
    });

    it('describes a managed policy (AWS managed ones included) and gives null for one that does not exist', async () => {
      const arn = await managedPolicy(READ_S3, '/team/');
      await expect(gateway.getManagedPolicy(arn)).resolves.toMatchObject({
        arn,
        path: '/team/',
        defaultVersionId: 'v1',
        attachmentCount: 0,
      });
      await expect(gateway.getManagedPolicy(READ_ONLY_ACCESS)).resolves.toMatchObject({
        arn: READ_ONLY_ACCESS,
        name: 'ReadOnlyAccess',
      });
      await expect(gateway.getManagedPolicy(`arn:aws:iam::${ACCOUNT}:policy/none`)).resolves.toBeNull();
    });

    it('lists policy versions and reads one with its document; null when the version or policy is gone', async () => {
      const arn = await managedPolicy(READ_S3);
      await client.send(
        new CreatePolicyVersionCommand({
          PolicyArn: arn,
          PolicyDocument: JSON.stringify(WRITE_S3),
          SetAsDefault: true,
        }),
      );

      const versions = await gateway.listPolicyVersions(arn);
      expect(versions?.map((version) => [version.versionId, version.isDefault]).sort()).toEqual([
        ['v1', false],
        ['v2', true],
      ]);
      expect(versions?.every((version) => typeof version.createDate === 'string')).toBe(true);
      await expect(gateway.getPolicyVersion(arn, 'v1')).resolves.toMatchObject({
        versionId: 'v1',
        isDefault: false,
        document: READ_S3,
      });
      await expect(gateway.getPolicyVersion(arn, 'v9')).resolves.toBeNull();
      await expect(gateway.listPolicyVersions(`arn:aws:iam::${ACCOUNT}:policy/none`)).resolves.toBeNull();
    });

    it('lists the roles, users and groups a policy is attached to', async () => {
      const arn = await managedPolicy();
      const [roleName, userName, groupName] = [await role(), await user(), await group()];
      await client.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: arn }));
      await client.send(new AttachUserPolicyCommand({ UserName: userName, PolicyArn: arn }));
      await client.send(new AttachGroupPolicyCommand({ GroupName: groupName, PolicyArn: arn }));
      await client.send(new AddUserToGroupCommand({ GroupName: groupName, UserName: userName }));

      await expect(gateway.listPolicyAttachments(arn)).resolves.toEqual({
        roles: [roleName],
        users: [userName],
        groups: [groupName],
      });
      await expect(gateway.listPolicyAttachments(await managedPolicy())).resolves.toEqual({
        roles: [],
        users: [],
        groups: [],
      });
    });

    it("reads a role's trust policy, and null when the role does not exist", async () => {
      const name = await role(TRUST_LAMBDA);
      await expect(gateway.getRoleTrustPolicy(name)).resolves.toEqual(TRUST_LAMBDA);
      await expect(gateway.getRoleTrustPolicy('no-such-role')).resolves.toBeNull();
    });
  });

  describe('execute', () => {
    it.each(['Role', 'User', 'Group'] as const)(
      'attaches, detaches, puts and deletes policies of a %s',
      async (kind) => {
        const entity = await entityOf(kind.toLowerCase() as IamEntity['kind']);
        const nameParam = `${kind}Name`;
        const arn = await managedPolicy();

        await gateway.execute({
          action: `iam:Attach${kind}Policy`,
          params: { [nameParam]: entity.name, PolicyArn: arn },
        });
        expect((await gateway.listAttachedPolicies(entity)).map((policy) => policy.arn)).toEqual([arn]);
        await gateway.execute({
          action: `iam:Detach${kind}Policy`,
          params: { [nameParam]: entity.name, PolicyArn: arn },
        });
        expect(await gateway.listAttachedPolicies(entity)).toEqual([]);

        await gateway.execute({
          action: `iam:Put${kind}Policy`,
          params: {
            [nameParam]: entity.name,
            PolicyName: 'inline',
            PolicyDocument: JSON.stringify(WRITE_S3),
          },
        });
        await expect(gateway.getInlinePolicy(entity, 'inline')).resolves.toEqual(WRITE_S3);
        await gateway.execute({
          action: `iam:Delete${kind}Policy`,
          params: { [nameParam]: entity.name, PolicyName: 'inline' },
        });
        await expect(gateway.getInlinePolicy(entity, 'inline')).resolves.toBeNull();
      },
    );

    it('creates and deletes a managed policy, and manages its versions', async () => {
      const name = unique('created');
      const arn = `arn:aws:iam::${ACCOUNT}:policy/restored/${name}`;
      await gateway.execute({
        action: 'iam:CreatePolicy',
        params: { PolicyName: name, Path: '/restored/', PolicyDocument: JSON.stringify(READ_S3) },
      });
      await expect(gateway.getManagedPolicy(arn)).resolves.toMatchObject({ path: '/restored/' });

      await gateway.execute({
        action: 'iam:CreatePolicyVersion',
        params: { PolicyArn: arn, PolicyDocument: JSON.stringify(WRITE_S3), SetAsDefault: false },
      });
      await expect(gateway.getManagedPolicy(arn)).resolves.toMatchObject({ defaultVersionId: 'v1' });
      await gateway.execute({
        action: 'iam:SetDefaultPolicyVersion',
        params: { PolicyArn: arn, VersionId: 'v2' },
      });
      await expect(gateway.getManagedPolicy(arn)).resolves.toMatchObject({ defaultVersionId: 'v2' });
      await gateway.execute({
        action: 'iam:DeletePolicyVersion',
        params: { PolicyArn: arn, VersionId: 'v1' },
      });
      expect((await gateway.listPolicyVersions(arn))?.map((version) => version.versionId)).toEqual(['v2']);

      await gateway.execute({ action: 'iam:DeletePolicy', params: { PolicyArn: arn } });
      await expect(gateway.getManagedPolicy(arn)).resolves.toBeNull();
    });

    it("updates a role's trust policy", async () => {
      const name = await role(TRUST_EC2);
      await gateway.execute({
        action: 'iam:UpdateAssumeRolePolicy',
        params: { RoleName: name, PolicyDocument: JSON.stringify(TRUST_LAMBDA) },
      });
      await expect(gateway.getRoleTrustPolicy(name)).resolves.toEqual(TRUST_LAMBDA);
    });

    it("names IAM's refusals by their AWS error name: DeleteConflict, LimitExceeded, NoSuchEntity", async () => {
      const arn = await managedPolicy();
      const conflict = await gateway
        .execute({ action: 'iam:DeletePolicyVersion', params: { PolicyArn: arn, VersionId: 'v1' } })
        .catch((error: unknown) => error);
      expect(conflict).toMatchObject({ name: 'IamCallError', code: 'DeleteConflict' });

      for (let index = 0; index < 4; index += 1) {
        await gateway.execute({
          action: 'iam:CreatePolicyVersion',
          params: { PolicyArn: arn, PolicyDocument: JSON.stringify(WRITE_S3), SetAsDefault: false },
        });
      }
      const limit = await gateway
        .execute({
          action: 'iam:CreatePolicyVersion',
          params: { PolicyArn: arn, PolicyDocument: JSON.stringify(WRITE_S3), SetAsDefault: false },
        })
        .catch((error: unknown) => error);
      expect(limit).toMatchObject({ code: 'LimitExceeded', action: 'iam:CreatePolicyVersion' });

      const missing = await gateway
        .execute({ action: 'iam:DetachRolePolicy', params: { RoleName: 'no-such-role', PolicyArn: arn } })
        .catch((error: unknown) => error);
      expect(missing).toBeInstanceOf(IamCallError);
      expect(missing).toMatchObject({ code: 'NoSuchEntity' });
    });

    it.each<[string, RevertStep]>([
      [
        'a placeholder',
        {
          action: 'iam:PutRolePolicy',
          params: { RoleName: 'x', PolicyName: 'p', PolicyDocument: PLACEHOLDERS['previous-document'] },
        },
      ],
      ['a missing parameter', { action: 'iam:DetachRolePolicy', params: { RoleName: 'x' } }],
      ['an action no revert sends', { action: 'iam:DeleteRole', params: { RoleName: 'x' } }],
    ])('refuses a step with %s before calling IAM', async (_what, step) => {
      await expect(gateway.execute(step)).rejects.toBeInstanceOf(RevertStepError);
    });
  });

  describe('quarantine calls', () => {
    it('creates a managed policy at a path, attaches it to a user and a role and detaches it', async () => {
      const created = await gateway.createManagedPolicy({
        name: unique('deny'),
        path: '/iam-changes/',
        document: READ_S3,
        description: 'test',
      });
      expect(created.arn).toMatch(/:policy\/iam-changes\/deny-\d+$/);
      const output = await client.send(new GetPolicyCommand({ PolicyArn: created.arn }));
      expect(output.Policy?.Path).toBe('/iam-changes/');

      for (const entity of [await entityOf('user'), await entityOf('role')]) {
        await gateway.attachManagedPolicy(entity, created.arn);
        expect((await gateway.listAttachedPolicies(entity)).map((policy) => policy.arn)).toEqual([
          created.arn,
        ]);
        await gateway.detachManagedPolicy(entity, created.arn);
        expect(await gateway.listAttachedPolicies(entity)).toEqual([]);
      }
    });
  });
});

describe('AwsIamGateway access keys', () => {
  it('lists a user’s keys and sets them Inactive and Active again', async () => {
    const name = await user();
    const created = await client.send(new CreateAccessKeyCommand({ UserName: name }));
    const id = created.AccessKey?.AccessKeyId ?? '';

    await expect(gateway.listAccessKeys(name)).resolves.toEqual([
      { id, status: 'Active', createDate: expect.any(String) },
    ]);
    await gateway.setAccessKeyStatus(name, id, 'Inactive');
    await expect(gateway.listAccessKeys(name)).resolves.toMatchObject([{ id, status: 'Inactive' }]);
    await gateway.setAccessKeyStatus(name, id, 'Active');
    await expect(gateway.listAccessKeys(name)).resolves.toMatchObject([{ id, status: 'Active' }]);
  });

  it('says NoSuchEntity for a user that does not exist', async () => {
    await expect(gateway.listAccessKeys('nobody-here')).rejects.toMatchObject({
      name: 'IamCallError',
      code: 'NoSuchEntity',
    });
  });
});
