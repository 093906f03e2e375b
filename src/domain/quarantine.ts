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
import { isQuarantineMode, QUARANTINE_MODES, type QuarantineMode } from './quarantine-mode';
import type { Actor, PolicyDocument, Statement } from './types';

/** The modes, in a module of their own so a job can be read without the quarantine's policy builders. */
export { isQuarantineMode, QUARANTINE_MODES, type QuarantineMode };

/** The customer managed policy the bot attaches. */
export const QUARANTINE_POLICY_NAME = 'iam-changes-quarantine';
/** Its IAM path, so the bot's own policies are easy to find and to scope its permissions to. */
export const QUARANTINE_POLICY_PATH = '/iam-changes/';
/** The description IAM keeps on each quarantine policy, naming who it fences in and for which change. */
export function quarantinePolicyDescription(
  target: string,
  eventId: string,
  keys: readonly string[] = [],
): string {
  const text = `Attached by iam-changes to ${target} for CloudTrail event ${eventId}; deleted when the quarantine is lifted`;
  // The keys the quarantine deactivates are written here, in IAM, where only IAM writers can change them: the
  // lift reactivates no key that is not named both here and in the bot's record.
  return (keys.length > 0 ? `${text}; access keys deactivated: ${keys.join(',')}` : text).slice(0, 1000);
}

/**
 * The access keys a quarantine policy's description says it deactivated for `target` (empty when the
 * description is not the bot's for that target).
 */
export function keysInDescription(description: string | undefined, target: string): string[] {
  if (!description?.startsWith(`Attached by iam-changes to ${target} for CloudTrail event `)) return [];
  const match = /; access keys deactivated: ([A-Z0-9,]+)$/.exec(description);
  return match?.[1] ? match[1].split(',').filter(Boolean) : [];
}

/**
 * The CloudTrail event a quarantine policy's description says it was attached for, fencing in `target`
 * (`undefined` when the description is not the bot's for that target). Only a claim: anyone with
 * `iam:CreatePolicy` can write such a description, so the caller checks it against the bot's own record.
 */
export function quarantineEventOf(description: string | undefined, target: string): string | undefined {
  const prefix = `Attached by iam-changes to ${target} for CloudTrail event `;
  if (!description?.startsWith(prefix)) return undefined;
  const rest = description.slice(prefix.length);
  const end = rest.indexOf(';');
  const eventId = end < 0 ? rest : rest.slice(0, end);
  return eventId.length > 0 && !/\s/.test(eventId) ? eventId : undefined;
}

/** IAM's limit on a customer managed policy document, in characters without whitespace. */
export const MANAGED_POLICY_MAX_CHARS = 6144;

/** Whether a mode can be applied to a kind of principal, and why not when it can't. */
export function modeAvailability(
  mode: QuarantineMode,
  kind: 'user' | 'role',
): { available: true } | { available: false; why: string } {
  if (mode === 'deactivate-keys' && kind === 'role') {
    return {
      available: false,
      why: 'a role has no access keys: its sessions run on temporary credentials, which revoke-sessions stops',
    };
  }
  return { available: true };
}

/**
 * The modes a quarantine applies: `deny-iam` always, then the chosen ones that fit the principal, each once and
 * in {@link QUARANTINE_MODES} order (`deactivate-keys` is dropped for a role).
 */
export function effectiveModes(
  chosen: readonly QuarantineMode[] | undefined,
  kind: 'user' | 'role',
): QuarantineMode[] {
  const wanted = new Set<QuarantineMode>(['deny-iam', ...(chosen ?? [])]);
  return QUARANTINE_MODES.filter((mode) => wanted.has(mode) && modeAvailability(mode, kind).available);
}

/**
 * What a request for `requested` modes means to a principal already quarantined with `inForce`: the modes in force
 * afterwards (`modes`, in {@link QUARANTINE_MODES} order), those the request adds (`adds`: none when it asks for the
 * same or fewer — a quarantine is never weakened by a request), and every mode that could still be added
 * (`addable`: not in force, fitting the principal).
 *
 * `keysLeftActive`: the user has an active access key the quarantine does not list as turned off (created before
 * the deny was attached, or one whose deactivation failed). `deactivate-keys` in force is then not done: it stays
 * addable, and a request for it adds it again — sweeping that key — rather than answering "already quarantined"
 * while the key works.
 */
export function modesToAdd(
  inForce: readonly QuarantineMode[],
  requested: readonly QuarantineMode[] | undefined,
  kind: 'user' | 'role',
  options: { keysLeftActive?: boolean } = {},
): { modes: QuarantineMode[]; adds: QuarantineMode[]; addable: QuarantineMode[] } {
  const held = effectiveModes(inForce, kind);
  const modes = effectiveModes([...held, ...(requested ?? [])], kind);
  const open = (mode: QuarantineMode): boolean =>
    !held.includes(mode) || (mode === 'deactivate-keys' && options.keysLeftActive === true);
  return {
    modes,
    adds: modes.filter((mode) => open(mode) && (!held.includes(mode) || requested?.includes(mode))),
    addable: QUARANTINE_MODES.filter((mode) => open(mode) && modeAvailability(mode, kind).available),
  };
}

