/**
 * Drift: what IAM should look like right after a change, and right after its revert, as probes the app layer
 * reads live through the IAM port and compares here. Pure: data in, data out.
 *
 * The drift guard of a revert ("Revert is safe or it doesn't happen") compares the live state with
 * {@link expectedAfter}: when someone changed the same thing again since, the revert would undo their change
 * too, so it is refused and both states are shown in words. After a revert, {@link expectedAfterRevert} says
 * what reading IAM back must show.
 */
import { canonicalDocument } from './policy';
import type { BeforeState } from './revert';
import type { Change, PolicyDocument } from './types';

/** The kinds of IAM identities a policy can be attached to or embedded in. */
export type IamEntityKind = 'role' | 'user' | 'group';

/** A role, user or group, by name. */
export interface IamEntity {
  kind: IamEntityKind;
  name: string;
}

/** A managed policy attached (or not) to an entity. */
export interface AttachedProbe {
  kind: 'attached';
  entity: IamEntity;
  policyArn: string;
  present: boolean;
  /** Set on a live reading when the entity itself does not exist (any revert on it would fail). */
  entityMissing?: boolean;
}

/** An inline policy of an entity: present with its document, or absent. */
export interface InlineProbe {
  kind: 'inline';
  entity: IamEntity;
  name: string;
  present: boolean;
  /** The document; absent when not known (an unreadable document in the record): only presence is compared. */
  document?: PolicyDocument;
  /** Set on a live reading when the entity itself does not exist (any revert on it would fail). */
  entityMissing?: boolean;
}

/** A managed policy and its default document. */
export interface PolicyExistsProbe {
  kind: 'policy-exists';
  policyArn: string;
  present: boolean;
  /** The default version's document; absent when not known (then only presence is compared). */
  document?: PolicyDocument;
}

/**
 * A version of a managed policy: by id, or — without `versionId` — any version holding `document` (a version
 * re-created by a revert gets an id that can't be known in advance).
 */
export interface VersionProbe {
  kind: 'version';
  policyArn: string;
  versionId?: string;
  present: boolean;
  /** Whether it is the default version; absent when it does not matter. */
  isDefault?: boolean;
  document?: PolicyDocument;
}

/** Which version of a managed policy is the default. `present` is false when the policy does not exist. */
export interface DefaultVersionProbe {
  kind: 'default-version';
  policyArn: string;
  present: boolean;
  versionId?: string;
}

/** A role's trust policy. `present` is false when the role does not exist. */
export interface TrustProbe {
  kind: 'trust';
  role: string;
  present: boolean;
  document?: PolicyDocument;
}

/**
 * One thing to read from IAM and what it should be. A live reading is a probe of the same kind with the values
 * IAM gave, so {@link compareLive} compares like with like.
 */
export type Probe =
  | AttachedProbe
  | InlineProbe
  | PolicyExistsProbe
  | VersionProbe
  | DefaultVersionProbe
  | TrustProbe;

/** The outcome of comparing an expected state with the live one, in words for the modal and the CLI. */
export interface DriftReport {
  drifted: boolean;
  /** The expected state, described. */
  expected: string;
  /** The live state, described. */
  current: string;
}

const ENTITY_EVENT = /^(Attach|Detach|Put|Delete)(Role|User|Group)Policy$/;

function isTrue(value: unknown): boolean {
  return value === true || value === 'true';
}

/** True when a CreatePolicyVersion made the new version the default (request flag or response). */
export function becameDefault(change: Change): boolean {
  const response = change.responseElements?.policyVersion;
  return (
    isTrue(change.requestParameters?.setAsDefault) ||
    (typeof response === 'object' &&
      response !== null &&
      isTrue((response as Record<string, unknown>).isDefaultVersion))
  );
}

/** The document a call wrote (permissions or trust), when the record's document could be read. */
function writtenDocument(change: Change, role: 'permissions' | 'trust'): PolicyDocument | undefined {
  return change.documents.find((entry) => entry.role === role)?.document;
}

function withDocument<T extends object>(probe: T, document: PolicyDocument | undefined): T {
  return document ? { ...probe, document } : probe;
}

/** The entity and what a role/user/group policy event acted on, or undefined when the record lacks a name. */
function entityEvent(
  change: Change,
): { verb: string; entity: IamEntity; policyArn?: string; policyName?: string } | undefined {
  const match = ENTITY_EVENT.exec(change.eventName);
  if (!match || !change.target.name) return undefined;
  const kind = (match[2] ?? 'Role').toLowerCase() as IamEntityKind;
  return {
    verb: match[1] ?? '',
    entity: { kind, name: change.target.name },
    policyArn: change.target.policyArn,
    policyName: change.target.policyName,
  };
}

