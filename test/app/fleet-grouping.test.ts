/**
 * One change made in many accounts is one message: the real notify use case on dynalite and the local Slack
 * server, several notify "containers" on one table delivering at the same time, as Lambda would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotifyService } from '../../src/app/notify-service';
import { fixedRoutingTable } from '../../src/app/routing-table';
import type { CloudTrailRecord } from '../../src/domain/input';
import { parseRoutingTable } from '../../src/domain/routing';
import { assertBlockKitLimits } from '../support/block-kit-limits';
import { cloudTrailRecord } from '../support/cloudtrail';
import {
  CHANNEL,
  type Components,
  eventBridgeNotification,
  notifyServiceOn,
  startComponents,
} from '../support/notify-harness';

const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';

let components: Components;

beforeAll(async () => {
  components = await startComponents();
});

afterAll(async () => {
  await components?.stop();
});

function account(index: number): string {
  return String(200000000000 + index);
}

/** A call by `role` in `accountId`, with a per-run session name as StackSets and pipelines make them. */
function callIn(
  accountId: string,
  role: string,
  eventName: string,
  request: Record<string, unknown>,
  extra: Partial<CloudTrailRecord> = {},
): CloudTrailRecord {
  const session = `rollout-${Date.now()}${Math.floor(Math.random() * 1000)}`;
  return cloudTrailRecord(eventName, request, {
    eventTime: new Date(Date.now() - 30_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    recipientAccountId: accountId,
    userAgent: 'aws-cli/2.17.20 md/awscrt#0.20.11 ua/2.0 os/linux',
    userIdentity: {
      type: 'AssumedRole',
      principalId: `AROA${accountId}:${session}`,
      arn: `arn:aws:sts::${accountId}:assumed-role/${role}/${session}`,
      accountId,
      sessionContext: {
        sessionIssuer: { type: 'Role', arn: `arn:aws:iam::${accountId}:role/${role}`, userName: role },
        attributes: { creationDate: '2026-11-20T13:00:00Z', mfaAuthenticated: 'false' },
      },
    },
    ...extra,
  });
}

/** Delivers every record once, `concurrency` at a time, spread over the services (separate containers). */
async function deliverAll(services: NotifyService[], records: CloudTrailRecord[], concurrency: number) {
  let next = 0;
  const lane = async (index: number) => {
    const service = services[index % services.length];
    if (!service) throw new Error('no service');
    while (next < records.length) {
      const record = records[next++];
      if (!record) break;
      await service.process(eventBridgeNotification(record));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, index) => lane(index)));
}

function allText(blocks: unknown): string {
  return JSON.stringify(blocks ?? []);
}

