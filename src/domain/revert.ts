/**
 * Revert plans: the IAM calls that undo a change, in order, with the equivalent `aws iam …` command lines.
 * Pure: the before-state (previous document, previous default version) is looked up elsewhere and passed in;
 * when it is not known the plan says what it needs and carries a placeholder instead of a guess.
 */
import { wildcardMatch } from './policy';
import type { BeforeStateNeed, Change, PolicyDocument, RevertPlan, RevertStep } from './types';

/** What was there before a change, as far as the look-ups (store, CloudTrail history, IAM, Config) found it. */
export interface BeforeState {
  /**
   * The document before the change: the inline or managed policy document, the deleted version's document, or
   * the previous trust policy. `null` means confirmed that there was none (a Put…Policy created a new inline
   * policy); `undefined` means unknown.
   */
  previousDocument?: PolicyDocument | null;
  /** The managed policy's default version before the change (`v2`); `undefined` means unknown. */
  previousDefaultVersionId?: string;
}

/** The placeholder a step carries in place of a before-state that is still to be looked up. */
export const PLACEHOLDERS: Readonly<Record<BeforeStateNeed, string>> = {
  'previous-document': '<previous-document>',
  'previous-default-version': '<previous-default-version>',
};

const PLACEHOLDER_VALUES = new Set(Object.values(PLACEHOLDERS));

/** `DetachRolePolicy` → `detach-role-policy`, `PolicyArn` → `policy-arn`, `SAMLProvider` → `saml-provider`. */
const kebabNames = new Map<string, string>();

function kebab(name: string): string {
  let kebabbed = kebabNames.get(name);
  if (kebabbed === undefined) {
    kebabbed = name
      .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
      .replace(/([A-Z])([A-Z][a-z])/g, '$1-$2')
      .toLowerCase();
    // API action and parameter names: a small, closed set.
    if (kebabNames.size < 1000) kebabNames.set(name, kebabbed);
  }
  return kebabbed;
}

/** Characters a POSIX shell passes through unchanged outside quotes. */
const SHELL_SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

