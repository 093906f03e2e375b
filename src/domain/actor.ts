import { BoundedCache } from './bounded-cache';
import type { Actor, ActorType, Client } from './types';

type JsonObject = Record<string, unknown>;

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function obj(value: unknown): JsonObject | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as JsonObject)
    : undefined;
}

const IDENTITY_TYPES: Record<string, ActorType> = {
  Root: 'root',
  IAMUser: 'iam-user',
  AssumedRole: 'assumed-role',
  FederatedUser: 'federated-user',
  SAMLUser: 'saml-user',
  WebIdentityUser: 'web-identity-user',
  AWSService: 'aws-service',
  AWSAccount: 'aws-account',
  IdentityCenterUser: 'identity-center-user',
};

/** `AWSReservedSSO_<PermissionSet>_<16 hex>` is the role IAM Identity Center creates for a permission set. */
const SSO_ROLE = /^AWSReservedSSO_(.+)_[0-9a-f]{16}$/;

/** The permission set behind an IAM Identity Center reserved role name, if it is one. */
export function ssoPermissionSet(roleName: string | undefined): string | undefined {
  return roleName ? SSO_ROLE.exec(roleName)?.[1] : undefined;
}

/** True when a source "IP address" is really a service name (`cloudformation.amazonaws.com`, `AWS Internal`). */
export function isServiceSource(source: string): boolean {
  const ipv4 = /^\d{1,3}(?:\.\d{1,3}){3}$/.test(source);
  const ipv6 = source.includes(':') && /^[0-9a-f:.]+$/i.test(source);
  return !ipv4 && !ipv6;
}

