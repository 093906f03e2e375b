import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudTrailHistory } from '../../src/aws/cloudtrail-history';
import { type LocalEventHistory, startLocalEventHistory } from '../../src/local/event-history';
import { cloudTrailRecord } from '../support/cloudtrail';

describe('the local event history', () => {
  let dir: string;
  let history: LocalEventHistory;
  let client: CloudTrailClient;
  const attach = cloudTrailRecord(
    'AttachRolePolicy',
    { roleName: 'ci-runner', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' },
    { eventTime: '2026-11-20T14:00:00Z' },
  );
  const put = cloudTrailRecord(
    'PutUserPolicy',
    { userName: 'bob', policyName: 'p', policyDocument: '{"Version":"2012-10-17","Statement":[]}' },
    { eventTime: '2026-11-20T14:01:00Z' },
  );

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'iam-changes-history-'));
    history = await startLocalEventHistory({ path: join(dir, 'event-history.jsonl') });
    history.add(attach);
    history.add(put);
    history.add(put);
    client = new CloudTrailClient({
      region: 'us-east-1',
      endpoint: history.endpoint,
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
  });
  afterAll(async () => {
    client.destroy();
    await history.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers LookupEvents through the bot’s own CloudTrail adapter, by source, name and resource', async () => {
    const trail = new CloudTrailHistory(client, { requestsPerSecond: 1000 });
    const start = new Date('2026-11-20T13:00:00Z');
    const end = new Date('2026-11-20T15:00:00Z');
    const all = await trail.iamEvents(start, end, ['AttachRolePolicy', 'PutUserPolicy']);
    expect(all.map((record) => record.eventName).sort()).toEqual(['AttachRolePolicy', 'PutUserPolicy']);
    const onRole = await trail.resourceEvents('ci-runner', start, end);
    expect(onRole.map((record) => record.eventID)).toEqual([attach.eventID]);
    expect(
      await trail.iamEvents(new Date('2026-11-21T00:00:00Z'), new Date('2026-11-22T00:00:00Z'), [
        'PutUserPolicy',
      ]),
    ).toEqual([]);
  });

  it('keeps its records for the next start', async () => {
    const again = await startLocalEventHistory({ path: join(dir, 'event-history.jsonl') });
    const second = new CloudTrailClient({
      region: 'us-east-1',
      endpoint: again.endpoint,
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    try {
      const trail = new CloudTrailHistory(second, { requestsPerSecond: 1000 });
      const found = await trail.resourceEvents(
        'bob',
        new Date('2026-11-20T13:00:00Z'),
        new Date('2026-11-20T15:00:00Z'),
      );
      expect(found).toHaveLength(1);
    } finally {
      second.destroy();
      await again.close();
    }
  });
});
