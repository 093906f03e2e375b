/**
 * Account names, not bare ids, in what the responder path shows, end to end: an alert posted by the real notify
 * path with the account directory's copy on dynalite, then real HMAC-signed requests into the Slack handler
 * (Bolt), the jobs it publishes (moto SNS → SQS) run by the worker handler, and what the local Slack server
 * received: the revert and quarantine confirmations, the revert's result in the thread, the mute's note.
 */
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CachedAccountDirectory } from '../../src/app/account-directory';
import { type Job, parseJob } from '../../src/app/jobs';
import type { NotifyService } from '../../src/app/notify-service';
import { CloudWatchLogsSearch } from '../../src/aws/cloudwatch-logs-search';
import type { CloudTrailRecord } from '../../src/domain/input';
import { handler as slackHandler } from '../../src/handlers/slack';
import { handler as workerHandler } from '../../src/handlers/worker';
import { ACTION_IDS, MUTE_VIEW, REASON_INPUT, VIEW_IDS } from '../../src/slack/action-ids';
import { DynamoAccountDirectoryStore } from '../../src/store/dynamo-account-directory';
import { DynamoMuteStore } from '../../src/store/dynamo-mutes';
import { handlerEnv, jobsEvent } from '../support/lambda-env';
import { awsTestEnv } from '../support/moto';
import { notifyOn } from '../support/notify-on-harness';
import {
  ACCOUNT,
  ALICE,
  attachedPolicy,
  CHANNEL,
  type Components,
  type Harness,
  iamUser,
  recordOf,
  responderHarness,
  startComponents,
  textOf,
  unique,
} from '../support/responder-harness';
import { slackFunctionAws } from '../support/slack-function-aws';
import { signedSlackRequest } from '../support/slack-requests';

const SECRET = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';
const context = { getRemainingTimeInMillis: () => 10_000 } as Context;
/**
 * The directory's name for the account the changes are made in: a member account may name itself anything
 * (`account:PutAccountName`), here mrkdwn that would read as another account's id in bold, and `<>` Slack must
 * see escaped.
 */
const NAME = 'prod<payments>* `999988887777` *';
const SPOOFED = '999988887777';
const ESCAPED = 'prod&lt;payments&gt;* `999988887777` *';
/** The name as shown: a code span (it holds mrkdwn characters), its backticks shown as `'`, so nothing formats. */
const NAMED = "`prod&lt;payments&gt;* '999988887777' *`";
const IN_ALERT = `${NAMED} \`${ACCOUNT}\` · Root/Security`;
const IN_SENTENCE = `${NAMED} (${ACCOUNT})`;
/** Where a confirmation acts: the id first. */
const IN_CONFIRMATION = `In account \`${ACCOUNT}\` (${NAMED} · Root/Security)`;

/** Text outside the name's own code span never shows the id the name pretends to be. */
function expectNoSpoof(text: string): void {
  expect(text.split(NAMED).join('')).not.toContain(SPOOFED);
}

let components: Components;
let h: Harness;
let sqs: SQSClient;
let queueUrl: string;
let notify: NotifyService;
const saved = { ...process.env };

beforeAll(async () => {
  components = await startComponents();
  h = await responderHarness(components);
  const jobs = await slackFunctionAws(components.moto.endpoint, {
    stage: 'names',
    secret: SECRET,
    queueName: 'jobs-tap-names',
  });
  ({ sqs, queueUrl } = jobs);
  Object.assign(
    process.env,
    handlerEnv(components, h.tableName, {
      SLACK_SIGNING_SECRET_PARAMETER: '/iam-changes/names/slack-signing-secret',
      SLACK_RESPONDERS: ALICE,
      JOBS_TOPIC_ARN: jobs.topicArn,
      HOME_ACCOUNT_ID: ACCOUNT,
    }),
  );
  const directoryStore = new DynamoAccountDirectoryStore(components.dynalite.documentClient, {
    tableName: h.tableName,
  });
  await directoryStore.write({
    accounts: [{ id: ACCOUNT, name: NAME, ouPath: 'Root/Security' }],
    fetchedAt: new Date().toISOString(),
  });
  notify = notifyOn(components, h, {
    stats: h.stats,
    mutes: new DynamoMuteStore(components.dynalite.documentClient, { tableName: h.tableName }),
    accounts: new CachedAccountDirectory({ store: directoryStore, clock: { now: () => new Date() } }),
    logs: new CloudWatchLogsSearch(new CloudWatchLogsClient(awsTestEnv(components.moto.endpoint))),
    settings: { mentionOnCritical: false },
  });
});

