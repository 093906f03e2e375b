import { describe, expect, it } from 'vitest';
import type { Target } from '../../src/domain/types';
import {
  alarmConsoleLink,
  cloudTrailEventLink,
  iamGroupLink,
  iamPolicyLink,
  iamRoleLink,
  iamTargetLink,
  iamUserLink,
  identityCenterLink,
  isSyntheticEventId,
} from '../../src/slack/links';

describe('cloudTrailEventLink', () => {
  it('links to the event in the CloudTrail console of its region', () => {
    expect(cloudTrailEventLink('0f1e2d3c-0000-4000-8000-000000000001', 'eu-west-1')).toBe(
      'https://eu-west-1.console.aws.amazon.com/cloudtrailv2/home?region=eu-west-1#/events/0f1e2d3c-0000-4000-8000-000000000001',
    );
  });

  it('gives no link for a synthetic event id, which CloudTrail does not know', () => {
    expect(isSyntheticEventId('synthetic-00ff00ff00ff00ff')).toBe(true);
    expect(cloudTrailEventLink('synthetic-00ff00ff00ff00ff', 'us-east-1')).toBeUndefined();
  });

  it('falls back to us-east-1 when the region is not a region code', () => {
    expect(cloudTrailEventLink('abc', 'evil.example.com/x')).toBe(
      'https://us-east-1.console.aws.amazon.com/cloudtrailv2/home?region=us-east-1#/events/abc',
    );
  });

  it('encodes the event id', () => {
    expect(cloudTrailEventLink('a|b>c', 'us-east-1')).toMatch(/#\/events\/a%7Cb%3Ec$/);
  });
});

describe('IAM console links', () => {
  it('links roles, users and groups by name', () => {
    expect(iamRoleLink('ci-runner')).toBe('https://console.aws.amazon.com/iam/home#/roles/details/ci-runner');
    expect(iamUserLink('bob')).toBe('https://console.aws.amazon.com/iam/home#/users/details/bob');
    expect(iamGroupLink('admins')).toBe('https://console.aws.amazon.com/iam/home#/groups/details/admins');
  });

  it('links a managed policy by its URL-encoded ARN', () => {
    expect(iamPolicyLink('arn:aws:iam::aws:policy/AdministratorAccess')).toBe(
      'https://console.aws.amazon.com/iam/home#/policies/details/arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FAdministratorAccess',
    );
  });

  it('encodes names so a link cannot break out of Slack link syntax', () => {
    expect(iamRoleLink('<!channel>|x')).toBe(
      'https://console.aws.amazon.com/iam/home#/roles/details/%3C!channel%3E%7Cx',
    );
  });
});

describe('iamTargetLink', () => {
  it('links the entity a change acted on', () => {
    const role: Target = { kind: 'role', name: 'ops', policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' };
    expect(iamTargetLink(role)).toBe(iamRoleLink('ops'));
  });

  it('links a policy target by its ARN', () => {
    const policy: Target = {
      kind: 'policy',
      name: 'Deploy',
      policyArn: 'arn:aws:iam::111122223333:policy/Deploy',
    };
    expect(iamTargetLink(policy)).toBe(iamPolicyLink('arn:aws:iam::111122223333:policy/Deploy'));
  });

  it('gives no link for a target without a name or a page', () => {
    expect(iamTargetLink({ kind: 'role', name: '' })).toBeUndefined();
    expect(iamTargetLink({ kind: 'policy', name: 'Deploy' })).toBeUndefined();
    expect(iamTargetLink({ kind: 'unknown', name: 'x' })).toBeUndefined();
  });
});

describe('alarmConsoleLink', () => {
  it('links to the alarm in the CloudWatch console of its region', () => {
    expect(alarmConsoleLink({ name: 'CIS 4.4 IAM policy changes', region: 'us-east-1' })).toBe(
      'https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#alarmsV2:alarm/CIS%204.4%20IAM%20policy%20changes',
    );
  });

  it('gives no link when the region is unknown', () => {
    expect(alarmConsoleLink({ name: 'x' })).toBeUndefined();
  });
});

describe('identityCenterLink', () => {
  const SSO_ARN =
    'arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123456789abcdef';
  const userId = '94482488-3041-7026-18f3-be45837cd0e4';

  it("links the user's own page when CloudTrail named the user and the instance", () => {
    expect(identityCenterLink(SSO_ARN, { userId, instanceId: 'ssoins-72239c385425574d' })).toBe(
      `https://eu-west-1.console.aws.amazon.com/singlesignon/home?region=eu-west-1#!/instances/72239c385425574d/users/user-details/${userId}`,
    );
  });

  it('links the console home otherwise: no user, or no instance to address the user under', () => {
    const home = 'https://eu-west-1.console.aws.amazon.com/singlesignon/home?region=eu-west-1';
    expect(identityCenterLink(SSO_ARN)).toBe(home);
    expect(identityCenterLink(SSO_ARN, { userId })).toBe(home);
    expect(identityCenterLink(SSO_ARN, { userId, instanceId: 'ssoins-not-hex' })).toBe(home);
  });
});
