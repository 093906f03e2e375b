import type { Change, PolicyDocument } from './types';

/**
 * The resource a change acts on, as one key: `role/ci-runner`, `user/bob`, `group/devs`, `policy/<arn>`.
 * Changes are listed by it (`/iam-changes on role/ci-runner`) and follow-ups are threaded under it.
 */
export function resourceOf(change: Change): string {
  const { target } = change;
  if (target.kind === 'policy') return `policy/${target.policyArn ?? target.name}`;
  return `${target.kind}/${target.name}`;
}

/**
 * The key of the document a change writes or removes, so the bot can remember documents over time and find
 * the one before a change: an inline policy (`111122223333/role/ci-runner/inline/deploy`), a trust policy
 * (`111122223333/role/ci-runner/trust`) or a managed policy's default document (`policy/<arn>/default`). Names
 * are unique only within an account, so the account the change acted in leads the key (an ARN already names it).
 * Undefined for changes that carry no document of their own (attach, detach).
 */
export function documentKeyOf(change: Change): string | undefined {
  const { eventName, target } = change;
  const inAccount = (key: string) => (change.accountId ? `${change.accountId}/${key}` : key);
  if (/^(Put|Delete)(Role|User|Group)Policy$/.test(eventName) && target.name && target.policyName) {
    return inAccount(`${target.kind}/${target.name}/inline/${target.policyName}`);
  }
  if ((eventName === 'UpdateAssumeRolePolicy' || eventName === 'CreateRole') && target.name) {
    return inAccount(`role/${target.name}/trust`);
  }
  if (/^(CreatePolicy|DeletePolicy)$/.test(eventName) && target.policyArn) {
    return `policy/${target.policyArn}/default`;
  }
  if (
    eventName === 'CreatePolicyVersion' &&
    target.policyArn &&
    change.requestParameters?.setAsDefault === true
  ) {
    return `policy/${target.policyArn}/default`;
  }
  return undefined;
}

/**
 * The document a successful change leaves at {@link documentKeyOf}: the new document, `null` when it removed
 * it, undefined when the record does not say (failed calls, unreadable documents).
 */
export function documentAfter(change: Change): PolicyDocument | null | undefined {
  if (change.outcome !== 'success') return undefined;
  if (/^Delete(Role|User|Group)?Policy$/.test(change.eventName)) return null;
  const role =
    change.eventName === 'UpdateAssumeRolePolicy' || change.eventName === 'CreateRole'
      ? 'trust'
      : 'permissions';
  return change.documents.find((entry) => entry.role === role)?.document;
}

/** The key of one version's document of a managed policy (`policy/<arn>/version/v3`): it never changes. */
export function policyVersionKey(policyArn: string, versionId: string): string {
  return `policy/${policyArn}/version/${versionId}`;
}

/**
 * The version document a successful change creates, so a later `SetDefaultPolicyVersion` to it can say what
 * the default became: `CreatePolicy` makes `v1`, `CreatePolicyVersion` the version its response names.
 */
export function versionSnapshotOf(change: Change): { key: string; document: PolicyDocument } | undefined {
  if (change.outcome !== 'success') return undefined;
  const { policyArn } = change.target;
  const versionId = change.eventName === 'CreatePolicy' ? 'v1' : change.target.versionId;
  if (!policyArn || !versionId || !/^Create(Policy|PolicyVersion)$/.test(change.eventName)) return undefined;
  const document = change.documents.find((entry) => entry.role === 'permissions')?.document;
  return document ? { key: policyVersionKey(policyArn, versionId), document } : undefined;
}

/**
 * A successful `SetDefaultPolicyVersion`: the managed policy's default document becomes that of the version
 * (`versionKey`), which the record itself does not carry.
 */
export function defaultSwitchOf(change: Change): { defaultKey: string; versionKey: string } | undefined {
  const { policyArn, versionId } = change.target;
  if (change.eventName !== 'SetDefaultPolicyVersion' || change.outcome !== 'success') return undefined;
  if (!policyArn || !versionId) return undefined;
  return { defaultKey: `policy/${policyArn}/default`, versionKey: policyVersionKey(policyArn, versionId) };
}