const CLIENT_PATTERNS: Array<[Client, RegExp]> = [
  ['terraform', /\bTerraform\/|terraform-provider-aws/i],
  ['cdk', /\baws-cdk\b|\bcdk\//i],
  ['cloudformation', /^cloudformation\.amazonaws\.com$|\bCloudFormation\b/i],
  ['aws-cli', /\baws-cli\//i],
  ['aws-internal', /^AWS Internal$|^aws-internal\b|^[a-z0-9-]+\.amazonaws\.com$/i],
  ['boto3', /\bBoto3\/|\bbotocore\//i],
  ['sdk-js', /\baws-sdk-js\b|\baws-sdk-nodejs\b|\baws-sdk-js-v3\b|\bmd\/nodejs\b/i],
  ['sdk-go', /\baws-sdk-go\b/i],
  ['sdk-java', /\baws-sdk-java\b/i],
];

/**
 * The AWS Management Console and the service consoles: `console.amazonaws.com`, `signin.amazonaws.com`,
 * `console.ec2.amazonaws.com`, and the consoles that name themselves in an SDK user agent —
 * `aws-internal/3 aws-sdk-java/… , AWSLambdaConsole/1.1`, `[S3Console/0.4, aws-internal/3 …]`.
 */
const CONSOLE_AGENT =
  /console\.amazonaws\.com|signin\.amazonaws\.com|console\.aws\.amazon\.com|\bconsole\.[a-z0-9-]+\.amazonaws\.com|(?:^|[\s,[(])[A-Za-z0-9-]*Console\/\d/i;

/** User agents read before: a handful of tools and versions write nearly every record of an account. */
const agentClients = new BoundedCache<string, Client | null>(512);

/**
 * The client a user agent names, or null when it names none: the console first, then the tools before the
 * SDKs they embed. A module-level bounded cache of a pure function (agents up to 1,000 characters are kept).
 */
function clientOfAgent(userAgent: string): Client | null {
  const known = agentClients.get(userAgent);
  if (known !== undefined) return known;
  let client: Client | null = CONSOLE_AGENT.test(userAgent) ? 'console' : null;
  if (!client) client = CLIENT_PATTERNS.find(([, pattern]) => pattern.test(userAgent))?.[0] ?? null;
  if (userAgent.length <= 1000) agentClients.set(userAgent, client);
  return client;
}

/**
 * The client a call came from. Terraform, CDK and the CLI are looked for before the SDKs they embed;
 * console sessions are known by CloudTrail's `sessionCredentialFromConsole` or the console's user agent.
 */
export function detectClient(userAgent: string, options: { console: boolean; invokedBy?: string }): Client {
  if (options.console) return 'console';
  const byAgent = clientOfAgent(userAgent);
  if (byAgent) return byAgent;
  if (options.invokedBy === 'cloudformation.amazonaws.com') return 'cloudformation';
  if (options.invokedBy) return 'aws-internal';
  return 'other';
}

function lastSegment(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1) || arn;
}

/** Reads the caller of a CloudTrail record from `userIdentity`, `sourceIPAddress` and `userAgent`. */
export function readActor(record: JsonObject): Actor {
  const identity = obj(record.userIdentity) ?? {};
  const rawType = str(identity.type) ?? 'Unknown';
  // Own keys only: a type of "constructor" or "__proto__" must not find Object.prototype's members.
  let type: ActorType = Object.hasOwn(IDENTITY_TYPES, rawType)
    ? (IDENTITY_TYPES[rawType] ?? 'unknown')
    : 'unknown';
  const arn = str(identity.arn) ?? '';
  const sessionContext = obj(identity.sessionContext);
  const attributes = obj(sessionContext?.attributes);
  const issuer = obj(sessionContext?.sessionIssuer);
  const invokedBy = str(identity.invokedBy);
  const sourceIp = str(record.sourceIPAddress) ?? '';
  const userAgent = str(record.userAgent) ?? '';
  const consoleSession =
    record.sessionCredentialFromConsole === 'true' || record.sessionCredentialFromConsole === true;

  const actor: Actor = {
    type,
    arn,
    name: '',
    console: consoleSession || clientOfAgent(userAgent) === 'console',
    sourceIp,
    sourceIsService: sourceIp !== '' && isServiceSource(sourceIp),
    userAgent,
    client: 'other',
  };
  const accountId = str(identity.accountId);
  if (accountId) actor.accountId = accountId;
  const principalId = str(identity.principalId);
  if (principalId) actor.principalId = principalId;
  const accessKeyId = str(identity.accessKeyId);
  if (accessKeyId) actor.accessKeyId = accessKeyId;
  if (invokedBy) actor.invokedBy = invokedBy;
  const mfa = attributes?.mfaAuthenticated;
  if (mfa === 'true' || mfa === true) actor.mfa = true;
  else if (mfa === 'false' || mfa === false) actor.mfa = false;

  const issuerArn = str(issuer?.arn);
  const issuerName = str(issuer?.userName) ?? (issuerArn ? lastSegment(issuerArn) : undefined);
  if (issuerArn) actor.sessionIssuerArn = issuerArn;
  if (issuerName) actor.sessionIssuerName = issuerName;

  switch (type) {
    case 'root':
      actor.name = 'root';
      break;
    case 'iam-user':
      actor.name = str(identity.userName) ?? (arn ? lastSegment(arn) : 'unknown user');
      break;
    case 'assumed-role': {
      // arn:aws:sts::123456789012:assumed-role/RoleName/SessionName (test fixtures sometimes omit the session).
      const parts = /:assumed-role\/([^/]+)(?:\/(.+))?$/.exec(arn);
      const roleName = issuerName ?? parts?.[1];
      const sessionName = parts?.[2];
      if (sessionName) actor.sessionName = sessionName;
      const permissionSet = ssoPermissionSet(roleName);
      if (permissionSet) {
        type = 'sso';
        actor.type = 'sso';
        actor.ssoPermissionSet = permissionSet;
        actor.name = sessionName ?? permissionSet;
      } else {
        actor.name = [roleName, sessionName].filter(Boolean).join('/') || 'unknown role';
      }
      break;
    }
    case 'federated-user':
      actor.name = arn ? lastSegment(arn) : (str(identity.userName) ?? 'unknown federated user');
      break;
    case 'aws-service':
      actor.name = invokedBy ?? 'AWS service';
      break;
    default:
      actor.name =
        str(identity.userName) ?? str(identity.principalId) ?? (arn ? lastSegment(arn) : 'unknown');
  }
  const onBehalfOf = identityCenterUserOf(obj(identity.onBehalfOf));
  if (onBehalfOf) actor.identityCenterUser = onBehalfOf;
  actor.client = detectClient(userAgent, { console: actor.console, invokedBy });
  return actor;
}

/** `ssoins-` then hex: an Identity Center instance id. */
const INSTANCE_ID = /^ssoins-[0-9a-f]{16}$/;
/** `d-` then ten characters: an identity store id. */
const IDENTITY_STORE_ID = /^d-[0-9a-z]{10}$/;
/** An Identity Center user id: a UUID, optionally prefixed with the store's id (`d-…-uuid`). */
const USER_ID = /^(?:[0-9a-f]{10}-)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The Identity Center user CloudTrail says a session acts for (`onBehalfOf`: `userId`, `identityStoreArn`,
 * `identityCenterInstanceArn`), when the ids read as Identity Center ids: they end up in a console link.
 */
function identityCenterUserOf(onBehalfOf: JsonObject | undefined): Actor['identityCenterUser'] | undefined {
  const userId = str(onBehalfOf?.userId);
  if (!userId || !USER_ID.test(userId)) return undefined;
  const user: NonNullable<Actor['identityCenterUser']> = { userId };
  const instanceId = /\/(ssoins-[0-9a-f]+)$/.exec(str(onBehalfOf?.identityCenterInstanceArn) ?? '')?.[1];
  if (instanceId && INSTANCE_ID.test(instanceId)) user.instanceId = instanceId;
  const storeId = /\/(d-[0-9a-z]+)$/.exec(str(onBehalfOf?.identityStoreArn) ?? '')?.[1];
  if (storeId && IDENTITY_STORE_ID.test(storeId)) user.identityStoreId = storeId;
  return user;
}

/** A few words on how the caller is authenticated, e.g. "assumed role ci-runner", "SSO (AdministratorAccess)". */
export function describeActorType(actor: Actor): string {
  switch (actor.type) {
    case 'root':
      return 'root user';
    case 'iam-user':
      return 'IAM user';
    case 'sso':
      return `SSO permission set ${actor.ssoPermissionSet ?? ''}`.trim();
    case 'assumed-role':
      return `assumed role ${actor.sessionIssuerName ?? ''}`.trim();
    case 'aws-service':
      return 'AWS service';
    default:
      return actor.type.replace(/-/g, ' ');
  }
}

const CLIENT_LABELS: Record<Client, string> = {
  console: 'Console',
  'aws-cli': 'AWS CLI',
  terraform: 'Terraform',
  cloudformation: 'CloudFormation',
  cdk: 'CDK',
  'sdk-js': 'AWS SDK for JavaScript',
  boto3: 'boto3',
  'sdk-go': 'AWS SDK for Go',
  'sdk-java': 'AWS SDK for Java',
  'aws-internal': 'AWS internal',
  other: 'other client',
};

/** The client's name as people write it. */
export function clientLabel(client: Client): string {
  return CLIENT_LABELS[client];
}
