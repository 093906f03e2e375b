import { describe, expect, it } from 'vitest';
import {
  type BotIdentity,
  botRoleOf,
  callKey,
  stepKey,
  unrecordedBotChange,
} from '../../src/domain/bot-identity';
import { normaliseRecord } from '../../src/domain/change';
import { assessChange } from '../../src/domain/explain';
import { cloudTrailRecord } from '../support/cloudtrail';

const HOME = '111122223333';
const MEMBER = '444455556666';
const OUTSIDER = '999999999999';
const WORKER = `arn:aws:iam::${HOME}:role/iam-changes-worker-prod`;

const IN_ACCOUNTS: BotIdentity = {
  workerRoleArn: WORKER,
  responderRoleName: 'iam-changes-responder',
  memberAccounts: [MEMBER],
};
const IN_ORGANIZATION: BotIdentity = {
  workerRoleArn: WORKER,
  responderRoleName: 'iam-changes-responder',
  memberAccounts: [],
  organizationId: 'o-a1b2c3d4e5',
};
const WORKER_ONLY: BotIdentity = { workerRoleArn: WORKER, memberAccounts: [] };

function session(account: string, role: string, path = '/') {
  return {
    arn: `arn:aws:sts::${account}:assumed-role/${role}/iam-changes-worker`,
    sessionIssuerArn: `arn:aws:iam::${account}:role${path}${role}`,
  };
}

describe('botRoleOf', () => {
  it.each([
    ["the worker's own session", session(HOME, 'iam-changes-worker-prod'), IN_ACCOUNTS, 'worker'],
    [
      'the worker by its session ARN alone',
      { arn: `arn:aws:sts::${HOME}:assumed-role/iam-changes-worker-prod/s` },
      IN_ACCOUNTS,
      'worker',
    ],
    [
      'a role with the same name in another account',
      session(OUTSIDER, 'iam-changes-worker-prod'),
      IN_ACCOUNTS,
      undefined,
    ],
    [
      'a role with the same name under another path',
      session(HOME, 'iam-changes-worker-prod', '/x/'),
      IN_ACCOUNTS,
      undefined,
    ],
    [
      'a role whose name starts like the worker',
      session(HOME, 'iam-changes-worker-prod-2'),
      IN_ACCOUNTS,
      undefined,
    ],
    ['the responder in a member account', session(MEMBER, 'iam-changes-responder'), IN_ACCOUNTS, 'responder'],
    [
      'the responder name outside the member accounts',
      session(OUTSIDER, 'iam-changes-responder'),
      IN_ACCOUNTS,
      undefined,
    ],
    [
      'the responder name anywhere with only an organisation',
      session(OUTSIDER, 'iam-changes-responder'),
      IN_ORGANIZATION,
      'responder',
    ],
    [
      'the responder name with no organisation configured',
      session(MEMBER, 'iam-changes-responder'),
      WORKER_ONLY,
      undefined,
    ],
    [
      'an IAM user named like the worker',
      { arn: `arn:aws:iam::${HOME}:user/iam-changes-worker-prod` },
      IN_ACCOUNTS,
      undefined,
    ],
    ['nothing configured', session(HOME, 'iam-changes-worker-prod'), { memberAccounts: [] }, undefined],
  ] as const)('%s', (_name, actor, bot, expected) => {
    expect(botRoleOf(actor, bot)).toBe(expected);
  });

  it("matches the worker's path-qualified ARN exactly", () => {
    const withPath: BotIdentity = {
      workerRoleArn: `arn:aws:iam::${HOME}:role/service-role/w`,
      memberAccounts: [],
    };
    expect(botRoleOf(session(HOME, 'w', '/service-role/'), withPath)).toBe('worker');
    expect(botRoleOf(session(HOME, 'w', '/other/'), withPath)).toBeUndefined();
  });
});

describe('callKey and stepKey', () => {
  it.each([
    [
      'an attach, whatever the case of the parameter names',
      stepKey({ action: 'iam:AttachRolePolicy', params: { RoleName: 'r', PolicyArn: 'p' } }),
      callKey('AttachRolePolicy', { roleName: 'r', policyArn: 'p' }),
    ],
    [
      'an inline policy, whatever its document',
      stepKey({
        action: 'iam:PutUserPolicy',
        params: { UserName: 'u', PolicyName: 'n', PolicyDocument: '{}' },
      }),
      callKey('PutUserPolicy', {
        userName: 'u',
        policyName: 'n',
        policyDocument: '{"Version":"2012-10-17"}',
      }),
    ],
  ])('keys %s the same way', (_name, step, call) => {
    expect(step).toBe(call);
  });

  it.each([
    ['another role', callKey('AttachRolePolicy', { roleName: 'r2', policyArn: 'p' })],
    ['another policy', callKey('AttachRolePolicy', { roleName: 'r', policyArn: 'p2' })],
    ['another call', callKey('DetachRolePolicy', { roleName: 'r', policyArn: 'p' })],
  ])('tells %s apart', (_name, other) => {
    expect(callKey('AttachRolePolicy', { roleName: 'r', policyArn: 'p' })).not.toBe(other);
  });
});

describe('unrecordedBotChange', () => {
  it('makes any change critical and says first that the bot did not record it', () => {
    const normalised = normaliseRecord(
      cloudTrailRecord('DetachRolePolicy', {
        roleName: 'r',
        policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
      }),
    );
    if (!('change' in normalised)) throw new Error('not a change');
    const assessed = assessChange(normalised.change, { expectedActors: [], trustedAccounts: [] });

    const judged = unrecordedBotChange(assessed, 'worker');

    expect(assessed.risk.level).not.toBe('critical');
    expect(judged.risk.level).toBe('critical');
    expect(judged.risk.reasons[0]).toContain("the bot's role made a change it did not record");
    expect(judged.risk.rules[0]).toBe('bot-role-unrecorded-change');
    expect(judged.bot).toEqual({ role: 'worker', recorded: false });
  });
});

describe('callKey with a document digest', () => {
  const digest = (text: string) => `#${text.length}:${text}`;
  const doc = {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
  };

  it('keys the step the worker sends and the call CloudTrail shows the same, however the document is formatted', () => {
    const sent = stepKey(
      {
        action: 'iam:PutRolePolicy',
        params: { RoleName: 'r', PolicyName: 'p', PolicyDocument: JSON.stringify(doc) },
      },
      digest,
    );
    const seen = callKey(
      'PutRolePolicy',
      { roleName: 'r', policyName: 'p', policyDocument: JSON.stringify(doc, null, 2) },
      digest,
    );
    expect(seen).toBe(sent);
    expect(
      callKey(
        'PutRolePolicy',
        { roleName: 'r', policyName: 'p', policyDocument: encodeURIComponent(JSON.stringify(doc)) },
        digest,
      ),
    ).toBe(sent);
  });

  it('tells another document, or another default, apart', () => {
    const mine = callKey(
      'PutRolePolicy',
      { roleName: 'r', policyName: 'p', policyDocument: JSON.stringify(doc) },
      digest,
    );
    const wider = { ...doc, Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
    expect(
      callKey(
        'PutRolePolicy',
        { roleName: 'r', policyName: 'p', policyDocument: JSON.stringify(wider) },
        digest,
      ),
    ).not.toBe(mine);
    expect(callKey('CreatePolicyVersion', { policyArn: 'a', setAsDefault: true }, digest)).not.toBe(
      callKey('CreatePolicyVersion', { policyArn: 'a', setAsDefault: false }, digest),
    );
  });
});
