/**
 * A mute, end to end on a laptop: the local runtime with its own moto_server, driven through the sandbox page in
 * Debian's Chromium (playwright-core, never a downloaded browser). Mute similar… on the admin-policy alert opens
 * the modal; with a reason and "includes critical" the mute is kept, the thread says so, and `/iam-changes mutes`
 * lists it.
 */
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalRuntime, startLocalRuntime } from '../../src/local/runtime';
import { localRuntimeEnv } from '../support/moto';

const CHROMIUM = '/usr/bin/chromium';

async function requireChromium(): Promise<void> {
  try {
    await access(CHROMIUM);
  } catch {
    throw new Error(`Chromium is not at ${CHROMIUM}: install it with apt-get install chromium`);
  }
}

describe('a mute from the sandbox page', () => {
  let dataDir: string;
  let profileDir: string;
  let runtime: LocalRuntime;
  let browser: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    await requireChromium();
    dataDir = await mkdtemp(join(tmpdir(), 'iam-changes-mute-data-'));
    profileDir = await mkdtemp(join(tmpdir(), 'iam-changes-mute-profile-'));
    runtime = await startLocalRuntime({ port: 0, dataDir, moto: true, env: localRuntimeEnv() });
    browser = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 1000 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
      ],
    });
    page = await browser.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await runtime?.stop();
    await rm(dataDir, { recursive: true, force: true });
    await rm(profileDir, { recursive: true, force: true });
  });

  it('mutes similar changes from a critical alert, including critical, with a reason', async () => {
    await page.goto(runtime.urls.page);
    await page.getByRole('button', { name: /Admin policy attached/ }).click();
    const alert = page.locator('.message', {
      hasText: 'CRITICAL · Attached AdministratorAccess to role ci-runner',
    });
    await alert.waitFor({ timeout: 30_000 });

    await alert.getByRole('button', { name: 'Mute similar…' }).click();
    await page.locator('#modal-title', { hasText: 'Mute similar' }).waitFor({ timeout: 30_000 });
    await page.getByLabel('Includes critical changes').check();
    await page.locator('#modal-form textarea').fill('drill INC-7: the admin attach is planned');
    await page.locator('#modal-submit').click();
    await page.locator('#modal-backdrop').waitFor({ state: 'hidden', timeout: 30_000 });

    await alert.locator('.replies').click();
    const thread = page.locator('#thread-messages');
    await thread.getByText(/muted/).first().waitFor({ timeout: 30_000 });
    expect(await thread.textContent()).toContain('drill INC-7');
    expect(await thread.textContent()).toContain('including critical changes');
    expect(pageErrors).toEqual([]);
  }, 180_000);
});
