/**
 * An organisation-wide rollout through the real notify handler: 500 accounts each get the same
 * `AttachRolePolicy AdministratorAccess` from one rollout role within 60 seconds, while a Terraform pipeline
 * applies four policy changes in each of 50 accounts. The store is dynalite, Slack the local Web API server
 * answering 429 to more than one message per second per channel; up to 20 invocations run at once, as Lambda
 * would run them, and a failed invocation is retried as SNS retries it.
 *
 * Targets: 0 changes lost (every change stored and shown in Slack), ≤ 5 top-level messages, ≤ 1 message per
 * second per channel.
 */
import type { Context } from 'aws-lambda';
import { cloudTrailRecord } from '../test/support/cloudtrail';
import { startDynalite } from '../test/support/dynalite';
import { eventBridgeNotification } from '../test/support/notify-harness';
import { startSlackServer } from '../test/support/slack-server';
import { invokeConcurrently, representedIds } from './notify-load';
import { withPeakMemory, writeSection } from './results';

const ROLLOUT_ACCOUNTS = 500;
const TERRAFORM_ACCOUNTS = 50;
const TERRAFORM_CHANGES_PER_ACCOUNT = 4;
const CONCURRENCY = 20;
const CHANNEL = '#iam-changes';
const TARGETS = { topLevel: 5, postsPerSecond: 1 };
const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';

function accountId(index: number): string {
  return String(300000000000 + index);
}

function at(start: number, offsetMs: number): string {
  return new Date(start + offsetMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function assumedRole(account: string, role: string, session: string, eventTime: string) {
  return {
    type: 'AssumedRole',
    principalId: `AROA${account}:${session}`,
    arn: `arn:aws:sts::${account}:assumed-role/${role}/${session}`,
    accountId: account,
    sessionContext: {
      sessionIssuer: { type: 'Role', arn: `arn:aws:iam::${account}:role/${role}`, userName: role },
      attributes: { creationDate: eventTime, mfaAuthenticated: 'false' },
    },
  };
}

/** The rollout: one StackSet execution role, a session per account (`stackset-<operation>-<n>`). */
function rolloutRecord(index: number, start: number) {
  const account = accountId(index);
  const eventTime = at(start, Math.floor((index * 60_000) / ROLLOUT_ACCOUNTS));
  return cloudTrailRecord(
    'AttachRolePolicy',
    { roleName: 'OrganizationBreakGlass', policyArn: ADMIN },
    {
      eventTime,
      recipientAccountId: account,
      userAgent: 'cloudformation.amazonaws.com',
      sourceIPAddress: 'cloudformation.amazonaws.com',
      userIdentity: assumedRole(
        account,
        'AWSCloudFormationStackSetExecutionRole',
        `${1733300000 + index}`,
        eventTime,
      ),
    },
  );
}

/** The Terraform pipeline: four inline policies on application roles in each of 50 accounts. */
function terraformRecord(index: number, start: number) {
  const account = accountId(1000 + Math.floor(index / TERRAFORM_CHANGES_PER_ACCOUNT));
  const n = index % TERRAFORM_CHANGES_PER_ACCOUNT;
  const eventTime = at(
    start,
    5_000 + Math.floor((index * 50_000) / (TERRAFORM_ACCOUNTS * TERRAFORM_CHANGES_PER_ACCOUNT)),
  );
  return cloudTrailRecord(
    'PutRolePolicy',
    {
      roleName: `app-${n}`,
      policyName: 'logs',
      policyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: `arn:aws:logs:us-east-1:${account}:log-group:/app/${n}:*`,
          },
        ],
      }),
    },
    {
      eventTime,
      recipientAccountId: account,
      userAgent: 'APN/1.0 HashiCorp/1.0 Terraform/1.9.5 terraform-provider-aws/5.70.0',
      userIdentity: assumedRole(account, 'terraform-ci', 'terraform-apply', eventTime),
    },
  );
}

/** The most accepted posts to one channel within any one second, from the times they were seen. */
function peakPerSecond(times: number[]): number {
  let peak = 0;
  let from = 0;
  for (let to = 0; to < times.length; to += 1) {
    while ((times[to] ?? 0) - (times[from] ?? 0) >= 1000) from += 1;
    peak = Math.max(peak, to - from + 1);
  }
  return peak;
}

