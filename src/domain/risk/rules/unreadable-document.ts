import type { RiskRule } from '../rule';
import { succeeded } from '../statements';

/**
 * A document in the request that could not be parsed: IAM accepted it, but no rule could check it, so a person
 * has to. Without this, an unreadable document would pass as harmless.
 */
export const unreadableDocument: RiskRule = {
  id: 'unreadable-document',
  level: 'medium',
  description:
    'A policy document in a successful request that could not be read; the other rules could not check it.',
  evaluate(change) {
    if (!succeeded(change)) return null;
    const unreadable = change.documents.find((entry) => entry.error !== undefined || !entry.document);
    if (!unreadable) return null;
    const why = unreadable.error ?? 'no document was found';
    return {
      level: 'medium',
      reason: `the ${unreadable.field} could not be read (${why}): review it by hand, no rule could check it`,
    };
  },
};
