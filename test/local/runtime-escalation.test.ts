/**
 * The local runtime (`npm start`) on its own moto_server runs the escalation check as the deployed bot does: the
 * demo's changes are made on moto, and their alerts say what the changed principal can reach now.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalRuntime, startLocalRuntime } from '../../src/local/runtime';
import type { ScenarioName } from '../../src/local/scenarios';
import { localRuntimeEnv } from '../support/moto';

describe('the local runtime on moto: escalation paths', () => {
  let dataDir: string;
  let runtime: LocalRuntime;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'iam-changes-runtime-escalation-'));
    runtime = await startLocalRuntime({ port: 0, dataDir, env: localRuntimeEnv() });
  }, 60_000);
  afterAll(async () => {
    await runtime?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it.each<[ScenarioName, string, string]>([
    ['admin-policy', 'attached AdministratorAccess', 'role ci-runner can now reach administrator through'],
    [
      'inline-policy',
      'wrote inline policy deploy-access',
      'user contractor-bob can now reach administrator through',
    ],
  ])(
    'says what the %s scenario opened, never leaving "checking…"',
    async (scenario, alertText, expected) => {
      const sandbox = runtime.sandbox;
      if (!sandbox) throw new Error('no sandbox');
      await runtime.runScenario(scenario);
      await runtime.idle();
      const alert = sandbox.workspace.messages.find(
        (message) => message.text.includes(alertText) || JSON.stringify(message.blocks).includes(alertText),
      );
      if (!alert)
        throw new Error(`no alert among ${sandbox.workspace.messages.map((m) => m.text).join(' | ')}`);
      const shown = JSON.stringify(alert.blocks);

      expect(shown).toContain(expected);
      expect(shown).toContain('Escalation paths opened for');
      expect(shown).not.toContain('Checking escalation paths');
    },
    60_000,
  );
});

describe('the local runtime without AWS: escalation paths on the simulated IAM', () => {
  let dataDir: string;
  let runtime: LocalRuntime;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'iam-changes-runtime-escalation-none-'));
    runtime = await startLocalRuntime({ port: 0, dataDir, moto: false, env: {} });
  }, 30_000);
  afterAll(async () => {
    await runtime?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('says what the admin-policy scenario opened, read from the calls the simulated account followed', async () => {
    const sandbox = runtime.sandbox;
    if (!sandbox) throw new Error('no sandbox');
    await runtime.runScenario('admin-policy');
    await runtime.idle();
    const alert = sandbox.workspace.messages.find((message) =>
      message.text.includes('attached AdministratorAccess'),
    );
    if (!alert) throw new Error('no alert');
    const shown = JSON.stringify(alert.blocks);

    expect(shown).toContain('role ci-runner can now reach administrator through');
    expect(shown).not.toMatch(/Checking escalation paths|ECONNREFUSED|not checked/);
  }, 30_000);
});
