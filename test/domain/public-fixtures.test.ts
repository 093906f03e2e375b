/**
 * Published CloudTrail records and AWS payloads (DataDog stratus-red-team detonations, Panther detection test
 * fixtures, AWS documentation examples, aws-lambda-go and terraform-aws-notify-slack test events), read where
 * they are kept beside the project rather than copied into it: `../shared/fixtures/public` (see its
 * SOURCES.md). CI always has the folder; a checkout without it skips these tests.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type Explanation, explainItems } from '../../src/domain/explain';
import { InputError, readInput, readInputText } from '../../src/domain/input';
import type { RiskContext } from '../../src/domain/risk/rule';
import type { AssessedChange } from '../../src/domain/types';
import { renderAlarm, renderChange, type SlackMessage } from '../../src/slack/render';
import { assertBlockKitLimits } from '../support/block-kit-limits';

const repoRoot = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const PUBLIC = path.resolve(repoRoot, '..', 'shared', 'fixtures', 'public');
const exists = existsSync(PUBLIC);

const CONTEXT: RiskContext = { expectedActors: [], trustedAccounts: [] };

type Json = Record<string, unknown>;

interface Meta {
  index: number;
  eventName: string;
  test_name?: string | null;
}

function readJson<T>(name: string): T {
  return JSON.parse(readFileSync(path.join(PUBLIC, name), 'utf8')) as T;
}

/** The records of one file with a label for failure messages, or none when the folder is not there. */
function recordsOf(file: string): Array<{ record: Json; label: string }> {
  if (!exists) return [];
  const records = readJson<Json[]>(`${file}.json`);
  const meta = readJson<Meta[]>(`${file}.meta.json`);
  return records.map((record, index) => {
    const about = meta[index];
    const name = about?.test_name ? ` (${about.test_name})` : '';
    return { record, label: `${file}[${index}] ${String(record.eventName)}${name}` };
  });
}

function explain(value: unknown): Explanation {
  return explainItems(readInput(value), CONTEXT);
}

/** Every message the bot would post for an explanation, each checked against Slack's limits. */
function renderAll(explanation: Explanation): SlackMessage[] {
  const messages = [
    ...explanation.alarms.map((alarm) => renderAlarm(alarm)),
    ...explanation.changes.map((change) => renderChange(change)),
  ];
  for (const message of messages) assertBlockKitLimits(message);
  return messages;
}

/** Explains one record on its own: it must be exactly one change or one skipped record. */
function outcomeOf(record: Json, label: string): { change?: AssessedChange; skipped?: string } {
  const explanation = explain(record);
  renderAll(explanation);
  expect(explanation.alarms, label).toEqual([]);
  expect(explanation.changes.length + explanation.skipped.length, label).toBe(1);
  const [change] = explanation.changes;
  return change ? { change } : { skipped: explanation.skipped[0]?.reason };
}

function changeOf(record: Json | undefined): AssessedChange {
  const [change] = explain(record).changes;
  if (!change) throw new Error(`expected a change from ${JSON.stringify(record).slice(0, 200)}`);
  return change;
}

