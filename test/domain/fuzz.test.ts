import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CIS44_EVENT_NAMES } from '../../src/domain/events';
import { type Explanation, explainItems } from '../../src/domain/explain';
import { InputError, readInput } from '../../src/domain/input';
import type { RiskContext } from '../../src/domain/risk/rule';
import type { AlarmEvent, AssessedChange } from '../../src/domain/types';
import { renderAlarm, renderChange, type SlackMessage } from '../../src/slack/render';
import { blockKitViolations } from '../support/block-kit-limits';
import { cloudTrailRecord } from '../support/cloudtrail';

type Json = Record<string, unknown>;
type Path = Array<string | number>;

const CONTEXT: RiskContext = { expectedActors: [], trustedAccounts: [] };

/** Cases per run; set FUZZ_RUNS for a longer hunt (the failure report prints the seed to replay it). */
const RUNS = Number(process.env.FUZZ_RUNS ?? 500);

function fixtures(folder: string, pick: (name: string) => boolean = () => true): Json[] {
  const dir = new URL(`../fixtures/${folder}/`, import.meta.url);
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json') && pick(name))
    .sort()
    .map((name) => JSON.parse(readFileSync(new URL(name, dir), 'utf8')) as Json);
}

const RECORDS = fixtures('cloudtrail');
/** Alarm messages are mutated too, so renderAlarm meets the same hostile values. */
const ALARMS = fixtures('envelopes', (name) => name.startsWith('alarm-'));

// --- hostile values -------------------------------------------------------------------------------------------

/** Names that are also Object.prototype members: a lookup table read with one of these finds a function. */
const PROTOTYPE_KEYS = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'];

const slackMarkup = fc.constantFrom(
  '<!channel>',
  '<!everyone>',
  '<!here>',
  '<@U123>',
  '<@W0123|bob>',
  '<#C0123|general>',
  '<!subteam^S0123>',
  '<https://evil.example/|click>',
  '<!date^1700000000^{date}|x>',
  '&',
  '&amp;',
  '&lt;',
  '<',
  '>',
  '|',
  '`',
  '```',
  '*',
  '_',
  '~',
  '\n',
  '\r\n',
  '\t',
  '\u0000',
  '\u202e',
  '\u200b',
  '\ud83d',
  '\ude00',
  '😀',
  '👩🏽‍💻',
  'é',
  'ﷺ',
  '𝓐',
  '%3C!channel%3E',
  ...PROTOTYPE_KEYS,
);

const hostileString = fc
  .array(
    fc.oneof(
      { weight: 3, arbitrary: slackMarkup },
      { weight: 2, arbitrary: fc.string({ maxLength: 20 }) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 10 }) },
    ),
    { maxLength: 24 },
  )
  .map((parts) => parts.join(''));

/** Up to 10 KB of a repeated hostile string (cut anywhere, even inside a surrogate pair). */
const longString = fc.tuple(hostileString, fc.integer({ min: 500, max: 10_240 })).map(([seed, length]) => {
  const unit = seed === '' ? '<!channel>&' : seed;
  return unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
});

const eventNames = fc.oneof(
  fc.constantFrom(
    ...CIS44_EVENT_NAMES,
    'UpdateAssumeRolePolicy',
    'SetDefaultPolicyVersion',
    'CreateRole',
    'CreateUser',
    'CreateAccessKey',
    'CreateLoginProfile',
    'DeleteRolePermissionsBoundary',
    'DeactivateMFADevice',
    'GetRolePolicy',
    'Create',
    'Put<!channel>Policy',
    '',
    ...PROTOTYPE_KEYS,
  ),
  hostileString.map((text) => `Attach${text}`),
);

const eventTimes = fc.oneof(
  fc.constantFrom(
    '2026-11-20T14:00:00Z',
    '2026-11-20 14:00:00',
    '2023-01-03 01:52:07.000000000',
    '2026-11-20T14:00:00.123456789+05:30',
    '2022-02-30T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '+275760-09-13T00:00:00Z',
    '275760-09-13T00:00:00Z',
    '9999-12-31T23:59:59Z',
    '0000-01-01T00:00:00Z',
    '1970-01-01T00:00:00Z',
    'yesterday',
    '',
    '   ',
  ),
  fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
  fc.integer(),
);

