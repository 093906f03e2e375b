/**
 * The `/iam-changes` query service's wiring: the Slack handler builds it at cold start (every query goes through
 * it); the worker imports this module on its first history search. Only the worker searches the trail's S3
 * archive: the Slack function is given the archive's location alone (it only asks whether a range needs it), so
 * its bundle carries none of the S3 or scan code.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CachedAccountDirectory } from '../app/account-directory';
import { type ActionCatalogueLoader, ChangeContent } from '../app/change-content';
import type { IamGateway } from '../app/iam-port';
import { IamPolicyDocuments, PolicyDocumentResolver, StoredPolicyDocuments } from '../app/policy-documents';
import type { ArchiveHistory, HistoryLookup } from '../app/query-port';
import { QueryService } from '../app/query-service';
import type { Config } from '../config';
import type { RiskContext } from '../domain/risk/rule';
import { DynamoAccountDirectoryStore } from '../store/dynamo-account-directory';
import type { DynamoChangeStore } from '../store/dynamo-change-store';
import type { DynamoStatsStore } from '../store/dynamo-stats';

/** Builds the archive the query service searches (`runtime/archive-history.ts`'s `archiveHistoryOf`, in the worker). */
export type ArchiveFactory = (
  config: Config,
  risk: RiskContext,
  content: Pick<ChangeContent, 'prepare'>,
) => ArchiveHistory | undefined;

/** Thrown when a query service without the archive's search (the Slack function's) is asked to search it. */
export class ArchiveNotSearchableError extends Error {
  override name = 'ArchiveNotSearchableError';
}

/**
 * The archive as the Slack function knows it: where it is, so a range older than the store goes to the worker;
 * searching it is the worker's, and here throws.
 */
export const archiveLocationOf: ArchiveFactory = (config) => {
  const history = config.history;
  if (!history) return undefined;
  return {
    location: `s3://${history.bucket}/${history.prefix}`,
    async search() {
      throw new ArchiveNotSearchableError('the trail S3 archive is searched by the worker, not here');
    },
  };
};

/**
 * The `/iam-changes` query service on the store, the daily counters, the trail's S3 log archive when configured,
 * and CloudTrail history; with `dynamo`, `in <account or OU>` is resolved through the account directory's copy in
 * the table (kept fresh by notify: these functions never call Organizations).
 */
export function buildQueryService(
  config: Config,
  parts: {
    store: DynamoChangeStore;
    stats: DynamoStatsStore;
    trail: HistoryLookup;
    dynamo?: DynamoDBDocumentClient;
    /**
     * IAM for the documents the store never saw (`GetPolicy` + `GetPolicyVersion`, the versions notify cached
     * read from the store): the worker's, reading each policy in the account its ARN names. Without it (the Slack function),
     * only the store is asked.
     */
    policies?: Pick<IamGateway, 'getManagedPolicy' | 'getPolicyVersion'>;
    /**
     * The action catalogue, so a wildcard found only in history is counted in real actions as notify counted it
     * (the worker's; the Slack function's queries answer from the store and CloudTrail without it).
     */
    actions?: ActionCatalogueLoader;
  },
  /** The archive to search: its location alone unless given (the worker gives the S3 search). */
  archiveOf: ArchiveFactory = archiveLocationOf,
): QueryService {
  const clock = { now: () => new Date() };
  const risk = { expectedActors: config.expectedActors, trustedAccounts: config.trustedAccounts };
  // Attaches found only in history are judged by the documents the bot has seen (notify keeps each one it read),
  // then, in the worker, by IAM's.
  const content = new ChangeContent({
    policies: new PolicyDocumentResolver([
      new StoredPolicyDocuments(parts.store),
      // The version cache is only read here: notify alone writes it (the worker's role may not).
      ...(parts.policies
        ? [
            new IamPolicyDocuments(
              parts.policies,
              { documentBefore: (key, time, id) => parts.store.documentBefore(key, time, id) },
              clock.now,
            ),
          ]
        : []),
    ]),
    ...(parts.actions ? { actions: parts.actions } : {}),
  });
  const archive = archiveOf(config, risk, content);
  return new QueryService({
    content,
    ...(parts.dynamo
      ? {
          accounts: new CachedAccountDirectory({
            store: new DynamoAccountDirectoryStore(parts.dynamo, { tableName: config.tableName }),
            clock,
          }),
        }
      : {}),
    changes: parts.store,
    stats: parts.stats,
    history: parts.trail,
    clock: { now: () => new Date() },
    retentionDays: config.retentionDays,
    risk,
    ...(archive ? { archive } : {}),
  });
}
