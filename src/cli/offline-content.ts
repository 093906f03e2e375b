/**
 * What `explain` and `render` know of a change offline, without AWS: the documents of the AWS managed policies
 * it attaches (from the generated catalogue; a customer managed policy is unknown, and said so) and the action
 * catalogue for the services its documents touch. Everything is loaded before judging, so judging stays pure.
 */

import { CataloguePolicyDocuments, PolicyDocumentResolver } from '../app/policy-documents';
import { IamDataActionCatalogue } from '../catalogue/action-catalogue';
import { GeneratedManagedPolicyCatalogue } from '../catalogue/managed-policies';
import { normaliseRecord } from '../domain/change';
import type { PrepareChange } from '../domain/explain';
import { InputError, type InputItem } from '../domain/input';
import { managedPolicyCall, type PolicyLookup, withManagedPolicy } from '../domain/managed-policy';
import { documentsOf } from '../domain/risk/statements';
import type { Change } from '../domain/types';

/** Loads what the changes of `items` need and returns the pure step that adds it to each change. */
export async function loadOfflineContent(items: readonly InputItem[]): Promise<PrepareChange> {
  const changes: Change[] = [];
  for (const item of items) {
    if (item.kind !== 'cloudtrail') continue;
    try {
      const result = normaliseRecord(item.record);
      if ('change' in result) changes.push(result.change);
    } catch (error: unknown) {
      if (!(error instanceof InputError)) throw error;
    }
  }
  const resolver = new PolicyDocumentResolver([
    new CataloguePolicyDocuments(new GeneratedManagedPolicyCatalogue()),
  ]);
  const lookups = new Map<string, PolicyLookup>();
  for (const change of changes) {
    const call = managedPolicyCall(change);
    if (!call || change.outcome !== 'success' || lookups.has(call.policyArn)) continue;
    const found = await resolver.lookup(call.policyArn, change);
    lookups.set(
      call.policyArn,
      found.source === 'unknown' ? { source: 'unknown', reason: `offline, ${found.reason}` } : found,
    );
  }
  const resolve = (change: Change): Change => {
    const call = managedPolicyCall(change);
    const found = call && change.outcome === 'success' ? lookups.get(call.policyArn) : undefined;
    return found ? withManagedPolicy(change, found) : change;
  };
  const statements = changes.flatMap((change) =>
    documentsOf(resolve(change), 'permissions').flatMap((document) => document.Statement),
  );
  const actions =
    statements.length > 0 ? await new IamDataActionCatalogue().forStatements(statements) : undefined;
  return (change) => ({ change: resolve(change), ...(actions ? { actions } : {}) });
}
