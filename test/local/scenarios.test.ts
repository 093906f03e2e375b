/**
 * The demo scenarios on the local runtime with its own moto_server: each makes the calls its records describe,
 * and the bot's answer to it — an alert, a revert, a grouped burst, an alarm naming its calls — is real.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetRoleCommand, GetUserPolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalRuntime, startLocalRuntime } from '../../src/local/runtime';
import type { SandboxMessage } from '../../src/local/slack-sandbox/workspace';
import { localRuntimeEnv, runtimeMotoEndpoint } from '../support/moto';

let runtime: LocalRuntime;
let dataDir: string;
let iam: IAMClient;

function sandbox() {
  if (!runtime.sandbox) throw new Error('the runtime has no sandbox');
  return runtime.sandbox;
}

function topLevel(): SandboxMessage[] {
  return sandbox().workspace.messages.filter((message) => message.threadTs === undefined);
}

function replies(parent: SandboxMessage): SandboxMessage[] {
  return sandbox().workspace.messages.filter((message) => message.threadTs === parent.ts);
}

function alertSaying(text: string): SandboxMessage {
  const found = topLevel().findLast((message) => message.text.includes(text));
  if (!found)
    throw new Error(
      `no message says ${text}: ${topLevel()
        .map((m) => m.text)
        .join(' | ')}`,
    );
  return found;
}

/** Clicks Revert on an alert, gives the reason in the modal and waits for the worker. */
async function revert(alert: SandboxMessage, reason: string): Promise<void> {
  const actions = alert.blocks?.find(
    (block): block is { type: string; block_id: string } =>
      typeof block === 'object' && block !== null && (block as { type?: string }).type === 'actions',
  );
  if (!actions) throw new Error('the alert has no buttons');
  const clicked = await sandbox().interactions.clickInMessage(
    { channel: alert.channel, ts: alert.ts },
    { blockId: actions.block_id, actionId: 'change.revert' },
  );
  expect(clicked.ok).toBe(true);
  await runtime.idle();
  const view = sandbox().workspace.viewStack('U0LOCALDEV').at(-1);
  if (!view) throw new Error('no confirmation modal opened');
  const submitted = await sandbox().interactions.submitView(view.id, { reason: { 'change.reason': reason } });
  expect(submitted).toMatchObject({ ok: true });
  await runtime.idle();
}

describe('demo scenarios on moto_server', () => {
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'iam-changes-scenarios-'));
    runtime = await startLocalRuntime({ port: 0, dataDir, env: localRuntimeEnv() });
    iam = new IAMClient({
      region: 'us-east-1',
      endpoint: runtimeMotoEndpoint(runtime),
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
  }, 60_000);
  afterAll(async () => {
    iam?.destroy();
    await runtime?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('opens the trust policy on moto, and Revert restores the one Terraform set', async () => {
    await runtime.runScenario('trust-policy');
    const role = await iam.send(new GetRoleCommand({ RoleName: 'deploy-bot' }));
    expect(decodeURIComponent(role.Role?.AssumeRolePolicyDocument ?? '')).toContain('"*"');
    const alert = alertSaying('opened the trust policy of role deploy-bot to everyone');
    expect(alert.text).toMatch(/CRITICAL/);
    await revert(alert, 'nobody outside the account may assume deploy-bot');
    const after = await iam.send(new GetRoleCommand({ RoleName: 'deploy-bot' }));
    const trust = decodeURIComponent(after.Role?.AssumeRolePolicyDocument ?? '');
    expect(trust).toContain(':root');
    expect(trust).not.toContain('"*"');
    expect(alertSaying('deploy-bot to everyone').text).toMatch(/reverted/i);
  }, 60_000);

  it('writes the escalating inline policy on moto, and Revert puts Terraform’s version back', async () => {
    await runtime.runScenario('inline-policy');
    const alert = alertSaying('wrote inline policy deploy-access on user contractor-bob');
    expect(alert.text).toMatch(/CRITICAL/);
    await revert(alert, 'contractors do not get iam:*');
    const policy = await iam.send(
      new GetUserPolicyCommand({ UserName: 'contractor-bob', PolicyName: 'deploy-access' }),
    );
    const document = decodeURIComponent(policy.PolicyDocument ?? '');
    expect(document).toContain('s3:GetObject');
    expect(document).not.toContain('iam:*');
  }, 60_000);

  it('groups thirty Terraform changes from one session under one message with a running count', async () => {
    const before = topLevel().length;
    await runtime.runScenario('terraform-burst');
    const fresh = topLevel().slice(before);
    expect(fresh).toHaveLength(1);
    const parent = fresh[0] as SandboxMessage;
    expect(parent.text).toMatch(/terraform-ci\/terraform-apply-/);
    const listed = replies(parent).reduce((sum, reply) => sum + (reply.blocks?.length ?? 0), 0);
    expect(listed).toBe(29);
    expect(replies(parent).length).toBeLessThan(29);
    expect(JSON.stringify(parent.blocks)).toContain('29');
  }, 90_000);

  it('fires the CIS 4.4 alarm, and its summary names the three calls found in the log group', async () => {
    await runtime.runScenario('cis-alarm');
    const alarm = alertSaying('ALARM: CIS-4.4-IAMPolicyChanges');
    expect(alarm.text).toContain('3 calls');
    expect(JSON.stringify(alarm.blocks)).toContain('CloudWatch Logs');
    expect(alertSaying('wrote inline policy assume-anything on role ci-runner').text).toMatch(/HIGH/);
  }, 60_000);
});