const arns = fc
  .tuple(
    fc.constantFrom('arn:aws:iam::', 'arn:aws:sts::', 'arn:aws-us-gov:iam::', 'arn:aws:iam::aws:policy/', ''),
    fc.constantFrom('111122223333', '999988887777', 'aws', '*', ''),
    fc.constantFrom(':role/', ':user/', ':assumed-role/', ':root', ':policy/', ':role/AWSReservedSSO_'),
    hostileString,
  )
  .map((parts) => parts.join(''));

/** A nesting `depth` deep of objects or arrays around a hostile leaf. */
const deepValue = fc
  .tuple(fc.integer({ min: 2, max: 400 }), fc.boolean(), hostileString)
  .map(([depth, arrays, leaf]) => {
    let value: unknown = leaf;
    for (let level = 0; level < depth; level++) value = arrays ? [value] : { [`k${level}`]: value };
    return value;
  });

const listOrString = fc.oneof(hostileString, fc.array(hostileString, { maxLength: 12 }), fc.anything());

const statement = fc.record(
  {
    Sid: hostileString,
    Effect: fc.oneof(fc.constantFrom('Allow', 'Deny'), hostileString),
    Action: fc.oneof(fc.constantFrom('*', 'iam:*', 'iam:PassRole', 'sts:AssumeRole'), listOrString),
    NotAction: listOrString,
    Resource: fc.oneof(fc.constant('*'), listOrString),
    NotResource: listOrString,
    Principal: fc.oneof(
      fc.constant('*'),
      fc.record({ AWS: fc.oneof(fc.constant('*'), arns, fc.array(arns, { maxLength: 8 })) }),
      fc.dictionary(hostileString, fc.oneof(hostileString, fc.array(hostileString, { maxLength: 6 }))),
      fc.anything({ maxDepth: 2 }),
    ),
    Condition: fc.oneof(
      fc.dictionary(
        hostileString,
        fc.dictionary(hostileString, fc.oneof(hostileString, fc.array(fc.anything({ maxDepth: 1 })))),
      ),
      fc.anything({ maxDepth: 3 }),
    ),
  },
  { requiredKeys: ['Effect'] },
);

/** Policy document text: pretty or compact JSON, URL-encoded, cut short, or not JSON at all. */
const policyText = fc.oneof(
  fc
    .tuple(
      fc.record({
        Version: fc.oneof(fc.constant('2012-10-17'), hostileString),
        Statement: fc.oneof(fc.array(statement, { maxLength: 70 }), statement, fc.anything({ maxDepth: 2 })),
      }),
      fc.constantFrom('compact', 'pretty', 'url', 'cut'),
    )
    .map(([document, form]) => {
      const text = JSON.stringify(document, null, form === 'pretty' ? 4 : undefined);
      if (form === 'url') return encodeURIComponent(text);
      if (form === 'cut') return text.slice(0, Math.floor(text.length / 2));
      return text;
    }),
  hostileString,
  fc.constantFrom(
    '',
    '{}',
    '[]',
    'null',
    '{"Statement":null}',
    '%E0%A4%A',
    '{"Statement":[{"Effect":"Allow"}]}',
  ),
);

const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.anything({ maxDepth: 4 }) },
  { weight: 4, arbitrary: hostileString },
  { weight: 2, arbitrary: longString },
  { weight: 2, arbitrary: eventNames },
  { weight: 2, arbitrary: eventTimes },
  { weight: 2, arbitrary: arns },
  { weight: 2, arbitrary: policyText },
  { weight: 1, arbitrary: deepValue },
  { weight: 1, arbitrary: fc.array(hostileString, { maxLength: 50 }) },
  { weight: 1, arbitrary: fc.dictionary(hostileString, hostileString, { maxKeys: 20 }) },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, 0, -1, 1e300, -1e300, 86_400, '') },
);

// --- mutations ------------------------------------------------------------------------------------------------

