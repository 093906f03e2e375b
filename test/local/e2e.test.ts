/**
 * The whole bot on a laptop, end to end: the local runtime with its own moto_server, driven through the sandbox
 * page in Debian's Chromium (playwright-core, never a downloaded browser). The admin-policy scenario really
 * attaches AdministratorAccess on moto; the alert's Revert must really detach it there.
 */
import { IAMClient, ListAttachedRolePoliciesCommand } from '@aws-sdk/client-iam';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../src/local/runtime';
import { type BrowserRuntime, startBrowserRuntime } from '../support/browser-runtime';
import { runtimeMotoEndpoint } from '../support/moto';

const SCREENSHOT = '/tmp/iam-changes-e2e.png';

describe('the local runtime, in a browser', () => {
  let browser: BrowserRuntime;
  let runtime: LocalRuntime;
  let page: Page;
  let pageErrors: string[];

  beforeAll(async () => {
    browser = await startBrowserRuntime('e2e');
    ({ runtime, page, pageErrors } = browser);
  }, 180_000);

  afterAll(async () => {
    await browser?.stop();
  });

  it('runs on moto_server and says so', () => {
    expect(runtime.mode).toEqual({ slack: 'sandbox', aws: 'moto' });
    expect(runtime.urls.aws).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('alerts on the admin policy scenario; Acknowledge, then Revert with a reason, detach it on moto', async () => {
    await page.goto(runtime.urls.page);
    await page.getByRole('button', { name: /Admin policy attached/ }).click();

    const alert = page.locator('.message', {
      hasText: 'CRITICAL · Attached AdministratorAccess to role ci-runner',
    });
    await alert.waitFor({ timeout: 30_000 });
    expect(await alert.locator('.bk-header').textContent()).toContain('CRITICAL');
    expect(await alert.locator('.mk-broadcast').textContent()).toBe('@here');

    await alert.getByRole('button', { name: 'Acknowledge' }).click();
    await alert
      .getByText(/Acknowledged by/)
      .first()
      .waitFor({ timeout: 30_000 });

    await alert.getByRole('button', { name: 'Revert', exact: true }).click();
    // The button's confirm dialog first, as Slack shows it.
    await page.locator('#confirm-title', { hasText: 'Revert this change?' }).waitFor({ timeout: 30_000 });
    await page.locator('#confirm-ok').click();

    const reason = page.locator('#modal-form textarea');
    await reason.waitFor({ timeout: 30_000 });
    expect(await page.locator('#modal-title').textContent()).toBe('Revert change');
    expect(await page.locator('#modal-form').textContent()).toContain('iam:DetachRolePolicy');
    await reason.fill('CI must never be admin: ticket SEC-1234');
    await page.locator('#modal-submit').click();
    await page.locator('#modal-backdrop').waitFor({ state: 'hidden', timeout: 30_000 });

    await alert
      .getByText(/Reverted/)
      .first()
      .waitFor({ timeout: 30_000 });
    expect(await alert.textContent()).toContain('CI must never be admin');
    expect(await alert.getByRole('button', { name: 'Revert', exact: true }).count()).toBe(0);
    await page.screenshot({ path: SCREENSHOT, fullPage: false });

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
    expect(pageErrors).toEqual([]);
  }, 180_000);

  it('lists the replies in the alert thread', async () => {
    const alert = page
      .locator('.message', { hasText: 'Attached AdministratorAccess to role ci-runner' })
      .first();
    await alert.locator('.replies').click();
    const thread = page.locator('#thread-messages');
    await thread
      .getByText(/Reverted by/)
      .first()
      .waitFor({ timeout: 30_000 });
    expect(await thread.textContent()).toContain('Acknowledged by');
  }, 60_000);
});
