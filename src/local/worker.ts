/**
 * The worker of the local runtime. With an AWS to talk to (moto_server, or a real account) it is exactly the
 * deployed worker (`buildWorkerService`). Without one, it is the same use cases on the simulated IAM of
 * `simulated-iam.ts`, so reverts and quarantines run as a dry run against an in-memory account.
 */

import type { JobRunner } from '../app/account-router';
import type { CisAuditGateway } from '../app/cis-audit-service';
import type { PrincipalDirectory } from '../app/escalation-check';
import type { IamGateway } from '../app/iam-port';
import type { JobTrust } from '../app/job-verification';
import type { AuditLineWriter } from '../app/logged-audit-log';
import type { AwsClients } from '../aws/clients';
import type { Config } from '../config';
import { buildWorkerService, type WorkerWiring } from '../runtime/worker';

/** What the local worker is built from. */
export interface LocalWorkerWiring {
  config: Config;
  aws: AwsClients;
  cisAudit: CisAuditGateway;
  /** The simulated IAM of a run without AWS; absent, IAM is `aws.iam`. */
  simulatedIam?: IamGateway & PrincipalDirectory;
  log?: (message: string, details: Record<string, unknown>) => void;
  /** How far jobs are trusted (see {@link WorkerWiring.trust}); signed by Slack unless set. */
  trust?: JobTrust;
  /** Where audit entries are written as log lines (standard output when not given). */
  auditLine?: AuditLineWriter;
  /** "Was this you?" settings (see {@link WorkerWiring.askActor}). */
  askActor?: WorkerWiring['askActor'];
}

/** Builds the worker use case for the local runtime: the deployed worker, on the simulated IAM when there is one. */
export async function buildLocalWorker(wiring: LocalWorkerWiring): Promise<JobRunner> {
  const { config, aws, cisAudit, simulatedIam, log, trust, auditLine, askActor } = wiring;
  return buildWorkerService({
    config,
    aws,
    cisAudit,
    ...(simulatedIam
      ? // IAM is in memory: reading it back after a revert needs no waiting for eventual consistency. The
        // escalation check reads the principals there too.
        { iam: simulatedIam, directory: simulatedIam, verifyDelayMs: 0 }
      : {}),
    ...(log ? { log } : {}),
    ...(trust ? { trust } : {}),
    ...(auditLine ? { auditLine } : {}),
    ...(askActor === undefined ? {} : { askActor }),
  });
}
