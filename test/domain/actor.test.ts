import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  clientLabel,
  describeActorType,
  detectClient,
  isServiceSource,
  readActor,
  ssoPermissionSet,
} from '../../src/domain/actor';
import type { Actor, Client } from '../../src/domain/types';

function fixture(name: string): Record<string, unknown> {
  return JSON.parse(
    readFileSync(new URL(`../fixtures/cloudtrail/${name}.json`, import.meta.url), 'utf8'),
  ) as Record<string, unknown>;
}

const SSO_ROLE = 'AWSReservedSSO_AdministratorAccess_0123456789abcdef';

/** A record with only what the actor reader looks at. */
function callBy(
  userIdentity: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    userIdentity,
    sourceIPAddress: '198.51.100.23',
    userAgent: 'aws-cli/2.18.5 md/awscrt#0.22.0 ua/2.0 os/linux#6.8.0 md/arch#x86_64 lang/python#3.12.6',
    ...extra,
  };
}

function assumedRole(role: string, session: string | undefined, attributes?: Record<string, unknown>) {
  return {
    type: 'AssumedRole',
    principalId: `AROAEXAMPLEROLEID:${session ?? ''}`,
    arn: `arn:aws:sts::111122223333:assumed-role/${role}${session ? `/${session}` : ''}`,
    accountId: '111122223333',
    accessKeyId: 'ASIAEXAMPLESESSION1',
    ...(attributes ? { sessionContext: { attributes } } : {}),
  };
}

