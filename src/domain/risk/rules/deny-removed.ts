import { canonicalDocument } from '../../policy';
import type { Change, PolicyDocument, Statement } from '../../types';
import type { RiskFinding, RiskRule } from '../rule';
import { formatList, requestString, succeeded, targetPhrase } from '../statements';

/** AWS managed policies whose only job is to deny: detaching one lifts a guardrail or a quarantine. */
export const DENY_MANAGED_POLICIES: Readonly<Record<string, string>> = {
  AWSCompromisedKeyQuarantine: "AWS's quarantine for an exposed access key",
  AWSCompromisedKeyQuarantineV2: "AWS's quarantine for an exposed access key",
  AWSCompromisedKeyQuarantineV3: "AWS's quarantine for an exposed access key",
  AWSDenyAll: 'denies every action',
};

/** Customer managed policies named like a guardrail (`DenyProdDelete`, `quarantine-user`). */
const DENY_NAME = /deny|quarantine/i;

const DELETE_INLINE = new Set(['DeleteRolePolicy', 'DeleteUserPolicy', 'DeleteGroupPolicy']);
const DETACH = new Set(['DetachRolePolicy', 'DetachUserPolicy', 'DetachGroupPolicy']);

/** A Deny statement as comparable text: canonical, with the Sid left out so a rename is not a removal. */
function denyKey(statement: Statement): string {
  const canonical = canonicalDocument({ Statement: [{ ...statement, Sid: undefined }] }).Statement[0];
  return JSON.stringify(canonical);
}

function denies(document: PolicyDocument | null | undefined): Statement[] {
  return document ? document.Statement.filter((statement) => statement.Effect === 'Deny') : [];
}

function described(statements: Statement[]): string {
  const count = statements.length === 1 ? 'a Deny statement' : `${statements.length} Deny statements`;
  const sids = statements.flatMap((statement) => (statement.Sid ? [statement.Sid] : []));
  return sids.length > 0 ? `${count} (${formatList(sids, 3)})` : count;
}

/** The new document replaced the previous one: which of its Deny statements are gone. */
function removedFromDocument(change: Change, previous: Statement[]): RiskFinding | null {
  const replacement = change.documents.find((entry) => entry.document)?.document;
  if (!replacement || previous.length === 0) return null;
  const kept = new Set(denies(replacement).map(denyKey));
  const removed = previous.filter((statement) => !kept.has(denyKey(statement)));
  if (removed.length === 0) return null;
  return {
    level: 'high',
    reason: `removes ${described(removed)} that the previous document of ${targetPhrase(change)} had`,
  };
}

function detachedGuardrail(change: Change): RiskFinding | null {
  const policyArn = change.target.policyArn ?? requestString(change, 'policyArn') ?? '';
  const name = policyArn.slice(policyArn.lastIndexOf('/') + 1);
  if (!name) return null;
  const awsManaged = /^arn:aws[\w-]*:iam::aws:policy\//.test(policyArn);
  const why =
    awsManaged && Object.hasOwn(DENY_MANAGED_POLICIES, name) ? DENY_MANAGED_POLICIES[name] : undefined;
  if (why) return { level: 'high', reason: `detaches ${name} (${why}) from ${targetPhrase(change)}` };
  if (!awsManaged && DENY_NAME.test(name)) {
    return {
      level: 'high',
      reason: `detaches ${name} from ${targetPhrase(change)}: its name marks it as a deny or quarantine policy`,
    };
  }
  return null;
}

/**
 * Taking a Deny away: a new document without a Deny the previous one had, deleting or detaching a policy
 * that held a Deny, or detaching a quarantine / deny-all managed policy.
 */
export const denyRemoved: RiskRule = {
  id: 'deny-removed',
  level: 'high',
  description:
    'Removing a Deny: a replaced document that drops Deny statements, deleting or detaching a policy that had one, or detaching a quarantine or deny-all managed policy.',
  evaluate(change, context) {
    if (!succeeded(change)) return null;
    const previous = denies(context.previousDocument);
    const event = change.eventName;
    if (DETACH.has(event)) {
      const guardrail = detachedGuardrail(change);
      if (guardrail) return guardrail;
    }
    if ((DETACH.has(event) || DELETE_INLINE.has(event)) && previous.length > 0) {
      const verb = DETACH.has(event) ? 'detaches' : 'deletes inline policy';
      const name = change.target.policyName ?? requestString(change, 'policyName') ?? 'a policy';
      const preposition = DETACH.has(event) ? 'from' : 'of';
      return {
        level: 'high',
        reason: `${verb} ${name} ${preposition} ${targetPhrase(change)}, which had ${described(previous)}`,
      };
    }
    return removedFromDocument(change, previous);
  },
};
