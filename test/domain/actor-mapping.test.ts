import { describe, expect, it } from 'vitest';
import { askTargetOf, globMatches, parseActorMapping } from '../../src/domain/actor-mapping';
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
      { ...base, type: 'assumed-role', sessionName: 'Jane@Example.com', ssoPermissionSet: 'Admin' } as Actor,
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
