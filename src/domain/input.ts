/**
 * Input shapes: everything that reaches the bot, told apart and unwrapped down to CloudTrail records and
 * CloudWatch alarm messages. Nesting is followed (an SNS message holding an EventBridge event holding a
 * CloudTrail record); anything else is an {@link InputError} that names what was seen.
 */

/** A CloudTrail record as CloudTrail writes it; only the fields the bot reads are typed. */
export interface CloudTrailRecord {
  eventVersion?: string;
  eventID?: string;
  eventName: string;
  eventSource: string;
  eventTime?: unknown;
  eventType?: string;
  awsRegion?: string;
  recipientAccountId?: string;
  sourceIPAddress?: string;
  userAgent?: string;
  userIdentity?: Record<string, unknown>;
  requestParameters?: Record<string, unknown> | null;
  responseElements?: Record<string, unknown> | null;
  errorCode?: string;
  errorMessage?: string;
  readOnly?: boolean;
  managementEvent?: boolean;
  sessionCredentialFromConsole?: string;
  requestID?: string;
  [key: string]: unknown;
}

/** A CloudWatch alarm state-change message as SNS delivers it. */
export interface CloudWatchAlarmMessage {
  AlarmName: string;
  AlarmDescription?: string | null;
  AWSAccountId?: string;
  NewStateValue: string;
  NewStateReason?: string;
  StateChangeTime?: string;
  Region?: string;
  AlarmArn?: string;
  OldStateValue?: string;
  Trigger?: Record<string, unknown>;
  [key: string]: unknown;
}

/** The names of the envelopes an item was found in, outermost first. */
export type Envelope =
  | 'lambda-sns-event'
  | 'lambda-sqs-event'
  | 'sns-notification'
  | 'eventbridge-event'
  | 'cloudtrail-log-file'
  | 'lambda-destination-record'
  | 'lookup-events'
  | 'array';

export type InputItem =
  | { kind: 'cloudtrail'; record: CloudTrailRecord; via: Envelope[] }
  | { kind: 'alarm'; message: CloudWatchAlarmMessage; via: Envelope[] };

/** Input the bot cannot read. The message is one line, fit to show a user. */
export class InputError extends Error {
  override name = 'InputError';
}

const MAX_DEPTH = 8;

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A short description of a value for error messages: its type and, for objects, its first keys. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (isObject(value)) {
    const keys = Object.keys(value);
    if (keys.length === 0) return 'an empty object';
    const shown = keys
      .slice(0, 6)
      .map((key) => JSON.stringify(key.length > 40 ? `${key.slice(0, 40)}…` : key))
      .join(', ');
    return `an object with keys ${shown}${keys.length > 6 ? `, … (${keys.length} in all)` : ''}`;
  }
  if (typeof value === 'string') return `a string of ${value.length} characters`;
  return `a ${typeof value}`;
}

function isCloudTrailRecord(value: JsonObject): boolean {
  return typeof value.eventName === 'string' && typeof value.eventSource === 'string';
}

function isAlarmMessage(value: JsonObject): boolean {
  return typeof value.AlarmName === 'string' && typeof value.NewStateValue === 'string';
}

/** Parses JSON text, with one line saying what was wrong when it is not JSON. */
export function parseJsonText(text: string, what = 'the input'): unknown {
  if (text.trim() === '') throw new InputError(`${what} is empty`);
  try {
    return JSON.parse(text);
  } catch (error: unknown) {
    const detail = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new InputError(`${what} is not JSON: ${detail}`);
  }
}

/**
 * A piece of the input the bot could not read, with why, and the piece itself in a shape {@link readInput} takes
 * back (an element of a batch on its own, an SNS record as a one-record event), so it can be kept and read again.
 */
export interface UnreadablePart {
  reason: string;
  input: unknown;
}

/** What an input holds: the items read, and the parts of it that could not be read. */
export interface InputParts {
  items: InputItem[];
  unreadable: UnreadablePart[];
}

