/**
 * The findings measured on the real-world CloudTrail corpus (`../shared/fixtures/real-world`, see its
 * SOURCES.md), each as a row: the file, read in place — never copied — and what the bot must make of it. A
 * checkout without the folder skips these tests.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type Explanation, explainItems } from '../../src/domain/explain';
import { readInputText } from '../../src/domain/input';
import type { RiskContext } from '../../src/domain/risk/rule';
import { failedWrite } from '../../src/domain/risk/rules/failed-write';
import type { AssessedChange } from '../../src/domain/types';
import { iamTargetLink } from '../../src/slack/links';
import { describeChange, renderAlarm, renderChange } from '../../src/slack/render';

const repoRoot = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const CASES = path.resolve(repoRoot, '..', 'shared', 'fixtures', 'real-world', 'cases');
const exists = existsSync(CASES);
const CONTEXT: RiskContext = { expectedActors: [], trustedAccounts: [] };

function explainCase(name: string): Explanation {
  return explainItems(readInputText(readFileSync(path.join(CASES, `${name}.json`), 'utf8')), CONTEXT);
}

function only(explanation: Explanation): AssessedChange {
  expect(explanation.changes).toHaveLength(1);
  return explanation.changes[0] as AssessedChange;
}

describe.skipIf(!exists)('the real-world corpus', () => {
  it('posts an RDS CPU credit alarm on a shared topic plainly, naming its metric, never as IAM changes', () => {
    const { alarms } = explainCase('38-miquido-alarm-rds-cpu-credit-not-cis');
    expect(alarms).toHaveLength(1);
    const alarm = alarms[0];
    expect(alarm?.notCis44).toBe(
      'AWS/RDS/CPUCreditBalance is an AWS service metric, which no metric filter on IAM changes publishes',
    );
    const text = JSON.stringify(renderAlarm(alarm as NonNullable<typeof alarm>));
    expect(text).not.toContain('IAM policy changes');
    expect(text).not.toContain('CIS 4.4)');
    expect(text).toContain('`AWS/RDS/CPUCreditBalance` crossed the alarm');
    expect(text).toContain('Not a CIS 4.4 alarm');
  });

  it.each([
    ['28-netebakari-create-policy-entity-exists-failure', 'EntityAlreadyExistsException', 'low'],
    ['32-broadwing-cli-create-policy-malformed-failure', 'MalformedPolicyDocumentException', 'low'],
  ])('rates the failed write of %s (%s) %s', (name, errorCode, level) => {
    const change = only(explainCase(name));
    expect(change.errorCode).toBe(errorCode);
    expect(failedWrite.evaluate(change, CONTEXT)?.level).toBe(level);
    expect(change.risk.reasons.join('\n')).not.toContain('probing');
  });

  it('names the role CreateServiceLinkedRole created, not the service', () => {
    const change = only(explainCase('15-miquido-eb-console-create-service-linked-role'));
    expect(change.target).toMatchObject({
      kind: 'role',
      name: 'AWSServiceRoleForResourceExplorer',
      service: 'resource-explorer-2.amazonaws.com',
      arn: 'arn:aws:iam::322231848625:role/aws-service-role/resource-explorer-2.amazonaws.com/AWSServiceRoleForResourceExplorer',
    });
    expect(describeChange(change)).toBe(
      'created service-linked role AWSServiceRoleForResourceExplorer for resource-explorer-2.amazonaws.com',
    );
  });

  it.each([
    ['07-elastic-update-user-rename', 0, 'user', 'Bob', 'Robert', '/users/details/Robert'],
    [
      '43-elastic-update-group-identitycenteruser-4records',
      0,
      'group',
      'TEST-GROUP',
      'TEST-GROUP2',
      '/groups/details/TEST-GROUP2',
    ],
  ])(
    'shows the rename in %s as old → new, linked by the new name',
    (name, index, kind, old, renamed, page) => {
      const change = explainCase(name).changes[index] as AssessedChange;
      expect(change.target).toMatchObject({ kind, name: old, newName: renamed });
      expect(describeChange(change)).toBe(`renamed ${kind} ${old} to ${renamed}`);
      expect(iamTargetLink(change.target)).toContain(page);
      expect(JSON.stringify(renderChange(change))).toContain(`${kind} ${old} → ${renamed}`);
    },
  );

  it.each([
    ['21-cwatcher-lambda-console-create-policy-truncated-doc'],
    ['23-cwatcher-lambda-console-create-role'],
    ['17-root-console-eb-create-policy-nonjson-doc'],
  ])('recognises the console in the user agent of %s', (name) => {
    const change = only(explainCase(name));
    expect(change.actor.client).toBe('console');
    expect(change.actor.console).toBe(true);
  });

  it('lists the duplicate event ids of a file in skipped, with the reason', () => {
    const explanation = explainCase('43-elastic-update-group-identitycenteruser-4records');
    expect(explanation.changes.map((change) => change.eventId)).toEqual([
      'EXAMPLE-c3aa-487b-b05e-EXAMPLE',
      'EXAMPLE-6a0b-475c-b5db-EXAMPLE',
    ]);
    expect(explanation.skipped).toEqual([
      expect.objectContaining({
        eventId: 'EXAMPLE-c3aa-487b-b05e-EXAMPLE',
        eventName: 'UpdateGroup',
        reason: expect.stringMatching(/^duplicate eventID: a different record with the same eventID/),
      }),
      expect.objectContaining({
        eventId: 'EXAMPLE-6a0b-475c-b5db-EXAMPLE',
        reason: expect.stringMatching(/^duplicate eventID/),
      }),
    ]);
  });

  it.each([
    [
      '40-raynor-lookup-events-output-set-default-version',
      'SetDefaultPolicyVersion',
      'cac5cf80-4e15-4887-9ca4-96237cb33f58',
    ],
    ['18-scylla-lookup-events-create-user', 'CreateUser', '58ac7cc5-42ab-47e1-8998-6e34e488d14f'],
  ])('reads raw lookup-events output: %s', (name, eventName, eventId) => {
    const change = only(explainCase(name));
    expect(change).toMatchObject({ eventName, eventId });
  });
});