describe('detectClient', () => {
  it.each<[userAgent: string, client: Client]>([
    ['console.amazonaws.com', 'console'],
    ['signin.amazonaws.com', 'console'],
    ['[S3Console/0.4]', 'console'],
    // The Lambda console calls IAM through an internal Java SDK and names itself at the end.
    [
      'aws-internal/3 aws-sdk-java/1.11.1030 Linux/5.4.156-94.273.amzn2int.x86_64 OpenJDK_64-Bit_Server_VM/25.312-b07 java/1.8.0_312 vendor/Oracle_Corporation cfg/retry-mode/standard, AWSLambdaConsole/1.1',
      'console',
    ],
    ['[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.488 Linux/5.10.219 java/17.0.11]', 'console'],
    ['console.ec2.amazonaws.com', 'console'],
    ['AWSCloudFormationConsole/1.0 aws-internal/3', 'console'],
    ['ConsoleLoginHelper', 'other'],
    [
      'aws-cli/2.18.5 md/awscrt#0.22.0 ua/2.0 os/linux#6.8.0-1016-aws md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off md/command#iam.attach-role-policy',
      'aws-cli',
    ],
    ['aws-cli/1.33.44 Python/3.9.19 Linux/6.1.109-118.189.amzn2023.x86_64 botocore/1.34.162', 'aws-cli'],
    [
      'APN/1.0 HashiCorp/1.0 Terraform/1.9.5 (+https://www.terraform.io) terraform-provider-aws/5.70.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.32.2 ua/2.1 os/linux lang/go#1.23.1 md/GOOS#linux md/GOARCH#amd64 api/iam#1.37.2',
      'terraform',
    ],
    [
      'APN/1.0 HashiCorp/1.0 Terraform/1.5.7 (+https://www.terraform.io) terraform-provider-aws/4.67.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go/1.44.271 (go1.19.9; linux; amd64)',
      'terraform',
    ],
    ['cloudformation.amazonaws.com', 'cloudformation'],
    [
      'aws-cdk/2.164.1 aws-sdk-js/3.679.0 ua/2.1 os/darwin#23.6.0 lang/js md/nodejs#20.18.0 api/iam#3.679.0 m/E,N',
      'cdk',
    ],
    [
      'aws-sdk-js/3.679.0 ua/2.1 os/linux#5.10.227-219.884.amzn2.x86_64 lang/js md/nodejs#20.18.0 api/iam#3.679.0 m/E,N exec-env/AWS_Lambda_nodejs20.x',
      'sdk-js',
    ],
    ['aws-sdk-nodejs/2.1692.0 linux/v20.18.0 exec-env/AWS_Lambda_nodejs20.x promise', 'sdk-js'],
    [
      'Boto3/1.35.54 md/Botocore#1.35.54 ua/2.0 os/linux#5.10.227-219.884.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.7 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.35.54',
      'boto3',
    ],
    ['Boto3/1.26.0 Python/3.9.16 Linux/4.14.255 exec-env/AWS_Lambda_python3.9 Botocore/1.29.0', 'boto3'],
    [
      'aws-sdk-go-v2/1.32.2 ua/2.1 os/linux lang/go#1.23.2 md/GOOS#linux md/GOARCH#arm64 api/iam#1.37.2 m/E',
      'sdk-go',
    ],
    ['aws-sdk-go/1.55.5 (go1.22.7; linux; amd64) exec-env/AWS_Lambda_go1.x', 'sdk-go'],
    [
      'aws-sdk-java/2.28.16 Linux/5.10.226-214.880.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.12+7-LTS Java/17.0.12 vendor/Amazon.com_Inc. md/internal exec-env/AWS_ECS_FARGATE io/sync http/Apache cfg/retry-mode/legacy',
      'sdk-java',
    ],
    ['aws-sdk-java/1.12.770 Linux/5.10.225 OpenJDK_64-Bit_Server_VM/11.0.24+8-LTS java/11.0.24', 'sdk-java'],
    ['AWS Internal', 'aws-internal'],
    [
      'aws-internal/3 aws-sdk-java/1.12.124 Linux/4.9.273-0.1.ac.226.84.332.metal1.x86_64 OpenJDK_64-Bit_Server_VM/25.312-b07 java/1.8.0_312',
      'aws-internal',
    ],
    ['sso.amazonaws.com', 'aws-internal'],
    ['Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0', 'other'],
    ['curl/8.5.0', 'other'],
    ['aws-sdk-rust/1.3.3 os/linux lang/rust/1.81.0', 'other'],
    ['', 'other'],
  ])('reads %j as %s', (userAgent, client) => {
    expect(detectClient(userAgent, { console: false })).toBe(client);
  });

  it.each([
    ['aws-cli/2.15.0 Python/3.11.6', 'aws-cli', 'aws-cli'],
    ['', 'other', 'cloudformation'],
    ['Mozilla/5.0 (X11; Linux x86_64)', 'other', 'cloudformation'],
    ['AWSLambdaConsole/1.1', 'console', 'console'],
  ])(
    'reads %j the same when read again, whatever else the call says (%s, %s invoked by CloudFormation)',
    (userAgent, alone, invoked) => {
      for (let read = 0; read < 2; read++) {
        expect(detectClient(userAgent, { console: false })).toBe(alone);
        expect(detectClient(userAgent, { console: false, invokedBy: 'cloudformation.amazonaws.com' })).toBe(
          invoked,
        );
        expect(detectClient(userAgent, { console: true })).toBe('console');
      }
    },
  );

  it('calls anything from a console session the console, whatever the user agent', () => {
    expect(detectClient('AWS Internal', { console: true })).toBe('console');
    expect(detectClient('Mozilla/5.0 (Macintosh)', { console: true })).toBe('console');
  });

  it('falls back to the invoking service when the user agent says nothing', () => {
    expect(detectClient('', { console: false, invokedBy: 'cloudformation.amazonaws.com' })).toBe(
      'cloudformation',
    );
    expect(detectClient('', { console: false, invokedBy: 'servicecatalog.amazonaws.com' })).toBe(
      'aws-internal',
    );
  });
});

