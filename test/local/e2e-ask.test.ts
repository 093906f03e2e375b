/**
 * "Was this you?" end to end on a laptop: the local runtime on moto, with the demo callers mapped to the sandbox
 * user, driven through the sandbox page in Debian's Chromium. A change is posted; the worker DMs the person; on the
 * page's direct-message view they press "Yes, it was me" with a reason (real signed requests to the bot) and the
 * alert shows the confirmation; on another change they press "No" and the alert is raised, with @here in its
 * thread. The Home tab is drawn from the bot's `views.publish`.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserRuntime, startBrowserRuntime } from '../support/browser-runtime';

describe('"was this you?" from the sandbox page', () => {
  let browser: BrowserRuntime;
  let page: Page;

  beforeAll(async () => {
    browser = await startBrowserRuntime('ask', {
      ASK_ACTOR: 'true',
      // The admin-policy scenario's Identity Center user and the trust-policy scenario's IAM user are "you".
      ASK_ACTOR_MAPPING: JSON.stringify({
        '*/jane@example.com': 'U0LOCALDEV',
        'arn:aws:iam::*:user/mallory': 'U0LOCALDEV',
      }),
    });
    page = browser.page;
  }, 180_000);

  afterAll(async () => {
    await browser?.stop();
  });

  const channel = () => page.locator('#channel-list button', { hasText: '# iam-changes' });
  const dm = () => page.locator('#dm-list button', { hasText: '@ iam-changes' });

  it('"Yes, it was me" with a reason, in the DM: the alert shows the confirmation', async () => {
    await page.goto(browser.runtime.urls.page);
    await page.getByRole('button', { name: /Admin policy attached/ }).click();
    const alert = page.locator('#messages .message', {
      hasText: 'Attached AdministratorAccess to role ci-runner',
    });
    await alert.waitFor({ timeout: 30_000 });

    await dm().waitFor({ timeout: 30_000 });
    await dm().click();
    const ask = page.locator('#messages .message', { hasText: 'ci-runner' }).last();
    await ask.getByRole('button', { name: 'Yes, it was me' }).waitFor({ timeout: 30_000 });
    await ask.getByRole('button', { name: 'Yes, it was me' }).click();
    await page.locator('#modal-title', { hasText: 'It was me' }).waitFor({ timeout: 30_000 });
    await page.locator('#modal-form input, #modal-form textarea').first().fill('drill: deploy #812');
    await page.locator('#modal-submit').click();
    await page.locator('#modal-backdrop').waitFor({ state: 'hidden', timeout: 30_000 });
    // The DM loses its buttons once answered.
    await ask.getByRole('button', { name: 'Yes, it was me' }).waitFor({ state: 'detached', timeout: 30_000 });

    await channel().click();
    await alert
      .getByText(/Confirmed by you/)
      .first()
      .waitFor({ timeout: 30_000 });
    expect(await alert.textContent()).toContain('drill: deploy #812');
    expect(browser.pageErrors).toEqual([]);
  }, 180_000);

  it('"No, it wasn\'t me": the alert is raised and the channel hears @here in its thread', async () => {
    await page.getByRole('button', { name: /Trust policy opened/ }).click();
    const alert = page.locator('#messages .message', { hasText: 'deploy-bot' }).last();
    await alert.waitFor({ timeout: 60_000 });

    await dm().click();
    const ask = page.locator('#messages .message', { hasText: 'deploy-bot' }).last();
    await ask.getByRole('button', { name: "No, it wasn't me" }).waitFor({ timeout: 30_000 });
    await ask.getByRole('button', { name: "No, it wasn't me" }).click();
    // The button's confirm dialog, as Slack shows it.
    await page.locator('#confirm-title', { hasText: 'Not you?' }).waitFor({ timeout: 30_000 });
    await page.locator('#confirm-ok').click();
    await ask
      .getByRole('button', { name: "No, it wasn't me" })
      .waitFor({ state: 'detached', timeout: 30_000 });

    await channel().click();
    await alert.locator('.bk-header', { hasText: "says it wasn't them" }).waitFor({ timeout: 30_000 });
    await alert.locator('.replies').click();
    const thread = page.locator('#thread-messages');
    await thread
      .getByText(/says they did not make this change/)
      .first()
      .waitFor({ timeout: 30_000 });
    expect(await thread.textContent()).toContain('@here');
    expect(browser.pageErrors).toEqual([]);
  }, 180_000);

  it('draws the Home tab the bot publishes when it is opened', async () => {
    await page.locator('#home-button').click();
    const home = page.locator('#home');
    await home.locator('.bk-header', { hasText: 'Open alerts' }).waitFor({ timeout: 30_000 });
    expect(await home.isVisible()).toBe(true);
    expect(await page.locator('#messages').isVisible()).toBe(false);
    expect(await page.locator('#channel-title').textContent()).toBe('iam-changes · Home');
    // The denied change is open, with its buttons; the confirmed one is in hand, not open.
    const open = await home.textContent();
    expect(open).toContain('deploy-bot');
    expect(open).not.toContain('ci-runner');
    expect(await home.getByRole('button').count()).toBeGreaterThan(0);
    expect(browser.pageErrors).toEqual([]);
  }, 60_000);
});
