import { describe, expect, it } from 'vitest';
import { InProcessJobQueue } from '../../src/app/in-process-job-queue';
import { type Job, JobFormatError } from '../../src/app/jobs';

const by = { slackUserId: 'U0ALICE', name: 'alice' };
const status = (channelId: string): Job => ({
  kind: 'status',
  responseUrl: 'https://hooks.slack.com/x',
  by,
  channelId,
});

describe('InProcessJobQueue', () => {
  it('runs a job after the publisher returns, and idle() waits for it and for the jobs it publishes', async () => {
    const ran: string[] = [];
    const queue: InProcessJobQueue = new InProcessJobQueue(async (job) => {
      if (job.kind !== 'status') return;
      ran.push(job.channelId);
      if (job.channelId === 'first') await queue.publish(status('second'));
    });

    await queue.publish(status('first'));
    expect(ran).toEqual([]);
    await queue.idle();

    expect(ran).toEqual(['first', 'second']);
  });

  it('hands the runner a copy read back as the worker would, not the publisher’s object', async () => {
    const seen: Job[] = [];
    const queue = new InProcessJobQueue(async (job) => {
      seen.push(job);
    });
    const job = status('C1');
    await queue.publish(job);
    await queue.idle();
    expect(seen[0]).toEqual(job);
    expect(seen[0]).not.toBe(job);
  });

  it('refuses a job the worker could not read, at publish', async () => {
    const queue = new InProcessJobQueue(async () => undefined);
    await expect(queue.publish({ kind: 'status', by } as unknown as Job)).rejects.toThrow(JobFormatError);
  });

  it('logs a failed job and keeps it, without failing the publisher or other jobs', async () => {
    const logged: string[] = [];
    const queue = new InProcessJobQueue(
      async (job) => {
        if (job.kind === 'status' && job.channelId === 'bad') throw new Error('boom');
      },
      { log: (message, details) => logged.push(`${message}: ${String(details.error)}`) },
    );
    await queue.publish(status('bad'));
    await queue.publish(status('good'));
    await queue.idle();
    expect(logged).toEqual(['job status failed: boom']);
    expect(queue.failures.map((failure) => failure.job)).toEqual([status('bad')]);
  });
});
