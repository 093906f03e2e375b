import { describe, expect, it } from 'vitest';
import type { InteractionRequest } from '../../src/app/job-verification';
import type { JobOrigin } from '../../src/app/jobs';
import { ACTION_IDS, REASON_INPUT, retryValue } from '../../src/slack/action-ids';
import { readInteraction, SlackInteractionVerifier } from '../../src/slack/interaction-verifier';
import { CONFIRM_CALLBACK_IDS } from '../../src/slack/render-confirm';
import { DIFF_PAGE_ACTION_IDS, diffPageValue } from '../../src/slack/render-diff';
import { signSlackRequest } from '../../src/slack/signature';

const EVENT = '3a1f6b1e-5c4d-4e0f-9a8b-7c6d5e4f3a2b';
const ALICE = { id: 'U0ALICE', username: 'alice', name: 'alice', team_id: 'T0ACME' };

/** A `block_actions` or `view_submission` body as Slack posts it: form-encoded `payload=<json>`. */
function payloadBody(payload: Record<string, unknown>): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** A click on one button of a message, as Slack sends it. */
function click(actionId: string, value: string, user: unknown = ALICE): string {
  return payloadBody({
    type: 'block_actions',
    user,
    api_app_id: 'A0BOT',
    token: 'legacy',
    container: { type: 'message', message_ts: '1700000000.000100', channel_id: 'C0ALERTS' },
    trigger_id: '123.456.abc',
    team: { id: 'T0ACME', domain: 'acme' },
    channel: { id: 'C0ALERTS', name: 'iam-alerts' },
    actions: [
      {
        action_id: actionId,
        block_id: 'change_actions',
        text: { type: 'plain_text', text: 'Go', emoji: true },
        value,
        type: 'button',
        action_ts: '1700000001.000200',
      },
    ],
  });
}

/** A choice in a burst thread's overflow menu, as Slack sends it. */
function menu(eventId: string, optionValue: string): string {
  return payloadBody({
    type: 'block_actions',
    user: ALICE,
    container: { type: 'message', message_ts: '1700000000.000100', channel_id: 'C0ALERTS', thread_ts: '1.1' },
    actions: [
      {
        type: 'overflow',
        action_id: `${ACTION_IDS.CHANGE_MENU}:${eventId}`,
        block_id: 'burst_line',
        selected_option: { text: { type: 'plain_text', text: 'Revert…' }, value: optionValue },
        action_ts: '1700000001.000200',
      },
    ],
  });
}

/** A confirmation modal submitted, as Slack sends it. */
function submission(
  callbackId: string,
  privateMetadata: string | undefined,
  reason: string | undefined,
  user: unknown = ALICE,
): string {
  const values: Record<string, unknown> = {};
  if (reason !== undefined) {
    values[REASON_INPUT.BLOCK_ID] = { [REASON_INPUT.ACTION_ID]: { type: 'plain_text_input', value: reason } };
  }
  return payloadBody({
    type: 'view_submission',
    user,
    team: { id: 'T0ACME', domain: 'acme' },
    view: {
      id: 'V0MODAL',
      type: 'modal',
      callback_id: callbackId,
      ...(privateMetadata === undefined ? {} : { private_metadata: privateMetadata }),
      state: { values },
      hash: '1700000000.abc',
    },
  });
}

/** A slash command's form fields, as Slack posts them. */
function command(fields: Record<string, string>): string {
  return new URLSearchParams({
    token: 'legacy',
    team_id: 'T0ACME',
    team_domain: 'acme',
    channel_name: 'iam-alerts',
    trigger_id: '123.456.abc',
    ...fields,
  }).toString();
}

const metadata = JSON.stringify({ eventId: EVENT, channel: 'C0ALERTS', ts: '1700000000.000100' });

