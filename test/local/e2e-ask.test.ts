/**
 * "Was this you?" end to end on a laptop: the local runtime on moto, with the demo callers mapped to the sandbox
 * user, driven through the sandbox page in Debian's Chromium. A change is posted; the worker DMs the person; on the
 * page's direct-message view they press "Yes, it was me" with a reason (real signed requests to the bot) and the
 * alert shows the confirmation; on another change they press "No" and the alert is raised, with @here in its
 * thread; on a third they do not answer, and the runtime's sweep notes it. The Home tab is drawn from the bot's
 * `views.publish`.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localCredentials } from '../../src/local/embedded-store';
import { PENDING_ASK_PARTITION } from '../../src/store/dynamo-pending-asks';
import { type BrowserRuntime, startBrowserRuntime } from '../support/browser-runtime';

describe('"was this you?" from the sandbox page', () => {
  let browser: BrowserRuntime;
  let page: Page;

  beforeAll(async () => {
    browser = await startBrowserRuntime(
      'ask',
      {
        ASK_ACTOR: 'true',
        // The admin-policy scenario's Identity Center user and the trust-policy scenario's IAM user are "you".
        ASK_ACTOR_MAPPING: JSON.stringify({
          '*/jane@example.com': 'U0LOCALDEV',
          'arn:aws:iam::*:user/mallory': 'U0LOCALDEV',
          'arn:aws:iam::*:user/contractor-bob': 'U0LOCALDEV',
        }),
      },
      // The sweep of unanswered asks runs often here; what it finds overdue is the store's to say (see below).
      { askSweepIntervalMs: 300 },
    );
    page = browser.page;
  }, 180_000);

  afterAll(async () => {
    await browser?.stop();
  });

  /**
   * Moves every unanswered ask `ms` into the past, in the runtime's own store (the change's `actorAsk.at` and its
   * entry on the waiting list). Returns how many it moved.
   */
  async function backdateOpenAsks(ms: number): Promise<number> {
    const client = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        region: 'us-east-1',
        endpoint: browser.runtime.urls.dynamodb,
        credentials: localCredentials(),
      }),
    );
    const TableName = browser.runtime.store.tableName;
    try {
      const waiting = await client.send(
        new QueryCommand({
          TableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': PENDING_ASK_PARTITION },
        }),
      );
      let moved = 0;
      for (const item of waiting.Items ?? []) {
        const key = { pk: `CHANGE#${String(item.eventId)}`, sk: 'CHANGE' };
        const change = (await client.send(new GetCommand({ TableName, Key: key }))).Item;
        if (!change?.actorAsk || change.actorAnswer || change.actorAsk.timedOutAt) continue;
        const at = new Date(Date.parse(String(change.actorAsk.at)) - ms).toISOString();
        await client.send(
          new UpdateCommand({
            TableName,
            Key: key,
            UpdateExpression: 'SET actorAsk.#at = :at',
            ExpressionAttributeNames: { '#at': 'at' },
            ExpressionAttributeValues: { ':at': at },
          }),
        );
        await client.send(
          new PutCommand({ TableName, Item: { ...item, sk: `${at}#${String(item.eventId)}`, at } }),
        );
        await client.send(new DeleteCommand({ TableName, Key: { pk: item.pk, sk: item.sk } }));
        moved += 1;
      }
      return moved;
    } finally {
      client.destroy();
    }
  }

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

  it('no answer in time: the local runtime notes it on the alert and in the DM', async () => {
    await channel().click();
    await page.getByRole('button', { name: /Inline policy written/ }).click();
    const alert = page.locator('#messages .message', { hasText: 'contractor-bob' }).last();
    await alert.waitFor({ timeout: 60_000 });
    await dm().click();
    const ask = page.locator('#messages .message', { hasText: 'contractor-bob' }).last();
    await ask.getByRole('button', { name: 'Yes, it was me' }).waitFor({ timeout: 30_000 });

    // As far as the store knows, the person was asked two hours ago: the next sweep finds the ask overdue.
    expect(await backdateOpenAsks(2 * 3_600_000)).toBe(1);
    await ask.getByText(/No answer in time/).waitFor({ timeout: 30_000 });
    expect(await ask.getByRole('button', { name: 'Yes, it was me' }).count()).toBe(0);
    await channel().click();
    await alert
      .getByText(/has not answered/)
      .first()
      .waitFor({ timeout: 30_000 });
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
