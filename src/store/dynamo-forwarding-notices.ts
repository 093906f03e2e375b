/**
 * The {@link ForwardingNoticeStore} on the bot's one table: a claim per call, `FWDSTOP#<eventId>` / `CLAIM`
 * (`claimed` by one invocation until `claimUntil`, then `done`), and a group per account and group name,
 * `FWDNOTICE#<accountId>` / `attempt` or `<kind>#<caller digest>` (its kind kept in `kind`), replaced by a new group
 * once its window is over; its message is written by the holder of its lease (`leaseUntil`, `leaseOwner`), which
 * records when it last showed it (`shownAt`). Conditional writes only; items expire with the retention period.
 */
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type {
  ForwardingNoticeGroup,
  ForwardingNoticeKind,
  ForwardingNoticeStore,
  NoticeClaim,
} from '../app/forwarding-notices';
import type { SlackRef } from '../app/ports';
import type { ForwardingStop } from '../domain/forwarding';
import { isConditionFailed } from './dynamo-change-store';
import { plainJson } from './plain-json';
import { retentionSeconds, TTL_ATTRIBUTE } from './table';

const claimKey = (eventId: string) => ({ pk: `FWDSTOP#${eventId}`, sk: 'CLAIM' });
const groupKey = (accountId: string, group: string) => ({
  pk: `FWDNOTICE#${accountId}`,
  sk: group,
});

function toGroup(item: Record<string, unknown>): ForwardingNoticeGroup {
  return {
    accountId: String(item.accountId),
    // Items written before groups by caller: the sort key was the kind.
    kind: (item.kind ?? item.sk) as ForwardingNoticeKind,
    group: String(item.sk),
    groupId: String(item.groupId),
    first: item.first as ForwardingStop,
    last: item.last as ForwardingStop,
    count: Number(item.count ?? 1),
    shownCount: Number(item.shownCount ?? 0),
    windowEnds: String(item.windowEnds),
    ...(typeof item.shownAt === 'string' ? { shownAt: item.shownAt } : {}),
    ...(item.ref ? { ref: item.ref as SlackRef } : {}),
  };
}

/** {@link ForwardingNoticeStore} on DynamoDB (dynalite in tests and the local runtime). */
export class DynamoForwardingNoticeStore implements ForwardingNoticeStore {
  private readonly retentionSeconds: number;
  private readonly tableName: string;

  constructor(
    private readonly documentClient: DynamoDBDocumentClient,
    options: { tableName: string; retentionDays?: number },
  ) {
    this.tableName = options.tableName;
    this.retentionSeconds = retentionSeconds(options.retentionDays);
  }

  private expiresAt(now: Date): number {
    return Math.floor(now.getTime() / 1000) + this.retentionSeconds;
  }

