import { readActor } from './actor';
import { IAM_EVENT_SOURCE, isCis44Event, isIamWriteRecord } from './events';
import { type CloudTrailRecord, InputError } from './input';
import { readPolicyDocument } from './policy';
import type { Actor, Change, DocumentRole, RequestDocument, SkippedRecord, Target } from './types';

type JsonObject = Record<string, unknown>;

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function obj(value: unknown): JsonObject | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : null;
}

const CANONICAL_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;

/** Days in each month of a common year. */
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The days of `month` (1–12) of `year` in the proleptic Gregorian calendar, as `Date` parses ISO dates. */
function daysInMonth(year: number, month: number): number {
  if (month !== 2) return MONTH_DAYS[month - 1] ?? 0;
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
}

/**
 * CloudTrail writes `2026-11-20T14:05:31Z`; exports and SIEMs rewrite it as `2026-11-20 14:05:31` or with
 * nanoseconds. All are UTC.
 */
export function normaliseEventTime(value: unknown): string {
  if (typeof value === 'string') {
    // The form CloudTrail itself writes needs no rewriting: check the calendar and keep it.
    const canonical = CANONICAL_TIME.exec(value);
    if (canonical) {
      const year = Number(canonical[1]);
      const month = Number(canonical[2]);
      const day = Number(canonical[3]);
      if (
        month >= 1 &&
        month <= 12 &&
        day >= 1 &&
        day <= daysInMonth(year, month) &&
        Number(canonical[4]) < 24 &&
        Number(canonical[5]) < 60 &&
        Number(canonical[6]) < 60
      )
        return value;
    }
  }
  if (typeof value !== 'string' || value.trim() === '') {
    throw new InputError('the CloudTrail record has no eventTime');
  }
  let text = value.trim().replace(' ', 'T');
  text = text.replace(/(\.\d{3})\d+/, '$1');
  if (!/(Z|[+-]\d{2}:?\d{2})$/.test(text)) text += 'Z';
  const time = new Date(text);
  // V8 rolls impossible days over (2022-02-30 → 2022-03-02) instead of refusing them: the day is checked against
  // the same calendar as the canonical form's (not Date.UTC, which reads years 0–99 as 1900–1999).
  const [year, month, day] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  if (
    !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(text) ||
    Number.isNaN(time.getTime()) ||
    !(month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month))
  ) {
    throw new InputError(`the CloudTrail eventTime ${JSON.stringify(value.slice(0, 40))} is not a date`);
  }
  return time.toISOString().replace('.000Z', 'Z');
}

/**
 * A stable id for records that carry no `eventID` (documentation examples, some exports): a 64-bit FNV-1a
 * hash of the fields that identify a call. Hand-written because it must stay pure and synchronous.
 */