/**
 * The live state a successful, revertible change leaves, right after it: what the drift guard expects to find
 * before a revert. Undefined for failed calls, calls with no revert, and records missing a name to look at.
 */
export function expectedAfter(change: Change): Probe | undefined {
  if (change.outcome !== 'success') return undefined;
  const { target } = change;
  const entity = entityEvent(change);
  if (entity) {
    const { verb, policyArn, policyName } = entity;
    if (verb === 'Attach' || verb === 'Detach') {
      if (!policyArn) return undefined;
      return { kind: 'attached', entity: entity.entity, policyArn, present: verb === 'Attach' };
    }
    if (!policyName) return undefined;
    if (verb === 'Delete') return { kind: 'inline', entity: entity.entity, name: policyName, present: false };
    return withDocument<InlineProbe>(
      { kind: 'inline', entity: entity.entity, name: policyName, present: true },
      writtenDocument(change, 'permissions'),
    );
  }
  const policyArn = target.policyArn;
  switch (change.eventName) {
    case 'CreatePolicy':
      if (!policyArn) return undefined;
      return withDocument<PolicyExistsProbe>(
        { kind: 'policy-exists', policyArn, present: true },
        writtenDocument(change, 'permissions'),
      );
    case 'DeletePolicy':
      return policyArn ? { kind: 'policy-exists', policyArn, present: false } : undefined;
    case 'CreatePolicyVersion':
      if (!policyArn || !target.versionId) return undefined;
      return withDocument<VersionProbe>(
        {
          kind: 'version',
          policyArn,
          versionId: target.versionId,
          present: true,
          isDefault: becameDefault(change),
        },
        writtenDocument(change, 'permissions'),
      );
    case 'DeletePolicyVersion':
      if (!policyArn || !target.versionId) return undefined;
      return { kind: 'version', policyArn, versionId: target.versionId, present: false };
    case 'SetDefaultPolicyVersion':
      if (!policyArn || !target.versionId) return undefined;
      return { kind: 'default-version', policyArn, present: true, versionId: target.versionId };
    case 'UpdateAssumeRolePolicy':
      if (!target.name) return undefined;
      return withDocument<TrustProbe>(
        { kind: 'trust', role: target.name, present: true },
        writtenDocument(change, 'trust'),
      );
    default:
      return undefined;
  }
}

/**
 * What reading IAM back must show once a revert has run: the state before the change, as far as `before` says.
 * Empty when there is nothing that could be checked (the change has no revert, or the before-state is unknown).
 */
export function expectedAfterRevert(change: Change, before: BeforeState): Probe[] {
  const after = expectedAfter(change);
  if (!after) return [];
  const previous = before.previousDocument;
  switch (after.kind) {
    case 'attached':
      return [{ ...after, present: !after.present }];
    case 'inline': {
      const { document: _written, ...identity } = after;
      if (previous === null) return [{ ...identity, present: false }];
      if (previous === undefined) return [];
      return [{ ...identity, present: true, document: previous }];
    }
    case 'policy-exists':
      if (after.present) return [{ kind: 'policy-exists', policyArn: after.policyArn, present: false }];
      if (!previous) return [];
      return [{ kind: 'policy-exists', policyArn: after.policyArn, present: true, document: previous }];
    case 'version': {
      if (!after.present) {
        if (!previous) return [];
        return [
          {
            kind: 'version',
            policyArn: after.policyArn,
            present: true,
            isDefault: false,
            document: previous,
          },
        ];
      }
      const probes: Probe[] = [
        { kind: 'version', policyArn: after.policyArn, versionId: after.versionId, present: false },
      ];
      if (after.isDefault) {
        if (!before.previousDefaultVersionId) return [];
        probes.push({
          kind: 'default-version',
          policyArn: after.policyArn,
          present: true,
          versionId: before.previousDefaultVersionId,
        });
      }
      return probes;
    }
    case 'default-version':
      if (!before.previousDefaultVersionId) return [];
      return [{ ...after, versionId: before.previousDefaultVersionId }];
    case 'trust':
      if (!previous) return [];
      return [{ kind: 'trust', role: after.role, present: true, document: previous }];
  }
}

