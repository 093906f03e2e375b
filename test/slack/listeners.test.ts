/**
 * The Slack listeners end to end without Bolt: payloads shaped as Slack sends them, the real listeners, the
 * in-process job queue running the real worker, IAM on moto_server, the store and audit log on dynalite, the
 * local Slack server, and CloudTrail `LookupEvents` through aws-sdk-client-mock.
 */
import { LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { DetachRolePolicyCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ACTION_IDS, VIEW_IDS } from '../../src/slack/action-ids';
import { onAcknowledge } from '../../src/slack/listeners/acknowledge';
import { onChangeMenu } from '../../src/slack/listeners/change-menu';
import { onCommand } from '../../src/slack/listeners/command';
import { onConfirmSubmission } from '../../src/slack/listeners/confirm';
import { onLiftQuarantine, onQuarantine, onRevert } from '../../src/slack/listeners/respond';
import { onDiffPage, onViewDiff } from '../../src/slack/listeners/view-diff';
import { diffPageValue } from '../../src/slack/render-diff';
import { assertBlockKitLimits } from '../support/block-kit-limits';
import { cloudTrailRecord } from '../support/cloudtrail';
import { assertModalLimits } from '../support/modal-limits';
import {
  ACCOUNT,
  ALICE,
  attachedPolicy,
  BOB,
  buttonIds,
  CAROL,
  CHANNEL,
  type Components,
  click,
  command,
  type Harness,
  iamRole,
  iamUser,
  MALLORY,
  READ_ONLY,
  RESPONDER_GROUP,
  recordOf,
  responderHarness,
  startComponents,
  submit,
  textOf,
} from '../support/responder-harness';

let components: Components;
let h: Harness;
/** Ephemerals before this index belong to earlier tests (the Slack server is shared by the file). */
let ephemeralMark = 0;

beforeAll(async () => {
  components = await startComponents();
});

afterAll(async () => {
  await components?.stop();
});

beforeEach(async () => {
  h = await responderHarness(components);
  ephemeralMark = components.slack.ephemerals.length;
});

function messageOf(ts: string | undefined) {
  const message = components.slack.messages.find((m) => m.ts === ts);
  if (!message) throw new Error(`no message ${ts}`);
  return message;
}

function ephemeralsTo(user: string) {
  return components.slack.ephemerals.slice(ephemeralMark).filter((e) => e.user === user);
}

/** The store has known changes for a few days: a 24-hour query is answered from it, not from CloudTrail. */
async function storeSince(days: number): Promise<void> {
  const old = recordOf('DetachRolePolicy', {
    roleName: 'long-ago',
    policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
  });
  old.eventTime = new Date(Date.now() - days * 86_400_000).toISOString();
  await h.storeChange(old, { post: false });
}

async function attachedArns(kind: 'role' | 'user', name: string): Promise<string[]> {
  return (await h.iam.listAttachedPolicies({ kind, name })).map((policy) => policy.arn);
}

/** Clicks a button that opens a confirmation modal; returns the modal once the worker filled it. */
async function openConfirmation(
  listener: typeof onRevert,
  actionId: string,
  eventId: string,
  user: string,
  messageTs?: string,
) {
  const { args, spy } = click(components.slack, {
    actionId,
    value: eventId,
    user,
    ...(messageTs ? { messageTs } : {}),
  });
  const viewsBefore = components.slack.views.length;
  await listener(args, h.deps);
  expect(spy.calls).toHaveLength(1);
  expect(spy.slackCallsAtFirstAck).toBeDefined();
  const opened = components.slack.views[viewsBefore];
  if (!opened) throw new Error('no modal opened');
  expect(textOf(opened.view)).toMatch(/updates by itself/);
  await h.idle();
  return opened;
}

describe('Acknowledge', () => {
  it('acks first, updates the alert in place without the button, records, audits and replies in the thread', async () => {
    const change = await h.storeChange(
      recordOf('AttachRolePolicy', { roleName: 'web', policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }),
    );
    const alert = (await h.stored(change.eventId)).slack;
    const callsBefore = components.slack.calls.length;
    const { args, spy } = click(components.slack, {
      actionId: ACTION_IDS.ACKNOWLEDGE,
      value: change.eventId,
      user: CAROL,
      messageTs: alert?.ts ?? '',
    });

    await onAcknowledge(args, h.deps);

    expect(spy.slackCallsAtFirstAck).toBe(callsBefore);
    const message = messageOf(alert?.ts);
    expect(message.updates).toBe(1);
    expect(buttonIds(message.blocks)).not.toContain(ACTION_IDS.ACKNOWLEDGE);
    expect(buttonIds(message.blocks)).toContain(ACTION_IDS.VIEW_DIFF);
    expect(textOf(message.blocks)).toContain(`Acknowledged* by <@${CAROL}>`);
    expect(textOf(message.blocks)).not.toContain('<!here>');
    assertBlockKitLimits(message);
    expect((await h.stored(change.eventId)).acknowledgement?.by).toEqual({
      slackUserId: CAROL,
      name: 'carol',
    });
    expect(textOf(components.slack.thread(alert?.ts ?? '').map((m) => m.blocks))).toContain(
      `<@${CAROL}> acknowledged this`,
    );
    const entries = (await h.auditEntries()).filter((entry) => entry.eventId === change.eventId);
    expect(entries).toEqual([
      expect.objectContaining({
        action: 'acknowledge',
        result: 'done',
        actor: { slackUserId: CAROL, name: 'carol' },
      }),
    ]);
    expect(h.log.lines).toEqual([]);
  });

  it("keeps a burst parent's running count when it is acknowledged", async () => {
    const change = await h.storeChange(
      recordOf('PutRolePolicy', {
        roleName: 'burst-parent',
        policyName: 'logs',
        policyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'logs:*', Resource: '*' }],
        },
      }),
    );
    await h.store.recordBurstNote(change.eventId, { more: 4, startedAt: change.eventTime });
    const ts = (await h.stored(change.eventId)).slack?.ts ?? '';

    await onAcknowledge(
      click(components.slack, {
        actionId: ACTION_IDS.ACKNOWLEDGE,
        value: change.eventId,
        user: CAROL,
        messageTs: ts,
      }).args,
      h.deps,
    );

    const message = messageOf(ts);
    expect(textOf(message.blocks)).toContain('+4 more changes');
    expect(textOf(message.blocks)).toContain(`Acknowledged* by <@${CAROL}>`);
    assertBlockKitLimits(message);
  });

  it('answers a second click ephemerally with who was first, and changes nothing', async () => {
    const change = await h.storeChange(
      recordOf('DetachRolePolicy', { roleName: 'web', policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }),
    );
    const ts = (await h.stored(change.eventId)).slack?.ts ?? '';
    await onAcknowledge(
      click(components.slack, {
        actionId: ACTION_IDS.ACKNOWLEDGE,
        value: change.eventId,
        user: CAROL,
        messageTs: ts,
      }).args,
      h.deps,
    );
    await onAcknowledge(
      click(components.slack, {
        actionId: ACTION_IDS.ACKNOWLEDGE,
        value: change.eventId,
        user: MALLORY,
        messageTs: ts,
      }).args,
      h.deps,
    );

    expect(messageOf(ts).updates).toBe(1);
    expect(ephemeralsTo(MALLORY).map((e) => e.text)).toEqual(['Already acknowledged by carol']);
    expect(textOf(ephemeralsTo(MALLORY)[0]?.blocks)).toContain(`<@${CAROL}>`);
    expect((await h.stored(change.eventId)).acknowledgement?.by.slackUserId).toBe(CAROL);
    expect(components.slack.thread(ts)).toHaveLength(1);
  });

  it('never throws at the user: a store failure becomes an ephemeral message with what to do', async () => {
    const change = await h.storeChange(
      recordOf('DetachRolePolicy', { roleName: 'x', policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }),
    );
    const deps = {
      ...h.deps,
      store: {
        getChange: (eventId: string) => h.store.getChange(eventId),
        recordAcknowledgement: () => Promise.reject(new Error('ProvisionedThroughputExceeded')),
      },
    };
    const { args, spy } = click(components.slack, {
      actionId: ACTION_IDS.ACKNOWLEDGE,
      value: change.eventId,
      user: CAROL,
    });

    await expect(onAcknowledge(args, deps)).resolves.toBeUndefined();

    expect(spy.calls).toHaveLength(1);
    const [ephemeral] = ephemeralsTo(CAROL);
    expect(ephemeral?.text).toContain('Could not acknowledge this change: ProvisionedThroughputExceeded');
    expect(textOf(ephemeral?.blocks)).toContain('Try again in a minute');
    expect(h.log.lines.some((line) => line.level === 'error')).toBe(true);
  });
});

