import { describe, expect, it, vi } from 'vitest';
import type { CloudTrailRecord } from '../../src/domain/input';
import { startCloudTrailPoller } from '../../src/local/cloudtrail-poller';
import { cloudTrailRecord } from '../support/cloudtrail';

describe('startCloudTrailPoller', () => {
  it('feeds new IAM writes once, oldest first, and leaves reads out', async () => {
    const attach = cloudTrailRecord(
      'AttachRolePolicy',
      { roleName: 'r', policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' },
      { eventTime: '2026-11-20T14:00:02Z' },
    );
    const put = cloudTrailRecord(
      'PutUserPolicy',
      { userName: 'u', policyName: 'p', policyDocument: '{}' },
      { eventTime: '2026-11-20T14:00:01Z' },
    );
    const read = cloudTrailRecord('GetRole', { roleName: 'r' }, { readOnly: true });
    const windows: Array<[Date, Date]> = [];
    let answer: CloudTrailRecord[] = [attach, read, put];
    const fed: string[][] = [];
    let now = new Date('2026-11-20T14:05:00Z');
    const poller = startCloudTrailPoller({
      trail: {
        lookup: async (attribute, start, end) => {
          expect(attribute).toEqual({ AttributeKey: 'EventSource', AttributeValue: 'iam.amazonaws.com' });
          windows.push([start, end]);
          return { records: answer, truncated: false };
        },
      },
      notify: async (records) => {
        fed.push(records.map((record) => String(record.eventName)));
      },
      intervalMs: 3_600_000,
      now: () => now,
    });
    try {
      // The first poll runs at start: wait for it to have fed, however long a loaded machine takes.
      await vi.waitFor(() => expect(fed).toHaveLength(1), { timeout: 30_000, interval: 10 });
      expect(fed).toEqual([['PutUserPolicy', 'AttachRolePolicy']]);
      now = new Date('2026-11-20T14:06:00Z');
      answer = [
        attach,
        put,
        cloudTrailRecord('DetachRolePolicy', {
          roleName: 'r',
          policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
        }),
      ];
      expect(await poller.pollNow()).toBe(1);
      expect(fed[1]).toEqual(['DetachRolePolicy']);
      // Each look-up reaches back 15 minutes, since CloudTrail makes events searchable late.
      expect(windows[1]?.[0].toISOString()).toBe('2026-11-20T13:51:00.000Z');
    } finally {
      await poller.stop();
    }
  });
});
