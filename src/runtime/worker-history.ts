/**
 * The worker's history search (`/iam-changes` queries older than the store), built with the first history job:
 * the query service, CloudTrail and the trail archive, and the attached policies' documents read in the account
 * each policy is in. One module, so that job's code is one chunk; no other job kind loads it.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ActionCatalogueLoader } from '../app/change-content';
import { AccountPolicyReader, type PolicyReader } from '../app/policy-documents';
import type { HistoryLookup } from '../app/query-port';
import type { QueryService } from '../app/query-service';
import type { Config } from '../config';
import type { DynamoChangeStore } from '../store/dynamo-change-store';
import type { DynamoStatsStore } from '../store/dynamo-stats';
import { archiveHistoryOf } from './archive-history';
import { buildQueryService } from './queries';

/** What the history search is built on. */
export interface HistorySearchWiring {
  config: Config;
  store: DynamoChangeStore;
  stats: DynamoStatsStore;
  trail: HistoryLookup;
  dynamo: DynamoDBDocumentClient;
  /** The bot's own account's policy reader. */
  home: PolicyReader;
  /** Another account's policy reader, when the bot acts in an organisation (`HOME_ACCOUNT_ID`). */
  members?: { homeAccountId: string; memberReader: (accountId: string) => PolicyReader };
  /** The worker's action catalogue, loaded on the first document with a wildcard. */
  actions?: ActionCatalogueLoader;
}

/** The query service of the worker's history jobs. */
export function buildHistorySearch({
  config,
  store,
  stats,
  trail,
  dynamo,
  home,
  members,
  actions,
}: HistorySearchWiring): QueryService {
  return buildQueryService(
    config,
    {
      store,
      stats,
      trail,
      dynamo,
      // An attach found only in history is judged by its document, read in the account the policy is in.
      policies: new AccountPolicyReader({ home, ...(members ?? {}) }),
      ...(actions ? { actions } : {}),
    },
    archiveHistoryOf,
  );
}
