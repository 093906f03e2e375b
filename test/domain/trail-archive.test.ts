import { describe, expect, it } from 'vitest';
import {
  type ArchiveFilter,
  iamRecordsOf,
  keepsLogFile,
  keepsRecord,
  LogFileFormatError,
  locateArchivePath,
  mayHoldCalls,
} from '../../src/domain/trail-archive';
import { iamRead, iamWrite, otherCall } from '../support/trail-logs';

const A = '111122223333';
const B = '444455556666';
const ORG = 'o-a1b2c3d4e5';

describe('locateArchivePath', () => {
  it.each([
    ['bucket/prefix', undefined],
    ['AWSLogs', {}],
    [`AWSLogs/${ORG}`, { orgId: ORG }],
    [
      `AWSLogs/${ORG}/${A}/CloudTrail/us-east-1/2026/11/20`,
      { orgId: ORG, account: A, kind: 'CloudTrail', region: 'us-east-1', year: 2026, month: 11, day: 20 },
    ],
    [
      `logs/AWSLogs/${A}/CloudTrail/eu-west-1/2026/01`,
      { account: A, kind: 'CloudTrail', region: 'eu-west-1', year: 2026, month: 1 },
    ],
    [
      `AWSLogs/${A}/CloudTrail-Digest/us-east-1`,
      { account: A, kind: 'CloudTrail-Digest', region: 'us-east-1' },
    ],
    ['AWSLogs/not-an-account', undefined],
    [`AWSLogs/${A}/CloudTrail/us-east-1/26`, undefined],
  ])('%s', (path, expected) => {
    expect(locateArchivePath(path.split('/'))).toEqual(expected);
  });
});

describe('mayHoldCalls', () => {
  const range: ArchiveFilter = {
    since: new Date('2026-11-10T00:00:00Z'),
    until: new Date('2026-11-20T00:00:00Z'),
    accounts: [A],
  };
  it.each([
    ['outside the layout', 'some/folder', true],
    ['the organisation folder', `AWSLogs/${ORG}`, true],
    ['the account asked for', `AWSLogs/${ORG}/${A}`, true],
    ['another account', `AWSLogs/${ORG}/${B}`, false],
    ['another account, account trail', `AWSLogs/${B}/CloudTrail`, false],
    ['digests', `AWSLogs/${A}/CloudTrail-Digest`, false],
    ['Insights', `AWSLogs/${A}/CloudTrail-Insight`, false],
    ['a region', `AWSLogs/${A}/CloudTrail/ap-south-1`, true],
    ['the year', `AWSLogs/${A}/CloudTrail/us-east-1/2026`, true],
    ['an earlier year', `AWSLogs/${A}/CloudTrail/us-east-1/2025`, false],
    ['a later year', `AWSLogs/${A}/CloudTrail/us-east-1/2027`, false],
    ['the month', `AWSLogs/${A}/CloudTrail/us-east-1/2026/11`, true],
    ['the month before', `AWSLogs/${A}/CloudTrail/us-east-1/2026/10`, false],
    ['the day before the range (delivery margin)', `AWSLogs/${A}/CloudTrail/us-east-1/2026/11/09`, true],
    ['two days before the range', `AWSLogs/${A}/CloudTrail/us-east-1/2026/11/08`, false],
    ['the day the range ends at (a late delivery)', `AWSLogs/${A}/CloudTrail/us-east-1/2026/11/20`, true],
    ['two days after the range', `AWSLogs/${A}/CloudTrail/us-east-1/2026/11/21`, false],
  ])('%s', (_what, path, expected) => {
    expect(mayHoldCalls(path.split('/'), range)).toBe(expected);
  });

  it('keeps every account and day without a filter', () => {
    expect(mayHoldCalls(`AWSLogs/${B}/CloudTrail/us-east-1/1999/01/01`.split('/'), {})).toBe(true);
  });
});

