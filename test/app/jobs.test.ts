import { describe, expect, it } from 'vitest';
import { type Job, JobFormatError, parseJob, SYSTEM_REQUESTER } from '../../src/app/jobs';

const by = { slackUserId: 'U0ALICE', name: 'alice' };

describe('parseJob', () => {
  const jobs: Job[] = [
    { kind: 'revert', eventId: 'e', by, reason: 'r', alert: { channel: 'C1', ts: '1.1' } },
    { kind: 'quarantine', eventId: 'e', by, reason: 'r' },
    { kind: 'lift-quarantine', eventId: 'e', by, reason: 'r' },
    { kind: 'diff', eventId: 'e', viewId: 'V1', by, page: 2 },
    { kind: 'prepare-confirmation', action: 'quarantine', eventId: 'e', viewId: 'V1', by },
    { kind: 'history', text: '90d', responseUrl: 'https://hooks.slack.com/x', by, channelId: 'C1' },
    { kind: 'status', responseUrl: 'https://hooks.slack.com/x', by, channelId: 'C1', share: true },
    { kind: 'judge-change', eventId: 'e', by: { ...SYSTEM_REQUESTER } },
  ];

  it.each(jobs.map((job) => [job.kind, job] as const))(
    'reads back a %s job as it was published',
    (_kind, job) => {
      expect(parseJob(JSON.stringify(job))).toEqual(job);
    },
  );

  it.each([
    ['[1]', 'unknown job kind undefined'],
    ['null', 'the job is not an object'],
    [JSON.stringify({ kind: 'diff', eventId: 'e', by }), 'the diff job has no viewId'],
    [JSON.stringify({ kind: 'status', by, channelId: 'C1' }), 'the status job has no responseUrl'],
    [
      JSON.stringify({ kind: 'history', by, responseUrl: 'u', channelId: 'C1' }),
      'the history job has no text',
    ],
    [
      JSON.stringify({ kind: 'prepare-confirmation', action: 'delete', eventId: 'e', viewId: 'V', by }),
      'unknown action "delete"',
    ],
    [
      JSON.stringify({ kind: 'diff', eventId: 'e', viewId: 'V', by, page: -1 }),
      'page that is not a whole number',
    ],
    [JSON.stringify({ kind: 'judge-change', by: SYSTEM_REQUESTER }), 'the judge-change job has no eventId'],
    [
      JSON.stringify({ kind: 'judge-change', eventId: 'e', by }),
      'the judge-change job names a user or carries a Slack request it cannot have',
    ],
    [
      JSON.stringify({
        kind: 'judge-change',
        eventId: 'e',
        by: SYSTEM_REQUESTER,
        origin: { body: 'b', timestamp: '1', signature: 'v0=x' },
      }),
      'names a user or carries a Slack request',
    ],
  ])('refuses %s in one line', (text, words) => {
    expect(() => parseJob(text)).toThrow(JobFormatError);
    expect(() => parseJob(text)).toThrow(words);
  });
});

describe('parseJob of a job queued under the former name escalation-check', () => {
  it('reads it as the judge-change job it is, with nothing else changed', () => {
    const queued = { kind: 'escalation-check', eventId: 'e-1', by: { ...SYSTEM_REQUESTER } };

    expect(parseJob(JSON.stringify(queued))).toEqual({ ...queued, kind: 'judge-change' });
  });

  it.each([
    ['naming a person', { by }, 'names a user or carries a Slack request'],
    [
      'carrying a Slack request',
      { by: SYSTEM_REQUESTER, origin: { body: 'b', timestamp: '1', signature: 'v0=x' } },
      'names a user or carries a Slack request',
    ],
    ['without a change', { eventId: undefined, by: SYSTEM_REQUESTER }, 'has no eventId'],
  ])('holds it to the same rules: refused when %s', (_case, fields, words) => {
    const text = JSON.stringify({ kind: 'escalation-check', eventId: 'e-1', ...fields });

    expect(() => parseJob(text)).toThrow(JobFormatError);
    expect(() => parseJob(text)).toThrow(words);
  });
});

describe('parseJob quarantine modes', () => {
  const base = { kind: 'quarantine', eventId: 'e-1', reason: 'x', by: { slackUserId: 'U1', name: 'a' } };

  it('reads a quarantine job with known modes, or without any', () => {
    expect(parseJob(JSON.stringify({ ...base, modes: ['deny-iam', 'revoke-sessions'] }))).toMatchObject({
      modes: ['deny-iam', 'revoke-sessions'],
    });
    expect(parseJob(JSON.stringify(base))).not.toHaveProperty('modes');
  });

  it.each([['allow-all'], 'deny-iam', [1]])('refuses modes %j', (modes) => {
    expect(() => parseJob(JSON.stringify({ ...base, modes }))).toThrow(
      'the quarantine job has modes that are not a list of known quarantine modes',
    );
  });
});