/** The bot's own resources, which a quarantined principal may not reach whatever the mode. */
export interface BotSurface {
  /** The alerts and jobs SNS topics. */
  topicArns: string[];
  /** `arn:aws:ssm:REGION:ACCOUNT:parameter/iam-changes/STAGE/`: every parameter under it. */
  parameterArnPrefix?: string;
  /** The DynamoDB table's ARN (its indexes included). */
  tableArn?: string;
  /** `arn:aws:lambda:REGION:ACCOUNT:function:iam-changes-STAGE-`: every function (and version, alias) under it. */
  functionArnPrefix?: string;
  /**
   * Where the bot's other pieces live — `arn:PARTITION:SERVICE:REGION:ACCOUNT:` — so its EventBridge rules
   * (`rule/iam-changes-*`), dead-letter queues (`iam-changes-*`, which hold signed Slack requests) and CloudWatch
   * alarms are fenced off too.
   */
  arnParts?: { partition: string; region: string; account: string };
}

/** What a quarantine document is built from. */
export interface QuarantineDocumentOptions {
  /** The modes applied; `deny-iam` is in the document whatever this says. */
  modes?: readonly QuarantineMode[];
  /** When the quarantine started: `revoke-sessions` denies credentials issued before it. */
  at?: Date;
  /** The bot's resources to fence off. */
  surface?: BotSurface;
}

function surfaceStatements(surface: BotSurface | undefined): Statement[] {
  if (!surface) return [];
  const statements: Statement[] = [];
  if (surface.topicArns.length > 0) {
    statements.push({
      Sid: 'IamChangesQuarantineBotTopics',
      Effect: 'Deny',
      Action: [
        'sns:Publish',
        'sns:Subscribe',
        'sns:SetTopicAttributes',
        'sns:AddPermission',
        'sns:RemovePermission',
        'sns:DeleteTopic',
      ],
      Resource: [...surface.topicArns],
    });
  }
  if (surface.parameterArnPrefix) {
    statements.push({
      Sid: 'IamChangesQuarantineBotParameters',
      Effect: 'Deny',
      Action: ['ssm:GetParameter*', 'ssm:PutParameter', 'ssm:DeleteParameter*', 'ssm:LabelParameterVersion'],
      Resource: [`${surface.parameterArnPrefix}*`],
    });
  }
  if (surface.tableArn) {
    statements.push({
      Sid: 'IamChangesQuarantineBotTable',
      Effect: 'Deny',
      Action: [
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:BatchWriteItem',
        'dynamodb:PartiQLInsert',
        'dynamodb:PartiQLUpdate',
        'dynamodb:PartiQLDelete',
        'dynamodb:UpdateTable',
        'dynamodb:DeleteTable',
      ],
      Resource: [surface.tableArn, `${surface.tableArn}/*`],
    });
  }
  if (surface.functionArnPrefix) {
    statements.push({
      Sid: 'IamChangesQuarantineBotFunctions',
      Effect: 'Deny',
      Action: [
        'lambda:Update*',
        'lambda:Invoke*',
        'lambda:Add*',
        'lambda:Remove*',
        'lambda:Put*',
        'lambda:Delete*',
      ],
      Resource: [`${surface.functionArnPrefix}*`],
    });
  }
  if (surface.arnParts) {
    const { partition, region, account } = surface.arnParts;
    statements.push({
      Sid: 'IamChangesQuarantineBotPlumbing',
      Effect: 'Deny',
      Action: [
        'events:DisableRule',
        'events:DeleteRule',
        'events:PutRule',
        'events:PutTargets',
        'events:RemoveTargets',
        'sqs:ReceiveMessage',
        'sqs:DeleteMessage',
        'sqs:PurgeQueue',
        'sqs:SetQueueAttributes',
        'sqs:DeleteQueue',
        'cloudwatch:DeleteAlarms',
        'cloudwatch:DisableAlarmActions',
        'cloudwatch:PutMetricAlarm',
      ],
      Resource: [
        `arn:${partition}:events:${region}:${account}:rule/iam-changes-*`,
        `arn:${partition}:sqs:${region}:${account}:iam-changes-*`,
        `arn:${partition}:cloudwatch:${region}:${account}:alarm:*`,
      ],
    });
  }
  if (surface.topicArns.length > 0 || surface.arnParts) {
    // The trail is what the bot sees through: a quarantined principal may not blind it.
    statements.push({
      Sid: 'IamChangesQuarantineTrail',
      Effect: 'Deny',
      Action: [
        'cloudtrail:StopLogging',
        'cloudtrail:DeleteTrail',
        'cloudtrail:UpdateTrail',
        'cloudtrail:PutEventSelectors',
        'logs:DeleteMetricFilter',
        'logs:PutMetricFilter',
        'logs:DeleteLogGroup',
      ],
      Resource: ['*'],
    });
  }
  return statements;
}

