/**
 * `/iam-changes` beyond the store through the organisation trail's S3 logs: QueryService with the archive history
 * the worker builds from HISTORY_BUCKET (S3 on moto_server, the store on dynalite), CloudTrail `LookupEvents`
 * mocked (no emulator implements it) to see when it is still asked.
 */
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { QueryService } from '../../src/app/query-service';
import { CloudTrailHistory } from '../../src/aws/cloudtrail-history';
import { parseConfig } from '../../src/config';
import { assessChange } from '../../src/domain/explain';
import { parseQuery } from '../../src/domain/query';
import { archiveHistoryOf } from '../../src/runtime/archive-history';
import { DynamoChangeStore } from '../../src/store/dynamo-change-store';
import { DynamoStatsStore } from '../../src/store/dynamo-stats';
import { changeOf } from '../support/cloudtrail';
import { type DynaliteServer, startDynalite } from '../support/dynalite';
import { awsTestEnv, type MotoServer, startMoto } from '../support/moto';
import { catalogueContent } from '../support/policy-content';
import { iamWrite, logFile, logKey } from '../support/trail-logs';

const DAY = 86_400_000;
const BUCKET = 'org-trail-history';
const PREFIX = 'AWSLogs/o-a1b2c3d4e5/';
const RISK = { expectedActors: [], trustedAccounts: [] };
const MEMBER = '444455556666';
const OTHER = '777788889999';

const now = new Date();
const daysAgo = (days: number) =>
  new Date(now.getTime() - days * DAY).toISOString().replace(/\.\d{3}Z$/, 'Z');
// Older than CloudTrail's 90 days of event history, in a member account; and a month ago, in another.
const yearOld = iamWrite(MEMBER, daysAgo(200));
const monthOld = iamWrite(OTHER, daysAgo(30));

let moto: MotoServer;
let db: DynaliteServer;
const saved = { ...process.env };
const cloudTrail = mockClient(CloudTrailClient);

beforeAll(async () => {
  [moto, db] = await Promise.all([startMoto(), startDynalite()]);
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
  });
  const s3 = new S3Client({ ...awsTestEnv(moto.endpoint), forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  for (const record of [yearOld, monthOld]) {
    const key = logKey({ account: String(record.recipientAccountId), time: String(record.eventTime) });
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: logFile([record]) }));
  }
  s3.destroy();
}, 60_000);

afterAll(async () => {
  process.env = saved;
  await Promise.all([moto?.stop(), db?.stop()]);
});

beforeEach(() => {
  cloudTrail.reset();
  cloudTrail.on(LookupEventsCommand).resolves({ Events: [] });
});

/** The query service as the worker builds it, on a store whose memory begins 10 days ago. */
async function queriesWith(bucket: string) {
  const tableName = await db.createTable();
  const store = new DynamoChangeStore(db.documentClient, { tableName });
  const stats = new DynamoStatsStore(db.documentClient, { tableName });
  const recent = assessChange(
    changeOf(
      'AttachRolePolicy',
      { roleName: 'recent', policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' },
      {
        eventTime: daysAgo(10),
      },
    ),
    RISK,
  );
  await store.claimChange(recent, now, now);
  await stats.record(recent, now);
  const config = parseConfig({
    TABLE_NAME: tableName,
    HISTORY_BUCKET: bucket,
    HISTORY_PREFIX: PREFIX,
    AWS_ENDPOINT_URL: moto.endpoint,
  });
  // Judged like notify judges: AdministratorAccess by the catalogue's document.
  const archive = archiveHistoryOf(config, RISK, catalogueContent());
  const service = new QueryService({
    changes: store,
    stats,
    history: new CloudTrailHistory(new CloudTrailClient({ region: 'us-east-1' }), {
      requestsPerSecond: 1000,
    }),
    clock: { now: () => now },
    retentionDays: 400,
    risk: RISK,
    ...(archive ? { archive } : {}),
  });
  return { service, recent };
}

function query(text: string) {
  const parsed = parseQuery(text, now);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.query;
}

describe('QueryService with the trail S3 archive', () => {
  it('answers beyond 90 days and across accounts from the archive, and asks LookupEvents nothing it answered', async () => {
    const { service, recent } = await queriesWith(BUCKET);
    const year = query('365d');
    expect(await service.historyNeeded(year)).toBe(true);

    const answer = await service.searchHistory(year);

    // Most severe first (the archive's AdministratorAccess attachments), newest first within a level.
    expect(answer.entries.map((entry) => entry.change.eventId)).toEqual([
      monthOld.eventID,
      yearOld.eventID,
      recent.eventId,
    ]);
    expect(answer.entries.map((entry) => entry.change.accountId)).toEqual([OTHER, MEMBER, '111122223333']);
    expect(answer.archive).toMatchObject({
      location: `s3://${BUCKET}/${PREFIX}`,
      files: 2,
      skippedFiles: 0,
      truncated: false,
    });
    expect(answer.archive?.error).toBeUndefined();
    expect(cloudTrail.commandCalls(LookupEventsCommand)).toHaveLength(0);
  });

  it('falls back to LookupEvents, and says why, when the archive cannot be read', async () => {
    const { service } = await queriesWith('no-such-bucket');
    const answer = await service.searchHistory(query('365d'));
    expect(answer.archive?.error).toBeTruthy();
    expect(answer.entries).toHaveLength(1);
    expect(cloudTrail.commandCalls(LookupEventsCommand).length).toBeGreaterThan(0);
  });

  it('needs no history for a range the store holds', async () => {
    const { service } = await queriesWith(BUCKET);
    expect(await service.historyNeeded(query('7d'))).toBe(false);
  });
});