describe('View diff', () => {
  it('opens a loading modal at once and the diff job fills it, saying where the before-state came from', async () => {
    const before = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['*'] }],
    };
    const after = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['iam:*'], Resource: ['*'] }],
    };
    const record = recordOf('PutRolePolicy', {
      roleName: 'web',
      policyName: 'inline',
      policyDocument: JSON.stringify(after),
    });
    const earlier = cloudTrailRecord(
      'PutRolePolicy',
      { roleName: 'web', policyName: 'inline', policyDocument: JSON.stringify(before) },
      { eventTime: new Date(Date.now() - 3_600_000).toISOString(), recipientAccountId: ACCOUNT },
    );
    h.trailMock
      .on(LookupEventsCommand)
      .resolves({ Events: [{ EventId: earlier.eventID, CloudTrailEvent: JSON.stringify(earlier) }] });
    const change = await h.storeChange(record);
    const { args, spy } = click(components.slack, {
      actionId: ACTION_IDS.VIEW_DIFF,
      value: change.eventId,
      user: CAROL,
    });

    await onViewDiff(args, h.deps);

    expect(spy.slackCallsAtFirstAck).toBeDefined();
    const view = components.slack.views.at(-1);
    expect(view?.updates).toBe(0);
    expect(textOf(view?.view)).toContain('Looking up the document before this change');
    expect(h.published).toEqual([
      expect.objectContaining({ kind: 'diff', eventId: change.eventId, viewId: view?.id }),
    ]);

    await h.idle();

    expect(view?.updates).toBe(1);
    const text = textOf(view?.view);
    expect(text).toContain('CloudTrail event');
    expect(text).toContain(earlier.eventID);
    expect(text).toContain('`iam:*`');
    expect(text).toMatch(/raised/);
    assertModalLimits(view?.view);
  });

  it('turns a page through the same job, with the page asked for', async () => {
    const change = await h.storeChange(
      recordOf('PutRolePolicy', {
        roleName: 'web',
        policyName: 'p',
        policyDocument: JSON.stringify(READ_ONLY),
      }),
    );
    await onViewDiff(
      click(components.slack, { actionId: ACTION_IDS.VIEW_DIFF, value: change.eventId, user: CAROL }).args,
      h.deps,
    );
    await h.idle();
    const view = components.slack.views.at(-1);
    const page = click(components.slack, {
      actionId: 'change.diff_page.next',
      value: diffPageValue(change.eventId, 0),
      user: CAROL,
    });
    page.args.body.view = { id: view?.id ?? '' };

    await onDiffPage(page.args, h.deps);
    await h.idle();

    expect(h.published.at(-1)).toMatchObject({ kind: 'diff', viewId: view?.id, page: 0 });
    expect(view?.updates).toBe(3);
    expect(textOf(view?.view)).toContain('Before: unknown');
  });
});