/** Fields the code reads, hit more often than a random path would hit them. */
const HOT_PATHS: Path[] = [
  ['eventName'],
  ['eventSource'],
  ['eventTime'],
  ['eventID'],
  ['userAgent'],
  ['sourceIPAddress'],
  ['awsRegion'],
  ['recipientAccountId'],
  ['errorCode'],
  ['errorMessage'],
  ['readOnly'],
  ['sessionCredentialFromConsole'],
  ['userIdentity'],
  ['userIdentity', 'type'],
  ['userIdentity', 'arn'],
  ['userIdentity', 'userName'],
  ['userIdentity', 'accountId'],
  ['userIdentity', 'invokedBy'],
  ['userIdentity', 'sessionContext'],
  ['userIdentity', 'sessionContext', 'sessionIssuer', 'arn'],
  ['userIdentity', 'sessionContext', 'sessionIssuer', 'userName'],
  ['userIdentity', 'sessionContext', 'attributes', 'mfaAuthenticated'],
  ['requestParameters'],
  ['requestParameters', 'policyArn'],
  ['requestParameters', 'roleName'],
  ['requestParameters', 'userName'],
  ['requestParameters', 'groupName'],
  ['requestParameters', 'policyName'],
  ['requestParameters', 'policyDocument'],
  ['requestParameters', 'assumeRolePolicyDocument'],
  ['requestParameters', 'versionId'],
  ['requestParameters', 'setAsDefault'],
  ['requestParameters', 'path'],
  ['responseElements'],
  ['responseElements', 'policy', 'arn'],
  ['responseElements', 'policyVersion', 'versionId'],
  // CloudWatch alarm messages
  ['AlarmName'],
  ['AlarmDescription'],
  ['AWSAccountId'],
  ['NewStateValue'],
  ['OldStateValue'],
  ['NewStateReason'],
  ['StateChangeTime'],
  ['Region'],
  ['AlarmArn'],
  ['Trigger'],
  ['Trigger', 'MetricName'],
  ['Trigger', 'Namespace'],
  ['Trigger', 'Period'],
  ['Trigger', 'EvaluationPeriods'],
  ['Trigger', 'Metrics'],
];

type Mutation =
  | { op: 'set'; at: number; value: unknown }
  | { op: 'set-hot'; path: Path; value: unknown }
  | { op: 'delete'; at: number }
  | { op: 'document'; at: number; value: unknown; remove: boolean; pretty: boolean };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('set'), at: fc.nat(), value: hostileValue }) },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('set-hot'),
      path: fc.constantFrom(...HOT_PATHS),
      value: hostileValue,
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete'), at: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('document'),
      at: fc.nat(),
      value: hostileValue,
      remove: fc.boolean(),
      pretty: fc.boolean(),
    }),
  },
) as fc.Arbitrary<Mutation>;

function isContainer(value: unknown): value is Json | unknown[] {
  return typeof value === 'object' && value !== null;
}

/** Every path into a value, parents before children. */
function pathsOf(value: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  if (!isContainer(value) || prefix.length > 12) return out;
  for (const key of Array.isArray(value) ? value.keys() : Object.keys(value)) {
    const path = [...prefix, key];
    out.push(path);
    pathsOf((value as Json)[key], path, out);
  }
  return out;
}

function setAt(root: Json, path: Path, value: unknown): void {
  let node: Json = root;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (!isContainer(next)) node[key] = {};
    node = node[key] as Json;
  }
  node[path[path.length - 1] as string] = value;
}

function deleteAt(root: Json, path: Path): void {
  let node: unknown = root;
  for (const key of path.slice(0, -1)) {
    if (!isContainer(node)) return;
    node = (node as Json)[key];
  }
  const last = path[path.length - 1] as string | number;
  if (Array.isArray(node)) node.splice(Number(last), 1);
  else if (isContainer(node)) delete (node as Json)[last];
}

const DOCUMENT_FIELDS = ['policyDocument', 'assumeRolePolicyDocument'];

/** Changes one field inside the policy document text of the request, and writes the text back. */
function mutateDocument(record: Json, change: Extract<Mutation, { op: 'document' }>): void {
  const request = isContainer(record.requestParameters) ? (record.requestParameters as Json) : undefined;
  const field = DOCUMENT_FIELDS.find((name) => typeof request?.[name] === 'string');
  if (!request || !field) {
    setAt(record, ['requestParameters', 'policyDocument'], JSON.stringify({ Statement: change.value }));
    return;
  }
  let document: unknown;
  try {
    document = JSON.parse(request[field] as string);
  } catch {
    request[field] = `${request[field] as string}${jsonText(change.value)}`;
    return;
  }
  if (!isContainer(document)) {
    request[field] = JSON.stringify(change.value);
    return;
  }
  const paths = pathsOf(document);
  const path = paths[change.at % Math.max(paths.length, 1)];
  if (path && change.remove) deleteAt(document as Json, path);
  else if (path) setAt(document as Json, path, change.value);
  request[field] = JSON.stringify(document, null, change.pretty ? 2 : undefined) ?? '';
}