/**
 * A quarantine document: `Deny` statements only, so it never grants anything.
 * - `deny-iam` (always) — `iam:*` and `sts:AssumeRole` on `*`. `iam:*` covers detaching or deleting this very
 *   policy and creating access keys, so the principal cannot lift its own quarantine through IAM;
 *   `sts:AssumeRole` stops it walking around the deny into a role that still has IAM permissions (a Deny on the
 *   caller does not follow it into the role's session).
 * - `revoke-sessions` — `Deny *` on `*` while `aws:TokenIssueTime` is before the quarantine: AWS's "revoke active
 *   sessions". Every temporary credential issued before then stops working (role sessions, console sessions,
 *   `GetSessionToken` / `GetFederationToken`). Credentials issued later, and long-term access keys (which carry
 *   no issue time), are not stopped by this statement.
 * - the bot's surface (every mode) — publishing to its topics, its SSM parameters, writing its table, changing
 *   or invoking its functions: so the principal cannot forge a job, read or replace the secrets a job is checked
 *   with, or rewrite the bot's records or code to lift itself.
 *
 * Deliberately not denied: the principal's other permissions (its workload keeps running while people look).
 */
export function quarantineDocument(options: QuarantineDocumentOptions = {}): PolicyDocument {
  const statements: Statement[] = [
    { Sid: 'IamChangesQuarantine', Effect: 'Deny', Action: ['iam:*', 'sts:AssumeRole'], Resource: ['*'] },
  ];
  if (options.modes?.includes('revoke-sessions')) {
    if (!options.at) throw new RangeError('revoke-sessions needs the time the quarantine starts');
    statements.push(revokeSessionsStatement(options.at));
  }
  statements.push(...surfaceStatements(options.surface));
  return { Version: '2012-10-17', Statement: statements };
}

function revokeSessionsStatement(at: Date): Statement {
  return {
    Sid: 'IamChangesQuarantineRevokeSessions',
    Effect: 'Deny',
    Action: ['*'],
    Resource: ['*'],
    Condition: { DateLessThan: { 'aws:TokenIssueTime': [at.toISOString()] } },
  };
}

/**
 * The inline deny a quarantine in force gets when `revoke-sessions` is added and IAM refuses a new managed deny for
 * the principal's limit on attached managed policies (an inline policy takes no such slot): the `revoke-sessions`
 * statement alone, credentials issued before `at` denied. The managed deny in force keeps everything else.
 */
export function sessionsDenyDocument(at: Date): PolicyDocument {
  return { Version: '2012-10-17', Statement: [revokeSessionsStatement(at)] };
}

/** The name of a policy from its ARN (what follows the last `/`). */
export function policyNameOf(policyArn: string): string {
  return policyArn.slice(policyArn.lastIndexOf('/') + 1);
}

/** The document's size as IAM counts it against {@link MANAGED_POLICY_MAX_CHARS} (JSON without whitespace). */
export function policySize(document: PolicyDocument): number {
  return JSON.stringify(document).length;
}

/** The ARN of a quarantine policy in an account (named {@link QUARANTINE_POLICY_NAME} unless given). */
export function quarantinePolicyArn(accountId: string, policyName = QUARANTINE_POLICY_NAME): string {
  return `arn:aws:iam::${accountId}:policy${QUARANTINE_POLICY_PATH}${policyName}`;
}

/**
 * The name of one quarantine's own policy: the configured name, a dash and up to 8 letters or digits of `id`
 * (the claim's), within IAM's 128 characters. Each quarantine has its own document (its modes, its time), so
 * its own policy, deleted when it is lifted.
 */
export function quarantinePolicyName(prefix: string, id: string): string {
  const suffix = `-${id.replace(/[^A-Za-z0-9]/g, '').slice(0, 8)}`;
  return `${prefix.slice(0, 128 - suffix.length)}${suffix}`;
}

/** True for the ARN of a policy the bot attaches as a quarantine: `/iam-changes/<prefix>` or `…/<prefix>-<id>`. */
export function isQuarantinePolicyArn(arn: string, prefix = QUARANTINE_POLICY_NAME): boolean {
  const marker = `:policy${QUARANTINE_POLICY_PATH}`;
  const at = arn.indexOf(marker);
  if (at < 0) return false;
  const name = arn.slice(at + marker.length);
  return (
    name === prefix ||
    /^[A-Za-z0-9]+$/.test(name.startsWith(`${prefix}-`) ? name.slice(prefix.length + 1) : '')
  );
}

/** Who may not be quarantined beyond the built-in refusals. */
export interface QuarantineSettings {
  /** The bot's own roles: quarantining them would stop the bot (and its ability to lift). */
  bot: BotIdentity;
  /** ARN globs of principals never to quarantine (break-glass roles, the organisation's admin role). */
  protectedPrincipals: string[];
  /** The account the bot acts in; a principal of another account is refused (its IAM is not ours to change). */
  accountId?: string;
  /**
   * The deny policies' name, {@link QUARANTINE_POLICY_NAME} unless configured (`QUARANTINE_POLICY_NAME`); each
   * quarantine's own policy is this name, a dash and an id.
   */
  policyName?: string;
  /** The bot's own resources, denied to every quarantined principal. */
  botSurface?: BotSurface;
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