describe('one change made in many accounts', () => {
  it('is one critical message with one @here, the accounts counted on it and listed in its thread, none lost', async () => {
    const first = await notifyServiceOn(components, { settings: { burstCountIntervalSeconds: 0 } });
    const others = await Promise.all(
      [1, 2].map(() =>
        notifyServiceOn(components, {
          tableName: first.tableName,
          settings: { burstCountIntervalSeconds: 0 },
        }),
      ),
    );
    const services = [first.service, ...others.map((other) => other.service)];
    const role = `org-rollout-${Date.now()}`;
    const records = Array.from({ length: 40 }, (_, index) =>
      callIn(account(index), role, 'AttachRolePolicy', { roleName: 'break-glass', policyArn: ADMIN }),
    );
    const before = components.slack.topLevel(CHANNEL).length;
    const postsBefore = components.slack.callsTo('chat.postMessage').length;

    await deliverAll(services, records, 12);

    const posted = components.slack.topLevel(CHANNEL).slice(before);
    expect(posted).toHaveLength(1);
    const parent = posted[0];
    if (!parent) throw new Error('no parent');
    // One ping: of every message posted for these changes, only the parent said @here.
    const pings = components.slack
      .callsTo('chat.postMessage')
      .slice(postsBefore)
      .filter((call) => call.status === 200 && String(call.body.text).includes('<!here>'));
    expect(pings).toHaveLength(1);
    // Every change is stored on its own and delivered (the parent, or a line in its thread).
    for (const record of records) {
      const stored = await first.store.getChange(String(record.eventID));
      expect(stored?.change.risk.level).toBe('critical');
      expect(['delivered', 'grouped']).toContain(stored?.delivery);
    }
    // The thread names every other account.
    const thread = components.slack.thread(parent.ts).map((message) => allText(message.blocks));
    for (const record of records.slice(0)) {
      const id = String(record.recipientAccountId);
      const listed = thread.some((text) => text.includes(id)) || allText(parent.blocks).includes(id);
      expect(listed, `account ${id} listed`).toBe(true);
    }
    // The running count on the parent says 40 accounts, with the buttons acting on all of them.
    expect(allText(parent.blocks)).toContain('The same change in 40 accounts');
    expect(allText(parent.blocks)).toContain('fleet.revert');
    assertBlockKitLimits({ text: parent.text, blocks: parent.blocks as never });
    // Its members are kept for the fleet actions: all 40 changes.
    const parentChange = (await first.store.getChange(String(records[0]?.eventID)))?.burstId;
    expect(parentChange).toBeDefined();
    expect(await first.store.burstMembers(String(parentChange), 1000)).toHaveLength(40);
  });

  it('keeps another caller, another target and another level apart', async () => {
    const { service } = await notifyServiceOn(components);
    const stamp = Date.now();
    const records = [
      callIn(account(1), `rollout-a-${stamp}`, 'AttachRolePolicy', { roleName: 'x', policyArn: ADMIN }),
      callIn(account(2), `rollout-a-${stamp}`, 'AttachRolePolicy', { roleName: 'x', policyArn: ADMIN }),
      callIn(account(3), `rollout-b-${stamp}`, 'AttachRolePolicy', { roleName: 'x', policyArn: ADMIN }),
      callIn(account(4), `rollout-a-${stamp}`, 'AttachRolePolicy', { roleName: 'y', policyArn: ADMIN }),
    ];
    const before = components.slack.topLevel(CHANNEL).length;

    for (const record of records) await service.process(eventBridgeNotification(record));

    expect(components.slack.topLevel(CHANNEL).slice(before)).toHaveLength(3);
  });

  it('groups a Terraform run across accounts under one message, each line naming its account', async () => {
    const role = `terraform-${Date.now()}`;
    const { service, store } = await notifyServiceOn(components, {
      settings: {
        risk: { expectedActors: [`arn:aws:iam::*:role/${role}`], trustedAccounts: [] },
      },
    });
    const records = Array.from({ length: 10 }, (_, index) =>
      [0, 1, 2].map((n) =>
        callIn(account(100 + index), role, 'PutRolePolicy', {
          roleName: `app-${n}`,
          policyName: 'logs',
          policyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: 'logs:PutLogEvents', Resource: '*' }],
          }),
        }),
      ),
    ).flat();
    const before = components.slack.topLevel(CHANNEL).length;

    await deliverAll([service], records, 6);

    const posted = components.slack.topLevel(CHANNEL).slice(before);
    expect(posted).toHaveLength(1);
    const thread = components.slack.thread(posted[0]?.ts ?? '');
    const lines = thread.map((message) => allText(message.blocks)).join('\n');
    for (let index = 1; index < 10; index += 1) expect(lines).toContain(account(100 + index));
    for (const record of records) {
      expect(['delivered', 'grouped']).toContain((await store.getChange(String(record.eventID)))?.delivery);
    }
    expect(allText(posted[0]?.blocks)).toContain('in 10 accounts');
  });

  it("posts one message where the routing table sends the group's first change, though its accounts route apart", async () => {
    const routes = fixedRoutingTable(
      parseRoutingTable(
        JSON.stringify([
          { account: account(301), channel: '#fleet-first' },
          { account: [account(302), account(303)], channel: '#fleet-other' },
        ]),
      ),
    );
    const { service } = await notifyServiceOn(components, { routes });
    const role = `routed-rollout-${Date.now()}`;
    const records = [301, 302, 303, 304].map((index) =>
      callIn(account(index), role, 'AttachRolePolicy', { roleName: 'break-glass', policyArn: ADMIN }),
    );
    const before = {
      first: components.slack.topLevel('#fleet-first').length,
      other: components.slack.topLevel('#fleet-other').length,
      main: components.slack.topLevel(CHANNEL).length,
    };

    for (const record of records) await service.process(eventBridgeNotification(record));

    const posted = components.slack.topLevel('#fleet-first').slice(before.first);
    expect(posted).toHaveLength(1);
    expect(components.slack.topLevel('#fleet-other')).toHaveLength(before.other);
    expect(components.slack.topLevel(CHANNEL)).toHaveLength(before.main);
    const thread = components.slack.thread(posted[0]?.ts ?? '').map((message) => allText(message.blocks));
    for (const index of [302, 303, 304]) expect(thread.join('\n')).toContain(account(index));
    expect(allText(posted[0]?.blocks)).toContain('The same change in 4 accounts');
  });
});
