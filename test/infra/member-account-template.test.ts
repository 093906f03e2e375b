/**
 * `templates/member-account.yml`, the one template every account of an organisation gets (a StackSet, and a plain
 * stack in the management account): read and resolved as CloudFormation would for given parameters, compared
 * with the stack's own rules and with `templates/responder-role.yml`, and then its resources made on moto_server
 * with the SDK in two accounts of a moto organisation (moto runs no CloudFormation), with the stack's central bus
 * in a third, to see a member account's IAM change reach the central bus's rule.
 *
 * What moto does not do, and how each gap is covered: it runs no CloudFormation (the resources are made from the
 * resolved template with the SDK); its rules do not deliver to SNS (an SQS queue stands in for the alerts topic);
 * it evaluates no event-bus policy, forwarding role or trust policy, and it accepts a PutEvents with an `aws.`
 * source that AWS refuses (so the test puts the IAM event on the member's default bus as CloudTrail would, and the
 * bus policy moto keeps is evaluated here for a member and an outsider); it has no `TestEventPattern` (the rules'
 * patterns are exercised by moto's own matcher on real deliveries instead).
 */
import path from 'node:path';
import {
  CreateEventBusCommand,
  DescribeEventBusCommand,
  EventBridgeClient,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  PutPermissionCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateRoleCommand, GetRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import {
  CreateAccountCommand,
  CreateOrganizationCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FORWARDED_EVENT_PATTERNS, FORWARDING_STOP_PATTERN } from '../../src/domain/forwarding';
import {
  type CfnTemplate,
  conditionHoldsIn,
  readYamlFile,
  resourcesIn,
  type StackContext,
} from '../support/cfn-template';
import { cloudTrailRecord } from '../support/cloudtrail';
import { awsTestEnv, type MotoServer, startMoto } from '../support/moto';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
type Json = Record<string, unknown>;
interface Statement {
  Sid?: string;
  Effect: string;
  Principal?: unknown;
  Action: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

const CENTRAL = '222233334444';
const MEMBER = '555566667777';
const BUS_ARN = `arn:aws:events:us-east-1:${CENTRAL}:event-bus/iam-changes-org-prod`;
const PARAMETERS = {
  CentralEventBusArn: BUS_ARN,
  WorkerRoleArn: `arn:aws:iam::${CENTRAL}:role/iam-changes-worker-prod`,
  ExternalId: 'external-id-0123456789',
};

let member: CfnTemplate;
let responder: CfnTemplate;
let patterns: { cis44: Json; allWrites: Json };
let stackBusStatement: Statement;
let forwardingStopPattern: Json;

beforeAll(async () => {
  member = await readYamlFile(path.join(ROOT, 'templates', 'member-account.yml'));
  responder = await readYamlFile(path.join(ROOT, 'templates', 'responder-role.yml'));
  const service = await readYamlFile<{
    custom: { iamEventPatterns: typeof patterns; forwardingStopPattern: Json };
    resources: { Resources: Record<string, { Properties: { Statement: Statement } }> };
  }>(path.join(ROOT, 'serverless.yml'));
  patterns = service.custom.iamEventPatterns;
  forwardingStopPattern = service.custom.forwardingStopPattern;
  stackBusStatement = service.resources.Resources.OrgEventBusPolicy?.Properties.Statement as Statement;
});

function inMember(parameters: Record<string, string> = {}): StackContext {
  return { accountId: MEMBER, parameters: { ...PARAMETERS, ...parameters } };
}

describe('templates/member-account.yml', () => {
  it('creates the responder role exactly as templates/responder-role.yml does, with the same parameters', () => {
    expect(member.Resources.ResponderRole).toEqual(responder.Resources.ResponderRole);
    // The same parameters; only their descriptions may say more.
    const withoutDescription = (parameter: unknown) => {
      const { Description: _, ...rest } = (parameter ?? {}) as Json;
      return rest;
    };
    for (const name of ['WorkerRoleArn', 'ExternalId', 'RoleName', 'ProtectedPrincipals']) {
      expect(withoutDescription(member.Parameters?.[name]), name).toEqual(
        withoutDescription(responder.Parameters?.[name]),
      );
    }
    expect(member.Conditions?.HasProtectedPrincipals).toEqual(responder.Conditions?.HasProtectedPrincipals);
    expect(member.Outputs?.ResponderRoleArn).toEqual(responder.Outputs?.ResponderRoleArn);
  });

  it("keeps the responder role's guarantees: external id, no writes on itself, the bot's roles or protected principals", () => {
    const context = inMember({ ProtectedPrincipals: 'arn:aws:iam::*:role/break-glass' });
    const role = resourcesIn(member, context).ResponderRole?.Properties as {
      AssumeRolePolicyDocument: { Statement: Statement[] };
      Policies: Array<{ PolicyDocument: { Statement: Statement[] } }>;
    };
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: { AWS: PARAMETERS.WorkerRoleArn },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'sts:ExternalId': PARAMETERS.ExternalId } },
      },
    ]);
    const denied = role.Policies.flatMap((policy) => policy.PolicyDocument.Statement)
      .filter((statement) => statement.Effect === 'Deny')
      .map((statement) => statement.Resource);
    expect(denied).toEqual([
      `arn:aws:iam::${MEMBER}:role/iam-changes-responder`,
      `arn:aws:iam::${MEMBER}:role/iam-changes-*`,
      ['arn:aws:iam::*:role/break-glass'],
    ]);
  });

  it("lets the responder role read the forwarding rule and its watch rule, and only those, for the worker's forwarding check", () => {
    const role = resourcesIn(member, inMember()).ResponderRole?.Properties as {
      Policies: Array<{ PolicyDocument: { Statement: Statement[] } }>;
    };
    const statements = role.Policies.flatMap((policy) => policy.PolicyDocument.Statement);
    const onEvents = statements.filter((statement) =>
      (Array.isArray(statement.Action) ? statement.Action : [statement.Action]).some((action) =>
        action.startsWith('events:'),
      ),
    );
    expect(onEvents).toEqual([
      {
        Effect: 'Allow',
        Action: ['events:DescribeRule', 'events:ListTargetsByRule'],
        Resource: [
          `arn:aws:events:us-east-1:${MEMBER}:rule/iam-changes-forward`,
          `arn:aws:events:us-east-1:${MEMBER}:rule/iam-changes-forward-watch`,
        ],
      },
    ]);
  });

  it("judges forwarding against the stack's own IAM event patterns", () => {
    expect(FORWARDED_EVENT_PATTERNS).toEqual(patterns);
  });

  it("judges the watch rule against the stack's forwarding-stop pattern, which the template's watch rule has", () => {
    expect(FORWARDING_STOP_PATTERN).toEqual(forwardingStopPattern);
    expect(resourcesIn(member, inMember()).ForwardingWatchRule?.Properties.EventPattern).toEqual(
      FORWARDING_STOP_PATTERN,
    );
  });

  it("forwards the same IAM events as the stack's rules, for either value of AllWrites", () => {
    const patternWith = (allWrites: string) =>
      resourcesIn(member, inMember({ AllWrites: allWrites })).ForwardingRule?.Properties.EventPattern;
    expect(patternWith('false')).toEqual(patterns.cis44);
    expect(patternWith('true')).toEqual(patterns.allWrites);
  });

  it("lets EventBridge put events on the central bus only, and only for this account's forwarding rule", () => {
    const resources = resourcesIn(member, inMember());
    const rule = resources.ForwardingRule?.Properties as { Name: string; Targets: Json[] };
    expect(rule.Targets).toEqual([
      {
        Id: 'iam-changes-central-bus',
        Arn: BUS_ARN,
        RoleArn: 'ForwarderRole.Arn',
        RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
        DeadLetterConfig: { Arn: 'ForwardDeadLetterQueue.Arn' },
      },
    ]);
    const role = resources.ForwarderRole?.Properties as {
      RoleName: string;
      AssumeRolePolicyDocument: { Statement: Statement[] };
      Policies: Array<{ PolicyDocument: { Statement: Statement[] } }>;
    };
    // The bot's role prefix: the worker and the responder never write it.
    expect(role.RoleName).toMatch(/^iam-changes-/);
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: {
          StringEquals: { 'aws:SourceAccount': MEMBER },
          ArnEquals: {
            'aws:SourceArn': [
              `arn:aws:events:us-east-1:${MEMBER}:rule/${rule.Name}`,
              `arn:aws:events:us-east-1:${MEMBER}:rule/${rule.Name}-watch`,
            ],
          },
        },
      },
    ]);
    expect(role.Policies.flatMap((policy) => policy.PolicyDocument.Statement)).toEqual([
      { Effect: 'Allow', Action: 'events:PutEvents', Resource: BUS_ARN },
    ]);
  });

  it('creates the directory role only when given the reader (the management account), and lets it only list', () => {
    expect(resourcesIn(member, inMember()).DirectoryRole).toBeUndefined();
    const reader = 'arn:aws:iam::222233334444:role/iam-changes-prod-NotifyRole-ABC';
    const role = resourcesIn(member, inMember({ DirectoryReaderArn: reader })).DirectoryRole?.Properties as {
      RoleName: string;
      AssumeRolePolicyDocument: { Statement: Statement[] };
      Policies: Array<{ PolicyDocument: { Statement: Statement[] } }>;
    };
    expect(role.RoleName).toMatch(/^iam-changes-/);
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([
      { Effect: 'Allow', Principal: { AWS: reader }, Action: 'sts:AssumeRole' },
    ]);
    const granted = role.Policies.flatMap((policy) => policy.PolicyDocument.Statement).flatMap((statement) =>
      Array.isArray(statement.Action) ? statement.Action : [statement.Action],
    );
    expect(granted).toEqual([
      'organizations:ListRoots',
      'organizations:ListOrganizationalUnitsForParent',
      'organizations:ListAccountsForParent',
    ]);
  });

  it('forwards nothing from the central account itself, whose own rule already sends its events', () => {
    const central: StackContext = { accountId: CENTRAL, parameters: PARAMETERS };
    expect(conditionHoldsIn(member, central, 'ForwardEvents')).toBe(false);
    expect(Object.keys(resourcesIn(member, central))).toEqual(['ResponderRole']);
    expect(Object.keys(resourcesIn(member, inMember())).sort()).toEqual([
      'ForwardDeadLetterQueue',
      'ForwardDeadLetterQueuePolicy',
      'ForwarderRole',
      'ForwardingRule',
      'ForwardingWatchRule',
      'ResponderRole',
    ]);
  });

  it('keeps what the central bus refused in an encrypted dead-letter queue only the forwarding rule may write', () => {
    const resources = resourcesIn(member, inMember());
    const rule = resources.ForwardingRule?.Properties as { Name: string; Targets: Json[] };
    const target = rule.Targets[0] as { RetryPolicy: Json; DeadLetterConfig: { Arn: string } };
    // Retried for a day (EventBridge's most), then kept for 14 days (SQS's most).
    expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 });
    expect(resources.ForwardDeadLetterQueue?.Properties).toEqual({
      QueueName: 'iam-changes-forward-dlq',
      MessageRetentionPeriod: 1209600,
      SqsManagedSseEnabled: true,
    });
    const policy = resources.ForwardDeadLetterQueuePolicy?.Properties as {
      Queues: unknown[];
      PolicyDocument: { Statement: Statement[] };
    };
    expect(policy.Queues).toEqual(['ref:ForwardDeadLetterQueue']);
    expect(policy.PolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: 'ForwardDeadLetterQueue.Arn',
        Condition: {
          ArnEquals: {
            'aws:SourceArn': [
              `arn:aws:events:us-east-1:${MEMBER}:rule/${rule.Name}`,
              `arn:aws:events:us-east-1:${MEMBER}:rule/${rule.Name}-watch`,
            ],
          },
        },
      },
    ]);
  });

  it("watches the forwarding rule with the stack's pattern, forwarding its deletion to the central bus", () => {
    const resources = resourcesIn(member, inMember());
    const watch = resources.ForwardingWatchRule?.Properties as {
      Name: string;
      EventPattern: Json;
      Targets: Json[];
    };
    expect(watch.Name).toBe('iam-changes-forward-watch');
    expect(watch.EventPattern).toEqual(forwardingStopPattern);
    const forwarding = resources.ForwardingRule?.Properties as { Targets: Json[] } | undefined;
    expect(watch.Targets).toEqual(forwarding?.Targets);
  });
});

