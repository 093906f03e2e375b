/**
 * A member account's forwarding rule and its watch rule, read through the responder role: `DescribeRule` and
 * `ListTargetsByRule` on `iam-changes-forward` and `iam-changes-forward-watch` of the account's default bus in
 * us-east-1 (where the member template puts them), the only two EventBridge calls the role allows, on those two rules
 * only. Loaded with the first scheduled forwarding check.
 */
import {
  DescribeRuleCommand,
  type DescribeRuleCommandOutput,
  EventBridgeClient,
  ListTargetsByRuleCommand,
  ResourceNotFoundException,
  type Target,
} from '@aws-sdk/client-eventbridge';
import type { ForwardingRuleReader } from '../app/forwarding-check';
import {
  FORWARDING_RULE,
  FORWARDING_WATCH_RULE,
  type ForwardingRuleFacts,
  type MemberForwardingFacts,
} from '../domain/forwarding';
import { type AwsClientOptions, awsClientConfig, IAM_EVENTS_REGION } from './client-config';
import { memberCredentials, type ResponderRole } from './member-accounts';

/** An EventBridge client in `accountId`, in the region IAM's events reach (us-east-1), as the responder role. */
export function createMemberEventsClient(
  accountId: string,
  role: ResponderRole,
  options: AwsClientOptions = {},
): EventBridgeClient {
  return new EventBridgeClient({
    ...awsClientConfig(IAM_EVENTS_REGION, options),
    credentials: memberCredentials(accountId, role, options),
  });
}

function transformsInput(target: Target): boolean {
  return (
    target.Input !== undefined || target.InputPath !== undefined || target.InputTransformer !== undefined
  );
}

/**
 * {@link ForwardingRuleReader} over one EventBridge client per account (`clientFor`). A rule that does not exist
 * is a fact (`exists: false`); any other failure — the role not assumable, access denied, throttling — throws.
 */
export class MemberForwardingReader implements ForwardingRuleReader {
  constructor(private readonly clientFor: (accountId: string) => Pick<EventBridgeClient, 'send'>) {}

  async read(accountId: string): Promise<MemberForwardingFacts> {
    const client = this.clientFor(accountId);
    const forward = await this.readRule(client, FORWARDING_RULE);
    return { forward, watch: await this.readRule(client, FORWARDING_WATCH_RULE) };
  }

  private async readRule(
    client: Pick<EventBridgeClient, 'send'>,
    name: string,
  ): Promise<ForwardingRuleFacts> {
    let rule: DescribeRuleCommandOutput;
    try {
      rule = await client.send(new DescribeRuleCommand({ Name: name }));
    } catch (error: unknown) {
      if (
        error instanceof ResourceNotFoundException ||
        (error as Error | undefined)?.name === 'ResourceNotFoundException'
      )
        return { exists: false, targets: [] };
      throw error;
    }
    const targets: ForwardingRuleFacts['targets'] = [];
    let nextToken: string | undefined;
    do {
      const page = await client.send(
        new ListTargetsByRuleCommand({
          Rule: name,
          ...(nextToken ? { NextToken: nextToken } : {}),
        }),
      );
      for (const target of page.Targets ?? []) {
        targets.push({
          ...(target.Arn ? { arn: target.Arn } : {}),
          ...(target.RoleArn ? { roleArn: target.RoleArn } : {}),
          transformsInput: transformsInput(target),
        });
      }
      nextToken = page.NextToken;
    } while (nextToken);
    return {
      exists: true,
      ...(rule.State ? { state: rule.State } : {}),
      ...(rule.EventPattern ? { eventPattern: rule.EventPattern } : {}),
      targets,
    };
  }
}
