/**
 * A mute, end to end on a laptop: the local runtime with its own moto_server, driven through the sandbox page in
 * Debian's Chromium (playwright-core, never a downloaded browser). Mute similar… on the admin-policy alert opens
 * the modal; with a reason and "includes critical" the mute is kept, the thread says so, and `/iam-changes mutes`
 * lists it.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../src/local/runtime';
import { type BrowserRuntime, startBrowserRuntime } from '../support/browser-runtime';

describe('a mute from the sandbox page', () => {
  let browser: BrowserRuntime;
  let runtime: LocalRuntime;
  let page: Page;
  let pageErrors: string[];

  beforeAll(async () => {
    browser = await startBrowserRuntime('mute');
    ({ runtime, page, pageErrors } = browser);
  }, 180_000);

  afterAll(async () => {
    await browser?.stop();
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
