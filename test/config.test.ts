import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  parseConfig,
  requireJobsTopic,
  requireResponderExternalId,
  requireSigningSecret,
} from '../src/config';

describe('parseConfig: the responder settings', () => {
  it('reads responders, protected principals, the jobs topic, the quarantine policy name and the signing secret', () => {
    const config = parseConfig({
      SLACK_RESPONDERS: 'U0ALICE, S0SECOPS ,W0GRID',
      PROTECTED_PRINCIPALS: 'arn:aws:iam::*:role/break-glass*,*:role/OrganizationAccountAccessRole',
      JOBS_TOPIC_ARN: 'arn:aws:sns:us-east-1:111122223333:iam-changes-jobs-prod',
      QUARANTINE_POLICY_NAME: 'acme-deny-iam',
      SLACK_SIGNING_SECRET_PARAMETER: '/iam-changes/prod/slack-signing-secret',
    });

    expect(config.slack.responders).toEqual(['U0ALICE', 'S0SECOPS', 'W0GRID']);
    expect(config.protectedPrincipals).toEqual([
      'arn:aws:iam::*:role/break-glass*',
      '*:role/OrganizationAccountAccessRole',
    ]);
    expect(requireJobsTopic(config)).toBe('arn:aws:sns:us-east-1:111122223333:iam-changes-jobs-prod');
    expect(config.quarantinePolicyName).toBe('acme-deny-iam');
    expect(requireSigningSecret(config)).toEqual({ parameter: '/iam-changes/prod/slack-signing-secret' });
  });

  it('defaults to nobody responding, nothing protected and the iam-changes-quarantine policy', () => {
    const config = parseConfig({});
    expect(config.slack.responders).toEqual([]);
    expect(config.protectedPrincipals).toEqual([]);
    expect(config.quarantinePolicyName).toBe('iam-changes-quarantine');
    expect(config.jobsTopicArn).toBeUndefined();
  });

  it('prefers a signing secret given directly (local runs)', () => {
    expect(requireSigningSecret(parseConfig({ SLACK_SIGNING_SECRET: 'abcdef0123456789' }))).toEqual({
      secret: 'abcdef0123456789',
    });
  });

  it.each([
    [
      { SLACK_RESPONDERS: 'alice' },
      'SLACK_RESPONDERS: expected Slack user ids (U…, W…) and user group ids (S…)',
    ],
    [{ PROTECTED_PRINCIPALS: 'break-glass' }, 'PROTECTED_PRINCIPALS: expected ARN globs'],
    [{ JOBS_TOPIC_ARN: 'iam-changes-jobs' }, 'JOBS_TOPIC_ARN: expected an SNS topic ARN'],
    [{ QUARANTINE_POLICY_NAME: 'no spaces' }, 'QUARANTINE_POLICY_NAME: expected an IAM policy name'],
    [
      { SLACK_SIGNING_SECRET_PARAMETER: 'secret' },
      'SLACK_SIGNING_SECRET_PARAMETER: expected an SSM parameter name',
    ],
    [{ SLACK_SIGNING_SECRET: 'short' }, 'SLACK_SIGNING_SECRET: expected the Slack app signing secret'],
  ])('names the key of a malformed value: %o', (env, words) => {
    expect(() => parseConfig(env)).toThrow(ConfigError);
    expect(() => parseConfig(env)).toThrow(words);
  });

  it('names the missing keys when the Slack function needs them', () => {
    const config = parseConfig({});
    expect(() => requireSigningSecret(config)).toThrow(
      'SLACK_SIGNING_SECRET or SLACK_SIGNING_SECRET_PARAMETER is required',
    );
    expect(() => requireJobsTopic(config)).toThrow('JOBS_TOPIC_ARN is required');
  });
});

