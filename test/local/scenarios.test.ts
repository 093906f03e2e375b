/**
 * The demo scenarios on the local runtime with its own moto_server: each makes the calls its records describe,
 * and the bot's answer to it — an alert, a revert, a grouped burst, an alarm naming its calls — is real.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GetRoleCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  ListUserPoliciesCommand,
} from '@aws-sdk/client-iam';
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

/** Top-level messages posted while `run` ran. */
async function postedBy(run: () => Promise<void>): Promise<SandboxMessage[]> {
  const before = new Set(topLevel().map((message) => message.ts));
  await run();
  await runtime.idle();
  return topLevel().filter((message) => !before.has(message.ts));
}

/** Sends `/iam-changes status` and returns the report's text once the worker has answered. */
async function status(): Promise<string> {
  const before = sandbox().workspace.ephemerals.length;
  await sandbox().interactions.command('/iam-changes status');
  await runtime.idle();
  const answers = sandbox().workspace.ephemerals.slice(before);
  const report = answers.at(-1);
  if (!report) throw new Error('no answer to /iam-changes status');
  return `${report.text}\n${JSON.stringify(report.blocks)}`;
}

/** Clicks Quarantine on an alert, gives the reason in the modal and waits for the worker. */
async function quarantine(alert: SandboxMessage, reason: string): Promise<void> {
  await confirmAction(alert, 'change.quarantine', reason);
}

/** Clicks Revert on an alert, gives the reason in the modal and waits for the worker. */
async function revert(alert: SandboxMessage, reason: string): Promise<void> {
  await confirmAction(alert, 'change.revert', reason);
}

async function confirmAction(alert: SandboxMessage, actionId: string, reason: string): Promise<void> {
  const actions = alert.blocks?.find(
    (block): block is { type: string; block_id: string } =>
      typeof block === 'object' && block !== null && (block as { type?: string }).type === 'actions',
  );
  if (!actions) throw new Error('the alert has no buttons');
  const clicked = await sandbox().interactions.clickInMessage(
    { channel: alert.channel, ts: alert.ts },
    { blockId: actions.block_id, actionId },
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
    const posted = await postedBy(() => runtime.runScenario('trust-policy'));
    // Terraform's setup is the demo's own doing: recorded for Revert, never an alert of its own.
    expect(posted.map((message) => message.text)).toEqual([
      expect.stringContaining('opened the trust policy of role deploy-bot to everyone'),
    ]);
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

  it('quarantines mallory, the caller of the trust-policy change, on moto', async () => {
    await runtime.runScenario('trust-policy');
    const keys = await iam.send(new ListAccessKeysCommand({ UserName: 'mallory' }));
    expect(keys.AccessKeyMetadata?.map((key) => key.Status)).toEqual(['Active']);

    await quarantine(alertSaying('deploy-bot to everyone'), 'mallory opened deploy-bot to everyone');

    const inline = await iam.send(new ListUserPoliciesCommand({ UserName: 'mallory' }));
    const attached = await iam.send(new ListAttachedUserPoliciesCommand({ UserName: 'mallory' }));
    expect([
      ...(inline.PolicyNames ?? []),
      ...(attached.AttachedPolicies ?? []).map((p) => p.PolicyName),
    ]).not.toEqual([]);
    const notes = sandbox()
      .workspace.messages.filter((message) => message.threadTs === alertSaying('deploy-bot to everyone').ts)
      .map((message) => message.text)
      .join(' | ');
    expect(notes).not.toMatch(/try again/i);
  }, 60_000);

  it('writes the escalating inline policy on moto, and Revert puts Terraform’s version back', async () => {
    const posted = await postedBy(() => runtime.runScenario('inline-policy'));
    expect(posted.map((message) => message.text)).toEqual([
      expect.stringContaining('wrote inline policy deploy-access on user contractor-bob'),
    ]);
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
    // Quarantine on the group acts on the session's role: it exists.
    expect((await iam.send(new GetRoleCommand({ RoleName: 'terraform-ci' }))).Role?.RoleName).toBe(
      'terraform-ci',
    );
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

  it('builds the whole CIS 4.4 chain, so /iam-changes status passes after the alarm scenario', async () => {
    await runtime.runScenario('cis-alarm');

    const report = await status();

    expect(report).toMatch(/CIS 4\.4 audit: PASS/);
    for (const check of [
      'trail-multi-region-logging',
      'trail-write-management-events',
      'trail-cloudwatch-logs',
      'metric-filter-covers-16',
      'alarm-on-metric',
      'alarm-fires-on-one-event',
      'alarm-has-sns-action',
      'sns-confirmed-subscription',
    ]) {
      expect(report).toContain(`✓ *${check}*`);
    }
    expect(report).not.toContain('✗');
    // The alarm the scenario reported is in ALARM on moto too.
    expect(report).toContain('(state ALARM)');
  }, 60_000);

  it('counts in the alarm what the bot finds in its period, every earlier run in it included', async () => {
    const posted = await postedBy(() => runtime.runScenario('cis-alarm'));
    const alarm = posted.find((message) => message.text.startsWith('ALARM: CIS-4.4-IAMPolicyChanges'));
    if (!alarm) throw new Error('no alarm posted');
    const calls = Number(/· (\d+) calls/.exec(alarm.text)?.[1]);
    // Every run in this file's five minutes adds three calls to the log group; the datapoint says as many.
    expect(calls).toBeGreaterThanOrEqual(3);
    expect(calls % 3).toBe(0);
    expect(JSON.stringify(alarm.blocks)).toContain(`[${calls}.0 (`);
  }, 60_000);
});

describe('/iam-changes status on a fresh moto_server', () => {
  let fresh: LocalRuntime;
  let freshDir: string;

  beforeAll(async () => {
    freshDir = await mkdtemp(join(tmpdir(), 'iam-changes-status-'));
    fresh = await startLocalRuntime({ port: 0, dataDir: freshDir, env: { PATH: process.env.PATH } });
  }, 60_000);
  afterAll(async () => {
    await fresh?.stop();
    await rm(freshDir, { recursive: true, force: true });
  });

  it('fails every check and says the chain is missing from its first link', async () => {
    const workspace = fresh.sandbox?.workspace;
    if (!workspace || !fresh.sandbox) throw new Error('no sandbox');
    const before = workspace.ephemerals.length;
    await fresh.sandbox.interactions.command('/iam-changes status');
    await fresh.idle();
    const report = workspace.ephemerals.slice(before).at(-1);
    const text = `${report?.text}\n${JSON.stringify(report?.blocks)}`;

    expect(text).toMatch(/CIS 4\.4 audit: FAIL — 8 of 8 checks failing/);
    expect(text).toContain('no trail → no log group → no CIS 4.4 filter → no alarm → no SNS topic');
    expect(text).not.toContain('uncounted by the filter');
    expect(text).toContain('(16 of 16, no CIS 4.4 metric filter counts them)');
  }, 60_000);
});
