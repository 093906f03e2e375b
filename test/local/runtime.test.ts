import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalRuntime, startLocalRuntime } from '../../src/local/runtime';

function actionsBlockId(blocks: unknown[] | undefined): string {
  const actions = blocks?.find((block) => (block as { type?: string }).type === 'actions') as
    | { block_id: string }
    | undefined;
  if (!actions) throw new Error('the message has no buttons');
  return actions.block_id;
}

describe('the local runtime without AWS', () => {
  let dataDir: string;
  let runtime: LocalRuntime;
  const lines: string[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'iam-changes-runtime-'));
    runtime = await startLocalRuntime({
      port: 0,
      dataDir,
      moto: false,
      env: {},
      log: (line) => lines.push(line),
    });
  }, 30_000);
  afterAll(async () => {
    await runtime?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('says that reverts are a dry run, on the page and in its status', () => {
    expect(runtime.mode).toEqual({ slack: 'sandbox', aws: 'none' });
    expect(runtime.urls.aws).toBeUndefined();
    const aws = runtime.status.find((line) => line.label === 'AWS');
    expect(aws).toMatchObject({ level: 'warn' });
    expect(aws?.value).toMatch(/dry run/);
    const notices = runtime.sandbox?.workspace.notices.map((notice) => notice.text) ?? [];
    expect(notices.some((text) => /dry run/.test(text))).toBe(true);
  });

  it('feeds the admin-policy records only, and reverts on the simulated IAM', async () => {
    const sandbox = runtime.sandbox;
    if (!sandbox) throw new Error('no sandbox');
    await runtime.runScenario('admin-policy');
    const alert = sandbox.workspace.messages.find((message) =>
      message.text.includes('attached AdministratorAccess'),
    );
    if (!alert) throw new Error('no alert');
    const blockId = actionsBlockId(alert.blocks);
    await sandbox.interactions.clickInMessage(
      { channel: alert.channel, ts: alert.ts },
      { blockId, actionId: 'change.revert' },
    );
    await runtime.idle();
    const view = sandbox.workspace.viewStack('U0LOCALDEV').at(-1);
    if (!view) throw new Error('no confirmation modal');
    const modal = JSON.stringify(view.view);
    expect(modal).toContain('the live state matches the state right after the change');
    // Nothing runs in AWS here, and the modal says so instead of "These IAM calls will run".
    expect(modal).toContain('*Dry run.* No AWS is configured');
    expect(modal).not.toContain('These IAM calls will run');
    expect((view.view as { submit?: { text?: string } }).submit?.text).toBe('Revert (dry run)');
    await sandbox.interactions.submitView(view.id, { reason: { 'change.reason': 'dry run' } });
    await runtime.idle();
    const updated = sandbox.workspace.messages.find((message) => message.ts === alert.ts);
    expect(updated?.text).toMatch(/reverted \(dry run\)/i);
    expect(JSON.stringify(updated?.blocks)).toContain('Reverted (dry run) — was CRITICAL');
    const thread = JSON.stringify(
      sandbox.workspace.messages.filter((message) => message.threadTs === alert.ts).map((m) => m.blocks),
    );
    expect(thread).toContain('*Reverted (dry run)*');
    expect(thread).toContain('Ran on the simulated IAM');
    expect(thread).not.toMatch(/\*Ran:\*/);
    expect(
      lines.some((line) => line.startsWith('dry run (simulated IAM): iam:DetachRolePolicy ci-runner')),
    ).toBe(true);
  }, 30_000);

  it('reverts the trust-policy scenario once the local CloudTrail history confirms the change', async () => {
    const sandbox = runtime.sandbox;
    if (!sandbox) throw new Error('no sandbox');
    await runtime.runScenario('trust-policy');
    const alert = sandbox.workspace.messages.find((message) =>
      message.text.includes('opened the trust policy'),
    );
    if (!alert)
      throw new Error(`no alert among ${sandbox.workspace.messages.map((m) => m.text).join(' | ')}`);
    await sandbox.interactions.clickInMessage(
      { channel: alert.channel, ts: alert.ts },
      { blockId: actionsBlockId(alert.blocks), actionId: 'change.revert' },
    );
    await runtime.idle();
    const view = sandbox.workspace.viewStack('U0LOCALDEV').at(-1);
    if (!view) throw new Error('no confirmation modal');
    const shown = JSON.stringify(view.view);
    // Restoring the previous trust policy grants access back: it ran only because CloudTrail had the event.
    expect(shown).not.toContain('Waiting for CloudTrail');
    expect(shown).toContain('iam:UpdateAssumeRolePolicy');
    await sandbox.interactions.submitView(view.id, { reason: { 'change.reason': 'open trust' } });
    await runtime.idle();
    expect(sandbox.workspace.messages.find((message) => message.ts === alert.ts)?.text).toMatch(/reverted/i);
  }, 30_000);

  it('answers /iam-changes status with what is missing (AWS), not with a failed call', async () => {
    const sandbox = runtime.sandbox;
    if (!sandbox) throw new Error('no sandbox');
    const before = sandbox.workspace.ephemerals.length;
    await sandbox.interactions.command('/iam-changes status');
    await runtime.idle();
    const answer = sandbox.workspace.ephemerals.slice(before).at(-1);
    const text = `${answer?.text}\n${JSON.stringify(answer?.blocks)}`;

    expect(text).toContain('this local run has no AWS (started with --no-moto)');
    expect(text).toContain('moto_server on PATH');
    expect(text).not.toMatch(/ECONNREFUSED|may read CloudTrail/);
  });

  it('says in the alarm as many calls as its datapoint, with other scenarios in the same period', async () => {
    const sandbox = runtime.sandbox;
    if (!sandbox) throw new Error('no sandbox');
    await runtime.runScenario('terraform-burst');
    await runtime.runScenario('cis-alarm');
    await runtime.idle();
    const alarm = sandbox.workspace.messages.findLast((message) =>
      message.text.startsWith('ALARM: CIS-4.4-IAMPolicyChanges'),
    );
    if (!alarm) throw new Error('no alarm posted');
    const calls = Number(/· (\d+) calls/.exec(alarm.text)?.[1]);

    // The burst's ten CreatePolicy and ten AttachRolePolicy calls fall in the period too, unless it just began.
    expect(calls).toBeGreaterThanOrEqual(3);
    expect(JSON.stringify(alarm.blocks)).toContain(`[${calls}.0 (`);
  }, 60_000);

  it('keeps the store and the channel across a restart on the same data folder', async () => {
    const before = runtime.sandbox?.workspace.messages.length ?? 0;
    expect(before).toBeGreaterThan(0);
    await runtime.stop();
    runtime = await startLocalRuntime({ port: 0, dataDir, moto: false, env: {} });
    expect(runtime.status.find((line) => line.label === 'Store')?.value).not.toContain('created now');
    expect(runtime.sandbox?.workspace.messages).toHaveLength(before);
  }, 30_000);
});
