/**
 * QuarantineService on moto_server (IAM) and dynalite (the store and the audit log): the deny policy is created,
 * attached, read back and lifted for real.
 */
import {
  CreateAccessKeyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  IAMClient,
} from '@aws-sdk/client-iam';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/app/audit-port';
import { IamCallError } from '../../src/app/iam-port';
import { QuarantineService } from '../../src/app/quarantine-service';
import { AwsIamGateway } from '../../src/aws/iam-gateway';
import { normaliseRecord } from '../../src/domain/change';
import { assessChange } from '../../src/domain/explain';
import {
  policyNameOf,
  quarantineDocument,
  quarantinePolicyArn,
  quarantinePolicyDescription,
} from '../../src/domain/quarantine';
import { DynamoAuditLog } from '../../src/store/dynamo-audit-log';
import { DynamoChangeStore } from '../../src/store/dynamo-change-store';
import { cloudTrailRecord } from '../support/cloudtrail';
import type { DynaliteServer } from '../support/dynalite';
import { type IamStoreEmulators, startIamStoreEmulators } from '../support/iam-store-emulators';
import { awsTestEnv, type MotoServer, startMoto } from '../support/moto';

/** moto's account. */
const ACCOUNT = '123456789012';
const POLICY_ARN = quarantinePolicyArn(ACCOUNT);
/** Each quarantine's own policy: the configured name, a dash and 8 letters or digits. */
const OWN_POLICY = new RegExp(`^${POLICY_ARN}-[A-Za-z0-9]{8}$`);
const ALICE = { slackUserId: 'U0ALICE', name: 'alice' };
const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

let db: DynaliteServer;
let iamClient: IAMClient;
let gateway: AwsIamGateway;
let store: DynamoChangeStore;
let audit: DynamoAuditLog;
let counter = 0;

let emulators: IamStoreEmulators | undefined;

beforeAll(async () => {
  emulators = await startIamStoreEmulators();
  ({ db, iamClient, gateway } = emulators);
});

afterAll(async () => {
  await emulators?.stop();
});

/** The table of the test running. */
let table = '';

beforeEach(async () => {
  const tableName = await db.createTable();
  table = tableName;
  store = new DynamoChangeStore(db.documentClient, { tableName });
  audit = new DynamoAuditLog(db.documentClient, { tableName });
});

function service(protectedPrincipals: string[] = []): QuarantineService {
  return serviceOn(gateway, { protectedPrincipals });
}

/** The service on `iam` (a gateway that fails or stops where a test says), its clock `agoMs` in the past. */
function serviceOn(
  iam: AwsIamGateway,
  {
    protectedPrincipals = [],
    agoMs = 0,
    on = store,
  }: { protectedPrincipals?: string[]; agoMs?: number; on?: DynamoChangeStore } = {},
): QuarantineService {
  return new QuarantineService({
    store: on,
    iam,
    clock: { now: () => new Date(Date.now() - agoMs) },
    audit,
    settings: {
      bot: { workerRoleArn: `arn:aws:iam::${ACCOUNT}:role/iam-changes-worker`, memberAccounts: [] },
      protectedPrincipals,
    },
  });
}

function unique(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}`;
}

/**
 * Stores a change made by the given caller (in moto's account) a millisecond from now, so a key made just before it
 * is older than it (moto and this clock often share a millisecond); returns its event id.
 */
async function changeBy(userIdentity: Record<string, unknown>): Promise<string> {
  const eventTime = new Date(Date.now() + 1).toISOString();
  const record = cloudTrailRecord(
    'AttachRolePolicy',
    { roleName: 'victim', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' },
    {
      userIdentity: { accountId: ACCOUNT, ...userIdentity },
      recipientAccountId: ACCOUNT,
      eventTime,
    },
  );
  const result = normaliseRecord(record);
  if (!('change' in result)) throw new Error(result.skipped.reason);
  const now = new Date();
  await store.claimChange(assessChange(result.change, { expectedActors: [], trustedAccounts: [] }), now, now);
  return result.change.eventId;
}

async function iamUser(): Promise<string> {
  const name = unique('mallory');
  await iamClient.send(new CreateUserCommand({ UserName: name }));
  return name;
}

async function iamRole(name = unique('ci')): Promise<string> {
  await iamClient.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: TRUST }));
  return name;
}

function userIdentity(name: string) {
  return {
    type: 'IAMUser',
    principalId: 'AIDAEXAMPLE',
    arn: `arn:aws:iam::${ACCOUNT}:user/${name}`,
    userName: name,
  };
}

function roleSession(role: string) {
  return {
    type: 'AssumedRole',
    principalId: 'AROAEXAMPLE:session',
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${role}/session`,
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: 'AROAEXAMPLE',
        arn: `arn:aws:iam::${ACCOUNT}:role/${role}`,
        userName: role,
      },
    },
  };
}

async function entries(): Promise<AuditEntry[]> {
  return audit.list(new Date(Date.now() - 3_600_000), 50);
}

