/**
 * The vocabulary of the domain: what a normalised IAM change, its risk and its revert plan look like.
 * Everything here is plain data, safe to serialise to JSON and to store.
 */
import type { AccountFacts } from './accounts';

import type { PolicyValidation } from './policy-validation';

/** Risk levels, most severe first. */
export const RISK_LEVELS = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];

/** The tool or channel a call came from, read from the user agent and the session. */
export type Client =
  | 'console'
  | 'aws-cli'
  | 'terraform'
  | 'cloudformation'
  | 'cdk'
  | 'sdk-js'
  | 'boto3'
  | 'sdk-go'
  | 'sdk-java'
  | 'aws-internal'
  | 'other';

/** Who made a call, as CloudTrail's `userIdentity.type` means it, with SSO sessions told apart. */
export type ActorType =
  | 'root'
  | 'iam-user'
  | 'assumed-role'
  | 'sso'
  | 'federated-user'
  | 'saml-user'
  | 'web-identity-user'
  | 'aws-service'
  | 'aws-account'
  | 'identity-center-user'
  | 'unknown';

/** The caller of an IAM API call. */
export interface Actor {
  type: ActorType;
  /** The caller's ARN (`arn:aws:sts::…:assumed-role/…/session` for sessions); empty when CloudTrail gave none. */
  arn: string;
  /** A short name a person recognises: user name, `role/session`, SSO user, `root`, or the service. */
  name: string;
  accountId?: string;
  principalId?: string;
  accessKeyId?: string;
  /** For assumed roles and federation: the role (or user) that issued the session. */
  sessionIssuerArn?: string;
  sessionIssuerName?: string;
  /** The session name of an assumed role (often the person's e-mail for SSO). */
  sessionName?: string;
  /** For SSO sessions: the IAM Identity Center permission set behind the `AWSReservedSSO_…` role. */
  ssoPermissionSet?: string;
  /**
   * The IAM Identity Center user behind the session, when CloudTrail names them (`userIdentity.onBehalfOf`):
   * their user id, and the instance's id (`ssoins-…`, from `identityCenterInstanceArn`) and identity store id.
   */
  identityCenterUser?: { userId: string; instanceId?: string; identityStoreId?: string };
  /** The AWS service that made the call on the caller's behalf (`cloudformation.amazonaws.com`). */
  invokedBy?: string;
  /** Whether the session was MFA-authenticated; absent when CloudTrail does not say. */
  mfa?: boolean;
  /** True when the call came from an AWS Management Console session. */
  console: boolean;
  /** The source IP address, or the calling service's name when CloudTrail records one instead. */
  sourceIp: string;
  /** True when `sourceIp` is a service name (`cloudformation.amazonaws.com`, `AWS Internal`), not an address. */
  sourceIsService: boolean;
  userAgent: string;
  client: Client;
}

export type TargetKind = 'role' | 'user' | 'group' | 'policy' | 'account' | 'unknown';

/** What a call acted on. */
export interface Target {
  kind: TargetKind;
  /** Entity name (role, user, group) or managed policy name. */
  name: string;
  /** The entity's ARN where it can be known from the record. */
  arn?: string;
  /** The managed policy involved (attach, detach, create, delete, versions). */
  policyArn?: string;
  /** The inline policy name (Put/Delete…Policy) or managed policy name. */
  policyName?: string;
  /** The managed policy version (CreatePolicyVersion, DeletePolicyVersion, SetDefaultPolicyVersion). */
  versionId?: string;
  /** The IAM path of a created or deleted managed policy. */
  path?: string;
  /**
   * The new name of a user or group a successful `UpdateUser` / `UpdateGroup` renamed (`newUserName`,
   * `newGroupName`): `name` is the old one, which no longer exists.
   */
  newName?: string;
  /** The service a service-linked role was created for (`CreateServiceLinkedRole`). */
  service?: string;
}

/** A principal block of a trust policy statement: `"*"` or a map of principal kinds to lists. */
export type Principal = '*' | Record<string, string[]>;

/**
 * One statement, with every list-or-string field turned into a list so rules never branch on shape.
 */
