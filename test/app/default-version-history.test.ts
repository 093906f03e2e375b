/**
 * What the store remembers of a managed policy's default document across `SetDefaultPolicyVersion`, which
 * carries no document: the notify path records each version it sees created, and a switch makes the default that
 * version's document — or unknown, when the bot never saw the version. The before-state resolver reads it back
 * (the store on dynalite, notifications through the real notify service; CloudTrail and IAM say nothing here).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BeforeStateResolver } from '../../src/app/before-state';
import type { ChangeStore } from '../../src/app/ports';
import type { PolicyDocument } from '../../src/domain/types';
import { changeOf, cloudTrailRecord } from '../support/cloudtrail';
import {
  type Components,
  eventBridgeNotification,
  notifyServiceOn,
  startComponents,
} from '../support/notify-harness';

const READ: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['*'] }],
};
const WRITE: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['s3:PutObject'], Resource: ['*'] }],
};

let components: Components;

beforeAll(async () => {
  components = await startComponents();
});

afterAll(async () => {
  await components?.stop();
});

function minutesAgo(minutes: number): string {
  return new Date(Date.now() - minutes * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** CreatePolicy (v1 = READ) and CreatePolicyVersion v2 (WRITE, not the default), as CloudTrail records them. */
function createdWithTwoVersions(arn: string) {
  return [
    cloudTrailRecord(
      'CreatePolicy',
      { policyName: arn.split('/').pop(), policyDocument: JSON.stringify(READ) },
      { eventTime: minutesAgo(30), responseElements: { policy: { arn, defaultVersionId: 'v1' } } },
    ),
    cloudTrailRecord(
      'CreatePolicyVersion',
      { policyArn: arn, policyDocument: JSON.stringify(WRITE), setAsDefault: false },
      {
        eventTime: minutesAgo(20),
        responseElements: { policyVersion: { versionId: 'v2', isDefaultVersion: false } },
      },
    ),
  ];
}

/** A resolver that has only the store: CloudTrail and IAM know nothing. */
function storeOnly(store: Pick<ChangeStore, 'documentBefore'>): BeforeStateResolver {
  return new BeforeStateResolver({
    store,
    trail: { resourceEvents: async () => [] },
    iam: {
      getManagedPolicy: async () => null,
      getPolicyVersion: async () => null,
      listPolicyVersions: async () => null,
    },
    clock: { now: () => new Date() },
  });
}

describe('the default document across SetDefaultPolicyVersion', () => {
  it('becomes the document of the version the bot saw created', async () => {
    const { service, store } = await notifyServiceOn(components);
    const arn = 'arn:aws:iam::111122223333:policy/switched-to-seen';
    const switched = cloudTrailRecord(
      'SetDefaultPolicyVersion',
      { policyArn: arn, versionId: 'v2' },
      { eventTime: minutesAgo(10) },
    );
    for (const record of [...createdWithTwoVersions(arn), switched]) {
      await service.process(eventBridgeNotification(record));
    }

    const deletion = changeOf('DeletePolicy', { policyArn: arn }, { eventTime: minutesAgo(1) });
    const resolved = await storeOnly(store).resolveBeforeState(deletion);

    expect(resolved.state.previousDocument).toEqual(WRITE);
    expect(resolved.source).toMatchObject({ kind: 'store', eventId: switched.eventID });
  });

  it('becomes unknown when the bot never saw the version, so the older default is never offered', async () => {
    const { service, store } = await notifyServiceOn(components);
    const arn = 'arn:aws:iam::111122223333:policy/switched-to-unseen';
    const switched = cloudTrailRecord(
      'SetDefaultPolicyVersion',
      { policyArn: arn, versionId: 'v5' },
      { eventTime: minutesAgo(10) },
    );
    for (const record of [...createdWithTwoVersions(arn), switched]) {
      await service.process(eventBridgeNotification(record));
    }

    const deletion = changeOf('DeletePolicy', { policyArn: arn }, { eventTime: minutesAgo(1) });
    const resolved = await storeOnly(store).resolveBeforeState(deletion);

    expect(resolved.state.previousDocument).toBeUndefined();
    expect(resolved.source.kind).toBe('unknown');
    expect(resolved.source.detail).toContain('a document it never saw');
    // Before the switch, the store still knows the default it recorded.
    const earlier = changeOf('DeletePolicy', { policyArn: arn }, { eventTime: minutesAgo(15) });
    expect((await storeOnly(store).resolveBeforeState(earlier)).state.previousDocument).toEqual(READ);
  });

  it('keeps a failed switch out of the history', async () => {
    const { service, store } = await notifyServiceOn(components);
    const arn = 'arn:aws:iam::111122223333:policy/failed-switch';
    const failed = cloudTrailRecord(
      'SetDefaultPolicyVersion',
      { policyArn: arn, versionId: 'v2' },
      { eventTime: minutesAgo(10), errorCode: 'AccessDenied', errorMessage: 'not authorized' },
    );
    for (const record of [...createdWithTwoVersions(arn), failed]) {
      await service.process(eventBridgeNotification(record));
    }

    const deletion = changeOf('DeletePolicy', { policyArn: arn }, { eventTime: minutesAgo(1) });
    expect((await storeOnly(store).resolveBeforeState(deletion)).state.previousDocument).toEqual(READ);
  });
});
