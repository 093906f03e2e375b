/**
 * A local Serverless Framework plugin: once the framework has merged `resources` into the compiled template, it
 * makes every part of the stack that can fail silently say so on the ops topic (`OpsTopic`, declared in
 * `serverless.yml`). It works on whatever the template holds, so a function, rule or dead-letter queue added
 * later is covered without another line here:
 *
 * - each `AWS::Lambda::Function`: an alarm on its `Errors` and one on its `Throttles` (any, in 5 minutes);
 * - each `AWS::SQS::Queue` whose logical id ends in `DeadLetterQueue`: an alarm on its depth
 *   (`ApproximateNumberOfMessagesVisible` above 0);
 * - each `AWS::Events::Rule`: an alarm on its `FailedInvocations`, and on each of its targets that has none, a
 *   dead-letter queue (`RuleDeadLetterQueue`, which EventBridge may write to only for these rules) and an explicit
 *   retry policy.
 *
 * Each added resource carries the `Condition` of the resource it watches. Written by hand: no library does this.
 */
'use strict';

const OPS_TOPIC = 'OpsTopic';
const RULE_DLQ = 'RuleDeadLetterQueue';
const PERIOD_SECONDS = 300;
/** EventBridge's own defaults, stated: retried for a day, then kept in the rule's dead-letter queue. */
const RULE_RETRY_POLICY = { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 };
const DLQ_RETENTION_SECONDS = 1209600;

/**
 * @param {Record<string, any>} resource
 * @returns {Record<string, string>}
 */
function conditionOf(resource) {
  return resource.Condition ? { Condition: resource.Condition } : {};
}

/**
 * An alarm that fires when `metric` is above 0 in one 5-minute period; missing data (nothing happened) is fine.
 *
 * @param {{ name: string, description: string, namespace: string, metric: string, statistic: string,
 *   dimensions: Array<{ Name: string, Value: unknown }> }} options
 */
function anyAlarm({ name, description, namespace, metric, statistic, dimensions }) {
  return {
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      AlarmName: name,
      AlarmDescription: description,
      Namespace: namespace,
      MetricName: metric,
      Dimensions: dimensions,
      Statistic: statistic,
      Period: PERIOD_SECONDS,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: OPS_TOPIC }],
      OKActions: [{ Ref: OPS_TOPIC }],
    },
  };
}

/**
 * @param {Record<string, any>} resources
 * @param {string} id
 * @param {Record<string, any>} resource
 */
function add(resources, id, resource) {
  if (resources[id]) throw new Error(`ops-alarms: ${id} is already in the template`);
  resources[id] = resource;
}

/**
 * Adds the alarms, the rules' dead-letter queue, its policy and the targets' retry policies to `template` (in
 * place) and returns it. `prefix` starts the names of the alarms and the queue (`iam-changes-<stage>`).
 *
 * @param {{ Resources: Record<string, any> }} template
 * @param {{ prefix: string }} options
 */