async function main(): Promise<void> {
  const [dynalite, slack] = await Promise.all([
    startDynalite(),
    startSlackServer({ rateLimit: { perChannelPerSecond: 1 } }),
  ]);
  try {
    const tableName = await dynalite.createTable();
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_ENDPOINT_URL_DYNAMODB: dynalite.endpoint,
      TABLE_NAME: tableName,
      SLACK_BOT_TOKEN: 'xoxb-bench',
      SLACK_API_URL: slack.url,
      SLACK_CHANNEL: CHANNEL,
      EXPECTED_ACTORS: 'arn:aws:iam::*:role/terraform-ci',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    });
    const { handler } = await import('../src/handlers/notify');
    const context = { getRemainingTimeInMillis: () => 900_000 } as Context;
    const start = Date.now() - 120_000;
    const records = [
      ...Array.from({ length: ROLLOUT_ACCOUNTS }, (_, index) => rolloutRecord(index, start)),
      ...Array.from({ length: TERRAFORM_ACCOUNTS * TERRAFORM_CHANGES_PER_ACCOUNT }, (_, index) =>
        terraformRecord(index, start),
      ),
    ].sort((a, b) => String(a.eventTime).localeCompare(String(b.eventTime)));
    const events = records.map((record) => eventBridgeNotification(record));

    // Accepted posts per channel, with the time each was seen (sampled every 10 ms).
    const seenAt: number[] = [];
    let seen = 0;
    const sampler = setInterval(() => {
      const posts = slack.calls.filter((call) => call.method === 'chat.postMessage' && call.status === 200);
      for (; seen < posts.length; seen += 1) seenAt.push(performance.now());
    }, 10);

    const began = performance.now();
    const {
      peakRssMiB,
      peakHeapMiB,
      result: failures,
    } = await withPeakMemory(() => invokeConcurrently(handler, events, context, CONCURRENCY));
    const seconds = (performance.now() - began) / 1000;
    clearInterval(sampler);

    const { DynamoChangeStore } = await import('../src/store/dynamo-change-store');
    const store = new DynamoChangeStore(dynalite.documentClient, { tableName });
    let stored = 0;
    let delivered = 0;
    for (const record of records) {
      const change = await store.getChange(String(record.eventID));
      if (change) stored += 1;
      if (change && (change.delivery === 'delivered' || change.delivery === 'grouped')) delivered += 1;
    }
    const represented = new Set(slack.messages.flatMap((message) => representedIds(message.blocks)));
    const shown = records.filter((record) => represented.has(String(record.eventID))).length;
    const total = records.length;
    const lost = total - Math.min(stored, delivered, shown);
    const topLevel = slack.topLevel(CHANNEL);
    const pings = slack
      .callsTo('chat.postMessage')
      .filter((call) => call.status === 200 && String(call.body.text).includes('<!here>')).length;
    const posts = slack.callsTo('chat.postMessage');
    const accepted = posts.filter((call) => call.status === 200).length;
    const rateLimited = posts.filter((call) => call.status === 429).length;
    const peak = peakPerSecond(seenAt);
    const parentCounts = topLevel
      .map((message) =>
        /The same change in (\d+) accounts|in (\d+) accounts/.exec(JSON.stringify(message.blocks)),
      )
      .map((match) => match?.[1] ?? match?.[2] ?? '1')
      .join(', ');

    const lines = [
      '| figure | value | target |',
      '| --- | --- | --- |',
      `| changes lost | ${lost} (${stored} stored, ${delivered} delivered, ${shown} shown in Slack, of ${total}) | 0 (${lost === 0 ? 'met' : 'missed'}) |`,
      `| top-level messages | ${topLevel.length} (accounts on each: ${parentCounts}) | ≤ ${TARGETS.topLevel} (${topLevel.length <= TARGETS.topLevel ? 'met' : 'missed'}) |`,
      `| \`@here\` pings | ${pings} | 1 for the critical rollout |`,
      `| peak posts accepted in one channel within 1 s | ${peak} (sampled every 10 ms) | ≤ ${TARGETS.postsPerSecond} (${peak <= TARGETS.postsPerSecond ? 'met' : 'missed'}) |`,
      `| posts accepted / answered 429 | ${accepted} / ${rateLimited} | |`,
      `| thread messages | ${slack.messages.length - topLevel.length} | |`,
      `| Slack calls (all methods) | ${slack.calls.length} | |`,
      `| failed invocations (retried) | ${failures} | |`,
      `| wall time | ${seconds.toFixed(1)} s | |`,
      `| peak memory | RSS ${peakRssMiB.toFixed(0)} MiB, heap ${peakHeapMiB.toFixed(0)} MiB | |`,
    ];
    const body = `${ROLLOUT_ACCOUNTS} accounts × the same \`AttachRolePolicy AdministratorAccess\` by the StackSet execution role within 60 s, plus a Terraform apply of ${TERRAFORM_CHANGES_PER_ACCOUNT} inline policies in each of ${TERRAFORM_ACCOUNTS} accounts (an expected actor), ${total} changes, ${CONCURRENCY} invocations at once, Slack limited to 1 message per second per channel.\n\n${lines.join('\n')}\n\nThe local Slack server answers 429 to a second post in a channel within one second, so accepted posts cannot exceed one a second: the 429 count is the figure that shows whether the bot tried to post faster (it then waits \`Retry-After\` and posts again).`;
    console.log(body);
    writeSection('org-rollout', 'notify: an organisation-wide rollout', body);
    if (lost > 0 || topLevel.length > TARGETS.topLevel || peak > TARGETS.postsPerSecond) process.exitCode = 1;
  } finally {
    await Promise.all([dynalite.stop(), slack.close()]);
  }
}

await main();
