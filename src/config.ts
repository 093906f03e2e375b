// zod/mini: the same schemas, tree-shakable, so every Lambda bundle carries only the validators it uses.
import * as z from 'zod/mini';
import { ConfigError } from './config-error';
import type { BotIdentity } from './domain/bot-identity';
import type { BotSurface } from './domain/quarantine';
import { parseRoutingTable, type RoutingRule, RoutingTableError } from './domain/routing';
import { RISK_LEVELS, type RiskLevel } from './domain/types';

export { ConfigError } from './config-error';

function split(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

/** A comma-separated list whose every item passes `test`. */
const list = (test?: (item: string) => boolean, message = 'expected a comma-separated list') =>
  z
    .pipe(z.optional(z.string()), z.transform(split))
    .check(z.refine((items: string[]) => !test || items.every(test), message));

const flag = (fallback: boolean) =>
  z.pipe(
    z.optional(z.enum(['true', 'false', '1', '0', 'yes', 'no'], 'expected true or false')),
    z.transform((value) => (value === undefined ? fallback : ['true', '1', 'yes'].includes(value))),
  );

const positiveInt = (fallback: number) =>
  z.pipe(
    z.optional(z.string()),
    z.transform((value, ctx) => {
      if (value === undefined || value === '') return fallback;
      const number = Number(value);
      if (!Number.isInteger(number) || number <= 0) {
        ctx.issues.push({ code: 'custom', message: 'expected a positive whole number', input: value });
        return z.NEVER;
      }
      return number;
    }),
  );

const wholeNumber = (fallback: number) =>
  z.pipe(
    z.optional(z.string()),
    z.transform((value, ctx) => {
      if (value === undefined || value === '') return fallback;
      const number = Number(value);
      if (!Number.isInteger(number) || number < 0) {
        ctx.issues.push({ code: 'custom', message: 'expected a whole number, 0 or more', input: value });
        return z.NEVER;
      }
      return number;
    }),
  );

const matching = (pattern: RegExp, message: string) =>
  z.optional(z.string().check(z.regex(pattern, message)));
const url = () => z.optional(z.url('expected an http(s) URL'));

/** A Slack user (`U…`, `W…` on Enterprise Grid) or user group (`S…`) id. */
const SLACK_RESPONDER_ID = /^[UWS][A-Z0-9]{2,}$/;
const CHANNEL = /^[#@]?[\w.-]+$/;
const SSM_NAME = /^\//;

const channel = matching(CHANNEL, 'expected a Slack channel id or #name');

const schema = z.object({
  STAGE: z._default(z.string(), 'local'),
  TABLE_NAME: z._default(z.string().check(z.minLength(1)), 'iam-changes'),
  SLACK_BOT_TOKEN: matching(/^xox[a-z]-/, 'expected a Slack bot token (xoxb-…)'),
  SLACK_BOT_TOKEN_PARAMETER: matching(SSM_NAME, 'expected an SSM parameter name starting with /'),
  SLACK_API_URL: url(),
  SLACK_SIGNING_SECRET: z.optional(z.string().check(z.minLength(8, 'expected the Slack app signing secret'))),
  SLACK_SIGNING_SECRET_PARAMETER: matching(SSM_NAME, 'expected an SSM parameter name starting with /'),
  SLACK_RESPONDERS: list(
    (id) => SLACK_RESPONDER_ID.test(id),
    'expected Slack user ids (U…, W…) and user group ids (S…), comma-separated',
  ),
  SLACK_CHANNEL: z._default(
    z.string().check(z.regex(CHANNEL, 'expected a Slack channel id or #name')),
    '#iam-changes',
  ),
  SLACK_CHANNEL_CRITICAL: channel,
  SLACK_CHANNEL_HIGH: channel,
  SLACK_CHANNEL_MEDIUM: channel,
  SLACK_CHANNEL_LOW: channel,
  SLACK_CHANNEL_INFO: channel,
  SLACK_MENTION_CRITICAL: flag(true),
  EXPECTED_ACTORS: list(),
  CIS_ALARM_NAMES: list(),
  POLICY_VALIDATION: flag(true),
  ESCALATION_INLINE_MS: wholeNumber(1500),
  OTHER_ALARMS: z._default(z.enum(['post', 'skip'], 'expected post or skip'), 'post'),
  TRUSTED_ACCOUNTS: list((id) => /^\d{12}$/.test(id), 'expected 12-digit account ids'),
  BOT_WORKER_ROLE_ARN: matching(
    /^arn:aws[\w-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/,
    'expected the worker role ARN',
  ),
  MEMBER_ACCOUNTS: list((id) => /^\d{12}$/.test(id), 'expected 12-digit account ids'),
  ORGANIZATION_ID: matching(/^o-[a-z0-9]{10,32}$/, 'expected an AWS Organizations id (o-…)'),
  NOTIFY_DEAD_LETTER_QUEUE_URL: url(),
  PROTECTED_PRINCIPALS: list(
    (glob) => /^(arn:|\*)/.test(glob),
    'expected ARN globs (arn:aws:iam::*:role/break-glass*), comma-separated',
  ),
  JOBS_TOPIC_ARN: matching(/^arn:aws[\w-]*:sns:[\w-]+:\d{12}:[\w-]{1,256}$/, 'expected an SNS topic ARN'),
  ALERTS_TOPIC_ARN: matching(/^arn:aws[\w-]*:sns:[\w-]+:\d{12}:[\w-]{1,256}$/, 'expected an SNS topic ARN'),
  TABLE_ARN: matching(
    /^arn:aws[\w-]*:dynamodb:[\w-]+:\d{12}:table\/[\w.-]{3,255}$/,
    'expected a DynamoDB table ARN',
  ),
  SSM_PARAMETER_ARN_PREFIX: matching(
    /^arn:aws[\w-]*:ssm:[\w-]+:\d{12}:parameter\/[\w./-]*\/$/,
    'expected an SSM parameter ARN prefix ending in / (arn:aws:ssm:REGION:ACCOUNT:parameter/iam-changes/STAGE/)',
  ),
  FUNCTION_ARN_PREFIX: matching(
    /^arn:aws[\w-]*:lambda:[\w-]+:\d{12}:function:[\w-]+$/,
    'expected a Lambda function ARN prefix (arn:aws:lambda:REGION:ACCOUNT:function:iam-changes-STAGE-)',
  ),
  QUARANTINE_POLICY_NAME: z._default(
    z
      .string()
      .check(z.regex(/^[\w+=,.@-]{1,128}$/, 'expected an IAM policy name (letters, digits and +=,.@_-)')),
    'iam-changes-quarantine',
  ),
  BURST_WINDOW_SECONDS: positiveInt(300),
  DIGEST_LEVELS: list(
    (level) => (RISK_LEVELS as readonly string[]).includes(level),
    'expected risk levels (critical, high, medium, low, info), comma-separated',
  ),
  RETENTION_DAYS: positiveInt(400),
  CLOUDTRAIL_REGION: z._default(z.string(), 'us-east-1'),
  AWS_ENDPOINT_URL: url(),
  HOME_ACCOUNT_ID: matching(/^\d{12}$/, 'expected a 12-digit account id'),
  RESPONDER_ROLE_NAME: z._default(
    z.string().check(z.regex(/^[\w+=,.@-]{1,64}$/, 'expected an IAM role name')),
    'iam-changes-responder',
  ),
  RESPONDER_EXTERNAL_ID: z.optional(
    z.string().check(z.minLength(16, 'expected the external id of the responder role (16+ characters)')),
  ),
  RESPONDER_EXTERNAL_ID_PARAMETER: matching(SSM_NAME, 'expected an SSM parameter name starting with /'),
  ROUTING_TABLE: z.optional(z.string()),
  ROUTING_TABLE_PARAMETER: matching(SSM_NAME, 'expected an SSM parameter name starting with /'),
  ORGANIZATIONS_ROLE_ARN: matching(
    /^arn:aws[\w-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/,
    'expected the ARN of a role in the management account that may read Organizations',
  ),
  CENTRAL_EVENT_BUS_ARN: matching(
    /^arn:aws[\w-]*:events:[\w-]+:\d{12}:event-bus\/[\w.-]+$/,
    'expected the ARN of the central event bus (arn:aws:events:REGION:ACCOUNT:event-bus/NAME)',
  ),
  ALL_WRITES: flag(false),
  FORWARDING_CHECK: flag(true),
  HISTORY_BUCKET: matching(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'expected an S3 bucket name'),
  HISTORY_PREFIX: matching(/^\S*$/, 'expected an S3 key prefix without spaces'),
});

/** The bot's settings, parsed once at start. */
export interface Config {
  /**
   * The organisation trail's S3 log archive (`HISTORY_BUCKET`, `HISTORY_PREFIX`): `/iam-changes` reads it for
   * ranges older than the store. Unset: CloudTrail `LookupEvents` only.
   */
  history?: { bucket: string; prefix: string };
  stage: string;
  tableName: string;
  slack: {
    /** The bot token, when given directly (local runs, tests). */
    botToken?: string;
    /** The SSM parameter holding the bot token (deployed stages). */
    botTokenParameter?: string;
    apiUrl?: string;
    defaultChannel: string;
    channelByLevel: Partial<Record<RiskLevel, string>>;
    mentionOnCritical: boolean;
    /** The signing secret, when given directly (local runs, tests). */
    signingSecret?: string;
    /** The SSM parameter holding the signing secret (deployed stages). */
    signingSecretParameter?: string;
    /**
     * Who may revert and quarantine: Slack user ids (`U…`, `W…`) and user group ids (`S…`). Empty means nobody:
     * the buttons then refuse everyone, and say so.
     */
    responders: string[];
  };
  /** ARN globs whose changes are lowered one level and grouped, never dropped. */
  expectedActors: string[];
  /** Alarms taken as CIS 4.4 alarms by name, whatever their metric. */
  cisAlarmNames: string[];
  /** Validate new and changed documents with IAM Access Analyzer `ValidatePolicy` before posting. */
  policyValidation: boolean;
  /**
   * How long notify may spend on escalation checks itself per notification, all its changes together, before
   * leaving the rest to the worker (0: always the worker). Notify checks only changes in its own account.
   */
  escalationInlineMs: number;
  /** An alarm on the alerts topic that is not a CIS 4.4 alarm: posted plainly, naming its metric, or skipped. */
  otherAlarms: 'post' | 'skip';
  trustedAccounts: string[];
  /** Who the bot is in CloudTrail: its worker role exactly, its responder role in the organisation's accounts. */
  bot: BotIdentity;
  /** Where notify keeps a record it could not read (the notify dead-letter queue), so nothing is lost. */
  notifyDeadLetterQueueUrl?: string;
  /** ARN globs of principals never quarantined (break-glass roles, the organisation's admin role). */
  protectedPrincipals: string[];
  /** The SNS topic the Slack listeners publish slow work to (the worker's trigger). */
  jobsTopicArn?: string;
  /** The name of the deny policies the quarantine attaches (at path `/iam-changes/`), then `-<id>` for each. */
  quarantinePolicyName: string;
  /**
   * The bot's own resources, denied to every quarantined principal so it cannot forge a job or change the bot
   * to lift itself: the alerts topic (`ALERTS_TOPIC_ARN`; the jobs topic is `jobsTopicArn`), the table
   * (`TABLE_ARN`), its SSM parameters (`SSM_PARAMETER_ARN_PREFIX`) and functions (`FUNCTION_ARN_PREFIX`). Each
   * optional: what is not set is not denied (the local runtime sets none).
   */
  botSurface: {
    alertsTopicArn?: string;
    tableArn?: string;
    parameterArnPrefix?: string;
    functionArnPrefix?: string;
  };
  burstWindowSeconds: number;
  /** Levels posted only in the daily digest (`DIGEST_LEVELS`), not one by one; still stored and queryable. */
  digestLevels: RiskLevel[];
  retentionDays: number;
  cloudTrailRegion: string;
  /**
   * `AWS_ENDPOINT_URL`, when every AWS call goes to an emulator (`moto_server`). The SDK reads it by itself; the
   * bot only needs to know, to skip calls emulators lack (`TestMetricFilter`).
   */
  awsEndpointUrl?: string;
  /**
   * Member accounts of an AWS Organization: a change in another account than `homeAccountId` is read, reverted
   * and quarantined through the role `roleName` that `templates/member-account.yml` creates there, assumed with
   * the external id. Without `homeAccountId` every change is acted on with the worker's own credentials.
   */
  responder: {
    /** The account the bot runs in (`HOME_ACCOUNT_ID`, set by the stack). */
    homeAccountId?: string;
    roleName: string;
    /** The external id, when given directly (tests). */
    externalId?: string;
    /** The SSM parameter holding the external id (deployed stages). */
    externalIdParameter?: string;
  };
  /**
   * Which channel each change goes to besides the per-level channels: a table given inline (`ROUTING_TABLE`,
   * validated here) or the SSM parameter holding it (`ROUTING_TABLE_PARAMETER`, read and validated at run time).
   */
  routing: {
    table?: RoutingRule[];
    parameter?: string;
  };
  /**
   * Names and OU paths of the organisation's accounts: read from Organizations by the notify function when the
   * bot serves an organisation (`ORGANIZATION_ID`), through `organizationsRoleArn` when set (a role in the
   * management account, for a security-tooling account that is not a delegated administrator).
   */
  accounts: {
    readOrganizations: boolean;
    organizationsRoleArn?: string;
  };
  /**
   * The scheduled check of the member accounts' forwarding (`CENTRAL_EVENT_BUS_ARN`, set by the stack for an
   * organisation; `ALL_WRITES`, the stack's `allWrites`): absent when there is no central bus to forward to.
   * `checkOff` when `FORWARDING_CHECK=false` (the stack's `forwardingCheck`): the scheduled runs do nothing.
   */
  forwarding?: { centralBusArn: string; allWrites: boolean; checkOff?: boolean };
}

/**
 * Parses the environment. Throws {@link ConfigError} naming each bad key and what it expected.
 */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const cleaned = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  const values = result.data;
  let routingTable: RoutingRule[] | undefined;
  if (values.ROUTING_TABLE !== undefined) {
    try {
      routingTable = parseRoutingTable(values.ROUTING_TABLE);
    } catch (error: unknown) {
      if (!(error instanceof RoutingTableError)) throw error;
      throw new ConfigError(`invalid configuration: ROUTING_TABLE: ${error.message}`);
    }
  }
  const channelByLevel: Partial<Record<RiskLevel, string>> = {};
  for (const level of RISK_LEVELS) {
    const value = values[`SLACK_CHANNEL_${level.toUpperCase()}` as keyof typeof values];
    if (typeof value === 'string') channelByLevel[level] = value;
  }
  return {
    stage: values.STAGE,
    tableName: values.TABLE_NAME,
    slack: {
      botToken: values.SLACK_BOT_TOKEN,
      botTokenParameter: values.SLACK_BOT_TOKEN_PARAMETER,
      apiUrl: values.SLACK_API_URL,
      defaultChannel: values.SLACK_CHANNEL,
      channelByLevel,
      mentionOnCritical: values.SLACK_MENTION_CRITICAL,
      signingSecret: values.SLACK_SIGNING_SECRET,
      signingSecretParameter: values.SLACK_SIGNING_SECRET_PARAMETER,
      responders: values.SLACK_RESPONDERS,
    },
    expectedActors: values.EXPECTED_ACTORS,
    cisAlarmNames: values.CIS_ALARM_NAMES,
    policyValidation: values.POLICY_VALIDATION,
    escalationInlineMs: values.ESCALATION_INLINE_MS,
    otherAlarms: values.OTHER_ALARMS,
    trustedAccounts: values.TRUSTED_ACCOUNTS,
    bot: {
      ...(values.BOT_WORKER_ROLE_ARN ? { workerRoleArn: values.BOT_WORKER_ROLE_ARN } : {}),
      // The responder role is the bot's only where the worker may assume it: the organisation's accounts.
      ...(values.MEMBER_ACCOUNTS.length > 0 || values.ORGANIZATION_ID
        ? { responderRoleName: values.RESPONDER_ROLE_NAME }
        : {}),
      memberAccounts: values.MEMBER_ACCOUNTS,
      ...(values.ORGANIZATION_ID ? { organizationId: values.ORGANIZATION_ID } : {}),
    },
    protectedPrincipals: values.PROTECTED_PRINCIPALS,
    jobsTopicArn: values.JOBS_TOPIC_ARN,
    notifyDeadLetterQueueUrl: values.NOTIFY_DEAD_LETTER_QUEUE_URL,
    quarantinePolicyName: values.QUARANTINE_POLICY_NAME,
    botSurface: {
      alertsTopicArn: values.ALERTS_TOPIC_ARN,
      tableArn: values.TABLE_ARN,
      parameterArnPrefix: values.SSM_PARAMETER_ARN_PREFIX,
      functionArnPrefix: values.FUNCTION_ARN_PREFIX,
    },
    burstWindowSeconds: values.BURST_WINDOW_SECONDS,
    digestLevels: values.DIGEST_LEVELS as RiskLevel[],
    retentionDays: values.RETENTION_DAYS,
    cloudTrailRegion: values.CLOUDTRAIL_REGION,
    awsEndpointUrl: values.AWS_ENDPOINT_URL,
    ...(values.HISTORY_BUCKET
      ? { history: { bucket: values.HISTORY_BUCKET, prefix: values.HISTORY_PREFIX ?? '' } }
      : {}),
    responder: {
      homeAccountId: values.HOME_ACCOUNT_ID,
      roleName: values.RESPONDER_ROLE_NAME,
      externalId: values.RESPONDER_EXTERNAL_ID,
      externalIdParameter: values.RESPONDER_EXTERNAL_ID_PARAMETER,
    },
    routing: {
      ...(routingTable ? { table: routingTable } : {}),
      ...(values.ROUTING_TABLE_PARAMETER ? { parameter: values.ROUTING_TABLE_PARAMETER } : {}),
    },
    accounts: {
      readOrganizations: Boolean(values.ORGANIZATION_ID || values.ORGANIZATIONS_ROLE_ARN),
      ...(values.ORGANIZATIONS_ROLE_ARN ? { organizationsRoleArn: values.ORGANIZATIONS_ROLE_ARN } : {}),
    },
    ...(values.CENTRAL_EVENT_BUS_ARN
      ? {
          forwarding: {
            centralBusArn: values.CENTRAL_EVENT_BUS_ARN,
            allWrites: values.ALL_WRITES,
            ...(values.FORWARDING_CHECK ? {} : { checkOff: true }),
          },
        }
      : {}),
  };
}

/** Requires the Slack bot token source for functions that post. */
export function requireSlackToken(config: Config): { token: string } | { parameter: string } {
  if (config.slack.botToken) return { token: config.slack.botToken };
  if (config.slack.botTokenParameter) return { parameter: config.slack.botTokenParameter };
  throw new ConfigError('invalid configuration: SLACK_BOT_TOKEN or SLACK_BOT_TOKEN_PARAMETER is required');
}

/** Requires the Slack signing secret source for the function that receives Slack's requests. */
export function requireSigningSecret(config: Config): { secret: string } | { parameter: string } {
  if (config.slack.signingSecret) return { secret: config.slack.signingSecret };
  if (config.slack.signingSecretParameter) return { parameter: config.slack.signingSecretParameter };
  throw new ConfigError(
    'invalid configuration: SLACK_SIGNING_SECRET or SLACK_SIGNING_SECRET_PARAMETER is required',
  );
}

/** The bot's resources a quarantine denies, from the configuration: only what is set. */
export function botSurfaceOf(config: Config): BotSurface {
  const { alertsTopicArn, tableArn, parameterArnPrefix, functionArnPrefix } = config.botSurface;
  const surface: BotSurface = {
    topicArns: [alertsTopicArn, config.jobsTopicArn].filter((arn): arn is string => Boolean(arn)),
  };
  if (tableArn) surface.tableArn = tableArn;
  if (parameterArnPrefix) surface.parameterArnPrefix = parameterArnPrefix;
  if (functionArnPrefix) surface.functionArnPrefix = functionArnPrefix;
  // The topic's ARN says where the rest of the stack lives: its rules, queues and alarm.
  const where = /^arn:(aws[\w-]*):sns:([\w-]+):(\d{12}):/.exec(alertsTopicArn ?? config.jobsTopicArn ?? '');
  if (where?.[1] && where[2] && where[3]) {
    surface.arnParts = { partition: where[1], region: where[2], account: where[3] };
  }
  return surface;
}

/** Requires the jobs topic for functions that hand slow work to the worker. */
export function requireJobsTopic(config: Config): string {
  if (config.jobsTopicArn) return config.jobsTopicArn;
  throw new ConfigError('invalid configuration: JOBS_TOPIC_ARN is required');
}

/** The responder role's external id source, for a change in a member account; a clear error when none is set. */
export function requireResponderExternalId(config: Config): { externalId: string } | { parameter: string } {
  if (config.responder.externalId) return { externalId: config.responder.externalId };
  if (config.responder.externalIdParameter) return { parameter: config.responder.externalIdParameter };
  throw new ConfigError(
    'invalid configuration: RESPONDER_EXTERNAL_ID or RESPONDER_EXTERNAL_ID_PARAMETER is required to act in member accounts',
  );
}
