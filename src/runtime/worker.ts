/**
 * Wiring of the worker: the use cases a job may need (revert, quarantine, diff, history search, CIS 4.4 audit)
 * on the real adapters — IAM, CloudTrail, the store, the audit log, Slack. Used by the `worker` Lambda and, with
 * an in-process job queue, by the local runtime.
 */

import { AccountRouter, type JobRunner } from '../app/account-router';
import { BeforeStateResolver } from '../app/before-state';
import type { CisAuditGateway } from '../app/cis-audit-service';
import type { IamGateway } from '../app/iam-port';
import type { AuditLineWriter } from '../app/logged-audit-log';
import { QuarantineService } from '../app/quarantine-service';
import { RevertService } from '../app/revert-service';
import type { SlackInteractionGateway } from '../app/slack-port';
import { WorkerService } from '../app/worker-service';
import type { AwsClients } from '../aws/clients';
import { createDocumentClient } from '../aws/dynamo-client';
import { AwsIamGateway, createIamClient } from '../aws/iam-gateway';
import { createMemberIamClient } from '../aws/member-accounts';
import { type Config, requireResponderExternalId } from '../config';
import { lazily, onDemandCisAudit, onDemandSecrets, onDemandTrailHistory } from './on-demand';
import { buildInteractionGateway, buildStores, jsonLineAuditWriter, readBotToken } from './responders';

/** What the worker is built from; everything but `config` defaults to the real thing. */
export interface WorkerWiring {
  config: Config;
  /**
   * The AWS clients (when not given: DynamoDB and IAM built at cold start, CloudTrail, SSM and the audit's
   * clients on first use).
   */
  aws?: AwsClients;
  /** Slack (a `WebApiSlackGateway` with the bot token when not given). */
  slack?: SlackInteractionGateway;
  /** The CIS 4.4 audit's facts (the bot's own region when not given). */
  cisAudit?: CisAuditGateway;
  /** IAM (the AWS IAM gateway on `aws.iam` when not given; the local runtime's simulation otherwise). */
  iam?: IamGateway;
  /** Pause between read-backs after a revert, for IAM's eventual consistency (the service's default when not given). */
  verifyDelayMs?: number;
  log?: (message: string, details: Record<string, unknown>) => void;
  /** Where each audit entry is written as a log line before the table (standard output when not given). */
  auditLine?: AuditLineWriter;
}

/**
 * Builds the worker. The CIS 4.4 audit reads the bot's own region with clients of its own (the shared
 * CloudTrail client is pinned to us-east-1 for `LookupEvents`), and skips `TestMetricFilter` against an emulator.
 *
 * With `HOME_ACCOUNT_ID` set (the stack sets it), a job about a change in another account of the organisation
 * runs on a worker whose IAM is that account's, through the responder role (`RESPONDER_ROLE_NAME`, assumed with
 * the external id from `RESPONDER_EXTERNAL_ID_PARAMETER`); one such worker per account, kept for the process.
 */
export async function buildWorkerService({
  config,
  aws,
  slack,
  cisAudit,
  iam: givenIam,
  verifyDelayMs,
  log,
  auditLine = jsonLineAuditWriter(),
}: WorkerWiring): Promise<JobRunner> {
  const options = { cloudTrailRegion: config.cloudTrailRegion };
  const { store, audit, stats } = buildStores(
    config,
    aws?.dynamo ?? createDocumentClient(options),
    auditLine,
  );
  const trail = onDemandTrailHistory(options, aws?.cloudTrail);
  const clock = { now: () => new Date() };
  const secrets = onDemandSecrets(options, aws?.ssm);
  const gateway = slack ?? buildInteractionGateway(config, await readBotToken(config, secrets));
  // Only a history search needs the query service: it is built (and its code loaded) on the first one.
  const queries = lazily(async () =>
    (await import('./queries')).buildQueryService(config, { store, stats, trail }),
  );
  const audit44 =
    cisAudit ?? onDemandCisAudit(config.awsEndpointUrl ? { endpoint: config.awsEndpointUrl } : {});

  /** The use cases on one account's IAM (`accountId`: that account, when known). */
  const workerOn = (iam: IamGateway, accountId?: string): WorkerService => {
    const resolver = new BeforeStateResolver({ store, trail, iam, clock });
    return new WorkerService({
      slack: gateway,
      store,
      revert: new RevertService({
        store,
        iam,
        resolver,
        clock,
        audit,
        settings: {
          botRoleArns: config.botRoleArns,
          ...(verifyDelayMs === undefined ? {} : { verifyDelayMs }),
        },
      }),
      quarantine: new QuarantineService({
        store,
        iam,
        clock,
        audit,
        settings: {
          botRoleArns: config.botRoleArns,
          protectedPrincipals: config.protectedPrincipals,
          policyName: config.quarantinePolicyName,
          // The account this worker's IAM acts in: its deny policy is made there, for its principals only.
          ...(accountId === undefined ? {} : { accountId }),
        },
      }),
      resolver,
      iam,
      queries: {
        searchHistory: async (query, onProgress) => (await queries()).searchHistory(query, onProgress),
      },
      cisAudit: audit44,
      clock,
      settings: { trustedAccounts: config.trustedAccounts },
      ...(log ? { log } : {}),
    });
  };

  const homeAccountId = config.responder.homeAccountId;
  const home = workerOn(givenIam ?? new AwsIamGateway(aws?.iam ?? createIamClient(options)), homeAccountId);
  if (givenIam || homeAccountId === undefined) return home;

  const externalId = lazily(async () => {
    const source = requireResponderExternalId(config);
    return 'externalId' in source ? source.externalId : secrets(source.parameter);
  });
  const members = new Map<string, WorkerService>();
  return new AccountRouter({
    store,
    workerFor(accountId) {
      if (accountId === undefined || accountId === homeAccountId) return home;
      let worker = members.get(accountId);
      if (!worker) {
        const client = createMemberIamClient(
          accountId,
          { roleName: config.responder.roleName, externalId },
          options,
        );
        worker = workerOn(new AwsIamGateway(client), accountId);
        members.set(accountId, worker);
      }
      return worker;
    },
  });
}
