/** Reading a module's AWS calls as IAM actions: the check of every role rests on this reading being right. */
import { describe, expect, it } from 'vitest';
import { actionsInSource, missingPermissions } from '../support/bundle-commands';

describe('actionsInSource', () => {
  it('maps commands to actions by the client package they were imported from, static or on demand', () => {
    const source = `
      import { AttachRolePolicyCommand, type IAMClient } from '@aws-sdk/client-iam';
      import { FilterLogEventsCommand as Filter } from '@aws-sdk/client-cloudwatch-logs';
      const { PublishCommand } = await import('@aws-sdk/client-sns');
      import { GetCommand, BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
      await iam.send(new AttachRolePolicyCommand({}));
      await sns.send(new PublishCommand({}));
      await db.send(new GetCommand({}));
      await db.send(new BatchWriteCommand({}));
      const provide = fromTemporaryCredentials({ params: {} });
    `;

    expect(actionsInSource(source, 'src/x.ts').map((call) => call.action)).toEqual([
      'iam:AttachRolePolicy',
      'sns:Publish',
      'dynamodb:GetItem',
      'dynamodb:BatchWriteItem',
      'sts:AssumeRole',
    ]);
  });

  it('refuses a command whose service it cannot tell, rather than pass it over', () => {
    expect(() => actionsInSource('await x.send(new MysteryCommand({}));', 'src/y.ts')).toThrow(
      /src\/y.ts: cannot tell which service MysteryCommand/,
    );
    expect(() =>
      actionsInSource(
        "import { InvokeCommand } from '@aws-sdk/client-lambda'; new InvokeCommand({});",
        'src/z.ts',
      ),
    ).toThrow(/@aws-sdk\/client-lambda/);
  });
});

describe('missingPermissions', () => {
  const calls = [
    { action: 'logs:TestMetricFilter', module: 'src/aws/cis-audit-gateway.ts' },
    { action: 'iam:GetRole', module: 'src/aws/iam-gateway.ts' },
    { action: 'sqs:ReceiveMessage', module: 'src/aws/sqs-dead-letter-queue.ts' },
  ];

  it('names each call no Allow statement covers, with its module; a Deny allows nothing', () => {
    expect(
      missingPermissions(calls, [
        { Effect: 'Allow', Action: ['iam:Get*'] },
        { Effect: 'Deny', Action: 'logs:TestMetricFilter' },
      ]),
    ).toEqual([
      'logs:TestMetricFilter (src/aws/cis-audit-gateway.ts)',
      'sqs:ReceiveMessage (src/aws/sqs-dead-letter-queue.ts)',
    ]);
  });

  it('leaves out the calls explained as never sent', () => {
    expect(
      missingPermissions(calls, [{ Effect: 'Allow', Action: 'logs:TestMetricFilter' }], {
        'sqs:ReceiveMessage': 'the CLI reads the queue',
        'iam:GetRole': 'not here',
      }),
    ).toEqual([]);
  });
});
