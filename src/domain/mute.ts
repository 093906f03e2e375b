/**
 * Mutes: a responder quiets changes similar to one alert for a while, without losing them. A muted change is
 * still stored, counted and answered by queries; it only does not post. Pure: the caller passes `now`.
 *
 * A critical change is never muted by a mute made from a lower alert, nor by one that does not say, in so many
 * words, that it includes critical changes (`includesCritical`, offered only on a critical alert).
 */

import type { AccountFacts } from './accounts';
import { resourceOf } from './resources';
import type { Actor, Change, RiskLevel } from './types';

/** What a mute matches: the same actor, the same actor and event name, or the same resource. */
export type MuteScope = 'actor' | 'actor-event' | 'resource';

/** The scopes in the order the modal offers them. */
export const MUTE_SCOPES: readonly MuteScope[] = ['actor', 'actor-event', 'resource'];

/** The durations a mute may last, by the label the modal shows. */
export const MUTE_DURATIONS = Object.freeze({ '1h': 1, '8h': 8, '24h': 24, '7d': 168 } as const);

/** One of the offered durations. */
export type MuteDuration = keyof typeof MUTE_DURATIONS;

/** What a mute matches on, taken from the alert it was made from. */
export interface MuteMatch {
  scope: MuteScope;
  /** The actor's key ({@link actorKeyOf}) for `actor` and `actor-event`. */
  actorKey?: string;
  /** A name for people: the actor's short name. */
  actorName?: string;
  eventName?: string;
  /** `role/ci-runner`, `policy/arn:…` ({@link resourceOf}) for `resource`. */
  resource?: string;
  /** The account the alert's change was made in: a mute is for that account only. */
  accountId?: string;
  /** That account's name in the organisation when the mute was made (for people; never matched on). */
  accountName?: string;
}

/** A mute as it is stored. */
export interface Mute extends MuteMatch {
  id: string;
  reason: string;
  /** Who made it (Slack user id and name). */
  createdBy: { slackUserId: string; name: string };
  createdAt: string;
  /** ISO time it stops applying; checked when read, whatever the store's TTL does. */
  expiresAt: string;
  /** True only when made from a critical alert by someone who ticked "includes critical". */
  includesCritical: boolean;
  /** The alert it was made from. */
  fromEventId: string;
}

/**
 * The key that stays the same across one principal's sessions: an IAM Identity Center session by its ARN (the
 * session name is the person); any other assumed role by the role that issued it (its session names change per
 * run); anyone else by their ARN, or name when CloudTrail gave no ARN.
 */
export function actorKeyOf(actor: Actor): string {
  if (actor.ssoPermissionSet && actor.arn) return actor.arn;
  return actor.sessionIssuerArn || actor.arn || actor.name;
}

/** What a mute of `scope` made from `change` matches (with its account's name, when the change carries it). */
export function muteMatchOf(change: Change & { account?: AccountFacts }, scope: MuteScope): MuteMatch {
  const name = change.account?.id === change.accountId ? change.account?.name : undefined;
  const account = change.accountId
    ? { accountId: change.accountId, ...(name ? { accountName: name } : {}) }
    : {};
  if (scope === 'resource') return { scope, resource: resourceOf(change), ...account };
  const actor = { actorKey: actorKeyOf(change.actor), actorName: change.actor.name };
  if (scope === 'actor') return { scope, ...actor, ...account };
  return { scope, ...actor, eventName: change.eventName, ...account };
}

/** True while the mute applies at `now`. */
export function isActive(mute: Pick<Mute, 'expiresAt'>, now: Date): boolean {
  const until = Date.parse(mute.expiresAt);
  return !Number.isNaN(until) && until > now.getTime();
}

/** True when the mute's match covers the change (scope, account), regardless of time and level. */
export function matchesChange(mute: MuteMatch, change: Change): boolean {
  if (mute.accountId && change.accountId && mute.accountId !== change.accountId) return false;
  switch (mute.scope) {
    case 'resource':
      return mute.resource === resourceOf(change);
    case 'actor':
      return mute.actorKey === actorKeyOf(change.actor);
    case 'actor-event':
      return mute.actorKey === actorKeyOf(change.actor) && mute.eventName === change.eventName;
  }
}

/**
 * The active mute that silences a change of `level`, if any: matching, not expired, and — for a critical
 * change — one that explicitly includes critical changes.
 */
export function muteFor(
  mutes: readonly Mute[],
  change: Change,
  level: RiskLevel,
  now: Date,
): Mute | undefined {
  return mutes.find(
    (mute) =>
      isActive(mute, now) && matchesChange(mute, change) && (level !== 'critical' || mute.includesCritical),
  );
}

/** Why a mute can't be made as asked; the text is shown to the person as it is. */
export class MuteRequestError extends Error {
  override name = 'MuteRequestError';
}

/** A request to mute, as the modal's fields give it. */
export interface MuteRequest {
  scope: string;
  duration: string;
  reason: string;
  includesCritical: boolean;
}

/**
 * Checks a mute request against the alert it was made from and returns the mute to store. Throws
 * {@link MuteRequestError} for an unknown scope or duration, an empty reason, or "includes critical" on a change
 * that is not critical.
 */
export function planMute(
  change: Change & { risk: { level: RiskLevel }; account?: AccountFacts },
  request: MuteRequest,
  made: { id: string; by: { slackUserId: string; name: string }; now: Date },
): Mute {
  if (!(MUTE_SCOPES as readonly string[]).includes(request.scope)) {
    throw new MuteRequestError(`unknown mute scope "${request.scope}"`);
  }
  if (!Object.hasOwn(MUTE_DURATIONS, request.duration)) {
    throw new MuteRequestError(`a mute lasts ${Object.keys(MUTE_DURATIONS).join(', ')}`);
  }
  const reason = request.reason.trim();
  if (reason.length === 0) throw new MuteRequestError('say why these changes may stay quiet');
  if (request.includesCritical && change.risk.level !== 'critical') {
    throw new MuteRequestError('only a mute made from a critical alert may include critical changes');
  }
  const hours = MUTE_DURATIONS[request.duration as MuteDuration];
  return {
    id: made.id,
    ...muteMatchOf(change, request.scope as MuteScope),
    reason: reason.slice(0, 500),
    createdBy: made.by,
    createdAt: made.now.toISOString(),
    expiresAt: new Date(made.now.getTime() + hours * 3_600_000).toISOString(),
    includesCritical: request.includesCritical,
    fromEventId: change.eventId,
  };
}
