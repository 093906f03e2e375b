/**
 * A store on a fresh dynalite table holding one change as notify claimed it: the starting point of the store tests
 * of what responders and jobs write on a change (reverts, quarantines, raised-alert claims).
 */
import type { AssessedChange, RiskLevel } from '../../src/domain/types';
import { DynamoChangeStore } from '../../src/store/dynamo-change-store';
import { changeOf } from './cloudtrail';
import type { DynaliteServer } from './dynalite';

/** A store on a new table of `db` and the event id of the change it holds (AdministratorAccess attached to `ci`). */
export async function storeHoldingChange(
  db: DynaliteServer,
  level: RiskLevel,
  at: Date,
): Promise<{ store: DynamoChangeStore; eventId: string }> {
  const store = new DynamoChangeStore(db.documentClient, { tableName: await db.createTable() });
  const change: AssessedChange = {
    ...changeOf('AttachRolePolicy', {
      roleName: 'ci',
      policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess',
    }),
    risk: { level, reasons: ['x'], rules: ['r'] },
    revert: { supported: true, steps: [], cli: [] },
  };
  await store.claimChange(change, at, at);
  return { store, eventId: change.eventId };
}