function mutate(base: Json, mutations: Mutation[]): Json {
  const record = structuredClone(base);
  for (const change of mutations) {
    const paths = change.op === 'set' || change.op === 'delete' ? pathsOf(record) : [];
    const path = 'at' in change ? paths[change.at % Math.max(paths.length, 1)] : undefined;
    switch (change.op) {
      case 'set':
        if (path) setAt(record, path, change.value);
        break;
      case 'set-hot':
        setAt(record, change.path, change.value);
        break;
      case 'delete':
        if (path) deleteAt(record, path);
        break;
      case 'document':
        mutateDocument(record, change);
        break;
    }
  }
  return record;
}

// --- envelopes ------------------------------------------------------------------------------------------------

type Wrapper = 'array' | 'log-file' | 'eventbridge' | 'sns-notification' | 'lambda-sns' | 'sqs';

/** JSON text of a value, with what JSON cannot hold (undefined, NaN) dropped or nulled as JSON.stringify does. */
function jsonText(value: unknown): string {
  return JSON.stringify(value) ?? 'null';
}

function wrap(value: unknown, wrapper: Wrapper): unknown {
  switch (wrapper) {
    case 'array':
      return [value];
    case 'log-file':
      return { Records: [value] };
    case 'eventbridge':
      return {
        version: '0',
        id: 'a536edd9-9937-496f-8594-f087446920b1',
        'detail-type': 'AWS API Call via CloudTrail',
        source: 'aws.iam',
        account: '111122223333',
        time: '2026-11-20T14:02:10Z',
        region: 'us-east-1',
        resources: [],
        detail: value,
      };
    case 'sns-notification':
      return {
        Type: 'Notification',
        MessageId: '65090de9-8886-46d8-bb67-9c6554a8781f',
        TopicArn: 'arn:aws:sns:us-east-1:111122223333:iam-changes-alerts',
        Message: jsonText(value),
      };
    case 'lambda-sns':
      return {
        Records: [
          {
            EventSource: 'aws:sns',
            EventVersion: '1.0',
            Sns: { Type: 'Notification', Subject: null, Message: jsonText(value) },
          },
        ],
      };
    case 'sqs':
      return { Records: [{ eventSource: 'aws:sqs', messageId: '1', body: jsonText(value) }] };
  }
}

const wrappers = fc.array(
  fc.constantFrom<Wrapper>('array', 'log-file', 'eventbridge', 'sns-notification', 'lambda-sns', 'sqs'),
  { maxLength: 4 },
);

const testCase = fc.record({
  base: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...RECORDS) },
    { weight: 1, arbitrary: fc.constantFrom(...ALARMS) },
  ),
  mutations: fc.array(mutation, { minLength: 1, maxLength: 6 }),
  wrappers,
  /** Whether the value goes through JSON text first, as it does in the CLI and the Lambda. */
  viaJson: fc.boolean(),
});

// --- what every message must keep -----------------------------------------------------------------------------

/**
 * The markup the builders make themselves: `<!here>`, Slack dates, https links and a `>` quote at the start of
 * a line. Any other `<` or `>`, or an `&` that starts no entity, came from an event unescaped.
 */
const BUILDER_MARKUP = /<!here>|<!date\^-?\d+\^[^<>|]+\|[^<>]*>|<https:\/\/[^\s<>|]+\|[^<>]*>|^>/gm;

/** Every `text` string in a message, with where it is. */
function textsOf(value: unknown, where: string, out: Array<[string, string]> = []): Array<[string, string]> {
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      textsOf(item, `${where}[${index}]`, out);
    });
  } else if (isContainer(value)) {
    for (const [key, item] of Object.entries(value)) {
      if (key === 'text' && typeof item === 'string') out.push([`${where}.text`, item]);
      else textsOf(item, `${where}.${key}`, out);
    }
  }
  return out;
}