describe('QuarantineService', () => {
  it('quarantines an IAM user: creates the deny policy at /iam-changes/, attaches it and records it', async () => {
    const user = await iamUser();
    const eventId = await changeBy(userIdentity(user));

    const preview = await service().prepare(eventId);
    expect(preview.refusal).toBeUndefined();
    expect(preview.target).toMatchObject({ kind: 'user', name: user });
    expect(preview.cli.at(-1)).toBe(
      `aws iam attach-user-policy --user-name ${user} --policy-arn '${POLICY_ARN}-<id>'`,
    );

    const outcome = await service().quarantine(eventId, ALICE, 'created keys for another user');

    expect(outcome).toEqual({
      status: 'done',
      target: { kind: 'user', name: user },
      policyArn: expect.stringMatching(OWN_POLICY),
      modes: ['deny-iam'],
      deactivatedKeys: [],
      warnings: [],
    });
    const arn = outcome.status === 'done' ? outcome.policyArn : '';
    expect(
      (await gateway.listAttachedPolicies({ kind: 'user', name: user })).map((policy) => policy.arn),
    ).toEqual([arn]);
    const policy = await gateway.getManagedPolicy(arn);
    expect(policy).toMatchObject({
      name: expect.stringMatching(/^iam-changes-quarantine-/),
      path: '/iam-changes/',
    });
    await expect(gateway.getPolicyVersion(arn, policy?.defaultVersionId ?? '')).resolves.toMatchObject({
      document: quarantineDocument(),
    });
    expect((await store.getChange(eventId))?.quarantine).toMatchObject({
      status: 'active',
      target: { kind: 'user', name: user },
      policyArn: arn,
      modes: ['deny-iam'],
      by: ALICE,
    });
    expect(await entries()).toEqual([
      expect.objectContaining({
        action: 'quarantine',
        result: 'done',
        eventId,
        target: `user/${user}`,
        actor: ALICE,
      }),
    ]);
  });

  it('quarantines the role behind an assumed-role session, then lifts it and deletes its policy', async () => {
    const role = await iamRole();
    const eventId = await changeBy(roleSession(role));
    const other = await changeBy(roleSession(role));

    const outcome = await service().quarantine(eventId, ALICE, 'unexpected admin grant', [
      'deny-iam',
      'deactivate-keys',
    ]);
    expect(outcome).toMatchObject({
      status: 'done',
      target: { kind: 'role', name: role },
      modes: ['deny-iam'],
    });
    const arn = outcome.status === 'done' ? outcome.policyArn : '';
    expect(
      (await gateway.listAttachedPolicies({ kind: 'role', name: role })).map((policy) => policy.arn),
    ).toEqual([arn]);

    await expect(service().quarantine(eventId, ALICE, 'again')).resolves.toMatchObject({
      status: 'already-claimed',
      existing: { status: 'active', policyArn: arn },
    });
    await expect(service().quarantine(other, ALICE, 'another change')).resolves.toMatchObject({
      status: 'already-quarantined',
      policyArn: arn,
    });

    const lifted = await service().lift({ eventId }, ALICE, 'false alarm');
    expect(lifted).toEqual({
      status: 'lifted',
      target: { kind: 'role', name: role },
      policyArn: arn,
      modes: ['deny-iam'],
      restoredKeys: [],
      warnings: [],
    });
    expect(await gateway.listAttachedPolicies({ kind: 'role', name: role })).toEqual([]);
    await expect(gateway.getManagedPolicy(arn)).resolves.toBeNull();
    expect((await store.getChange(eventId))?.quarantine).toMatchObject({
      status: 'lifted',
      lifted: { by: ALICE, reason: 'false alarm' },
    });
    await expect(
      service().lift({ principal: { kind: 'role', name: role } }, ALICE, 'again'),
    ).resolves.toMatchObject({
      status: 'not-quarantined',
    });
    expect((await entries()).map((entry) => `${entry.action}:${entry.result}`).sort()).toEqual([
      'lift-quarantine:lifted',
      'lift-quarantine:not-quarantined',
      'quarantine-refused:already-claimed',
      'quarantine:already-quarantined',
      'quarantine:done',
    ]);
  });

  it('lifts a quarantine by principal, without a change', async () => {
    const user = await iamUser();
    await service().quarantine(await changeBy(userIdentity(user)), ALICE, 'x');
    const lifted = await service().lift({ principal: { kind: 'user', name: user } }, ALICE, 'cleared');
    expect(lifted).toMatchObject({ status: 'lifted' });
    expect(await gateway.listAttachedPolicies({ kind: 'user', name: user })).toEqual([]);
  });

  it.each([
    [
      'the root user',
      { type: 'Root', principalId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:root` },
      "the root user can't be quarantined by policy: secure the root credentials",
    ],
    [
      'an SSO session',
      roleSession('AWSReservedSSO_AdministratorAccess_0123456789abcdef'),
      'session signed in through IAM Identity Center (permission set AdministratorAccess): revoke the permission set in IAM Identity Center instead',
    ],
    [
      "the bot's own role",
      roleSession('iam-changes-worker'),
      "role iam-changes-worker is the bot's own role (its worker role): quarantining it would stop the bot",
    ],
  ])('refuses %s, audits the attempt and attaches nothing', async (_name, identity, reason) => {
    const eventId = await changeBy(identity);
    const outcome = await service().quarantine(eventId, ALICE, 'x');
    expect(outcome).toEqual({ status: 'refused', reason });
    expect((await store.getChange(eventId))?.quarantine).toBeUndefined();
    expect(await entries()).toEqual([
      expect.objectContaining({ action: 'quarantine-refused', result: `refused: ${reason}` }),
    ]);
  });

  it('refuses a protected principal', async () => {
    const role = await iamRole(unique('break-glass'));
    const eventId = await changeBy(roleSession(role));
    const outcome = await service([`arn:aws:iam::${ACCOUNT}:role/break-glass*`]).quarantine(
      eventId,
      ALICE,
      'x',
    );
    expect(outcome).toMatchObject({
      status: 'refused',
      reason: expect.stringContaining('is a protected principal'),
    });
    expect(await gateway.listAttachedPolicies({ kind: 'role', name: role })).toEqual([]);
  });

  it('fails, recorded and audited, when the principal no longer exists', async () => {
    const eventId = await changeBy(userIdentity('deleted-since'));
    const outcome = await service().quarantine(eventId, ALICE, 'x');
    expect(outcome).toMatchObject({ status: 'failed', error: expect.stringContaining('NoSuchEntity') });
    expect(await entries()).toEqual([expect.objectContaining({ action: 'quarantine', result: 'failed' })]);
  });
});

describe('QuarantineService.prepareLift', () => {
  it('plans the detach of an active quarantine, and refuses once it is lifted', async () => {
    const user = await iamUser();
    const eventId = await changeBy(userIdentity(user));
    await service().quarantine(eventId, ALICE, 'leaked keys');

    const before = await service().prepareLift(eventId);
    expect(before.refusal).toBeUndefined();
    expect(before.target).toEqual({ kind: 'user', name: user });
    const arn = before.policyArn ?? '';
    expect(arn).toMatch(OWN_POLICY);
    expect(before.cli).toEqual([
      `aws iam detach-user-policy --user-name ${user} --policy-arn ${arn}`,
      `aws iam delete-policy --policy-arn ${arn}`,
    ]);

    await service().lift({ eventId }, ALICE, 'rotated');
    const after = await service().prepareLift(eventId);
    expect(after.steps).toEqual([]);
    expect(after.refusal).toMatch(/^the quarantine was already lifted by alice at /);
  });

  it('refuses when nothing was quarantined; offers to complete one whose policy was detached by hand', async () => {
    const user = await iamUser();
    const eventId = await changeBy(userIdentity(user));
    expect((await service().prepareLift(eventId)).refusal).toBe(
      'no quarantine is recorded on this change: nothing to lift',
    );

    const outcome = await service().quarantine(eventId, ALICE, 'x');
    const policyArn = outcome.status === 'done' ? outcome.policyArn : '';
    await gateway.detachManagedPolicy({ kind: 'user', name: user }, policyArn);
    const preview = await service().prepareLift(eventId);
    expect(preview.refusal).toBeUndefined();
    expect(preview.policyArn).toBeUndefined();
    expect(preview.steps).toEqual([{ action: 'iam:DeletePolicy', params: { PolicyArn: policyArn } }]);

    await expect(service().lift({ eventId }, ALICE, 'y')).resolves.toMatchObject({
      status: 'lifted',
      warnings: [`${policyArn} was no longer attached to user/${user}: the quarantine is recorded as lifted`],
    });
    expect((await store.getChange(eventId))?.quarantine?.status).toBe('lifted');
    expect(await gateway.getManagedPolicy(policyArn)).toBeNull();
  });

  it('uses the configured policy name (QUARANTINE_POLICY_NAME) to quarantine and to lift', async () => {
    const user = await iamUser();
    const eventId = await changeBy(userIdentity(user));
    const named = new QuarantineService({
      store,
      iam: gateway,
      clock: { now: () => new Date() },
      audit,
      settings: { bot: { memberAccounts: [] }, protectedPrincipals: [], policyName: 'acme-deny-iam' },
    });

    const outcome = await named.quarantine(eventId, ALICE, 'x');
    const arn = outcome.status === 'done' ? outcome.policyArn : '';
    expect(arn).toMatch(new RegExp(`^${quarantinePolicyArn(ACCOUNT, 'acme-deny-iam')}-[A-Za-z0-9]{8}$`));
    expect((await gateway.listAttachedPolicies({ kind: 'user', name: user })).map((p) => p.arn)).toEqual([
      arn,
    ]);
    expect(await named.lift({ eventId }, ALICE, 'y')).toMatchObject({ status: 'lifted', policyArn: arn });
  });
});

describe('QuarantineService with a tampered policy', () => {
  let tampered: MotoServer;
  let client: IAMClient;

  beforeAll(async () => {
    tampered = await startMoto();
    client = new IAMClient(awsTestEnv(tampered.endpoint));
  });

  afterAll(async () => {
    client?.destroy();
    await tampered?.stop();
  });

  it('never attaches a policy someone made at the bare name: each quarantine creates its own deny', async () => {
    await client.send(
      new CreatePolicyCommand({
        PolicyName: 'iam-changes-quarantine',
        Path: '/iam-changes/',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
        }),
      }),
    );
    const user = unique('mallory');
    await client.send(new CreateUserCommand({ UserName: user }));
    const eventId = await changeBy(userIdentity(user));
    const iam = new AwsIamGateway(client);
    const quarantine = new QuarantineService({
      store,
      iam,
      clock: { now: () => new Date() },
      audit,
      settings: { bot: { memberAccounts: [] }, protectedPrincipals: [] },
    });

    const outcome = await quarantine.quarantine(eventId, ALICE, 'x');

    expect(outcome).toMatchObject({ status: 'done', policyArn: expect.stringMatching(OWN_POLICY) });
    const attached = await iam.listAttachedPolicies({ kind: 'user', name: user });
    expect(attached.map((policy) => policy.arn)).toEqual([
      outcome.status === 'done' ? outcome.policyArn : '',
    ]);
    const own = await iam.getManagedPolicy(attached[0]?.arn ?? '');
    await expect(iam.getPolicyVersion(own?.arn ?? '', own?.defaultVersionId ?? '')).resolves.toMatchObject({
      document: quarantineDocument(),
    });
  });
});

describe('QuarantineService claims a change once', () => {
  it('runs one of two concurrent quarantines of a change; the other says it is already claimed', async () => {
    const user = await iamUser();
    const eventId = await changeBy(userIdentity(user));
    const bob = { slackUserId: 'U0BOB', name: 'bob' };

    const outcomes = await Promise.all([
      service().quarantine(eventId, ALICE, 'first click'),
      service().quarantine(eventId, bob, 'second click'),
    ]);

    const statuses = outcomes.map((outcome) => outcome.status).sort();
    expect(statuses).toEqual(['already-claimed', 'done']);
    const done = outcomes.find((outcome) => outcome.status === 'done');
    const other = outcomes.find((outcome) => outcome.status === 'already-claimed');
    const arn = done?.status === 'done' ? done.policyArn : '';
    expect(other).toMatchObject({ existing: { policyArn: arn } });
    expect((await gateway.listAttachedPolicies({ kind: 'user', name: user })).map((p) => p.arn)).toEqual([
      arn,
    ]);
    expect((await store.getChange(eventId))?.quarantine).toMatchObject({ status: 'active', policyArn: arn });
    const results = (await entries()).map((entry) => `${entry.action}:${entry.result}`).sort();
    expect(results).toEqual(['quarantine-refused:already-claimed', 'quarantine:done']);
  });

  it('may quarantine the change again once the quarantine is lifted', async () => {
    const user = await iamUser();
    const eventId = await changeBy(userIdentity(user));
    await service().quarantine(eventId, ALICE, 'first');
    await service().lift({ eventId }, ALICE, 'cleared');
    await expect(service().quarantine(eventId, ALICE, 'back again')).resolves.toMatchObject({
      status: 'done',
    });
  });
});

describe('QuarantineService deactivate-keys', () => {
  it('deactivates only the active keys, records them, and restores only those on lift', async () => {
    const user = await iamUser();
    const [first, second] = await Promise.all([
      iamClient.send(new CreateAccessKeyCommand({ UserName: user })),
      iamClient.send(new CreateAccessKeyCommand({ UserName: user })),
    ]);
    const active = first.AccessKey?.AccessKeyId ?? '';
    const inactive = second.AccessKey?.AccessKeyId ?? '';
    await gateway.setAccessKeyStatus(user, inactive, 'Inactive');
    const eventId = await changeBy(userIdentity(user));

    const preview = await service().prepare(eventId, ['deactivate-keys']);
    expect(preview.activeKeys).toEqual([active]);
    expect(preview.cli.at(-1)).toBe(
      `aws iam update-access-key --user-name ${user} --access-key-id ${active} --status Inactive`,
    );

    const outcome = await service().quarantine(eventId, ALICE, 'keys leaked', ['deactivate-keys']);
    expect(outcome).toMatchObject({
      status: 'done',
      modes: ['deny-iam', 'deactivate-keys'],
      deactivatedKeys: [active],
    });
    const status = async () =>
      Object.fromEntries((await gateway.listAccessKeys(user)).map((key) => [key.id, key.status]));
    expect(await status()).toEqual({ [active]: 'Inactive', [inactive]: 'Inactive' });
    expect((await store.getChange(eventId))?.quarantine?.deactivatedKeys).toEqual([active]);

    expect((await service().prepareLift(eventId)).keysToRestore).toEqual([active]);
    const lifted = await service().lift({ eventId }, ALICE, 'rotated');
    expect(lifted).toMatchObject({ status: 'lifted', restoredKeys: [active], warnings: [] });
    expect(await status()).toEqual({ [active]: 'Active', [inactive]: 'Inactive' });
    expect((await store.getChange(eventId))?.quarantine?.lifted?.restoredKeys).toEqual([active]);
  });

  it('says so when a deactivated key was deleted before the lift', async () => {
    const user = await iamUser();
    const created = await iamClient.send(new CreateAccessKeyCommand({ UserName: user }));
    const key = created.AccessKey?.AccessKeyId ?? '';
    const eventId = await changeBy(userIdentity(user));
    await service().quarantine(eventId, ALICE, 'x', ['deactivate-keys']);
    await iamClient.send(new DeleteAccessKeyCommand({ UserName: user, AccessKeyId: key }));

    await expect(service().lift({ eventId }, ALICE, 'y')).resolves.toMatchObject({
      status: 'lifted',
      restoredKeys: [],
      warnings: [`access key ${key} no longer exists: nothing to reactivate`],
    });
  });
});

/**
 * A service whose IAM stops for good right after `step` has been done in IAM: a worker that died there (its
 * timeout, a crash). `reached` resolves once it has.
 */
function dyingAfter(
  step: 'detach' | 'delete-policy' | 'attach' | 'create' | 'keys',
  /** How far in the past the dying job ran. */
  agoMs = 0,
): { service: QuarantineService; reached: Promise<void> } {
  let reach: () => void = () => undefined;
  const reached = new Promise<void>((resolve) => {
    reach = resolve;
  });
  const iam = Object.create(gateway) as AwsIamGateway;
  const on = Object.create(store) as DynamoChangeStore;
  const hang = () => {
    reach();
    return new Promise<never>(() => undefined);
  };
  if (step === 'keys') {
    // Dies once its keys are off and recorded as the bot's, before its outcome is recorded.
    on.recordQuarantine = async () => hang();
    on.recordModesAdded = async () => hang();
  } else if (step === 'create') {
    // Dies before its own policy exists: nothing of it in IAM.
    iam.createManagedPolicy = async () => hang();
  } else if (step === 'attach') {
    iam.attachManagedPolicy = async (entity, arn) => {
      await gateway.attachManagedPolicy(entity, arn);
      return hang();
    };
  } else if (step === 'detach') {
    iam.detachManagedPolicy = async (entity, arn) => {
      await gateway.detachManagedPolicy(entity, arn);
      return hang();
    };
  } else {
    iam.execute = async (step) => {
      await gateway.execute(step);
      return step.action === 'iam:DeletePolicy' ? hang() : undefined;
    };
  }
  return {
    service: serviceOn(iam, { agoMs, on }),
    reached,
  };
}

describe('QuarantineService: a lift retried after it died half-way', () => {
  for (const step of ['detach', 'delete-policy'] as const) {
    it(`the retry of the same job (same delivery id) after it died after ${step} lifts: keys Active, record lifted`, async () => {
      const user = await iamUser();
      const created = await iamClient.send(new CreateAccessKeyCommand({ UserName: user }));
      const key = created.AccessKey?.AccessKeyId ?? '';
      const eventId = await changeBy(userIdentity(user));
      const done = await service().quarantine(eventId, ALICE, 'keys leaked', ['deactivate-keys']);
      if (done.status !== 'done') throw new Error(done.status);

      const dying = dyingAfter(step);
      void dying.service.lift({ eventId }, ALICE, 'rotated', undefined, 'delivery-1');
      await dying.reached;

      const retried = await service().lift({ eventId }, ALICE, 'rotated', undefined, 'delivery-1');
      expect(retried).toMatchObject({ status: 'lifted', target: { kind: 'user', name: user } });
      expect((await gateway.listAccessKeys(user)).map((item) => [item.id, item.status])).toEqual([
        [key, 'Active'],
      ]);
      expect(await gateway.listAttachedPolicies({ kind: 'user', name: user })).toEqual([]);
      expect(await gateway.getManagedPolicy(done.policyArn)).toBeNull();
      const record = (await store.getChange(eventId))?.quarantine;
      expect(record?.status).toBe('lifted');
      expect(record?.lifting).toBeUndefined();
      expect(await store.activeQuarantines(10)).toEqual([]);
    });
  }

  it('another job (another delivery id) is still refused while the dead lift holds its lease', async () => {
    const user = await iamUser();
    const eventId = await changeBy(userIdentity(user));
    await service().quarantine(eventId, ALICE, 'x');
    const dying = dyingAfter('detach');
    void dying.service.lift({ eventId }, ALICE, 'y', undefined, 'delivery-1');
    await dying.reached;

    await expect(service().lift({ eventId }, ALICE, 'y', undefined, 'delivery-2')).resolves.toMatchObject({
      status: 'refused',
    });
  });
});

describe('QuarantineService and a look-alike quarantine policy', () => {
  const HARMLESS = JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 'sts:GetCallerIdentity', Resource: '*' }],
  });

  /** What the caller (with iam:*) attaches to itself before anyone quarantines it. */
  async function lookAlike(user: string, name: string, description?: string): Promise<string> {
    const created = await iamClient.send(
      new CreatePolicyCommand({
        PolicyName: name,
        Path: '/iam-changes/',
        PolicyDocument: HARMLESS,
        ...(description ? { Description: description } : {}),
      }),
    );
    const arn = created.Policy?.Arn ?? '';
    await gateway.attachManagedPolicy({ kind: 'user', name: user }, arn);
    return arn;
  }

  it('quarantines a caller that attached its own iam-changes-quarantine-<id>: the bot attaches its own deny', async () => {
    const user = await iamUser();
    const fake = await lookAlike(user, `iam-changes-quarantine-${unique('abc').replace('-', '')}`);
    const eventId = await changeBy(userIdentity(user));

    expect((await service().prepare(eventId)).alreadyQuarantined).toBe(false);
    const outcome = await service().quarantine(eventId, ALICE, 'admin gone rogue');

    expect(outcome).toMatchObject({ status: 'done', policyArn: expect.stringMatching(OWN_POLICY) });
    const attached = (await gateway.listAttachedPolicies({ kind: 'user', name: user })).map((p) => p.arn);
    expect(attached.sort()).toEqual([fake, outcome.status === 'done' ? outcome.policyArn : ''].sort());
    expect((await store.getChange(eventId))?.quarantine?.status).toBe('active');
  });

  it('is not fooled by a copied description naming another change whose quarantine is not active', async () => {
    const user = await iamUser();
    const other = await changeBy(userIdentity(user));
    await lookAlike(
      user,
      `iam-changes-quarantine-${unique('def').replace('-', '')}`,
      `Attached by iam-changes to user/${user} for CloudTrail event ${other}; deleted when the quarantine is lifted`,
    );
    const eventId = await changeBy(userIdentity(user));

    await expect(service().quarantine(eventId, ALICE, 'x')).resolves.toMatchObject({ status: 'done' });
  });

  it('still says already-quarantined for the active quarantine of another change of the same caller', async () => {
    const user = await iamUser();
    const first = await changeBy(userIdentity(user));
    const held = await service().quarantine(first, ALICE, 'x');
    const second = await changeBy(userIdentity(user));

    await expect(service().quarantine(second, ALICE, 'y')).resolves.toMatchObject({
      status: 'already-quarantined',
      policyArn: held.status === 'done' ? held.policyArn : 'none',
    });
  });
});

describe('QuarantineService: a quarantine whose job died after claiming', () => {
  const LONG_AGO = 20 * 60_000;

  it('a later quarantine takes the dead claim over, clears what it left, and attaches its own deny', async () => {
    const user = await iamUser();
    const created = await iamClient.send(new CreateAccessKeyCommand({ UserName: user }));
    const key = created.AccessKey?.AccessKeyId ?? '';
    const eventId = await changeBy(userIdentity(user));
    const dying = dyingAfter('attach', LONG_AGO);
    void dying.service.quarantine(eventId, ALICE, 'x', ['deactivate-keys'], undefined, 'delivery-1');
    await dying.reached;
    const dead = (await store.getChange(eventId))?.quarantine;
    expect(dead?.status).toBe('claimed');
    expect(dead?.until !== undefined && dead.until < new Date().toISOString()).toBe(true);

    expect((await service().prepare(eventId)).refusal).toBeUndefined();
    const outcome = await service().quarantine(eventId, ALICE, 'again', ['deactivate-keys']);

    expect(outcome).toMatchObject({ status: 'done', deactivatedKeys: [key] });
    const policyArn = outcome.status === 'done' ? outcome.policyArn : '';
    expect(policyArn).not.toBe(dead?.policyArn);
    expect((await gateway.listAttachedPolicies({ kind: 'user', name: user })).map((p) => p.arn)).toEqual([
      policyArn,
    ]);
    expect(await gateway.getManagedPolicy(dead?.policyArn ?? '')).toBeNull();
    expect((await store.getChange(eventId))?.quarantine).toMatchObject({ status: 'active', policyArn });
  });

  it('a live claim (its lease not passed) is still refused as being applied', async () => {
    const user = await iamUser();
    const eventId = await changeBy(userIdentity(user));
    const dying = dyingAfter('attach');
    void dying.service.quarantine(eventId, ALICE, 'x', undefined, undefined, 'delivery-1');
    await dying.reached;

    await expect(
      service().quarantine(eventId, ALICE, 'y', undefined, undefined, 'delivery-2'),
    ).resolves.toMatchObject({ status: 'already-claimed' });
  });

  it('a retry of the same job (same delivery id) takes its own claim over: one deny attached, recorded active', async () => {
    const user = await iamUser();
    const eventId = await changeBy(userIdentity(user));
    const dying = dyingAfter('attach');
    void dying.service.quarantine(eventId, ALICE, 'x', undefined, undefined, 'delivery-1');
    await dying.reached;

    const outcome = await service().quarantine(eventId, ALICE, 'x', undefined, undefined, 'delivery-1');
    expect(outcome).toMatchObject({ status: 'done', policyArn: expect.stringMatching(OWN_POLICY) });
    expect((await gateway.listAttachedPolicies({ kind: 'user', name: user })).map((p) => p.arn)).toEqual([
      outcome.status === 'done' ? outcome.policyArn : '',
    ]);
    expect((await store.getChange(eventId))?.quarantine?.status).toBe('active');
  });

  it("a retry of the same job whose own deny cannot be created leaves the earlier attempt's deny attached", async () => {
    const user = await iamUser();
    const eventId = await changeBy(userIdentity(user));
    const dying = dyingAfter('attach');
    void dying.service.quarantine(eventId, ALICE, 'x', undefined, undefined, 'delivery-1');
    await dying.reached;
    const earlier = (await store.getChange(eventId))?.quarantine?.policyArn;
    const refusing = Object.create(gateway) as AwsIamGateway;
    refusing.createManagedPolicy = async () => {
      throw new Error('Throttling: Rate exceeded');
    };
    const retry = serviceOn(refusing);

    await expect(
      retry.quarantine(eventId, ALICE, 'x', undefined, undefined, 'delivery-1'),
    ).resolves.toMatchObject({
      status: 'failed',
    });

    expect((await gateway.listAttachedPolicies({ kind: 'user', name: user })).map((p) => p.arn)).toEqual([
      earlier,
    ]);
    expect((await store.getChange(eventId))?.quarantine).toMatchObject({
      status: 'failed',
      policyArn: earlier,
    });
  });

  it("a takeover whose own deny cannot be attached leaves the dead claim's deny attached, and a lift still restores its keys", async () => {
    const user = await iamUser();
    const created = await iamClient.send(new CreateAccessKeyCommand({ UserName: user }));
    const key = created.AccessKey?.AccessKeyId ?? '';
    const eventId = await changeBy(userIdentity(user));
    const dying = dyingAfter('keys', LONG_AGO);
    void dying.service.quarantine(eventId, ALICE, 'x', ['deactivate-keys'], undefined, 'delivery-1');
    await dying.reached;
    const dead = (await store.getChange(eventId))?.quarantine;
    // IAM refuses the new deny (the principal's attached-policy limit, throttling): the old one must stay.
    const refusing = Object.create(gateway) as AwsIamGateway;
    refusing.attachManagedPolicy = async () => {
      throw new Error('LimitExceeded: Cannot exceed quota for PoliciesPerUser: 10');
    };
    const takeover = serviceOn(refusing);

    await expect(takeover.quarantine(eventId, ALICE, 'again', ['deactivate-keys'])).resolves.toMatchObject({
      status: 'failed',
    });

    expect((await gateway.listAttachedPolicies({ kind: 'user', name: user })).map((p) => p.arn)).toEqual([
      dead?.policyArn,
    ]);
    expect((await store.getChange(eventId))?.quarantine).toMatchObject({
      status: 'failed',
      policyArn: dead?.policyArn,
    });
    // The responder can lift it from Slack: the preview offers the kept deny and its keys.
    expect(await service().prepareLift(eventId)).toMatchObject({
      policyArn: dead?.policyArn,
      keysToRestore: [key],
    });
    expect((await service().prepareLift(eventId)).refusal).toBeUndefined();
    const lifted = await service().lift({ eventId }, ALICE, 'done');
    expect(lifted).toMatchObject({ status: 'lifted', policyArn: dead?.policyArn, restoredKeys: [key] });
    expect(await gateway.listAttachedPolicies({ kind: 'user', name: user })).toEqual([]);
  });

  it("a lift of the dead claim detaches that claim's own policy only, restores its keys, and records it lifted", async () => {
    const user = await iamUser();
    const created = await iamClient.send(new CreateAccessKeyCommand({ UserName: user }));
    const key = created.AccessKey?.AccessKeyId ?? '';
    const eventId = await changeBy(userIdentity(user));
    const dying = dyingAfter('keys', LONG_AGO);
    void dying.service.quarantine(eventId, ALICE, 'x', ['deactivate-keys'], undefined, 'delivery-1');
    await dying.reached;
    const dead = (await store.getChange(eventId))?.quarantine;
    // A newer quarantine of the same user (another change) holds meanwhile: its deny must stay.
    const other = await changeBy(userIdentity(user));
    const held = await service().quarantine(other, ALICE, 'other change');
    expect(held.status).toBe('done');
    const heldArn = held.status === 'done' ? held.policyArn : '';
    expect((await service().prepareLift(eventId)).refusal).toBeUndefined();

    const lifted = await service().lift({ eventId }, ALICE, 'done');

    expect(lifted).toMatchObject({ status: 'lifted', policyArn: dead?.policyArn, restoredKeys: [key] });
    expect((await gateway.listAttachedPolicies({ kind: 'user', name: user })).map((p) => p.arn)).toEqual([
      heldArn,
    ]);
    expect((await store.getChange(eventId))?.quarantine?.status).toBe('lifted');
    expect((await store.getChange(other))?.quarantine?.status).toBe('active');
  });
});

describe('QuarantineService: two dead quarantine claims in a row', () => {
  const LONG_AGO = 20 * 60_000;
  /** Past the first job's lease, and its own lease passed too by now. */
  const MIDWAY = 10 * 60_000;

  for (const secondDies of ['attach', 'create'] as const) {
    it(`the lift detaches the first dead claim's deny too and restores its key (the second died after ${secondDies})`, async () => {
      const user = await iamUser();
      const created = await iamClient.send(new CreateAccessKeyCommand({ UserName: user }));
      const key = created.AccessKey?.AccessKeyId ?? '';
      const eventId = await changeBy(userIdentity(user));
      const first = dyingAfter('keys', LONG_AGO);
      void first.service.quarantine(eventId, ALICE, 'x', ['deactivate-keys'], undefined, 'delivery-a');
      await first.reached;
      const policyA = (await store.getChange(eventId))?.quarantine?.policyArn ?? '';
      const second = dyingAfter(secondDies, MIDWAY);
      void second.service.quarantine(eventId, ALICE, 'y', ['deactivate-keys'], undefined, 'delivery-b');
      await second.reached;
      expect((await store.getChange(eventId))?.quarantine?.policyArn).not.toBe(policyA);

      expect((await service().prepareLift(eventId)).refusal).toBeUndefined();
      const lifted = await service().lift({ eventId }, ALICE, 'done');

      expect(lifted).toMatchObject({ status: 'lifted', restoredKeys: [key] });
      expect(await gateway.listAttachedPolicies({ kind: 'user', name: user })).toEqual([]);
      expect(await gateway.getManagedPolicy(policyA)).toBeNull();
      expect((await gateway.listAccessKeys(user)).map((item) => [item.id, item.status])).toEqual([
        [key, 'Active'],
      ]);
      expect((await store.getChange(eventId))?.quarantine?.status).toBe('lifted');
    });
  }

  it('a third quarantine clears both dead claims and carries the key the first one turned off', async () => {
    const user = await iamUser();
    const created = await iamClient.send(new CreateAccessKeyCommand({ UserName: user }));
    const key = created.AccessKey?.AccessKeyId ?? '';
    const eventId = await changeBy(userIdentity(user));
    const first = dyingAfter('keys', LONG_AGO);
    void first.service.quarantine(eventId, ALICE, 'x', ['deactivate-keys'], undefined, 'delivery-a');
    await first.reached;
    const policyA = (await store.getChange(eventId))?.quarantine?.policyArn ?? '';
    const second = dyingAfter('create', MIDWAY);
    void second.service.quarantine(eventId, ALICE, 'y', ['deactivate-keys'], undefined, 'delivery-b');
    await second.reached;

    const outcome = await service().quarantine(
      eventId,
      ALICE,
      'z',
      ['deactivate-keys'],
      undefined,
      'delivery-c',
    );

    expect(outcome).toMatchObject({ status: 'done', deactivatedKeys: [key] });
    const policyC = outcome.status === 'done' ? outcome.policyArn : '';
    expect((await gateway.listAttachedPolicies({ kind: 'user', name: user })).map((p) => p.arn)).toEqual([
      policyC,
    ]);
    expect(await gateway.getManagedPolicy(policyA)).toBeNull();
    await expect(service().lift({ eventId }, ALICE, 'done')).resolves.toMatchObject({ restoredKeys: [key] });
    expect((await gateway.listAccessKeys(user)).map((item) => item.status)).toEqual(['Active']);
  });
});

describe('QuarantineService: a lift by event id decides on the store', () => {
  it("refuses a lift of a change with no quarantine recorded, leaving another change's quarantine of the same caller", async () => {
    const user = await iamUser();
    const changeA = await changeBy(userIdentity(user));
    const changeB = await changeBy(userIdentity(user));
    const held = await service().quarantine(changeB, ALICE, 'B');
    const heldArn = held.status === 'done' ? held.policyArn : '';

    const given = await store.getChange(changeA);
    await expect(service().lift({ eventId: changeA }, ALICE, 'A', given)).resolves.toEqual({
      status: 'refused',
      reason: 'no quarantine is recorded on this change: nothing to lift',
    });
    expect((await gateway.listAttachedPolicies({ kind: 'user', name: user })).map((p) => p.arn)).toEqual([
      heldArn,
    ]);
    expect((await store.getChange(changeB))?.quarantine?.status).toBe('active');
  });

  it('reads the change again when the handed-in read shows no quarantine to lift, and lifts the one recorded now', async () => {
    const user = await iamUser();
    const eventId = await changeBy(userIdentity(user));
    const before = await store.getChange(eventId);
    const held = await service().quarantine(eventId, ALICE, 'x');

    await expect(service().lift({ eventId }, ALICE, 'y', before)).resolves.toMatchObject({
      status: 'lifted',
      policyArn: held.status === 'done' ? held.policyArn : 'none',
    });
    expect((await store.getChange(eventId))?.quarantine?.status).toBe('lifted');
  });

  it('a record naming the shared policy (from before each quarantine had its own) matches only that policy', async () => {
    const user = await iamUser();
    const changeA = await changeBy(userIdentity(user));
    const changeB = await changeBy(userIdentity(user));
    const held = await service().quarantine(changeB, ALICE, 'B');
    const heldArn = held.status === 'done' ? held.policyArn : '';
    await store.recordQuarantine(
      changeA,
      {
        status: 'active',
        target: { kind: 'user', name: user },
        policyArn: POLICY_ARN,
        by: ALICE,
        reason: 'old',
        at: new Date().toISOString(),
      },
      new Date(),
    );

    const lifted = await service().lift({ eventId: changeA }, ALICE, 'A');
    expect(lifted.status).toBe('lifted');
    expect((await gateway.listAttachedPolicies({ kind: 'user', name: user })).map((p) => p.arn)).toEqual([
      heldArn,
    ]);
  });
});

describe('QuarantineService: the lift is recorded, the active list is not updated', () => {
  it('reports lifted (not failed) when the QUARANTINED list entry cannot be deleted after the lift is recorded', async () => {
    const tableName = await db.createTable();
    const real = db.documentClient;
    // The table refuses to delete list entries (a throttle, a permission gone): everything else goes through.
    const flaky = {
      send: (command: unknown) =>
        command instanceof DeleteCommand
          ? Promise.reject(new Error('ProvisionedThroughputExceededException'))
          : real.send(command as never),
    } as unknown as DynamoDBDocumentClient;
    store = new DynamoChangeStore(flaky, { tableName });
    const user = await iamUser();
    const eventId = await changeBy(userIdentity(user));
    await service().quarantine(eventId, ALICE, 'x');

    await expect(service().lift({ eventId }, ALICE, 'y')).resolves.toMatchObject({ status: 'lifted' });
    expect((await store.getChange(eventId))?.quarantine?.status).toBe('lifted');
    // The list entry stayed (the delete did fail), and is not shown as an active quarantine.
    const entry = await real.send(
      new GetCommand({ TableName: tableName, Key: { pk: 'QUARANTINED', sk: eventId } }),
    );
    expect(entry.Item).toBeDefined();
    expect(await store.activeQuarantines(10)).toEqual([]);
    expect(await gateway.listAttachedPolicies({ kind: 'user', name: user })).toEqual([]);
  });

  it('reports modes added (not a throw) when the active list cannot be updated after the addition is recorded', async () => {
    const tableName = await db.createTable();
    const real = db.documentClient;
    let refuse = false;
    // Once the quarantine holds, the table refuses to write list entries: everything else goes through.
    const flaky = {
      send: (command: unknown) =>
        refuse && command instanceof PutCommand && command.input.Item?.pk === 'QUARANTINED'
          ? Promise.reject(new Error('ProvisionedThroughputExceededException'))
          : real.send(command as never),
    } as unknown as DynamoDBDocumentClient;
    store = new DynamoChangeStore(flaky, { tableName });
    audit = new DynamoAuditLog(real, { tableName });
    const user = await iamUser();
    const created = await iamClient.send(new CreateAccessKeyCommand({ UserName: user }));
    const key = created.AccessKey?.AccessKeyId ?? '';
    const first = await changeBy(userIdentity(user));
    await service().quarantine(first, ALICE, 'x');
    refuse = true;

    const outcome = await service().quarantine(await changeBy(userIdentity(user)), ALICE, 'y', [
      'deactivate-keys',
    ]);

    expect(outcome).toMatchObject({ status: 'modes-added', deactivatedKeys: [key] });
    expect((await store.getChange(first))?.quarantine).toMatchObject({
      modes: ['deny-iam', 'deactivate-keys'],
      deactivatedKeys: [key],
    });
    expect((await entries()).map((entry) => entry.result)).toContain('modes-added');
  });
});

describe('QuarantineService: a second quarantine asking for more modes adds them', () => {
  const LONG_AGO = 20 * 60_000;
  /** Past a job's lease that ran {@link LONG_AGO}, and its own lease passed too by now. */
  const MIDWAY = 10 * 60_000;

  async function keyOf(user: string): Promise<string> {
    const created = await iamClient.send(new CreateAccessKeyCommand({ UserName: user }));
    return created.AccessKey?.AccessKeyId ?? '';
  }

  async function statusOf(user: string): Promise<Record<string, string>> {
    return Object.fromEntries((await gateway.listAccessKeys(user)).map((key) => [key.id, key.status]));
  }

  async function attachedTo(user: string): Promise<string[]> {
    return (await gateway.listAttachedPolicies({ kind: 'user', name: user })).map((policy) => policy.arn);
  }

  async function denyOnly(user: string): Promise<{ first: string; arn: string }> {
    const first = await changeBy(userIdentity(user));
    const held = await service().quarantine(first, ALICE, 'first look');
    if (held.status !== 'done') throw new Error(held.status);
    return { first, arn: held.policyArn };
  }

  it('previews the modes in force and those a request would add', async () => {
    const user = await iamUser();
    const key = await keyOf(user);
    const { first, arn } = await denyOnly(user);
    const second = await changeBy(userIdentity(user));

    const offered = await service().prepare(second);
    expect(offered).toMatchObject({
      alreadyQuarantined: true,
      inForce: ['deny-iam'],
      addable: ['revoke-sessions', 'deactivate-keys'],
      adds: [],
      active: { eventId: first, record: { policyArn: arn } },
    });
    expect(offered.refusal).toBeUndefined();

    const adding = await service().prepare(second, ['deactivate-keys']);
    expect(adding.adds).toEqual(['deactivate-keys']);
    expect(adding.modes).toEqual(['deny-iam', 'deactivate-keys']);
    expect(adding.activeKeys).toEqual([key]);
    expect(adding.cli).toEqual([
      expect.stringMatching(/^aws iam create-policy /),
      expect.stringMatching(new RegExp(`^aws iam attach-user-policy --user-name ${user} `)),
      `aws iam update-access-key --user-name ${user} --access-key-id ${key} --status Inactive`,
      `aws iam detach-user-policy --user-name ${user} --policy-arn ${arn}`,
      `aws iam delete-policy --policy-arn ${arn}`,
    ]);
    // Reads only.
    expect(await statusOf(user)).toEqual({ [key]: 'Active' });
    expect(await attachedTo(user)).toEqual([arn]);
  });

  it('deny-only, then deactivate-keys: the keys go Inactive, recorded on the quarantine that holds; the lift restores them', async () => {
    const user = await iamUser();
    const key = await keyOf(user);
    const { first, arn } = await denyOnly(user);
    const second = await changeBy(userIdentity(user));
    const bob = { slackUserId: 'U0BOB', name: 'bob' };

    const outcome = await service().quarantine(second, bob, 'keys seen in a paste site', ['deactivate-keys']);

    expect(outcome).toEqual({
      status: 'modes-added',
      target: { kind: 'user', name: user },
      quarantinedFor: first,
      policyArn: expect.stringMatching(OWN_POLICY),
      added: ['deactivate-keys'],
      modes: ['deny-iam', 'deactivate-keys'],
      deactivatedKeys: [key],
      warnings: [],
    });
    const now = outcome.status === 'modes-added' ? outcome.policyArn : '';
    expect(now).not.toBe(arn);
    expect(await statusOf(user)).toEqual({ [key]: 'Inactive' });
    // One deny attached: the new one; the one it replaced is deleted.
    expect(await attachedTo(user)).toEqual([now]);
    expect(await gateway.getManagedPolicy(arn)).toBeNull();
    expect((await gateway.getManagedPolicy(now))?.description).toContain(`access keys deactivated: ${key}`);
    const record = (await store.getChange(first))?.quarantine;
    expect(record).toMatchObject({
      status: 'active',
      policyArn: now,
      modes: ['deny-iam', 'deactivate-keys'],
      deactivatedKeys: [key],
      by: ALICE,
      modesAdded: [
        expect.objectContaining({
          by: bob,
          added: ['deactivate-keys'],
          eventId: second,
          replacedPolicyArn: arn,
          deactivatedKeys: [key],
        }),
      ],
    });
    expect(record?.addingModes).toBeUndefined();
    expect((await store.getChange(second))?.quarantine).toBeUndefined();
    // The Home tab's list carries the record as it now is.
    expect((await store.activeQuarantines(10)).map((item) => item.quarantine?.modes)).toEqual([
      ['deny-iam', 'deactivate-keys'],
    ]);
    expect((await entries()).map((entry) => `${entry.action}:${entry.result}`).sort()).toEqual([
      'quarantine:done',
      'quarantine:modes-added',
    ]);
    expect((await entries()).find((entry) => entry.result === 'modes-added')).toMatchObject({
      eventId: second,
      actor: bob,
      details: { added: ['deactivate-keys'], quarantinedFor: first, deactivatedKeys: [key] },
    });

    const lifted = await service().lift({ eventId: first }, ALICE, 'rotated');
    expect(lifted).toMatchObject({
      status: 'lifted',
      policyArn: now,
      modes: ['deny-iam', 'deactivate-keys'],
      restoredKeys: [key],
      warnings: [],
    });
    expect(await statusOf(user)).toEqual({ [key]: 'Active' });
    expect(await attachedTo(user)).toEqual([]);
    expect(await gateway.getManagedPolicy(now)).toBeNull();
  });

  it('adds revoke-sessions to a role: the new deny has the sessions statement', async () => {
    const role = await iamRole();
    const first = await changeBy(roleSession(role));
    await service().quarantine(first, ALICE, 'x');
    const second = await changeBy(roleSession(role));

    const outcome = await service().quarantine(second, ALICE, 'sessions too', [
      'revoke-sessions',
      'deactivate-keys',
    ]);

    expect(outcome).toMatchObject({
      status: 'modes-added',
      added: ['revoke-sessions'],
      modes: ['deny-iam', 'revoke-sessions'],
    });
    const arn = outcome.status === 'modes-added' ? outcome.policyArn : '';
    const policy = await gateway.getManagedPolicy(arn);
    const document = (await gateway.getPolicyVersion(arn, policy?.defaultVersionId ?? ''))?.document;
    expect(JSON.stringify(document)).toContain('IamChangesQuarantineRevokeSessions');
    expect(
      (await gateway.listAttachedPolicies({ kind: 'role', name: role })).map((item) => item.arn),
    ).toEqual([arn]);
  });

  it('a key already inactive before the second step is not reactivated by the lift; keys of the first step are', async () => {
    const user = await iamUser();
    const turnedOff = await keyOf(user);
    const first = await changeBy(userIdentity(user));
    await service().quarantine(first, ALICE, 'x', ['deactivate-keys']);
    // Between the steps: a key created and switched off by someone else, and another one active.
    const offByHand = await keyOf(user);
    await gateway.setAccessKeyStatus(user, offByHand, 'Inactive');
    const second = await changeBy(userIdentity(user));

    const outcome = await service().quarantine(second, ALICE, 'y', ['revoke-sessions']);
    expect(outcome).toMatchObject({ status: 'modes-added', added: ['revoke-sessions'], deactivatedKeys: [] });
    expect((await store.getChange(first))?.quarantine?.deactivatedKeys).toEqual([turnedOff]);

    const lifted = await service().lift({ eventId: first }, ALICE, 'z');
    expect(lifted).toMatchObject({ status: 'lifted', restoredKeys: [turnedOff] });
    expect(await statusOf(user)).toEqual({ [turnedOff]: 'Active', [offByHand]: 'Inactive' });
  });

  it('deny-only, a key switched off by hand, then deactivate-keys: the lift restores only the key the bot turned off', async () => {
    const user = await iamUser();
    const [active, offByHand] = [await keyOf(user), await keyOf(user)];
    const { first } = await denyOnly(user);
    await gateway.setAccessKeyStatus(user, offByHand, 'Inactive');
    const second = await changeBy(userIdentity(user));

    await expect(service().quarantine(second, ALICE, 'y', ['deactivate-keys'])).resolves.toMatchObject({
      status: 'modes-added',
      deactivatedKeys: [active],
    });
    expect(await statusOf(user)).toEqual({ [active]: 'Inactive', [offByHand]: 'Inactive' });

    await expect(service().lift({ eventId: first }, ALICE, 'z')).resolves.toMatchObject({
      status: 'lifted',
      restoredKeys: [active],
    });
    expect(await statusOf(user)).toEqual({ [active]: 'Active', [offByHand]: 'Inactive' });
  });

  it('two concurrent requests adding keys: one adds them, the keys are recorded once, the lift restores all', async () => {
    const user = await iamUser();
    const [one, two] = [await keyOf(user), await keyOf(user)];
    const { first } = await denyOnly(user);
    const [second, third] = [await changeBy(userIdentity(user)), await changeBy(userIdentity(user))];

    const outcomes = await Promise.all([
      service().quarantine(second, ALICE, 'a', ['deactivate-keys'], undefined, 'delivery-a'),
      service().quarantine(third, ALICE, 'b', ['deactivate-keys'], undefined, 'delivery-b'),
    ]);

    expect(outcomes.filter((outcome) => outcome.status === 'modes-added')).toHaveLength(1);
    const record = (await store.getChange(first))?.quarantine;
    expect([...(record?.deactivatedKeys ?? [])].sort()).toEqual([one, two].sort());
    expect(record?.modesAdded).toHaveLength(1);
    expect(record?.addingModes).toBeUndefined();
    expect(await attachedTo(user)).toEqual([record?.policyArn]);
    expect(await statusOf(user)).toEqual({ [one]: 'Inactive', [two]: 'Inactive' });

    const lifted = await service().lift({ eventId: first }, ALICE, 'z');
    expect(lifted.status === 'lifted' && [...lifted.restoredKeys].sort()).toEqual([one, two].sort());
    expect(await statusOf(user)).toEqual({ [one]: 'Active', [two]: 'Active' });
    expect(await attachedTo(user)).toEqual([]);
  });

  it('a retried job after it added the modes changes nothing and says the same', async () => {
    const user = await iamUser();
    const key = await keyOf(user);
    const { first } = await denyOnly(user);
    const second = await changeBy(userIdentity(user));
    const done = await service().quarantine(second, ALICE, 'y', ['deactivate-keys'], undefined, 'delivery-1');
    const record = (await store.getChange(first))?.quarantine;

    const retried = await service().quarantine(
      second,
      ALICE,
      'y',
      ['deactivate-keys'],
      undefined,
      'delivery-1',
    );

    expect(retried).toEqual(done);
    expect((await store.getChange(first))?.quarantine).toEqual(record);
    expect(await attachedTo(user)).toEqual([record?.policyArn]);
    expect(await statusOf(user)).toEqual({ [key]: 'Inactive' });
  });

  it('a retried job after it died with the new deny attached finishes: one deny, the keys recorded once', async () => {
    const user = await iamUser();
    const key = await keyOf(user);
    const { first, arn } = await denyOnly(user);
    const second = await changeBy(userIdentity(user));
    const dying = dyingAfter('attach');
    void dying.service.quarantine(second, ALICE, 'y', ['deactivate-keys'], undefined, 'delivery-1');
    await dying.reached;
    const half = (await store.getChange(first))?.quarantine;
    expect(half?.addingModes?.policyArn).toBeDefined();
    expect(await attachedTo(user)).toHaveLength(2);

    // Another job is refused while the dying one holds its lease; a lift too.
    await expect(
      service().quarantine(second, ALICE, 'y', ['deactivate-keys'], undefined, 'delivery-2'),
    ).resolves.toMatchObject({ status: 'refused' });
    await expect(service().lift({ eventId: first }, ALICE, 'no')).resolves.toMatchObject({
      status: 'refused',
    });

    const retried = await service().quarantine(
      second,
      ALICE,
      'y',
      ['deactivate-keys'],
      undefined,
      'delivery-1',
    );
    expect(retried).toMatchObject({ status: 'modes-added', deactivatedKeys: [key] });
    const now = retried.status === 'modes-added' ? retried.policyArn : '';
    expect(await attachedTo(user)).toEqual([now]);
    expect(await gateway.getManagedPolicy(half?.addingModes?.policyArn ?? '')).toBeNull();
    expect(await gateway.getManagedPolicy(arn)).toBeNull();
    expect((await store.getChange(first))?.quarantine).toMatchObject({
      policyArn: now,
      deactivatedKeys: [key],
    });

    await expect(service().lift({ eventId: first }, ALICE, 'z')).resolves.toMatchObject({
      restoredKeys: [key],
    });
    expect(await statusOf(user)).toEqual({ [key]: 'Active' });
    expect(await attachedTo(user)).toEqual([]);
  });

  /** Modes added by a job that died detaching the deny it replaced (attached again: as if it died just before). */
  async function diedBeforeDetaching(
    user: string,
  ): Promise<{ first: string; second: string; arn: string; now: string }> {
    const { first, arn } = await denyOnly(user);
    const second = await changeBy(userIdentity(user));
    const dying = dyingAfter('detach');
    void dying.service.quarantine(second, ALICE, 'y', ['deactivate-keys'], undefined, 'delivery-1');
    await dying.reached;
    await gateway.attachManagedPolicy({ kind: 'user', name: user }, arn);
    const record = (await store.getChange(first))?.quarantine;
    expect(record?.modes).toEqual(['deny-iam', 'deactivate-keys']);
    expect((await attachedTo(user)).sort()).toEqual([arn, record?.policyArn].sort());
    return { first, second, arn, now: record?.policyArn ?? '' };
  }

  it('a job that died after recording the addition, before detaching the deny it replaced: its retry detaches it', async () => {
    const user = await iamUser();
    const key = await keyOf(user);
    const { second, arn, now } = await diedBeforeDetaching(user);

    const retried = await service().quarantine(
      second,
      ALICE,
      'y',
      ['deactivate-keys'],
      undefined,
      'delivery-1',
    );

    expect(retried).toMatchObject({ status: 'modes-added', policyArn: now, deactivatedKeys: [key] });
    expect(await attachedTo(user)).toEqual([now]);
    expect(await gateway.getManagedPolicy(arn)).toBeNull();
  });

  it('a job that died after recording the addition, before detaching the deny it replaced: the lift detaches both', async () => {
    const user = await iamUser();
    const key = await keyOf(user);
    const { first, arn } = await diedBeforeDetaching(user);

    expect((await service().prepareLift(first)).cli).toEqual(
      expect.arrayContaining([`aws iam detach-user-policy --user-name ${user} --policy-arn ${arn}`]),
    );
    await expect(service().lift({ eventId: first }, ALICE, 'z')).resolves.toMatchObject({
      status: 'lifted',
      restoredKeys: [key],
    });
    expect(await attachedTo(user)).toEqual([]);
    expect(await gateway.getManagedPolicy(arn)).toBeNull();
    expect(await statusOf(user)).toEqual({ [key]: 'Active' });
  });

  it('a lift after an adding job died (its lease passed) detaches both denies and restores the keys it turned off', async () => {
    const user = await iamUser();
    const key = await keyOf(user);
    const { first } = await denyOnly(user);
    const second = await changeBy(userIdentity(user));
    const dying = dyingAfter('keys', LONG_AGO);
    void dying.service.quarantine(second, ALICE, 'y', ['deactivate-keys'], undefined, 'delivery-1');
    await dying.reached;

    const preview = await service().prepareLift(first);
    expect(preview.refusal).toBeUndefined();
    expect(preview.keysToRestore).toEqual([key]);
    await expect(service().lift({ eventId: first }, ALICE, 'z')).resolves.toMatchObject({
      status: 'lifted',
      restoredKeys: [key],
    });
    expect(await attachedTo(user)).toEqual([]);
    expect(await statusOf(user)).toEqual({ [key]: 'Active' });
    expect((await store.getChange(first))?.quarantine?.status).toBe('lifted');
  });

  it('another job takes a dead addition over once its lease passed: the keys the dead job turned off are kept for the lift', async () => {
    const user = await iamUser();
    const key = await keyOf(user);
    const { first } = await denyOnly(user);
    const second = await changeBy(userIdentity(user));
    const dying = dyingAfter('keys', LONG_AGO);
    void dying.service.quarantine(second, ALICE, 'y', ['deactivate-keys'], undefined, 'delivery-1');
    await dying.reached;
    const dead = (await store.getChange(first))?.quarantine?.addingModes?.policyArn;

    const outcome = await service().quarantine(second, ALICE, 'again', [
      'deactivate-keys',
      'revoke-sessions',
    ]);

    expect(outcome).toMatchObject({
      status: 'modes-added',
      added: ['revoke-sessions', 'deactivate-keys'],
      deactivatedKeys: [key],
    });
    const now = outcome.status === 'modes-added' ? outcome.policyArn : '';
    expect(await attachedTo(user)).toEqual([now]);
    expect(await gateway.getManagedPolicy(dead ?? '')).toBeNull();
    expect((await store.getChange(first))?.quarantine).toMatchObject({
      modes: ['deny-iam', 'revoke-sessions', 'deactivate-keys'],
      deactivatedKeys: [key],
    });
    await expect(service().lift({ eventId: first }, ALICE, 'z')).resolves.toMatchObject({
      restoredKeys: [key],
    });
    expect(await statusOf(user)).toEqual({ [key]: 'Active' });
  });

  for (const secondDies of ['attach', 'create'] as const) {
    it(`two dead additions in a row (the second died after ${secondDies}): the lift leaves no bot deny attached and the key Active`, async () => {
      const user = await iamUser();
      const key = await keyOf(user);
      const { first } = await denyOnly(user);
      const second = await changeBy(userIdentity(user));
      const jobA = dyingAfter('keys', LONG_AGO);
      void jobA.service.quarantine(second, ALICE, 'a', ['deactivate-keys'], undefined, 'delivery-a');
      await jobA.reached;
      const policyA = (await store.getChange(first))?.quarantine?.addingModes?.policyArn ?? '';
      const jobB = dyingAfter(secondDies, MIDWAY);
      void jobB.service.quarantine(second, ALICE, 'b', ['deactivate-keys'], undefined, 'delivery-b');
      await jobB.reached;
      expect((await store.getChange(first))?.quarantine?.addingModes?.policyArn).not.toBe(policyA);

      const preview = await service().prepareLift(first);
      expect(preview.refusal).toBeUndefined();
      expect(preview.keysToRestore).toEqual([key]);
      expect(preview.cli).toEqual(
        expect.arrayContaining([`aws iam detach-user-policy --user-name ${user} --policy-arn ${policyA}`]),
      );
      await expect(service().lift({ eventId: first }, ALICE, 'z')).resolves.toMatchObject({
        status: 'lifted',
        restoredKeys: [key],
      });
      expect(await attachedTo(user)).toEqual([]);
      expect(await gateway.getManagedPolicy(policyA)).toBeNull();
      expect(await statusOf(user)).toEqual({ [key]: 'Active' });
      expect((await store.getChange(first))?.quarantine?.status).toBe('lifted');
    });
  }

  it('an addition whose deny could not be detached after it failed, then a dead one: the lift leaves no bot deny attached', async () => {
    const user = await iamUser();
    const { first, arn } = await denyOnly(user);
    const second = await changeBy(userIdentity(user));
    // Job A: its deny is attached but not read back, and IAM refuses to detach it again.
    let attachedOnce = false;
    const stuck = Object.create(gateway) as AwsIamGateway;
    stuck.attachManagedPolicy = async (entity, policyArn) => {
      await gateway.attachManagedPolicy(entity, policyArn);
      attachedOnce = true;
    };
    stuck.listAttachedPolicies = async (entity) =>
      attachedOnce
        ? Promise.reject(new Error('Throttling: Rate exceeded'))
        : gateway.listAttachedPolicies(entity);
    stuck.detachManagedPolicy = async () => {
      throw new Error('Throttling: Rate exceeded');
    };
    await expect(
      serviceOn(stuck, { agoMs: LONG_AGO }).quarantine(
        second,
        ALICE,
        'a',
        ['revoke-sessions'],
        undefined,
        'delivery-a',
      ),
    ).resolves.toMatchObject({ status: 'failed' });
    const policyA = (await store.getChange(first))?.quarantine?.addingModes?.policyArn ?? '';
    expect((await attachedTo(user)).sort()).toEqual([arn, policyA].sort());
    // Job B takes the claim over once A's lease passed, and dies before its own deny exists.
    const jobB = dyingAfter('create', MIDWAY);
    void jobB.service.quarantine(second, ALICE, 'b', ['revoke-sessions'], undefined, 'delivery-b');
    await jobB.reached;

    await expect(service().lift({ eventId: first }, ALICE, 'z')).resolves.toMatchObject({ status: 'lifted' });
    expect(await attachedTo(user)).toEqual([]);
    expect(await gateway.getManagedPolicy(policyA)).toBeNull();
  });

  it('after two dead additions in a row, the next addition clears both and keeps the key the first turned off', async () => {
    const user = await iamUser();
    const key = await keyOf(user);
    const { first, arn } = await denyOnly(user);
    const second = await changeBy(userIdentity(user));
    const jobA = dyingAfter('keys', LONG_AGO);
    void jobA.service.quarantine(second, ALICE, 'a', ['deactivate-keys'], undefined, 'delivery-a');
    await jobA.reached;
    const policyA = (await store.getChange(first))?.quarantine?.addingModes?.policyArn ?? '';
    const jobB = dyingAfter('create', MIDWAY);
    void jobB.service.quarantine(second, ALICE, 'b', ['deactivate-keys'], undefined, 'delivery-b');
    await jobB.reached;

    const outcome = await service().quarantine(
      second,
      ALICE,
      'c',
      ['deactivate-keys'],
      undefined,
      'delivery-c',
    );

    expect(outcome).toMatchObject({ status: 'modes-added', deactivatedKeys: [key] });
    const now = outcome.status === 'modes-added' ? outcome.policyArn : '';
    expect(await attachedTo(user)).toEqual([now]);
    expect(await gateway.getManagedPolicy(policyA)).toBeNull();
    expect(await gateway.getManagedPolicy(arn)).toBeNull();
    expect((await store.getChange(first))?.quarantine?.deactivatedKeys).toEqual([key]);
    await expect(service().lift({ eventId: first }, ALICE, 'z')).resolves.toMatchObject({
      restoredKeys: [key],
    });
    expect(await statusOf(user)).toEqual({ [key]: 'Active' });
  });

  it('when the new deny cannot be attached: nothing added, the quarantine holds as it was, a later request may add', async () => {
    const user = await iamUser();
    const key = await keyOf(user);
    const { first, arn } = await denyOnly(user);
    const second = await changeBy(userIdentity(user));
    const record = (await store.getChange(first))?.quarantine;
    const refusing = Object.create(gateway) as AwsIamGateway;
    refusing.attachManagedPolicy = async () => {
      throw new Error('LimitExceeded: Cannot exceed quota for PoliciesPerUser: 10');
    };

    await expect(
      serviceOn(refusing).quarantine(second, ALICE, 'y', ['deactivate-keys']),
    ).resolves.toMatchObject({ status: 'failed', error: expect.stringContaining('no mode was added') });

    expect(await attachedTo(user)).toEqual([arn]);
    expect(await statusOf(user)).toEqual({ [key]: 'Active' });
    // The record is as it was; the policy the failed addition claimed is listed (it was deleted: nothing left).
    const {
      claimedPolicies,
      claimedPoliciesStored: _listedAfter,
      createdPolicies,
      ...after
    } = (await store.getChange(first))?.quarantine ?? {
      claimedPolicies: [],
    };
    const {
      claimedPolicies: before,
      claimedPoliciesStored: _listedBefore,
      createdPolicies: madeBefore,
      ...was
    } = record ?? {};
    expect(after).toEqual(was);
    // The policy it created is recorded with its id, beside the record (it names keys it never turned off).
    expect(createdPolicies).toHaveLength((madeBefore?.length ?? 0) + 1);
    expect(claimedPolicies?.slice(0, before?.length ?? 0)).toEqual(before);
    expect(claimedPolicies).toHaveLength((before?.length ?? 0) + 1);
    expect(await gateway.getManagedPolicy(claimedPolicies?.at(-1)?.policyArn ?? '')).toBeNull();
    await expect(service().quarantine(second, ALICE, 'y', ['deactivate-keys'])).resolves.toMatchObject({
      status: 'modes-added',
      deactivatedKeys: [key],
    });
  });

  it('a lift that read the quarantine before modes were added changes nothing', async () => {
    const user = await iamUser();
    const key = await keyOf(user);
    const { first } = await denyOnly(user);
    const before = await store.getChange(first);
    await service().quarantine(await changeBy(userIdentity(user)), ALICE, 'y', ['deactivate-keys']);
    const record = (await store.getChange(first))?.quarantine;

    await expect(service().lift({ eventId: first }, ALICE, 'stale', before)).resolves.toMatchObject({
      status: 'refused',
    });
    expect(await attachedTo(user)).toEqual([record?.policyArn]);
    expect(await statusOf(user)).toEqual({ [key]: 'Inactive' });
    expect((await store.getChange(first))?.quarantine).toEqual(record);
  });

  it('the same or weaker modes: already quarantined, naming the modes in force, nothing changed', async () => {
    const user = await iamUser();
    const key = await keyOf(user);
    const first = await changeBy(userIdentity(user));
    const held = await service().quarantine(first, ALICE, 'x', ['deactivate-keys']);
    const record = (await store.getChange(first))?.quarantine;
    const second = await changeBy(userIdentity(user));

    for (const modes of [['deactivate-keys'], ['deny-iam'], undefined] as const) {
      await expect(service().quarantine(second, ALICE, 'y', modes)).resolves.toEqual({
        status: 'already-quarantined',
        target: { kind: 'user', name: user },
        policyArn: held.status === 'done' ? held.policyArn : 'none',
        quarantinedFor: first,
        modes: ['deny-iam', 'deactivate-keys'],
      });
    }
    expect((await store.getChange(first))?.quarantine).toEqual(record);
    expect(await attachedTo(user)).toEqual([record?.policyArn]);
    expect(await statusOf(user)).toEqual({ [key]: 'Inactive' });
    // The request on the same change that holds it adds nothing either: already claimed, as before.
    await expect(service().quarantine(first, ALICE, 'z', ['deactivate-keys'])).resolves.toMatchObject({
      status: 'already-claimed',
    });
  });

  it('modes can be added from the change that holds the quarantine too', async () => {
    const user = await iamUser();
    const key = await keyOf(user);
    const { first } = await denyOnly(user);

    await expect(service().quarantine(first, ALICE, 'more', ['deactivate-keys'])).resolves.toMatchObject({
      status: 'modes-added',
      quarantinedFor: first,
      deactivatedKeys: [key],
    });
    expect((await store.getChange(first))?.quarantine?.modes).toEqual(['deny-iam', 'deactivate-keys']);
  });

  it('deactivate-keys in force and a key created since the change: asking for keys again sweeps it off, and the lift leaves it off saying why', async () => {
    const user = await iamUser();
    // IAM allows two keys a user: one off before the quarantine, and one made after it.
    const offBefore = await keyOf(user);
    await gateway.setAccessKeyStatus(user, offBefore, 'Inactive');
    const first = await changeBy(userIdentity(user));
    await expect(service().quarantine(first, ALICE, 'x', ['deactivate-keys'])).resolves.toMatchObject({
      status: 'done',
      modes: ['deny-iam', 'deactivate-keys'],
      deactivatedKeys: [],
    });
    // A key made in the window before the deny was attached (or by someone else since): it works.
    const createdSince = await keyOf(user);
    const second = await changeBy(userIdentity(user));

    const offered = await service().prepare(second, ['deactivate-keys']);
    expect(offered.refusal).toBeUndefined();
    expect(offered).toMatchObject({
      inForce: ['deny-iam', 'deactivate-keys'],
      addable: ['revoke-sessions', 'deactivate-keys'],
      adds: ['deactivate-keys'],
      activeKeys: [createdSince],
    });
    const outcome = await service().quarantine(second, ALICE, 'a key made since', ['deactivate-keys']);

    // Made during the incident (after the quarantined change): off, and never the bot's to hand back.
    expect(outcome).toMatchObject({
      status: 'modes-added',
      modes: ['deny-iam', 'deactivate-keys'],
      deactivatedKeys: [],
      warnings: [
        expect.stringContaining(`access key ${createdSince} was created at or after the quarantined change`),
      ],
    });
    expect(await statusOf(user)).toEqual({ [offBefore]: 'Inactive', [createdSince]: 'Inactive' });
    const record = (await store.getChange(first))?.quarantine;
    expect(record?.deactivatedKeys).toBeUndefined();
    expect(record?.keysKeptOff).toEqual([createdSince]);
    expect(record?.keysTurnedOff).toBeUndefined();
    expect((await gateway.getManagedPolicy(record?.policyArn ?? ''))?.description).not.toContain(
      createdSince,
    );
    // Nothing left active: the same request is answered already quarantined.
    await expect(service().quarantine(second, ALICE, 'again', ['deactivate-keys'])).resolves.toMatchObject({
      status: 'already-quarantined',
    });

    await expect(service().lift({ eventId: first }, ALICE, 'z')).resolves.toMatchObject({
      status: 'lifted',
      restoredKeys: [],
      keptOffKeys: [createdSince],
      warnings: [
        expect.stringContaining(`access key ${createdSince} was created at or after the quarantined change`),
      ],
    });
    expect(await statusOf(user)).toEqual({ [offBefore]: 'Inactive', [createdSince]: 'Inactive' });
  });

  it('a first quarantine turns off a key made after the change but never hands it back; an older key is restored', async () => {
    const user = await iamUser();
    const older = await keyOf(user);
    const first = await changeBy(userIdentity(user));
    // Made after the change was stored (IAM's CreateDate, later than the change's event time).
    const minted = await keyOf(user);
    await expect(service().quarantine(first, ALICE, 'x', ['deactivate-keys'])).resolves.toMatchObject({
      status: 'done',
      deactivatedKeys: [older],
      warnings: [
        expect.stringContaining(`access key ${minted} was created at or after the quarantined change`),
      ],
    });
    expect(await statusOf(user)).toEqual({ [older]: 'Inactive', [minted]: 'Inactive' });
    expect((await store.getChange(first))?.quarantine?.keysKeptOff).toEqual([minted]);

    await expect(service().lift({ eventId: first }, ALICE, 'z')).resolves.toMatchObject({
      status: 'lifted',
      restoredKeys: [older],
      keptOffKeys: [minted],
    });
    expect(await statusOf(user)).toEqual({ [older]: 'Active', [minted]: 'Inactive' });
  });

  it('a key IAM lists with no creation date is taken for one made during the incident: turned off, never handed back', async () => {
    const user = await iamUser();
    const key = await keyOf(user);
    const first = await changeBy(userIdentity(user));
    const undated = Object.create(gateway) as AwsIamGateway;
    undated.listAccessKeys = async (userName) =>
      (await gateway.listAccessKeys(userName)).map(({ createDate: _made, ...rest }) => rest);
    await expect(
      serviceOn(undated).quarantine(first, ALICE, 'x', ['deactivate-keys']),
    ).resolves.toMatchObject({
      status: 'done',
      deactivatedKeys: [],
    });
    expect(await statusOf(user)).toEqual({ [key]: 'Inactive' });
    expect((await store.getChange(first))?.quarantine?.keysKeptOff).toEqual([key]);

    await expect(service().lift({ eventId: first }, ALICE, 'z')).resolves.toMatchObject({
      status: 'lifted',
      restoredKeys: [],
      keptOffKeys: [key],
    });
    expect(await statusOf(user)).toEqual({ [key]: 'Inactive' });
  });

  it('a key whose deactivation failed is swept by a later request for keys, and restored by the lift', async () => {
    const user = await iamUser();
    const key = await keyOf(user);
    const first = await changeBy(userIdentity(user));
    const throttled = Object.create(gateway) as AwsIamGateway;
    throttled.setAccessKeyStatus = async () => {
      throw new Error('Throttling: Rate exceeded');
    };
    await expect(
      serviceOn(throttled).quarantine(first, ALICE, 'x', ['deactivate-keys']),
    ).resolves.toMatchObject({ status: 'done', deactivatedKeys: [] });
    expect(await statusOf(user)).toEqual({ [key]: 'Active' });

    await expect(
      service().quarantine(await changeBy(userIdentity(user)), ALICE, 'y', ['deactivate-keys']),
    ).resolves.toMatchObject({ status: 'modes-added', deactivatedKeys: [key] });
    expect(await statusOf(user)).toEqual({ [key]: 'Inactive' });
    expect((await store.getChange(first))?.quarantine?.deactivatedKeys).toEqual([key]);

    await expect(service().lift({ eventId: first }, ALICE, 'z')).resolves.toMatchObject({
      restoredKeys: [key],
    });
    expect(await statusOf(user)).toEqual({ [key]: 'Active' });
  });

  /**
   * The gateway on moto with IAM's quota of 10 managed policies attached to one user or role, which moto does not
   * enforce: an attach beyond it fails as IAM's does (`LimitExceeded`).
   */
  function withAttachQuota(): AwsIamGateway {
    const iam = Object.create(gateway) as AwsIamGateway;
    iam.attachManagedPolicy = async (entity, arn) => {
      const attached = await gateway.listAttachedPolicies(entity);
      if (attached.length >= 10 && !attached.some((item) => item.arn === arn)) {
        const kind = entity.kind === 'role' ? 'Role' : 'User';
        throw new IamCallError(
          `iam:Attach${kind}Policy`,
          'LimitExceeded',
          `Cannot exceed quota for PoliciesPer${kind}: 10`,
        );
      }
      await gateway.attachManagedPolicy(entity, arn);
    };
    return iam;
  }

  it('a principal that filled its own policy slots: the addition fails saying why, names its other policies, and the quarantine holds', async () => {
    const user = await iamUser();
    const key = await keyOf(user);
    const { first, arn } = await denyOnly(user);
    // The quarantined user (an administrator) filled every other slot before the deny reached it.
    const fillers: string[] = [];
    for (let index = 0; index < 9; index += 1) {
      const created = await iamClient.send(
        new CreatePolicyCommand({
          PolicyName: `${user}-filler-${index}`,
          PolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: 's3:ListBucket', Resource: '*' }],
          }),
        }),
      );
      const filler = created.Policy?.Arn ?? '';
      await gateway.attachManagedPolicy({ kind: 'user', name: user }, filler);
      fillers.push(filler);
    }
    const record = (await store.getChange(first))?.quarantine;
    const second = await changeBy(userIdentity(user));

    const outcome = await serviceOn(withAttachQuota()).quarantine(second, ALICE, 'keys too', [
      'deactivate-keys',
    ]);

    expect(outcome).toMatchObject({ status: 'failed' });
    if (outcome.status !== 'failed') throw new Error(outcome.status);
    expect(outcome.error).toContain('no mode was added');
    expect(outcome.error).toContain(
      `user/${user} already has as many managed policies attached as IAM allows`,
    );
    expect(outcome.error).toContain(`${arn} stays attached`);
    expect(outcome.error).not.toMatch(/lift/i);
    expect([...(outcome.attachedPolicies ?? [])].sort()).toEqual([...fillers].sort());
    // The quarantine holds as it was.
    expect((await attachedTo(user)).sort()).toEqual([arn, ...fillers].sort());
    expect(await statusOf(user)).toEqual({ [key]: 'Active' });
    expect((await store.getChange(first))?.quarantine).toMatchObject({
      status: 'active',
      policyArn: arn,
      modes: record?.modes,
    });
    expect((await entries()).find((entry) => entry.result === 'failed')).toMatchObject({
      details: { attachedPolicies: expect.arrayContaining(fillers) },
    });

    // Once a responder detached one by hand, the same request adds the mode.
    await gateway.detachManagedPolicy({ kind: 'user', name: user }, fillers[0] ?? '');
    await expect(
      serviceOn(withAttachQuota()).quarantine(second, ALICE, 'keys too', ['deactivate-keys']),
    ).resolves.toMatchObject({ status: 'modes-added', deactivatedKeys: [key] });
  });

  /** `count` policies of the principal's own attached to it (what an administrator fills its slots with). */
  async function fillSlots(user: string, count: number): Promise<string[]> {
    const fillers: string[] = [];
    for (let index = 0; index < count; index += 1) {
      const created = await iamClient.send(
        new CreatePolicyCommand({
          PolicyName: `${user}-own-${index}`,
          PolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: 's3:ListBucket', Resource: '*' }],
          }),
        }),
      );
      await gateway.attachManagedPolicy({ kind: 'user', name: user }, created.Policy?.Arn ?? '');
      fillers.push(created.Policy?.Arn ?? '');
    }
    return fillers;
  }

  it('revoke-sessions at the attachment limit is added as an inline deny, which the lift deletes', async () => {
    const user = await iamUser();
    const { first, arn } = await denyOnly(user);
    const fillers = await fillSlots(user, 9);
    const second = await changeBy(userIdentity(user));

    const outcome = await serviceOn(withAttachQuota()).quarantine(second, ALICE, 'sessions', [
      'revoke-sessions',
    ]);

    expect(outcome).toMatchObject({
      status: 'modes-added',
      policyArn: arn,
      added: ['revoke-sessions'],
      modes: ['deny-iam', 'revoke-sessions'],
      warnings: [expect.stringContaining('as the inline deny')],
    });
    const record = (await store.getChange(first))?.quarantine;
    const inline = record?.inlinePolicyName ?? '';
    expect(inline).toMatch(/^iam-changes-quarantine-[A-Za-z0-9]{8}$/);
    expect(record).toMatchObject({ policyArn: arn, modes: ['deny-iam', 'revoke-sessions'] });
    const document = await gateway.getInlinePolicy({ kind: 'user', name: user }, inline);
    expect(JSON.stringify(document)).toContain('IamChangesQuarantineRevokeSessions');
    expect((await attachedTo(user)).sort()).toEqual([arn, ...fillers].sort());
    // Asking again: in force, nothing added.
    await expect(
      serviceOn(withAttachQuota()).quarantine(second, ALICE, 'again', ['revoke-sessions']),
    ).resolves.toMatchObject({ status: 'already-quarantined' });

    expect((await service().prepareLift(first)).cli).toEqual(
      expect.arrayContaining([`aws iam delete-user-policy --user-name ${user} --policy-name ${inline}`]),
    );
    await expect(service().lift({ eventId: first }, ALICE, 'z')).resolves.toMatchObject({ status: 'lifted' });
    expect(await gateway.getInlinePolicy({ kind: 'user', name: user }, inline)).toBeNull();
    expect((await attachedTo(user)).sort()).toEqual([...fillers].sort());
  });

  it('once a slot is free, the next addition folds the inline deny into its managed one and deletes it', async () => {
    const user = await iamUser();
    const key = await keyOf(user);
    const { first } = await denyOnly(user);
    const fillers = await fillSlots(user, 9);
    const second = await changeBy(userIdentity(user));
    await serviceOn(withAttachQuota()).quarantine(second, ALICE, 'sessions', ['revoke-sessions']);
    const inline = (await store.getChange(first))?.quarantine?.inlinePolicyName ?? '';
    await gateway.detachManagedPolicy({ kind: 'user', name: user }, fillers[0] ?? '');

    const outcome = await serviceOn(withAttachQuota()).quarantine(second, ALICE, 'keys', ['deactivate-keys']);

    expect(outcome).toMatchObject({ status: 'modes-added', deactivatedKeys: [key] });
    const now = outcome.status === 'modes-added' ? outcome.policyArn : '';
    const policy = await gateway.getManagedPolicy(now);
    const document = await gateway.getPolicyVersion(now, policy?.defaultVersionId ?? '');
    expect(JSON.stringify(document?.document)).toContain('IamChangesQuarantineRevokeSessions');
    expect(await gateway.getInlinePolicy({ kind: 'user', name: user }, inline)).toBeNull();
    const record = (await store.getChange(first))?.quarantine;
    expect(record?.inlinePolicyName).toBeUndefined();
    expect(record?.modes).toEqual(['deny-iam', 'revoke-sessions', 'deactivate-keys']);
    await expect(service().lift({ eventId: first }, ALICE, 'z')).resolves.toMatchObject({
      restoredKeys: [key],
    });
    expect((await attachedTo(user)).sort()).toEqual(fillers.slice(1).sort());
  });

  it('an inline addition that died after putting its deny: the lift deletes it', async () => {
    const user = await iamUser();
    const { first, arn } = await denyOnly(user);
    await fillSlots(user, 9);
    const second = await changeBy(userIdentity(user));
    let reach: () => void = () => undefined;
    const reached = new Promise<void>((resolve) => {
      reach = resolve;
    });
    const dying = withAttachQuota();
    dying.execute = async (step) => {
      await gateway.execute(step);
      if (step.action === 'iam:PutUserPolicy') {
        reach();
        await new Promise<never>(() => undefined);
      }
    };
    void serviceOn(dying, { agoMs: LONG_AGO }).quarantine(
      second,
      ALICE,
      'x',
      ['revoke-sessions'],
      undefined,
      'd-1',
    );
    await reached;
    const inline = policyNameOf((await store.getChange(first))?.quarantine?.addingModes?.policyArn ?? '');
    expect(await gateway.getInlinePolicy({ kind: 'user', name: user }, inline)).not.toBeNull();

    await expect(service().lift({ eventId: first }, ALICE, 'z')).resolves.toMatchObject({ status: 'lifted' });
    expect(await gateway.getInlinePolicy({ kind: 'user', name: user }, inline)).toBeNull();
    expect(await attachedTo(user)).not.toContain(arn);
  });

  it('a first quarantine refused for the attachment limit names the policies to detach', async () => {
    const user = await iamUser();
    const fillers: string[] = [];
    for (let index = 0; index < 10; index += 1) {
      const created = await iamClient.send(
        new CreatePolicyCommand({
          PolicyName: `${user}-slot-${index}`,
          PolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: 's3:ListBucket', Resource: '*' }],
          }),
        }),
      );
      await gateway.attachManagedPolicy({ kind: 'user', name: user }, created.Policy?.Arn ?? '');
      fillers.push(created.Policy?.Arn ?? '');
    }
    const eventId = await changeBy(userIdentity(user));

    const outcome = await serviceOn(withAttachQuota()).quarantine(eventId, ALICE, 'x');

    expect(outcome).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('already has as many managed policies attached as IAM allows'),
    });
    expect(outcome.status === 'failed' && [...(outcome.attachedPolicies ?? [])].sort()).toEqual(
      [...fillers].sort(),
    );
  });

  /** IAM at the account's quota of customer managed policies (moto does not keep that quota). */
  function atPolicyQuota(): AwsIamGateway {
    const iam = Object.create(gateway) as AwsIamGateway;
    iam.createManagedPolicy = async () => {
      throw new IamCallError(
        'iam:CreatePolicy',
        'LimitExceeded',
        'Cannot exceed quota for PoliciesPerAccount: 1500',
      );
    };
    return iam;
  }

  it("a first quarantine refused by the account's policy quota says so, not the principal's attachment limit", async () => {
    const user = await iamUser();
    const eventId = await changeBy(userIdentity(user));

    const outcome = await serviceOn(atPolicyQuota()).quarantine(eventId, ALICE, 'x');

    expect(outcome).toMatchObject({
      status: 'failed',
      error: expect.stringContaining(
        'the account already has as many customer managed policies as its quota allows',
      ),
    });
    expect(outcome.status === 'failed' && outcome.error).not.toContain('attached as IAM allows');
    expect(outcome.status === 'failed' && outcome.attachedPolicies).toBeUndefined();
    expect(await attachedTo(user)).toEqual([]);
  });

  it("an addition refused by the account's policy quota says so; the quarantine holds as it was", async () => {
    const user = await iamUser();
    const { arn } = await denyOnly(user);
    const second = await changeBy(userIdentity(user));

    const outcome = await serviceOn(atPolicyQuota()).quarantine(second, ALICE, 'y', ['revoke-sessions']);

    expect(outcome).toMatchObject({
      status: 'failed',
      error: expect.stringContaining(
        'the account already has as many customer managed policies as its quota allows',
      ),
    });
    expect(outcome.status === 'failed' && outcome.error).not.toContain('attached as IAM allows');
    expect(outcome.status === 'failed' && outcome.attachedPolicies).toBeUndefined();
    expect(await attachedTo(user)).toEqual([arn]);
  });

  it('an addition that fails after the recorded deny was detached by hand never says the quarantine holds: it says, critically, that the deny is gone', async () => {
    const user = await iamUser();
    const { first, arn } = await denyOnly(user);
    // The quarantined administrator (or someone) detached the recorded deny.
    await gateway.detachManagedPolicy({ kind: 'user', name: user }, arn);
    const refusing = Object.create(gateway) as AwsIamGateway;
    refusing.attachManagedPolicy = async () => {
      throw new Error('Throttling: Rate exceeded');
    };

    // Asked from the change that holds it (another change would find no deny attached and quarantine afresh).
    const outcome = await serviceOn(refusing).quarantine(first, ALICE, 'y', ['revoke-sessions']);

    expect(outcome).toMatchObject({
      status: 'failed',
      error: expect.stringContaining(
        `CRITICAL: the quarantine's recorded deny ${arn} is no longer attached to user/${user}`,
      ),
    });
    expect(outcome.status === 'failed' && outcome.error).not.toContain('holds as it was');
    expect(outcome.status === 'failed' && outcome.error).toContain(
      `aws iam attach-user-policy --user-name ${user} --policy-arn ${arn}`,
    );
    expect((await store.getChange(first))?.quarantine?.policyArn).toBe(arn);
  });

  it('at the attachment limit with the recorded deny detached: no inline deny is put beside nothing, and the answer says the deny is gone', async () => {
    const user = await iamUser();
    const { first, arn } = await denyOnly(user);
    await gateway.detachManagedPolicy({ kind: 'user', name: user }, arn);
    for (let index = 0; index < 10; index += 1) {
      const created = await iamClient.send(
        new CreatePolicyCommand({
          PolicyName: `${user}-slot-${index}`,
          PolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: 's3:ListBucket', Resource: '*' }],
          }),
        }),
      );
      await gateway.attachManagedPolicy({ kind: 'user', name: user }, created.Policy?.Arn ?? '');
    }

    const outcome = await serviceOn(withAttachQuota()).quarantine(first, ALICE, 'y', ['revoke-sessions']);

    expect(outcome).toMatchObject({
      status: 'failed',
      error: expect.stringContaining(`CRITICAL: the quarantine's recorded deny ${arn} is no longer attached`),
    });
    expect(outcome.status === 'failed' && outcome.error).not.toContain('holds as it was');
    const claimed = (await store.getChange(first))?.quarantine?.claimedPolicies?.at(-1)?.policyArn ?? '';
    expect(claimed).not.toBe('');
    expect(await gateway.getInlinePolicy({ kind: 'user', name: user }, policyNameOf(claimed))).toBeNull();
    expect((await store.getChange(first))?.quarantine?.inlinePolicyName).toBeUndefined();
  });

  it('refuses to add modes while the quarantine is being lifted', async () => {
    const user = await iamUser();
    await keyOf(user);
    const { first, arn } = await denyOnly(user);
    // A lift holds its claim (it has not reached IAM yet).
    const record = (await store.getChange(first))?.quarantine;
    if (!record) throw new Error('no quarantine recorded');
    const until = new Date(Date.now() + 60_000).toISOString();
    expect(await store.claimLift(first, record, { id: 'lift-1', until }, new Date())).toBe(true);

    await expect(
      service().quarantine(await changeBy(userIdentity(user)), ALICE, 'more', ['deactivate-keys']),
    ).resolves.toMatchObject({ status: 'refused', reason: expect.stringContaining('is being lifted') });
    // Never the advice to lift and quarantine again: that opens a window with no deny.
    await expect(
      service().quarantine(await changeBy(userIdentity(user)), ALICE, 'more', ['deactivate-keys']),
    ).resolves.toMatchObject({ reason: expect.not.stringMatching(/quarantine again|lift it/) });
    expect(await attachedTo(user)).toEqual([arn]);
    expect((await store.getChange(first))?.quarantine?.modes).toEqual(['deny-iam']);
  });
});

