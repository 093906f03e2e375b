/**
 * The member accounts' forwarding of IAM changes to the central bus (`templates/member-account.yml`), watched: a
 * call that stops or bends it — deleting or disabling the rule `iam-changes-forward`, removing its target, or
 * rewriting its pattern, state or target (`PutRule`, `PutTargets`) — is recorded by CloudTrail like any other and
 * forwarded, before the rule goes, by the rule itself and by its watch rule `iam-changes-forward-watch`. Pure: a
 * CloudTrail record in, the fact out.
 */
import type { CloudTrailRecord } from './input';

/** The forwarding rule's name in every member account, and the rule that watches it. */
export const FORWARDING_RULE = 'iam-changes-forward';
export const FORWARDING_WATCH_RULE = 'iam-changes-forward-watch';

/**
 * The EventBridge calls that stop a rule from forwarding, or rewrite it: `PutRule` can disable it or narrow its
 * pattern (hiding one caller's changes only), `PutTargets` can aim its target elsewhere.
 */
export const FORWARDING_STOP_EVENTS = [
  'DeleteRule',
  'DisableRule',
  'RemoveTargets',
  'PutRule',
  'PutTargets',
] as const;

/** A call that stopped (or, when it failed, tried to stop) a member account's forwarding. */
export interface ForwardingStop {
  eventId: string;
  eventName: (typeof FORWARDING_STOP_EVENTS)[number];
  /** The rule it acted on: the forwarding rule or its watch rule. */
  ruleName: string;
  /** The account whose forwarding it is (CloudTrail's `recipientAccountId`). */
  accountId: string;
  /** Who called: the ARN, else the principal id, else `unknown`. */
  caller: string;
  eventTime: string;
  /** Set when the call failed (`AccessDenied`): an attempt, forwarding goes on. */
  errorCode?: string;
  /**
   * True when the call rewrote the rule rather than stopped it (`PutRule` leaving it enabled, `PutTargets`):
   * forwarding may go on, narrowed or elsewhere. A redeploy of the member template does this too.
   */
  rewrite?: boolean;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * The stop a record is, or `undefined` for any other record: an `events.amazonaws.com` call among
 * {@link FORWARDING_STOP_EVENTS} naming {@link FORWARDING_RULE} or {@link FORWARDING_WATCH_RULE} (DeleteRule,
 * DisableRule and PutRule name the rule `name`, RemoveTargets and PutTargets `rule`) on the account's default bus.
 */
export function forwardingStopOf(record: CloudTrailRecord): ForwardingStop | undefined {
  if (record.eventSource !== 'events.amazonaws.com') return undefined;
  const eventName = FORWARDING_STOP_EVENTS.find((name) => name === record.eventName);
  if (!eventName) return undefined;
  const request = (record.requestParameters ?? {}) as Record<string, unknown>;
  const ruleName = text(request.name) ?? text(request.rule);
  if (ruleName !== FORWARDING_RULE && ruleName !== FORWARDING_WATCH_RULE) return undefined;
  const bus = text(request.eventBusName);
  if (bus !== undefined && bus !== 'default' && !bus.endsWith(':event-bus/default')) return undefined;
  const identity = (record.userIdentity ?? {}) as Record<string, unknown>;
  const accountId = text(record.recipientAccountId) ?? text(identity.accountId) ?? 'unknown';
  // A bus named by ARN must be the account's own: a call on another account's bus says nothing of this one.
  if (bus?.startsWith('arn:') && bus.split(':')[4] !== accountId) return undefined;
  const stop: ForwardingStop = {
    eventId: text(record.eventID) ?? `${eventName}:${accountId}:${String(record.eventTime)}`,
    eventName,
    ruleName,
    accountId,
    caller: text(identity.arn) ?? text(identity.principalId) ?? 'unknown',
    eventTime: text(record.eventTime) ?? '',
  };
  const errorCode = text(record.errorCode);
  if (errorCode) stop.errorCode = errorCode;
  const disables = eventName === 'PutRule' && text(request.state)?.toUpperCase() === 'DISABLED';
  if ((eventName === 'PutRule' && !disables) || eventName === 'PutTargets') stop.rewrite = true;
  return stop;
}
