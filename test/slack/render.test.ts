import type { Button, KnownBlock } from '@slack/types';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isAccessDeniedCode } from '../../src/domain/risk/rules/failed-write';
import type {
  AlarmEvent,
  AssessedChange,
  RevertPlan,
  RevertStep,
  Risk,
  RiskLevel,
} from '../../src/domain/types';
import { ACTION_IDS } from '../../src/slack/action-ids';
import {
  type AlarmCall,
  type AlarmDetails,
  changeHeadline,
  describeChange,
  type RenderOptions,
  renderAlarm,
  renderChange,
  renderThreadNote,
  type SlackMessage,
  slackDate,
} from '../../src/slack/render';
import { assertBlockKitLimits, blockKitViolations } from '../support/block-kit-limits';
import { changeOf } from '../support/cloudtrail';

const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';

const CRITICAL_ADMIN: Risk = {
  level: 'critical',
  reasons: ['attaches AdministratorAccess (full access to everything)'],
  rules: ['admin-policy-attached'],
};

const HIGH: Risk = { level: 'high', reasons: ['grants iam:PassRole on *'], rules: ['privilege-escalation'] };

const DETACH_STEP: RevertStep = {
  action: 'iam:DetachRolePolicy',
  params: { RoleName: 'ci-runner', PolicyArn: ADMIN },
};

const DETACH_ADMIN: RevertPlan = {
  supported: true,
  steps: [DETACH_STEP],
  cli: [`aws iam detach-role-policy --role-name ci-runner --policy-arn ${ADMIN}`],
};

const NO_REVERT: RevertPlan = {
  supported: false,
  steps: [],
  cli: [],
  reason: 'the previous trust policy is unknown',
};

/** Every `<…>` Slack reads as markup must be one the builders made: `<!here>`, a date token or an https link. */
const OUR_MARKUP = /^(?:<!here>|<!date\^\d+\^[^|<>]+\|[^|<>]+>|<https:\/\/[^\s|<>]+\|[^<>]*>)$/;

/** Every string Slack shows: button values are opaque payloads handed back to the bot, never displayed. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([key, item]) => (key === 'value' ? [] : strings(item)));
  }
  return [];
}

/** Markup in the message that the builders did not make, and `&` that does not start an entity. */
function foreignMarkup(message: SlackMessage): string[] {
  return strings(message).flatMap((text) => [
    ...[...text.matchAll(/<[^>]*>?/g)].map(([match]) => match).filter((match) => !OUR_MARKUP.test(match)),
    ...[...text.matchAll(/&(?!amp;|lt;|gt;)/g)].map(() => `raw & in ${JSON.stringify(text.slice(0, 80))}`),
  ]);
}

/** Every rendered message goes through here: Slack's limits and the escaping are checked each time. */
function checked(message: SlackMessage): SlackMessage {
  assertBlockKitLimits(message);
  expect(foreignMarkup(message)).toEqual([]);
  return message;
}

function render(change: AssessedChange, options?: RenderOptions): SlackMessage {
  return checked(renderChange(change, options));
}

function alarmMessage(alarm: AlarmEvent, details?: AlarmDetails): SlackMessage {
  return checked(renderAlarm(alarm, details));
}

function textOf(block: KnownBlock): string {
  if (block.type === 'header') return block.text.text;
  if (block.type === 'section')
    return [block.text?.text ?? '', ...(block.fields ?? []).map((f) => f.text)].join('\n');
  if (block.type === 'context')
    return block.elements.map((element) => ('text' in element ? element.text : '')).join('\n');
  return '';
}

function allText(message: SlackMessage): string {
  return message.blocks.map(textOf).join('\n');
}

function buttons(message: SlackMessage): Button[] {
  return message.blocks.flatMap((block) =>
    block.type === 'actions'
      ? block.elements.filter((element): element is Button => element.type === 'button')
      : [],
  );
}

function adminAttach(overrides: Partial<AssessedChange> = {}): AssessedChange {
  return {
    ...changeOf('AttachRolePolicy', { roleName: 'ci-runner', policyArn: ADMIN }),
    risk: CRITICAL_ADMIN,
    revert: DETACH_ADMIN,
    ...overrides,
  };
}

function deniedAttach(): AssessedChange {
  return {
    ...changeOf(
      'AttachRolePolicy',
      { roleName: 'ci-runner', policyArn: ADMIN },
      {
        errorCode: 'AccessDenied',
        errorMessage:
          'User: arn:aws:iam::111122223333:user/alice is not authorized to perform: iam:AttachRolePolicy on resource: role ci-runner',
      },
    ),
    risk: {
      level: 'high',
      reasons: ['a failed IAM write (AccessDenied): someone probing'],
      rules: ['failed-write'],
    },
    revert: DETACH_ADMIN,
  };
}