describe('readActor', () => {
  it('reads the root user, without MFA information for its access key', () => {
    const actor = readActor(fixture('root-attach-user-policy'));

    expect(actor).toMatchObject({
      type: 'root',
      name: 'root',
      arn: 'arn:aws:iam::111122223333:root',
      accountId: '111122223333',
      principalId: '111122223333',
      client: 'aws-cli',
      console: false,
    });
    expect(actor).not.toHaveProperty('mfa');
  });

  it('reads an IAM user calling with a long-term access key', () => {
    const actor = readActor(fixture('attach-role-policy'));

    expect(actor).toMatchObject({
      type: 'iam-user',
      name: 'alice',
      arn: 'arn:aws:iam::111122223333:user/alice',
      client: 'aws-cli',
      console: false,
      sourceIp: '198.51.100.23',
      sourceIsService: false,
    });
    expect(actor.accessKeyId).toMatch(/^AKIA/);
    expect(actor).not.toHaveProperty('mfa');
    expect(actor).not.toHaveProperty('sessionIssuerArn');
  });

  it('reads an IAM user signed in to the console with MFA', () => {
    const actor = readActor(fixture('iam-user-mfa-console'));

    expect(actor).toMatchObject({
      type: 'iam-user',
      name: 'alice',
      mfa: true,
      console: true,
      client: 'console',
      userAgent: 'AWS Internal',
      sourceIsService: false,
    });
  });

  it('reads an assumed role as role/session, with its issuer', () => {
    const actor = readActor(fixture('terraform-attach-role-policy'));

    expect(actor).toMatchObject({
      type: 'assumed-role',
      name: 'terraform-ci/gha-run-11873456',
      sessionName: 'gha-run-11873456',
      sessionIssuerName: 'terraform-ci',
      sessionIssuerArn: 'arn:aws:iam::111122223333:role/terraform-ci',
      client: 'terraform',
      mfa: false,
    });
    expect(actor).not.toHaveProperty('ssoPermissionSet');
  });

  it('reads an IAM Identity Center session as SSO, with the person and the permission set', () => {
    const actor = readActor(fixture('sso-session-put-role-policy'));

    expect(actor).toMatchObject({
      type: 'sso',
      name: 'jane@example.com',
      sessionName: 'jane@example.com',
      ssoPermissionSet: 'AdministratorAccess',
      sessionIssuerName: SSO_ROLE,
      sessionIssuerArn: `arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/${SSO_ROLE}`,
      arn: `arn:aws:sts::111122223333:assumed-role/${SSO_ROLE}/jane@example.com`,
      mfa: false,
      sourceIp: '2001:db8:4f2a:1200:9c1e:77ff:fe3b:21d4',
      sourceIsService: false,
    });
  });

  it('reads the SSO role from the session ARN when there is no session issuer', () => {
    const actor = readActor(callBy(assumedRole(SSO_ROLE, 'jane@example.com')));

    expect(actor).toMatchObject({
      type: 'sso',
      name: 'jane@example.com',
      ssoPermissionSet: 'AdministratorAccess',
    });
  });

  it('reads the Identity Center user CloudTrail names on the session (onBehalfOf), and ignores ids that are not ids', () => {
    const userId = '94482488-3041-7026-18f3-be45837cd0e4';
    const onBehalfOf = {
      userId,
      identityStoreArn: 'arn:aws:identitystore::111122223333:identitystore/d-1234567890',
      identityCenterInstanceArn: 'arn:aws:sso:::instance/ssoins-72239c385425574d',
    };
    const actor = readActor(callBy({ ...assumedRole(SSO_ROLE, 'jane@example.com'), onBehalfOf }));
    expect(actor.identityCenterUser).toEqual({
      userId,
      instanceId: 'ssoins-72239c385425574d',
      identityStoreId: 'd-1234567890',
    });

    const forged = readActor(
      callBy({
        ...assumedRole(SSO_ROLE, 'jane@example.com'),
        onBehalfOf: { userId: '../../evil', identityCenterInstanceArn: 'arn:aws:sso:::instance/ssoins-<x>' },
      }),
    );
    expect(forged.identityCenterUser).toBeUndefined();
    const storeOnly = readActor(
      callBy({ ...assumedRole(SSO_ROLE, 'jane@example.com'), onBehalfOf: { userId } }),
    );
    expect(storeOnly.identityCenterUser).toEqual({ userId });
    expect(readActor(callBy(assumedRole(SSO_ROLE, 'jane@example.com'))).identityCenterUser).toBeUndefined();
  });

  it('names an SSO session without a session name by its permission set', () => {
    const actor = readActor(callBy(assumedRole('AWSReservedSSO_ReadOnly_fedcba9876543210', undefined)));

    expect(actor).toMatchObject({ type: 'sso', name: 'ReadOnly', ssoPermissionSet: 'ReadOnly' });
  });

  it('reads a call CloudFormation made on a role’s behalf', () => {
    const actor = readActor(fixture('cloudformation-invoked-create-policy'));

    expect(actor).toMatchObject({
      type: 'assumed-role',
      name: 'cfn-exec-orders/AWSCloudFormation',
      invokedBy: 'cloudformation.amazonaws.com',
      sourceIp: 'cloudformation.amazonaws.com',
      sourceIsService: true,
      client: 'cloudformation',
    });
  });

  it('names an AWS service caller by the service', () => {
    const actor = readActor(
      callBy(
        { type: 'AWSService', invokedBy: 'sso.amazonaws.com' },
        { sourceIPAddress: 'sso.amazonaws.com', userAgent: 'sso.amazonaws.com' },
      ),
    );

    expect(actor).toMatchObject({
      type: 'aws-service',
      name: 'sso.amazonaws.com',
      arn: '',
      invokedBy: 'sso.amazonaws.com',
      sourceIsService: true,
      client: 'aws-internal',
    });
  });

  it('reads a federated user by the name in its ARN', () => {
    const actor = readActor(
      callBy({
        type: 'FederatedUser',
        principalId: '111122223333:bob',
        arn: 'arn:aws:sts::111122223333:federated-user/bob',
        accountId: '111122223333',
      }),
    );

    expect(actor).toMatchObject({ type: 'federated-user', name: 'bob' });
  });

  it('reads an identity type it does not know as unknown, named by what it has', () => {
    const actor = readActor(callBy({ type: 'SomethingNew', principalId: 'XYZ123' }));

    expect(actor).toMatchObject({ type: 'unknown', name: 'XYZ123' });
  });

  it('reads a record without userIdentity without failing', () => {
    const actor = readActor({ eventName: 'AttachRolePolicy' });

    expect(actor).toMatchObject({
      type: 'unknown',
      arn: '',
      sourceIp: '',
      sourceIsService: false,
      userAgent: '',
      client: 'other',
      console: false,
    });
  });

  it.each<[mfaAuthenticated: unknown, mfa: boolean | undefined]>([
    ['true', true],
    ['false', false],
    [true, true],
    [false, false],
    [undefined, undefined],
    ['yes', undefined],
  ])('reads mfaAuthenticated %j as mfa %s', (mfaAuthenticated, mfa) => {
    const attributes =
      mfaAuthenticated === undefined
        ? { creationDate: '2026-11-20T13:00:00Z' }
        : { creationDate: '2026-11-20T13:00:00Z', mfaAuthenticated };
    const actor = readActor(callBy(assumedRole('PlatformAdmin', 'alice', attributes)));

    expect(actor.mfa).toBe(mfa);
    expect('mfa' in actor).toBe(mfa !== undefined);
  });

  it.each<[sessionCredentialFromConsole: unknown, userAgent: string, console: boolean]>([
    ['true', 'AWS Internal', true],
    [true, 'AWS Internal', true],
    [undefined, 'console.amazonaws.com', true],
    [undefined, 'AWS Internal', false],
    ['false', 'aws-cli/2.18.5', false],
  ])('reads sessionCredentialFromConsole %j with user agent %j as console %s', (flag, userAgent, console) => {
    const extra: Record<string, unknown> = { userAgent };
    if (flag !== undefined) extra.sessionCredentialFromConsole = flag;
    const actor = readActor(callBy(assumedRole('PlatformAdmin', 'alice'), extra));

    expect(actor.console).toBe(console);
    expect(actor.client === 'console').toBe(console);
  });

  it.each<[fixture: string, client: Client]>([
    ['boto3-create-access-key', 'boto3'],
    ['sdk-js-put-user-policy', 'sdk-js'],
    ['sdk-java-put-group-policy', 'sdk-java'],
    ['sdk-go-detach-role-policy', 'sdk-go'],
    ['cdk-put-role-policy', 'cdk'],
    ['terraform-attach-role-policy', 'terraform'],
    ['iam-user-mfa-console', 'console'],
    ['cloudformation-invoked-create-policy', 'cloudformation'],
    ['attach-role-policy', 'aws-cli'],
  ])('reads the client of %s as %s', (name, client) => {
    expect(readActor(fixture(name)).client).toBe(client);
  });
});