afterAll(async () => {
  process.env = saved;
  sqs?.destroy();
  await components?.stop();
});

function form(payload: unknown): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

const base = { team: { id: 'T0LOCAL', domain: 'local-slack' }, api_app_id: 'A0BOT', token: 'legacy' };
const alice = { id: ALICE, username: 'alice', team_id: 'T0LOCAL' };

function click(actionId: string, value: string, ts: string): string {
  return form({
    ...base,
    type: 'block_actions',
    user: alice,
    trigger_id: `trigger-${unique('names')}`,
    container: { type: 'message', message_ts: ts, channel_id: CHANNEL, is_ephemeral: false },
    channel: { id: CHANNEL, name: 'iam-changes' },
    message: { type: 'message', ts, text: 'alert' },
    response_url: components.slack.responseUrl(unique('names-click')),
    actions: [{ type: 'button', action_id: actionId, block_id: 'b', value, action_ts: '1' }],
  });
}

function submission(view: Record<string, unknown>, viewId: string, values: Record<string, unknown>): string {
  return form({
    ...base,
    type: 'view_submission',
    user: alice,
    trigger_id: 't',
    view: {
      id: viewId,
      type: 'modal',
      callback_id: view.callback_id,
      private_metadata: view.private_metadata,
      state: { values },
      hash: 'h',
    },
  });
}

const reason = (text: string) => ({
  [REASON_INPUT.BLOCK_ID]: { [REASON_INPUT.ACTION_ID]: { type: 'plain_text_input', value: text } },
});

async function jobsPublished(): Promise<Job[]> {
  const received = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
  );
  return (received.Messages ?? []).map((message) => parseJob(message.Body ?? ''));
}

/** A role made administrator on moto by an IAM user of its own (so no two tests' alerts are grouped). */
async function adminAttached(): Promise<CloudTrailRecord> {
  const { role, policyArn } = await attachedPolicy(components);
  return recordOf('AttachRolePolicy', { roleName: role, policyArn }, { user: unique('admin') });
}

/** Posts the record's alert through notify; its event id and the alert's ts. */
async function alertOf(record: CloudTrailRecord): Promise<{ eventId: string; ts: string }> {
  await notify.process(record);
  const eventId = String(record.eventID);
  return { eventId, ts: (await h.stored(eventId)).slack?.ts ?? '' };
}

/** A signed click on the alert's button, and the worker's run of the confirmation job it published. */
async function confirmationOf(actionId: string, alert: { eventId: string; ts: string }) {
  const clicked = await slackHandler(
    signedSlackRequest(click(actionId, alert.eventId, alert.ts), SECRET),
    context,
  );
  expect(clicked.statusCode).toBe(200);
  const [prepare] = await jobsPublished();
  expect(prepare?.kind).toBe('prepare-confirmation');
  await workerHandler(jobsEvent(JSON.stringify(prepare)), context);
  const viewId = prepare && 'viewId' in prepare ? prepare.viewId : '';
  const view = components.slack.views.find((candidate) => candidate.id === viewId)?.view ?? {};
  return { view, viewId };
}