export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string[];
  NotAction?: string[];
  Resource?: string[];
  NotResource?: string[];
  Principal?: Principal;
  NotPrincipal?: Principal;
  Condition?: Record<string, Record<string, string[]>>;
}

/** A parsed IAM policy document in canonical form. */
export interface PolicyDocument {
  Version?: string;
  Id?: string;
  Statement: Statement[];
}

/** What a document in a request is for. */
export type DocumentRole = 'permissions' | 'trust';

/** A policy document found in a request: parsed when it could be, with the error when not. */
export interface RequestDocument {
  role: DocumentRole;
  /** The `requestParameters` field it came from (`policyDocument`, `assumeRolePolicyDocument`). */
  field: string;
  document?: PolicyDocument;
  /** Why the text could not be read as a policy document. */
  error?: string;
}

export type Outcome = 'success' | 'failed';

/** A normalised IAM write call: the unit the bot stores, judges, renders and reverts. */
export interface Change {
  /** CloudTrail `eventID`: the identity of a change everywhere. */
  eventId: string;
  eventName: string;
  eventSource: string;
  /** ISO 8601 UTC. */
  eventTime: string;
  accountId: string;
  /** The account the call acted in (`recipientAccountId`), when it differs from the caller's. */
  recipientAccountId?: string;
  region: string;
  /** True for the 16 calls the CIS 4.4 metric filter counts. */
  cis44: boolean;
  outcome: Outcome;
  errorCode?: string;
  errorMessage?: string;
  actor: Actor;
  target: Target;
  documents: RequestDocument[];
  /** `requestParameters` as CloudTrail recorded them (null for some failed calls). */
  requestParameters: Record<string, unknown> | null;
  /** `responseElements` as CloudTrail recorded them (null for failed calls). */
  responseElements: Record<string, unknown> | null;
  /**
   * The managed policy an attach, detach or permissions-boundary call names, with its document as the bot
   * resolved it (the record carries only the ARN). Absent until resolved, and for other calls.
   */
  managedPolicy?: ManagedPolicyDocument;
}

/** Where the document of a managed policy named by a call was found: never guessed, `unknown` when nowhere. */
export type PolicyDocumentSource = 'store' | 'iam' | 'catalogue' | 'unknown';

/** What a call does with the managed policy it names. */
export type ManagedPolicyUse = 'attached' | 'detached' | 'boundary-set';

/** The document of the managed policy an attach, detach or `Put…PermissionsBoundary` names. */
export interface ManagedPolicyDocument {
  policyArn: string;
  use: ManagedPolicyUse;
  source: PolicyDocumentSource;
  /** The version the document is of, when known (IAM and the catalogue say; the store may not). */
  versionId?: string;
  /** The document; absent when `source` is `unknown`. */
  document?: PolicyDocument;
  /** Why the document is unknown, in words (`IAM: AccessDenied`, `not an AWS managed policy`). */
  unknownReason?: string;
}

/** The level of a change and why, in words. */
export interface Risk {
  level: RiskLevel;
  reasons: string[];
  /** Ids of the rules that matched, most severe first. */
  rules: string[];
  /** Set when a configured expected actor made the change and its level was lowered. */
  expectedActor?: { pattern: string; originalLevel: RiskLevel };
}

/** A before-state that only a look-up (store, CloudTrail history, IAM) can give. */
export type BeforeStateNeed = 'previous-document' | 'previous-default-version';

/** One IAM API call of a revert, with parameters in the API's own names. */
export interface RevertStep {
  action: `iam:${string}`;
  params: Record<string, string | boolean>;
}

/** How to undo a change, or why it cannot be. */
export interface RevertPlan {
  supported: boolean;
  /** The ordered calls. Values still to be looked up appear as `<previous-document>` etc. */
  steps: RevertStep[];
  /** The equivalent `aws iam …` command lines. */
  cli: string[];
  /** Before-states the plan needs before it can run; absent or empty when the plan is complete. */
  needs?: BeforeStateNeed[];
  /** Why the change cannot be reverted (when `supported` is false). */
  reason?: string;
  /** What the person running it must know (new policy id, preconditions IAM enforces). */
  notes?: string[];
}