describe('isServiceSource', () => {
  it.each<[source: string, service: boolean]>([
    ['cloudformation.amazonaws.com', true],
    ['AWS Internal', true],
    ['signin.amazonaws.com', true],
    ['198.51.100.23', false],
    ['10.0.12.7', false],
    ['2001:db8:4f2a:1200:9c1e:77ff:fe3b:21d4', false],
    ['::1', false],
    ['::ffff:192.0.2.1', false],
  ])('reads %j as a service name: %s', (source, service) => {
    expect(isServiceSource(source)).toBe(service);
  });
});

describe('ssoPermissionSet', () => {
  it.each<[roleName: string | undefined, permissionSet: string | undefined]>([
    [SSO_ROLE, 'AdministratorAccess'],
    ['AWSReservedSSO_Billing_Read_Only_0a1b2c3d4e5f6789', 'Billing_Read_Only'],
    ['AWSReservedSSO_AdministratorAccess', undefined],
    ['AWSReservedSSO_AdministratorAccess_0123456789ABCDEF', undefined],
    ['PlatformAdmin', undefined],
    [undefined, undefined],
  ])('reads the permission set of %j as %j', (roleName, permissionSet) => {
    expect(ssoPermissionSet(roleName)).toBe(permissionSet);
  });
});

describe('describeActorType', () => {
  function actor(overrides: Partial<Actor>): Actor {
    return {
      type: 'unknown',
      arn: '',
      name: '',
      console: false,
      sourceIp: '',
      sourceIsService: false,
      userAgent: '',
      client: 'other',
      ...overrides,
    };
  }

  it.each<[overrides: Partial<Actor>, words: string]>([
    [{ type: 'root' }, 'root user'],
    [{ type: 'iam-user' }, 'IAM user'],
    [{ type: 'sso', ssoPermissionSet: 'AdministratorAccess' }, 'SSO permission set AdministratorAccess'],
    [{ type: 'assumed-role', sessionIssuerName: 'ci-runner' }, 'assumed role ci-runner'],
    [{ type: 'aws-service' }, 'AWS service'],
    [{ type: 'web-identity-user' }, 'web identity user'],
  ])('describes %j as %j', (overrides, words) => {
    expect(describeActorType(actor(overrides))).toBe(words);
  });
});

describe('clientLabel', () => {
  it.each<[client: Client, label: string]>([
    ['aws-cli', 'AWS CLI'],
    ['boto3', 'boto3'],
    ['sdk-js', 'AWS SDK for JavaScript'],
    ['other', 'other client'],
  ])('names %s as %j', (client, label) => {
    expect(clientLabel(client)).toBe(label);
  });
});