function syntheticEventId(record: CloudTrailRecord): string {
  const identity = obj(record.userIdentity);
  const text = JSON.stringify([
    record.eventSource,
    record.eventName,
    record.eventTime,
    record.requestID,
    identity?.arn,
    identity?.principalId,
    record.requestParameters,
  ]);
  let hash = 0xcbf29ce484222325n;
  for (let index = 0; index < text.length; index++) {
    hash ^= BigInt(text.charCodeAt(index));
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return `synthetic-${hash.toString(16).padStart(16, '0')}`;
}

function lastSegment(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}

function policyNameFromArn(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}

/** `arn:aws:iam::123456789012:policy/team/Deploy` → `/team/`. */
function policyPathFromArn(arn: string): string {
  const match = /:policy(\/.*\/)[^/]+$/.exec(arn);
  return match?.[1] ?? '/';
}

const ENTITY_KEYS: Array<[key: string, kind: Target['kind']]> = [
  ['roleName', 'role'],
  ['userName', 'user'],
  ['groupName', 'group'],
];

/** What a call acted on, from its request (and, for created things, its response). */
export function readTarget(
  eventName: string,
  request: JsonObject | null,
  response: JsonObject | null,
  actor: Actor,
  accountId: string,
): Target {
  const params = request ?? {};
  const policyArn = str(params.policyArn);
  const target: Target = { kind: 'unknown', name: '' };

  if (/RolePolicy$|^UpdateAssumeRolePolicy$/.test(eventName)) {
    target.kind = 'role';
    target.name = str(params.roleName) ?? '';
  } else if (/UserPolicy$/.test(eventName)) {
    target.kind = 'user';
    target.name = str(params.userName) ?? '';
  } else if (/GroupPolicy$/.test(eventName)) {
    target.kind = 'group';
    target.name = str(params.groupName) ?? '';
  } else if (eventName === 'CreatePolicy') {
    target.kind = 'policy';
    target.name = str(params.policyName) ?? '';
    target.path = str(params.path) ?? '/';
    const created = str(obj(obj(response)?.policy)?.arn);
    const arn =
      created ??
      (accountId && target.name ? `arn:aws:iam::${accountId}:policy${target.path}${target.name}` : '');
    if (arn) target.policyArn = arn;
    target.policyName = target.name;
  } else if (eventName === 'CreateServiceLinkedRole') {
    // The request names only the service (`AWSServiceName`, logged as `aWSServiceName`); the role IAM
    // created is in the response.
    const role = obj(obj(response)?.role);
    const roleArn = str(role?.arn);
    const roleName = str(role?.roleName) ?? (roleArn ? lastSegment(roleArn) : undefined);
    const service = str(params.AWSServiceName) ?? str(params.aWSServiceName);
    if (service) target.service = service;
    if (roleName) {
      target.kind = 'role';
      target.name = roleName;
    } else {
      target.name = service ? `the service-linked role of ${service}` : '';
    }
  } else if (policyArn && /Policy$|PolicyVersion$/.test(eventName) && !/^(Attach|Detach)/.test(eventName)) {
    target.kind = 'policy';
    target.name = policyNameFromArn(policyArn);
    target.path = policyPathFromArn(policyArn);
  } else {
    for (const [key, kind] of ENTITY_KEYS) {
      const name = str(params[key]);
      if (name) {
        target.kind = kind;
        target.name = name;
        break;
      }
    }
    if (target.kind === 'unknown' && policyArn) {
      target.kind = 'policy';
      target.name = policyNameFromArn(policyArn);
    }
    // Calls on one's own user (CreateAccessKey, ChangePassword without userName) act on the caller.
    if (
      target.kind === 'unknown' &&
      actor.type === 'iam-user' &&
      /AccessKey|Password|LoginProfile|MFA/.test(eventName)
    ) {
      target.kind = 'user';
      target.name = actor.name;
    }
    if (target.kind === 'unknown') {
      const named = Object.entries(params).find(
        ([key, value]) => /Name$/.test(key) && typeof value === 'string',
      );
      if (named) target.name = String(named[1]);
    }
  }

  if (policyArn && !target.policyArn) target.policyArn = policyArn;
  const inlineName = str(params.policyName);
  if (inlineName && !target.policyName) target.policyName = inlineName;
  if (!target.policyName && target.policyArn) target.policyName = policyNameFromArn(target.policyArn);
  const versionId =
    str(params.versionId) ??
    (eventName === 'CreatePolicyVersion' ? str(obj(obj(response)?.policyVersion)?.versionId) : undefined);
  if (versionId) target.versionId = versionId;

  const entityArn = str(obj(obj(response)?.[target.kind])?.arn);
  if (entityArn) target.arn = entityArn;
  else if (target.kind === 'policy' && target.policyArn) target.arn = target.policyArn;
  return target;
}

const DOCUMENT_FIELDS: Array<[field: string, role: (eventName: string) => DocumentRole]> = [
  ['policyDocument', (eventName) => (eventName === 'UpdateAssumeRolePolicy' ? 'trust' : 'permissions')],
  ['assumeRolePolicyDocument', () => 'trust'],
];

/** The policy documents a request carries, parsed; a document that can't be read keeps its error. */
export function readDocuments(eventName: string, request: JsonObject | null): RequestDocument[] {
  if (!request) return [];
  const out: RequestDocument[] = [];
  for (const [field, roleOf] of DOCUMENT_FIELDS) {
    const raw = request[field];
    if (raw === undefined || raw === null) continue;
    const entry: RequestDocument = { role: roleOf(eventName), field };
    const read = readPolicyDocument(raw);
    if ('document' in read) entry.document = read.document;
    else entry.error = read.error;
    out.push(entry);
  }
  return out;
}

export type NormaliseResult = { change: Change } | { skipped: SkippedRecord };

/**
 * Turns a CloudTrail record into a {@link Change}, or says why it was set aside: not IAM (AWS Organizations
 * emits `CreatePolicy` too), or a read-only call.
 */
export function normaliseRecord(record: CloudTrailRecord): NormaliseResult {
  const eventName = record.eventName;
  const eventSource = record.eventSource;
  const eventId = str(record.eventID) ?? syntheticEventId(record);
  if (eventSource !== IAM_EVENT_SOURCE) {
    const reason =
      eventSource === 'organizations.amazonaws.com'
        ? `AWS Organizations call (${eventSource}), not IAM`
        : `not an IAM call (eventSource ${eventSource})`;
    return { skipped: { eventId, eventName, eventSource, reason } };
  }
  if (!isIamWriteRecord(record.readOnly, eventName)) {
    return { skipped: { eventId, eventName, eventSource, reason: 'read-only IAM call' } };
  }

  const identity = obj(record.userIdentity);
  const request = obj(record.requestParameters);
  const response = obj(record.responseElements);
  const actor = readActor(record);
  const accountId = str(record.recipientAccountId) ?? str(identity?.accountId) ?? '';
  const errorCode = str(record.errorCode);

  const change: Change = {
    eventId,
    eventName,
    eventSource,
    eventTime: normaliseEventTime(record.eventTime),
    accountId,
    region: str(record.awsRegion) ?? 'us-east-1',
    cis44: isCis44Event(eventName),
    outcome: errorCode ? 'failed' : 'success',
    actor,
    target: readTarget(eventName, request, response, actor, accountId),
    documents: readDocuments(eventName, request),
    requestParameters: request,
    responseElements: response,
  };
  const callerAccount = str(identity?.accountId);
  if (callerAccount && accountId && callerAccount !== accountId) change.recipientAccountId = accountId;
  if (errorCode) change.errorCode = errorCode;
  // A rename that happened: the entity is now known by its new name (the old page no longer exists).
  const newName =
    eventName === 'UpdateUser'
      ? str(request?.newUserName)
      : eventName === 'UpdateGroup'
        ? str(request?.newGroupName)
        : undefined;
  if (newName && !errorCode && newName !== change.target.name) change.target.newName = newName;
  const errorMessage = str(record.errorMessage);
  if (errorMessage) change.errorMessage = errorMessage;
  return { change };
}