/** Walks each element of a batch on its own: an element that cannot be read is set aside, not the batch. */
function eachElement(
  elements: unknown[],
  parts: InputParts,
  read: (element: unknown, index: number) => void,
  alone: (element: unknown) => unknown,
): void {
  elements.forEach((element, index) => {
    const before = parts.items.length;
    const unreadableBefore = parts.unreadable.length;
    try {
      read(element, index);
    } catch (error: unknown) {
      if (!(error instanceof InputError)) throw error;
      // The element is kept whole: what it yielded before failing is dropped with it, to be read again later.
      parts.items.length = before;
      parts.unreadable.length = unreadableBefore;
      parts.unreadable.push({ reason: error.message, input: alone(element) });
    }
  });
}

function unwrapMessage(
  message: unknown,
  via: Envelope[],
  depth: number,
  what: string,
  parts: InputParts,
): void {
  if (typeof message !== 'string') {
    throw new InputError(`${what} has no Message text (found ${describeValue(message)})`);
  }
  walk(parseJsonText(message, `the ${what} Message`), via, depth + 1, parts);
}

function walk(value: unknown, via: Envelope[], depth: number, parts: InputParts): void {
  if (depth > MAX_DEPTH) throw new InputError(`the input nests more than ${MAX_DEPTH} envelopes deep`);

  if (Array.isArray(value)) {
    eachElement(
      value,
      parts,
      (item) => walk(item, [...via, 'array'], depth + 1, parts),
      (item) => item,
    );
    return;
  }
  if (!isObject(value)) {
    throw new InputError(
      `unrecognised input: ${describeValue(value)} (expected an SNS, EventBridge, CloudTrail or CloudWatch alarm JSON object)`,
    );
  }

  if (Array.isArray(value.Records)) {
    const records: unknown[] = value.Records;
    const first = records.find(isObject);
    const alone = (record: unknown) => ({ Records: [record] });
    if (first && ('Sns' in first || first.EventSource === 'aws:sns')) {
      eachElement(
        records,
        parts,
        (record, index) => {
          const sns = isObject(record) ? record.Sns : undefined;
          if (!isObject(sns)) throw new InputError(`Records[${index}] of the SNS event has no Sns object`);
          unwrapMessage(sns.Message, [...via, 'lambda-sns-event'], depth, 'SNS record', parts);
        },
        alone,
      );
      return;
    }
    if (first && first.eventSource === 'aws:sqs') {
      eachElement(
        records,
        parts,
        (record, index) => {
          const body = isObject(record) ? record.body : undefined;
          if (typeof body !== 'string')
            throw new InputError(`Records[${index}] of the SQS event has no body`);
          walk(parseJsonText(body, 'the SQS message body'), [...via, 'lambda-sqs-event'], depth + 1, parts);
        },
        alone,
      );
      return;
    }
    // A CloudTrail log file: { "Records": [ record, … ] }.
    eachElement(
      records,
      parts,
      (record, index) => {
        if (!isObject(record) || !isCloudTrailRecord(record)) {
          throw new InputError(
            `Records[${index}] is not a CloudTrail record (found ${describeValue(record)}, expected eventName and eventSource)`,
          );
        }
        parts.items.push({
          kind: 'cloudtrail',
          record: record as CloudTrailRecord,
          via: [...via, 'cloudtrail-log-file'],
        });
      },
      alone,
    );
    return;
  }

  // `aws cloudtrail lookup-events` output, { "Events": [ { …, "CloudTrailEvent": "<record as JSON text>" } ] },
  // or one of its events on its own: what responders paste during an incident.
  if (Array.isArray(value.Events)) {
    eachElement(
      value.Events,
      parts,
      (event, index) => readLookupEvent(event, `Events[${index}]`, via, parts),
      (event) => ({ Events: [event] }),
    );
    return;
  }
  if (typeof value.CloudTrailEvent === 'string' && ('EventId' in value || 'EventName' in value)) {
    readLookupEvent(value, 'the LookupEvents event', via, parts);
    return;
  }

  // A Lambda on-failure destination record (what the dead-letter queue holds): the original event is requestPayload.
  if ('requestPayload' in value && 'requestContext' in value) {
    walk(value.requestPayload, [...via, 'lambda-destination-record'], depth + 1, parts);
    return;
  }

  if (value.Type === 'Notification' && 'Message' in value) {
    unwrapMessage(value.Message, [...via, 'sns-notification'], depth, 'SNS notification', parts);
    return;
  }
  if (typeof value.Type === 'string' && 'TopicArn' in value) {
    throw new InputError(
      `an SNS ${JSON.stringify(value.Type.slice(0, 40))} message carries no notification (only Type "Notification" does)`,
    );
  }

  if ('detail-type' in value && 'detail' in value) {
    // JSON.stringify quotes and escapes: custom PutEvents detail-types may hold newlines.
    const detailType = JSON.stringify(String(value['detail-type']).slice(0, 100));
    if (!isObject(value.detail) || !isCloudTrailRecord(value.detail)) {
      throw new InputError(
        `the EventBridge event (detail-type ${detailType}) has no CloudTrail record in its detail`,
      );
    }
    parts.items.push({
      kind: 'cloudtrail',
      record: value.detail as CloudTrailRecord,
      via: [...via, 'eventbridge-event'],
    });
    return;
  }

  if (isCloudTrailRecord(value)) {
    parts.items.push({ kind: 'cloudtrail', record: value as CloudTrailRecord, via });
    return;
  }
  if (isAlarmMessage(value)) {
    parts.items.push({ kind: 'alarm', message: value as CloudWatchAlarmMessage, via });
    return;
  }

  throw new InputError(
    `unrecognised input: ${describeValue(value)} (expected an SNS event or notification, an EventBridge event, a CloudTrail record or log file, lookup-events output, or a CloudWatch alarm message)`,
  );
}

