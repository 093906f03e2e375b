/**
 * What a principal can do, from all of its documents at once: an action is reachable only when an identity
 * policy allows it, the permissions boundary (when one is set) allows it too, and no identity policy or boundary
 * denies it. Resource scoping and conditions are not evaluated against a request: an allow limited to specific
 * resources or under a condition is a *conditional* reach and said so; a deny limited that way leaves the action
 * conditional rather than blocked.
 *
 * Hand-written because what is needed here — the same judgement over many documents, pure and synchronous, with
 * the reason in words — is a small part of IAM's evaluation logic that no dependency of the bot offers.
 */
import { statementCoversAction } from '../policy';
import type { PolicyDocument, Statement } from '../types';

/** A policy document with where it came from, for the reasons (`managed policy Deploy`, `inline policy ci`). */
export interface NamedDocument {
  name: string;
  document: PolicyDocument;
}

/** The kind of principal an escalation is judged for. */
export type PrincipalKind = 'role' | 'user' | 'group';

/** Everything that decides what one principal can do. */
export interface PrincipalPolicies {
  kind: PrincipalKind;
  name: string;
  /** Attached and inline policies (and, for a user, those of its groups), each named. */
  identity: NamedDocument[];
  /** The permissions boundary, when one is set. */
  boundary?: NamedDocument;
  /** What could not be read (a policy IAM refused, a group not listed): the judgement may miss paths. */
  incomplete?: string[];
}

/** How far a principal gets to one action. */
export type Reach = { kind: 'yes' } | { kind: 'conditional'; why: string[] } | { kind: 'no'; why: string };

const WIDE = /^(\*|arn:(\*|aws[\w-]*:\*)(:\*)*)$/;

/** Where the statement's resources fall short of everything, in words; undefined when it is on every resource. */
function limitation(statement: Statement): string | undefined {
  const limits: string[] = [];
  if (statement.Resource && !statement.Resource.some((resource) => WIDE.test(resource))) {
    limits.push(
      `only on ${statement.Resource.slice(0, 2).join(', ')}${statement.Resource.length > 2 ? ' …' : ''}`,
    );
  }
  if (statement.NotResource && statement.NotResource.length > 0) {
    limits.push(`not on ${statement.NotResource.slice(0, 2).join(', ')}`);
  }
  if (statement.Condition && Object.keys(statement.Condition).length > 0) {
    limits.push(`under conditions (${Object.keys(statement.Condition).join(', ')})`);
  }
  return limits.length > 0 ? limits.join(' and ') : undefined;
}

/** How one set of documents treats an action: allowed fully, allowed with limits, denied, or not allowed. */
function judge(documents: readonly NamedDocument[], action: string): Reach {
  let allowed = false;
  const limits: string[] = [];
  let limitedOnly = true;
  for (const { name, document } of documents) {
    for (const statement of document.Statement) {
      if (!statementCoversAction(statement, action)) continue;
      const limit = limitation(statement);
      if (statement.Effect === 'Deny') {
        if (!limit) return { kind: 'no', why: `denied by ${name}` };
        limits.push(`partly denied by ${name} (${limit})`);
        continue;
      }
      allowed = true;
      if (!limit) limitedOnly = false;
      else limits.push(`allowed by ${name} ${limit}`);
    }
  }
  if (!allowed) return { kind: 'no', why: 'not allowed' };
  const denials = limits.filter((line) => line.startsWith('partly denied'));
  if (!limitedOnly) return denials.length > 0 ? { kind: 'conditional', why: denials } : { kind: 'yes' };
  return { kind: 'conditional', why: limits };
}

/** How far the principal gets to `action`, after its boundary and every deny. */
export function reachOf(policies: PrincipalPolicies, action: string): Reach {
  const identity = judge(policies.identity, action);
  if (identity.kind === 'no') return identity;
  if (!policies.boundary) return identity;
  const boundary = judge([policies.boundary], action);
  if (boundary.kind === 'no') {
    return {
      kind: 'no',
      why:
        boundary.why === 'not allowed'
          ? `outside the permissions boundary ${policies.boundary.name}`
          : boundary.why,
    };
  }
  const why = [
    ...(identity.kind === 'conditional' ? identity.why : []),
    ...(boundary.kind === 'conditional' ? boundary.why.map((line) => `boundary: ${line}`) : []),
  ];
  return why.length > 0 ? { kind: 'conditional', why } : { kind: 'yes' };
}