/** What in a message is raw markup from an event: an unescaped `<`, `>` or `&`, or `<!here>` where none belongs. */
function markupViolations(message: SlackMessage, mayMention: boolean): string[] {
  const out: string[] = [];
  for (const [where, text] of textsOf(message, 'message')) {
    if (!mayMention && text.includes('<!here>'))
      out.push(`${where}: <!here> on a message that may not mention`);
    const rest = text.replace(BUILDER_MARKUP, '');
    const raw = /[<>]|&(?!amp;|lt;|gt;)/.exec(rest);
    if (raw) out.push(`${where}: raw ${JSON.stringify(rest.slice(raw.index, raw.index + 30))}`);
  }
  return out;
}

function expectSlackSafe(message: SlackMessage, mayMention: boolean): void {
  expect(blockKitViolations(message), 'Block Kit limits').toEqual([]);
  expect(markupViolations(message, mayMention), 'raw markup').toEqual([]);
}

/** A real alarm to list fuzzed changes under, so the alarm summary's call list meets them too. */
const SUMMARY_ALARM = explainItems(readInput(ALARMS[0]), CONTEXT).alarms[0] as AlarmEvent;

function renderAll(explanation: Explanation): void {
  for (const change of explanation.changes) {
    expectSlackSafe(renderChange(change), change.risk.level === 'critical');
    expectSlackSafe(renderChange(change, { mentionOnCritical: false }), false);
  }
  for (const alarm of explanation.alarms) expectSlackSafe(renderAlarm(alarm), false);
  if (explanation.changes.length > 0) {
    const calls = explanation.changes.map((change) => ({
      change,
      permalink: 'https://example.slack.com/archives/C0123/p1700000000000100',
    }));
    expectSlackSafe(renderAlarm(SUMMARY_ALARM, { calls, source: 'cloudwatch-logs' }), false);
  }
}

