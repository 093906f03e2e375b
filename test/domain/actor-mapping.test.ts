import { describe, expect, it } from 'vitest';
import {
  ACTOR_SOURCE_EXPLAINED,
  askTargetOf,
  globMatches,
  parseActorMapping,
} from '../../src/domain/actor-mapping';
import type { Actor } from '../../src/domain/types';

const base: Actor = {
  type: 'iam-user',
  arn: 'arn:aws:iam::123456789012:user/jane',
  name: 'jane',
  console: false,
  sourceIp: '198.51.100.7',
  sourceIsService: false,
  userAgent: 'aws-cli/2',
  client: 'aws-cli',
};

/** A session of an IAM Identity Center permission set: its role lives under the path only Identity Center uses. */
const SSO: Actor = {
  ...base,
  type: 'sso',
  arn: 'arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/jane@example.com',
  name: 'jane@example.com',
  sessionName: 'jane@example.com',
  ssoPermissionSet: 'Admin',
  sessionIssuerArn:
    'arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123456789abcdef',
};

/** `aws sts assume-role --role-arn …/ci-deploy --role-session-name accomplice@corp.example`: the caller names the session. */
const CHOSEN_SESSION: Actor = {
  ...base,
  type: 'assumed-role',
  arn: 'arn:aws:sts::123456789012:assumed-role/ci-deploy/accomplice@corp.example',
  name: 'ci-deploy/accomplice@corp.example',
  sessionName: 'accomplice@corp.example',
  sessionIssuerArn: 'arn:aws:iam::123456789012:role/ci-deploy',
};

describe('askTargetOf: the caller does not choose who is asked', () => {
  it.each([
    ['a role session named after an e-mail', CHOSEN_SESSION, [], undefined],
    [
      'a role someone named like an Identity Center role, outside its reserved path',
      {
        ...CHOSEN_SESSION,
        type: 'sso',
        ssoPermissionSet: 'Admin',
        sessionIssuerArn: 'arn:aws:iam::123456789012:role/AWSReservedSSO_Admin_0123456789abcdef',
      } as Actor,
      [],
      undefined,
    ],
    [
      'a mapping rule on the session name matches nothing',
      CHOSEN_SESSION,
      [{ match: '*/accomplice@corp.example', slack: 'U0ACCOMPL' }],
      undefined,
    ],
    [
      'a mapping rule on a federated user name matches nothing',
      {
        ...base,
        type: 'federated-user',
        arn: 'arn:aws:sts::123456789012:federated-user/boss',
        name: 'boss',
        sessionIssuerArn: 'arn:aws:iam::123456789012:user/build',
      } as Actor,
      [{ match: '*federated-user/boss', slack: 'U0BOSS' }],
      undefined,
    ],
    [
      'a mapping rule on the issuing role matches',
      CHOSEN_SESSION,
      [{ match: 'arn:aws:iam::*:role/ci-deploy', slack: 'U0CIOWNER' }],
      { kind: 'user', userId: 'U0CIOWNER', source: 'mapping' },
    ],
    [
      'a mapping rule on an Identity Center user matches (AWS names the session)',
      SSO,
      [{ match: '*/jane@example.com', slack: 'U0JANE' }],
      { kind: 'user', userId: 'U0JANE', source: 'mapping' },
    ],
  ])('%s', (_name, actor, rules, expected) => {
    expect(askTargetOf(actor, rules)).toEqual(expected);
  });

  it('uses a session name outside Identity Center only when the operator turned it on, and says so', () => {
    expect(askTargetOf(CHOSEN_SESSION, [], {}, { trustSessionNames: true })).toEqual({
      kind: 'email',
      email: 'accomplice@corp.example',
      source: 'session-name',
    });
    expect(ACTOR_SOURCE_EXPLAINED['session-name']).toBe(
      'found by the session name, which the caller chooses',
    );
    expect(ACTOR_SOURCE_EXPLAINED['iam-tag']).toBe("found by the IAM user's own tag");
  });
});

describe('askTargetOf', () => {
  it.each([
    [
      'a mapping wins over tags',
      base,
      [{ match: '*:user/jane', slack: 'U0MAPPED' }],
      { slack: 'U0TAG' },
      { kind: 'user', userId: 'U0MAPPED', source: 'mapping' },
    ],
    [
      'an IAM user slack tag',
      base,
      [],
      { Slack: 'U0TAG' },
      { kind: 'user', userId: 'U0TAG', source: 'iam-tag' },
    ],
    [
      'an IAM user email tag',
      base,
      [],
      { email: 'jane@example.com' },
      { kind: 'email', email: 'jane@example.com', source: 'iam-tag' },
    ],
    ['a tag that is neither', base, [], { email: 'not an address' }, undefined],
    [
      'an SSO session e-mail',
      { ...SSO, sessionName: 'Jane@Example.com' } as Actor,
      [],
      {},
      { kind: 'email', email: 'Jane@Example.com', source: 'identity-center' },
    ],
    [
      'a role session without an e-mail',
      { ...base, type: 'assumed-role', sessionName: 'deploy-1' } as Actor,
      [],
      {},
      undefined,
    ],
    ['root, even tagged', { ...base, type: 'root' } as Actor, [], { slack: 'U0ROOT' }, undefined],
  ])('%s', (_name, actor, rules, tags, expected) => {
    expect(askTargetOf(actor, rules, tags)).toEqual(expected);
  });
});

describe('globMatches', () => {
  it.each([
    ['*', 'anything', true],
    ['arn:aws:iam::*:user/jane', 'arn:aws:iam::123456789012:user/jane', true],
    ['arn:aws:iam::*:user/jane', 'arn:aws:iam::123456789012:user/janet', false],
    ['*jane*', 'role/jane-session', true],
    ['Jane', 'jane', false],
  ])('%s ~ %s → %s', (pattern, text, expected) => {
    expect(globMatches(pattern, text)).toBe(expected);
  });
});

describe('parseActorMapping', () => {
  it('reads an object or a list of rules', () => {
    expect(parseActorMapping('{"*:user/jane":"U0JANE"}')).toEqual([
      { match: '*:user/jane', slack: 'U0JANE' },
    ]);
    expect(parseActorMapping('[{"match":"role/ci*","slack":"ops@example.com"}]')).toEqual([
      { match: 'role/ci*', slack: 'ops@example.com' },
    ]);
  });

  it.each([
    ['not json', /not JSON/],
    ['"text"', /JSON object/],
    ['{"x":"nobody"}', /neither a Slack user id/],
    ['[{"slack":"U0X"}]', /no glob/],
  ])('refuses %s in one line', (text, message) => {
    expect(() => parseActorMapping(text)).toThrow(message);
  });
});
