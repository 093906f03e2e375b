import { describe, expect, it } from 'vitest';
import { CloudTrailConfirmer, type TrailEventLookup } from '../../src/app/event-confirmation';
import { normaliseRecord } from '../../src/domain/change';
import type { CloudTrailRecord } from '../../src/domain/input';
import type { Change } from '../../src/domain/types';
import { cloudTrailRecord } from '../support/cloudtrail';

const HOUR = 3_600_000;
const PARAMS = { roleName: 'ci-runner', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' };

/** CloudTrail's record of the detach, and the change the store holds for it (normalised from that record). */
function recordAndChange(overrides: Partial<CloudTrailRecord> = {}): {
  record: CloudTrailRecord;
  change: Change;
} {
  const record = cloudTrailRecord('DetachRolePolicy', PARAMS, overrides);
  const result = normaliseRecord(record);
  if (!('change' in result)) throw new Error(result.skipped.reason);
  return { record, change: result.change };
}

/** An event history holding `records`, recording each look-up. */
class FakeLookup implements TrailEventLookup {
  readonly calls: Array<{ eventId: string; start: Date; end: Date }> = [];
  constructor(
    private readonly records: CloudTrailRecord[] = [],
    private readonly failure?: Error,
  ) {}

  async eventById(eventId: string, start: Date, end: Date): Promise<CloudTrailRecord | undefined> {
    this.calls.push({ eventId, start, end });
    if (this.failure) throw this.failure;
    return this.records.find((record) => record.eventID === eventId);
  }
}

const clock = (iso: string) => ({ now: () => new Date(iso) });
const SOON = clock('2026-11-20T14:02:00Z');

describe('CloudTrailConfirmer', () => {
  it('says pending when the event history does not hold the event (yet)', async () => {
    const { change } = recordAndChange();
    expect(await new CloudTrailConfirmer(new FakeLookup(), SOON).confirm(change)).toEqual({
      status: 'pending',
    });
  });

  it('says pending when the history holds only other events', async () => {
    const { change } = recordAndChange();
    const other = recordAndChange().record;
    expect(await new CloudTrailConfirmer(new FakeLookup([other]), SOON).confirm(change)).toEqual({
      status: 'pending',
    });
  });

  it('says error, in one line, when CloudTrail cannot be asked', async () => {
    const { change } = recordAndChange();
    const lookup = new FakeLookup(
      [],
      new Error('AccessDenied: not authorized to LookupEvents\n    at stack'),
    );
    expect(await new CloudTrailConfirmer(lookup, SOON).confirm(change)).toEqual({
      status: 'error',
      error: 'AccessDenied: not authorized to LookupEvents',
    });
  });

  it('says error for a thrown value that is not an Error', async () => {
    const { change } = recordAndChange();
    const lookup: TrailEventLookup = {
      eventById: () => Promise.reject('throttled'),
    };
    expect(await new CloudTrailConfirmer(lookup, SOON).confirm(change)).toEqual({
      status: 'error',
      error: 'throttled',
    });
  });

  it('confirms a change that is the call CloudTrail recorded', async () => {
    const { record, change } = recordAndChange();
    expect(await new CloudTrailConfirmer(new FakeLookup([record]), SOON).confirm(change)).toEqual({
      status: 'confirmed',
    });
  });

  it('confirms a record whose request parameters CloudTrail lists in another key order', async () => {
    const { record, change } = recordAndChange();
    const reordered = {
      ...record,
      requestParameters: { policyArn: PARAMS.policyArn, roleName: PARAMS.roleName },
    };
    expect(await new CloudTrailConfirmer(new FakeLookup([reordered]), SOON).confirm(change)).toEqual({
      status: 'confirmed',
    });
  });

  const tampered: Array<[string, (record: CloudTrailRecord) => CloudTrailRecord, RegExp]> = [
    [
      'another role',
      (r) => ({ ...r, requestParameters: { ...PARAMS, roleName: 'admin' } }),
      /^the (target|request parameters) differs?$/,
    ],
    [
      'another policy',
      (r) => ({
        ...r,
        requestParameters: { ...PARAMS, policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' },
      }),
      /^the (target|request parameters) differs?$/,
    ],
    ['another call', (r) => ({ ...r, eventName: 'AttachRolePolicy' }), /^the event name differs/],
    ['another time', (r) => ({ ...r, eventTime: '2026-11-20T13:59:59Z' }), /^the event time differs/],
    ['another account', (r) => ({ ...r, recipientAccountId: '444455556666' }), /^the account differs/],
    [
      'a failed call',
      (r) => ({ ...r, errorCode: 'AccessDenied' }),
      /^the outcome differs \(stored success, CloudTrail failed\)$/,
    ],
    [
      'another caller',
      (r) => ({
        ...r,
        userIdentity: {
          ...(r.userIdentity as object),
          arn: 'arn:aws:iam::111122223333:user/mallory',
          userName: 'mallory',
        },
      }),
      /^the caller differs/,
    ],
  ];

  it.each(tampered)('says mismatch when CloudTrail recorded %s', async (_name, edit, difference) => {
    const { record, change } = recordAndChange();
    const confirmation = await new CloudTrailConfirmer(new FakeLookup([edit(record)]), SOON).confirm(change);
    expect(confirmation.status).toBe('mismatch');
    expect(confirmation.status === 'mismatch' && confirmation.difference).toMatch(difference);
  });

  it.each([
    [
      'an Organizations call',
      { eventSource: 'organizations.amazonaws.com' },
      /not an IAM write \(AWS Organizations call/,
    ],
    ['an STS call', { eventSource: 'sts.amazonaws.com' }, /not an IAM write \(not an IAM call/],
    ['a read-only IAM call', { readOnly: true }, /not an IAM write \(read-only IAM call\)/],
    ['an IAM read', { eventName: 'GetRole', readOnly: undefined }, /not an IAM write \(read-only IAM call\)/],
    // CloudTrail's own readOnly decides what is a write; a write under that id is still not this change.
    ['another call marked a write', { eventName: 'GetRole' }, /event name differs/],
  ] as Array<[string, Partial<CloudTrailRecord>, RegExp]>)(
    "says mismatch when CloudTrail's event under that id is %s",
    async (_name, overrides, difference) => {
      const { record, change } = recordAndChange();
      const confirmation = await new CloudTrailConfirmer(
        new FakeLookup([{ ...record, ...overrides }]),
        SOON,
      ).confirm(change);
      expect(confirmation).toEqual({ status: 'mismatch', difference: expect.stringMatching(difference) });
    },
  );

  it('says mismatch, without asking CloudTrail, when the stored event time is not a time', async () => {
    const { change } = recordAndChange();
    const lookup = new FakeLookup();
    const confirmation = await new CloudTrailConfirmer(lookup, SOON).confirm({
      ...change,
      eventTime: 'yesterday',
    });
    expect(confirmation).toEqual({ status: 'mismatch', difference: 'the stored event time is not a time' });
    expect(lookup.calls).toEqual([]);
  });

  it('looks the event up by its id from an hour before it to an hour after, when now is sooner', async () => {
    const { record, change } = recordAndChange();
    const lookup = new FakeLookup([record]);
    await new CloudTrailConfirmer(lookup, SOON).confirm(change);
    const at = Date.parse(change.eventTime);
    expect(lookup.calls).toEqual([
      { eventId: change.eventId, start: new Date(at - HOUR), end: new Date(at + HOUR) },
    ]);
  });

  it('reaches now when the event is more than an hour old', async () => {
    const { record, change } = recordAndChange();
    const lookup = new FakeLookup([record]);
    const later = '2026-11-21T09:30:00Z';
    expect(await new CloudTrailConfirmer(lookup, clock(later)).confirm(change)).toEqual({
      status: 'confirmed',
    });
    const at = Date.parse(change.eventTime);
    expect(lookup.calls).toEqual([
      { eventId: change.eventId, start: new Date(at - HOUR), end: new Date(later) },
    ]);
  });

  it('covers the event time whatever the clock says (a clock behind the event)', async () => {
    const { change } = recordAndChange();
    const lookup = new FakeLookup();
    await new CloudTrailConfirmer(lookup, clock('2026-11-20T10:00:00Z')).confirm(change);
    const call = lookup.calls[0];
    const at = Date.parse(change.eventTime);
    expect(call && call.start.getTime() <= at && call.end.getTime() >= at).toBe(true);
    expect(call?.end).toEqual(new Date(at + HOUR));
  });
});
