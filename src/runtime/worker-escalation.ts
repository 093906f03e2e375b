/**
 * The worker's escalation check of one account, built with the first escalation job: what a principal can reach
 * after a change, judged on the account's IAM (read only), the store's documents and the action catalogue; the
 * alert updated, and posted again when the check raised it past what held it back in notify. A revert, query or
 * status job never loads it.
 */

import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AlertChannel } from '../app/alert-port';
import { type ActionCatalogueLoader, ChangeContent } from '../app/change-content';
import {
  type AlertRefresher,
  EscalationChecker,
  EscalationCheckService,
  type PrincipalDirectory,
} from '../app/escalation-check';
import type { IamGateway } from '../app/iam-port';
import { IamPolicyDocuments, PolicyDocumentResolver, StoredPolicyDocuments } from '../app/policy-documents';
import type { PolicyValidator } from '../app/policy-validation-port';
import type { Clock } from '../app/ports';
import { RaisedAlertGate } from '../app/raised-alert';
import type { Config } from '../config';
import type { AssessedChange } from '../domain/types';
import { DynamoActiveMutes } from '../store/dynamo-active-mutes';
import type { DynamoChangeStore } from '../store/dynamo-change-store';

/** What one account's escalation check is built on. */
export interface EscalationWiring {
  config: Config;
  dynamo: DynamoDBDocumentClient;
  store: DynamoChangeStore;
  /** The account's IAM, before the recording wrapper: the check only reads. */
  accountIam: IamGateway;
  directory: PrincipalDirectory;
  /** Updates the alert in place with the check's result. */
  refresher: AlertRefresher;
  /** Posts an alert again, when the check raised it past what held it back in notify. */
  channel: Pick<AlertChannel, 'postChange'>;
  /** The channel a raised alert goes to: the routing table's, else its level's, else the default. */
  channelFor: (change: AssessedChange) => Promise<string>;
  clock: Clock;
  /** The action catalogue, loaded with the first document that has a wildcard or NotAction to expand. */
  actions: ActionCatalogueLoader;
  validator?: PolicyValidator;
  log?: (message: string, details: Record<string, unknown>) => void;
}

/** The escalation check service of one account. */
export function buildEscalationCheck({
  config,
  dynamo,
  store,
  accountIam,
  directory,
  refresher,
  channel,
  channelFor,
  clock,
  actions,
  validator,
  log,
}: EscalationWiring): EscalationCheckService {
  const policies = new PolicyDocumentResolver(
    [
      new StoredPolicyDocuments(store),
      // The worker only reads the version cache: notify alone writes it (the worker's role may not).
      new IamPolicyDocuments(
        accountIam,
        { documentBefore: (key, time, id) => store.documentBefore(key, time, id) },
        clock.now,
        // Its look comes later than notify's: a default version made since is not the one the call used.
        { versionsBeforeTheCall: true },
      ),
    ],
    (text, details) => log?.(text, details ?? {}),
  );
  return new EscalationCheckService({
    checker: new EscalationChecker({ iam: accountIam, directory, policies, store, now: clock.now }),
    store,
    alerts: refresher,
    now: clock.now,
    // A change raised past what held it back in notify (a mute, the digest, a burst) is posted again.
    raise: new RaisedAlertGate({
      claims: store,
      alerts: channel,
      channelFor,
      mutes: new DynamoActiveMutes(dynamo, { tableName: config.tableName }),
      digestLevels: config.digestLevels,
      mentionOnCritical: config.slack.mentionOnCritical,
      now: clock.now,
      ...(log ? { log } : {}),
    }),
    // A change notify could not validate is validated again here (Access Analyzer is not per account).
    ...(validator ? { validator } : {}),
    // An attached policy notify could not read (another account's, say) is read in this worker's account.
    rejudge: {
      content: new ChangeContent({
        policies,
        actions,
        ...(log ? { log: (text, details) => log(text, details ?? {}) } : {}),
      }),
      risk: { expectedActors: config.expectedActors, trustedAccounts: config.trustedAccounts },
    },
    ...(log ? { log } : {}),
  });
}
