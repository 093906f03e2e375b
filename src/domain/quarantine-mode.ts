/** The quarantine's modes: what a responder may tick in the confirmation, and how a job names them. */

/**
 * What a quarantine does, chosen in the confirmation modal:
 * - `deny-iam` — always applied: `Deny iam:*` and `sts:AssumeRole`;
 * - `revoke-sessions` — `Deny *` for credentials issued before the quarantine (`aws:TokenIssueTime`);
 * - `deactivate-keys` — IAM users only: their active access keys are set Inactive (restored on lift).
 */
export type QuarantineMode = 'deny-iam' | 'revoke-sessions' | 'deactivate-keys';

/** Every mode, in the order they are shown and applied. */
export const QUARANTINE_MODES: readonly QuarantineMode[] = Object.freeze([
  'deny-iam',
  'revoke-sessions',
  'deactivate-keys',
]);

/** True for a known {@link QuarantineMode}. */
export function isQuarantineMode(value: unknown): value is QuarantineMode {
  return typeof value === 'string' && (QUARANTINE_MODES as readonly string[]).includes(value);
}
