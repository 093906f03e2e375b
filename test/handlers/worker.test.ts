/**
 * The worker Lambda handler end to end: SNS jobs events into the real handler, built from the environment —
 * IAM (and the CIS 4.4 audit's reads) on moto_server, the store on dynalite, Slack on the local server.
 */
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { JobFormatError } from '../../src/app/jobs';
import { handler } from '../../src/handlers/worker';
import { handlerEnv, jobsEvent } from '../support/lambda-env';
import {
  ALICE,
  attachedPolicy,
  CHANNEL,
  type Components,
  type Harness,
  responderHarness,
  startComponents,
  textOf,
} from '../support/responder-harness';
import { signJob, TEST_SIGNING_SECRET } from '../support/signed-jobs';

const context = {} as Context;
let components: Components;
let h: Harness;
const saved = { ...process.env };

beforeAll(async () => {
  components = await startComponents();
  h = await responderHarness(components);
  Object.assign(
    process.env,
    handlerEnv(components, h.tableName, {
      SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
      SLACK_RESPONDERS: ALICE,
    }),
  );
});

afterAll(async () => {
  process.env = saved;
  await components?.stop();
});

describe('worker handler', () => {
  it('runs a revert job from the jobs topic: IAM reverted on moto, the alert and its thread updated', async () => {
    const { role, record } = await attachedPolicy(components);
    const change = await h.storeChange(record);
    const ts = (await h.stored(change.eventId)).slack?.ts ?? '';
    const job = signJob({
      kind: 'revert' as const,
      eventId: change.eventId,
      by: { slackUserId: ALICE, name: 'alice' },
      reason: 'from the jobs topic',
      alert: { channel: CHANNEL, ts },
    });

    const results = await handler(jobsEvent(JSON.stringify(job)), context);

    expect(results).toEqual([{ kind: 'revert', outcome: 'done' }]);
    expect(await h.iam.listAttachedPolicies({ kind: 'role', name: role })).toEqual([]);
    expect(textOf(components.slack.messages.find((m) => m.ts === ts)?.blocks)).toContain(
      `Reverted* by <@${ALICE}>`,
    );
    expect(textOf(components.slack.thread(ts).map((m) => m.blocks))).toContain('from the jobs topic');
  });

  it('answers a status job through response_url', async () => {
    const job = signJob({
      kind: 'status' as const,
      responseUrl: components.slack.responseUrl('worker-status'),
      by: { slackUserId: ALICE, name: 'alice' },
      channelId: CHANNEL,
    });

    const [result] = await handler(jobsEvent(JSON.stringify(job)), context);

    expect(result?.kind).toBe('status');
    expect(String(components.slack.responsesTo('worker-status')[0]?.text)).toMatch(
      /^CIS 4.4 audit: (PASS|FAIL)/,
    );
  });

  it.each([
    ['not JSON', 'revert please', 'the job is not JSON'],
    [
      'an unknown kind',
      JSON.stringify({ kind: 'delete-everything', by: { slackUserId: 'U1', name: 'x' } }),
      'unknown job kind',
    ],
    [
      'a job without its requester',
      JSON.stringify({ kind: 'revert', eventId: 'e', reason: 'r' }),
      'does not say who asked',
    ],
    [
      'a revert without a reason',
      JSON.stringify({ kind: 'revert', eventId: 'e', by: { slackUserId: 'U1', name: 'x' } }),
      'has no reason',
    ],
  ])('rejects %s with one line, so the dead-letter queue keeps it', async (_name, message, words) => {
    const lines: string[] = [];
    const capture = (chunk: unknown) => {
      lines.push(String(chunk));
      return true;
    };
    const spies = [
      vi.spyOn(process.stdout, 'write').mockImplementation(capture),
      vi.spyOn(process.stderr, 'write').mockImplementation(capture),
    ];
    try {
      const failure = await handler(jobsEvent(message, 'message-1'), context).catch(
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(JobFormatError);
      expect((failure as Error).message).toContain(words);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    const errors = lines.filter((line) => line.includes('"level":"ERROR"'));
    expect(errors).toHaveLength(1);
    const logged = JSON.parse(errors[0] ?? '{}') as Record<string, unknown>;
    expect(String(logged.message)).toMatch(/^bad job message-1: /);
    expect(String(logged.message)).toContain(words);
    expect(String(logged.message)).not.toContain('\n');
  });
});
