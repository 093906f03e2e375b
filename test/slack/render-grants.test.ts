import { describe, expect, it } from 'vitest';
import { assessChange } from '../../src/domain/explain';
import { withManagedPolicy } from '../../src/domain/managed-policy';
import type { AssessedChange, EscalationCheck } from '../../src/domain/types';
import { renderChange } from '../../src/slack/render';
import { assertBlockKitLimits } from '../support/block-kit-limits';
import { changeOf } from '../support/cloudtrail';

function attached(check?: EscalationCheck): AssessedChange {
  const change = withManagedPolicy(
    changeOf('AttachRolePolicy', {
      roleName: 'app',
      policyArn: 'arn:aws:iam::111122223333:policy/ReadOnlyHelper',
    }),
    {
      source: 'iam',
      versionId: 'v3',
      document: { Statement: [{ Effect: 'Allow', Action: ['*'], Resource: ['*'] }] },
    },
  );
  const assessed = assessChange(change, { expectedActors: [], trustedAccounts: [] });
  return check ? { ...assessed, escalation: check } : assessed;
}

const shown = (change: AssessedChange) => {
  const message = renderChange(change);
  assertBlockKitLimits(message);
  return JSON.stringify(message.blocks);
};

describe('the alert on what a change grants', () => {
  it("reads the attached policy's document and says where it came from", () => {
    const text = shown(attached());
    expect(text).toContain('Attached policy ReadOnlyHelper v3, read from IAM');
    expect(text).toContain('every action');
  });

  it.each<[string, EscalationCheck, string]>([
    ['checking', { state: 'checking' }, 'Checking escalation paths…'],
    [
      'unavailable',
      { state: 'unavailable', reason: 'role app no longer exists' },
      'Escalation paths not checked: role app no longer exists',
    ],
    [
      'done with an opened path',
      {
        state: 'done',
        principal: 'role app',
        opened: [
          {
            id: 'pass-role-ec2',
            actions: ['iam:PassRole', 'ec2:RunInstances'],
            how: 'h',
            reach: 'yes',
            why: [],
          },
        ],
        alreadyOpen: 1,
      },
      'Escalation paths opened for role app: `iam:PassRole + ec2:RunInstances`. 1 path was open before this change.',
    ],
    [
      'done with nothing opened but something unread',
      {
        state: 'done',
        principal: 'role app',
        opened: [],
        alreadyOpen: 0,
        incomplete: ['managed policy X: IAM: AccessDenied'],
      },
      'No new escalation path for role app. Not everything could be read: managed policy X: IAM: AccessDenied.',
    ],
  ])('says where the escalation check stands: %s', (_name, check, words) => {
    expect(shown(attached(check))).toContain(words);
  });

  it('escapes what comes from the event in the escalation line', () => {
    const text = shown(attached({ state: 'unavailable', reason: '<!channel> gone' }));
    expect(text).toContain('&lt;!channel&gt; gone');
  });
});
