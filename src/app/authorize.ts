/**
 * Who may revert and quarantine (DESIGN §3: "only configured Slack users / user groups may revert or
 * quarantine; everyone else gets an ephemeral refusal, and the attempt is audited").
 *
 * `SLACK_RESPONDERS` lists Slack user ids (`U…`, `W…`) allowed directly and user group ids (`S…`) whose members
 * are allowed. Group members are read with `usergroups.users.list` and remembered for a minute per process, so a
 * click costs no extra call and someone removed from the group loses the right within a minute. When Slack can't
 * say who is in a group the answer is no (fail closed), with the reason.
 */
import type { AuditActor, AuditLog } from './audit-port';
import type { Clock } from './ports';
import type { SlackInteractionGateway } from './slack-port';

/** The responder actions that need authorisation (acknowledging and looking need none). */
export type ResponderAction = 'revert' | 'quarantine' | 'lift-quarantine';

/** Everything only responders may do: the IAM actions, and muting alerts or lifting a mute. */
export type GuardedAction = ResponderAction | 'mute' | 'unmute' | 'expect';

/** Whether someone may respond, and why, in words for the log and the audit entry. */
export interface AuthorizationDecision {
  allowed: boolean;
  reason: string;
}

/** What the authoriser needs. */
export interface AuthorizerDependencies {
  /** `SLACK_RESPONDERS`: user ids and user group ids. */
  responders: readonly string[];
  slack: Pick<SlackInteractionGateway, 'userGroupMembers'>;
  clock: Clock;
  audit: AuditLog;
  /** How long a group's members are remembered, in seconds (60 unless set). */
  groupCacheSeconds?: number;
}

/** A user group id (`S…`); anything else on the list is a user id. */
export function isUserGroupId(id: string): boolean {
  return id.startsWith('S');
}

function message(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}

/** Decides who may revert, quarantine and lift a quarantine, and audits every refusal. */
export class ResponderAuthorizer {
  private readonly users: ReadonlySet<string>;
  private readonly groups: readonly string[];
  private readonly cacheMs: number;
  private readonly members = new Map<string, { users: ReadonlySet<string>; until: number }>();

  constructor(private readonly deps: AuthorizerDependencies) {
    this.users = new Set(deps.responders.filter((id) => !isUserGroupId(id)));
    this.groups = deps.responders.filter(isUserGroupId);
    this.cacheMs = (deps.groupCacheSeconds ?? 60) * 1000;
  }

  /** The configured responders, users and groups, as `SLACK_RESPONDERS` lists them. */
  get responders(): readonly string[] {
    return this.deps.responders;
  }

  /**
   * Whether the Slack user may revert or quarantine: listed directly, or a member of a listed user group. Never
   * throws: a group that can't be read counts as not containing the user, and the reason says so.
   */
  async canRespond(userId: string): Promise<AuthorizationDecision> {
    if (this.deps.responders.length === 0) {
      return { allowed: false, reason: 'no responders are configured (SLACK_RESPONDERS is empty)' };
    }
    if (this.users.has(userId)) return { allowed: true, reason: `${userId} is listed in SLACK_RESPONDERS` };
    const unreadable: string[] = [];
    for (const group of this.groups) {
      try {
        if ((await this.groupMembers(group)).has(userId)) {
          return { allowed: true, reason: `${userId} is a member of user group ${group}` };
        }
      } catch (error: unknown) {
        unreadable.push(`${group} (${message(error)})`);
      }
    }
    const reason =
      unreadable.length > 0
        ? `${userId} is not listed in SLACK_RESPONDERS, and the members of ${unreadable.join(', ')} could not be read`
        : `${userId} is neither listed in SLACK_RESPONDERS nor a member of a listed user group`;
    return { allowed: false, reason };
  }

  /**
   * {@link canRespond}, and on a refusal an `unauthorised` audit entry naming who tried what on which change.
   * The audit write is best effort: a refusal stands even when the log can't be written (the error is returned
   * for the caller to log).
   */
  async authorize(
    actor: AuditActor & { slackUserId: string },
    action: GuardedAction,
    eventId: string,
    stage: 'button' | 'submission' | 'worker' = 'button',
  ): Promise<AuthorizationDecision & { auditError?: string }> {
    const decision = await this.canRespond(actor.slackUserId);
    if (decision.allowed) return decision;
    try {
      await this.deps.audit.append({
        at: this.deps.clock.now().toISOString(),
        actor,
        action: 'unauthorised',
        eventId,
        result: `refused: ${decision.reason}`,
        details: { attempted: action, stage },
      });
      return decision;
    } catch (error: unknown) {
      return { ...decision, auditError: message(error) };
    }
  }

  private async groupMembers(group: string): Promise<ReadonlySet<string>> {
    const now = this.deps.clock.now().getTime();
    const cached = this.members.get(group);
    if (cached && cached.until > now) return cached.users;
    const users = new Set(await this.deps.slack.userGroupMembers(group));
    this.members.set(group, { users, until: now + this.cacheMs });
    return users;
  }
}