describe('published CloudTrail records and payloads', () => {
  it('are there whenever CI runs', () => {
    expect(
      exists || !process.env.CI,
      `${PUBLIC} is missing: CI always has the public fixtures beside the project`,
    ).toBe(true);
  });

  describe('stratus-red-team (real detonations, anonymised)', () => {
    const records = recordsOf('stratus-red-team');

    it.skipIf(!exists)('gives one change for every record, within Slack limits', () => {
      expect(records).toHaveLength(10);
      for (const { record, label } of records) {
        const { change } = outcomeOf(record, label);
        expect(change?.eventId, label).toBe(record.eventID);
        expect(change?.actor.type, label).toBe('iam-user');
      }
    });

    it.skipIf(!exists)('judges the AttachUserPolicy of AdministratorAccess critical and pings @here', () => {
      const attach = records.find(({ record }) => record.eventName === 'AttachUserPolicy');
      const change = changeOf(attach?.record);

      expect(change.target).toMatchObject({ kind: 'user', name: 'malicious-iam-user' });
      expect(change.risk.level).toBe('critical');
      expect(change.risk.reasons[0]).toMatch(/^attaches AdministratorAccess .* to user malicious-iam-user$/);
      expect(renderChange(change).text).toMatch(/^<!here> CRITICAL: christophe attached AdministratorAccess/);
      expect(change.revert).toMatchObject({ supported: true, steps: [{ action: 'iam:DetachUserPolicy' }] });
    });

    it.skipIf(!exists)('judges a trust policy that lets another account in critical', () => {
      for (const eventName of ['UpdateAssumeRolePolicy', 'CreateRole']) {
        const found = records.find(({ record }) => record.eventName === eventName);
        const change = changeOf(found?.record);

        expect(change.documents[0]).toMatchObject({ role: 'trust', field: expect.any(String) });
        expect(change.documents[0]?.error).toBeUndefined();
        expect(change.risk.level, eventName).toBe('critical');
        expect(change.risk.reasons.join(' '), eventName).toContain('external account 193672423079');
      }
    });

    it.skipIf(!exists)('keeps the anonymised regions but links CloudTrail in us-east-1', () => {
      const attach = records.find(({ record }) => record.eventName === 'AttachRolePolicy');
      const change = changeOf(attach?.record);

      expect(change.region).toBe('sagov-west-2r');
      const json = JSON.stringify(renderChange(change));
      expect(json).toContain('https://us-east-1.console.aws.amazon.com/cloudtrailv2/');
      expect(json).not.toContain('sagov-west-2r.console');
    });
  });

  describe('panther-analysis (detection test fixtures)', () => {
    const records = recordsOf('panther-analysis');
    /** Reads and fixture-only names: every other record is an IAM write. */
    const SKIPPED: Record<number, string> = {
      3: 'DescribePolicy',
      22: 'NotCreateUser',
      24: 'GetGroup',
      25: 'GetGroupPolicy',
      26: 'ListAttachedGroupPolicies',
      27: 'ListGroups',
      28: 'ListGroupsForUser',
      29: 'DetachUserGroup',
      37: 'GetRole',
      40: 'GetRole',
      45: 'ListAccessKeys',
      48: 'ListAccessKeys',
    };

    it.skipIf(!exists)(
      'sets the reads and the fixture-only names aside and makes a change of the rest',
      () => {
        expect(records).toHaveLength(70);
        records.forEach(({ record, label }, index) => {
          const outcome = outcomeOf(record, label);
          if (index in SKIPPED) {
            expect(record.eventName, label).toBe(SKIPPED[index]);
            expect(outcome.skipped, label).toBe('read-only IAM call');
          } else {
            expect(outcome.change?.eventName, label).toBe(record.eventName);
          }
        });
      },
    );

    it.skipIf(!exists)('tells the attach of AdministratorAccess from another attach', () => {
      const withAdmin = changeOf(records[5]?.record);
      const without = changeOf(records[6]?.record);

      expect(records[5]?.label).toContain('with Administrator Access');
      expect(withAdmin.risk.level).toBe('critical');
      expect(records[6]?.label).toContain('without Administrator Access');
      expect(without.risk.level).not.toBe('critical');
    });

    it.skipIf(!exists)('reads the Panther-normalised eventTimes as UTC', () => {
      const times = records
        .filter(({ record }) => record.eventTime === '2023-01-03 01:52:07.000000000')
        .map(({ record }) => changeOf(record).eventTime);

      expect(times).toEqual(['2023-01-03T01:52:07Z']);
      expect(changeOf(records[0]?.record).eventTime).toBe('2022-09-15T13:45:24Z');
    });

    it.skipIf(!exists)(
      'keeps one change per eventID when the whole file arrives at once, and lists the copies in skipped',
      () => {
        const all = explain(records.map(({ record }) => record));
        const ids = all.changes.map((change) => change.eventId);

        expect(new Set(ids).size).toBe(ids.length);
        // The fixtures reuse ids ("1", "1111"), so most of the 58 writes collapse into the first of their id.
        const writeIds = new Set(
          records.filter((_, index) => !(index in SKIPPED)).map(({ record }) => changeOf(record).eventId),
        );
        expect(ids).toHaveLength(writeIds.size);
        // Every later copy of an id is listed in skipped, with the reason: nothing vanishes without a word.
        const duplicates = all.skipped.filter((entry) => entry.reason.startsWith('duplicate eventID'));
        expect(all.skipped).toHaveLength(Object.keys(SKIPPED).length + duplicates.length);
        expect(ids.length + all.skipped.length).toBe(records.length);
      },
    );
  });

  describe('AWS documentation examples', () => {
    const records = recordsOf('aws-docs');

    it.skipIf(!exists)('makes changes of the three writes and sets the GetUserPolicy read aside', () => {
      expect(records.map(({ record, label }) => outcomeOf(record, label).skipped)).toEqual([
        undefined,
        undefined,
        undefined,
        'read-only IAM call',
      ]);
    });

    it.skipIf(!exists)('gives the records without eventID stable synthetic ids', () => {
      const withoutId = records.filter(({ record }) => record.eventID === undefined);
      expect(withoutId).toHaveLength(3);

      const ids = withoutId.map(({ record }) => changeOf(record).eventId);
      const again = withoutId.map(({ record }) => changeOf(structuredClone(record)).eventId);
      const viaLogFile = explain({ Records: withoutId.map(({ record }) => record) }).changes.map(
        (change) => change.eventId,
      );

      for (const id of ids) expect(id).toMatch(/^synthetic-[0-9a-f]{16}$/);
      expect(new Set(ids).size).toBe(3);
      expect(again).toEqual(ids);
      expect(viaLogFile).toEqual(ids);
    });

    it.skipIf(!exists)('reads the CreateRole trust policy with its line-wrapped text', () => {
      const createRole = records.find(({ record }) => record.eventName === 'CreateRole');
      const change = changeOf(createRole?.record);

      expect(change.documents).toHaveLength(1);
      expect(change.documents[0]?.error).toBeUndefined();
      expect(change.documents[0]?.document?.Statement[0]?.Effect).toBe('Allow');
      expect(change.risk.reasons.join(' ')).toContain('external account 210987654321');
    });
  });

  describe('AWS payloads', () => {
    type Expected = 'alarm' | 'skipped' | 'input-error';
    /** Every AWS payload in payloads/ and what it must give. The `slack-*` files are Slack's own payloads. */
    const EXPECTED: Record<string, Expected> = {
      'aws-lambda-go__cloudwatch-alarm-sns-payload-multiple-metrics.json': 'alarm',
      'aws-lambda-go__cloudwatch-alarm-sns-payload-single-metric.json': 'alarm',
      'aws-lambda-go__sns-event.json': 'input-error',
      'eventbridge-cloudtrail-event__awsdocs-cloudwatch-events-EventTypes.json': 'skipped',
      'terraform-aws-notify-slack__events_cloudwatch_alarm.json': 'alarm',
      'terraform-aws-notify-slack__messages_cloudwatch_alarm.json': 'alarm',
    };
    const files = exists
      ? readdirSync(path.join(PUBLIC, 'payloads'))
          .filter((name) => !name.startsWith('slack-'))
          .sort()
      : [];
    const payload = (name: string) => readFileSync(path.join(PUBLIC, 'payloads', name), 'utf8');
    const explainPayload = (name: string) => explainItems(readInputText(payload(name)), CONTEXT);

    it.skipIf(!exists)('knows what every AWS payload must give', () => {
      expect(files).toEqual(Object.keys(EXPECTED).sort());
    });

    it.skipIf(!exists)('gives each payload its alarms or skipped records, or one InputError', () => {
      for (const name of files) {
        const expected = EXPECTED[name];
        if (expected === 'input-error') {
          expect(() => explainPayload(name), name).toThrow(InputError);
          continue;
        }
        const explanation = explainPayload(name);
        renderAll(explanation);
        expect(explanation.changes, name).toEqual([]);
        expect(explanation.alarms.length, name).toBe(expected === 'alarm' ? 1 : 0);
        expect(explanation.skipped.length, name).toBe(expected === 'skipped' ? 1 : 0);
      }
    });

    it.skipIf(!exists)('says an SNS message that is not JSON is not JSON', () => {
      expect(() => explainPayload('aws-lambda-go__sns-event.json')).toThrow(
        /^the SNS record Message is not JSON: /,
      );
    });

    it.skipIf(!exists)('sets the EventBridge S3 CreateBucket aside as not IAM', () => {
      expect(
        explainPayload('eventbridge-cloudtrail-event__awsdocs-cloudwatch-events-EventTypes.json').skipped,
      ).toEqual([
        {
          eventId: '24ba271e-d595-4e66-a7fd-9c16cbf8abae',
          eventName: 'CreateBucket',
          eventSource: 's3.amazonaws.com',
          reason: 'not an IAM call (eventSource s3.amazonaws.com)',
        },
      ]);
    });

    it.skipIf(!exists)('finds the window of each CloudWatch alarm', () => {
      const alarmOf = (name: string) => explainPayload(name).alarms[0];

      expect(alarmOf('aws-lambda-go__cloudwatch-alarm-sns-payload-single-metric.json')).toMatchObject({
        name: 'EXAMPLE',
        state: 'ALARM',
        previousState: 'INSUFFICIENT_DATA',
        metricNamespace: 'AWS/EC2',
        metricName: 'NetworkOut',
        windowStart: '2015-06-03T17:43:27.000Z',
        windowEnd: '2015-06-03T17:43:27.123Z',
        windowSource: 'datapoints',
      });
      // A metric-math alarm: the metric is found in Trigger.Metrics; the placeholder ARN gives no region.
      const math = alarmOf('aws-lambda-go__cloudwatch-alarm-sns-payload-multiple-metrics.json');
      expect(math).toMatchObject({ metricName: 'NetworkOut', period: 60, windowSource: 'datapoints' });
      expect(math?.region).toBeUndefined();
      expect(alarmOf('terraform-aws-notify-slack__messages_cloudwatch_alarm.json')).toMatchObject({
        name: 'DBMigrationRequired',
        state: 'OK',
        previousState: 'ALARM',
        accountId: '735598076380',
        windowStart: '2019-02-12T15:44:00.000Z',
        windowEnd: '2019-02-12T15:45:00.000Z',
        windowSource: 'datapoints',
      });
      // No Trigger and no datapoints: 5 minutes and the delivery margin before the state change.
      expect(alarmOf('terraform-aws-notify-slack__events_cloudwatch_alarm.json')).toMatchObject({
        regionName: 'EU - Ireland',
        windowStart: '2017-01-12T16:10:42.236Z',
        windowEnd: '2017-01-12T16:30:42.236Z',
        windowSource: 'periods',
      });
    });
  });
});
