import { describe, expect, it } from 'vitest';
import type { AuditEntry, AuditLog } from '../../src/app/audit-port';
import type { GuardedAction, ResponderAction } from '../../src/app/authorize';
import {
  DEFAULT_JOB_MAX_AGE_SECONDS,
  type InteractionCheck,
  type InteractionRequest,
  type InteractionVerifier,
  type JobDelivery,
  type JobProofStore,
  type JobTrust,
  jobMismatch,
  VerifiedJobRunner,
} from '../../src/app/job-verification';
import type { Job, JobOrigin } from '../../src/app/jobs';
import type { RespondedChange } from '../../src/app/revert-port';
import type { JobResult } from '../../src/app/worker-service';

const EVENT = 'evt-1';
const OTHER = 'evt-2';
const by = { slackUserId: 'U0ALICE', name: 'alice' };
const URL = 'https://hooks.slack.com/commands/T0ACME/1/abc';

describe('jobMismatch', () => {
  const prepare: Job = { kind: 'prepare-confirmation', action: 'revert', eventId: EVENT, viewId: 'V1', by };
  const revert: Job = { kind: 'revert', eventId: EVENT, by, reason: 'rolled out by mistake' };
  const quarantine: Job = { kind: 'quarantine', eventId: EVENT, by, reason: 'stolen keys' };
  const lift: Job = { kind: 'lift-quarantine', eventId: EVENT, by, reason: 'keys rotated' };
  const diff: Job = { kind: 'diff', eventId: EVENT, viewId: 'V1', by };
  const diffPage: Job = { kind: 'diff', eventId: EVENT, viewId: 'V1', by, page: 2 };
  const history: Job = { kind: 'history', text: 'role/ci 30d', responseUrl: URL, by, channelId: 'C1' };
  const status: Job = { kind: 'status', responseUrl: URL, by, channelId: 'C1' };
  const share: Job = { kind: 'status', responseUrl: URL, by, channelId: 'C1', share: true };

  const open = (action: ResponderAction, eventId = EVENT): InteractionRequest => ({
    kind: 'open-confirmation',
    action,
    eventId,
  });
  const confirm = (
    action: ResponderAction,
    reason: string,
    eventId = EVENT,
    modes?: string[],
  ): InteractionRequest => ({ kind: 'confirm', action, eventId, reason, ...(modes ? { modes } : {}) });
  const cmd = (text: string, responseUrl = URL, channelId = 'C1'): InteractionRequest => ({
    kind: 'command',
    text,
    responseUrl,
    channelId,
  });
  const page = (p: number, eventId = EVENT): InteractionRequest => ({ kind: 'diff', eventId, page: p });
  const other: InteractionRequest = { kind: 'other', what: 'the action change.acknowledge' };

  const cases: Array<[string, Job, InteractionRequest, string | undefined]> = [
    ['a confirmation opened by its button', prepare, open('revert'), undefined],
    ['a confirmation of another change', prepare, open('revert', OTHER), 'the request names another change'],
    [
      'a revert confirmation opened by the Quarantine button',
      prepare,
      open('quarantine'),
      'the request opens a quarantine, not a revert',
    ],
    [
      'a quarantine confirmation opened by its button',
      { ...prepare, action: 'quarantine' },
      open('quarantine'),
      undefined,
    ],
    [
      'a lift confirmation opened by the Revert button',
      { ...prepare, action: 'lift-quarantine' },
      open('revert'),
      'the request opens a revert, not a lift-quarantine',
    ],
    [
      'a confirmation opened by a submission',
      prepare,
      confirm('revert', 'x'),
      'a confirm request cannot open a confirmation',
    ],
    ['a confirmation opened by View diff', prepare, page(0), 'a diff request cannot open a confirmation'],
    ['a confirmation opened by Acknowledge', prepare, other, 'a other request cannot open a confirmation'],
    [
      'a confirmation opened by a command',
      prepare,
      cmd('status'),
      'a command request cannot open a confirmation',
    ],

    ['a revert as submitted', revert, confirm('revert', 'rolled out by mistake'), undefined],
    [
      'a revert whose reason differs only in surrounding space',
      revert,
      confirm('revert', '  rolled out by mistake\n'),
      undefined,
    ],
    [
      'a revert of another change',
      revert,
      confirm('revert', 'rolled out by mistake', OTHER),
      'the request names another change',
    ],
    [
      'a revert with another reason',
      revert,
      confirm('revert', 'because'),
      'the reason differs from the one submitted',
    ],
    [
      'a revert with a reason changed in case',
      revert,
      confirm('revert', 'Rolled out by mistake'),
      'the reason differs from the one submitted',
    ],
    [
      'a revert with an empty reason submitted',
      revert,
      confirm('revert', ''),
      'the reason differs from the one submitted',
    ],
    [
      'a revert from a quarantine submission',
      revert,
      confirm('quarantine', 'rolled out by mistake'),
      'the request confirms a quarantine, not a revert',
    ],
    [
      'a revert from a button click',
      revert,
      open('revert'),
      'a open-confirmation request cannot confirm a revert',
    ],
    ['a revert from View diff', revert, page(0), 'a diff request cannot confirm a revert'],
    ['a revert from a command', revert, cmd('revert evt-1'), 'a command request cannot confirm a revert'],
    ['a revert from Acknowledge', revert, other, 'a other request cannot confirm a revert'],

    ['a quarantine as submitted', quarantine, confirm('quarantine', 'stolen keys'), undefined],
    [
      'a quarantine as submitted with no modes',
      quarantine,
      confirm('quarantine', 'stolen keys', EVENT, []),
      undefined,
    ],
    [
      'a quarantine submitted with modes the job lacks',
      quarantine,
      confirm('quarantine', 'stolen keys', EVENT, ['deny-all']),
      'the quarantine modes differ from the ones submitted',
    ],
    [
      'a quarantine whose modes match in another order and with repeats',
      { ...quarantine, modes: ['revoke-sessions', 'deny-iam'] } as Job,
      confirm('quarantine', 'stolen keys', EVENT, ['deny-iam', 'revoke-sessions', 'deny-iam']),
      undefined,
    ],
    [
      'a quarantine with a mode the submission lacks',
      { ...quarantine, modes: ['deny-iam', 'revoke-sessions'] } as Job,
      confirm('quarantine', 'stolen keys', EVENT, ['deny-iam']),
      'the quarantine modes differ from the ones submitted',
    ],
    [
      'a quarantine of another change',
      quarantine,
      confirm('quarantine', 'stolen keys', OTHER),
      'the request names another change',
    ],
    [
      'a quarantine with another reason',
      quarantine,
      confirm('quarantine', 'oops'),
      'the reason differs from the one submitted',
    ],
    [
      'a quarantine from a lift submission',
      quarantine,
      confirm('lift-quarantine', 'stolen keys'),
      'the request confirms a lift-quarantine, not a quarantine',
    ],
    [
      'a quarantine from its button',
      quarantine,
      open('quarantine'),
      'a open-confirmation request cannot confirm a quarantine',
    ],

    ['a lift as submitted', lift, confirm('lift-quarantine', 'keys rotated'), undefined],
    [
      'a lift of another change',
      lift,
      confirm('lift-quarantine', 'keys rotated', OTHER),
      'the request names another change',
    ],
    [
      'a lift with another reason',
      lift,
      confirm('lift-quarantine', 'x'),
      'the reason differs from the one submitted',
    ],
    [
      'a lift from a revert submission',
      lift,
      confirm('revert', 'keys rotated'),
      'the request confirms a revert, not a lift-quarantine',
    ],

    ['a diff from View diff', diff, page(0), undefined],
    ['a diff of another change', diff, page(0, OTHER), 'the request names another change'],
    ['a diff of page 0 asked for page 1', diff, page(1), 'the request asks for another page'],
    ['a diff page as its pager asked', diffPage, page(2), undefined],
    ['a diff page other than its pager asked', diffPage, page(3), 'the request asks for another page'],
    ['a diff page 2 from View diff', diffPage, page(0), 'the request asks for another page'],
    [
      'a diff from a Revert button',
      diff,
      open('revert'),
      'a open-confirmation request cannot ask for a diff',
    ],
    ['a diff from a command', diff, cmd('role/ci'), 'a command request cannot ask for a diff'],

    ['a history query as typed', history, cmd('role/ci 30d'), undefined],
    ['a history query typed with surrounding space', history, cmd('  role/ci 30d '), undefined],
    [
      'a history query other than typed',
      history,
      cmd('role/admin 30d'),
      'the query differs from the command typed',
    ],
    [
      'a history query answered to another URL',
      history,
      cmd('role/ci 30d', 'https://evil.example/x'),
      'the answer would go to another response_url',
    ],
    [
      'a history query from another channel',
      history,
      cmd('role/ci 30d', URL, 'C2'),
      'the command came from another channel',
    ],
    ['a history query from a button', history, page(0), 'a diff request is not a command'],
    [
      'a history query from a submission',
      history,
      confirm('revert', 'x'),
      'a confirm request is not a command',
    ],

    ['a status as typed', status, cmd('status'), undefined],
    ['a status typed in capitals with space', status, cmd('  STATUS  '), undefined],
    [
      'a status from a status share command (the job must share what was asked to)',
      status,
      cmd('status share'),
      'the command asked to share',
    ],
    ['a status from a history command', status, cmd('role/ci 30d'), 'the command is not status'],
    ['a status from an empty command', status, cmd(''), 'the command is not status'],
    ['a status from statuses', status, cmd('statuses'), 'the command is not status'],
    [
      'a status answered to another URL',
      status,
      cmd('status', 'https://evil.example/x'),
      'the answer would go to another response_url',
    ],
    [
      'a status from another channel',
      status,
      cmd('status', URL, 'C2'),
      'the command came from another channel',
    ],
    ['a status from a button', status, open('revert'), 'a open-confirmation request is not a command'],
    ['a shared status as typed', share, cmd('status share'), undefined],
    ['a shared status from a plain status', share, cmd('status'), 'the command did not ask to share'],
    ['a shared status from status shared', share, cmd('status shared'), 'the command did not ask to share'],
    ['a shared status from a share query', share, cmd('share'), 'the command is not status'],
    [
      'a shared status from another channel',
      share,
      cmd('status share', URL, 'C2'),
      'the command came from another channel',
    ],
  ];

  it.each(cases)('for %s gives %j', (_name, job, request, expected) => {
    expect(jobMismatch(job, request)).toBe(expected);
  });
});