function addOperationalAlarms(template, { prefix }) {
  const resources = template.Resources;
  if (!resources[OPS_TOPIC]) throw new Error(`ops-alarms: the template has no ${OPS_TOPIC} to alarm to`);
  const entries = Object.entries(resources);

  const rules = entries.filter(([, resource]) => resource.Type === 'AWS::Events::Rule');
  if (rules.length > 0) {
    add(resources, RULE_DLQ, {
      Type: 'AWS::SQS::Queue',
      Properties: {
        QueueName: `${prefix}-rule-dlq`,
        MessageRetentionPeriod: DLQ_RETENTION_SECONDS,
        SqsManagedSseEnabled: true,
      },
    });
    // One statement per rule, present exactly when the rule is.
    add(resources, `${RULE_DLQ}Policy`, {
      Type: 'AWS::SQS::QueuePolicy',
      Properties: {
        Queues: [{ Ref: RULE_DLQ }],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: rules.map(([id, rule]) => {
            const statement = {
              Sid: id,
              Effect: 'Allow',
              Principal: { Service: 'events.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Resource: { 'Fn::GetAtt': [RULE_DLQ, 'Arn'] },
              Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [id, 'Arn'] } } },
            };
            return rule.Condition
              ? { 'Fn::If': [rule.Condition, statement, { Ref: 'AWS::NoValue' }] }
              : statement;
          }),
        },
      },
    });
    for (const [, rule] of rules) {
      for (const target of rule.Properties?.Targets ?? []) {
        target.DeadLetterConfig ??= { Arn: { 'Fn::GetAtt': [RULE_DLQ, 'Arn'] } };
        target.RetryPolicy ??= { ...RULE_RETRY_POLICY };
      }
    }
  }

  for (const [id, rule] of rules) {
    const name = rule.Properties?.Name ?? id;
    const bus = rule.Properties?.EventBusName;
    // On a custom bus a rule's Ref is "bus|rule", not the RuleName dimension of its metrics.
    if (bus && !rule.Properties?.Name) {
      throw new Error(
        `ops-alarms: rule ${id} is on event bus ${JSON.stringify(bus)}: give it a Name to alarm on`,
      );
    }
    add(resources, `${id}FailedInvocationsAlarm`, {
      ...conditionOf(rule),
      ...anyAlarm({
        name: `${name}-failed-invocations`,
        description: `EventBridge rule ${name} could not deliver IAM events to its target: they wait in ${prefix}-rule-dlq.`,
        namespace: 'AWS/Events',
        metric: 'FailedInvocations',
        statistic: 'Sum',
        dimensions: [
          ...(bus ? [{ Name: 'EventBusName', Value: bus }] : []),
          { Name: 'RuleName', Value: rule.Properties?.Name ?? { Ref: id } },
        ],
      }),
    });
  }

  for (const [id, fn] of entries.filter(([, resource]) => resource.Type === 'AWS::Lambda::Function')) {
    const name = fn.Properties?.FunctionName ?? id;
    const dimensions = [{ Name: 'FunctionName', Value: { Ref: id } }];
    add(resources, `${id}ErrorsAlarm`, {
      ...conditionOf(fn),
      ...anyAlarm({
        name: `${name}-errors`,
        description: `Function ${name} failed: see its log group /aws/lambda/${name}.`,
        namespace: 'AWS/Lambda',
        metric: 'Errors',
        statistic: 'Sum',
        dimensions,
      }),
    });
    add(resources, `${id}ThrottlesAlarm`, {
      ...conditionOf(fn),
      ...anyAlarm({
        name: `${name}-throttles`,
        description: `Function ${name} was throttled: the account's concurrency (or its reserved concurrency) is used up.`,
        namespace: 'AWS/Lambda',
        metric: 'Throttles',
        statistic: 'Sum',
        dimensions,
      }),
    });
  }

  for (const [id, queue] of Object.entries(resources).filter(
    ([id, resource]) => resource.Type === 'AWS::SQS::Queue' && id.endsWith('DeadLetterQueue'),
  )) {
    const name = queue.Properties?.QueueName ?? id;
    add(resources, `${id}DepthAlarm`, {
      ...conditionOf(queue),
      ...anyAlarm({
        name: `${name}-depth`,
        description: `Dead-letter queue ${name} holds messages that were not delivered: read them, then redrive.`,
        namespace: 'AWS/SQS',
        metric: 'ApproximateNumberOfMessagesVisible',
        statistic: 'Maximum',
        dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [id, 'QueueName'] } }],
      }),
    });
  }
  return template;
}

/** The plugin: runs after `resources` are merged, before the template is written. */
class OpsAlarmsPlugin {
  /** @param {any} serverless */
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = {
      'after:aws:package:finalize:mergeCustomProviderResources': () => {
        const service = this.serverless.service;
        const stage = this.serverless.getProvider('aws').getStage();
        addOperationalAlarms(service.provider.compiledCloudFormationTemplate, {
          prefix: `${service.service}-${stage}`,
        });
      },
    };
  }
}

module.exports = OpsAlarmsPlugin;
module.exports.addOperationalAlarms = addOperationalAlarms;
