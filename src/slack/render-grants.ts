/**
 * The parts of an alert about what a change grants beyond its own request: the document of the managed policy it
 * attaches or detaches (and where that document came from), and where the escalation check stands — "checking
 * escalation paths…", the paths the change opened, or why the check could not run.
 */
import type { ContextBlock, KnownBlock } from '@slack/types';
import { policyNameOf } from '../domain/managed-policy';
import type { AssessedChange, ManagedPolicyDocument, RequestDocument } from '../domain/types';
import { context } from './blocks';
import { inlineCode, truncate, truncateEscaped } from './escape';

const SOURCE_WORDS: Record<ManagedPolicyDocument['source'], string> = {
  store: 'as the bot saw it written',
  iam: 'read from IAM',
  catalogue: 'from the catalogue of AWS managed policies, latest version',
  unknown: 'unknown',
};

const USE_WORDS: Record<ManagedPolicyDocument['use'], string> = {
  attached: 'Attached policy',
  detached: 'Detached policy',
  'boundary-set': 'Permissions boundary',
};

/**
 * The managed policy's document as a request document, for the alert's document reading, or undefined when it is
 * unknown (the reasons say so).
 */
export function managedPolicyDocumentEntry(change: AssessedChange): RequestDocument | undefined {
  const policy = change.managedPolicy;
  if (!policy?.document) return undefined;
  const version = policy.versionId ? ` ${policy.versionId}` : '';
  return {
    role: 'permissions',
    field: `${USE_WORDS[policy.use]} ${policyNameOf(policy.policyArn)}${version}, ${SOURCE_WORDS[policy.source]}`,
    document: policy.document,
  };
}

/** One context line on the escalation check, or none for changes it does not concern. */
export function escalationContext(change: AssessedChange): KnownBlock[] {
  const check = change.escalation;
  if (!check) return [];
  let line: string;
  switch (check.state) {
    case 'checking':
      line = ':hourglass_flowing_sand: Checking escalation paths…';
      break;
    case 'unavailable':
      line = `:grey_question: Escalation paths not checked: ${truncate(check.reason, 500)}`;
      break;
    case 'done': {
      const already =
        check.alreadyOpen > 0
          ? ` ${check.alreadyOpen} path${check.alreadyOpen === 1 ? ' was' : 's were'} open before this change.`
          : '';
      const partial =
        check.incomplete && check.incomplete.length > 0
          ? ` Not everything could be read: ${truncate(check.incomplete.slice(0, 3).join('; '), 600)}.`
          : '';
      line =
        check.opened.length > 0
          ? `:warning: Escalation paths opened for ${truncate(check.principal, 200)}: ${check.opened
              .slice(0, 5)
              .map((path) => inlineCode(path.actions.join(' + '), 200))
              .join(', ')}.${already}${partial}`
          : `:white_check_mark: No new escalation path for ${truncate(check.principal, 200)}.${already}${partial}`;
      break;
    }
  }
  const block: ContextBlock = context([truncateEscaped(line, 2900)]);
  return [block];
}
