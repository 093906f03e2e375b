import { describe, expect, it } from 'vitest';
import type { AccountFacts } from '../../src/domain/accounts';
import { parseRoutingTable, RoutingTableError, routeChange } from '../../src/domain/routing';
import type { AssessedChange, RiskLevel } from '../../src/domain/types';
import { changeOf } from '../support/cloudtrail';

const DEFAULTS = { defaultChannel: '#iam-changes', channelByLevel: { critical: '#iam-critical' } };

const PAYMENTS: AccountFacts = { id: '111122223333', name: 'prod-payments', ouPath: 'Root/Workloads/Prod' };
const SANDBOX: AccountFacts = { id: '444455556666', name: 'sandbox-7', ouPath: 'Root/Sandbox' };

function change(
  level: RiskLevel,
  account: AccountFacts | undefined,
  eventName = 'AttachRolePolicy',
  actorArn = 'arn:aws:sts::111122223333:assumed-role/terraform-ci/run-1',
): AssessedChange {
  const base = changeOf(
    eventName,
    { roleName: 'app', policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' },
    {
      recipientAccountId: account?.id ?? '777788889999',
      userIdentity: {
        type: 'AssumedRole',
        arn: actorArn,
        accountId: '111122223333',
        principalId: 'AROAEXAMPLE:run-1',
        sessionContext: {
          sessionIssuer: {
            type: 'Role',
            arn: 'arn:aws:iam::111122223333:role/terraform-ci',
            userName: 'terraform-ci',
          },
        },
      },
    },
  );
  return {
    ...base,
    risk: { level, reasons: [], rules: [] },
    revert: { supported: false, steps: [], cli: [] },
    ...(account ? { account } : {}),
  };
}

const TABLE = parseRoutingTable(
  JSON.stringify([
    { name: 'payments', account: ['prod-payments'], level: 'high+', channel: '#payments-security' },
    { name: 'sandbox', ou: 'Sandbox', channel: '#sandbox-noise' },
    { event: '*AssumeRolePolicy', channel: '#trust' },
    { actor: 'arn:aws:iam::*:role/terraform-*', level: ['low', 'info'], channel: 'C0INFRA' },
    { account: '7777*', channel: '#unknown-accounts' },
  ]),
);

describe('routeChange', () => {
  it.each([
    ['a high change in prod-payments: the payments rule', change('high', PAYMENTS), '#payments-security', 0],
    ['a critical one too (high+)', change('critical', PAYMENTS), '#payments-security', 0],
    [
      'a medium one there: below high+, and no other rule: the default',
      change('medium', PAYMENTS),
      '#iam-changes',
      undefined,
    ],
    ['anything in an OU named by its path without Root/', change('critical', SANDBOX), '#sandbox-noise', 1],
    ['an event glob', change('medium', PAYMENTS, 'UpdateAssumeRolePolicy'), '#trust', 2],
    ['an actor glob on the session issuer, with a level list', change('low', PAYMENTS), 'C0INFRA', 3],
    [
      'an account id glob, for an account the directory does not know',
      change('medium', undefined),
      '#unknown-accounts',
      4,
    ],
    ['no rule: the level channel', change('critical', { id: '123456789012' }), '#iam-critical', undefined],
    [
      'no rule and no level channel: the default',
      change('high', { id: '123456789012' }),
      '#iam-changes',
      undefined,
    ],
  ])('%s', (_, assessed, channel, index) => {
    const route = routeChange(TABLE, assessed, DEFAULTS);
    expect(route.channel).toBe(channel);
    expect(route.rule?.index).toBe(index);
  });

  it('takes the first matching rule when several match', () => {
    const table = parseRoutingTable(
      '[{"name":"first","ou":"Root/Workloads","channel":"#first"},{"account":"prod-payments","channel":"#second"}]',
    );
    expect(routeChange(table, change('low', PAYMENTS), DEFAULTS)).toEqual({
      channel: '#first',
      rule: { index: 0, name: 'first' },
    });
  });

  it('matches an OU path only at whole segments, and an account name without regard to case', () => {
    const table = parseRoutingTable(
      '[{"ou":"Root/Work","channel":"#a"},{"account":"PROD-PAYMENTS","channel":"#b"}]',
    );
    expect(routeChange(table, change('low', PAYMENTS), DEFAULTS).channel).toBe('#b');
  });

  it('an empty table sends every change to the per-level channels', () => {
    expect(routeChange(parseRoutingTable(''), change('critical', PAYMENTS), DEFAULTS).channel).toBe(
      '#iam-critical',
    );
  });
});

describe('parseRoutingTable', () => {
  it.each([
    ['{"channel":"#a"}', 'routing table must be a JSON array of rules'],
    ['[{"channel":"#a"', 'routing table is not JSON:'],
    [
      '[{"account":"x","channel":"#a"},{"name":"typo","levl":"high","channel":"#b"}]',
      'routing rule 2 (typo): unknown field levl',
    ],
    ['[{"level":"severe","channel":"#a"}]', 'routing rule 1: level: expected a risk level'],
    ['[{"level":"high"}]', 'routing rule 1: channel:'],
    [
      '[{"level":"high","channel":"not a channel"}]',
      'routing rule 1: channel: expected a Slack channel id or #name',
    ],
    ['[{"name":"all","channel":"#a"}]', 'routing rule 1 (all): matches every change'],
    ['[{"event":[],"channel":"#a"}]', 'routing rule 1: event'],
    ['[{"account":"","channel":"#a"}]', 'routing rule 1: account'],
    ['[42]', 'routing rule 1:'],
  ])('refuses %s with one line naming the rule', (text, message) => {
    let error: unknown;
    try {
      parseRoutingTable(text);
    } catch (caught: unknown) {
      error = caught;
    }
    expect(error).toBeInstanceOf(RoutingTableError);
    expect((error as Error).message).toContain(message);
    expect((error as Error).message).not.toContain('\n');
  });

  it('reads single values and lists alike', () => {
    expect(parseRoutingTable('[{"account":"a","level":["high","critical"],"channel":"C01"}]')).toEqual([
      { account: ['a'], level: ['high', 'critical'], channel: 'C01' },
    ]);
  });
});