describe('renderChange', () => {
  it('renders an admin attach with the level, who, what, where, when and all five buttons', () => {
    const change = adminAttach();
    const message = render(change);
    const [head, summary] = message.blocks;

    expect(head?.type).toBe('header');
    expect(textOf(head as KnownBlock)).toBe(
      ':rotating_light: CRITICAL · Attached AdministratorAccess to role ci-runner',
    );
    expect(textOf(summary as KnownBlock)).toBe(
      '<!here> *alice* attached AdministratorAccess to role ci-runner.',
    );
    const text = allText(message);
    expect(text).toContain('*alice* · IAM user');
    expect(text).toContain('MFA: yes · Client: AWS CLI');
    expect(text).toContain('Account `111122223333`');
    expect(text).toContain('From IP `198.51.100.7`');
    expect(text).toContain('<!date^1795183200^{date_short_pretty} {time}|2026-11-20T14:00:00Z>');
    expect(text).toContain('• attaches AdministratorAccess (full access to everything)');
    expect(text).toContain(
      `<https://us-east-1.console.aws.amazon.com/cloudtrailv2/home?region=us-east-1#/events/${change.eventId}|CloudTrail event>`,
    );
    expect(text).toContain(
      '<https://console.aws.amazon.com/iam/home#/roles/details/ci-runner|role ci-runner in IAM>',
    );
    expect(text).toContain(':white_check_mark: CIS 4.4 policy change');
    expect(text).toContain(`Event \`${change.eventId}\``);
    expect(message.text).toBe(
      '<!here> CRITICAL: alice attached AdministratorAccess to role ci-runner in account 111122223333',
    );

    const actions = buttons(message);
    expect(actions.map((button) => button.action_id)).toEqual([
      ACTION_IDS.ACKNOWLEDGE,
      ACTION_IDS.VIEW_DIFF,
      ACTION_IDS.REVERT,
      ACTION_IDS.QUARANTINE,
      ACTION_IDS.MUTE,
    ]);
    expect(actions.map((button) => button.value)).toEqual(Array(5).fill(change.eventId));
    expect(actions.map((button) => button.style)).toEqual([
      'primary',
      undefined,
      'danger',
      'danger',
      undefined,
    ]);
    const revert = actions[2];
    expect(revert?.confirm?.title?.text).toBe('Revert this change?');
    expect(revert?.confirm?.text.text).toContain(
      'Reverts "attached AdministratorAccess to role ci-runner" with 1 IAM call: iam:DetachRolePolicy.',
    );
    expect(actions[3]?.confirm?.text.text).toContain('Denies every IAM action to user alice');
  });

  it('reads a failed call as a denied attempt and offers no Revert', () => {
    const message = render(deniedAttach());
    const text = allText(message);

    expect(textOf(message.blocks[0] as KnownBlock)).toBe(
      ':red_circle: HIGH · Denied attempt: AttachRolePolicy on role ci-runner',
    );
    expect(text).toContain(
      'tried to attach AdministratorAccess to role ci-runner but was denied (AccessDenied)',
    );
    expect(text).toContain(
      ':no_entry: `AccessDenied` — User: arn:aws:iam::111122223333:user/alice is not authorized',
    );
    expect(text).toContain('Nothing to revert: the call failed');
    expect(buttons(message).map((button) => button.action_id)).toEqual([
      ACTION_IDS.ACKNOWLEDGE,
      ACTION_IDS.VIEW_DIFF,
      ACTION_IDS.QUARANTINE,
      ACTION_IDS.MUTE,
    ]);
  });

  it.each([
    ['AccessDenied', 'Denied attempt', 'was denied'],
    ['AccessDeniedException', 'Denied attempt', 'was denied'],
    ['UnauthorizedOperation', 'Denied attempt', 'was denied'],
    ['Client.UnauthorizedOperation', 'Denied attempt', 'was denied'],
    ['Client.NotAuthorized', 'Denied attempt', 'was denied'],
    ['Forbidden', 'Failed attempt', 'it failed'],
    ['EntityAlreadyExists', 'Failed attempt', 'it failed'],
    ['MalformedPolicyDocument', 'Failed attempt', 'it failed'],
    ['NoSuchEntity', 'Failed attempt', 'it failed'],
  ])('reads a call failed with %s as the failed-write rule does: %s', (errorCode, headline, sentence) => {
    const change = changeOf('PutUserPolicy', { userName: 'bob', policyName: 'p' }, { errorCode });
    expect(isAccessDeniedCode(errorCode)).toBe(headline === 'Denied attempt');
    expect(changeHeadline(change)).toBe(`${headline}: PutUserPolicy on user bob`);
    expect(describeChange(change)).toBe(
      `tried to write inline policy p on user bob but ${sentence} (${errorCode})`,
    );
  });

  it('reads a failed call whose request CloudTrail did not record', () => {
    const change: AssessedChange = {
      ...changeOf('PutUserPolicy', null, { errorCode: 'AccessDenied' }),
      risk: HIGH,
      revert: NO_REVERT,
    };
    const message = render(change);
    expect(textOf(message.blocks[0] as KnownBlock)).toContain('Denied attempt: PutUserPolicy on a user');
    expect(allText(message)).toContain(
      'tried to write inline policy a policy on a user but was denied (AccessDenied)',
    );
  });

  it('escapes names, user agents, documents and errors so nobody is pinged', () => {
    const hostile = '<!channel> <@U123> a & b';
    const change: AssessedChange = {
      ...changeOf(
        'PutRolePolicy',
        {
          roleName: '<!channel>',
          policyName: '<@U123>',
          policyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Sid: '<!everyone>',
                Effect: 'Allow',
                Action: ['<!channel>:x'],
                Resource: '<@U123>',
                Condition: { StringEquals: { 'aws:PrincipalTag/team': 'a & b' } },
              },
            ],
          }),
        },
        {
          userAgent: hostile,
          sourceIPAddress: '<!subteam^S1>',
          userIdentity: {
            type: 'AssumedRole',
            arn: 'arn:aws:sts::111122223333:assumed-role/<!channel>/<@U123>',
            accountId: '111122223333',
            sessionContext: { sessionIssuer: { type: 'Role', userName: '<!channel>' } },
          },
          errorCode: '<!here>',
          errorMessage: hostile,
        },
      ),
      risk: { level: 'critical', reasons: [hostile], rules: ['x'] },
      revert: NO_REVERT,
    };
    const message = render(change, { mentionOnCritical: false });
    const json = JSON.stringify(message);

    for (const raw of ['<!channel>', '<@U123>', '<!everyone>', '<!subteam', '<!here>', 'a & b']) {
      expect(json).not.toContain(raw);
    }
    expect(json).toContain('&lt;!channel&gt;');
    expect(json).toContain('&lt;@U123&gt;');
    expect(json).toContain('a &amp; b');
    expect(allText(message)).toContain('User agent: `&lt;!channel&gt; &lt;@U123&gt; a &amp; b`');
  });

  it('keeps every limit for a 6 KB policy document and says how many statements were not shown', () => {
    const statements = Array.from({ length: 60 }, (_, index) => ({
      Sid: `Statement${index}`,
      Effect: index % 7 === 0 ? 'Deny' : 'Allow',
      Action: [`s3:GetObject${index}`, `s3:PutObject${index}`, `dynamodb:Query${index}`],
      Resource: [`arn:aws:s3:::bucket-number-${index}/*`],
    }));
    const policyDocument = JSON.stringify({ Version: '2012-10-17', Statement: statements });
    expect(policyDocument.length).toBeGreaterThan(6000);
    const change: AssessedChange = {
      ...changeOf('PutRolePolicy', { roleName: 'data', policyName: 'big', policyDocument }),
      risk: HIGH,
      revert: NO_REVERT,
    };
    const message = render(change);
    const documentText = textOf(
      message.blocks.find((block) => textOf(block).startsWith('*Policy document*')) as KnownBlock,
    );
    const shown = documentText.split('\n').filter((line) => line.startsWith('• ')).length;

    expect(shown).toBeGreaterThan(5);
    expect(shown).toBeLessThan(60);
    expect(documentText).toContain(`… ${60 - shown} more statements — View diff for the full document`);
    expect(documentText).toContain(
      '• *Deny* `s3:GetObject0`, `s3:PutObject0`, `dynamodb:Query0` on `arn:aws:s3:::bucket-number-0/*`',
    );
  });

  it('reads trust policies with their principals and conditions', () => {
    const change: AssessedChange = {
      ...changeOf('UpdateAssumeRolePolicy', {
        roleName: 'ops',
        policyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: {
            Effect: 'Allow',
            Principal: { AWS: 'arn:aws:iam::123456789012:root' },
            Action: 'sts:AssumeRole',
            Condition: { StringEquals: { 'sts:ExternalId': 'partner-42' } },
          },
        }),
      }),
      risk: {
        level: 'critical',
        reasons: ['trusts a new external account 123456789012'],
        rules: ['external-trust'],
      },
      revert: NO_REVERT,
    };
    const text = allText(render(change));
    expect(text).toContain('*Trust policy* (`policyDocument`)');
    expect(text).toContain(
      '• *Allow* `sts:AssumeRole` to `AWS:123456789012:root` if `sts:ExternalId` StringEquals `partner-42`',
    );
    expect(text).toContain('changed the trust policy of role ops');
  });

  it('says when a document could not be read', () => {
    const change: AssessedChange = {
      ...changeOf('PutUserPolicy', { userName: 'bob', policyName: 'deploy', policyDocument: '{not json' }),
      risk: HIGH,
      revert: NO_REVERT,
    };
    expect(allText(render(change))).toContain(
      ':warning: Could not be read: the policy document is not valid JSON.',
    );
  });

  it('says which before-states a revert still has to look up', () => {
    const message = render(adminAttach({ revert: { ...DETACH_ADMIN, needs: ['previous-document'] } }));
    expect(allText(message)).toContain('Revert first looks up: previous document');
  });

  it('offers no Revert button when the revert is not supported, and says why', () => {
    const message = render(adminAttach({ revert: NO_REVERT }));
    expect(buttons(message).map((button) => button.action_id)).not.toContain(ACTION_IDS.REVERT);
    expect(allText(message)).toContain('Revert not offered: the previous trust policy is unknown');
  });

  it('mentions the channel for critical changes unless told not to', () => {
    const loud = render(adminAttach());
    expect(loud.text.startsWith('<!here> ')).toBe(true);
    expect(textOf(loud.blocks[1] as KnownBlock).startsWith('<!here> ')).toBe(true);

    const quiet = render(adminAttach(), { mentionOnCritical: false });
    expect(JSON.stringify(quiet)).not.toContain('<!here>');

    const high = render(adminAttach({ risk: HIGH }));
    expect(JSON.stringify(high)).not.toContain('<!here>');
  });

  it('shows when an expected actor lowered the level', () => {
    const change = adminAttach({
      risk: {
        level: 'medium',
        reasons: ['attaches AdministratorAccess (full access to everything)'],
        rules: ['admin-policy-attached'],
        expectedActor: { pattern: 'arn:aws:iam::*:role/terraform', originalLevel: 'critical' },
      },
    });
    const message = render(change);
    expect(message.text.startsWith('MEDIUM: ')).toBe(true);
    expect(allText(message)).toContain(
      ':arrow_down_small: Lowered from CRITICAL: made by an expected actor (`arn:aws:iam::*:role/terraform`)',
    );
  });

  it('offers no quarantine for the root user or an AWS service', () => {
    const root: AssessedChange = {
      ...changeOf(
        'AttachRolePolicy',
        { roleName: 'ci-runner', policyArn: ADMIN },
        { userIdentity: { type: 'Root', arn: 'arn:aws:iam::111122223333:root', accountId: '111122223333' } },
      ),
      risk: CRITICAL_ADMIN,
      revert: DETACH_ADMIN,
    };
    const service: AssessedChange = {
      ...changeOf(
        'AttachRolePolicy',
        { roleName: 'ci-runner', policyArn: ADMIN },
        {
          userIdentity: { type: 'AWSService', invokedBy: 'cloudformation.amazonaws.com' },
          sourceIPAddress: 'cloudformation.amazonaws.com',
        },
      ),
      risk: CRITICAL_ADMIN,
      revert: DETACH_ADMIN,
    };
    for (const change of [root, service]) {
      expect(buttons(render(change)).map((button) => button.action_id)).not.toContain(ACTION_IDS.QUARANTINE);
    }
    expect(allText(render(root))).toContain('*root* · root user');
    expect(allText(render(service))).toContain('Called by service `cloudformation.amazonaws.com`');
  });

  it('offers IAM Identity Center, not a quarantine that would be refused, to an SSO caller, keeping the e-mail as recorded', () => {
    const change: AssessedChange = {
      ...changeOf(
        'AttachRolePolicy',
        { roleName: 'ci-runner', policyArn: ADMIN },
        {
          userIdentity: {
            type: 'AssumedRole',
            arn: 'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_AdministratorAccess_0123456789abcdef/Alice.Doe@Example.com',
            accountId: '111122223333',
            sessionContext: {
              sessionIssuer: {
                type: 'Role',
                arn: 'arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_AdministratorAccess_0123456789abcdef',
                userName: 'AWSReservedSSO_AdministratorAccess_0123456789abcdef',
              },
            },
          },
          sessionCredentialFromConsole: 'true',
        },
      ),
      risk: CRITICAL_ADMIN,
      revert: DETACH_ADMIN,
    };
    const message = render(change);
    expect(allText(message)).toContain('*Alice.Doe@Example.com* · SSO permission set AdministratorAccess');
    expect(allText(message)).toContain('MFA: unknown · Client: Console');
    const ids = buttons(message).map((button) => button.action_id);
    expect(ids).not.toContain(ACTION_IDS.QUARANTINE);
    const identityCenter = buttons(message).find((button) => button.action_id === ACTION_IDS.OPEN_LINK);
    expect(identityCenter?.text.text).toBe('Open IAM Identity Center');
    expect(identityCenter?.url).toBe(
      'https://eu-west-1.console.aws.amazon.com/singlesignon/home?region=eu-west-1',
    );
    expect(allText(message)).toContain(
      'Quarantine not offered: Alice.Doe@Example.com signed in through IAM Identity Center (permission set `AdministratorAccess`)',
    );
    assertBlockKitLimits(message);

    // When CloudTrail names the Identity Center user and instance, the button opens that user's page.
    const userId = '94482488-3041-7026-18f3-be45837cd0e4';
    const named = render({
      ...change,
      actor: { ...change.actor, identityCenterUser: { userId, instanceId: 'ssoins-72239c385425574d' } },
    });
    const toUser = buttons(named).find((button) => button.action_id === ACTION_IDS.OPEN_LINK);
    expect(toUser?.text.text).toBe('Open the user in IAM Identity Center');
    expect(toUser?.url).toBe(
      `https://eu-west-1.console.aws.amazon.com/singlesignon/home?region=eu-west-1#!/instances/72239c385425574d/users/user-details/${userId}`,
    );
    assertBlockKitLimits(named);
  });

  it('gives no CloudTrail link for a synthetic event id', () => {
    const change = adminAttach({
      ...changeOf('AttachRolePolicy', { roleName: 'ci-runner', policyArn: ADMIN }, { eventID: undefined }),
    });
    expect(change.eventId.startsWith('synthetic-')).toBe(true);
    const message = render(change);
    expect(allText(message)).not.toContain('CloudTrail event>');
    expect(allText(message)).toContain('role ci-runner in IAM>');
  });

  it('keeps limits when every value from the event is huge', () => {
    const huge = '<&>|`* '.repeat(1500);
    const change: AssessedChange = {
      ...changeOf(
        'AttachRolePolicy',
        { roleName: huge, policyArn: `arn:aws:iam::111122223333:policy/${huge}` },
        {
          userAgent: huge,
          sourceIPAddress: huge,
          awsRegion: huge,
          errorCode: huge,
          errorMessage: huge,
          eventID: huge.slice(0, 1900),
          userIdentity: { type: 'IAMUser', userName: huge, arn: huge, accessKeyId: huge, accountId: huge },
        },
      ),
      risk: {
        level: 'critical',
        reasons: [huge, huge, huge],
        rules: [],
        expectedActor: { pattern: huge, originalLevel: 'critical' },
      },
      revert: DETACH_ADMIN,
    };
    const message = render(change);
    expect(buttons(message)).toHaveLength(4);
  });

  it('keeps limits and escaping whatever the names are', () => {
    const text = (maxLength: number) =>
      fc
        .array(
          fc.constantFrom('<', '>', '&', '!', '@', 'channel', 'a', '`', '*', '|', ' ', '😀', 'x'.repeat(300)),
          {
            maxLength,
          },
        )
        .map((parts) => parts.join(''));
    fc.assert(
      fc.property(
        fc.record({
          roleName: text(20),
          policyName: text(20),
          policyDocument: text(40),
          userAgent: text(40),
          errorCode: fc.option(text(5), { nil: undefined }),
          errorMessage: text(40),
          reasons: fc.array(text(10), { maxLength: 40 }),
          steps: fc.integer({ min: 0, max: 30 }),
        }),
        (values) => {
          const change: AssessedChange = {
            ...changeOf(
              'PutRolePolicy',
              {
                roleName: values.roleName,
                policyName: values.policyName,
                policyDocument: values.policyDocument,
              },
              { userAgent: values.userAgent, errorCode: values.errorCode, errorMessage: values.errorMessage },
            ),
            risk: { level: 'critical', reasons: values.reasons, rules: [] },
            revert: {
              ...DETACH_ADMIN,
              steps: Array.from({ length: values.steps }, () => DETACH_STEP),
            },
          };
          render(change);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('describeChange', () => {
  const cases: Array<[string, Record<string, unknown> | null, string]> = [
    [
      'AttachRolePolicy',
      { roleName: 'ci-runner', policyArn: ADMIN },
      'attached AdministratorAccess to role ci-runner',
    ],
    [
      'DetachGroupPolicy',
      { groupName: 'devs', policyArn: ADMIN },
      'detached AdministratorAccess from group devs',
    ],
    [
      'PutUserPolicy',
      { userName: 'bob', policyName: 'deploy', policyDocument: '{}' },
      'wrote inline policy deploy on user bob',
    ],
    ['DeleteRolePolicy', { roleName: 'ops', policyName: 'old' }, 'deleted inline policy old from role ops'],
    [
      'CreatePolicy',
      { policyName: 'Deploy', path: '/team/', policyDocument: '{}' },
      'created policy Deploy at path /team/',
    ],
    ['DeletePolicy', { policyArn: 'arn:aws:iam::111122223333:policy/Deploy' }, 'deleted policy Deploy'],
    [
      'DeletePolicyVersion',
      { policyArn: 'arn:aws:iam::111122223333:policy/Deploy', versionId: 'v2' },
      'deleted version v2 of policy Deploy',
    ],
    [
      'SetDefaultPolicyVersion',
      { policyArn: 'arn:aws:iam::111122223333:policy/Deploy', versionId: 'v1' },
      'made version v1 the default of policy Deploy',
    ],
    ['CreateAccessKey', { userName: 'bob' }, 'called CreateAccessKey on user bob'],
  ];
  for (const [eventName, request, sentence] of cases) {
    it(`describes ${eventName} in one sentence`, () => {
      expect(describeChange(changeOf(eventName, request))).toBe(sentence);
    });
  }

  it('says when a new policy version became the default', () => {
    const change = changeOf(
      'CreatePolicyVersion',
      { policyArn: 'arn:aws:iam::111122223333:policy/Deploy', policyDocument: '{}', setAsDefault: true },
      { responseElements: { policyVersion: { versionId: 'v3', isDefaultVersion: true } } },
    );
    expect(describeChange(change)).toBe('created version v3 of policy Deploy and made it the default');
  });

  it('says when a trust policy was opened to everyone', () => {
    const change = changeOf('UpdateAssumeRolePolicy', {
      roleName: 'ops',
      policyDocument: JSON.stringify({
        Statement: [{ Effect: 'Allow', Principal: '*', Action: 'sts:AssumeRole' }],
      }),
    });
    expect(describeChange(change)).toBe('opened the trust policy of role ops to everyone');
  });

  it('tells a refused call from one that failed for another reason', () => {
    const denied = changeOf(
      'DeleteRolePolicy',
      { roleName: 'ops', policyName: 'p' },
      { errorCode: 'AccessDenied' },
    );
    const missing = changeOf(
      'DeleteRolePolicy',
      { roleName: 'ops', policyName: 'p' },
      { errorCode: 'NoSuchEntity' },
    );
    expect(describeChange(denied)).toBe(
      'tried to delete inline policy p from role ops but was denied (AccessDenied)',
    );
    expect(describeChange(missing)).toBe(
      'tried to delete inline policy p from role ops but it failed (NoSuchEntity)',
    );
  });
});

const ALARM: AlarmEvent = {
  name: 'CIS-4.4-IAMPolicyChanges',
  state: 'ALARM',
  previousState: 'OK',
  reason:
    'Threshold Crossed: 1 datapoint [3.0 (20/11/26 14:00:00)] was greater than or equal to the threshold (1.0).',
  accountId: '111122223333',
  region: 'us-east-1',
  regionName: 'US East (N. Virginia)',
  alarmArn: 'arn:aws:cloudwatch:us-east-1:111122223333:alarm:CIS-4.4-IAMPolicyChanges',
  metricNamespace: 'CISBenchmark',
  metricName: 'IAMPolicyChanges',
  period: 300,
  evaluationPeriods: 1,
  stateChangeTime: '2026-11-20T14:05:31.123Z',
  windowStart: '2026-11-20T13:45:00Z',
  windowEnd: '2026-11-20T14:05:00Z',
  windowSource: 'periods',
};

const LEVEL_CYCLE: RiskLevel[] = ['low', 'high', 'info', 'critical', 'medium'];

function callsOf(count: number): AlarmCall[] {
  return Array.from({ length: count }, (_, index) => {
    const level = LEVEL_CYCLE[index % LEVEL_CYCLE.length] ?? 'info';
    const seconds = String(index % 60).padStart(2, '0');
    const change: AssessedChange = {
      ...changeOf(
        'PutRolePolicy',
        { roleName: `app-role-${index}`, policyName: `inline-${index}`, policyDocument: '{}' },
        { eventTime: `2026-11-20T13:${String(50 + Math.floor(index / 60)).padStart(2, '0')}:${seconds}Z` },
      ),
      risk: { level, reasons: [], rules: [] },
      revert: NO_REVERT,
    };
    return {
      change,
      permalink: `https://example.slack.com/archives/C0123/p17951832${String(index).padStart(6, '0')}`,
    };
  });
}

function callLines(message: SlackMessage): string[] {
  return allText(message)
    .split('\n')
    .filter((line) => line.startsWith('• '));
}

describe('renderAlarm', () => {
  it('summarises the alarm: state, previous state, account, region, metric and window', () => {
    const message = alarmMessage(ALARM);
    const text = allText(message);
    expect(textOf(message.blocks[0] as KnownBlock)).toBe(':rotating_light: Alarm: CIS-4.4-IAMPolicyChanges');
    expect(text).toContain(':red_circle: *ALARM*: IAM policy changes were counted (CIS 4.4) (was OK)');
    expect(text).toContain('*Account*\n`111122223333`');
    expect(text).toContain('*Region*\n`us-east-1` (US East (N. Virginia))');
    expect(text).toContain('*Metric*\n`CISBenchmark/IAMPolicyChanges` · 5 min × 1');
    expect(text).toContain(
      '<!date^1795182300^{date_short_pretty} {time}|2026-11-20T13:45:00Z> – <!date^1795183500^{time}|2026-11-20T14:05:00Z>',
    );
    expect(text).toContain(
      '<https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#alarmsV2:alarm/CIS-4.4-IAMPolicyChanges|Alarm in CloudWatch>',
    );
    expect(message.text).toBe('ALARM: CIS-4.4-IAMPolicyChanges in account 111122223333');
  });

  it('says the calls are being looked up before the search ran', () => {
    expect(allText(alarmMessage(ALARM))).toContain('Looking up the calls behind this alarm');
    expect(allText(alarmMessage(ALARM, { searched: false }))).toContain(
      'Looking up the calls behind this alarm',
    );
  });

  it('says no calls were found when the search came back empty', () => {
    const message = alarmMessage(ALARM, { calls: [], source: 'cloudwatch-logs', searched: true });
    expect(allText(message)).toContain('No calls found in the window (searched CloudWatch Logs).');
    expect(callLines(message)).toEqual([]);
  });

  it('says when there was no source to search', () => {
    const message = alarmMessage(ALARM, { calls: [], source: 'none', searched: true });
    expect(allText(message)).toContain('The calls could not be looked up');
  });

  it('lists three calls most severe first, linked to their alerts, with the source', () => {
    const calls = callsOf(3);
    const message = alarmMessage(ALARM, { calls, source: 'cloudtrail', searched: true });
    const text = allText(message);
    expect(text).toContain(
      '*3 calls in the window* found in CloudTrail event history: 1 high, 1 low, 1 info.',
    );
    const lines = callLines(message);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe(
      `• <!date^1795182601^{time}|2026-11-20T13:50:01Z> · :red_circle: HIGH · *alice* <${calls[1]?.permalink}|wrote inline policy inline-1 on role app-role-1>`,
    );
    expect(lines[2]).toContain(':information_source: INFO');
    expect(text).not.toContain('more');
    expect(message.text).toBe('ALARM: CIS-4.4-IAMPolicyChanges in account 111122223333 · 3 calls');
  });

  it('caps 200 calls within the limits and says how many more there are', () => {
    const message = alarmMessage(ALARM, { calls: callsOf(200), source: 'cloudwatch-logs', searched: true });
    const lines = callLines(message);
    expect(lines.length).toBeGreaterThan(5);
    expect(lines.length).toBeLessThan(200);
    expect(lines[0]).toContain('CRITICAL');
    expect(allText(message)).toContain(`… and ${200 - lines.length} more`);
    expect(allText(message)).toContain(
      '*200 calls in the window* found in CloudWatch Logs: 40 critical, 40 high, 40 medium',
    );
  });

  it('does not link a call whose permalink is not a plain https URL', () => {
    const [call] = callsOf(1);
    const message = alarmMessage(ALARM, {
      calls: [{ ...(call as AlarmCall), permalink: 'javascript:x|<!here>' }],
    });
    expect(callLines(message)[0]).toContain('*alice* wrote inline policy inline-0 on role app-role-0');
  });

  it('reads OK as resolved', () => {
    const message = alarmMessage({ ...ALARM, state: 'OK', previousState: 'ALARM' });
    expect(textOf(message.blocks[0] as KnownBlock)).toBe(
      ':white_check_mark: Resolved: CIS-4.4-IAMPolicyChanges',
    );
    expect(allText(message)).toContain('*OK*: resolved');
    expect(allText(message)).toContain('(was ALARM)');
  });

  it('escapes the alarm name, description and reason', () => {
    const message = alarmMessage(
      {
        ...ALARM,
        name: '<!channel> alarm',
        description: '<@U123> & co',
        reason: '<!here>',
        region: undefined,
      },
      { calls: [], searched: true },
    );
    expect(JSON.stringify(message)).not.toMatch(/<!channel>|<@U123>|<!here>/);
    expect(textOf(message.blocks[0] as KnownBlock)).toBe(':rotating_light: Alarm: &lt;!channel&gt; alarm');
    expect(allText(message)).not.toContain('Alarm in CloudWatch');
  });
});

describe('account names in alarm summaries and alerts', () => {
  const HOSTILE = { id: '111122223333', name: '<!channel> & prod', ouPath: 'Root/<@U1>' };

  it("names the alarm's account, escaped, in the field and the fallback text", () => {
    const message = alarmMessage(ALARM, { account: HOSTILE, calls: [], searched: true });
    expect(allText(message)).toContain(
      '*Account*\n*&lt;!channel&gt; &amp; prod* `111122223333` · Root/&lt;@U1&gt;',
    );
    expect(message.text).toBe(
      'ALARM: CIS-4.4-IAMPolicyChanges in account &lt;!channel&gt; &amp; prod (111122223333)',
    );
  });

  it('ignores facts about another account than the alarm’s', () => {
    const message = alarmMessage(ALARM, { account: { ...HOSTILE, id: '999999999999' } });
    expect(allText(message)).toContain('*Account*\n`111122223333`');
  });

  it('names the account of a call made in another account than the alarm’s (an organisation trail)', () => {
    const [call, local] = callsOf(2);
    if (!call || !local) throw new Error('no calls');
    const member: AlarmCall = {
      ...call,
      change: {
        ...call.change,
        accountId: '444455556666',
        account: { id: '444455556666', name: 'prod-payments', ouPath: 'Root/Prod' },
      },
    };
    const lines = callLines(alarmMessage(ALARM, { calls: [member, local], source: 'cloudwatch-logs' }));
    expect(lines.find((line) => line.includes('app-role-0'))).toContain(
      'in *prod-payments* `444455556666` · Root/Prod',
    );
    expect(lines.find((line) => line.includes('app-role-1'))).not.toContain(' in ');
  });

  it('shows the count of calls found after the summary', () => {
    const message = alarmMessage(ALARM, { calls: callsOf(1), laterCalls: 12 });
    expect(allText(message)).toContain('*12 more calls found since this summary*');
    expect(message.text).toContain('· 12 later calls');
  });

  it('names the account the caller acted from, escaped', () => {
    const change = adminAttach({
      recipientAccountId: '111122223333',
      callerAccount: { id: '999988887777', name: 'ci-<tooling>' },
    });
    const cross = { ...change, actor: { ...change.actor, accountId: '999988887777' } };
    expect(allText(render(cross))).toContain('Caller from account *ci-&lt;tooling&gt;* `999988887777`');
    const unknown = { ...cross, callerAccount: undefined };
    expect(allText(render(unknown))).toContain('Caller from account `999988887777`');
  });
});

describe('renderThreadNote', () => {
  it('renders a follow-up as escaped text', () => {
    const message = checked(renderThreadNote('Reverted by <@U999> & <!channel>'));
    expect(message.text).toBe('Reverted by &lt;@U999&gt; &amp; &lt;!channel&gt;');
    expect(textOf(message.blocks[0] as KnownBlock)).toBe(message.text);
  });

  it('never sends an empty message', () => {
    expect(checked(renderThreadNote('  ')).text).toBe('(empty note)');
  });

  it('cuts a long note to one section and keeps the whole text as the fallback', () => {
    const message = checked(renderThreadNote('x'.repeat(5000)));
    expect(textOf(message.blocks[0] as KnownBlock)).toHaveLength(3000);
    expect(message.text).toHaveLength(5000);
  });
});

describe('blockKitViolations', () => {
  it('finds broken limits, duplicate action ids and a missing fallback text', () => {
    const button = (id: string) => ({
      type: 'button',
      action_id: id,
      text: { type: 'plain_text', text: 'x'.repeat(76) },
    });
    const violations = blockKitViolations({
      text: '',
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } },
        { type: 'section', text: { type: 'mrkdwn', text: 's'.repeat(3001) } },
        { type: 'actions', elements: [button('a'), button('a')] },
        ...Array.from({ length: 48 }, () => ({ type: 'divider' })),
      ],
    });
    expect(violations).toEqual([
      'text: the fallback text is missing or empty',
      'blocks: 51 blocks (max 50)',
      'blocks[0].text: text is 151 characters (max 150)',
      'blocks[1].text: text is 3001 characters (max 3000)',
      'blocks[2].elements[0].text: text is 76 characters (max 75)',
      'blocks[2].elements[1].text: text is 76 characters (max 75)',
      'action_id a is used more than once',
    ]);
  });

  it('finds oversized fields, confirm dialogs and button values', () => {
    const violations = blockKitViolations({
      text: 'ok',
      blocks: [
        {
          type: 'section',
          fields: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'f'.repeat(2001) })),
        },
        {
          type: 'actions',
          elements: [
            {
              type: 'button',
              action_id: 'x'.repeat(256),
              text: { type: 'plain_text', text: 'ok' },
              value: 'v'.repeat(2001),
              confirm: {
                title: { type: 'plain_text', text: 't'.repeat(101) },
                text: { type: 'plain_text', text: 'c'.repeat(301) },
              },
            },
          ],
        },
      ],
    });
    expect(violations).toContain('blocks[0].fields: 11 fields (max 10)');
    expect(violations).toContain('blocks[0].fields[10]: text is 2001 characters (max 2000)');
    expect(violations).toContain('blocks[1].elements[0]: action_id is 256 characters (max 255)');
    expect(violations).toContain('blocks[1].elements[0]: value is 2001 characters (max 2000)');
    expect(violations).toContain('blocks[1].elements[0].confirm.title: text is 101 characters (max 100)');
    expect(violations).toContain('blocks[1].elements[0].confirm.text: text is 301 characters (max 300)');
  });
});