describe('account names through the Slack and worker handlers', () => {
  it('the alert names the account, as the directory has it', async () => {
    const alert = await alertOf(await adminAttached());
    const posted = components.slack.messages.find((message) => message.ts === alert.ts);
    expect(textOf(posted?.blocks)).toContain(IN_ALERT);
    expectNoSpoof(textOf(posted?.blocks));
  });

  it('the revert confirmation names the account, and so does the result posted in the thread', async () => {
    const alert = await alertOf(await adminAttached());

    const { view, viewId } = await confirmationOf(ACTION_IDS.REVERT, alert);
    expect(view.callback_id).toBe(VIEW_IDS.REVERT_CONFIRM);
    expect(textOf(view.blocks)).toContain(IN_CONFIRMATION);
    expect(textOf(view.blocks)).not.toContain(ESCAPED);
    expectNoSpoof(textOf(view.blocks));

    const submitted = await slackHandler(
      signedSlackRequest(submission(view, viewId, reason('not approved')), SECRET),
      context,
    );
    expect(submitted.statusCode).toBe(200);
    const [revert] = await jobsPublished();
    expect(revert?.kind).toBe('revert');
    const [done] = await workerHandler(jobsEvent(JSON.stringify(revert)), context);
    expect(done).toEqual({ kind: 'revert', outcome: 'done' });
    const result = components.slack
      .thread(alert.ts)
      .find((message) => textOf(message.blocks).includes('Reverted'));
    expect(textOf(result?.blocks)).toContain(`*Reverted* in ${IN_SENTENCE} by <@${ALICE}>`);
    expectNoSpoof(textOf(result?.blocks));
    expect(result?.text).toContain(`Reverted in ${ESCAPED} (${ACCOUNT}) by`);
  });

  it('the quarantine confirmation names the account', async () => {
    const intruder = await iamUser(components);
    const { policyArn } = await attachedPolicy(components);
    const record = recordOf('AttachUserPolicy', { userName: intruder, policyArn }, { user: intruder });
    const alert = await alertOf(record);

    const { view } = await confirmationOf(ACTION_IDS.QUARANTINE, alert);
    expect(view.callback_id).toBe(VIEW_IDS.QUARANTINE_CONFIRM);
    expect(textOf(view.blocks)).toContain(IN_CONFIRMATION);
    expectNoSpoof(textOf(view.blocks));
  });

  it("a mute's note in the thread names the account it is limited to", async () => {
    const alert = await alertOf(await adminAttached());
    await slackHandler(signedSlackRequest(click(ACTION_IDS.MUTE, alert.eventId, alert.ts), SECRET), context);
    const submitted = await slackHandler(
      signedSlackRequest(
        submission(
          {
            callback_id: MUTE_VIEW.CALLBACK_ID,
            private_metadata: JSON.stringify({ eventId: alert.eventId, channel: CHANNEL, ts: alert.ts }),
          },
          'V-mute-names',
          {
            [MUTE_VIEW.SCOPE_BLOCK]: {
              [MUTE_VIEW.SCOPE_ACTION]: { type: 'radio_buttons', selected_option: { value: 'resource' } },
            },
            [MUTE_VIEW.DURATION_BLOCK]: {
              [MUTE_VIEW.DURATION_ACTION]: { type: 'static_select', selected_option: { value: '1h' } },
            },
            ...reason('known migration'),
          },
        ),
        SECRET,
      ),
      context,
    );
    expect(submitted.statusCode).toBe(200);
    const note = components.slack
      .thread(alert.ts)
      .find((message) => textOf(message.blocks).includes(':no_bell:'));
    expect(textOf(note?.blocks)).toContain(`in ${IN_SENTENCE} until`);
    expectNoSpoof(textOf(note?.blocks));
    // The note's own mrkdwn reaches Slack as written: the mention and the date are not escaped a second time.
    expect(textOf(note?.blocks)).toMatch(new RegExp(`:no_bell: <@${ALICE}> muted .* until <!date\\^\\d+\\^`));
  });

  it('an announced expectation names the account it is about', async () => {
    const body = new URLSearchParams({
      token: 'legacy',
      team_id: 'T0LOCAL',
      team_domain: 'local-slack',
      channel_id: CHANNEL,
      channel_name: 'iam-changes',
      user_id: ALICE,
      user_name: 'alice',
      command: '/iam-changes',
      text: `expect role/ci-runner in ${ACCOUNT} 2h deploy #812`,
      api_app_id: 'A0BOT',
      response_url: components.slack.responseUrl(unique('names-expect')),
      trigger_id: 't',
    }).toString();
    const response = await slackHandler(signedSlackRequest(body, SECRET), context);
    expect(response.statusCode).toBe(200);
    const announced = components.slack.messages.find((message) =>
      textOf(message.blocks).includes(':calendar:'),
    );
    expect(textOf(announced?.blocks)).toContain(`expects on \`role/ci-runner\` in ${IN_SENTENCE} from`);
    expectNoSpoof(textOf(announced?.blocks));
    // The announcement's own mrkdwn reaches Slack as written: the mention is not escaped a second time.
    expect(textOf(announced?.blocks)).toContain(`:calendar: <@${ALICE}> expects`);
  });
});