describe('parseConfig: member accounts', () => {
  it('reads the home account, the responder role and where its external id is', () => {
    const config = parseConfig({
      HOME_ACCOUNT_ID: '111122223333',
      RESPONDER_ROLE_NAME: 'acme-iam-responder',
      RESPONDER_EXTERNAL_ID_PARAMETER: '/iam-changes/prod/responder-external-id',
    });
    expect(config.responder).toEqual({
      homeAccountId: '111122223333',
      roleName: 'acme-iam-responder',
      externalIdParameter: '/iam-changes/prod/responder-external-id',
    });
    expect(requireResponderExternalId(config)).toEqual({
      parameter: '/iam-changes/prod/responder-external-id',
    });
  });

  it('acts in one account only, as iam-changes-responder, when nothing is set', () => {
    const config = parseConfig({});
    expect(config.responder.homeAccountId).toBeUndefined();
    expect(config.responder.roleName).toBe('iam-changes-responder');
    expect(() => requireResponderExternalId(config)).toThrow(
      'RESPONDER_EXTERNAL_ID or RESPONDER_EXTERNAL_ID_PARAMETER is required to act in member accounts',
    );
  });

  it('prefers an external id given directly', () => {
    const config = parseConfig({
      RESPONDER_EXTERNAL_ID: 'a-long-shared-secret',
      RESPONDER_EXTERNAL_ID_PARAMETER: '/x',
    });
    expect(requireResponderExternalId(config)).toEqual({ externalId: 'a-long-shared-secret' });
  });

  it.each([
    [{ HOME_ACCOUNT_ID: '1234' }, 'HOME_ACCOUNT_ID: expected a 12-digit account id'],
    [{ RESPONDER_ROLE_NAME: 'role/with/slashes' }, 'RESPONDER_ROLE_NAME: expected an IAM role name'],
    [{ RESPONDER_EXTERNAL_ID: 'short' }, 'RESPONDER_EXTERNAL_ID: expected the external id'],
    [
      { RESPONDER_EXTERNAL_ID_PARAMETER: 'x' },
      'RESPONDER_EXTERNAL_ID_PARAMETER: expected an SSM parameter name',
    ],
  ])('names the key of a malformed value: %o', (env, words) => {
    expect(() => parseConfig(env)).toThrow(words);
  });
});

describe('parseConfig: the organisation settings', () => {
  it('reads the routing table parameter, the per-level channels and the Organizations role', () => {
    const config = parseConfig({
      ROUTING_TABLE_PARAMETER: '/iam-changes/prod/routing-table',
      SLACK_CHANNEL_CRITICAL: '#iam-critical',
      SLACK_CHANNEL_HIGH: 'C0HIGH',
      ORGANIZATION_ID: 'o-a1b2c3d4e5',
      ORGANIZATIONS_ROLE_ARN: 'arn:aws:iam::111111111111:role/iam-changes-directory',
    });
    expect(config.routing).toEqual({ parameter: '/iam-changes/prod/routing-table' });
    expect(config.slack.channelByLevel).toEqual({ critical: '#iam-critical', high: 'C0HIGH' });
    expect(config.accounts).toEqual({
      readOrganizations: true,
      organizationsRoleArn: 'arn:aws:iam::111111111111:role/iam-changes-directory',
    });
  });

  it('reads Organizations only for an organisation', () => {
    expect(parseConfig({}).accounts).toEqual({ readOrganizations: false });
    expect(parseConfig({ ORGANIZATION_ID: 'o-a1b2c3d4e5' }).accounts).toEqual({ readOrganizations: true });
  });

  it('validates a routing table given inline, naming the bad rule in one line', () => {
    expect(
      parseConfig({ ROUTING_TABLE: '[{"ou":"Root/Sandbox","channel":"#sandbox"}]' }).routing.table,
    ).toEqual([{ ou: ['Root/Sandbox'], channel: '#sandbox' }]);
    expect(() =>
      parseConfig({
        ROUTING_TABLE: '[{"ou":"Root/Sandbox","channel":"#ok"},{"level":"hgh","channel":"#x"}]',
      }),
    ).toThrow(
      new ConfigError(
        'invalid configuration: ROUTING_TABLE: routing rule 2: level: expected a risk level (critical, high, medium, low, info), optionally with +',
      ),
    );
  });

  it('refuses an Organizations role that is not a role ARN', () => {
    expect(() => parseConfig({ ORGANIZATIONS_ROLE_ARN: 'iam-changes-directory' })).toThrow(
      /ORGANIZATIONS_ROLE_ARN/,
    );
  });
});
