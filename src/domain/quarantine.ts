/**
 * Quarantine: the deny policy the bot attaches to the principal behind a change, and which principal that is —
 * or why there is none it may touch. Pure.
 *
 * The approach follows the AWS Security Blog's "detect and automatically revoke unintended IAM access": answer
 * an unexpected IAM change by attaching an explicit Deny to the caller, which wins over every Allow it has,
 * takes effect on its very next request (existing sessions included), and is lifted by detaching one policy.
 */
import { type BotIdentity, botRoleOf } from './bot-identity';
import { wildcardMatch } from './policy';
import type { Actor, PolicyDocument } from './types';

/** The customer managed policy the bot attaches. */
export const QUARANTINE_POLICY_NAME = 'iam-changes-quarantine';
/** Its IAM path, so the bot's own policies are easy to find and to scope its permissions to. */
export const QUARANTINE_POLICY_PATH = '/iam-changes/';
/** The description IAM keeps on it. */
export const QUARANTINE_POLICY_DESCRIPTION =
  'Attached by iam-changes to the caller of an unexpected IAM change: denies IAM and role assumption until lifted';

/**
 * The quarantine document: `Deny` on `*` for
 * - `iam:*` — no more IAM changes, reads included (listing policies is how an intruder plans the next step);
 * - `sts:AssumeRole` — without it the principal walks around the deny by assuming another role that still has
 *   IAM permissions: a Deny on the caller does not follow it into the role's session. It also stops role
 *   chaining from the quarantined role's sessions.
 *
 * Deliberately not denied: everything else (the principal's workload keeps running while people look) and
 * `sts:GetFederationToken` (a federated session's permissions are bounded by its user's, so the Deny applies to
 * it anyway). Sessions of other roles assumed before the quarantine are not affected: revoke those separately.
 */
export function quarantineDocument(): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'IamChangesQuarantine',
        Effect: 'Deny',
        Action: ['iam:*', 'sts:AssumeRole'],
        Resource: ['*'],
      },
    ],
  };
}

/** The ARN of the quarantine policy in an account (named {@link QUARANTINE_POLICY_NAME} unless configured). */
export function quarantinePolicyArn(accountId: string, policyName = QUARANTINE_POLICY_NAME): string {
  return `arn:aws:iam::${accountId}:policy${QUARANTINE_POLICY_PATH}${policyName}`;
}

/**
 * The bot's own resources, denied to a quarantined principal in every mode: without this an administrator could
 * publish a job, read the Slack signing secret, rewrite the table or replace a function, and lift its own
 * quarantine that way.
 */
export interface BotSurface {
  /** The alerts and jobs topics. */
  topicArns: readonly string[];
  tableArn?: string;
  /** `arn:aws:lambda:REGION:ACCOUNT:function:iam-changes-STAGE-`: every function of the stage. */
  functionArnPrefix?: string;
  /** `arn:aws:ssm:REGION:ACCOUNT:parameter/iam-changes/STAGE/`: every parameter of the stage. */
  parameterArnPrefix?: string;
}

/** Who may not be quarantined beyond the built-in refusals. */
export interface QuarantineSettings {
  /** The bot's own roles: quarantining them would stop the bot (and its ability to lift). */
  bot: BotIdentity;
  /** ARN globs of principals never to quarantine (break-glass roles, the organisation's admin role). */
  protectedPrincipals: string[];
  /** The account the bot acts in; a principal of another account is refused (its IAM is not ours to change). */
  accountId?: string;
  /** The deny policy's name, {@link QUARANTINE_POLICY_NAME} unless configured (`QUARANTINE_POLICY_NAME`). */
  policyName?: string;
}

/** The principal to quarantine, or why none may be. */
export type QuarantineTarget =
  | { kind: 'user'; name: string; arn?: string }
  | { kind: 'role'; name: string; arn?: string }
  | { refused: string };

const SSO_ROLE = /^AWSReservedSSO_/;

function lastSegment(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}

