/**
 * Replays a burst of 1,000 IAM changes from three actors within 60 seconds through the real notify handler: the
 * store on dynalite, CloudWatch Logs on moto_server, and the local Slack Web API server answering 429 to more
 * than one message per second per channel. Up to 20 invocations run at once, as Lambda would run them.
 *
 * Targets: all 1,000 changes represented in Slack, at most 20 top-level messages, at most 1.2 Slack calls per change.
 */
import type { Context } from 'aws-lambda';
import { cloudTrailRecord } from '../test/support/cloudtrail';
import { startDynalite } from '../test/support/dynalite';
import { startMoto } from '../test/support/moto';
import { eventBridgeNotification } from '../test/support/notify-harness';
import { startSlackServer } from '../test/support/slack-server';
import { invokeConcurrently, representedIds } from './notify-load';
import { withPeakMemory, writeSection } from './results';

const CHANGES = 1000;
const CONCURRENCY = 20;
const CHANNEL = '#iam-changes';
const TARGETS = { topLevel: 20, callsPerChange: 1.2 };

const ACTORS = [
  {
    role: 'terraform-ci',
    session: 'terraform-apply',
    agent: 'APN/1.0 HashiCorp/1.0 Terraform/1.9.5 terraform-provider-aws/5.70.0',
  },
  {
    role: 'cdk-deploy',
    session: 'cdk-pipeline',
    agent: 'aws-cdk/2.160.0 aws-sdk-js/3.654.0 ua/2.0 os/linux lang/js md/nodejs#20.17.0',
  },
  {
    role: 'platform-admin',
    session: 'jane@example.com',
    agent: 'aws-cli/2.17.20 md/awscrt#0.20.11 ua/2.0 os/linux',
  },
];

function record(index: number, start: number) {
  const actor = ACTORS[index % ACTORS.length] ?? ACTORS[0];
  const eventTime = new Date(start + Math.floor((index * 60_000) / CHANGES))
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z');
  const document = JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: `arn:aws:logs:us-east-1:111122223333:log-group:/app/${index}:*`,
      },
    ],
  });
  return cloudTrailRecord(
    'PutRolePolicy',
    { roleName: `app-${index}`, policyName: 'logs', policyDocument: document },
    {
      eventTime,
      userAgent: actor?.agent,
      userIdentity: {
        type: 'AssumedRole',
        principalId: `AROAEXAMPLE${index % 3}:${actor?.session}`,
        arn: `arn:aws:sts::111122223333:assumed-role/${actor?.role}/${actor?.session}`,
        accountId: '111122223333',
        sessionContext: {
          sessionIssuer: {
            type: 'Role',
            arn: `arn:aws:iam::111122223333:role/${actor?.role}`,
            userName: actor?.role,
          },
          attributes: { creationDate: eventTime, mfaAuthenticated: 'false' },
        },
      },
    },
  );
}

async function main(): Promise<void> {
  const [dynalite, moto, slack] = await Promise.all([
    startDynalite(),
    startMoto(),
    startSlackServer({ rateLimit: { perChannelPerSecond: 1 } }),
  ]);
  try {
    const tableName = await dynalite.createTable();
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: dynalite.endpoint,
      TABLE_NAME: tableName,
      SLACK_BOT_TOKEN: 'xoxb-bench',
      SLACK_API_URL: slack.url,
      SLACK_CHANNEL: CHANNEL,
      EXPECTED_ACTORS:
        'arn:aws:iam::111122223333:role/terraform-ci,arn:aws:iam::111122223333:role/cdk-deploy',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    });
    const { handler } = await import('../src/handlers/notify');
    const context = { getRemainingTimeInMillis: () => 900_000 } as Context;
    const start = Date.now() - 120_000;
    const events = Array.from({ length: CHANGES }, (_, index) =>
      eventBridgeNotification(record(index, start)),
    );

    const began = performance.now();
    const {
      peakRssMiB,
      peakHeapMiB,
      result: failures,
    } = await withPeakMemory(() => invokeConcurrently(handler, events, context, CONCURRENCY));
    const seconds = (performance.now() - began) / 1000;

    const represented = new Set(slack.messages.flatMap((message) => representedIds(message.blocks)));
    const topLevel = slack.topLevel(CHANNEL).length;
    const slackCalls = slack.calls.length;
    const rateLimited = slack.calls.filter((call) => call.status === 429).length;
    const callsPerChange = slackCalls / CHANGES;
    const lost = CHANGES - represented.size;

    const lines = [
      `| figure | value | target |`,
      `| --- | --- | --- |`,
      `| changes represented in Slack | ${represented.size} of ${CHANGES} | all (${lost === 0 ? 'met' : `${lost} lost`}) |`,
      `| top-level messages | ${topLevel} | ≤ ${TARGETS.topLevel} (ratio ${(topLevel / TARGETS.topLevel).toFixed(2)}) |`,
      `| Slack calls per change | ${callsPerChange.toFixed(3)} (${slackCalls} calls, ${rateLimited} answered 429) | ≤ ${TARGETS.callsPerChange} (ratio ${(callsPerChange / TARGETS.callsPerChange).toFixed(2)}) |`,
      `| thread messages | ${slack.messages.length - topLevel} | |`,
      `| failed invocations (retried) | ${failures} | |`,
      `| wall time | ${seconds.toFixed(1)} s | |`,
      `| peak memory | RSS ${peakRssMiB.toFixed(0)} MiB, heap ${peakHeapMiB.toFixed(0)} MiB | |`,
    ];
    const body = `${CHANGES} changes from ${ACTORS.length} actor sessions within 60 s, ${CONCURRENCY} invocations at once, Slack limited to 1 message per second per channel.\n\n${lines.join('\n')}`;
    console.log(body);
    writeSection('notify-burst', 'notify: a burst of 1,000 changes', body);
    if (lost > 0 || topLevel > TARGETS.topLevel || callsPerChange > TARGETS.callsPerChange)
      process.exitCode = 1;
  } finally {
    await Promise.all([dynalite.stop(), moto.stop(), slack.close()]);
  }
}

await main();