  async claimCall(eventId: string, owner: string, until: Date, now: Date): Promise<NoticeClaim> {
    try {
      const output = await this.documentClient.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: claimKey(eventId),
          UpdateExpression: 'SET #state = :claimed, #owner = :owner, claimUntil = :until, #ttl = :ttl',
          // Date#toISOString text on both sides: sorts as time does.
          ConditionExpression:
            'attribute_not_exists(pk) OR (#state = :claimed AND (claimUntil < :now OR #owner = :owner))',
          ExpressionAttributeNames: { '#state': 'state', '#owner': 'owner', '#ttl': TTL_ATTRIBUTE },
          ExpressionAttributeValues: {
            ':claimed': 'claimed',
            ':owner': owner,
            ':until': until.toISOString(),
            ':now': now.toISOString(),
            ':ttl': this.expiresAt(now),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      const countedIn = output.Attributes?.countedIn;
      return typeof countedIn === 'string' ? { claimed: true, countedIn } : { claimed: true };
    } catch (error: unknown) {
      if (!isConditionFailed(error)) throw error;
    }
    const { Item } = await this.documentClient.send(
      new GetCommand({ TableName: this.tableName, Key: claimKey(eventId), ConsistentRead: true }),
    );
    return { claimed: false, reason: Item?.state === 'done' ? 'done' : 'busy' };
  }

  async markCounted(eventId: string, owner: string, groupId: string): Promise<void> {
    await this.documentClient.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: claimKey(eventId),
        UpdateExpression: 'SET countedIn = :group',
        ConditionExpression: '#owner = :owner',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: { ':group': groupId, ':owner': owner },
      }),
    );
  }

  async finishCall(eventId: string, owner: string, now: Date): Promise<void> {
    await this.documentClient.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: claimKey(eventId),
        UpdateExpression: 'SET #state = :done, doneAt = :now',
        ConditionExpression: '#owner = :owner',
        ExpressionAttributeNames: { '#state': 'state', '#owner': 'owner' },
        ExpressionAttributeValues: { ':done': 'done', ':now': now.toISOString(), ':owner': owner },
      }),
    );
  }

  /** Expires the claim (an update, not a delete: the notify role writes only with Put and Update). */
  async releaseCall(eventId: string, owner: string): Promise<void> {
    try {
      await this.documentClient.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: claimKey(eventId),
          UpdateExpression: 'SET claimUntil = :expired',
          ConditionExpression: '#state = :claimed AND #owner = :owner',
          ExpressionAttributeNames: { '#state': 'state', '#owner': 'owner' },
          ExpressionAttributeValues: {
            ':claimed': 'claimed',
            ':owner': owner,
            ':expired': new Date(0).toISOString(),
          },
        }),
      );
    } catch (error: unknown) {
      if (!isConditionFailed(error)) throw error;
    }
  }

  async joinGroup(
    stop: ForwardingStop,
    kind: ForwardingNoticeKind,
    group: string,
    now: Date,
    windowEnds: Date,
  ): Promise<{ group: ForwardingNoticeGroup; started: boolean }> {
    const key = groupKey(stop.accountId, group);
    const open = 'attribute_exists(pk) AND windowEnds > :now';
    const values = { ':one': 1, ':now': now.toISOString() };
    // The latest call by event time is the one the notice names last; an older one arriving late only counts.
    const joins: Array<Omit<UpdateCommandInput, 'TableName' | 'Key' | 'ReturnValues'>> = [
      {
        UpdateExpression: 'SET #last = :stop ADD #count :one',
        ConditionExpression: `${open} AND #last.eventTime <= :time`,
        ExpressionAttributeNames: { '#count': 'count', '#last': 'last' },
        ExpressionAttributeValues: { ...values, ':stop': plainJson(stop), ':time': stop.eventTime },
      },
      {
        UpdateExpression: 'ADD #count :one',
        ConditionExpression: open,
        ExpressionAttributeNames: { '#count': 'count' },
        ExpressionAttributeValues: values,
      },
    ];
    for (let attempt = 0; attempt < 5; attempt += 1) {
      for (const join of joins) {
        try {
          const output = await this.documentClient.send(
            new UpdateCommand({ TableName: this.tableName, Key: key, ReturnValues: 'ALL_NEW', ...join }),
          );
          return { group: toGroup(output.Attributes ?? {}), started: false };
        } catch (error: unknown) {
          if (!isConditionFailed(error)) throw error;
        }
      }
      // No open window: start one. Another invocation may start it first; then join that one.
      const item = {
        ...key,
        accountId: stop.accountId,
        kind,
        groupId: stop.eventId,
        first: plainJson(stop),
        last: plainJson(stop),
        count: 1,
        shownCount: 0,
        startedAt: now.toISOString(),
        windowEnds: windowEnds.toISOString(),
        [TTL_ATTRIBUTE]: this.expiresAt(now),
      };
      try {
        await this.documentClient.send(
          new PutCommand({
            TableName: this.tableName,
            Item: item,
            ConditionExpression: 'attribute_not_exists(pk) OR windowEnds <= :now',
            ExpressionAttributeValues: { ':now': now.toISOString() },
          }),
        );
        return { group: toGroup(item), started: true };
      } catch (error: unknown) {
        if (!isConditionFailed(error)) throw error;
      }
    }
    throw new Error(`forwarding notice group ${stop.accountId}/${group}: could neither join nor start one`);
  }

  async getGroup(accountId: string, group: string): Promise<ForwardingNoticeGroup | undefined> {
    const { Item } = await this.documentClient.send(
      new GetCommand({ TableName: this.tableName, Key: groupKey(accountId, group), ConsistentRead: true }),
    );
    return Item ? toGroup(Item) : undefined;
  }

  async acquireGroupLease(
    accountId: string,
    group: string,
    owner: string,
    now: Date,
    until: Date,
  ): Promise<boolean> {
    try {
      await this.documentClient.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: groupKey(accountId, group),
          UpdateExpression: 'SET leaseUntil = :until, leaseOwner = :owner',
          ConditionExpression:
            'attribute_exists(pk) AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now OR leaseOwner = :owner)',
          ExpressionAttributeValues: {
            ':until': until.toISOString(),
            ':now': now.toISOString(),
            ':owner': owner,
          },
        }),
      );
      return true;
    } catch (error: unknown) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  async releaseGroupLease(
    accountId: string,
    group: string,
    groupId: string,
    owner: string,
    shown?: { count: number; ref: SlackRef; at: Date },
  ): Promise<void> {
    try {
      await this.documentClient.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: groupKey(accountId, group),
          ConditionExpression: 'groupId = :group AND leaseOwner = :owner',
          ...(shown
            ? {
                UpdateExpression:
                  'REMOVE leaseUntil, leaseOwner SET shownCount = :count, #ref = :ref, shownAt = :at',
                ExpressionAttributeNames: { '#ref': 'ref' },
                ExpressionAttributeValues: {
                  ':group': groupId,
                  ':owner': owner,
                  ':count': shown.count,
                  ':ref': plainJson(shown.ref),
                  ':at': shown.at.toISOString(),
                },
              }
            : {
                UpdateExpression: 'REMOVE leaseUntil, leaseOwner',
                ExpressionAttributeValues: { ':group': groupId, ':owner': owner },
              }),
        }),
      );
    } catch (error: unknown) {
      // A new window replaced the group, or the lease expired and another took it: not this one's to free. What
      // was posted is still recorded (once), so no one posts the notice again.
      if (!isConditionFailed(error)) throw error;
      if (shown) await this.recordShown(accountId, group, groupId, shown);
      return;
    }
  }

  private async recordShown(
    accountId: string,
    group: string,
    groupId: string,
    shown: { count: number; ref: SlackRef; at: Date },
  ): Promise<void> {
    try {
      await this.documentClient.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: groupKey(accountId, group),
          UpdateExpression: 'SET shownCount = :count, #ref = :ref, shownAt = :at',
          ConditionExpression: 'groupId = :group AND attribute_not_exists(#ref)',
          ExpressionAttributeNames: { '#ref': 'ref' },
          ExpressionAttributeValues: {
            ':group': groupId,
            ':count': shown.count,
            ':ref': plainJson(shown.ref),
            ':at': shown.at.toISOString(),
          },
        }),
      );
    } catch (error: unknown) {
      if (!isConditionFailed(error)) throw error;
    }
  }
}
