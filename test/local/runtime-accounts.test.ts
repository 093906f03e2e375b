/**
 * The local runtime on its own moto_server acts only there: an environment copied from a deployment
 * (`HOME_ACCOUNT_ID` of the real account) must not send a revert of the demo's account through the responder
 * role — `sts:AssumeRole` to the real AWS, with whatever credentials the machine has.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IAMClient, ListAttachedRolePoliciesCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalRuntime, startLocalRuntime } from '../../src/local/runtime';
import { localRuntimeEnv, runtimeMotoEndpoint } from '../support/moto';

describe('the local runtime on moto, given a deployment account', () => {
  let dataDir: string;
  let runtime: LocalRuntime;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'iam-changes-runtime-accounts-'));
    runtime = await startLocalRuntime({
      port: 0,
      dataDir,
      env: { ...localRuntimeEnv(), HOME_ACCOUNT_ID: '111122223333', MEMBER_ACCOUNTS: '123456789012' },
    });
  }, 60_000);
  afterAll(async () => {
    await runtime?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('reverts the demo change on its moto, not through a responder role elsewhere', async () => {
    const sandbox = runtime.sandbox;
    if (!sandbox) throw new Error('no sandbox');
    await runtime.runScenario('admin-policy');
    const alert = sandbox.workspace.messages.find((message) =>
      message.text.includes('attached AdministratorAccess'),
    );
    if (!alert) throw new Error('no alert');
    const actions = alert.blocks?.find((block) => (block as { type?: string }).type === 'actions') as
      | { block_id: string }
      | undefined;
    if (!actions) throw new Error('the alert has no buttons');
    await sandbox.interactions.clickInMessage(
      { channel: alert.channel, ts: alert.ts },
      { blockId: actions.block_id, actionId: 'change.revert' },
    );
    await runtime.idle();
    const view = sandbox.workspace.viewStack('U0LOCALDEV').at(-1);
    if (!view) throw new Error('no confirmation modal');
    await sandbox.interactions.submitView(view.id, { reason: { 'change.reason': 'demo' } });
    await runtime.idle();

    expect(sandbox.workspace.messages.find((message) => message.ts === alert.ts)?.text).toMatch(/reverted/i);
    const iam = new IAMClient({
      region: 'us-east-1',
      endpoint: runtimeMotoEndpoint(runtime),
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    try {
      const attached = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'ci-runner' }));
      expect(attached.AttachedPolicies?.map((policy) => policy.PolicyName)).not.toContain(
        'AdministratorAccess',
      );
    } finally {
      iam.destroy();
    }
  }, 90_000);
});