describe('readInteraction', () => {
  const requests: Array<[string, string, InteractionRequest]> = [
    [
      'the Revert button',
      click(ACTION_IDS.REVERT, EVENT),
      { kind: 'open-confirmation', action: 'revert', eventId: EVENT },
    ],
    [
      'the Quarantine button',
      click(ACTION_IDS.QUARANTINE, EVENT),
      { kind: 'open-confirmation', action: 'quarantine', eventId: EVENT },
    ],
    [
      'the Lift quarantine button',
      click(ACTION_IDS.LIFT_QUARANTINE, EVENT),
      { kind: 'open-confirmation', action: 'lift-quarantine', eventId: EVENT },
    ],
    [
      'Revert in the burst thread menu',
      menu(EVENT, `${ACTION_IDS.REVERT}|${EVENT}`),
      { kind: 'open-confirmation', action: 'revert', eventId: EVENT },
    ],
    [
      'Quarantine in the burst thread menu',
      menu(EVENT, `${ACTION_IDS.QUARANTINE}|${EVENT}`),
      { kind: 'open-confirmation', action: 'quarantine', eventId: EVENT },
    ],
    [
      'Lift quarantine in the burst thread menu',
      menu(EVENT, `${ACTION_IDS.LIFT_QUARANTINE}|${EVENT}`),
      { kind: 'open-confirmation', action: 'lift-quarantine', eventId: EVENT },
    ],
    [
      'View diff in the burst thread menu',
      menu(EVENT, `${ACTION_IDS.VIEW_DIFF}|${EVENT}`),
      { kind: 'diff', eventId: EVENT, page: 0 },
    ],
    [
      "a menu option naming another change than its menu (not the bot's menu)",
      menu('other-event', `${ACTION_IDS.REVERT}|${EVENT}`),
      { kind: 'other', what: 'an unreadable menu' },
    ],
    [
      'Acknowledge in the burst thread menu',
      menu(EVENT, `${ACTION_IDS.ACKNOWLEDGE}|${EVENT}`),
      { kind: 'other', what: `the action ${ACTION_IDS.ACKNOWLEDGE}` },
    ],
    ['a menu option with no bar', menu(EVENT, EVENT), { kind: 'other', what: 'an unreadable menu' }],
    [
      'a menu option with nothing after the bar',
      menu(EVENT, `${ACTION_IDS.REVERT}|`),
      { kind: 'other', what: 'an unreadable menu' },
    ],
    [
      'a menu option starting with the bar',
      menu(EVENT, `|${EVENT}`),
      { kind: 'other', what: 'an unreadable menu' },
    ],
    ['View diff', click(ACTION_IDS.VIEW_DIFF, EVENT), { kind: 'diff', eventId: EVENT, page: 0 }],
    [
      'the diff modal Next button',
      click(DIFF_PAGE_ACTION_IDS.next, diffPageValue(EVENT, 3)),
      { kind: 'diff', eventId: EVENT, page: 3 },
    ],
    [
      'the diff modal Previous button',
      click(DIFF_PAGE_ACTION_IDS.previous, diffPageValue(EVENT, 0)),
      { kind: 'diff', eventId: EVENT, page: 0 },
    ],
    [
      'a diff page of an event id holding a bar',
      click(DIFF_PAGE_ACTION_IDS.next, diffPageValue('a|b', 2)),
      { kind: 'diff', eventId: 'a|b', page: 2 },
    ],
    [
      'a diff pager with a negative page',
      click(DIFF_PAGE_ACTION_IDS.next, `${EVENT}|-1`),
      { kind: 'other', what: 'an unreadable diff page' },
    ],
    [
      'a diff pager with a fractional page',
      click(DIFF_PAGE_ACTION_IDS.next, `${EVENT}|1.5`),
      { kind: 'other', what: 'an unreadable diff page' },
    ],
    [
      'a diff pager with no page',
      click(DIFF_PAGE_ACTION_IDS.next, EVENT),
      { kind: 'other', what: 'an unreadable diff page' },
    ],
    [
      'a diff pager value in a menu option (the menu offers no pages)',
      menu(EVENT, `${DIFF_PAGE_ACTION_IDS.next}|${diffPageValue(EVENT, 1)}`),
      { kind: 'other', what: 'an unreadable menu' },
    ],
    [
      '"Check again" in the revert confirmation',
      click(ACTION_IDS.CONFIRM_RETRY, retryValue('revert', EVENT)),
      { kind: 'open-confirmation', action: 'revert', eventId: EVENT },
    ],
    [
      '"Check again" in the quarantine confirmation',
      click(ACTION_IDS.CONFIRM_RETRY, retryValue('quarantine', EVENT)),
      { kind: 'open-confirmation', action: 'quarantine', eventId: EVENT },
    ],
    [
      '"Check again" in the lift confirmation',
      click(ACTION_IDS.CONFIRM_RETRY, retryValue('lift-quarantine', EVENT)),
      { kind: 'open-confirmation', action: 'lift-quarantine', eventId: EVENT },
    ],
    [
      '"Check again" for an unknown action',
      click(ACTION_IDS.CONFIRM_RETRY, `delete|${EVENT}`),
      { kind: 'other', what: 'an unreadable retry' },
    ],
    [
      '"Check again" with no event id',
      click(ACTION_IDS.CONFIRM_RETRY, 'revert|'),
      { kind: 'other', what: 'an unreadable retry' },
    ],
    [
      'the Acknowledge button',
      click(ACTION_IDS.ACKNOWLEDGE, EVENT),
      { kind: 'other', what: `the action ${ACTION_IDS.ACKNOWLEDGE}` },
    ],
    [
      'a button the bot never renders',
      click('change.delete_everything', EVENT),
      { kind: 'other', what: 'the action change.delete_everything' },
    ],
    [
      'an action id that only starts like Revert',
      click(`${ACTION_IDS.REVERT}_now`, EVENT),
      { kind: 'other', what: `the action ${ACTION_IDS.REVERT}_now` },
    ],
    [
      'a block_actions payload with no actions',
      payloadBody({ type: 'block_actions', user: ALICE, actions: [] }),
      { kind: 'other', what: 'the action ' },
    ],
    [
      'the revert confirmation submitted',
      submission(CONFIRM_CALLBACK_IDS.revert, metadata, 'rolled out by mistake'),
      {
        kind: 'confirm',
        action: 'revert',
        eventId: EVENT,
        reason: 'rolled out by mistake',
        alert: { channel: 'C0ALERTS', ts: '1700000000.000100' },
      },
    ],
    [
      'the quarantine confirmation submitted',
      submission(CONFIRM_CALLBACK_IDS.quarantine, metadata, 'stolen keys'),
      {
        kind: 'confirm',
        action: 'quarantine',
        eventId: EVENT,
        reason: 'stolen keys',
        modes: ['deny-iam'],
        alert: { channel: 'C0ALERTS', ts: '1700000000.000100' },
      },
    ],
    [
      'the lift confirmation submitted',
      submission(CONFIRM_CALLBACK_IDS['lift-quarantine'], metadata, 'keys rotated'),
      {
        kind: 'confirm',
        action: 'lift-quarantine',
        eventId: EVENT,
        reason: 'keys rotated',
        alert: { channel: 'C0ALERTS', ts: '1700000000.000100' },
      },
    ],
    [
      'a confirmation whose metadata holds only the event id',
      submission(CONFIRM_CALLBACK_IDS.revert, JSON.stringify({ eventId: EVENT }), 'why'),
      { kind: 'confirm', action: 'revert', eventId: EVENT, reason: 'why' },
    ],
    [
      'a confirmation with no reason block',
      submission(CONFIRM_CALLBACK_IDS.revert, metadata, undefined),
      {
        kind: 'confirm',
        action: 'revert',
        eventId: EVENT,
        reason: '',
        alert: { channel: 'C0ALERTS', ts: '1700000000.000100' },
      },
    ],
    [
      'a reason with form-encoding characters in it',
      submission(CONFIRM_CALLBACK_IDS.revert, metadata, 'a&b=c+d %20 é'),
      {
        kind: 'confirm',
        action: 'revert',
        eventId: EVENT,
        reason: 'a&b=c+d %20 é',
        alert: { channel: 'C0ALERTS', ts: '1700000000.000100' },
      },
    ],
    [
      'a submission of an unknown view',
      submission('settings.save', metadata, 'why'),
      { kind: 'other', what: 'a submission of another view' },
    ],
    [
      'a confirmation with no private_metadata',
      submission(CONFIRM_CALLBACK_IDS.revert, undefined, 'why'),
      { kind: 'other', what: 'a submission of another view' },
    ],
    [
      'a confirmation with unreadable private_metadata',
      submission(CONFIRM_CALLBACK_IDS.revert, '{eventId:', 'why'),
      { kind: 'other', what: 'a submission of another view' },
    ],
    [
      'a confirmation whose metadata has an empty event id',
      submission(CONFIRM_CALLBACK_IDS.revert, JSON.stringify({ eventId: '' }), 'why'),
      { kind: 'other', what: 'a submission of another view' },
    ],
    [
      'a block_suggestion payload',
      payloadBody({ type: 'block_suggestion', user: ALICE, value: 'x' }),
      { kind: 'other', what: 'a block_suggestion payload' },
    ],
    [
      'a view_closed payload',
      payloadBody({ type: 'view_closed', user: ALICE, view: { callback_id: CONFIRM_CALLBACK_IDS.revert } }),
      { kind: 'other', what: 'a view_closed payload' },
    ],
    [
      '/iam-changes with a query',
      command({
        command: '/iam-changes',
        text: 'role/ci-runner 30d',
        response_url: 'https://hooks.slack.com/commands/T0ACME/1/abc',
        channel_id: 'C0ALERTS',
        user_id: 'U0ALICE',
        user_name: 'alice',
      }),
      {
        kind: 'command',
        text: 'role/ci-runner 30d',
        responseUrl: 'https://hooks.slack.com/commands/T0ACME/1/abc',
        channelId: 'C0ALERTS',
        permalinkBase: 'https://acme.slack.com/archives',
      },
    ],
    [
      '/iam-changes with no text, URL or channel',
      command({ command: '/iam-changes', user_id: 'U0ALICE' }),
      {
        kind: 'command',
        text: '',
        responseUrl: '',
        channelId: '',
        permalinkBase: 'https://acme.slack.com/archives',
      },
    ],
  ];

  it.each(requests)('reads %s', async (_name, body, expected) => {
    const read = await readInteraction(body);
    expect(read?.request).toEqual(expected);
    expect(read?.userId).toBe('U0ALICE');
  });

  it.each([
    ['a payload that is not JSON', 'payload=%7Bnot%20json'],
    ['a payload that is JSON null', payloadBody(null as never)],
    ['a payload that is a JSON array', new URLSearchParams({ payload: '[1,2]' }).toString()],
    ['a payload that is a JSON string', new URLSearchParams({ payload: '"block_actions"' }).toString()],
    ['an empty payload field', 'payload='],
    ['a payload with no user', payloadBody({ type: 'block_actions', actions: [] })],
    ['a payload whose user has no id', payloadBody({ type: 'block_actions', user: { name: 'alice' } })],
    ['a payload whose user id is a number', payloadBody({ type: 'block_actions', user: { id: 42 } })],
    ['a payload whose user is a string', payloadBody({ type: 'block_actions', user: 'U0ALICE' })],
    ['a command with no user_id', command({ command: '/iam-changes', text: 'status' })],
    ['a command with an empty user_id', command({ command: '/iam-changes', user_id: '' })],
    ['command fields with no command', command({ user_id: 'U0ALICE', text: 'status' })],
    ['an empty body', ''],
    ['a JSON body (not form-encoded)', JSON.stringify({ type: 'block_actions', user: ALICE })],
  ])('gives nothing for %s', async (_name, body) => {
    expect(await readInteraction(body)).toBeUndefined();
  });

  it.each([
    ['the username first', { id: 'U1', username: 'al', name: 'Alice' }, 'al'],
    ['the name when there is no username', { id: 'U1', name: 'Alice' }, 'Alice'],
    ['no name when there is neither', { id: 'U1' }, undefined],
  ])('takes from a payload user %s', async (_name, user, expected) => {
    const read = await readInteraction(click(ACTION_IDS.REVERT, EVENT, user));
    expect(read?.userId).toBe('U1');
    expect(read?.userName).toBe(expected);
    expect(read !== undefined && 'userName' in read).toBe(expected !== undefined);
  });

  it('takes the user of a command and their user_name', async () => {
    const read = await readInteraction(
      command({ command: '/iam-changes', user_id: 'U0BOB', user_name: 'bob' }),
    );
    expect(read).toMatchObject({ userId: 'U0BOB', userName: 'bob' });
  });

  it('reads the user from the signed payload, never from a user_id field beside it', async () => {
    const body = `${click(ACTION_IDS.REVERT, EVENT)}&user_id=U0MALLORY&command=%2Fiam-changes`;
    const read = await readInteraction(body);
    expect(read?.userId).toBe('U0ALICE');
    expect(read?.request.kind).toBe('open-confirmation');
  });

  it('reads only the first action of a block_actions payload', async () => {
    const body = payloadBody({
      type: 'block_actions',
      user: ALICE,
      actions: [
        { action_id: ACTION_IDS.VIEW_DIFF, value: EVENT },
        { action_id: ACTION_IDS.REVERT, value: 'other' },
      ],
    });
    expect((await readInteraction(body))?.request).toEqual({ kind: 'diff', eventId: EVENT, page: 0 });
  });
});