/** One event of `LookupEvents` output: its `CloudTrailEvent` text is the record. */
function readLookupEvent(event: unknown, what: string, via: Envelope[], parts: InputParts): void {
  const text = isObject(event) ? event.CloudTrailEvent : undefined;
  if (typeof text !== 'string') {
    throw new InputError(
      `${what} of the lookup-events output has no CloudTrailEvent text (found ${describeValue(event)})`,
    );
  }
  const record = parseJsonText(text, `the CloudTrailEvent of ${what}`);
  if (!isObject(record) || !isCloudTrailRecord(record)) {
    throw new InputError(
      `the CloudTrailEvent of ${what} is not a CloudTrail record (found ${describeValue(record)}, expected eventName and eventSource)`,
    );
  }
  parts.items.push({
    kind: 'cloudtrail',
    record: record as CloudTrailRecord,
    via: [...via, 'lookup-events'],
  });
}

/**
 * Unwraps any accepted input into the CloudTrail records and alarm messages it carries, setting aside each part
 * it cannot read (an element of a batch, or the whole input) with the reason, so the rest is still delivered.
 */
export function readInputParts(value: unknown): InputParts {
  const parts: InputParts = { items: [], unreadable: [] };
  try {
    walk(value, [], 0, parts);
  } catch (error: unknown) {
    if (!(error instanceof InputError)) throw error;
    return { items: [], unreadable: [{ reason: error.message, input: value }] };
  }
  return parts;
}

/**
 * Unwraps any accepted input into the CloudTrail records and alarm messages it carries; throws the
 * {@link InputError} of the first part it cannot read.
 */
export function readInput(value: unknown): InputItem[] {
  const { items, unreadable } = readInputParts(value);
  const first = unreadable[0];
  if (first) throw new InputError(first.reason);
  return items;
}

/**
 * The CloudTrail record one JSON text holds (a CloudWatch Logs line, a `LookupEvents` `CloudTrailEvent`), or
 * `undefined` when it holds anything else: such sources also carry lines that are not records.
 */
export function parseCloudTrailRecordText(text: string | undefined): CloudTrailRecord | undefined {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return isObject(value) && isCloudTrailRecord(value) ? (value as CloudTrailRecord) : undefined;
}

/** {@link readInput} on JSON text. */
export function readInputText(text: string): InputItem[] {
  return readInput(parseJsonText(text));
}
