import type { RiskRule } from '../rule';

/** Any IAM write by the root user: root should not be used for day-to-day work (CIS 1.7). */
export const rootActor: RiskRule = {
  id: 'root-actor',
  level: 'critical',
  description: 'The change was made by the account root user.',
  evaluate(change) {
    if (change.actor.type !== 'root') return null;
    const account = change.actor.accountId ?? change.accountId;
    const where = account ? ` of account ${account}` : '';
    return {
      level: 'critical',
      reason: `made by the root user${where}: root should not be used for IAM changes`,
    };
  },
};