/** A change with its judgement: what `explain` prints and what the bot stores and renders. */
export interface AssessedChange extends Change {
  risk: Risk;
  revert: RevertPlan;
  /**
   * Set when the bot's own role made the call: `recorded` when it was a step the bot recorded (a revert or a
   * quarantine, posted as a thread note), not when someone else used the role (a critical alert).
   */
  bot?: { role: 'worker' | 'responder'; recorded: boolean };
  /**
   * The account the call acted in (`accountId`) as the organisation names it, when the account directory knew
   * it at the time the change was assessed: rendered beside the id in every message.
   */
  account?: AccountFacts;
  /**
   * The account the caller acted from (`actor.accountId`) as the organisation names it, when it is another account
   * than `accountId` and the directory knew it: the alert's "Caller from account" line.
   */
  callerAccount?: AccountFacts;
  /** AWS Access Analyzer's findings on the documents the change set, or why they could not be had. */
  validation?: PolicyValidation;
  /** The check of what the changed principal can reach now; absent for changes that touch no principal. */
  escalation?: EscalationCheck;
  /** Set when an announced expectation covered it: its alert goes in the announcement's thread. */
  expected?: { id: string; message?: { channel: string; ts: string } };
  /**
   * The worker's part of the judgement (the escalation check, validation tried again), outstanding until the
   * worker has run it: `queued` from before its job is published (notify may end before publishing: every
   * delivery of the notification while it is outstanding publishes it again, and the worker's run is idempotent),
   * `not-queued` (with why) when publishing failed — the notification is then delivered again and the job queued
   * on that delivery.
   */
  followUp?: FollowUp;
}

/** Where the worker's part of a change's judgement stands (see {@link AssessedChange.followUp}). */
export type FollowUp = { state: 'queued' } | { state: 'not-queued'; reason: string };

/** One escalation path a change opened, as stored and rendered. */
export interface OpenedPath {
  /** The method's id (`pass-role-ec2`). */
  id: string;
  /** The actions it needs, as IAM names them. */
  actions: string[];
  /** How it leads to more access, in words. */
  how: string;
  /** `conditional` when resources or conditions limit it. */
  reach: 'yes' | 'conditional';
  why: string[];
}

/**
 * Where the escalation check of a change stands: `checking` while the worker reads the principal's policies,
 * `done` with the paths the change opened (and how many were open already), `unavailable` with why.
 */
export type EscalationCheck =
  | { state: 'checking' }
  | {
      state: 'done';
      /** `role ci-runner`. */
      principal: string;
      opened: OpenedPath[];
      /** Paths that were open before the change too. */
      alreadyOpen: number;
      /** What could not be read: the check may have missed paths. */
      incomplete?: string[];
    }
  | { state: 'unavailable'; reason: string };

/** A read-only or non-IAM record that was seen and set aside. */
export interface SkippedRecord {
  eventId?: string;
  eventName?: string;
  eventSource?: string;
  reason: string;
}

export type AlarmState = 'ALARM' | 'OK' | 'INSUFFICIENT_DATA';

/** A CloudWatch alarm notification, with the window of the calls that made it change state. */
export interface AlarmEvent {
  name: string;
  description?: string;
  state: AlarmState;
  previousState?: AlarmState;
  reason: string;
  accountId: string;
  /** Region code from `AlarmArn` (`us-east-1`), or undefined when the ARN is absent or a placeholder. */
  region?: string;
  /** The region's display name as the alarm message gives it ("US East (N. Virginia)"). */
  regionName?: string;
  alarmArn?: string;
  metricNamespace?: string;
  metricName?: string;
  /** Seconds. */
  period?: number;
  evaluationPeriods?: number;
  stateChangeTime: string;
  /** ISO 8601: the start of the earliest breaching period. */
  windowStart: string;
  /** ISO 8601: the end of the latest breaching period (never after the state change). */
  windowEnd: string;
  /** How the window was found. */
  windowSource: 'datapoints' | 'periods';
  /**
   * Set when the alarm is not a CIS 4.4 alarm (another alarm on a shared topic): why, in words. Such an
   * alarm is shown plainly, naming its metric, and never as IAM policy changes.
   */
  notCis44?: string;
}