describe('Revert', () => {
  it('reverts through the confirmation for an authorised user: IAM read back, alert updated, thread told', async () => {
    const { role, policyArn, record } = await attachedPolicy(components);
    const change = await h.storeChange(record);
    const alertTs = (await h.stored(change.eventId)).slack?.ts ?? '';

    const modal = await openConfirmation(onRevert, ACTION_IDS.REVERT, change.eventId, ALICE, alertTs);

    expect(modal.view.callback_id).toBe(VIEW_IDS.REVERT_CONFIRM);
    expect(modal.view.submit).toBeDefined();
    const shown = textOf(modal.view);
    expect(shown).toContain('iam:DetachRolePolicy');
    expect(shown).toContain(`aws iam detach-role-policy --role-name ${role} --policy-arn ${policyArn}`);
    expect(shown).toContain('the live state matches the state right after the change');
    assertModalLimits(modal.view);

    const { args, spy } = submit(components.slack, modal.id, ALICE, 'not approved in CR-1234');
    await onConfirmSubmission(args, h.deps);
    expect(spy.calls).toEqual([undefined]);
    expect(textOf(components.slack.thread(alertTs).map((m) => m.blocks))).toContain(
      `Revert requested* by <@${ALICE}>`,
    );
    await h.idle();

    expect(await attachedArns('role', role)).toEqual([]);
    const alert = messageOf(alertTs);
    expect(textOf(alert.blocks)).toContain(`Reverted* by <@${ALICE}>`);
    expect(textOf(alert.blocks)).toContain('not approved in CR-1234');
    expect(buttonIds(alert.blocks)).not.toContain(ACTION_IDS.REVERT);
    assertBlockKitLimits(alert);
    const thread = textOf(components.slack.thread(alertTs).map((m) => m.blocks));
    expect(thread).toContain('✓ aws iam detach-role-policy');
    expect(thread).toContain('IAM now shows');
    expect((await h.stored(change.eventId)).revert).toMatchObject({
      status: 'done',
      by: { slackUserId: ALICE },
    });
    expect(h.log.lines).toEqual([]);
  });

  it('reverts once when the confirmation is submitted twice', async () => {
    const { role, record } = await attachedPolicy(components);
    const change = await h.storeChange(record);
    const first = await openConfirmation(onRevert, ACTION_IDS.REVERT, change.eventId, ALICE);
    const second = await openConfirmation(onRevert, ACTION_IDS.REVERT, change.eventId, BOB);

    await onConfirmSubmission(submit(components.slack, first.id, ALICE, 'first').args, h.deps);
    await onConfirmSubmission(submit(components.slack, second.id, BOB, 'second').args, h.deps);
    await h.idle();

    expect(await attachedArns('role', role)).toEqual([]);
    const entries = (await h.auditEntries()).filter((entry) => entry.eventId === change.eventId);
    expect(entries.filter((entry) => entry.action === 'revert')).toHaveLength(1);
    expect(entries.filter((entry) => entry.action === 'revert-refused')).toEqual([
      expect.objectContaining({ result: 'already-claimed' }),
    ]);
    const loser = entries.find((entry) => entry.action === 'revert-refused')?.actor.slackUserId ?? '';
    expect(textOf(ephemeralsTo(loser).map((e) => e.blocks))).toMatch(/Already (being )?reverted by/);
  });

  it('refuses an unauthorised user ephemerally, audits the attempt and opens nothing', async () => {
    const { record } = await attachedPolicy(components);
    const change = await h.storeChange(record);
    const views = components.slack.views.length;
    const { args, spy } = click(components.slack, {
      actionId: ACTION_IDS.REVERT,
      value: change.eventId,
      user: MALLORY,
    });

    await onRevert(args, h.deps);

    expect(spy.calls).toHaveLength(1);
    expect(components.slack.views).toHaveLength(views);
    expect(h.published).toEqual([]);
    const [refusal] = ephemeralsTo(MALLORY);
    expect(textOf(refusal?.blocks)).toContain(
      `Only <@${ALICE}>, <!subteam^${RESPONDER_GROUP}> may revert changes`,
    );
    expect(textOf(refusal?.blocks)).toContain(`<#${CHANNEL}>`);
    expect(await h.auditEntries()).toEqual([
      expect.objectContaining({
        action: 'unauthorised',
        eventId: change.eventId,
        actor: { slackUserId: MALLORY, name: 'mallory' },
        details: { attempted: 'revert', stage: 'button' },
      }),
    ]);
  });

  it('refuses a submission by someone no longer a responder, and a blank reason, in the modal', async () => {
    const { record } = await attachedPolicy(components);
    const change = await h.storeChange(record);
    const modal = await openConfirmation(onRevert, ACTION_IDS.REVERT, change.eventId, ALICE);

    const blank = submit(components.slack, modal.id, ALICE, '   ');
    await onConfirmSubmission(blank.args, h.deps);
    const outsider = submit(components.slack, modal.id, MALLORY, 'let me');
    await onConfirmSubmission(outsider.args, h.deps);

    expect(blank.spy.calls).toEqual([
      { response_action: 'errors', errors: { reason: expect.stringMatching(/Give a reason/) } },
    ]);
    expect(outsider.spy.calls).toEqual([
      { response_action: 'errors', errors: { reason: expect.stringMatching(/no longer/) } },
    ]);
    expect(h.published.map((job) => job.kind)).toEqual(['prepare-confirmation']);
    expect(await h.auditEntries()).toEqual([
      expect.objectContaining({
        action: 'unauthorised',
        details: { attempted: 'revert', stage: 'submission' },
      }),
    ]);
  });

  it('shows a drifted change as a refusal with current vs expected, and refuses a revert that drifted after the modal', async () => {
    const { role, policyArn, record } = await attachedPolicy(components);
    const change = await h.storeChange(record);
    const alertTs = (await h.stored(change.eventId)).slack?.ts ?? '';
    const modal = await openConfirmation(onRevert, ACTION_IDS.REVERT, change.eventId, ALICE, alertTs);
    expect(modal.view.submit).toBeDefined();

    await components.iamClient.send(new DetachRolePolicyCommand({ RoleName: role, PolicyArn: policyArn }));
    await onConfirmSubmission(submit(components.slack, modal.id, ALICE, 'too late').args, h.deps);
    await h.idle();

    const thread = textOf(components.slack.thread(alertTs).map((m) => m.blocks));
    expect(thread).toContain('Revert refused');
    // The live and the expected state, each in its own code block.
    expect(thread).toMatch(
      /\*Now:\*\s+section\s+mrkdwn\s+```\n[^`]*not attached[^`]*```[\s\S]*\*Expected:\*\s+section\s+mrkdwn\s+```\n[^`]* attached/,
    );
    expect(thread).toContain('Nothing ran.');
    expect(textOf(ephemeralsTo(ALICE).map((e) => e.blocks))).toContain('Revert refused');

    const again = await openConfirmation(onRevert, ACTION_IDS.REVERT, change.eventId, ALICE, alertTs);
    expect(again.view.submit).toBeUndefined();
    expect(textOf(again.view)).toMatch(/drifted[\s\S]*Now:[\s\S]*Expected:/);
    assertModalLimits(again.view);
  });
});