describe('keepsLogFile', () => {
  it.each([
    [`AWSLogs/${A}/CloudTrail/us-east-1/2026/11/20/x.json.gz`, true],
    [`AWSLogs/${A}/CloudTrail/us-east-1/2026/11/20/x.json`, true],
    [`AWSLogs/${A}/CloudTrail/us-east-1/2026/11/20/x.txt`, false],
    [`AWSLogs/${B}/CloudTrail/us-east-1/2026/11/20/x.json.gz`, false],
    [`AWSLogs/${A}/CloudTrail-Digest/us-east-1/2026/11/20/x.json.gz`, false],
  ])('%s', (path, expected) => {
    expect(keepsLogFile(path, { accounts: [A] })).toBe(expected);
  });
});

describe('keepsRecord', () => {
  const filter: ArchiveFilter = {
    since: new Date('2026-11-10T00:00:00Z'),
    until: new Date('2026-11-20T00:00:00Z'),
    accounts: [B],
  };
  it.each([
    ['in range, in the account', iamWrite(B, '2026-11-15T00:00:00Z'), true],
    ['at since', iamWrite(B, '2026-11-10T00:00:00Z'), true],
    ['at until', iamWrite(B, '2026-11-20T00:00:00Z'), false],
    ['before', iamWrite(B, '2026-11-09T23:59:59Z'), false],
    ['another account', iamWrite(A, '2026-11-15T00:00:00Z'), false],
    [
      'made from another account into this one (recipientAccountId wins)',
      iamWrite(B, '2026-11-15T00:00:00Z', { userIdentity: { type: 'AssumedRole', accountId: A } }),
      true,
    ],
    ['no time', iamWrite(B, 'not a time'), false],
  ])('%s', (_what, record, expected) => {
    expect(keepsRecord(record, filter)).toBe(expected);
  });
});

describe('iamRecordsOf', () => {
  const time = '2026-11-20T14:00:00Z';
  const compact = (records: unknown[]) => Buffer.from(JSON.stringify({ Records: records }));

  it('parses nothing in a file without IAM bytes', () => {
    const result = iamRecordsOf(compact([otherCall(A, time, 0), otherCall(A, time, 1)]));
    expect(result).toEqual({ records: [], skippedByBytes: true, parsedWhole: false });
  });

  it('finds each IAM record between others, record by record', () => {
    const write = iamWrite(A, time);
    const read = iamRead(A, time);
    const last = iamWrite(B, time);
    const result = iamRecordsOf(compact([otherCall(A, time), write, otherCall(A, time, 1), read, last]));
    expect(result.parsedWhole).toBe(false);
    expect(result.records).toEqual([write, read, last]);
  });

  it('finds an IAM record that is alone in its file', () => {
    const write = iamWrite(A, time);
    expect(iamRecordsOf(compact([write]))).toEqual({
      records: [write],
      skippedByBytes: false,
      parsedWhole: false,
    });
  });

  it('drops records that only mention IAM (another service invoked by it)', () => {
    const call = { ...otherCall(A, time), sourceIPAddress: 'iam.amazonaws.com' };
    expect(iamRecordsOf(compact([call])).records).toEqual([]);
  });

  it('parses a pretty-printed file whole and gives the same records', () => {
    const write = iamWrite(A, time);
    const text = JSON.stringify({ Records: [otherCall(A, time), write] }, null, 2);
    expect(iamRecordsOf(Buffer.from(text))).toEqual({
      records: [write],
      skippedByBytes: false,
      parsedWhole: true,
    });
  });

  it('parses the whole file when a record holds the record-start bytes', () => {
    const odd = iamWrite(A, time, { requestParameters: { nested: { eventVersion: '1.08', x: 1 } } });
    expect(iamRecordsOf(compact([odd, iamWrite(B, time)]))).toEqual({
      records: [odd, expect.objectContaining({ recipientAccountId: B })],
      skippedByBytes: false,
      parsedWhole: true,
    });
  });

  it('refuses a file that is not JSON once it has to be parsed', () => {
    const text = Buffer.from(`{"Records":[{"eventVersion":"1.08","eventSource":"iam.amazonaws.com",`);
    expect(() => iamRecordsOf(text)).toThrow(LogFileFormatError);
  });

  it('refuses JSON that is not a log file', () => {
    expect(() => iamRecordsOf(Buffer.from('{ "eventSource": "iam.amazonaws.com" }'))).toThrow(
      /not a CloudTrail log file/,
    );
  });
});