// --- VerifiedJobRunner ----------------------------------------------------------------------------------------

const NOW = new Date('2026-11-20T14:05:00Z');

/** An origin the fake verifier knows by its signature. */
function origin(signature: string): JobOrigin {
  return { body: `payload=${signature}`, timestamp: '1800000000', signature };
}

/** Verifies the origins it was told of; refuses any other as a bad signature. Records what it was asked. */
class FakeVerifier implements InteractionVerifier {
  readonly calls: Array<{ origin: JobOrigin; now: Date; maxAgeSeconds: number }> = [];
  constructor(private readonly known: Map<string, InteractionCheck>) {}

  async verify(origin: JobOrigin, now: Date, maxAgeSeconds: number): Promise<InteractionCheck> {
    this.calls.push({ origin, now, maxAgeSeconds });
    return this.known.get(origin.signature) ?? { ok: false, problem: 'signature mismatch' };
  }
}

/** The claim contract: the first delivery to claim a request holds it; the same delivery may claim it again. */
class FakeProofs implements JobProofStore {
  readonly claims = new Map<string, string>();
  readonly calls: Array<{ requestId: string; deliveryId: string; expiresAt: Date }> = [];

  async claim(requestId: string, deliveryId: string, expiresAt: Date): Promise<boolean> {
    this.calls.push({ requestId, deliveryId, expiresAt });
    const holder = this.claims.get(requestId);
    if (holder === undefined) {
      this.claims.set(requestId, deliveryId);
      return true;
    }
    return holder === deliveryId;
  }
}