describe('QuarantineService restores only keys it recorded turning off', () => {
  const LONG_AGO = 20 * 60_000;

  async function keyOf(user: string): Promise<string> {
    const created = await iamClient.send(new CreateAccessKeyCommand({ UserName: user }));
    return created.AccessKey?.AccessKeyId ?? '';
  }

  async function statusOf(user: string): Promise<Record<string, string>> {
    return Object.fromEntries((await gateway.listAccessKeys(user)).map((key) => [key.id, key.status]));
  }

  async function attachedTo(user: string): Promise<string[]> {
    return (await gateway.listAttachedPolicies({ kind: 'user', name: user })).map((policy) => policy.arn);
  }

  async function denyOnly(user: string): Promise<string> {
    const first = await changeBy(userIdentity(user));
    const held = await service().quarantine(first, ALICE, 'first look');
    if (held.status !== 'done') throw new Error(held.status);
    return first;
  }

  it('an addition whose deny was attached, not read back and not detached never turned its key off: a key a responder turned off by hand stays off after the lift', async () => {
    const user = await iamUser();
    const key = await keyOf(user);
    const first = await denyOnly(user);
    const second = await changeBy(userIdentity(user));
    let attachedOnce = false;
    const stuck = Object.create(gateway) as AwsIamGateway;
    stuck.attachManagedPolicy = async (entity, policyArn) => {
      await gateway.attachManagedPolicy(entity, policyArn);
      attachedOnce = true;
    };
    stuck.listAttachedPolicies = async (entity) =>
      attachedOnce
        ? Promise.reject(new Error('Throttling: Rate exceeded'))
        : gateway.listAttachedPolicies(entity);
    stuck.detachManagedPolicy = async () => {
      throw new Error('Throttling: Rate exceeded');
    };
    await expect(
      serviceOn(stuck, { agoMs: LONG_AGO }).quarantine(second, ALICE, 'a', ['deactivate-keys']),
    ).resolves.toMatchObject({ status: 'failed' });
    // Its deny's description names the key it was about to turn off; it never did.
    expect(await statusOf(user)).toEqual({ [key]: 'Active' });
    // A responder turns the key off by hand.
    await gateway.setAccessKeyStatus(user, key, 'Inactive');

    expect((await service().prepareLift(first)).keysToRestore).toEqual([]);
    await expect(service().lift({ eventId: first }, ALICE, 'z')).resolves.toMatchObject({
      status: 'lifted',
      restoredKeys: [],
    });
    expect(await attachedTo(user)).toEqual([]);
    expect(await statusOf(user)).toEqual({ [key]: 'Inactive' });
  });

  it("a dead addition's policy made again under its name with a forged description: no key it names is turned on", async () => {
    const user = await iamUser();
    const key = await keyOf(user);
    const byHand = await keyOf(user);
    const first = await denyOnly(user);
    const second = await changeBy(userIdentity(user));
    const dying = dyingAfter('keys', LONG_AGO);
    void dying.service.quarantine(second, ALICE, 'a', ['deactivate-keys'], undefined, 'delivery-a');
    await dying.reached;
    const dead = (await store.getChange(first))?.quarantine?.addingModes?.policyArn ?? '';
    expect(await statusOf(user)).toEqual({ [key]: 'Inactive', [byHand]: 'Inactive' });
    // An administrator of the account deletes the dead job's deny and makes one of the same name, whose
    // description names a key a responder turned off by hand too.
    await gateway.detachManagedPolicy({ kind: 'user', name: user }, dead);
    await gateway.execute({ action: 'iam:DeletePolicy', params: { PolicyArn: dead } });
    await gateway.setAccessKeyStatus(user, byHand, 'Inactive');
    await iamClient.send(
      new CreatePolicyCommand({
        PolicyName: policyNameOf(dead),
        Path: '/iam-changes/',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'sts:GetCallerIdentity', Resource: '*' }],
        }),
        Description: quarantinePolicyDescription(`user/${user}`, first, [key, byHand]),
      }),
    );

    await expect(service().lift({ eventId: first }, ALICE, 'z')).resolves.toMatchObject({
      status: 'lifted',
      restoredKeys: [],
    });
    expect(await statusOf(user)).toEqual({ [key]: 'Inactive', [byHand]: 'Inactive' });
  });

  it('a takeover of a dead claim does not carry a key that is on again: a responder turning it off later keeps it off after the lift', async () => {
    const user = await iamUser();
    const key = await keyOf(user);
    const eventId = await changeBy(userIdentity(user));
    const dying = dyingAfter('keys', LONG_AGO);
    void dying.service.quarantine(eventId, ALICE, 'x', ['deactivate-keys'], undefined, 'delivery-a');
    await dying.reached;
    // Someone turns the key on again before the takeover (deny-only: it turns no key off).
    await gateway.setAccessKeyStatus(user, key, 'Active');

    const outcome = await service().quarantine(eventId, ALICE, 'again', undefined, undefined, 'delivery-b');
    expect(outcome).toMatchObject({ status: 'done', deactivatedKeys: [] });
    await gateway.setAccessKeyStatus(user, key, 'Inactive');

    await expect(service().lift({ eventId }, ALICE, 'z')).resolves.toMatchObject({
      status: 'lifted',
      restoredKeys: [],
    });
    expect(await statusOf(user)).toEqual({ [key]: 'Inactive' });
  });

  it("a takeover whose deny was attached but not read back keeps the dead claim's deny: the principal is never left with no bot deny", async () => {
    const user = await iamUser();
    await keyOf(user);
    const eventId = await changeBy(userIdentity(user));
    const dying = dyingAfter('keys', LONG_AGO);
    void dying.service.quarantine(eventId, ALICE, 'x', ['deactivate-keys'], undefined, 'delivery-a');
    await dying.reached;
    const dead = (await store.getChange(eventId))?.quarantine?.policyArn ?? '';
    // IAM answers the attach, but the new deny is gone at once (detached by someone else) and the read-back fails.
    let readBackFails = false;
    const lost = Object.create(gateway) as AwsIamGateway;
    lost.attachManagedPolicy = async (entity, policyArn) => {
      await gateway.attachManagedPolicy(entity, policyArn);
      await gateway.detachManagedPolicy(entity, policyArn);
      readBackFails = true;
    };
    lost.listAttachedPolicies = async (entity) => {
      if (!readBackFails) return gateway.listAttachedPolicies(entity);
      readBackFails = false;
      throw new Error('Throttling: Rate exceeded');
    };

    const outcome = await serviceOn(lost).quarantine(
      eventId,
      ALICE,
      'again',
      undefined,
      undefined,
      'delivery-b',
    );

    expect(outcome).toMatchObject({ status: 'failed' });
    expect(await attachedTo(user)).toContain(dead);
    expect((await store.getChange(eventId))?.quarantine).toMatchObject({ status: 'failed', policyArn: dead });
    await expect(service().lift({ eventId }, ALICE, 'z')).resolves.toMatchObject({ status: 'lifted' });
    expect(await attachedTo(user)).toEqual([]);
  });

  it('a takeover that cannot record a key found on again fails before creating its deny: a responder turning the key off later keeps it off after the lift', async () => {
    const user = await iamUser();
    const key = await keyOf(user);
    const eventId = await changeBy(userIdentity(user));
    const dying = dyingAfter('keys', LONG_AGO);
    void dying.service.quarantine(eventId, ALICE, 'x', ['deactivate-keys'], undefined, 'delivery-a');
    await dying.reached;
    const dead = (await store.getChange(eventId))?.quarantine?.policyArn ?? '';
    // Someone turns the key on again before the takeover; the store then fails to record it found on.
    await gateway.setAccessKeyStatus(user, key, 'Active');
    const failing = Object.create(store) as DynamoChangeStore;
    failing.recordKeyFoundOn = async () => {
      throw new Error('ProvisionedThroughputExceededException: slow down');
    };
    let created = 0;
    const counting = Object.create(gateway) as AwsIamGateway;
    counting.createManagedPolicy = async (input) => {
      created += 1;
      return gateway.createManagedPolicy(input);
    };

    const outcome = await serviceOn(counting, { on: failing }).quarantine(
      eventId,
      ALICE,
      'again',
      undefined,
      undefined,
      'delivery-b',
    );
    expect(outcome).toMatchObject({ status: 'failed' });
    expect(outcome.status === 'failed' ? outcome.error : '').toContain(key);
    expect(created).toBe(0);
    // The dead claim's deny stays: the principal is not left unfenced.
    expect(await attachedTo(user)).toEqual([dead]);
    await gateway.setAccessKeyStatus(user, key, 'Inactive');

    await expect(service().lift({ eventId }, ALICE, 'z')).resolves.toMatchObject({
      status: 'lifted',
      restoredKeys: [],
    });
    expect(await statusOf(user)).toEqual({ [key]: 'Inactive' });
  });

  it('an addition that cannot record a key found on again adds nothing and makes no deny; a later one records it, and the lift keeps it off', async () => {
    const user = await iamUser();
    const key = await keyOf(user);
    const first = await changeBy(userIdentity(user));
    await expect(service().quarantine(first, ALICE, 'x', ['deactivate-keys'])).resolves.toMatchObject({
      status: 'done',
      deactivatedKeys: [key],
    });
    const held = (await store.getChange(first))?.quarantine;
    // Someone turns the key on again; the store then fails to record it found on.
    await gateway.setAccessKeyStatus(user, key, 'Active');
    const failing = Object.create(store) as DynamoChangeStore;
    failing.recordKeyFoundOn = async () => {
      throw new Error('ProvisionedThroughputExceededException: slow down');
    };
    let created = 0;
    const counting = Object.create(gateway) as AwsIamGateway;
    counting.createManagedPolicy = async (input) => {
      created += 1;
      return gateway.createManagedPolicy(input);
    };
    const second = await changeBy(userIdentity(user));

    const outcome = await serviceOn(counting, { on: failing }).quarantine(second, ALICE, 'y', [
      'revoke-sessions',
    ]);
    expect(outcome).toMatchObject({ status: 'failed', policyArn: held?.policyArn });
    expect(outcome.status === 'failed' ? outcome.error : '').toContain(key);
    expect(created).toBe(0);
    expect(await attachedTo(user)).toEqual([held?.policyArn]);
    expect((await store.getChange(first))?.quarantine?.addingModes).toBeUndefined();

    // The claim was given back: the next request adds the mode and records the key found on.
    await expect(service().quarantine(second, ALICE, 'y', ['revoke-sessions'])).resolves.toMatchObject({
      status: 'modes-added',
    });
    await gateway.setAccessKeyStatus(user, key, 'Inactive');
    await expect(service().lift({ eventId: first }, ALICE, 'z')).resolves.toMatchObject({
      status: 'lifted',
      restoredKeys: [],
    });
    expect(await statusOf(user)).toEqual({ [key]: 'Inactive' });
  });

  it('a failed takeover of a dead claim does not carry a key that is on again: a responder turning it off later keeps it off after the lift', async () => {
    const user = await iamUser();
    const key = await keyOf(user);
    const eventId = await changeBy(userIdentity(user));
    const dying = dyingAfter('keys', LONG_AGO);
    void dying.service.quarantine(eventId, ALICE, 'x', ['deactivate-keys'], undefined, 'delivery-a');
    await dying.reached;
    // Someone turns the key on again before the takeover, whose deny then fails to attach.
    await gateway.setAccessKeyStatus(user, key, 'Active');
    const refusing = Object.create(gateway) as AwsIamGateway;
    refusing.attachManagedPolicy = async () => {
      throw new Error('Throttling: Rate exceeded');
    };

    const outcome = await serviceOn(refusing).quarantine(
      eventId,
      ALICE,
      'again',
      undefined,
      undefined,
      'delivery-b',
    );
    expect(outcome).toMatchObject({ status: 'failed' });
    expect((await store.getChange(eventId))?.quarantine?.deactivatedKeys).toBeUndefined();
    await gateway.setAccessKeyStatus(user, key, 'Inactive');

    await expect(service().lift({ eventId }, ALICE, 'z')).resolves.toMatchObject({
      status: 'lifted',
      restoredKeys: [],
    });
    expect(await statusOf(user)).toEqual({ [key]: 'Inactive' });
  });

  it("a key one claim recorded is not restored through another claim's deny: a takeover that listed it on again and died before turning it off", async () => {
    const user = await iamUser();
    const key = await keyOf(user);
    const eventId = await changeBy(userIdentity(user));
    // A turns the key off, records it as the bot's, and dies.
    const dying = dyingAfter('keys', 2 * LONG_AGO);
    void dying.service.quarantine(eventId, ALICE, 'x', ['deactivate-keys'], undefined, 'delivery-a');
    await dying.reached;
    // Someone turns the key on again; B takes over, lists it active, names it in its own deny and dies before
    // UpdateAccessKey.
    await gateway.setAccessKeyStatus(user, key, 'Active');
    let reach: () => void = () => undefined;
    const reached = new Promise<void>((resolve) => {
      reach = resolve;
    });
    const stopping = Object.create(gateway) as AwsIamGateway;
    stopping.setAccessKeyStatus = async () => {
      reach();
      return new Promise<never>(() => undefined);
    };
    void serviceOn(stopping, { agoMs: LONG_AGO }).quarantine(
      eventId,
      ALICE,
      'again',
      ['deactivate-keys'],
      undefined,
      'delivery-b',
    );
    await reached;
    expect(await statusOf(user)).toEqual({ [key]: 'Active' });
    // A responder turns the key off by hand.
    await gateway.setAccessKeyStatus(user, key, 'Inactive');

    await expect(service().lift({ eventId }, ALICE, 'z')).resolves.toMatchObject({
      status: 'lifted',
      restoredKeys: [],
    });
    expect(await attachedTo(user)).toEqual([]);
    expect(await statusOf(user)).toEqual({ [key]: 'Inactive' });
  });

  it("a takeover that carries a dead claim's key records it under its own claim: the lift restores it", async () => {
    const user = await iamUser();
    const key = await keyOf(user);
    const eventId = await changeBy(userIdentity(user));
    const dying = dyingAfter('keys', LONG_AGO);
    void dying.service.quarantine(eventId, ALICE, 'x', ['deactivate-keys'], undefined, 'delivery-a');
    await dying.reached;

    await expect(
      service().quarantine(eventId, ALICE, 'again', undefined, undefined, 'delivery-b'),
    ).resolves.toMatchObject({ status: 'done', deactivatedKeys: [key] });
    const record = (await store.getChange(eventId))?.quarantine;
    expect(record?.keysTurnedOff?.map((entry) => entry.keyId)).toEqual([key, key]);
    expect(new Set(record?.keysTurnedOff?.map((entry) => entry.job)).size).toBe(2);

    await expect(service().lift({ eventId }, ALICE, 'z')).resolves.toMatchObject({
      status: 'lifted',
      restoredKeys: [key],
    });
    expect(await statusOf(user)).toEqual({ [key]: 'Active' });
  });

  it("a takeover that cannot list the keys keeps the dead claim's deny and says so; the lift names its key to turn on by hand", async () => {
    const user = await iamUser();
    const key = await keyOf(user);
    const eventId = await changeBy(userIdentity(user));
    const dying = dyingAfter('keys', LONG_AGO);
    void dying.service.quarantine(eventId, ALICE, 'x', ['deactivate-keys'], undefined, 'delivery-a');
    await dying.reached;
    const dead = (await store.getChange(eventId))?.quarantine?.policyArn ?? '';
    const unlisting = Object.create(gateway) as AwsIamGateway;
    // The preview lists them; the claim's own listing is refused.
    let listings = 0;
    unlisting.listAccessKeys = async (userName) => {
      listings += 1;
      if (listings > 1) throw new Error('Throttling: Rate exceeded');
      return gateway.listAccessKeys(userName);
    };

    const outcome = await serviceOn(unlisting).quarantine(eventId, ALICE, 'again', undefined, undefined, 'b');
    expect(outcome).toMatchObject({ status: 'done', deactivatedKeys: [] });
    expect(outcome.status === 'done' ? outcome.warnings.join('\n') : '').toContain(
      `their denies (${dead}) are kept, not cleared`,
    );
    expect(await gateway.getManagedPolicy(dead)).not.toBeNull();

    const lifted = await service().lift({ eventId }, ALICE, 'z');
    expect(lifted).toMatchObject({ status: 'lifted', restoredKeys: [] });
    expect(lifted.status === 'lifted' ? lifted.warnings.join('\n') : '').toContain(
      `access key ${key} is named by the bot's deny ${dead} but is not one the lift may turn on`,
    );
    expect(await statusOf(user)).toEqual({ [key]: 'Inactive' });
  });

  it('a key a dead claim turned off but never recorded stays off after the lift, with a warning naming it', async () => {
    const user = await iamUser();
    const key = await keyOf(user);
    const eventId = await changeBy(userIdentity(user));
    let reach: () => void = () => undefined;
    const reached = new Promise<void>((resolve) => {
      reach = resolve;
    });
    const on = Object.create(store) as DynamoChangeStore;
    on.recordKeyTurnedOff = async () => {
      reach();
      return new Promise<never>(() => undefined);
    };
    void serviceOn(gateway, { agoMs: LONG_AGO, on }).quarantine(eventId, ALICE, 'x', ['deactivate-keys']);
    await reached;
    expect(await statusOf(user)).toEqual({ [key]: 'Inactive' });

    const lifted = await service().lift({ eventId }, ALICE, 'z');
    expect(lifted).toMatchObject({ status: 'lifted', restoredKeys: [] });
    expect(lifted.status === 'lifted' ? lifted.warnings.join('\n') : '').toContain(
      `access key ${key} is named by the bot's deny`,
    );
    expect(await statusOf(user)).toEqual({ [key]: 'Inactive' });
  });

  it('a quarantine recorded before jobs were kept per key restores no key, and the lift says to turn them on by hand', async () => {
    const user = await iamUser();
    const key = await keyOf(user);
    const eventId = await changeBy(userIdentity(user));
    await expect(service().quarantine(eventId, ALICE, 'x', ['deactivate-keys'])).resolves.toMatchObject({
      status: 'done',
      deactivatedKeys: [key],
    });
    // The lists as the version before wrote them: bare key ids, policies with no job.
    const record = (await store.getChange(eventId))?.quarantine;
    await db.documentClient.send(
      new UpdateCommand({
        TableName: table,
        Key: { pk: `CHANGE#${eventId}`, sk: 'CHANGE' },
        UpdateExpression: 'SET quarantineKeysOff = :keys, quarantineCreated = :created',
        ExpressionAttributeValues: {
          ':keys': [key],
          ':created': (record?.createdPolicies ?? []).map(({ policyArn, policyId }) => ({
            policyArn,
            policyId,
          })),
        },
      }),
    );
    expect((await service().prepareLift(eventId)).keysToRestore).toEqual([]);

    const lifted = await service().lift({ eventId }, ALICE, 'z');
    expect(lifted).toMatchObject({ status: 'lifted', restoredKeys: [] });
    const words = lifted.status === 'lifted' ? lifted.warnings : [];
    expect(words.filter((line) => line.includes(key))).toHaveLength(1);
    expect(words.join('\n')).toContain(
      'was recorded before this version, which keeps the job that turned each key off: no key of this quarantine is turned on automatically; turn these keys on by hand after checking each',
    );
    expect(await statusOf(user)).toEqual({ [key]: 'Inactive' });
  });

  it('the normal paths still restore: a quarantine with keys, then an addition that carries them over', async () => {
    const user = await iamUser();
    const key = await keyOf(user);
    const eventId = await changeBy(userIdentity(user));
    await expect(service().quarantine(eventId, ALICE, 'x', ['deactivate-keys'])).resolves.toMatchObject({
      status: 'done',
      deactivatedKeys: [key],
    });
    const second = await changeBy(userIdentity(user));
    await expect(service().quarantine(second, ALICE, 'y', ['revoke-sessions'])).resolves.toMatchObject({
      status: 'modes-added',
      deactivatedKeys: [],
    });
    expect((await store.getChange(eventId))?.quarantine).toMatchObject({
      deactivatedKeys: [key],
      keysTurnedOff: [{ keyId: key }, { keyId: key }],
    });

    await expect(service().lift({ eventId }, ALICE, 'z')).resolves.toMatchObject({
      status: 'lifted',
      restoredKeys: [key],
    });
    expect(await statusOf(user)).toEqual({ [key]: 'Active' });
  });
});