describe('SlackInteractionVerifier', () => {
  const SECRET = 'worker-signing-secret';
  const NOW_SECONDS = 1_800_000_000;
  const NOW = new Date(NOW_SECONDS * 1000);
  const verifier = new SlackInteractionVerifier(async () => SECRET);

  function origin(body: string, at = NOW_SECONDS, secret = SECRET): JobOrigin {
    const timestamp = String(at);
    return { body, timestamp, signature: signSlackRequest(secret, timestamp, body) };
  }

  it('verifies a signed click and reads who asked for what', async () => {
    const check = await verifier.verify(origin(click(ACTION_IDS.REVERT, EVENT)), NOW, 900);
    expect(check).toEqual({
      ok: true,
      interaction: {
        userId: 'U0ALICE',
        userName: 'alice',
        requestId: expect.stringMatching(/^[0-9a-f]{64}$/),
        request: { kind: 'open-confirmation', action: 'revert', eventId: EVENT },
      },
    });
  });

  it('gives the same request the same requestId, and another request another', async () => {
    const first = origin(click(ACTION_IDS.REVERT, EVENT));
    const again = await verifier.verify({ ...first }, NOW, 900);
    const once = await verifier.verify(first, NOW, 900);
    const other = await verifier.verify(origin(click(ACTION_IDS.REVERT, EVENT), NOW_SECONDS - 1), NOW, 900);
    if (!once.ok || !again.ok || !other.ok) throw new Error('expected all three to verify');
    expect(again.interaction.requestId).toBe(once.interaction.requestId);
    expect(other.interaction.requestId).not.toBe(once.interaction.requestId);
  });

  it('reads the signing secret when it verifies, not before', async () => {
    let reads = 0;
    const counting = new SlackInteractionVerifier(async () => {
      reads += 1;
      return SECRET;
    });
    expect(reads).toBe(0);
    expect((await counting.verify(origin(click(ACTION_IDS.REVERT, EVENT)), NOW, 900)).ok).toBe(true);
    expect(reads).toBeGreaterThan(0);
  });

  it('throws when the signing secret cannot be read', async () => {
    const broken = new SlackInteractionVerifier(async () => {
      throw new Error('ssm: access denied');
    });
    await expect(broken.verify(origin(click(ACTION_IDS.REVERT, EVENT)), NOW, 900)).rejects.toThrow(
      'access denied',
    );
  });

  const body = click(ACTION_IDS.REVERT, EVENT);
  const good = origin(body);

  it.each([
    ['signed with another secret', origin(body, NOW_SECONDS, 'another'), 'signature mismatch'],
    ['whose body was changed', { ...good, body: body.replace('U0ALICE', 'U0MALLOR') }, 'signature mismatch'],
    ['whose timestamp was moved', { ...good, timestamp: String(NOW_SECONDS - 1) }, 'signature mismatch'],
    ['signed 901 s ago with a 900 s limit', origin(body, NOW_SECONDS - 901), 'timestamp too old'],
    ['signed 301 s ahead', origin(body, NOW_SECONDS + 301), 'timestamp in the future'],
    ['signed an hour ahead', origin(body, NOW_SECONDS + 3600), 'timestamp in the future'],
    ['with no signature', { ...good, signature: '' }, 'missing signature headers'],
    ['with a malformed signature', { ...good, signature: 'v0=zz' }, 'malformed signature'],
    ['with a malformed timestamp', { ...good, timestamp: '12a' }, 'malformed timestamp'],
  ])('refuses a request %s', async (_name, request, problem) => {
    expect(await verifier.verify(request, NOW, 900)).toEqual({ ok: false, problem });
  });

  it('accepts a request signed exactly at the age limit', async () => {
    expect((await verifier.verify(origin(body, NOW_SECONDS - 900), NOW, 900)).ok).toBe(true);
    expect((await verifier.verify(origin(body, NOW_SECONDS - 61), NOW, 60)).ok).toBe(false);
  });

  it.each([
    ['garbage', 'hello world'],
    ['an unreadable payload', 'payload=%7B'],
    ['a payload with no user', payloadBody({ type: 'block_actions', actions: [] })],
    ['an empty body', ''],
  ])('refuses a correctly signed body that is %s', async (_name, text) => {
    expect(await verifier.verify(origin(text), NOW, 900)).toEqual({
      ok: false,
      problem: 'the signed body is neither an interaction nor a command',
    });
  });
});
