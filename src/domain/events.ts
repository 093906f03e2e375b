/**
 * The IAM calls the bot cares about: the 16 the CIS AWS Foundations Benchmark 4.4 metric filter counts,
 * and every other IAM write, told apart from read-only calls by the verb the name starts with.
 */

/** The 16 event names of the CIS 4.4 metric filter, in the benchmark's order. */
export const CIS44_EVENT_NAMES = [
  'DeleteGroupPolicy',
  'DeleteRolePolicy',
  'DeleteUserPolicy',
  'PutGroupPolicy',
  'PutRolePolicy',
  'PutUserPolicy',
  'CreatePolicy',
  'DeletePolicy',
  'CreatePolicyVersion',
  'DeletePolicyVersion',
  'AttachRolePolicy',
  'DetachRolePolicy',
  'AttachUserPolicy',
  'DetachUserPolicy',
  'AttachGroupPolicy',
  'DetachGroupPolicy',
] as const;

export type Cis44EventName = (typeof CIS44_EVENT_NAMES)[number];

const CIS44 = new Set<string>(CIS44_EVENT_NAMES);

/** Verbs that start the name of IAM write calls: how a record without CloudTrail's `readOnly` is judged. */
export const IAM_WRITE_PREFIXES = [
  'Add',
  'Attach',
  'Change',
  'Create',
  'Deactivate',
  'Delete',
  'Detach',
  'Enable',
  'Put',
  'Remove',
  'Reset',
  'Resync',
  'Set',
  'Tag',
  'Untag',
  'Update',
  'Upload',
] as const;

/** The event source of IAM. AWS Organizations emits `CreatePolicy` too, from another source. */
export const IAM_EVENT_SOURCE = 'iam.amazonaws.com';

/** True for the 16 CIS 4.4 policy calls. */
export function isCis44Event(eventName: string): eventName is Cis44EventName {
  return CIS44.has(eventName);
}

/**
 * True when a CloudTrail record of IAM is a write: CloudTrail's own `readOnly` when the record has it (so a write
 * whose name starts with no listed verb, `DisableOrganizationsRootCredentialsManagement`, counts), else the verb
 * its name starts with (a record written by hand).
 */
export function isIamWriteRecord(readOnly: boolean | undefined, eventName: string): boolean {
  return readOnly === undefined ? isIamWrite(eventName) : !readOnly;
}

/** True when the call changes IAM (by the verb its name starts with). */
export function isIamWrite(eventName: string): boolean {
  return IAM_WRITE_PREFIXES.some(
    (prefix) => eventName.startsWith(prefix) && /^[A-Z]/.test(eventName.slice(prefix.length)),
  );
}