class MemoryAudit implements AuditLog {
  readonly entries: AuditEntry[] = [];
  failing = false;

  async append(entry: AuditEntry): Promise<void> {
    if (this.failing) throw new Error('dynamo: throttled\nstack');
    this.entries.push(entry);
  }

  async list(): Promise<AuditEntry[]> {
    return [...this.entries];
  }
}

class RecordingRunner {
  readonly ran: Array<{ job: Job; delivery?: JobDelivery }> = [];

  async run(job: Job, delivery?: JobDelivery): Promise<JobResult> {
    this.ran.push(delivery ? { job, delivery } : { job });
    return { kind: job.kind, outcome: 'done' };
  }
}

/** A stored item holding the change `holds` (its own key unless told otherwise). */
function item(holds: string): RespondedChange {
  return { change: { eventId: holds } } as unknown as RespondedChange;
}

interface Setup {
  trust?: JobTrust;
  maxAgeSeconds?: number;
  checks?: Array<[string, InteractionCheck]>;
  responders?: string[];
  stored?: Array<[string, RespondedChange]>;
  storeFails?: boolean;
  names?: Record<string, string>;
}

function setup(options: Setup = {}) {
  const verifier = new FakeVerifier(new Map(options.checks ?? []));
  const proofs = new FakeProofs();
  const audit = new MemoryAudit();
  const next = new RecordingRunner();
  const responders = new Set(options.responders ?? ['U0ALICE']);
  const authorizations: Array<{ userId: string; action: GuardedAction; eventId: string; stage?: string }> =
    [];
  const stored = new Map(options.stored ?? [[EVENT, item(EVENT)]]);
  const logs: Array<[string, Record<string, unknown>]> = [];
  let deliveries = 0;
  const runner = new VerifiedJobRunner({
    verifier,
    proofs,
    authorizer: {
      async authorize(actor, action, eventId, stage) {
        authorizations.push({ userId: actor.slackUserId, action, eventId, ...(stage ? { stage } : {}) });
        const allowed = responders.has(actor.slackUserId);
        return { allowed, reason: allowed ? 'a responder' : 'not in the responders group' };
      },
    },
    audit,
    store: {
      async getChange(eventId) {
        if (options.storeFails) throw new Error('dynamo: unavailable');
        return stored.get(eventId);
      },
    },
    slack: {
      async userName(userId) {
        const name = options.names?.[userId];
        if (name === undefined) throw new Error('users.info: user_not_found');
        return name;
      },
    },
    clock: { now: () => NOW },
    settings: {
      trust: options.trust ?? 'signed-by-slack',
      ...(options.maxAgeSeconds === undefined ? {} : { maxAgeSeconds: options.maxAgeSeconds }),
    },
    next,
    log: (text, details) => logs.push([text, details]),
    newDeliveryId: () => `fresh-${++deliveries}`,
  });
  return { runner, verifier, proofs, audit, next, authorizations, logs };
}