function shellQuote(value: string): string {
  if (PLACEHOLDER_VALUES.has(value) || SHELL_SAFE.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * The `aws iam …` command line equivalent to a step, safe to paste into a POSIX shell: parameters become
 * `--kebab-case` options, booleans `--flag` / `--no-flag`, and any value with a shell-special character (every
 * JSON document) is single-quoted. Placeholders such as `<previous-document>` are printed as they are, so the
 * line visibly cannot run until they are filled in.
 */
export function toCliCommand(step: RevertStep): string {
  const parts = ['aws', 'iam', kebab(step.action.slice('iam:'.length))];
  for (const [name, value] of Object.entries(step.params)) {
    const option = kebab(name);
    if (typeof value === 'boolean') parts.push(value ? `--${option}` : `--no-${option}`);
    else parts.push(`--${option}`, shellQuote(value));
  }
  return parts.join(' ');
}

function unsupported(reason: string): RevertPlan {
  return { supported: false, steps: [], cli: [], reason };
}

function plan(steps: RevertStep[], needs: BeforeStateNeed[] = [], notes: string[] = []): RevertPlan {
  const out: RevertPlan = { supported: true, steps, cli: steps.map(toCliCommand) };
  if (needs.length > 0) out.needs = needs;
  if (notes.length > 0) out.notes = notes;
  return out;
}

/** The previous document as a step value: compact JSON, a placeholder when unknown, `null` when there was none. */
function previousDocumentValue(
  before: BeforeState | undefined,
): { value: string; needs: BeforeStateNeed[] } | null {
  const document = before?.previousDocument;
  if (document === null) return null;
  if (document === undefined)
    return { value: PLACEHOLDERS['previous-document'], needs: ['previous-document'] };
  return { value: JSON.stringify(document), needs: [] };
}

function previousDefaultValue(before: BeforeState | undefined): { value: string; needs: BeforeStateNeed[] } {
  const versionId = before?.previousDefaultVersionId;
  if (versionId) return { value: versionId, needs: [] };
  return { value: PLACEHOLDERS['previous-default-version'], needs: ['previous-default-version'] };
}

function nothingToRestore(what: string): RevertPlan {
  return unsupported(`there was no ${what} before the call: nothing to restore`);
}

type Required = [value: string | undefined, description: string];

/** The refusal for a record that lacks a name the revert must act on, naming each one that is missing. */
function missing(required: Required[]): RevertPlan {
  const absent = required.filter(([value]) => !value).map(([, description]) => description);
  return unsupported(`the record is missing ${absent.join(' and ')}: no revert can be planned`);
}

type EntityKind = 'Role' | 'User' | 'Group';

const ENTITY_EVENT = /^(Attach|Detach|Put|Delete)(Role|User|Group)Policy$/;

/** Attach/Detach/Put/Delete on a role, user or group. */
function planEntityRevert(
  change: Change,
  verb: string,
  kind: EntityKind,
  before: BeforeState | undefined,
): RevertPlan {
  const noun = kind.toLowerCase();
  const entityParam = `${kind}Name`;
  const entity = change.target.name || undefined;
  const entityRequired: Required = [entity, `the ${noun} name (${noun}Name)`];

  if (verb === 'Attach' || verb === 'Detach') {
    const policyArn = change.target.policyArn;
    if (!entity || !policyArn) return missing([entityRequired, [policyArn, 'the policy ARN (policyArn)']]);
    const inverse = verb === 'Attach' ? 'Detach' : 'Attach';
    return plan([
      { action: `iam:${inverse}${kind}Policy`, params: { [entityParam]: entity, PolicyArn: policyArn } },
    ]);
  }

  const policyName = change.target.policyName;
  if (!entity || !policyName)
    return missing([entityRequired, [policyName, 'the inline policy name (policyName)']]);
  const identity = { [entityParam]: entity, PolicyName: policyName };
  const deleteAction = `iam:Delete${kind}Policy` as const;
  const previous = previousDocumentValue(before);

  if (previous === null) {
    if (verb === 'Put') return plan([{ action: deleteAction, params: identity }]);
    return nothingToRestore(`inline policy ${policyName} on ${noun} ${entity}`);
  }
  const notes =
    verb === 'Put' && previous.needs.length > 0
      ? [
          `if the inline policy ${policyName} was new (nothing before it), the revert is ${deleteAction} instead`,
        ]
      : [];
  return plan(
    [{ action: `iam:Put${kind}Policy`, params: { ...identity, PolicyDocument: previous.value } }],
    previous.needs,
    notes,
  );
}

function planCreatePolicyRevert(change: Change): RevertPlan {
  const policyArn = change.target.policyArn;
  if (!policyArn) return missing([[policyArn, 'the policy ARN (policyArn)']]);
  return plan(
    [{ action: 'iam:DeletePolicy', params: { PolicyArn: policyArn } }],
    [],
    [
      'IAM refuses DeletePolicy while the policy has non-default versions: the revert first deletes them (iam:DeletePolicyVersion)',
      'IAM refuses DeletePolicy while the policy is attached: the revert refuses too and lists the roles, users and groups it is attached to',
    ],
  );
}

function planDeletePolicyRevert(change: Change, before: BeforeState | undefined): RevertPlan {
  const policyArn = change.target.policyArn;
  const policyName = change.target.policyName || change.target.name || undefined;
  if (!policyArn || !policyName) return missing([[policyArn, 'the policy ARN (policyArn)']]);
  const previous = previousDocumentValue(before);
  if (previous === null) return nothingToRestore(`document of managed policy ${policyName}`);
  return plan(
    [
      {
        action: 'iam:CreatePolicy',
        params: { PolicyName: policyName, Path: change.target.path ?? '/', PolicyDocument: previous.value },
      },
    ],
    previous.needs,
    [
      'the re-created policy gets a new policy id (its ARN is the same), and its attachments are not restored: re-attach it by hand',
    ],
  );
}

function isTrue(value: unknown): boolean {
  return value === true || value === 'true';
}

function planCreatePolicyVersionRevert(change: Change, before: BeforeState | undefined): RevertPlan {
  const policyArn = change.target.policyArn;
  if (!policyArn) return missing([[policyArn, 'the policy ARN (policyArn)']]);
  const created = change.target.versionId;
  if (!created) {
    return unsupported(
      'the record does not say which version was created (no responseElements): find it with aws iam list-policy-versions and undo it by hand',
    );
  }
  const response = change.responseElements?.policyVersion;
  const becameDefault =
    isTrue(change.requestParameters?.setAsDefault) ||
    (typeof response === 'object' &&
      response !== null &&
      isTrue((response as Record<string, unknown>).isDefaultVersion));
  const deleteNew: RevertStep = {
    action: 'iam:DeletePolicyVersion',
    params: { PolicyArn: policyArn, VersionId: created },
  };
  if (!becameDefault) return plan([deleteNew]);
  const previous = previousDefaultValue(before);
  return plan(
    [
      { action: 'iam:SetDefaultPolicyVersion', params: { PolicyArn: policyArn, VersionId: previous.value } },
      deleteNew,
    ],
    previous.needs,
  );
}

function planDeletePolicyVersionRevert(change: Change, before: BeforeState | undefined): RevertPlan {
  const policyArn = change.target.policyArn;
  if (!policyArn) return missing([[policyArn, 'the policy ARN (policyArn)']]);
  const versionId = change.target.versionId;
  const version = versionId ? `version ${versionId}` : 'the deleted version';
  const previous = previousDocumentValue(before);
  if (previous === null) return nothingToRestore(`document of ${version} of ${policyArn}`);
  return plan(
    [
      {
        action: 'iam:CreatePolicyVersion',
        params: { PolicyArn: policyArn, PolicyDocument: previous.value, SetAsDefault: false },
      },
    ],
    previous.needs,
    [`the re-created version gets a new version id, not ${versionId ?? 'the deleted one'}`],
  );
}

function planSetDefaultPolicyVersionRevert(change: Change, before: BeforeState | undefined): RevertPlan {
  const policyArn = change.target.policyArn;
  if (!policyArn) return missing([[policyArn, 'the policy ARN (policyArn)']]);
  const previous = previousDefaultValue(before);
  if (previous.needs.length === 0 && previous.value === change.target.versionId) {
    return unsupported(
      `${previous.value} was already the default version: nothing changed, nothing to revert`,
    );
  }
  return plan(
    [{ action: 'iam:SetDefaultPolicyVersion', params: { PolicyArn: policyArn, VersionId: previous.value } }],
    previous.needs,
  );
}

function planUpdateAssumeRolePolicyRevert(change: Change, before: BeforeState | undefined): RevertPlan {
  const roleName = change.target.name || undefined;
  if (!roleName) return missing([[roleName, 'the role name (roleName)']]);
  const previous = previousDocumentValue(before);
  if (previous === null) return nothingToRestore(`trust policy on role ${roleName}`);
  return plan(
    [
      {
        action: 'iam:UpdateAssumeRolePolicy',
        params: { RoleName: roleName, PolicyDocument: previous.value },
      },
    ],
    previous.needs,
  );
}

/**
 * How to undo a change: the ordered IAM calls, in the API's own parameter names, and their CLI lines.
 *
 * Failed calls changed nothing and calls with no safe inverse (everything but the 16 CIS 4.4 calls,
 * `SetDefaultPolicyVersion` and `UpdateAssumeRolePolicy`) get `supported: false` and a reason, as do records
 * that lack a name the revert must act on. A before-state that `before` does not give is never guessed: the
 * step carries a placeholder (see {@link PLACEHOLDERS}) and `needs` lists what to look up.
 */
export function planRevert(change: Change, before?: BeforeState): RevertPlan {
  if (change.outcome === 'failed') {
    const code = change.errorCode ? ` (${change.errorCode})` : '';
    return unsupported(`the call failed${code}: nothing changed, nothing to revert`);
  }
  const entity = ENTITY_EVENT.exec(change.eventName);
  if (entity) return planEntityRevert(change, entity[1] ?? '', (entity[2] ?? 'Role') as EntityKind, before);
  switch (change.eventName) {
    case 'CreatePolicy':
      return planCreatePolicyRevert(change);
    case 'DeletePolicy':
      return planDeletePolicyRevert(change, before);
    case 'CreatePolicyVersion':
      return planCreatePolicyVersionRevert(change, before);
    case 'DeletePolicyVersion':
      return planDeletePolicyVersionRevert(change, before);
    case 'SetDefaultPolicyVersion':
      return planSetDefaultPolicyVersionRevert(change, before);
    case 'UpdateAssumeRolePolicy':
      return planUpdateAssumeRolePolicyRevert(change, before);
    default:
      return unsupported(`${change.eventName} has no safe automatic inverse: review and undo it by hand`);
  }
}

/** Principals a revert must not write to: configured globs, and the bot's own roles. */
export interface RevertGuard {
  /** ARN globs of principals never written (break-glass roles, the organisation's admin role). */
  protectedPrincipals: readonly string[];
  /** The bot's role names: `iam-changes-*` and the responder role's. */
  botRoleName?: (name: string) => boolean;
}

/**
 * Why a revert of `change` would write to a principal it must not — a protected principal, or one of the bot's
 * own roles — or `undefined`. The worker's IAM policy denies those writes too; this says so before any call.
 */
export function protectedTarget(change: Change, guard: RevertGuard): string | undefined {
  const { kind, name } = change.target;
  if (kind !== 'role' && kind !== 'user' && kind !== 'group') return undefined;
  const arn = change.target.arn ?? `arn:aws:iam::${change.accountId}:${kind}/${name}`;
  if (kind === 'role' && guard.botRoleName?.(name)) {
    return `${kind} ${name} is one of the bot's own roles: the bot never changes itself, undo it by hand`;
  }
  const glob = guard.protectedPrincipals.find((pattern) => wildcardMatch(pattern, arn));
  return glob ? `${kind} ${name} is a protected principal (${glob}): undo it by hand` : undefined;
}

/** The roles, users and groups a managed policy is attached to, by name. */
export interface PolicyAttachedTo {
  roles: readonly string[];
  users: readonly string[];
  groups: readonly string[];
}

/**
 * Why a revert that writes a managed policy's versions (`CreatePolicyVersion`, `DeletePolicyVersion`,
 * `SetDefaultPolicyVersion`) would change what a protected principal or one of the bot's own roles may do, or
 * `undefined`. A policy is not a principal, so {@link protectedTarget} lets it through and IAM cannot deny edits to
 * a policy by what it is attached to: this check, on the policy's attachments read before the revert, is the guard.
 */
export function protectedAttachment(
  change: Change,
  attachedTo: PolicyAttachedTo,
  guard: RevertGuard,
): string | undefined {
  if (change.target.kind !== 'policy') return undefined;
  const policy = change.target.policyName ?? change.target.name;
  for (const role of attachedTo.roles) {
    if (guard.botRoleName?.(role)) {
      return `${policy} is attached to role ${role}, one of the bot's own roles: the bot never changes itself, undo it by hand`;
    }
  }
  const entities = [
    ...attachedTo.roles.map((name) => ['role', name] as const),
    ...attachedTo.users.map((name) => ['user', name] as const),
    ...attachedTo.groups.map((name) => ['group', name] as const),
  ];
  for (const [kind, name] of entities) {
    const arn = `arn:aws:iam::${change.accountId}:${kind}/${name}`;
    const glob = guard.protectedPrincipals.find((pattern) => wildcardMatch(pattern, arn));
    if (glob) {
      return `${policy} is attached to ${kind} ${name}, a protected principal (${glob}): undo it by hand`;
    }
  }
  return undefined;
}
