import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  describeValue,
  type Envelope,
  InputError,
  type InputItem,
  parseJsonText,
  readInput,
  readInputParts,
  readInputText,
} from '../../src/domain/input';

function fixtureText(path: string): string {
  return readFileSync(new URL(`../fixtures/${path}`, import.meta.url), 'utf8');
}

function fixture(path: string): unknown {
  return JSON.parse(fixtureText(path));
}

/** The error `fn` throws, failing the test when it throws nothing. */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error: unknown) {
    if (error instanceof Error) return error;
    throw new Error(`threw a non-Error: ${String(error)}`);
  }
  throw new Error('expected an error, got none');
}

function summary(item: InputItem): string {
  return item.kind === 'cloudtrail' ? item.record.eventName : item.message.AlarmName;
}

describe('readInputText', () => {
  it.each<[file: string, kind: InputItem['kind'], via: Envelope[], what: string]>([
    ['lambda-sns-eventbridge.json', 'cloudtrail', ['lambda-sns-event', 'eventbridge-event'], 'PutRolePolicy'],
    [
      'sns-notification-eventbridge.json',
      'cloudtrail',
      ['sns-notification', 'eventbridge-event'],
      'CreatePolicyVersion',
    ],
    ['eventbridge-event.json', 'cloudtrail', ['eventbridge-event'], 'AttachRolePolicy'],
    [
      'sqs-sns-record.json',
      'cloudtrail',
      ['lambda-sqs-event', 'sns-notification', 'eventbridge-event'],
      'DeletePolicy',
    ],
    ['lambda-sns-alarm.json', 'alarm', ['lambda-sns-event'], 'CIS-4.4-IAMPolicyChanges'],
    ['alarm-message.json', 'alarm', [], 'CIS-4.4-IAMPolicyChanges'],
    ['alarm-ok.json', 'alarm', [], 'CIS-4.4-IAMPolicyChanges'],
    ['alarm-no-datapoints.json', 'alarm', [], 'CIS-4.4-IAMPolicyChanges'],
  ])('unwraps envelopes/%s into one %s item via %j', (file, kind, via, what) => {
    const items = readInputText(fixtureText(`envelopes/${file}`));

    expect(items).toHaveLength(1);
    expect(items[0]?.kind).toBe(kind);
    expect(items[0]?.via).toEqual(via);
    expect(items.map(summary)).toEqual([what]);
  });

  it('reads every record of a CloudTrail log file, read-only and non-CIS ones included', () => {
    const items = readInputText(fixtureText('envelopes/cloudtrail-log-file.json'));

    expect(items.map((item) => item.kind)).toEqual(['cloudtrail', 'cloudtrail', 'cloudtrail']);
    expect(items.map(summary)).toEqual(['AttachRolePolicy', 'CreateUser', 'ListAttachedRolePolicies']);
    for (const item of items) expect(item.via).toEqual(['cloudtrail-log-file']);
  });

  it('reads an array of records, marking each as found in an array', () => {
    const items = readInputText(fixtureText('envelopes/record-array.json'));

    expect(items.map(summary)).toEqual(['DetachRolePolicy', 'DeleteRolePolicy']);
    for (const item of items) expect(item.via).toEqual(['array']);
  });

  it('reads a bare CloudTrail record with an empty envelope chain', () => {
    const items = readInputText(fixtureText('cloudtrail/attach-role-policy.json'));

    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ kind: 'cloudtrail', via: [] });
  });

  it('hands back the EventBridge detail as the CloudTrail record itself', () => {
    const event = fixture('envelopes/eventbridge-event.json') as { detail: unknown };
    const [item] = readInputText(fixtureText('envelopes/eventbridge-event.json'));

    expect(item?.kind === 'cloudtrail' && item.record).toEqual(event.detail);
  });

  it('hands back the alarm message parsed from the SNS Message text', () => {
    const [item] = readInputText(fixtureText('envelopes/lambda-sns-alarm.json'));

    expect(item?.kind).toBe('alarm');
    expect(item?.kind === 'alarm' && item.message).toEqual(fixture('envelopes/alarm-message.json'));
  });

  it.each<[file: string, message: RegExp]>([
    ['not-json.txt', /^the input is not JSON: /],
    ['empty.txt', /^the input is empty$/],
    ['unknown-shape.json', /^unrecognised input: an object with keys "hello" \(expected /],
    ['sns-message-not-json.json', /^the SNS record Message is not JSON: /],
    [
      'eventbridge-non-cloudtrail.json',
      /^the EventBridge event \(detail-type "EC2 Instance State-change Notification"\) has no CloudTrail record/,
    ],
  ])('rejects bad/%s with one line naming what was seen', (file, message) => {
    const error = thrown(() => readInputText(fixtureText(`bad/${file}`)));

    expect(error).toBeInstanceOf(InputError);
    expect(error.name).toBe('InputError');
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('\n');
  });
});