describe('slackDate', () => {
  /** The date token as it was first written: the fallback always written back from the parsed date. */
  function fromTheDate(iso: string): string {
    const millis = Date.parse(iso);
    if (Number.isNaN(millis)) return iso;
    return `<!date^${Math.floor(millis / 1000)}^{date_short_pretty} {time}|${new Date(millis).toISOString().replace('.000Z', 'Z')}>`;
  }

  it.each([
    ['2026-11-20T14:05:31Z', '<!date^1795183531^{date_short_pretty} {time}|2026-11-20T14:05:31Z>'],
    ['2024-02-29T23:59:59Z', '<!date^1709251199^{date_short_pretty} {time}|2024-02-29T23:59:59Z>'],
    ['2023-02-29T00:00:00Z', '<!date^1677628800^{date_short_pretty} {time}|2023-03-01T00:00:00Z>'],
    ['2026-04-31T10:00:00Z', '<!date^1777629600^{date_short_pretty} {time}|2026-05-01T10:00:00Z>'],
    ['2026-11-20T14:05:31.250Z', '<!date^1795183531^{date_short_pretty} {time}|2026-11-20T14:05:31.250Z>'],
    ['2026-11-20T14:05:31+01:00', '<!date^1795179931^{date_short_pretty} {time}|2026-11-20T13:05:31Z>'],
    ['not a time', 'not a time'],
  ])('writes %s as %s, as the parsed date reads', (iso, expected) => {
    expect(slackDate(iso)).toBe(expected);
    expect(fromTheDate(iso)).toBe(expected);
  });

  it('writes any whole-second time as the parsed date reads', () => {
    const two = (value: number) => String(value).padStart(2, '0');
    fc.assert(
      fc.property(
        fc.integer({ min: 1970, max: 2100 }),
        fc.integer({ min: 0, max: 13 }),
        fc.integer({ min: 0, max: 32 }),
        fc.integer({ min: 0, max: 24 }),
        fc.integer({ min: 0, max: 60 }),
        (year, month, day, hour, minute) => {
          const iso = `${year}-${two(month)}-${two(day)}T${two(hour)}:${two(minute)}:${two(minute % 60)}Z`;
          expect(slackDate(iso)).toBe(fromTheDate(iso));
        },
      ),
      { numRuns: 3000 },
    );
  });
});
