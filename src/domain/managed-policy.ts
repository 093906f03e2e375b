/**
 * The managed policy a call names without carrying its document — attach, detach, permissions boundary — and
 * putting the document the bot resolved for it (store → IAM → catalogue of AWS managed policies → unknown) onto
 * the change, so every risk rule judges what the policy grants, never what it is called.
 */
import type {
  Change,
  ManagedPolicyDocument,
  ManagedPolicyUse,
  PolicyDocument,
  PolicyDocumentSource,
} from './types';

const ATTACH = /^Attach(Role|User|Group)Policy$/;
const DETACH = /^Detach(Role|User|Group)Policy$/;
const BOUNDARY = /^Put(Role|User)PermissionsBoundary$/;

/** The managed policy a call names and what it does with it, or undefined for calls that name none. */
export function managedPolicyCall(change: Change): { policyArn: string; use: ManagedPolicyUse } | undefined {
  const params = change.requestParameters ?? {};
  if (BOUNDARY.test(change.eventName)) {
    const arn = params.permissionsBoundary;
    return typeof arn === 'string' && arn !== '' ? { policyArn: arn, use: 'boundary-set' } : undefined;
  }
  const use = ATTACH.test(change.eventName)
    ? 'attached'
    : DETACH.test(change.eventName)
      ? 'detached'
      : undefined;
  const arn = change.target.policyArn ?? params.policyArn;
  return use && typeof arn === 'string' && arn !== '' ? { policyArn: arn, use } : undefined;
}

/** True for an ARN of an AWS managed policy (`arn:aws:iam::aws:policy/…`). */
export function isAwsManagedPolicy(policyArn: string): boolean {
  return /^arn:aws[\w-]*:iam::aws:policy\//.test(policyArn);
}

/** `arn:aws:iam::aws:policy/job-function/ViewOnlyAccess` → `ViewOnlyAccess`. */
export function policyNameOf(policyArn: string): string {
  return policyArn.slice(policyArn.lastIndexOf('/') + 1);
}

/** What a resolver found for a policy: its document and where, or why it is unknown. */
export type PolicyLookup =
  | { source: Exclude<PolicyDocumentSource, 'unknown'>; document: PolicyDocument; versionId?: string }
  | { source: 'unknown'; reason: string };

/** The change with the resolved document of the managed policy it names (unchanged for other calls). */
export function withManagedPolicy(change: Change, lookup: PolicyLookup): Change {
  const call = managedPolicyCall(change);
  if (!call) return change;
  const resolved: ManagedPolicyDocument =
    lookup.source === 'unknown'
      ? { ...call, source: 'unknown', unknownReason: lookup.reason }
      : {
          ...call,
          source: lookup.source,
          document: lookup.document,
          ...(lookup.versionId ? { versionId: lookup.versionId } : {}),
        };
  return { ...change, managedPolicy: resolved };
}