/** True when two documents say the same thing (same statements, lists in any order). */
export function sameDocument(a: PolicyDocument, b: PolicyDocument): boolean {
  return JSON.stringify(canonicalDocument(a)) === JSON.stringify(canonicalDocument(b));
}

function documentText(document: PolicyDocument | undefined): string {
  return document
    ? JSON.stringify(canonicalDocument(document))
    : '(document not known: only presence checked)';
}

function policyName(policyArn: string): string {
  return policyArn.slice(policyArn.lastIndexOf('/') + 1) || policyArn;
}

function entityText(entity: IamEntity): string {
  return `${entity.kind} ${entity.name}`;
}

/** A probe in words: "AdministratorAccess attached to role ci-runner", "no inline policy deploy on user bob". */
export function describeProbe(probe: Probe): string {
  switch (probe.kind) {
    case 'attached':
      if (probe.entityMissing) return `${entityText(probe.entity)} does not exist`;
      return `${policyName(probe.policyArn)} (${probe.policyArn}) ${probe.present ? 'attached to' : 'not attached to'} ${entityText(probe.entity)}`;
    case 'inline':
      if (probe.entityMissing) return `${entityText(probe.entity)} does not exist`;
      if (!probe.present) return `no inline policy ${probe.name} on ${entityText(probe.entity)}`;
      return `inline policy ${probe.name} on ${entityText(probe.entity)}: ${documentText(probe.document)}`;
    case 'policy-exists':
      if (!probe.present) return `managed policy ${probe.policyArn} does not exist`;
      return `managed policy ${probe.policyArn} exists, default document: ${documentText(probe.document)}`;
    case 'version': {
      const which = probe.versionId
        ? `version ${probe.versionId} of ${probe.policyArn}`
        : `a version of ${probe.policyArn}`;
      if (!probe.present) return `${which} does not exist`;
      const role =
        probe.isDefault === undefined ? '' : probe.isDefault ? ' (the default)' : ' (not the default)';
      const document = probe.versionId && !probe.document ? '' : `: ${documentText(probe.document)}`;
      return `${which} exists${role}${document}`;
    }
    case 'default-version':
      if (!probe.present) return `managed policy ${probe.policyArn} does not exist`;
      return `the default version of ${probe.policyArn} is ${probe.versionId ?? '(none)'}`;
    case 'trust':
      if (!probe.present) return `role ${probe.role} does not exist`;
      return `the trust policy of role ${probe.role}: ${documentText(probe.document)}`;
  }
}

/** Documents differ only when both are known; an expected document that is not known is not compared. */
function documentsDiffer(expected: PolicyDocument | undefined, live: PolicyDocument | undefined): boolean {
  if (!expected) return false;
  return !live || !sameDocument(expected, live);
}

function differs(expected: Probe, live: Probe): boolean {
  if (expected.kind !== live.kind) return true;
  if ('entityMissing' in live && live.entityMissing) return true;
  if (expected.present !== live.present) return true;
  if (!expected.present) return false;
  switch (expected.kind) {
    case 'attached':
      return false;
    case 'inline':
    case 'policy-exists':
    case 'trust':
      return documentsDiffer(expected.document, (live as typeof expected).document);
    case 'version': {
      const reading = live as VersionProbe;
      if (expected.isDefault !== undefined && reading.isDefault !== expected.isDefault) return true;
      return documentsDiffer(expected.document, reading.document);
    }
    case 'default-version':
      return (live as DefaultVersionProbe).versionId !== expected.versionId;
  }
}

/**
 * Compares what IAM should show with what it shows (a live reading of the same probe). The expected state is
 * described with the documents in canonical JSON, so a person sees exactly what differs.
 */
export function compareLive(expected: Probe, live: Probe): DriftReport {
  return {
    drifted: differs(expected, live),
    expected: describeProbe(expected),
    current: describeProbe(live),
  };
}

/**
 * Compares several probes with their live readings (pairwise, in order): drifted when any differs, the
 * descriptions joined with "; ". A missing reading counts as drift.
 */
export function compareAllLive(expected: Probe[], live: Probe[]): DriftReport {
  const reports = expected.map((probe, index) => {
    const reading = live[index];
    return reading
      ? compareLive(probe, reading)
      : { drifted: true, expected: describeProbe(probe), current: 'not read' };
  });
  return {
    drifted: reports.some((report) => report.drifted),
    expected: reports.map((report) => report.expected).join('; '),
    current: reports.map((report) => report.current).join('; '),
  };
}