function matching(globs: string[], arns: string[]): string | undefined {
  return globs.find((glob) => arns.some((arn) => wildcardMatch(glob, arn)));
}

/** The IAM user or role behind an actor, before the protection checks. */
function principalOf(actor: Actor): QuarantineTarget {
  switch (actor.type) {
    case 'root':
      return { refused: "the root user can't be quarantined by policy: secure the root credentials" };
    case 'sso':
    case 'identity-center-user':
      return {
        refused: `${actor.name} signed in through IAM Identity Center${actor.ssoPermissionSet ? ` (permission set ${actor.ssoPermissionSet})` : ''}: revoke the permission set in IAM Identity Center instead`,
      };
    case 'aws-service':
      return {
        refused: `${actor.invokedBy ?? actor.name} is an AWS service: quarantine the principal that asked it to act instead`,
      };
    case 'iam-user': {
      const name = actor.name || lastSegment(actor.arn);
      if (!name) return { refused: 'the record does not name the IAM user' };
      return actor.arn ? { kind: 'user', name, arn: actor.arn } : { kind: 'user', name };
    }
    case 'assumed-role': {
      const name =
        actor.sessionIssuerName ?? /:assumed-role\/([^/]+)/.exec(actor.arn)?.[1] ?? lastSegment(actor.arn);
      if (!name) return { refused: 'the record does not name the role behind the session' };
      if (SSO_ROLE.test(name)) {
        return {
          refused: `${name} is an IAM Identity Center role: revoke the permission set in IAM Identity Center instead`,
        };
      }
      return actor.sessionIssuerArn
        ? { kind: 'role', name, arn: actor.sessionIssuerArn }
        : { kind: 'role', name };
    }
    case 'federated-user': {
      // GetFederationToken sessions: the issuing IAM user bounds them, so quarantining it stops them too.
      const issuer = actor.sessionIssuerArn;
      if (issuer && /:user\//.test(issuer)) {
        return { kind: 'user', name: actor.sessionIssuerName ?? lastSegment(issuer), arn: issuer };
      }
      if (issuer && /:role\//.test(issuer)) {
        return { kind: 'role', name: actor.sessionIssuerName ?? lastSegment(issuer), arn: issuer };
      }
      return {
        refused: `${actor.name} is a federated user with no IAM user or role behind it that the bot could attach a policy to`,
      };
    }
    default:
      return {
        refused: `a ${actor.type} caller has no IAM user or role the bot could attach a policy to`,
      };
  }
}

/**
 * The principal to quarantine for a change's caller: an IAM user is quarantined itself; an assumed-role session
 * through the role that issued it (a Deny on the role covers all its sessions). Refused, with the reason and what
 * to do instead: the root user, IAM Identity Center (SSO) sessions and roles, AWS services, federated users
 * without a role or user behind them, principals of another account, the bot's own roles, and configured
 * protected principals.
 */
export function quarantineTarget(actor: Actor, settings: QuarantineSettings): QuarantineTarget {
  const target = principalOf(actor);
  if ('refused' in target) return target;
  const account = actor.accountId ?? /^arn:aws[\w-]*:(?:iam|sts)::(\d{12}):/.exec(actor.arn)?.[1];
  if (settings.accountId && account && account !== settings.accountId) {
    return {
      refused: `${target.kind} ${target.name} is in account ${account}, not ${settings.accountId}: quarantine it from that account`,
    };
  }
  const arns = [actor.arn, actor.sessionIssuerArn, target.arn].filter((arn): arn is string => Boolean(arn));
  const bot =
    botRoleOf(actor, settings.bot) ?? (target.arn ? botRoleOf({ arn: target.arn }, settings.bot) : undefined);
  if (bot) {
    return {
      refused: `${target.kind} ${target.name} is the bot's own role (its ${bot} role): quarantining it would stop the bot`,
    };
  }
  const protectedBy = matching(settings.protectedPrincipals, arns);
  if (protectedBy) {
    return { refused: `${target.kind} ${target.name} is a protected principal (${protectedBy})` };
  }
  return target;
}
