/**
 * The quarantine modes in words, the same in the confirmation modal, the thread notes and the alert: what each
 * stops and, as plainly, what it does not.
 */
import type { QuarantineMode } from '../domain/quarantine';

/** A mode's short name, label and what it does and does not stop (plain text: no mrkdwn, no user values). */
export interface ModeWords {
  label: string;
  /** Within Slack's 75 characters of an option's description. */
  summary: string;
  stops: string;
  doesNotStop: string;
}

/** Each mode in words. */
export const MODE_WORDS: Readonly<Record<QuarantineMode, ModeWords>> = Object.freeze({
  'deny-iam': {
    label: 'Deny IAM and role assumption (always)',
    summary: 'Stops IAM changes and assuming roles; not data access',
    stops:
      'Every IAM action (detaching this deny, new access keys, new users or roles) and sts:AssumeRole, for every session of the principal, running ones included.',
    doesNotStop:
      'Its other permissions: reading and writing data (S3, DynamoDB, …), running or stopping instances, sessions of other roles it assumed before now.',
  },
  'revoke-sessions': {
    label: 'Revoke active sessions',
    summary: 'Stops credentials issued before now; new sessions still work',
    stops:
      'Every call made with temporary credentials issued before now (aws:TokenIssueTime): role sessions, console sessions, GetSessionToken and GetFederationToken credentials.',
    doesNotStop:
      'Credentials issued after now: whoever may assume a role can start a new session (with deny-iam it still cannot touch IAM, but its data access works). Long-term access keys carry no issue time: use deactivate-keys for those.',
  },
  'deactivate-keys': {
    label: 'Deactivate access keys (IAM users)',
    summary: 'Stops its access keys; not a console password or live sessions',
    stops:
      'Every call signed with the user’s long-term access keys: the active keys are set Inactive and set Active again on lift (only those the bot deactivated).',
    doesNotStop:
      'The console password, temporary credentials already issued from those keys (revoke-sessions stops those), or keys of other users.',
  },
});

/** The applied modes as a short list: "deny-iam, revoke-sessions". */
export function modeList(modes: readonly QuarantineMode[] | undefined): string {
  return (modes && modes.length > 0 ? modes : ['deny-iam']).join(', ');
}

/** What stays possible for a principal quarantined with these modes, in words. */
export function stillPossible(modes: readonly QuarantineMode[] | undefined, kind: string): string {
  const applied = new Set(modes ?? ['deny-iam']);
  const left: string[] = [];
  left.push(
    applied.has('revoke-sessions')
      ? kind === 'role'
        ? 'new sessions of the role (whoever may assume it still can) keep its non-IAM permissions'
        : 'new temporary credentials keep its non-IAM permissions'
      : 'running sessions keep its non-IAM permissions',
  );
  if (kind === 'user') {
    left.push(
      applied.has('deactivate-keys')
        ? 'console sign-in with its password (non-IAM permissions only)'
        : 'its access keys keep working for non-IAM calls',
    );
  }
  return `Still possible: ${left.join('; ')}. Denied in every mode: IAM, sts:AssumeRole and the bot's own topics, parameters, table and functions (as configured).`;
}
