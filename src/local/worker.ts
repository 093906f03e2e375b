/**
 * The worker of the local runtime. With an AWS to talk to (moto_server, or a real account) it is exactly the
 * deployed worker (`buildWorkerService`). Without one, it is the same use cases on the simulated IAM of
 * `simulated-iam.ts`, so reverts and quarantines run as a dry run against an in-memory account.
 */
import { BeforeStateResolver } from '../app/before-state';
import type { CisAuditGateway } from '../app/cis-audit-service';
import type { IamGateway } from '../app/iam-port';
import { QuarantineService } from '../app/quarantine-service';
import { RevertService } from '../app/revert-service';
import { WorkerService } from '../app/worker-service';
import type { AwsClients } from '../aws/clients';
import type { Config } from '../config';
import {
  buildInteractionGateway,
  buildQueryService,
  buildStores,
  buildTrailHistory,
  readBotToken,
} from '../runtime/responders';
import { buildWorkerService } from '../runtime/worker';

/** What the local worker is built from. */
export interface LocalWorkerWiring {
  config: Config;
  aws: AwsClients;
  cisAudit: CisAuditGateway;
  /** The simulated IAM of a run without AWS; absent, IAM is `aws.iam`. */
  simulatedIam?: IamGateway;
  log?: (message: string, details: Record<string, unknown>) => void;
}

/** Builds the worker use case for the local runtime. */
export async function buildLocalWorker(wiring: LocalWorkerWiring): Promise<WorkerService> {
  const { config, aws, cisAudit, simulatedIam: iam, log } = wiring;
  if (iam === undefined) return buildWorkerService({ config, aws, cisAudit, ...(log ? { log } : {}) });
  // The same wiring as `buildWorkerService`, with the IAM gateway swapped for the simulation.
  const { store, audit, stats } = buildStores(config, aws);
  const trail = buildTrailHistory(aws);
  const clock = { now: () => new Date() };
  const resolver = new BeforeStateResolver({ store, trail, iam, clock });
  return new WorkerService({
    slack: buildInteractionGateway(config, await readBotToken(config, aws)),
    store,
    revert: new RevertService({
      store,
      iam,
      resolver,
      clock,
      audit,
      // IAM is in memory: reading it back after a revert needs no waiting for eventual consistency.
      settings: { botRoleArns: config.botRoleArns, verifyDelayMs: 0 },
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
      },
    }),
    resolver,
    iam,
    queries: buildQueryService(config, { store, stats, trail }),
    cisAudit,
    clock,
    settings: { trustedAccounts: config.trustedAccounts },
    ...(log ? { log } : {}),
  });
}
