import { describe, expect, it } from 'vitest';
import { assessChange } from '../../../src/domain/explain';
import { messageHtml, viewHtml } from '../../../src/local/slack-sandbox/render-html';
import { renderChange } from '../../../src/slack/render';
import { changeOf } from '../../support/cloudtrail';
import { withAdministratorDocument } from '../../support/policy-content';

describe('messageHtml', () => {
  it('draws an alert: header, fields, context, and its buttons with ids and confirm dialogs', () => {
    const change = assessChange(
      withAdministratorDocument(
        changeOf('AttachRolePolicy', {
          roleName: 'ci-runner',
          policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess',
        }),
      ),
      { expectedActors: [], trustedAccounts: [] },
    );
    const message = renderChange(change);
    const blocks = message.blocks.map((block, index) => ({ ...block, block_id: `b${index}` }));
    const html = messageHtml(message.text, blocks);
    expect(html).toContain(
      '<div class="bk-header">🚨 CRITICAL · Attached AdministratorAccess to role ci-runner</div>',
    );
    expect(html).toContain('<div class="bk-fields">');
    expect(html).toMatch(
      /<button type="button" class="bk-button bk-primary" data-kind="button" data-block-id="b\d+" data-action-id="change.acknowledge">Acknowledge<\/button>/,
    );
    const revert = /<button[^>]*data-action-id="change.revert"[^>]*>/.exec(html)?.[0] ?? '';
    expect(revert).toContain('bk-danger');
    const confirm = /data-confirm="([^"]*)"/.exec(revert)?.[1] ?? '';
    const dialog = JSON.parse(
      confirm
        .replace(/&quot;/g, '"')
        .replace(/&#39;/g, "'")
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&amp;/g, '&'),
    );
    expect(dialog).toMatchObject({
      title: 'Revert this change?',
      confirm: 'Revert',
      deny: 'Cancel',
      style: 'danger',
    });
  });

  it("draws an alert's status beside its coloured bar, and lets only a #RRGGBB colour into the page", () => {
    const change = assessChange(
      withAdministratorDocument(
        changeOf('AttachRolePolicy', {
          roleName: 'ci-runner',
          policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess',
        }),
      ),
      { expectedActors: [], trustedAccounts: [] },
    );
    const message = renderChange(change);
    const html = messageHtml(message.text, message.blocks, {}, message.attachments);
    expect(html).toContain('<div class="bk-attachment" style="border-left-color:#E01E5A">');
    expect(html).toContain('<b>Open critical</b>');

    const hostile = messageHtml('x', undefined, {}, [{ color: 'red;background:url(https://x)', blocks: [] }]);
    expect(hostile).toContain('<div class="bk-attachment">');
    expect(hostile).not.toContain('url(');
  });

  it('draws the fallback text when a message has no blocks, and says which blocks it cannot draw', () => {
    expect(messageHtml('*just text*', undefined)).toContain('<b>just text</b>');
    expect(messageHtml('x', [{ type: 'rich_text', elements: [] }])).toContain(
      'rich_text block — not drawn by the sandbox',
    );
  });

  it('draws an overflow menu with one item per option', () => {
    const html = messageHtml('x', [
      {
        type: 'section',
        block_id: 's1',
        text: { type: 'mrkdwn', text: 'line' },
        accessory: {
          type: 'overflow',
          action_id: 'change.menu:e1',
          options: [
            { text: { type: 'plain_text', text: 'Acknowledge' }, value: 'change.acknowledge|e1' },
            { text: { type: 'plain_text', text: 'View diff' }, value: 'change.view_diff|e1' },
          ],
        },
      },
    ]);
    expect(html.match(/data-kind="overflow-option"/g)).toHaveLength(2);
    expect(html).toContain('data-value="change.view_diff|e1"');
  });
});

describe('viewHtml', () => {
  it('draws inputs with their ids, an optional mark and the errors of a response_action', () => {
    const view = viewHtml(
      {
        type: 'modal',
        title: { type: 'plain_text', text: 'Revert change' },
        submit: { type: 'plain_text', text: 'Revert' },
        blocks: [
          {
            type: 'input',
            block_id: 'reason',
            label: { type: 'plain_text', text: 'Reason' },
            element: {
              type: 'plain_text_input',
              action_id: 'change.reason',
              multiline: true,
              max_length: 1000,
            },
          },
        ],
      },
      { errors: { reason: 'Say <why>' } },
    );
    expect(view.title).toBe('Revert change');
    expect(view.submit).toBe('Revert');
    expect(view.close).toBe('Cancel');
    expect(view.body).toContain(
      '<textarea class="bk-input" rows="4" data-input-type="plain_text_input" data-block-id="reason" data-action-id="change.reason" maxlength="1000">',
    );
    expect(view.body).toContain('<div class="bk-error" role="alert">Say &lt;why&gt;</div>');
  });
});