describe('readInput', () => {
  it('reads the items of every record of a Lambda SNS event, in order', () => {
    const alarm = fixture('envelopes/lambda-sns-alarm.json') as { Records: unknown[] };
    const eventbridge = fixture('envelopes/lambda-sns-eventbridge.json') as { Records: unknown[] };
    const items = readInput({ Records: [...alarm.Records, ...eventbridge.Records] });

    expect(items.map((item) => item.kind)).toEqual(['alarm', 'cloudtrail']);
    expect(items.map((item) => item.via)).toEqual([
      ['lambda-sns-event'],
      ['lambda-sns-event', 'eventbridge-event'],
    ]);
  });

  it('follows an array of EventBridge events, keeping both envelopes in the chain', () => {
    const items = readInput([fixture('envelopes/eventbridge-event.json')]);

    expect(items.map((item) => item.via)).toEqual([['array', 'eventbridge-event']]);
  });

  it('refuses an SNS subscription confirmation, which carries no notification', () => {
    const error = thrown(() =>
      readInput({
        Type: 'SubscriptionConfirmation',
        MessageId: '165545c9-2a5c-472c-8df2-7ff2be2b3b1b',
        Token:
          '2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a747ba6f3beb71854e285d6ad02428b09ceece29417f1f02d609c582afbacc99c583a916b9981dd2728f4ae6fdb82efd087cc3b7849e05798d2d2785c03b0879594eeac82c01f235d0e717736',
        TopicArn: 'arn:aws:sns:us-east-1:111122223333:iam-changes-alerts',
        Message:
          'You have chosen to subscribe to the topic arn:aws:sns:us-east-1:111122223333:iam-changes-alerts.',
      }),
    );

    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toContain('SubscriptionConfirmation');
    expect(error.message).toContain('carries no notification');
  });

  it('refuses a Lambda SNS record whose Sns object is missing', () => {
    const error = thrown(() => readInput({ Records: [{ EventSource: 'aws:sns', EventVersion: '1.0' }] }));

    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toBe('Records[0] of the SNS event has no Sns object');
  });

  it('refuses an SNS notification whose Message is not text', () => {
    const error = thrown(() => readInput({ Type: 'Notification', Message: { AlarmName: 'x' } }));

    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toBe(
      'SNS notification has no Message text (found an object with keys "AlarmName")',
    );
  });

  it('refuses an SQS record without a body', () => {
    const error = thrown(() => readInput({ Records: [{ eventSource: 'aws:sqs', messageId: 'm-1' }] }));

    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toBe('Records[0] of the SQS event has no body');
  });

  it('names the position of a log file entry that is not a CloudTrail record', () => {
    const record = fixture('cloudtrail/attach-role-policy.json');
    const error = thrown(() => readInput({ Records: [record, { hello: 'world' }] }));

    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toMatch(
      /^Records\[1\] is not a CloudTrail record \(found an object with keys "hello"/,
    );
  });

  it.each<[what: string, value: unknown, seen: string]>([
    ['null', null, 'null'],
    ['a number', 42, 'a number'],
    ['a string', 'ALARM', 'a string of 5 characters'],
    ['an empty object', {}, 'an empty object'],
  ])('rejects %s, saying so', (_what, value, seen) => {
    const error = thrown(() => readInput(value));

    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toContain(`unrecognised input: ${seen}`);
  });

  it('stops following envelopes nested too deep', () => {
    let value: unknown = fixture('cloudtrail/attach-role-policy.json');
    for (let depth = 0; depth < 12; depth++) {
      value = {
        Type: 'Notification',
        TopicArn: 'arn:aws:sns:us-east-1:111122223333:t',
        Message: JSON.stringify(value),
      };
    }
    const error = thrown(() => readInput(value));

    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toMatch(/nests more than \d+ envelopes deep/);
  });

  it('keeps messages on one line even when the input puts newlines in the names it quotes', () => {
    const error = thrown(() =>
      readInput({
        version: '0',
        'detail-type': 'Custom\nAlert: please click http://example.com',
        source: 'my.app',
        detail: { message: 'hi' },
      }),
    );

    expect(error).toBeInstanceOf(InputError);
    expect(error.message).not.toContain('\n');
    expect(error.message).toContain('has no CloudTrail record in its detail');
  });
});

describe('parseJsonText', () => {
  it('parses JSON text', () => {
    expect(parseJsonText('{"a":[1,2]}')).toEqual({ a: [1, 2] });
  });

  it('names what it was reading in its errors', () => {
    const error = thrown(() => parseJsonText('   ', 'the SQS message body'));

    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toBe('the SQS message body is empty');
  });

  it('keeps the parser message to one line when the bad text spans lines', () => {
    const error = thrown(() => parseJsonText('x\ny'));

    expect(error.message).toMatch(/^the input is not JSON: /);
    expect(error.message).not.toContain('\n');
  });
});

describe('describeValue', () => {
  it.each<[value: unknown, text: string]>([
    [[1, 2, 3], 'an array of 3'],
    [true, 'a boolean'],
    [{ a: 1, b: 2 }, 'an object with keys "a", "b"'],
    [
      { a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8 },
      'an object with keys "a", "b", "c", "d", "e", "f", … (8 in all)',
    ],
    [{ ['k'.repeat(50)]: 1 }, `an object with keys "${'k'.repeat(40)}…"`],
  ])('describes %j as %s', (value, text) => {
    expect(describeValue(value)).toBe(text);
  });
});

describe('readInputParts', () => {
  const record = { eventName: 'PutRolePolicy', eventSource: 'iam.amazonaws.com', eventID: 'e-1' };
  const snsRecord = (message: string) => ({
    EventSource: 'aws:sns',
    Sns: { Type: 'Notification', Message: message },
  });

  it('sets aside each element of a batch it cannot read, alone and readable again, and keeps the rest', () => {
    const logFile = { Records: [record, 7, { ...record, eventID: 'e-2' }] };
    const event = { Records: [snsRecord(JSON.stringify(logFile)), snsRecord('not json')] };

    const { items, unreadable } = readInputParts(event);

    expect(items.map((item) => (item.kind === 'cloudtrail' ? item.record.eventID : ''))).toEqual([
      'e-1',
      'e-2',
    ]);
    expect(unreadable).toEqual([
      {
        reason: 'Records[1] is not a CloudTrail record (found a number, expected eventName and eventSource)',
        input: { Records: [7] },
      },
      {
        reason: expect.stringMatching(/^the SNS record Message is not JSON: /),
        input: { Records: [snsRecord('not json')] },
      },
    ]);
    for (const part of unreadable) expect(readInputParts(part.input).items).toEqual([]);
  });

  it('sets aside an element of an array on its own', () => {
    const { items, unreadable } = readInputParts([record, { hello: 'world' }]);

    expect(items).toHaveLength(1);
    expect(unreadable).toEqual([
      {
        reason: expect.stringMatching(/^unrecognised input: an object with keys "hello"/),
        input: { hello: 'world' },
      },
    ]);
  });

  it('sets aside the whole input when nothing in it can be read', () => {
    expect(readInputParts('text')).toEqual({
      items: [],
      unreadable: [{ reason: expect.stringMatching(/^unrecognised input: a string/), input: 'text' }],
    });
  });

  it('reads what the notify dead-letter queue keeps back to the part it was', () => {
    const kept = {
      requestContext: { condition: 'UnreadableInput' },
      requestPayload: { Records: [7] },
      responsePayload: { errorType: 'InputError', errorMessage: 'why' },
    };

    expect(readInputParts(kept).unreadable).toEqual([
      {
        reason: 'Records[0] is not a CloudTrail record (found a number, expected eventName and eventSource)',
        input: { Records: [7] },
      },
    ]);
  });
});

describe('lookup-events output', () => {
  const record = fixture('cloudtrail/attach-role-policy.json') as { eventID: string };
  const event = (cloudTrailEvent: unknown) => ({
    EventId: record.eventID,
    EventName: 'AttachRolePolicy',
    ReadOnly: 'false',
    EventSource: 'iam.amazonaws.com',
    Resources: [],
    CloudTrailEvent: cloudTrailEvent,
  });

  it.each<[string, unknown, number]>([
    ['raw aws cloudtrail lookup-events output', { Events: [event(JSON.stringify(record))] }, 1],
    ['two events of one page', { Events: [event(JSON.stringify(record)), event(JSON.stringify(record))] }, 2],
    ['one event on its own', event(JSON.stringify(record)), 1],
    ['an empty page', { Events: [], NextToken: 'abc' }, 0],
  ])('reads %s', (_, input, count) => {
    const items = readInput(input);
    expect(items).toHaveLength(count);
    for (const item of items) {
      expect(item).toMatchObject({ kind: 'cloudtrail', record: { eventID: record.eventID } });
      expect(item.via.at(-1)).toBe('lookup-events');
    }
  });

  it.each<[string, unknown, string]>([
    [
      'an event without CloudTrailEvent',
      { Events: [{ EventId: 'x' }] },
      'Events[0] of the lookup-events output has no CloudTrailEvent text',
    ],
    [
      'CloudTrailEvent that is not JSON',
      { Events: [event('{oops')] },
      'the CloudTrailEvent of Events[0] is not JSON',
    ],
    [
      'CloudTrailEvent that is not a record',
      { Events: [event('{"a":1}')] },
      'the CloudTrailEvent of Events[0] is not a CloudTrail record',
    ],
  ])('sets aside %s with one clear line, keeping the rest', (_, input, reason) => {
    const withGood = { Events: [...(input as { Events: unknown[] }).Events, event(JSON.stringify(record))] };
    const parts = readInputParts(withGood);
    expect(parts.items).toHaveLength(1);
    expect(parts.unreadable).toHaveLength(1);
    expect(parts.unreadable[0]?.reason).toContain(reason);
    expect(parts.unreadable[0]?.reason).not.toContain('\n');
  });
});