describe('explain and render under mutation', () => {
  it('either explains a mutated record or rejects it with an InputError, and every message stays Slack-safe', () => {
    const outcomes = { rendered: 0, skipped: 0, rejected: 0 };
    fc.assert(
      fc.property(testCase, ({ base, mutations, wrappers: layers, viaJson }) => {
        let value: unknown = mutate(base, mutations);
        for (const layer of layers) value = wrap(value, layer);
        if (viaJson) value = JSON.parse(jsonText(value));

        let explanation: Explanation;
        try {
          explanation = explainItems(readInput(value), CONTEXT);
        } catch (error: unknown) {
          if (!(error instanceof InputError)) throw error;
          // The CLI prints this message as its one line on stderr.
          expect(error.message).not.toMatch(/[\r\n]/);
          outcomes.rejected += 1;
          return;
        }
        expect(() => JSON.stringify(explanation)).not.toThrow();
        if (explanation.changes.length + explanation.alarms.length === 0) outcomes.skipped += 1;
        else outcomes.rendered += 1;
        renderAll(explanation);
      }),
      { numRuns: RUNS },
    );
    // A property that only ever meets rejected input proves nothing about the builders.
    expect(outcomes.rendered).toBeGreaterThan(100);
    expect(outcomes.rejected).toBeGreaterThan(0);
  });

  it('renders a role name with a lone surrogate (valid JSON text), its link carrying U+FFFD', () => {
    const text = JSON.stringify(
      cloudTrailRecord('AttachRolePolicy', {
        roleName: 'deploy\ud83d',
        policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
      }),
    );
    expect(text).toContain('\\ud83d');
    const change = explainItems(readInput(JSON.parse(text)), CONTEXT).changes[0] as AssessedChange;

    const message = renderChange(change);

    expectSlackSafe(message, false);
    expect(JSON.stringify(message)).toContain('/roles/details/deploy%EF%BF%BD');
    expect(JSON.stringify(message)).toContain('cloudtrailv2');
  });

  it('sets aside a policy whose Condition holds an object, rather than crashing on String()', () => {
    const policyDocument = JSON.stringify({
      Statement: [
        { Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { Bool: { x: { toString: 1 } } } },
      ],
    });
    const record = cloudTrailRecord('PutRolePolicy', { roleName: 'app', policyName: 'p', policyDocument });

    const change = explainItems(readInput(record), CONTEXT).changes[0] as AssessedChange;

    expect(change.documents[0]?.error).toBe('Condition.Bool.x must hold strings, numbers or booleans');
    expectSlackSafe(renderChange(change), change.risk.level === 'critical');
  });

  it('gives an alarm with an absurd Period or EvaluationPeriods a default window', () => {
    for (const trigger of [{ Period: 1e300 }, { Period: -60 }, { Period: 60, EvaluationPeriods: 1e20 }]) {
      const [alarm] = explainItems(
        readInput({
          AlarmName: 'CIS-4.4-IAMPolicyChanges',
          NewStateValue: 'ALARM',
          StateChangeTime: '2026-11-20T14:05:31.123+0000',
          Trigger: trigger,
        }),
        CONTEXT,
      ).alarms;

      expect(alarm?.windowEnd).toBe('2026-11-20T14:05:31.123Z');
      expect(Date.parse(alarm?.windowStart ?? '')).toBeLessThan(Date.parse(alarm?.windowEnd ?? ''));
      expectSlackSafe(renderAlarm(alarm as NonNullable<typeof alarm>), false);
    }
  });

  it('keeps the context of an alarm with a 10 KB name under its limit', () => {
    const [alarm] = explainItems(
      readInput({
        AlarmName: '<!channel>&'.repeat(1000),
        NewStateValue: 'ALARM',
        StateChangeTime: '2026-11-20T14:05:31.123+0000',
        AlarmArn: 'arn:aws:cloudwatch:us-east-1:111122223333:alarm:x',
      }),
      CONTEXT,
    ).alarms;

    expectSlackSafe(renderAlarm(alarm as NonNullable<typeof alarm>), false);
  });

  it('keeps a name made of Object.prototype keys an ordinary name', () => {
    for (const key of PROTOTYPE_KEYS) {
      const record = cloudTrailRecord(
        'AttachRolePolicy',
        { roleName: key, policyArn: `arn:aws:iam::111122223333:policy/${key}` },
        { userIdentity: { type: key, arn: `arn:aws:iam::111122223333:user/${key}`, userName: key } },
      );
      const explanation = explainItems(readInput(record), CONTEXT);
      const change = explanation.changes[0] as AssessedChange;

      expect(change.actor.type).toBe('unknown');
      expectSlackSafe(renderChange(change), change.risk.level === 'critical');
    }
  });

  // The admin-managed-policy and deny-removed rules look policy names up in tables: a name like
  // `constructor` must not find Object.prototype's members.
  it('judges AWS managed policies named like Object.prototype members as unknown policies', () => {
    for (const [eventName, key] of [
      ['AttachRolePolicy', 'constructor'],
      ['DetachRolePolicy', 'toString'],
    ] as const) {
      const record = cloudTrailRecord(eventName, {
        roleName: 'app',
        policyArn: `arn:aws:iam::aws:policy/${key}`,
      });
      const change = explainItems(readInput(record), CONTEXT).changes[0] as AssessedChange;

      expect(change.risk.reasons.join(' ')).not.toContain('[native code]');
      expectSlackSafe(renderChange(change), change.risk.level === 'critical');
    }
  });

  it('shows a 6 KB pretty-printed policy of 60 statements within the limits and says what it left out', () => {
    const statements = Array.from({ length: 60 }, (_, index) => ({
      Sid: `Statement${index}`,
      Effect: index % 7 === 0 ? 'Deny' : 'Allow',
      Action: [`s3:GetObject`, `s3:PutObject`, `kms:Decrypt`],
      Resource: [`arn:aws:s3:::team-bucket-${index}/*`, `arn:aws:kms:us-east-1:111122223333:key/${index}`],
    }));
    const policyDocument = JSON.stringify({ Version: '2012-10-17', Statement: statements }, null, 2);
    expect(policyDocument.length).toBeGreaterThanOrEqual(6 * 1024);
    const record = cloudTrailRecord('PutRolePolicy', {
      roleName: 'app-role',
      policyName: 'wide-inline',
      policyDocument,
    });

    const [change] = explainItems(readInput({ Records: [record] }), CONTEXT).changes;
    const message = renderChange(change as AssessedChange);

    expect(change?.documents[0]?.document?.Statement).toHaveLength(60);
    expectSlackSafe(message, change?.risk.level === 'critical');
    const document = textsOf(message, 'message').find(([, text]) => text.startsWith('*Policy document*'));
    expect(document).toBeDefined();
    const [, text] = document as [string, string];
    const shown = text.split('\n').filter((line) => line.startsWith('• ')).length;
    expect(shown).toBeGreaterThan(0);
    expect(shown).toBeLessThan(60);
    expect(text).toMatch(new RegExp(`… ${60 - shown} more statements — View diff for the full document$`));
  });
});