const verified = (
  request: InteractionRequest,
  userId = 'U0ALICE',
  requestId = 'req-1',
  userName?: string,
): InteractionCheck => ({
  ok: true,
  interaction: { userId, requestId, request, ...(userName ? { userName } : {}) },
});

const revertJob = (overrides: Partial<Job> = {}): Job =>
  ({ kind: 'revert', eventId: EVENT, by, reason: 'oops', origin: origin('sig-revert'), ...overrides }) as Job;
const confirmRevert: InteractionRequest = {
  kind: 'confirm',
  action: 'revert',
  eventId: EVENT,
  reason: 'oops',
};
const revertAsked = verified(confirmRevert);

describe('VerifiedJobRunner', () => {
  it('hands a verified job on as the signed user, named by Slack', async () => {
    const { runner, next, audit } = setup({
      checks: [['sig-revert', revertAsked]],
      names: { U0ALICE: 'Alice Liddell' },
    });
    const job = revertJob({ by: { slackUserId: 'U0ALICE', name: 'the name the job claims' } });
    expect(await runner.run(job, { id: 'm-1' })).toEqual({ kind: 'revert', outcome: 'done' });
    expect(next.ran).toEqual([
      { job: { ...job, by: { slackUserId: 'U0ALICE', name: 'Alice Liddell' } }, delivery: { id: 'm-1' } },
    ]);
    expect(audit.entries).toEqual([]);
  });

  it('names the user by the signed userName, then the id, when Slack cannot say', async () => {
    const withName = setup({
      checks: [['sig-revert', verified(confirmRevert, 'U0ALICE', 'r', 'alice.handle')]],
    });
    await withName.runner.run(revertJob({ by: { slackUserId: 'U0ALICE', name: 'claimed' } }));
    expect(withName.next.ran[0]?.job.by).toEqual({ slackUserId: 'U0ALICE', name: 'alice.handle' });

    const withoutName = setup({ checks: [['sig-revert', revertAsked]] });
    await withoutName.runner.run(revertJob({ by: { slackUserId: 'U0ALICE', name: 'claimed' } }));
    expect(withoutName.next.ran[0]?.job.by).toEqual({ slackUserId: 'U0ALICE', name: 'U0ALICE' });
  });

  it('asks the verifier with the clock and the default age limit, or the configured one', async () => {
    const defaults = setup({ checks: [['sig-revert', revertAsked]] });
    await defaults.runner.run(revertJob());
    expect(defaults.verifier.calls).toEqual([
      { origin: origin('sig-revert'), now: NOW, maxAgeSeconds: DEFAULT_JOB_MAX_AGE_SECONDS },
    ]);
    const configured = setup({ checks: [['sig-revert', revertAsked]], maxAgeSeconds: 120 });
    await configured.runner.run(revertJob(), { id: 'm-1' });
    expect(configured.verifier.calls[0]?.maxAgeSeconds).toBe(120);
    expect(configured.proofs.calls).toEqual([
      { requestId: 'req-1', deliveryId: 'm-1', expiresAt: new Date(NOW.getTime() + 240_000) },
    ]);
  });

  it('claims a job without a delivery under a fresh delivery id', async () => {
    const { runner, proofs } = setup({ checks: [['sig-revert', revertAsked]] });
    await runner.run(revertJob());
    expect(proofs.calls[0]?.deliveryId).toBe('fresh-1');
  });

  it('checks that the signed user is a responder now, at the worker stage', async () => {
    const { runner, authorizations } = setup({ checks: [['sig-revert', revertAsked]] });
    await runner.run(revertJob());
    expect(authorizations).toEqual([
      { userId: 'U0ALICE', action: 'revert', eventId: EVENT, stage: 'worker' },
    ]);
  });

  /** Each refusal: the job, what the verifier knows, and what the audit's result must say. */
  const refusals: Array<[string, Setup, Job, RegExp]> = [
    ['a job with no signed request', {}, revertJob({ origin: undefined }), /carries no signed Slack request/],
    [
      'a job whose signature does not check',
      {},
      revertJob({ origin: origin('forged') }),
      /fails verification: signature mismatch/,
    ],
    [
      'a job whose request is stale',
      { checks: [['sig-revert', { ok: false, problem: 'timestamp too old' }]] },
      revertJob(),
      /fails verification: timestamp too old/,
    ],
    [
      'a job whose request is dated in the future',
      { checks: [['sig-revert', { ok: false, problem: 'timestamp in the future' }]] },
      revertJob(),
      /fails verification: timestamp in the future/,
    ],
    [
      'a job re-aimed at another change',
      { checks: [['sig-revert', revertAsked]] },
      revertJob({ eventId: OTHER }),
      /not what was asked in Slack: the request names another change/,
    ],
    [
      'a job with another reason',
      { checks: [['sig-revert', revertAsked]] },
      revertJob({ reason: 'changed' } as Partial<Job>),
      /the reason differs/,
    ],
    [
      'a quarantine carrying a revert submission',
      { checks: [['sig-revert', revertAsked]] },
      revertJob({ kind: 'quarantine' }),
      /confirms a revert, not a quarantine/,
    ],
    [
      'a job naming another user than the one who acted',
      { checks: [['sig-revert', verified(confirmRevert, 'U0MALLORY')]] },
      revertJob(),
      /names another user/,
    ],
    [
      'a job of a signed user who is no responder now',
      { checks: [['sig-revert', revertAsked]], responders: [] },
      revertJob(),
      /U0ALICE is not a responder now: not in the responders group/,
    ],
  ];

  it.each(refusals)(
    'refuses %s, audited as an unverified job with what it claimed',
    async (_name, options, job, result) => {
      const { runner, next, audit, logs } = setup(options);
      expect(await runner.run(job, { id: 'm-1' })).toEqual({ kind: job.kind, outcome: 'unverified' });
      expect(next.ran).toEqual([]);
      expect(audit.entries).toHaveLength(1);
      const entry = audit.entries[0];
      expect(entry).toMatchObject({
        at: NOW.toISOString(),
        actor: { name: 'unverified job' },
        action: 'unverified-job',
        eventId: 'eventId' in job ? job.eventId : undefined,
        details: { job: job.kind, claimed: { slackUserId: by.slackUserId, name: by.name } },
      });
      expect(entry?.actor).toEqual({ name: 'unverified job' });
      expect(entry?.result).toMatch(/^refused: /);
      expect(entry?.result).toMatch(result);
      expect(logs.map(([text]) => text)).toContain('unverified job refused');
    },
  );

  it('audits a refused command job without an event id', async () => {
    const job: Job = { kind: 'status', responseUrl: URL, by, channelId: 'C1', origin: origin('nope') };
    const { runner, audit } = setup();
    expect((await runner.run(job)).outcome).toBe('unverified');
    expect(audit.entries[0]).not.toHaveProperty('eventId');
    expect(audit.entries[0]?.details).toEqual({ job: 'status', claimed: by });
  });

  it('keeps a refusal a refusal when the audit cannot be written', async () => {
    const { runner, next, audit, logs } = setup();
    audit.failing = true;
    expect(await runner.run(revertJob({ origin: origin('forged') }))).toEqual({
      kind: 'revert',
      outcome: 'unverified',
    });
    expect(next.ran).toEqual([]);
    expect(logs).toContainEqual([
      'audit entry not written',
      { action: 'unverified-job', error: 'dynamo: throttled' },
    ]);
  });

  it('refuses a replay: the same request carried by another delivery', async () => {
    const { runner, next, audit } = setup({ checks: [['sig-revert', revertAsked]] });
    expect((await runner.run(revertJob(), { id: 'm-1' })).outcome).toBe('done');
    expect(await runner.run(revertJob(), { id: 'm-2' })).toEqual({ kind: 'revert', outcome: 'unverified' });
    expect(next.ran).toHaveLength(1);
    expect(audit.entries[0]?.result).toMatch(/already used by another job \(a replay\)/);
  });

  it('refuses a second in-process run of one request (each gets a fresh delivery id)', async () => {
    const { runner, next } = setup({ checks: [['sig-revert', revertAsked]] });
    await runner.run(revertJob());
    expect((await runner.run(revertJob())).outcome).toBe('unverified');
    expect(next.ran).toHaveLength(1);
  });

  it("passes SNS's redelivery of one message (the same delivery id twice)", async () => {
    const { runner, next, audit } = setup({ checks: [['sig-revert', revertAsked]] });
    expect((await runner.run(revertJob(), { id: 'm-1' })).outcome).toBe('done');
    expect((await runner.run(revertJob(), { id: 'm-1' })).outcome).toBe('done');
    expect(next.ran).toHaveLength(2);
    expect(audit.entries).toEqual([]);
  });

  it('claims nothing for a job refused before its request is known good', async () => {
    const { runner, proofs } = setup({ checks: [['sig-revert', revertAsked]] });
    await runner.run(revertJob({ eventId: OTHER }), { id: 'm-1' });
    expect(proofs.calls).toEqual([]);
  });

  it('with in-process trust, runs an origin-less job as the user it names, after the responder check', async () => {
    const { runner, next, verifier, proofs, authorizations } = setup({
      trust: 'in-process',
      names: { U0ALICE: 'Alice' },
    });
    const job = revertJob({ origin: undefined });
    expect((await runner.run(job)).outcome).toBe('done');
    expect(next.ran[0]?.job.by).toEqual({ slackUserId: 'U0ALICE', name: 'Alice' });
    expect(verifier.calls).toEqual([]);
    expect(proofs.calls).toEqual([]);
    expect(authorizations).toHaveLength(1);
  });

  it('with in-process trust, refuses an origin-less job of someone who is no responder', async () => {
    const { runner, next, audit } = setup({ trust: 'in-process', responders: [] });
    const job = revertJob({ origin: undefined, by: { slackUserId: 'U0MALLORY', name: 'mallory' } });
    expect((await runner.run(job)).outcome).toBe('unverified');
    expect(next.ran).toEqual([]);
    expect(audit.entries[0]).toMatchObject({
      actor: { name: 'unverified job' },
      details: { claimed: { slackUserId: 'U0MALLORY', name: 'mallory' } },
    });
  });

  it('with in-process trust, still verifies a job that does carry a signed request', async () => {
    const { runner, next, verifier } = setup({ trust: 'in-process' });
    expect((await runner.run(revertJob({ origin: origin('forged') }))).outcome).toBe('unverified');
    expect(verifier.calls).toHaveLength(1);
    expect(next.ran).toEqual([]);
  });

  it.each([
    ['prepare-confirmation', 'quarantine'],
    ['quarantine', 'quarantine'],
    ['lift-quarantine', 'lift-quarantine'],
  ] as const)('checks the responder for a %s job against the %s action', async (kind, action) => {
    const job = (
      kind === 'prepare-confirmation'
        ? { kind, action, eventId: EVENT, viewId: 'V1', by }
        : { kind, eventId: EVENT, by, reason: 'r' }
    ) as Job;
    const { runner, authorizations, next } = setup({ trust: 'in-process', responders: [] });
    expect((await runner.run(job)).outcome).toBe('unverified');
    expect(authorizations).toEqual([{ userId: 'U0ALICE', action, eventId: EVENT, stage: 'worker' }]);
    expect(next.ran).toEqual([]);
  });

  const anyoneJobs: Array<[string, Job, InteractionRequest]> = [
    [
      'diff',
      { kind: 'diff', eventId: EVENT, viewId: 'V1', by, origin: origin('sig') },
      { kind: 'diff', eventId: EVENT, page: 0 },
    ],
    [
      'history',
      { kind: 'history', text: '30d', responseUrl: URL, by, channelId: 'C1', origin: origin('sig') },
      { kind: 'command', text: '30d', responseUrl: URL, channelId: 'C1' },
    ],
    [
      'status',
      { kind: 'status', responseUrl: URL, by, channelId: 'C1', origin: origin('sig') },
      { kind: 'command', text: 'status', responseUrl: URL, channelId: 'C1' },
    ],
  ];

  it.each(anyoneJobs)(
    'runs a verified %s job for someone who is no responder',
    async (_kind, job, request) => {
      const { runner, next, authorizations } = setup({
        checks: [['sig', verified(request)]],
        responders: [],
      });
      expect((await runner.run(job, { id: 'm-1' })).outcome).toBe('done');
      expect(authorizations).toEqual([]);
      expect(next.ran).toHaveLength(1);
    },
  );

  it('audits a verified job about a change the store does not hold, and still hands it on', async () => {
    const { runner, next, audit } = setup({
      checks: [['sig-revert', revertAsked]],
      stored: [],
      names: { U0ALICE: 'Alice' },
    });
    expect((await runner.run(revertJob(), { id: 'm-1' })).outcome).toBe('done');
    expect(next.ran).toHaveLength(1);
    expect(audit.entries).toEqual([
      {
        at: NOW.toISOString(),
        actor: { slackUserId: 'U0ALICE', name: 'Alice' },
        action: 'job-refused',
        eventId: EVENT,
        result: 'refused: unknown event id',
        details: { job: 'revert' },
      },
    ]);
  });

  it('refuses a job whose stored item holds another change, audited and not handed on', async () => {
    const { runner, next, audit } = setup({
      checks: [['sig-revert', revertAsked]],
      stored: [[EVENT, item(OTHER)]],
      names: { U0ALICE: 'Alice' },
    });
    expect(await runner.run(revertJob(), { id: 'm-1' })).toEqual({ kind: 'revert', outcome: 'refused' });
    expect(next.ran).toEqual([]);
    expect(audit.entries).toEqual([
      expect.objectContaining({
        actor: { slackUserId: 'U0ALICE', name: 'Alice' },
        action: 'job-refused',
        eventId: EVENT,
        result: 'refused: the stored item holds another change',
      }),
    ]);
  });

  it('checks the stored item for a diff job too', async () => {
    const request: InteractionRequest = { kind: 'diff', eventId: EVENT, page: 0 };
    const { runner, next } = setup({ checks: [['sig', verified(request)]], stored: [[EVENT, item(OTHER)]] });
    const job: Job = { kind: 'diff', eventId: EVENT, viewId: 'V1', by, origin: origin('sig') };
    expect((await runner.run(job)).outcome).toBe('refused');
    expect(next.ran).toEqual([]);
  });

  it('hands the job on, and logs, when the store cannot be read to check it', async () => {
    const { runner, next, audit, logs } = setup({ checks: [['sig-revert', revertAsked]], storeFails: true });
    expect((await runner.run(revertJob())).outcome).toBe('done');
    expect(next.ran).toHaveLength(1);
    expect(audit.entries).toEqual([]);
    expect(logs).toContainEqual([
      'the change could not be read to check the job',
      { eventId: EVENT, error: 'dynamo: unavailable' },
    ]);
  });

  it('never reads the store for a command job', async () => {
    const request: InteractionRequest = {
      kind: 'command',
      text: 'status',
      responseUrl: URL,
      channelId: 'C1',
    };
    const { runner, audit } = setup({ checks: [['sig', verified(request)]], stored: [] });
    const job: Job = { kind: 'status', responseUrl: URL, by, channelId: 'C1', origin: origin('sig') };
    expect((await runner.run(job)).outcome).toBe('done');
    expect(audit.entries).toEqual([]);
  });
});
