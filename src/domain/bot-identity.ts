/**
 * The bot recognised exactly (DESIGN §9). Its own IAM calls come back as CloudTrail events; they are a quiet note
 * under the original alert only when they are the bot's *and* a step it recorded. "The bot's" means exactly the
 * worker's role, or the responder role in an account of the organisation — never a role that merely has the
 * same name. A call by those roles that matches no recorded step is critical: whoever holds the bot's role is
 * doing something the bot did not do.
 */
import { canonicalJson } from './confirmation';
import type { Actor, AssessedChange, RevertStep } from './types';

/** Who the bot is in CloudTrail. */
export interface BotIdentity {
  /** The worker's role ARN, exactly as IAM names it (`arn:aws:iam::111122223333:role/iam-changes-worker-prod`). */
  workerRoleArn?: string;
  /** The role the worker assumes in member accounts (`iam-changes-responder`). */
  responderRoleName?: string;
  /** The accounts the responder role is the bot's in. */
  memberAccounts: readonly string[];
  /**
   * The organisation (`o-…`) the responder role is the bot's in. With it and no account list, the responder role
   * in any account is taken as the bot's, and only its recorded steps keep it quiet: CloudTrail's records do not
   * name the caller's organisation.
   */
  organizationId?: string;
}

/** The bot's role behind a call: its worker, or its responder in a member account. */
export type BotRole = 'worker' | 'responder';

const ROLE_ARN = /^arn:aws[\w-]*:iam::(\d{12}):role\/(?:.*\/)?([\w+=,.@-]+)$/;
const SESSION_ARN = /^arn:aws[\w-]*:sts::(\d{12}):assumed-role\/([\w+=,.@-]+)\/[^/]+$/;

/** The role ARN behind a caller (the session's issuer), with its account and name; undefined for anything else. */
function callerRole(actor: Pick<Actor, 'arn' | 'sessionIssuerArn'>):
  | {
      arn?: string;
      account: string;
      name: string;
    }
  | undefined {
  const issuer = actor.sessionIssuerArn ? ROLE_ARN.exec(actor.sessionIssuerArn) : null;
  if (issuer?.[1] && issuer[2]) return { arn: actor.sessionIssuerArn, account: issuer[1], name: issuer[2] };
  const session = SESSION_ARN.exec(actor.arn);
  if (session?.[1] && session[2]) return { account: session[1], name: session[2] };
  const role = ROLE_ARN.exec(actor.arn);
  if (role?.[1] && role[2]) return { arn: actor.arn, account: role[1], name: role[2] };
  return undefined;
}

/**
 * Which of the bot's roles made a call, if any: the worker's role when the caller's role is exactly it (by ARN,
 * or by account and name when CloudTrail gives only the session's ARN); the responder role when the role has its
 * name in a member account (any account of the organisation when only the organisation id is configured).
 */
export function botRoleOf(
  actor: Pick<Actor, 'arn' | 'sessionIssuerArn'>,
  bot: BotIdentity,
): BotRole | undefined {
  const role = callerRole(actor);
  if (!role) return undefined;
  if (bot.workerRoleArn) {
    const worker = ROLE_ARN.exec(bot.workerRoleArn);
    const exact = role.arn !== undefined && role.arn === bot.workerRoleArn;
    const byName = role.arn === undefined && worker?.[1] === role.account && worker[2] === role.name;
    if (exact || byName) return 'worker';
  }
  if (bot.responderRoleName && role.name === bot.responderRoleName) {
    if (bot.memberAccounts.length > 0)
      return bot.memberAccounts.includes(role.account) ? 'responder' : undefined;
    if (bot.organizationId) return 'responder';
  }
  return undefined;
}

/** The identifying request parameters of an IAM call, as CloudTrail names them (lower camel case). */
const IDENTIFYING = [
  'roleName',
  'userName',
  'groupName',
  'policyArn',
  'policyName',
  'versionId',
  'accessKeyId',
];

/** A document's text in one canonical form: parsed (URL-decoded if need be), keys sorted; the raw text otherwise. */
function canonicalDocument(value: unknown): string {
  if (typeof value !== 'string') return canonicalJson(value);
  for (const text of [value, safeDecode(value)]) {
    try {
      return canonicalJson(JSON.parse(text));
    } catch {
      // Not JSON as it is: try the next form.
    }
  }
  return value;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * The key of one IAM call the bot makes or sees: its event name, the parameters that say what it acted on,
 * whether a new version becomes the default, and a digest (`digest`) of the document it writes — whatever the
 * parameters' case (`RoleName` in an API call, `roleName` in CloudTrail) or the document's formatting. So a step
 * speaks only for the very call the bot made, not for another document under the same name.
 */
export function callKey(
  eventName: string,
  params: Record<string, unknown> | null | undefined,
  digest?: (text: string) => string,
): string {
  const byLower = new Map<string, unknown>();
  for (const [name, value] of Object.entries(params ?? {})) byLower.set(name.toLowerCase(), value);
  const parts = IDENTIFYING.flatMap((name) => {
    const value = byLower.get(name.toLowerCase());
    return typeof value === 'string' && value !== '' ? [`${name}=${value}`] : [];
  });
  const setAsDefault = byLower.get('setasdefault');
  if (typeof setAsDefault === 'boolean' || setAsDefault === 'true' || setAsDefault === 'false') {
    parts.push(`setAsDefault=${String(setAsDefault)}`);
  }
  const document = byLower.get('policydocument');
  if (digest && document !== undefined && document !== null)
    parts.push(`document=${digest(canonicalDocument(document))}`);
  return [eventName, ...parts].join('|');
}

/** The key of a revert step (`iam:AttachRolePolicy` with `RoleName`, `PolicyArn`): the call CloudTrail will show. */
export function stepKey(step: RevertStep, digest?: (text: string) => string): string {
  return callKey(step.action.replace(/^iam:/, ''), step.params, digest);
}

/**
 * A change by the bot's role that the bot did not record: critical, whatever it did, and said first among the
 * reasons.
 */
export function unrecordedBotChange(change: AssessedChange, role: BotRole): AssessedChange {
  const which = role === 'worker' ? 'its worker role' : 'its responder role in a member account';
  return {
    ...change,
    bot: { role, recorded: false },
    risk: {
      ...change.risk,
      level: 'critical',
      reasons: [
        `the bot's role made a change it did not record (${which}): someone else is using it`,
        ...change.risk.reasons,
      ],
      rules: ['bot-role-unrecorded-change', ...change.risk.rules],
    },
  };
}