describe('Quarantine caller', () => {
  it('quarantines an IAM user caller on moto, offers Lift quarantine, and lifts it', async () => {
    const intruder = await iamUser(components);
    const change = await h.storeChange(
      recordOf(
        'AttachUserPolicy',
        { userName: intruder, policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' },
        { user: intruder },
      ),
    );
    const alertTs = (await h.stored(change.eventId)).slack?.ts ?? '';

    const modal = await openConfirmation(onQuarantine, ACTION_IDS.QUARANTINE, change.eventId, BOB, alertTs);
    expect(modal.view.callback_id).toBe(VIEW_IDS.QUARANTINE_CONFIRM);
    expect(textOf(modal.view)).toContain(`user \`${intruder}\``);
    expect(textOf(modal.view)).toContain('"iam:*"');
    assertModalLimits(modal.view);
    await onConfirmSubmission(submit(components.slack, modal.id, BOB, 'credentials leaked').args, h.deps);
    await h.idle();

    expect(await attachedArns('user', intruder)).toEqual([
      expect.stringMatching(
        new RegExp(`^arn:aws:iam::${ACCOUNT}:policy/iam-changes/iam-changes-quarantine-[A-Za-z0-9]{8}$`),
      ),
    ]);
    let alert = messageOf(alertTs);
    expect(textOf(alert.blocks)).toContain(`Caller quarantined* by <@${BOB}>`);
    expect(buttonIds(alert.blocks)).toContain(ACTION_IDS.LIFT_QUARANTINE);
    expect(buttonIds(alert.blocks)).not.toContain(ACTION_IDS.QUARANTINE);
    expect(textOf(components.slack.thread(alertTs).map((m) => m.blocks))).toContain(
      'aws iam attach-user-policy',
    );

    const lift = await openConfirmation(
      onLiftQuarantine,
      ACTION_IDS.LIFT_QUARANTINE,
      change.eventId,
      ALICE,
      alertTs,
    );
    expect(lift.view.callback_id).toBe(VIEW_IDS.LIFT_QUARANTINE_CONFIRM);
    expect(textOf(lift.view)).toContain('aws iam detach-user-policy');
    await onConfirmSubmission(submit(components.slack, lift.id, ALICE, 'keys rotated').args, h.deps);
    await h.idle();

    expect(await attachedArns('user', intruder)).toEqual([]);
    alert = messageOf(alertTs);
    expect(textOf(alert.blocks)).toContain(`Quarantine lifted* by <@${ALICE}>`);
    expect(buttonIds(alert.blocks)).toContain(ACTION_IDS.QUARANTINE);
    expect(buttonIds(alert.blocks)).not.toContain(ACTION_IDS.LIFT_QUARANTINE);
    const actions = (await h.auditEntries()).map((entry) => `${entry.action}:${entry.result}`);
    expect(actions).toEqual(expect.arrayContaining(['quarantine:done', 'lift-quarantine:lifted']));
    expect(h.log.lines).toEqual([]);
  });

  it('quarantines the role behind an assumed-role session', async () => {
    const role = await iamRole(components);
    const change = await h.storeChange(
      recordOf(
        'PutRolePolicy',
        { roleName: 'victim', policyName: 'x', policyDocument: JSON.stringify(READ_ONLY) },
        { role },
      ),
    );

    const modal = await openConfirmation(onQuarantine, ACTION_IDS.QUARANTINE, change.eventId, ALICE);
    expect(textOf(modal.view)).toContain(`role \`${role}\``);
    expect(textOf(modal.view)).toContain('every session of the role');
    await onConfirmSubmission(submit(components.slack, modal.id, ALICE, 'rogue pipeline').args, h.deps);
    await h.idle();

    expect(await attachedArns('role', role)).toEqual([
      expect.stringMatching(
        new RegExp(`^arn:aws:iam::${ACCOUNT}:policy/iam-changes/iam-changes-quarantine-[A-Za-z0-9]{8}$`),
      ),
    ]);
  });

  it("refuses to quarantine the bot's own role, without a submit button", async () => {
    const change = await h.storeChange(
      recordOf(
        'PutRolePolicy',
        { roleName: 'v', policyName: 'x', policyDocument: JSON.stringify(READ_ONLY) },
        { role: 'iam-changes-worker' },
      ),
    );

    const modal = await openConfirmation(onQuarantine, ACTION_IDS.QUARANTINE, change.eventId, ALICE);

    expect(modal.view.submit).toBeUndefined();
    expect(textOf(modal.view)).toContain("the bot's own role");
  });
});

describe('the burst thread menu', () => {
  it("dispatches to the same handlers: acknowledging a grouped change replies in the burst's thread", async () => {
    const parent = await h.storeChange(
      recordOf('AttachRolePolicy', { roleName: 'a', policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }),
    );
    const parentTs = (await h.stored(parent.eventId)).slack?.ts ?? '';
    const grouped = await h.storeChange(
      recordOf('AttachRolePolicy', { roleName: 'b', policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }),
      { grouped: { parentTs } },
    );
    const lineTs = (await h.stored(grouped.eventId)).slack?.ts ?? '';
    const { args, spy } = click(components.slack, {
      actionId: `${ACTION_IDS.CHANGE_MENU}:${grouped.eventId}`,
      selected: `${ACTION_IDS.ACKNOWLEDGE}|${grouped.eventId}`,
      user: CAROL,
      messageTs: lineTs,
      threadTs: parentTs,
    });

    await onChangeMenu(args, h.deps);

    expect(spy.calls).toHaveLength(1);
    expect((await h.stored(grouped.eventId)).acknowledgement?.by.slackUserId).toBe(CAROL);
    expect(messageOf(lineTs).updates).toBe(0);
    expect(messageOf(parentTs).updates).toBe(0);
    expect(textOf(components.slack.thread(parentTs).at(-1)?.blocks)).toContain(
      `<@${CAROL}> acknowledged this`,
    );
  });

  it('opens the revert confirmation from the menu for a responder', async () => {
    const { record } = await attachedPolicy(components);
    const change = await h.storeChange(record);
    const { args } = click(components.slack, {
      actionId: `${ACTION_IDS.CHANGE_MENU}:${change.eventId}`,
      selected: `${ACTION_IDS.REVERT}|${change.eventId}`,
      user: ALICE,
    });

    await onChangeMenu(args, h.deps);
    await h.idle();

    expect(components.slack.views.at(-1)?.view.callback_id).toBe(VIEW_IDS.REVERT_CONFIRM);
    expect(components.slack.views.at(-1)?.view.submit).toBeDefined();
  });
});

describe('/iam-changes', () => {
  it('answers a query error in the ack, pointing at what was not understood', async () => {
    const { args, spy, responses } = command(components.slack, '7d risk purple');

    await onCommand(args, h.deps);

    expect(spy.calls).toHaveLength(1);
    expect(spy.calls[0]?.response_type).toBe('ephemeral');
    expect(spy.calls[0]?.text).toMatch(/didn't understand/);
    expect(textOf(spy.calls[0]?.blocks)).toContain('^');
    expect(responses()).toEqual([]);
  });

  it('answers help in the ack', async () => {
    const { args, spy } = command(components.slack, 'help');
    await onCommand(args, h.deps);
    expect(textOf(spy.calls[0]?.blocks)).toContain('/iam-changes');
  });

  it('lists changes from the store through response_url, in the channel with share', async () => {
    await storeSince(3);
    const change = await h.storeChange(
      recordOf('AttachRolePolicy', {
        roleName: 'listed-role',
        policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
      }),
    );
    const mine = command(components.slack, '24h on role/listed-role');
    const shared = command(components.slack, '24h share');

    await onCommand(mine.args, h.deps);
    await onCommand(shared.args, h.deps);

    expect(mine.spy.calls).toEqual([undefined]);
    const [answer] = mine.responses();
    expect(answer?.response_type).toBe('ephemeral');
    expect(textOf(answer?.blocks)).toContain('listed-role');
    expect(textOf(answer?.blocks)).toContain(`https://iam-changes-test.slack.com/archives/${CHANNEL}/p`);
    assertBlockKitLimits(answer as { text: string; blocks: unknown[] });
    expect(shared.responses()[0]?.response_type).toBe('in_channel');
    expect(h.published).toEqual([]);
    expect(change.eventId).toBeTruthy();
  });

  it('answers stats through response_url', async () => {
    await h.storeChange(
      recordOf('DetachRolePolicy', { roleName: 'r', policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }),
    );
    const { args, responses } = command(components.slack, 'stats 7d');
    await onCommand(args, h.deps);
    expect(textOf(responses()[0]?.blocks)).toMatch(/stats, 7 days/);
  });

  it('acks status with a checking note and the status job answers with the CIS 4.4 report', async () => {
    const { args, spy, responses } = command(components.slack, 'status');

    await onCommand(args, h.deps);
    expect(spy.calls[0]?.text).toContain('Checking CIS 4.4');
    expect(h.published).toEqual([expect.objectContaining({ kind: 'status', channelId: CHANNEL })]);
    await h.idle();

    const [report] = responses();
    expect(report?.text).toMatch(/CIS 4.4 audit: FAIL/);
    expect(report?.replace_original).toBe(true);
    assertBlockKitLimits(report as { text: string; blocks: unknown[] });
  });

  it('with share, removes the private checking note and posts the status in the channel', async () => {
    const { args, spy, responses } = command(components.slack, 'status share');

    await onCommand(args, h.deps);
    expect(spy.calls[0]?.response_type).toBe('ephemeral');
    await h.idle();

    const [removal, report] = responses();
    expect(removal).toMatchObject({ delete_original: true });
    expect(report?.response_type).toBe('in_channel');
    expect(report?.text).toMatch(/CIS 4.4 audit: FAIL/);
  });

  it('searches CloudTrail for a range older than the store: searching note, then the answer, five posts at most', async () => {
    await h.storeChange(
      recordOf('DetachRolePolicy', {
        roleName: 'recent',
        policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
      }),
    );
    const old = cloudTrailRecord(
      'AttachRolePolicy',
      { roleName: 'ancient-role', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' },
      {
        eventTime: new Date(Date.now() - 20 * 86_400_000).toISOString(),
      },
    );
    h.trailMock
      .on(LookupEventsCommand)
      .resolves({ Events: [{ EventId: old.eventID, CloudTrailEvent: JSON.stringify(old) }] });
    const { args, spy, responses } = command(components.slack, '30d');

    await onCommand(args, h.deps);
    expect(spy.calls).toEqual([undefined]);
    expect(responses()[0]?.text).toContain('Searching CloudTrail');
    expect(h.published).toEqual([expect.objectContaining({ kind: 'history', text: '30d' })]);
    await h.idle();

    const posts = responses();
    expect(posts.length).toBeLessThanOrEqual(5);
    expect(posts.filter((post) => String(post.text).startsWith('Still searching'))).toHaveLength(2);
    const answer = posts.at(-1);
    expect(textOf(answer?.blocks)).toContain('ancient-role');
    expect(textOf(answer?.blocks)).toContain('recent');
    // The answer takes the searching note's place: nothing is left saying "the answer will appear here".
    expect(answer?.replace_original).toBe(true);
    expect(answer?.response_type).toBe('ephemeral');
  });

  it('with share, removes the private searching note and posts the answer in the channel', async () => {
    const old = cloudTrailRecord(
      'AttachRolePolicy',
      { roleName: 'shared-role', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' },
      { eventTime: new Date(Date.now() - 20 * 86_400_000).toISOString() },
    );
    h.trailMock
      .on(LookupEventsCommand)
      .resolves({ Events: [{ EventId: old.eventID, CloudTrailEvent: JSON.stringify(old) }] });
    const { args, responses } = command(components.slack, '30d share');

    await onCommand(args, h.deps);
    const [searching] = responses();
    expect(searching?.response_type).toBe('ephemeral');
    expect(textOf(searching?.blocks)).toContain('posted in the channel, and this note removed');
    await h.idle();

    const posts = responses();
    expect(posts.length).toBeLessThanOrEqual(5);
    const [removal, answer] = posts.slice(-2);
    expect(removal).toMatchObject({ delete_original: true });
    expect(answer?.response_type).toBe('in_channel');
    expect(answer?.replace_original).toBe(false);
    expect(textOf(answer?.blocks)).toContain('shared-role');
  });
});
