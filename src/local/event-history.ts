/**
 * CloudTrail event history for the local runtime: a loopback server answering `LookupEvents` (the one CloudTrail
 * call the bot makes, which moto_server does not emulate) from the CloudTrail records the runtime itself fed to
 * the bot. So `/iam-changes 7d`, the before-state look-up and the alarm's fallback search find the demo's changes
 * as they would find real ones in AWS. Any other CloudTrail call is answered `UnsupportedOperationException`.
 * With a `path`, the records are kept there (one JSON record a line) and read back at the next start, beside the
 * store that remembers the same changes.
 */
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import type { CloudTrailRecord } from '../domain/input';

/** A running event history. */
export interface LocalEventHistory {
  /** `http://127.0.0.1:PORT`: the CloudTrail endpoint. */
  endpoint: string;
  /** Remembers a record the runtime fed to the bot. */
  add(record: CloudTrailRecord): void;
  /** The records whose `eventTime` is from `start` to `end` (inclusive), oldest first. */
  between(start: Date, end: Date): CloudTrailRecord[];
  close(): Promise<void>;
}

/** `X-Amz-Target` of LookupEvents: SDKs send it with or without the `com.amazonaws…` namespace. */
const LOOKUP_EVENTS = /^(?:com\.amazonaws\.cloudtrail\.v20131101\.)?CloudTrail_20131101\.LookupEvents$/;
const MAX_RESULTS = 50;
const MAX_RECORDS = 50_000;

type Json = Record<string, unknown>;

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The user name CloudTrail's event history shows for a record. */
function userName(record: CloudTrailRecord): string {
  const identity = (record.userIdentity ?? {}) as Json;
  const context = (identity.sessionContext ?? {}) as Json;
  const issuer = (context.sessionIssuer ?? {}) as Json;
  const arn = str(identity.arn) ?? '';
  return str(identity.userName) ?? str(issuer.userName) ?? arn.slice(arn.lastIndexOf('/') + 1);
}

/** The resources event history indexes a record under (what `ResourceName` look-ups match). */
function resources(record: CloudTrailRecord): Array<{ ResourceType: string; ResourceName: string }> {
  const parameters = (record.requestParameters ?? {}) as Json;
  const out: Array<{ ResourceType: string; ResourceName: string }> = [];
  const add = (type: string, name: unknown) => {
    if (typeof name === 'string' && name !== '') out.push({ ResourceType: type, ResourceName: name });
  };
  add('AWS::IAM::Role', parameters.roleName);
  add('AWS::IAM::User', parameters.userName);
  add('AWS::IAM::Group', parameters.groupName);
  add('AWS::IAM::Policy', parameters.policyArn);
  add('AWS::IAM::Policy', parameters.policyName);
  const policy = ((record.responseElements ?? {}) as Json).policy as Json | undefined;
  add('AWS::IAM::Policy', policy?.arn);
  return out;
}

function matches(record: CloudTrailRecord, key: string, value: string): boolean {
  switch (key) {
    case 'EventId':
      return record.eventID === value;
    case 'EventName':
      return record.eventName === value;
    case 'EventSource':
      return record.eventSource === value;
    case 'Username':
      return userName(record) === value;
    case 'ReadOnly':
      return String(record.readOnly === true) === value;
    case 'AccessKeyId':
      return str(((record.userIdentity ?? {}) as Json).accessKeyId) === value;
    case 'ResourceName':
      return resources(record).some((resource) => resource.ResourceName === value);
    case 'ResourceType':
      return resources(record).some((resource) => resource.ResourceType === value);
    default:
      return false;
  }
}

function epochSeconds(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value !== '') {
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? Number(value) : parsed / 1000;
  }
  return undefined;
}

function send(response: ServerResponse, status: number, body: Json): void {
  response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
  response.end(JSON.stringify(body));
}

async function readJson(request: IncomingMessage): Promise<Json> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  const parsed: unknown = text === '' ? {} : JSON.parse(text);
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Json) : {};
}

/** Reads the records kept at `path`, skipping a line a crash cut short. */
function readKept(path: string): CloudTrailRecord[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const out: CloudTrailRecord[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      out.push(JSON.parse(line) as CloudTrailRecord);
    } catch {
      // A partly written last line.
    }
  }
  return out;
}

/** Starts the event history on a free loopback port, with the records kept at `path` when given. */
export async function startLocalEventHistory(options: { path?: string } = {}): Promise<LocalEventHistory> {
  const records: CloudTrailRecord[] = [];
  const seen = new Set<string>();
  for (const record of options.path ? readKept(options.path).slice(-MAX_RECORDS) : []) {
    if (seen.has(String(record.eventID))) continue;
    seen.add(String(record.eventID));
    records.push(record);
  }
  if (options.path) mkdirSync(dirname(options.path), { recursive: true });

  const lookup = (input: Json): Json => {
    const attributes = Array.isArray(input.LookupAttributes) ? (input.LookupAttributes as Json[]) : [];
    const start = epochSeconds(input.StartTime) ?? 0;
    const end = epochSeconds(input.EndTime) ?? Number.POSITIVE_INFINITY;
    const max = Math.min(MAX_RESULTS, Math.max(1, Number(input.MaxResults) || MAX_RESULTS));
    const offset = Number(str(input.NextToken) ?? '0') || 0;
    const found = records
      .filter((record) => {
        const at = Date.parse(String(record.eventTime)) / 1000;
        return at >= start && at <= end;
      })
      .filter((record) =>
        attributes.every((attribute) =>
          matches(record, String(attribute.AttributeKey), String(attribute.AttributeValue)),
        ),
      )
      .sort((a, b) => String(b.eventTime).localeCompare(String(a.eventTime)));
    const page = found.slice(offset, offset + max);
    return {
      Events: page.map((record) => ({
        EventId: record.eventID,
        EventName: record.eventName,
        ReadOnly: String(record.readOnly === true),
        AccessKeyId: str(((record.userIdentity ?? {}) as Json).accessKeyId),
        EventTime: Date.parse(String(record.eventTime)) / 1000,
        EventSource: record.eventSource,
        Username: userName(record),
        Resources: resources(record),
        CloudTrailEvent: JSON.stringify(record),
      })),
      ...(offset + max < found.length ? { NextToken: String(offset + max) } : {}),
    };
  };

  const server = createServer((request, response) => {
    const target = String(request.headers['x-amz-target'] ?? '');
    readJson(request)
      .then((input) => {
        if (LOOKUP_EVENTS.test(target)) send(response, 200, lookup(input));
        else {
          send(response, 400, {
            __type: 'UnsupportedOperationException',
            message: `the local event history answers LookupEvents only (got ${target || 'no operation'})`,
          });
        }
      })
      .catch(() =>
        send(response, 400, { __type: 'SerializationException', message: 'the body is not JSON' }),
      );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    add(record) {
      const id = String(record.eventID);
      if (seen.has(id)) return;
      seen.add(id);
      records.push(record);
      if (options.path) appendFileSync(options.path, `${JSON.stringify(record)}\n`);
      if (records.length > MAX_RECORDS) {
        const dropped = records.shift();
        if (dropped) seen.delete(String(dropped.eventID));
      }
    },
    between(start, end) {
      return records
        .filter((record) => {
          const at = Date.parse(String(record.eventTime));
          return at >= start.getTime() && at <= end.getTime();
        })
        .sort((a, b) => Date.parse(String(a.eventTime)) - Date.parse(String(b.eventTime)));
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
