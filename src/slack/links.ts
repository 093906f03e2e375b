/**
 * Links to the AWS consoles for what a message names: the CloudTrail event, the IAM entity or policy, the
 * CloudWatch alarm. Every variable part is URL-encoded, so a link can be put in Slack's `<url|label>` form.
 */
import type { Target } from '../domain/types';

const IAM_CONSOLE = 'https://console.aws.amazon.com/iam/home';

/** A region code as AWS writes it; anything else (a display name, a placeholder) is not put in a host name. */
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d+$/;

function validRegion(region: string | undefined): string | undefined {
  return region && REGION.test(region) ? region : undefined;
}

/** True for the ids the bot makes up for records that carry no `eventID`: CloudTrail has no page for them. */
export function isSyntheticEventId(eventId: string): boolean {
  return eventId.startsWith('synthetic-');
}

/**
 * The CloudTrail console page of an event, or undefined for a synthetic id. IAM events are recorded in
 * us-east-1, which is used when the region is missing or malformed.
 */
export function cloudTrailEventLink(eventId: string, region: string | undefined): string | undefined {
  if (eventId === '' || isSyntheticEventId(eventId)) return undefined;
  const code = validRegion(region) ?? 'us-east-1';
  return `https://${code}.console.aws.amazon.com/cloudtrailv2/home?region=${code}#/events/${encodePart(eventId)}`;
}

/** The IAM console page of a role. */
export function iamRoleLink(roleName: string): string {
  return `${IAM_CONSOLE}#/roles/details/${encodePart(roleName)}`;
}

/** The IAM console page of a user. */
export function iamUserLink(userName: string): string {
  return `${IAM_CONSOLE}#/users/details/${encodePart(userName)}`;
}

/** The IAM console page of a group. */
export function iamGroupLink(groupName: string): string {
  return `${IAM_CONSOLE}#/groups/details/${encodePart(groupName)}`;
}

/** `…:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_…`: Identity Center's home region in the path. */
const SSO_ROLE_REGION = /:role\/aws-reserved\/sso\.amazonaws\.com\/([a-z0-9-]+)\/AWSReservedSSO_/;

/**
 * The IAM Identity Center console, in the instance's home region when the session's role ARN names it (the
 * `AWSReservedSSO_…` role's path does, except for instances made in us-east-1 before regions were in the path):
 * where a responder removes the permission set assignment or disables the user, since a deny policy on the
 * shared reserved role would stop everyone using that permission set.
 */
export function identityCenterLink(
  sessionIssuerArn: string | undefined,
  user?: { userId: string; instanceId?: string },
): string {
  const region = validRegion(SSO_ROLE_REGION.exec(sessionIssuerArn ?? '')?.[1]) ?? 'us-east-1';
  const home = `https://${region}.console.aws.amazon.com/singlesignon/home?region=${region}`;
  // The user's own page, when CloudTrail named the user and the instance: the console addresses users under the
  // instance (its id without `ssoins-`), not under the identity store.
  const instance = /^ssoins-([0-9a-f]{16})$/.exec(user?.instanceId ?? '')?.[1];
  if (!user || !instance) return home;
  return `${home}#!/instances/${instance}/users/user-details/${encodeURIComponent(user.userId)}`;
}

/** The IAM console page of a managed policy, which the console finds by its ARN. */
export function iamPolicyLink(policyArn: string): string {
  return `${IAM_CONSOLE}#/policies/details/${encodePart(policyArn)}`;
}

/**
 * The IAM console page of the entity a change acted on (role, user, group, or the managed policy of a policy
 * call), or undefined when the target has no name or no page.
 */
export function iamTargetLink(target: Target): string | undefined {
  switch (target.kind) {
    case 'role':
      return target.name ? iamRoleLink(target.name) : undefined;
    // A renamed user or group is linked by its new name: the page of the old one no longer exists.
    case 'user':
      return target.name ? iamUserLink(target.newName ?? target.name) : undefined;
    case 'group':
      return target.name ? iamGroupLink(target.newName ?? target.name) : undefined;
    case 'policy':
      return target.policyArn ? iamPolicyLink(target.policyArn) : undefined;
    default:
      return undefined;
  }
}

/** The CloudWatch console page of an alarm, or undefined when its region is not known. */
export function alarmConsoleLink(alarm: { name: string; region?: string }): string | undefined {
  const code = validRegion(alarm.region);
  if (!code) return undefined;
  return `https://${code}.console.aws.amazon.com/cloudwatch/home?region=${code}#alarmsV2:alarm/${encodePart(alarm.name)}`;
}

/**
 * `encodeURIComponent` of a value from an event. JSON text can carry a lone surrogate (`"\ud800"`), which
 * `encodeURIComponent` refuses; it becomes U+FFFD instead, so a link is still built.
 */
function encodePart(value: string): string {
  // Checking is a scan; making well-formed copies the string: only a string that needs it is copied.
  return encodeURIComponent(value.isWellFormed() ? value : value.toWellFormed());
}

/** `https://<team>.slack.com/archives`, so listed changes link to their alerts; undefined when unknown. */
export function permalinkBaseOf(teamDomain: string | undefined): string | undefined {
  return teamDomain && /^[a-z0-9][a-z0-9-]{0,62}$/.test(teamDomain)
    ? `https://${teamDomain}.slack.com/archives`
    : undefined;
}
