/**
 * The ops-alarms plugin on small templates: it covers whatever the template holds — a rule on another event bus
 * behind a condition, a target that already has its own dead-letter queue — not only this stack's resources.
 */
import { describe, expect, it } from 'vitest';
import { addOperationalAlarms } from '../../plugins/ops-alarms.cjs';

type Resources = Record<string, { Type: string; Condition?: string; Properties?: Record<string, unknown> }>;

function template(resources: Resources) {
  return { Resources: { OpsTopic: { Type: 'AWS::SNS::Topic' }, ...resources } as Resources };
}

describe('addOperationalAlarms', () => {
  it("gives a conditional rule on another bus its alarm, its targets a dead-letter queue, under the rule's condition", () => {
    const { Resources } = addOperationalAlarms(
      template({
        CentralRule: {
          Type: 'AWS::Events::Rule',
          Condition: 'HasCentralBus',
          Properties: {
            Name: 'central',
            EventBusName: 'org-iam-events',
            Targets: [
              { Id: 'alerts', Arn: { Ref: 'AlertsTopic' } },
              { Id: 'own', Arn: 'arn:x', DeadLetterConfig: { Arn: 'arn:aws:sqs:us-east-1:1:own' } },
            ],
          },
        },
      }),
      { prefix: 'iam-changes-dev' },
    );

    expect(Resources.CentralRuleFailedInvocationsAlarm).toMatchObject({
      Condition: 'HasCentralBus',
      Properties: {
        Namespace: 'AWS/Events',
        MetricName: 'FailedInvocations',
        Dimensions: [
          { Name: 'EventBusName', Value: 'org-iam-events' },
          { Name: 'RuleName', Value: 'central' },
        ],
        AlarmActions: [{ Ref: 'OpsTopic' }],
      },
    });
    const targets = Resources.CentralRule?.Properties?.Targets as Array<Record<string, unknown>>;
    expect(targets[0]).toMatchObject({
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['RuleDeadLetterQueue', 'Arn'] } },
      RetryPolicy: { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 },
    });
    // A target's own dead-letter queue is kept.
    expect(targets[1]?.DeadLetterConfig).toEqual({ Arn: 'arn:aws:sqs:us-east-1:1:own' });
    // The queue policy's statement for the rule exists only when the rule does.
    expect(Resources.RuleDeadLetterQueuePolicy?.Properties?.PolicyDocument).toMatchObject({
      Statement: [
        {
          'Fn::If': [
            'HasCentralBus',
            {
              Principal: { Service: 'events.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': ['CentralRule', 'Arn'] } } },
            },
            { Ref: 'AWS::NoValue' },
          ],
        },
      ],
    });
    // The rules' queue is a dead-letter queue like the others: its depth is watched.
    expect(Resources.RuleDeadLetterQueueDepthAlarm?.Properties).toMatchObject({
      MetricName: 'ApproximateNumberOfMessagesVisible',
      AlarmName: 'iam-changes-dev-rule-dlq-depth',
    });
  });

  it('watches only queues named as dead-letter queues, and adds no rule queue without rules', () => {
    const { Resources } = addOperationalAlarms(
      template({
        WorkQueue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'work' } },
        ExtraDeadLetterQueue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'extra-dlq' } },
      }),
      { prefix: 'p' },
    );

    expect(Object.keys(Resources).sort()).toEqual([
      'ExtraDeadLetterQueue',
      'ExtraDeadLetterQueueDepthAlarm',
      'OpsTopic',
      'WorkQueue',
    ]);
  });

  it('refuses a rule on another bus without a Name, whose Ref is no metric dimension', () => {
    const unnamed = template({
      BusRule: { Type: 'AWS::Events::Rule', Properties: { EventBusName: 'org-iam-events', Targets: [] } },
    });

    expect(() => addOperationalAlarms(unnamed, { prefix: 'p' })).toThrow(/rule BusRule .*give it a Name/);
  });

  it('refuses a template without the ops topic to alarm to', () => {
    expect(() => addOperationalAlarms({ Resources: {} }, { prefix: 'p' })).toThrow(/no OpsTopic/);
  });
});