/** The one statement form the bus policy uses: `StringEquals` on request context keys. */
function admits(statement: Statement, action: string, context: Record<string, string>): boolean {
  if (statement.Effect !== 'Allow' || statement.Action !== action || statement.Principal !== '*')
    return false;
  return Object.entries(statement.Condition ?? {}).every(([operator, keys]) => {
    if (operator !== 'StringEquals') throw new Error(`operator not handled: ${operator}`);
    return Object.entries(keys).every(([key, value]) => context[key] !== undefined && context[key] === value);
  });
}

describe('on moto_server, in two accounts of an organisation', () => {
  let moto: MotoServer;
  let organizationId: string;
  let centralId: string;
  let memberId: string;
  const clients: Array<{ destroy(): void }> = [];

  /** Client configuration acting in `accountId`, as moto tells accounts apart: by the assumed role's key. */
  function asAccount(accountId: string) {
    return {
      ...awsTestEnv(moto.endpoint),
      credentials: fromTemporaryCredentials({
        params: {
          RoleArn: `arn:aws:iam::${accountId}:role/OrganizationAccountAccessRole`,
          RoleSessionName: 'setup',
        },
        masterCredentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
        clientConfig: { region: 'us-east-1', endpoint: moto.endpoint },
      }),
    };
  }
  function track<T extends { destroy(): void }>(client: T): T {
    clients.push(client);
    return client;
  }

  beforeAll(async () => {
    moto = await startMoto();
    const organizations = track(new OrganizationsClient(awsTestEnv(moto.endpoint)));
    organizationId =
      (await organizations.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }))).Organization?.Id ?? '';
    const create = async (name: string) =>
      (
        await organizations.send(
          new CreateAccountCommand({ AccountName: name, Email: `${name}@example.com` }),
        )
      ).CreateAccountStatus?.AccountId ?? '';
    centralId = await create('security-tooling');
    memberId = await create('prod-payments');
  }, 60_000);

  afterAll(async () => {
    for (const client of clients) client.destroy();
    await moto?.stop();
  });

  it("delivers a member account's IAM policy change to the central bus's rule, and no other call", async () => {
    const busArn = `arn:aws:events:us-east-1:${centralId}:event-bus/iam-changes-org-test`;
    // The central account: the stack's bus, its policy, and its rule with the stack's pattern.
    const centralEvents = track(new EventBridgeClient(asAccount(centralId)));
    const centralSqs = track(new SQSClient(asAccount(centralId)));
    await centralEvents.send(new CreateEventBusCommand({ Name: 'iam-changes-org-test' }));
    const busStatement = JSON.parse(
      JSON.stringify(stackBusStatement)
        .replace('{"Fn::GetAtt":["OrgEventBus","Arn"]}', JSON.stringify(busArn))
        .replace('{"Ref":"OrganizationId"}', JSON.stringify(organizationId)),
    ) as Statement;
    await centralEvents.send(
      new PutPermissionCommand({
        EventBusName: 'iam-changes-org-test',
        Policy: JSON.stringify({ Version: '2012-10-17', Statement: [busStatement] }),
      }),
    );
    // moto's rules deliver to SQS, not SNS: a queue stands in for the alerts topic.
    const queueUrl = (await centralSqs.send(new CreateQueueCommand({ QueueName: 'alerts-stand-in' })))
      .QueueUrl;
    const queueArn = (
      await centralSqs.send(
        new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
      )
    ).Attributes?.QueueArn;
    await centralEvents.send(
      new PutRuleCommand({
        Name: 'iam-changes-org-cis44-test',
        EventBusName: 'iam-changes-org-test',
        EventPattern: JSON.stringify(patterns.cis44),
      }),
    );
    await centralEvents.send(
      new PutTargetsCommand({
        Rule: 'iam-changes-org-cis44-test',
        EventBusName: 'iam-changes-org-test',
        Targets: [{ Id: 'alerts', Arn: queueArn }],
      }),
    );

    // The member account: the template's resources, resolved for it, made with the SDK.
    const resources = resourcesIn(member, {
      accountId: memberId,
      parameters: { ...PARAMETERS, CentralEventBusArn: busArn },
    });
    const iam = track(new IAMClient(asAccount(memberId)));
    const events = track(new EventBridgeClient(asAccount(memberId)));
    for (const id of ['ForwarderRole', 'ResponderRole']) {
      const role = resources[id]?.Properties as {
        RoleName: string;
        AssumeRolePolicyDocument: Json;
        Policies: Array<{ PolicyName: string; PolicyDocument: Json }>;
      };
      await iam.send(
        new CreateRoleCommand({
          RoleName: role.RoleName,
          AssumeRolePolicyDocument: JSON.stringify(role.AssumeRolePolicyDocument),
        }),
      );
      for (const policy of role.Policies) {
        await iam.send(
          new PutRolePolicyCommand({
            RoleName: role.RoleName,
            PolicyName: policy.PolicyName,
            PolicyDocument: JSON.stringify(policy.PolicyDocument),
          }),
        );
      }
    }
    const forwarderArn = (await iam.send(new GetRoleCommand({ RoleName: 'iam-changes-forwarder' }))).Role
      ?.Arn;
    expect(forwarderArn).toBe(`arn:aws:iam::${memberId}:role/iam-changes-forwarder`);
    const rule = resources.ForwardingRule?.Properties as { Name: string; EventPattern: Json };
    await events.send(
      new PutRuleCommand({ Name: rule.Name, EventPattern: JSON.stringify(rule.EventPattern) }),
    );
    // Its dead-letter queue, with the template's policy, and the target with its retry policy.
    const memberSqs = track(new SQSClient(asAccount(memberId)));
    const queue = resources.ForwardDeadLetterQueue?.Properties as { QueueName: string };
    const dlqUrl = (await memberSqs.send(new CreateQueueCommand({ QueueName: queue.QueueName }))).QueueUrl;
    const dlqArn = (
      await memberSqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }))
    ).Attributes?.QueueArn;
    const queuePolicy = resources.ForwardDeadLetterQueuePolicy?.Properties as { PolicyDocument: Json };
    await memberSqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: dlqUrl,
        Attributes: {
          Policy: JSON.stringify(queuePolicy.PolicyDocument).replace(
            '"ForwardDeadLetterQueue.Arn"',
            JSON.stringify(dlqArn),
          ),
        },
      }),
    );
    const target = (rule as unknown as { Targets: Json[] }).Targets[0] as {
      RetryPolicy: { MaximumRetryAttempts: number; MaximumEventAgeInSeconds: number };
    };
    await events.send(
      new PutTargetsCommand({
        Rule: rule.Name,
        Targets: [
          {
            Id: 'iam-changes-central-bus',
            Arn: busArn,
            RoleArn: forwarderArn,
            RetryPolicy: target.RetryPolicy,
            DeadLetterConfig: { Arn: dlqArn },
          },
        ],
      }),
    );
    const [kept] = (await events.send(new ListTargetsByRuleCommand({ Rule: rule.Name }))).Targets ?? [];
    expect(kept).toMatchObject({ DeadLetterConfig: { Arn: dlqArn }, RetryPolicy: target.RetryPolicy });

    // CloudTrail puts the member's IAM calls on its default bus (AWS would refuse an `aws.` source from anyone else).
    const record = (eventName: string, readOnly: boolean) =>
      cloudTrailRecord(eventName, { roleName: 'payments-app' }, { recipientAccountId: memberId, readOnly });
    const attach = record('AttachRolePolicy', false);
    const read = record('GetRole', true);
    // An IAM write outside the 16 CIS 4.4 calls: forwarded only with AllWrites=true.
    const createUser = record('CreateUser', false);
    const put = await events.send(
      new PutEventsCommand({
        Entries: [attach, read, createUser].map((detail) => ({
          Source: 'aws.iam',
          DetailType: 'AWS API Call via CloudTrail',
          Detail: JSON.stringify(detail),
        })),
      }),
    );
    expect(put.FailedEntryCount ?? 0).toBe(0);

    const received = await centralSqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    const delivered = (received.Messages ?? []).map((message) => JSON.parse(message.Body ?? '{}') as Json);
    expect(delivered.map((event) => (event.detail as Json).eventID)).toEqual([attach.eventID]);
    expect(delivered[0]).toMatchObject({
      source: 'aws.iam',
      'detail-type': 'AWS API Call via CloudTrail',
      detail: { eventName: 'AttachRolePolicy', recipientAccountId: memberId },
    });
  });

  it("delivers the calls that stop or rewrite forwarding through the watch rule's pattern, and no other call", async () => {
    const events = track(new EventBridgeClient(asAccount(memberId)));
    const sqs = track(new SQSClient(asAccount(memberId)));
    const watch = resourcesIn(member, { accountId: memberId, parameters: PARAMETERS }).ForwardingWatchRule
      ?.Properties as { Name: string; EventPattern: Json };
    // moto has no TestEventPattern: the rule delivers to a queue standing in for the central bus.
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'watch-stand-in' }))).QueueUrl;
    const queueArn = (
      await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))
    ).Attributes?.QueueArn;
    await events.send(
      new PutRuleCommand({ Name: watch.Name, EventPattern: JSON.stringify(watch.EventPattern) }),
    );
    await events.send(
      new PutTargetsCommand({ Rule: watch.Name, Targets: [{ Id: 'stand-in', Arn: queueArn }] }),
    );
    const call = (eventName: string, requestParameters: Json) => ({
      Source: 'aws.events',
      DetailType: 'AWS API Call via CloudTrail',
      Detail: JSON.stringify({ eventSource: 'events.amazonaws.com', eventName, requestParameters }),
    });
    await events.send(
      new PutEventsCommand({
        Entries: [
          call('DeleteRule', { name: 'iam-changes-forward' }),
          call('RemoveTargets', { rule: 'iam-changes-forward', ids: ['x'] }),
          call('DeleteRule', { name: 'app-rule' }),
          call('PutTargets', { rule: 'iam-changes-forward' }),
          call('PutRule', { name: 'app-rule' }),
          call('DescribeRule', { name: 'iam-changes-forward' }),
        ],
      }),
    );

    const received = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    const delivered = (received.Messages ?? []).map(
      (message) => (JSON.parse(message.Body ?? '{}') as { detail: { eventName: string } }).detail.eventName,
    );
    expect(delivered.sort()).toEqual(['DeleteRule', 'PutTargets', 'RemoveTargets']);
  });

  it('keeps a bus policy that admits the organisation and refuses an outsider (moto stores it, AWS enforces it)', async () => {
    const centralEvents = track(new EventBridgeClient(asAccount(centralId)));
    const bus = await centralEvents.send(new DescribeEventBusCommand({ Name: 'iam-changes-org-test' }));
    const statements = (JSON.parse(bus.Policy ?? '{}') as { Statement: Statement[] }).Statement;
    expect(statements).toHaveLength(1);
    const [statement] = statements as [Statement];
    expect(admits(statement, 'events:PutEvents', { 'aws:PrincipalOrgID': organizationId })).toBe(true);
    expect(admits(statement, 'events:PutEvents', { 'aws:PrincipalOrgID': 'o-outsider00' })).toBe(false);
    // A principal of no organisation has no aws:PrincipalOrgID at all.
    expect(admits(statement, 'events:PutEvents', {})).toBe(false);
    expect(statement.Resource).toBe(bus.Arn);
  });
});
